"""risks: hazard sources, risk assessments and items, checklists, inspections and findings, village outlines,
grids and patrols, sensors, readings (append-only) and alarms, risk rules

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 02:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yingji.db
from yingji.migrate import append_only, drop_append_only

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('risks_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risks_rule')),
    sa.UniqueConstraint('key', name=op.f('uq_risks_rule_key'))
    )
    op.create_table('risks_checklist',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_risks_checklist_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risks_checklist'))
    )
    op.create_index(op.f('ix_risks_checklist_unit_id'), 'risks_checklist', ['unit_id'], unique=False)
    op.create_table('risks_hazard',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_risks_hazard_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risks_hazard'))
    )
    op.create_index(op.f('ix_risks_hazard_unit_id'), 'risks_hazard', ['unit_id'], unique=False)
    op.create_table('risks_outline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('polygon', sa.JSON(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_risks_outline_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risks_outline')),
    sa.UniqueConstraint('unit_id', name=op.f('uq_risks_outline_unit_id'))
    )
    op.create_table('risks_assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_risks_assessment_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_risks_assessment_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risks_assessment'))
    )
    op.create_index(op.f('ix_risks_assessment_unit_id'), 'risks_assessment', ['unit_id'], unique=False)
    op.create_table('risks_grid',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('officer_name', sa.String(length=100), nullable=False),
    sa.Column('officer_phone', sa.String(length=40), nullable=False),
    sa.Column('polygon', sa.JSON(), nullable=False),
    sa.Column('patrol_days', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.Integer(), nullable=True),
    sa.Column('last_patrol_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checklist_id'], ['risks_checklist.id'], name=op.f('fk_risks_grid_checklist_id_risks_checklist'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['officer_id'], ['app_user.id'], name=op.f('fk_risks_grid_officer_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_risks_grid_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risks_grid'))
    )
    op.create_index(op.f('ix_risks_grid_unit_id'), 'risks_grid', ['unit_id'], unique=False)
    op.create_table('risks_inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=True),
    sa.Column('checklist_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('inspected_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checklist_id'], ['risks_checklist.id'], name=op.f('fk_risks_inspection_checklist_id_risks_checklist'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hazard_id'], ['risks_hazard.id'], name=op.f('fk_risks_inspection_hazard_id_risks_hazard'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['inspector_id'], ['app_user.id'], name=op.f('fk_risks_inspection_inspector_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_risks_inspection_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risks_inspection'))
    )
    op.create_index(op.f('ix_risks_inspection_hazard_id'), 'risks_inspection', ['hazard_id'], unique=False)
    op.create_index(op.f('ix_risks_inspection_unit_id'), 'risks_inspection', ['unit_id'], unique=False)
    op.create_table('risks_sensor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('measure', sa.String(length=16), nullable=False),
    sa.Column('range_min', sa.Float(), nullable=False),
    sa.Column('range_max', sa.Float(), nullable=False),
    sa.Column('blue', sa.Float(), nullable=True),
    sa.Column('yellow', sa.Float(), nullable=True),
    sa.Column('orange', sa.Float(), nullable=True),
    sa.Column('red', sa.Float(), nullable=True),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('token_issued_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('token_revoked_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_reading_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_value', sa.Float(), nullable=True),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('silent_since', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hazard_id'], ['risks_hazard.id'], name=op.f('fk_risks_sensor_hazard_id_risks_hazard'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_risks_sensor_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risks_sensor')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_risks_sensor_token_hash'))
    )
    op.create_index(op.f('ix_risks_sensor_hazard_id'), 'risks_sensor', ['hazard_id'], unique=False)
    op.create_index(op.f('ix_risks_sensor_unit_id'), 'risks_sensor', ['unit_id'], unique=False)
    op.create_table('risks_alarm',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sensor_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('dispatched', sa.Integer(), nullable=False),
    sa.Column('acknowledged_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('cleared_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('draft_state', sa.String(length=16), nullable=False),
    sa.Column('draft_ref', sa.String(length=64), nullable=False),
    sa.Column('draft_payload', sa.JSON(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['app_user.id'], name=op.f('fk_risks_alarm_acknowledged_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sensor_id'], ['risks_sensor.id'], name=op.f('fk_risks_alarm_sensor_id_risks_sensor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_risks_alarm_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risks_alarm'))
    )
    op.create_index(op.f('ix_risks_alarm_sensor_id'), 'risks_alarm', ['sensor_id'], unique=False)
    op.create_index(op.f('ix_risks_alarm_unit_id'), 'risks_alarm', ['unit_id'], unique=False)
    op.create_table('risks_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('sector', sa.String(length=32), nullable=False),
    sa.Column('deadline', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('responsible', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rectification', sa.Text(), nullable=False),
    sa.Column('rectified_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['risks_inspection.id'], name=op.f('fk_risks_finding_inspection_id_risks_inspection'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_risks_finding_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['app_user.id'], name=op.f('fk_risks_finding_verified_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risks_finding'))
    )
    op.create_index(op.f('ix_risks_finding_inspection_id'), 'risks_finding', ['inspection_id'], unique=False)
    op.create_index('ix_risks_finding_open', 'risks_finding', ['status', 'deadline'], unique=False)
    op.create_index(op.f('ix_risks_finding_unit_id'), 'risks_finding', ['unit_id'], unique=False)
    op.create_table('risks_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('hazard_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('likelihood', sa.Integer(), nullable=False),
    sa.Column('consequence', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('responsible', sa.String(length=200), nullable=False),
    sa.Column('lon', sa.Double(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['risks_assessment.id'], name=op.f('fk_risks_item_assessment_id_risks_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hazard_id'], ['risks_hazard.id'], name=op.f('fk_risks_item_hazard_id_risks_hazard'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_risks_item_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risks_item'))
    )
    op.create_index(op.f('ix_risks_item_assessment_id'), 'risks_item', ['assessment_id'], unique=False)
    op.create_index(op.f('ix_risks_item_unit_id'), 'risks_item', ['unit_id'], unique=False)
    op.create_table('risks_patrol',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('started_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('track', sa.JSON(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['risks_grid.id'], name=op.f('fk_risks_patrol_grid_id_risks_grid'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_risks_patrol_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_risks_patrol_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risks_patrol'))
    )
    op.create_index(op.f('ix_risks_patrol_grid_id'), 'risks_patrol', ['grid_id'], unique=False)
    op.create_index(op.f('ix_risks_patrol_unit_id'), 'risks_patrol', ['unit_id'], unique=False)
    op.create_table('risks_reading',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sensor_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['sensor_id'], ['risks_sensor.id'], name=op.f('fk_risks_reading_sensor_id_risks_sensor'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_risks_reading_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risks_reading')),
    sa.UniqueConstraint('sensor_id', 'at', name=op.f('uq_risks_reading_sensor_id'))
    )

    append_only(op, "risks_reading", "sensor readings")


def downgrade() -> None:
    drop_append_only(op, "risks_reading")
    op.drop_table('risks_reading')
    op.drop_index(op.f('ix_risks_patrol_unit_id'), table_name='risks_patrol')
    op.drop_index(op.f('ix_risks_patrol_grid_id'), table_name='risks_patrol')
    op.drop_table('risks_patrol')
    op.drop_index(op.f('ix_risks_item_unit_id'), table_name='risks_item')
    op.drop_index(op.f('ix_risks_item_assessment_id'), table_name='risks_item')
    op.drop_table('risks_item')
    op.drop_index(op.f('ix_risks_finding_unit_id'), table_name='risks_finding')
    op.drop_index('ix_risks_finding_open', table_name='risks_finding')
    op.drop_index(op.f('ix_risks_finding_inspection_id'), table_name='risks_finding')
    op.drop_table('risks_finding')
    op.drop_index(op.f('ix_risks_alarm_unit_id'), table_name='risks_alarm')
    op.drop_index(op.f('ix_risks_alarm_sensor_id'), table_name='risks_alarm')
    op.drop_table('risks_alarm')
    op.drop_index(op.f('ix_risks_sensor_unit_id'), table_name='risks_sensor')
    op.drop_index(op.f('ix_risks_sensor_hazard_id'), table_name='risks_sensor')
    op.drop_table('risks_sensor')
    op.drop_index(op.f('ix_risks_inspection_unit_id'), table_name='risks_inspection')
    op.drop_index(op.f('ix_risks_inspection_hazard_id'), table_name='risks_inspection')
    op.drop_table('risks_inspection')
    op.drop_index(op.f('ix_risks_grid_unit_id'), table_name='risks_grid')
    op.drop_table('risks_grid')
    op.drop_index(op.f('ix_risks_assessment_unit_id'), table_name='risks_assessment')
    op.drop_table('risks_assessment')
    op.drop_table('risks_outline')
    op.drop_index(op.f('ix_risks_hazard_unit_id'), table_name='risks_hazard')
    op.drop_table('risks_hazard')
    op.drop_index(op.f('ix_risks_checklist_unit_id'), table_name='risks_checklist')
    op.drop_table('risks_checklist')
    op.drop_table('risks_rule')


"""warnings: CAP alerts with their workflow, info blocks per language, target areas, workflow steps,
inbound pull sources and warning rules

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 01:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yingji.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('warning_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_rules')),
    sa.UniqueConstraint('key', name=op.f('uq_warning_rules_key'))
    )
    op.create_table('warning_inbound_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('interval_minutes', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('last_fetched_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_ok_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('last_count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_warning_inbound_sources_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_warning_inbound_sources_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_inbound_sources'))
    )
    op.create_index(op.f('ix_warning_inbound_sources_unit_id'), 'warning_inbound_sources', ['unit_id'], unique=False)
    op.create_table('warning_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=120), nullable=True),
    sa.Column('sender', sa.String(length=200), nullable=False),
    sa.Column('sender_name', sa.String(length=200), nullable=False),
    sa.Column('msg_type', sa.String(length=8), nullable=False),
    sa.Column('cap_status', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('references', sa.Text(), nullable=False),
    sa.Column('references_alert_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('colour', sa.String(length=8), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('certainty', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('response_type', sa.String(length=16), nullable=False),
    sa.Column('event', sa.String(length=200), nullable=False),
    sa.Column('sector_code', sa.String(length=3), nullable=False),
    sa.Column('sent_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('effective_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('onset_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('issued_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('signed_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('drafted_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('fast_track', sa.Boolean(), nullable=False),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('cap_xml', sa.Text(), nullable=True),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('origin_sender', sa.String(length=300), nullable=False),
    sa.Column('origin_identifier', sa.String(length=300), nullable=False),
    sa.Column('origin_sent', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['drafted_by_id'], ['app_user.id'], name=op.f('fk_warning_alerts_drafted_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['references_alert_id'], ['warning_alerts.id'], name=op.f('fk_warning_alerts_references_alert_id_warning_alerts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['app_user.id'], name=op.f('fk_warning_alerts_reviewed_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['signed_by_id'], ['app_user.id'], name=op.f('fk_warning_alerts_signed_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['warning_inbound_sources.id'], name=op.f('fk_warning_alerts_source_id_warning_inbound_sources'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_warning_alerts_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_alerts')),
    sa.UniqueConstraint('identifier', name=op.f('uq_warning_alerts_identifier'))
    )
    op.create_index(op.f('ix_warning_alerts_origin_identifier'), 'warning_alerts', ['origin_identifier'], unique=False)
    op.create_index(op.f('ix_warning_alerts_references_alert_id'), 'warning_alerts', ['references_alert_id'], unique=False)
    op.create_index(op.f('ix_warning_alerts_source_id'), 'warning_alerts', ['source_id'], unique=False)
    op.create_index(op.f('ix_warning_alerts_status'), 'warning_alerts', ['status'], unique=False)
    op.create_index('ix_warning_alerts_status_expires', 'warning_alerts', ['status', 'expires_at'], unique=False)
    op.create_index(op.f('ix_warning_alerts_unit_id'), 'warning_alerts', ['unit_id'], unique=False)
    op.create_table('warning_alert_areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('area_desc', sa.String(length=300), nullable=False),
    sa.Column('target_unit_id', sa.Integer(), nullable=True),
    sa.Column('geocode', sa.String(length=32), nullable=False),
    sa.Column('points', sa.JSON(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('radius_km', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['warning_alerts.id'], name=op.f('fk_warning_alert_areas_alert_id_warning_alerts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_unit_id'], ['unit.id'], name=op.f('fk_warning_alert_areas_target_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_warning_alert_areas_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_alert_areas'))
    )
    op.create_index(op.f('ix_warning_alert_areas_alert_id'), 'warning_alert_areas', ['alert_id'], unique=False)
    op.create_index(op.f('ix_warning_alert_areas_target_unit_id'), 'warning_alert_areas', ['target_unit_id'], unique=False)
    op.create_index(op.f('ix_warning_alert_areas_unit_id'), 'warning_alert_areas', ['unit_id'], unique=False)
    op.create_table('warning_alert_infos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('event', sa.String(length=200), nullable=False),
    sa.Column('sender_name', sa.String(length=200), nullable=False),
    sa.Column('headline', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('instruction', sa.Text(), nullable=False),
    sa.Column('web', sa.String(length=500), nullable=False),
    sa.Column('contact', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['warning_alerts.id'], name=op.f('fk_warning_alert_infos_alert_id_warning_alerts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_warning_alert_infos_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_alert_infos'))
    )
    op.create_index(op.f('ix_warning_alert_infos_alert_id'), 'warning_alert_infos', ['alert_id'], unique=False)
    op.create_index(op.f('ix_warning_alert_infos_unit_id'), 'warning_alert_infos', ['unit_id'], unique=False)
    op.create_table('warning_alert_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=24), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_warning_alert_steps_actor_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['alert_id'], ['warning_alerts.id'], name=op.f('fk_warning_alert_steps_alert_id_warning_alerts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_warning_alert_steps_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warning_alert_steps'))
    )
    op.create_index(op.f('ix_warning_alert_steps_alert_id'), 'warning_alert_steps', ['alert_id'], unique=False)
    op.create_index(op.f('ix_warning_alert_steps_unit_id'), 'warning_alert_steps', ['unit_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_warning_alert_steps_unit_id'), table_name='warning_alert_steps')
    op.drop_index(op.f('ix_warning_alert_steps_alert_id'), table_name='warning_alert_steps')
    op.drop_table('warning_alert_steps')
    op.drop_index(op.f('ix_warning_alert_infos_unit_id'), table_name='warning_alert_infos')
    op.drop_index(op.f('ix_warning_alert_infos_alert_id'), table_name='warning_alert_infos')
    op.drop_table('warning_alert_infos')
    op.drop_index(op.f('ix_warning_alert_areas_unit_id'), table_name='warning_alert_areas')
    op.drop_index(op.f('ix_warning_alert_areas_target_unit_id'), table_name='warning_alert_areas')
    op.drop_index(op.f('ix_warning_alert_areas_alert_id'), table_name='warning_alert_areas')
    op.drop_table('warning_alert_areas')
    op.drop_index(op.f('ix_warning_alerts_unit_id'), table_name='warning_alerts')
    op.drop_index('ix_warning_alerts_status_expires', table_name='warning_alerts')
    op.drop_index(op.f('ix_warning_alerts_status'), table_name='warning_alerts')
    op.drop_index(op.f('ix_warning_alerts_source_id'), table_name='warning_alerts')
    op.drop_index(op.f('ix_warning_alerts_references_alert_id'), table_name='warning_alerts')
    op.drop_index(op.f('ix_warning_alerts_origin_identifier'), table_name='warning_alerts')
    op.drop_table('warning_alerts')
    op.drop_index(op.f('ix_warning_inbound_sources_unit_id'), table_name='warning_inbound_sources')
    op.drop_table('warning_inbound_sources')
    op.drop_table('warning_rules')

"""oversight: trend analysis — finalised findings per area and year, countermeasures against findings

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 05:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yingji.db
from yingji.migrate import append_only, drop_append_only

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('oversight_trend_year',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('finalised_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finalised_by_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_oversight_trend_year_unit_id_unit'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_trend_year')),
    sa.UniqueConstraint('unit_id', 'year', name=op.f('uq_oversight_trend_year_unit_id'))
    )
    append_only(op, 'oversight_trend_year', 'Finalised trend analyses')
    # the covering index the statistics read events through (declared in yingji/incidents/models.py)
    with op.batch_alter_table('incident_events', schema=None) as batch_op:
        batch_op.create_index('ix_incident_events_stats', ['unit_id', 'occurred_at', 'category', 'subtype', 'level',
                                                           'deaths', 'injured', 'missing', 'direct_loss'],
                              unique=False)
    op.create_table('oversight_countermeasure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('finding_key', sa.String(length=80), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=100), nullable=False),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], name=op.f('fk_oversight_countermeasure_author_id_app_user'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['unit.id'],
                            name=op.f('fk_oversight_countermeasure_owner_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['task_id'], ['oversight_task.id'],
                            name=op.f('fk_oversight_countermeasure_task_id_oversight_task'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_oversight_countermeasure_unit_id_unit'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_countermeasure'))
    )
    with op.batch_alter_table('oversight_countermeasure', schema=None) as batch_op:
        batch_op.create_index('ix_oversight_countermeasure_unit_year', ['unit_id', 'year'], unique=False)
        batch_op.create_index('ix_oversight_countermeasure_year_key', ['year', 'finding_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('oversight_countermeasure', schema=None) as batch_op:
        batch_op.drop_index('ix_oversight_countermeasure_year_key')
        batch_op.drop_index('ix_oversight_countermeasure_unit_year')
    op.drop_table('oversight_countermeasure')
    with op.batch_alter_table('incident_events', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_events_stats')
    drop_append_only(op, 'oversight_trend_year')
    op.drop_table('oversight_trend_year')

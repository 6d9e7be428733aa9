"""incidents: the desk told after the commit (hops' dispatched_at), indexes for the filtered event list,
queries from above (incident_queries)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 05:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yingji.db

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


INDEXES = (
    ('ix_incident_events_unit_category_occurred', ['unit_id', 'category', 'occurred_at']),
    ('ix_incident_events_unit_level_occurred', ['unit_id', 'level', 'occurred_at']),
    ('ix_incident_events_category_level_occurred', ['category', 'level', 'occurred_at']),
)


PARTIAL = (
    ('ix_incident_events_open', "status = 'open'", "status = 'open'"),
    ('ix_incident_events_late', 'flag_late = 1', 'flag_late'),
    ('ix_incident_events_missed', 'flag_missed = 1', 'flag_missed'),
    ('ix_incident_events_review', 'flag_review = 1', 'flag_review'),
)


def _partial(columns: list[str]) -> None:
    for name, on_sqlite, on_postgresql in PARTIAL:
        op.drop_index(name, table_name='incident_events')
        op.create_index(name, 'incident_events', columns, unique=False, sqlite_where=sa.text(on_sqlite),
                        postgresql_where=sa.text(on_postgresql))


def upgrade() -> None:
    with op.batch_alter_table('incident_hops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatched_at', yingji.db.UTCDateTime(timezone=True), nullable=True))
    # Hops made before this revision were dispatched in their own transaction.
    op.execute("UPDATE incident_hops SET dispatched_at = received_at")
    op.create_index('ix_incident_hops_undispatched', 'incident_hops', ['id'], unique=False,
                    sqlite_where=sa.text('dispatched_at IS NULL'), postgresql_where=sa.text('dispatched_at IS NULL'))
    for name, columns in INDEXES:
        op.create_index(name, 'incident_events', columns, unique=False)
    # The partial indexes of open and flagged events carry unit, level and category (checked without the row).
    _partial(['occurred_at', 'unit_id', 'level', 'category'])
    op.create_table('incident_queries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_unit_id', sa.Integer(), nullable=True),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('asked_by_name', sa.String(length=100), nullable=False),
    sa.Column('asked_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answered_report_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', yingji.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_report_id'], ['incident_reports.id'],
                            name=op.f('fk_incident_queries_answered_report_id_incident_reports'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['asked_by_id'], ['app_user.id'], name=op.f('fk_incident_queries_asked_by_id_app_user'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['asked_by_unit_id'], ['unit.id'], name=op.f('fk_incident_queries_asked_by_unit_id_unit'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['event_id'], ['incident_events.id'],
                            name=op.f('fk_incident_queries_event_id_incident_events'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_incident_queries_unit_id_unit'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_queries'))
    )
    with op.batch_alter_table('incident_queries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_queries_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_queries_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('incident_queries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_queries_unit_id'))
        batch_op.drop_index(batch_op.f('ix_incident_queries_event_id'))
    op.drop_table('incident_queries')
    _partial(['occurred_at'])
    for name, _columns in INDEXES:
        op.drop_index(name, table_name='incident_events')
    op.drop_index('ix_incident_hops_undispatched', table_name='incident_hops')
    with op.batch_alter_table('incident_hops', schema=None) as batch_op:
        batch_op.drop_column('dispatched_at')

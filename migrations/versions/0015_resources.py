"""resources: covering indexes for "nearest", the dispatch's incident as a foreign key, team insurance

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 05:00:00

The covering indexes let the nearest-resource search read its candidates (grid cell, filters, place,
owner) from the index alone. ``res_dispatch.event_id`` becomes a foreign key to ``incident_events``;
a dispatch naming an event that does not exist loses that reference (it never pointed anywhere), and
each such change is written to the audit log (actor "migration 0015", the old reference in ``before``).

On SQLite the constraint is written into the table's stored definition and the rows are checked against
it (``yingji.migrate.sqlite_edit_table`` says why a batch rebuild cannot be used here).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yingji.db
from yingji.migrate import add_foreign_key, clear_dangling, drop_foreign_key

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

NEAR = (("res_team", "ix_res_team_near", ["cell", "readiness", "lon", "lat", "unit_id", "capabilities"]),
        ("res_warehouse", "ix_res_warehouse_near", ["cell", "lon", "lat", "unit_id"]),
        ("res_shelter", "ix_res_shelter_near",
         ["cell", "is_open", "lon", "lat", "unit_id", "capacity", "occupancy"]),
        ("res_equipment", "ix_res_equipment_near", ["cell", "kind", "lon", "lat", "unit_id"]))
FK_NAME = "fk_res_dispatch_event_id_incident_events"


def upgrade() -> None:
    for table, name, columns in NEAR:
        op.create_index(name, table, columns, unique=False)

    clear_dangling(op, "0015", "res_dispatch", "event_id", "incident_events")
    add_foreign_key(op, FK_NAME, "res_dispatch", "event_id", "incident_events")

    op.create_table('res_team_insurance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('insurer', sa.String(length=200), nullable=False),
    sa.Column('policy_no', sa.String(length=64), nullable=False),
    sa.Column('insured_count', sa.Integer(), nullable=False),
    sa.Column('cover_from', sa.Date(), nullable=False),
    sa.Column('cover_to', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('notified_on', sa.Date(), nullable=True),
    sa.Column('created_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yingji.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('insured_count >= 0', name=op.f('ck_res_team_insurance_count_not_negative')),
    sa.CheckConstraint('cover_to >= cover_from', name=op.f('ck_res_team_insurance_cover_in_order')),
    sa.ForeignKeyConstraint(['team_id'], ['res_team.id'], name=op.f('fk_res_team_insurance_team_id_res_team'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_res_team_insurance_unit_id_unit'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_res_team_insurance'))
    )
    with op.batch_alter_table('res_team_insurance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_res_team_insurance_cover_to'), ['cover_to'], unique=False)
        batch_op.create_index('ix_res_team_insurance_team_cover', ['team_id', 'cover_to'], unique=False)
        batch_op.create_index(batch_op.f('ix_res_team_insurance_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    op.drop_table('res_team_insurance')
    drop_foreign_key(op, FK_NAME, "res_dispatch", "event_id", "incident_events")
    for table, name, _columns in reversed(NEAR):
        op.drop_index(name, table_name=table)

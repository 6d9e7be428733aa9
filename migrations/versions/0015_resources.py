"""resources: covering indexes for "nearest", the dispatch's incident as a foreign key, team insurance

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 05:00:00

The covering indexes let the nearest-resource search read its candidates (grid cell, filters, place,
owner) from the index alone. ``res_dispatch.event_id`` becomes a foreign key to ``incident_events``;
a dispatch naming an event that does not exist loses that reference (it never pointed anywhere), and
each such change is written to the audit log (actor "migration 0015", the old reference in ``before``).

On SQLite a batch rebuild of ``res_dispatch`` is not possible inside the migration's transaction: with
foreign keys enforced (they cannot be switched off within a transaction), dropping the old table deletes
its dispatch lines and allocations (ON DELETE CASCADE) or is refused by its steps (RESTRICT). The
constraint is therefore added to the table's stored definition (PRAGMA writable_schema), the way SQLite's
documentation describes for constraint changes that leave the stored rows as they are; the rows are
checked against it (PRAGMA foreign_key_check) before the migration ends.
"""
from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

import yingji.db
from yingji import clock

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
FK_SQL = f"CONSTRAINT {FK_NAME} FOREIGN KEY(event_id) REFERENCES incident_events (id) ON DELETE RESTRICT"


def _sqlite_definition(edit: Callable[[str], str]) -> None:
    """Rewrite the stored CREATE TABLE of res_dispatch (no row is touched), then check the rows against it."""
    conn = op.get_bind()
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'res_dispatch'").scalar()
    changed = edit(str(sql))
    if changed == sql:
        raise RuntimeError("res_dispatch: the stored table definition is not the expected one")
    version = int(conn.exec_driver_sql("PRAGMA schema_version").scalar() or 0)
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'res_dispatch'",
                         (changed,))
    conn.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check(res_dispatch)").fetchall()
    if broken:
        raise RuntimeError(f"res_dispatch: rows break the new foreign key: {broken[:5]}")


AUDIT = sa.table("audit_entry", sa.column("at", yingji.db.UTCDateTime(timezone=True)),
                 sa.column("request_id", sa.String), sa.column("actor_id", sa.Integer),
                 sa.column("actor_name", sa.String), sa.column("actor_unit_id", sa.Integer),
                 sa.column("unit_id", sa.Integer), sa.column("entity_type", sa.String),
                 sa.column("entity_id", sa.String), sa.column("action", sa.String),
                 sa.column("before", sa.JSON), sa.column("after", sa.JSON))


def _clear_dangling_events() -> None:
    """Dispatches naming an event that does not exist lose the reference; each change is audited."""
    conn = op.get_bind()
    dangling = conn.execute(sa.text("SELECT id, unit_id, event_id FROM res_dispatch WHERE event_id IS NOT NULL "
                                    "AND event_id NOT IN (SELECT id FROM incident_events) ORDER BY id")).all()
    if not dangling:
        return
    now = clock.now()
    conn.execute(AUDIT.insert(), [
        {"at": now, "request_id": "migration-0015", "actor_id": None, "actor_name": "migration 0015",
         "actor_unit_id": None, "unit_id": unit_id, "entity_type": "res_dispatch", "entity_id": str(row_id),
         "action": "update", "before": {"event_id": event_id}, "after": {"event_id": None}}
        for row_id, unit_id, event_id in dangling])
    conn.execute(sa.text("UPDATE res_dispatch SET event_id = NULL WHERE id = :id"),
                 [{"id": row_id} for row_id, _u, _e in dangling])


def upgrade() -> None:
    for table, name, columns in NEAR:
        op.create_index(name, table, columns, unique=False)

    _clear_dangling_events()
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_definition(lambda sql: sql[:sql.rindex(")")].rstrip() + ", \n\t" + FK_SQL + "\n)")
    else:
        op.create_foreign_key(FK_NAME, 'res_dispatch', 'incident_events', ['event_id'], ['id'], ondelete='RESTRICT')

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
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_definition(lambda sql: sql.replace(", \n\t" + FK_SQL, ""))
    else:
        op.drop_constraint(FK_NAME, 'res_dispatch', type_='foreignkey')
    for table, name, _columns in reversed(NEAR):
        op.drop_index(name, table_name=table)

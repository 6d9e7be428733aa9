"""The migration chain builds exactly the schema the models declare, and it is one line."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from yingji import clock, migrate, models_registry
from yingji.db import Base


def test_the_chain_is_linear() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
    revisions = list(script.walk_revisions())
    assert all(not isinstance(r.down_revision, tuple) for r in revisions)


def test_the_migrated_database_matches_the_models(database: Any) -> None:
    models_registry.import_all()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


DANGLING = {
    "0015": ("res_dispatch", "INSERT INTO res_dispatch (unit_id, event_id, title, destination, status, requested_by, "
                             "approved_by, created_at, updated_at) "
                             "VALUES (:u, :e, 'x', '', 'requested', '', '', :t, :t) RETURNING id"),
    "0018": ("res_requisition", "INSERT INTO res_requisition (unit_id, event_id, owner, description, taken_on, "
                                "compensation_fen, created_at, updated_at) "
                                "VALUES (:u, :e, 'x', 'x', '2026-01-01', 0, :t, :t) RETURNING id"),
}


@pytest.mark.parametrize("revision", sorted(DANGLING))
def test_a_record_naming_no_event_loses_the_reference_with_an_audit_entry(database: Any, revision: str) -> None:
    """0015 (dispatches) and 0018 (shelters, requisitions, services, donations) make ``event_id`` a foreign key:
    a record whose event does not exist is cleared, and the audit log says so (nothing rewritten silently).
    Down to the revision before, a dangling reference, up again."""
    table, insert = DANGLING[revision]
    engine = database.engine
    migrate.downgrade(engine, f"{int(revision) - 1:04d}")
    with engine.begin() as conn:
        unit = conn.execute(text("SELECT min(id) FROM unit")).scalar_one()
        missing = conn.execute(text("SELECT coalesce(max(id), 0) + 1000 FROM incident_events")).scalar_one()
        row_id = conn.execute(text(insert), {"u": unit, "e": missing, "t": clock.now()}).scalar_one()
        audits = conn.execute(text("SELECT count(*) FROM audit_entry")).scalar_one()
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT event_id FROM {table} WHERE id = :d"), {"d": row_id}).scalar_one() is None
        rows = conn.execute(text("SELECT entity_type, entity_id, action, actor_name, before, after FROM audit_entry "
                                 "WHERE id > (SELECT max(id) FROM audit_entry) - 1")).all()
        assert conn.execute(text("SELECT count(*) FROM audit_entry")).scalar_one() == audits + 1
    entity_type, entity_id, action, actor, before, after = rows[0]
    assert (entity_type, entity_id, action, actor) == (table, str(row_id), "update", f"migration {revision}")
    assert [json.loads(v) if isinstance(v, str) else v for v in (before, after)] == [{"event_id": missing},
                                                                                      {"event_id": None}]


def test_roll_calls_made_before_0020_get_the_time_their_limit_passes(database: Any) -> None:
    """0020 adds ``duty_roll_call.due_at``: a roll call already there gets its start plus its limit."""
    from datetime import timedelta

    from sqlalchemy import Boolean, Integer, String, column, insert, select, table

    from yingji.db import UTCDateTime

    engine = database.engine
    migrate.downgrade(engine, "0019")
    calls = table("duty_roll_call", column("id", Integer()), column("unit_id", Integer()),
                  column("called_by_name", String()), column("started_at", UTCDateTime()),
                  column("limit_seconds", Integer()), column("limit_source", String()), column("note", String()),
                  column("unannounced", Boolean()), column("due_at", UTCDateTime()))
    started = clock.now().replace(microsecond=250000)
    with engine.begin() as conn:
        unit = conn.execute(text("SELECT min(id) FROM unit")).scalar_one()
        made = [conn.execute(insert(calls).values(unit_id=unit, called_by_name="x", started_at=started, limit_seconds=s,
                                                  limit_source="", note="", unannounced=False).returning(calls.c.id)
                             ).scalar_one() for s in (300, 900)]
    migrate.upgrade(engine)
    with engine.connect() as conn:
        due = dict(conn.execute(select(calls.c.id, calls.c.due_at).where(calls.c.id.in_(made))).all())
    assert due == {made[0]: started + timedelta(seconds=300), made[1]: started + timedelta(seconds=900)}

"""db.Prepared: a fixed statement run as its SQL text — the same values stored and read back as through
session.execute, inside the session's transaction, driver errors wrapped, seen by statement listeners."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Table, bindparam, event, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core.models import AuditEntry
from yingji.db import Prepared, is_conflict
from yingji.incidents.models import IdempotentSubmission

AUDIT = cast(Table, AuditEntry.__table__)
WRITE = Prepared(insert(AUDIT).values({c.key: bindparam(c.key, type_=c.type) for c in AUDIT.columns
                                       if not c.primary_key}).returning(AUDIT.c.id, AUDIT.c.at, AUDIT.c.after))
READ = Prepared(select(AUDIT.c.at, AUDIT.c.after, AUDIT.c.entity_id).where(AUDIT.c.id == bindparam("id")))
KEYS = cast(Table, IdempotentSubmission.__table__)
CLAIM = Prepared(insert(KEYS).values({k: bindparam(k, type_=KEYS.c[k].type) for k in
                                      ("owner", "key", "unit_id", "request_hash", "status_code", "body",
                                       "created_at")}))


def _entry(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"at": datetime(2026, 7, 1, 2, 10, 5, 123456, tzinfo=timezone(timedelta(hours=8))),
                              "request_id": "r-1", "actor_id": None, "actor_name": "测试", "actor_unit_id": None,
                              "unit_id": None, "entity_type": "thing", "entity_id": "42", "action": "create",
                              "before": None, "after": {"死亡": 2, "list": [1, "二"], "none": None}}
    values.update(overrides)
    return values


def test_values_are_stored_and_read_back_as_session_execute_stores_and_reads_them(session: Session) -> None:
    connection = session.connection()
    assert not (connection._has_events or connection.engine._has_events)  # the driver's cursor, straight
    new_id, at, after = WRITE.rows(session, _entry())[0]
    # What comes back went through the column types: an aware UTC time, JSON as Python values.
    assert at == datetime(2026, 6, 30, 18, 10, 5, 123456, tzinfo=UTC) and at.tzinfo is not None
    assert after == {"死亡": 2, "list": [1, "二"], "none": None}
    assert READ.first(session, {"id": new_id}) == (at, after, "42")
    # The ORM reads the same row the same way.
    row = session.get_one(AuditEntry, new_id)
    assert (row.at, row.after, row.before) == (at, after, None)
    # And a row the ORM wrote reads back alike through the prepared statement.
    other = session.execute(insert(AUDIT).returning(AUDIT.c.id), _entry(entity_id="43")).scalar_one()
    assert READ.first(session, {"id": other}) == (at, after, "43")
    assert READ.first(session, {"id": other + 1000}) is None


def test_a_naive_time_is_refused_as_through_the_orm(session: Session) -> None:
    with pytest.raises(ValueError, match="naive"):
        WRITE.rows(session, _entry(at=datetime(2026, 7, 1, 2, 10)))


def test_it_writes_in_the_sessions_transaction_and_goes_with_its_rollback(session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    WRITE.rows(session, _entry())
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before + 1
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_a_driver_error_is_wrapped_as_sqlalchemy_wraps_it(session: Session) -> None:
    claim = {"owner": "user:1", "key": "k-1", "unit_id": None, "request_hash": "h", "status_code": 201,
             "body": {"a": 1}, "created_at": clock.now()}
    CLAIM.rows(session, claim)
    with pytest.raises(IntegrityError) as caught:
        CLAIM.rows(session, claim)
    assert isinstance(caught.value, DBAPIError) and is_conflict(caught.value)


def test_a_statement_listener_sees_the_statement(session: Session) -> None:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(session.connection(), "before_cursor_execute", record)  # this transaction's connection only
    new_id = WRITE.rows(session, _entry())[0][0]
    assert READ.first(session, {"id": new_id})[2] == "42"  # type: ignore[index]
    assert len(seen) == 2 and seen[0].startswith("INSERT INTO audit_entry") and seen[1].startswith("SELECT")


def test_every_kind_of_column_comes_back_as_session_execute_reads_it(session: Session) -> None:
    """Floats (whose reading on PostgreSQL depends on the driver's type code), booleans, dates, texts and keys,
    and bound LIMIT/OFFSET, against the same select run through the session."""
    from yingji.core.models import Unit

    columns = (Unit.id, Unit.code, Unit.lon, Unit.lat, Unit.is_demo, Unit.valid_from, Unit.created_at)
    stmt = select(*columns).where(Unit.lon.is_not(None)).order_by(Unit.id)
    expected = [tuple(row) for row in session.execute(stmt.limit(3).offset(1))]
    got = Prepared(stmt.limit(bindparam("limit")).offset(bindparam("offset"))).rows(session, {"limit": 3, "offset": 1})
    assert len(expected) == 3 and got == expected
    assert [type(v) for v in got[0]] == [type(v) for v in expected[0]]
    assert isinstance(got[0][2], float) and isinstance(got[0][4], bool)

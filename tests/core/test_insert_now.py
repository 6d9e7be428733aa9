"""insert_now writes a row at once and leaves a loaded, persistent object; audit entries are written at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit
from yingji.core.models import AuditEntry, Unit
from yingji.core.scope import system_principal
from yingji.db import insert_now
from yingji.incidents.models import Event, Report


def _statements(session: Session) -> list[str]:
    seen: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute",
                 lambda _c, _cur, statement, *_a: seen.append(statement))
    return seen


AT = clock.now() - timedelta(hours=1)


def _event(session: Session, **overrides: Any) -> Event:
    unit_id = session.scalar(select(Unit.id).where(Unit.kind == "village").order_by(Unit.id).limit(1))
    values: dict[str, Any] = dict(unit_id=unit_id, title="滑坡", category="1", subtype="1.4.2", level=4,
                                  occurred_at=AT)
    values.update(overrides)
    return Event(**values)


def test_the_row_is_written_at_once_with_the_defaults_a_flush_would_give(session: Session) -> None:
    written = insert_now(session, _event(session))
    flushed = _event(session)
    session.add(flushed)
    session.flush()
    assert written.id is not None and flushed.id == written.id + 1
    assert inspect(written).persistent and not inspect(written).modified
    columns = [c.key for c in inspect(Event).column_attrs if c.key not in ("id", "created_at", "updated_at",
                                                                          "known_at")]
    session.expire_all()
    again = session.get_one(Event, written.id)
    other = session.get_one(Event, flushed.id)
    assert {k: getattr(again, k) for k in columns} == {k: getattr(other, k) for k in columns}
    assert again.status == "open" and again.report_count == 0 and again.flag_late is False
    assert again.created_at is not None and again.known_at is not None


def test_the_object_is_loaded_and_later_changes_are_flushed(session: Session) -> None:
    written = insert_now(session, _event(session))
    seen = _statements(session)
    assert (written.title, written.deaths, written.address) == ("滑坡", 0, "")  # no load from the database
    assert seen == []
    written.deaths = 3
    session.flush()
    assert any(s.startswith("UPDATE incident_events") for s in seen)
    assert session.scalar(select(Event.deaths).where(Event.id == written.id)) == 3


def test_related_objects_are_refused_and_nothing_is_written(session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(Report))
    report = Report(event=_event(session), unit_id=1, seq=1, kind="first", occurred_at=clock.now(),
                    place_unit_id=1, category="1", subtype="1.4.2", reporter_name="x")
    session.expunge_all()
    with pytest.raises(TypeError, match="foreign keys"):
        insert_now(session, report)
    assert session.scalar(select(func.count()).select_from(Report)) == before


def test_an_audit_entry_is_written_at_once_and_goes_with_a_rollback(database: Any) -> None:
    principal = system_principal("test")
    with database.sessionmaker() as session:
        newest = session.scalar(select(func.max(AuditEntry.id))) or 0
        audit.record(session, principal, action="create", entity_type="thing", entity_id=7, unit_id=None,
                     after={"a": 1})
        assert not session.new  # not held in the unit of work
        entry = session.scalars(select(AuditEntry).where(AuditEntry.id > newest)).one()
        assert (entry.entity_type, entry.entity_id, entry.after) == ("thing", "7", {"a": 1})
        session.rollback()
        assert session.scalar(select(func.count()).where(AuditEntry.id > newest)) == 0


def test_a_key_given_by_hand_is_refused_and_nothing_is_written(session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(Event))
    with pytest.raises(TypeError, match="filled in by the database"):
        insert_now(session, _event(session, id=10**9))
    assert session.scalar(select(func.count()).select_from(Event)) == before

"""Shared set-up for the response tests: principals by demo user name, a Beijing clock, events made through
the incidents service (open, or closed by a final report at a chosen time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core.models import AuditEntry, Notification, Unit, User
from yingji.core.scope import Principal

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A Beijing wall-clock time as UTC."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI).astimezone(UTC)


def set_now(value: datetime) -> None:
    clock.set_clock(lambda: value)


def principal(session: Session, username: str) -> Principal:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, username
    unit = session.get_one(Unit, user.unit_id)
    return Principal(user_id=user.id, name=user.username, unit_id=unit.id, unit_path=unit.path, role=user.role)


def unit_of(session: Session, username: str) -> int:
    found = session.scalar(select(User.unit_id).where(User.username == username))
    assert found is not None
    return int(found)


def county(session: Session, code: str) -> int:
    found = session.scalar(select(Unit.id).where(Unit.code == code))
    assert found is not None, code
    return int(found)


def notifications(session: Session, username: str, contains: str = "") -> int:
    session.expire_all()
    user = session.scalar(select(User.id).where(User.username == username))
    stmt = select(func.count()).select_from(Notification).where(Notification.user_id == user)
    if contains:
        stmt = stmt.where(Notification.subject.contains(contains))
    return int(session.scalar(stmt) or 0)


def audits(session: Session, entity_type: str, action: str = "") -> list[AuditEntry]:
    session.expire_all()
    stmt = select(AuditEntry).where(AuditEntry.entity_type == entity_type)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(session.scalars(stmt.order_by(AuditEntry.id)))


def open_event(session: Session, username: str = "bole", *, occurred_at: datetime | None = None,
               level: int | None = None, title: str = "村道边坡滑坡", **extra: Any) -> Any:
    """An event with its first report, filed by ``username`` for its own unit."""
    from yingji.incidents import service
    from yingji.incidents.schemas import EventCreate

    who = principal(session, username)
    when = occurred_at or clock.now() - timedelta(hours=1)
    data: dict[str, Any] = {"unit_id": who.unit_id, "title": title, "occurred_at": when, "category": "2",
                            "subtype": "2.1", "description": "厂房坍塌。", "reporter_name": "测试"}
    if level is not None:
        data.update(level=level, level_reason="测试")
    data.update(extra)
    return service.create_event(session, who, EventCreate(**data)).event


def close_event(session: Session, event: Any, at: datetime, username: str = "bole") -> Any:
    """The final report (终报) filed at ``at`` closes the event then."""
    from yingji.incidents import service
    from yingji.incidents.schemas import ReportCreate

    previous = clock._now
    set_now(at)
    try:
        service.add_report(session, principal(session, username), event.id,
                           ReportCreate(kind="final", description="处置完毕。", reporter_name="测试"))
    finally:
        clock.set_clock(previous)
    assert event.status == "closed" and event.closed_at == at
    return event

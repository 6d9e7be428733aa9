"""Shared set-up for the duty tests: a clock far from the demo's own shifts, users and desks by name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core.models import AuditEntry, User
from yingji.duty.models import DutyDesk, DutyShift

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A Beijing wall-clock time as UTC."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI).astimezone(UTC)


def set_now(value: datetime) -> None:
    clock.set_clock(lambda: value)


def user_id(session: Session, username: str) -> int:
    found = session.scalar(select(User.id).where(User.username == username))
    assert found is not None, username
    return int(found)


def desk_id(session: Session, unit_code: str) -> int:
    from yingji.core.models import Unit

    found = session.scalar(select(DutyDesk.id).join(Unit, Unit.id == DutyDesk.unit_id).where(Unit.code == unit_code))
    assert found is not None, unit_code
    return int(found)


def shift_count(session: Session, desk: int | None = None) -> int:
    session.expire_all()
    stmt = select(func.count()).select_from(DutyShift)
    if desk is not None:
        stmt = stmt.where(DutyShift.desk_id == desk)
    return int(session.scalar(stmt) or 0)


def audits(session: Session, entity_type: str, action: str) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.entity_type == entity_type,
                                                         AuditEntry.action == action).order_by(AuditEntry.id)))


def fill(client: Any, desk: int, start: str, end: str, **extra: Any) -> Any:
    return client.api("POST", f"/api/duty/desks/{desk}/fill", json={"start": start, "end": end, **extra})

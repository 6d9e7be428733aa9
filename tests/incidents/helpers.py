"""Shared set-up for the incident tests: principals by demo user name, a Beijing clock, report payloads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core.models import Notification, Unit, User
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


def user_id(session: Session, username: str) -> int:
    found = session.scalar(select(User.id).where(User.username == username))
    assert found is not None, username
    return int(found)


def notifications(session: Session, username: str, contains: str = "") -> int:
    session.expire_all()
    stmt = select(func.count()).select_from(Notification).where(Notification.user_id == user_id(session, username))
    if contains:
        stmt = stmt.where(Notification.subject.contains(contains))
    return int(session.scalar(stmt) or 0)


def first_report(occurred_at: datetime, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"title": "村道边坡滑坡", "occurred_at": occurred_at.isoformat(), "category": "1",
                            "subtype": "1.4.2", "description": "边坡滑坡，阻断村道。", "reporter_phone": "13800000001"}
    body.update(extra)
    return body

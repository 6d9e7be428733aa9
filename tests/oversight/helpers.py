"""Shared set-up for the oversight tests: Beijing times, an injected clock, events inserted as records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core.models import AuditEntry

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A Beijing wall-clock time as UTC."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI).astimezone(UTC)


def set_now(value: datetime) -> None:
    clock.set_clock(lambda: value)


def audits(session: Session, entity_type: str, action: str | None = None) -> int:
    session.expire_all()
    stmt = select(func.count()).select_from(AuditEntry).where(AuditEntry.entity_type == entity_type)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return int(session.scalar(stmt) or 0)


def add_event(session: Session, unit_id: int, occurred_at: datetime, *, category: str = "2", level: int = 4,
              deaths: int = 0, injured: int = 0, missing: int = 0, loss: int = 0, title: str = "测试事件",
              subtype: str | None = None) -> Any:
    from yingji.incidents.models import Event

    event = Event(unit_id=unit_id, title=title, category=category, subtype=subtype or f"{category}.1", level=level,
                  status="closed", occurred_at=occurred_at, known_from="report", known_at=occurred_at,
                  first_report_at=occurred_at, report_count=1, deaths=deaths, injured=injured, missing=missing,
                  direct_loss=loss)
    session.add(event)
    session.flush()
    return event

"""Small helpers the risks services share: unit names, local dates, the owning unit of a new row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.models import Unit, User
from yingji.core.scope import Principal, get_scoped, recheck
from yingji.settings import get_settings


def zone() -> ZoneInfo:
    return ZoneInfo(get_settings().tz)


def today() -> date:
    return clock.now().astimezone(zone()).date()


def unit_for_write(session: Session, principal: Principal, unit_id: int, action: str = roles.WRITE) -> Unit:
    """The unit a new row will belong to: in the principal's area, and the role may write."""
    return get_scoped(session, principal, Unit, unit_id, action)


def unit_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {i: n for i, n in session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted))).all()}


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {i: n for i, n in session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).all()}


def created(session: Session, principal: Principal, row: Any, entity_type: str) -> Any:
    """Add a new row, make sure it is still in the writer's area, audit it."""
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="create", entity_type=entity_type, entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))
    return row


def changed(session: Session, principal: Principal, row: Any, entity_type: str, before: dict[str, Any],
            action: str = "update") -> Any:
    recheck(session, principal, row)
    audit.record(session, principal, action=action, entity_type=entity_type, entity_id=row.id,
                 unit_id=row.unit_id, before=before, after=audit.snapshot(row))
    return row


def aware(value: datetime) -> datetime:
    """A time from outside: naive means local (Asia/Shanghai), returned in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone())
    return value.astimezone(UTC)


def local_text(value: datetime | None) -> str:
    return value.astimezone(zone()).strftime("%Y-%m-%d %H:%M:%S") if value else "—"

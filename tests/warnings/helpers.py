"""Shared set-up for the warning tests: principals by user name, a draft over 精河县, a fixed clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import auth
from yingji.core.models import AuditEntry, Unit, User
from yingji.core.scope import Principal
from yingji.warnings.schemas import AlertDraft

NOW = datetime(2026, 7, 15, 2, 0, 0, tzinfo=UTC)  # 10:00 in Beijing
# A polygon (lon, lat) over the middle of 精河县, closed.
JINGHE_POLYGON = [[82.7, 44.33], [83.15, 44.33], [83.15, 44.93], [82.95, 44.93], [82.7, 44.6], [82.7, 44.33]]


def set_now(value: datetime = NOW) -> None:
    clock.set_clock(lambda: value)


def principal(session: Session, username: str) -> Principal:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, username
    unit = session.get(Unit, user.unit_id)
    assert unit is not None
    return auth.principal_for(user, unit, via="session", request_id=uuid.uuid4().hex)


def unit_id(session: Session, code: str) -> int:
    found = session.scalar(select(Unit.id).where(Unit.code == code))
    assert found is not None, code
    return int(found)


def draft_data(colour: str = "orange", *, areas: list[dict[str, Any]] | None = None, hours: int = 12,
               **extra: Any) -> AlertDraft:
    payload: dict[str, Any] = {
        "colour": colour, "event": "暴雨", "effective_at": NOW, "expires_at": NOW + timedelta(hours=hours),
        "infos": [{"language": "zh-CN", "headline": "精河县暴雨橙色预警", "description": "预计未来12小时精河县有暴雨。",
                   "instruction": "请注意防范山洪和地质灾害。"},
                  {"language": "en", "headline": "Orange rainstorm warning for Jinghe County",
                   "description": "Heavy rain expected within 12 hours."}],
        "areas": areas if areas is not None else [{"kind": "polygon", "points": JINGHE_POLYGON,
                                                   "area_desc": "精河县中部"}],
    }
    payload.update(extra)
    return AlertDraft.model_validate(payload)


def audits(session: Session, entity_type: str, action: str | None = None) -> list[AuditEntry]:
    session.expire_all()
    stmt = select(AuditEntry).where(AuditEntry.entity_type == entity_type)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(session.scalars(stmt.order_by(AuditEntry.id)))

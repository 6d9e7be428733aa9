"""Marked warning rows in 精河县 for the route walker (tests/core/test_scope_routes.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from tests.scope_checker import MARKER
from yingji import clock
from yingji.core.models import Unit, User
from yingji.warnings.models import Alert, AlertArea, AlertInfo, AlertStep, InboundSource


def rows(s: Session, system: Any, as_user: Any, unit: Unit, user: User) -> dict[str, int]:
    """A marked draft warning of a unit in 精河县 (with its text, area and a step) and a marked pull source.

    The draft is not issued, so the public pages must not show it either."""
    now = clock.now()
    alert = Alert(unit_id=unit.id, status="draft", colour="orange", severity="Severe", event=f"{MARKER}-暴雨",
                  effective_at=now, expires_at=now + timedelta(hours=6), drafted_by_id=user.id,
                  sender_name=MARKER, review_note=MARKER)
    alert.infos = [AlertInfo(language="zh-CN", headline=f"{MARKER} 标题", description=MARKER, unit_id=unit.id)]
    alert.areas = [AlertArea(kind="circle", lat=44.6, lon=82.9, radius_km=5, area_desc=MARKER, unit_id=unit.id)]
    s.add(alert)
    s.flush()
    s.add(AlertStep(alert_id=alert.id, unit_id=unit.id, step="drafted", actor_name=MARKER, note=MARKER))
    source = InboundSource(unit_id=unit.id, name=MARKER, url=f"http://127.0.0.1:9/{MARKER}.atom",
                           interval_minutes=10, enabled=False, last_error=MARKER)
    s.add(source)
    s.flush()
    return {"alert_id": alert.id, "source_id": source.id, "info_id": alert.infos[0].id}

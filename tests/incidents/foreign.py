"""Marked incident rows in 精河县 for the route walker (tests/core/test_scope_routes.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.scope_checker import MARKER
from yingji import clock
from yingji.core.models import Unit, User


def rows(s: Session, system: Any, as_user: Any, unit: Unit, user: User) -> dict[str, int]:
    """An event reported by the marked enterprise (first report, a follow-up that raises the level, so a flag),
    its hop at 精河县's desk, and a rule (rules are the prefecture's, not a county's)."""
    from yingji.incidents import defaults, service
    from yingji.incidents.models import Flag, IncidentRule
    from yingji.incidents.schemas import EventCreate, ReportCreate

    defaults.load(s, system)
    done = service.create_event(s, as_user, EventCreate(
        unit_id=unit.id, title=f"{MARKER}-事件", occurred_at=clock.now() - timedelta(minutes=5), category="2",
        subtype="2.1", description=MARKER, reporter_name=MARKER))
    later = service.add_report(s, as_user, done.event.id, ReportCreate(kind="followup", deaths=12,
                                                                       description=MARKER))
    flag = s.scalar(select(Flag).where(Flag.event_id == done.event.id).order_by(Flag.id))
    rule = s.scalar(select(IncidentRule).order_by(IncidentRule.id))
    assert done.hop is not None and flag is not None and rule is not None
    s.flush()
    return {"event_id": done.event.id, "report_id": later.report.id, "hop_id": done.hop.id,
            "incident_flag_id": flag.id, "incident_rule_id": rule.id}

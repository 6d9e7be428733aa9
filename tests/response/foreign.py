"""Marked response rows in 精河县 for the route walker (tests/core/test_scope_routes.py).

Nothing here is published: the public pages must show none of it either."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from tests.scope_checker import MARKER
from yingji.core.models import Unit, User


def rows(s: Session, system: Any, as_user: Any, unit: Unit, user: User) -> dict[str, int]:
    """A marked closed level III event in 精河县 with a timeline item, a public tip merged into it, a draft
    statement, an opinion item and a draft evaluation report."""
    from yingji import clock
    from yingji.incidents import service as incidents
    from yingji.incidents.schemas import EventCreate, ReportCreate
    from yingji.response import evaluation, publicinfo, timeline
    from yingji.response.models import ResponseTip
    from yingji.response.schemas import ActionCreate, EvaluationWrite, OpinionCreate, StatementCreate

    now = clock.now()
    event = incidents.create_event(s, system, EventCreate(
        unit_id=unit.id, title=f"{MARKER}-事件", occurred_at=now - timedelta(hours=5), category="2", subtype="2.1",
        level=3, level_reason=MARKER, description=MARKER, reporter_name=MARKER)).event
    action = timeline.add(s, system, event.id, ActionCreate(kind="team_sent", actor_unit_id=unit.id, text=MARKER,
                                                            name=MARKER, people=3))
    statement = publicinfo.draft(s, system, event.id, StatementCreate(title=MARKER, facts=MARKER))
    opinion = publicinfo.log_opinion(s, system, event.id, OpinionCreate(channel="online", summary=MARKER,
                                                                        assessment="rumour"))
    incidents.add_report(s, system, event.id, ReportCreate(kind="final", description=MARKER, reporter_name=MARKER))
    report = evaluation.write(s, system, event.id, EvaluationWrite(overview=MARKER, response=MARKER))
    tip = ResponseTip(unit_id=unit.id, occurred_at=now - timedelta(hours=4), received_at=now, text=MARKER,
                      place=MARKER, reporter_name=MARKER, client_hash="foreign", status="unverified")
    s.add(tip)
    s.flush()
    return {"action_id": action.id, "tip_id": tip.id, "statement_id": statement.id, "opinion_id": opinion.id,
            "evaluation_id": report.id}

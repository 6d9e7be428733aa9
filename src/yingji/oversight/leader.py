"""The leader's page (领导驾驶舱): one screen — events this month, active warnings, overdue reports and tasks,
compliance at risk, the assessment ranking. Each panel reads another module only when it is there, and
says "no records source yet" otherwise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core.scope import Principal, scoped
from yingji.oversight import annual, common, ledger, stats


@dataclass
class Panel:
    ready: bool = True
    values: dict[str, Any] = field(default_factory=dict)
    rows: list[Any] = field(default_factory=list)


def _guard(fn: Any, *args: Any) -> Panel:
    try:
        return fn(*args)  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        return Panel(ready=False)


def events_this_month(session: Session, principal: Principal) -> Panel:
    today = common.today()
    table = stats.table(session, principal, year=today.year, period="month", period_no=today.month)
    if not table.source:
        return Panel(ready=False)
    return Panel(values={"total": table.total, "previous": table.previous, "prior": table.prior},
                 rows=[(c, table.by_category.get(c, stats.Figures())) for c in stats.CATEGORIES])


def active_warnings(session: Session, principal: Principal) -> Panel:
    alert = common.optional_model("yingji.warnings.models", "Alert")
    if not common.table_ready(session, alert):
        return Panel(ready=False)
    now = clock.now()
    stmt = scoped(select(alert), principal).where(alert.status == "issued", alert.msg_type != "Cancel",
                                                  or_(alert.expires_at.is_(None), alert.expires_at > now))
    rows = list(session.scalars(stmt.order_by(alert.issued_at.desc()).limit(10)))
    return Panel(values={"count": len(rows)}, rows=rows)


def overdue_reports(session: Session, principal: Principal) -> Panel:
    year = common.today().year - 1
    late = [s for s in annual.status_table(session, principal, year) if s.state == "overdue"]
    evaluation = common.optional_model("yingji.response.models", "ResponseEvaluation")
    evaluations: list[Any] = []
    ready = common.table_ready(session, evaluation)
    if ready:
        stmt = scoped(select(evaluation), principal).where(evaluation.status != "submitted",
                                                           evaluation.due_at < clock.now())
        evaluations = list(session.scalars(stmt.order_by(evaluation.due_at).limit(10)))
    return Panel(values={"year": year, "evaluations_ready": ready}, rows=[late, evaluations])


def overdue_tasks(session: Session, principal: Principal) -> Panel:
    stmt = ledger.task_query(principal, status="overdue")
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return Panel(values={"count": count}, rows=list(session.scalars(stmt.limit(10))))


def compliance_at_risk(session: Session, principal: Principal) -> Panel:
    from yingji.preparedness import compliance

    if not common.table_ready(session, common.optional_model("yingji.preparedness.models", "PrepDrill")):
        return Panel(ready=False)
    evaluation = compliance.evaluate(session, principal, on=common.today())
    # Results come failing first, then at risk, then compliant: the first ten hold every bad one shown.
    bad = [r for r in evaluation.results[:10] if r.status != compliance.COMPLIANT]
    return Panel(values=evaluation.counts(), rows=bad)


def rankings(session: Session, principal: Principal) -> Panel:
    from yingji.oversight import assessment

    year = common.today().year - 1
    return Panel(values={"year": year, "finalised": assessment.finalised(session, year) is not None},
                 rows=assessment.ranking(session, principal, year)[:10])


def dashboard(session: Session, principal: Principal) -> dict[str, Panel]:
    return {"events": _guard(events_this_month, session, principal),
            "warnings": _guard(active_warnings, session, principal),
            "reports": _guard(overdue_reports, session, principal),
            "tasks": _guard(overdue_tasks, session, principal),
            "compliance": _guard(compliance_at_risk, session, principal),
            "ranking": _guard(rankings, session, principal)}

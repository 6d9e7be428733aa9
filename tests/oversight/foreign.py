"""Marked oversight rows in 精河县 for the route walker (tests/core/test_scope_routes.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.scope_checker import MARKER
from yingji.core.models import Unit, User


def rows(s: Session, system: Any, as_user: Any, unit: Unit, user: User) -> dict[str, int]:
    """A task (with a milestone and a progress update), 精河县's annual report, a project, a budget line with
    spending, a statistical form, an assessor's score and a countermeasure against a trend finding — every
    one marked."""
    from yingji.oversight import common, defaults
    from yingji.oversight.models import (
        OvAnnualReport,
        OvBudgetLine,
        OvCountermeasure,
        OvIndicator,
        OvMilestone,
        OvProgress,
        OvProject,
        OvScore,
        OvSpending,
        OvStatForm,
        OvTask,
    )

    defaults.load(s, system)
    jinghe = s.scalar(select(Unit).where(Unit.code == "652722"))
    assert jinghe is not None
    today = common.today()
    task = OvTask(unit_id=unit.id, source_kind="meeting", source_ref=MARKER, title=f"{MARKER}-task",
                  owner_person=MARKER, deadline=today + timedelta(days=30))
    s.add(task)
    s.flush()
    milestone = OvMilestone(task_id=task.id, unit_id=unit.id, title=MARKER, due_on=today + timedelta(days=10))
    progress = OvProgress(task_id=task.id, unit_id=unit.id, note=MARKER, percent=10)
    report = OvAnnualReport(unit_id=jinghe.id, year=today.year - 2, summary=MARKER, status="filed",
                            filed_at=common.day_start(date(today.year - 1, 1, 5)), on_time=True)
    project = OvProject(unit_id=unit.id, name=f"{MARKER}-project", budget_fen=100, starts_on=today, ends_on=today)
    line = OvBudgetLine(unit_id=unit.id, year=today.year, kind="drills", planned_fen=1000, note=MARKER)
    form = OvStatForm(unit_id=unit.id, category="2", year=today.year, period="year", period_no=1,
                      rows=[{"level": 4, "count": 1, "deaths": 0, "injured": 0, "missing": 0, "loss": 0}],
                      totals={"count": 1, "deaths": 0, "injured": 0, "missing": 0, "loss": 0},
                      filled_by_name=MARKER)
    s.add_all([milestone, progress, report, project, line, form])
    s.flush()
    s.add(OvSpending(line_id=line.id, unit_id=unit.id, spent_on=today, amount_fen=100, note=MARKER))
    manual = s.scalar(select(OvIndicator).where(OvIndicator.code == "teams.building"))
    assert manual is not None
    score = OvScore(year=today.year - 1, unit_id=jinghe.id, indicator_id=manual.id, percent=50, evidence=MARKER)
    measure = OvCountermeasure(unit_id=unit.id, year=today.year - 1, finding_key=f"{unit.id}:all:count",
                               text=MARKER, owner_unit_id=unit.id, task_id=task.id, author_name=MARKER)
    s.add_all([score, measure])
    s.flush()
    return {"ledger_task_id": task.id, "milestone_id": milestone.id, "progress_id": progress.id,
            "annual_report_id": report.id, "project_id": project.id, "budget_line_id": line.id, "form_id": form.id,
            "score_id": score.id, "ov_unit_id": jinghe.id,
            "countermeasure_id": measure.id}

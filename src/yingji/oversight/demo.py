"""Demo oversight data: the rules and the assessment framework, ledger tasks, last year's annual reports,
planning projects, budget lines with spending, a statistical form, and a year of demo events (closed,
already reported, marked demo) so that the statistics and the assessment have something to count."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit
from yingji.core.models import Unit
from yingji.core.scope import Principal
from yingji.oversight import common, defaults
from yingji.oversight.models import OvAnnualReport, OvBudgetLine, OvProgress, OvProject, OvSpending, OvTask

DEMO_TAG = "（演示）"
SUBTYPES = {"1": ["1.1", "1.2", "1.3", "1.4.2", "1.7"], "2": ["2.1", "2.2", "2.3", "2.4"], "3": ["3.1", "3.3", "3.4"],
            "4": ["4.4", "4.2"]}
TITLES = {"1": "自然灾害", "2": "事故", "3": "公共卫生事件", "4": "社会安全事件"}


def load(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit]) -> None:
    defaults.load(session, principal)
    if session.scalar(select(OvTask.id).where(OvTask.is_demo.is_(True)).limit(1)) is not None:
        return
    today = common.today()
    _tasks(session, principal, root, counties, today)
    _annual(session, principal, counties, today.year - 1)
    _money(session, principal, root, counties, today)
    generate_events(session, root, start=date(today.year - 1, 1, 1), end=today, count=360)


def _add(session: Session, principal: Principal, row: object, entity_type: str) -> None:
    session.add(row)
    session.flush()
    audit.record(session, principal, action="create", entity_type=entity_type, entity_id=row.id,  # type: ignore[attr-defined]
                 unit_id=row.unit_id, after=audit.snapshot(row))  # type: ignore[attr-defined]


def _tasks(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit], today: date) -> None:
    rows = [
        (root, "instruction", "州领导批示（演示）第12号",
         "汛期前完成全州山洪灾害危险区排查" + DEMO_TAG, "州应急办 周科长", today + timedelta(days=20)),
        (counties.get("652701"), "meeting", "州应急委第3次全体会议纪要（演示）",
         "完善博乐市应急物资储备库建设方案" + DEMO_TAG, "博乐市应急办 王主任", today + timedelta(days=2)),
        (counties.get("652722"), "document", "博州政办发〔2017〕64号", "精河县基层应急示范点建设" + DEMO_TAG,
         "精河县应急办 李主任", today - timedelta(days=5)),
        (counties.get("652723"), "instruction", "州领导批示（演示）第15号", "温泉县森林草原防火专项检查" + DEMO_TAG,
         "温泉县应急办 张主任", today + timedelta(days=45)),
    ]
    for unit, kind, ref, title, owner, deadline in rows:
        if unit is None:
            continue
        task = OvTask(unit_id=unit.id, source_kind=kind, source_ref=ref, title=title, owner_person=owner,
                      deadline=deadline, assigned_by_name="州政府分管领导（演示）", is_demo=True)
        _add(session, principal, task, "oversight_task")
        if kind == "meeting":
            progress = OvProgress(task_id=task.id, unit_id=unit.id, note="方案初稿已完成，正在征求意见。（演示）",
                                  percent=60, author_name="demo")
            task.progress = 60
            _add(session, principal, progress, "oversight_progress")


def _annual(session: Session, principal: Principal, counties: dict[str, Unit], year: int) -> None:
    filed = {"652701": (date(year + 1, 1, 8), True), "652723": (date(year + 1, 1, 10), True),
             "652722": (date(year + 1, 1, 12), False)}
    for code, (day, on_time) in filed.items():
        unit = counties.get(code)
        if unit is None:
            continue
        at = common.day_start(day) + timedelta(hours=3)
        summary = (f"{unit.name}{year}年度突发事件应对工作总结评估报告（演示）："
                   "全年未发生较大以上突发事件，各类应急预案按要求修订，开展综合演练两次。")
        report = OvAnnualReport(unit_id=unit.id, year=year, status="filed", filed_at=at, filed_by_name="demo",
                                on_time=on_time, summary=summary)
        _add(session, principal, report, "oversight_annual_report")


def _money(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit], today: date) -> None:
    project = OvProject(unit_id=root.id, name="自治州应急指挥平台升级（演示）", plan_period="十四五",
                        implementation_plan="1. 需求调研\n2. 平台建设\n3. 县市平台接入\n4. 验收",
                        budget_fen=1_200_000_00, spent_fen=450_000_00, progress=40,
                        starts_on=date(today.year - 1, 3, 1), ends_on=date(today.year + 1, 6, 30), status="running",
                        is_demo=True)
    _add(session, principal, project, "oversight_project")
    bole = counties.get("652701")
    if bole is not None:
        shelter = OvProject(unit_id=bole.id, name="博乐市应急避难场所改造（演示）", plan_period="十四五",
                            implementation_plan="改造城区两处公园为Ⅲ类应急避难场所。", budget_fen=300_000_00,
                            starts_on=date(today.year, 4, 1), ends_on=date(today.year, 10, 31), status="planned",
                            is_demo=True)
        _add(session, principal, shelter, "oversight_project")
    plan = {"reserve": 500_000_00, "drills": 80_000_00, "publicity": 30_000_00, "training": 50_000_00}
    for unit in [root, *[counties[c] for c in ("652701", "652722") if c in counties]]:
        for kind, planned in plan.items():
            share = planned if unit is root else planned // 4
            line = OvBudgetLine(unit_id=unit.id, year=today.year, kind=kind, planned_fen=share, note="演示")
            _add(session, principal, line, "oversight_budget_line")
            spent = OvSpending(line_id=line.id, unit_id=unit.id, spent_on=date(today.year, 3, 15),
                               amount_fen=line.planned_fen * 3 // 10, note="演示：上半年支出")
            _add(session, principal, spent, "oversight_spending")


def generate_events(session: Session, root: Unit, *, start: date, end: date, count: int, seed: int = 652700) -> int:
    """Closed, reported demo events spread over [start, end] in the territorial units below ``root``."""
    event = common.optional_model("yingji.incidents.models", "Event")
    if not common.table_ready(session, event):
        return 0
    places = list(session.scalars(select(Unit.id).where(Unit.path.like(root.path + "%"),
                                                        Unit.kind.in_(("township", "village", "county")))))
    if not places or count <= 0:
        return 0
    have = session.scalar(select(func.count()).select_from(event).where(event.is_demo.is_(True),
                                                                        event.title.like("统计演示%")))
    if have:
        return 0
    rng = random.Random(seed)
    span = max((end - start).days, 1)
    rows = []
    for i in range(count):
        category = rng.choices("1234", weights=(35, 40, 15, 10))[0]
        level = rng.choices((4, 3, 2), weights=(90, 9, 1))[0]
        day = start + timedelta(days=rng.randrange(span))
        occurred = common.day_start(day) + timedelta(minutes=rng.randrange(24 * 60))
        deaths = rng.choices((0, 1, 2, 3), weights=(85, 10, 4, 1))[0] if category == "2" else 0
        rows.append({
            "unit_id": rng.choice(places), "title": f"统计演示{TITLES[category]}第{i + 1}起{DEMO_TAG}",
            "category": category, "subtype": rng.choice(SUBTYPES[category]), "level": level, "status": "closed",
            "occurred_at": occurred, "closed_at": occurred + timedelta(days=1), "known_from": "report",
            "known_at": occurred + timedelta(minutes=10), "first_report_at": occurred + timedelta(minutes=30),
            "report_count": 1, "deaths": deaths, "injured": rng.choices((0, 1, 2, 5), weights=(70, 15, 10, 5))[0],
            "missing": 1 if rng.random() < 0.02 else 0, "direct_loss": rng.randrange(0, 500_000),
            "is_demo": True, "created_at": clock.now(), "updated_at": clock.now()})
    session.execute(event.__table__.insert(), rows)
    return len(rows)

"""Demo preparedness data: plans across the tree (some unfiled, one overdue for evaluation), this year's and
last year's drills — 温泉县 has held one comprehensive drill of two, its first middle school none —, the
prefecture's linkage table, training, a publicity plan, experts and demonstration sites."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core.models import Unit
from yingji.core.scope import Principal
from yingji.preparedness import defaults, drills, experts, plans, sites, training
from yingji.preparedness.models import PrepPlan, PrepSiteItem
from yingji.preparedness.schemas import (
    DrillCreate,
    ExpertCreate,
    FilingCreate,
    FilingDecision,
    ImprovementCreate,
    LinkageCreate,
    LinkageMemberCreate,
    PlanCreate,
    PublicityCreate,
    SiteAccredit,
    SiteAssessment,
    SiteCreate,
    SiteItemUpdate,
    TrainingCreate,
)


def _unit(session: Session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.code == code))


def _plan(session: Session, principal: Principal, unit: Unit | None, title: str, plan_type: str, issued: date,
          events: list[str], parent: PrepPlan | None = None, evaluated: date | None = None) -> PrepPlan | None:
    if unit is None:
        return None
    plan = plans.create_plan(session, principal, PlanCreate(
        unit_id=unit.id, title=title, plan_type=plan_type, event_types=events, issued_on=issued, status="in_force",
        parent_id=parent.id if parent else None, last_evaluated_on=evaluated or issued, note="演示 (demo)"))
    plan.is_demo = True
    return plan


def _file(session: Session, principal: Principal, plan: PrepPlan | None, office: Unit, filed: date,
          accept: bool = True, reasons: str = "") -> None:
    if plan is None:
        return
    filing = plans.file_plan(session, principal, plan.id, FilingCreate(office_id=office.id, filed_on=filed))
    plans.decide_filing(session, principal, filing.id, FilingDecision(accept=accept, reasons=reasons))


def _drill(session: Session, principal: Principal, unit: Unit | None, on: date, title: str,
           plan: PrepPlan | None = None, scope: str = "comprehensive", form: str = "functional") -> Any:
    if unit is None or on > clock.now().date():
        return None
    drill = drills.create_drill(session, principal, DrillCreate(
        unit_id=unit.id, title=title, held_on=on, scope=scope, form=form, participants=60,
        scenario="演示情景 (demo scenario)", evaluation="演示评估 (demo evaluation)",
        plan_ids=[plan.id] if plan is not None and plan.status == "in_force" else []))
    drill.is_demo = True
    return drill


def load(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit]) -> None:
    defaults.load(session, principal)
    if session.scalar(select(PrepPlan.id).where(PrepPlan.is_demo.is_(True)).limit(1)) is not None:
        return
    today = clock.now().date()
    year = today.year
    bole, alsk, jinghe, wenquan = (counties[c] for c in ("652701", "652702", "652722", "652723"))
    master = _plan(session, principal, root, "博尔塔拉蒙古自治州突发事件总体应急预案", "overall", date(year - 3, 6, 1),
                   ["all"], evaluated=date(year - 1, 6, 1))
    county_plans = {code: _plan(session, principal, c, f"{c.name}突发事件总体应急预案", "overall",
                                date(year - 2, 3, 1), ["all"], parent=master) for code, c in counties.items()}
    quake = _plan(session, principal, wenquan, "温泉县地震应急预案", "special", date(year - 2, 5, 1), ["earthquake"],
                  parent=county_plans["652723"])
    flood = _plan(session, principal, bole, "博乐市防汛抗旱应急预案", "special", date(year - 1, 4, 1),
                  ["flood_drought"], parent=county_plans["652701"])
    _plan(session, principal, jinghe, "精河县危险化学品事故应急预案", "special", date(year - 5, 4, 1),
          ["work_safety"], parent=county_plans["652722"])  # evaluated 5 years ago: overdue
    bureau = _plan(session, principal, _unit(session, "652701-D01"), "博乐市应急管理局部门应急预案", "department",
                   date(year - 1, 2, 1), ["all"], parent=county_plans["652701"])
    for code in ("652701-S01", "652702-S01", "652722-S01", "652723-S01"):
        school = _unit(session, code)
        _plan(session, principal, school, f"{school.name}应急预案" if school else "", "unit", date(year - 1, 9, 1),
              ["all"])
    _plan(session, principal, _unit(session, "652701100-E01"), "小营盘建材厂生产安全事故应急预案", "unit",
          date(year - 1, 3, 1), ["work_safety"])
    _plan(session, principal, _unit(session, "652701100-V01"), "小营盘镇演示村1应急预案", "grassroots",
          date(year - 1, 3, 1), ["all"])
    for code, plan in county_plans.items():
        if code != "652723":
            _file(session, principal, plan, root, date(year - 2, 3, 15))
    _file(session, principal, flood, root, date(year - 1, 4, 10), accept=False,
          reasons="未明确与州级预案的衔接 (linkage with the prefecture plan not stated)")
    _drills(session, principal, root, counties, county_plans, quake, flood, bureau, year)
    _linkage(session, principal, root)
    _training(session, principal, root, counties, year, today)
    _experts(session, principal, root)
    _sites(session, principal, counties, year)


def _drills(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit],
            county_plans: dict[str, PrepPlan | None], quake: PrepPlan | None, flood: PrepPlan | None,
            bureau: PrepPlan | None, year: int) -> None:
    for y in (year - 1, year):
        _drill(session, principal, root, date(y, 3, 20), f"{y}年全州地震综合应急演练")
        _drill(session, principal, root, date(y, 6, 12), f"{y}年全州防汛综合应急演练")
        for code in ("652701", "652702", "652722"):
            county = counties[code]
            _drill(session, principal, county, date(y, 4, 10), f"{y}年{county.name}综合应急演练（一）",
                   county_plans[code])
            _drill(session, principal, county, date(y, 8, 20), f"{y}年{county.name}综合应急演练（二）",
                   county_plans[code])
        # 温泉县 holds one comprehensive drill a year; its earthquake plan is drilled once.
        _drill(session, principal, counties["652723"], date(y, 4, 15), f"{y}年温泉县综合应急演练",
               county_plans["652723"])
        _drill(session, principal, counties["652723"], date(y, 5, 12), f"{y}年温泉县地震专项演练", quake,
               scope="special", form="tabletop")
        _drill(session, principal, counties["652701"], date(y, 5, 20), f"{y}年博乐市防汛专项演练", flood,
               scope="special", form="full_scale")
        _drill(session, principal, _unit(session, "652701-D01"), date(y, 6, 5), f"{y}年博乐市应急管理局桌面推演",
               bureau, scope="special", form="tabletop")
        for code, months in (("652701-S01", (3, 9)), ("652702-S01", (4,)), ("652722-S01", (5, 10))):
            for month in months:
                _drill(session, principal, _unit(session, code), date(y, month, 8), f"{y}年校园疏散演练（{month}月）",
                       form="full_scale")
        _drill(session, principal, _unit(session, "652701100"), date(y, 5, 28), f"{y}年小营盘镇综合应急演练")
        _drill(session, principal, _unit(session, "652701100-E01"), date(y, 7, 1), f"{y}年小营盘建材厂综合演练")
    drill = session.scalar(select(drills.PrepDrill).where(drills.PrepDrill.unit_id == counties["652723"].id)
                           .order_by(drills.PrepDrill.held_on.desc()).limit(1))
    if drill is not None:
        drills.add_item(session, principal, drill.id, ImprovementCreate(
            text="乡镇间通信联络不畅，需配备卫星电话 (township links failed: satellite phones needed)",
            owner="温泉县应急管理局"))


def _linkage(session: Session, principal: Principal, root: Unit) -> None:
    names = {u.name: u for u in session.scalars(select(Unit).where(Unit.code.like("652700-D%")))}
    rows = [("earthquake", "州应急管理局", "组织协调地震应急处置 (coordinates the earthquake response)",
             [("州公安局", "cooperating", "治安维护、交通管制"), ("州卫生健康委员会", "cooperating", "医疗救治"),
              ("州民政局", "participating", "受灾群众生活救助")]),
            ("flood_drought", "州水利局", "水情监测、防汛调度 (river monitoring and flood control)",
             [("州气象局", "cooperating", "暴雨预警"), ("州应急管理局", "cooperating", "抢险救援协调"),
              ("州交通运输局", "participating", "道路抢通")]),
            ("geological", "州自然资源局", "地质灾害监测预警 (geological monitoring and warning)",
             [("州气象局", "cooperating", "气象风险预警"), ("州交通运输局", "participating", "山区道路管控")])]
    for event, lead, duties, members in rows:
        if lead not in names:
            continue
        row = plans.create_linkage(session, principal, LinkageCreate(unit_id=root.id, event_type=event,
                                                                     lead_unit_id=names[lead].id, lead_duties=duties))
        for name, role, what in members:
            if name in names:
                plans.add_linkage_member(session, principal, row.id, LinkageMemberCreate(
                    member_unit_id=names[name].id, role=role, duties=what))


def _training(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit], year: int,
              today: date) -> None:
    sessions = [(root, "全州应急管理干部培训班", "civil_servants", 16, 80, 3),
                (counties["652701"], "博乐市基层应急专干培训", "grassroots", 8, 45, 4),
                (counties["652722"], "精河县危化企业安全员培训", "industry", 12, 60, 5),
                (counties["652723"], "温泉县中小学应急疏散培训", "school", 4, 300, 3)]
    for unit, title, audience, hours, people, month in sessions:
        on = date(year, month, 18)
        if on <= today:
            training.create_training(session, principal, TrainingCreate(
                unit_id=unit.id, title=f"{year}年{title}", held_on=on, audience=audience, hours=hours,
                attendees=people))
    for month, title in ((5, "防灾减灾日宣传周"), (6, "安全生产月"), (10, "应急知识进社区"), (11, "消防宣传月")):
        row = training.create_publicity(session, principal, PublicityCreate(unit_id=root.id, year=year, title=title,
                                                                            planned_month=month))
        if date(year, month, 12) <= today and month != 10:
            row.done_on = date(year, month, 12)


def _experts(session: Session, principal: Principal, root: Unit) -> None:
    for name, field, employer in (("地震专家（演示）", "earthquake", "州地震局"),
                                  ("地质专家（演示）", "geology", "州自然资源局"),
                                  ("危化专家（演示）", "hazardous_chemicals", "精河园区石化公司"),
                                  ("医疗救援专家（演示）", "medical", "州人民医院"),
                                  ("气象专家（演示）", "natural_disaster", "州气象局")):
        row = experts.create(session, principal, ExpertCreate(unit_id=root.id, name=name, field=field,
                                                              employer=employer, phone="0909-1234567"))
        row.is_demo = True


def _sites(session: Session, principal: Principal, counties: dict[str, Unit], year: int) -> None:
    rows = [("652701100-V01", "小营盘镇演示村1应急示范点", "village", year - 2),
            ("652701100-V02", "小营盘镇演示村2应急示范点", "village", year - 1),
            ("652701-S01", "博乐市第一中学应急示范校", "school", year - 2),
            ("652701100-E01", "小营盘建材厂应急示范企业", "enterprise", year),
            ("652722100-V01", "精河镇演示村1应急示范点", "village", year - 1),
            ("652723100-V01", "博格达尔镇演示村1应急示范点", "village", year - 2),
            ("652723-S01", "温泉县第一中学示范校（创建中）", "school", None)]
    for code, name, category, accredited in rows:
        unit = _unit(session, code)
        if unit is None:
            continue
        site = sites.create(session, principal, SiteCreate(unit_id=unit.id, name=name, category=category))
        site.is_demo = True
        if accredited is None:
            continue
        evidence = _evidence(session, principal, unit)
        for item in list(session.scalars(select(PrepSiteItem).where(PrepSiteItem.site_id == site.id))):
            sites.update_item(session, principal, item.id, SiteItemUpdate(
                done=True, evidence_id=evidence, evidence_note="演示材料 (demo records)"))
        sites.assess(session, principal, site.id, SiteAssessment(scores={
            "training": 4, "hazards": 4, "warning": 3, "first_response": 4, "assist": 3, "recovery": 3}))
        sites.accredit(session, principal, site.id, SiteAccredit(accredited_year=accredited))
    session.flush()


DEMO_PDF = b"%PDF-1.4\n% yingji demo evidence\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _evidence(session: Session, principal: Principal, unit: Unit) -> int:
    import io

    from yingji import runtime
    from yingji.core import attachments

    row = attachments.store(session, principal, runtime.settings(), stream=io.BytesIO(DEMO_PDF),
                            filename="demo-evidence.pdf", unit_id=unit.id, entity_type="prep_site_item")
    return row.id

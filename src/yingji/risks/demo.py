"""Demo rows of the risks module: the chemical plant of 五台工业园区 as a major hazard source with its gas
sensor and a day of readings, its plan in force and team (through the preparedness and resources services,
when present) but no drill this year; checklists; a risk assessment of 博乐市; grids in two demo villages."""

from __future__ import annotations

import io
import logging
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock, runtime
from yingji.core import attachments
from yingji.core import service as core_service
from yingji.core.models import Person, Unit, User
from yingji.core.schemas import PersonCreate
from yingji.core.scope import Principal
from yingji.risks import assessments, grids, hazards, inspections, sensors
from yingji.risks.models import Hazard
from yingji.risks.schemas import (
    AssessmentCreate,
    ChecklistCreate,
    GridCreate,
    HazardCreate,
    OutlineSet,
    PatrolCreate,
    Reading,
    RiskItemCreate,
    SensorCreate,
    TrackPoint,
)

log = logging.getLogger(__name__)
PLANT = "652700-Z02-E01"
PLANT_HAZARD = "五台化工有限公司液氯储罐区（演示）"
PLANT_LON, PLANT_LAT = 82.215, 44.838


def _unit(session: Session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.code == code))


def load(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit]) -> None:
    plant = _unit(session, PLANT)
    if plant is None or session.scalar(select(Hazard.id).where(Hazard.name == PLANT_HAZARD)) is not None:
        return
    hazard = hazards.create(session, principal, HazardCreate(
        unit_id=plant.id, name=PLANT_HAZARD, kind="major_hazard", category="hazardous_chemicals", level="2",
        address="五台工业园区化工路（演示）", lon=PLANT_LON, lat=PLANT_LAT,
        description="液氯储罐3台，构成二级重大危险源（演示数据）"))
    hazard.is_demo = True
    _plant_records(session, principal, plant, hazard)
    _checklists(session, principal, root)
    _sensor(session, principal, plant, hazard)
    _assessment(session, principal, counties["652701"])
    _grids(session, principal)


def _plant_records(session: Session, principal: Principal, plant: Unit, hazard: Hazard) -> None:
    """People and rules of the plant; its plan in force and its team through the modules that keep them."""
    if session.scalar(select(Person.id).where(Person.unit_id == plant.id, Person.duty == "responsible")) is None:
        core_service.create_person(session, principal, PersonCreate(
            unit_id=plant.id, name="五台化工安全负责人（演示）", position="安全总监", phone="0909-0000000",
            duty="responsible"))
    try:
        attachments.store(session, principal, runtime.settings(), stream=io.BytesIO(
            b"%PDF-1.4\n% demo: safety management rules of the chlorine tank farm\n%%EOF\n"),
            filename="液氯储罐区安全管理制度（演示）.pdf", unit_id=plant.id, entity_type=hazards.RULES_ENTITY,
            entity_id=str(hazard.id))
    except OSError:  # no writable attachments directory: the rules item stays missing
        log.warning("demo rules document not stored")
    _other_module(session, lambda: _plan(session, principal, plant))
    _other_module(session, lambda: _team(session, principal, plant))


def _other_module(session: Session, make: Any) -> None:
    try:
        with session.begin_nested():
            make()
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        log.warning("demo record of another module skipped: %s", exc)


def _plan(session: Session, principal: Principal, plant: Unit) -> None:
    from yingji.preparedness import plans
    from yingji.preparedness.schemas import PlanCreate

    plans.create_plan(session, principal, PlanCreate(
        unit_id=plant.id, title="五台化工有限公司危险化学品事故应急预案（演示）", plan_type="unit",
        event_types=["work_safety"], issued_on=date(clock.now().year - 1, 3, 1), status="in_force"))


def _team(session: Session, principal: Principal, plant: Unit) -> None:
    from yingji.resources import teams
    from yingji.resources.schemas import TeamCreate

    teams.create_team(session, principal, TeamCreate(
        unit_id=plant.id, name="五台化工有限公司专职消防队（演示）", kind="enterprise",
        capabilities=["hazmat", "fire"], members=12, contact_name="队长（演示）", lon=PLANT_LON, lat=PLANT_LAT))


def _checklists(session: Session, principal: Principal, root: Unit) -> None:
    inspections.create_checklist(session, principal, ChecklistCreate(
        unit_id=root.id, name="危险化学品企业安全检查表（演示）", purpose="inspection",
        items=["安全管理制度健全", "重大危险源监测监控正常", "应急预案在有效期内", "特种作业人员持证上岗",
               "消防设施完好"]))
    inspections.create_checklist(session, principal, ChecklistCreate(
        unit_id=root.id, name="网格员巡查标准流程（演示）", purpose="patrol",
        items=["查看地质灾害隐患点", "检查消防通道畅通", "走访独居老人", "核实人员底数"]))


def _sensor(session: Session, principal: Principal, plant: Unit, hazard: Hazard) -> None:
    # Alarm levels after GB/T 50493-2019 (可燃气体检测报警): first alarm ≤ 25 %LEL, second ≤ 50 %LEL.
    sensor = sensors.create(session, principal, SensorCreate(
        unit_id=plant.id, hazard_id=hazard.id, name="储罐区可燃气体探测器GT-01（演示）", kind="gas",
        blue=10, yellow=20, orange=25, red=50, lon=PLANT_LON, lat=PLANT_LAT))
    sensor.is_demo = True
    start = clock.now().replace(second=0, microsecond=0) - timedelta(hours=24)
    readings = [Reading(at=start + timedelta(minutes=5 * i), value=round(3 + (i % 12) * 0.25, 2))
                for i in range(288)]
    sensors.ingest(session, sensor, readings)


def _assessment(session: Session, principal: Principal, county: Unit) -> None:
    row = assessments.create(session, principal, AssessmentCreate(
        unit_id=county.id, title="博乐市公共安全风险评估（演示）", year=clock.now().year))
    for name, category, lk, cq, lon, lat in (
            ("博尔塔拉河汛期洪水", 1, 3, 4, 82.05, 44.89), ("城区燃气管网泄漏", 2, 2, 5, 82.07, 44.90),
            ("冬季雪灾道路结冰", 1, 4, 3, 82.10, 44.86), ("人员密集场所踩踏", 4, 2, 3, 82.08, 44.91),
            ("小营盘镇地质灾害（滑坡）", 1, 4, 5, 81.95, 44.98)):
        assessments.add_item(session, principal, row.id, RiskItemCreate(
            name=f"{name}（演示）", category=category, likelihood=lk, consequence=cq, lon=lon, lat=lat,
            measures="落实监测预警和巡查责任（演示）", responsible=f"{county.name}应急管理局"))


SQUARE = 0.02


def _square(lon: float, lat: float, size: float) -> list[list[float]]:
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size]]


def _grids(session: Session, principal: Principal) -> None:
    officer = session.scalar(select(User).where(User.username == "village"))
    checklist = next(iter(inspections.visible_checklists(session, principal, "patrol")), None)
    for n, code in enumerate(("652701100-V01", "652701100-V02")):
        village = _unit(session, code)
        if village is None:
            continue
        lon, lat = 81.90 + n * 0.05, 44.95
        grids.set_outline(session, principal, village.id, OutlineSet(polygon=_square(lon, lat, 2 * SQUARE)))
        for k in range(2):
            grid = grids.create_grid(session, principal, GridCreate(
                unit_id=village.id, name=f"{village.name}第{k + 1}网格", polygon=_square(lon + k * SQUARE, lat, SQUARE),
                officer_id=officer.id if officer is not None and village.id == officer.unit_id else None,
                officer_name="" if officer is not None and village.id == officer.unit_id else f"网格员{n}{k}（演示）",
                checklist_id=checklist.id if checklist else None))
            grid.is_demo = True
            if n == 0 and k == 0:  # one grid patrolled yesterday; the others are due
                end = clock.now() - timedelta(days=1)
                grids.record_patrol(session, principal, grid.id, PatrolCreate(
                    started_at=end - timedelta(hours=1), ended_at=end,
                    track=[TrackPoint(lon=lon + 0.002, lat=lat + 0.002), TrackPoint(lon=lon + 0.015, lat=lat + 0.01)],
                    note="巡查正常（演示）"))

"""Shared set-up for the preparedness tests: a fresh test county with units of every kind below it, a fixed
clock, and short ways to add plans and drills through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import service as core_service
from yingji.core.models import Person, Unit
from yingji.core.schemas import UnitCreate
from yingji.core.scope import Principal, system_principal
from yingji.preparedness import compliance, drills, plans
from yingji.preparedness import service as prep_service
from yingji.preparedness.schemas import DrillCreate, PlanCreate

SYSTEM = system_principal("tests")


def set_today(day: date) -> None:
    moment = datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)  # noon in Beijing
    clock.set_clock(lambda: moment)


@dataclass
class Tree:
    county: Unit
    units: dict[str, Unit]


def tree(session: Session) -> Tree:
    """A test county (kind county, under the prefecture) with one unit of each kind below it."""
    root = session.scalar(select(Unit).where(Unit.code == "652700"))
    assert root is not None
    county = core_service.create_unit(session, SYSTEM, UnitCreate(code="T-C", name="测试县", kind="county",
                                                                  parent_id=root.id))
    township = core_service.create_unit(session, SYSTEM, UnitCreate(code="T-T", name="测试镇", kind="township",
                                                                    parent_id=county.id))
    units: dict[str, Unit] = {"county": county, "township": township}
    units["village"] = core_service.create_unit(session, SYSTEM, UnitCreate(code="T-V", name="测试村", kind="village",
                                                                            parent_id=township.id))
    for kind in ("department", "enterprise", "school", "kindergarten", "college", "hospital", "crowded_place"):
        units[kind] = core_service.create_unit(session, SYSTEM, UnitCreate(
            code=f"T-{kind}", name=f"测试{kind}", kind=kind, parent_id=county.id))
    session.flush()
    return Tree(county=county, units=units)


def plan(session: Session, unit: Unit, *, plan_type: str = "overall", issued: date = date(2025, 1, 6),
         status: str = "in_force", evaluated: date | None = None, title: str = "测试预案") -> Any:
    return plans.create_plan(session, SYSTEM, PlanCreate(unit_id=unit.id, title=title, plan_type=plan_type,
                                                         issued_on=issued, status=status,
                                                         last_evaluated_on=evaluated))


def drill(session: Session, unit: Unit, held: date, *, scope: str = "comprehensive", plan_ids: list[int] | None = None,
          principal: Principal = SYSTEM) -> Any:
    return drills.create_drill(session, principal, DrillCreate(unit_id=unit.id, title=f"演练 {held}", held_on=held,
                                                               scope=scope, plan_ids=plan_ids or []))


def staff(session: Session, unit: Unit, n: int) -> None:
    for i in range(n):
        session.add(Person(unit_id=unit.id, name=f"专职{i}", full_time_emergency=True))
    session.flush()


def status(session: Session, unit: Unit, rule: str, on: date, year: int | None = None,
           principal: Principal = SYSTEM) -> str | None:
    """The unit's status under the rule on the day (None when the rule does not apply)."""
    found = compliance.evaluate(session, principal, on=on, year=year, unit_id=unit.id, rule_codes=(rule,))
    assert len(found.results) <= 1
    return found.results[0].status if found.results else None


def result(session: Session, unit: Unit, rule: str, on: date, year: int | None = None) -> compliance.Result:
    found = compliance.evaluate(session, SYSTEM, on=on, year=year, unit_id=unit.id, rule_codes=(rule,))
    assert len(found.results) == 1
    return found.results[0]


_ = prep_service  # importing it registers the measures

"""Drills (演练): linked to the plans they exercise, with evaluation, photos and improvement items tracked
to closure."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.models import Unit
from yingji.core.schemas import Page
from yingji.core.scope import Principal, get_scoped, in_subtree, recheck, scoped, unit_in_scope
from yingji.core.service import paginate
from yingji.db import lock_for_change
from yingji.errors import Conflict, UserError
from yingji.preparedness.models import PrepDrill, PrepDrillPlan, PrepImprovement, PrepPlan
from yingji.preparedness.schemas import DrillCreate, DrillRead, ImprovementClose, ImprovementCreate


def get_drill(session: Session, principal: Principal, drill_id: int, action: str = roles.READ) -> PrepDrill:
    return get_scoped(session, principal, PrepDrill, drill_id, action)


def list_drills(session: Session, principal: Principal, *, q: str = "", scope: str = "", within: int | None = None,
                start: date | None = None, end: date | None = None, page: int = 1, per_page: int = 50) -> Page[Any]:
    stmt = scoped(select(PrepDrill), principal).order_by(PrepDrill.held_on.desc(), PrepDrill.id.desc())
    if q:
        stmt = stmt.where(PrepDrill.title.contains(q, autoescape=True))
    if scope:
        stmt = stmt.where(PrepDrill.scope == scope)
    if start is not None:
        stmt = stmt.where(PrepDrill.held_on >= start)
    if end is not None:
        stmt = stmt.where(PrepDrill.held_on <= end)
    if within is not None:
        area = unit_in_scope(session, principal, within)
        stmt = stmt.where(PrepDrill.unit_id.in_(select(Unit.id).where(in_subtree(Unit.path, area.path))))
    return paginate(session, stmt, DrillRead, page=page, per_page=per_page)


def create_drill(session: Session, principal: Principal, data: DrillCreate) -> PrepDrill:
    """Refused: a date in the future, a plan that is superseded (or not in force), another area's plan."""
    unit = unit_in_scope(session, principal, data.unit_id, roles.WRITE)
    if data.held_on > clock.now().date():
        raise UserError("A drill cannot be recorded before it is held: the date lies in the future.",
                        field="held_on")
    plans = [get_scoped(session, principal, PrepPlan, pid) for pid in dict.fromkeys(data.plan_ids)]
    for plan in plans:
        if plan.status == "superseded":
            raise Conflict("This plan has been superseded; link the drill to the version in force.",
                           field="plan_ids")
        if plan.status == "draft":
            raise Conflict("A drill exercises a plan in force, not a draft.", field="plan_ids")
        owner = session.get(Unit, plan.unit_id)
        assert owner is not None
        if not (unit.path.startswith(owner.path) or owner.path.startswith(unit.path)):
            raise UserError("The plan belongs to another part of the tree.", field="plan_ids")
    drill = PrepDrill(**data.model_dump(exclude={"plan_ids"}))
    session.add(drill)
    recheck(session, principal, drill)
    for plan in plans:
        session.add(PrepDrillPlan(drill_id=drill.id, plan_id=plan.id, unit_id=drill.unit_id))
    session.flush()
    audit.record(session, principal, action="create", entity_type="prep_drill", entity_id=drill.id,
                 unit_id=drill.unit_id, after=audit.snapshot(drill) | {"plan_ids": [p.id for p in plans]})
    return drill


def drill_plans(session: Session, principal: Principal, drill_id: int) -> list[PrepPlan]:
    get_drill(session, principal, drill_id)
    return list(session.scalars(scoped(select(PrepPlan), principal)
                                .join(PrepDrillPlan, PrepDrillPlan.plan_id == PrepPlan.id)
                                .where(PrepDrillPlan.drill_id == drill_id).order_by(PrepPlan.id)))


def plan_drills(session: Session, principal: Principal, plan_id: int) -> list[PrepDrill]:
    return list(session.scalars(scoped(select(PrepDrill), principal)
                                .join(PrepDrillPlan, PrepDrillPlan.drill_id == PrepDrill.id)
                                .where(PrepDrillPlan.plan_id == plan_id).order_by(PrepDrill.held_on.desc())))


# --- improvement items ---------------------------------------------------------------------------

def add_item(session: Session, principal: Principal, drill_id: int, data: ImprovementCreate) -> PrepImprovement:
    drill = get_drill(session, principal, drill_id, roles.WRITE)
    if data.due_on is not None and data.due_on < drill.held_on:
        raise UserError("The item cannot be due before the drill.", field="due_on")
    item = PrepImprovement(drill_id=drill.id, unit_id=drill.unit_id, **data.model_dump())
    session.add(item)
    recheck(session, principal, item)
    audit.record(session, principal, action="create", entity_type="prep_improvement", entity_id=item.id,
                 unit_id=item.unit_id, after=audit.snapshot(item))
    return item


def get_item(session: Session, principal: Principal, item_id: int, action: str = roles.READ) -> PrepImprovement:
    return get_scoped(session, principal, PrepImprovement, item_id, action)


def close_item(session: Session, principal: Principal, item_id: int, data: ImprovementClose) -> PrepImprovement:
    item = get_item(session, principal, item_id, roles.WRITE)
    lock_for_change(session, item)
    if item.closed_at is not None:
        raise Conflict("This item is closed already.")
    before = audit.snapshot(item)
    item.closed_at, item.closing_note = clock.now(), data.note
    session.flush()
    audit.record(session, principal, action="close", entity_type="prep_improvement", entity_id=item.id,
                 unit_id=item.unit_id, before=before, after=audit.snapshot(item))
    return item


def items(session: Session, principal: Principal, *, drill_id: int | None = None, open_only: bool = False,
          limit: int = 500) -> list[PrepImprovement]:
    stmt = scoped(select(PrepImprovement), principal).order_by(PrepImprovement.due_on, PrepImprovement.id)
    if drill_id is not None:
        stmt = stmt.where(PrepImprovement.drill_id == drill_id)
    if open_only:
        stmt = stmt.where(PrepImprovement.closed_at.is_(None))
    return list(session.scalars(stmt.limit(limit)))

"""Planning projects (R4.1) with implementation plan, budget and progress; funding (R5.2): the emergency
reserve fund and the budget lines for drills, publicity, training and equipment, spent against planned.
Money is integer fen throughout (entered as yuan with at most two decimals, converted exactly)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yingji.core import audit, roles
from yingji.core.schemas import Page
from yingji.core.scope import Principal, get_scoped, recheck, scoped, unit_in_scope
from yingji.core.service import paginate
from yingji.errors import Conflict, UserError
from yingji.i18n import N_
from yingji.oversight.models import OvBudgetLine, OvProject, OvSpending
from yingji.oversight.schemas import (
    BudgetLineCreate,
    BudgetLineRead,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
    SpendingCreate,
    yuan_to_fen,
)

BUDGET_LABELS = {"reserve": N_("emergency reserve fund"), "drills": N_("drills"), "publicity": N_("publicity"),
                 "training": N_("training"), "equipment": N_("equipment")}
PROJECT_LABELS = {"planned": N_("planned"), "running": N_("under way"), "done": N_("completed")}


# --- projects ------------------------------------------------------------------------------

def project_query(principal: Principal, *, q: str = "", status: str = "", unit_id: int | None = None) -> Any:
    stmt = scoped(select(OvProject), principal)
    if q:
        stmt = stmt.where(or_(OvProject.name.ilike(f"%{q}%"), OvProject.plan_period.ilike(f"%{q}%")))
    if status:
        stmt = stmt.where(OvProject.status == status)
    if unit_id is not None:
        stmt = stmt.where(OvProject.unit_id == unit_id)
    return stmt.order_by(OvProject.ends_on, OvProject.id)


def list_projects(session: Session, principal: Principal, *, page: int = 1, per_page: int = 50,
                  **filters: Any) -> Page[Any]:
    return paginate(session, project_query(principal, **filters), ProjectRead, page=page, per_page=per_page)


def get_project(session: Session, principal: Principal, project_id: int, action: str = roles.READ) -> OvProject:
    return get_scoped(session, principal, OvProject, project_id, action)


def create_project(session: Session, principal: Principal, data: ProjectCreate) -> OvProject:
    unit_in_scope(session, principal, data.unit_id, roles.WRITE)
    row = OvProject(unit_id=data.unit_id, name=data.name, plan_period=data.plan_period,
                    implementation_plan=data.implementation_plan, budget_fen=yuan_to_fen(data.budget_yuan),
                    starts_on=data.starts_on, ends_on=data.ends_on)
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="create", entity_type="oversight_project", entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))
    return row


def update_project(session: Session, principal: Principal, project_id: int, data: ProjectUpdate) -> OvProject:
    row = get_project(session, principal, project_id, roles.WRITE)
    spent = yuan_to_fen(data.spent_yuan)
    if data.status == "done" and data.progress < 100:
        raise UserError("A completed project is at 100 per cent.", field="progress")
    before = audit.snapshot(row)
    row.progress, row.spent_fen, row.status = data.progress, spent, data.status
    audit.record(session, principal, action="update", entity_type="oversight_project", entity_id=row.id,
                 unit_id=row.unit_id, before=before, after=audit.snapshot(row))
    return row


# --- budget lines and spending ----------------------------------------------------------------

def _spent_by_line() -> Any:
    return (select(OvSpending.line_id, func.coalesce(func.sum(OvSpending.amount_fen), 0).label("spent"))
            .group_by(OvSpending.line_id).subquery())


def budget_rows(session: Session, principal: Principal, *, year: int | None = None, kind: str = "",
                unit_id: int | None = None, page: int = 1, per_page: int = 50) -> Page[BudgetLineRead]:
    from yingji.core.models import Unit

    spent = _spent_by_line()
    stmt = scoped(select(OvBudgetLine, Unit.name, func.coalesce(spent.c.spent, 0)), principal, model=OvBudgetLine)
    stmt = stmt.join(Unit, Unit.id == OvBudgetLine.unit_id).outerjoin(spent, spent.c.line_id == OvBudgetLine.id)
    if year is not None:
        stmt = stmt.where(OvBudgetLine.year == year)
    if kind:
        stmt = stmt.where(OvBudgetLine.kind == kind)
    if unit_id is not None:
        stmt = stmt.where(OvBudgetLine.unit_id == unit_id)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.order_by(OvBudgetLine.year.desc(), Unit.code, OvBudgetLine.kind)
                           .limit(per_page).offset((page - 1) * per_page)).all()
    items = [BudgetLineRead(id=line.id, unit_id=line.unit_id, unit_name=name, year=line.year, kind=line.kind,
                            planned_fen=line.planned_fen, spent_fen=int(used)) for line, name, used in rows]
    return Page(items=items, total=total, page=page, per_page=per_page)


def get_line(session: Session, principal: Principal, line_id: int, action: str = roles.READ) -> OvBudgetLine:
    return get_scoped(session, principal, OvBudgetLine, line_id, action)


def create_line(session: Session, principal: Principal, data: BudgetLineCreate) -> OvBudgetLine:
    unit_in_scope(session, principal, data.unit_id, roles.WRITE)
    exists = session.scalar(select(OvBudgetLine.id).where(OvBudgetLine.unit_id == data.unit_id,
                                                          OvBudgetLine.year == data.year,
                                                          OvBudgetLine.kind == data.kind))
    if exists is not None:
        raise Conflict("This unit already has that budget line for the year.")
    row = OvBudgetLine(unit_id=data.unit_id, year=data.year, kind=data.kind,
                       planned_fen=yuan_to_fen(data.planned_yuan), note=data.note)
    session.add(row)
    try:
        recheck(session, principal, row)
    except IntegrityError as exc:  # a concurrent twin
        raise Conflict("This unit already has that budget line for the year.") from exc
    audit.record(session, principal, action="create", entity_type="oversight_budget_line", entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))
    return row


def spending(session: Session, principal: Principal, line_id: int) -> list[OvSpending]:
    get_line(session, principal, line_id)
    return list(session.scalars(select(OvSpending).where(OvSpending.line_id == line_id)
                                .order_by(OvSpending.spent_on, OvSpending.id)))


def spent_total(session: Session, line_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(OvSpending.amount_fen), 0))
                              .where(OvSpending.line_id == line_id)) or 0)


def add_spending(session: Session, principal: Principal, line_id: int, data: SpendingCreate) -> OvSpending:
    line = get_line(session, principal, line_id, roles.WRITE)
    if data.spent_on.year != line.year:
        raise UserError("The date must fall in the budget line's year.", field="spent_on")
    amount = yuan_to_fen(data.amount_yuan)
    if spent_total(session, line.id) + amount < 0:
        raise UserError("A correction cannot take the amount spent below zero.", field="amount_yuan")
    row = OvSpending(line_id=line.id, unit_id=line.unit_id, spent_on=data.spent_on, amount_fen=amount, note=data.note)
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="create", entity_type="oversight_spending", entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))
    return row


def execution(session: Session, unit_path: str, year: int) -> tuple[int, int]:
    """Planned and spent (fen) over every budget line of a unit's subtree for a year."""
    from yingji.core.models import Unit
    from yingji.core.scope import in_subtree

    spent = _spent_by_line()
    stmt = (select(func.coalesce(func.sum(OvBudgetLine.planned_fen), 0), func.coalesce(func.sum(spent.c.spent), 0))
            .join(Unit, Unit.id == OvBudgetLine.unit_id).outerjoin(spent, spent.c.line_id == OvBudgetLine.id)
            .where(OvBudgetLine.year == year, in_subtree(Unit.path, unit_path)))
    planned, used = session.execute(stmt).one()
    return int(planned), int(used)


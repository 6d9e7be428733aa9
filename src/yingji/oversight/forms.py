"""The standard statistical forms an owning department fills when its figures come from outside the
platform (R3.6): one form per unit, category and period, a row per level and the declared totals, which
must equal the sums of the rows — otherwise the form is refused and nothing is stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.core import audit, roles
from yingji.core.scope import Principal, get_scoped, recheck, scoped, unit_in_scope
from yingji.errors import Conflict, UserError
from yingji.oversight.models import OvStatForm
from yingji.oversight.schemas import FIGURES, StatFormCreate

PERIOD_MAX = {"month": 12, "quarter": 4, "year": 1}


def check(data: StatFormCreate) -> dict[str, int]:
    """The sums of the rows; refuses duplicate levels, a period number out of range and totals that differ."""
    if data.period_no > PERIOD_MAX[data.period]:
        raise UserError("The period number is out of range for that period.", field="period_no")
    levels = [r.level for r in data.rows]
    if len(set(levels)) != len(levels):
        raise UserError("Each level appears once in a form.", field="rows")
    sums = {name: sum(getattr(r, name) for r in data.rows) for name in FIGURES}
    for name in FIGURES:
        if name not in data.totals:
            raise UserError("Every total is required.", field=f"totals.{name}")
        if data.totals[name] != sums[name]:
            raise UserError("The total of %(figure)s is %(total)s but the rows add up to %(sum)s.",
                            field=f"totals.{name}", figure=name, total=data.totals[name], sum=sums[name])
    return sums


def create(session: Session, principal: Principal, data: StatFormCreate) -> OvStatForm:
    unit_in_scope(session, principal, data.unit_id, roles.WRITE)
    sums = check(data)
    exists = session.scalar(select(OvStatForm.id).where(
        OvStatForm.unit_id == data.unit_id, OvStatForm.category == data.category, OvStatForm.year == data.year,
        OvStatForm.period == data.period, OvStatForm.period_no == data.period_no))
    if exists is not None:
        raise Conflict("A form for this unit, category and period is already filed.")
    row = OvStatForm(unit_id=data.unit_id, category=data.category, year=data.year, period=data.period,
                     period_no=data.period_no, rows=[r.model_dump() for r in sorted(data.rows, key=lambda r: r.level)],
                     totals=sums, filled_by_name=principal.name)
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="create", entity_type="oversight_stat_form", entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))
    return row


def forms_query(principal: Principal, *, year: int | None = None, category: str = "") -> Any:
    """The scoped, filtered select of statistical forms, newest year first."""
    stmt = scoped(select(OvStatForm), principal)
    if year is not None:
        stmt = stmt.where(OvStatForm.year == year)
    if category:
        stmt = stmt.where(OvStatForm.category == category)
    return stmt.order_by(OvStatForm.year.desc(), OvStatForm.period, OvStatForm.period_no, OvStatForm.id)


def page_forms(session: Session, principal: Principal, *, year: int | None = None, category: str = "",
               page: int = 1, per_page: int = 50) -> tuple[list[OvStatForm], int]:
    """One page of the filtered forms (paged in SQL) and how many there are in all."""
    stmt = forms_query(principal, year=year, category=category)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.limit(per_page).offset((max(page, 1) - 1) * per_page)))
    return items, total


def get(session: Session, principal: Principal, form_id: int) -> OvStatForm:
    return get_scoped(session, principal, OvStatForm, form_id)

"""Training sessions and the annual publicity plan (R4.6)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.schemas import Page
from yingji.core.scope import Principal, get_scoped, recheck, scoped, unit_in_scope
from yingji.core.service import paginate
from yingji.errors import Conflict, UserError
from yingji.preparedness.models import PrepPublicity, PrepTraining
from yingji.preparedness.schemas import PublicityCreate, PublicityDone, PublicityRead, TrainingCreate, TrainingRead


def _add(session: Session, principal: Principal, row: Any, entity_type: str) -> Any:
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="create", entity_type=entity_type, entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))
    return row


def create_training(session: Session, principal: Principal, data: TrainingCreate) -> PrepTraining:
    unit_in_scope(session, principal, data.unit_id, roles.WRITE)
    if data.held_on > clock.now().date():
        raise UserError("The date lies in the future.", field="held_on")
    return _add(session, principal, PrepTraining(**data.model_dump()), "prep_training")


def get_training(session: Session, principal: Principal, training_id: int) -> PrepTraining:
    return get_scoped(session, principal, PrepTraining, training_id)


def list_training(session: Session, principal: Principal, *, q: str = "", audience: str = "", year: int | None = None,
                  page: int = 1, per_page: int = 50) -> Page[Any]:
    stmt = scoped(select(PrepTraining), principal).order_by(PrepTraining.held_on.desc(), PrepTraining.id.desc())
    if q:
        stmt = stmt.where(PrepTraining.title.contains(q, autoescape=True))
    if audience:
        stmt = stmt.where(PrepTraining.audience == audience)
    if year is not None:
        stmt = stmt.where(func.extract("year", PrepTraining.held_on) == year)
    return paginate(session, stmt, TrainingRead, page=page, per_page=per_page)


def totals(session: Session, principal: Principal, *, year: int) -> list[tuple[str, int, float, int]]:
    """Per audience: sessions, hours and attendees in the year."""
    stmt = scoped(select(PrepTraining.audience, func.count(), func.coalesce(func.sum(PrepTraining.hours), 0),
                         func.coalesce(func.sum(PrepTraining.attendees), 0)), principal, model=PrepTraining)
    stmt = stmt.where(func.extract("year", PrepTraining.held_on) == year).group_by(PrepTraining.audience)
    return [(a, int(n), float(h), int(p)) for a, n, h, p in session.execute(stmt)]


def create_publicity(session: Session, principal: Principal, data: PublicityCreate) -> PrepPublicity:
    unit_in_scope(session, principal, data.unit_id, roles.WRITE)
    return _add(session, principal, PrepPublicity(**data.model_dump()), "prep_publicity")


def get_publicity(session: Session, principal: Principal, publicity_id: int, action: str = roles.READ) -> PrepPublicity:
    return get_scoped(session, principal, PrepPublicity, publicity_id, action)


def mark_done(session: Session, principal: Principal, publicity_id: int, data: PublicityDone) -> PrepPublicity:
    row = get_publicity(session, principal, publicity_id, roles.WRITE)
    if row.done_on is not None:
        raise Conflict("This activity is marked done already.")
    if data.done_on > clock.now().date():
        raise UserError("The date lies in the future.", field="done_on")
    if data.done_on.year != row.year:
        raise UserError("The activity belongs to another year's plan.", field="done_on")
    before = audit.snapshot(row)
    row.done_on = data.done_on
    session.flush()
    audit.record(session, principal, action="update", entity_type="prep_publicity", entity_id=row.id,
                 unit_id=row.unit_id, before=before, after=audit.snapshot(row))
    return row


def publicity(session: Session, principal: Principal, *, year: int, page: int = 1, per_page: int = 50) -> Page[Any]:
    stmt = scoped(select(PrepPublicity), principal).where(PrepPublicity.year == year).order_by(
        PrepPublicity.planned_month, PrepPublicity.id)
    return paginate(session, stmt, PublicityRead, page=page, per_page=per_page)

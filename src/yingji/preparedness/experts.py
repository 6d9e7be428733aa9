"""The expert group (专家组, R4.6): searchable by field."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yingji.core import audit, roles
from yingji.core.schemas import Page
from yingji.core.scope import Principal, get_scoped, recheck, scoped, unit_in_scope
from yingji.core.service import paginate
from yingji.preparedness.models import PrepExpert
from yingji.preparedness.schemas import ExpertCreate, ExpertRead


def create(session: Session, principal: Principal, data: ExpertCreate) -> PrepExpert:
    unit_in_scope(session, principal, data.unit_id, roles.WRITE)
    row = PrepExpert(**data.model_dump())
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="create", entity_type="prep_expert", entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))
    return row


def get(session: Session, principal: Principal, expert_id: int, action: str = roles.READ) -> PrepExpert:
    return get_scoped(session, principal, PrepExpert, expert_id, action)


def set_available(session: Session, principal: Principal, expert_id: int, available: bool) -> PrepExpert:
    row = get(session, principal, expert_id, roles.WRITE)
    before = audit.snapshot(row)
    row.available = available
    session.flush()
    audit.record(session, principal, action="update", entity_type="prep_expert", entity_id=row.id,
                 unit_id=row.unit_id, before=before, after=audit.snapshot(row))
    return row


def search(session: Session, principal: Principal, *, field: str = "", q: str = "", available_only: bool = False,
           page: int = 1, per_page: int = 50) -> Page[Any]:
    stmt = scoped(select(PrepExpert), principal).order_by(PrepExpert.field, PrepExpert.name, PrepExpert.id)
    if field:
        stmt = stmt.where(PrepExpert.field == field)
    if q:
        stmt = stmt.where(or_(PrepExpert.name.contains(q, autoescape=True),
                              PrepExpert.employer.contains(q, autoescape=True)))
    if available_only:
        stmt = stmt.where(PrepExpert.available.is_(True))
    return paginate(session, stmt, ExpertRead, page=page, per_page=per_page)

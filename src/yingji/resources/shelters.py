"""Shelters (R4.5): register, open and close them, count who is inside, find room near a point."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.scope import Principal, get_scoped, scoped
from yingji.errors import UserError
from yingji.resources.common import check_event, create_record, search, tags
from yingji.resources.models import Shelter, ShelterStatus
from yingji.resources.schemas import ShelterCreate, ShelterStatusIn


def shelters(principal: Principal, *, q: str = "", kind: str = "", is_open: bool | None = None,
             min_free: int = 0, facility: str = "") -> Select[Any]:
    stmt = search(scoped(select(Shelter), principal), q, Shelter.name, Shelter.address)
    if kind:
        stmt = stmt.where(Shelter.kind == kind)
    if is_open is not None:
        stmt = stmt.where(Shelter.is_open.is_(is_open))
    if min_free:
        stmt = stmt.where(Shelter.capacity - Shelter.occupancy >= min_free)
    if facility:
        stmt = stmt.where(Shelter.facilities.like(f"%,{facility},%"))
    return stmt.order_by(Shelter.name, Shelter.id)


def get_shelter(session: Session, principal: Principal, shelter_id: int) -> Shelter:
    return get_scoped(session, principal, Shelter, shelter_id)


def create_shelter(session: Session, principal: Principal, data: ShelterCreate) -> Shelter:
    values = data.model_dump()
    values["facilities"] = tags(data.facilities)
    return create_record(session, principal, Shelter(**values), "res_shelter")


def set_status(session: Session, principal: Principal, shelter_id: int, data: ShelterStatusIn) -> Shelter:
    """Open or close a shelter and record how many people it holds (never more than its capacity)."""
    shelter = get_scoped(session, principal, Shelter, shelter_id, roles.WRITE)
    if data.occupancy > shelter.capacity:
        raise UserError("%(n)s people do not fit: the shelter holds at most %(capacity)s.", field="occupancy",
                        n=data.occupancy, capacity=shelter.capacity)
    if not data.is_open and data.occupancy:
        raise UserError("A closed shelter holds nobody: set the occupancy to 0 first.", field="occupancy")
    check_event(session, principal, data.event_id)
    before = audit.snapshot(shelter)
    shelter.is_open, shelter.occupancy = data.is_open, data.occupancy
    if data.event_id is not None or not data.is_open:
        shelter.event_id = data.event_id
    session.add(ShelterStatus(shelter_id=shelter.id, unit_id=shelter.unit_id, is_open=data.is_open,
                              occupancy=data.occupancy, event_id=data.event_id, at=clock.now(),
                              actor_name=principal.name[:100]))
    session.flush()
    audit.record(session, principal, action="update", entity_type="res_shelter", entity_id=shelter.id,
                 unit_id=shelter.unit_id, before=before, after=audit.snapshot(shelter))
    return shelter


def history(session: Session, principal: Principal, shelter_id: int) -> list[ShelterStatus]:
    get_shelter(session, principal, shelter_id)
    return list(session.scalars(scoped(select(ShelterStatus), principal).where(ShelterStatus.shelter_id == shelter_id)
                                .order_by(ShelterStatus.id.desc()).limit(200)))

"""Equipment (R5.2: drones, command vehicles, mobile command platforms) and the R2.3 records:
resources requisitioned and compensated, social services purchased, donations and where they went."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from yingji.core.scope import Principal, get_scoped, scoped
from yingji.resources.common import create_record, search
from yingji.resources.models import Donation, Equipment, Requisition, ServicePurchase
from yingji.resources.schemas import DonationCreate, EquipmentCreate, RequisitionCreate, ServiceCreate


def fen(amount: Decimal) -> int:
    return int(amount * 100)


def yuan(value: int) -> str:
    return f"{Decimal(value) / 100:.2f}"


def equipment(principal: Principal, *, q: str = "", kind: str = "", status: str = "") -> Select[Any]:
    stmt = search(scoped(select(Equipment), principal), q, Equipment.name, Equipment.model, Equipment.serial)
    if kind:
        stmt = stmt.where(Equipment.kind == kind)
    if status:
        stmt = stmt.where(Equipment.status == status)
    return stmt.order_by(Equipment.kind, Equipment.name, Equipment.id)


def get_equipment(session: Session, principal: Principal, equipment_id: int) -> Equipment:
    return get_scoped(session, principal, Equipment, equipment_id)


def create_equipment(session: Session, principal: Principal, data: EquipmentCreate) -> Equipment:
    return create_record(session, principal, Equipment(**data.model_dump()), "res_equipment")


def requisitions(principal: Principal, *, q: str = "", event_id: int | None = None) -> Select[Any]:
    stmt = search(scoped(select(Requisition), principal), q, Requisition.owner, Requisition.description)
    if event_id:
        stmt = stmt.where(Requisition.event_id == event_id)
    return stmt.order_by(Requisition.taken_on.desc(), Requisition.id.desc())


def create_requisition(session: Session, principal: Principal, data: RequisitionCreate) -> Requisition:
    values = data.model_dump(exclude={"compensation"})
    return create_record(session, principal, Requisition(**values, compensation_fen=fen(data.compensation)),
                         "res_requisition")


def services(principal: Principal, *, q: str = "", event_id: int | None = None) -> Select[Any]:
    stmt = search(scoped(select(ServicePurchase), principal), q, ServicePurchase.provider,
                  ServicePurchase.description)
    if event_id:
        stmt = stmt.where(ServicePurchase.event_id == event_id)
    return stmt.order_by(ServicePurchase.contracted_on.desc(), ServicePurchase.id.desc())


def create_service(session: Session, principal: Principal, data: ServiceCreate) -> ServicePurchase:
    values = data.model_dump(exclude={"amount"})
    return create_record(session, principal, ServicePurchase(**values, amount_fen=fen(data.amount)),
                         "res_service_purchase")


def donations(principal: Principal, *, q: str = "", event_id: int | None = None) -> Select[Any]:
    stmt = search(scoped(select(Donation), principal), q, Donation.donor, Donation.description,
                  Donation.destination)
    if event_id:
        stmt = stmt.where(Donation.event_id == event_id)
    return stmt.order_by(Donation.received_on.desc(), Donation.id.desc())


def create_donation(session: Session, principal: Principal, data: DonationCreate) -> Donation:
    values = data.model_dump(exclude={"amount"})
    return create_record(session, principal, Donation(**values, amount_fen=fen(data.amount)), "res_donation")

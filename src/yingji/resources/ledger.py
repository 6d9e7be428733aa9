"""The stock ledger: every change of a lot is a movement (receipt, issue, transfer, write-off, dispatch).

A lot's ``quantity_milli`` is the balance the ledger maintains. It is written in exactly one place,
:func:`_post`, with a guarded UPDATE (``quantity + delta >= 0``) in the same transaction as the
movement, so the balance always equals the sum of the lot's movements and never goes below zero.
Movements are append-only (database triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.scope import Principal, get_scoped, scoped
from yingji.errors import Conflict, UserError
from yingji.i18n import gettext
from yingji.resources.common import qty, to_milli
from yingji.resources.models import Lot, Movement, SupplyItem, Warehouse
from yingji.resources.schemas import UOMS, IssueIn, MovementRead, ReceiptIn, TransferIn

TAKING_KINDS = ("issue", "transfer_out", "write_off", "dispatch")


def _post(session: Session, principal: Principal, lot: Lot, kind: str, delta: int, *, note: str = "",
          dispatch_id: int | None = None, pair_id: int | None = None) -> Movement:
    """Change a lot's balance by ``delta`` and write the movement; refuse to go below zero."""
    if delta == 0:
        raise UserError("The quantity must be above zero.", field="quantity")
    result = session.execute(update(Lot).where(Lot.id == lot.id, Lot.quantity_milli + delta >= 0)
                             .values(quantity_milli=Lot.quantity_milli + delta, updated_at=clock.now())
                             .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(lot)
        item = session.get_one(SupplyItem, lot.item_id)
        raise Conflict("The lot holds only %(have)s %(uom)s; %(want)s cannot be taken from it.", field="quantity",
                       have=qty(lot.quantity_milli), uom=gettext(UOMS.get(item.uom, item.uom)), want=qty(-delta))
    movement = Movement(unit_id=lot.unit_id, warehouse_id=lot.warehouse_id, lot_id=lot.id, item_id=lot.item_id,
                        kind=kind, delta_milli=delta, at=clock.now(), note=note, dispatch_id=dispatch_id,
                        pair_id=pair_id, actor_name=principal.name[:100])
    session.add(movement)
    session.flush()
    session.refresh(lot)
    audit.record(session, principal, action=kind, entity_type="res_movement", entity_id=movement.id,
                 unit_id=lot.unit_id, after=audit.snapshot(movement))
    return movement


def check_dates(produced_on: date | None, expires_on: date | None) -> None:
    if produced_on is not None and expires_on is not None and expires_on < produced_on:
        raise UserError("The expiry date cannot be before the production date.", field="expires_on")


def _visible_item(session: Session, principal: Principal, item_id: int) -> SupplyItem:
    from yingji.resources.supplies import get_item

    return get_item(session, principal, item_id)


def new_lot(session: Session, warehouse: Warehouse, item_id: int, lot_no: str, produced_on: date | None,
            expires_on: date | None) -> Lot:
    check_dates(produced_on, expires_on)
    lot = Lot(unit_id=warehouse.unit_id, warehouse_id=warehouse.id, item_id=item_id, lot_no=lot_no,
              produced_on=produced_on, expires_on=expires_on, quantity_milli=0)
    session.add(lot)
    session.flush()
    return lot


def receive(session: Session, principal: Principal, warehouse_id: int, data: ReceiptIn) -> Movement:
    """Stock arrives in a warehouse: a new lot and its receipt."""
    warehouse = get_scoped(session, principal, Warehouse, warehouse_id, roles.WRITE)
    _visible_item(session, principal, data.supply_item_id)
    milli = to_milli(data.quantity)
    lot = new_lot(session, warehouse, data.supply_item_id, data.lot_no, data.produced_on, data.expires_on)
    return _post(session, principal, lot, "receipt", milli, note=data.note)


def _lot(session: Session, principal: Principal, lot_id: int) -> Lot:
    return get_scoped(session, principal, Lot, lot_id, roles.WRITE)


def issue(session: Session, principal: Principal, lot_id: int, data: IssueIn) -> Movement:
    return _post(session, principal, _lot(session, principal, lot_id), "issue", -to_milli(data.quantity),
                 note=data.note)


def write_off(session: Session, principal: Principal, lot_id: int, data: IssueIn) -> Movement:
    if not data.note:
        raise UserError("Say why the stock is written off.", field="note")
    return _post(session, principal, _lot(session, principal, lot_id), "write_off", -to_milli(data.quantity),
                 note=data.note)


def transfer(session: Session, principal: Principal, lot_id: int, data: TransferIn) -> tuple[Movement, Movement]:
    """Move part of a lot to another warehouse in the principal's scope (a lot of the same dates there)."""
    lot = _lot(session, principal, lot_id)
    target = get_scoped(session, principal, Warehouse, data.to_warehouse_id, roles.WRITE)
    if target.id == lot.warehouse_id:
        raise UserError("Choose another warehouse to transfer to.", field="to_warehouse_id")
    milli = to_milli(data.quantity)
    out = _post(session, principal, lot, "transfer_out", -milli, note=data.note)
    there = new_lot(session, target, lot.item_id, lot.lot_no, lot.produced_on, lot.expires_on)
    into = _post(session, principal, there, "transfer_in", milli, note=data.note, pair_id=out.id)
    return out, into


def movement_read(m: Movement) -> MovementRead:
    return MovementRead(id=m.id, warehouse_id=m.warehouse_id, lot_id=m.lot_id, item_id=m.item_id, kind=m.kind,
                        quantity=qty(m.delta_milli), at=m.at, pair_id=m.pair_id, dispatch_id=m.dispatch_id,
                        note=m.note, actor_name=m.actor_name)


def movements(principal: Principal, *, warehouse_id: int | None = None, lot_id: int | None = None,
              item_id: int | None = None, kind: str = "", dispatch_id: int | None = None) -> Select[Any]:
    stmt = scoped(select(Movement), principal)
    if warehouse_id:
        stmt = stmt.where(Movement.warehouse_id == warehouse_id)
    if lot_id:
        stmt = stmt.where(Movement.lot_id == lot_id)
    if item_id:
        stmt = stmt.where(Movement.item_id == item_id)
    if kind:
        stmt = stmt.where(Movement.kind == kind)
    if dispatch_id:
        stmt = stmt.where(Movement.dispatch_id == dispatch_id)
    return stmt.order_by(Movement.id.desc())


def ledger_sum(session: Session, lot_id: int) -> int:
    """The sum of a lot's movements (what its balance must equal)."""
    return int(session.scalar(select(func.coalesce(func.sum(Movement.delta_milli), 0))
                              .where(Movement.lot_id == lot_id)) or 0)

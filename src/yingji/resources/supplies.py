"""The supply catalogue, warehouses, lots with their expiry state, minimum levels and stock figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from yingji.core import audit, roles
from yingji.core.schemas import Page
from yingji.core.scope import Principal, get_scoped, scoped
from yingji.errors import NotFound, UserError
from yingji.resources import defaults
from yingji.resources.common import catalogue_scoped, create_record, qty, search, to_milli, today
from yingji.resources.models import Lot, MinLevel, SupplyItem, Warehouse
from yingji.resources.schemas import ItemCreate, LotRead, MinLevelIn, WarehouseCreate

# --- catalogue ----------------------------------------------------------------------------------

def items(principal: Principal, *, q: str = "", sector: str = "", category: str = "") -> Select[Any]:
    stmt = catalogue_scoped(select(SupplyItem), principal, SupplyItem)
    stmt = search(stmt, q, SupplyItem.name, SupplyItem.code)
    if sector:
        stmt = stmt.where(SupplyItem.sector == sector)
    if category:
        stmt = stmt.where(SupplyItem.category == category)
    return stmt.order_by(SupplyItem.sector, SupplyItem.code, SupplyItem.id)


def get_item(session: Session, principal: Principal, item_id: int) -> SupplyItem:
    found = session.scalars(catalogue_scoped(select(SupplyItem), principal, SupplyItem)
                            .where(SupplyItem.id == item_id)).first()
    if found is None:
        raise NotFound("Not found, or not within your area.")
    return found


def create_item(session: Session, principal: Principal, data: ItemCreate) -> SupplyItem:
    return create_record(session, principal, SupplyItem(**data.model_dump()), "res_supply_item")


# --- warehouses ---------------------------------------------------------------------------------

def warehouses(principal: Principal, *, q: str = "", kind: str = "", unit_id: int | None = None) -> Select[Any]:
    stmt = search(scoped(select(Warehouse), principal), q, Warehouse.name, Warehouse.address)
    if kind:
        stmt = stmt.where(Warehouse.kind == kind)
    if unit_id:
        stmt = stmt.where(Warehouse.unit_id == unit_id)
    return stmt.order_by(Warehouse.name, Warehouse.id)


def get_warehouse(session: Session, principal: Principal, warehouse_id: int, action: str = roles.READ) -> Warehouse:
    return get_scoped(session, principal, Warehouse, warehouse_id, action)


def create_warehouse(session: Session, principal: Principal, data: WarehouseCreate) -> Warehouse:
    return create_record(session, principal, Warehouse(**data.model_dump()), "res_warehouse")


# --- lots and their expiry ------------------------------------------------------------------------

def lot_state(lot_expires: date | None, on: date, warn_days: int) -> str:
    """``expired`` after the expiry date; ``rotate`` within ``warn_days`` of it (inclusive); else ``ok``."""
    if lot_expires is None:
        return "ok"
    if lot_expires < on:
        return "expired"
    if lot_expires <= on + timedelta(days=warn_days):
        return "rotate"
    return "ok"


def lot_read(lot: Lot, on: date, warn_days: int) -> LotRead:
    return LotRead(id=lot.id, warehouse_id=lot.warehouse_id, item_id=lot.item_id, lot_no=lot.lot_no,
                   produced_on=lot.produced_on, expires_on=lot.expires_on, quantity=qty(lot.quantity_milli),
                   state=lot_state(lot.expires_on, on, warn_days))


LOT_FILTER_STATES = ("attention", "expired", "rotate", "")


def lots_query(session: Session, principal: Principal, *, warehouse_id: int | None = None,
               item_id: int | None = None, state: str = "", with_empty: bool = False) -> Select[Any]:
    """The lots in scope matching the filters, soonest expiry first (lots without one last)."""
    if state not in LOT_FILTER_STATES:
        raise UserError("Unknown state.", field="state")
    stmt = scoped(select(Lot), principal)
    if warehouse_id:
        stmt = stmt.where(Lot.warehouse_id == warehouse_id)
    if item_id:
        stmt = stmt.where(Lot.item_id == item_id)
    if not with_empty:
        stmt = stmt.where(Lot.quantity_milli > 0)
    on, warn = today(), defaults.value(session, defaults.EXPIRY_WARNING)
    if state == "expired":
        stmt = stmt.where(Lot.expires_on < on)
    elif state == "rotate":
        stmt = stmt.where(Lot.expires_on >= on, Lot.expires_on <= on + timedelta(days=warn))
    elif state == "attention":
        stmt = stmt.where(Lot.expires_on <= on + timedelta(days=warn))
    return stmt.order_by(Lot.expires_on.is_(None), Lot.expires_on, Lot.id)


def lot_reads(session: Session, rows: Any) -> list[LotRead]:
    on, warn = today(), defaults.value(session, defaults.EXPIRY_WARNING)
    return [lot_read(lot, on, warn) for lot in rows]


def lots(session: Session, principal: Principal, *, warehouse_id: int | None = None, item_id: int | None = None,
         state: str = "", with_empty: bool = False) -> list[LotRead]:
    """The whole filtered list (exports, the JSON API without a page, one warehouse's lots)."""
    stmt = lots_query(session, principal, warehouse_id=warehouse_id, item_id=item_id, state=state,
                      with_empty=with_empty)
    return lot_reads(session, session.scalars(stmt))


def lots_page(session: Session, principal: Principal, *, page: int, per_page: int,
              warehouse_id: int | None = None, item_id: int | None = None, state: str = "",
              with_empty: bool = False) -> Page[LotRead]:
    """One page of the filtered lots, counted and cut in SQL."""
    stmt = lots_query(session, principal, warehouse_id=warehouse_id, item_id=item_id, state=state,
                      with_empty=with_empty)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))
    return Page[LotRead](items=lot_reads(session, rows), total=int(total), page=page, per_page=per_page)


def get_lot(session: Session, principal: Principal, lot_id: int) -> LotRead:
    lot = get_scoped(session, principal, Lot, lot_id)
    return lot_read(lot, today(), defaults.value(session, defaults.EXPIRY_WARNING))


# --- stock and minimum levels -------------------------------------------------------------------

@dataclass
class Stock:
    warehouse_id: int
    item_id: int
    milli: int
    min_milli: int | None

    @property
    def below_minimum(self) -> bool:
        return self.min_milli is not None and self.milli < self.min_milli


def stock(session: Session, principal: Principal, *, warehouse_id: int | None = None,
          item_id: int | None = None) -> list[Stock]:
    """Current stock per warehouse and item: the sum of the lots' maintained balances, with minimum levels."""
    stmt = scoped(select(Lot.warehouse_id, Lot.item_id, func.sum(Lot.quantity_milli)), principal, model=Lot)
    if warehouse_id:
        stmt = stmt.where(Lot.warehouse_id == warehouse_id)
    if item_id:
        stmt = stmt.where(Lot.item_id == item_id)
    totals = {(w, i): int(s or 0) for w, i, s in session.execute(stmt.group_by(Lot.warehouse_id, Lot.item_id))}
    mins_stmt = scoped(select(MinLevel), principal)
    if warehouse_id:
        mins_stmt = mins_stmt.where(MinLevel.warehouse_id == warehouse_id)
    if item_id:
        mins_stmt = mins_stmt.where(MinLevel.item_id == item_id)
    mins = {(m.warehouse_id, m.item_id): m.min_milli for m in session.scalars(mins_stmt)}
    keys = sorted(set(totals) | set(mins))
    return [Stock(w, i, totals.get((w, i), 0), mins.get((w, i))) for w, i in keys]


def set_minimum(session: Session, principal: Principal, warehouse_id: int, data: MinLevelIn) -> MinLevel:
    warehouse = get_warehouse(session, principal, warehouse_id, roles.WRITE)
    get_item(session, principal, data.supply_item_id)
    milli = 0 if data.minimum == 0 else to_milli(data.minimum, "minimum")
    found = session.scalar(select(MinLevel).where(MinLevel.warehouse_id == warehouse.id,
                                                  MinLevel.item_id == data.supply_item_id))
    before = audit.snapshot(found) if found else None
    if found is None:
        found = MinLevel(unit_id=warehouse.unit_id, warehouse_id=warehouse.id, item_id=data.supply_item_id,
                         min_milli=milli)
        session.add(found)
    else:
        found.min_milli = milli
    session.flush()
    audit.record(session, principal, action="update" if before else "create", entity_type="res_min_level",
                 entity_id=found.id, unit_id=warehouse.unit_id, before=before, after=audit.snapshot(found))
    return found


def names(session: Session, model: Any, ids: Any) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(select(model.id, model.name).where(model.id.in_(wanted))).all())


def item_map(session: Session, ids: Any) -> dict[int, SupplyItem]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {i.id: i for i in session.scalars(select(SupplyItem).where(SupplyItem.id.in_(wanted)))}

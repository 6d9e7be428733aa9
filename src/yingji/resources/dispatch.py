"""Dispatch of supplies: request → approval → allocation (suggested from the nearest warehouses with
stock, then supplier contracts; editable) → shipment → receipt. Every step is a row of the dispatch's
own append-only ledger; shipments and receipts are movements of the stock ledger. What is still short
is the requested quantity less what arrived (or, before arrival, less what is allocated)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.models import Unit
from yingji.core.scope import Principal, get_scoped, scoped
from yingji.db import lock_for_change
from yingji.errors import Conflict, UserError
from yingji.i18n import gettext
from yingji.resources import ledger, supplies
from yingji.resources.common import check_event, check_unit, distance_km, qty, search, to_milli, today
from yingji.resources.models import (
    Allocation,
    Dispatch,
    DispatchLine,
    DispatchStep,
    Lot,
    Movement,
    SupplierContract,
    Warehouse,
)
from yingji.resources.schemas import (
    UOMS,
    AllocateIn,
    AllocationRead,
    ContractCreate,
    ContractRead,
    DispatchCreate,
    DispatchDetail,
    DispatchRead,
    LineState,
    Match,
    ReceiveIn,
    StepRead,
    Suggestion,
)


def _step(session: Session, principal: Principal, dispatch: Dispatch, kind: str, detail: dict[str, Any]) -> None:
    session.add(DispatchStep(dispatch_id=dispatch.id, unit_id=dispatch.unit_id, kind=kind, at=clock.now(),
                             actor_name=principal.name[:100], detail=json.dumps(detail, ensure_ascii=False)))
    session.flush()
    audit.record(session, principal, action=kind, entity_type="res_dispatch", entity_id=dispatch.id,
                 unit_id=dispatch.unit_id, after={"status": dispatch.status, **detail})


def dispatches(principal: Principal, *, q: str = "", status: str = "", event_id: int | None = None) -> Select[Any]:
    stmt = search(scoped(select(Dispatch), principal), q, Dispatch.title, Dispatch.destination)
    if status:
        stmt = stmt.where(Dispatch.status == status)
    if event_id:
        stmt = stmt.where(Dispatch.event_id == event_id)
    return stmt.order_by(Dispatch.id.desc())


def get(session: Session, principal: Principal, dispatch_id: int, action: str = roles.READ) -> Dispatch:
    return get_scoped(session, principal, Dispatch, dispatch_id, action)


def create(session: Session, principal: Principal, data: DispatchCreate) -> Dispatch:
    unit = check_unit(session, principal, data.unit_id)
    for line in data.lines:
        supplies.get_item(session, principal, line.supply_item_id)
    if data.to_warehouse_id is not None:
        get_scoped(session, principal, Warehouse, data.to_warehouse_id, roles.WRITE)
    check_event(session, principal, data.event_id)
    lon, lat = (data.lon, data.lat) if data.lon is not None and data.lat is not None else (unit.lon, unit.lat)
    dispatch = Dispatch(unit_id=unit.id, event_id=data.event_id, title=data.title, destination=data.destination,
                        lon=lon, lat=lat, to_warehouse_id=data.to_warehouse_id, status="requested",
                        requested_by=principal.name[:100])
    session.add(dispatch)
    session.flush()
    for line in data.lines:
        session.add(DispatchLine(dispatch_id=dispatch.id, unit_id=unit.id, item_id=line.supply_item_id,
                                 requested_milli=to_milli(line.quantity)))
    _step(session, principal, dispatch, "request",
          {"lines": {str(x.supply_item_id): str(x.quantity) for x in data.lines}})
    return dispatch


def _for_step(session: Session, principal: Principal, dispatch_id: int, *statuses: str) -> Dispatch:
    """The request a step changes, held until the transaction ends and read again (``lock_for_change``), in
    one of ``statuses``: a step taken twice at once is done once (shipping twice would take the stock twice)."""
    dispatch = get(session, principal, dispatch_id, roles.WRITE)
    lock_for_change(session, dispatch)
    if dispatch.status not in statuses:
        raise Conflict("This request is %(status)s; that step is not possible now.", status=dispatch.status)
    return dispatch


def approve(session: Session, principal: Principal, dispatch_id: int, note: str = "") -> Dispatch:
    dispatch = _for_step(session, principal, dispatch_id, "requested")
    dispatch.status, dispatch.approved_by, dispatch.approved_at = "approved", principal.name[:100], clock.now()
    _step(session, principal, dispatch, "approve", {"note": note})
    return dispatch


def reject(session: Session, principal: Principal, dispatch_id: int, note: str = "") -> Dispatch:
    dispatch = _for_step(session, principal, dispatch_id, "requested", "approved", "allocated")
    if not note:
        raise UserError("Say why the request is refused.", field="note")
    session.query(Allocation).filter(Allocation.dispatch_id == dispatch.id).delete()
    dispatch.status = "rejected"
    _step(session, principal, dispatch, "reject", {"note": note})
    return dispatch


def _lines(session: Session, dispatch: Dispatch) -> list[DispatchLine]:
    return list(session.scalars(select(DispatchLine).where(DispatchLine.dispatch_id == dispatch.id)
                                .order_by(DispatchLine.id)))


def _allocations(session: Session, dispatch: Dispatch) -> list[Allocation]:
    return list(session.scalars(select(Allocation).where(Allocation.dispatch_id == dispatch.id)
                                .order_by(Allocation.id)))


def _pending_by_lot(session: Session, lot_ids: list[int], excluding: int) -> dict[int, int]:
    """Quantities allocated from lots by other requests but not shipped yet (promised, still on the shelf)."""
    if not lot_ids:
        return {}
    stmt = (select(Allocation.lot_id, func.sum(Allocation.quantity_milli))
            .where(Allocation.lot_id.in_(lot_ids), Allocation.shipped_at.is_(None),
                   Allocation.dispatch_id != excluding).group_by(Allocation.lot_id))
    return {int(lot or 0): int(total or 0) for lot, total in session.execute(stmt)}


def _drawn(session: Session, contract_ids: list[int], excluding: int = 0) -> dict[int, int]:
    if not contract_ids:
        return {}
    stmt = (select(Allocation.contract_id, func.sum(Allocation.quantity_milli))
            .where(Allocation.contract_id.in_(contract_ids), Allocation.dispatch_id != excluding)
            .group_by(Allocation.contract_id))
    return {int(c or 0): int(total or 0) for c, total in session.execute(stmt)}


def _available_lots(session: Session, principal: Principal, dispatch: Dispatch, item_id: int) -> list[
        tuple[float | None, Lot, Warehouse, int]]:
    """Lots of the item in the principal's scope that are not expired, nearest warehouse first,
    then the lot expiring first (first expired, first out), with what each can still give."""
    on = today()
    stmt = (scoped(select(Lot, Warehouse), principal, model=Lot).join(Warehouse, Warehouse.id == Lot.warehouse_id)
            .where(Lot.item_id == item_id, Lot.quantity_milli > 0)
            .where((Lot.expires_on.is_(None)) | (Lot.expires_on >= on)))
    if dispatch.to_warehouse_id is not None:
        stmt = stmt.where(Lot.warehouse_id != dispatch.to_warehouse_id)
    rows = session.execute(stmt.limit(5000)).all()
    pending = _pending_by_lot(session, [lot.id for lot, _w in rows], dispatch.id)
    out = []
    for lot, warehouse in rows:
        free = lot.quantity_milli - pending.get(lot.id, 0)
        if free <= 0:
            continue
        km = None
        if None not in (dispatch.lon, dispatch.lat, warehouse.lon, warehouse.lat):
            km = distance_km(dispatch.lon, dispatch.lat, warehouse.lon, warehouse.lat)  # type: ignore[arg-type]
        out.append((km, lot, warehouse, free))
    out.sort(key=lambda r: (r[0] is None, r[0] or 0, r[1].expires_on is None, r[1].expires_on or on, r[1].id))
    return out


def _open_contracts(session: Session, principal: Principal, dispatch: Dispatch, item_id: int) -> list[
        tuple[SupplierContract, int]]:
    on = today()
    found = list(session.scalars(scoped(select(SupplierContract), principal)
                                 .where(SupplierContract.item_id == item_id, SupplierContract.starts_on <= on,
                                        SupplierContract.ends_on >= on).order_by(SupplierContract.delivery_hours)))
    drawn = _drawn(session, [c.id for c in found], dispatch.id)
    return [(c, c.quantity_milli - drawn.get(c.id, 0)) for c in found if c.quantity_milli > drawn.get(c.id, 0)]


def suggest(session: Session, principal: Principal, dispatch_id: int) -> list[Suggestion]:
    """What to allocate: the nearest warehouses with stock first, then supplier contracts."""
    dispatch = get(session, principal, dispatch_id)
    items = supplies.item_map(session, [line.item_id for line in _lines(session, dispatch)])
    out: list[Suggestion] = []
    for line in _lines(session, dispatch):
        need = line.requested_milli
        for km, lot, warehouse, free in _available_lots(session, principal, dispatch, line.item_id):
            if need <= 0:
                break
            take = min(need, free)
            need -= take
            out.append(Suggestion(supply_item_id=line.item_id, item=items[line.item_id].name, lot_id=lot.id,
                                  contract_id=None, warehouse_id=warehouse.id, source=warehouse.name,
                                  quantity=qty(take), distance_km=None if km is None else round(km, 1),
                                  expires_on=lot.expires_on))
        for contract, free in _open_contracts(session, principal, dispatch, line.item_id):
            if need <= 0:
                break
            take = min(need, free)
            need -= take
            out.append(Suggestion(supply_item_id=line.item_id, item=items[line.item_id].name, lot_id=None,
                                  contract_id=contract.id, warehouse_id=None, source=contract.supplier,
                                  quantity=qty(take), distance_km=None, expires_on=None))
    return out


def allocate(session: Session, principal: Principal, dispatch_id: int, data: AllocateIn) -> list[Allocation]:
    """Replace the request's allocations (nothing shipped yet). Each comes from a lot or contract the
    principal can see, for an item of the request, within what the source can still give."""
    dispatch = _for_step(session, principal, dispatch_id, "approved", "allocated")
    lines = {line.item_id: line for line in _lines(session, dispatch)}
    session.query(Allocation).filter(Allocation.dispatch_id == dispatch.id).delete()
    session.flush()
    per_line: dict[int, int] = defaultdict(int)
    per_source: dict[tuple[str, int], int] = defaultdict(int)
    made = []
    for n, a in enumerate(data.allocations):
        line = lines.get(a.supply_item_id)
        if line is None:
            raise UserError("This item is not part of the request.", field=f"allocations.{n}.supply_item_id")
        milli = to_milli(a.quantity, f"allocations.{n}.quantity")
        per_line[line.id] += milli
        if per_line[line.id] > line.requested_milli:
            raise UserError("More is allocated than was requested.", field=f"allocations.{n}.quantity")
        row = Allocation(dispatch_id=dispatch.id, line_id=line.id, unit_id=dispatch.unit_id, quantity_milli=milli)
        if a.lot_id is not None:
            lot = get_scoped(session, principal, Lot, a.lot_id)
            if lot.item_id != line.item_id:
                raise UserError("This lot holds another item.", field=f"allocations.{n}.lot_id")
            if lot.expires_on is not None and lot.expires_on < today():
                raise UserError("This lot has expired; it cannot be dispatched.", field=f"allocations.{n}.lot_id")
            per_source[("lot", lot.id)] += milli
            free = lot.quantity_milli - _pending_by_lot(session, [lot.id], dispatch.id).get(lot.id, 0)
            if per_source[("lot", lot.id)] > free:
                item = session.get_one(supplies.SupplyItem, lot.item_id)
                raise Conflict("The lot holds only %(have)s %(uom)s; %(want)s cannot be taken from it.",
                               field=f"allocations.{n}.quantity", have=qty(max(free, 0)),
                               uom=gettext(UOMS.get(item.uom, item.uom)), want=qty(per_source[("lot", lot.id)]))
            row.lot_id, row.warehouse_id = lot.id, lot.warehouse_id
        else:
            contract = get_scoped(session, principal, SupplierContract, a.contract_id)
            if contract.item_id != line.item_id:
                raise UserError("This contract supplies another item.", field=f"allocations.{n}.contract_id")
            per_source[("contract", contract.id)] += milli
            free = contract.quantity_milli - _drawn(session, [contract.id], dispatch.id).get(contract.id, 0)
            if per_source[("contract", contract.id)] > free:
                raise Conflict("The contract has only %(have)s left.", field=f"allocations.{n}.quantity",
                               have=qty(max(free, 0)))
            row.contract_id = contract.id
        session.add(row)
        made.append(row)
    dispatch.status = "allocated" if made else "approved"
    session.flush()
    _step(session, principal, dispatch, "allocate",
          {"allocations": [{"lot": r.lot_id, "contract": r.contract_id, "quantity": qty(r.quantity_milli)}
                           for r in made]})
    return made


def ship(session: Session, principal: Principal, dispatch_id: int, note: str = "") -> Dispatch:
    """Every allocation leaves its warehouse: a dispatch movement per lot (the shipper must hold the lot)."""
    dispatch = _for_step(session, principal, dispatch_id, "allocated")
    now = clock.now()
    for allocation in _allocations(session, dispatch):
        if allocation.lot_id is not None:
            lot = get_scoped(session, principal, Lot, allocation.lot_id, roles.WRITE)
            ledger._post(session, principal, lot, "dispatch", -allocation.quantity_milli,
                         note=f"{dispatch.title}"[:500], dispatch_id=dispatch.id)
        allocation.shipped_milli, allocation.shipped_at = allocation.quantity_milli, now
    dispatch.status = "shipped"
    _step(session, principal, dispatch, "ship", {"note": note})
    return dispatch


def receive(session: Session, principal: Principal, dispatch_id: int, data: ReceiveIn) -> Dispatch:
    """What arrived, per allocation (in full unless told otherwise); into the destination warehouse if any."""
    dispatch = _for_step(session, principal, dispatch_id, "shipped")
    allocations = {str(a.id): a for a in _allocations(session, dispatch)}
    unknown = set(data.received) - set(allocations)
    if unknown:
        raise UserError("This allocation is not part of the request.", field="received")
    target = None
    if dispatch.to_warehouse_id is not None:
        target = get_scoped(session, principal, Warehouse, dispatch.to_warehouse_id, roles.WRITE)
    now = clock.now()
    got = {}
    for key, allocation in allocations.items():
        amount = data.received.get(key)
        milli = allocation.shipped_milli if amount is None else (0 if amount == 0 else to_milli(amount))
        if milli > allocation.shipped_milli:
            raise UserError("More cannot arrive than was shipped.", field=f"received.{key}")
        allocation.received_milli, allocation.received_at = milli, now
        got[key] = qty(milli)
        if target is not None and milli:
            source = session.get(Lot, allocation.lot_id) if allocation.lot_id else None
            lot = ledger.new_lot(session, target, session.get_one(DispatchLine, allocation.line_id).item_id,
                                 source.lot_no if source else "", source.produced_on if source else None,
                                 source.expires_on if source else None)
            ledger._post(session, principal, lot, "receipt", milli, note=dispatch.title[:500],
                         dispatch_id=dispatch.id)
    dispatch.status = "received"
    _step(session, principal, dispatch, "receive", {"received": got, "note": data.note})
    return dispatch


def detail(session: Session, principal: Principal, dispatch_id: int) -> DispatchDetail:
    dispatch = get(session, principal, dispatch_id)
    lines = _lines(session, dispatch)
    allocations = _allocations(session, dispatch)
    items = supplies.item_map(session, [line.item_id for line in lines])
    warehouses = {w.id: w for w in session.scalars(select(Warehouse).where(
        Warehouse.id.in_({a.warehouse_id for a in allocations if a.warehouse_id})))}
    contracts = supplies.names(session, _ContractName, [a.contract_id for a in allocations])
    line_item = {line.id: line.item_id for line in lines}
    states = []
    for line in lines:
        mine = [a for a in allocations if a.line_id == line.id]
        allocated = sum(a.quantity_milli for a in mine)
        shipped = sum(a.shipped_milli for a in mine)
        received = sum(a.received_milli for a in mine)
        covered = received if dispatch.status == "received" else allocated
        item = items[line.item_id]
        states.append(LineState(line_id=line.id, item_id=line.item_id, item=item.name, uom=item.uom,
                                requested=qty(line.requested_milli), allocated=qty(allocated), shipped=qty(shipped),
                                received=qty(received), short=qty(max(line.requested_milli - covered, 0))))
    reads = []
    for a in allocations:
        w = warehouses.get(a.warehouse_id or 0)
        km = None
        if w is not None and None not in (dispatch.lon, dispatch.lat, w.lon, w.lat):
            km = round(distance_km(dispatch.lon, dispatch.lat, w.lon, w.lat), 1)  # type: ignore[arg-type]
        reads.append(AllocationRead(id=a.id, line_id=a.line_id, item_id=line_item[a.line_id],
                                    warehouse_id=a.warehouse_id, warehouse=w.name if w else "", lot_id=a.lot_id,
                                    contract_id=a.contract_id,
                                    source=w.name if w else contracts.get(a.contract_id or 0, ""),
                                    quantity=qty(a.quantity_milli), shipped=qty(a.shipped_milli),
                                    received=qty(a.received_milli), distance_km=km))
    steps = session.scalars(select(DispatchStep).where(DispatchStep.dispatch_id == dispatch.id)
                            .order_by(DispatchStep.id))
    moves = session.scalars(select(Movement).where(Movement.dispatch_id == dispatch.id).order_by(Movement.id))
    return DispatchDetail(dispatch=DispatchRead.model_validate(dispatch), lines=states, allocations=reads,
                          steps=[StepRead.model_validate(s) for s in steps],
                          movements=[ledger.movement_read(m) for m in moves])


class _ContractName:
    """``supplies.names`` reads ``id`` and ``name`` columns; a contract's name is its supplier."""

    id = SupplierContract.id
    name = SupplierContract.supplier


# --- supplier contracts (协议储备) ----------------------------------------------------------------

def contracts(principal: Principal, *, q: str = "", item_id: int | None = None) -> Select[Any]:
    stmt = search(scoped(select(SupplierContract), principal), q, SupplierContract.supplier, SupplierContract.contact)
    if item_id:
        stmt = stmt.where(SupplierContract.item_id == item_id)
    return stmt.order_by(SupplierContract.ends_on, SupplierContract.id)


def contract_reads(session: Session, rows: list[SupplierContract]) -> list[ContractRead]:
    drawn = _drawn(session, [c.id for c in rows])
    return [ContractRead(id=c.id, unit_id=c.unit_id, supplier=c.supplier, item_id=c.item_id,
                         quantity=qty(c.quantity_milli), drawn=qty(drawn.get(c.id, 0)), delivery_hours=c.delivery_hours,
                         starts_on=c.starts_on, ends_on=c.ends_on, contact=c.contact) for c in rows]


def create_contract(session: Session, principal: Principal, data: ContractCreate) -> SupplierContract:
    from yingji.resources.common import create_record

    supplies.get_item(session, principal, data.supply_item_id)
    values = data.model_dump(exclude={"supply_item_id", "quantity"})
    row = SupplierContract(**values, item_id=data.supply_item_id, quantity_milli=to_milli(data.quantity))
    return create_record(session, principal, row, "res_contract")


# --- surplus and shortage between units -----------------------------------------------------------

def matches(session: Session, principal: Principal, *, item_id: int | None = None) -> list[Match]:
    """Warehouses below their minimum level, each offered the surplus (stock above the minimum) of the
    nearest warehouses of other units in scope that hold the item."""
    rows = supplies.stock(session, principal, item_id=item_id)
    short = [(r, r.min_milli - r.milli) for r in rows if r.below_minimum]  # type: ignore[operator]
    surplus = {(r.warehouse_id, r.item_id): r.milli - (r.min_milli or 0) for r in rows if r.milli > (r.min_milli or 0)}
    if not short:
        return []
    ware = {w.id: w for w in session.scalars(select(Warehouse).where(
        Warehouse.id.in_({r.warehouse_id for r in rows})))}
    items = supplies.item_map(session, {r.item_id for r in rows})
    out = []
    for need_row, need in sorted(short, key=lambda p: -p[1]):
        to = ware[need_row.warehouse_id]
        offers = []
        for (wid, iid), spare in surplus.items():
            if iid != need_row.item_id or ware[wid].unit_id == to.unit_id or spare <= 0:
                continue
            src = ware[wid]
            km = _between(src, to)
            offers.append((km is None, km or 0.0, wid))
        for _none, km, wid in sorted(offers):
            if need <= 0:
                break
            take = min(need, surplus[(wid, need_row.item_id)])
            surplus[(wid, need_row.item_id)] -= take
            need -= take
            out.append(Match(item_id=need_row.item_id, item=items[need_row.item_id].name, from_warehouse_id=wid,
                             from_warehouse=ware[wid].name, to_warehouse_id=to.id, to_warehouse=to.name,
                             quantity=qty(take), distance_km=None if _none else round(km, 1)))
    return out


def _between(a: Warehouse, b: Warehouse) -> float | None:
    if a.lon is None or a.lat is None or b.lon is None or b.lat is None:
        return None
    return distance_km(a.lon, a.lat, b.lon, b.lat)


def unit_names(session: Session, ids: Any) -> dict[int, str]:
    return supplies.names(session, Unit, ids)

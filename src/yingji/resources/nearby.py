"""Near a point: the nearest teams, warehouses, shelters and equipment with their distance.

The grid cells (0.1°) covering a bounding box around the point are asked of the database first (an
index on the cell), and the box grows threefold until enough rows lie within the true (great-circle)
distance or the farthest
distance allowed is reached; only the rows in the box are measured exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from yingji.core.models import Unit
from yingji.core.scope import Principal, scoped
from yingji.errors import UserError
from yingji.resources import defaults
from yingji.resources.common import bbox, distance_km, qty
from yingji.resources.models import CELL_DEGREES, Equipment, Lot, Shelter, Team, Warehouse, cell_of
from yingji.resources.schemas import Near

KINDS = ("team", "warehouse", "shelter", "equipment")
FIRST_RADIUS_KM = 10.0
MAX_CELLS = 400


def _columns(*columns: Any) -> Any:
    """A select of some columns (typed loosely: the query builders below return one shape)."""
    return select(*columns)


def _teams(capability: str = "", ready_only: bool = False, **_: Any) -> Select[Any]:
    stmt: Any = _columns(Team.id, Team.name, Team.unit_id, Team.lon, Team.lat, Team.readiness, Team.members)
    if capability:
        stmt = stmt.where(Team.capabilities.like(f"%,{capability},%"))
    if ready_only:
        stmt = stmt.where(Team.readiness == "ready")
    return stmt


def _warehouses(item_id: int | None = None, **_: Any) -> Select[Any]:
    if not item_id:
        plain: Any = _columns(Warehouse.id, Warehouse.name, Warehouse.unit_id, Warehouse.lon, Warehouse.lat,
                              Warehouse.kind)
        return plain
    held = (select(Lot.warehouse_id, func.sum(Lot.quantity_milli).label("held")).where(Lot.item_id == item_id)
            .group_by(Lot.warehouse_id).having(func.sum(Lot.quantity_milli) > 0).subquery())
    joined: Any = _columns(Warehouse.id, Warehouse.name, Warehouse.unit_id, Warehouse.lon, Warehouse.lat,
                           held.c.held)
    return joined.join(held, held.c.warehouse_id == Warehouse.id)


def _shelters(min_free: int = 0, open_only: bool = False, **_: Any) -> Select[Any]:
    stmt: Any = _columns(Shelter.id, Shelter.name, Shelter.unit_id, Shelter.lon, Shelter.lat, Shelter.capacity,
                         Shelter.occupancy)
    if min_free:
        stmt = stmt.where(Shelter.capacity - Shelter.occupancy >= min_free)
    if open_only:
        stmt = stmt.where(Shelter.is_open.is_(True))
    return stmt


def _equipment(equipment_kind: str = "", **_: Any) -> Select[Any]:
    stmt: Any = _columns(Equipment.id, Equipment.name, Equipment.unit_id, Equipment.lon, Equipment.lat,
                         Equipment.kind, Equipment.status)
    if equipment_kind:
        stmt = stmt.where(Equipment.kind == equipment_kind)
    return stmt


QUERIES: dict[str, tuple[Any, Callable[..., Select[Any]]]] = {
    "team": (Team, _teams), "warehouse": (Warehouse, _warehouses), "shelter": (Shelter, _shelters),
    "equipment": (Equipment, _equipment)}


def _detail(kind: str, row: Any) -> str:
    if kind == "team":
        return f"{row.readiness}:{row.members}"
    if kind == "warehouse":
        return qty(row.held) if hasattr(row, "held") else row.kind
    if kind == "shelter":
        return str(row.capacity - row.occupancy)
    return f"{row.kind}:{row.status}"


def _cells(west: float, south: float, east: float, north: float) -> list[int] | None:
    """The grid cells covering a box, or None when there are too many to list (then the box alone filters)."""
    width = math.floor(east / CELL_DEGREES) - math.floor(west / CELL_DEGREES) + 1
    height = math.floor(north / CELL_DEGREES) - math.floor(south / CELL_DEGREES) + 1
    if width * height > MAX_CELLS:
        return None
    first = cell_of(west, south)
    assert first is not None
    return [first + row * 10000 + col for row in range(height) for col in range(width)]


def nearest(session: Session, principal: Principal, kind: str, lon: float, lat: float, *, limit: int | None = None,
            radius_km: float | None = None, **filters: Any) -> list[Near]:
    """The ``limit`` nearest rows of ``kind`` within ``radius_km`` of the point, nearest first."""
    if kind not in QUERIES:
        raise UserError("Unknown kind of resource.", field="kind")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise UserError("The point lies outside the map.", field="lon")
    limit = limit or defaults.value(session, defaults.NEARBY_LIMIT)
    farthest = float(radius_km or defaults.value(session, defaults.NEARBY_RADIUS))
    model, query = QUERIES[kind]
    base = query(**filters)
    # Scope through the choke point, once: the units the principal may see. The rows of the grid cells are then
    # kept only when their unit is one of these (a join would let the planner walk every row of the scope).
    allowed = None if principal.is_global else set(session.scalars(scoped(select(Unit.id), principal)))
    radius = min(FIRST_RADIUS_KM, farthest)
    while True:
        west, south, east, north = bbox(lon, lat, radius)
        stmt = base.where(model.lat.between(south, north), model.lon.between(west, east))
        cells = _cells(west, south, east, north)
        if cells is not None:
            stmt = stmt.where(model.cell.in_(cells))
        found = []
        for row in session.execute(stmt):
            if allowed is not None and row.unit_id not in allowed:
                continue
            km = distance_km(lon, lat, row.lon, row.lat)
            if km <= radius:
                found.append((km, row))
        if len(found) >= limit or radius >= farthest:
            found.sort(key=lambda pair: (pair[0], pair[1].id))
            return [Near(kind=kind, id=row.id, name=row.name, unit_id=row.unit_id, lon=row.lon, lat=row.lat,
                         distance_km=round(km, 2), detail=_detail(kind, row)) for km, row in found[:limit]]
        radius = min(radius * 3, farthest)


def nearest_naive(session: Session, principal: Principal, kind: str, lon: float, lat: float, *, limit: int = 10,
                  **filters: Any) -> list[tuple[float, int]]:
    """Every row measured, then sorted: the baseline the bounding box is compared with."""
    model, query = QUERIES[kind]
    rows = session.execute(scoped(query(**filters), principal, model=model).where(model.lat.is_not(None)))
    return sorted((distance_km(lon, lat, r.lon, r.lat), r.id) for r in rows)[:limit]

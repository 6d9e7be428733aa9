"""Near a point: the nearest teams, warehouses, shelters and equipment with their distance.

The search walks outward in rings. Each round reads the rows in the box around the point for its radius
but outside the box the previous round read, through the 0.1° grid cells covering the box and an index
that begins with the cell and holds every column the filters and the distance need (place, owner,
readiness, capabilities…), so the filters run inside the index and no table row is read. The radius
doubles until ``limit`` rows lie within it — every row within a radius lies in that radius' box, so those
are certainly the nearest — or the farthest distance allowed is reached. Names and details are then read
for the winners only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from yingji.core.models import Unit
from yingji.core.scope import Principal, scoped
from yingji.errors import UserError
from yingji.resources import defaults
from yingji.resources.common import bbox, distance_km, qty
from yingji.resources.models import CELL_DEGREES, Equipment, Lot, ResRule, Shelter, Team, Warehouse, cell_of
from yingji.resources.schemas import Near

KINDS = ("team", "warehouse", "shelter", "equipment")
FIRST_RADIUS_KM = 5.0
MAX_CELLS = 400


def _where(model: Any) -> Any:
    """The columns a candidate needs: its id, owner and place (all in the kind's covering index)."""
    return select(model.id, model.unit_id, model.lon, model.lat)


def _teams(capability: str = "", ready_only: bool = False, **_: Any) -> Select[Any]:
    stmt = _where(Team)
    if capability:
        stmt = stmt.where(Team.capabilities.like(f"%,{capability},%"))
    if ready_only:
        stmt = stmt.where(Team.readiness == "ready")
    return stmt


def _held(item_id: int) -> Any:
    return (select(Lot.warehouse_id, func.sum(Lot.quantity_milli).label("held")).where(Lot.item_id == item_id)
            .group_by(Lot.warehouse_id).having(func.sum(Lot.quantity_milli) > 0).subquery())


def _warehouses(item_id: int | None = None, **_: Any) -> Select[Any]:
    stmt = _where(Warehouse)
    if item_id:
        held = _held(item_id)
        stmt = stmt.join(held, held.c.warehouse_id == Warehouse.id)
    return stmt


def _shelters(min_free: int = 0, open_only: bool = False, **_: Any) -> Select[Any]:
    stmt = _where(Shelter)
    if min_free:
        stmt = stmt.where(Shelter.capacity - Shelter.occupancy >= min_free)
    if open_only:
        stmt = stmt.where(Shelter.is_open.is_(True))
    return stmt


def _equipment(equipment_kind: str = "", **_: Any) -> Select[Any]:
    stmt = _where(Equipment)
    if equipment_kind:
        stmt = stmt.where(Equipment.kind == equipment_kind)
    return stmt


QUERIES: dict[str, tuple[Any, Callable[..., Select[Any]]]] = {
    "team": (Team, _teams), "warehouse": (Warehouse, _warehouses), "shelter": (Shelter, _shelters),
    "equipment": (Equipment, _equipment)}


def _details(session: Session, kind: str, ids: list[int], item_id: int | None = None,
             **_: Any) -> dict[int, tuple[str, str]]:
    """Name and detail of the rows found (a handful): {id: (name, detail)}."""
    if not ids:
        return {}
    if kind == "team":
        return {r.id: (r.name, f"{r.readiness}:{r.members}") for r in session.execute(
            select(Team.id, Team.name, Team.readiness, Team.members).where(Team.id.in_(ids)))}
    if kind == "shelter":
        return {r.id: (r.name, str(r.capacity - r.occupancy)) for r in session.execute(
            select(Shelter.id, Shelter.name, Shelter.capacity, Shelter.occupancy).where(Shelter.id.in_(ids)))}
    if kind == "equipment":
        return {r.id: (r.name, f"{r.kind}:{r.status}") for r in session.execute(
            select(Equipment.id, Equipment.name, Equipment.kind, Equipment.status).where(Equipment.id.in_(ids)))}
    if item_id:
        held = _held(item_id)
        return {r.id: (r.name, qty(r.held)) for r in session.execute(
            select(Warehouse.id, Warehouse.name, held.c.held).join(held, held.c.warehouse_id == Warehouse.id)
            .where(Warehouse.id.in_(ids)))}
    return {r.id: (r.name, r.kind) for r in session.execute(
        select(Warehouse.id, Warehouse.name, Warehouse.kind).where(Warehouse.id.in_(ids)))}


def _cells(west: float, south: float, east: float, north: float) -> list[int] | None:
    """The grid cells covering a box, or None when there are too many to list (then the box alone filters)."""
    width = math.floor(east / CELL_DEGREES) - math.floor(west / CELL_DEGREES) + 1
    height = math.floor(north / CELL_DEGREES) - math.floor(south / CELL_DEGREES) + 1
    if width * height > MAX_CELLS:
        return None
    first = cell_of(west, south)
    assert first is not None
    return [first + row * 10000 + col for row in range(height) for col in range(width)]


def _limits(session: Session) -> tuple[int, float]:
    """The number of rows listed and the farthest distance, read in one query."""
    stored: dict[str, int] = {key: value for key, value in session.execute(select(ResRule.key, ResRule.value).where(
        ResRule.key.in_((defaults.NEARBY_LIMIT, defaults.NEARBY_RADIUS))))}
    for rule in defaults.RES_RULES:
        stored.setdefault(str(rule["key"]), int(str(rule["value"])))
    return int(stored[defaults.NEARBY_LIMIT]), float(stored[defaults.NEARBY_RADIUS])


def nearest(session: Session, principal: Principal, kind: str, lon: float, lat: float, *, limit: int | None = None,
            radius_km: float | None = None, **filters: Any) -> list[Near]:
    """The ``limit`` nearest rows of ``kind`` within ``radius_km`` of the point, nearest first."""
    if kind not in QUERIES:
        raise UserError("Unknown kind of resource.", field="kind")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise UserError("The point lies outside the map.", field="lon")
    if limit is None or radius_km is None:
        rule_limit, rule_radius = _limits(session)
        limit, radius_km = limit or rule_limit, radius_km or rule_radius
    farthest = float(radius_km)
    model, query = QUERIES[kind]
    base = query(**filters)
    # Scope through the choke point, once: the units the principal may see. The rows of the grid cells are then
    # kept only when their unit is one of these (a join would let the planner walk every row of the scope).
    allowed = None if principal.is_global else set(session.scalars(scoped(select(Unit.id), principal)))
    radius = min(FIRST_RADIUS_KM, farthest)
    inner: tuple[float, float, float, float] | None = None  # the box already read
    measured: dict[int, tuple[float, int, float, float]] = {}  # id -> (distance, unit, lon, lat)
    while True:
        cells = _cells(*bbox(lon, lat, radius))
        if cells is None:  # too many cells to list: one last round over the farthest box (index on lat, lon)
            radius = farthest
        west, south, east, north = bbox(lon, lat, radius)
        stmt = base.where(model.lat.between(south, north), model.lon.between(west, east))
        if cells is not None:
            stmt = stmt.where(model.cell.in_(cells))
        if inner is not None:  # only the ring between the box read and this one
            stmt = stmt.where(or_(model.lon < inner[0], model.lat < inner[1], model.lon > inner[2],
                                  model.lat > inner[3]))
        for row in session.execute(stmt):
            if allowed is None or row.unit_id in allowed:
                measured[row.id] = (distance_km(lon, lat, row.lon, row.lat), row.unit_id, row.lon, row.lat)
        within = sorted((found[0], row_id) for row_id, found in measured.items() if found[0] <= radius)
        if len(within) >= limit or radius >= farthest:
            break
        inner = (west, south, east, north)
        radius = min(radius * 2, farthest)
    chosen = within[:limit]
    details = _details(session, kind, [row_id for _km, row_id in chosen], **filters)
    return [Near(kind=kind, id=row_id, name=details[row_id][0], unit_id=measured[row_id][1],
                 lon=measured[row_id][2], lat=measured[row_id][3], distance_km=round(km, 2),
                 detail=details[row_id][1]) for km, row_id in chosen]


def nearest_naive(session: Session, principal: Principal, kind: str, lon: float, lat: float, *, limit: int = 10,
                  **filters: Any) -> list[tuple[float, int]]:
    """Every row measured, then sorted: the baseline the grid search is compared with."""
    model, query = QUERIES[kind]
    rows = session.execute(scoped(query(**filters), principal, model=model).where(model.lat.is_not(None)))
    return sorted((distance_km(lon, lat, r.lon, r.lat), r.id) for r in rows)[:limit]

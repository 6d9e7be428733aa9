"""Grids (网格化): village outlines, grids inside them with their officer, patrols from the phone, coverage."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.models import Unit, User
from yingji.core.schemas import Page
from yingji.core.scope import Principal, get_scoped, in_subtree, scoped
from yingji.errors import UserError
from yingji.risks import common, defaults, geo
from yingji.risks.inspections import check_results, usable_checklist
from yingji.risks.models import AreaOutline, Grid, Patrol
from yingji.risks.schemas import CoverageRow, GridCreate, OutlineSet, PatrolCreate

GRID_UNIT_KINDS = ("village",)
MAX_PATROL_HOURS = 24
MIN_AREA = 1e-12  # square degrees (about 0.01 m²): anything smaller encloses no area


def _check_ring(points: list[list[float]], field: str) -> list[tuple[float, float]]:
    ring = geo.ring(points)
    if len(ring) < 3 or geo.area(ring) <= MIN_AREA:
        raise UserError("A polygon needs at least three points that enclose an area.", field=field)
    if geo.self_crossing(ring):
        raise UserError("The polygon's edges cross each other.", field=field)
    return ring


def get_outline(session: Session, unit_id: int) -> AreaOutline | None:
    return session.scalar(select(AreaOutline).where(AreaOutline.unit_id == unit_id))


def set_outline(session: Session, principal: Principal, unit_id: int, data: OutlineSet) -> AreaOutline:
    unit = common.unit_for_write(session, principal, unit_id)
    if unit.kind not in GRID_UNIT_KINDS:
        raise UserError("Outlines are kept for villages and communities.", field="unit_id")
    ring = _check_ring(data.polygon, "polygon")
    outside = [g.name for g in session.scalars(select(Grid).where(Grid.unit_id == unit_id))
               if not geo.within(geo.ring(g.polygon), ring)]
    if outside:
        raise UserError("Grids would lie outside the new outline: %(names)s", field="polygon",
                        names="、".join(outside[:5]))
    row = get_outline(session, unit_id)
    points = [list(p) for p in ring]
    if row is None:
        return common.created(session, principal, AreaOutline(unit_id=unit_id, polygon=points), "risks_outline")
    before = audit.snapshot(row)
    row.polygon = points
    return common.changed(session, principal, row, "risks_outline", before)


def _officer(session: Session, principal: Principal, officer_id: int | None, unit: Unit) -> User | None:
    if officer_id is None:
        return None
    user = get_scoped(session, principal, User, officer_id)
    holder = session.get(Unit, user.unit_id)
    if holder is None or not (unit.path.startswith(holder.path) or holder.path.startswith(unit.path)):
        raise UserError("The grid officer must belong to the village or to the township above it.",
                        field="officer_id")
    return user


def create_grid(session: Session, principal: Principal, data: GridCreate) -> Grid:
    unit = common.unit_for_write(session, principal, data.unit_id)
    if unit.kind not in GRID_UNIT_KINDS:
        raise UserError("Grids lie inside a village or community.", field="unit_id")
    ring = _check_ring(data.polygon, "polygon")
    outline = get_outline(session, unit.id)
    if outline is not None and not geo.within(ring, geo.ring(outline.polygon)):
        raise UserError("The grid lies (partly) outside its village's outline.", field="polygon")
    officer = _officer(session, principal, data.officer_id, unit)
    if data.checklist_id is not None:
        usable_checklist(session, principal, data.checklist_id, "patrol")
    row = Grid(unit_id=unit.id, name=data.name, officer_id=officer.id if officer else None,
               officer_name=data.officer_name or (officer.display_name if officer else ""),
               officer_phone=data.officer_phone or (officer.phone if officer else ""),
               polygon=[list(p) for p in ring],
               patrol_days=data.patrol_days or defaults.value(session, defaults.PATROL_DAYS),
               checklist_id=data.checklist_id)
    return common.created(session, principal, row, "risks_grid")


def get_grid(session: Session, principal: Principal, grid_id: int, action: str = roles.READ) -> Grid:
    return get_scoped(session, principal, Grid, grid_id, action)


def grids_statement(session: Session, principal: Principal, *, q: str = "", area_id: int | None = None) -> Any:
    stmt = scoped(select(Grid), principal)
    if q:
        stmt = stmt.where(Grid.name.ilike(f"%{q}%") | Grid.officer_name.ilike(f"%{q}%"))
    if area_id is not None:
        area = get_scoped(session, principal, Unit, area_id)
        stmt = stmt.where(Grid.unit_id.in_(select(Unit.id).where(in_subtree(Unit.path, area.path))))
    return stmt.order_by(Grid.unit_id, Grid.id)


def record_patrol(session: Session, principal: Principal, grid_id: int, data: PatrolCreate) -> Patrol:
    """A patrol from the phone: the grid officer (or anyone who reports for the area) records it."""
    grid = get_grid(session, principal, grid_id, roles.REPORT)
    start, end = common.aware(data.started_at), common.aware(data.ended_at)
    if end < start:
        raise UserError("The patrol ends before it starts.", field="ended_at")
    if end > clock.now() + timedelta(minutes=5):
        raise UserError("A patrol cannot be recorded before it happens.", field="ended_at")
    if end - start > timedelta(hours=MAX_PATROL_HOURS):
        raise UserError("A patrol lasts at most %(n)s hours.", field="ended_at", n=MAX_PATROL_HOURS)
    checklist = grid.checklist_id
    results = check_results(data.results, usable_checklist(session, principal, checklist, "patrol")
                            if checklist else None) if data.results else {}
    track = [[p.lon, p.lat] for p in data.track]
    row = Patrol(grid_id=grid.id, unit_id=grid.unit_id, user_id=principal.user_id, started_at=start, ended_at=end,
                 track=track, results=results, note=data.note)
    common.created(session, principal, row, "risks_patrol")
    if grid.last_patrol_at is None or end > grid.last_patrol_at:
        grid.last_patrol_at = end
    return row


def get_patrol(session: Session, principal: Principal, patrol_id: int) -> Patrol:
    return get_scoped(session, principal, Patrol, patrol_id)


def patrols(session: Session, principal: Principal, grid_id: int, limit: int = 100) -> list[Patrol]:
    get_grid(session, principal, grid_id)
    stmt = scoped(select(Patrol), principal).where(Patrol.grid_id == grid_id)
    return list(session.scalars(stmt.order_by(Patrol.ended_at.desc()).limit(limit)))


def due_since(grid: Grid, now: datetime) -> datetime | None:
    """When the grid fell due for a patrol (None while it is covered). A patrol within the last
    ``patrol_days`` × 24 h covers it; at exactly that age it is due."""
    window = timedelta(days=grid.patrol_days)
    if grid.last_patrol_at is None:
        return grid.created_at
    return grid.last_patrol_at + window if now - grid.last_patrol_at >= window else None


def coverage_statement(session: Session, principal: Principal, *, area_id: int | None = None,
                       only_unpatrolled: bool = False, now: datetime | None = None) -> Any:
    """Grids in the area; with ``only_unpatrolled`` just those due for a patrol at ``now``, decided in SQL
    exactly as :func:`due_since` does (one comparison per patrol interval in use)."""
    stmt = grids_statement(session, principal, area_id=area_id)
    if only_unpatrolled:
        now = now or clock.now()
        intervals = session.scalars(select(Grid.patrol_days).distinct()).all()
        stmt = stmt.where(or_(Grid.last_patrol_at.is_(None),
                              *(and_(Grid.patrol_days == days, Grid.last_patrol_at <= now - timedelta(days=days))
                                for days in intervals)))
    return stmt


def coverage_rows(session: Session, grids: Iterable[Grid], now: datetime | None = None) -> list[CoverageRow]:
    now = now or clock.now()
    grids = list(grids)
    units = common.unit_names(session, [g.unit_id for g in grids])
    return [CoverageRow(grid_id=grid.id, grid=grid.name, unit=units.get(grid.unit_id, ""),
                        officer=grid.officer_name, patrol_days=grid.patrol_days,
                        last_patrol_at=grid.last_patrol_at, due_since=due_since(grid, now)) for grid in grids]


def coverage(session: Session, principal: Principal, *, area_id: int | None = None,
             only_unpatrolled: bool = False, now: datetime | None = None) -> list[CoverageRow]:
    now = now or clock.now()
    stmt = coverage_statement(session, principal, area_id=area_id, only_unpatrolled=only_unpatrolled, now=now)
    return coverage_rows(session, session.scalars(stmt), now)


def coverage_page(session: Session, principal: Principal, *, area_id: int | None = None,
                  only_unpatrolled: bool = False, page: int = 1, per_page: int = 50,
                  now: datetime | None = None) -> tuple[Page[CoverageRow], int, int]:
    """One page of coverage rows, the number of grids in the area and how many of them are due."""
    now = now or clock.now()
    stmt = coverage_statement(session, principal, area_id=area_id, only_unpatrolled=only_unpatrolled, now=now)
    grids = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    rows = Page(items=coverage_rows(session, grids, now), total=count(session, stmt), page=page, per_page=per_page)
    return rows, count(session, grids_statement(session, principal, area_id=area_id)), count(
        session, coverage_statement(session, principal, area_id=area_id, only_unpatrolled=True, now=now))


def count(session: Session, stmt: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)

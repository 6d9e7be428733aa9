"""Plane geometry on lon/lat rings, enough to keep a grid inside its village (no GIS server needed)."""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]


def ring(points: Sequence[Sequence[float]]) -> list[Point]:
    """Points as (lon, lat) tuples, the closing point (a repeat of the first) dropped."""
    out = [(float(p[0]), float(p[1])) for p in points]
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


def area(points: Sequence[Point]) -> float:
    total = 0.0
    for i, (x1, y1) in enumerate(points):
        x2, y2 = points[(i + 1) % len(points)]
        total += x1 * y2 - x2 * y1
    return abs(total) / 2


def _orient(a: Point, b: Point, c: Point) -> float:
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Proper crossing of two segments (touching at an end or along an edge does not count)."""
    d1, d2 = _orient(q1, q2, p1), _orient(q1, q2, p2)
    d3, d4 = _orient(p1, p2, q1), _orient(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def edges(points: Sequence[Point]) -> list[tuple[Point, Point]]:
    return [(points[i], points[(i + 1) % len(points)]) for i in range(len(points))]


def self_crossing(points: Sequence[Point]) -> bool:
    sides = edges(points)
    n = len(sides)
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue
            if _cross(*sides[i], *sides[j]):
                return True
    return False


def _on_edge(p: Point, a: Point, b: Point, eps: float = 1e-12) -> bool:
    if abs(_orient(a, b, p)) > eps:
        return False
    return min(a[0], b[0]) - eps <= p[0] <= max(a[0], b[0]) + eps and \
        min(a[1], b[1]) - eps <= p[1] <= max(a[1], b[1]) + eps


def contains_point(points: Sequence[Point], p: Point) -> bool:
    """Inside or on the boundary (ray casting)."""
    inside = False
    for a, b in edges(points):
        if _on_edge(p, a, b):
            return True
        if (a[1] > p[1]) != (b[1] > p[1]):
            x = a[0] + (p[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
            if x > p[0]:
                inside = not inside
    return inside


def within(inner: Sequence[Point], outer: Sequence[Point]) -> bool:
    """Every vertex of ``inner`` inside ``outer`` and no edge of one crossing an edge of the other."""
    if not all(contains_point(outer, p) for p in inner):
        return False
    outer_edges = edges(outer)
    return not any(_cross(a, b, c, d) for a, b in edges(inner) for c, d in outer_edges)

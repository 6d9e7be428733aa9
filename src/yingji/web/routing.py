"""Finding a request's route without trying every route of every router.

The application includes some 30 routers with over 600 routes, and the router tries them in order: a
request for one of the last routers' paths was matched against every route before it (about 1.2 ms of
CPU per request, bench/RESULTS.md). Each included router is given a guard, a :class:`Gate` built from the
literal segments its routes start with: a path none of them could start with is not tried against any of
the router's routes. Which route answers a path is unchanged — a router skipped this way could not have
matched it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.routing import Match, get_route_path
from starlette.types import Scope

DEPTH = 2  # leading path segments a gate looks at


def _segments(path: str) -> tuple[str, ...]:
    inner = path.strip("/")
    return tuple(inner.split("/")) if inner else ()


@dataclass(frozen=True)
class Gate:
    """The paths a router's routes could match, told from their leading literal segments (those before the
    first segment holding a parameter)."""

    keys: frozenset[tuple[str, ...]]  # routes with at least DEPTH literal segments: their first DEPTH
    exact: frozenset[tuple[str, ...]]  # routes wholly literal and shorter than that: all their segments
    open: tuple[tuple[str, ...], ...]  # routes with fewer literal segments, then a parameter: those segments

    def admits(self, path: str) -> bool:
        segments = _segments(path)
        if segments[:DEPTH] in self.keys or segments in self.exact:
            return True
        return any(segments[:len(start)] == start for start in self.open)


def gate_for(paths: Iterable[str]) -> Gate | None:
    """The gate of routes with these paths, or None when one of them could match any path (it starts with a
    parameter)."""
    keys: set[tuple[str, ...]] = set()
    exact: set[tuple[str, ...]] = set()
    opened: set[tuple[str, ...]] = set()
    for path in paths:
        segments = _segments(path)
        literal = 0
        while literal < len(segments) and "{" not in segments[literal]:
            literal += 1
        if literal >= DEPTH:
            keys.add(segments[:DEPTH])
        elif literal == len(segments):
            exact.add(segments)
        elif literal == 0:
            return None
        else:
            opened.add(segments[:literal])
    return Gate(frozenset(keys), frozenset(exact), tuple(sorted(opened)))


def _route_paths(routes: Iterable[Any], base: str) -> Iterator[str]:
    """The full paths of ``routes`` under ``base``, those of routers included in them too (FastAPI keeps an
    included router as one entry, whose prefix already holds the includer's). Anything else without a path
    could match any path."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from _route_paths(nested.routes, base + route.include_context.prefix)
        else:
            yield base + route.path if hasattr(route, "path") else base + "/{any}"


def guard(router: APIRouter, mounted_at: str = "") -> Gate | None:
    """Have the router answer "no match" at once for a path none of its routes could match (as included under
    ``mounted_at``). Returns its gate (None: nothing to guard)."""
    paths = list(_route_paths(router.routes, mounted_at))
    gate = gate_for(paths) if paths else None
    if gate is None:
        return None
    already = getattr(router, "gate", None)
    if already is not None:  # the same module-level router in another application (the tests build many)
        if already != gate:
            raise ValueError(f"a router guarded for {already} is included again elsewhere ({gate})")
        return gate
    inner = router.matches
    admits = gate.admits

    def matches(scope: Scope) -> tuple[Match, Any]:
        if admits(get_route_path(scope)):
            return inner(scope)
        return Match.NONE, {}

    router.matches = matches  # type: ignore[method-assign]
    router.gate = gate  # type: ignore[attr-defined]
    return gate

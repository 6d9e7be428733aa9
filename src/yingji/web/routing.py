"""Finding a request's route without trying every route of every router.

The application includes some 30 routers with over 600 routes, and the router tries them in order: a
request for one of the last routers' paths was matched against every route before it (about 1.2 ms of
CPU per request, bench/RESULTS.md). Each included router is given a guard: a path that does not start with
the literal prefix all its routes share is not tried against any of them. Which route answers a path is
unchanged — a router skipped this way could not have matched it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter
from starlette.routing import Match, get_route_path
from starlette.types import Scope


def literal_prefix(paths: Iterable[str]) -> str:
    """The whole path segments every path starts with, up to the first segment holding a parameter."""
    common: list[str] | None = None
    for path in paths:
        segments = []
        for segment in path.strip("/").split("/"):
            if "{" in segment or not segment:
                break
            segments.append(segment)
        if common is None:
            common = segments
        else:
            n = 0
            while n < min(len(common), len(segments)) and common[n] == segments[n]:
                n += 1
            common = common[:n]
        if not common:
            return ""
    return "/" + "/".join(common) if common else ""


def guard(router: APIRouter, mounted_at: str = "") -> str:
    """Have the router answer "no match" at once for a path outside the prefix its routes share (as included
    under ``mounted_at``). Returns the prefix ("" when its routes share none: nothing to guard)."""
    prefix = literal_prefix(mounted_at + getattr(route, "path", "") for route in router.routes)
    if not prefix:
        return ""
    already = getattr(router, "guarded_prefix", None)
    if already is not None:  # the same module-level router in another application (the tests build many)
        if already != prefix:
            raise ValueError(f"a router guarded for {already} is included under {prefix}")
        return prefix
    inner = router.matches

    def matches(scope: Scope) -> tuple[Match, Any]:
        path = get_route_path(scope)
        if path == prefix or path.startswith(prefix + "/"):
            return inner(scope)
        return Match.NONE, {}

    router.matches = matches  # type: ignore[method-assign]
    router.guarded_prefix = prefix  # type: ignore[attr-defined]
    return prefix

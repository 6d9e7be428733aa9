"""A router skipped by its guard could not have matched: guarded and unguarded matching agree on every path."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import APIRouter
from starlette.routing import Match

from tests.scope_checker import api_routes
from yingji.web.routing import guard, literal_prefix


@pytest.mark.parametrize(("paths", "prefix"), [
    (["/api/incidents", "/api/incidents/{event_id}", "/api/incidents/queue"], "/api/incidents"),
    (["/api/duty/desks", "/api/duty/shifts/{shift_id}"], "/api/duty"),
    (["/incidents/{event_id}/reports"], "/incidents"),
    (["/{page}", "/login"], ""),
    (["/", "/login"], ""),
    (["/risks", "/resources"], ""),
    (["/api/risks", "/api/risks-x"], "/api"),  # whole segments only
    ([], ""),
])
def test_the_literal_prefix_is_whole_segments_before_any_parameter(paths: list[str], prefix: str) -> None:
    assert literal_prefix(paths) == prefix


def _scope(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}


def _samples(app: Any) -> list[tuple[str, str]]:
    found = set()
    for path, route in api_routes(app):
        sample = re.sub(r"\{[^}]+\}", "1", path)
        for method in route.methods or {"GET"}:
            found.add((method, sample))
            found.add((method, sample + "/"))
            found.add((method, sample + "x"))  # a near miss: the prefix plus letters is not under it
    found |= {("GET", "/"), ("GET", "/api"), ("GET", "/api/"), ("GET", "/nowhere"), ("POST", "/api/incidents")}
    return sorted(found)


def test_guarded_and_unguarded_matching_agree_on_every_path(app: Any) -> None:
    samples = _samples(app)
    guarded = 0
    for candidate in app.router.routes:
        router = getattr(candidate, "original_router", None)
        if router is None or not getattr(router, "guarded_prefix", None):
            continue
        guarded += 1
        full = 0
        for method, path in samples:
            with_guard = candidate.matches(_scope(method, path))[0]
            saved = router.__dict__.pop("matches")
            try:
                without = candidate.matches(_scope(method, path))[0]
            finally:
                router.matches = saved
            assert with_guard == without, (router.guarded_prefix, method, path)
            full += with_guard == Match.FULL
        assert full > 0, router.guarded_prefix  # each guarded router still answers its own paths
    assert guarded >= 20


def test_a_router_is_guarded_for_one_prefix() -> None:
    router = APIRouter(prefix="/x")
    router.add_api_route("/y", lambda: None)
    router.add_api_route("/z/{n}", lambda n: None)
    assert guard(router, "/api") == "/api/x"
    assert guard(router, "/api") == "/api/x"  # another application including it the same way
    with pytest.raises(ValueError):
        guard(router, "")

"""A router skipped by its guard could not have matched: guarded and unguarded matching agree on every path."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import APIRouter
from starlette.routing import Match

from tests.scope_checker import api_routes
from yingji.web.routing import gate_for, guard


@pytest.mark.parametrize(("paths", "admitted", "refused"), [
    (["/api/incidents", "/api/incidents/{event_id}", "/api/incidents/queue"],
     ["/api/incidents", "/api/incidents/", "/api/incidents/7", "/api/incidents/queue/x"],
     ["/api/incidentsx", "/api", "/api/duty", "/incidents"]),
    (["/api/ping", "/api/units/{unit_id}", "/api/units.xlsx"],  # several prefixes in one router
     ["/api/ping", "/api/units/1", "/api/units.xlsx", "/api/units"], ["/api/incidents", "/api/unit", "/ping"]),
    (["/", "/login", "/units/{unit_id}"],  # wholly literal short routes admit only themselves
     ["/", "/login", "/login/", "/units/3", "/units"], ["/login/x", "/loginx", "/incidents", "/api/units/3"]),
    (["/files/{path:path}"], ["/files/", "/files/a/b"], ["/file", "/api/files/a"]),
])
def test_a_gate_admits_what_its_routes_could_match(paths: list[str], admitted: list[str],
                                                   refused: list[str]) -> None:
    gate = gate_for(paths)
    assert gate is not None
    assert [p for p in admitted if not gate.admits(p)] == []
    assert [p for p in refused if gate.admits(p)] == []


def test_a_route_starting_with_a_parameter_leaves_its_router_unguarded() -> None:
    assert gate_for(["/login", "/{page}"]) is None


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
    routers = [c for c in app.router.routes if getattr(c, "original_router", None) is not None]
    # every router of the application has a gate, those that include other routers too
    assert [c.original_router.prefix for c in routers if getattr(c.original_router, "gate", None) is None] == []
    for candidate in routers:
        router = candidate.original_router
        full = 0
        for method, path in samples:
            with_guard = candidate.matches(_scope(method, path))[0]
            saved = router.__dict__.pop("matches")
            try:
                without = candidate.matches(_scope(method, path))[0]
            finally:
                router.matches = saved
            assert with_guard == without, (router.gate, method, path)
            full += with_guard == Match.FULL
        assert full > 0, router.gate  # each guarded router still answers its own paths
    assert len(routers) >= 20


def test_a_router_is_guarded_once_for_where_it_is_included() -> None:
    router = APIRouter(prefix="/x")
    router.add_api_route("/y", lambda: None)
    router.add_api_route("/z/{n}", lambda n: None)
    gate = guard(router, "/api")
    assert gate == gate_for(["/api/x/y", "/api/x/z/{n}"])
    assert guard(router, "/api") == gate  # another application including it the same way
    with pytest.raises(ValueError):
        guard(router, "")


def test_a_router_that_includes_routers_is_guarded_for_their_paths_too() -> None:
    child = APIRouter()
    child.add_api_route("/tasks/{n}", lambda n: None)
    grandchild = APIRouter(prefix="/deep")
    grandchild.add_api_route("/er", lambda: None)
    child.include_router(grandchild, prefix="/more")
    parent = APIRouter(prefix="/oversight")
    parent.add_api_route("", lambda: None)
    parent.include_router(child, prefix="")
    assert guard(parent, "") == gate_for(["/oversight", "/oversight/tasks/{n}", "/oversight/more/deep/er"])

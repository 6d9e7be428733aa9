"""No route hides another: with every domain's routers included in order, a path meant for a later
route must not be caught by an earlier one with a parameter in its place (e.g. ``/warnings/{alert_id}``
answering ``/warnings/coverage`` with 422)."""

from __future__ import annotations

import re
from typing import Any

from tests.scope_checker import api_routes


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}:]+(:int)?\}", lambda m: "[0-9]+" if m.group(1) else "[^/]+", path) + "$")


def _sample(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "0", path)


def shadowed(app: Any) -> list[tuple[str, str, str]]:
    routes = api_routes(app)
    found = []
    for i, (earlier, route) in enumerate(routes):
        for later, other in routes[i + 1:]:
            methods = route.methods & other.methods
            if not methods or earlier == later:
                continue
            if _pattern(earlier).match(_sample(later)) and not _pattern(later).match(_sample(earlier)):
                found.append((",".join(sorted(methods)), earlier, later))
    return found


def test_no_route_is_hidden_by_an_earlier_one(app: Any) -> None:
    assert shadowed(app) == []


def test_the_check_sees_a_hidden_route(app: Any) -> None:
    from fastapi import APIRouter

    probe = APIRouter()
    probe.add_api_route("/probe/{thing_id}", lambda thing_id: {}, methods=["GET"])
    probe.add_api_route("/probe/list", lambda: {}, methods=["GET"])
    app.include_router(probe)
    assert ("GET", "/probe/{thing_id}", "/probe/list") in shadowed(app)

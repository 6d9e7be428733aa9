"""The resource routes, walked as every scoped persona against marked rows in 精河县 (the same walker and
foreign rows as tests/core/test_scope_routes.py, restricted to /resources and /api/resources, so that a leak
in this module shows up in this module's tests)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.test_scope_routes import SCOPED_PERSONAS, _snapshotter, foreign  # noqa: F401 (fixture)
from tests.scope_checker import walk


def _ours(path: str) -> bool:
    return path.startswith(("/resources", "/api/resources"))


@pytest.mark.parametrize("role", ["county_office", "enterprise", "leader", "info_officer"])
def test_resource_routes_leak_nothing(app: Any, browser: Any, database: Any, foreign: dict[str, Any],  # noqa: F811
                                      role: str) -> None:
    username = SCOPED_PERSONAS[role]
    client = browser(username)

    def reauth() -> None:
        if client.get("/api/ping").status_code == 401:
            client.sign_in(username)

    tried: list[str] = []
    leaks = walk(app, client, username, foreign, _snapshotter(database, foreign["path"]), reauth=reauth,
                 only=_ours, tried=tried)
    assert not leaks, "\n".join(map(str, leaks))
    assert len(tried) > 60

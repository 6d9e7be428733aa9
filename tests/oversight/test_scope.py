"""The route walker over the oversight routes only, as every scoped role (the full walk lives in
tests/core/test_scope_routes.py and covers them too)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.test_scope_routes import SCOPED_PERSONAS, _snapshotter, foreign  # noqa: F401 (fixture)
from tests.scope_checker import walk


@pytest.mark.parametrize("role", sorted(SCOPED_PERSONAS))
def test_oversight_routes_do_not_leak(app: Any, browser: Any, database: Any, foreign: dict[str, Any],  # noqa: F811
                                      role: str) -> None:
    username = SCOPED_PERSONAS[role]
    client = browser(username)

    def reauth() -> None:
        if client.get("/api/ping").status_code == 401:
            client.sign_in(username)

    tried: list[str] = []
    leaks = walk(app, client, username, foreign, _snapshotter(database, foreign["path"]), reauth=reauth,
                 only=lambda path: "/oversight" in path, tried=tried)
    assert not leaks, "\n".join(map(str, leaks))
    assert len(tried) > 50

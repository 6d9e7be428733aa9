"""No input yields a server error: every route, with every method, gets nonsense in each of its declared
query and form fields, in its path's ids and as its JSON body, as the administrator (who passes the most
permission checks, so the input reaches the most code). Every answer must be below 500."""

from __future__ import annotations

import re
from typing import Any

from fastapi.params import File, Form

from tests.scope_checker import api_routes

NONSENSE = ["", "x", "-1", "99999999999999999999", "1e308", "NaN", "2030-13-45", "２０３０", "a" * 5000, "\x00",
            "[]", "-9223372036854775809"]
PATH_IDS = ["x", "99999999999999999999", "1"]


def _requests(full_path: str, route: Any) -> list[tuple[str, str, dict[str, Any]]]:
    paths = [re.sub(r"\{[^}]+\}", value, full_path) for value in PATH_IDS] if "{" in full_path else [full_path]
    body = route.dependant.body_params
    forms = [p.alias for p in body if isinstance(p.field_info, Form)]
    files = [p.alias for p in body if isinstance(p.field_info, File)]
    queries = [p.alias for p in route.dependant.query_params]
    made = []
    for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
        for path in paths:
            for value in NONSENSE:
                kwargs: dict[str, Any] = {}
                if queries:
                    kwargs["params"] = dict.fromkeys(queries, value)
                if forms or files:
                    kwargs["data"] = dict.fromkeys(forms, value)
                    if files:
                        kwargs["files"] = {name: ("x.bin", value.encode(), "application/octet-stream")
                                           for name in files}
                elif body and method != "GET":
                    kwargs["content"] = value.encode()
                    kwargs["headers"] = {"content-type": "application/json"}
                made.append((method, path, kwargs))
    return made


def test_nonsense_in_every_field_of_every_route_is_never_a_server_error(browser: Any, app: Any) -> None:
    client = browser("admin")
    failures = []
    tried = 0
    for full_path, route in api_routes(app):
        if full_path == "/logout":
            continue
        for method, path, kwargs in _requests(full_path, route):
            headers = {"X-CSRF-Token": client.csrf, **kwargs.pop("headers", {})}
            response = client.request(method, path, headers=headers, follow_redirects=False, **kwargs)
            tried += 1
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {method} {path} {kwargs!r:.120}")
    assert tried > 5000
    assert failures == []

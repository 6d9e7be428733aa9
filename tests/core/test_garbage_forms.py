"""No form a page shows yields a server error, whatever is typed into it. As the administrator, every page
reachable from the list pages is read, and every form on it that posts is sent back with its own values,
one field at a time replaced by nonsense. Every answer must be below 500."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from lxml import html as lxml_html

from tests.conftest import Browser
from tests.scope_checker import api_routes

NONSENSE = ["", "x", "-1", "99999999999999999999", "1e308", "NaN", "2030-13-45", "a" * 5000, "\x00", "[]"]
HREF = re.compile(r'href="(/[^"#?]*)')
SKIP_ACTIONS = ("/logout",)


def _pattern(path: str, patterns: list[tuple[re.Pattern[str], str]]) -> str | None:
    for compiled, route_path in patterns:
        if compiled.fullmatch(path):
            return route_path
    return None


def _patterns(app: Any, method: str) -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))), path)
            for path, route in api_routes(app) if method in route.methods]


def _pages(app: Any, client: Any) -> dict[str, str]:
    """The list pages, then one page of each route with an id that the pages read so far link to."""
    patterns = _patterns(app, "GET")
    pages: dict[str, str] = {}
    queue = [path for path, route in api_routes(app) if "GET" in route.methods and "{" not in path
             and not path.startswith(("/api", "/static", "/docs", "/openapi", "/logout"))]
    seen_patterns: set[str] = set()
    while queue:
        path = queue.pop(0)
        if path in pages:
            continue
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        pages[path] = response.text
        for link in HREF.findall(response.text):
            pattern = _pattern(link, patterns)
            if pattern and "{" in pattern and pattern not in seen_patterns and not link.startswith("/api"):
                seen_patterns.add(pattern)
                queue.append(link)
    return pages


def _forms(app: Any, pages: dict[str, str]) -> dict[tuple[str, tuple[str, ...]], tuple[str, dict[str, Any], list[str]]]:
    """Each kind of posting form once: (route, field names) -> (action, values, file fields)."""
    patterns = _patterns(app, "POST")
    found: dict[tuple[str, tuple[str, ...]], tuple[str, dict[str, Any], list[str]]] = {}
    for path, text in pages.items():
        doc = lxml_html.fromstring(text)
        for form in doc.forms:
            if (form.method or "GET").upper() != "POST":
                continue
            action = urlsplit(form.action or path).path or path
            if action.startswith(SKIP_ACTIONS):
                continue
            values = dict(form.form_values())
            files = [i.name for i in form.inputs if getattr(i, "type", "") == "file" and i.name]
            names = tuple(sorted({i.name for i in form.inputs if i.name} - {"csrf_token"}))
            found.setdefault((_pattern(action, patterns) or action, names), (action, values, files))
    return found


def test_nonsense_in_every_field_of_every_form_is_never_a_server_error(app: Any) -> None:
    failures = []
    tried = 0
    with Browser(app, base_url="http://testserver", raise_server_exceptions=False) as client:
        assert client.sign_in("admin").status_code == 303
        forms = _forms(app, _pages(app, client))
        assert len(forms) > 100
        for (_route, names), (action, values, files) in sorted(forms.items()):
            for name in names:
                for value in NONSENSE:
                    data = {**values, "csrf_token": client.csrf}
                    sent_files = None
                    if name in files:
                        sent_files = {name: ("x.bin", value.encode(), "application/octet-stream")}
                    else:
                        data[name] = value
                    response = client.post(action, data=data, files=sent_files, follow_redirects=False)
                    tried += 1
                    if response.status_code >= 500:
                        failures.append(f"{response.status_code} {action} {name}={value[:20]!r}")
    assert tried > 5000
    assert failures == [], "\n".join(failures)

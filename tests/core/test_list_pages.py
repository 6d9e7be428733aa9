"""Every page that lists things can filter, page and export: each page reachable without an id that shows a
list table (``<table class="list …">``) also has a filter form (GET), the pager and an XLSX export link,
unless it is named below with the reason it does not need one of them."""

from __future__ import annotations

import html
import io
import re
from typing import Any
from urllib.parse import urljoin

from openpyxl import load_workbook

from tests.conftest import zh
from tests.scope_checker import api_routes

LIST_TABLE = re.compile(r'<table[^>]*class="[^"]*\blist\b')
CHECKS = {"filter": re.compile(r'<form[^>]*method="get"', re.IGNORECASE),
          "pager": re.compile(r'class="pager"'),
          "export": re.compile(r'href="[^"]*export=xlsx[^"]*"')}

ALL = frozenset(CHECKS)
RULES = "a fixed set of numbers, each with its source, shown whole on one page"
OVERVIEW = "an overview: a few counts per area, each linking to its own list page"
# page -> (what it does without, why)
EXEMPT: dict[str, tuple[frozenset[str], str]] = {
    **{path: (ALL, RULES) for path in ("/duty/rules", "/incidents/rules", "/incidents/response/rules",
                                       "/oversight/rules", "/preparedness/rules", "/resources/rules",
                                       "/risks/rules", "/warnings/rules")},
    **{path: (ALL, OVERVIEW) for path in ("/preparedness", "/resources", "/risks")},
    "/oversight/assessment/framework": (ALL, "the indicator framework and its weights: a fixed set, shown whole"),
    "/duty/monthly": (frozenset({"pager"}), "one month per page: the month picker is the paging"),
    "/oversight/stats": (frozenset({"pager"}), "a statistics table: one row per group of the chosen period"),
    "/risks/stats": (frozenset({"filter", "pager"}), "a statistics table: one row per county and per sector"),
    "/oversight/annual": (frozenset({"pager"}), "one row per county and department owing the year's report"),
    "/preparedness/linkage": (frozenset({"pager"}), "one row per event type of the national classification"),
}


def _list_pages(app: Any, client: Any) -> dict[str, str]:
    pages = {}
    for path, route in api_routes(app):
        if "GET" not in route.methods or "{" in path or path.startswith(("/api", "/static", "/docs", "/openapi")):
            continue
        response = client.get(path)
        if response.status_code == 200 and "text/html" in response.headers.get("content-type", "") \
                and LIST_TABLE.search(response.text):
            pages[path] = response.text
    return pages


def test_every_list_page_filters_pages_and_exports(app: Any, browser: Any) -> None:
    pages = _list_pages(app, browser("admin"))
    assert len(pages) > 60
    gaps = {}
    for path, text in sorted(pages.items()):
        exempt = EXEMPT.get(path, (frozenset(), ""))[0]
        missing = [what for what, pattern in CHECKS.items() if what not in exempt and not pattern.search(text)]
        if missing:
            gaps[path] = missing
    assert gaps == {}


def test_every_exemption_names_a_list_page(app: Any, browser: Any) -> None:
    pages = _list_pages(app, browser("admin"))
    assert sorted(set(EXEMPT) - set(pages)) == []


BAD_VALUES = ("x", "-1", "0", "99999999999999999999", "2026-13-01", "9999-12-31", "0001-01-01", "1.5", "'; --",
              "中文", "%00", "")


def test_list_pages_answer_bad_filter_values_without_a_server_error(app: Any, browser: Any) -> None:
    """Every query parameter of every list page, given values of the wrong kind, gets a page or a 4xx."""
    client = browser("admin")
    pages = _list_pages(app, client)
    routes = {path: route for path, route in api_routes(app) if path in pages and "GET" in route.methods}
    tried = 0
    for path, route in sorted(routes.items()):
        for param in route.dependant.query_params:
            for value in BAD_VALUES:
                response = client.get(path, params={param.alias: value})
                tried += 1
                assert response.status_code < 500, (path, param.alias, value, response.status_code)
    assert tried > 300


def test_a_blank_filter_value_is_no_value(app: Any, browser: Any) -> None:
    """A filter form sends every field: ``unit_id=`` for "all units", ``year=`` for a field left empty. Each
    query parameter of every list page, sent blank, gets the page as if it had not been sent."""
    client = browser("admin")
    pages = _list_pages(app, client)
    routes = {path: route for path, route in api_routes(app) if path in pages and "GET" in route.methods}
    refused = [(path, param.alias, response.status_code) for path, route in sorted(routes.items())
               for param in route.dependant.query_params
               if (response := client.get(path, params={param.alias: ""})).status_code != 200]
    assert refused == []
    filtered = client.get("/incidents", params={"unit_id": "", "level": "", "category": "1", "status": ""})
    assert filtered.status_code == 200


PAGER_TOTAL = re.compile(r'<nav class="pager"[^>]*>\s*<span>\D*?(\d+)')
EXPORT_LINK = re.compile(r'href="([^"]*export=xlsx[^"]*)"')
# page -> why its export holds other rows than its pager counts
EXPORT_DIFFERS = {
    "/incidents/queue": "the pager counts the done hops; the export holds the waiting ones too",
    "/preparedness/coverage": "the pager counts areas (a column per kind); the export has a row per area and kind",
    "/warnings/channels": "the pager counts the rules; the export holds the channel settings above them too",
}


def _exports(app: Any, client: Any) -> dict[str, tuple[int, str]]:
    """Every list page with a pager and an export link: its total and its export link."""
    found = {}
    for path, text in _list_pages(app, client).items():
        total, link = PAGER_TOTAL.search(text), EXPORT_LINK.search(text)
        if total and link and path not in EXPORT_DIFFERS:
            found[path] = (int(total.group(1)), html.unescape(link.group(1)))
    return found


def _rows(response: Any) -> int:
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    return sum(1 for _ in book.worksheets[0].iter_rows()) - 1  # less the header


def test_an_export_holds_the_whole_filtered_list_whatever_the_page_size(app: Any, browser: Any,
                                                                        monkeypatch: Any) -> None:
    """With pages of two rows, every export still holds every row its page counts (none is cut at a page)."""
    from yingji.core import service

    monkeypatch.setattr(service, "MAX_PER_PAGE", 2)
    client = browser("admin")
    exports = _exports(app, client)
    assert len(exports) > 40
    longer = 0
    for path, (total, link) in sorted(exports.items()):
        response = client.get(urljoin(path, link))
        assert response.status_code == 200, (path, link, response.status_code)
        assert _rows(response) == total, (path, total)
        longer += total > 2
    assert longer > 10


def test_an_export_longer_than_an_export_holds_is_refused_with_a_message(app: Any, browser: Any,
                                                                         monkeypatch: Any, tmp_path: Any) -> None:
    """Past MAX_EXPORT_ROWS an export is refused (400, in the user's language), never cut short, and leaves no
    temporary file behind (the spreadsheet library keeps a sheet being written in one)."""
    import tempfile

    from yingji.core import service

    monkeypatch.setattr(service, "MAX_EXPORT_ROWS", 2)
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    client = browser("admin")
    refused = 0
    for path, (total, link) in sorted(_exports(app, client).items()):
        response = client.get(urljoin(path, link))
        if total > 2:
            assert response.status_code == 400, (path, total, response.status_code)
            assert zh("This list has more than %(n)s rows, more than one export holds. Narrow the filter "
                      "(for example the time range) and export again.") % {"n": 2} in response.text, path
            refused += 1
        else:
            assert response.status_code == 200 and _rows(response) == total, (path, total)
    assert refused > 10
    assert [p.name for p in temporary.iterdir()] == []

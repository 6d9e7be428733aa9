"""The list of pulled sources: what each has brought, filtered, paged in SQL and exported whole."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import audit_count, zh
from tests.warnings.helpers import draft_data, principal, set_now
from yingji.warnings import inbound, service
from yingji.warnings.models import InboundSource
from yingji.warnings.schemas import SourceIn


def _rows_of(data: bytes) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def _names(text: str) -> set[str]:
    return {part.split("<", 1)[0].strip() for part in text.split('data-label="' + zh("name") + '">')[1:]}


def test_sources_filter_page_and_export(session: Any, browser: Any) -> None:
    set_now()
    met = principal(session, "zhou")
    for i in range(52):
        inbound.create_source(session, met, SourceIn(name=f"气象源{i:02d}", url=f"https://met.example/{i}.xml"))
    failing = inbound.create_source(session, met, SourceIn(name="地震源", url="https://quake.example/feed.atom",
                                                           enabled=False))
    failing.last_error = "timed out"
    brought = session.scalar(select(InboundSource).where(InboundSource.name == "气象源07"))
    for _ in range(2):
        service.create_draft(session, met, draft_data()).source_id = brought.id
    session.commit()
    zhou = browser("zhou")
    first = zhou.get("/warnings/inbound", params={"q": "气象源"})
    assert first.status_code == 200
    assert zh("%(total)s in all, page %(page)s of %(last)s", total=52, page=1, last=2) in first.text
    second = zhou.get("/warnings/inbound", params={"q": "气象源", "page": 2})
    assert _names(second.text) == {"气象源50", "气象源51"} and not _names(first.text) & _names(second.text)
    # the search looks at the address too; the state narrows
    by_url = zhou.get("/warnings/inbound", params={"q": "quake.example"}).text
    assert _names(by_url) == {"地震源"}
    assert _names(zhou.get("/warnings/inbound", params={"state": "failing"}).text) == {"地震源"}
    assert "地震源" not in _names(zhou.get("/warnings/inbound", params={"state": "on"}).text)
    off = _names(zhou.get("/warnings/inbound", params={"state": "off", "q": "源"}).text)
    assert off == {"地震源"}
    # the export holds the whole filtered list, with the drafts each source brought
    rows = _rows_of(zhou.get("/warnings/inbound", params={"q": "气象源", "export": "xlsx"}).content)
    assert rows[0][0] == zh("name") and len(rows) == 1 + 52
    brought_column = rows[0].index(zh("drafts brought"))
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["气象源07"][brought_column] == 2 and by_name["气象源08"][brought_column] == 0
    # a county sees none of the prefecture's sources
    assert _names(browser("jinghe").get("/warnings/inbound", params={"q": "源"}).text) == set()


def test_sources_refuse_bad_filters(session: Any, browser: Any) -> None:
    zhou = browser("zhou")
    before = audit_count(session)
    bad = zhou.get("/warnings/inbound", params={"state": "broken"})
    assert bad.status_code == 400 and zh("This value is not one of the allowed choices.") in bad.text
    assert zhou.get("/warnings/inbound", params={"page": 0}).status_code == 422
    assert zhou.get("/warnings/inbound", params={"page": "two"}).status_code == 422
    assert audit_count(session) == before

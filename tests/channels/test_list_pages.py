"""The last-mile index and the channel settings page filter, page and export the whole filtered list."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from openpyxl import load_workbook

from tests.channels.helpers import alert, unit
from tests.conftest import audit_count, zh


def _rows_of(data: bytes) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def _issued(session: Any, event: str, county: str, when: datetime | None = None) -> Any:
    row = alert(session, unit_codes=(county,))
    row.event = event
    for info in row.infos:
        info.headline = f"{event}预警"
    if when is not None:
        row.issued_at = when
    session.flush()
    return row


def test_coverage_index_filters_pages_and_exports(session: Any, browser: Any) -> None:
    for i in range(51):
        _issued(session, f"覆盖测试{i:02d}", "652722")
    bole = _issued(session, "覆盖测试博乐", "652701")
    old = _issued(session, "覆盖测试旧", "652722", datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    session.commit()
    admin = browser("admin")
    first = admin.get("/warnings/coverage", params={"q": "覆盖测试"})
    assert first.status_code == 200 and zh("%(total)s in all, page %(page)s of %(last)s", total=53, page=1,
                                           last=2) in first.text
    second = admin.get("/warnings/coverage", params={"q": "覆盖测试", "page": 2})
    assert second.status_code == 200 and "page=1" in second.text
    on_first = {line for line in first.text.split("\n") if "/warnings/coverage/" in line}
    on_second = {line for line in second.text.split("\n") if "/warnings/coverage/" in line}
    assert on_second and not on_first & on_second
    # the county narrows: 博乐市's warning in, 精河县's out
    jinghe_id, bole_id = unit(session, "652722").id, unit(session, "652701").id
    in_bole = admin.get("/warnings/coverage", params={"q": "覆盖测试", "county": bole_id}).text
    assert f"/warnings/coverage/{bole.id}\"" in in_bole and "覆盖测试00预警" not in in_bole
    in_jinghe = admin.get("/warnings/coverage", params={"q": "覆盖测试", "county": jinghe_id}).text
    assert f"/warnings/coverage/{bole.id}\"" not in in_jinghe
    # the issue dates narrow (local days)
    dated = admin.get("/warnings/coverage", params={"q": "覆盖测试", "since": "2026-01-05", "until": "2026-01-05"})
    assert f"/warnings/coverage/{old.id}\"" in dated.text and "覆盖测试00预警" not in dated.text
    after = admin.get("/warnings/coverage", params={"q": "覆盖测试", "since": "2026-01-06"}).text
    assert f"/warnings/coverage/{old.id}\"" not in after
    # the export holds the whole filtered list, not the page
    rows = _rows_of(admin.get("/warnings/coverage", params={"q": "覆盖测试", "county": jinghe_id,
                                                             "export": "xlsx"}).content)
    assert rows[0][0] == zh("warning") and len(rows) == 1 + 52
    assert {r[1] for r in rows[1:]} == {f"覆盖测试{i:02d}" for i in range(51)} | {"覆盖测试旧"}
    # a county officer follows only what reaches its county; paging works on that list too
    jinghe = browser("jinghe")
    theirs = jinghe.get("/warnings/coverage", params={"q": "覆盖测试"})
    assert zh("%(total)s in all, page %(page)s of %(last)s", total=52, page=1, last=2) in theirs.text
    assert f"/warnings/coverage/{bole.id}\"" not in theirs.text
    assert len(_rows_of(jinghe.get("/warnings/coverage", params={"q": "覆盖测试", "export": "xlsx"}).content)) == 53


def test_coverage_index_refuses_bad_filters(session: Any, browser: Any) -> None:
    admin = browser("admin")
    before = audit_count(session)
    township = admin.get("/warnings/coverage", params={"county": unit(session, "652700").id})
    assert township.status_code == 400 and zh("This value is not one of the allowed choices.") in township.text
    assert admin.get("/warnings/coverage", params={"county": "abc"}).status_code == 422
    bad_day = admin.get("/warnings/coverage", params={"since": "2026-13-01"})
    assert bad_day.status_code == 400 and zh("A date (YYYY-MM-DD) is expected here.") in bad_day.text
    assert admin.get("/warnings/coverage", params={"page": 0}).status_code == 422
    assert audit_count(session) == before


def test_channel_page_filters_pages_and_exports(session: Any, browser: Any) -> None:
    zhou = browser("zhou")
    assert zhou.form("/warnings/channels/sms", {"url": "http://127.0.0.1:9/sms", "enabled": "1",
                                                "sender": "博州应急"}).status_code == 303
    page = zhou.get("/warnings/channels")
    assert page.status_code == 200 and 'id="config-sms"' in page.text and 'id="config-email"' in page.text
    assert 'class="pager"' in page.text and "export=xlsx" in page.text
    on = zhou.get("/warnings/channels", params={"state": "on"}).text
    assert 'id="config-sms"' in on and 'id="config-email"' not in on
    off = zhou.get("/warnings/channels", params={"state": "off"}).text
    assert 'id="config-sms"' not in off and 'id="config-email"' in off
    # the search box looks at the translated names too
    segment = zhou.get("/warnings/channels", params={"q": zh("SMS segment length")}).text
    assert zh("SMS segment length") in segment and zh("wrong codes at most") not in segment
    rows = _rows_of(zhou.get("/warnings/channels", params={"state": "on", "export": "xlsx"}).content)
    assert rows[0][0] == zh("kind") and [r[1] for r in rows[1:]] == [zh("SMS")]
    assert rows[1][2] == "http://127.0.0.1:9/sms" and rows[1][4] == zh("yes")
    everything = _rows_of(zhou.get("/warnings/channels", params={"export": "xlsx"}).content)
    assert len(everything) == 1 + 5 + 10
    # a reader without the settings sees the rules only, and its export holds no channel settings
    bole = browser("bole")
    theirs = bole.get("/warnings/channels")
    assert theirs.status_code == 200 and 'id="config-sms"' not in theirs.text
    assert {r[0] for r in _rows_of(bole.get("/warnings/channels", params={"export": "xlsx"}).content)[1:]} == {
        zh("rule")}


def test_channel_page_refuses_bad_filters(session: Any, browser: Any) -> None:
    zhou = browser("zhou")
    before = audit_count(session)
    bad = zhou.get("/warnings/channels", params={"state": "maybe"})
    assert bad.status_code == 400 and zh("This value is not one of the allowed choices.") in bad.text
    assert zhou.get("/warnings/channels", params={"page": 0}).status_code == 422
    assert zhou.get("/warnings/channels", params={"q": "x" * 101}).status_code == 422
    assert audit_count(session) == before

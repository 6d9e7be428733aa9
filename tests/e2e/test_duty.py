"""The duty module in a real browser: a month's roster for 博乐市 by rotation, a swap asked for and
approved, a roll call across all counties answered from a phone-sized page, and the bulletin
downloaded as PDF and XLSX.

The live server runs on the real clock, so lateness (an answer one second after the limit) is
tested with an injected clock in tests/duty/test_rollcall.py; here one county answers and the
others stay silent until the roll call is closed (missing)."""

from __future__ import annotations

import calendar
import io
import re
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import zh

pytestmark = pytest.mark.e2e


def _month_ahead(months: int = 3) -> tuple[date, date]:
    today = date.today()
    year, month = today.year + (today.month - 1 + months) // 12, (today.month - 1 + months) % 12 + 1
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _desk(page: Any, name: str) -> int:
    response = page.request.get("/api/duty/desks", params={"q": name})
    assert response.status == 200, response.text()
    return int(response.json()["items"][0]["id"])


def test_roster_swap_roll_call_and_bulletin(signed_in: Any, new_page: Any, sign_in: Any) -> None:
    bole = signed_in("bole")
    desk = _desk(bole, "博乐市")
    first, last = _month_ahead()
    bole.goto(f"/duty/desks/{desk}")
    form = bole.locator("#fill")
    form.locator("input[name=start]").fill(first.isoformat())
    form.locator("input[name=end]").fill(last.isoformat())
    form.locator("button[type=submit]").click()
    bole.wait_for_url(re.compile(rf"month={first:%Y-%m}"))
    rows = bole.locator("#roster tbody tr[id^=shift-]")
    expect(rows).to_have_count(last.day)
    officers = [rows.nth(i).locator("td.officer").inner_text() for i in range(3)]
    assert officers == ["博乐市应急办", "博乐市值班员二（演示）", "博乐市值班员三（演示）"]
    expect(rows.nth(0).locator("td.leader")).to_have_text("博乐市带班领导（演示）")

    # bole asks to exchange his first shift with 值班员二's first one; as head of the desk he approves.
    swap = bole.locator("#swap-form")
    swap.locator("select[name=shift_id]").select_option(index=0)
    swap.locator("select[name=with_user_id]").select_option(label="博乐市值班员二（演示）")
    swap.locator("select[name=other_shift_id]").select_option(
        label=f"{(first.replace(day=2)).isoformat()} {zh('24 h')} 博乐市值班员二（演示）")
    swap.locator("button[type=submit]").click()
    expect(bole.locator("#swaps tbody tr").first.locator("td.state")).to_have_text(zh("waiting"))
    bole.locator("#swaps tbody tr").first.get_by_role("button", name=zh("Approve"), exact=True).click()
    expect(bole.locator("#swaps tbody tr").first.locator("td.state")).to_have_text(zh("approved"))
    bole.goto(f"/duty/desks/{desk}?month={first:%Y-%m}")
    rows = bole.locator("#roster tbody tr[id^=shift-]")
    expect(rows.nth(0).locator("td.officer")).to_have_text("博乐市值班员二（演示）")
    expect(rows.nth(1).locator("td.officer")).to_have_text("博乐市应急办")

    # The prefecture calls every county now.
    zhou = signed_in("zhou")
    zhou.goto("/duty")
    expect(zhou.locator("#on-duty tbody tr")).to_have_count(5)
    zhou.goto("/duty/roll-calls")
    zhou.locator("#call-now").click()
    zhou.wait_for_url(re.compile(r"/duty/roll-calls/\d+$"))
    bulletin_url = zhou.url
    expect(zhou.locator("#bulletin tbody tr")).to_have_count(4)

    # 博乐市 answers from a phone through the link in its notification.
    phone = new_page(viewport={"width": 390, "height": 844})
    sign_in(phone, "bole")
    phone.goto(f"/duty/desks/{desk}")
    phone.locator("div.notice").get_by_role("button", name=zh("Answer the roll call")).click()
    expect(phone.locator("#answer-state")).to_contain_text(zh("on time"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1

    # The prefecture closes it: the three silent counties are missing.
    zhou.goto(bulletin_url)
    zhou.locator("#close-roll-call").click()
    expect(zhou.locator("#bulletin tr[data-status=missing]")).to_have_count(3)
    expect(zhou.locator("#bulletin tr[data-status=on_time]")).to_contain_text("博乐市")
    expect(zhou.locator("#bulletin-summary")).to_contain_text("4")
    with zhou.expect_download() as pdf_download:
        zhou.locator("#export-pdf").click()
    pdf = open(pdf_download.value.path(), "rb").read()  # noqa: SIM115
    assert pdf.startswith(b"%PDF") and pdf_download.value.suggested_filename.endswith(".pdf")
    with zhou.expect_download() as xlsx_download:
        zhou.locator("#export-xlsx").click()
    sheet = load_workbook(io.BytesIO(open(xlsx_download.value.path(), "rb").read())).active  # noqa: SIM115
    results = {row[0]: row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert results == {"博乐市": zh("on time"), "阿拉山口市": zh("missing"), "精河县": zh("missing"),
                       "温泉县": zh("missing")}


def test_the_shift_under_way_on_a_phone(signed_in: Any) -> None:
    """The head of 博乐市's desk opens the shift under way at phone width: the demo log with its unfinished
    item, a further duty officer added, an entry written; and the desk's inbox of things addressed to it."""
    phone = signed_in("bole", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    now = phone.request.get("/api/duty/now", params={"q": "博乐市"})
    assert now.status == 200, now.text()
    current = next(d for d in now.json() if d["desk_name"].startswith("博乐市"))
    assert current["shift_id"], "the demo roster covers today"
    phone.goto(f"/duty/shifts/{current['shift_id']}")
    expect(phone.locator("#log tbody tr")).to_have_count(3)
    expect(phone.locator("#log tr.unfinished")).to_contain_text("尚有两个乡镇未回报")
    extra = "博乐市值班员三（演示）" if current["officer"] != "博乐市值班员三（演示）" else "博乐市值班员二（演示）"
    phone.locator("#add-officer select[name=user_id]").select_option(label=extra)
    phone.locator("#add-officer button[type=submit]").click()
    expect(phone.locator("#further-officers")).to_contain_text(extra)
    phone.locator("#log-form textarea[name=text]").fill("接县委办电话：明早8时前报送道路除雪进展。")
    phone.locator("#log-form button[type=submit]").click()
    expect(phone.locator("#log tbody tr")).to_have_count(4)
    expect(phone.locator("#log")).to_contain_text("明早8时前报送道路除雪进展")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    on_duty = phone.request.get("/api/duty/now", params={"q": "博乐市"}).json()
    assert extra in next(d for d in on_duty if d["desk_name"].startswith("博乐市"))["officer"]
    phone.goto("/duty/dispatches")
    expect(phone.locator("#dispatches")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1

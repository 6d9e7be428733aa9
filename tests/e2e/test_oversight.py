"""Oversight in a real browser, on the demo data (which holds a year of demo events): the quarterly
statistics of 精河县 and the prefecture's annual draft; a ledger task closed with evidence; the assessment
computed and one unit's lost point followed back to the record behind it; a phone-sized leader's page; the
trend analysis on a phone, with a countermeasure recorded against a finding."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import zh

pytestmark = pytest.mark.e2e
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def test_statistics_and_annual_draft(signed_in: Any) -> None:
    zhou = signed_in("zhou")
    zhou.goto("/oversight/stats")
    form = zhou.locator("#stats-filters")
    form.locator("select[name=period]").select_option("quarter")
    form.locator("input[name=year]").fill(str(date.today().year - 1))
    form.locator("input[name=period_no]").fill("2")
    form.locator("select[name=county]").select_option(label="精河县")
    form.locator("button[type=submit]").click()
    zhou.wait_for_url(re.compile(r"county=\d+"))
    expect(zhou.locator("#stats-title")).to_contain_text("精河县")
    rows = zhou.locator("#stats-table tbody tr")
    expect(rows.first).to_be_visible()
    counts = [int(rows.nth(i).locator("td").nth(2).inner_text()) for i in range(4)]  # the four categories
    total = int(rows.nth(4).locator("td").nth(2).inner_text())
    assert total == sum(counts) and total > 0
    expect(zhou.locator("#stats-chart canvas")).to_have_count(1)
    zhou.goto("/oversight/annual")
    with zhou.expect_download() as download:
        zhou.locator("#annual-draft").click()
    body = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())).read("word/document.xml").decode()
    assert f"博尔塔拉蒙古自治州{date.today().year - 1}年度" in body and "突发事件总体情况" in body


def test_close_a_task_with_evidence(signed_in: Any) -> None:
    bole = signed_in("bole")
    bole.goto("/oversight/tasks")
    form = bole.locator("#new-task")
    form.locator("input[name=title]").fill("检查城区避难场所标识")
    form.locator("input[name=source_ref]").fill("州领导批示（浏览器测试）")
    form.locator("input[name=owner_person]").fill("博乐市应急办")
    form.locator("input[name=deadline]").fill(date(date.today().year + 1, 3, 31).isoformat())
    form.locator("button[type=submit]").click()
    bole.wait_for_url(re.compile(r"/oversight/tasks/\d+$"))
    close = bole.locator("#close-task")
    close.locator("textarea[name=note]").fill("标识已全部更新")
    close.locator("input[name=file]").set_input_files({"name": "result.pdf", "mimeType": "application/pdf",
                                                       "buffer": PDF})
    close.locator("button[type=submit]").click()
    expect(bole.locator("#task-status")).to_have_text(zh("closed"))
    expect(bole.locator("#closure-note")).to_have_text("标识已全部更新")
    expect(bole.locator("#closure-evidence")).to_be_visible()


def test_follow_a_lost_point_to_its_record(signed_in: Any) -> None:
    zhou = signed_in("zhou")
    year = date.today().year
    zhou.goto(f"/oversight/assessment?year={year}")
    zhou.locator("#ranking a", has_text="精河县").click()
    zhou.wait_for_url(re.compile(r"/oversight/assessment/units/\d+"))
    expect(zhou.locator("#score-total")).to_be_visible()
    line = zhou.locator("#scorecard tr[data-indicator='org.tasks']")
    link = line.locator("a.record-link").first
    expect(link).to_contain_text("精河县基层应急示范点建设")
    link.click()
    zhou.wait_for_url(re.compile(r"/oversight/tasks/\d+$"))
    expect(zhou.locator("h1")).to_contain_text("精河县基层应急示范点建设")
    expect(zhou.locator("#task-status")).to_have_text(zh("overdue"))


def test_leader_page_on_a_phone(new_page: Any, sign_in: Any) -> None:
    page = new_page(viewport={"width": 390, "height": 844})
    sign_in(page, "leader")
    page.goto("/oversight")
    for panel in ("events", "warnings", "reports", "tasks", "compliance", "ranking"):
        expect(page.locator(f"#panel-{panel}")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width


def test_trend_finding_gets_a_countermeasure_on_a_phone(signed_in: Any) -> None:
    jinghe = signed_in("jinghe", viewport={"width": 390, "height": 844})
    jinghe.goto("/oversight/trends")
    expect(jinghe.locator("#trend-title")).to_contain_text("精河县")
    finding = jinghe.locator("#findings tbody tr[data-key]").first
    expect(finding).to_be_visible()
    key = finding.get_attribute("data-key")
    assert key and key.split(":")[0].isdigit()
    expect(jinghe.locator("#stats-chart canvas")).to_have_count(1)
    width = jinghe.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, width
    finding.locator("summary").click()
    finding.locator("textarea[name=text]").fill("开展隐患排查专项行动（浏览器测试）")
    finding.locator("button[type=submit]").click()
    jinghe.wait_for_url(re.compile(r"/oversight/trends\?year=\d+"))
    row = jinghe.locator(f"#findings tr[data-key='{key}']")
    expect(row.locator(".countermeasure")).to_contain_text("开展隐患排查专项行动（浏览器测试）")
    jinghe.goto("/oversight/countermeasures")
    expect(jinghe.locator("#countermeasures")).to_contain_text("开展隐患排查专项行动（浏览器测试）")

"""Preparedness in a real browser: 温泉县's drills against the yearly minimum of R2.4.

The live server runs on the real clock; the compliance engine takes its day as a parameter (the page's
"on the day" field), so the test injects the day there: 1 October of the last year whose 1 October has
passed (the demo gives 温泉县 one comprehensive drill in April of each year, its first middle school none).

- On 1 October 温泉县 has held one comprehensive drill of two: at risk, with the rule and its source named.
- A second drill, recorded from the drill form, makes it compliant on the same day.
- The school is at risk on 1 October and failing once the day passes the year's end.
- The XLSX export says the same as the page.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import zh

pytestmark = pytest.mark.e2e


def _year() -> int:
    today = date.today()
    return today.year if today >= date(today.year, 10, 2) else today.year - 1


def _row(page: Any, unit_code: str, rule: str) -> Any:
    return page.locator(f"#compliance tr[data-unit='{unit_code}'][data-rule='{rule}']")


def _filter(page: Any, on: str, year: int, rule: str) -> None:
    form = page.locator("#compliance-filters")
    form.locator("input[name=on]").fill(on)
    form.locator("input[name=year]").fill(str(year))
    form.locator("select[name=rule]").select_option(value=rule)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def _xlsx(page: Any) -> dict[tuple[str, str], tuple[str, str]]:
    with page.expect_download() as download:
        page.locator("#compliance-xlsx").click()
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active  # noqa: SIM115
    return {(str(r[0]), str(r[3])): (str(r[4]), str(r[10])) for r in sheet.iter_rows(min_row=2, values_only=True)}


def test_wenquan_drills_at_risk_then_compliant_and_the_school_failing_after_year_end(signed_in: Any) -> None:
    year = _year()
    october = f"{year}-10-01"
    page = signed_in("wenquan", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto("/preparedness/compliance")
    _filter(page, october, year, "drills_government")
    county = _row(page, "652723", "drills_government")
    expect(county.locator("td.status")).to_have_text(zh("at risk"))
    expect(county.locator("td.reason")).to_contain_text("1 / 2")
    expect(county.locator("td.source")).to_contain_text("博州政办发〔2017〕64号")
    expect(county.locator("td.rule")).to_have_text(zh("Comprehensive drills of the prefecture and county governments"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    exported = _xlsx(page)
    label = zh("Comprehensive drills of the prefecture and county governments")
    assert exported[("652723", label)][0] == zh("at risk")
    assert "博州政办发〔2017〕64号" in exported[("652723", label)][1]

    # The records behind it: the one drill of the year.
    county.locator("td.reason a").click()
    expect(page.locator("#record-status")).to_have_text(zh("at risk"))
    expect(page.locator("#records tbody tr")).to_have_count(1)
    expect(page.locator("#record-source")).to_contain_text("博州政办发〔2017〕64号")

    # A second comprehensive drill, recorded from the drill form.
    page.goto("/preparedness/drills")
    form = page.locator("#new-drill")
    form.locator("select[name=unit_id]").select_option(label="温泉县")
    form.locator("input[name=title]").fill(f"{year}年温泉县森林草原火灾综合应急演练")
    form.locator("input[name=held_on]").fill(f"{year}-09-20")
    form.locator("select[name=scope]").select_option(value="comprehensive")
    form.locator("select[name=form]").select_option(value="full_scale")
    form.locator("button[type=submit]").click()
    expect(page.locator("#drill-facts")).to_contain_text(f"{year}-09-20")

    page.goto("/preparedness/compliance")
    _filter(page, october, year, "drills_government")
    expect(_row(page, "652723", "drills_government").locator("td.status")).to_have_text(zh("compliant"))
    assert _xlsx(page)[("652723", label)][0] == zh("compliant")

    # 温泉县第一中学 has held none: at risk in October, failing once the day is past the year's end.
    school_rule = zh("Comprehensive drills of enterprises, schools and crowded places")
    _filter(page, october, year, "drills_enterprise")
    school = _row(page, "652723-S01", "drills_enterprise")
    expect(school.locator("td.status")).to_have_text(zh("at risk"))
    assert _xlsx(page)[("652723-S01", school_rule)][0] == zh("at risk")
    _filter(page, f"{year + 1}-01-01", year, "drills_enterprise")  # the first day after the year
    expect(school.locator("td.status")).to_have_text(zh("failing"))
    expect(school.locator("td.rule")).to_have_text(school_rule)
    expect(school.locator("td.source")).to_contain_text("企业、学校、人员密集场所每年至少2次综合演练")
    expect(school.locator("td.reason")).to_contain_text("0 / 2")
    status, source = _xlsx(page)[("652723-S01", school_rule)]
    assert status == zh("failing") and "企业、学校、人员密集场所每年至少2次综合演练" in source
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1


def test_demonstration_sites_chart_and_coverage(signed_in: Any) -> None:
    zhou = signed_in("zhou")
    zhou.goto("/preparedness/sites")
    expect(zhou.locator("#growth-chart canvas")).to_have_count(1)
    expect(zhou.locator("#growth tbody tr")).to_have_count(4)
    zhou.goto("/preparedness/coverage")
    expect(zhou.locator("#coverage")).to_contain_text("温泉县")


def test_coverage_filtered_by_county_and_kind_on_a_phone(signed_in: Any) -> None:
    page = signed_in("zhou", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto("/preparedness/coverage")
    expect(page.locator("#coverage tbody th")).to_contain_text(["博乐市"])
    filters = page.locator("#coverage-filters")
    filters.locator("select[name=area]").select_option(label="温泉县")
    filters.locator("select[name=kind]").select_option("school")
    filters.locator("button[type=submit]").click()
    expect(page.locator("#coverage tbody th")).to_have_text(["温泉县"])
    expect(page.locator("#coverage thead th")).to_have_text([zh("area"), zh("school")])
    expect(page.locator("nav.pager")).to_contain_text(zh("%(total)s in all, page %(page)s of %(last)s",
                                                          total=1, page=1, last=1))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    with page.expect_download() as download:
        page.locator("#coverage-xlsx").click()
    path = download.value.path()
    assert path is not None
    with open(path, "rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1]) for r in rows] == [("温泉县", zh("school"))]
    assert rows[0][2] == rows[0][3] + rows[0][4]

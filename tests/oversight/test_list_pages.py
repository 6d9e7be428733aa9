"""The assessment ranking and the statistical forms as list pages: the filter narrows, page 2 exists and
differs, the export holds the whole filtered list, a bad filter value is a 4xx with nothing changed."""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import audit_count, unit_id, zh
from yingji.core import service as core_service
from yingji.core.models import Unit
from yingji.core.schemas import UnitCreate
from yingji.core.scope import system_principal
from yingji.oversight.models import OvStatForm


def _sheet(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2, values_only=True))


def _form_ids(text: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/oversight/forms/(\d+)"', text)}


def _forms(session: Any, owner: int) -> tuple[list[int], int]:
    """64 forms of 2029 (every category, every month and every quarter) and one of 2028."""
    made = []
    totals = {"count": 1, "deaths": 0, "injured": 0, "missing": 0, "loss": 0}
    for category in ("1", "2", "3", "4"):
        for period, numbers in (("month", range(1, 13)), ("quarter", range(1, 5))):
            for no in numbers:
                made.append(OvStatForm(unit_id=owner, category=category, year=2029, period=period, period_no=no,
                                       rows=[{"level": 4, **totals}], totals=totals, filled_by_name="统计员"))
    old = OvStatForm(unit_id=owner, category="1", year=2028, period="year", period_no=1,
                     rows=[{"level": 4, **totals}], totals=totals, filled_by_name="统计员")
    session.add_all([*made, old])
    session.commit()
    return [f.id for f in made], old.id


def test_forms_filter_page_and_export(browser: Any, session: Any) -> None:
    made, old = _forms(session, unit_id(session, "652700"))
    zhou = browser("zhou")
    first = zhou.get("/oversight/forms", params={"year": 2029})
    assert first.status_code == 200 and 'class="pager"' in first.text and "export=xlsx" in first.text
    on_first = _form_ids(first.text) & set(made)
    second = _form_ids(zhou.get("/oversight/forms", params={"year": 2029, "page": 2}).text) & set(made)
    assert len(on_first) == 50 and second and not on_first & second and on_first | second == set(made)
    assert old not in on_first | second
    everything = _form_ids(zhou.get("/oversight/forms").text) | _form_ids(
        zhou.get("/oversight/forms", params={"page": 2}).text)
    assert old in everything  # the 2028 form is listed, first of the older year, without the filter
    category = _form_ids(zhou.get("/oversight/forms", params={"year": 2029, "category": "2"}).text)
    assert category and category <= set(made[16:32])
    rows = _sheet(zhou.get("/oversight/forms", params={"year": 2029, "export": "xlsx"}))
    assert len(rows) == 64 and {r[2] for r in rows} == {2029}  # the whole filtered list, not one page
    assert len(_sheet(zhou.get("/oversight/forms", params={"year": 2029, "category": "1", "export": "xlsx"}))) == 16
    assert not _form_ids(browser("jinghe").get("/oversight/forms", params={"year": 2029}).text) & set(made)


def test_forms_bad_filters_are_4xx(browser: Any, session: Any) -> None:
    zhou = browser("zhou")
    before = audit_count(session)
    for params in ({"year": "1999"}, {"year": "x"}, {"category": "9"}, {"page": "0"}, {"page": "y"}):
        response = zhou.get("/oversight/forms", params=params)
        assert 400 <= response.status_code < 500, params
    assert zh("Choose one of the listed values.") in zhou.get("/oversight/forms", params={"category": "9"}).text
    assert audit_count(session) == before


def _departments(session: Any, n: int) -> list[int]:
    system = system_principal("test")
    root = session.scalar(select(Unit).where(Unit.code == "652700"))
    made = [core_service.create_unit(session, system, UnitCreate(
        parent_id=root.id, code=f"T-DEPT-{i:03d}", name=f"测试局{i:03d}", kind="department")).id for i in range(n)]
    session.commit()
    return made


def _ranked(text: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/oversight/assessment/units/(\d+)\?', text)}


def test_assessment_filter_page_and_export(browser: Any, session: Any) -> None:
    made = _departments(session, 52)
    zhou = browser("zhou")
    first = zhou.get("/oversight/assessment", params={"year": 2029})
    assert first.status_code == 200 and 'class="pager"' in first.text and "export=xlsx" in first.text
    second = zhou.get("/oversight/assessment", params={"year": 2029, "page": 2})
    on_first, on_second = _ranked(first.text), _ranked(second.text)
    assert len(on_first) == 50 and on_second and not on_first & on_second
    assert set(made) <= on_first | on_second
    bole = unit_id(session, "652701")
    counties = _ranked(zhou.get("/oversight/assessment", params={"year": 2029, "kind": "county"}).text)
    assert bole in counties and not counties & set(made)
    named = _ranked(zhou.get("/oversight/assessment", params={"year": 2029, "q": "测试局007"}).text)
    assert named == {made[7]}
    rows = _sheet(zhou.get("/oversight/assessment", params={"year": 2029, "export": "xlsx"}))
    assert len(rows) == len(on_first | on_second) and len(rows) > 50
    ranks = [r[0] for r in rows]
    assert ranks == sorted(ranks) and ranks[0] == 1
    only = _sheet(zhou.get("/oversight/assessment", params={"year": 2029, "kind": "department", "export": "xlsx"}))
    names = {r[1] for r in only}
    assert {f"测试局{i:03d}" for i in range(52)} <= names and "博乐市" not in names
    grades = {r[3] for r in rows}
    grade = next(iter(grades))
    graded = _sheet(zhou.get("/oversight/assessment", params={
        "year": 2029, "grade": {zh(g): g for g in ("excellent", "pass", "fail")}[grade], "export": "xlsx"}))
    assert graded and {r[3] for r in graded} == {grade}


def test_assessment_bad_filters_are_4xx(browser: Any, session: Any) -> None:
    zhou = browser("zhou")
    before = audit_count(session)
    for params in ({"year": "1999"}, {"kind": "township"}, {"grade": "best"}, {"page": "0"}, {"q": "x" * 101}):
        response = zhou.get("/oversight/assessment", params=params)
        assert 400 <= response.status_code < 500, params
    assert audit_count(session) == before

"""The filings waiting for a decision and the coverage matrix as list pages: each filter narrows (a row in, a row
out), page 2 exists and differs, the XLSX holds the whole filtered list, and a bad filter value is a 4xx in
Chinese that changes nothing."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import audit_count, unit_id, zh
from tests.preparedness.helpers import SYSTEM, plan, set_today, tree
from yingji.core import service as core_service
from yingji.core.models import Unit
from yingji.core.schemas import UnitCreate
from yingji.preparedness import plans
from yingji.preparedness.models import PrepFiling
from yingji.preparedness.schemas import FilingCreate
from yingji.preparedness.views import PER_PAGE

FIRST_DAY = date(2026, 1, 5)


def _sheet(client: Any, url: str) -> list[tuple[Any, ...]]:
    response = client.get(url)
    assert response.status_code == 200 and response.content[:2] == b"PK", url
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


def _filed(session: Session, n: int) -> tuple[int, list[str]]:
    """``n`` plans of a test department, each filed with its county on its own day; the titles in filing order."""
    set_today(date(2026, 6, 1))
    t = tree(session)
    titles = []
    for i in range(n):
        title = f"列表预案{i:03d}"
        row = plan(session, t.units["department"], title=title, issued=date(2025, 12, 1))
        plans.file_plan(session, SYSTEM, row.id, FilingCreate(office_id=t.county.id, filed_on=FIRST_DAY + timedelta(i)))
        titles.append(title)
    session.commit()
    return t.county.id, titles


def _titles(text: str) -> list[str]:
    table = text[text.index('id="filings-to-decide"'):]
    return re.findall(r'<a href="/preparedness/plans/\d+">([^<]*)</a>', table[:table.index("</table>")])


def test_filings_filter_by_area_title_and_date(browser: Any, session: Session) -> None:
    county, titles = _filed(session, 3)
    admin = browser("admin")
    everything = _titles(admin.get("/preparedness/filings").text)
    assert set(titles) <= set(everything)
    own = _titles(admin.get(f"/preparedness/filings?area={county}").text)
    assert own == titles  # oldest first, nothing from the demo counties
    other = _titles(admin.get(f"/preparedness/filings?area={unit_id(session, '652701')}").text)
    assert not set(titles) & set(other)
    assert _titles(admin.get("/preparedness/filings?q=列表预案001").text) == [titles[1]]
    day = (FIRST_DAY + timedelta(1)).isoformat()
    assert _titles(admin.get(f"/preparedness/filings?area={county}&start={day}").text) == titles[1:]
    assert _titles(admin.get(f"/preparedness/filings?area={county}&end={day}").text) == titles[:2]
    assert _titles(admin.get(f"/preparedness/filings?area={county}&start={day}&end={day}").text) == [titles[1]]


def test_filings_page_two_and_the_whole_filtered_export(browser: Any, session: Session) -> None:
    county, titles = _filed(session, PER_PAGE + 3)
    zhou = browser("zhou")
    first = zhou.get(f"/preparedness/filings?area={county}")
    assert zh("%(total)s in all, page %(page)s of %(last)s", total=PER_PAGE + 3, page=1, last=2) in first.text
    second = zhou.get(f"/preparedness/filings?area={county}&page=2")
    assert _titles(first.text) == titles[:PER_PAGE]
    assert _titles(second.text) == titles[PER_PAGE:]
    link = re.search(r'href="\?([^"]*export=xlsx)"', first.text)
    assert link is not None
    lines = _sheet(zhou, "/preparedness/filings?" + link.group(1).replace("&amp;", "&"))
    assert lines[0][:4] == (zh("plan"), zh("unit"), zh("office"), zh("filed"))
    assert [r[0] for r in lines[1:]] == titles
    assert lines[1][4] == (date(2026, 6, 1) - FIRST_DAY).days  # days waiting
    assert [r[0] for r in _sheet(zhou, "/preparedness/filings?q=列表预案05&export=xlsx")[1:]] == \
        [t for t in titles if t.startswith("列表预案05")]


def test_filings_of_another_county_are_not_found(browser: Any, session: Session) -> None:
    bole = browser("bole")
    assert bole.get(f"/preparedness/filings?area={unit_id(session, '652722')}").status_code == 404
    assert bole.get(f"/preparedness/filings?area={unit_id(session, '652722')}&export=xlsx").status_code == 404


@pytest.mark.parametrize("query", ["area=x", "area=-1", "area=99999999", "start=2026-02-30", "end=yesterday",
                                   "page=0", "page=x", "export=pdf"])
def test_bad_filing_filters_are_refused(browser: Any, session: Session, query: str) -> None:
    zhou = browser("zhou")
    before = (audit_count(session), session.scalar(select(func.count()).select_from(PrepFiling)))
    response = zhou.get(f"/preparedness/filings?{query}")
    assert 400 <= response.status_code < 500, query
    assert response.status_code != 500
    assert "<html" in response.text and 'lang="zh' in response.text
    assert (audit_count(session), session.scalar(select(func.count()).select_from(PrepFiling))) == before


# --- coverage ------------------------------------------------------------------------------------

def _rows(text: str) -> list[str]:
    table = text[text.index('id="coverage"'):]
    return re.findall(r'<th scope="row">([^<]*)</th>', table[:table.index("</table>")])


def _columns(text: str) -> list[str]:
    table = text[text.index('id="coverage"'):]
    head = table[:table.index("</thead>")]
    return re.findall(r"<th>([^<]*)</th>", head)[1:]


def test_coverage_filters_by_area_kind_and_gaps(browser: Any, session: Session) -> None:
    set_today(date(2026, 6, 1))
    t = tree(session)
    plan(session, t.units["school"], title="学校预案")
    session.commit()
    zhou = browser("zhou")
    everything = zhou.get("/preparedness/coverage").text
    assert {"测试县", "博乐市", "温泉县"} <= set(_rows(everything))
    own = zhou.get(f"/preparedness/coverage?area={t.county.id}").text
    assert _rows(own) == ["测试县"]
    school = zhou.get(f"/preparedness/coverage?area={t.county.id}&kind=school").text
    assert _columns(school) == [zh("school")]
    assert re.search(r">1/1</a>", school) and zh("missing") not in school.split('id="coverage"')[1]
    village = zhou.get(f"/preparedness/coverage?area={t.county.id}&kind=village").text
    assert _columns(village) == [zh("village / community")] and ">0/1</a>" in village
    # Only areas with gaps: the test county's schools are all covered, its villages are not.
    assert _rows(zhou.get(f"/preparedness/coverage?area={t.county.id}&kind=school&gaps=1").text) == []
    assert _rows(zhou.get(f"/preparedness/coverage?area={t.county.id}&kind=village&gaps=1").text) == ["测试县"]
    # The day chosen is kept in the export link and the links to the compliance list.
    dated = zhou.get(f"/preparedness/coverage?area={t.county.id}&kind=school&on=2026-03-01").text
    assert "on=2026-03-01&amp;area=" in dated and "status=failing&on=2026-03-01" in dated
    bole = browser("bole")
    assert _rows(bole.get("/preparedness/coverage").text) == ["博乐市"]
    assert bole.get(f"/preparedness/coverage?area={t.county.id}").status_code == 404


def test_coverage_page_two_and_the_whole_filtered_export(browser: Any, session: Session) -> None:
    set_today(date(2026, 6, 1))
    root = session.scalar(select(Unit).where(Unit.code == "652700"))
    assert root is not None
    for i in range(PER_PAGE + 1):
        county = core_service.create_unit(session, SYSTEM, UnitCreate(code=f"T-Z{i:02d}", name=f"测试区{i:02d}",
                                                                       kind="zone", parent_id=root.id))
        core_service.create_unit(session, SYSTEM, UnitCreate(code=f"T-Z{i:02d}-S", name=f"测试校{i:02d}",
                                                             kind="school", parent_id=county.id))
    session.commit()
    zhou = browser("zhou")
    first = zhou.get("/preparedness/coverage?kind=school")
    second = zhou.get("/preparedness/coverage?kind=school&page=2")
    rows_1, rows_2 = _rows(first.text), _rows(second.text)
    assert len(rows_1) == PER_PAGE and rows_2 and not set(rows_1) & set(rows_2)
    total = len(rows_1) + len(rows_2)
    assert zh("%(total)s in all, page %(page)s of %(last)s", total=total, page=2, last=2) in second.text
    link = re.search(r'href="\?([^"]*export=xlsx)"', first.text)
    assert link is not None
    lines = _sheet(zhou, "/preparedness/coverage?" + link.group(1).replace("&amp;", "&"))
    assert lines[0] == (zh("area"), zh("kind"), zh("must have a plan"), zh("covered"), zh("missing"))
    assert [r[0] for r in lines[1:]] == rows_1 + rows_2  # one row per area, kind school only
    assert {r[1] for r in lines[1:]} == {zh("school")}
    assert all(r[2] == r[3] + r[4] for r in lines[1:])
    ours = [r for r in lines[1:] if str(r[0]).startswith("测试区")]
    assert len(ours) == PER_PAGE + 1 and all(r[2:] == (1, 0, 1) for r in ours)


@pytest.mark.parametrize("query", ["area=x", "area=0", "area=99999999", "kind=castle", "on=2026-02-30", "gaps=yes",
                                   "page=0", "page=x", "export=pdf"])
def test_bad_coverage_filters_are_refused(browser: Any, session: Session, query: str) -> None:
    zhou = browser("zhou")
    before = audit_count(session)
    response = zhou.get(f"/preparedness/coverage?{query}")
    assert 400 <= response.status_code < 500, query
    assert "<html" in response.text and 'lang="zh' in response.text
    assert audit_count(session) == before

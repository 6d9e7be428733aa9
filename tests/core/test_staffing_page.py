"""The staffing page: units below their quota, narrowed by kind, paged in SQL with the same rule as the
shortfall list, the export holding the whole filtered list, bad filter values a clear 4xx."""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.conftest import audit_count, unit_id
from yingji.core import service
from yingji.core.schemas import PersonCreate, UnitCreate
from yingji.core.scope import system_principal

SYSTEM = system_principal("tests")
LINK = re.compile(r'href="/units/(\d+)"')


def _townships(session: Session, n: int = 55) -> list[int]:
    """n new townships under 博乐市, none with full-time emergency staff (the quota asks for at least one),
    and one more that meets it."""
    county = unit_id(session, "652701")
    made = [service.create_unit(session, SYSTEM, UnitCreate(parent_id=county, code=f"T-STAFF-{i:02d}",
                                                            name=f"测试镇{i:02d}", kind="township")).id
            for i in range(n)]
    staffed = service.create_unit(session, SYSTEM, UnitCreate(parent_id=county, code="T-STAFF-OK", name="达标镇",
                                                             kind="township"))
    service.create_person(session, SYSTEM, PersonCreate(unit_id=staffed.id, name="专职", full_time_emergency=True))
    session.commit()
    return made


def _ids(html: str) -> list[int]:
    table = html.split('id="shortfalls"', 1)[1].split("</table>", 1)[0]
    return [int(i) for i in LINK.findall(table)]


def test_staffing_filters_pages_and_exports(browser: Any, session: Session) -> None:
    made = _townships(session)
    everything = {r.unit_id for r in service.staffing_shortfalls(session, SYSTEM)}
    townships = [r.unit_id for r in service.staffing_shortfalls(session, SYSTEM) if r.kind == "township"]
    assert set(made) <= set(townships) and len(townships) > 50
    admin = browser("admin")
    first = admin.get("/units/staffing", params={"kind": "township"})
    second = admin.get("/units/staffing", params={"kind": "township", "page": 2})
    one, two = _ids(first.text), _ids(second.text)
    assert len(one) == 50 and one + two == townships  # same rule and order as the shortfall list
    assert 'class="pager"' in first.text and "?kind=township&page=2" in first.text
    assert "达标镇" not in first.text + second.text
    counties = _ids(admin.get("/units/staffing", params={"kind": "county"}).text)
    assert counties and not set(counties) & set(townships)
    assert set(_ids(admin.get("/units/staffing").text)) <= everything
    export = admin.get("/units/staffing", params={"kind": "township", "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))[1:]
    codes = [r[0] for r in rows]
    assert len(codes) == len(townships) and {f"T-STAFF-{i:02d}" for i in range(55)} <= set(codes)
    assert "T-STAFF-OK" not in codes and all(r[5] == r[4] - r[3] for r in rows)


def test_staffing_page_stays_in_scope(browser: Any, session: Session) -> None:
    _townships(session, 3)
    jinghe = browser("jinghe")
    shown = _ids(jinghe.get("/units/staffing", params={"kind": "township"}).text)
    assert shown and unit_id(session, "T-STAFF-00") not in shown


def test_staffing_refuses_bad_filters(browser: Any, session: Session) -> None:
    zhou = browser("zhou")
    before = audit_count(session)
    for params, status in (({"kind": "galaxy"}, 400), ({"page": 0}, 422), ({"page": "x"}, 422)):
        assert zhou.get("/units/staffing", params=params).status_code == status, params
    assert "未知类别" in zhou.get("/units/staffing", params={"kind": "galaxy"}).text
    assert audit_count(session) == before

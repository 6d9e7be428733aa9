"""The checklists and the patrol coverage lists: their filters narrow, they page in SQL, the export holds the whole
filtered list, and a bad filter value is a clear 4xx that changes nothing."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import audit_count, unit_id
from tests.risks.helpers import SYSTEM, frozen
from yingji.risks import grids, inspections
from yingji.risks.models import AreaOutline, Grid
from yingji.risks.schemas import ChecklistCreate, GridCreate, PatrolCreate

V01 = "652701100-V01"
ROW = re.compile(r"<tr[ >]")


def _rows(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [r for r in ROW.split(body)[1:] if 'class="muted"' not in r]


def _sheet(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200 and response.content[:2] == b"PK"
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def _checklists(session: Any) -> None:
    prefecture, jinghe = unit_id(session, "652700"), unit_id(session, "652722")
    for n in range(53):
        inspections.create_checklist(session, SYSTEM, ChecklistCreate(unit_id=prefecture, name=f"网格巡查规程{n:02d}",
                                                                      purpose="patrol", items=["看", "问"]))
    inspections.create_checklist(session, SYSTEM, ChecklistCreate(unit_id=prefecture, name="网格巡查规程（检查）",
                                                                  purpose="inspection", items=["查"]))
    inspections.create_checklist(session, SYSTEM, ChecklistCreate(unit_id=jinghe, name="精河县网格巡查规程",
                                                                  purpose="patrol", items=["查"]))
    session.commit()


def test_checklists_filter_page_and_export(browser: Any, session: Any) -> None:
    _checklists(session)
    zhou = browser("zhou")
    first = zhou.get("/risks/checklists", params={"q": "网格巡查规程", "purpose": "patrol"})
    assert first.status_code == 200 and 'class="pager"' in first.text
    one = _rows(first.text, "checklists")
    assert len(one) == 50 and "网格巡查规程00" in first.text and "网格巡查规程（检查）" not in first.text
    second = zhou.get("/risks/checklists", params={"q": "网格巡查规程", "purpose": "patrol", "page": 2})
    two = _rows(second.text, "checklists")
    assert len(two) == 4 and "网格巡查规程52" in second.text and not set(one) & set(two)
    # the unit that keeps them narrows too
    jinghe = zhou.get("/risks/checklists", params={"q": "网格巡查规程", "unit_id": unit_id(session, "652722")})
    assert [("精河县网格巡查规程" in r) for r in _rows(jinghe.text, "checklists")] == [True]
    inspection = zhou.get("/risks/checklists", params={"q": "网格巡查规程", "purpose": "inspection"})
    assert len(_rows(inspection.text, "checklists")) == 1 and "网格巡查规程（检查）" in inspection.text
    # the export holds the whole filtered list, not one page
    sheet = _sheet(zhou.get("/risks/checklists", params={"q": "网格巡查规程", "purpose": "patrol", "export": "xlsx"}))
    names = [r[0] for r in sheet[1:]]
    assert len(names) == 54 and "网格巡查规程52" in names and "网格巡查规程（检查）" not in names
    assert 'href="?q=' in first.text and "export=xlsx" in first.text


def test_checklists_refuse_bad_filters(browser: Any, session: Any) -> None:
    zhou = browser("zhou")
    before = audit_count(session)
    for params, status in (({"purpose": "drill"}, 400), ({"page": 0}, 422), ({"page": "x"}, 422),
                           ({"unit_id": "abc"}, 422), ({"unit_id": unit_id(session, "652701100")}, 404)):
        response = zhou.get("/risks/checklists", params=params)
        assert response.status_code == status, (params, response.text[:300])
    assert "未知类别" in zhou.get("/risks/checklists", params={"purpose": "drill"}).text
    assert audit_count(session) == before


def _outline(session: Any) -> list[list[float]]:
    row = session.scalar(select(AreaOutline).where(AreaOutline.unit_id == unit_id(session, V01)))
    assert row is not None
    return row.polygon


def _grids(session: Any) -> Any:
    """55 grids in the village: a patrol covers every third one (7-day grids) or none (3-day grids patrolled
    3 days ago exactly, due at that boundary)."""
    now = frozen()
    village, polygon = unit_id(session, V01), _outline(session)[:3]
    for n in range(55):
        grid = grids.create_grid(session, SYSTEM, GridCreate(unit_id=village, name=f"覆盖网格{n:02d}", polygon=polygon,
                                                             patrol_days=7 if n % 2 else 3))
        if n % 3 == 0:
            ended = now - timedelta(days=3) if grid.patrol_days == 3 else now - timedelta(days=1)
            grids.record_patrol(session, SYSTEM, grid.id, PatrolCreate(started_at=ended - timedelta(hours=1),
                                                                       ended_at=ended))
    session.commit()
    return now


def test_coverage_pages_in_sql_and_exports_the_whole_filtered_list(browser: Any, session: Any) -> None:
    now = _grids(session)
    village = unit_id(session, V01)
    area = session.scalars(select(Grid).where(Grid.unit_id == village).order_by(Grid.id)).all()
    due = {g.name for g in area if grids.due_since(g, now) is not None}
    covered = {g.name for g in area} - due
    assert len(area) > 50 and covered and "覆盖网格00" in due  # 3-day grid patrolled 3 days ago: due
    zhou = browser("zhou")
    first = zhou.get("/risks/coverage", params={"area_id": village})
    second = zhou.get("/risks/coverage", params={"area_id": village, "page": 2})
    one, two = _rows(first.text, "coverage"), _rows(second.text, "coverage")
    assert len(one) == 50 and len(two) == len(area) - 50 and not set(one) & set(two)
    assert 'class="pager"' in first.text and "page=2" in first.text
    summary = re.search(r'id="coverage-summary">([^<]*)<', first.text)
    assert summary and str(len(due)) in summary.group(1) and str(len(area)) in summary.group(1)
    # only the grids due for a patrol: decided in SQL exactly as the Python rule does
    shown = set()
    for page in (1, 2):
        text = zhou.get("/risks/coverage", params={"area_id": village, "unpatrolled": "true", "page": page}).text
        shown |= set(re.findall(r">(覆盖网格\d\d)<", text))
    assert shown == {n for n in due if n.startswith("覆盖网格")}
    sheet = _sheet(zhou.get("/risks/coverage", params={"area_id": village, "unpatrolled": "true",
                                                        "export": "xlsx"}))
    assert {r[0] for r in sheet[1:]} == due
    everything = _sheet(zhou.get("/risks/coverage", params={"area_id": village, "export": "xlsx"}))
    assert len(everything) - 1 == len(area)


def test_coverage_in_sql_at_each_interval_boundary(session: Any) -> None:
    now = _grids(session)
    village = unit_id(session, V01)
    for later in (timedelta(0), timedelta(days=4) - timedelta(seconds=1), timedelta(days=4), timedelta(days=6),
                  timedelta(days=6, seconds=1)):
        at = now + later
        area = session.scalars(select(Grid).where(Grid.unit_id == village)).all()
        expected = {g.id for g in area if grids.due_since(g, at) is not None}
        stmt = grids.coverage_statement(session, SYSTEM, area_id=village, only_unpatrolled=True, now=at)
        assert set(session.scalars(stmt.with_only_columns(Grid.id))) == expected, later


def test_coverage_refuses_bad_filters(browser: Any, session: Any) -> None:
    zhou, bole = browser("zhou"), browser("bole")
    before = audit_count(session)
    for params, status in (({"page": 0}, 422), ({"area_id": "x"}, 422), ({"unpatrolled": "maybe"}, 422),
                           ({"area_id": 99999999}, 404)):
        assert zhou.get("/risks/coverage", params=params).status_code == status, params
    assert bole.get("/risks/coverage", params={"area_id": unit_id(session, "652722")}).status_code == 404
    assert audit_count(session) == before

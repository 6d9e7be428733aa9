"""Every risks page renders for a reader and a writer, in Chinese, and lists export as XLSX."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import zh
from tests.risks.helpers import plant_hazard, plant_sensor
from yingji.risks.models import Grid, RiskAssessment

PAGES = ["/risks", "/risks/hazards", "/risks/assessments", "/risks/list", "/risks/map", "/risks/inspections",
         "/risks/findings", "/risks/stats", "/risks/grids", "/risks/coverage", "/risks/sensors", "/risks/alarms",
         "/risks/checklists", "/risks/rules"]
EXPORTS = ["/risks/hazards", "/risks/assessments", "/risks/list", "/risks/inspections", "/risks/findings",
           "/risks/stats", "/risks/coverage", "/risks/sensors", "/risks/alarms"]


@pytest.mark.parametrize("username", ["zhou", "leader"])
def test_pages_render(browser: Any, session: Any, username: str) -> None:
    client = browser(username)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert "风险" in response.text or "网格" in response.text or "隐患" in response.text, path
    hazard = plant_hazard(session)
    sensor = plant_sensor(session)
    assessment = session.scalar(select(RiskAssessment.id))
    grid = session.scalar(select(Grid.id))
    for path in (f"/risks/hazards/{hazard.id}", f"/risks/sensors/{sensor.id}", f"/risks/assessments/{assessment}",
                 f"/risks/grids/{grid}"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:500])


def test_exports_are_xlsx(browser: Any) -> None:
    client = browser("zhou")
    for path in EXPORTS:
        response = client.get(path, params={"export": "xlsx"})
        assert response.status_code == 200, path
        assert response.content[:2] == b"PK", path


def test_the_assessments_export_holds_the_assessments_it_lists(browser: Any, session: Any) -> None:
    """The assessments page exports its own rows (title, area, year, how many risks), filtered as it is."""
    client = browser("zhou")
    page = client.get("/risks/assessments")
    assert 'href="?q=&amp;export=xlsx"' in page.text
    rows = list(load_workbook(io.BytesIO(client.get("/risks/assessments", params={"export": "xlsx"}).content))
                .active.iter_rows(values_only=True))
    assert rows[0][:4] == (zh("title"), zh("area"), zh("year"), zh("risks listed"))
    demo = session.scalars(select(RiskAssessment)).all()
    assert sorted(r[0] for r in rows[1:]) == sorted(a.title for a in demo)
    assert ("博乐市公共安全风险评估（演示）", "博乐市", demo[0].year, 5) in [r[:4] for r in rows[1:]]
    none = client.get("/risks/assessments", params={"export": "xlsx", "q": "没有这个标题"})
    assert len(list(load_workbook(io.BytesIO(none.content)).active.iter_rows())) == 1  # the header alone

"""Every risks page renders for a reader and a writer, in Chinese, and lists export as XLSX."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.risks.helpers import plant_hazard, plant_sensor
from yingji.risks.models import Grid, RiskAssessment

PAGES = ["/risks", "/risks/hazards", "/risks/assessments", "/risks/list", "/risks/map", "/risks/inspections",
         "/risks/findings", "/risks/stats", "/risks/grids", "/risks/coverage", "/risks/sensors", "/risks/alarms",
         "/risks/checklists", "/risks/rules"]
EXPORTS = ["/risks/hazards", "/risks/list", "/risks/inspections", "/risks/findings", "/risks/stats", "/risks/coverage",
           "/risks/sensors", "/risks/alarms"]


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

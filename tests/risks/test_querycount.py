"""Risks lists cost the same number of queries for few rows as for many (no N+1)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.core.test_querycount import counting
from tests.risks.helpers import SYSTEM, plant_hazard, plant_sensor
from yingji import clock
from yingji.risks import inspections, sensors
from yingji.risks.schemas import FindingCreate, InspectionCreate, Reading

PATHS = ["/risks/findings", "/risks/inspections", "/risks/hazards", "/risks/alarms", "/api/risks/findings",
         "/risks/findings?export=xlsx", "/risks/sensors", "/risks/list"]


def _add(database: Any, n: int) -> None:
    with database.unit_of_work() as s:
        hazard = plant_hazard(s)
        inspection = inspections.create_inspection(s, SYSTEM, InspectionCreate(unit_id=hazard.unit_id, title="q"))
        for i in range(n):
            inspections.add_finding(s, SYSTEM, inspection.id, FindingCreate(
                description=f"隐患{i}", deadline=clock.now() + timedelta(days=1), responsible="x"))
        sensor = plant_sensor(s)
        for i in range(n):
            sensors.raise_alarm(s, SYSTEM, sensor, kind="threshold", level="yellow", at=clock.now(), value=21.0 + i)
        sensors.ingest(s, sensor, [Reading(at=clock.now() + timedelta(seconds=n + i), value=1.0) for i in range(n)])


def _counts(browser: Any, database: Any) -> dict[str, int]:
    client = browser("zhou")
    found = {}
    for path in PATHS:
        with counting(database) as statements:
            assert client.get(path).status_code == 200, path
        found[path] = len(statements)
    return found


def test_lists_do_not_grow_with_rows(browser: Any, database: Any) -> None:
    _add(database, 2)
    few = _counts(browser, database)
    _add(database, 40)
    assert _counts(browser, database) == few

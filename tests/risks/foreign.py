"""Marked risks rows in 精河县 for the route walker (tests/core/test_scope_routes.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.scope_checker import MARKER
from yingji.core.models import Unit, User


def rows(s: Session, system: Any, as_user: Any, unit: Unit, user: User) -> dict[str, int]:
    """A marked hazard of the foreign enterprise with an inspection, a finding, a sensor with readings and an
    alarm; an assessment of 精河县 with an item; a checklist; a grid in a 精河县 village with a patrol."""
    from yingji import clock
    from yingji.risks import assessments, grids, hazards, inspections, sensors
    from yingji.risks.schemas import (
        AssessmentCreate,
        ChecklistCreate,
        FindingCreate,
        GridCreate,
        HazardCreate,
        InspectionCreate,
        OutlineSet,
        PatrolCreate,
        Reading,
        RiskItemCreate,
        SensorCreate,
    )

    county = s.scalar(select(Unit).where(Unit.code == "652722"))
    village = s.scalar(select(Unit).where(Unit.code == "652722100-V01"))
    assert county is not None and village is not None
    hazard = hazards.create(s, system, HazardCreate(unit_id=unit.id, name=f"{MARKER}-hazard", lon=82.9, lat=44.6))
    checklist = inspections.create_checklist(s, system, ChecklistCreate(unit_id=unit.id, name=MARKER,
                                                                         items=[MARKER]))
    inspection = inspections.create_inspection(s, system, InspectionCreate(
        unit_id=unit.id, hazard_id=hazard.id, checklist_id=checklist.id, title=MARKER, results={MARKER: False}))
    finding = inspections.add_finding(s, system, inspection.id, FindingCreate(
        description=MARKER, deadline=clock.now() + timedelta(days=3), responsible=MARKER))
    assessment = assessments.create(s, system, AssessmentCreate(unit_id=county.id, title=MARKER, year=2026))
    item = assessments.add_item(s, system, assessment.id, RiskItemCreate(name=MARKER, likelihood=2, consequence=3,
                                                                          lon=82.9, lat=44.6))
    square = [[82.9, 44.6], [82.95, 44.6], [82.95, 44.65], [82.9, 44.65]]
    grids.set_outline(s, system, village.id, OutlineSet(polygon=square))
    grid = grids.create_grid(s, system, GridCreate(unit_id=village.id, name=MARKER, polygon=square,
                                                   officer_name=MARKER))
    now = clock.now()
    patrol = grids.record_patrol(s, system, grid.id, PatrolCreate(started_at=now - timedelta(hours=1), ended_at=now,
                                                                   note=MARKER))
    sensor = sensors.create(s, system, SensorCreate(unit_id=unit.id, hazard_id=hazard.id, name=f"{MARKER}-sensor",
                                                    kind="gas", orange=25))
    sensors.issue_token(s, system, sensor.id)
    result = sensors.ingest(s, sensor, [Reading(at=now - timedelta(seconds=10), value=1.0),
                                        Reading(at=now - timedelta(seconds=5), value=30.0)])
    assert result.alarm_id is not None
    s.flush()
    return {"hazard_id": hazard.id, "checklist_id": checklist.id, "inspection_id": inspection.id,
            "finding_id": finding.id, "assessment_id": assessment.id, "risk_item_id": item.id,
            "village_id": village.id, "grid_id": grid.id, "patrol_id": patrol.id, "sensor_id": sensor.id,
            "alarm_id": result.alarm_id, "area_id": county.id}

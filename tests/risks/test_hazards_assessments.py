"""五有 computed from other modules' records (and "no record source yet" without them); the L × S matrix at
its boundaries and after a rule change; the risk list per area, exported; the map's features; scope."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import unit_id
from tests.risks.helpers import SYSTEM, as_user, frozen, plant_hazard
from yingji.errors import UserError
from yingji.risks import assessments, defaults, hazards
from yingji.risks.schemas import AssessmentCreate, RiskItemCreate


def _states(session: Any, hazard_id: int) -> dict[str, str]:
    return {i.key: i.state for i in hazards.five_haves(session, SYSTEM, hazard_id).items}


def test_demo_plant_misses_only_its_drill(session: Any) -> None:
    frozen()
    hazard = plant_hazard(session)
    assert _states(session, hazard.id) == {"people": "yes", "rules": "yes", "plan": "yes", "drill": "no",
                                           "support": "yes"}


def test_a_drill_this_year_completes_it_and_last_years_does_not(session: Any) -> None:
    from yingji.preparedness.models import PrepDrill

    now = frozen()
    hazard = plant_hazard(session)
    year = now.year
    session.add(PrepDrill(unit_id=hazard.unit_id, title="去年的演练", held_on=date(year - 1, 12, 31),
                          scope="special", form="tabletop"))
    session.flush()
    assert _states(session, hazard.id)["drill"] == "no"
    session.add(PrepDrill(unit_id=hazard.unit_id, title="液氯泄漏演练", held_on=date(year, 1, 1), scope="special",
                          form="tabletop"))
    session.flush()
    five = hazards.five_haves(session, SYSTEM, hazard.id)
    assert five.complete and "液氯泄漏演练" in next(i.detail for i in five.items if i.key == "drill")


def test_missing_record_source_is_said_not_broken(session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    frozen()
    hazard = plant_hazard(session)
    monkeypatch.setattr(hazards, "_model", lambda module, name: None)
    states = _states(session, hazard.id)
    assert states["plan"] == states["drill"] == states["support"] == "no_source"
    assert states["people"] == "yes"


def test_matrix_levels_at_their_boundaries(session: Any) -> None:
    rules = defaults.values(session)
    cases = {25: "major", 20: "major", 19: "large", 16: "large", 15: "large", 14: "general", 9: "general",
             8: "low", 1: "low"}
    for score, level in cases.items():
        assert defaults.risk_level(rules, score) == level, score
    assert assessments.score(session, 4, 5) == (20, "major")
    assert assessments.score(session, 3, 5) == (15, "large")
    assert assessments.score(session, 3, 3) == (9, "general")
    assert assessments.score(session, 2, 4) == (8, "low")
    with pytest.raises(UserError):
        assessments.score(session, 6, 1)
    defaults.update_rule(session, SYSTEM, defaults.LEVEL_MAJOR, 16, "test")
    assert assessments.score(session, 4, 4) == (16, "major")
    with pytest.raises(UserError):  # thresholds must rise
        defaults.update_rule(session, SYSTEM, defaults.LEVEL_LARGE, 16, "test")
    with pytest.raises(UserError):
        defaults.update_rule(session, SYSTEM, defaults.LEVEL_MAJOR, 20, " ")


def test_rules_page_edits_only_for_rule_editors(browser: Any, session: Any) -> None:
    bole = browser("bole")
    assert bole.form("/risks/rules/patrol_every_days", {"value": "3", "source": "x"}).status_code == 403
    zhou = browser("zhou")
    response = zhou.form("/risks/rules/patrol_every_days", {"value": "3", "source": "州应急办通知（测试）"})
    assert response.status_code == 303
    assert defaults.value(session, defaults.PATROL_DAYS) == 3
    assert "州应急办通知（测试）" in zhou.get("/risks/rules").text


def test_risk_list_per_area_exported(browser: Any, session: Any) -> None:
    bole = browser("bole")
    county = unit_id(session, "652701")
    township = unit_id(session, "652701100")
    made = bole.api("POST", "/api/risks/assessments", json={"unit_id": township, "title": "小营盘镇风险评估",
                                                             "year": 2026})
    assert made.status_code == 201, made.text
    item = bole.api("POST", f"/api/risks/assessments/{made.json()['id']}/items", json={
        "name": "镇区河道洪水", "category": 1, "likelihood": 5, "consequence": 4, "lon": 81.9, "lat": 44.96})
    assert item.status_code == 201 and item.json()["level"] == "major" and item.json()["score"] == 20
    listed = bole.api("GET", "/api/risks/list", params={"area_id": township}).json()
    assert [r["name"] for r in listed["items"]] == ["镇区河道洪水"]
    whole = bole.api("GET", "/api/risks/list", params={"area_id": county}).json()
    assert whole["total"] >= 6 and whole["items"][0]["score"] >= whole["items"][-1]["score"]
    xlsx = bole.get("/risks/list", params={"area_id": township, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "镇区河道洪水" and rows[1][5] == 20
    features = bole.api("GET", "/api/risks/map").json()["features"]
    assert any(f["properties"]["name"] == "镇区河道洪水" for f in features)
    assert not any(f["properties"]["kind"] == "hazard" for f in features)  # the plant is outside 博乐市
    # an assessment is for an area, not an enterprise; and not for 精河县 by 博乐市
    enterprise = unit_id(session, "652701100-E01")
    assert bole.api("POST", "/api/risks/assessments", json={"unit_id": enterprise, "title": "x",
                                                            "year": 2026}).status_code == 400
    assert bole.api("POST", "/api/risks/assessments", json={"unit_id": unit_id(session, "652722"), "title": "x",
                                                            "year": 2026}).status_code == 404
    assert bole.api("GET", "/api/risks/list", params={"area_id": unit_id(session, "652722")}).status_code == 404


def test_item_outside_the_assessed_area_refused(session: Any) -> None:
    bole = as_user(session, "bole")
    township = unit_id(session, "652701100")
    row = assessments.create(session, bole, AssessmentCreate(unit_id=township, title="t", year=2026))
    other = unit_id(session, "652701101")
    with pytest.raises(UserError):
        assessments.add_item(session, bole, row.id, RiskItemCreate(unit_id=other, name="x", likelihood=1,
                                                                   consequence=1))

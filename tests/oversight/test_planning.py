"""Planning projects and funding: money as exact fen, spent against planned, corrections, bad amounts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import unit_id
from tests.oversight.helpers import audits
from yingji.oversight.schemas import fen_to_yuan, yuan_to_fen


def test_yuan_to_fen_is_exact() -> None:
    assert yuan_to_fen("0.1") + yuan_to_fen("0.2") == yuan_to_fen("0.3") == 30
    assert yuan_to_fen("1,234.56") == 123456
    assert fen_to_yuan(123456) == "1,234.56"
    for bad in ("1.234", "abc", "NaN", "Infinity"):
        with pytest.raises(ValueError):
            yuan_to_fen(bad)


def test_budget_line_spent_against_planned(browser: Any, session: Any) -> None:
    bole = browser("bole")
    line = bole.api("POST", "/api/oversight/budget-lines", json={
        "unit_id": unit_id(session, "652701"), "year": 2030, "kind": "drills", "planned_yuan": "10000.10"})
    assert line.status_code == 201, line.text
    assert line.json()["planned_fen"] == 1000010
    url = f"/api/oversight/budget-lines/{line.json()['id']}/spending"
    assert bole.api("POST", url, json={"spent_on": "2030-03-01", "amount_yuan": "0.10", "note": "a"}).json()[
        "spent_fen"] == 10
    assert bole.api("POST", url, json={"spent_on": "2030-04-01", "amount_yuan": "0.20", "note": "b"}).json()[
        "spent_fen"] == 30
    before = audits(session, "oversight_spending")
    below = bole.api("POST", url, json={"spent_on": "2030-04-02", "amount_yuan": "-0.31", "note": "c"})
    assert below.status_code == 400 and below.json()["field"] == "amount_yuan"
    wrong_year = bole.api("POST", url, json={"spent_on": "2031-01-01", "amount_yuan": "1", "note": "d"})
    assert wrong_year.status_code == 400
    three_decimals = bole.api("POST", url, json={"spent_on": "2030-04-02", "amount_yuan": "1.001", "note": "e"})
    assert three_decimals.status_code == 422
    assert audits(session, "oversight_spending") == before
    correction = bole.api("POST", url, json={"spent_on": "2030-04-02", "amount_yuan": "-0.30", "note": "冲正"})
    assert correction.json()["spent_fen"] == 0
    twin = bole.api("POST", "/api/oversight/budget-lines", json={
        "unit_id": unit_id(session, "652701"), "year": 2030, "kind": "drills", "planned_yuan": "1"})
    assert twin.status_code == 409
    rows = bole.api("GET", "/api/oversight/budget-lines", params={"year": 2030}).json()["items"]
    assert [(r["kind"], r["planned_fen"], r["spent_fen"]) for r in rows] == [("drills", 1000010, 0)]
    assert browser("jinghe").api("POST", url, json={"spent_on": "2030-04-02", "amount_yuan": "1",
                                                    "note": "x"}).status_code == 404


def test_project_plan_budget_and_progress(browser: Any, session: Any) -> None:
    zhou = browser("zhou")
    bad_dates = zhou.api("POST", "/api/oversight/projects", json={
        "unit_id": unit_id(session, "652700"), "name": "平台", "budget_yuan": "100", "starts_on": "2030-05-01",
        "ends_on": "2030-04-01"})
    assert bad_dates.status_code == 422
    created = zhou.api("POST", "/api/oversight/projects", json={
        "unit_id": unit_id(session, "652700"), "name": "平台", "budget_yuan": "1200000.50", "starts_on": "2030-01-01",
        "ends_on": "2031-12-31", "implementation_plan": "分三期"})
    assert created.status_code == 201 and created.json()["budget_fen"] == 120000050
    url = f"/api/oversight/projects/{created.json()['id']}"
    half = zhou.api("PATCH", url, json={"progress": 50, "spent_yuan": "600000", "status": "running"})
    assert half.json()["spent_fen"] == 60000000
    early = zhou.api("PATCH", url, json={"progress": 90, "spent_yuan": "600000", "status": "done"})
    assert early.status_code == 400
    assert zhou.api("GET", url).json()["progress"] == 50
    export = zhou.get("/oversight/projects", params={"export": "xlsx", "q": "平台"})
    assert export.status_code == 200 and export.content[:2] == b"PK"

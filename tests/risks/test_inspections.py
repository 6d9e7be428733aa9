"""Inspections and hidden hazards: checklist answers, rectified → verified → closed with a photo, closing
without evidence refused, overdue findings escalate once at the deadline boundary, closed-loop statistics."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from tests.conftest import audit_count, unit_id
from tests.risks.helpers import PLANT, PNG, SYSTEM, frozen, plant_hazard, set_now, user
from yingji.core.models import Notification
from yingji.risks import inspections
from yingji.risks.models import ChecklistTemplate, Finding


def _inspection(client: Any, session: Any, **extra: Any) -> int:
    hazard = plant_hazard(session)
    body = {"unit_id": hazard.unit_id, "hazard_id": hazard.id, "title": "季度检查", "kind": "department", **extra}
    response = client.api("POST", "/api/risks/inspections", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _finding(client: Any, inspection: int, deadline: Any, severity: str = "general") -> int:
    response = client.api("POST", f"/api/risks/inspections/{inspection}/findings", json={
        "description": "储罐区可燃气体探测器未校验", "severity": severity, "deadline": deadline.isoformat(),
        "responsible": "安全总监"})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_checklist_answers_must_match_the_checklist(browser: Any, session: Any) -> None:
    frozen()
    zhou = browser("zhou")
    checklist = session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.purpose == "inspection"))
    good = {checklist.items[0]: True, checklist.items[1]: False}
    inspection = _inspection(zhou, session, checklist_id=checklist.id, results=good)
    assert zhou.api("GET", f"/api/risks/inspections/{inspection}").json()["results"] == good
    hazard = plant_hazard(session)
    bad = zhou.api("POST", "/api/risks/inspections", json={
        "unit_id": hazard.unit_id, "title": "x", "checklist_id": checklist.id, "results": {"not on the list": True}})
    assert bad.status_code == 400 and bad.json()["field"] == "results"


def test_rectified_verified_closed_only_with_a_photo(browser: Any, session: Any) -> None:
    now = frozen()
    zhou = browser("zhou")
    finding = _finding(zhou, _inspection(zhou, session), now + timedelta(days=3))
    assert zhou.api("POST", f"/api/risks/findings/{finding}/close").status_code == 409  # not verified yet
    assert zhou.api("POST", f"/api/risks/findings/{finding}/rectify", json={"rectification": ""}).status_code == 422
    assert zhou.api("POST", f"/api/risks/findings/{finding}/rectify",
                    json={"rectification": "已校验"}).json()["status"] == "rectified"
    assert zhou.api("POST", f"/api/risks/findings/{finding}/verify").json()["status"] == "verified"
    audits = audit_count(session)
    refused = zhou.api("POST", f"/api/risks/findings/{finding}/close")
    assert refused.status_code == 400 and refused.json()["field"] == "evidence"
    # a PDF is not a photo
    pdf = zhou.post(f"/api/risks/findings/{finding}/evidence", headers={"X-CSRF-Token": zhou.csrf},
                    files={"file": ("report.pdf", io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "application/pdf")})
    assert pdf.status_code == 201
    assert zhou.api("POST", f"/api/risks/findings/{finding}/close").status_code == 400
    session.expire_all()
    assert session.get(Finding, finding).status == "verified" and audit_count(session) == audits + 1
    photo = zhou.post(f"/api/risks/findings/{finding}/evidence", headers={"X-CSRF-Token": zhou.csrf},
                      files={"file": ("fixed.png", io.BytesIO(PNG), "image/png")})
    assert photo.status_code == 201, photo.text
    closed = zhou.api("POST", f"/api/risks/findings/{finding}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert zhou.api("POST", f"/api/risks/findings/{finding}/rectify", json={"rectification": "x"}).status_code == 409


def test_deadline_must_lie_ahead(browser: Any, session: Any) -> None:
    now = frozen()
    zhou = browser("zhou")
    inspection = _inspection(zhou, session)
    response = zhou.api("POST", f"/api/risks/inspections/{inspection}/findings", json={
        "description": "x", "deadline": now.isoformat(), "responsible": "y"})
    assert response.status_code == 400 and response.json()["field"] == "deadline"


def test_overdue_escalates_once_after_the_deadline(browser: Any, session: Any) -> None:
    now = frozen()
    zhou = browser("zhou")
    deadline = now + timedelta(days=2)
    late = _finding(zhou, _inspection(zhou, session), deadline, severity="major")
    done = _finding(zhou, _inspection(zhou, session), deadline)
    zhou.api("POST", f"/api/risks/findings/{done}/rectify", json={"rectification": "已整改"})
    set_now(deadline)  # at the deadline: not overdue yet
    assert inspections.escalate_overdue(session, SYSTEM) == 0
    set_now(deadline + timedelta(seconds=1))
    assert inspections.escalate_overdue(session, SYSTEM) == 1
    assert inspections.escalate_overdue(session, SYSTEM) == 0
    session.flush()
    row = session.get(Finding, late)
    assert row.escalated_at == deadline + timedelta(seconds=1)
    # the plant sits in 五台工业园区 directly under the prefecture: its office is told
    office = user(session, "zhou")
    notes = session.scalars(select(Notification).where(Notification.user_id == office.id,
                                                       Notification.link == f"/risks/findings/{late}")).all()
    assert notes
    assert session.get(Finding, done).escalated_at is None
    session.commit()
    listed = browser("zhou").get("/risks/findings", params={"overdue": "true"})  # a new sign-in, two days on
    assert f"finding-{late}" in listed.text and f"finding-{done}" not in listed.text


def test_closed_loop_by_county_and_sector(browser: Any, session: Any) -> None:
    now = frozen()
    zhou = browser("zhou")
    first = _finding(zhou, _inspection(zhou, session), now + timedelta(days=1))
    _finding(zhou, _inspection(zhou, session), now + timedelta(days=1))
    zhou.api("POST", f"/api/risks/findings/{first}/rectify", json={"rectification": "ok"})
    zhou.api("POST", f"/api/risks/findings/{first}/verify")
    zhou.post(f"/api/risks/findings/{first}/evidence", headers={"X-CSRF-Token": zhou.csrf},
              files={"file": ("fixed.png", io.BytesIO(PNG), "image/png")})
    zhou.api("POST", f"/api/risks/findings/{first}/close")
    set_now(now + timedelta(days=2))
    zhou = browser("zhou")  # a new sign-in, two days on
    rows = {r["label"]: r for r in zhou.api("GET", "/api/risks/stats/closed-loop").json()}
    park = rows["五台工业园区"]
    assert (park["total"], park["closed"], park["on_time"], park["overdue"], park["open"], park["rate"]) == \
        (2, 1, 1, 1, 1, 50.0)
    sectors = {r["key"]: r for r in zhou.api("GET", "/api/risks/stats/closed-loop?by=sector").json()}
    assert sectors["hazardous_chemicals"]["total"] >= 2
    # 博乐市 sees nothing of the park
    assert "五台工业园区" not in {r["label"] for r in browser("bole").api("GET", "/api/risks/stats/closed-loop").json()}
    assert unit_id(session, PLANT)

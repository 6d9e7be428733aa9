"""Performance assessment: weights that must sum to 100, assessor scores within range and with evidence,
computed indicators traced back to their records, the veto, and a finalised year that cannot change."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from tests.conftest import unit_id
from tests.oversight.helpers import audits, local, set_now
from yingji.oversight.models import OvIndicator, OvTask, OvWeight


def _indicator(session: Any, code: str) -> int:
    return int(session.scalar(select(OvIndicator.id).where(OvIndicator.code == code)))


def test_weights_must_sum_to_100(browser: Any, session: Any) -> None:
    zhou = browser("zhou")
    weights = {"organization": 10, "duty": 15, "plans": 15, "prevention": 20, "incident": 20, "teams": 10,
               "funding": 11}
    before = {w.dimension: w.weight for w in session.scalars(select(OvWeight).where(OvWeight.unit_kind == "county"))}
    refused = zhou.api("PUT", "/api/oversight/weights", json={"unit_kind": "county", "weights": weights})
    assert refused.status_code == 400 and "101" in refused.json()["detail"]
    missing = zhou.api("PUT", "/api/oversight/weights", json={"unit_kind": "county", "weights": {"duty": 100}})
    assert missing.status_code == 400
    session.expire_all()
    assert {w.dimension: w.weight for w in session.scalars(
        select(OvWeight).where(OvWeight.unit_kind == "county"))} == before
    weights["funding"] = 10
    saved = zhou.api("PUT", "/api/oversight/weights", json={"unit_kind": "county", "weights": weights})
    assert saved.status_code == 200
    assert browser("bole").api("PUT", "/api/oversight/weights",
                               json={"unit_kind": "county", "weights": weights}).status_code == 403


def test_score_range_evidence_and_role(browser: Any, session: Any) -> None:
    zhou = browser("zhou")
    body = {"unit_id": unit_id(session, "652701"), "year": 2029, "indicator_id": _indicator(session, "teams.building"),
            "percent": 101, "evidence": "检查记录"}
    assert zhou.api("PUT", "/api/oversight/scores", json=body).status_code == 422
    assert zhou.api("PUT", "/api/oversight/scores", json={**body, "percent": -1}).status_code == 422
    assert zhou.api("PUT", "/api/oversight/scores", json={**body, "percent": 80, "evidence": ""}).status_code == 422
    computed = {**body, "percent": 80, "indicator_id": _indicator(session, "org.tasks")}
    assert zhou.api("PUT", "/api/oversight/scores", json=computed).status_code == 400
    assert browser("bole").api("PUT", "/api/oversight/scores", json={**body, "percent": 80}).status_code == 403
    assert audits(session, "oversight_score") == 0
    assert zhou.api("PUT", "/api/oversight/scores", json={**body, "percent": 80}).status_code == 200
    card = zhou.api("GET", f"/api/oversight/assessment/units/{body['unit_id']}", params={"year": 2029}).json()
    line = next(ln for ln in card["lines"] if ln["indicator"] == "teams.building")
    assert line["ratio"] == 0.8 and line["earned"] == round(line["share"] * 0.8, 2)


def test_lost_point_leads_to_the_record_and_finalising_locks(browser: Any, session: Any) -> None:
    set_now(local(2030, 2, 1, 10))
    bole_id = unit_id(session, "652701")
    late = OvTask(unit_id=bole_id, source_kind="meeting", source_ref="会议纪要", title="迟办任务", owner_person="王",
                  deadline=date(2029, 6, 30), status="open")
    done = OvTask(unit_id=bole_id, source_kind="meeting", source_ref="会议纪要", title="按时任务", owner_person="王",
                  deadline=date(2029, 6, 30), status="closed", closed_at=local(2029, 6, 30, 23, 0), progress=100)
    session.add_all([late, done])
    session.commit()
    zhou = browser("zhou")
    card = zhou.api("GET", f"/api/oversight/assessment/units/{bole_id}", params={"year": 2029}).json()
    tasks = next(ln for ln in card["lines"] if ln["indicator"] == "org.tasks")
    assert tasks["ratio"] == 0.5 and tasks["lost"] > 0
    assert tasks["records"] == [{"label": "迟办任务 (2029-06-30)", "href": f"/oversight/tasks/{late.id}"}]
    earned = sum(d["earned"] for d in card["dimensions"].values())
    applicable = sum(d["weight"] for d in card["dimensions"].values() if d["applies"])
    assert card["score"] == round(100 * earned / applicable, 1)
    page = zhou.get(f"/oversight/assessment/units/{bole_id}", params={"year": 2029})
    assert f'href="/oversight/tasks/{late.id}"' in page.text
    # The veto: a major problem handled badly removes the unit from the year's honours.
    veto = {"unit_id": bole_id, "year": 2029, "indicator_id": _indicator(session, "inc.mishandled"), "percent": 0,
            "evidence": "处置不力通报"}
    assert zhou.api("PUT", "/api/oversight/scores", json=veto).status_code == 200
    card = zhou.api("GET", f"/api/oversight/assessment/units/{bole_id}", params={"year": 2029}).json()
    assert card["vetoed"] is True and card["grade"] != "excellent"
    ranking = zhou.api("GET", "/api/oversight/assessment", params={"year": 2029}).json()
    assert [r["rank"] for r in ranking] == list(range(1, len(ranking) + 1))
    assert any(r["unit_id"] == bole_id and r["vetoed"] for r in ranking)
    assert browser("bole").api("POST", "/api/oversight/assessment/finalise", params={"year": 2029}).status_code == 403
    assert zhou.api("POST", "/api/oversight/assessment/finalise", params={"year": 2030}).status_code == 400
    final = zhou.api("POST", "/api/oversight/assessment/finalise", params={"year": 2029})
    assert final.status_code == 201 and final.json()["units"] == len(ranking)
    before = audits(session, "oversight_score")
    locked = zhou.api("PUT", "/api/oversight/scores", json={**veto, "percent": 100})
    assert locked.status_code == 409
    assert audits(session, "oversight_score") == before
    assert zhou.api("POST", "/api/oversight/assessment/finalise", params={"year": 2029}).status_code == 409
    # Later records do not move a finalised ranking.
    session.get(OvTask, late.id).status = "closed"
    session.commit()
    assert zhou.api("GET", "/api/oversight/assessment", params={"year": 2029}).json() == ranking


def test_roll_call_answers_count(browser: Any, session: Any) -> None:
    """The duty indicator reads duty_roll_call_target: answered within the call's limit or not."""
    from yingji.duty.models import DutyDesk, RollCall, RollCallTarget

    desk = session.scalar(select(DutyDesk).where(DutyDesk.unit_id == unit_id(session, "652722")))
    start = local(2029, 3, 1, 10)
    for answered in (start.replace(second=0) + _seconds(300), start + _seconds(301), None):
        call = RollCall(unit_id=unit_id(session, "652700"), called_by_name="t", started_at=start, limit_seconds=300,
                        fired_at=start)
        session.add(call)
        session.flush()
        session.add(RollCallTarget(roll_call_id=call.id, desk_id=desk.id, unit_id=desk.unit_id, answered_at=answered))
    session.commit()
    set_now(local(2030, 2, 1))
    card = browser("zhou").api("GET", f"/api/oversight/assessment/units/{desk.unit_id}", params={"year": 2029}).json()
    duty = next(ln for ln in card["lines"] if ln["indicator"] == "duty.rollcall")
    assert duty["detail"] == "1/3" and len(duty["records"]) == 2
    assert all(r["href"].startswith("/duty/roll-calls/") for r in duty["records"])


def _seconds(n: int) -> Any:
    from datetime import timedelta

    return timedelta(seconds=n)


def test_ranking_is_reused_until_a_record_changes(browser: Any, session: Any, database: Any) -> None:
    from sqlalchemy import event

    from yingji.core.scope import system_principal
    from yingji.oversight import assessment

    zhou = browser("zhou")
    bole_id = unit_id(session, "652701")
    first = zhou.api("GET", "/api/oversight/assessment", params={"year": 2029}).json()
    statements: list[str] = []

    def count(*_args: Any) -> None:
        statements.append("x")

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        again = zhou.api("GET", "/api/oversight/assessment", params={"year": 2029}).json()
        reused = len(statements)
        assert again == first
        statements.clear()
        assessment.SUMMARY_CACHE.clear()
        assert zhou.api("GET", "/api/oversight/assessment", params={"year": 2029}).json() == first
        assert reused < len(statements) / 2, (reused, len(statements))  # the cached ranking skips the measures
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    # an audited change (an assessor's score) is seen at once
    body = {"unit_id": bole_id, "year": 2029, "indicator_id": _indicator(session, "inc.mishandled"), "percent": 0,
            "evidence": "处置不力"}
    assert zhou.api("PUT", "/api/oversight/scores", json=body).status_code == 200
    after = zhou.api("GET", "/api/oversight/assessment", params={"year": 2029}).json()
    assert next(r for r in after if r["unit_id"] == bole_id)["vetoed"] is True
    assert not next(r for r in first if r["unit_id"] == bole_id)["vetoed"]
    with database.sessionmaker() as s:  # the summaries match a fresh computation
        fresh = assessment.scorecard(s, system_principal("test"), bole_id, 2029)
    assert next(r for r in after if r["unit_id"] == bole_id)["score"] == fresh.score

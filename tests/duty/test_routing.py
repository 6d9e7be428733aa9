"""Routing to the duty desk: what is addressed to a unit reaches the officer(s) on shift at the nearest desk;
unacknowledged past the limit (data) it goes to the leader on duty, once; several officers per shift."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import unit_id, zh
from tests.duty.helpers import audits, desk_id, fill, local, set_now, user_id
from yingji.core.models import Notification, Unit, User
from yingji.core.scope import system_principal
from yingji.duty import routing, tasks
from yingji.duty.models import DutyDispatch, DutyShift, DutyShiftOfficer

START = local(2030, 3, 10, 8)
SYSTEM = system_principal("tests")


def _prepare(browser: Any, session: Session) -> DutyShift:
    """博乐市's desk filled for the day; the clock an hour into the shift."""
    set_now(START - timedelta(hours=1))
    fill(browser("bole"), desk_id(session, "652701"), "2030-03-10", "2030-03-10")
    set_now(START + timedelta(hours=1))
    session.expire_all()
    shift = session.scalar(select(DutyShift).where(DutyShift.desk_id == desk_id(session, "652701"),
                                                   DutyShift.starts_at == START))
    assert shift is not None and shift.officer_id is not None and shift.leader_id is not None
    return shift


def _village(session: Session, county_code: str) -> int:
    county = session.get_one(Unit, unit_id(session, county_code))
    found = session.scalar(select(Unit.id).where(Unit.kind == "village", Unit.path.startswith(county.path)))
    assert found is not None
    return int(found)


def _subjects(session: Session, user: int) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(Notification.subject).where(Notification.user_id == user)))


def _send(session: Session, unit: int, ref: int = 7, leaders: bool = False) -> list[DutyDispatch]:
    rows = routing.dispatch(session, SYSTEM, unit_id=unit, kind="incident_report", ref_id=ref,
                            subject="山体滑坡首报", link="/duty/dispatches", leaders=leaders)
    session.commit()
    return rows


def test_a_village_report_reaches_the_county_officer_and_escalates_one_second_after_the_limit(
        browser: Any, session: Session) -> None:
    shift = _prepare(browser, session)
    rows = _send(session, _village(session, "652701"))
    assert [(r.user_id, r.role) for r in rows] == [(shift.officer_id, "officer")]
    assert rows[0].desk_id == desk_id(session, "652701")
    assert "山体滑坡首报" in _subjects(session, shift.officer_id)
    assert "山体滑坡首报" not in _subjects(session, shift.leader_id)
    sent = rows[0].sent_at
    set_now(sent + timedelta(minutes=10))  # exactly the limit: not yet
    assert tasks.run_dispatch_escalation() == 0
    set_now(sent + timedelta(minutes=10, seconds=1))
    assert tasks.run_dispatch_escalation() == 1
    escalated = zh("Not acknowledged: ") + "山体滑坡首报"
    assert escalated in _subjects(session, shift.leader_id)
    assert tasks.run_dispatch_escalation() == 0  # once
    assert _subjects(session, shift.leader_id).count(escalated) == 1
    session.expire_all()
    leader_row = session.scalar(select(DutyDispatch).where(DutyDispatch.role == "leader"))
    assert leader_row is not None and leader_row.escalation_of_id == rows[0].id
    assert len(audits(session, "duty_dispatch", "dispatch")) == 2


def test_acknowledging_stops_the_escalation(browser: Any, session: Session) -> None:
    shift = _prepare(browser, session)
    rows = _send(session, _village(session, "652701"))
    assert routing.acknowledge_ref(session, SYSTEM, kind="incident_report", ref_id=7) == 1
    session.commit()
    set_now(rows[0].sent_at + timedelta(hours=1))
    assert tasks.run_dispatch_escalation() == 0
    assert zh("Not acknowledged: ") + "山体滑坡首报" not in _subjects(session, shift.leader_id)
    assert routing.acknowledge_ref(session, SYSTEM, kind="incident_report", ref_id=7) == 0


def test_level_two_calls_the_leader_at_once_and_another_county_reaches_its_own_desk(
        browser: Any, session: Session) -> None:
    shift = _prepare(browser, session)
    rows = _send(session, _village(session, "652701"), leaders=True)
    assert sorted(r.role for r in rows) == ["leader", "officer"]
    assert "山体滑坡首报" in _subjects(session, shift.leader_id)
    # 精河县 has no shift at this time: its desk head is told at once.
    rows = _send(session, unit_id(session, "652722"), ref=8)
    assert [r.role for r in rows] == ["head"]
    assert rows[0].desk_id == desk_id(session, "652722")


def test_the_desk_sees_and_acknowledges_through_the_api_and_page(browser: Any, session: Session) -> None:
    shift = _prepare(browser, session)
    rows = _send(session, _village(session, "652701"))
    officer = session.get_one(User, shift.officer_id)
    client = browser(officer.username)
    listed = client.get("/api/duty/dispatches", params={"status": "open"}).json()
    assert [d["id"] for d in listed["items"]] == [rows[0].id]
    assert browser("jinghe").get("/api/duty/dispatches").json()["total"] == 0
    assert browser("jinghe").api("POST", f"/api/duty/dispatches/{rows[0].id}/ack").status_code == 404
    page = client.get("/duty/dispatches", params={"status": "open"})
    assert page.status_code == 200 and "山体滑坡首报" in page.text
    export = client.get("/duty/dispatches", params={"export": "xlsx"})
    assert export.headers["content-type"].startswith("application/vnd.openxmlformats")
    answer = client.api("POST", f"/api/duty/dispatches/{rows[0].id}/ack")
    assert answer.status_code == 200 and answer.json()["acknowledged_at"]
    again = client.api("POST", f"/api/duty/dispatches/{rows[0].id}/ack")
    assert again.status_code == 409 and again.json()["detail"] == zh("This has already been acknowledged.")


def test_several_officers_on_a_shift_are_all_reached(browser: Any, session: Session) -> None:
    shift = _prepare(browser, session)
    bole = browser("bole")
    third = user_id(session, "bole_duty3") if shift.officer_id != user_id(session, "bole_duty3") \
        else user_id(session, "bole_duty")
    added = bole.api("POST", f"/api/duty/shifts/{shift.id}/officers", json={"user_id": third})
    assert added.status_code == 201, added.text
    twice = bole.api("POST", f"/api/duty/shifts/{shift.id}/officers", json={"user_id": third})
    assert twice.status_code == 409
    leader = bole.api("POST", f"/api/duty/shifts/{shift.id}/officers", json={"user_id": shift.leader_id})
    assert leader.status_code == 400  # a leader member is not an officer member
    rows = _send(session, _village(session, "652701"))
    assert sorted(r.user_id for r in rows if r.user_id) == sorted([shift.officer_id, third])
    people = routing.on_duty(session, unit_id(session, "652701"))
    assert [u.id for u in people.officers] == [shift.officer_id, third]
    desk = next(d for d in bole.get("/api/duty/now").json() if d["desk_id"] == desk_id(session, "652701"))
    assert session.get_one(User, third).display_name in desk["officer"]
    removed = bole.api("DELETE", f"/api/duty/shift-officers/{added.json()['id']}")
    assert removed.status_code == 204
    session.expire_all()
    assert session.scalar(select(DutyShiftOfficer.id)) is None
    assert browser("jinghe").api("POST", f"/api/duty/shifts/{shift.id}/officers",
                                 json={"user_id": third}).status_code == 404

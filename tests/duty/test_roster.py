"""Desks, members, shifts, filling by rotation, swaps, conflicts and scope (R3.3)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import audit_count, unit_id, zh
from tests.duty.helpers import audits, desk_id, fill, local, set_now, shift_count, user_id
from yingji.core.models import Notification
from yingji.duty import service
from yingji.duty.models import DutyDesk, DutyShift, DutySwap


def _march(session: Session) -> None:
    set_now(local(2030, 2, 20, 10))


def test_fill_by_rotation_builds_a_month_in_beijing_time(browser: Any, session: Session) -> None:
    _march(session)
    bole = browser("bole")
    desk = desk_id(session, "652701")
    response = fill(bole, desk, "2030-03-01", "2030-03-31")
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 31, "skipped": 0}
    shifts = list(session.scalars(select(DutyShift).where(DutyShift.desk_id == desk,
                                                          DutyShift.local_date >= local(2030, 3, 1).date())
                                  .order_by(DutyShift.starts_at)))
    march = [s for s in shifts if s.starts_at >= local(2030, 3, 1, 8)]
    assert len(march) == 31
    # 08:00 in Beijing is 00:00 UTC; each shift ends when the next begins.
    assert march[0].starts_at == local(2030, 3, 1, 8) and march[0].starts_at.hour == 0
    assert march[0].ends_at == march[1].starts_at == local(2030, 3, 2, 8)
    officers = [user_id(session, n) for n in ("bole", "bole_duty", "bole_duty3")]
    assert [s.officer_id for s in march[:4]] == officers + officers[:1]
    assert {s.leader_id for s in march} == {user_id(session, "bole_lead")}
    fills = audits(session, "duty_desk", "fill")
    assert fills[-1].after["created"] == 31 and fills[-1].actor_name == "bole"
    # Filling again changes nothing: every slot exists.
    assert fill(bole, desk, "2030-03-01", "2030-03-31").json() == {"created": 0, "skipped": 31}
    page = bole.get(f"/duty/desks/{desk}?month=2030-03")
    assert page.status_code == 200 and "2030-03-31" in page.text and "博乐市带班领导（演示）" in page.text


def test_day_and_night_shifts_cross_midnight_correctly(browser: Any, session: Session) -> None:
    _march(session)
    bole = browser("bole")
    township = unit_id(session, "652701100")
    created = bole.api("POST", "/api/duty/desks", json={"unit_id": township, "name": "小营盘镇值班室",
                                                         "pattern": "day_night", "day_start": "08:30",
                                                         "night_start": "20:30"})
    assert created.status_code == 201, created.text
    desk = created.json()["id"]
    assert created.json()["day_start"] == 510
    assert fill(bole, desk, "2030-03-31", "2030-04-01").json()["created"] == 4
    shifts = list(session.scalars(select(DutyShift).where(DutyShift.desk_id == desk).order_by(DutyShift.starts_at)))
    assert [(s.kind, s.starts_at, s.ends_at) for s in shifts] == [
        ("day", local(2030, 3, 31, 8, 30), local(2030, 3, 31, 20, 30)),
        ("night", local(2030, 3, 31, 20, 30), local(2030, 4, 1, 8, 30)),
        ("day", local(2030, 4, 1, 8, 30), local(2030, 4, 1, 20, 30)),
        ("night", local(2030, 4, 1, 20, 30), local(2030, 4, 2, 8, 30)),
    ]
    assert shifts[1].starts_at.hour == 12 and shifts[1].ends_at.day == 1  # 20:30 Beijing = 12:30 UTC
    assert audits(session, "duty_desk", "create")[-1].after["pattern"] == "day_night"
    # A night that starts before the day is refused, nothing created.
    before = audit_count(session)
    bad = bole.api("POST", "/api/duty/desks", json={"unit_id": unit_id(session, "652701101"), "name": "x",
                                                     "pattern": "day_night", "night_start": "07:00"})
    assert bad.status_code == 400 and bad.json()["detail"] == zh("The night shift must start after the day shift.")
    assert audit_count(session) == before


def test_overlapping_shift_is_refused_and_nothing_changes(browser: Any, session: Session) -> None:
    _march(session)
    bole = browser("bole")
    desk = desk_id(session, "652701")
    fill(bole, desk, "2030-03-01", "2030-03-02")
    count, audit_before = shift_count(session, desk), audit_count(session)
    response = bole.api("POST", f"/api/duty/desks/{desk}/shifts", json={
        "starts_at": "2030-03-01T20:00:00+08:00", "ends_at": "2030-03-02T09:00:00+08:00"})
    assert response.status_code == 409
    assert response.json()["detail"] == zh("This shift overlaps another shift of the desk (%(start)s).",
                                           start="2030-03-01 08:00")
    assert shift_count(session, desk) == count and audit_count(session) == audit_before
    # Touching end to start is not an overlap.
    ok = bole.api("POST", f"/api/duty/desks/{desk}/shifts", json={
        "starts_at": "2030-03-03T08:00:00+08:00", "ends_at": "2030-03-03T20:00:00+08:00",
        "officer_id": user_id(session, "bole_duty")})
    assert ok.status_code == 201, ok.text
    assert audits(session, "duty_shift", "create")[-1].after["officer_id"] == user_id(session, "bole_duty")
    # Longer than a day, or without an offset: refused.
    for body in ({"starts_at": "2030-03-05T08:00:00+08:00", "ends_at": "2030-03-06T08:00:01+08:00"},
                 {"starts_at": "2030-03-05T08:00:00", "ends_at": "2030-03-05T09:00:00"}):
        assert bole.api("POST", f"/api/duty/desks/{desk}/shifts", json=body).status_code == 400


def test_a_person_on_two_desks_at_once_is_refused(browser: Any, session: Session) -> None:
    _march(session)
    bole = browser("bole")
    county_desk = desk_id(session, "652701")
    township_desk = bole.api("POST", "/api/duty/desks", json={"unit_id": unit_id(session, "652701100"),
                                                              "name": "小营盘镇值班室"}).json()["id"]
    township_user = user_id(session, "township")
    for desk in (county_desk, township_desk):
        added = bole.api("POST", f"/api/duty/desks/{desk}/members", json={"user_id": township_user})
        assert added.status_code == 201, added.text
    assert fill(bole, township_desk, "2030-03-01", "2030-03-03", officer_ids=[township_user]).status_code == 200
    count, audit_before = shift_count(session), audit_count(session)
    response = fill(bole, county_desk, "2030-03-02", "2030-03-02", officer_ids=[township_user])
    assert response.status_code == 409
    assert response.json()["detail"] == zh("%(name)s is already on duty at %(desk)s at that time (%(start)s).",
                                           name="小营盘镇应急专干", desk="小营盘镇值班室", start="2030-03-02 08:00")
    assert shift_count(session) == count and audit_count(session) == audit_before
    # Assigning one shift the same way is refused as well.
    fill(bole, county_desk, "2030-03-02", "2030-03-02")
    shift = session.scalar(select(DutyShift).where(DutyShift.desk_id == county_desk,
                                                   DutyShift.starts_at == local(2030, 3, 2, 8)))
    assert shift is not None
    patched = bole.api("PATCH", f"/api/duty/shifts/{shift.id}", json={"officer_id": township_user})
    assert patched.status_code == 409
    session.refresh(shift)
    assert shift.officer_id != township_user


def test_members_come_from_the_desk_units_subtree(browser: Any, session: Session) -> None:
    bole = browser("bole")
    desk = desk_id(session, "652701")
    before = audit_count(session)
    outsider = bole.api("POST", f"/api/duty/desks/{desk}/members", json={"user_id": user_id(session, "zhou")})
    assert outsider.status_code == 400
    assert outsider.json()["detail"] == zh("This person is not a user of the desk's unit or the units below it.")
    twice = bole.api("POST", f"/api/duty/desks/{desk}/members", json={"user_id": user_id(session, "bole_duty")})
    assert twice.status_code == 409
    second = bole.api("POST", "/api/duty/desks", json={"unit_id": unit_id(session, "652701"), "name": "x"})
    assert second.status_code == 409
    assert audit_count(session) == before


def _two_shifts(session: Session, bole: Any) -> tuple[int, DutyShift, DutyShift]:
    desk = desk_id(session, "652701")
    fill(bole, desk, "2030-03-01", "2030-03-03")
    rows = list(session.scalars(select(DutyShift).where(DutyShift.desk_id == desk,
                                                        DutyShift.starts_at >= local(2030, 3, 1, 8))
                                .order_by(DutyShift.starts_at)))
    return desk, rows[0], rows[1]


def test_swap_asked_by_the_officer_and_approved_by_the_head(browser: Any, session: Session) -> None:
    _march(session)
    bole = browser("bole")
    desk, first, second = _two_shifts(session, bole)
    assert (first.officer_id, second.officer_id) == (user_id(session, "bole"), user_id(session, "bole_duty"))
    # Only the shift's own officer may ask.
    duty = browser("bole_duty")
    refused = duty.api("POST", "/api/duty/swaps", json={"shift_id": first.id, "with_user_id": user_id(session, "bole")})
    assert refused.status_code == 403
    asked = bole.api("POST", "/api/duty/swaps", json={"shift_id": first.id, "with_user_id": second.officer_id,
                                                      "other_shift_id": second.id, "reason": "出差"})
    assert asked.status_code == 201, asked.text
    swap_id = asked.json()["id"]
    assert audits(session, "duty_swap", "create")[-1].after["status"] == "pending"
    # The head (bole himself here) is told; bole_duty may not decide.
    assert duty.api("POST", f"/api/duty/swaps/{swap_id}/approve").status_code == 403
    approved = bole.api("POST", f"/api/duty/swaps/{swap_id}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    session.expire_all()
    assert session.get_one(DutyShift, first.id).officer_id == user_id(session, "bole_duty")
    assert session.get_one(DutyShift, second.id).officer_id == user_id(session, "bole")
    assert len([a for a in audits(session, "duty_shift", "update") if a.actor_name == "bole"]) == 2
    assert audits(session, "duty_swap", "approve")[-1].after == {"decided_at": audits(
        session, "duty_swap", "approve")[-1].after["decided_at"], "decided_by_id": user_id(session, "bole"),
        "status": "approved"}
    notes = session.scalars(select(Notification.subject).where(Notification.user_id == user_id(session, "bole_duty")))
    assert zh("Duty swap approved") in list(notes)
    again = bole.api("POST", f"/api/duty/swaps/{swap_id}/approve")
    assert again.status_code == 409


def test_swap_with_someone_outside_the_desk_is_refused(browser: Any, session: Session) -> None:
    _march(session)
    bole = browser("bole")
    _desk, first, _second = _two_shifts(session, bole)
    before = audit_count(session)
    for outsider in ("jinghe_duty", "township", "bole_lead"):
        response = bole.api("POST", "/api/duty/swaps", json={"shift_id": first.id,
                                                             "with_user_id": user_id(session, outsider)})
        assert response.status_code in (400, 404)
        if response.status_code == 400:
            assert response.json()["detail"] == zh("A swap is possible only with another officer of the same desk.")
    assert audit_count(session) == before
    assert session.scalar(select(DutySwap.id)) is None


def test_another_countys_ids_look_like_not_found(browser: Any, session: Session) -> None:
    _march(session)
    jinghe = browser("jinghe")
    bole_desk = desk_id(session, "652701")
    fill(browser("bole"), bole_desk, "2030-03-01", "2030-03-01")
    shift = session.scalar(select(DutyShift).where(DutyShift.desk_id == bole_desk).order_by(DutyShift.id.desc()))
    assert shift is not None
    before = audit_count(session)
    for method, url, body in [("GET", f"/api/duty/desks/{bole_desk}", None),
                              ("POST", f"/api/duty/desks/{bole_desk}/fill", {"start": "2030-04-01",
                                                                             "end": "2030-04-02"}),
                              ("PATCH", f"/api/duty/shifts/{shift.id}", {"officer_id": user_id(session, "jinghe")}),
                              ("DELETE", f"/api/duty/shifts/{shift.id}", None),
                              ("GET", f"/duty/desks/{bole_desk}", None)]:
        response = jinghe.api(method, url, json=body) if body else jinghe.api(method, url)
        assert response.status_code == 404, (url, response.status_code)
    assert audit_count(session) == before
    assert [r["desk_name"] for r in jinghe.get("/api/duty/now").json()] == ["精河县应急值班室"]


def test_who_is_on_duty_now_at_three_in_the_morning(browser: Any, session: Session) -> None:
    set_now(local(2030, 3, 10, 3))
    zhou = browser("zhou")
    for code in ("652700", "652701", "652702", "652722", "652723"):
        assert fill(zhou, desk_id(session, code), "2030-03-09", "2030-03-10").status_code == 200
    rows = zhou.get("/api/duty/now").json()
    assert [r["unit_name"] for r in rows] == ["博尔塔拉蒙古自治州", "博乐市", "阿拉山口市", "精河县", "温泉县"]
    assert all(r["officer"] and r["leader"] for r in rows)
    bole_row = rows[1]
    assert bole_row["starts_at"].startswith("2030-03-09T00:00") and bole_row["officer"]
    # At exactly 08:00 the next shift has taken over.
    set_now(local(2030, 3, 10, 8))
    zhou = browser("zhou")  # a new sign-in: the old session has been idle too long
    later = {r["unit_name"]: r for r in zhou.get("/api/duty/now").json()}
    assert later["博乐市"]["starts_at"].startswith("2030-03-10T00:00")
    page = zhou.get("/duty")
    assert page.status_code == 200 and "温泉县应急值班室" in page.text
    export = zhou.get("/duty?export=xlsx")
    assert export.status_code == 200 and export.content[:2] == b"PK"
    assert [r["unit_name"] for r in browser("bole").get("/api/duty/now").json()] == ["博乐市"]


def test_deleting_a_started_shift_is_refused(browser: Any, session: Session) -> None:
    _march(session)
    bole = browser("bole")
    desk, first, second = _two_shifts(session, bole)
    first_id, first_start, second_id = first.id, first.starts_at, second.id
    assert bole.api("DELETE", f"/api/duty/shifts/{second_id}").status_code == 204
    assert audits(session, "duty_shift", "delete")[-1].before["id"] == second_id
    set_now(first_start)
    bole = browser("bole")
    assert bole.api("DELETE", f"/api/duty/shifts/{first_id}").status_code == 409
    assert session.get(DutyShift, first_id) is not None
    assert session.scalar(select(DutyDesk.id).where(DutyDesk.id == desk)) == desk


def test_slots_follow_the_configured_zone() -> None:
    from datetime import date
    from zoneinfo import ZoneInfo

    desk = DutyDesk(pattern="24h", day_start=0, night_start=0)
    (day, kind, start, end), = service.slots(desk, date(2030, 1, 1), date(2030, 1, 1), ZoneInfo("Asia/Shanghai"))
    assert (kind, start.isoformat(), end - start) == ("24h", "2029-12-31T16:00:00+00:00", timedelta(hours=24))


def test_slots_stay_on_local_time_across_a_daylight_saving_change() -> None:
    """Beijing keeps one offset; a zone with daylight saving must still start every shift at 08:00 local."""
    from datetime import date
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    desk = DutyDesk(pattern="day_night", day_start=8 * 60, night_start=20 * 60)
    planned = service.slots(desk, date(2030, 3, 1), date(2030, 4, 30), berlin)
    assert len(planned) == 122
    days = [(s, e) for _d, k, s, e in planned if k == "day"]
    assert {(s.astimezone(berlin).hour, e.astimezone(berlin).hour) for s, e in days} == {(8, 20)}
    assert all(planned[i][3] == planned[i + 1][2] for i in range(len(planned) - 1))
    assert planned[0][2].hour == 7 and planned[-1][2].hour == 18  # UTC+1 in March, UTC+2 in April

"""Signing on and its alert, gaps and their notice (periodic jobs, idempotent), duty rules as data,
and the iCalendar feeds read the way a calendar program reads them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import audit_count, zh
from tests.duty.helpers import audits, desk_id, fill, local, set_now, user_id
from yingji import jobs
from yingji.core.models import Notification
from yingji.duty import tasks
from yingji.duty.models import DutyRule, DutyShift, FeedToken

START = local(2030, 3, 10, 8)


def _shift(session: Session, code: str = "652701", at: datetime = START) -> DutyShift:
    session.expire_all()
    found = session.scalar(select(DutyShift).where(DutyShift.desk_id == desk_id(session, code),
                                                   DutyShift.starts_at == at))
    assert found is not None
    return found


def _notes(session: Session, username: str) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(Notification.subject).where(
        Notification.user_id == user_id(session, username)).order_by(Notification.id)))


def test_sign_on_alert_fires_one_second_after_the_limit_once(browser: Any, session: Session) -> None:
    set_now(START - timedelta(hours=1))
    fill(browser("bole"), desk_id(session, "652701"), "2030-03-10", "2030-03-10")
    shift = _shift(session)
    alert = zh("%(desk)s: the duty officer has not signed on", desk="博乐市应急值班室")
    set_now(START + timedelta(minutes=15))  # exactly the limit: still within it
    assert tasks.run_signon_alerts() == 0
    set_now(START + timedelta(minutes=15, seconds=1))
    assert tasks.run_signon_alerts() == 1
    assert alert in _notes(session, "bole_lead")  # the leader on duty
    assert alert in _notes(session, "zhou")  # the head of the prefecture's desk: the level above
    assert audits(session, "duty_shift", "alert")[-1].entity_id == str(shift.id)
    assert tasks.run_signon_alerts() == 0  # never twice for the same shift
    assert _notes(session, "zhou").count(alert) == 1
    # Through the periodic job's registered name too.
    assert "duty.signon" in jobs.PERIODIC and "duty.gaps" in jobs.PERIODIC


def test_signed_on_shift_raises_no_alert_and_the_window_is_data(browser: Any, session: Session) -> None:
    set_now(START - timedelta(minutes=31))
    bole = browser("bole")
    fill(bole, desk_id(session, "652701"), "2030-03-10", "2030-03-10")
    shift = _shift(session)
    assert shift.officer_id == user_id(session, "bole")
    too_early = bole.api("POST", f"/api/duty/shifts/{shift.id}/sign-on")
    assert too_early.status_code == 409
    assert too_early.json()["detail"] == zh(
        "Signing on is possible from %(n)s minutes before the shift until its end.", n=30)
    set_now(START - timedelta(minutes=30))
    assert browser("bole_duty").api("POST", f"/api/duty/shifts/{shift.id}/sign-on").status_code == 403
    bole = browser("bole")
    signed = bole.api("POST", f"/api/duty/shifts/{shift.id}/sign-on")
    assert signed.status_code == 200 and signed.json()["signed_on_at"]
    assert audits(session, "duty_shift", "sign_on")[-1].actor_name == "bole"
    assert bole.api("POST", f"/api/duty/shifts/{shift.id}/sign-on").status_code == 409
    set_now(START + timedelta(hours=2))
    assert tasks.run_signon_alerts() == 0


def test_gaps_listed_and_the_head_told_once_within_the_horizon(browser: Any, session: Session) -> None:
    now = local(2030, 3, 1, 8)
    set_now(now)
    bole = browser("bole")
    desk = desk_id(session, "652701")
    # No leader given: every shift is a gap.
    fill(bole, desk, "2030-03-15", "2030-03-15")  # starts exactly at now + 14 d: outside the horizon
    session.execute(DutyShift.__table__.update().where(DutyShift.desk_id == desk).values(leader_id=None))
    session.commit()
    # The horizon is 14 days: a shift starting one second before now + 14 d is a gap, one at it is not.
    inside = bole.api("POST", f"/api/duty/desks/{desk}/shifts", json={
        "starts_at": (now + timedelta(days=14, seconds=-1)).isoformat(),
        "ends_at": (now + timedelta(days=14)).isoformat()})
    assert inside.status_code == 201, inside.text
    listed = bole.get("/api/duty/gaps", params={"desk_id": desk}).json()
    starts = [g["starts_at"] for g in listed["items"]]
    assert listed["total"] == 1 and starts == [inside.json()["starts_at"]]
    assert all(g["no_leader"] and g["no_officer"] for g in listed["items"])
    assert tasks.run_gaps() == 1
    notice = zh("%(desk)s: %(n)s shifts without an officer or a leader", desk="博乐市应急值班室", n=1)
    assert _notes(session, "bole") == [notice]
    assert tasks.run_gaps() == 0 and _notes(session, "bole") == [notice]
    page = bole.get(f"/duty/gaps?desk_id={desk}")
    assert page.status_code == 200 and "2030-03-15 07:59" in page.text
    assert bole.get(f"/duty/gaps?desk_id={desk}&export=xlsx").content[:2] == b"PK"
    # Longer horizon (data, edited by the prefecture): the later shifts become gaps too.
    rule = session.scalar(select(DutyRule).where(DutyRule.key == "gap_horizon_days"))
    assert rule is not None
    zhou = browser("zhou")
    assert bole.api("PATCH", f"/api/duty/rules/{rule.id}", json={"value": 20, "source": "x"}).status_code == 403
    changed = zhou.api("PATCH", f"/api/duty/rules/{rule.id}", json={"value": 20, "source": "州应急办规定"})
    assert changed.status_code == 200
    assert changed.status_code == 200
    assert audits(session, "duty_rule", "update")[-1].after == {"source": "州应急办规定", "value": 20}
    assert bole.get("/api/duty/gaps", params={"desk_id": desk}).json()["total"] == 2


def test_rules_page_shows_each_number_with_its_source(browser: Any, session: Session) -> None:
    zhou = browser("zhou")
    page = zhou.get("/duty/rules")
    assert page.status_code == 200 and "[C] common practice" in page.text
    assert zh("Time to answer a roll call") in page.text
    rule = session.scalar(select(DutyRule).where(DutyRule.key == "rollcall_answer_limit_seconds"))
    assert rule is not None
    before = audit_count(session)
    assert zhou.form(f"/duty/rules/{rule.id}", {"value": "0", "source": "x"}).status_code == 400
    assert zhou.form(f"/duty/rules/{rule.id}", {"value": "120", "source": " "}).status_code == 400
    assert audit_count(session) == before
    assert zhou.form(f"/duty/rules/{rule.id}", {"value": "120", "source": "州规定"}).status_code == 303
    session.refresh(rule)
    assert rule.value == 120


def test_icalendar_feeds_parse_with_beijing_times(browser: Any, session: Session, app: Any) -> None:
    set_now(local(2030, 3, 1, 9))
    bole = browser("bole")
    desk = desk_id(session, "652701")
    fill(bole, desk, "2030-03-10", "2030-03-12")
    token = bole.api("POST", "/api/duty/feed-token").json()["token"]
    stored = session.scalar(select(FeedToken).where(FeedToken.user_id == user_id(session, "bole")))
    assert stored is not None and stored.token_hash != token and len(stored.token_hash) == 64
    anonymous = browser()
    assert anonymous.get("/api/duty/feeds/me.ics").status_code == 401
    assert anonymous.get("/api/duty/feeds/me.ics", params={"token": "yjf_wrong"}).status_code == 401
    feed = anonymous.get("/api/duty/feeds/me.ics", params={"token": token})
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    mine = [e for e in events if e.decoded("dtstart").date().isoformat() == "2030-03-10"]
    assert len(mine) == 1  # bole is the first officer in turn
    start, end = mine[0].decoded("dtstart"), mine[0].decoded("dtend")
    assert start.tzinfo is not None and start.utcoffset() == timedelta(hours=8)
    assert (start.hour, start.minute, end - start) == (8, 0, timedelta(hours=24))
    assert start.astimezone(ZoneInfo("UTC")).hour == 0
    assert str(mine[0]["summary"]) == zh("Duty: %(desk)s", desk="博乐市应急值班室")
    assert any(c.name == "VTIMEZONE" for c in calendar.walk("VTIMEZONE"))
    desk_feed = Calendar.from_ical(anonymous.get(f"/api/duty/feeds/desks/{desk}.ics", params={"token": token}).content)
    assert len([e for e in desk_feed.walk("VEVENT") if e.decoded("dtstart").year == 2030]) == 3
    # Another county's desk through bole's token: not found; a new token retires the old one.
    assert anonymous.get(f"/api/duty/feeds/desks/{desk_id(session, '652722')}.ics",
                         params={"token": token}).status_code == 404
    bole.api("POST", "/api/duty/feed-token")
    assert anonymous.get("/api/duty/feeds/me.ics", params={"token": token}).status_code == 401
    page = bole.form("/duty/feeds/token")
    assert page.status_code == 200 and "/api/duty/feeds/me.ics?token=yjf_" in page.text

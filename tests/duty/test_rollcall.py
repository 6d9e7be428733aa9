"""Roll calls (点名): calling, notifying by inbox and real mail, answering against the limit, closing,
and the bulletin (通报) as a page, XLSX and PDF."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import audit_count, zh
from tests.duty.helpers import audits, desk_id, fill, local, set_now, user_id
from yingji import jobs
from yingji.core.models import Notification
from yingji.duty.models import RollCall, RollCallTarget

COUNTIES = ("652701", "652702", "652722", "652723")
START = local(2030, 3, 10, 3)


def _rostered(browser: Any, session: Session) -> Any:
    set_now(START)
    zhou = browser("zhou")
    for code in COUNTIES:
        assert fill(zhou, desk_id(session, code), "2030-03-09", "2030-03-10").status_code == 200
    return zhou


def _targets(session: Session, call_id: int) -> dict[str, RollCallTarget]:
    from yingji.core.models import Unit

    session.expire_all()
    rows = session.execute(select(RollCallTarget, Unit.code).join(Unit, Unit.id == RollCallTarget.unit_id)
                           .where(RollCallTarget.roll_call_id == call_id)).all()
    return {code: target for target, code in rows}


def test_prefecture_calls_every_county_and_officers_get_inbox_and_mail(browser: Any, session: Session,
                                                                       settings: Any, smtp_server: Any) -> None:
    mailbox, port = smtp_server
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    zhou = _rostered(browser, session)
    response = zhou.api("POST", "/api/duty/roll-calls", json={"note": "夜间点名"})
    assert response.status_code == 201, response.text
    call = response.json()
    assert call["limit_seconds"] == 300 and call["called_by_name"] == "zhou"
    targets = _targets(session, call["id"])
    assert sorted(targets) == sorted(COUNTIES)  # the prefecture's own desk is not called
    on_duty = {r["unit_name"]: r["officer"] for r in zhou.get("/api/duty/now").json()}
    assert all(t.officer_id for t in targets.values())
    created = audits(session, "roll_call", "create")[-1]
    assert sorted(created.after["desk_ids"]) == sorted(t.desk_id for t in targets.values())
    bole_target = targets["652701"]
    notes = list(session.scalars(select(Notification).where(Notification.user_id == bole_target.officer_id)))
    assert notes[-1].link == f"/duty/answer/{bole_target.id}"
    assert notes[-1].subject == zh("Roll call: %(desk)s, answer within %(n)s minutes", desk="博乐市应急值班室", n=5)
    jobs.run_outbox_once()
    subjects = [m["Subject"] for _rcpt, m in mailbox.messages]
    assert notes[-1].subject in subjects and len(subjects) == 4
    assert on_duty["博乐市"]


def test_answers_on_time_at_the_limit_late_one_second_after_missing_when_closed(browser: Any,
                                                                                 session: Session) -> None:
    zhou = _rostered(browser, session)
    call_id = zhou.api("POST", "/api/duty/roll-calls", json={}).json()["id"]
    targets = _targets(session, call_id)
    # Exactly at the limit (300 s): on time ("N以内" includes N).
    set_now(START + timedelta(seconds=300))
    bole = browser("bole")
    answered = bole.api("POST", f"/api/duty/roll-call-targets/{targets['652701'].id}/answer")
    assert answered.status_code == 200, answered.text
    assert audits(session, "roll_call_target", "answer")[-1].actor_name == "bole"
    # One second after the limit: late.
    set_now(START + timedelta(seconds=301))
    jinghe = browser("jinghe")
    page = jinghe.get(f"/duty/answer/{targets['652722'].id}")
    assert page.status_code == 200
    assert jinghe.form(f"/duty/answer/{targets['652722'].id}").status_code == 303
    # 阿拉山口 answers on time; 温泉县 not at all.
    set_now(START + timedelta(seconds=10))
    assert browser("alsk").api("POST", f"/api/duty/roll-call-targets/{targets['652702'].id}/answer").status_code == 200
    # Somebody else's desk may not answer for it, and a second answer is refused.
    assert bole.api("POST", f"/api/duty/roll-call-targets/{targets['652722'].id}/answer").status_code == 404
    assert bole.api("POST", f"/api/duty/roll-call-targets/{targets['652701'].id}/answer").status_code == 409
    set_now(START + timedelta(minutes=20))
    zhou = browser("zhou")
    assert zhou.api("POST", f"/api/duty/roll-calls/{call_id}/close").status_code == 200
    assert audits(session, "roll_call", "close")[-1].after["closed_at"]
    # After closing: 温泉县's answer is refused, nothing changes.
    wenquan = browser("wenquan")
    before = audit_count(session)
    late = wenquan.api("POST", f"/api/duty/roll-call-targets/{targets['652723'].id}/answer")
    assert late.status_code == 409
    assert late.json()["detail"] == zh("This roll call is closed; answers are no longer taken.")
    assert audit_count(session) == before and _targets(session, call_id)["652723"].answered_at is None
    bulletin = zhou.get(f"/api/duty/roll-calls/{call_id}").json()
    result = {r["unit_name"]: (r["status"], r["delay_seconds"]) for r in bulletin["rows"]}
    assert result == {"博乐市": ("on_time", 300), "阿拉山口市": ("on_time", 10), "精河县": ("late", 301),
                      "温泉县": ("missing", None)}
    assert bulletin["counts"] == {"on_time": 2, "late": 1, "missing": 1, "pending": 0, "scheduled": 0}
    # The page, filtered, and the exports.
    page = zhou.get(f"/duty/roll-calls/{call_id}?status=late")
    assert page.status_code == 200 and "精河县" in page.text and "温泉县应急值班室" not in page.text
    assert zh("Called %(total)s desks: %(on_time)s on time, %(late)s late, %(missing)s missing; limit %(limit)s "
              "seconds.", total=4, on_time=2, late=1, missing=1, limit=300) in page.text
    sheet = load_workbook(io.BytesIO(zhou.get(f"/duty/roll-calls/{call_id}?export=xlsx").content)).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0][-1] == zh("result")
    assert {(row[0], row[-1]) for row in values[1:]} == {("博乐市", zh("on time")), ("阿拉山口市", zh("on time")),
                                                         ("精河县", zh("late")), ("温泉县", zh("missing"))}
    pdf = zhou.get(f"/duty/roll-calls/{call_id}?export=pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and b"STSong-Light" in pdf.content
    # The roll call is the prefecture's: a county does not see it.
    assert bole.get(f"/api/duty/roll-calls/{call_id}").status_code == 404
    # The monthly table per desk: the prefecture sees every county, a county only itself.
    month = {r["unit_name"]: r for r in zhou.get("/api/duty/monthly", params={"month": "2030-03"}).json()}
    assert {k: (v["called"], v["on_time"], v["late"], v["missing"]) for k, v in month.items()} == {
        "博乐市": (1, 1, 0, 0), "阿拉山口市": (1, 1, 0, 0), "精河县": (1, 0, 1, 0), "温泉县": (1, 0, 0, 1)}
    assert month["精河县"]["average_seconds"] == 301
    assert zhou.get("/api/duty/monthly", params={"month": "2030-04"}).json() == []
    assert [r["unit_name"] for r in bole.get("/api/duty/monthly", params={"month": "2030-03"}).json()] == ["博乐市"]
    assert zhou.get("/api/duty/monthly", params={"month": "2030-13"}).status_code == 400
    page = zhou.get("/duty/monthly?month=2030-03")
    assert page.status_code == 200 and zh("Roll calls of %(month)s by duty desk", month="2030-03") in page.text
    assert zhou.get("/duty/monthly?month=March").status_code == 400
    table = load_workbook(io.BytesIO(zhou.get("/duty/monthly?month=2030-03&export=xlsx").content)).active
    assert [r[:6] for r in table.iter_rows(min_row=2, values_only=True)][-1] == ("温泉县", "温泉县应急值班室", 1, 0,
                                                                                0, 1)
    assert zhou.get("/duty/monthly?month=2030-03&export=pdf").content.startswith(b"%PDF")


def test_unanswered_is_pending_until_the_limit_then_missing(browser: Any, session: Session) -> None:
    zhou = _rostered(browser, session)
    call_id = zhou.api("POST", "/api/duty/roll-calls", json={"desk_ids": [desk_id(session, "652723")]}).json()["id"]
    assert [r["status"] for r in zhou.get(f"/api/duty/roll-calls/{call_id}").json()["rows"]] == ["pending"]
    set_now(START + timedelta(seconds=300))
    assert [r["status"] for r in browser("zhou").get(f"/api/duty/roll-calls/{call_id}").json()["rows"]] == ["pending"]
    set_now(START + timedelta(seconds=301))
    assert [r["status"] for r in browser("zhou").get(f"/api/duty/roll-calls/{call_id}").json()["rows"]] == ["missing"]


def test_who_may_call_and_whom(browser: Any, session: Session) -> None:
    set_now(START)
    township, leader, bole = browser("township"), browser("leader"), browser("bole")
    before = audit_count(session)
    # A township officer or a leader may not call; a county may not call a desk outside its subtree.
    assert township.api("POST", "/api/duty/roll-calls", json={}).status_code == 403
    assert leader.api("POST", "/api/duty/roll-calls", json={}).status_code == 403
    refused = bole.api("POST", "/api/duty/roll-calls", json={"desk_ids": [desk_id(session, "652722")]})
    assert refused.status_code == 400
    assert refused.json()["detail"] == zh("Some of the chosen desks are not below your unit.")
    nothing = bole.api("POST", "/api/duty/roll-calls", json={})
    assert nothing.status_code == 400  # 博乐市 has no desk below it yet
    assert audit_count(session) == before and session.scalar(select(RollCall.id)) is None
    # With a township desk below it, the county calls it; the township user answers.
    from tests.conftest import unit_id

    township_desk = bole.api("POST", "/api/duty/desks", json={"unit_id": unit_id(session, "652701100"),
                                                              "name": "小营盘镇值班室"}).json()["id"]
    call = bole.api("POST", "/api/duty/roll-calls", json={})
    assert call.status_code == 201
    targets = _targets(session, call.json()["id"])
    assert [t.desk_id for t in targets.values()] == [township_desk]
    assert township.api("POST", f"/api/duty/roll-call-targets/{targets['652701100'].id}/answer"
                                   ).status_code == 200
    page = bole.get("/duty/roll-calls")
    assert page.status_code == 200 and "小营盘镇值班室" in page.text
    assert bole.get("/duty/roll-calls?export=xlsx").content[:2] == b"PK"
    assert user_id(session, "township")


def test_a_scheduled_roll_call_is_made_by_the_job_at_its_time_once(browser: Any, session: Session) -> None:
    from yingji.duty import tasks

    zhou = _rostered(browser, session)
    at = START + timedelta(hours=1)
    made = zhou.api("POST", "/api/duty/roll-calls", json={"at": at.isoformat(), "note": "定时点名"})
    assert made.status_code == 201, made.text
    call_id = made.json()["id"]
    assert made.json()["fired_at"] is None and made.json()["scheduled_for"].startswith("2030-03-09T20:00")
    targets = _targets(session, call_id)
    bole_officer = targets["652701"].officer_id
    assert bole_officer is None  # who is called is decided when the call is made
    # Before its time the desks neither see it nor can answer it.
    bole = browser("bole")
    assert bole.get(f"/duty/answer/{targets['652701'].id}").status_code == 404
    assert bole.api("POST", f"/api/duty/roll-call-targets/{targets['652701'].id}/answer").status_code == 404
    assert {r["status"] for r in zhou.get(f"/api/duty/roll-calls/{call_id}").json()["rows"]} == {"scheduled"}
    set_now(at - timedelta(seconds=1))
    assert tasks.run_scheduled_roll_calls() == 0
    set_now(at)
    assert tasks.run_scheduled_roll_calls() == 1
    assert tasks.run_scheduled_roll_calls() == 0  # once
    targets = _targets(session, call_id)
    assert all(t.officer_id for t in targets.values())
    assert audits(session, "roll_call", "fire")[-1].after["fired_at"]
    notes = list(session.scalars(select(Notification.link).where(
        Notification.user_id == targets["652701"].officer_id)))
    assert f"/duty/answer/{targets['652701'].id}" in notes
    # The limit counts from the moment the call was made.
    set_now(at + timedelta(seconds=300))
    assert browser("bole").api("POST", f"/api/duty/roll-call-targets/{targets['652701'].id}/answer"
                               ).status_code == 200
    rows = {r["unit_name"]: r["status"] for r in browser("zhou").get(f"/api/duty/roll-calls/{call_id}").json()["rows"]}
    assert rows["博乐市"] == "on_time" and rows["温泉县"] == "pending"


def test_unannounced_roll_call_falls_within_its_window_and_bad_times_are_refused(browser: Any,
                                                                                   session: Session) -> None:
    zhou = _rostered(browser, session)
    before = audit_count(session)
    for body in ({"at": (START - timedelta(seconds=1)).isoformat()},  # in the past
                 {"at": "2030-03-10T05:00:00"},  # no offset
                 {"window_minutes": 30},  # a window without its start
                 {"at": (START + timedelta(days=367)).isoformat()}):
        assert zhou.api("POST", "/api/duty/roll-calls", json=body).status_code == 400, body
    assert zhou.api("POST", "/api/duty/roll-calls", json={"at": START.isoformat(),
                                                          "window_minutes": 1441}).status_code == 422
    assert audit_count(session) == before
    start = START + timedelta(hours=2)
    for _ in range(5):
        made = zhou.api("POST", "/api/duty/roll-calls", json={"at": start.isoformat(), "window_minutes": 120}).json()
        call = session.get_one(RollCall, made["id"])
        assert call.unannounced and call.fired_at is None
        assert start <= call.started_at <= start + timedelta(minutes=120)
    # The page form takes Beijing wall-clock time.
    page = zhou.form("/duty/roll-calls", {"desk_ids": str(desk_id(session, "652723")), "at": "2030-03-10T06:30",
                                          "window_minutes": "0"})
    assert page.status_code == 303
    newest = session.scalar(select(RollCall).order_by(RollCall.id.desc()))
    assert newest is not None and newest.scheduled_for == local(2030, 3, 10, 6, 30)

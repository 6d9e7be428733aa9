"""Evaluation reports (R3.6): level III+ events need one within one month of the close — the month is a rule
with its source, counted in Beijing calendar months, tested at the exact boundary; reminders and overdue
notices by the job (once each, delivered by real SMTP); written in sections or uploaded as PDF/DOCX."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.conftest import audit_count, zh
from tests.response.helpers import audits, close_event, local, notifications, open_event, principal, set_now
from yingji import jobs
from yingji.errors import Conflict, UserError
from yingji.response import defaults, evaluation, tasks
from yingji.response.models import ResponseEvaluation, ResponseNotice, ResponseRule
from yingji.response.schemas import EvaluationWrite

CLOSED = local(2026, 1, 31, 23, 30)  # the last day of January, late evening in Beijing (15:30 UTC)
DUE = local(2026, 2, 28, 23, 30)  # one calendar month later: February has no 31st
SECTIONS = {"overview": "事件概况……", "response": "应对处置评估……", "causes": "原因……", "lessons": "教训……",
            "recommendations": "建议……"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _closed_level_iii(session: Session, closed_at: Any = CLOSED, username: str = "bole") -> Any:
    set_now(closed_at - timedelta(days=2))
    ev = open_event(session, username, occurred_at=closed_at - timedelta(days=2, hours=3), level=3, deaths=3)
    close_event(session, ev, closed_at, username)
    session.commit()
    return ev


def test_the_month_is_a_calendar_month_in_beijing_time() -> None:
    assert evaluation.add_months(CLOSED, 1) == DUE
    assert evaluation.add_months(local(2028, 1, 31, 8), 1) == local(2028, 2, 29, 8)  # leap year
    assert evaluation.add_months(local(2026, 3, 15, 0, 10), 1) == local(2026, 4, 15, 0, 10)
    assert evaluation.add_months(local(2026, 12, 31, 1), 1) == local(2027, 1, 31, 1)  # across the year
    # 2026-03-31 07:00 Beijing is still 30 March in UTC: the month is counted on the Beijing calendar.
    assert evaluation.add_months(local(2026, 3, 31, 7), 1) == local(2026, 4, 30, 7)
    assert evaluation.add_months(local(2026, 1, 15), 12) == local(2027, 1, 15)


def test_rules_are_data_with_their_sources(session: Session) -> None:
    rows = {r.key: r for r in session.scalars(select(ResponseRule))}
    assert rows[defaults.EVALUATION_MONTHS].value == 1 and "64号" in rows[defaults.EVALUATION_MONTHS].source
    assert rows[defaults.EVALUATION_LEVEL].value == 3 and "64号" in rows[defaults.EVALUATION_LEVEL].source
    assert all(r.source for r in rows.values()) and len(rows) == len(defaults.RESPONSE_RULES)


def test_submitted_at_the_deadline_is_on_time(session: Session) -> None:
    ev = _closed_level_iii(session)
    bole = principal(session, "bole")
    set_now(DUE)
    report = evaluation.write(session, bole, ev.id, EvaluationWrite(**SECTIONS, submit=True))
    session.commit()
    assert report.due_at == DUE and "64号" in report.due_source
    assert evaluation.state(report.due_at, report.submitted_at, DUE) == "submitted"
    rows = evaluation.due_list(session, bole)
    assert [(r.event_id, r.state) for r in rows if r.event_id == ev.id] == [(ev.id, "submitted")]
    assert audits(session, "response_evaluation", "submit")[-1].actor_name == "bole"
    with pytest.raises(Conflict):  # a submitted report is not written again
        evaluation.write(session, bole, ev.id, EvaluationWrite(**SECTIONS))


def test_one_second_after_the_deadline_is_late_and_overdue_before(session: Session) -> None:
    ev = _closed_level_iii(session)
    bole = principal(session, "bole")
    set_now(DUE)
    assert [r.state for r in evaluation.due_list(session, bole) if r.event_id == ev.id] == ["due"]
    set_now(DUE + timedelta(seconds=1))
    assert [r.state for r in evaluation.due_list(session, bole, state_filter="overdue")
            if r.event_id == ev.id] == ["overdue"]
    assert not [r for r in evaluation.due_list(session, bole, state_filter="due") if r.event_id == ev.id]
    evaluation.write(session, bole, ev.id, EvaluationWrite(**SECTIONS, submit=True))
    session.commit()
    assert [r.state for r in evaluation.due_list(session, bole) if r.event_id == ev.id] == ["late"]


def test_a_changed_rule_moves_the_deadline(session: Session) -> None:
    ev = _closed_level_iii(session)
    row = session.scalar(select(ResponseRule).where(ResponseRule.key == defaults.EVALUATION_MONTHS))
    assert row is not None
    defaults.update_rule(session, principal(session, "zhou"), row.id, 2, "测试：两个月")
    set_now(DUE + timedelta(days=1))
    rows = [r for r in evaluation.due_list(session, principal(session, "bole")) if r.event_id == ev.id]
    assert rows[0].due_at == local(2026, 3, 31, 23, 30) and rows[0].state == "due"
    with pytest.raises(UserError):
        defaults.update_rule(session, principal(session, "zhou"), row.id, 0, "x")
    from yingji.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        defaults.update_rule(session, principal(session, "bole"), row.id, 3, "x")


def test_events_below_level_iii_and_open_events_are_refused(session: Session) -> None:
    set_now(CLOSED - timedelta(days=1))
    minor = open_event(session, occurred_at=CLOSED - timedelta(days=1, hours=2), level=4)
    close_event(session, minor, CLOSED)
    still_open = open_event(session, occurred_at=CLOSED - timedelta(days=1, hours=2), level=2, deaths=10)
    session.commit()
    before = audit_count(session)
    bole = principal(session, "bole")
    set_now(CLOSED + timedelta(days=1))
    with pytest.raises(UserError) as refused:
        evaluation.write(session, bole, minor.id, EvaluationWrite(**SECTIONS))
    assert refused.value.field == "event_id"
    with pytest.raises(Conflict):
        evaluation.write(session, bole, still_open.id, EvaluationWrite(**SECTIONS))
    session.rollback()
    assert audit_count(session) == before
    assert all(r.event_id not in (minor.id, still_open.id) for r in evaluation.due_list(session, bole))


def test_submitting_needs_the_main_sections_or_a_file(session: Session) -> None:
    ev = _closed_level_iii(session)
    set_now(CLOSED + timedelta(days=3))
    bole = principal(session, "bole")
    draft = evaluation.write(session, bole, ev.id, EvaluationWrite(overview="概况"))
    assert draft.status == "draft" and draft.submitted_at is None
    with pytest.raises(UserError) as refused:
        evaluation.write(session, bole, ev.id, EvaluationWrite(overview="概况", submit=True))
    assert refused.value.field == "overview"


def _notices(session: Session, event_id: int) -> list[str]:
    session.expire_all()
    return sorted(session.scalars(select(ResponseNotice.kind).where(ResponseNotice.event_id == event_id)))


def test_reminder_before_the_deadline_and_overdue_notice_once_each_by_mail(session: Session, settings: Any,
                                                                           smtp_server: Any) -> None:
    mailbox, port = smtp_server
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    ev = _closed_level_iii(session)
    reminder_from = DUE - timedelta(days=7)
    set_now(reminder_from - timedelta(seconds=1))
    tasks.run_evaluation_notices()
    assert _notices(session, ev.id) == [] and notifications(session, "bole", ev.title) == 0
    set_now(reminder_from)
    tasks.run_evaluation_notices()
    assert _notices(session, ev.id) == ["reminder"]
    assert notifications(session, "bole", ev.title) == 1 and notifications(session, "zhou", ev.title) == 0
    assert tasks.run_evaluation_notices() == 0  # once
    jobs.run_outbox_once()
    subjects = [m["Subject"] for _rcpt, m in mailbox.messages]
    assert any(ev.title in s for s in subjects)
    set_now(DUE)
    tasks.run_evaluation_notices()  # at the deadline it is not overdue yet
    assert _notices(session, ev.id) == ["reminder"]
    set_now(DUE + timedelta(seconds=1))
    tasks.run_evaluation_notices()
    assert _notices(session, ev.id) == ["overdue", "reminder"]
    assert notifications(session, "bole", ev.title) == 2  # and the level above:
    assert notifications(session, "zhou", ev.title) == 1
    assert tasks.run_evaluation_notices() == 0
    assert notifications(session, "bole", ev.title) == 2


def test_no_notices_once_submitted(session: Session) -> None:
    ev = _closed_level_iii(session)
    set_now(CLOSED + timedelta(days=1))
    evaluation.write(session, principal(session, "bole"), ev.id, EvaluationWrite(**SECTIONS, submit=True))
    session.commit()
    set_now(DUE + timedelta(days=5))
    tasks.run_evaluation_notices()
    assert _notices(session, ev.id) == [] and notifications(session, "bole", ev.title) == 0


def test_pages_write_upload_and_refuse_wrong_files(browser: Any, session: Session) -> None:
    ev = _closed_level_iii(session)
    set_now(CLOSED + timedelta(days=2))
    bole = browser("bole")
    page = bole.get(f"/incidents/{ev.id}/response/evaluation")
    assert page.status_code == 200 and zh("due") in page.text and 'id="evaluation-form"' in page.text
    before = audit_count(session)
    wrong = bole.post(f"/incidents/{ev.id}/response/evaluation/file", data={"csrf_token": bole.csrf, "submit": "true"},
                      files={"file": ("report.png", PNG, "image/png")})
    assert wrong.status_code == 415 and zh("An evaluation report is uploaded as PDF or Word (DOCX).") in wrong.text
    assert audit_count(session) == before
    assert session.scalar(select(ResponseEvaluation).where(ResponseEvaluation.event_id == ev.id)) is None
    done = bole.post(f"/incidents/{ev.id}/response/evaluation/file", data={"csrf_token": bole.csrf, "submit": "true"},
                     files={"file": ("评估报告.pdf", PDF, "application/pdf")}, follow_redirects=False)
    assert done.status_code == 303, done.text
    session.expire_all()
    report = session.scalar(select(ResponseEvaluation).where(ResponseEvaluation.event_id == ev.id))
    assert report is not None and report.status == "submitted" and report.attachment_id
    assert bole.get(f"/files/{report.attachment_id}").content == PDF
    listing = bole.get("/incidents/response/evaluations", params={"state": "submitted"})
    assert listing.status_code == 200 and f'id="due-{ev.id}"' in listing.text
    book = load_workbook(io.BytesIO(bole.get("/incidents/response/evaluations?export=xlsx").content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == zh("event no.") and any(r[0] == ev.id and r[6] == zh("submitted on time") for r in rows)


def test_another_countys_events_are_not_found(browser: Any, session: Session) -> None:
    ev = _closed_level_iii(session, username="jinghe")
    set_now(CLOSED + timedelta(days=2))
    bole = browser("bole")
    assert bole.get(f"/incidents/{ev.id}/response/evaluation").status_code == 404
    put = bole.api("PUT", f"/api/response/events/{ev.id}/evaluation", json={**SECTIONS, "submit": True})
    assert put.status_code == 404
    assert all(r["event_id"] != ev.id for r in bole.get("/api/response/evaluations").json()["items"])
    jinghe = browser("jinghe")
    listed = jinghe.get("/api/response/evaluations", params={"state": "due"}).json()["items"]
    assert [r["event_id"] for r in listed if r["event_id"] == ev.id] == [ev.id]


def test_the_written_report_shows_its_sections(browser: Any, session: Session) -> None:
    ev = _closed_level_iii(session)
    set_now(CLOSED + timedelta(days=2))
    bole = browser("bole")
    saved = bole.form(f"/incidents/{ev.id}/response/evaluation", {**SECTIONS})
    assert saved.status_code == 303, saved.text
    page = bole.get(f"/incidents/{ev.id}/response/evaluation")
    assert "应对处置评估……" in page.text and zh("Lessons learned") in page.text
    api = bole.get(f"/api/response/events/{ev.id}/evaluation").json()
    assert api["status"] == "draft" and api["due_at"].startswith("2026-02-28T15:30")
    assert session.execute(text("SELECT count(*) FROM response_evaluation")).scalar() == 1

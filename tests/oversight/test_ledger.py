"""The task ledger: a task with its roadmap, progress with evidence, closure only with evidence, reminders
before the deadline and escalation after it (each once), filters, paging and XLSX, and scope."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import unit_id, zh
from tests.oversight.helpers import audits, local, set_now
from yingji.core.models import Notification, User
from yingji.core.scope import system_principal
from yingji.oversight import ledger
from yingji.oversight.models import OvTask

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def _task(client: Any, session: Any, deadline: date, **extra: Any) -> dict[str, Any]:
    body = {"unit_id": unit_id(session, "652701"), "source_kind": "instruction", "source_ref": "州领导批示第1号",
            "title": "排查山洪危险区", "owner_person": "王主任", "deadline": deadline.isoformat(), **extra}
    response = client.api("POST", "/api/oversight/tasks", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_roadmap_progress_and_closure_with_evidence(browser: Any, session: Any) -> None:
    bole = browser("bole")
    task = _task(bole, session, date(2031, 6, 30))
    url = f"/api/oversight/tasks/{task['id']}"
    late = bole.api("POST", f"{url}/milestones", json={"title": "方案", "due_on": "2031-07-01"})
    assert late.status_code == 400 and late.json()["field"] == "due_on"
    ok = bole.api("POST", f"{url}/milestones", json={"title": "方案", "due_on": "2031-06-30"})
    assert ok.status_code == 201
    done = bole.api("POST", f"/api/oversight/milestones/{ok.json()['id']}/done")
    assert done.status_code == 200 and done.json()["done_at"]
    # A progress update through the page, with a photo as evidence.
    page = bole.post(f"/oversight/tasks/{task['id']}/progress", data={"note": "完成一半", "percent": "50",
                                                                      "csrf_token": bole.csrf},
                     files={"file": ("photo.pdf", PDF, "application/pdf")}, follow_redirects=False)
    assert page.status_code == 303, page.text
    updates = bole.api("GET", f"{url}/progress").json()
    assert [u["percent"] for u in updates] == [50] and updates[0]["attachment_id"]
    # Closing without evidence is refused and changes nothing.
    before = audits(session, "oversight_task")
    refused = bole.post(f"/oversight/tasks/{task['id']}/close", data={"note": "已完成", "csrf_token": bole.csrf},
                        follow_redirects=False)
    assert refused.status_code == 400
    assert zh("Closing a task needs evidence: attach the document that shows the result.") in refused.text
    assert audits(session, "oversight_task") == before
    assert bole.api("GET", url).json()["status"] == "open"
    closed = bole.post(f"/oversight/tasks/{task['id']}/close", data={"note": "已完成", "csrf_token": bole.csrf},
                       files={"file": ("result.pdf", PDF, "application/pdf")}, follow_redirects=False)
    assert closed.status_code == 303
    row = bole.api("GET", url).json()
    assert row["status"] == "closed" and row["progress"] == 100
    assert audits(session, "oversight_task", "close") == 1
    again = bole.api("POST", f"{url}/progress", json={"note": "再报", "percent": 100})
    assert again.status_code == 409
    # The closed task's page shows its evidence.
    assert "closure-evidence" in bole.get(f"/oversight/tasks/{task['id']}").text


def test_other_county_sees_nothing(browser: Any, session: Any) -> None:
    task = _task(browser("bole"), session, date(2031, 6, 30))
    jinghe = browser("jinghe")
    assert jinghe.api("GET", f"/api/oversight/tasks/{task['id']}").status_code == 404
    assert jinghe.get(f"/oversight/tasks/{task['id']}").status_code == 404
    assert jinghe.api("POST", f"/api/oversight/tasks/{task['id']}/close", json={"note": "x"}).status_code == 404
    listed = jinghe.api("GET", "/api/oversight/tasks", params={"q": "排查山洪"}).json()
    assert listed["total"] == 0


def test_filters_paging_and_xlsx(browser: Any, session: Any) -> None:
    set_now(local(2030, 3, 10, 9))
    zhou = browser("zhou")
    _task(zhou, session, date(2030, 3, 9), title="逾期任务")
    _task(zhou, session, date(2030, 3, 10), title="今日到期任务")
    overdue = zhou.api("GET", "/api/oversight/tasks", params={"status": "overdue", "q": "任务"}).json()
    assert [t["title"] for t in overdue["items"]] == ["逾期任务"]
    current = zhou.api("GET", "/api/oversight/tasks", params={"status": "open", "q": "任务"}).json()
    assert [t["title"] for t in current["items"]] == ["今日到期任务"]
    paged = zhou.api("GET", "/api/oversight/tasks", params={"per_page": 1, "page": 2, "q": "任务"}).json()
    assert paged["total"] == 2 and len(paged["items"]) == 1
    export = zhou.get("/oversight/tasks", params={"q": "任务", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    titles = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(titles) == ["今日到期任务", "逾期任务"]
    assert zhou.get("/oversight/tasks", params={"status": "bogus"}).status_code == 400


def _inbox(session: Any, username: str) -> list[str]:
    session.expire_all()
    user = session.scalar(select(User).where(User.username == username))
    return list(session.scalars(select(Notification.subject).where(Notification.user_id == user.id)))


def test_reminder_and_escalation_at_their_boundaries(browser: Any, session: Any, database: Any) -> None:
    bole_id = session.scalar(select(User.id).where(User.username == "bole"))
    task = _task(browser("zhou"), session, date(2030, 5, 20), owner_user_id=bole_id)
    system = system_principal("test")

    def run(day: date) -> dict[str, int]:
        set_now(local(day.year, day.month, day.day, 9))
        with database.unit_of_work() as s:
            return ledger.remind_and_escalate(s, system)

    run(date(2030, 5, 1))  # the demo's tasks (deadlines near the real today) are escalated out of the way
    # The reminder lead is 3 days (rule task_remind_days): 4 days before, nothing; 3 days before, once.
    assert run(date(2030, 5, 16)) == {"reminded": 0, "escalated": 0}
    assert run(date(2030, 5, 17)) == {"reminded": 1, "escalated": 0}
    assert run(date(2030, 5, 18)) == {"reminded": 0, "escalated": 0}
    assert sum("排查山洪危险区" in s for s in _inbox(session, "bole")) == 1
    # The deadline day itself is still in time; one day after (rule task_escalate_days = 1) it goes up once.
    assert run(date(2030, 5, 20))["escalated"] == 0
    assert run(date(2030, 5, 21))["escalated"] == 1
    assert run(date(2030, 5, 22))["escalated"] == 0
    assert any("逾期" in s for s in _inbox(session, "zhou"))  # the prefecture office above 博乐市
    session.expire_all()
    assert session.get(OvTask, task["id"]).escalated_at is not None
    assert ledger.is_overdue(session.get(OvTask, task["id"]), date(2030, 5, 21))
    assert not ledger.is_overdue(session.get(OvTask, task["id"]), date(2030, 5, 20))


def test_bad_input_changes_nothing(browser: Any, session: Any) -> None:
    bole = browser("bole")
    before = audits(session, "oversight_task")
    bad = bole.api("POST", "/api/oversight/tasks", json={"unit_id": unit_id(session, "652701"), "source_kind": "x",
                                                          "source_ref": "", "title": "t", "owner_person": "p",
                                                          "deadline": "2031-13-01"})
    assert bad.status_code == 422
    foreign = bole.api("POST", "/api/oversight/tasks", json={
        "unit_id": unit_id(session, "652722"), "source_kind": "meeting", "source_ref": "r", "title": "t",
        "owner_person": "p", "deadline": (date.today() + timedelta(days=3)).isoformat()})
    assert foreign.status_code == 404
    leader = browser("leader")
    refused = leader.api("POST", "/api/oversight/tasks", json={
        "unit_id": unit_id(session, "652700"), "source_kind": "meeting", "source_ref": "r", "title": "t",
        "owner_person": "p", "deadline": "2031-01-01"})
    assert refused.status_code == 403
    nobody = bole.api("POST", "/api/oversight/tasks", json={
        "unit_id": unit_id(session, "652701"), "source_kind": "meeting", "source_ref": "r", "title": "t",
        "owner_person": "p", "owner_user_id": 2147483646, "deadline": "2031-01-01"})
    assert nobody.status_code == 400 and nobody.json()["field"] == "owner_user_id"
    assert audits(session, "oversight_task") == before


def test_notices_read_in_each_recipients_language(browser: Any, session: Any, database: Any) -> None:
    bole = session.scalar(select(User).where(User.username == "bole"))
    bole.lang = "en"
    session.commit()
    _task(browser("zhou"), session, date(2030, 5, 20), owner_user_id=bole.id)
    system = system_principal("test")
    for day in (1, 17, 21):  # the demo's tasks escalated out of the way, then the reminder, then the escalation
        set_now(local(2030, 5, day, 9))
        with database.unit_of_work() as s:
            ledger.remind_and_escalate(s, system)
    english = [s for s in _inbox(session, "bole") if "排查山洪危险区" in s]
    assert "[Task ledger] Task due on 2030-05-20: 排查山洪危险区" in english
    assert any(s.startswith("[Task ledger] Task overdue and not closed") for s in english)
    chinese = [s for s in _inbox(session, "zhou") if "排查山洪危险区" in s]
    assert chinese == [zh("[Task ledger] Task overdue and not closed: %(title)s (deadline %(deadline)s)",
                          title="排查山洪危险区", deadline="2030-05-20")]

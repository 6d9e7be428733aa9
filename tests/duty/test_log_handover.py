"""The duty log of a shift and its handover (交接班) to the next shift (R3.3, issue 5 item 3)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.conftest import audit_count, zh
from tests.duty.helpers import audits, desk_id, fill, local, set_now, user_id
from yingji.duty.models import DutyHandover, DutyLogEntry, DutyShift


def _shifts(browser: Any, session: Session) -> list[int]:
    """博乐市's desk filled for 1–3 March 2030: officers bole, bole_duty, bole_duty3; leader bole_lead."""
    set_now(local(2030, 2, 20, 10))
    bole = browser("bole")
    desk = desk_id(session, "652701")
    assert fill(bole, desk, "2030-03-01", "2030-03-03").json()["created"] == 3
    ids = list(session.scalars(select(DutyShift.id).where(DutyShift.desk_id == desk,
                                                          DutyShift.starts_at >= local(2030, 3, 1, 8))
                               .order_by(DutyShift.starts_at)))
    return ids[:3]


def _entries(session: Session, shift: int | None = None) -> int:
    session.expire_all()
    stmt = select(func.count()).select_from(DutyLogEntry)
    if shift is not None:
        stmt = stmt.where(DutyLogEntry.shift_id == shift)
    return int(session.scalar(stmt) or 0)


def _post(client: Any, shift: int, **body: Any) -> Any:
    return client.api("POST", f"/api/duty/shifts/{shift}/log", json={"kind": "event", "text": "记录", **body})


def test_entries_back_dating_and_corrections(browser: Any, session: Session) -> None:
    first, second, _third = _shifts(browser, session)
    set_now(local(2030, 3, 1, 12))
    bole = browser("bole")
    made = _post(bole, first, kind="call_in", text="温泉县来电：山洪预警", unfinished=True)
    assert made.status_code == 201, made.text
    entry = made.json()
    assert entry["at"].startswith("2030-03-01T04:00:00") and entry["author_name"] == "博乐市应急办"
    assert entry["unfinished"] is True and entry["corrects_id"] is None
    created = audits(session, "duty_log_entry", "create")[-1]
    assert created.entity_id == str(entry["id"]) and created.after["text"] == "温泉县来电：山洪预警"
    # The leader on duty writes too; the head of the desk is bole as well. Someone else is refused.
    assert _post(browser("bole_lead"), first, kind="instruction_in").status_code == 201
    before, count = audit_count(session), _entries(session)
    refused = _post(browser("bole_duty3"), first)
    assert refused.status_code == 403
    assert refused.json()["detail"] == zh("Only the shift's duty officer, its leader on duty or the head of the desk "
                                          "writes its log.")
    # Back-dating within the shift: its very start is allowed, one second before is refused.
    at_start = _post(bole, first, at="2030-03-01T08:00:00+08:00", kind="call_out")
    assert at_start.status_code == 201 and datetime.fromisoformat(at_start.json()["at"]) == local(2030, 3, 1, 8)
    next_officer = browser("bole_duty")
    before, count = audit_count(session), _entries(session)
    early = _post(bole, first, at="2030-03-01T07:59:59+08:00")
    assert early.status_code == 400
    assert early.json()["detail"] == zh("The time of an entry must lie within the shift.")
    future = _post(bole, first, at="2030-03-01T12:00:01+08:00")
    assert future.status_code == 400
    assert future.json()["detail"] == zh("The time of an entry cannot be in the future.")
    assert _post(bole, first, at="2030-03-01T09:00:00").status_code == 400  # no offset
    assert _post(bole, first, kind="gossip").status_code in (400, 422)
    # A shift that has not started takes no entries.
    assert _post(next_officer, second).status_code == 409
    assert audit_count(session) == before and _entries(session) == count
    # A correction is a new entry pointing at the one it corrects; the original stays as it was.
    fixed = _post(bole, first, kind="call_in", text="温泉县来电：山洪预警（更正：博尔塔拉河）", corrects_id=entry["id"])
    assert fixed.status_code == 201 and fixed.json()["corrects_id"] == entry["id"]
    assert audits(session, "duty_log_entry", "correct")[-1].after["corrects_id"] == entry["id"]
    original = session.get_one(DutyLogEntry, entry["id"])
    assert original.text == "温泉县来电：山洪预警"
    # Only an entry of the same shift can be corrected.
    set_now(local(2030, 3, 2, 9))
    bole = browser("bole")
    other = _post(browser("bole_duty"), second)
    assert other.status_code == 201
    wrong = _post(browser("bole_duty"), second, corrects_id=entry["id"])
    assert wrong.status_code == 400
    assert wrong.json()["detail"] == zh("Only an entry of the same shift can be corrected.")
    # There is no route to edit or delete an entry, and the database refuses both.
    assert bole.api("PATCH", f"/api/duty/log-entries/{entry['id']}", json={"text": "x"}).status_code == 405
    assert bole.api("DELETE", f"/api/duty/log-entries/{entry['id']}").status_code == 405
    for statement in ("UPDATE duty_log_entry SET text = 'x'", "DELETE FROM duty_log_entry"):
        with pytest.raises(DBAPIError):
            session.execute(text(statement))
        session.rollback()
    assert _entries(session, first) == 4


def test_filter_page_and_xlsx_export(browser: Any, session: Session) -> None:
    first, _second, _third = _shifts(browser, session)
    set_now(local(2030, 3, 1, 12))
    bole = browser("bole")
    _post(bole, first, kind="call_in", text="来电一")
    _post(bole, first, kind="event", text="事件一", unfinished=True)
    listed = bole.get(f"/api/duty/shifts/{first}/log", params={"kind": "call_in"})
    assert listed.status_code == 200 and [e["text"] for e in listed.json()] == ["来电一"]
    page = bole.get(f"/duty/shifts/{first}?kind=event")
    assert page.status_code == 200 and "事件一" in page.text and "来电一" not in page.text
    assert 'id="log-form"' in page.text and 'id="handover-form"' in page.text
    assert bole.get(f"/duty/shifts/{first}?kind=gossip").status_code == 400
    # The month view links each shift to its page.
    assert f'href="/duty/shifts/{first}"' in bole.get(f"/duty/desks/{desk_id(session, '652701')}?month=2030-03").text
    sheet = load_workbook(io.BytesIO(bole.get(f"/duty/shifts/{first}?export=xlsx").content)).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == [zh("no."), zh("time"), zh("kind"), zh("text")]
    assert [r[3] for r in rows[1:]] == ["来电一", "事件一"]
    assert rows[1][1] == "2030-03-01 12:00" and rows[1][2] == zh("call received") and rows[2][5] is True
    # A form post in Beijing wall-clock time works as well.
    posted = bole.form(f"/duty/shifts/{first}/log", {"kind": "follow_up", "text": "表单", "at": "2030-03-01T09:30"})
    assert posted.status_code == 303
    assert session.scalar(select(DutyLogEntry.at).where(DutyLogEntry.text == "表单")) == local(2030, 3, 1, 9, 30)


def test_handover_carries_unfinished_items_signed_by_both(browser: Any, session: Session) -> None:
    first, second, third = _shifts(browser, session)
    set_now(local(2030, 3, 1, 12))
    bole = browser("bole")
    open_item = _post(bole, first, kind="instruction_in", text="州里要求：核实受灾人数", unfinished=True).json()
    done = _post(bole, first, kind="event", text="待查：停电", unfinished=True).json()
    _post(bole, first, kind="follow_up", text="停电已恢复", corrects_id=done["id"])
    _post(bole, first, kind="other", text="交班前一切正常")
    set_now(local(2030, 3, 2, 7, 50))
    bole = browser("bole")
    url = f"/api/duty/shifts/{first}/handover"
    not_outgoing = browser("bole_duty")
    before = audit_count(session)
    # Only the outgoing officer proposes, and only to the shift that immediately follows.
    assert not_outgoing.api("POST", url, json={}).status_code == 403
    skip = bole.api("POST", url, json={"next_shift_id": third})
    assert skip.status_code == 400
    assert skip.json()["detail"] == zh("A shift is handed over only to the shift of the same desk that follows it.")
    assert audit_count(session) == before and session.scalar(select(func.count()).select_from(DutyHandover)) == 0
    proposed = bole.api("POST", url, json={"next_shift_id": second, "note": "注意天气"})
    assert proposed.status_code == 201, proposed.text
    handover = proposed.json()
    assert handover["items"] == [open_item["id"]] and handover["proposed_by_name"] == "博乐市应急办"
    assert handover["accepted_at"] is None and handover["next_shift_id"] == second
    assert audits(session, "duty_handover", "propose")[-1].after["items"] == [open_item["id"]]
    assert bole.api("POST", url, json={}).status_code == 409  # proposed once only
    # Until accepted, the outgoing shift still writes; a late unfinished item is carried as well.
    late = _post(bole, first, kind="call_in", text="阿拉山口来电：大风", unfinished=True).json()
    # Accepted only by the incoming officer.
    accept = f"/api/duty/handovers/{handover['id']}/accept"
    wrong_people = [browser(name) for name in ("bole_duty3", "bole", "bole_lead")]
    before, count = audit_count(session), _entries(session)
    for wrong in wrong_people:
        refused = wrong.api("POST", accept)
        assert refused.status_code == 403
    assert refused.json()["detail"] == zh("Only the duty officer of the next shift accepts the handover.")
    assert audit_count(session) == before and _entries(session) == count
    set_now(local(2030, 3, 2, 8, 5))
    incoming = browser("bole_duty")
    assert 'id="accept-incoming"' in incoming.get(f"/duty/shifts/{second}").text
    accepted = incoming.api("POST", accept)
    assert accepted.status_code == 200, accepted.text
    signed = accepted.json()
    assert signed["proposed_by_id"] == user_id(session, "bole")
    assert signed["accepted_by_id"] == user_id(session, "bole_duty")
    assert signed["accepted_by_name"] == "博乐市值班员二（演示）"
    assert datetime.fromisoformat(signed["accepted_at"]) == local(2030, 3, 2, 8, 5)
    assert datetime.fromisoformat(signed["proposed_at"]) == local(2030, 3, 2, 7, 50)
    assert signed["items"] == [open_item["id"], late["id"]]
    assert audits(session, "duty_handover", "accept")[-1].after["accepted_by_id"] == user_id(session, "bole_duty")
    # Double acceptance refused.
    again = incoming.api("POST", accept)
    assert again.status_code == 409 and again.json()["detail"] == zh("This handover has already been accepted.")
    # The carried items are in the next shift's log, pointing at the originals.
    carried = incoming.get(f"/api/duty/shifts/{second}/log").json()
    assert [(e["carried_from_id"], e["text"], e["unfinished"]) for e in carried] == [
        (open_item["id"], "州里要求：核实受灾人数", True), (late["id"], "阿拉山口来电：大风", True)]
    assert len(audits(session, "duty_log_entry", "carry")) == 2
    page = incoming.get(f"/duty/shifts/{second}")
    assert "州里要求：核实受灾人数" in page.text and zh("carried from no. %(n)s", n=open_item["id"]) in page.text
    assert incoming.get(f"/api/duty/shifts/{first}/handover").json()["accepted_by_name"] == "博乐市值班员二（演示）"
    # After the handover, the handed-over shift takes no entry, not even one dated within it.
    before, count = audit_count(session), _entries(session)
    for body in ({}, {"at": "2030-03-02T07:59:00+08:00"}):
        closed = _post(bole, first, **body)
        assert closed.status_code == 409
        assert closed.json()["detail"] == zh("This shift has been handed over; its log is closed.")
    assert bole.form(f"/duty/shifts/{first}/log", {"kind": "event", "text": "迟到"}).status_code == 409
    assert audit_count(session) == before and _entries(session) == count
    page = bole.get(f"/duty/shifts/{first}")
    assert 'id="log-form"' not in page.text and 'id="handover-accepted"' in page.text
    # The page flow: the next officer proposes the next handover from the page.
    set_now(local(2030, 3, 3, 7, 55))
    incoming = browser("bole_duty")
    assert incoming.form(f"/duty/shifts/{second}/handover", {"note": ""}).status_code == 303
    nxt = session.scalar(select(DutyHandover).where(DutyHandover.shift_id == second))
    assert nxt is not None and nxt.items == [e["id"] for e in carried]
    assert browser("bole_duty3").form(f"/duty/handovers/{nxt.id}/accept").status_code == 303


def test_no_following_shift_and_another_countys_ids(browser: Any, session: Session) -> None:
    first, _second, third = _shifts(browser, session)
    set_now(local(2030, 3, 3, 12))
    last = browser("bole_duty3").api("POST", f"/api/duty/shifts/{third}/handover", json={})
    assert last.status_code == 409
    assert last.json()["detail"] == zh("No shift of this desk follows this one; create it first.")
    # 精河县's shift: not found for 博乐市, nothing changed.
    jinghe_desk = desk_id(session, "652722")
    set_now(local(2030, 2, 20, 10))
    assert fill(browser("zhou"), jinghe_desk, "2030-03-03", "2030-03-04").status_code == 200
    set_now(local(2030, 3, 3, 12))
    bole = browser("bole")
    foreign = session.scalar(select(DutyShift.id).where(DutyShift.desk_id == jinghe_desk,
                                                        DutyShift.starts_at == local(2030, 3, 3, 8)))
    jinghe = browser("jinghe")
    foreign_entry = _post(jinghe, foreign, text="精河县记录", unfinished=True)
    assert foreign_entry.status_code == 201, foreign_entry.text
    handover = jinghe.api("POST", f"/api/duty/shifts/{foreign}/handover", json={}).json()
    before, count = audit_count(session), _entries(session)
    for method, url in (("GET", f"/api/duty/shifts/{foreign}/log"), ("POST", f"/api/duty/shifts/{foreign}/log"),
                        ("GET", f"/api/duty/log-entries/{foreign_entry.json()['id']}"),
                        ("GET", f"/api/duty/shifts/{foreign}/handover"),
                        ("POST", f"/api/duty/shifts/{foreign}/handover"),
                        ("POST", f"/api/duty/handovers/{handover['id']}/accept"),
                        ("GET", f"/duty/shifts/{foreign}")):
        response = bole.api(method, url, json={"kind": "event", "text": "x"} if method == "POST" else None)
        assert response.status_code == 404, (url, response.status_code)
    # Correcting another county's entry from one's own shift is refused as well.
    assert _post(bole, first, corrects_id=foreign_entry.json()["id"]).status_code in (400, 409)
    assert audit_count(session) == before and _entries(session) == count

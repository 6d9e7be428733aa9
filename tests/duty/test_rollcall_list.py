"""The roll-call list: narrowed by desk, by the local days it was made on and by whether every desk answered;
paged in SQL; the export holds the whole filtered list; bad filter values are a clear 4xx that change nothing."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.conftest import audit_count, unit_id
from tests.duty.helpers import desk_id, local, set_now
from yingji.duty.models import DutyDesk, RollCall, RollCallTarget

LINK = re.compile(r'href="/duty/roll-calls/(\d+)"')


def _call(session: Session, desk: int, at: Any, *, answered: bool, fired: bool = True, closed: bool = True) -> int:
    call = RollCall(unit_id=unit_id(session, "652700"), called_by_name="测试点名", started_at=at, limit_seconds=300,
                    fired_at=at if fired else None, scheduled_for=None if fired else at,
                    closed_at=at + timedelta(hours=1) if closed and fired else None)
    session.add(call)
    session.flush()
    desk_row = session.get_one(DutyDesk, desk)
    session.add(RollCallTarget(roll_call_id=call.id, desk_id=desk, unit_id=desk_row.unit_id,
                               answered_at=at + timedelta(seconds=30) if answered else None))
    return call.id


def _plant(session: Session) -> dict[str, Any]:
    bole, jinghe = desk_id(session, "652701"), desk_id(session, "652722")
    day = [_call(session, bole, local(2030, 3, 10, 8) + timedelta(minutes=n), answered=True) for n in range(52)]
    # 23:59 Beijing on the 11th is still the 11th (15:59 UTC)
    silent = _call(session, jinghe, local(2030, 3, 11, 23, 59), answered=False, closed=False)
    later = _call(session, jinghe, local(2030, 3, 12, 0, 0), answered=False, fired=False)
    session.commit()
    return {"day": day, "silent": silent, "later": later, "bole": bole, "jinghe": jinghe}


def _ids(client: Any, **params: Any) -> list[int]:
    response = client.get("/duty/roll-calls", params=params)
    assert response.status_code == 200, response.text[:300]
    table = response.text.split('id="roll-calls"', 1)[1].split("</table>", 1)[0]
    return [int(i) for i in LINK.findall(table)]


def test_roll_calls_filter_by_desk_days_and_answers(browser: Any, session: Session) -> None:
    made = _plant(session)
    zhou = browser("zhou")
    span = {"date_from": "2030-03-10", "date_to": "2030-03-12"}
    assert _ids(zhou, desk_id=made["jinghe"], **span) == [made["later"], made["silent"]]
    assert _ids(zhou, date_from="2030-03-11", date_to="2030-03-11") == [made["silent"]]
    assert _ids(zhou, date_from="2030-03-12", date_to="2030-03-12") == [made["later"]]
    assert _ids(zhou, state="unanswered", **span) == [made["silent"]]
    assert _ids(zhou, state="scheduled", **span) == [made["later"]]
    assert _ids(zhou, state="open", **span) == [made["silent"]]
    answered = _ids(zhou, state="answered", **span)
    assert made["silent"] not in answered and made["later"] not in answered and len(answered) == 50
    page = zhou.get("/duty/roll-calls", params={"desk_id": made["bole"], **span})
    assert 'id="roll-call-filter"' in page.text and 'class="pager"' in page.text


def test_roll_calls_page_and_export_the_whole_filtered_list(browser: Any, session: Session) -> None:
    made = _plant(session)
    zhou = browser("zhou")
    one = _ids(zhou, date_from="2030-03-10", date_to="2030-03-10")
    two = _ids(zhou, date_from="2030-03-10", date_to="2030-03-10", page=2)
    assert len(one) == 50 and len(two) == 2 and sorted(one + two) == sorted(made["day"])
    export = zhou.get("/duty/roll-calls", params={"date_from": "2030-03-10", "date_to": "2030-03-12",
                                                  "export": "xlsx"})
    assert export.status_code == 200 and export.content[:2] == b"PK"
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))[1:]
    assert sorted(int(r[0]) for r in rows) == sorted([*made["day"], made["silent"], made["later"]])
    unanswered = zhou.get("/duty/roll-calls", params={"state": "unanswered", "date_from": "2030-03-10",
                                                      "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(unanswered.content)).active.iter_rows(values_only=True))[1:]
    assert [int(r[0]) for r in rows] == [made["silent"]]


def test_roll_calls_refuse_bad_filters(browser: Any, session: Session) -> None:
    zhou, bole = browser("zhou"), browser("bole")
    before = audit_count(session)
    for params, status in (({"state": "lost"}, 400), ({"date_from": "2030-13-01"}, 400), ({"date_to": "x"}, 400),
                           ({"date_from": "2030-03-12", "date_to": "2030-03-10"}, 400), ({"desk_id": "x"}, 422),
                           ({"desk_id": 99999999}, 404), ({"page": 0}, 422)):
        assert zhou.get("/duty/roll-calls", params=params).status_code == status, params
    assert "未知状态" in zhou.get("/duty/roll-calls", params={"state": "lost"}).text
    # a desk outside the reader's area is not found, as if it did not exist
    assert bole.get("/duty/roll-calls", params={"desk_id": desk_id(session, "652722")}).status_code == 404
    assert audit_count(session) == before


def _answered_at(session: Session, desk: int, at: Any, answered: Any, *, closed: bool = False) -> int:
    """A roll call made at ``at`` with a 300-second limit, its one desk answering at ``answered`` (None: silent)."""
    call = RollCall(unit_id=unit_id(session, "652700"), called_by_name="测试点名", started_at=at, limit_seconds=300,
                    fired_at=at, closed_at=at + timedelta(hours=1) if closed else None)
    session.add(call)
    session.flush()
    session.add(RollCallTarget(roll_call_id=call.id, desk_id=desk, unit_id=session.get_one(DutyDesk, desk).unit_id,
                               answered_at=answered))
    return call.id


def test_missed_and_late_roll_calls_at_the_limits_edge(browser: Any, session: Session) -> None:
    jinghe = desk_id(session, "652722")
    at = local(2030, 3, 10, 8)
    limit = timedelta(seconds=300)
    made = {
        "silent": _answered_at(session, jinghe, at, None),
        "at_limit": _answered_at(session, jinghe, at, at + limit),  # the limit itself is still in time
        "after_limit": _answered_at(session, jinghe, at, at + limit + timedelta(seconds=1)),
        "closed_silent": _answered_at(session, jinghe, at, None, closed=True),
        "on_time": _answered_at(session, jinghe, at, at + timedelta(seconds=30)),
    }
    session.commit()
    assert session.get_one(RollCall, made["silent"]).due_at == at + limit  # written with the row
    span = {"date_from": "2030-03-10", "date_to": "2030-03-10"}
    set_now(at + limit)
    zhou = browser("zhou")
    assert _ids(zhou, state="missed", **span) == [made["closed_silent"]]  # the silent one is still in time
    assert _ids(zhou, state="late", **span) == [made["after_limit"]]
    assert _ids(zhou, state="unanswered", **span) == [made["closed_silent"], made["silent"]]
    set_now(at + limit + timedelta(microseconds=1))
    assert _ids(zhou, state="missed", **span) == [made["closed_silent"], made["silent"]]
    assert [r["status"] for r in zhou.get(f"/api/duty/roll-calls/{made['silent']}").json()["rows"]] == ["missing"]
    page = zhou.get("/duty/roll-calls", params={"state": "missed", **span})
    assert "有值班室超时未应答" in page.text and "有值班室超时后才应答" in page.text  # the filter's choices
    export = zhou.get("/duty/roll-calls", params={"state": "late", "export": "xlsx", **span})
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))[1:]
    assert [int(r[0]) for r in rows] == [made["after_limit"]]


def test_a_scheduled_call_made_late_counts_its_limit_from_when_it_was_made(session: Session) -> None:
    from yingji.duty import tasks

    jinghe = desk_id(session, "652722")
    at = local(2030, 3, 10, 8)
    call = RollCall(unit_id=unit_id(session, "652700"), called_by_name="测试点名", started_at=at, limit_seconds=300,
                    scheduled_for=at)
    session.add(call)
    session.flush()
    session.add(RollCallTarget(roll_call_id=call.id, desk_id=jinghe, unit_id=session.get_one(DutyDesk, jinghe).unit_id))
    session.commit()
    set_now(at + timedelta(seconds=40))  # the job ran 40 seconds after the planned time
    assert tasks.run_scheduled_roll_calls() == 1
    session.expire_all()
    made = session.get_one(RollCall, call.id)
    assert made.started_at == at + timedelta(seconds=40) and made.due_at == at + timedelta(seconds=340)

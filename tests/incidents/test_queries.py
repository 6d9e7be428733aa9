"""Queries from above (核报/询问): recorded with their time, told to the unit's duty desk and to the unit, and a
first report filed at or after one raises the signal "filed only after the level above asked"."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import zh
from tests.incidents.helpers import local, notifications, principal, set_now, unit_of
from yingji.duty import routing
from yingji.errors import Conflict, NotFound, PermissionDenied, UserError
from yingji.incidents import service
from yingji.incidents.schemas import ReportCreate

T0 = local(2026, 12, 3, 9, 0)
TITLE = "媒体监测：牧道塌方"


def _known(session, title=TITLE, unit="village"):
    return service.record_known_event(session, principal(session, "bole"), unit_id=unit_of(session, unit),
                                      occurred_at=T0, category="1", subtype="1.4.2", title=title,
                                      description="待核实", known_from="media")


def _after_query(session, event):
    return [f for f in service.flags_of(session, event) if f.kind == "after_query"]


def test_a_query_is_recorded_told_and_a_first_report_after_it_is_a_signal(session):
    set_now(T0 + timedelta(minutes=20))
    event = _known(session)
    people = routing.on_duty(session, event.unit_id)
    assert people.officers
    desk_officer = people.officers[0].username
    before = (notifications(session, desk_officer, TITLE), notifications(session, "village", TITLE))
    asked_at = T0 + timedelta(minutes=30)
    set_now(asked_at)
    query = service.query_event(session, principal(session, "zhou"), event.id, "  请立即核报伤亡情况  ")
    assert query.asked_at == asked_at and query.unit_id == event.unit_id and query.question == "请立即核报伤亡情况"
    assert query.asked_by_unit_id == unit_of(session, "zhou") and query.answered_at is None
    # the unit's duty desk and the unit's own people are told at once
    assert notifications(session, desk_officer, TITLE) == before[0] + 1
    assert notifications(session, "village", TITLE) == before[1] + 1
    # a report at the very instant of the query was filed after it was asked: the signal, with its evidence
    done = service.add_report(session, principal(session, "village"), event.id, ReportCreate(kind="first"))
    signals = _after_query(session, event)
    assert len(signals) == 1 and event.flag_review
    assert signals[0].evidence["query_id"] == query.id and signals[0].evidence["report_id"] == done.report.id
    assert signals[0].evidence["asked_at"] == asked_at.isoformat()
    assert query.answered_report_id == done.report.id and query.answered_at == asked_at
    assert service.queries_of(session, event) == [query]


def test_a_first_report_before_the_query_is_no_signal(session):
    set_now(T0 + timedelta(minutes=20))
    event = _known(session)
    set_now(T0 + timedelta(minutes=29, seconds=59))
    service.add_report(session, principal(session, "village"), event.id, ReportCreate(kind="first"))
    set_now(T0 + timedelta(minutes=30))  # one second later the level above asks for more
    query = service.query_event(session, principal(session, "zhou"), event.id, "请续报")
    assert _after_query(session, event) == [] and not event.flag_review
    follow = service.add_report(session, principal(session, "village"), event.id, ReportCreate(kind="followup"))
    assert query.answered_report_id == follow.report.id  # answered, and still no signal: the first came first
    assert _after_query(session, event) == []


def test_only_the_level_above_asks(session):
    set_now(T0 + timedelta(minutes=20))
    event = _known(session)
    county_event = _known(session, title="县本级事件", unit="bole")
    with pytest.raises(PermissionDenied):  # the unit itself, and a reporter, do not query
        service.query_event(session, principal(session, "village"), event.id, "?")
    with pytest.raises(PermissionDenied):  # a county does not query itself
        service.query_event(session, principal(session, "bole"), county_event.id, "?")
    with pytest.raises(NotFound):  # another county's event is not found
        service.query_event(session, principal(session, "jinghe"), event.id, "?")
    with pytest.raises(UserError):
        service.query_event(session, principal(session, "bole"), event.id, "   ")
    assert service.query_event(session, principal(session, "bole"), event.id, "县里询问").id  # county over a village
    assert service.query_event(session, principal(session, "zhou"), county_event.id, "州里核报").id
    service.add_report(session, principal(session, "village"), event.id, ReportCreate(kind="first"))
    service.add_report(session, principal(session, "village"), event.id, ReportCreate(kind="final"))
    with pytest.raises(Conflict):
        service.query_event(session, principal(session, "zhou"), event.id, "已结束")


def test_query_over_the_api_and_on_the_event_page(browser, session):
    set_now(T0 + timedelta(minutes=20))
    event = _known(session, title="页面核报事件")
    session.commit()
    zhou = browser("zhou")
    bad = zhou.api("POST", f"/api/incidents/{event.id}/queries", json={"question": ""})
    assert bad.status_code in (400, 422)
    made = zhou.api("POST", f"/api/incidents/{event.id}/queries", json={"question": "请核报"})
    assert made.status_code == 201, made.text
    assert made.json()["question"] == "请核报" and made.json()["answered_at"] is None
    detail = zhou.api("GET", f"/api/incidents/{event.id}")
    assert [q["id"] for q in detail.json()["queries"]] == [made.json()["id"]]
    page = zhou.form(f"/incidents/{event.id}/queries", {"question": "第二次询问"})
    assert page.status_code in (200, 303)
    shown = zhou.get(f"/incidents/{event.id}")
    assert "第二次询问" in shown.text and zh("Queries from above (核报)") in shown.text
    village = browser("village")
    refused = village.api("POST", f"/api/incidents/{event.id}/queries", json={"question": "x"})
    assert refused.status_code == 403
    assert zh("Send the query") not in village.get(f"/incidents/{event.id}").text

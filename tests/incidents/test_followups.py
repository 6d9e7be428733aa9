"""Follow-ups (续报) while an event is ongoing: at least one a day for levels III–IV and two a day for I–II
(DEFAULTS.md, rules followup.per_day.N). Past the interval after the latest report the event is late and the
desk told, once per latest report; at the end of the interval itself it is not."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.incidents.helpers import local, notifications, principal, set_now
from yingji.core.scope import system_principal
from yingji.duty import routing
from yingji.incidents import defaults, flags, service
from yingji.incidents.models import IncidentRule
from yingji.incidents.schemas import EventCreate, ReportCreate

T0 = local(2026, 12, 4, 8, 0)
JOB = system_principal("tests.followups")


def _first(session, title, **extra):
    data = {"title": title, "occurred_at": T0, "category": "1", "subtype": "1.4.2", "description": "滑坡"}
    data.update(extra)
    return service.create_event(session, principal(session, "village"), EventCreate(**data))


def _followup_flags(session, event):
    return [f for f in service.flags_of(session, event) if f.kind == "late" and f.ref.startswith("followup:")]


def test_the_rules_are_data_with_their_source(session):
    rules = {r.key: r for r in session.scalars(select(IncidentRule).where(IncidentRule.kind == "followup"))}
    assert {k: r.value for k, r in rules.items()} == {"followup.per_day.1": 2, "followup.per_day.2": 2,
                                                      "followup.per_day.3": 1, "followup.per_day.4": 1}
    assert all("[V]" in r.source for r in rules.values())
    assert flags.followup_interval(defaults.rules(session), 4) == 86400
    assert flags.followup_interval(defaults.rules(session), 2) == 43200


def test_level_four_is_late_one_second_after_a_day_without_a_report(session):
    reported = T0 + timedelta(minutes=5)
    set_now(reported)
    done = _first(session, "续报测试：四级")
    set_now(reported + timedelta(days=1, seconds=1))
    people = routing.on_duty(session, done.event.unit_id)  # those on duty when it becomes overdue
    officer = people.officers[0].username
    told = notifications(session, officer, "续报测试：四级")
    set_now(reported + timedelta(days=1))  # at the end of the interval itself: not late
    flags.mark_followups_due(session, JOB)
    assert _followup_flags(session, done.event) == [] and not done.event.flag_late
    set_now(reported + timedelta(days=1, seconds=1))
    assert flags.mark_followups_due(session, JOB) >= 1
    [flag] = _followup_flags(session, done.event)
    assert done.event.flag_late and flag.ref == f"followup:{done.report.id}"
    assert flag.evidence["interval_seconds"] == 86400 and flag.evidence["late_by_seconds"] == 1
    assert notifications(session, officer, "续报测试：四级") == told + 1
    assert flags.mark_followups_due(session, JOB) == 0  # once per latest report
    assert notifications(session, officer, "续报测试：四级") == told + 1
    # a follow-up starts the next interval; a final report ends them
    follow = service.add_report(session, principal(session, "village"), done.event.id,
                                ReportCreate(kind="followup", description="续报一"))
    set_now(follow.report.reported_at + timedelta(days=1))
    flags.mark_followups_due(session, JOB)
    assert len(_followup_flags(session, done.event)) == 1
    service.add_report(session, principal(session, "village"), done.event.id, ReportCreate(kind="final"))
    set_now(follow.report.reported_at + timedelta(days=3))
    flags.mark_followups_due(session, JOB)
    assert len(_followup_flags(session, done.event)) == 1


def test_level_two_asks_two_a_day(session):
    reported = T0 + timedelta(minutes=5)
    set_now(reported)
    done = _first(session, "续报测试：二级", deaths=10)  # 10 deaths: level II (Decree 493)
    assert done.event.suggested_level == 2
    set_now(reported + timedelta(hours=12))
    flags.mark_followups_due(session, JOB)
    assert _followup_flags(session, done.event) == []
    set_now(reported + timedelta(hours=12, seconds=1))
    assert flags.mark_followups_due(session, JOB) >= 1
    assert _followup_flags(session, done.event)[0].evidence["interval_seconds"] == 43200

"""Events, reports and the flow up the tree, at the service level (the contract the response module uses)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.incidents.helpers import local, notifications, principal, set_now, unit_of
from yingji.core import roles
from yingji.core.scope import system_principal
from yingji.duty import routing
from yingji.duty.models import DutyDispatch
from yingji.errors import Conflict, NotFound, PermissionDenied, UserError
from yingji.incidents import flags, service
from yingji.incidents.models import Event, Hop, Report
from yingji.incidents.schemas import EventCreate, ReportCreate

T0 = local(2026, 12, 2, 2, 10)
SYSTEM = system_principal("tests.incidents")


def _dispatches(session, hop_id):
    return list(session.scalars(select(DutyDispatch).where(DutyDispatch.ref_id == hop_id,
                                                           DutyDispatch.kind == service.DISPATCH_KIND)))


def _first(session, username="village", **extra):
    data = {"title": "村道边坡滑坡", "occurred_at": T0, "category": "1", "subtype": "1.4.2",
            "description": "边坡滑坡，阻断村道。"}
    data.update(extra)
    return service.create_event(session, principal(session, username), EventCreate(**data))


def test_first_report_lands_at_the_county_desk(session):
    set_now(T0 + timedelta(minutes=5))
    done = _first(session)
    session.flush()
    assert done.event.status == "open" and done.event.known_from == "report" and done.event.report_count == 1
    assert done.report.kind == "first" and done.report.seq == 1 and done.report.late_by == 0
    assert done.hop is not None and done.hop.stage == "county" and done.hop.signed_at is None
    assert done.hop.unit_id == unit_of(session, "bole")
    assert done.hop.due_at == T0 + timedelta(minutes=5, hours=2)
    assert done.event.suggested_level == 4 and not done.hop.must_forward
    # The desk is told by the dispatch job after the commit, not inside the report's transaction; once.
    assert _dispatches(session, done.hop.id) == [] and done.hop.dispatched_at is None
    assert service.dispatch_waiting(session)
    assert service.dispatch_pending(session, SYSTEM) >= 1
    rows = _dispatches(session, done.hop.id)
    assert rows and all(r.unit_id == unit_of(session, "bole") for r in rows)
    assert done.hop.dispatched_at == T0 + timedelta(minutes=5)
    assert service.dispatch_pending(session, SYSTEM) == 0 and len(_dispatches(session, done.hop.id)) == len(rows)
    # get_event is scoped: 精河县 does not see it, 博乐市 and the village do
    assert service.get_event(session, principal(session, "bole"), done.event.id).id == done.event.id
    with pytest.raises(NotFound):
        service.get_event(session, principal(session, "jinghe"), done.event.id)
    with pytest.raises(PermissionDenied):
        service.get_event(session, principal(session, "village"), done.event.id, roles.WRITE)


def test_sign_forward_and_export_with_level_three(session):
    set_now(T0 + timedelta(minutes=5))
    done = _first(session, deaths=3)  # 3 deaths reach level III (Decree 493: 3以上)
    assert done.event.suggested_level == 3 and done.hop is not None and done.hop.must_forward
    with pytest.raises(PermissionDenied):  # the prefecture does not sign for the county's desk
        service.sign_hop(session, principal(session, "zhou"), done.hop.id)
    with pytest.raises(Conflict):
        service.forward_hop(session, principal(session, "bole"), done.hop.id, "")
    set_now(T0 + timedelta(minutes=20))
    service.dispatch_pending(session, SYSTEM)
    service.sign_hop(session, principal(session, "bole"), done.hop.id)
    assert done.hop.done_at is None  # level III must still reach the prefecture
    acked = _dispatches(session, done.hop.id)
    assert acked and all(r.acknowledged_at is not None for r in acked)
    with pytest.raises(Conflict):
        service.sign_hop(session, principal(session, "bole"), done.hop.id)
    service.forward_hop(session, principal(session, "bole"), done.hop.id, "已核实，上报州应急局")
    assert done.hop.done_at == T0 + timedelta(minutes=20) and done.hop.late_at is None
    up = session.scalar(select(Hop).where(Hop.event_id == done.event.id, Hop.stage == "prefecture"))
    assert up is not None and up.from_unit_id == unit_of(session, "bole") and up.must_forward
    service.sign_hop(session, principal(session, "zhou"), up.id)
    service.forward_hop(session, principal(session, "zhou"), up.id, "报自治区")
    assert up.exported and up.done_at is not None


def test_level_two_calls_the_leader_on_duty_at_once(session):
    set_now(T0 + timedelta(minutes=5))
    done = _first(session, deaths=10)
    assert done.event.suggested_level == 2 and done.hop is not None
    service.dispatch_pending(session, SYSTEM)
    roles_ = {r.role for r in _dispatches(session, done.hop.id)}
    assert "leader" in roles_


def test_a_report_signed_for_before_the_job_runs_is_not_dispatched(session):
    set_now(T0 + timedelta(minutes=5))
    done = _first(session)
    assert done.hop is not None
    service.sign_hop(session, principal(session, "bole"), done.hop.id)
    assert service.dispatch_pending(session, SYSTEM) == 0
    assert _dispatches(session, done.hop.id) == [] and done.hop.dispatched_at is not None
    assert not service.dispatch_waiting(session)


def test_the_desk_reporting_itself_needs_no_dispatch(session):
    set_now(T0 + timedelta(minutes=5))
    done = _first(session, username="bole", unit_id=unit_of(session, "township"))
    assert done.hop is not None and done.hop.signed_at is not None
    assert done.hop.dispatched_at == T0 + timedelta(minutes=5)


def test_final_report_closes_and_nothing_more_is_accepted(session):
    set_now(T0 + timedelta(minutes=5))
    done = _first(session)
    village = principal(session, "village")
    set_now(T0 + timedelta(hours=5))
    follow = service.add_report(session, village, done.event.id, ReportCreate(kind="followup", description="续报"))
    assert follow.report.kind == "followup" and follow.report.followup_no == 1 and follow.report.seq == 2
    fix = service.add_report(session, village, done.event.id,
                             ReportCreate(kind="correction", corrects_id=done.report.id, injured=1))
    assert fix.report.corrects_id == done.report.id and done.event.injured == 1
    set_now(T0 + timedelta(days=1))
    final = service.add_report(session, village, done.event.id, ReportCreate(kind="final", description="终报"))
    assert done.event.status == "closed" and done.event.closed_at == final.report.reported_at
    count = session.scalar(select(Report.id).where(Report.event_id == done.event.id).order_by(Report.id.desc()))
    with pytest.raises(Conflict):
        service.add_report(session, village, done.event.id, ReportCreate(kind="followup"))
    assert session.scalar(select(Report.id).where(Report.event_id == done.event.id)
                          .order_by(Report.id.desc())) == count


def test_bad_input_is_refused(session):
    set_now(T0)
    with pytest.raises(UserError) as future:
        _first(session, occurred_at=T0 + timedelta(seconds=1))
    assert future.value.field == "occurred_at"
    _first(session, occurred_at=T0)  # exactly now is not in the future
    with pytest.raises(UserError) as category:
        _first(session, category="9")
    assert category.value.field == "category"
    with pytest.raises(UserError) as subtype:
        _first(session, subtype="2.1")
    assert subtype.value.field == "subtype"
    with pytest.raises(NotFound):  # a 精河县 unit is outside the village officer's scope
        _first(session, unit_id=unit_of(session, "jinghe"))
    with pytest.raises(UserError) as reason:
        _first(session, deaths=3, level=4)
    assert reason.value.field == "level_reason"
    _first(session, deaths=3, level=4, level_reason="死亡3人中2人系事发前因病死亡")
    with pytest.raises(PermissionDenied):  # a leader reads; it does not report
        _first(session, "leader")


def test_record_known_event_then_missed_then_first_report(session):
    bole = principal(session, "bole")
    set_now(T0 + timedelta(minutes=30))
    event = service.record_known_event(session, bole, unit_id=unit_of(session, "village"), occurred_at=T0,
                                       category="1", subtype="1.4.2", title="群众反映滑坡", description="待核实",
                                       known_from="tip")
    assert event.known_from == "tip" and event.level is None and not event.flag_missed
    assert event.report_count == 0
    with pytest.raises(UserError):
        service.record_known_event(session, bole, unit_id=unit_of(session, "village"), occurred_at=T0,
                                   category="1", subtype="1.4.2", title="x", description="", known_from="report")
    set_now(T0 + timedelta(hours=2))  # level IV: 2 h; at the limit itself it is not missed
    flags.mark_missed_due(session, bole)
    assert not event.flag_missed
    set_now(T0 + timedelta(hours=2, seconds=1))
    assert flags.mark_missed_due(session, bole) >= 1
    assert event.flag_missed
    assert flags.mark_missed_due(session, bole) == 0
    done = service.add_report(session, principal(session, "village"), event.id, ReportCreate(kind="followup"))
    assert done.report.kind == "first" and done.report.late_by == 1 and event.flag_late
    assert session.get(Event, event.id) is event


def test_desk_is_told_when_late(session):
    set_now(T0 + timedelta(minutes=5))
    done = _first(session)
    assert done.hop is not None
    people = routing.on_duty(session, done.hop.unit_id)
    assert people.officers and people.leader is not None
    told = [people.officers[0].username, people.leader.username]
    before = [notifications(session, name, "村道边坡滑坡") for name in told]
    set_now(done.hop.due_at)
    flags.mark_late_due(session, principal(session, "zhou"))
    assert done.hop.late_at is None  # at the limit itself it is not late
    set_now(done.hop.due_at + timedelta(seconds=1))
    assert flags.mark_late_due(session, principal(session, "zhou")) >= 1
    assert flags.mark_late_due(session, principal(session, "zhou")) == 0
    assert done.hop.late_at is not None and done.event.flag_late
    assert [notifications(session, name, "村道边坡滑坡") for name in told] == [n + 1 for n in before]


def test_one_writer_at_a_time_on_sqlite(database):
    """Submissions queue at the gate from their first write to the end of their transaction (SQLite); on
    PostgreSQL there is no gate."""
    import threading
    import time

    first, second = database.sessionmaker(), database.sessionmaker()
    entered = threading.Event()
    try:
        service.enter_write(first)
        sqlite = database.engine.dialect.name == "sqlite"
        assert ("incident_gate" in first.info) is sqlite

        def other() -> None:
            service.enter_write(second)
            entered.set()

        thread = threading.Thread(target=other, daemon=True)
        thread.start()
        time.sleep(0.3)
        assert entered.is_set() is not sqlite  # waits while the first transaction is open
        first.commit()
        assert entered.wait(timeout=3) and "incident_gate" not in first.info
        thread.join(timeout=3)
    finally:
        second.rollback()
        second.close()
        first.close()


def test_a_transaction_that_has_written_goes_on_without_the_gate(database):
    """It holds SQLite's write lock already: waiting for a gate whose holder waits for that lock would hold
    both up (a token's use noted before the submission's gate)."""
    import time

    from yingji.core import audit

    first, second = database.sessionmaker(), database.sessionmaker()
    try:
        service.enter_write(first)
        audit.record(second, system_principal("test"), action="token_use", entity_type="api_token", entity_id=1,
                     unit_id=None)
        started = time.monotonic()
        service.enter_write(second)  # returns at once: no wait, no gate
        assert time.monotonic() - started < 1 and "incident_gate" not in second.info
        if database.engine.dialect.name == "sqlite":
            assert "incident_gate" in first.info
    finally:
        second.rollback()
        second.close()
        first.close()


def test_the_gate_is_awaited_on_the_event_loop_without_blocking_it(database):
    """A submission run on the event loop awaits the gate: the loop goes on serving while another transaction
    holds it, and the loop's waiting submissions take it one after another."""
    import asyncio

    sqlite = database.engine.dialect.name == "sqlite"
    import threading

    holder, second, third = (database.sessionmaker() for _ in range(3))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    async def scenario() -> None:
        ticking = asyncio.create_task(ticker())
        waiting = [asyncio.create_task(service.await_write_gate(s)) for s in (second, third)]
        await asyncio.sleep(0.2)
        assert ticks >= 10  # the loop was not blocked
        if sqlite:
            assert not any(w.done() for w in waiting)
            holder.commit()  # the gate passes to the next in line
            await asyncio.wait_for(waiting[0], timeout=3)
            assert "incident_gate" in second.info and not waiting[1].done()
            await asyncio.sleep(0.05)
            assert not waiting[1].done()
            second.commit()
            await asyncio.wait_for(waiting[1], timeout=3)
            assert "incident_gate" in third.info and "incident_gate" not in second.info
        else:  # PostgreSQL: no gate, nobody waits
            await asyncio.wait_for(asyncio.gather(*waiting), timeout=3)
            assert not any("incident_gate" in s.info for s in (second, third))
        ticking.cancel()

    failed: list[BaseException] = []

    def in_its_own_thread() -> None:  # a loop of its own (the browser tests' driver may run one in this thread)
        try:
            asyncio.run(scenario())
        except BaseException as exc:  # noqa: BLE001 - raised again below, in the test's thread
            failed.append(exc)

    try:
        service.enter_write(holder)
        thread = threading.Thread(target=in_its_own_thread)
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive()
        if failed:
            raise failed[0]
    finally:
        for s in (third, second, holder):
            s.rollback()
            s.close()

"""Two people taking the same step at once: the step is done once and the second is refused, on both
databases. ``db.lock_for_change`` holds the row until the first transaction ends and reads it again, so a
change that checks first (not signed yet? waiting for sign-off?) sees what the other committed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.incidents import helpers as inc
from tests.warnings import helpers as warn
from yingji.core.models import AuditEntry, Unit
from yingji.db import lock_for_change
from yingji.errors import Conflict
from yingji.incidents import service as incidents
from yingji.incidents.models import Event, Hop
from yingji.incidents.schemas import EventCreate
from yingji.warnings import service as warnings
from yingji.warnings.models import Alert, AlertStep


def _race(database: Any, read: Callable[[Session], Any], first: Callable[[Session], Any],
          second: Callable[[Session], Any]) -> None:
    """The race, in its worst order: the second request has read the row (still in its session, as between a
    step's check and its write) when the first takes the step and commits; the second then takes the step
    too and must be refused, changing nothing."""
    late, early = database.sessionmaker(), database.sessionmaker()
    try:
        _held = read(late)  # kept alive: the row stays in the late session's identity map
        first(early)
        early.commit()
        with pytest.raises(Conflict):
            second(late)
        late.rollback()
    finally:
        late.close()
        early.close()


def test_the_second_holder_waits_for_the_first_and_then_reads_its_change(database: Any) -> None:
    first, second = database.sessionmaker(), database.sessionmaker()
    seen: list[str] = []
    try:
        unit = first.scalars(select(Unit).where(Unit.code == "652701100")).one()
        lock_for_change(first, unit)
        unit.name = "小营盘镇（改）"
        first.flush()

        def other() -> None:
            mine = second.scalars(select(Unit).where(Unit.code == "652701100")).one()
            lock_for_change(second, mine)
            seen.append(mine.name)
            second.rollback()

        thread = threading.Thread(target=other, daemon=True)
        thread.start()
        time.sleep(0.4)
        assert seen == []  # waiting for the first transaction
        first.commit()
        thread.join(timeout=10)
        assert seen == ["小营盘镇（改）"]
    finally:
        for s in (first, second):
            s.rollback()
            s.close()


def test_two_leaders_signing_one_warning_at_once_issue_it_once(database: Any) -> None:
    warn.set_now()
    with database.unit_of_work() as s:
        met, centre = warn.principal(s, "qixiang"), warn.principal(s, "warncentre")
        alert = warnings.create_draft(s, met, warn.draft_data())
        warnings.submit(s, met, alert.id)
        warnings.review(s, centre, alert.id, approve=True)
        alert_id = int(alert.id)

    def read(s: Session) -> Alert:
        kept = warnings.get_alert(s, warn.principal(s, "admin"), alert_id)
        assert kept.status == "awaiting_signoff"
        return kept

    _race(database, read, lambda s: warnings.sign(s, warn.principal(s, "leader"), alert_id),
          lambda s: warnings.sign(s, warn.principal(s, "admin"), alert_id))
    with database.unit_of_work() as s:
        stored = s.get_one(Alert, alert_id)
        assert stored.status == "issued" and stored.signed_by_id == warn.principal(s, "leader").user_id
        issued = s.scalar(select(func.count()).select_from(AlertStep).where(AlertStep.alert_id == alert_id,
                                                                            AlertStep.step == "issued"))
        assert issued == 1


def _county_hop(database: Any, signed: bool) -> int:
    with database.unit_of_work() as s:
        data = EventCreate(title="村道边坡滑坡", occurred_at=inc.local(2026, 11, 29, 2, 10), category="1",
                           subtype="1.4.2", description="边坡滑坡，阻断村道。", deaths=3)
        done = incidents.create_event(s, inc.principal(s, "village"), data)
        assert done.hop is not None
        if signed:
            incidents.sign_hop(s, inc.principal(s, "bole"), done.hop.id)
        return int(done.hop.id)


@pytest.mark.parametrize("step", ["sign", "forward"])
def test_a_desk_signing_or_forwarding_twice_at_once_does_it_once(database: Any, step: str) -> None:
    inc.set_now(inc.local(2026, 11, 29, 2, 20))
    hop_id = _county_hop(database, signed=step == "forward")

    def act(s: Session) -> None:
        if step == "sign":
            incidents.sign_hop(s, inc.principal(s, "bole"), hop_id)
        else:
            incidents.forward_hop(s, inc.principal(s, "bole"), hop_id, "已核实")

    def read(s: Session) -> Hop:
        kept = incidents.get_hop(s, inc.principal(s, "bole"), hop_id)
        assert kept.forwarded_at is None
        return kept

    def later(s: Session) -> None:
        inc.set_now(inc.local(2026, 11, 29, 2, 21))
        act(s)

    _race(database, read, act, later)
    with database.unit_of_work() as s:
        hop = s.get_one(Hop, hop_id)
        if step == "sign":
            assert hop.signed_at == inc.local(2026, 11, 29, 2, 20)
        else:
            assert hop.forwarded_at == inc.local(2026, 11, 29, 2, 20)
            upward = s.scalar(select(func.count()).select_from(Hop).where(Hop.event_id == hop.event_id,
                                                                           Hop.stage == "prefecture"))
            assert upward == 1
        entries = s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity_type == "incident_hop", AuditEntry.entity_id == str(hop_id),
            AuditEntry.action == step))
        assert entries == 1


def test_the_same_steps_one_after_another_are_unchanged(database: Any) -> None:
    """The lock changes nothing on the ordinary path: sign, then forward, in one transaction."""
    inc.set_now(inc.local(2026, 11, 29, 2, 20))
    hop_id = _county_hop(database, signed=False)
    with database.unit_of_work() as s:
        incidents.sign_hop(s, inc.principal(s, "bole"), hop_id)
        incidents.forward_hop(s, inc.principal(s, "bole"), hop_id, "已核实")
    with database.unit_of_work() as s:
        assert s.get_one(Hop, hop_id).done_at is not None


def test_a_tip_verified_by_two_officers_at_once_becomes_one_event(database: Any, settings: Any) -> None:
    from yingji.response import tips
    from yingji.response.schemas import TipCreate, TipVerify

    inc.set_now(inc.local(2026, 11, 29, 2, 30))
    with database.unit_of_work() as s:
        bole = s.scalars(select(Unit).where(Unit.code == "652701")).one()
        tip = tips.submit(s, settings, address="198.51.100.7", data=TipCreate(
            county_id=bole.id, occurred_at=inc.local(2026, 11, 29, 2, 10), text="村后山坡滑下大量泥土，堵住了路"))
        tip_id = int(tip.id)
        events_before = s.scalar(select(func.count()).select_from(Event))
    verify = TipVerify(title="后山村道滑坡", subtype="1.4.2")
    _race(database, lambda s: tips.get(s, inc.principal(s, "bole"), tip_id),
          lambda s: tips.verify(s, inc.principal(s, "bole"), tip_id, verify),
          lambda s: tips.verify(s, inc.principal(s, "admin"), tip_id, verify))
    with database.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == events_before + 1


def test_a_plan_revised_twice_at_once_has_one_version_in_force(database: Any) -> None:
    from yingji.preparedness import plans
    from yingji.preparedness.models import PrepPlan
    from yingji.preparedness.schemas import PlanCreate, PlanRevise

    inc.set_now(inc.local(2026, 6, 1, 12))
    with database.unit_of_work() as s:
        county = s.scalars(select(Unit).where(Unit.code == "652701")).one()
        plan = plans.create_plan(s, inc.principal(s, "bole"), PlanCreate(
            unit_id=county.id, title="测试预案", plan_type="special", issued_on=date(2026, 1, 5), status="in_force",
            event_types=["earthquake"]))
        plan_id = int(plan.id)
    _race(database, lambda s: plans.get_plan(s, inc.principal(s, "bole"), plan_id),
          lambda s: plans.revise(s, inc.principal(s, "bole"), plan_id,
                                 PlanRevise(version="2", issued_on=date(2026, 5, 1))),
          lambda s: plans.revise(s, inc.principal(s, "zhou"), plan_id,
                                 PlanRevise(version="2b", issued_on=date(2026, 5, 2))))
    with database.unit_of_work() as s:
        newer = s.scalars(select(PrepPlan).where(PrepPlan.supersedes_id == plan_id)).all()
        assert [p.version for p in newer] == ["2"]


def test_a_dispatch_shipped_twice_at_once_takes_the_stock_once(database: Any, browser: Any, session: Any) -> None:
    from tests.resources.helpers import api_ok, movement_count
    from tests.resources.test_dispatch import _request
    from yingji.resources import dispatch as dispatches

    client = browser("wenquan")
    did = _request(client, session)["dispatch"]["id"]
    api_ok(client.api("POST", f"/api/resources/dispatches/{did}/approve", json={"note": "同意"}))
    first = api_ok(client.get(f"/api/resources/dispatches/{did}/suggestions"))[0]
    # a part of one lot: the lot could give it twice
    api_ok(client.api("POST", f"/api/resources/dispatches/{did}/allocate", json={"allocations": [
        {"supply_item_id": first["supply_item_id"], "lot_id": first["lot_id"], "quantity": "100"}]}))
    count = movement_count(session)
    _race(database, lambda s: dispatches.get(s, inc.principal(s, "wenquan"), did),
          lambda s: dispatches.ship(s, inc.principal(s, "wenquan"), did),
          lambda s: dispatches.ship(s, inc.principal(s, "wenquan"), did))
    assert movement_count(session) == count + 1


@pytest.mark.parametrize("first", ["close", "answer"])
def test_a_roll_call_answer_racing_its_close_or_a_second_answer_is_refused(database: Any, browser: Any,
                                                                            session: Session, first: str) -> None:
    from tests.duty.helpers import desk_id
    from tests.duty.test_rollcall import _rostered, _targets
    from yingji.duty import rollcall
    from yingji.duty.models import RollCallTarget

    zhou = _rostered(browser, session)
    call_id = zhou.api("POST", "/api/duty/roll-calls", json={"desk_ids": [desk_id(session, "652701")]}).json()["id"]
    target_id = _targets(session, call_id)["652701"].id
    if first == "close":
        act = lambda s: rollcall.close(s, inc.principal(s, "zhou"), call_id)  # noqa: E731
    else:
        act = lambda s: rollcall.answer(s, inc.principal(s, "bole"), target_id)  # noqa: E731
    _race(database, lambda s: rollcall.get_target(s, inc.principal(s, "bole"), target_id), act,
          lambda s: rollcall.answer(s, inc.principal(s, "bole"), target_id))
    session.expire_all()
    target = session.get_one(RollCallTarget, target_id)
    assert (target.answered_at is None) == (first == "close")
    answers = session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity_type == "roll_call_target", AuditEntry.entity_id == str(target_id),
        AuditEntry.action == "answer"))
    assert answers == (1 if first == "answer" else 0)

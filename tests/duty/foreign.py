"""Marked duty rows in 精河县 for the route walker (tests/core/test_scope_routes.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.scope_checker import MARKER
from yingji.core.models import Unit, User
from yingji.duty.models import DutyShiftOfficer, RollCallTarget


def rows(s: Session, system: Any, as_user: Any, unit: Unit, user: User) -> dict[str, int]:
    """A marked duty desk in 精河县 with a member, a shift, a swap request, a roll call, a feed token, a marked
    duty log entry and a proposed handover to the next shift."""
    from datetime import timedelta

    from yingji import clock
    from yingji.duty import feeds, log, rollcall
    from yingji.duty import service as duty
    from yingji.duty.models import DutySwap
    from yingji.duty.schemas import (
        DeskCreate,
        HandoverCreate,
        LogEntryCreate,
        MemberCreate,
        RollCallCreate,
        ShiftCreate,
    )

    desk = duty.create_desk(s, system, DeskCreate(unit_id=unit.id, name=f"{MARKER}-值班室", head_id=user.id))
    member = duty.add_member(s, system, desk.id, MemberCreate(user_id=user.id))
    start = clock.now() - timedelta(hours=1)
    shift = duty.create_shift(s, system, desk.id, ShiftCreate(starts_at=start, ends_at=start + timedelta(hours=24),
                                                              officer_id=user.id))
    swap = DutySwap(desk_id=desk.id, unit_id=unit.id, shift_id=shift.id, requested_by_id=user.id,
                    with_user_id=user.id, reason=MARKER)
    s.add(swap)
    jinghe = s.scalar(select(Unit).where(Unit.code == "652722"))
    assert jinghe is not None
    from yingji.core.scope import Principal

    county = Principal(user_id=None, name="tests", unit_id=jinghe.id, unit_path=jinghe.path, role="county_office")
    call = rollcall.create(s, county, RollCallCreate(desk_ids=[desk.id], note=MARKER))
    target = s.scalar(select(RollCallTarget).where(RollCallTarget.roll_call_id == call.id))
    assert target is not None
    feeds.create_token(s, as_user)
    entry = log.add_entry(s, as_user, shift.id, LogEntryCreate(kind="event", text=MARKER, unfinished=True))
    later = shift.ends_at
    following = duty.create_shift(s, system, desk.id, ShiftCreate(starts_at=later, ends_at=later + timedelta(hours=24),
                                                                  officer_id=user.id))
    extra = DutyShiftOfficer(shift_id=following.id, unit_id=unit.id, user_id=user.id)
    s.add(extra)
    from yingji.duty import routing

    dispatched = routing.dispatch(s, system, unit_id=unit.id, kind="other", ref_id=1, subject=MARKER, link="")
    handover = log.propose(s, as_user, shift.id, HandoverCreate(note=MARKER))
    s.flush()
    return {"desk_id": desk.id, "member_id": member.id, "shift_id": shift.id, "swap_id": swap.id,
            "roll_call_id": call.id, "target_id": target.id, "entry_id": entry.id, "corrects_id": entry.id,
            "handover_id": handover.id, "next_shift_id": handover.next_shift_id, "shift_officer_id": extra.id,
            "dispatch_id": dispatched[0].id}

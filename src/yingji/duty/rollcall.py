"""Roll calls (点名) and their bulletins (通报): an office calls the desks below it, each desk's
duty officer is told, the desk answers, and answers are on time, late or missing against the limit.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, notify, roles
from yingji.core.models import Unit, User
from yingji.core.scope import Principal, get_scoped, in_subtree, recheck, scoped
from yingji.core.service import paginate
from yingji.db import lock_for_change
from yingji.duty import defaults
from yingji.duty.models import DutyDesk, DutyMember, RollCall, RollCallTarget, answer_due
from yingji.duty.schemas import Bulletin, BulletinRow, MonthlyRow, RollCallCreate, RollCallRead
from yingji.duty.service import current_shift
from yingji.errors import Conflict, NotFound, PermissionDenied, UserError
from yingji.i18n import gettext

CALLER_ROLES = frozenset({"admin", "prefecture_office", "county_office"})
STATUSES = ("on_time", "late", "missing", "pending", "scheduled")


def _desks_below(session: Session, principal: Principal) -> list[DutyDesk]:
    """Desks strictly below the caller's unit (its own desk is not called)."""
    stmt = scoped(select(DutyDesk), principal).join(Unit, Unit.id == DutyDesk.unit_id)
    if principal.unit_id is not None:
        stmt = stmt.where(DutyDesk.unit_id != principal.unit_id)
    return list(session.scalars(stmt.order_by(Unit.path)))


def callable_desks(session: Session, principal: Principal) -> list[DutyDesk]:
    principal.require(roles.WRITE)
    return _desks_below(session, principal)


def create(session: Session, principal: Principal, data: RollCallCreate) -> RollCall:
    principal.require(roles.WRITE)
    if principal.role not in CALLER_ROLES:
        raise PermissionDenied("Only a prefecture or county emergency office makes roll calls.")
    below = {d.id: d for d in _desks_below(session, principal)}
    if data.desk_ids:
        unknown = [i for i in data.desk_ids if i not in below]
        if unknown:
            raise UserError("Some of the chosen desks are not below your unit.", field="desk_ids")
        desks = [below[i] for i in dict.fromkeys(data.desk_ids)]
    else:
        desks = list(below.values())
    if not desks:
        raise UserError("There is no duty desk below your unit to call.", field="desk_ids")
    limit = defaults.rule(session, defaults.ANSWER_LIMIT)
    now = clock.now()
    planned = _planned_time(data, now)
    call = RollCall(unit_id=principal.unit_id or desks[0].unit_id, called_by_id=principal.user_id,
                    called_by_name=principal.name, started_at=planned or now, limit_seconds=limit.value,
                    limit_source=limit.source, note=data.note, scheduled_for=planned,
                    unannounced=bool(planned and data.window_minutes), fired_at=None if planned else now)
    session.add(call)
    recheck(session, principal, call)
    audit.record(session, principal, action="create", entity_type="roll_call", entity_id=call.id,
                 unit_id=call.unit_id, after={**audit.snapshot(call), "desk_ids": [d.id for d in desks]})
    for desk in desks:
        target = RollCallTarget(roll_call_id=call.id, desk_id=desk.id, unit_id=desk.unit_id)
        session.add(target)
        session.flush()
        if planned is None:
            _call_desk(session, principal, call, desk, target)
    return call


def _planned_time(data: RollCallCreate, now: datetime) -> datetime | None:
    """None for a roll call made now; else the time it will be made (random within the window if given)."""
    if data.at is None:
        if data.window_minutes:
            raise UserError("Give the start of the window for an unannounced roll call.", field="at")
        return None
    if data.at.tzinfo is None:
        raise UserError("Give times with their offset, e.g. 2026-12-01T08:00:00+08:00.", field="at")
    if data.at <= now:
        raise UserError("A scheduled roll call must lie in the future.", field="at")
    if data.at - now > timedelta(days=366):
        raise UserError("A roll call can be scheduled at most a year ahead.", field="at")
    if not data.window_minutes:
        return data.at
    return data.at + timedelta(seconds=secrets.randbelow(data.window_minutes * 60 + 1))


def _call_desk(session: Session, principal: Principal, call: RollCall, desk: DutyDesk,
               target: RollCallTarget) -> None:
    shift = current_shift(session, desk.id, call.started_at)
    target.officer_id = shift.officer_id if shift else None
    recipient_id = target.officer_id or desk.head_id
    if recipient_id is None:
        return
    minutes = max(call.limit_seconds // 60, 1)
    notify.notify(session, principal, users=[session.get_one(User, recipient_id)],
                  subject=gettext("Roll call: %(desk)s, answer within %(n)s minutes") % {"desk": desk.name,
                                                                                         "n": minutes},
                  body=gettext("Roll call by %(caller)s. Open the link and answer.") % {"caller": call.called_by_name},
                  link=f"/duty/answer/{target.id}")


def fire_due(session: Session, principal: Principal) -> int:
    """The job's work: make the scheduled roll calls whose time has come, each once; returns how many."""
    now = clock.now()
    due = list(session.scalars(select(RollCall).where(RollCall.fired_at.is_(None), RollCall.started_at <= now,
                                                      RollCall.closed_at.is_(None)).order_by(RollCall.id)))
    for call in due:
        before = audit.snapshot(call)
        call.started_at = call.fired_at = now
        call.due_at = answer_due(now, call.limit_seconds)
        rows = session.execute(select(RollCallTarget, DutyDesk).join(DutyDesk, DutyDesk.id == RollCallTarget.desk_id)
                               .where(RollCallTarget.roll_call_id == call.id).order_by(RollCallTarget.id)).all()
        for target, desk in rows:
            _call_desk(session, principal, call, desk, target)
        audit.record(session, principal, action="fire", entity_type="roll_call", entity_id=call.id,
                     unit_id=call.unit_id, before=before, after=audit.snapshot(call))
    return len(due)


LIST_STATES = ("scheduled", "open", "closed", "unanswered", "missed", "late", "answered")


def list_statement(principal: Principal, *, desk_id: int | None = None, since: datetime | None = None,
                   until: datetime | None = None, state: str = "") -> Any:
    """Roll calls in the principal's area, newest first: those that called ``desk_id``, made (or set) within
    [since, until), and in ``state`` — scheduled, open, closed, ``unanswered`` (made, and a called desk has
    not answered yet), ``missed`` (made, and a called desk has not answered though its limit has passed or the
    call is closed: a desk "missing" in the bulletin), ``late`` (made, and a desk answered after the limit)
    or ``answered`` (made, and every called desk answered). The limit itself is still in time, as in
    :func:`status`."""
    if state and state not in LIST_STATES:
        raise UserError("Unknown status.", field="state")
    stmt = scoped(select(RollCall), principal)
    if desk_id is not None:
        stmt = stmt.where(RollCall.id.in_(select(RollCallTarget.roll_call_id).where(RollCallTarget.desk_id == desk_id)))
    if since is not None:
        stmt = stmt.where(RollCall.started_at >= since)
    if until is not None:
        stmt = stmt.where(RollCall.started_at < until)
    silent = select(RollCallTarget.roll_call_id).where(RollCallTarget.answered_at.is_(None))
    if state == "scheduled":
        stmt = stmt.where(RollCall.fired_at.is_(None))
    elif state == "open":
        stmt = stmt.where(RollCall.fired_at.is_not(None), RollCall.closed_at.is_(None))
    elif state == "closed":
        stmt = stmt.where(RollCall.fired_at.is_not(None), RollCall.closed_at.is_not(None))
    elif state == "unanswered":
        stmt = stmt.where(RollCall.fired_at.is_not(None), RollCall.id.in_(silent))
    elif state == "missed":
        passed = or_(RollCall.closed_at.is_not(None), RollCall.due_at < clock.now())
        stmt = stmt.where(RollCall.fired_at.is_not(None), RollCall.id.in_(silent), passed)
    elif state == "late":
        late = exists().where(RollCallTarget.roll_call_id == RollCall.id, RollCallTarget.answered_at > RollCall.due_at)
        stmt = stmt.where(RollCall.fired_at.is_not(None), late)
    elif state == "answered":
        stmt = stmt.where(RollCall.fired_at.is_not(None), RollCall.id.not_in(silent))
    return stmt.order_by(RollCall.id.desc())


def list_(session: Session, principal: Principal, *, page: int = 1, per_page: int = 50, **filters: Any) -> Any:
    return paginate(session, list_statement(principal, **filters), RollCallRead, page=page, per_page=per_page)


def get(session: Session, principal: Principal, roll_call_id: int) -> RollCall:
    return get_scoped(session, principal, RollCall, roll_call_id)


def close(session: Session, principal: Principal, roll_call_id: int) -> RollCall:
    call = get_scoped(session, principal, RollCall, roll_call_id, roles.WRITE)
    lock_for_change(session, call)
    if call.closed_at is not None:
        raise Conflict("This roll call is closed.")
    before = audit.snapshot(call)
    call.closed_at = clock.now()
    audit.record(session, principal, action="close", entity_type="roll_call", entity_id=call.id,
                 unit_id=call.unit_id, before=before, after=audit.snapshot(call))
    return call


def get_target(session: Session, principal: Principal, target_id: int) -> tuple[RollCallTarget, RollCall, DutyDesk]:
    target = get_scoped(session, principal, RollCallTarget, target_id)
    call = session.get_one(RollCall, target.roll_call_id)
    if call.fired_at is None:  # a roll call not yet made does not exist for the desks (it may be unannounced)
        raise NotFound("Not found, or not within your area.")
    return target, call, session.get_one(DutyDesk, target.desk_id)


def may_answer(session: Session, principal: Principal, desk: DutyDesk) -> bool:
    """The desk answers: its members, or users of the desk's own unit."""
    if principal.user_id is None or not principal.can(roles.READ):
        return False
    if principal.unit_id == desk.unit_id:
        return True
    return session.scalar(select(DutyMember.id).where(DutyMember.desk_id == desk.id,
                                                      DutyMember.user_id == principal.user_id)) is not None


def answer(session: Session, principal: Principal, target_id: int) -> RollCallTarget:
    target, call, desk = get_target(session, principal, target_id)
    # The call's row, not the answer's: an answer then waits for a close of the same call (and a second
    # answer of the same desk for the first), and reads both again.
    lock_for_change(session, call)
    session.refresh(target)
    if not may_answer(session, principal, desk):
        raise PermissionDenied("Only the called desk answers its roll call.")
    if call.closed_at is not None:
        raise Conflict("This roll call is closed; answers are no longer taken.")
    if target.answered_at is not None:
        raise Conflict("This desk has already answered.")
    before = audit.snapshot(target)
    target.answered_at = clock.now()
    target.answered_by_id, target.answered_by_name = principal.user_id, principal.name
    audit.record(session, principal, action="answer", entity_type="roll_call_target", entity_id=target.id,
                 unit_id=target.unit_id, before=before, after=audit.snapshot(target))
    return target


def status(call: RollCall, target: RollCallTarget, now: Any = None) -> tuple[str, int | None]:
    """on_time when answered within the limit (the limit itself included), late after it; unanswered is
    missing once the limit has passed or the call is closed, pending before."""
    if call.fired_at is None:
        return "scheduled", None
    if target.answered_at is not None:
        delay = int((target.answered_at - call.started_at).total_seconds())
        return ("on_time" if target.answered_at <= call.due_at else "late"), delay
    now = now or clock.now()
    if call.closed_at is not None or now > call.due_at:
        return "missing", None
    return "pending", None


def open_targets(session: Session, principal: Principal, desk_id: int) -> list[tuple[RollCallTarget, RollCall]]:
    stmt = (scoped(select(RollCallTarget, RollCall), principal, model=RollCallTarget)
            .join(RollCall, RollCall.id == RollCallTarget.roll_call_id)
            .where(RollCallTarget.desk_id == desk_id, RollCallTarget.answered_at.is_(None),
                   RollCall.closed_at.is_(None), RollCall.fired_at.is_not(None)).order_by(RollCall.id.desc()))
    return [(t, c) for t, c in session.execute(stmt)]


def bulletin(session: Session, principal: Principal, roll_call_id: int, *, status_filter: str = "") -> Bulletin:
    call = get(session, principal, roll_call_id)
    stmt = (select(RollCallTarget, DutyDesk.name, Unit.name, User.display_name)
            .join(DutyDesk, DutyDesk.id == RollCallTarget.desk_id).join(Unit, Unit.id == RollCallTarget.unit_id)
            .outerjoin(User, User.id == RollCallTarget.officer_id)
            .where(RollCallTarget.roll_call_id == call.id, in_subtree(Unit.path, _caller_path(session, call)))
            .order_by(Unit.path))
    rows = []
    counts = dict.fromkeys(STATUSES, 0)
    for target, desk_name, unit_name, officer in session.execute(stmt):
        state, delay = status(call, target)
        counts[state] += 1
        if status_filter and state != status_filter:
            continue
        rows.append(BulletinRow(target_id=target.id, desk_id=target.desk_id, desk_name=desk_name,
                                unit_name=unit_name, officer=officer or "", answered_at=target.answered_at,
                                answered_by=target.answered_by_name, delay_seconds=delay, status=state))
    return Bulletin(roll_call=RollCallRead.model_validate(call), rows=rows, counts=counts)


def _caller_path(session: Session, call: RollCall) -> str:
    return session.get_one(Unit, call.unit_id).path


def monthly(session: Session, principal: Principal, year: int, month: int) -> list[MonthlyRow]:
    """Per desk in scope: how often it was called in the month (Beijing time) and how it answered."""
    from datetime import date

    from yingji.duty.service import at_local, local_zone

    zone = local_zone()
    first = date(year, month, 1)
    start, end = at_local(first, 0, zone), at_local(date(year + month // 12, month % 12 + 1, 1), 0, zone)
    stmt = (scoped(select(RollCallTarget, RollCall, DutyDesk.name, Unit.name), principal, model=RollCallTarget)
            .join(RollCall, RollCall.id == RollCallTarget.roll_call_id)
            .join(DutyDesk, DutyDesk.id == RollCallTarget.desk_id).join(Unit, Unit.id == RollCallTarget.unit_id)
            .where(RollCall.fired_at.is_not(None), RollCall.started_at >= start, RollCall.started_at < end)
            .order_by(Unit.path, RollCall.id))
    rows: dict[int, MonthlyRow] = {}
    delays: dict[int, list[int]] = {}
    for target, call, desk_name, unit_name in session.execute(stmt):
        row = rows.setdefault(target.desk_id, MonthlyRow(
            desk_id=target.desk_id, desk_name=desk_name, unit_name=unit_name, called=0, on_time=0, late=0,
            missing=0, pending=0, average_seconds=None))
        state, delay = status(call, target)
        row.called += 1
        setattr(row, state, getattr(row, state) + 1)  # never "scheduled": only roll calls made are counted
        if delay is not None:
            delays.setdefault(target.desk_id, []).append(delay)
    for desk_id, values in delays.items():
        rows[desk_id].average_seconds = round(sum(values) / len(values))
    return list(rows.values())

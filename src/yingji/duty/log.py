"""The duty log (值班日志) of a shift and its handover (交接班) to the next shift.

Entries are append-only: a correction is a new entry pointing at the entry it corrects. The outgoing
officer proposes the handover; the incoming officer (the next shift's officer) accepts it, which carries
every open unfinished item into the next shift's log and closes the handed-over shift's log.
Plain functions taking a session and a principal; they never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.models import Unit, User
from yingji.core.scope import Principal, get_scoped, recheck
from yingji.db import lock_for_change
from yingji.duty.models import DutyDesk, DutyHandover, DutyLogEntry, DutyShift
from yingji.duty.schemas import HandoverCreate, LogEntryCreate
from yingji.duty.service import get_shift
from yingji.errors import Conflict, NotFound, PermissionDenied, UserError

MAX_ENTRIES = 5000


def _name(session: Session, principal: Principal) -> str:
    if principal.user_id is not None:
        user = session.get(User, principal.user_id)
        if user is not None:
            return user.display_name
    return principal.name


def may_write(session: Session, principal: Principal, shift: DutyShift) -> bool:
    """The shift's officer or leader on duty, or the head of the desk, writes its log."""
    if principal.user_id is None or not principal.can(roles.READ):
        return False
    if principal.user_id in (shift.officer_id, shift.leader_id):
        return True
    return session.scalar(select(DutyDesk.head_id).where(DutyDesk.id == shift.desk_id)) == principal.user_id


def handover_of(session: Session, shift_id: int) -> DutyHandover | None:
    return session.scalar(select(DutyHandover).where(DutyHandover.shift_id == shift_id))


def handover_into(session: Session, shift_id: int) -> DutyHandover | None:
    return session.scalar(select(DutyHandover).where(DutyHandover.next_shift_id == shift_id))


def entries(session: Session, principal: Principal, shift_id: int, kind: str = "") -> list[DutyLogEntry]:
    get_shift(session, principal, shift_id)
    stmt = select(DutyLogEntry).where(DutyLogEntry.shift_id == shift_id)
    if kind:
        stmt = stmt.where(DutyLogEntry.kind == kind)
    return list(session.scalars(stmt.order_by(DutyLogEntry.at, DutyLogEntry.id).limit(MAX_ENTRIES)))


def get_entry(session: Session, principal: Principal, entry_id: int) -> DutyLogEntry:
    return get_scoped(session, principal, DutyLogEntry, entry_id)


def add_entry(session: Session, principal: Principal, shift_id: int, data: LogEntryCreate) -> DutyLogEntry:
    shift = get_shift(session, principal, shift_id)
    if not may_write(session, principal, shift):
        raise PermissionDenied("Only the shift's duty officer, its leader on duty or the head of the desk "
                               "writes its log.")
    handover = handover_of(session, shift.id)
    if handover is not None and handover.accepted_at is not None:
        raise Conflict("This shift has been handed over; its log is closed.")
    now = clock.now()
    at = data.at or now
    if at.tzinfo is None:
        raise UserError("Give times with their offset, e.g. 2026-12-01T08:00:00+08:00.", field="at")
    if now < shift.starts_at:
        raise Conflict("This shift has not started yet.")
    if not shift.starts_at <= at < shift.ends_at:
        raise UserError("The time of an entry must lie within the shift.", field="at")
    if at > now:
        raise UserError("The time of an entry cannot be in the future.", field="at")
    if data.related_unit_id is not None:
        get_scoped(session, principal, Unit, data.related_unit_id)
    if data.corrects_id is not None:
        corrected = session.scalar(select(DutyLogEntry).where(DutyLogEntry.id == data.corrects_id,
                                                              DutyLogEntry.shift_id == shift.id))
        if corrected is None:
            raise UserError("Only an entry of the same shift can be corrected.", field="corrects_id")
    entry = DutyLogEntry(shift_id=shift.id, desk_id=shift.desk_id, unit_id=shift.unit_id, kind=data.kind, at=at,
                         text=data.text, related_unit_id=data.related_unit_id, unfinished=data.unfinished,
                         corrects_id=data.corrects_id, author_id=principal.user_id,
                         author_name=_name(session, principal), created_at=now)
    session.add(entry)
    recheck(session, principal, entry)
    audit.record(session, principal, action="correct" if data.corrects_id else "create",
                 entity_type="duty_log_entry", entity_id=entry.id, unit_id=entry.unit_id,
                 after=audit.snapshot(entry))
    return entry


def open_items(session: Session, shift_id: int) -> list[DutyLogEntry]:
    """The shift's unfinished entries that no later entry corrects (a correction speaks for itself)."""
    rows = list(session.scalars(select(DutyLogEntry).where(DutyLogEntry.shift_id == shift_id)
                                .order_by(DutyLogEntry.at, DutyLogEntry.id)))
    corrected = {r.corrects_id for r in rows if r.corrects_id is not None}
    return [r for r in rows if r.unfinished and r.id not in corrected]


def next_shift(session: Session, shift: DutyShift) -> DutyShift | None:
    """The shift of the same desk that starts when this one ends."""
    return session.scalar(select(DutyShift).where(DutyShift.desk_id == shift.desk_id,
                                                  DutyShift.starts_at == shift.ends_at))


def propose(session: Session, principal: Principal, shift_id: int, data: HandoverCreate) -> DutyHandover:
    shift = get_shift(session, principal, shift_id)
    if principal.user_id is None or shift.officer_id != principal.user_id:
        raise PermissionDenied("Only the duty officer of the shift hands it over.")
    lock_for_change(session, shift)
    if handover_of(session, shift.id) is not None:
        raise Conflict("The handover of this shift has already been proposed.")
    if clock.now() < shift.starts_at:
        raise Conflict("This shift has not started yet.")
    following = next_shift(session, shift)
    if data.next_shift_id is not None and (following is None or data.next_shift_id != following.id):
        raise UserError("A shift is handed over only to the shift of the same desk that follows it.",
                        field="next_shift_id")
    if following is None:
        raise Conflict("No shift of this desk follows this one; create it first.")
    if following.officer_id is None:
        raise Conflict("The next shift has no duty officer to take over.")
    handover = DutyHandover(shift_id=shift.id, next_shift_id=following.id, desk_id=shift.desk_id,
                            unit_id=shift.unit_id, note=data.note,
                            items=[e.id for e in open_items(session, shift.id)],
                            proposed_by_id=principal.user_id, proposed_by_name=_name(session, principal),
                            proposed_at=clock.now())
    session.add(handover)
    recheck(session, principal, handover)
    audit.record(session, principal, action="propose", entity_type="duty_handover", entity_id=handover.id,
                 unit_id=handover.unit_id, after=audit.snapshot(handover))
    return handover


def accept(session: Session, principal: Principal, handover_id: int) -> DutyHandover:
    handover = get_scoped(session, principal, DutyHandover, handover_id)
    lock_for_change(session, handover)
    following = session.get_one(DutyShift, handover.next_shift_id)
    if principal.user_id is None or following.officer_id != principal.user_id:
        raise PermissionDenied("Only the duty officer of the next shift accepts the handover.")
    if handover.accepted_at is not None:
        raise Conflict("This handover has already been accepted.")
    now = clock.now()
    before = audit.snapshot(handover)
    # Items written after the proposal are carried as well: the list is settled when both have signed.
    items = open_items(session, handover.shift_id)
    at = min(max(now, following.starts_at), following.ends_at - _TICK)
    for item in items:
        carried = DutyLogEntry(shift_id=following.id, desk_id=following.desk_id, unit_id=following.unit_id,
                               kind=item.kind, at=at, text=item.text, related_unit_id=item.related_unit_id,
                               unfinished=True, carried_from_id=item.id, author_id=principal.user_id,
                               author_name=_name(session, principal), created_at=now)
        session.add(carried)
        session.flush()
        audit.record(session, principal, action="carry", entity_type="duty_log_entry", entity_id=carried.id,
                     unit_id=carried.unit_id, after=audit.snapshot(carried))
    handover.items = [i.id for i in items]
    handover.accepted_by_id, handover.accepted_by_name, handover.accepted_at = (
        principal.user_id, _name(session, principal), now)
    audit.record(session, principal, action="accept", entity_type="duty_handover", entity_id=handover.id,
                 unit_id=handover.unit_id, before=before, after=audit.snapshot(handover))
    return handover


def get_handover(session: Session, principal: Principal, shift_id: int) -> DutyHandover:
    get_shift(session, principal, shift_id)
    found = handover_of(session, shift_id)
    if found is None:
        raise NotFound("This shift has not been handed over yet.")
    return found


def previous_shift(session: Session, shift: DutyShift) -> DutyShift | None:
    return session.scalar(select(DutyShift).where(DutyShift.desk_id == shift.desk_id,
                                                  DutyShift.ends_at == shift.starts_at))


_TICK = datetime.resolution

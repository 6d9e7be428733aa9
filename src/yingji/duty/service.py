"""Rules of the duty desks: desks, members, shifts, filling by rotation, swaps, who is on duty now,
gaps and signing on. Plain functions taking a session and a principal; they never commit.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session, aliased

from yingji import clock
from yingji.core import audit, notify, roles
from yingji.core.models import Unit, User
from yingji.core.scope import Principal, get_scoped, in_subtree, recheck, scoped
from yingji.core.service import paginate
from yingji.db import lock_for_change
from yingji.duty import defaults
from yingji.duty.models import DutyDesk, DutyMember, DutyShift, DutyShiftOfficer, DutySwap
from yingji.duty.schemas import (
    MAX_FILL_DAYS,
    DeskCreate,
    DeskRead,
    FillRequest,
    FillResult,
    Gap,
    MemberCreate,
    OnDuty,
    ShiftAssign,
    ShiftCreate,
    SwapCreate,
    minutes,
)
from yingji.errors import Conflict, PermissionDenied, UserError
from yingji.i18n import gettext
from yingji.settings import get_settings

MAX_SHIFT = timedelta(hours=24)
DESK_UNIT_KINDS = ("prefecture", "county", "zone", "township", "department", "enterprise", "school",
                   "kindergarten", "college", "hospital", "crowded_place")


def local_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().tz)


def at_local(day: date, minute_of_day: int, zone: ZoneInfo) -> datetime:
    """Local wall-clock time on ``day`` as UTC (correct across days and any offset change)."""
    local = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60), tzinfo=zone)
    return local.astimezone(UTC)


def slots(desk: DutyDesk, start: date, end: date, zone: ZoneInfo) -> list[tuple[date, str, datetime, datetime]]:
    """The shifts of ``desk``'s pattern for the local dates start..end (inclusive)."""
    return list(_slots(desk.pattern, desk.day_start, desk.night_start, start, end, zone))


@functools.lru_cache(maxsize=64)
def _slots(pattern: str, day_start: int, night_start: int, start: date, end: date,
           zone: ZoneInfo) -> tuple[tuple[date, str, datetime, datetime], ...]:
    """Desks of one pattern share their slots: filling many desks at once computes them once."""
    days = [start + timedelta(days=i) for i in range((end - start).days + 2)]
    starts = _local_times(days, day_start, zone)
    out = []
    if pattern == "day_night":
        nights = _local_times(days, night_start, zone)
        for i, day in enumerate(days[:-1]):
            out.append((day, "day", starts[i], nights[i]))
            out.append((day, "night", nights[i], starts[i + 1]))
    else:
        for i, day in enumerate(days[:-1]):
            out.append((day, "24h", starts[i], starts[i + 1]))
    return tuple(out)


def _local_times(days: list[date], minute_of_day: int, zone: ZoneInfo) -> list[datetime]:
    """``at_local`` for many days. Where the zone's offset is the same at every week of the range (no
    daylight saving, as in Asia/Shanghai) one offset serves all days; otherwise each day is converted."""
    samples = {at_local(day, minute_of_day, zone).utcoffset() for day in days[::7] + days[-1:]}
    first = at_local(days[0], minute_of_day, zone)
    if len(samples) > 1 or any(at_local(d, minute_of_day, zone) - first != d - days[0] for d in days[::7]):
        return [at_local(day, minute_of_day, zone) for day in days]
    return [first + (day - days[0]) for day in days]


# --- desks and members ---------------------------------------------------------------------

def list_desks(session: Session, principal: Principal, *, q: str = "", page: int = 1,
               per_page: int = 50) -> Any:
    stmt = scoped(select(DutyDesk), principal)
    if q:
        stmt = stmt.join(Unit, Unit.id == DutyDesk.unit_id).where(
            or_(DutyDesk.name.ilike(f"%{q}%"), Unit.name.ilike(f"%{q}%")))
    return paginate(session, stmt.order_by(DutyDesk.unit_id), DeskRead, page=page, per_page=per_page)


def get_desk(session: Session, principal: Principal, desk_id: int, action: str = roles.READ) -> DutyDesk:
    return get_scoped(session, principal, DutyDesk, desk_id, action)


def desk_for_unit(session: Session, principal: Principal, unit_id: int) -> DutyDesk | None:
    return session.scalar(scoped(select(DutyDesk), principal).where(DutyDesk.unit_id == unit_id))


def _user_in_subtree(session: Session, user_id: int, unit: Unit, field: str) -> User:
    user = session.scalar(select(User).join(Unit, Unit.id == User.unit_id).where(
        User.id == user_id, User.is_active.is_(True), in_subtree(Unit.path, unit.path)))
    if user is None:
        raise UserError("This person is not a user of the desk's unit or the units below it.", field=field)
    return user


def create_desk(session: Session, principal: Principal, data: DeskCreate) -> DutyDesk:
    unit = get_scoped(session, principal, Unit, data.unit_id, roles.WRITE)
    if unit.kind not in DESK_UNIT_KINDS:
        raise UserError("A unit of this kind does not keep a duty desk.", field="unit_id")
    if session.scalar(select(DutyDesk.id).where(DutyDesk.unit_id == unit.id)) is not None:
        raise Conflict("This unit already has a duty desk.", field="unit_id")
    if data.head_id is not None:
        _user_in_subtree(session, data.head_id, unit, "head_id")
    if data.pattern == "day_night" and not minutes(data.day_start) < minutes(data.night_start):
        raise UserError("The night shift must start after the day shift.", field="night_start")
    desk = DutyDesk(unit_id=unit.id, name=data.name, head_id=data.head_id, phone=data.phone, pattern=data.pattern,
                    day_start=minutes(data.day_start), night_start=minutes(data.night_start))
    session.add(desk)
    recheck(session, principal, desk)
    audit.record(session, principal, action="create", entity_type="duty_desk", entity_id=desk.id,
                 unit_id=desk.unit_id, after=audit.snapshot(desk))
    return desk


def members(session: Session, principal: Principal, desk_id: int) -> list[tuple[DutyMember, User]]:
    get_desk(session, principal, desk_id)
    stmt = (select(DutyMember, User).join(User, User.id == DutyMember.user_id)
            .where(DutyMember.desk_id == desk_id).order_by(DutyMember.role, DutyMember.id))
    return [(m, u) for m, u in session.execute(stmt)]


def add_member(session: Session, principal: Principal, desk_id: int, data: MemberCreate) -> DutyMember:
    desk = get_desk(session, principal, desk_id, roles.WRITE)
    unit = session.get_one(Unit, desk.unit_id)
    _user_in_subtree(session, data.user_id, unit, "user_id")
    if session.scalar(select(DutyMember.id).where(DutyMember.desk_id == desk.id,
                                                  DutyMember.user_id == data.user_id)) is not None:
        raise Conflict("This person is already a member of the desk.", field="user_id")
    member = DutyMember(desk_id=desk.id, unit_id=desk.unit_id, user_id=data.user_id, role=data.role)
    session.add(member)
    recheck(session, principal, member)
    audit.record(session, principal, action="create", entity_type="duty_member", entity_id=member.id,
                 unit_id=desk.unit_id, after=audit.snapshot(member))
    return member


def remove_member(session: Session, principal: Principal, member_id: int) -> None:
    member = get_scoped(session, principal, DutyMember, member_id, roles.WRITE)
    before = audit.snapshot(member)
    session.delete(member)
    audit.record(session, principal, action="delete", entity_type="duty_member", entity_id=member_id,
                 unit_id=member.unit_id, before=before)


def _member_ids(session: Session, desk_id: int, role: str | None = None) -> list[int]:
    stmt = select(DutyMember.user_id).where(DutyMember.desk_id == desk_id)
    if role:
        stmt = stmt.where(DutyMember.role == role)
    return list(session.scalars(stmt.order_by(DutyMember.id)))


def _check_members(session: Session, desk: DutyDesk, officer_id: int | None, leader_id: int | None) -> None:
    if officer_id is not None and officer_id not in _member_ids(session, desk.id, "officer"):
        raise UserError("The duty officer must be an officer member of this desk.", field="officer_id")
    if leader_id is not None and leader_id not in _member_ids(session, desk.id, "leader"):
        raise UserError("The leader on duty must be a leader member of this desk.", field="leader_id")


# --- conflicts -----------------------------------------------------------------------------

def _check_no_overlap(session: Session, desk_id: int, starts_at: datetime, ends_at: datetime,
                      except_id: int | None = None) -> None:
    stmt = select(DutyShift).where(DutyShift.desk_id == desk_id, DutyShift.starts_at < ends_at,
                                   DutyShift.ends_at > starts_at)
    if except_id is not None:
        stmt = stmt.where(DutyShift.id != except_id)
    clash = session.scalars(stmt.limit(1)).first()
    if clash is not None:
        raise Conflict("This shift overlaps another shift of the desk (%(start)s).", field="starts_at",
                       start=_local_text(clash.starts_at))


def _local_text(value: datetime) -> str:
    return value.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")


def _busy_elsewhere(session: Session, desk_id: int, people: Iterable[int | None], starts_at: datetime,
                    ends_at: datetime, except_ids: Iterable[int] = ()) -> list[tuple[int, DutyShift]]:
    """(person, shift) pairs where one of ``people`` holds a shift of ANOTHER desk overlapping the window."""
    wanted = {p for p in people if p is not None}
    if not wanted:
        return []
    stmt = select(DutyShift).where(
        DutyShift.desk_id != desk_id, DutyShift.starts_at < ends_at, DutyShift.starts_at > starts_at - MAX_SHIFT,
        DutyShift.ends_at > starts_at, or_(DutyShift.officer_id.in_(wanted), DutyShift.leader_id.in_(wanted)))
    skip = set(except_ids)
    found = []
    for shift in session.scalars(stmt):
        if shift.id in skip:
            continue
        for person in (shift.officer_id, shift.leader_id):
            if person in wanted:
                found.append((person, shift))
    return found


def _refuse_double_booking(session: Session, clashes: list[tuple[int, DutyShift]]) -> None:
    if not clashes:
        return
    person, shift = clashes[0]
    user = session.get_one(User, person)
    desk = session.get_one(DutyDesk, shift.desk_id)
    raise Conflict("%(name)s is already on duty at %(desk)s at that time (%(start)s).", field="officer_id",
                   name=user.display_name, desk=desk.name, start=_local_text(shift.starts_at))


# --- shifts --------------------------------------------------------------------------------

def list_shifts(session: Session, principal: Principal, desk_id: int, start: datetime,
                end: datetime) -> list[DutyShift]:
    get_desk(session, principal, desk_id)
    stmt = scoped(select(DutyShift), principal).where(
        DutyShift.desk_id == desk_id, DutyShift.starts_at < end, DutyShift.ends_at > start)
    return list(session.scalars(stmt.order_by(DutyShift.starts_at)))


def get_shift(session: Session, principal: Principal, shift_id: int, action: str = roles.READ) -> DutyShift:
    return get_scoped(session, principal, DutyShift, shift_id, action)


def create_shift(session: Session, principal: Principal, desk_id: int, data: ShiftCreate) -> DutyShift:
    desk = get_desk(session, principal, desk_id, roles.WRITE)
    if data.starts_at.tzinfo is None or data.ends_at.tzinfo is None:
        raise UserError("Give times with their offset, e.g. 2026-12-01T08:00:00+08:00.", field="starts_at")
    if not data.starts_at < data.ends_at <= data.starts_at + MAX_SHIFT:
        raise UserError("A shift ends after it starts and lasts at most 24 hours.", field="ends_at")
    _check_members(session, desk, data.officer_id, data.leader_id)
    _check_no_overlap(session, desk.id, data.starts_at, data.ends_at)
    _refuse_double_booking(session, _busy_elsewhere(session, desk.id, [data.officer_id, data.leader_id],
                                                    data.starts_at, data.ends_at))
    shift = DutyShift(desk_id=desk.id, unit_id=desk.unit_id, kind="custom",
                      local_date=data.starts_at.astimezone(local_zone()).date(), starts_at=data.starts_at,
                      ends_at=data.ends_at, officer_id=data.officer_id, leader_id=data.leader_id)
    session.add(shift)
    recheck(session, principal, shift)
    audit.record(session, principal, action="create", entity_type="duty_shift", entity_id=shift.id,
                 unit_id=desk.unit_id, after=audit.snapshot(shift))
    return shift


def assign_shift(session: Session, principal: Principal, shift_id: int, data: ShiftAssign) -> DutyShift:
    shift = get_shift(session, principal, shift_id, roles.WRITE)
    desk = session.get_one(DutyDesk, shift.desk_id)
    changes = data.model_dump(exclude_unset=True)
    officer = changes.get("officer_id", shift.officer_id)
    leader = changes.get("leader_id", shift.leader_id)
    _check_members(session, desk, officer, leader)
    _refuse_double_booking(session, _busy_elsewhere(session, desk.id, [officer, leader], shift.starts_at,
                                                    shift.ends_at))
    before = audit.snapshot(shift)
    shift.officer_id, shift.leader_id = officer, leader
    recheck(session, principal, shift)
    audit.record(session, principal, action="update", entity_type="duty_shift", entity_id=shift.id,
                 unit_id=shift.unit_id, before=before, after=audit.snapshot(shift))
    return shift


def shift_officers(session: Session, shift: DutyShift) -> list[tuple[int, User]]:
    """The further officers of a shift (row id, user), in the order they were added."""
    rows = session.execute(select(DutyShiftOfficer.id, User).join(User, User.id == DutyShiftOfficer.user_id)
                           .where(DutyShiftOfficer.shift_id == shift.id).order_by(DutyShiftOfficer.id))
    return [(row_id, user) for row_id, user in rows]


def add_officer(session: Session, principal: Principal, shift_id: int, user_id: int) -> DutyShiftOfficer:
    """A further duty officer on a shift: a member of the desk, free at that time elsewhere."""
    shift = get_shift(session, principal, shift_id, roles.WRITE)
    desk = session.get_one(DutyDesk, shift.desk_id)
    _check_members(session, desk, user_id, None)
    if user_id == shift.officer_id or user_id in {u.id for _i, u in shift_officers(session, shift)}:
        raise Conflict("This person is already an officer of the shift.", field="user_id")
    _refuse_double_booking(session, _busy_elsewhere(session, desk.id, [user_id], shift.starts_at, shift.ends_at))
    other = session.scalar(select(DutyShift).join(DutyShiftOfficer, DutyShiftOfficer.shift_id == DutyShift.id).where(
        DutyShiftOfficer.user_id == user_id, DutyShift.desk_id != desk.id, DutyShift.starts_at < shift.ends_at,
        DutyShift.ends_at > shift.starts_at).limit(1))
    if other is not None:
        _refuse_double_booking(session, [(user_id, other)])
    row = DutyShiftOfficer(shift_id=shift.id, unit_id=shift.unit_id, user_id=user_id)
    session.add(row)
    session.flush()
    audit.record(session, principal, action="create", entity_type="duty_shift_officer", entity_id=row.id,
                 unit_id=shift.unit_id, after=audit.snapshot(row))
    return row


def remove_officer(session: Session, principal: Principal, shift_officer_id: int) -> None:
    row = get_scoped(session, principal, DutyShiftOfficer, shift_officer_id, roles.WRITE)
    audit.record(session, principal, action="delete", entity_type="duty_shift_officer", entity_id=row.id,
                 unit_id=row.unit_id, before=audit.snapshot(row))
    session.delete(row)


def delete_shift(session: Session, principal: Principal, shift_id: int) -> None:
    shift = get_shift(session, principal, shift_id, roles.WRITE)
    if shift.starts_at <= clock.now():
        raise Conflict("A shift that has started is part of the record and cannot be deleted.")
    before = audit.snapshot(shift)
    session.delete(shift)
    audit.record(session, principal, action="delete", entity_type="duty_shift", entity_id=shift_id,
                 unit_id=shift.unit_id, before=before)


def fill_rotation(session: Session, principal: Principal, desk_id: int, data: FillRequest) -> FillResult:
    """Create the desk's shifts for a date range, officers and leaders taking turns in the given order.

    Slots that already have a shift are left alone (skipped); anything else that would overlap, or put
    a person on two desks at once, refuses the whole fill.
    """
    return _fill(session, principal, desk_id, data)


def _fill(session: Session, principal: Principal, desk_id: int, data: FillRequest) -> FillResult:
    desk = get_desk(session, principal, desk_id, roles.WRITE)
    if data.end < data.start or (data.end - data.start).days >= MAX_FILL_DAYS:
        raise UserError("The range must end on or after its start and span at most %(n)s days.", field="end",
                        n=MAX_FILL_DAYS)
    roles_of = dict(session.execute(select(DutyMember.user_id, DutyMember.role).where(
        DutyMember.desk_id == desk.id).order_by(DutyMember.id)).all())
    officers = data.officer_ids or [u for u, r in roles_of.items() if r == "officer"]
    leaders = data.leader_ids or [u for u, r in roles_of.items() if r == "leader"]
    if any(roles_of.get(o) != "officer" for o in officers):
        raise UserError("The duty officer must be an officer member of this desk.", field="officer_ids")
    if any(roles_of.get(leader) != "leader" for leader in leaders):
        raise UserError("The leader on duty must be a leader member of this desk.", field="leader_ids")
    planned = slots(desk, data.start, data.end, local_zone())
    window_start, window_end = planned[0][2], planned[-1][3]
    existing = {s.starts_at: s for s in session.scalars(select(DutyShift).where(
        DutyShift.desk_id == desk.id, DutyShift.starts_at < window_end, DutyShift.ends_at > window_start))}
    rows, skipped = _plan_rows(desk, planned, existing, officers, leaders)
    _refuse_double_booking_bulk(session, desk.id, rows, window_start, window_end)
    if rows:
        insert_shifts(session, rows)
    audit.record(session, principal, action="fill", entity_type="duty_desk", entity_id=desk.id,
                 unit_id=desk.unit_id, after={"start": data.start.isoformat(), "end": data.end.isoformat(),
                                              "created": len(rows), "skipped": skipped,
                                              "officer_ids": officers, "leader_ids": leaders})
    return FillResult(created=len(rows), skipped=skipped)


SHIFT_COLUMNS = ("desk_id", "unit_id", "kind", "local_date", "starts_at", "ends_at", "created_at", "updated_at",
                 "officer_id", "leader_id")


@functools.lru_cache(maxsize=8192)  # desks of one pattern share their instants
def _sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores (UTC, microseconds always written), so that string
    comparisons in SQL agree with rows written through the ORM."""
    text = (value if value.tzinfo is UTC else value.astimezone(UTC)).isoformat(" ")[:-6]  # drop "+00:00"
    return text if len(text) > 19 else text + ".000000"


def insert_shifts(session: Session, rows: list[tuple[Any, ...]]) -> None:
    """Many shifts (tuples in SHIFT_COLUMNS order) in one executemany. On SQLite the values are written in
    the storage format directly: the per-value type processing costs more than the insert itself
    (bench/bench_duty.py)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        connection.execute(insert(DutyShift), [dict(zip(SHIFT_COLUMNS, row, strict=True)) for row in rows])
        return
    # A shift's end is the next one's start: each instant is formatted once.
    texts = {value: _sqlite_time(value) for value in {r[4] for r in rows} | {r[5] for r in rows}}
    days = {day: day.isoformat() for day in {r[3] for r in rows}}
    stamp = _sqlite_time(rows[0][6])
    values = [(r[0], r[1], r[2], days[r[3]], texts[r[4]], texts[r[5]], stamp, stamp, r[8], r[9]) for r in rows]
    marks = ", ".join("?" * len(SHIFT_COLUMNS))
    connection.exec_driver_sql(f"INSERT INTO duty_shift ({', '.join(SHIFT_COLUMNS)}) VALUES ({marks})", values)


def _plan_rows(desk: DutyDesk, planned: list[tuple[date, str, datetime, datetime]],
               existing: dict[datetime, DutyShift], officers: list[int],
               leaders: list[int]) -> tuple[list[tuple[Any, ...]], int]:
    """Rows (in SHIFT_COLUMNS order) for the free slots: officers take turns by slot, leaders by local day."""
    now = clock.now()
    desk_id, unit_id = desk.id, desk.unit_id  # read once: an attribute of a mapped object costs a call
    rows: list[tuple[Any, ...]] = []
    others = list(existing.values())
    skipped, day_no, last_day = 0, -1, None
    for turn, (local_day, kind, starts_at, ends_at) in enumerate(planned):
        if local_day != last_day:
            day_no, last_day = day_no + 1, local_day
        if starts_at in existing:
            skipped += 1
            continue
        if others and any(s.starts_at < ends_at and s.ends_at > starts_at for s in others):
            raise Conflict("This shift overlaps another shift of the desk (%(start)s).", field="start",
                           start=_local_text(starts_at))
        rows.append((desk_id, unit_id, kind, local_day, starts_at, ends_at, now, now,
                     officers[turn % len(officers)] if officers else None,
                     leaders[day_no % len(leaders)] if leaders else None))
    return rows, skipped


def _refuse_double_booking_bulk(session: Session, desk_id: int, rows: list[tuple[Any, ...]],
                                window_start: datetime, window_end: datetime) -> None:
    people = {r[8] for r in rows} | {r[9] for r in rows}
    people.discard(None)
    if not people:
        return
    busy = _busy_elsewhere(session, desk_id, people, window_start, window_end)
    for person, other in busy:
        for row in rows:
            if person in (row[8], row[9]) and row[4] < other.ends_at and row[5] > other.starts_at:
                _refuse_double_booking(session, [(person, other)])


# --- swaps ---------------------------------------------------------------------------------

def request_swap(session: Session, principal: Principal, data: SwapCreate) -> DutySwap:
    shift = get_shift(session, principal, data.shift_id)
    if shift.officer_id != principal.user_id:
        raise PermissionDenied("Only the duty officer of the shift may ask to swap it.")
    if shift.starts_at <= clock.now():
        raise Conflict("This shift has already started.")
    if data.with_user_id == principal.user_id:
        raise UserError("Choose another officer of the desk.", field="with_user_id")
    if data.with_user_id not in _member_ids(session, shift.desk_id, "officer"):
        raise UserError("A swap is possible only with another officer of the same desk.", field="with_user_id")
    if data.other_shift_id is not None:
        other = get_shift(session, principal, data.other_shift_id)
        if other.desk_id != shift.desk_id or other.officer_id != data.with_user_id:
            raise UserError("The other shift must be a shift of the same desk held by that officer.",
                            field="other_shift_id")
        if other.starts_at <= clock.now():
            raise Conflict("This shift has already started.")
    swap = DutySwap(desk_id=shift.desk_id, unit_id=shift.unit_id, shift_id=shift.id,
                    other_shift_id=data.other_shift_id, requested_by_id=principal.user_id,
                    with_user_id=data.with_user_id, reason=data.reason)
    session.add(swap)
    recheck(session, principal, swap)
    audit.record(session, principal, action="create", entity_type="duty_swap", entity_id=swap.id,
                 unit_id=swap.unit_id, after=audit.snapshot(swap))
    desk = session.get_one(DutyDesk, shift.desk_id)
    if desk.head_id is not None:
        notify.notify(session, principal, users=[session.get_one(User, desk.head_id)],
                      subject=gettext("A duty swap waits for your approval"),
                      body=gettext("%(desk)s: shift of %(start)s.") % {"desk": desk.name,
                                                                       "start": _local_text(shift.starts_at)},
                      link=f"/duty/desks/{desk.id}")
    return swap


def list_swaps(session: Session, principal: Principal, desk_id: int, status: str = "") -> list[DutySwap]:
    get_desk(session, principal, desk_id)
    stmt = scoped(select(DutySwap), principal).where(DutySwap.desk_id == desk_id)
    if status:
        stmt = stmt.where(DutySwap.status == status)
    return list(session.scalars(stmt.order_by(DutySwap.id.desc()).limit(200)))


def decide_swap(session: Session, principal: Principal, swap_id: int, approve: bool) -> DutySwap:
    swap = get_scoped(session, principal, DutySwap, swap_id, roles.WRITE)
    lock_for_change(session, swap)
    desk = session.get_one(DutyDesk, swap.desk_id)
    if desk.head_id != principal.user_id:
        raise PermissionDenied("Only the head of the desk may decide on a swap.")
    if swap.status != "pending":
        raise Conflict("This swap has already been decided.")
    before = audit.snapshot(swap)
    if approve:
        _apply_swap(session, principal, swap)
    swap.status = "approved" if approve else "rejected"
    swap.decided_by_id, swap.decided_at = principal.user_id, clock.now()
    audit.record(session, principal, action="approve" if approve else "reject", entity_type="duty_swap",
                 entity_id=swap.id, unit_id=swap.unit_id, before=before, after=audit.snapshot(swap))
    notify.notify(session, principal, users=[session.get_one(User, swap.requested_by_id),
                                             session.get_one(User, swap.with_user_id)],
                  subject=gettext("Duty swap approved") if approve else gettext("Duty swap refused"),
                  link=f"/duty/desks/{desk.id}")
    return swap


def _apply_swap(session: Session, principal: Principal, swap: DutySwap) -> None:
    shift = session.get_one(DutyShift, swap.shift_id)
    other = session.get_one(DutyShift, swap.other_shift_id) if swap.other_shift_id else None
    if shift.officer_id != swap.requested_by_id or (other and other.officer_id != swap.with_user_id):
        raise Conflict("The shifts have changed since the swap was asked for.")
    if shift.starts_at <= clock.now() or (other and other.starts_at <= clock.now()):
        raise Conflict("This shift has already started.")
    changed = [(shift, swap.with_user_id)] + ([(other, swap.requested_by_id)] if other else [])
    ids = [s.id for s, _ in changed]
    for target, person in changed:
        _refuse_double_booking(session, _busy_elsewhere(session, target.desk_id, [person], target.starts_at,
                                                        target.ends_at, except_ids=ids))
    for target, person in changed:
        before = audit.snapshot(target)
        target.officer_id = person
        audit.record(session, principal, action="update", entity_type="duty_shift", entity_id=target.id,
                     unit_id=target.unit_id, before=before, after=audit.snapshot(target))


# --- who is on duty now, gaps, signing on --------------------------------------------------

def on_duty_now(session: Session, principal: Principal, *, q: str = "", at: datetime | None = None) -> list[OnDuty]:
    """Every desk in scope with its current shift (or none): one query, the shift found by the index."""
    now = at or clock.now()
    officer, leader = aliased(User), aliased(User)
    # The shift is joined per desk on (desk_id, starts_at): one index seek per desk in scope.
    current = and_(DutyShift.desk_id == DutyDesk.id, DutyShift.starts_at <= now,
                   DutyShift.starts_at > now - MAX_SHIFT, DutyShift.ends_at > now)
    stmt = (scoped(select(DutyDesk), principal)
            .join(Unit, Unit.id == DutyDesk.unit_id)
            .outerjoin(DutyShift, current)
            .outerjoin(officer, officer.id == DutyShift.officer_id)
            .outerjoin(leader, leader.id == DutyShift.leader_id)
            .with_only_columns(DutyDesk.id, DutyDesk.name, DutyDesk.unit_id, Unit.name, DutyDesk.phone,
                               DutyShift.id, DutyShift.starts_at, DutyShift.ends_at, officer.display_name,
                               officer.phone, leader.display_name, DutyShift.signed_on_at,
                               maintain_column_froms=True)
            .order_by(Unit.path))
    if q:
        stmt = stmt.where(or_(DutyDesk.name.ilike(f"%{q}%"), Unit.name.ilike(f"%{q}%")))
    rows = session.execute(stmt).all()
    # Further officers of the current shifts: one more query, only when some exist.
    more: dict[int, list[str]] = {}
    shift_ids = [r[5] for r in rows if r[5] is not None]
    if shift_ids:
        for shift_id, name in session.execute(
                select(DutyShiftOfficer.shift_id, User.display_name).join(User, User.id == DutyShiftOfficer.user_id)
                .where(DutyShiftOfficer.shift_id.in_(shift_ids)).order_by(DutyShiftOfficer.id)):
            more.setdefault(shift_id, []).append(name)
    return [OnDuty(desk_id=r[0], desk_name=r[1], unit_id=r[2], unit_name=r[3], phone=r[4], shift_id=r[5],
                   starts_at=r[6], ends_at=r[7], officer="、".join([r[8]] * bool(r[8]) + more.get(r[5], [])),
                   officer_phone=r[9] or "", leader=r[10] or "", signed_on_at=r[11]) for r in rows]


def current_shift(session: Session, desk_id: int, at: datetime | None = None) -> DutyShift | None:
    now = at or clock.now()
    return session.scalar(select(DutyShift).where(
        DutyShift.desk_id == desk_id, DutyShift.starts_at <= now, DutyShift.starts_at > now - MAX_SHIFT,
        DutyShift.ends_at > now))


def gaps_statement(session: Session, principal: Principal, *, desk_id: int | None = None) -> Any:
    now = clock.now()
    horizon = now + timedelta(days=defaults.value(session, defaults.GAP_HORIZON))
    stmt = (scoped(select(DutyShift, DutyDesk.name, Unit.name), principal, model=DutyShift)
            .join(DutyDesk, DutyDesk.id == DutyShift.desk_id).join(Unit, Unit.id == DutyDesk.unit_id)
            .where(DutyShift.ends_at > now, DutyShift.starts_at < horizon,
                   or_(DutyShift.officer_id.is_(None), DutyShift.leader_id.is_(None))))
    if desk_id is not None:
        stmt = stmt.where(DutyShift.desk_id == desk_id)
    return stmt.order_by(DutyShift.starts_at, DutyShift.desk_id)


def gaps(session: Session, principal: Principal, *, desk_id: int | None = None, page: int = 1,
         per_page: int = 50) -> tuple[list[Gap], int]:
    stmt = gaps_statement(session, principal, desk_id=desk_id)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.limit(per_page).offset((max(page, 1) - 1) * per_page))
    return [_gap(s, d, u) for s, d, u in rows], int(total)


def _gap(shift: DutyShift, desk_name: str, unit_name: str) -> Gap:
    return Gap(shift_id=shift.id, desk_id=shift.desk_id, desk_name=desk_name, unit_name=unit_name,
               starts_at=shift.starts_at, ends_at=shift.ends_at, no_officer=shift.officer_id is None,
               no_leader=shift.leader_id is None)


def notify_gaps(session: Session, principal: Principal) -> int:
    """The periodic job's work: tell each desk head about gaps not yet reported; returns shifts reported."""
    by_desk: dict[int, list[DutyShift]] = {}
    for shift, _desk, _unit in session.execute(gaps_statement(session, principal)):
        if shift.gap_notified_at is None:
            by_desk.setdefault(shift.desk_id, []).append(shift)
    now = clock.now()
    for desk_id, shifts in by_desk.items():
        desk = session.get_one(DutyDesk, desk_id)
        for shift in shifts:
            shift.gap_notified_at = now
        if desk.head_id is None:
            continue
        listed = "\n".join(_local_text(s.starts_at) for s in shifts)
        notify.notify(session, principal, users=[session.get_one(User, desk.head_id)],
                      subject=gettext("%(desk)s: %(n)s shifts without an officer or a leader") %
                      {"desk": desk.name, "n": len(shifts)}, body=listed, link=f"/duty/gaps?desk_id={desk.id}")
    return sum(len(s) for s in by_desk.values())


def sign_on(session: Session, principal: Principal, shift_id: int) -> DutyShift:
    shift = get_shift(session, principal, shift_id)
    if shift.officer_id != principal.user_id:
        raise PermissionDenied("Only the duty officer of the shift signs on to it.")
    lock_for_change(session, shift)
    if shift.signed_on_at is not None:
        raise Conflict("You have already signed on to this shift.")
    now = clock.now()
    early = timedelta(minutes=defaults.value(session, defaults.SIGNON_EARLY))
    if not shift.starts_at - early <= now < shift.ends_at:
        raise Conflict("Signing on is possible from %(n)s minutes before the shift until its end.",
                       n=int(early.total_seconds() // 60))
    before = audit.snapshot(shift)
    shift.signed_on_at = now
    audit.record(session, principal, action="sign_on", entity_type="duty_shift", entity_id=shift.id,
                 unit_id=shift.unit_id, before=before, after=audit.snapshot(shift))
    return shift


def signed_on_late(shift: DutyShift, limit_minutes: int) -> bool:
    """Signed on within the limit includes the limit itself (N分钟以内 includes N)."""
    if shift.signed_on_at is None:
        return False
    return shift.signed_on_at - shift.starts_at > timedelta(minutes=limit_minutes)


def alert_missing_signons(session: Session, principal: Principal) -> int:
    """The periodic job's work: shifts whose officer has not signed on within the limit after the start
    alert the leader on duty and the head of the parent unit's desk, once per shift."""
    now = clock.now()
    limit = timedelta(minutes=defaults.value(session, defaults.SIGNON_LIMIT))
    stmt = scoped(select(DutyShift), principal).where(
        DutyShift.signed_on_at.is_(None), DutyShift.signon_alerted_at.is_(None),
        DutyShift.starts_at < now - limit, DutyShift.starts_at > now - MAX_SHIFT, DutyShift.ends_at > now)
    count = 0
    for shift in session.scalars(stmt.order_by(DutyShift.id)):
        shift.signon_alerted_at = now
        before_alert = {"signon_alerted_at": None}
        audit.record(session, principal, action="alert", entity_type="duty_shift", entity_id=shift.id,
                     unit_id=shift.unit_id, before=before_alert, after={"signon_alerted_at": now.isoformat()})
        recipients = _alert_recipients(session, shift)
        if recipients:
            desk = session.get_one(DutyDesk, shift.desk_id)
            officer = session.get(User, shift.officer_id) if shift.officer_id else None
            notify.notify(session, principal, users=recipients,
                          subject=gettext("%(desk)s: the duty officer has not signed on") % {"desk": desk.name},
                          body=gettext("Shift from %(start)s; duty officer: %(name)s.") % {
                              "start": _local_text(shift.starts_at),
                              "name": officer.display_name if officer else gettext("nobody")},
                          link=f"/duty/desks/{desk.id}")
        count += 1
    return count


def _alert_recipients(session: Session, shift: DutyShift) -> list[User]:
    ids: list[int] = []
    if shift.leader_id is not None:
        ids.append(shift.leader_id)
    unit = session.get_one(Unit, shift.unit_id)
    if unit.parent_id is not None:
        head = session.scalar(select(DutyDesk.head_id).where(DutyDesk.unit_id == unit.parent_id))
        if head is not None and head not in ids:
            ids.append(head)
    return [session.get_one(User, i) for i in ids]


def month_grid(session: Session, principal: Principal, desk_id: int, year: int,
               month: int) -> tuple[list[date], dict[date, list[DutyShift]]]:
    """The local dates of a month and the desk's shifts on each (for the month view)."""
    first = date(year, month, 1)
    nxt = date(year + month // 12, month % 12 + 1, 1)
    zone = local_zone()
    shifts = list_shifts(session, principal, desk_id, at_local(first, 0, zone), at_local(nxt, 0, zone))
    days = [first + timedelta(days=i) for i in range((nxt - first).days)]
    grid: dict[date, list[DutyShift]] = {d: [] for d in days}
    for shift in shifts:
        grid.setdefault(shift.local_date, []).append(shift)
    return days, grid


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).all())


def shifts_of_user(session: Session, principal: Principal, user_id: int, start: datetime,
                   end: datetime) -> list[tuple[DutyShift, str]]:
    stmt = (scoped(select(DutyShift, DutyDesk.name), principal, model=DutyShift)
            .join(DutyDesk, DutyDesk.id == DutyShift.desk_id)
            .where(or_(DutyShift.officer_id == user_id, DutyShift.leader_id == user_id),
                   and_(DutyShift.starts_at < end, DutyShift.ends_at > start)))
    return [(s, n) for s, n in session.execute(stmt.order_by(DutyShift.starts_at))]

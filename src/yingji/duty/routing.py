"""Routing to the duty desk: what is addressed to a unit reaches the person on duty there, now.

An incident report, a warning or an alarm addressed to a unit goes to the duty desk of that unit or of
its nearest ancestor that keeps one, and there to the officer(s) of the current shift (inbox and mail),
each delivery a :class:`DutyDispatch` row. Whoever deals with it acknowledges it (or the module that
owns the thing does, e.g. when a report is signed for); what is still unacknowledged when the desk's
limit has passed is escalated once to the leader on duty (job ``duty.dispatch``). With nobody on
shift, the desk head is told at once. ``leaders=True`` (level II and above) calls the leader at once too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, notify, roles
from yingji.core.models import Unit, User
from yingji.core.scope import Principal, get_scoped, scoped
from yingji.duty import defaults
from yingji.duty.models import DutyDesk, DutyDispatch, DutyMember, DutyShift, DutyShiftOfficer
from yingji.duty.service import current_shift
from yingji.errors import Conflict, PermissionDenied
from yingji.i18n import N_, gettext

KIND_LABELS = {"incident_report": N_("Incident report"), "warning": N_("Early warning"),
               "sensor_alarm": N_("Sensor alarm"), "finding": N_("Hidden hazard"), "other": N_("Other")}
ROLE_LABELS = {"officer": N_("Duty officer"), "leader": N_("Leader on duty"), "head": N_("Desk head")}


@dataclass
class OnDutyPeople:
    desk: DutyDesk | None = None
    shift: DutyShift | None = None
    officers: list[User] = field(default_factory=list)
    leader: User | None = None


def desk_of(session: Session, unit_id: int) -> DutyDesk | None:
    """The desk of the unit, else of its nearest ancestor that keeps one."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        return None
    chain = [int(part) for part in unit.path.strip("/").split("/") if part]
    desks = {d.unit_id: d for d in session.scalars(select(DutyDesk).where(DutyDesk.unit_id.in_(chain)))}
    for ancestor in reversed(chain):
        if ancestor in desks:
            return desks[ancestor]
    return None


def on_duty(session: Session, unit_id: int) -> OnDutyPeople:
    """Who is on duty now for the unit: its desk, the current shift, the officers and the leader."""
    desk = desk_of(session, unit_id)
    if desk is None:
        return OnDutyPeople()
    shift = current_shift(session, desk.id)
    if shift is None:
        return OnDutyPeople(desk=desk)
    ids = [shift.officer_id] if shift.officer_id else []
    ids += [i for i in session.scalars(select(DutyShiftOfficer.user_id).where(DutyShiftOfficer.shift_id == shift.id)
                                       .order_by(DutyShiftOfficer.id)) if i not in ids]
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    leader = session.get(User, shift.leader_id) if shift.leader_id else None
    return OnDutyPeople(desk=desk, shift=shift, officers=[users[i] for i in ids if i in users and users[i].is_active],
                        leader=leader if leader is not None and leader.is_active else None)


def dispatch(session: Session, principal: Principal, *, unit_id: int, kind: str, ref_id: int, subject: str,
             link: str, leaders: bool = False) -> list[DutyDispatch]:
    """Address something to the desk responsible for ``unit_id``; returns the rows made ([] if no desk)."""
    people = on_duty(session, unit_id)
    if people.desk is None:
        return []
    desk = people.desk
    targets: list[tuple[User, str]] = [(u, "officer") for u in people.officers]
    if leaders and people.leader is not None:
        targets.append((people.leader, "leader"))
    if not targets:  # nobody on shift: the desk head must know now, and the leader when there is one
        head = session.get(User, desk.head_id) if desk.head_id else None
        if head is not None:
            targets.append((head, "head"))
        if people.leader is not None and not leaders:
            targets.append((people.leader, "leader"))
    return [_send(session, principal, desk, kind, ref_id, subject, link, user, role,
                  people.shift.id if people.shift else None) for user, role in targets]


def _send(session: Session, principal: Principal, desk: DutyDesk, kind: str, ref_id: int, subject: str, link: str,
          user: User, role: str, shift_id: int | None, escalation_of: DutyDispatch | None = None) -> DutyDispatch:
    row = DutyDispatch(desk_id=desk.id, unit_id=desk.unit_id, kind=kind, ref_id=ref_id, subject=subject[:300],
                       link=link[:300], user_id=user.id, role=role, shift_id=shift_id, sent_at=clock.now(),
                       escalation_of_id=escalation_of.id if escalation_of else None)
    session.add(row)
    session.flush()
    audit.record(session, principal, action="dispatch", entity_type="duty_dispatch", entity_id=row.id,
                 unit_id=desk.unit_id, after=audit.snapshot(row))
    prefix = gettext("Not acknowledged: ") if escalation_of is not None else ""
    notify.notify(session, principal, users=[user], subject=f"{prefix}{subject}",
                  body=gettext("Acknowledge it on the duty page: %(link)s") % {"link": "/duty/dispatches"},
                  link=link or "/duty/dispatches")
    return row


def _open_rows(kind: str, ref_id: int) -> Any:
    return (DutyDispatch.kind == kind) & (DutyDispatch.ref_id == ref_id) & DutyDispatch.acknowledged_at.is_(None)


def acknowledge_ref(session: Session, principal: Principal, *, kind: str, ref_id: int) -> int:
    """The thing has been dealt with (e.g. the report signed for): every open row for it is acknowledged."""
    rows = list(session.scalars(select(DutyDispatch).where(_open_rows(kind, ref_id))))
    now = clock.now()
    for row in rows:
        before = audit.snapshot(row)
        row.acknowledged_at = now
        row.acknowledged_by_id = principal.user_id
        audit.record(session, principal, action="acknowledge", entity_type="duty_dispatch", entity_id=row.id,
                     unit_id=row.unit_id, before=before, after=audit.snapshot(row))
    return len(rows)


def acknowledge(session: Session, principal: Principal, dispatch_id: int) -> DutyDispatch:
    """Acknowledged by the person it reached, or by anyone who may write for the desk's unit."""
    row = get_scoped(session, principal, DutyDispatch, dispatch_id)
    if row.user_id != principal.user_id and not principal.can(roles.WRITE):
        is_member = session.scalar(select(DutyMember.id).where(DutyMember.desk_id == row.desk_id,
                                                               DutyMember.user_id == principal.user_id))
        if is_member is None:
            raise PermissionDenied("Only the people of the desk acknowledge what reached it.")
    if row.acknowledged_at is not None:
        raise Conflict("This has already been acknowledged.")
    acknowledge_ref(session, principal, kind=row.kind, ref_id=row.ref_id)
    return row


def escalate_due(session: Session, principal: Principal) -> int:
    """The periodic job's work: officers' rows unacknowledged past the limit go to the leader on duty (once)."""
    now = clock.now()
    limit = timedelta(minutes=defaults.value(session, defaults.DISPATCH_ACK_LIMIT))
    due = list(session.scalars(select(DutyDispatch).where(
        DutyDispatch.acknowledged_at.is_(None), DutyDispatch.escalated_at.is_(None),
        DutyDispatch.role == "officer", DutyDispatch.sent_at < now - limit).order_by(DutyDispatch.id)))
    done: set[tuple[str, int, int]] = set()
    for row in due:
        session.execute(update(DutyDispatch).where(DutyDispatch.id == row.id).values(escalated_at=now))
        key = (row.kind, row.ref_id, row.desk_id)
        if key in done:
            continue
        done.add(key)
        desk = session.get_one(DutyDesk, row.desk_id)
        people = on_duty(session, desk.unit_id)
        leader = people.leader or (session.get(User, desk.head_id) if desk.head_id else None)
        already = session.scalar(select(DutyDispatch.id).where(
            DutyDispatch.kind == row.kind, DutyDispatch.ref_id == row.ref_id, DutyDispatch.desk_id == row.desk_id,
            DutyDispatch.role.in_(("leader", "head"))))
        if leader is None or already is not None:
            continue
        _send(session, principal, desk, row.kind, row.ref_id, row.subject, row.link, leader,
              "leader" if people.leader else "head", row.shift_id, escalation_of=row)
    return len(done)


def list_statement(principal: Principal, *, status: str = "", kind: str = "", mine: bool = False) -> Any:
    stmt = scoped(select(DutyDispatch, DutyDesk.name, User.display_name), principal, model=DutyDispatch).join(
        DutyDesk, DutyDesk.id == DutyDispatch.desk_id).outerjoin(User, User.id == DutyDispatch.user_id)
    if status == "open":
        stmt = stmt.where(DutyDispatch.acknowledged_at.is_(None))
    elif status == "acknowledged":
        stmt = stmt.where(DutyDispatch.acknowledged_at.is_not(None))
    elif status == "escalated":
        stmt = stmt.where(DutyDispatch.escalated_at.is_not(None))
    if kind:
        stmt = stmt.where(DutyDispatch.kind == kind)
    if mine:
        stmt = stmt.where(DutyDispatch.user_id == principal.user_id)
    return stmt.order_by(DutyDispatch.sent_at.desc(), DutyDispatch.id.desc())

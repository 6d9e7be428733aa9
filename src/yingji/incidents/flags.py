"""Flags for a person to decide on, each with its evidence.

- late (迟报): a first report filed after its limit, a desk that had not signed/forwarded within its limit, or an
  ongoing event with no follow-up (续报) within the interval its level asks for (rule ``followup.per_day.N``);
- missed (漏报): an event known from another source with no report from the responsible unit inside the limit;
- signals for review as concealed or false (瞒报/谎报): the level raised after the first report, deaths or
  serious injuries revised upward by the threshold or more, a first report filed only after the level above
  asked. These are signals, not findings: a person confirms or dismisses each, with a note.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, notify, roles
from yingji.core.models import User
from yingji.core.scope import Principal, get_scoped
from yingji.db import lock_for_change
from yingji.duty import routing
from yingji.errors import Conflict, PermissionDenied
from yingji.i18n import N_, gettext
from yingji.incidents import defaults
from yingji.incidents.models import Event, EventQuery, Flag, Hop, Report

REVIEW_KINDS = ("level_raised", "casualties_revised", "after_query")
FLAG_LABELS = {
    "late": N_("Late report (迟报)"),
    "missed": N_("Missed report (漏报)"),
    "level_raised": N_("Signal for review: level raised after the first report"),
    "casualties_revised": N_("Signal for review: casualties revised upward"),
    "after_query": N_("Signal for review: first report filed only after the level above asked"),
}

EVIDENCE_LABELS = {
    "report_id": N_("report"), "first_report_id": N_("first report"), "occurred_at": N_("occurred at"),
    "reported_at": N_("reported at"), "late_by_seconds": N_("late by (seconds)"),
    "limit_seconds": N_("limit (seconds)"),
    "asked_at": N_("asked at"), "first_level": N_("level in the first report"), "level": N_("level now"),
    "field": N_("figure"), "first": N_("in the first report"), "now": N_("now"), "threshold": N_("threshold"),
    "known_from": N_("known from"), "known_at": N_("known at"), "deadline": N_("deadline"),
    "checked_at": N_("checked at"), "hop_id": N_("hop"), "stage": N_("desk"), "received_at": N_("received at"),
    "due_at": N_("due at"), "done_at": N_("done at"), "query_id": N_("query"), "asked_by": N_("asked by"),
    "interval_seconds": N_("follow-up interval (seconds)"),
}


def _raise(session: Session, principal: Principal, event: Event, *, kind: str, ref: str, unit_id: int,
           evidence: dict[str, Any]) -> Flag | None:
    """A flag once per (event, kind, ref); the event's flag columns follow."""
    exists = session.scalar(select(Flag.id).where(Flag.event_id == event.id, Flag.kind == kind, Flag.ref == ref))
    if exists is not None:
        return None
    row = Flag(event_id=event.id, unit_id=unit_id, kind=kind, ref=ref, evidence=evidence, raised_at=clock.now())
    session.add(row)
    session.flush()
    audit.record(session, principal, action="flag", entity_type="incident_flag", entity_id=row.id,
                 unit_id=unit_id, after=audit.snapshot(row))
    _mark(event, kind, True)
    return row


def _mark(event: Event, kind: str, value: bool) -> None:
    if kind == "late":
        event.flag_late = value
    elif kind == "missed":
        event.flag_missed = value
    else:
        event.flag_review = value


def _iso(value: datetime) -> str:
    return value.isoformat()


# --- on a new report -----------------------------------------------------------------------------------------

def on_report(session: Session, principal: Principal, event: Event, report: Report, first: Report | None,
              rules: defaults.Rules) -> None:
    if report.late_by:
        _raise(session, principal, event, kind="late", ref=f"report:{report.id}", unit_id=report.unit_id,
               evidence={"report_id": report.id, "occurred_at": _iso(event.occurred_at),
                         "reported_at": _iso(report.reported_at), "late_by_seconds": report.late_by,
                         "limit_seconds": rules.limit("report", report.level or report.suggested_level or 4)})
    if report.kind == "first":
        _after_query(session, principal, event, report)
    if first is None or report.kind == "first":
        return
    base = first.level or first.suggested_level
    now_level = report.level or report.suggested_level
    if base is not None and now_level is not None and now_level < base:
        _raise(session, principal, event, kind="level_raised", ref=f"report:{report.id}", unit_id=first.unit_id,
               evidence={"first_report_id": first.id, "first_level": base, "report_id": report.id,
                         "level": now_level})
    _revised(session, principal, event, report, first, rules)


def _after_query(session: Session, principal: Principal, event: Event, report: Report) -> None:
    """A first report filed at or after a query from above (the earliest one counts): the event recorded as
    known from a query, or a query (核报) made on it before the report."""
    evidence: dict[str, Any] | None = None
    if event.known_from == "query_from_above":
        evidence = {"asked_at": _iso(event.known_at)}
    if event.known_from != "report":  # an event made with its first report cannot have been asked about
        asked = session.scalar(select(EventQuery).where(EventQuery.event_id == event.id,
                                                        EventQuery.asked_at <= report.reported_at)
                               .order_by(EventQuery.asked_at, EventQuery.id).limit(1))
        if asked is not None and (evidence is None or asked.asked_at < event.known_at):
            evidence = {"query_id": asked.id, "asked_at": _iso(asked.asked_at), "asked_by": asked.asked_by_name}
    if evidence is not None:
        _raise(session, principal, event, kind="after_query", ref=f"report:{report.id}", unit_id=report.unit_id,
               evidence={"report_id": report.id, **evidence, "reported_at": _iso(report.reported_at)})


def _revised(session: Session, principal: Principal, event: Event, report: Report, first: Report,
             rules: defaults.Rules) -> None:
    for key, field in ((defaults.FLAG_DEATHS, "deaths"), (defaults.FLAG_INJURED, "seriously_injured")):
        threshold = rules.value(key)
        before, after = int(getattr(first, field)), int(getattr(report, field))
        if after - before >= threshold:
            _raise(session, principal, event, kind="casualties_revised", ref=f"report:{report.id}:{field}",
                   unit_id=first.unit_id,
                   evidence={"field": field, "first_report_id": first.id, "first": before, "report_id": report.id,
                             "now": after, "threshold": threshold})


# --- missed ----------------------------------------------------------------------------------------------------

def check_missed(session: Session, principal: Principal, event: Event, rules: defaults.Rules,
                 now: datetime) -> bool:
    """Missed once the limit for the first report has passed with none (at the limit itself it is not)."""
    if event.first_report_at is not None or event.flag_missed or event.known_from == "report":
        return False
    limit = rules.limit("report", event.level or event.suggested_level or 4)
    deadline = event.occurred_at + timedelta(seconds=limit)
    if now <= deadline:
        return False
    flag = _raise(session, principal, event, kind="missed", ref="", unit_id=event.unit_id,
                  evidence={"known_from": event.known_from, "known_at": _iso(event.known_at),
                            "occurred_at": _iso(event.occurred_at), "limit_seconds": limit,
                            "deadline": _iso(deadline), "checked_at": _iso(now)})
    event.missed_checked_at = now
    if flag is not None:
        _tell_desk(session, principal, event.unit_id, gettext("Missed report (漏报): %(title)s") %
                   {"title": event.title}, f"/incidents/{event.id}")
    return flag is not None


def mark_missed_due(session: Session, principal: Principal) -> int:
    now = clock.now()
    rules = defaults.rules(session)
    events = session.scalars(select(Event).where(Event.first_report_at.is_(None), Event.flag_missed.is_(False),
                                                 Event.known_from != "report").order_by(Event.id).limit(1000))
    return sum(1 for event in list(events) if check_missed(session, principal, event, rules, now))


# --- follow-ups due ---------------------------------------------------------------------------------------------

def followup_interval(rules: defaults.Rules, level: int) -> int:
    """Seconds between reports while an event is ongoing: a day divided by the follow-ups a day its level asks."""
    return 86400 // max(rules.value(f"followup.per_day.{level}"), 1)


def followup_overdue(session: Session, principal: Principal, event: Event, latest: Report, rules: defaults.Rules,
                     now: datetime) -> bool:
    """Late (once per latest report) when the event is still open and nothing was reported within the interval
    after its latest report; at the end of the interval itself it is not late."""
    if event.status != "open":
        return False
    level = event.level or event.suggested_level or 4
    interval = followup_interval(rules, level)
    due = latest.reported_at + timedelta(seconds=interval)
    if now <= due:
        return False
    flag = _raise(session, principal, event, kind="late", ref=f"followup:{latest.id}", unit_id=event.unit_id,
                  evidence={"report_id": latest.id, "reported_at": _iso(latest.reported_at),
                            "interval_seconds": interval, "due_at": _iso(due), "checked_at": _iso(now),
                            "late_by_seconds": int((now - due).total_seconds())})
    if flag is None:
        return False
    _tell_desk(session, principal, event.unit_id, gettext("Follow-up report (续报) overdue: %(title)s") %
               {"title": event.title}, f"/incidents/{event.id}")
    return True


def mark_followups_due(session: Session, principal: Principal) -> int:
    """The periodic job: open events whose latest report is older than their follow-up interval are marked late
    and the desk told, once per latest report."""
    now = clock.now()
    rules = defaults.rules(session)
    shortest = min(followup_interval(rules, level) for level in (1, 2, 3, 4))
    latest = (select(Report.event_id, func.max(Report.seq).label("seq")).join(Event, Event.id == Report.event_id)
              .where(text("incident_events.status = 'open'"), Event.report_count > 0).group_by(Report.event_id)
              .subquery())
    rows = session.execute(select(Event, Report).join(latest, latest.c.event_id == Event.id)
                           .join(Report, (Report.event_id == latest.c.event_id) & (Report.seq == latest.c.seq))
                           .where(Report.reported_at < now - timedelta(seconds=shortest))
                           .order_by(Event.id).limit(1000)).all()
    return sum(1 for event, report in rows if followup_overdue(session, principal, event, report, rules, now))


# --- late hops -------------------------------------------------------------------------------------------------

def late_if_past(session: Session, principal: Principal, hop: Hop, now: datetime) -> bool:
    """Mark the hop late (once) when its obligation was met after, or is still open past, its limit."""
    if hop.late_at is not None:
        return False
    reference = hop.done_at or now
    if reference <= hop.due_at:
        return False
    hop.late_at = now
    event = session.get_one(Event, hop.event_id)
    over = int((reference - hop.due_at).total_seconds())
    _raise(session, principal, event, kind="late", ref=f"hop:{hop.id}", unit_id=hop.unit_id,
           evidence={"hop_id": hop.id, "stage": hop.stage, "received_at": _iso(hop.received_at),
                     "due_at": _iso(hop.due_at), "limit_seconds": hop.limit_seconds,
                     "done_at": _iso(hop.done_at) if hop.done_at else None, "late_by_seconds": over})
    _tell_desk(session, principal, hop.unit_id, gettext("Late (迟报): %(title)s — the limit has passed") %
               {"title": event.title}, f"/incidents/{event.id}")
    return True


def mark_late_due(session: Session, principal: Principal) -> int:
    """The periodic job: open hops past their limit are marked late and the desk told, once."""
    now = clock.now()
    hops = list(session.scalars(select(Hop).where(Hop.done_at.is_(None), Hop.late_at.is_(None), Hop.due_at < now)
                                .order_by(Hop.id).limit(1000)))
    return sum(1 for hop in hops if late_if_past(session, principal, hop, now))


def _tell_desk(session: Session, principal: Principal, unit_id: int, subject: str, link: str,
               also: list[User] | None = None) -> None:
    people = routing.on_duty(session, unit_id)
    users: list[User] = list(people.officers)
    if people.leader is not None and people.leader not in users:
        users.append(people.leader)
    if not users and people.desk is not None and people.desk.head_id:
        head = session.get(User, people.desk.head_id)
        if head is not None:
            users.append(head)
    users += [u for u in also or [] if u not in users]
    if users:
        notify.notify(session, principal, users=users, subject=subject, body=subject, link=link)


# --- decisions -------------------------------------------------------------------------------------------------

def decide(session: Session, principal: Principal, flag_id: int, status: str, note: str) -> Flag:
    """A person confirms or dismisses a flag; the unit flagged does not judge itself."""
    flag = get_scoped(session, principal, Flag, flag_id, roles.WRITE)
    if not principal.is_global and principal.unit_id == flag.unit_id:
        raise PermissionDenied("The unit a flag concerns does not decide on it; the level above does.")
    lock_for_change(session, flag)
    if flag.status != "open":
        raise Conflict("This flag has already been decided.")
    before = audit.snapshot(flag)
    flag.status, flag.decision_note = status, note.strip()
    flag.decided_by_id, flag.decided_at = principal.user_id, clock.now()
    event = session.get_one(Event, flag.event_id)
    session.flush()
    _refresh(session, event)
    audit.record(session, principal, action="decide", entity_type="incident_flag", entity_id=flag.id,
                 unit_id=flag.unit_id, before=before, after=audit.snapshot(flag))
    return flag


def _refresh(session: Session, event: Event) -> None:
    kinds = set(session.scalars(select(Flag.kind).where(Flag.event_id == event.id, Flag.status != "dismissed")))
    event.flag_late = "late" in kinds
    event.flag_missed = "missed" in kinds
    event.flag_review = bool(kinds & set(REVIEW_KINDS))

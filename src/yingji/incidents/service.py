"""Incident information reporting: events, their immutable reports, and the hops up the tree.

A report from a village, township, enterprise or department lands at the duty desk of the responsible
county (its nearest county-level ancestor); the desk signs for it (签收) and forwards it (上报) to the
prefecture, which signs for it and forwards it toward the region (an export). Every hop has a limit
taken from the rules by level; flags (late, missed, signals of concealment) live in :mod:`flags`.
"""

from __future__ import annotations

import asyncio
import fcntl
import math
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, func, or_, select, text, true, union_all, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, aliased

from yingji import clock
from yingji.core import audit, roles
from yingji.core.models import Attachment, Unit, User
from yingji.core.scope import (
    Place,
    Principal,
    get_scoped,
    in_subtree,
    lineage,
    place_in_scope,
    places,
    recheck,
    scoped,
    unit_in_scope,
)
from yingji.db import insert_now, lock_for_change, on_commit
from yingji.duty import routing
from yingji.errors import Conflict, NotFound, PermissionDenied, UserError
from yingji.i18n import gettext
from yingji.incidents import defaults, flags
from yingji.incidents.models import Event, EventQuery, Flag, Hop, IncidentCategory, Report
from yingji.incidents.schemas import KNOWN_FROM, EventCreate, ReportCreate, ReportFields

COUNTY_KINDS = ("county", "zone")
DISPATCH_KIND = "incident_report"
LIST_COUNT_CAP = 1_000


# --- reading ---------------------------------------------------------------------------------------------

def get_event(session: Session, principal: Principal, event_id: int, action: str = roles.READ) -> Event:
    """The event if the principal may see it (and do ``action``); NotFound otherwise."""
    return get_scoped(session, principal, Event, event_id, action)


def get_report(session: Session, principal: Principal, report_id: int) -> Report:
    return get_scoped(session, principal, Report, report_id)


def get_hop(session: Session, principal: Principal, hop_id: int, action: str = roles.READ) -> Hop:
    return get_scoped(session, principal, Hop, hop_id, action)


def reports_of(session: Session, event: Event) -> list[Report]:
    return list(session.scalars(select(Report).where(Report.event_id == event.id).order_by(Report.seq)))


def hops_of(session: Session, event: Event) -> list[Hop]:
    return list(session.scalars(select(Hop).where(Hop.event_id == event.id).order_by(Hop.id)))


def effective_level(level: int | None, suggested: int | None) -> int:
    """The level limits are taken for: the one given, else the suggested one, else IV."""
    return level or suggested or 4


# --- the tree ----------------------------------------------------------------------------------------------

@dataclass
class Desks:
    county: Place | None
    prefecture: Place | None


def desks_for(session: Session, unit_id: int) -> Desks:
    """The county (or zone) and the prefecture above a unit, from the tree this process keeps."""
    units = lineage(session, unit_id)
    if not units:
        raise NotFound("Not found, or not within your area.")
    county = next((u for u in reversed(units) if u.kind in COUNTY_KINDS), None)
    prefecture = next((u for u in units if u.kind == "prefecture"), None)
    return Desks(county=county, prefecture=prefecture)


def _is_within(path: str, ancestor: Place) -> bool:
    return path.startswith(ancestor.path)


# --- checks ------------------------------------------------------------------------------------------------

def check_classification(session: Session, category: str, subtype: str) -> IncidentCategory:
    cats = defaults.categories(session)
    top = cats.get(category)
    if top is None or top.parent_code is not None:
        raise UserError("Unknown category of event.", field="category")
    sub = cats.get(subtype)
    if sub is None or not (subtype == category or subtype.startswith(category + ".")):
        raise UserError("Unknown subtype for this category.", field="subtype")
    return sub


def check_occurred(occurred_at: datetime, now: datetime) -> None:
    if occurred_at > now:
        raise UserError("The time it happened lies in the future.", field="occurred_at")


def figures_of(source: Any) -> dict[str, int]:
    values = {name: int(getattr(source, name) or 0) for name in
              ("deaths", "injured", "seriously_injured", "missing", "evacuated", "direct_loss")}
    values["dead_missing"] = values["deaths"] + values["missing"]
    return values


def suggest_level(session: Session, rules: defaults.Rules, subtype: str, source: Any) -> int | None:
    """The level the grading thresholds give for the figures (any criterion; the highest reached), or None
    when the subtype has no grading table."""
    sub = defaults.categories(session).get(subtype)
    if sub is None or not sub.grading:
        return None
    values = figures_of(source)
    reached = [int(r.level or 4) for r in rules.grades(sub.grading)
               if r.criterion in values and values[r.criterion] >= r.value]
    return min(reached) if reached else 4


def check_level(level: int | None, suggested: int | None, reason: str) -> None:
    if level is not None and suggested is not None and level != suggested and not reason.strip():
        raise UserError("The level differs from the one the figures suggest: give the reason.", field="level_reason")


# --- one writer at a time (SQLite) ------------------------------------------------------------------------

GATE_WAIT = 5.0  # seconds a submission waits for the gate before going on (SQLite's own lock still holds)
GATE_POLL = 0.0005  # seconds between tries for the gate file of the other processes
_write_gate = threading.Lock()
_gate_files: dict[str, int] = {}
_loop_queues: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()


def _gate_file(session: Session) -> int | None:
    """This process's handle on the database's gate file (one per database file), or None in memory."""
    bind = session.get_bind()
    path = (bind if isinstance(bind, Engine) else bind.engine).url.database
    if not path or path == ":memory:":
        return None
    if path not in _gate_files:
        _gate_files[path] = os.open(f"{path}-incidents-gate", os.O_RDWR | os.O_CREAT, 0o600)
    return _gate_files[path]


def _gate_needed(session: Session) -> bool:
    """SQLite, and neither the gate nor the database's write lock held by this transaction yet: one that has
    written already (a token's use noted) holds the lock, and waiting for a gate whose holder is waiting for
    that lock would hold both up."""
    if "incident_gate" in session.info or session.get_bind().dialect.name != "sqlite":
        return False
    return not session.connection().connection.driver_connection.in_transaction  # type: ignore[union-attr]


def _try_gate_file(session: Session) -> int | None:
    """The gate file taken (its handle), -1 in memory (no file), or None: another process holds it."""
    fd = _gate_file(session)
    if fd is None:
        return -1
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return None
    return fd


def enter_write(session: Session) -> None:
    """On SQLite one transaction writes at a time. Submissions queue at a gate — a lock among this process's
    threads, then a lock on a file beside the database among the processes — taken just before their first
    write and held until the transaction ends. Waiting there is woken at once (the file tried every half
    millisecond), where waiting on SQLite's own lock sleeps 1, 2, 5 … up to 100 ms between tries, which
    under a burst leaves the database idle while writers sleep. PostgreSQL writes concurrently: no gate."""
    if not _gate_needed(session):
        return
    deadline = time.monotonic() + GATE_WAIT
    if not _write_gate.acquire(timeout=GATE_WAIT):
        return
    while (fd := _try_gate_file(session)) is None:
        if time.monotonic() > deadline:
            fd = -1  # go on without it: SQLite's own lock still holds
            break
        time.sleep(GATE_POLL)
    session.info["incident_gate"] = fd


async def await_write_gate(session: Session) -> None:
    """:func:`enter_write` for a submission run on the event loop: the gate is awaited, so the loop serves
    other requests while the other processes write, and is taken before the submission's first read."""
    if not _gate_needed(session):
        return
    loop = asyncio.get_running_loop()
    queue = _loop_queues.get(loop)
    if queue is None:
        queue = _loop_queues[loop] = asyncio.Lock()
    deadline = time.monotonic() + GATE_WAIT
    async with queue:  # the loop's submissions try the gate one at a time; the others wait without polling
        while not _write_gate.acquire(blocking=False):
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(GATE_POLL)
        while (fd := _try_gate_file(session)) is None:
            if time.monotonic() > deadline:
                fd = -1
                break
            await asyncio.sleep(GATE_POLL)
        session.info["incident_gate"] = fd


def write_lock_now(session: Session) -> bool:
    """SQLite: take the database's write lock at once, without waiting (BEGIN IMMEDIATE under a zero busy
    timeout), for a transaction that holds none yet. True when this transaction holds it now (or already
    did); False when another writer holds it — a transaction outside the gate (another module's change) —
    and whoever runs this transaction on must be ready to wait for it. Other databases: True."""
    if session.get_bind().dialect.name != "sqlite":
        return True
    driver = session.connection().connection.driver_connection
    if driver.in_transaction:  # type: ignore[union-attr]
        return True
    cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        busy_ms = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
        cursor.execute("PRAGMA busy_timeout = 0")
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # locked by another writer
            return False
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_ms):d}")
        return True
    finally:
        cursor.close()


@sa_event.listens_for(Session, "after_transaction_end")
def _leave_write(session: Session, transaction: Any) -> None:
    if transaction.parent is not None or "incident_gate" not in session.info:
        return
    fd = session.info.pop("incident_gate")
    try:
        if fd >= 0:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        _write_gate.release()


# --- writing: events and reports -------------------------------------------------------------------------

@dataclass
class Submission:
    event: Event
    report: Report
    hop: Hop | None


def create_event(session: Session, principal: Principal, data: EventCreate) -> Submission:
    """A new event with its first report (首报)."""
    principal.require(roles.REPORT)
    unit_id = data.unit_id or principal.unit_id
    if unit_id is None:
        raise UserError("Choose the unit where it happened.", field="unit_id")
    place = place_in_scope(session, principal, unit_id, roles.REPORT)
    now = clock.now()
    check_occurred(data.occurred_at, now)
    check_classification(session, data.category, data.subtype)
    rules = defaults.rules(session)
    suggested = suggest_level(session, rules, data.subtype, data)
    check_level(data.level, suggested, data.level_reason)
    # Everything is read before the first write: the write transaction (and, on SQLite, the database's
    # single writer lock) then lasts only as long as the inserts.
    desks = desks_for(session, place.id)
    enter_write(session)
    # Its unit is the one just found in scope (recheck() would read the same row again). It is written with
    # its first report's figures, in _file.
    event = Event(unit_id=place.id, title=data.title, category=data.category, subtype=data.subtype,
                  level=data.level, suggested_level=suggested, status="open", occurred_at=data.occurred_at,
                  lon=data.lon, lat=data.lat, address=data.address or "", description=data.description,
                  known_from="report", known_at=data.occurred_at, recorded_by_id=principal.user_id,
                  report_count=0)
    return _file(session, principal, event, data, kind="first", corrects=None, rules=rules, now=now, desks=desks)


def record_known_event(session: Session, principal: Principal, *, unit_id: int, occurred_at: datetime,
                       category: str, subtype: str, title: str, description: str, known_from: str,
                       lon: float | None = None, lat: float | None = None, address: str = "") -> Event:
    """An event known from another source (a verified public tip, a department, media monitoring, a query
    from above) with no report from the responsible unit yet; it is marked missed (漏报) when the limit for
    the first report passes without one."""
    if known_from not in KNOWN_FROM or known_from == "report":
        raise UserError("Unknown source of the event.", field="known_from")
    place = unit_in_scope(session, principal, unit_id, roles.WRITE)
    now = clock.now()
    if occurred_at.tzinfo is None:
        raise UserError("The time it happened needs its time zone.", field="occurred_at")
    check_occurred(occurred_at, now)
    check_classification(session, category, subtype)
    title = title.strip()
    if not title:
        raise UserError("This field may not be empty.", field="title")
    event = Event(unit_id=place.id, title=title[:200], category=category, subtype=subtype, level=None,
                  suggested_level=None, status="open", occurred_at=occurred_at, lon=lon, lat=lat,
                  address=address[:300], description=description, known_from=known_from, known_at=now,
                  recorded_by_id=principal.user_id, report_count=0)
    session.add(event)
    recheck(session, principal, event)
    audit.record(session, principal, action="create", entity_type="incident_event", entity_id=event.id,
                 unit_id=event.unit_id, after=audit.snapshot(event))
    flags.check_missed(session, principal, event, defaults.rules(session), now)
    return event


def add_report(session: Session, principal: Principal, event_id: int, data: ReportCreate) -> Submission:
    """A later report on an event (or the first one of an event known from elsewhere)."""
    event = get_event(session, principal, event_id, roles.REPORT)
    if event.status == "closed":
        raise Conflict("This event is closed by its final report; no more reports are accepted.")
    now = clock.now()
    kind = data.kind
    if event.report_count == 0:
        if kind not in ("first", "followup"):
            raise UserError("This event has no report yet: file its first report.", field="kind")
        kind = "first"
    elif kind == "first":
        raise UserError("This event already has its first report.", field="kind")
    corrects = None
    if kind == "correction":
        if data.corrects_id is None:
            raise UserError("Say which report this one corrects.", field="corrects_id")
        corrects = session.scalar(select(Report).where(Report.id == data.corrects_id, Report.event_id == event.id))
        if corrects is None:
            raise UserError("That report is not one of this event's.", field="corrects_id")
    if data.occurred_at is not None:
        check_occurred(data.occurred_at, now)
    category = data.category or event.category
    subtype = data.subtype or event.subtype
    if category != event.category or subtype != event.subtype:
        check_classification(session, category, subtype)
    rules = defaults.rules(session)
    desks = desks_for(session, event.unit_id)
    enter_write(session)
    return _file(session, principal, event, data, kind=kind, corrects=corrects, rules=rules, now=now, desks=desks)


def _file(session: Session, principal: Principal, event: Event, data: ReportFields, *, kind: str,
          corrects: Report | None, rules: defaults.Rules, now: datetime, desks: Desks) -> Submission:
    previous = session.scalar(select(Report).where(Report.event_id == event.id).order_by(Report.seq.desc())
                              .limit(1)) if event.report_count else None
    first = session.scalar(select(Report).where(Report.event_id == event.id, Report.seq == 1)) \
        if event.report_count else None
    subtype = data.subtype or event.subtype
    suggested = suggest_level(session, rules, subtype, data)
    level = data.level if data.level is not None else _default_level(previous, suggested)
    check_level(data.level, suggested, data.level_reason)
    reporter_unit_id = principal.unit_id or event.unit_id
    followups = session.scalar(select(func.count()).select_from(Report).where(
        Report.event_id == event.id, Report.kind == "followup")) if kind == "followup" else 0
    report = Report(
        event_id=event.id, unit_id=reporter_unit_id, seq=event.report_count + 1, kind=kind,
        followup_no=(followups or 0) + 1 if kind == "followup" else None,
        corrects_id=corrects.id if corrects is not None else None, reported_at=now,
        occurred_at=data.occurred_at or event.occurred_at, place_unit_id=event.unit_id,
        lon=data.lon if data.lon is not None else event.lon, lat=data.lat if data.lat is not None else event.lat,
        address=data.address if data.address is not None else event.address,
        category=data.category or event.category, subtype=subtype, level=level, suggested_level=suggested,
        level_reason=data.level_reason, deaths=data.deaths, injured=data.injured,
        seriously_injured=data.seriously_injured, missing=data.missing, trapped=data.trapped,
        affected=data.affected, evacuated=data.evacuated, direct_loss=data.direct_loss,
        description=data.description, cause=data.cause, measures=data.measures,
        plan_activated=data.plan_activated, help_requested=data.help_requested,
        reporter_name=data.reporter_name or principal.name, reporter_phone=data.reporter_phone,
        reporter_id=principal.user_id, attachment_ids=list(data.attachment_ids),
        late_by=_late_by(event, rules, effective_level(level, suggested), now) if kind == "first" else None)
    # The rows are written as they are made (insert_now): a submission writes few rows, and the unit of
    # work's flush costs several times their statements. A new event is written with its first report's
    # figures; an event already there is changed through the session.
    before = None
    if event.id is None:
        _apply(event, report, now)
        insert_now(session, event)
        report.event_id = event.id
    else:
        before = audit.snapshot(event)
        _apply(event, report, now)
    insert_now(session, report)
    _claim_attachments(session, principal, report)
    if before is not None:
        _answer_queries(session, event, report)
    flags.on_report(session, principal, event, report, first, rules)
    hop = route(session, principal, event, report, rules, now, desks)
    audit.record(session, principal, action="create", entity_type="incident_report", entity_id=report.id,
                 unit_id=event.unit_id, after=audit.snapshot(report))
    audit.record(session, principal, action="update" if before is not None else "create",
                 entity_type="incident_event", entity_id=event.id, unit_id=event.unit_id, before=before,
                 after=audit.snapshot(event))
    return Submission(event=event, report=report, hop=hop)


def _answer_queries(session: Session, event: Event, report: Report) -> None:
    """The queries from above still open on the event are answered by this report."""
    for query in session.scalars(select(EventQuery).where(EventQuery.event_id == event.id,
                                                          EventQuery.answered_at.is_(None))):
        query.answered_report_id, query.answered_at = report.id, report.reported_at


def _default_level(previous: Report | None, suggested: int | None) -> int | None:
    """Without a level given, the suggested one — never below what an earlier report said."""
    earlier = previous.level if previous is not None else None
    candidates = [x for x in (earlier, suggested) if x is not None]
    return min(candidates) if candidates else None


def _late_by(event: Event, rules: defaults.Rules, level: int, now: datetime) -> int:
    """Seconds past the limit for the first report (0 when on time): reported at the limit is on time."""
    over = (now - event.occurred_at).total_seconds() - rules.limit("report", level)
    return math.ceil(over) if over > 0 else 0


def _apply(event: Event, report: Report, now: datetime) -> None:
    """The event shows what its latest report says."""
    event.report_count = report.seq
    if report.kind == "first":
        event.first_report_at = report.reported_at
    event.level = report.level
    event.suggested_level = report.suggested_level
    event.category, event.subtype = report.category, report.subtype
    event.lon, event.lat, event.address = report.lon, report.lat, report.address
    event.deaths, event.injured, event.missing = report.deaths, report.injured, report.missing
    event.direct_loss = report.direct_loss
    if report.kind == "final":
        event.status, event.closed_at = "closed", report.reported_at


def _claim_attachments(session: Session, principal: Principal, report: Report) -> None:
    for attachment_id in report.attachment_ids:
        row = session.scalars(scoped(select(Attachment), principal).where(Attachment.id == attachment_id)).first()
        if row is None:
            raise UserError("An attached file was not found.", field="attachment_ids")
        if row.entity_type and not (row.entity_type == "incident_report" and row.entity_id == str(report.id)):
            raise UserError("An attached file belongs to another record.", field="attachment_ids")
        if row.uploaded_by_id != principal.user_id and principal.via != "system":
            raise UserError("Attach only files you uploaded yourself.", field="attachment_ids")
        row.entity_type, row.entity_id = "incident_report", str(report.id)


# --- queries from above (核报/询问) ----------------------------------------------------------------------

def can_query(principal: Principal, event: Event, unit: Unit) -> bool:
    """Whether the principal is above the event's unit (the prefecture, or a county over a township) and may
    write: only the level above queries a unit about an event."""
    if not principal.can(roles.WRITE) or event.status != "open":
        return False
    if principal.is_global:
        return True
    return principal.unit_id != unit.id and bool(principal.unit_path) and unit.path.startswith(principal.unit_path)


def query_event(session: Session, principal: Principal, event_id: int, question: str) -> EventQuery:
    """The level above asks the unit responsible for an event it knows of to report on it (核报): recorded with
    its time, the unit's duty desk and the unit's own people told at once. A first report filed after it
    raises the signal "filed only after the level above asked"."""
    event = get_event(session, principal, event_id, roles.WRITE)
    if event.status == "closed":
        raise Conflict("This event is closed by its final report; there is nothing more to ask.")
    unit = session.get_one(Unit, event.unit_id)
    if not can_query(principal, event, unit):
        raise PermissionDenied("Only a level above the unit responsible queries it about an event.")
    question = question.strip()
    if not question:
        raise UserError("This field may not be empty.", field="question")
    row = EventQuery(event_id=event.id, unit_id=event.unit_id, asked_by_unit_id=principal.unit_id,
                     asked_by_id=principal.user_id, asked_by_name=principal.name[:100], asked_at=clock.now(),
                     question=question)
    session.add(row)
    session.flush()
    audit.record(session, principal, action="query", entity_type="incident_query", entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))
    people = list(session.scalars(select(User).where(User.unit_id == event.unit_id, User.is_active.is_(True))
                                  .order_by(User.id).limit(20)))
    subject = gettext("Query from above (核报): report on %(title)s") % {"title": event.title}
    flags._tell_desk(session, principal, event.unit_id, subject, f"/incidents/{event.id}", also=people)
    return row


def queries_of(session: Session, event: Event) -> list[EventQuery]:
    return list(session.scalars(select(EventQuery).where(EventQuery.event_id == event.id).order_by(EventQuery.id)))


# --- the hops up the tree --------------------------------------------------------------------------------

def _must_forward(rules: defaults.Rules, stage: str, level: int) -> bool:
    return level <= rules.value(f"forward.{stage}.max_level")


def route(session: Session, principal: Principal, event: Event, report: Report, rules: defaults.Rules,
          now: datetime, desks: Desks | None = None) -> Hop | None:
    """Where the report lands: the county desk when it comes from below the county, else the prefecture."""
    if desks is None:
        desks = desks_for(session, event.unit_id)
    reporter_id = report.unit_id
    if reporter_id == principal.unit_id and principal.unit_path:
        reporter_path = principal.unit_path
    else:
        reporter_path = places(session, (reporter_id,))[reporter_id].path
    level = effective_level(report.level, report.suggested_level)
    if desks.county is not None and _is_within(reporter_path, desks.county):
        signed = reporter_id == desks.county.id
        return _open_hop(session, principal, event, report, desks.county, reporter_id, "county", level, rules,
                         now, signed)
    if desks.prefecture is not None:
        signed = reporter_id == desks.prefecture.id or principal.is_global
        return _open_hop(session, principal, event, report, desks.prefecture, reporter_id, "prefecture", level,
                         rules, now, signed)
    return None


def _open_hop(session: Session, principal: Principal, event: Event, report: Report, desk_unit: Place,
              from_unit_id: int, stage: str, level: int, rules: defaults.Rules, now: datetime,
              signed: bool) -> Hop:
    limit = rules.limit(stage, level)
    hop = Hop(event_id=event.id, report_id=report.id, unit_id=desk_unit.id, from_unit_id=from_unit_id, stage=stage,
              level=level, must_forward=_must_forward(rules, stage, level), received_at=now,
              due_at=now + timedelta(seconds=limit), limit_seconds=limit)
    if signed:  # the desk reported itself: nobody there needs telling
        hop.signed_at, hop.signed_by_id, hop.signed_by_name = now, principal.user_id, principal.name
        hop.dispatched_at = now
        if not hop.must_forward:
            hop.done_at = now
    insert_now(session, hop)
    audit.record(session, principal, action="create", entity_type="incident_hop", entity_id=hop.id,
                 unit_id=hop.unit_id, after=audit.snapshot(hop))
    if not signed:
        dispatch_after_commit(session)
    return hop


# --- telling the desk (a job after the commit) -------------------------------------------------------------

def dispatch_after_commit(session: Session) -> None:
    """Have the dispatch job tell the desks once this transaction has committed. The report's transaction
    stays short; a lost kick is caught by the job's sweep every minute."""
    on_commit(session, _kick_dispatch)


KICK_EVERY = 0.5  # seconds: under a burst of reports, one kick per half second tells every desk
_kicks = {"last": -1e9, "delayed_until": -1e9}
_kick_lock = threading.Lock()


def _kick_dispatch() -> None:
    from yingji import jobs
    from yingji.incidents import tasks

    now = time.monotonic()
    with _kick_lock:
        if jobs.huey.immediate or now - _kicks["last"] >= KICK_EVERY:
            _kicks["last"], delay = now, 0.0
        elif _kicks["delayed_until"] < now:  # a kick ran moments ago: one more shortly covers this commit
            _kicks["delayed_until"], delay = now + KICK_EVERY, KICK_EVERY
        else:
            return  # a kick already scheduled runs after this commit and sees its hops
    if delay:
        tasks.dispatch_task.schedule(delay=delay)
    else:
        tasks.dispatch_task()


def dispatch_pending(session: Session, principal: Principal, limit: int = 500) -> int:
    """Tell the duty officers (and, for level II and above, the leader on duty) of each desk that received a
    report and has not been told yet; each hop is claimed (compare-and-set) so that it is told once, whichever
    worker runs. A hop already signed for needs no telling. Returns the number of hops dispatched."""
    ids = list(session.scalars(select(Hop.id).where(Hop.dispatched_at.is_(None)).order_by(Hop.id).limit(limit)))
    done = 0
    for hop_id in ids:
        now = clock.now()
        claimed = session.execute(update(Hop).where(Hop.id == hop_id, Hop.dispatched_at.is_(None))
                                  .values(dispatched_at=now).execution_options(synchronize_session=False))
        if not claimed.rowcount:  # type: ignore[attr-defined]
            continue
        hop = session.get_one(Hop, hop_id)
        session.refresh(hop)
        if hop.signed_at is not None or hop.done_at is not None:
            continue
        event = session.get_one(Event, hop.event_id)
        subject = gettext("Incident report to sign for: %(title)s") % {"title": event.title}
        routing.dispatch(session, principal, unit_id=hop.unit_id, kind=DISPATCH_KIND, ref_id=hop.id,
                         subject=subject, link=f"/incidents/{event.id}", leaders=hop.level <= 2)
        done += 1
    return done


def dispatch_waiting(session: Session) -> bool:
    """Whether some hop still waits for its desk to be told."""
    return session.scalar(select(Hop.id).where(Hop.dispatched_at.is_(None)).limit(1)) is not None


def _hop_to_change(session: Session, principal: Principal, hop_id: int) -> Hop:
    """The hop a desk signs for or forwards, held until the transaction ends and read again
    (``lock_for_change``, after the SQLite gate): a double click or two officers at once do it once."""
    hop = get_hop(session, principal, hop_id, roles.WRITE)
    _require_desk(principal, hop)
    enter_write(session)
    lock_for_change(session, hop)
    return hop


def _require_desk(principal: Principal, hop: Hop) -> None:
    if not principal.is_global and principal.unit_id != hop.unit_id:
        raise PermissionDenied("Only the desk that received the report signs for it and forwards it.")


def sign_hop(session: Session, principal: Principal, hop_id: int) -> Hop:
    """The desk signs for the report (签收): the duty routing stops escalating it."""
    hop = _hop_to_change(session, principal, hop_id)
    if hop.signed_at is not None:
        raise Conflict("This report has already been signed for.")
    before = audit.snapshot(hop)
    now = clock.now()
    hop.signed_at, hop.signed_by_id, hop.signed_by_name = now, principal.user_id, principal.name
    if not hop.must_forward:
        hop.done_at = now
        flags.late_if_past(session, principal, hop, now)
    routing.acknowledge_ref(session, principal, kind=DISPATCH_KIND, ref_id=hop.id)
    audit.record(session, principal, action="sign", entity_type="incident_hop", entity_id=hop.id,
                 unit_id=hop.unit_id, before=before, after=audit.snapshot(hop))
    return hop


def forward_hop(session: Session, principal: Principal, hop_id: int, comment: str) -> Hop:
    """The desk forwards the report (上报) with its comment: from a county to the prefecture; from the
    prefecture toward the region, as an export. Returns the hop forwarded."""
    hop = _hop_to_change(session, principal, hop_id)
    if hop.signed_at is None:
        raise Conflict("Sign for the report before forwarding it.")
    if hop.forwarded_at is not None:
        raise Conflict("This report has already been forwarded.")
    before = audit.snapshot(hop)
    now = clock.now()
    hop.forwarded_at, hop.forwarded_by_id, hop.forwarded_by_name = now, principal.user_id, principal.name
    hop.comment = comment.strip()
    if hop.stage == "county":
        desks = desks_for(session, hop.unit_id)
        event = session.get_one(Event, hop.event_id)
        report = session.get_one(Report, hop.report_id)
        if desks.prefecture is None:
            raise Conflict("There is no prefecture above this desk to forward to.")
        _open_hop(session, principal, event, report, desks.prefecture, hop.unit_id, "prefecture", hop.level,
                  defaults.rules(session), now, signed=False)
    else:
        hop.exported = True
    if hop.done_at is None:
        hop.done_at = now
        flags.late_if_past(session, principal, hop, now)
    audit.record(session, principal, action="forward", entity_type="incident_hop", entity_id=hop.id,
                 unit_id=hop.unit_id, before=before, after=audit.snapshot(hop))
    return hop


# --- lists -------------------------------------------------------------------------------------------------

@dataclass
class EventFilter:
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    unit_id: int | None = None
    category: str = ""
    level: int | None = None
    status: str = ""
    flag: str = ""
    q: str = ""


PER_UNIT_MAX = 64  # a place filter over at most this many units is read unit by unit, each newest first
RARE_LEVELS = (1, 2)  # 特别重大 and 重大 events are few: their (level, occurred_at) entries find them at once


def _drive(f: EventFilter, place: list[int] | None) -> str:
    """What finds the fewest rows, already in the list's order (SQLite's planner, knowing only row counts per
    index, cannot tell that level IV or "closed" is most of the table):

    - ``flag``: the flag's partial index (flags are rare), which carries unit, level and category;
    - ``open``: the partial index of open events, likewise;
    - ``place``: a place of a few units, read unit by unit through (unit_id[, category | level], occurred_at);
    - ``level``: level I or II, through (level, occurred_at) or (category, level, occurred_at);
    - ``scope``: occurred_at (or whatever the planner takes), checking scope and the rest on each row.
    """
    if f.flag:
        return "flag"
    if f.status == "open":
        return "open"
    if place is not None and len(place) <= PER_UNIT_MAX:
        return "place"
    if f.level in RARE_LEVELS:
        return "level"
    return "scope"


def _conditions(f: EventFilter, drive: str) -> list[Any]:
    """The filter's conditions other than scope and place, each written so that only the driving index can
    serve it on SQLite: ``level + 0`` and ``category || ''`` are the same tests that no index answers, and
    "open" is a literal (which the partial index of open events needs) only when that index drives."""
    where: list[Any] = []
    if f.occurred_from is not None:
        where.append(Event.occurred_at >= f.occurred_from)
    if f.occurred_to is not None:
        where.append(Event.occurred_at < f.occurred_to)
    if f.category:
        where.append((Event.category.concat("") if drive in ("flag", "open") else Event.category) == f.category)
    if f.level is not None:
        where.append((Event.level + 0 if drive in ("flag", "open") else Event.level) == f.level)
    if f.status == "open" and drive in ("open", "scope"):
        where.append(text("incident_events.status = 'open'"))
    elif f.status:
        where.append(Event.status.concat("") == f.status)
    if f.flag == "late":
        where.append(Event.flag_late == true())
    elif f.flag == "missed":
        where.append(Event.flag_missed == true())
    elif f.flag == "review":
        where.append(Event.flag_review == true())
    if f.q:
        where.append(Event.title.contains(f.q, autoescape=True))
    return where


def _place_units(session: Session, principal: Principal, f: EventFilter) -> list[int] | None:
    """The units of the place filter (the unit and those below it, within scope), or None without one."""
    if f.unit_id is None:
        return None
    within = unit_in_scope(session, principal, f.unit_id)
    return list(session.scalars(scoped(select(Unit.id), principal).where(in_subtree(Unit.path, within.path))
                                .order_by(Unit.id)))


def list_statement(session: Session, principal: Principal, f: EventFilter, *, window: int | None = None,
                   count: bool = False) -> Any:
    """The events in scope matching the filter, newest first (with ``count``, their ids only, in no order).

    Scope is "unit in the units the principal may read" (scoped() on the units), a small set checked on each
    row. What drives the search is chosen by :func:`_drive`; PostgreSQL's planner, which knows how values
    are spread, is left to choose for itself. A place filter over a few units with ``window`` (the rows the
    caller needs: the page's end) reads each unit's newest ``window`` matching events through its
    (unit_id, …, occurred_at) index and merges them, instead of sorting every event of the place or walking
    the whole table for the few that match. Counting needs no order: the database stops at the cap on
    whichever index finds the rows."""
    place = _place_units(session, principal, f)
    drive = _drive(f, place)
    steered = session.get_bind().dialect.name == "sqlite"
    where = _conditions(f, drive if steered else "scope")
    unit = Event.unit_id + 0 if steered and drive in ("flag", "level", "open") else Event.unit_id
    if drive == "place" and window is not None and not count:
        assert place is not None
        order = (Event.occurred_at.desc(), Event.id.desc())
        parts = [select(Event).where(Event.unit_id == unit_id, *where).order_by(*order).limit(window).subquery()
                 for unit_id in place or [0]]  # each a subquery: SQLite takes no LIMIT on a bare UNION member
        merged = union_all(*(select(*part.c) for part in parts)).subquery() if len(parts) > 1 else parts[0]
        event = aliased(Event, merged)
        return select(event).order_by(event.occurred_at.desc(), event.id.desc())
    stmt = select(Event.id) if count else select(Event)
    if place is not None:
        stmt = stmt.where(unit.in_(place or [0]))
    elif not principal.is_global:
        stmt = stmt.where(unit.in_(scoped(select(Unit.id), principal)))
    stmt = stmt.where(*where)
    return stmt if count else stmt.order_by(Event.occurred_at.desc(), Event.id.desc())


@dataclass
class EventPage:
    items: list[Event]
    total: int
    capped: bool
    page: int
    per_page: int


def list_events(session: Session, principal: Principal, f: EventFilter, *, page: int = 1,
                per_page: int = 50) -> EventPage:
    """One page of events; the total is counted up to a cap (a million rows are not counted for a page)."""
    page, per_page = max(page, 1), min(max(per_page, 1), 200)
    stmt = list_statement(session, principal, f, window=page * per_page)
    items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    # Counted up to the cap, in no order: the database stops at the cap on whichever index serves best.
    counting = list_statement(session, principal, f, count=True)
    counted = session.scalar(select(func.count()).select_from(counting.limit(LIST_COUNT_CAP + 1).subquery())) or 0
    return EventPage(items=items, total=min(counted, LIST_COUNT_CAP), capped=counted > LIST_COUNT_CAP,
                     page=page, per_page=per_page)


@dataclass
class QueueItem:
    hop: Hop
    event: Event
    seconds_left: int
    mine: bool


@dataclass
class QueueFilter:
    """Narrows the queue: the desk's stage, the level, late ones only, and (for the done ones) the day
    they were dealt with."""

    stage: str = ""
    level: int | None = None
    late: bool = False
    done_from: datetime | None = None
    done_to: datetime | None = None


QUEUE_WAITING_MAX = 2_000  # waiting hops shown at once; beyond it the page says how many more there are
QUEUE_DONE_PER_PAGE = 50


def queue_statement(principal: Principal, f: QueueFilter | None = None, *, done: bool = False) -> Any:
    """The scoped (hop, event) select of the queue: waiting hops by time left, or done ones newest first."""
    f = f or QueueFilter()
    stmt = scoped(select(Hop, Event), principal, model=Hop).join(Event, Event.id == Hop.event_id)
    if f.stage:
        stmt = stmt.where(Hop.stage == f.stage)
    if f.level is not None:
        stmt = stmt.where(Hop.level == f.level)
    if done:
        stmt = stmt.where(Hop.done_at.is_not(None))
        if f.late:
            stmt = stmt.where(Hop.late_at.is_not(None))
        if f.done_from is not None:
            stmt = stmt.where(Hop.done_at >= f.done_from)
        if f.done_to is not None:
            stmt = stmt.where(Hop.done_at < f.done_to)
        return stmt.order_by(Hop.done_at.desc(), Hop.id.desc())
    stmt = stmt.where(Hop.done_at.is_(None))
    if f.late:
        stmt = stmt.where(or_(Hop.late_at.is_not(None), Hop.due_at < clock.now()))
    return stmt.order_by(Hop.due_at, Hop.id)


def _items(session: Session, principal: Principal, stmt: Any) -> list[QueueItem]:
    now = clock.now()
    return [QueueItem(hop=hop, event=event, seconds_left=int((hop.due_at - now).total_seconds()),
                      mine=principal.is_global or hop.unit_id == principal.unit_id)
            for hop, event in session.execute(stmt)]


def _count(session: Session, stmt: Any) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def queue_waiting(session: Session, principal: Principal, f: QueueFilter) -> tuple[list[QueueItem], int]:
    """The waiting hops (all of them up to ``QUEUE_WAITING_MAX``) by time left, with how many there are."""
    stmt = queue_statement(principal, f)
    items = _items(session, principal, stmt.limit(QUEUE_WAITING_MAX))
    total = len(items) if len(items) < QUEUE_WAITING_MAX else _count(session, stmt)
    return items, total


@dataclass
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    per_page: int


def queue_done(session: Session, principal: Principal, f: QueueFilter, *, page: int = 1,
               per_page: int = QUEUE_DONE_PER_PAGE) -> QueuePage:
    """One page of the done hops, newest first, paged in SQL, with the filtered total."""
    page, per_page = max(page, 1), min(max(per_page, 1), 200)
    stmt = queue_statement(principal, f, done=True)
    items = _items(session, principal, stmt.limit(per_page).offset((page - 1) * per_page))
    return QueuePage(items=items, total=_count(session, stmt), page=page, per_page=per_page)


def flags_of(session: Session, event: Event) -> list[Flag]:
    return list(session.scalars(select(Flag).where(Flag.event_id == event.id).order_by(Flag.id)))

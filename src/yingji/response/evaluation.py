"""Evaluation reports (R3.6): every event of level III or above needs one within one month of its close.

The month and the level are rules as data (``response/defaults.py``). The deadline is the close of the event
plus the rule's number of calendar months in Beijing time (31 January + 1 month = 28/29 February, same time of
day); a report submitted at the deadline itself is on time. A periodic job reminds the responsible office
before the deadline and tells it and the level above once the deadline has passed.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import attachments, audit, notify, roles
from yingji.core.models import Unit, User
from yingji.core.scope import Principal, get_scoped, recheck, scoped
from yingji.db import lock_for_change
from yingji.errors import Conflict, Unsupported, UserError
from yingji.i18n import N_
from yingji.response import defaults
from yingji.response.common import actor_name, event
from yingji.response.models import ResponseEvaluation, ResponseNotice
from yingji.response.schemas import DueRead, EvaluationWrite
from yingji.settings import Settings

ZONE = "Asia/Shanghai"  # the policy's month is counted in Beijing time
FILE_TYPES = frozenset({"application/pdf",
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"})
SECTIONS = {"overview": N_("Overview of the event"), "response": N_("Assessment of the response"),
            "causes": N_("Causes"), "lessons": N_("Lessons learned"), "recommendations": N_("Recommendations")}
STATES = {"due": N_("due"), "overdue": N_("overdue"), "submitted": N_("submitted on time"),
          "late": N_("submitted late")}
MAX_CANDIDATES = 20000
WRITER_ROLES = ("county_office", "prefecture_office", "department", "township_officer")


def add_months(value: datetime, months: int, zone: str = ZONE) -> datetime:
    """``value`` plus whole calendar months in ``zone``, the day clamped to the month's last day."""
    local = value.astimezone(ZoneInfo(zone))
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(value.tzinfo)


def due_at(session: Session, closed_at: datetime) -> datetime:
    return add_months(closed_at, defaults.value(session, defaults.EVALUATION_MONTHS))


def needs_evaluation(session: Session, level: int | None) -> bool:
    """Level III or above (1 = I is the most severe): the rule's minimum level or a smaller number."""
    return level is not None and level <= defaults.value(session, defaults.EVALUATION_LEVEL)


def state(due: datetime, submitted_at: datetime | None, now: datetime) -> str:
    if submitted_at is not None:
        return "submitted" if submitted_at <= due else "late"
    return "due" if now <= due else "overdue"


def _candidates(session: Session, principal: Principal, *, unit_id: int | None = None, q: str = "") -> Any:
    from yingji.incidents.models import Event

    stmt = (scoped(select(Event, Unit.name, ResponseEvaluation), principal, model=Event)
            .join(Unit, Unit.id == Event.unit_id)
            .outerjoin(ResponseEvaluation, ResponseEvaluation.event_id == Event.id)
            .where(Event.status == "closed", Event.closed_at.is_not(None), Event.level.is_not(None),
                   Event.level <= defaults.value(session, defaults.EVALUATION_LEVEL)))
    if unit_id is not None:
        stmt = stmt.where(Event.unit_id == unit_id)
    if q:
        stmt = stmt.where(Event.title.ilike(f"%{q}%"))
    return stmt.order_by(Event.closed_at.desc(), Event.id.desc()).limit(MAX_CANDIDATES)


def due_list(session: Session, principal: Principal, *, state_filter: str = "", unit_id: int | None = None,
             q: str = "") -> list[DueRead]:
    """Every closed event of level III or above in scope, with its deadline and the report's state."""
    if state_filter and state_filter not in STATES:
        raise UserError("This value is not one of the allowed choices.", field="state")
    now, months = clock.now(), defaults.value(session, defaults.EVALUATION_MONTHS)
    rows = []
    for ev, unit_name, report in session.execute(_candidates(session, principal, unit_id=unit_id, q=q)):
        due = add_months(ev.closed_at, months)
        submitted = report.submitted_at if report is not None else None
        current = state(due, submitted, now)
        if state_filter and current != state_filter:
            continue
        rows.append(DueRead(event_id=ev.id, unit_id=ev.unit_id, unit_name=unit_name, title=ev.title, level=ev.level,
                            closed_at=ev.closed_at, due_at=due, state=current,
                            evaluation_id=report.id if report is not None else None, submitted_at=submitted))
    rows.sort(key=lambda r: (r.state not in ("overdue", "due"), r.due_at))
    return rows


def for_event(session: Session, principal: Principal, event_id: int) -> ResponseEvaluation | None:
    event(session, principal, event_id)
    return session.scalar(scoped(select(ResponseEvaluation), principal).where(ResponseEvaluation.event_id == event_id))


def get(session: Session, principal: Principal, evaluation_id: int) -> ResponseEvaluation:
    return get_scoped(session, principal, ResponseEvaluation, evaluation_id)


def _open_report(session: Session, principal: Principal, event_id: int) -> tuple[ResponseEvaluation, bool]:
    found = event(session, principal, event_id, roles.WRITE)
    lock_for_change(session, found)  # one report per event, written by one person at a time
    if not needs_evaluation(session, found.level):
        raise UserError("Evaluation reports are for events of level III or above; this event's level is below.",
                        field="event_id")
    if found.status != "closed" or found.closed_at is None:
        raise Conflict("The event is still open; its evaluation follows its close.")
    report = session.scalar(select(ResponseEvaluation).where(ResponseEvaluation.event_id == found.id))
    if report is not None and report.status == "submitted":
        raise Conflict("The evaluation report has already been submitted.")
    if report is None:
        rule = defaults.rule(session, defaults.EVALUATION_MONTHS)
        report = ResponseEvaluation(event_id=found.id, unit_id=found.unit_id,
                                    due_at=add_months(found.closed_at, int(rule.value)), due_source=rule.source,
                                    status="draft")
        session.add(report)
        session.flush()
        return report, True
    return report, False


def _finish(session: Session, principal: Principal, report: ResponseEvaluation, created: bool,
            before: dict[str, Any] | None, submit: bool) -> ResponseEvaluation:
    report.written_by_name = actor_name(session, principal)
    if submit:
        if not report.attachment_id and not (report.overview.strip() and report.response.strip()):
            raise UserError("Write at least the overview and the assessment of the response, or upload the "
                            "report as a file.", field="overview")
        report.status = "submitted"
        report.submitted_at = clock.now()
        report.submitted_by_id, report.submitted_by_name = principal.user_id, actor_name(session, principal)
    recheck(session, principal, report)
    audit.record(session, principal, action="submit" if submit else ("create" if created else "update"),
                 entity_type="response_evaluation", entity_id=report.id, unit_id=report.unit_id,
                 before=None if created else before, after=audit.snapshot(report))
    return report


def write(session: Session, principal: Principal, event_id: int, data: EvaluationWrite) -> ResponseEvaluation:
    """Write (or go on writing) the report in structured sections; ``submit`` hands it in."""
    report, created = _open_report(session, principal, event_id)
    before = audit.snapshot(report)
    for key in SECTIONS:
        setattr(report, key, getattr(data, key))
    return _finish(session, principal, report, created, before, data.submit)


def upload(session: Session, principal: Principal, settings: Settings, event_id: int, *, stream: BinaryIO,
           filename: str, submit: bool) -> ResponseEvaluation:
    """The report written elsewhere, uploaded as a PDF or Word (DOCX) file."""
    report, created = _open_report(session, principal, event_id)
    before = audit.snapshot(report)
    stored = attachments.store(session, principal, settings, stream=stream, filename=filename,
                               unit_id=report.unit_id, entity_type="response_evaluation", entity_id=str(report.id))
    if stored.content_type not in FILE_TYPES:
        raise Unsupported("An evaluation report is uploaded as PDF or Word (DOCX).")
    report.attachment_id = stored.id
    return _finish(session, principal, report, created, before, submit)


# --- reminders and overdue notices (the job response.evaluations) ------------------------------------

@dataclass
class Sent:
    reminders: int = 0
    overdue: int = 0


def _recipients(session: Session, unit_ids: list[int]) -> list[User]:
    stmt = select(User).where(User.unit_id.in_(unit_ids), User.is_active.is_(True), User.role.in_(WRITER_ROLES))
    return list(session.scalars(stmt.order_by(User.id)))


def _send(session: Session, principal: Principal, ev: Any, kind: str, due: datetime, users: list[User]) -> None:
    from yingji import i18n

    link = f"/incidents/{ev.id}/response/evaluation"
    local = i18n.format_local(due, ZONE)
    if kind == "reminder":
        subject = i18n.gettext("Evaluation report due by %(due)s: %(title)s") % {"due": local, "title": ev.title}
    else:
        subject = i18n.gettext("Evaluation report overdue since %(due)s: %(title)s") % {"due": local,
                                                                                         "title": ev.title}
    notify.notify(session, principal, users=users, subject=subject, body=subject, link=link)
    notice = ResponseNotice(event_id=ev.id, unit_id=ev.unit_id, kind=kind, sent_at=clock.now(),
                            recipients=len(users))
    session.add(notice)
    session.flush()
    audit.record(session, principal, action=kind, entity_type="response_notice", entity_id=notice.id,
                 unit_id=ev.unit_id, after=audit.snapshot(notice))


def send_notices(session: Session, principal: Principal) -> Sent:
    """Once per event: a reminder within the rule's days before the deadline; an overdue notice after it to the
    responsible office and the level above. Idempotent (one notice row per event and kind)."""
    from yingji.incidents.models import Event

    now, sent = clock.now(), Sent()
    months = defaults.value(session, defaults.EVALUATION_MONTHS)
    ahead = timedelta(days=defaults.value(session, defaults.REMINDER_DAYS))
    submitted = exists().where(ResponseEvaluation.event_id == Event.id, ResponseEvaluation.status == "submitted")
    overdue_sent = exists().where(ResponseNotice.event_id == Event.id, ResponseNotice.kind == "overdue")
    stmt = (select(Event).where(Event.status == "closed", Event.closed_at.is_not(None), Event.level.is_not(None),
                                Event.level <= defaults.value(session, defaults.EVALUATION_LEVEL), ~submitted,
                                ~overdue_sent)
            .order_by(Event.id).limit(MAX_CANDIDATES))
    for ev in list(session.scalars(stmt)):
        if ev.closed_at is None:
            continue
        due = add_months(ev.closed_at, months)
        have = set(session.scalars(select(ResponseNotice.kind).where(ResponseNotice.event_id == ev.id)))
        unit = session.get_one(Unit, ev.unit_id)
        if now > due:
            units = [unit.id] + ([unit.parent_id] if unit.parent_id else [])
            _send(session, principal, ev, "overdue", due, _recipients(session, units))
            sent.overdue += 1
        elif now >= due - ahead and "reminder" not in have:
            _send(session, principal, ev, "reminder", due, _recipients(session, [unit.id]))
            sent.reminders += 1
    return sent

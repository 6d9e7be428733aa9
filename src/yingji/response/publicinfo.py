"""Public information about an event (R3.5): official statements drafted by the office, approved by a
spokesperson (the role that may publish), then published to the public event page and the Atom feed; and the
opinion log — items seen in the media and online, their assessment, rumours and the expert rebuttal.
Plain functions taking a session and a principal; they never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.scope import Principal, get_scoped, recheck, scoped
from yingji.db import lock_for_change
from yingji.errors import Conflict, NotFound, PermissionDenied, UserError
from yingji.response.common import actor_name, aware, event
from yingji.response.models import ResponseOpinion, ResponseStatement
from yingji.response.schemas import OpinionCreate, StatementCreate, StatementUpdate

FEED_SIZE = 50


# --- statements ------------------------------------------------------------------------------

def statements(session: Session, principal: Principal, event_id: int) -> list[ResponseStatement]:
    event(session, principal, event_id)
    stmt = scoped(select(ResponseStatement), principal).where(ResponseStatement.event_id == event_id)
    return list(session.scalars(stmt.order_by(ResponseStatement.id)))


def get_statement(session: Session, principal: Principal, statement_id: int,
                  action: str = roles.READ) -> ResponseStatement:
    return get_scoped(session, principal, ResponseStatement, statement_id, action)


def _check_content(kind: str, title: str, facts: str, measures: str, advice: str, expert: str) -> None:
    if kind == "rebuttal" and not expert.strip():
        raise UserError("A rebuttal names the expert who answers the rumour.", field="expert")
    if not (facts.strip() or measures.strip() or advice.strip()):
        raise UserError("Write at least one of: facts, measures taken, protective advice.", field="facts")


def draft(session: Session, principal: Principal, event_id: int, data: StatementCreate) -> ResponseStatement:
    found = event(session, principal, event_id, roles.WRITE)
    _check_content(data.kind, data.title, data.facts, data.measures, data.advice, data.expert)
    row = ResponseStatement(event_id=found.id, unit_id=found.unit_id, kind=data.kind, title=data.title,
                            facts=data.facts, measures=data.measures, advice=data.advice, expert=data.expert,
                            status="draft", drafted_by_id=principal.user_id,
                            drafted_by_name=actor_name(session, principal))
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="create", entity_type="response_statement", entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))
    return row


def update(session: Session, principal: Principal, statement_id: int, data: StatementUpdate) -> ResponseStatement:
    row = get_statement(session, principal, statement_id, roles.WRITE)
    lock_for_change(session, row)
    if row.status != "draft":
        raise Conflict("Only a draft can be changed; an approved statement stays as approved.")
    before = audit.snapshot(row)
    for key, value in data.model_dump(exclude_none=True).items():
        setattr(row, key, value)
    _check_content(row.kind, row.title, row.facts, row.measures, row.advice, row.expert)
    recheck(session, principal, row)
    audit.record(session, principal, action="update", entity_type="response_statement", entity_id=row.id,
                 unit_id=row.unit_id, before=before, after=audit.snapshot(row))
    return row


def approve(session: Session, principal: Principal, statement_id: int) -> ResponseStatement:
    """The spokesperson approves a draft for publication."""
    if not principal.can(roles.PUBLISH):
        get_statement(session, principal, statement_id)  # not found first, when it is not the principal's
        raise PermissionDenied("Only a spokesperson approves statements for publication.")
    row = get_statement(session, principal, statement_id, roles.PUBLISH)
    lock_for_change(session, row)
    if row.status != "draft":
        raise Conflict("This statement has already been approved.")
    return _advance(session, principal, row, "approved")


def publish(session: Session, principal: Principal, statement_id: int) -> ResponseStatement:
    """An approved statement goes public: by the spokesperson, or by the office that drafted it."""
    row = get_statement(session, principal, statement_id)
    if not (principal.can(roles.PUBLISH) or principal.can(roles.WRITE)):
        raise PermissionDenied("Your role does not allow this action.")
    lock_for_change(session, row)
    if row.status == "draft":
        raise Conflict("A statement is published only after a spokesperson has approved it.")
    if row.status == "published":
        raise Conflict("This statement has already been published.")
    return _advance(session, principal, row, "published")


def _advance(session: Session, principal: Principal, row: ResponseStatement, status: str) -> ResponseStatement:
    before = audit.snapshot(row)
    who, now = actor_name(session, principal), clock.now()
    row.status = status
    if status == "approved":
        row.approved_by_id, row.approved_by_name, row.approved_at = principal.user_id, who, now
    else:
        row.published_by_id, row.published_by_name, row.published_at = principal.user_id, who, now
    recheck(session, principal, row)
    audit.record(session, principal, action="approve" if status == "approved" else "publish",
                 entity_type="response_statement", entity_id=row.id, unit_id=row.unit_id, before=before,
                 after=audit.snapshot(row))
    return row


# --- the public side: only published statements -------------------------------------------------

def published_for_event(session: Session, event_id: int) -> list[ResponseStatement]:
    stmt = select(ResponseStatement).where(ResponseStatement.event_id == event_id,
                                           ResponseStatement.status == "published")
    return list(session.scalars(stmt.order_by(ResponseStatement.published_at, ResponseStatement.id)))


def public_event(session: Session, event_id: int) -> tuple[Any, list[ResponseStatement], list[ResponseOpinion]]:
    """An event as the public sees it: only when something about it has been published."""
    from yingji.incidents.models import Event

    published = published_for_event(session, event_id)
    found = session.get(Event, event_id)
    if found is None or not published:
        raise NotFound("Nothing has been published about this event.")
    rebutted = {s.id for s in published if s.kind == "rebuttal"}
    rumours = [o for o in session.scalars(select(ResponseOpinion).where(ResponseOpinion.event_id == event_id,
                                                                        ResponseOpinion.rebuttal_id.is_not(None))
                                          .order_by(ResponseOpinion.seen_at))
               if o.rebuttal_id in rebutted]
    return found, published, rumours


def feed_items(session: Session, limit: int = FEED_SIZE) -> list[tuple[ResponseStatement, Any]]:
    """The latest published statements with their events, newest first."""
    from yingji.incidents.models import Event

    stmt = (select(ResponseStatement, Event).join(Event, Event.id == ResponseStatement.event_id)
            .where(ResponseStatement.status == "published")
            .order_by(ResponseStatement.published_at.desc(), ResponseStatement.id.desc()).limit(limit))
    return [(s, e) for s, e in session.execute(stmt)]


# --- the opinion log ---------------------------------------------------------------------------

def opinions(session: Session, principal: Principal, event_id: int, assessment: str = "") -> list[ResponseOpinion]:
    event(session, principal, event_id)
    stmt = scoped(select(ResponseOpinion), principal).where(ResponseOpinion.event_id == event_id)
    if assessment:
        stmt = stmt.where(ResponseOpinion.assessment == assessment)
    return list(session.scalars(stmt.order_by(ResponseOpinion.seen_at, ResponseOpinion.id)))


def get_opinion(session: Session, principal: Principal, opinion_id: int) -> ResponseOpinion:
    return get_scoped(session, principal, ResponseOpinion, opinion_id)


def log_opinion(session: Session, principal: Principal, event_id: int, data: OpinionCreate) -> ResponseOpinion:
    found = event(session, principal, event_id, roles.WRITE)
    now = clock.now()
    seen = aware(data.seen_at, "seen_at") if data.seen_at is not None else now
    if seen > now:
        raise UserError("The time cannot be in the future.", field="seen_at")
    row = ResponseOpinion(event_id=found.id, unit_id=found.unit_id, seen_at=seen, channel=data.channel,
                          source=data.source, summary=data.summary, assessment=data.assessment, note=data.note,
                          recorded_by_id=principal.user_id, recorded_by_name=actor_name(session, principal))
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="create", entity_type="response_opinion", entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))
    return row


def rebut(session: Session, principal: Principal, opinion_id: int, statement_id: int) -> ResponseOpinion:
    """Link a rumour to the rebuttal that answers it (public once the rebuttal is published)."""
    row = get_scoped(session, principal, ResponseOpinion, opinion_id, roles.WRITE)
    if row.assessment != "rumour":
        raise UserError("Only a rumour is answered by a rebuttal.", field="opinion_id")
    try:
        statement = get_statement(session, principal, statement_id)
    except NotFound as exc:
        raise NotFound("Not found, or not within your area.", field="statement_id") from exc
    if statement.event_id != row.event_id or statement.kind != "rebuttal":
        raise UserError("Choose a rebuttal statement of the same event.", field="statement_id")
    before = audit.snapshot(row)
    row.rebuttal_id = statement.id
    recheck(session, principal, row)
    audit.record(session, principal, action="update", entity_type="response_opinion", entity_id=row.id,
                 unit_id=row.unit_id, before=before, after=audit.snapshot(row))
    return row

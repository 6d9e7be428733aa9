"""Tips from the public: anyone reports what they see (no sign-in, a limit per address), with an optional
photo; the county's duty desk verifies a tip (a new event known from the tip), merges it into an event, or
dismisses it with a reason. Plain functions taking a session and a principal; they never commit.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import attachments, audit, roles
from yingji.core.models import Unit
from yingji.core.scope import Principal, get_scoped, recheck, scoped, system_principal
from yingji.db import lock_for_change
from yingji.errors import Conflict, NotFound, TooManyRequests, Unsupported, UserError
from yingji.response import defaults
from yingji.response.common import actor_name, aware, event
from yingji.response.models import ResponseTip
from yingji.response.schemas import TIP_STATUSES, TipCreate, TipVerify
from yingji.settings import Settings

PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# How far back a tip may tell of something (older news is not a tip for the duty desk).
MAX_AGE = timedelta(days=30)


def public_principal(address: str, request_id: str | None = None) -> Principal:
    """Who acts when a member of the public sends a tip: nobody signed in, known by address only."""
    base = system_principal("public", request_id)
    return Principal(user_id=None, name="public", unit_id=None, unit_path="", role="", via="anonymous",
                     request_id=base.request_id, address=address)


def client_hash(address: str) -> str:
    return hashlib.sha256(("tip:" + address).encode()).hexdigest()


def counties(session: Session) -> list[Unit]:
    """The units a member of the public chooses from: the prefecture ("not sure") and its counties."""
    stmt = select(Unit).where(Unit.kind.in_(("prefecture", "county")), Unit.valid_to.is_(None))
    return list(session.scalars(stmt.order_by(Unit.path)))


def check_rate(session: Session, address: str) -> None:
    """At most the rule's number of tips from one address within its window (429 beyond)."""
    limit, minutes = defaults.value(session, defaults.TIP_LIMIT), defaults.value(session, defaults.TIP_WINDOW)
    since = clock.now() - timedelta(minutes=minutes)
    sent = session.scalar(select(func.count()).select_from(ResponseTip).where(
        ResponseTip.client_hash == client_hash(address), ResponseTip.received_at > since)) or 0
    if sent >= limit:
        raise TooManyRequests("Too many tips from your address. Please try again in %(minutes)s minutes; if lives "
                              "are in danger, call 110, 119 or 120.", minutes=minutes)


def submit(session: Session, settings: Settings, *, address: str, data: TipCreate, photo: BinaryIO | None = None,
           photo_name: str = "", request_id: str | None = None) -> ResponseTip:
    """A tip from the public. Refused: a time in the future or too long ago, an unknown county, a photo that
    is too large or not a photo, too many tips from one address."""
    check_rate(session, address)
    now = clock.now()
    occurred = aware(data.occurred_at, "occurred_at")
    if occurred > now:
        raise UserError("The time cannot be in the future.", field="occurred_at")
    if occurred < now - MAX_AGE:
        raise UserError("Tips tell of the last %(days)s days; for older matters please write to the office.",
                        field="occurred_at", days=MAX_AGE.days)
    county = session.get(Unit, data.county_id)
    if county is None or county.kind not in ("prefecture", "county") or county.valid_to is not None:
        raise UserError("Choose the county or city where it happened.", field="county_id")
    public = public_principal(address, request_id)
    tip = ResponseTip(unit_id=county.id, occurred_at=occurred, received_at=now, text=data.text, place=data.place,
                      lon=data.lon, lat=data.lat, reporter_name=data.reporter_name,
                      reporter_phone=data.reporter_phone, client_hash=client_hash(address))
    session.add(tip)
    session.flush()
    if photo is not None and photo_name:
        stored = attachments.store(session, system_principal("public tip", public.request_id), settings,
                                   stream=photo, filename=photo_name, unit_id=county.id,
                                   entity_type="response_tip", entity_id=str(tip.id))
        if stored.content_type not in PHOTO_TYPES:
            raise Unsupported("Only a photo (JPEG, PNG, GIF or WebP) can be sent with a tip.")
        tip.attachment_id = stored.id
    audit.record(session, public, action="create", entity_type="response_tip", entity_id=tip.id,
                 unit_id=tip.unit_id, after=audit.snapshot(tip))
    return tip


def list_stmt(principal: Principal, *, status: str = "", unit_id: int | None = None, q: str = "",
              since: datetime | None = None, until: datetime | None = None) -> Select[Any]:
    stmt = scoped(select(ResponseTip), principal)
    if status:
        if status not in TIP_STATUSES:
            raise UserError("This value is not one of the allowed choices.", field="status")
        stmt = stmt.where(ResponseTip.status == status)
    if unit_id is not None:
        stmt = stmt.where(ResponseTip.unit_id == unit_id)
    if q:
        stmt = stmt.where(ResponseTip.text.ilike(f"%{q}%") | ResponseTip.place.ilike(f"%{q}%"))
    if since is not None:
        stmt = stmt.where(ResponseTip.received_at >= since)
    if until is not None:
        stmt = stmt.where(ResponseTip.received_at < until)
    return stmt.order_by(ResponseTip.received_at.desc(), ResponseTip.id.desc())


def get(session: Session, principal: Principal, tip_id: int) -> ResponseTip:
    return get_scoped(session, principal, ResponseTip, tip_id)


def _open_for_decision(session: Session, principal: Principal, tip_id: int) -> ResponseTip:
    tip = get_scoped(session, principal, ResponseTip, tip_id, roles.WRITE)
    lock_for_change(session, tip)
    if tip.status != "unverified":
        raise Conflict("This tip has already been dealt with.")
    return tip


def _decide(session: Session, principal: Principal, tip: ResponseTip, status: str, *, event_id: int | None = None,
            reason: str = "") -> ResponseTip:
    before = audit.snapshot(tip)
    tip.status, tip.event_id, tip.reason = status, event_id, reason
    tip.decided_by_id, tip.decided_by_name, tip.decided_at = (principal.user_id, actor_name(session, principal),
                                                              clock.now())
    recheck(session, principal, tip)
    audit.record(session, principal, action=status, entity_type="response_tip", entity_id=tip.id,
                 unit_id=tip.unit_id, before=before, after=audit.snapshot(tip))
    return tip


def verify(session: Session, principal: Principal, tip_id: int, data: TipVerify) -> ResponseTip:
    """The tip is true and tells of an event not known yet: record the event, known from a tip."""
    from yingji.incidents import service as incidents

    tip = _open_for_decision(session, principal, tip_id)
    unit_id = data.unit_id or tip.unit_id
    get_scoped(session, principal, Unit, unit_id, roles.WRITE)
    category = data.category or data.subtype.split(".")[0]
    found = incidents.record_known_event(
        session, principal, unit_id=unit_id, occurred_at=tip.occurred_at, category=category,
        subtype=data.subtype, title=data.title, description=data.description or tip.text, known_from="tip",
        lon=tip.lon, lat=tip.lat, address=tip.place)
    return _decide(session, principal, tip, "verified", event_id=found.id)


def merge(session: Session, principal: Principal, tip_id: int, event_id: int) -> ResponseTip:
    """The tip tells of an event already known: it is kept with that event."""
    tip = _open_for_decision(session, principal, tip_id)
    try:
        found = event(session, principal, event_id)
    except NotFound as exc:
        raise NotFound("No such event within your area.", field="event_id") from exc
    return _decide(session, principal, tip, "merged", event_id=found.id)


def dismiss(session: Session, principal: Principal, tip_id: int, reason: str) -> ResponseTip:
    tip = _open_for_decision(session, principal, tip_id)
    if len(reason.strip()) < 2:
        raise UserError("Give the reason for dismissing the tip.", field="reason")
    return _decide(session, principal, tip, "dismissed", reason=reason.strip())


def for_event(session: Session, principal: Principal, event_id: int) -> list[ResponseTip]:
    stmt = scoped(select(ResponseTip), principal).where(ResponseTip.event_id == event_id)
    return list(session.scalars(stmt.order_by(ResponseTip.received_at)))

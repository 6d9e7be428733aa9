"""iCalendar feeds of shifts, per person and per desk, and the secret feed token that lets a
calendar program read them (only its SHA-256 is stored)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit
from yingji.core.models import Unit, User
from yingji.core.scope import Principal
from yingji.duty import service
from yingji.duty.models import DutyShift, FeedToken
from yingji.i18n import gettext

PAST = timedelta(days=31)
AHEAD = timedelta(days=366)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(session: Session, principal: Principal) -> str:
    """A new feed secret for the principal (the old one stops working); shown once."""
    if principal.user_id is None or principal.unit_id is None:
        raise ValueError("feed tokens belong to people")
    raw = "yjf_" + secrets.token_urlsafe(24)
    row = session.scalar(select(FeedToken).where(FeedToken.user_id == principal.user_id))
    if row is None:
        row = FeedToken(user_id=principal.user_id, unit_id=principal.unit_id, token_hash=_hash(raw))
        session.add(row)
    else:
        row.token_hash, row.created_at = _hash(raw), clock.now()
    session.flush()
    audit.record(session, principal, action="create", entity_type="feed_token", entity_id=row.id,
                 unit_id=row.unit_id, after={"user_id": row.user_id})
    return raw


def has_token(session: Session, principal: Principal) -> bool:
    return session.scalar(select(FeedToken.id).where(FeedToken.user_id == principal.user_id)) is not None


def user_for_token(session: Session, raw: str) -> tuple[User, Unit] | None:
    if not raw or len(raw) > 200:
        return None
    row = session.execute(select(User, Unit).join(FeedToken, FeedToken.user_id == User.id)
                          .join(Unit, Unit.id == User.unit_id)
                          .where(FeedToken.token_hash == _hash(raw), User.is_active.is_(True))).first()
    return (row[0], row[1]) if row else None


def _calendar(name: str, shifts: list[tuple[DutyShift, str]], names: dict[int, str]) -> bytes:
    zone = service.local_zone()
    cal = Calendar()
    cal.add("prodid", "-//yingji//duty//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", str(zone))
    for shift, desk_name in shifts:
        event = Event()
        event.add("uid", f"duty-shift-{shift.id}@yingji")
        event.add("dtstamp", clock.now())
        event.add("dtstart", shift.starts_at.astimezone(zone))
        event.add("dtend", shift.ends_at.astimezone(zone))
        event.add("summary", gettext("Duty: %(desk)s") % {"desk": desk_name})
        officer = names.get(shift.officer_id or 0, "—")
        leader = names.get(shift.leader_id or 0, "—")
        event.add("description", gettext("Duty officer: %(officer)s; leader on duty: %(leader)s") %
                  {"officer": officer, "leader": leader})
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _window() -> tuple[datetime, datetime]:
    now = clock.now()
    return now - PAST, now + AHEAD


def person_feed(session: Session, principal: Principal) -> bytes:
    start, end = _window()
    shifts = service.shifts_of_user(session, principal, principal.user_id or 0, start, end)
    names = service.user_names(session, [i for s, _ in shifts for i in (s.officer_id, s.leader_id)])
    return _calendar(gettext("My duty shifts"), shifts, names)


def desk_feed(session: Session, principal: Principal, desk_id: int) -> bytes:
    desk = service.get_desk(session, principal, desk_id)
    start, end = _window()
    shifts = [(s, desk.name) for s in service.list_shifts(session, principal, desk_id, start, end)]
    names = service.user_names(session, [i for s, _ in shifts for i in (s.officer_id, s.leader_id)])
    return _calendar(desk.name, shifts, names)

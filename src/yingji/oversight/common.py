"""Small helpers shared by the oversight services: local dates, unit names, people to tell, reading
other modules' tables only when they exist."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from yingji import clock, i18n
from yingji.core import notify, roles
from yingji.core.models import Unit, User
from yingji.core.scope import Principal
from yingji.settings import get_settings


def zone() -> ZoneInfo:
    return ZoneInfo(get_settings().tz)


def today() -> date:
    return clock.now().astimezone(zone()).date()


def day_start(day: date) -> datetime:
    """Local midnight at the start of ``day``, as UTC."""
    return datetime.combine(day, time(0), tzinfo=zone()).astimezone(UTC)


def day_end(day: date) -> datetime:
    """The first instant after ``day`` (local), as UTC: a half-open bound."""
    return day_start(day + timedelta(days=1))


def local_day(value: datetime) -> date:
    return value.astimezone(zone()).date()


def unit_names(session: Session, ids: Any) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted))).all())


def office_users(session: Session, unit_id: int) -> list[User]:
    """The active people of a unit whose role may act on its records (not read-only roles)."""
    users = session.scalars(select(User).where(User.unit_id == unit_id, User.is_active.is_(True)))
    return [u for u in users if roles.allows(u.role, roles.WRITE)]


def optional_model(module: str, name: str) -> Any:
    """Another module's model class, or None when that module is not there yet."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def table_ready(session: Session, model: Any) -> bool:
    """Whether the model's table exists in this database (a module may be present before its migration)."""
    if model is None:
        return False
    try:
        bind = session.get_bind()
        return bool(inspect(bind).has_table(model.__tablename__))
    except Exception:  # noqa: BLE001 - an unreadable catalogue means "not there"
        return False


@contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Translate in ``lang`` (a person's language; the platform's default when unset) for a while."""
    previous = i18n.current_language()
    chosen = i18n.set_language(lang if lang in i18n.LANGUAGES else get_settings().lang)
    try:
        yield chosen
    finally:
        i18n.set_language(previous)


def notify_each(session: Session, principal: Principal, *, users: list[User], subject: Callable[[], str],
                body: Callable[[], str] = lambda: "", link: str = "") -> None:
    """Tell people in their own language: subject and body are built (through gettext) once per language
    among the recipients, so a message reads in Chinese or English as each person chose."""
    groups: dict[str, list[User]] = {}
    for user in users:
        groups.setdefault(user.lang if user.lang in i18n.LANGUAGES else get_settings().lang, []).append(user)
    for lang, group in groups.items():
        with language(lang):
            notify.notify(session, principal, users=group, subject=subject(), body=body(), link=link)

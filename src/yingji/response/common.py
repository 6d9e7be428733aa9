"""Small helpers shared by the response services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from yingji.core import roles
from yingji.core.models import User
from yingji.core.scope import Principal
from yingji.errors import UserError


def actor_name(session: Session, principal: Principal) -> str:
    """The person's display name (the principal's name for the system and the public)."""
    if principal.user_id is not None:
        user = session.get(User, principal.user_id)
        if user is not None:
            return user.display_name
    return principal.name


def event(session: Session, principal: Principal, event_id: int, action: str = roles.READ) -> Any:
    """The event through the incidents service: outside the scope it is "not found"."""
    from yingji.incidents import service as incidents

    return incidents.get_event(session, principal, event_id, action=action)


def aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise UserError("Give times with their offset, e.g. 2026-12-01T08:00:00+08:00.", field=field)
    return value

"""The audit log: every write leaves an entry in the same transaction as the write."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, event, insert, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session

from yingji import clock
from yingji.core.models import AuditEntry
from yingji.core.scope import Principal
from yingji.db import Prepared

SECRET_FIELDS = frozenset({"password_hash", "token_hash", "key_hash"})


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


_PLAIN = frozenset({str, int, float, bool, type(None)})
_SNAPSHOT_KEYS: dict[type, tuple[str, ...]] = {}


def snapshot(obj: Any) -> dict[str, Any]:
    """Column values of a row, JSON-safe, secrets left out."""
    keys = _SNAPSHOT_KEYS.get(obj.__class__)
    if keys is None:
        keys = _SNAPSHOT_KEYS[obj.__class__] = tuple(
            attr.key for attr in inspect(obj).mapper.column_attrs if attr.key not in SECRET_FIELDS)
    loaded = obj.__dict__  # what is loaded or set; anything else is read through the attribute (loading it)
    values = {}
    for key in keys:
        value = loaded[key] if key in loaded else getattr(obj, key)
        values[key] = value if value.__class__ in _PLAIN else _json_value(value)
    return values


_TABLE = cast(Table, AuditEntry.__table__)
_INSERT = Prepared(insert(_TABLE).values({c.key: bindparam(c.key, type_=c.type)
                                          for c in _TABLE.columns if not c.primary_key}))


def record(session: Session, principal: Principal, *, action: str, entity_type: str, entity_id: Any,
           unit_id: int | None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> None:
    """Write an audit entry in the current transaction (never commits). The row is written at once as a
    plain INSERT: an entry is never changed after, so it needs no place in the session's unit of work."""
    if before is not None and after is not None:
        changed = {k for k in after if before.get(k) != after.get(k)} | {k for k in before if k not in after}
        changed.discard("updated_at")
        before = {k: before.get(k) for k in sorted(changed)}
        after = {k: after.get(k) for k in sorted(changed)}
    _INSERT.rows(session, {
        "at": clock.now(),
        "request_id": principal.request_id,
        "actor_id": principal.user_id,
        "actor_name": principal.name,
        "actor_unit_id": principal.unit_id,
        "unit_id": unit_id,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "action": action,
        "before": before,
        "after": after,
    })


class AuditTamperingError(RuntimeError):
    """Raised when code tries to change or remove an audit entry."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise AuditTamperingError("audit entries are append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ is AuditEntry:
            raise AuditTamperingError("audit entries are append-only")


def list_entries(session: Session, principal: Principal, *, entity_type: str = "", action: str = "",
                 actor: str = "", entity_id: str = "", request_id: str = "", since: datetime | None = None,
                 until: datetime | None = None) -> Select[Any]:
    """The filtered, scoped statement behind the audit browser and its export."""
    from yingji.core import roles
    from yingji.core.scope import scoped

    stmt = scoped(select(AuditEntry), principal, roles.READ_AUDIT)
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if actor:
        stmt = stmt.where(AuditEntry.actor_name.ilike(f"%{actor}%"))
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if request_id:
        stmt = stmt.where(AuditEntry.request_id == request_id)
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    if until:
        stmt = stmt.where(AuditEntry.at < until)
    return stmt.order_by(AuditEntry.id.desc())

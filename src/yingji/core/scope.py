"""The one choke point for "which rows may this principal see or change".

Every service reads through :func:`scoped`; a row outside the principal's subtree is
indistinguishable from a row that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Select, and_, bindparam, false, select
from sqlalchemy.orm import Session, aliased

from yingji.core import roles, stamps
from yingji.core.models import Unit
from yingji.errors import NotFound, PermissionDenied

T = TypeVar("T")
S = TypeVar("S", bound=Select)  # type: ignore[type-arg]


@dataclass(frozen=True)
class Principal:
    """Who is acting: a signed-in user, a token holder, or the system (CLI, jobs)."""

    user_id: int | None
    name: str
    unit_id: int | None
    unit_path: str
    role: str
    via: str = "session"
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    address: str = ""

    @property
    def is_global(self) -> bool:
        return self.role in roles.GLOBAL_ROLES or self.via == "system"

    def can(self, action: str) -> bool:
        return self.via == "system" or roles.allows(self.role, action)

    def require(self, action: str) -> None:
        if not self.can(action):
            raise PermissionDenied("Your role does not allow this action.")


def system_principal(name: str = "system", request_id: str | None = None) -> Principal:
    return Principal(user_id=None, name=name, unit_id=None, unit_path="/", role="admin", via="system",
                     request_id=request_id or uuid.uuid4().hex)


def subtree_range(path: str) -> tuple[str, str]:
    """Paths look like ``/1/7/42/``; every descendant sorts in [path, path-with-'0'-for-last-'/')."""
    return path, path[:-1] + "0"


def in_subtree(column: Any, path: str) -> Any:
    low, high = subtree_range(path)
    return and_(column >= low, column < high)


def scope_unit_column(model: type) -> Any:
    """The column naming the unit a row belongs to."""
    column = getattr(model, "__scope_unit__", None)
    if column is not None:
        return getattr(model, column)
    return model.unit_id  # type: ignore[attr-defined]


def scoped(stmt: S, principal: Principal, action: str = roles.READ, model: type | None = None) -> S:
    """Restrict ``stmt`` to rows in the principal's subtree; refuse actions its role lacks."""
    bounds = subtree_bounds(principal, action)
    if bounds is None:
        return stmt
    if not principal.unit_path:
        return stmt.where(false())
    low, high = bounds
    entity = model or stmt.column_descriptions[0]["entity"]
    if entity is Unit:
        return stmt.where(Unit.path >= low, Unit.path < high)
    scope_unit = aliased(Unit)
    return stmt.join(scope_unit, scope_unit.id == scope_unit_column(entity)).where(
        scope_unit.path >= low, scope_unit.path < high
    )


def subtree_bounds(principal: Principal, action: str = roles.READ) -> tuple[str, str] | None:
    """The rule of :func:`scoped` as a range of unit paths (also for statements prepared with bound parameters):
    the principal's subtree ``[low, high)``, None for the whole tree (a global role), an empty range for a
    principal without a unit; refuses actions its role lacks."""
    principal.require(action)
    if principal.is_global:
        return None
    if not principal.unit_path:
        return "", ""
    return subtree_range(principal.unit_path)


def get_scoped(session: Session, principal: Principal, model: type[T], id_: Any,
               action: str = roles.READ) -> T:
    """One row by primary key, or NotFound if it does not exist or lies outside the scope."""
    row = session.scalars(scoped(select(model), principal, action).where(model.id == id_)).first()  # type: ignore[attr-defined]
    if row is None:
        raise NotFound("Not found, or not within your area.")
    return row


def unit_in_scope(session: Session, principal: Principal, unit_id: int, action: str = roles.READ) -> Unit:
    return get_scoped(session, principal, Unit, unit_id, action)


@dataclass(frozen=True, slots=True)
class Place:
    """A unit's place in the tree: what scope checks and routing need of it."""

    id: int
    kind: str
    path: str


_PLACES = select(Unit.id, Unit.kind, Unit.path).where(Unit.id.in_(bindparam("ids", expanding=True)))


def places(session: Session, ids: Iterable[int]) -> dict[int, Place]:
    """The places of the units that exist among ``ids``, from what this process keeps of the tree (read from
    the database the first time a unit is asked for under the tree's current stamp)."""
    return _places(session, stamps.kept(session, "unit", dict), ids)


def lineage(session: Session, unit_id: int) -> list[Place]:
    """The unit and its ancestors, root first; empty when the unit does not exist."""
    known: dict[int, Place] = stamps.kept(session, "unit", dict)
    unit = _places(session, known, (unit_id,)).get(unit_id)
    if unit is None:
        return []
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    found = _places(session, known, ids)
    return [found[i] for i in ids if i in found]


def _places(session: Session, known: dict[int, Place], ids: Iterable[int]) -> dict[int, Place]:
    wanted = list(ids)
    missing = [i for i in wanted if i not in known]
    if missing:
        for row in session.execute(_PLACES, {"ids": missing}):
            known[row.id] = Place(row.id, row.kind, row.path)
    return {i: known[i] for i in wanted if i in known}


def place_in_scope(session: Session, principal: Principal, unit_id: int, action: str = roles.READ) -> Place:
    """:func:`unit_in_scope` for callers that need only the unit's place: NotFound when the unit does not exist
    or lies outside the principal's subtree."""
    principal.require(action)
    found = places(session, (unit_id,)).get(unit_id)
    if found is None or not (principal.is_global or (principal.unit_path
                                                     and found.path.startswith(principal.unit_path))):
        raise NotFound("Not found, or not within your area.")
    return found


def recheck(session: Session, principal: Principal, obj: Any) -> None:
    """After a write: the row must still be visible to whoever wrote it, or the write is undone."""
    session.flush()
    try:
        get_scoped(session, principal, type(obj), obj.id)
    except NotFound as exc:
        raise PermissionDenied("That change would move the record outside your area.") from exc

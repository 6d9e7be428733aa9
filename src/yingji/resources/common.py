"""What the resource services share: exact quantities, distances, the scope of the catalogue, records."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.models import Unit
from yingji.core.scope import Principal, get_scoped, in_subtree, recheck, scoped, unit_in_scope
from yingji.errors import NotFound, UserError
from yingji.settings import get_settings

T = TypeVar("T")
MILLI = 1000
MAX_MILLI = 10**15  # a trillion units of anything is a typing mistake
EARTH_KM = 6371.0088


def to_milli(value: Decimal | int | str, field: str = "quantity") -> int:
    """An exact quantity (at most three decimals) as an integer number of thousandths; must be above zero."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise UserError("A number is expected here.", field=field) from exc
    if not number.is_finite():
        raise UserError("A number is expected here.", field=field)
    if number <= 0:
        raise UserError("The quantity must be above zero.", field=field)
    scaled = number * MILLI
    if scaled != scaled.to_integral_value():
        raise UserError("At most three decimals, please.", field=field)
    if scaled > MAX_MILLI:
        raise UserError("This number is too large.", field=field)
    return int(scaled)


def qty(milli: int | None) -> str:
    """Thousandths shown as a plain decimal without trailing zeros (500, 2.5)."""
    if milli is None:
        return ""
    text = f"{Decimal(milli) / MILLI:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def today() -> date:
    """The local date now (Beijing by default): expiry and agreement dates are local dates."""
    return clock.now().astimezone(ZoneInfo(get_settings().tz)).date()


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def bbox(lon: float, lat: float, km: float) -> tuple[float, float, float, float]:
    """A box (min lon, min lat, max lon, max lat) that holds every point within ``km`` of the centre."""
    dlat = math.degrees(km / EARTH_KM)
    cos = max(math.cos(math.radians(lat)), 0.01)
    dlon = min(180.0, dlat / cos)
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def catalogue_scoped(stmt: Select[Any], principal: Principal, model: Any) -> Select[Any]:
    """Catalogue entries apply downward: a unit sees its own subtree's and those of the units above it."""
    principal.require(roles.READ)
    if principal.is_global:
        return stmt
    ancestors = [int(p) for p in principal.unit_path.strip("/").split("/") if p]
    owner = select(Unit.id).where(or_(in_subtree(Unit.path, principal.unit_path), Unit.id.in_(ancestors)))
    return stmt.where(model.unit_id.in_(owner))


def check_unit(session: Session, principal: Principal, unit_id: int) -> Unit:
    return unit_in_scope(session, principal, unit_id, roles.WRITE)


def check_event(session: Session, principal: Principal, event_id: int | None) -> None:
    """An incident a record names must be one the principal can see: another county's event is exactly an
    event that does not exist (404, nothing stored)."""
    from yingji.incidents.models import Event

    if event_id is not None and session.scalar(
            scoped(select(Event.id), principal, model=Event).where(Event.id == event_id)) is None:
        raise NotFound("No such event within your area.", field="event_id")


def create_record(session: Session, principal: Principal, row: Any, entity: str) -> Any:
    """Add a row owned by a unit in the principal's scope (and naming only an incident it can see), audited
    and re-checked."""
    check_unit(session, principal, row.unit_id)
    check_event(session, principal, getattr(row, "event_id", None))
    session.add(row)
    session.flush()
    audit.record(session, principal, action="create", entity_type=entity, entity_id=row.id, unit_id=row.unit_id,
                 after=audit.snapshot(row))
    recheck(session, principal, row)
    return row


def update_record(session: Session, principal: Principal, model: type[T], row_id: int, changes: dict[str, Any],
                  entity: str) -> T:
    row = get_scoped(session, principal, model, row_id, roles.WRITE)
    before = audit.snapshot(row)
    if "unit_id" in changes and changes["unit_id"] is not None:
        check_unit(session, principal, changes["unit_id"])
    for key, value in changes.items():
        setattr(row, key, value)
    session.flush()
    audit.record(session, principal, action="update", entity_type=entity, entity_id=row.id,  # type: ignore[attr-defined]
                 unit_id=row.unit_id, before=before, after=audit.snapshot(row))  # type: ignore[attr-defined]
    recheck(session, principal, row)
    return row


def search(stmt: Select[Any], q: str, *columns: Any) -> Select[Any]:
    if not q:
        return stmt
    pattern = f"%{q.replace('%', '').replace('_', '')}%"
    return stmt.where(or_(*(c.ilike(pattern) for c in columns)))


def tags(values: list[str]) -> str:
    """A list of codes stored as ",a,b," so that one LIKE finds a code on every backend."""
    return "," + ",".join(sorted(set(values))) + "," if values else ""


def untag(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


def list_scoped(session: Session, principal: Principal, model: Any) -> Select[Any]:
    return scoped(select(model), principal)

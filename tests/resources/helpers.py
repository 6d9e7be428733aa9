"""Shared set-up for the resource tests: principals by demo user, demo rows by name, ledger checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import auth
from yingji.core.models import Unit, User
from yingji.core.scope import Principal
from yingji.resources.models import Lot, Movement, SupplyItem, Warehouse

NOON = datetime(2030, 6, 1, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


def set_now(value: datetime) -> None:
    clock.set_clock(lambda: value)


def as_user(session: Session, username: str) -> Principal:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, username
    unit = session.get(Unit, user.unit_id) if user.unit_id else None
    return auth.principal_for(user, unit, via="session", request_id="tests", address="")


def item(session: Session, code: str) -> SupplyItem:
    found = session.scalar(select(SupplyItem).where(SupplyItem.code == code))
    assert found is not None, code
    return found


def warehouse(session: Session, name_part: str) -> Warehouse:
    found = session.scalar(select(Warehouse).where(Warehouse.name.like(f"%{name_part}%")))
    assert found is not None, name_part
    return found


def lots_of(session: Session, warehouse_id: int, item_id: int) -> list[Lot]:
    session.expire_all()
    return list(session.scalars(select(Lot).where(Lot.warehouse_id == warehouse_id, Lot.item_id == item_id)
                                .order_by(Lot.id)))


def movement_count(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Movement)) or 0)


def ledger_balances(session: Session) -> dict[int, tuple[int, int]]:
    """Every lot: (maintained balance, sum of its movements)."""
    session.expire_all()
    sums = dict(session.execute(select(Movement.lot_id, func.sum(Movement.delta_milli))
                                .group_by(Movement.lot_id)).all())
    return {lot.id: (lot.quantity_milli, int(sums.get(lot.id, 0))) for lot in session.scalars(select(Lot))}


def event(session: Session, code: str, title: str = "地震（测试）") -> int:
    """An incident of the county with this code (committed, so the application sees it)."""
    from yingji.incidents.models import Event

    unit = session.scalar(select(Unit.id).where(Unit.code == code))
    assert unit is not None, code
    row = Event(unit_id=unit, title=title, category="1", subtype="1.2.1", occurred_at=clock.now(), lon=81.10,
                lat=44.95)
    session.add(row)
    session.commit()
    return row.id


def api_ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()

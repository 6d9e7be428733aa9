"""Shared set-up for the risks tests: the demo plant, its hazard and gas sensor, readings, clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core.models import Unit, User
from yingji.core.scope import Principal, system_principal
from yingji.risks.models import Hazard, Sensor

PLANT = "652700-Z02-E01"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
SYSTEM = system_principal("tests")


def set_now(value: datetime) -> None:
    clock.set_clock(lambda: value)


def frozen() -> datetime:
    """Freeze the clock at the real now (second precision) and return it."""
    now = datetime.now(UTC).replace(microsecond=0)
    set_now(now)
    return now


def unit(session: Session, code: str) -> Unit:
    found = session.scalar(select(Unit).where(Unit.code == code))
    assert found is not None, code
    return found


def user(session: Session, username: str) -> User:
    found = session.scalar(select(User).where(User.username == username))
    assert found is not None, username
    return found


def as_user(session: Session, username: str) -> Principal:
    u = user(session, username)
    home = session.get(Unit, u.unit_id)
    assert home is not None
    return Principal(user_id=u.id, name=u.username, unit_id=home.id, unit_path=home.path, role=u.role)


def plant_hazard(session: Session) -> Hazard:
    found = session.scalar(select(Hazard).join(Unit, Unit.id == Hazard.unit_id).where(Unit.code == PLANT))
    assert found is not None
    return found


def plant_sensor(session: Session) -> Sensor:
    found = session.scalar(select(Sensor).join(Unit, Unit.id == Sensor.unit_id).where(Unit.code == PLANT))
    assert found is not None
    return found


def batch(start: datetime, values: list[float], step: timedelta = timedelta(seconds=10)) -> dict[str, Any]:
    return {"readings": [{"at": (start + i * step).isoformat(), "value": v} for i, v in enumerate(values)]}

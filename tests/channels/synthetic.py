"""Synthetic data for the fan-out benchmark and the kill test: a small tree over the prefecture, many
recipients spread over it, an issued alert. Written with plain executemany, fast enough for a million rows."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from yingji import clock
from yingji.channels.models import ChannelConfig, ChannelRule, Recipient
from yingji.core.models import Unit

# The prefecture's bounding box (lon, lat); the west half is the alert's polygon in the benchmark.
WEST, EAST, SOUTH, NORTH = 79.9, 83.6, 44.1, 45.4
HALF_POLYGON = [(79.9, 44.1), (81.75, 44.1), (81.9, 44.75), (81.75, 45.4), (79.9, 45.4), (79.9, 44.1)]


def tree(session: Session, villages: int = 200) -> list[int]:
    """A prefecture, one county and ``villages`` villages with points; returns the village ids."""
    root = session.scalar(select(Unit).where(Unit.code == "652700"))
    if root is None:
        root = Unit(code="652700", name="博尔塔拉蒙古自治州", kind="prefecture", lon=82.07, lat=44.9)
        session.add(root)
        session.flush()
        root.path = f"/{root.id}/"
    county = Unit(code="SYN-COUNTY", name="合成县", kind="county", parent_id=root.id, depth=1)
    session.add(county)
    session.flush()
    county.path = f"{root.path}{county.id}/"
    rng = random.Random(7)
    ids = []
    for n in range(villages):
        village = Unit(code=f"SYN-V{n:05d}", name=f"合成村{n}", kind="village", parent_id=county.id, depth=2,
                       lon=rng.uniform(WEST, EAST), lat=rng.uniform(SOUTH, NORTH))
        session.add(village)
        session.flush()
        village.path = f"{county.path}{village.id}/"
        ids.append(village.id)
    session.flush()
    return ids


def recipients(session: Session, count: int, village_ids: list[int], *, seed: int = 11, batch: int = 50000) -> None:
    """``count`` SMS recipients with points spread uniformly over the bounding box."""
    rng = random.Random(seed)
    now = clock.now()
    table = Recipient.__table__
    rows = []
    for n in range(count):
        rows.append({"unit_id": village_ids[n % len(village_ids)], "name": "", "kind": "public",
                     "phone": f"138{n:08d}", "email": "", "language": "zh-CN" if n % 10 else "en",
                     "lon": rng.uniform(WEST, EAST), "lat": rng.uniform(SOUTH, NORTH), "by_sms": True,
                     "by_email": False, "active": True, "note": "", "is_demo": False, "created_at": now,
                     "updated_at": now})
        if len(rows) >= batch:
            session.execute(insert(table), rows)
            rows = []
    if rows:
        session.execute(insert(table), rows)


def alert(session: Session, *, polygon: list[tuple[float, float]] | None = None,
          unit_id: int | None = None) -> Any:
    from yingji.warnings.models import Alert, AlertArea, AlertInfo

    root = session.scalar(select(Unit).where(Unit.code == "652700"))
    assert root is not None
    now = clock.now()
    row = Alert(unit_id=root.id, identifier=f"65270041600000_{now:%Y%m%d%H%M%S%f}_1", status="issued",
                colour="orange", severity="Severe", event="暴雨", sent_at=now, issued_at=now, effective_at=now,
                expires_at=now + timedelta(hours=6))
    row.infos = [AlertInfo(language="zh-CN", headline="暴雨橙色预警", description="预计未来6小时有大到暴雨。",
                           instruction="请注意防范。", unit_id=root.id),
                 AlertInfo(language="en", headline="Orange rainstorm warning", description="Heavy rain.",
                           instruction="Take care.", unit_id=root.id)]
    areas = []
    if polygon:
        areas.append(AlertArea(kind="polygon", points=[[lat, lon] for lon, lat in polygon], unit_id=root.id))
    if unit_id:
        areas.append(AlertArea(kind="unit", target_unit_id=unit_id, unit_id=root.id))
    row.areas = areas
    session.add(row)
    session.flush()
    return row


def configure_sms(session: Session, url: str, secret: str, **rules: int) -> None:
    session.add(ChannelConfig(channel="sms", url=url, secret=secret, enabled=True, options={}))
    for key, value in rules.items():
        session.add(ChannelRule(key=key, value=value, unit="", source="test set-up"))
    session.flush()


def sqlite_fast(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA synchronous=OFF"))

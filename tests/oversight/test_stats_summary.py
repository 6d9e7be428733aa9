"""The monthly statistics table kept by database triggers agrees with the events after every kind of write."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from tests.conftest import unit_id
from tests.oversight.helpers import add_event, local
from yingji.core.models import Unit
from yingji.core.scope import scoped, system_principal
from yingji.incidents.models import Event, StatsMonth
from yingji.oversight import common, stats


def _rows(rows: list[Any]) -> list[tuple[Any, ...]]:
    """Plain tuples (PostgreSQL sums come back as Decimal), in a fixed order."""
    return sorted((tuple(v if v is None or isinstance(v, str) else int(v) for v in row) for row in rows), key=repr)


def _agree(session: Any, year: int) -> list[tuple[Any, ...]]:
    system = system_principal("test")
    from_table = _rows(stats.grouped(session, system, year - 1, years=2, detail=True))
    from_events = _rows(stats.events_grouped(session, scoped(select(Unit.id), system), year - 1, 2, True))
    assert from_table == from_events
    return from_table


def _places(session: Any) -> list[int]:
    return list(session.scalars(select(Unit.id).where(Unit.kind.in_(("township", "village"))).order_by(Unit.id)))


def test_the_table_follows_inserts_updates_and_deletes(session: Any) -> None:
    rng = random.Random(7)
    places = _places(session)
    events = []
    for _ in range(300):
        # Around month ends in Beijing time, where a UTC-based month would go wrong.
        when = local(2029, rng.randint(1, 12), 1) + timedelta(seconds=rng.randint(-3 * 3600, 3 * 3600))
        events.append(add_event(session, rng.choice(places), when, category=rng.choice("1234"),
                                level=rng.choice((1, 2, 3, 4)), deaths=rng.randrange(3), injured=rng.randrange(4),
                                missing=rng.randrange(2), loss=rng.randrange(10_000)))
    session.commit()
    before = _agree(session, 2029)
    assert sum(r[5] for r in before) >= 300  # every seeded event is counted (the demo data adds its own)

    for event in rng.sample(events, 60):
        change = rng.randrange(6)
        if change == 0:
            event.level = rng.choice((1, 2, 3, 4, None))
        elif change == 1:
            event.deaths += rng.randint(1, 5)
            event.direct_loss += 1000
        elif change == 2:
            event.unit_id = rng.choice(places)
        elif change == 3:
            event.occurred_at += timedelta(days=rng.randint(-40, 40))
        elif change == 4:
            event.category, event.subtype = "3", "3.2"
        else:
            event.title = "只改了标题"  # not a statistics column: nothing to do
    session.commit()
    _agree(session, 2029)

    gone = [e.id for e in events[:25]]
    session.execute(delete(Event).where(Event.id.in_(gone)))
    session.commit()
    after = _agree(session, 2029)
    start, end = local(2028, 1, 1), local(2030, 1, 1)
    in_window = sum(1 for when in session.scalars(select(Event.occurred_at)) if start <= when < end)
    assert sum(r[5] for r in after) == in_window


def test_the_last_microsecond_of_a_month_stays_in_it(session: Any) -> None:
    place = unit_id(session, "652722")
    add_event(session, place, local(2029, 1, 31, 23, 59, 59) + timedelta(microseconds=999_999), deaths=1)
    add_event(session, place, local(2029, 2, 1), deaths=2)
    session.commit()
    months = {(r.ym - 2029 * 12 + 1, r.deaths) for r in session.scalars(
        select(StatsMonth).where(StatsMonth.unit_id == place, StatsMonth.ym.in_((2029 * 12, 2029 * 12 + 1))))}
    assert months == {(1, 1), (2, 2)}
    _agree(session, 2029)


def test_another_zone_reads_the_events_themselves(session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    place = unit_id(session, "652722")
    add_event(session, place, local(2029, 2, 1, 0, 30), deaths=4)  # February in Beijing, January in Urumqi
    session.commit()
    system = system_principal("test")
    assert {(r[3], r[4]) for r in stats.grouped(session, system, 2029) if r[0] == place} == {(2, 1)}
    monkeypatch.setattr(common, "zone", lambda: ZoneInfo("Asia/Urumqi"))
    assert {(r[3], r[4]) for r in stats.grouped(session, system, 2029) if r[0] == place} == {(1, 1)}

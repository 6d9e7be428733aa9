"""The duty desk's queue page: the waiting reports always shown by time left, filters (stage, level, late
only, the day the done ones were dealt with), the done ones paged in SQL, and the export of the whole
filtered queue."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import audit_count, zh
from tests.incidents.helpers import local, set_now
from yingji.incidents.models import Event, Hop

T0 = local(2026, 12, 2, 2, 10)


def _file(village, title: str, key: str, deaths: str) -> None:
    sent = village.form("/incidents/new", {"title": title, "occurred_at": "2026-12-02T02:10", "subtype": "1.4.2",
                                           "description": "边坡滑坡", "deaths": deaths, "injured": "0",
                                           "idempotency_key": key})
    assert sent.status_code == 303, sent.text


def _hop(session, title: str) -> Hop:
    hop = session.scalar(select(Hop).join(Event, Event.id == Hop.event_id).where(Event.title == title))
    assert hop is not None
    return hop


def _done_copies(session, hop: Hop, days: list[int]) -> list[int]:
    """Hops already dealt with at the same desk, one per entry of ``days`` (Beijing day of December 2026)."""
    made = []
    for n, day in enumerate(days):
        copy = Hop(event_id=hop.event_id, report_id=hop.report_id, unit_id=hop.unit_id,
                   from_unit_id=hop.from_unit_id, stage=hop.stage, level=4, must_forward=False,
                   received_at=local(2026, 11, day, 8), due_at=local(2026, 11, day, 10), limit_seconds=7200,
                   signed_at=local(2026, 11, day, 9), signed_by_name="值班员", done_at=local(2026, 11, day, 9, n % 60),
                   late_at=local(2026, 11, day, 10) if n % 2 else None, dispatched_at=local(2026, 11, day, 8))
        session.add(copy)
        session.flush()
        made.append(copy.id)
    session.commit()
    return made


def _sheet(response):
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2, values_only=True))


def test_queue_filters_narrow_the_waiting_and_the_done(browser, session):
    set_now(T0 + timedelta(minutes=6))
    village = browser("village")
    _file(village, "甲滑坡", "q-1", "3")  # level III: must reach the prefecture
    _file(village, "乙滑坡", "q-2", "0")
    a, b = _hop(session, "甲滑坡"), _hop(session, "乙滑坡")
    assert a.level == 3 and b.level != 3
    done_30, done_29 = _done_copies(session, b, [30, 29])
    bole = browser("bole")
    page = bole.get("/incidents/queue").text
    assert f'id="hop-{a.id}"' in page and f'id="hop-{b.id}"' in page and f'id="done-{done_30}"' in page
    assert 'method="get"' in page and "export=xlsx" in page and 'class="pager"' in page
    assert page.index(f'id="hop-{a.id}"') < page.index(f'id="hop-{b.id}"') or a.due_at >= b.due_at
    third = bole.get("/incidents/queue", params={"level": 3}).text
    assert f'id="hop-{a.id}"' in third and f'id="hop-{b.id}"' not in third and f'id="done-{done_30}"' not in third
    prefecture = bole.get("/incidents/queue", params={"stage": "prefecture"}).text
    assert f'id="hop-{a.id}"' not in prefecture and f'id="done-{done_30}"' not in prefecture
    county = bole.get("/incidents/queue", params={"stage": "county"}).text
    assert f'id="hop-{a.id}"' in county and f'id="done-{done_30}"' in county
    # Late only: a waiting hop past its limit, and the done ones marked late.
    set_now(b.due_at + timedelta(seconds=1))
    bole = browser("bole")  # signed in again at the later hour
    if a.due_at > b.due_at:
        late = bole.get("/incidents/queue", params={"late": "1"}).text
        assert f'id="hop-{b.id}"' in late and f'id="hop-{a.id}"' not in late
    late = bole.get("/incidents/queue", params={"late": "1"}).text
    assert f'id="hop-{b.id}"' in late and f'id="done-{done_29}"' in late and f'id="done-{done_30}"' not in late
    # The date range is the day the done ones were dealt with (Beijing days); the waiting stay in view.
    day = bole.get("/incidents/queue", params={"date_from": "2026-11-30", "date_to": "2026-11-30"}).text
    assert f'id="done-{done_30}"' in day and f'id="done-{done_29}"' not in day and f'id="hop-{a.id}"' in day
    # Out of scope: 精河县 sees none of it.
    other = browser("jinghe").get("/incidents/queue").text
    assert f'id="hop-{b.id}"' not in other and f'id="done-{done_30}"' not in other


def test_queue_pages_the_done_and_exports_the_whole_filtered_queue(browser, session):
    set_now(T0 + timedelta(minutes=6))
    _file(browser("village"), "丙滑坡", "q-3", "0")
    waiting = _hop(session, "丙滑坡")
    made = _done_copies(session, waiting, [28] * 30 + [27] * 31)  # 61 done: two pages of 50
    bole = browser("bole")
    first = bole.get("/incidents/queue").text
    second = bole.get("/incidents/queue", params={"page": 2}).text
    on_first = {i for i in made if f'id="done-{i}"' in first}
    on_second = {i for i in made if f'id="done-{i}"' in second}
    assert first.count('id="done-') == 50 and len(on_first) >= 49 and on_second and not on_first & on_second
    assert f'id="hop-{waiting.id}"' in first and f'id="hop-{waiting.id}"' in second  # always in view
    assert "page=1" in second and "page=3" not in second
    rows = _sheet(bole.get("/incidents/queue", params={"export": "xlsx"}))
    hops = {row[1] for row in rows}
    assert set(made) <= hops and waiting.id in hops and len(rows) >= len(made) + 1
    assert rows[0][1] != made[0] and [row[0] for row in rows].count(rows[0][0]) < len(rows)  # waiting first
    filtered = _sheet(bole.get("/incidents/queue", params={"date_from": "2026-11-27", "date_to": "2026-11-27",
                                                          "export": "xlsx"}))
    hops = {row[1] for row in filtered}
    assert set(made[30:]) <= hops and not set(made[:30]) & hops and waiting.id in hops
    late = _sheet(bole.get("/incidents/queue", params={"late": "1", "export": "xlsx"}))
    assert {row[1] for row in late} & set(made) == {i for n, i in enumerate(made) if n % 2}


def test_queue_bad_filter_values_are_4xx(browser, session):
    bole = browser("bole")
    before = audit_count(session)
    for params in ({"level": "9"}, {"level": "x"}, {"stage": "region"}, {"late": "yes"}, {"page": "0"},
                   {"date_from": "2026-13-01"}, {"date_to": "tomorrow"}):
        response = bole.get("/incidents/queue", params=params)
        assert 400 <= response.status_code < 500, (params, response.status_code)
    backwards = bole.get("/incidents/queue", params={"date_from": "2026-11-02", "date_to": "2026-11-01"})
    assert backwards.status_code == 400 and zh("The end date is before the start date.") in backwards.text
    assert bole.get("/incidents/queue", params={"date_from": "2026-11-02", "date_to": "2026-11-02"}).status_code == 200
    assert audit_count(session) == before

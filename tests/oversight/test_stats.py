"""Statistics checked against sums computed independently (a plain loop over the same events), at the
Beijing month boundary, with year over year, per county, scope, the standard forms and the exports."""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import unit_id
from tests.oversight.helpers import add_event, audits, local
from yingji.core.models import Unit
from yingji.core.scope import system_principal
from yingji.incidents.models import Event
from yingji.oversight import stats

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _places(session: Any) -> dict[str, list[int]]:
    out = {}
    for code in ("652701", "652722"):
        county = session.get(Unit, unit_id(session, code))
        out[code] = list(session.scalars(select(Unit.id).where(Unit.path.like(county.path + "%"),
                                                                Unit.kind.in_(("township", "village")))))[:5]
    return out


def _seed(session: Any, year: int, n: int = 120) -> None:
    rng = random.Random(7)
    places = _places(session)
    for _ in range(n):
        code = rng.choice(sorted(places))
        occurred = local(year, 1, 1) + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60)) - timedelta(days=365)
        add_event(session, rng.choice(places[code]), occurred, category=rng.choice("1234"), level=rng.choice((2, 3, 4)),
                  deaths=rng.randrange(3), injured=rng.randrange(5), missing=rng.randrange(2),
                  loss=rng.randrange(10**6), title="统计测试")
    session.commit()


def _independent(session: Any, year: int, months: set[int], county_code: str | None = None) -> dict[str, Any]:
    """Sum with a plain loop over every event, month taken in Beijing time."""
    county = session.get(Unit, unit_id(session, county_code)) if county_code else None
    paths = dict(session.execute(select(Unit.id, Unit.path)).all())
    total: Counter[str] = Counter()
    by_cat: dict[str, Counter[str]] = {}
    for e in session.scalars(select(Event)):
        when = e.occurred_at.astimezone(SHANGHAI)
        if when.year != year or when.month not in months:
            continue
        if county is not None and not paths[e.unit_id].startswith(county.path):
            continue
        figures = Counter(count=1, deaths=e.deaths, injured=e.injured, missing=e.missing, loss=e.direct_loss)
        total.update(figures)
        by_cat.setdefault(e.category, Counter()).update(figures)
    return {"total": total, "by_cat": by_cat}


def _same(figures: stats.Figures, counter: Counter[str]) -> bool:
    return all(getattr(figures, k) == counter.get(k, 0) for k in stats.FIGURES)


def test_tables_match_independent_sums(session: Any) -> None:
    _seed(session, 2029)
    system = system_principal("test")
    for period, number, months in (("month", 2, {2}), ("quarter", 3, {7, 8, 9}), ("year", 1, set(range(1, 13)))):
        table = stats.table(session, system, year=2029, period=period, period_no=number)
        expected = _independent(session, 2029, months)
        assert _same(table.total, expected["total"]), period
        for category, counter in expected["by_cat"].items():
            assert _same(table.by_category[category], counter), (period, category)
        assert sum(f.count for f in table.by_county.values()) == table.total.count
        assert sum(f.loss for f in table.by_level.values()) == table.total.loss
        before = _independent(session, 2028, months)
        assert _same(table.previous, before["total"]), period
    jinghe = session.get(Unit, unit_id(session, "652722"))
    one = stats.table(session, system, year=2029, period="year", period_no=1, within=jinghe)
    assert _same(one.total, _independent(session, 2029, set(range(1, 13)), "652722")["total"])
    assert set(one.counties.values()) == {"精河县"}
    year = stats.table(session, system, year=2029, period="year", period_no=1)
    assert sum(sum(v) for v in year.series.values()) == year.total.count


def test_month_boundary_is_beijing_time(session: Any) -> None:
    place = _places(session)["652701"][0]
    add_event(session, place, local(2029, 1, 31, 23, 59, 59), deaths=1)  # January in Beijing (15:59 UTC)
    add_event(session, place, local(2029, 2, 1, 0, 0, 0), deaths=2)  # February in Beijing, still 31 Jan in UTC
    session.commit()
    system = system_principal("test")
    january = stats.table(session, system, year=2029, period="month", period_no=1)
    february = stats.table(session, system, year=2029, period="month", period_no=2)
    assert (january.total.count, january.total.deaths) == (1, 1)
    assert (february.total.count, february.total.deaths) == (1, 2)
    assert february.prior is not None and february.prior.count == 1  # month by month


def test_scope_and_exports(browser: Any, session: Any) -> None:
    places = _places(session)
    add_event(session, places["652701"][0], local(2029, 5, 5, 10), category="1", injured=3, loss=1000)
    add_event(session, places["652722"][0], local(2029, 5, 6, 10), category="2", deaths=2, loss=500)
    session.commit()
    bole = browser("bole").api("GET", "/api/oversight/stats", params={"year": 2029, "period": "month",
                                                                       "period_no": 5}).json()
    assert bole["total"] == {"count": 1, "deaths": 0, "injured": 3, "missing": 0, "loss": 1000}
    zhou = browser("zhou")
    whole = zhou.api("GET", "/api/oversight/stats", params={"year": 2029, "period": "quarter", "period_no": 2}).json()
    assert whole["total"]["count"] == 2 and whole["by_category"]["2"]["deaths"] == 2
    county = unit_id(session, "652722")
    page = zhou.get("/oversight/stats", params={"year": 2029, "period": "quarter", "period_no": 2, "county": county})
    assert page.status_code == 200 and "精河县" in page.text and "stats-chart" in page.text
    xlsx = zhou.get("/oversight/stats", params={"year": 2029, "period": "quarter", "period_no": 2,
                                                "county": county, "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(min_row=2, values_only=True))
    assert any(r[0] == "精河县" and r[2] == 1 and r[3] == 2 for r in rows)
    pdf = zhou.get("/oversight/stats", params={"year": 2029, "period": "year", "export": "pdf"})
    assert pdf.content.startswith(b"%PDF")
    assert browser("bole").get("/oversight/stats", params={"county": county}).status_code == 404
    assert zhou.get("/oversight/stats", params={"period": "week"}).status_code == 400
    assert zhou.api("GET", "/api/oversight/stats", params={"year": 2029, "period": "quarter",
                                                           "period_no": 5}).status_code == 400


def _form(session: Any, **totals: int) -> dict[str, Any]:
    return {"unit_id": unit_id(session, "652700"), "category": "2", "year": 2029, "period": "quarter", "period_no": 1,
            "rows": [{"level": 4, "count": 3, "deaths": 1, "injured": 2, "missing": 0, "loss": 100},
                     {"level": 3, "count": 1, "deaths": 3, "injured": 0, "missing": 1, "loss": 900}],
            "totals": {"count": 4, "deaths": 4, "injured": 2, "missing": 1, "loss": 1000, **totals}}


def test_statistical_form_totals_must_add_up(browser: Any, session: Any) -> None:
    zhou = browser("zhou")
    before = audits(session, "oversight_stat_form")
    wrong = zhou.api("POST", "/api/oversight/forms", json=_form(session, deaths=5))
    assert wrong.status_code == 400 and wrong.json()["field"] == "totals.deaths"
    twice = _form(session)
    twice["rows"][1]["level"] = 4
    assert zhou.api("POST", "/api/oversight/forms", json=twice).status_code == 400
    bad_quarter = {**_form(session), "period_no": 5}
    assert zhou.api("POST", "/api/oversight/forms", json=bad_quarter).status_code == 400
    assert audits(session, "oversight_stat_form") == before
    ok = zhou.api("POST", "/api/oversight/forms", json=_form(session))
    assert ok.status_code == 201 and ok.json()["totals"]["loss"] == 1000
    assert zhou.api("POST", "/api/oversight/forms", json=_form(session)).status_code == 409
    # Through the page: a total that does not add up is refused with the field named.
    page = zhou.form("/oversight/forms", {"unit_id": unit_id(session, "652700"), "category": "1", "year": "2029",
                                          "period": "month", "period_no": "3", "l4_count": "2", "l4_deaths": "0",
                                          "total_count": "3", "total_deaths": "0", "total_injured": "0",
                                          "total_missing": "0", "total_loss": "0"})
    assert page.status_code == 400
    good = zhou.form("/oversight/forms", {"unit_id": unit_id(session, "652700"), "category": "1", "year": "2029",
                                          "period": "month", "period_no": "3", "l4_count": "2",
                                          "total_count": "2", "total_deaths": "0", "total_injured": "0",
                                          "total_missing": "0", "total_loss": "0"})
    assert good.status_code == 303
    # The API's list is paged and says how many there are in all (nothing cut off silently).
    for quarter in (2, 3):
        made = zhou.api("POST", "/api/oversight/forms", json={**_form(session), "period_no": quarter})
        assert made.status_code == 201
    listed = zhou.api("GET", "/api/oversight/forms", params={"year": 2029, "category": "2", "per_page": 2})
    rest = zhou.api("GET", "/api/oversight/forms", params={"year": 2029, "category": "2", "per_page": 2, "page": 2})
    assert listed.headers["X-Total-Count"] == rest.headers["X-Total-Count"] == "3"
    assert sorted(f["period_no"] for f in listed.json() + rest.json()) == [1, 2, 3]


def test_period_before_crosses_the_year_and_the_matrix_adds_up(session: Any) -> None:
    _seed(session, 2029)
    system = system_principal("test")
    january = stats.table(session, system, year=2029, period="month", period_no=1)
    assert january.prior is not None and _same(january.prior, _independent(session, 2028, {12})["total"])
    first = stats.table(session, system, year=2029, period="quarter", period_no=1)
    assert first.prior is not None and _same(first.prior, _independent(session, 2028, {10, 11, 12})["total"])
    third = stats.table(session, system, year=2029, period="quarter", period_no=3)
    assert third.prior is not None and _same(third.prior, _independent(session, 2029, {4, 5, 6})["total"])
    year = stats.table(session, system, year=2029, period="year", period_no=1)
    assert year.prior is None
    for county, figures in year.by_county.items():
        assert sum(f.count for (c, _cat), f in year.matrix.items() if c == county) == figures.count
    assert sum(year.series_prev) == _independent(session, 2028, set(range(1, 13)))["total"]["count"]

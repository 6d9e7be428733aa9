"""Trend analysis: findings checked against sums computed independently (a plain loop over the events),
the significance thresholds at their boundaries, countermeasures (scope, bad input, audit), finalised
years that are never rewritten, the pages, the API and the exports."""

from __future__ import annotations

import io
import random
import re
from collections import defaultdict
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from tests.conftest import audit_count, unit_id, zh
from tests.oversight.helpers import add_event, audits, local
from yingji.core.models import Unit
from yingji.core.scope import system_principal
from yingji.incidents.models import Event
from yingji.oversight import defaults, trends

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = 2020  # a past year with no demo events: the findings below come from these tests' events only
FIGS = ("count", "deaths", "injured", "missing", "loss")


def _places(session: Any, code: str) -> list[int]:
    county = session.get(Unit, unit_id(session, code))
    return list(session.scalars(select(Unit.id).where(Unit.path.like(county.path + "%"),
                                                      Unit.kind.in_(("township", "village")))))[:4]


def _seed(session: Any, n: int = 160) -> None:
    rng = random.Random(11)
    places = {code: _places(session, code) for code in ("652701", "652722", "652723")}
    subtypes = {"1": ("1.2", "1.4.2", "1.4.3", "1.7"), "2": ("2.1", "2.2"), "3": ("3.1",), "4": ("4.4",)}
    for _ in range(n):
        code = rng.choice(sorted(places))
        category = rng.choice("1122234")
        occurred = local(YEAR - 1, 1, 1) + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        add_event(session, rng.choice(places[code]), occurred, category=category,
                  subtype=rng.choice(subtypes[category]), level=rng.choice((3, 4, 4)), deaths=rng.randrange(2),
                  injured=rng.randrange(4), missing=rng.randrange(2), loss=rng.randrange(400_000), title="趋势测试")
    session.commit()


def _independent(session: Any, area: Unit, year: int, per_county: bool) -> dict[str, tuple[int, int]]:
    """{finding-like key: (last year, this year)} summed with a plain loop, Beijing years, by hand."""
    paths = dict(session.execute(select(Unit.id, Unit.path)).all())
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in session.scalars(select(Event)):
        when = e.occurred_at.astimezone(SHANGHAI).year
        if when not in (year - 1, year) or not paths[e.unit_id].startswith(area.path):
            continue
        column = 1 if when == year else 0
        parts = [p for p in paths[e.unit_id].split("/") if p]
        wheres = [area.id] + ([int(parts[1])] if per_county and len(parts) > 1 else [])
        sub = ".".join(e.subtype.split(".")[:2])
        whats = ["all", f"cat:{e.category}", f"sub:{sub}", f"lvl:{e.level}"]
        values = {"count": 1, "deaths": e.deaths, "injured": e.injured, "missing": e.missing, "loss": e.direct_loss}
        for where in wheres:
            for what in whats:
                for fig, v in values.items():
                    out[f"{where}:{what}:{fig}"][column] += v
    return {k: (v[0], v[1]) for k, v in out.items()}


def _passes(then: int, now: int, fig: str) -> bool:
    """The rule written out again: ≥ 20% of last year (or from zero) and ≥ 3 events / 2 people / 100,000 yuan."""
    minimum = {"count": 3, "deaths": 2, "injured": 2, "missing": 2, "loss": 100_000}[fig]
    return abs(now - then) >= minimum and (then == 0 or abs(now - then) * 5 >= then)


def test_findings_match_independent_sums(session: Any) -> None:
    _seed(session)
    system = system_principal("test")
    root = session.get(Unit, unit_id(session, "652700"))
    result = trends.compute(session, system, root, YEAR)
    expected = _independent(session, root, YEAR, per_county=True)
    for key, (then, now) in expected.items():
        assert result.totals[key.rsplit(":", 1)[0]][0][FIGS.index(key.rsplit(":", 1)[1])] == now, key
        assert result.totals[key.rsplit(":", 1)[0]][1][FIGS.index(key.rsplit(":", 1)[1])] == then, key
    found = {f.key: (f.then, f.now) for f in result.findings}
    assert found == {k: v for k, v in expected.items() if _passes(v[0], v[1], k.rsplit(":", 1)[1])}
    assert any(k.startswith(f"{unit_id(session, '652722')}:") for k in found)  # per county, not only the total
    assert sum(result.months_now) == expected[f"{root.id}:all:count"][1]
    assert sum(result.months_then) == expected[f"{root.id}:all:count"][0]
    jinghe = session.get(Unit, unit_id(session, "652722"))
    one = trends.compute(session, system, jinghe, YEAR)
    mine = _independent(session, jinghe, YEAR, per_county=False)
    assert {f.key: (f.then, f.now) for f in one.findings} == {
        k: v for k, v in mine.items() if _passes(v[0], v[1], k.rsplit(":", 1)[1])}
    # the same finding has the same key seen from the prefecture and from the county
    shared = {k for k in found if k.startswith(f"{jinghe.id}:")}
    assert shared and shared <= {f.key for f in one.findings}


def test_a_rise_in_one_county_reads_as_a_sentence(session: Any) -> None:
    jinghe = _places(session, "652722")[0]
    for month in (2, 5, 8):
        add_event(session, jinghe, local(YEAR - 1, month, 3, 12), category="1", subtype="1.4.2")
    for month in range(1, 10):
        add_event(session, jinghe, local(YEAR, month, 9, 12), category="1", subtype="1.4.3")
    session.commit()
    system = system_principal("test")
    root = session.get(Unit, unit_id(session, "652700"))
    result = trends.compute(session, system, root, YEAR)
    key = f"{unit_id(session, '652722')}:sub:1.4:count"
    finding = next(f for f in result.findings if f.key == key)
    assert (finding.then, finding.now, finding.direction, finding.change) == (3, 9, "rose", "+200.0%")
    assert trends.sentence(finding, result.names) == zh(
        "%(what)s in %(where)s: %(figure)s rose from %(then)s to %(now)s (%(change)s)",
        what="地质灾害", where="精河县", figure=zh("events"), then=3, now=9, change="+200.0%")
    assert result.months_now[:9] == [1] * 9 and result.months_then[1] == 1


@pytest.mark.parametrize(("then", "now", "figure", "expected"), [
    (15, 18, "count", True),  # +20.0% and +3: both minimums met exactly
    (16, 19, "count", False),  # +3 but 18.75%
    (10, 12, "count", False),  # +20% but only 2 events
    (0, 3, "count", True),  # new from zero, 3 events
    (0, 2, "count", False),
    (18, 15, "count", False),  # −16.7%
    (15, 12, "count", True),  # −20.0%, −3
    (0, 2, "deaths", True),
    (0, 1, "deaths", False),
    (500_000, 600_000, "loss", True),  # +20%, +100,000 yuan
    (500_000, 599_999, "loss", False),
    (1_000_000, 1_099_999, "loss", False),  # +100,000 but under 20%
    (5, 5, "count", False),
])
def test_threshold_boundaries(session: Any, then: int, now: int, figure: str, expected: bool) -> None:
    assert trends.significant(then, now, figure, trends.rules(session)) is expected


def test_threshold_is_data(session: Any) -> None:
    from yingji.oversight.models import OvRule

    defaults.load(session, system_principal("test"))
    row = session.scalar(select(OvRule).where(OvRule.key == defaults.TREND_PERCENT))
    assert row is not None and row.value == 20 and "DEFAULTS.md" in row.source
    row.value = 25
    session.flush()
    assert trends.significant(15, 18, "count", trends.rules(session)) is False


def _jinghe_rise(session: Any) -> str:
    place = _places(session, "652722")[0]
    for day in range(1, 3):
        add_event(session, place, local(YEAR - 1, 3, day, 12), category="2", subtype="2.2")
    for day in range(1, 8):
        add_event(session, place, local(YEAR, 3, day, 12), category="2", subtype="2.2")
    session.commit()
    return f"{unit_id(session, '652722')}:sub:2.2:count"


def test_countermeasures_scope_bad_input_and_audit(browser: Any, session: Any) -> None:
    key = _jinghe_rise(session)
    jinghe_id = unit_id(session, "652722")
    body = {"year": YEAR, "finding_key": key, "text": "加强国道交通安全巡查", "owner_unit_id": jinghe_id}
    bole, jinghe = browser("bole"), browser("jinghe")
    before = audit_count(session)
    assert bole.api("POST", "/api/oversight/countermeasures", json=body).status_code == 404  # another county's
    empty = jinghe.api("POST", "/api/oversight/countermeasures", json={**body, "text": "   "})
    assert empty.status_code == 400 and empty.json()["field"] == "text"
    assert jinghe.api("POST", "/api/oversight/countermeasures",
                      json={**body, "finding_key": f"{jinghe_id}:sub:2.2:deaths"}).status_code == 404  # no such finding
    assert jinghe.api("POST", "/api/oversight/countermeasures",
                      json={**body, "finding_key": "not-a-key"}).status_code == 400
    assert jinghe.api("POST", "/api/oversight/countermeasures",
                      json={**body, "owner_unit_id": unit_id(session, "652701")}).status_code == 404
    assert audit_count(session) == before  # nothing changed
    zhou = browser("zhou")
    task = zhou.api("POST", "/api/oversight/tasks", json={
        "unit_id": jinghe_id, "source_kind": "meeting", "source_ref": "州安委会", "title": "国道安全整治",
        "owner_person": "王某", "deadline": "2027-06-30"}).json()
    other = zhou.api("POST", "/api/oversight/tasks", json={
        "unit_id": unit_id(session, "652701"), "source_kind": "meeting", "source_ref": "州安委会",
        "title": "博乐任务", "owner_person": "李某", "deadline": "2027-06-30"}).json()
    assert jinghe.api("POST", "/api/oversight/countermeasures",
                      json={**body, "task_id": other["id"]}).status_code == 404  # a task outside the county
    made = jinghe.api("POST", "/api/oversight/countermeasures", json={**body, "task_id": task["id"]})
    assert made.status_code == 201, made.text
    row = made.json()
    assert (row["unit_id"], row["task_id"], row["finding_key"]) == (jinghe_id, task["id"], key)
    assert audits(session, "oversight_countermeasure", "create") == 1
    assert bole.api("GET", f"/api/oversight/countermeasures/{row['id']}").status_code == 404
    got = zhou.api("GET", "/api/oversight/trends", params={"year": YEAR, "county_id": jinghe_id}).json()
    finding = next(f for f in got["findings"] if f["key"] == key)
    assert [m["text"] for m in finding["countermeasures"]] == ["加强国道交通安全巡查"]
    assert (finding["then"], finding["now"], finding["direction"]) == (2, 7, "rose")
    # the prefecture's own view shows the same finding, with the same countermeasure
    whole = zhou.api("GET", "/api/oversight/trends", params={"year": YEAR}).json()
    assert [m["id"] for f in whole["findings"] if f["key"] == key for m in f["countermeasures"]] == [row["id"]]
    listed = zhou.api("GET", "/api/oversight/countermeasures", params={"year": YEAR, "unit_id": jinghe_id}).json()
    assert listed["total"] == 1
    assert bole.api("GET", "/api/oversight/countermeasures", params={"year": YEAR}).json()["total"] == 0
    assert bole.api("GET", "/api/oversight/trends", params={"year": YEAR, "county_id": jinghe_id}).status_code == 404


def test_finalised_findings_are_not_rewritten(browser: Any, session: Any) -> None:
    key = _jinghe_rise(session)
    jinghe_id = unit_id(session, "652722")
    jinghe = browser("jinghe")
    assert browser("leader").api("POST", "/api/oversight/trends/finalise", params={"year": YEAR}).status_code == 403
    assert jinghe.api("POST", "/api/oversight/trends/finalise",
                      params={"year": 2100}).status_code == 400  # not a past year
    done = jinghe.api("POST", "/api/oversight/trends/finalise", params={"year": YEAR})
    assert done.status_code == 201 and done.json()["findings"] >= 1
    assert audits(session, "oversight_trend_year", "finalise") == 1
    assert jinghe.api("POST", "/api/oversight/trends/finalise", params={"year": YEAR}).status_code == 409
    # a late record for that year: the live figures change, the finalised findings do not
    for day in range(10, 20):
        add_event(session, _places(session, "652722")[0], local(YEAR, 4, day, 12), category="2", subtype="2.2")
    session.commit()
    got = jinghe.api("GET", "/api/oversight/trends", params={"year": YEAR}).json()
    assert got["changed_since_finalised"] is True and got["finalised_at"]
    assert next(f for f in got["findings"] if f["key"] == key)["now"] == 7
    live = trends.compute(session, system_principal("test"), session.get(Unit, jinghe_id), YEAR)
    assert next(f for f in live.findings if f.key == key).now == 17
    # countermeasures still attach to the finalised findings
    assert jinghe.api("POST", "/api/oversight/countermeasures", json={
        "year": YEAR, "finding_key": key, "text": "复盘", "owner_unit_id": jinghe_id}).status_code == 201
    # the stored findings cannot be changed underneath either
    with pytest.raises(Exception, match="append-only"):
        session.execute(text("UPDATE oversight_trend_year SET findings = '[]'"))
        session.flush()
    session.rollback()


def test_pages_exports_and_forms(browser: Any, session: Any) -> None:
    key = _jinghe_rise(session)
    jinghe_id = unit_id(session, "652722")
    zhou = browser("zhou")
    page = zhou.get("/oversight/trends", params={"year": YEAR})
    assert page.status_code == 200 and zh("Trend analysis") in page.text and f'data-key="{key}"' in page.text
    assert "stats-chart" in page.text and zh("Record a countermeasure") in page.text
    rose = zhou.get("/oversight/trends", params={"year": YEAR, "direction": "fell", "kind": "sub"})
    assert f'data-key="{key}"' not in rose.text
    assert zhou.get("/oversight/trends", params={"direction": "up"}).status_code == 400
    saved = zhou.form("/oversight/trends/countermeasures", {
        "year": YEAR, "finding_key": key, "text": "开展专项整治", "owner_unit_id": jinghe_id, "back_county": ""})
    assert saved.status_code == 303 and "county=" not in saved.headers["location"]
    for href in re.findall(r'href="(\?[^"]*export=xlsx)"', page.text):  # the page's own export link parses
        assert zhou.get("/oversight/trends" + href.replace("&amp;", "&")).status_code == 200
    empty = zhou.form("/oversight/trends/countermeasures", {
        "year": YEAR, "finding_key": key, "text": "", "owner_unit_id": jinghe_id})
    assert empty.status_code == 400
    xlsx = zhou.get("/oversight/trends", params={"year": YEAR, "county": jinghe_id, "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(min_row=2, values_only=True))
    assert any(r[3] == 2 and r[4] == 7 and r[8] == "开展专项整治" for r in rows)
    listing = zhou.get("/oversight/countermeasures", params={"year": YEAR, "county": jinghe_id})
    assert listing.status_code == 200 and "开展专项整治" in listing.text
    out = zhou.get("/oversight/countermeasures", params={"q": "专项", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(out.content)).active
    assert any(r[3] == "开展专项整治" for r in sheet.iter_rows(values_only=True))
    english = browser("zhou")
    english.cookies.set("yj_lang", "en")
    en = english.get("/oversight/trends", params={"year": YEAR, "county": jinghe_id})
    assert "Trend analysis" in en.text and "rose from 2 to 7" in en.text
    final = zhou.form("/oversight/trends/finalise", {"year": YEAR, "county": jinghe_id})
    assert final.status_code == 303
    again = zhou.get("/oversight/trends", params={"year": YEAR, "county": jinghe_id})
    assert 'id="trend-final"' in again.text and 'id="trend-finalise"' not in again.text

"""Statistics of events (R3.6): monthly, quarterly and annual tables by category (each owned by a
department), level and county — counts, deaths, injuries, missing, direct economic loss (each event's
latest report figures, kept on the event) — with year over year and month by month.

One statement reads every figure of the year and the year before: per Beijing month (its bounds in UTC, so
months are Beijing months on every database) a GROUP BY unit, category and level over the covering index;
the few thousand grouped rows are then folded into category, level and county tables in Python (units
into their county through their paths)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Integer, func, literal, select, union_all
from sqlalchemy.orm import Session

from yingji.core.models import Unit
from yingji.core.scope import Principal, in_subtree, scoped
from yingji.errors import UserError
from yingji.i18n import N_
from yingji.oversight import common

FIGURES = ("count", "deaths", "injured", "missing", "loss")
CATEGORIES = {"1": N_("Natural disasters"), "2": N_("Accidents"), "3": N_("Public health events"),
              "4": N_("Social security events")}
# The department that owns each category's statistics (policy R3.6: 民政、安监、卫生计生、公安 归口统计).
OWNERS = {"1": N_("civil affairs"), "2": N_("work safety"), "3": N_("health"), "4": N_("police")}
OWNER_SOURCE = ("博州政办发〔2017〕64号 规范总结评估: 民政、安监、卫生计生、公安部门分别归口统计自然灾害、事故灾难、"
                "公共卫生事件、社会安全事件的情况")
LEVELS = {1: "I", 2: "II", 3: "III", 4: "IV"}
PERIODS = ("month", "quarter", "year")
COUNTY_KINDS = ("county", "zone")


@dataclass
class Figures:
    count: int = 0
    deaths: int = 0
    injured: int = 0
    missing: int = 0
    loss: int = 0

    def add(self, other: Figures) -> None:
        for name in FIGURES:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in FIGURES}


@dataclass
class Table:
    year: int
    period: str
    period_no: int
    months: list[int]
    total: Figures = field(default_factory=Figures)
    by_category: dict[str, Figures] = field(default_factory=dict)
    by_level: dict[Any, Figures] = field(default_factory=dict)
    by_county: dict[int, Figures] = field(default_factory=dict)
    matrix: dict[tuple[int, str], Figures] = field(default_factory=dict)
    counties: dict[int, str] = field(default_factory=dict)
    previous: Figures = field(default_factory=Figures)  # the same period a year before
    prior: Figures | None = None  # the period just before (month by month, quarter by quarter)
    series: dict[str, list[int]] = field(default_factory=dict)  # category → counts per month of the year
    series_prev: list[int] = field(default_factory=list)  # all categories per month, the year before
    source: bool = True  # False when the incidents module's events are not there yet


def months_of(period: str, period_no: int) -> list[int]:
    if period == "month":
        if not 1 <= period_no <= 12:
            raise UserError("A month is 1 to 12.", field="period_no")
        return [period_no]
    if period == "quarter":
        if not 1 <= period_no <= 4:
            raise UserError("A quarter is 1 to 4.", field="period_no")
        return [3 * (period_no - 1) + m for m in (1, 2, 3)]
    if period == "year":
        return list(range(1, 13))
    raise UserError("The period is month, quarter or year.", field="period")


def _event_model() -> Any:
    return common.optional_model("yingji.incidents.models", "Event")


SUMMARY_ZONE = "Asia/Shanghai"  # the month the database's incident_stats_month is kept in


def grouped(session: Session, principal: Principal, year: int, within: Unit | None = None,
            years: int = 1, detail: bool = False) -> list[Any]:
    """Rows (unit_id, category, [subtype,] level, month, count, deaths, injured, missing, loss) of ``years``
    years from ``year`` on; month counts on from January of ``year`` (13 is January of the year after).

    Read from ``incident_stats_month`` (a few rows per unit and month, kept by database triggers) when the
    platform's months are Beijing months, as the table's are; otherwise from the events themselves."""
    units = scoped(select(Unit.id), principal)
    if within is not None:
        units = units.where(in_subtree(Unit.path, within.path))
    summary = common.optional_model("yingji.incidents.models", "StatsMonth")
    if common.zone().key == SUMMARY_ZONE and common.table_ready(session, summary):
        first = year * 12
        keys = [summary.unit_id, summary.category, *([summary.subtype] if detail else [])]
        level = func.nullif(summary.level, 0)
        stmt = (select(*keys, level.label("level"), (summary.ym - first + 1).label("month"),
                       func.sum(summary.events), func.sum(summary.deaths), func.sum(summary.injured),
                       func.sum(summary.missing), func.sum(summary.direct_loss))
                .where(summary.unit_id.in_(units), summary.ym >= first, summary.ym < first + 12 * years)
                .group_by(*keys, summary.level, summary.ym)
                .having(func.sum(summary.events) > 0))
        return list(session.execute(stmt).all())
    return events_grouped(session, units, year, years, detail)


def events_grouped(session: Session, units: Any, year: int, years: int = 1, detail: bool = False) -> list[Any]:
    """``grouped`` computed from the events: a UNION ALL of one GROUP BY per local month, each a range of the
    covering index ``ix_incident_events_stats`` (unit, time, category, subtype, level and the figures), so no
    row is read from the table and no per-row month expression is evaluated. ``units`` is a select of the
    unit ids in scope."""
    event = _event_model()
    bounds = [common.day_start(date(year + (m - 1) // 12, (m - 1) % 12 + 1, 1)) for m in range(1, 12 * years + 2)]
    keys = [event.unit_id, event.category, *([event.subtype] if detail else []), event.level]
    figures = (func.count(), func.coalesce(func.sum(event.deaths), 0), func.coalesce(func.sum(event.injured), 0),
               func.coalesce(func.sum(event.missing), 0), func.coalesce(func.sum(event.direct_loss), 0))
    allowed = event.unit_id.in_(units)
    parts = [select(*keys, literal(m, Integer).label("month"), *figures)
             .where(allowed, event.occurred_at >= bounds[m - 1], event.occurred_at < bounds[m]).group_by(*keys)
             for m in range(1, 12 * years + 1)]
    return list(session.execute(union_all(*parts)).all())


def county_of(session: Session, unit_ids: set[int]) -> tuple[dict[int, int], dict[int, str]]:
    """Each unit's county (or management zone); units at the prefecture's own level map to the prefecture."""
    if not unit_ids:
        return {}, {}
    paths = dict(session.execute(select(Unit.id, Unit.path).where(Unit.id.in_(unit_ids))).all())
    heads: dict[int, int] = {}
    for uid, path in paths.items():
        ids = [int(p) for p in path.strip("/").split("/") if p]
        heads[uid] = ids[1] if len(ids) > 1 else ids[0]
    tops = session.execute(select(Unit.id, Unit.name, Unit.kind, Unit.parent_id)
                           .where(Unit.id.in_(set(heads.values())))).all()
    top_info = {i: (n, k, p) for i, n, k, p in tops}
    root_ids = {p for _n, _k, p in top_info.values() if p}
    roots = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(root_ids))).all()) \
        if root_ids else {}
    mapping: dict[int, int] = {}
    names: dict[int, str] = {}
    for uid, head in heads.items():
        name, kind, parent = top_info.get(head, ("", "", None))
        if kind in COUNTY_KINDS or parent is None:
            mapping[uid], names[head] = head, name
        else:
            mapping[uid], names[parent] = parent, roots.get(parent, "")
    return mapping, names


def _add(cells: dict[Any, list[Any]], key: Any, figures: tuple[Any, ...]) -> None:
    cell = cells.get(key)
    if cell is None:
        cells[key] = list(figures)
    else:
        cell[0] += figures[0]
        cell[1] += figures[1]
        cell[2] += figures[2]
        cell[3] += figures[3]
        cell[4] += figures[4]


def _figures(cell: list[Any] | None) -> Figures:
    return Figures(*(int(v) for v in cell)) if cell else Figures()


def table(session: Session, principal: Principal, *, year: int, period: str, period_no: int,
          within: Unit | None = None) -> Table:
    """The statistics table of one month, quarter or year, for the principal's area (or one county).

    The grouped rows of the year before (months 1..12) and the year (13..24) are folded in one pass into
    plain lists of the five figures; Figures objects are made only for the cells of the result."""
    if not 2000 <= year <= 2100:
        raise UserError("The year must lie between 2000 and 2100.", field="year")
    months = months_of(period, period_no)
    result = Table(year=year, period=period, period_no=period_no, months=months)
    if not common.table_ready(session, _event_model()):
        result.source = False
        return result
    both = grouped(session, principal, year - 1, within, years=2)  # the year before and the year, one statement
    mapping, names = county_of(session, {r[0] for r in both})
    now = {m + 12 for m in months}
    then = set(months)
    prior: set[int] = set()
    if period != "year":
        if period_no > 1:
            prior = {m + 12 for m in months_of(period, period_no - 1)}
        else:
            prior = set(months_of(period, 12 if period == "month" else 4))
    cells: dict[str, dict[Any, list[Any]]] = {"cat": {}, "lvl": {}, "county": {}, "matrix": {}, "sum": {}}
    by_cat, by_level, by_county, matrix, sums = (cells["cat"], cells["lvl"], cells["county"], cells["matrix"],
                                                 cells["sum"])
    series: dict[str, list[int]] = defaultdict(lambda: [0] * 12)
    prev = [0] * 12
    for unit_id, category, level, month, *figures in both:
        cat = (category or "")[:1]
        if month > 12:
            series[cat][month - 13] += int(figures[0])
        else:
            prev[month - 1] += int(figures[0])
        if month in prior:
            _add(sums, "prior", figures)
        if month in then:
            _add(sums, "previous", figures)
        elif month in now:
            county = mapping.get(unit_id, 0)
            _add(sums, "total", figures)
            _add(by_cat, cat, figures)
            _add(by_level, level, figures)
            _add(by_county, county, figures)
            _add(matrix, (county, cat), figures)
    result.total = _figures(sums.get("total"))
    result.by_category = {k: _figures(v) for k, v in by_cat.items()}
    result.by_level = {k: _figures(v) for k, v in by_level.items()}
    result.by_county = {k: _figures(v) for k, v in by_county.items()}
    result.matrix = {k: _figures(v) for k, v in matrix.items()}
    result.counties = {k: v for k, v in names.items() if k in by_county}
    result.previous = _figures(sums.get("previous"))
    result.prior = _figures(sums.get("prior")) if prior else None
    result.series = {c: series[c] for c in CATEGORIES}
    result.series_prev = prev
    return result


def change(now: int, then: int) -> str:
    """Year-over-year (or period-over-period) change as a signed percentage; '—' from zero."""
    if then == 0:
        return "—" if now == 0 else "+∞"
    return f"{(now - then) * 100 / then:+.1f}%"

"""Trend analysis (R3.6): for one area (the prefecture, a county) and one year, what rose, what fell and
where — computed from the events' figures (count, deaths, injured, missing, direct loss) by category,
subtype, level and county, this year against the year before — with countermeasures recorded against
each finding.

A finding is a change that passes the thresholds of the rules table (``trend_min_*``, with their source):
at least the minimum percentage of last year's figure (or new from zero) and at least the minimum size for
that figure. Each finding has a stable key ``<area unit id>:<what>:<figure>`` (``what`` is ``all``,
``cat:1``, ``sub:1.4`` or ``lvl:4``), so countermeasures attach to the finding, not to a row of a table.

Findings are computed live while a year is open. Finalising an area's year stores its findings as they
stand (``oversight_trend_year``, append-only): afterwards the page shows the stored findings, never a
silent recomputation, and says so when the records have changed since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock, i18n
from yingji.core import audit, roles
from yingji.core.models import Unit
from yingji.core.schemas import Page
from yingji.core.scope import Principal, get_scoped, recheck, scoped, unit_in_scope
from yingji.core.service import paginate
from yingji.errors import Conflict, NotFound, UserError
from yingji.i18n import N_, gettext
from yingji.oversight import common, defaults, stats
from yingji.oversight.models import OvCountermeasure, OvTask, OvTrendYear
from yingji.oversight.schemas import CountermeasureCreate, CountermeasureRead

FIGURES = stats.FIGURES
FIGURE_NOUNS = {"count": N_("events"), "deaths": N_("deaths"), "injured": N_("injured"), "missing": N_("missing"),
                "loss": N_("direct loss (yuan)")}
MINIMUM_RULE = {"count": defaults.TREND_EVENTS, "deaths": defaults.TREND_PEOPLE, "injured": defaults.TREND_PEOPLE,
                "missing": defaults.TREND_PEOPLE, "loss": defaults.TREND_LOSS}
DIRECTIONS = {"rose": N_("rose"), "fell": N_("fell")}
WHAT_KINDS = ("all", "cat", "sub", "lvl")


@dataclass
class Finding:
    key: str
    where_id: int
    where_name: str
    what: str
    figure: str
    then: int
    now: int

    @property
    def delta(self) -> int:
        return self.now - self.then

    @property
    def direction(self) -> str:
        return "rose" if self.now > self.then else "fell"

    @property
    def change(self) -> str:
        return stats.change(self.now, self.then)

    def as_dict(self) -> dict[str, object]:
        return {"key": self.key, "where_id": self.where_id, "where_name": self.where_name, "what": self.what,
                "figure": self.figure, "then": self.then, "now": self.now}


@dataclass
class Analysis:
    area: Unit
    year: int
    findings: list[Finding] = field(default_factory=list)
    live: list[Finding] = field(default_factory=list)
    months_now: list[int] = field(default_factory=lambda: [0] * 12)
    months_then: list[int] = field(default_factory=lambda: [0] * 12)
    series: dict[str, list[int]] = field(default_factory=dict)  # category → events per month of the year
    totals: dict[str, tuple[list[int], list[int]]] = field(default_factory=dict)  # where-what → (now, then)
    rules: dict[str, int] = field(default_factory=dict)
    frozen: OvTrendYear | None = None
    drift: bool = False  # finalised, and the records have changed since
    source: bool = True
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # subtype code → (Chinese, English)


def rules(session: Session) -> dict[str, int]:
    return {key: defaults.value(session, key) for key in defaults.TREND_RULES}


def significant(then: int, now: int, figure: str, limits: dict[str, int]) -> bool:
    """A change is a finding when it is at least the figure's minimum in size and at least the minimum
    percentage of last year's figure (any change of that size from zero counts)."""
    delta = abs(now - then)
    minimum = limits[MINIMUM_RULE[figure]]
    if delta == 0 or delta < minimum:
        return False
    return then == 0 or delta * 100 >= limits[defaults.TREND_PERCENT] * then


def key_of(where_id: int, what: str, figure: str) -> str:
    return f"{where_id}:{what}:{figure}"


def where_of(key: str) -> int:
    """The area unit id of a finding key; a key that is not one is a 400."""
    head, _sep, rest = key.partition(":")
    what, _sep2, figure = rest.rpartition(":")
    if not head.isdigit() or len(head) > 12 or figure not in FIGURES or what.split(":")[0] not in WHAT_KINDS:
        raise UserError("This is not a finding of the trend analysis.", field="finding_key")
    return int(head)


def area_of(session: Session, principal: Principal, county_id: int | None) -> Unit:
    """The area analysed: a chosen unit (a county) within the principal's area, or the principal's own unit."""
    if county_id:
        return unit_in_scope(session, principal, county_id)
    if principal.unit_id is None:
        raise NotFound("Not found, or not within your area.")
    return unit_in_scope(session, principal, principal.unit_id)


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise UserError("The year must lie between 2000 and 2100.", field="year")


def _grouped(session: Session, principal: Principal, area: Unit, year: int) -> list[Any]:
    """(unit_id, category, subtype, level, month 1..24, count, deaths, injured, missing, loss) of the year
    before and the year, Beijing months, in one statement (see ``stats.grouped``)."""
    return stats.grouped(session, principal, year - 1, area, years=2, detail=True)


def _subtype_names(session: Session) -> dict[str, tuple[str, str]]:
    model = common.optional_model("yingji.incidents.models", "IncidentCategory")
    if not common.table_ready(session, model):
        return {}
    return {code: (name, name_en) for code, name, name_en in
            session.execute(select(model.code, model.name, model.name_en))}


def compute(session: Session, principal: Principal, area: Unit, year: int) -> Analysis:
    """The live analysis of ``area`` for ``year``: totals per (where, what), the findings, the months."""
    _check_year(year)
    result = Analysis(area=area, year=year, rules=rules(session))
    if not common.table_ready(session, stats._event_model()):
        result.source = False
        return result
    result.names = _subtype_names(session)
    rows = _grouped(session, principal, area, year)
    mapping, names = stats.county_of(session, {r[0] for r in rows})
    by_county = area.kind not in stats.COUNTY_KINDS and area.parent_id is None  # the prefecture: also per county
    totals: dict[tuple[int, str], tuple[list[int], list[int]]] = {}
    series: dict[str, list[int]] = {c: [0] * 12 for c in stats.CATEGORIES}
    for unit_id, category, subtype, level, month, *figures in rows:
        this_year = month > 12
        cat = (category or "")[:1]
        parts = (subtype or "").split(".")
        whats = ["all", f"cat:{cat}"]
        if len(parts) >= 2:
            whats.append(f"sub:{parts[0]}.{parts[1]}")
        if level:
            whats.append(f"lvl:{level}")
        wheres = [area.id]
        county = mapping.get(unit_id)
        if by_county and county and county != area.id:
            wheres.append(county)
        for where in wheres:
            for what in whats:
                pair = totals.setdefault((where, what), ([0] * 5, [0] * 5))
                target = pair[0] if this_year else pair[1]
                for i, value in enumerate(figures):
                    target[i] += int(value)
        if this_year:
            result.months_now[month - 13] += int(figures[0])
            if cat in series:
                series[cat][month - 13] += int(figures[0])
        else:
            result.months_then[month - 1] += int(figures[0])
    result.series = series
    result.totals = {f"{w}:{what}": pair for (w, what), pair in totals.items()}
    names[area.id] = area.name
    result.live = _findings(totals, names, area.id, result.rules)
    result.findings = result.live
    return result


def _what_rank(what: str) -> tuple[int, str]:
    return WHAT_KINDS.index(what.split(":")[0]), what


def _findings(totals: dict[tuple[int, str], tuple[list[int], list[int]]], names: dict[int, str], area_id: int,
              limits: dict[str, int]) -> list[Finding]:
    out = []
    for (where, what), (now, then) in totals.items():
        for i, figure in enumerate(FIGURES):
            if significant(then[i], now[i], figure, limits):
                out.append(Finding(key_of(where, what, figure), where, names.get(where, ""), what, figure,
                                   then[i], now[i]))
    out.sort(key=lambda f: (f.where_id != area_id, f.where_name, _what_rank(f.what), FIGURES.index(f.figure)))
    return out


def frozen(session: Session, area_id: int, year: int) -> OvTrendYear | None:
    return session.scalar(select(OvTrendYear).where(OvTrendYear.unit_id == area_id, OvTrendYear.year == year))


def analyse(session: Session, principal: Principal, area: Unit, year: int) -> Analysis:
    """The analysis shown: live while the year is open; the stored findings once the area's year is final."""
    result = compute(session, principal, area, year)
    row = frozen(session, area.id, year)
    if row is not None:
        result.frozen = row
        result.findings = [Finding(**{k: v for k, v in f.items()}) for f in row.findings]  # type: ignore[arg-type]
        result.rules = dict(row.rules)
        result.drift = [f.as_dict() for f in result.findings] != [f.as_dict() for f in result.live]
    return result


def finalise(session: Session, principal: Principal, area: Unit, year: int) -> OvTrendYear:
    """Store the area's findings of a past year; once stored they are never rewritten."""
    _check_year(year)
    unit_in_scope(session, principal, area.id, roles.WRITE)
    if year >= common.today().year:
        raise UserError("Only a past year can be finalised.", field="year")
    if frozen(session, area.id, year) is not None:
        raise Conflict("This year's trend analysis is already finalised.")
    live = compute(session, principal, area, year)
    row = OvTrendYear(unit_id=area.id, year=year, findings=[f.as_dict() for f in live.live], rules=live.rules,
                      finalised_at=clock.now(), finalised_by_name=principal.name[:100])
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="finalise", entity_type="oversight_trend_year", entity_id=row.id,
                 unit_id=row.unit_id, after={"year": year, "findings": len(row.findings)})
    return row


# --- countermeasures -------------------------------------------------------------------------

def add_countermeasure(session: Session, principal: Principal, data: CountermeasureCreate) -> OvCountermeasure:
    """Record a countermeasure against a finding the principal may act on (another area's finding: 404)."""
    text = data.text.strip()
    where_id = where_of(data.finding_key)
    area = unit_in_scope(session, principal, where_id, roles.WRITE)
    if not text:
        raise UserError("Write the countermeasure.", field="text")
    if data.finding_key not in {f.key for f in analyse(session, principal, area, data.year).findings}:
        raise NotFound("No such finding in this year's trend analysis.")
    unit_in_scope(session, principal, data.owner_unit_id)
    if data.task_id is not None:
        get_scoped(session, principal, OvTask, data.task_id)
    row = OvCountermeasure(unit_id=area.id, year=data.year, finding_key=data.finding_key, text=text,
                           owner_unit_id=data.owner_unit_id, task_id=data.task_id, author_id=principal.user_id,
                           author_name=principal.name[:100], created_at=clock.now())
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="create", entity_type="oversight_countermeasure", entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))
    return row


def get_countermeasure(session: Session, principal: Principal, countermeasure_id: int) -> OvCountermeasure:
    return get_scoped(session, principal, OvCountermeasure, countermeasure_id)


def countermeasure_query(principal: Principal, *, year: int | None = None, unit_id: int | None = None,
                         q: str = "", keys: list[str] | None = None) -> Any:
    stmt = scoped(select(OvCountermeasure), principal)
    if year is not None:
        stmt = stmt.where(OvCountermeasure.year == year)
    if unit_id is not None:
        stmt = stmt.where(OvCountermeasure.unit_id == unit_id)
    if q:
        stmt = stmt.where(OvCountermeasure.text.ilike(f"%{q}%"))
    if keys is not None:
        stmt = stmt.where(OvCountermeasure.finding_key.in_(keys))
    return stmt.order_by(OvCountermeasure.created_at.desc(), OvCountermeasure.id.desc())


def list_countermeasures(session: Session, principal: Principal, *, page: int = 1, per_page: int = 50,
                         **filters: Any) -> Page[CountermeasureRead]:
    return paginate(session, countermeasure_query(principal, **filters), CountermeasureRead, page=page,
                    per_page=per_page)


def countermeasures_for(session: Session, principal: Principal, year: int,
                        keys: list[str]) -> dict[str, list[OvCountermeasure]]:
    """The countermeasures of the given findings, by finding key (one query)."""
    out: dict[str, list[OvCountermeasure]] = {}
    if not keys:
        return out
    for row in session.scalars(countermeasure_query(principal, year=year, keys=keys)):
        out.setdefault(row.finding_key, []).append(row)
    return out


# --- labels ----------------------------------------------------------------------------------

def what_label(what: str, names: dict[str, tuple[str, str]]) -> str:
    kind, _sep, code = what.partition(":")
    if kind == "all":
        return gettext("all events")
    if kind == "cat":
        return gettext(stats.CATEGORIES.get(code, code))
    if kind == "lvl":
        return gettext("level %(level)s") % {"level": stats.LEVELS.get(int(code), code) if code.isdigit() else code}
    zh, en = names.get(code, (code, code))
    return en if i18n.current_language() == "en" else zh


def sentence(f: Finding, names: dict[str, tuple[str, str]]) -> str:
    """E.g. "地质灾害 in 精河县: events rose from 3 to 9 (+200.0%)"."""
    message = (gettext("%(what)s in %(where)s: %(figure)s rose from %(then)s to %(now)s (%(change)s)")
               if f.direction == "rose" else
               gettext("%(what)s in %(where)s: %(figure)s fell from %(then)s to %(now)s (%(change)s)"))
    return message % {"what": what_label(f.what, names), "where": f.where_name,
                      "figure": gettext(FIGURE_NOUNS[f.figure]), "then": f.then, "now": f.now, "change": f.change}

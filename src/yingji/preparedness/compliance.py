"""The compliance engine: rules as data, measures registered by code, evaluated for any scope and date.

A *rule* says who (unit kinds), what (a named measure), how often (a calendar year, or standing — the
state on the day), how many (at least / at most a threshold) and why (its source). Rules come from
rule providers: the ``prep_rule`` table, and core's staffing quotas (read, never copied).

A *measure* is a function registered under a name: given a :class:`MeasureContext` (the session, a
select of the unit ids to measure, the period and the day), it returns ``{unit_id: value}`` computed
set-based (one or two grouped queries, never a query per unit). Units it leaves out get the measure's
``missing`` value (0, or ``None`` for "does not apply"). Another module adds a measure with
``register_measure(name, fn, label=...)`` and a rule row naming it; the engine does not change.

Status of a unit under a rule on day D:
- compliant: the threshold is met (or, during a running year, the count keeps the year's pace:
  value >= threshold x elapsed share of the year);
- at risk: the year is still running and the count is behind that pace;
- failing: the period is over (or the rule is standing) and the threshold is not met.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from yingji.core.models import Unit
from yingji.core.scope import Principal, in_subtree, scoped

COMPLIANT, AT_RISK, FAILING = "compliant", "at_risk", "failing"
STATUSES = (COMPLIANT, AT_RISK, FAILING)
PERIODS = ("year", "standing")
COMPARISONS = ("at_least", "at_most")


@dataclass(frozen=True)
class MeasureContext:
    session: Session
    units: Select[Any]  # select of Unit.id: the units to measure
    start: date  # first day of the period (standing rules: the day itself)
    until: date  # last day counted: min(day, end of period)
    on: date  # the day of the evaluation
    param: int | None = None


@dataclass(frozen=True)
class Record:
    """A record a status rests on: what it is, its date, its title, and where to see it."""

    kind: str
    id: int
    title: str
    on: date | None
    link: str


MeasureFn = Callable[[MeasureContext], dict[int, float | None]]
RecordsFn = Callable[[MeasureContext, int], list[Record]]


@dataclass(frozen=True)
class Measure:
    name: str
    label: str
    fn: MeasureFn
    records: RecordsFn | None = None
    missing: float | None = 0.0


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    kinds: tuple[str, ...]
    measure: str
    period: str
    comparison: str
    threshold: float
    source: str
    param: int | None = None
    rule_id: int | None = None  # the prep_rule row, when the rule is one
    link: str = ""  # where the rule is edited, when not on the rules page


@dataclass(slots=True)
class Result:
    unit_id: int
    unit_code: str
    unit_name: str
    unit_kind: str
    area_id: int | None
    rule: Rule
    value: float
    expected: float  # what the pace asks for by the day (equal to the threshold once the period is over)
    status: str
    period_key: str
    order: int = 0  # sort key: status, unit, rule


@dataclass
class Evaluation:
    on: date
    year: int
    results: list[Result] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for r in self.results:
            out[r.status] += 1
        return out


MEASURES: dict[str, Measure] = {}
RULE_PROVIDERS: list[Callable[[Session], list[Rule]]] = []


def register_measure(name: str, fn: MeasureFn, *, label: str, records: RecordsFn | None = None,
                     missing: float | None = 0.0) -> Measure:
    """Make a measure available to rules under ``name`` (registering a name again replaces it)."""
    measure = Measure(name=name, label=label, fn=fn, records=records, missing=missing)
    MEASURES[name] = measure
    return measure


def register_rule_provider(fn: Callable[[Session], list[Rule]]) -> None:
    """Add a source of rules (e.g. another table that already holds policy numbers)."""
    if fn not in RULE_PROVIDERS:
        RULE_PROVIDERS.append(fn)


def all_rules(session: Session) -> list[Rule]:
    rules: list[Rule] = []
    for provider in RULE_PROVIDERS:
        rules.extend(provider(session))
    return [r for r in rules if r.measure in MEASURES]


def period_bounds(rule: Rule, year: int, on: date) -> tuple[date, date, str]:
    """(start, end, key) of the period a rule is judged over."""
    if rule.period == "year":
        return date(year, 1, 1), date(year, 12, 31), str(year)
    return on, on, on.isoformat()


def pace(start: date, end: date, on: date) -> float:
    """The share of the period gone by on ``on`` (0 on its first day, 1 once it is over)."""
    if on > end:
        return 1.0
    if on < start:
        return 0.0
    return (on - start).days / ((end - start).days + 1)


RANK = {FAILING: 0, AT_RISK: 1, COMPLIANT: 2}


def _sort_key(result: Result) -> int:
    """Failing first, then at risk, then compliant; within each, by unit code, then by rule."""
    return result.order


def _judge_all(results: list[Result], rule: Rule, index: int, units: list[tuple[int, str, str, str, int | None, int]],
               values: dict[int, float | None], missing: float | None, period: tuple[date, date, date, str],
               wanted_status: set[str]) -> None:
    """Judge one rule for many units: the comparisons inlined, the pace computed once."""
    start, end, on, key = period
    threshold, at_most = rule.threshold, rule.comparison == "at_most"
    final = at_most or rule.period == "standing" or on > end
    expected = threshold if final else threshold * pace(start, end, on)
    append = results.append
    for uid, code, name, kind, area, order in units:
        value = values.get(uid, missing)
        if value is None:
            continue
        if at_most:
            status = COMPLIANT if value <= threshold else FAILING
        elif value >= threshold:
            status = COMPLIANT
        elif final:
            status = FAILING
        else:
            status = COMPLIANT if value >= expected else AT_RISK
        if wanted_status and status not in wanted_status:
            continue
        append(Result(uid, code, name, kind, area, rule, value, expected, status, key,
                      (RANK[status] << 40) | (order << 10) | index))


def _area_of(path: str) -> int | None:
    parts = path.strip("/").split("/")
    return int(parts[1]) if len(parts) > 1 else None


def _units(session: Session, principal: Principal, kinds: Iterable[str], on: date, within: str | None,
           unit_id: int | None) -> Select[Any]:
    columns: Select[Any] = select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.path)  # type: ignore[assignment]
    stmt = scoped(columns, principal, model=Unit).where(
        Unit.kind.in_(sorted(set(kinds))),
        or_(Unit.valid_to.is_(None), Unit.valid_to >= on),
        or_(Unit.valid_from.is_(None), Unit.valid_from <= on))
    if within is not None:
        stmt = stmt.where(in_subtree(Unit.path, within))
    if unit_id is not None:
        stmt = stmt.where(Unit.id == unit_id)
    return stmt


def evaluate(session: Session, principal: Principal, *, on: date, year: int | None = None,
             within: Unit | None = None, kinds: Iterable[str] = (), rule_codes: Iterable[str] = (),
             statuses: Iterable[str] = (), unit_id: int | None = None) -> Evaluation:
    """Every applicable rule for every unit in the principal's scope (optionally below ``within``)."""
    year = year or on.year
    wanted_kinds, wanted_rules, wanted_status = set(kinds), set(rule_codes), set(statuses)
    rules = [r for r in all_rules(session) if not wanted_rules or r.code in wanted_rules]
    if wanted_kinds:
        rules = [r for r in rules if wanted_kinds & set(r.kinds)]
    evaluation = Evaluation(on=on, year=year)
    session.flush()  # the measures read through the session's connection
    if not rules:
        return evaluation
    path = within.path if within is not None else None
    kinds_needed = {k for r in rules for k in r.kinds if not wanted_kinds or k in wanted_kinds}
    by_kind: dict[str, list[tuple[int, str, str, str, int | None, int]]] = {}
    stmt = _units(session, principal, kinds_needed, on, path, unit_id).order_by(Unit.code)
    for order, (uid, code, name, kind, upath) in enumerate(session.connection().execute(stmt)):
        by_kind.setdefault(kind, []).append((uid, code, name, kind, _area_of(upath), order))
    plan: list[tuple[int, Rule, tuple[str, ...], tuple[date, date, str], tuple[str, date, date, int | None]]] = []
    kinds_of: dict[tuple[str, date, date, int | None], set[str]] = {}
    for index, rule in enumerate(rules):
        rule_kinds = tuple(sorted(k for k in rule.kinds if k in kinds_needed and k in by_kind))
        if not rule_kinds:
            continue
        start, end, key = period_bounds(rule, year, on)
        ckey = (rule.measure, start, min(on, end), rule.param)
        kinds_of.setdefault(ckey, set()).update(rule_kinds)  # one query per measure and period, all kinds at once
        plan.append((index, rule, rule_kinds, (start, end, key), ckey))
    cache: dict[tuple[str, date, date, int | None], dict[int, float | None]] = {}
    for ckey, measured_kinds in kinds_of.items():
        ids = _units(session, principal, measured_kinds, on, path, unit_id).with_only_columns(Unit.id)
        ctx = MeasureContext(session=session, units=ids, start=ckey[1], until=ckey[2], on=on, param=ckey[3])
        cache[ckey] = MEASURES[ckey[0]].fn(ctx)
    results = evaluation.results
    for index, rule, rule_kinds, (start, end, key), ckey in plan:
        _judge_all(results, rule, index, [row for kind in rule_kinds for row in by_kind[kind]], cache[ckey],
                   MEASURES[rule.measure].missing, (start, end, on, key), wanted_status)
    results.sort(key=_sort_key)
    return evaluation


def records(session: Session, rule: Rule, unit_id: int, *, on: date, year: int | None = None) -> list[Record]:
    """The records behind one unit's status under one rule (the caller has checked the unit's scope)."""
    measure = MEASURES.get(rule.measure)
    if measure is None or measure.records is None:
        return []
    start, end, _key = period_bounds(rule, year or on.year, on)
    ids = select(Unit.id).where(Unit.id == unit_id)
    ctx = MeasureContext(session=session, units=ids, start=start, until=min(on, end), on=on, param=rule.param)
    return measure.records(ctx, unit_id)


def rule_by_code(session: Session, code: str) -> Rule | None:
    return next((r for r in all_rules(session) if r.code == code), None)

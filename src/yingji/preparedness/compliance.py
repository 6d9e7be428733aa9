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

How an evaluation stays cheap for a whole prefecture (100,000 units): the units in scope are selected
once (on SQLite into a temporary table of the connection, which each measure's grouped query reads); each
rule is judged once per distinct value, not per unit; every result is one integer (status rank, the unit's
place in code order, the rule's index), so sorting is a sort of integers; and a :class:`Result` with the
unit's code and name is built only when read — the page's window, an export, a notice. Counts come with
the evaluation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import repeat
from typing import Any, overload

from sqlalchemy import Column, Integer, MetaData, Select, String, Table, or_, select
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


RANK = {FAILING: 0, AT_RISK: 1, COMPLIANT: 2}
_BY_RANK = (FAILING, AT_RISK, COMPLIANT)
_RULE_BITS, _ORDER_BITS = 10, 30  # a result's key: status rank | unit's place in code order | rule's index
_RULE_MASK, _ORDER_MASK = (1 << _RULE_BITS) - 1, (1 << _ORDER_BITS) - 1
_RANK_SHIFT = _RULE_BITS + _ORDER_BITS
_DETAIL_CHUNK = 500  # unit details fetched by id, so many at a time
_DETAIL_ALL = 5000  # beyond so many units wanted at once, the details of every unit measured are fetched
# The units of one evaluation, per connection (a temporary table, not part of the schema).
_EVAL_UNITS = Table("prep_eval_unit", MetaData(), Column("id", Integer, primary_key=True, autoincrement=False),
                    Column("kind", String(32), nullable=False), prefixes=["TEMPORARY"])


@dataclass(frozen=True)
class _Judged:
    """One rule as evaluated: its measured values (by unit id), what a unit left out counts as, and the
    period's pace."""

    rule: Rule
    values: dict[int, float | None]
    missing: float | None
    expected: float
    period_key: str


class Results(Sequence[Result]):
    """The results of an evaluation, in order (failing, at risk, compliant; then unit code, then rule), held
    compactly: one integer per result. A :class:`Result` is built only for the results read — a page, an
    export, a notice — and the units' codes and names are fetched for those alone."""

    def __init__(self, session: Session | None = None, keys: list[int] | None = None,
                 units: list[tuple[int, str]] | None = None, judged: list[_Judged] | None = None,
                 details: Select[Any] | None = None) -> None:
        self._session, self._keys = session, keys or []
        self._units, self._judged, self._details_stmt = units or [], judged or [], details
        self._details: dict[int, tuple[str, str, int | None]] = {}
        self._all_details = False

    def __len__(self) -> int:
        return len(self._keys)

    @overload
    def __getitem__(self, index: int) -> Result: ...

    @overload
    def __getitem__(self, index: slice) -> list[Result]: ...

    def __getitem__(self, index: int | slice) -> Result | list[Result]:
        if isinstance(index, slice):
            return self._build(self._keys[index])
        return self._build([self._keys[index]])[0]

    def __iter__(self) -> Iterator[Result]:
        if len(self._keys) > _DETAIL_ALL:
            self._load_details(None)
        for start in range(0, len(self._keys), _DETAIL_ALL):
            yield from self._build(self._keys[start:start + _DETAIL_ALL])

    def at(self, positions: Iterable[int]) -> Iterator[Result]:
        """The results at these positions, built a batch at a time."""
        batch: list[int] = []
        for position in positions:
            batch.append(self._keys[position])
            if len(batch) == _DETAIL_ALL:
                yield from self._build(batch)
                batch = []
        yield from self._build(batch)

    def statuses(self) -> Iterator[tuple[int, str, str]]:
        """(unit id, rule code, status) of every result, without building the results."""
        units, judged = self._units, self._judged
        for key in self._keys:
            yield (units[(key >> _RULE_BITS) & _ORDER_MASK][0], judged[key & _RULE_MASK].rule.code,
                   _BY_RANK[key >> _RANK_SHIFT])

    def _build(self, keys: list[int]) -> list[Result]:
        units, judged = self._units, self._judged
        self._load_details({units[(k >> _RULE_BITS) & _ORDER_MASK][0] for k in keys})
        out = []
        for key in keys:
            order = (key >> _RULE_BITS) & _ORDER_MASK
            uid, kind = units[order]
            j = judged[key & _RULE_MASK]
            value = j.values.get(uid, j.missing)
            code, name, area = self._details.get(uid, ("", "", None))
            out.append(Result(uid, code, name, kind, area, j.rule, float(value or 0), j.expected,
                              _BY_RANK[key >> _RANK_SHIFT], j.period_key, key))
        return out

    def _load_details(self, wanted: set[int] | None) -> None:
        """Fetch the code, name and area of the units wanted (None: of every unit measured)."""
        if self._all_details or self._session is None or self._details_stmt is None:
            return
        missing = [] if wanted is None else [uid for uid in wanted if uid not in self._details]
        if wanted is not None and not missing:
            return
        conn = self._session.connection()
        if wanted is None or len(missing) > _DETAIL_ALL:
            rows: Iterable[Any] = conn.execute(self._details_stmt)
            self._all_details = True
        else:
            rows = (row for start in range(0, len(missing), _DETAIL_CHUNK)
                    for row in conn.execute(self._details_stmt.where(
                        Unit.id.in_(missing[start:start + _DETAIL_CHUNK]))))
        for uid, code, name, path in rows:
            self._details[uid] = (code, name, _area_of(path))


@dataclass
class Evaluation:
    on: date
    year: int
    results: Results = field(default_factory=Results)
    tally: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))

    def counts(self) -> dict[str, int]:
        return dict(self.tally)


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


def judge(rule: Rule, value: float, expected: float, final: bool) -> str:
    """The status of one value under a rule: ``expected`` is what the pace asks for by the day, ``final``
    whether the period is over (or the rule is standing, or caps a number)."""
    if rule.comparison == "at_most":
        return COMPLIANT if value <= rule.threshold else FAILING
    if value >= rule.threshold:
        return COMPLIANT
    if final:
        return FAILING
    return COMPLIANT if value >= expected else AT_RISK


def _judge_all(keys: list[int], tally: dict[str, int], rule: Rule, index: int, uids: list[int], places: list[int],
               values: dict[int, float | None], missing: float | None, period: tuple[date, date, date],
               wanted_status: set[str]) -> float:
    """Judge one rule for many units at once: each distinct value is judged once, and every unit's result
    becomes one integer key. Returns what the pace asks for by the day."""
    start, end, on = period
    final = rule.comparison == "at_most" or rule.period == "standing" or on > end
    expected = rule.threshold if final else rule.threshold * pace(start, end, on)
    measured = list(map(values.get, uids, repeat(missing)))
    prefix: dict[Any, int] = {}
    for value, n in Counter(measured).items():
        if value is None:
            continue
        verdict = judge(rule, value, expected, final)
        if wanted_status and verdict not in wanted_status:
            continue
        tally[verdict] += n
        prefix[value] = (RANK[verdict] << _RANK_SHIFT) | index
    if prefix:
        keys.extend([prefix[v] | p for v, p in zip(measured, places, strict=True) if v in prefix])
    return expected


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


def _measured_units(session: Session, units_stmt: Select[Any], *, one: bool) -> tuple[Any, Select[Any]]:
    """The units an evaluation measures: (a selectable with their ``id`` and ``kind``, a select of (id, kind)
    in unit-code order).

    On SQLite, many units are copied once into a temporary table of the connection, so that each measure's
    query reads that short list instead of walking the unit tree again (SQLite takes the path index for the
    walk, which costs more than the measure itself). PostgreSQL hashes the units' subquery in each measure
    for less than the copy would cost; a single unit is selected directly everywhere."""
    if one or session.get_bind().dialect.name != "sqlite":
        direct: Select[Any] = units_stmt.with_only_columns(Unit.id, Unit.kind)  # type: ignore[assignment]
        return direct.subquery(), direct.order_by(Unit.code)
    conn = session.connection()
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE IF NOT EXISTS {_EVAL_UNITS.name} "
                         "(id INTEGER PRIMARY KEY, kind VARCHAR(32) NOT NULL)")
    conn.execute(_EVAL_UNITS.delete())
    conn.execute(_EVAL_UNITS.insert().from_select(["id", "kind"], units_stmt.with_only_columns(Unit.id, Unit.kind)))
    ordered = (select(Unit.id, _EVAL_UNITS.c.kind).join(_EVAL_UNITS, _EVAL_UNITS.c.id == Unit.id)
               .order_by(Unit.code))
    return _EVAL_UNITS, ordered


def evaluate(session: Session, principal: Principal, *, on: date, year: int | None = None,
             within: Unit | None = None, kinds: Iterable[str] = (), rule_codes: Iterable[str] = (),
             statuses: Iterable[str] = (), unit_id: int | None = None) -> Evaluation:
    """Every applicable rule for every unit in the principal's scope (optionally below ``within``).

    Each measure runs once per period, grouped in SQL for all the units it applies to; each rule is judged
    per distinct value, not per unit; the results are kept as sorted integers and built on reading."""
    year = year or on.year
    wanted_kinds, wanted_rules, wanted_status = set(kinds), set(rule_codes), set(statuses)
    rules = [r for r in all_rules(session) if not wanted_rules or r.code in wanted_rules]
    if wanted_kinds:
        rules = [r for r in rules if wanted_kinds & set(r.kinds)]
    evaluation = Evaluation(on=on, year=year)
    session.flush()  # the measures read through the session's connection
    if not rules or len(rules) > _RULE_MASK:
        return evaluation
    path = within.path if within is not None else None
    kinds_needed = {k for r in rules for k in r.kinds if not wanted_kinds or k in wanted_kinds}
    units_stmt = _units(session, principal, kinds_needed, on, path, unit_id)
    measured, ordered = _measured_units(session, units_stmt, one=unit_id is not None)
    units: list[tuple[int, str]] = []
    by_kind: dict[str, tuple[list[int], list[int]]] = {}
    for place, (uid, kind) in enumerate(session.connection().execute(ordered)):
        units.append((uid, kind))
        ids, places = by_kind.setdefault(kind, ([], []))
        ids.append(uid)
        places.append(place << _RULE_BITS)
    if len(units) > _ORDER_MASK:
        raise ValueError("too many units to evaluate at once")
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
        ids_stmt = select(measured.c.id).where(measured.c.kind.in_(sorted(measured_kinds)))
        ctx = MeasureContext(session=session, units=ids_stmt, start=ckey[1], until=ckey[2], on=on, param=ckey[3])
        cache[ckey] = MEASURES[ckey[0]].fn(ctx)
    keys: list[int] = []
    judged: list[_Judged] = [_Judged(rule, {}, None, 0.0, "") for rule in rules]
    for index, rule, rule_kinds, (start, end, key), ckey in plan:
        uids = [uid for kind in rule_kinds for uid in by_kind[kind][0]]
        places = [p for kind in rule_kinds for p in by_kind[kind][1]]
        missing = MEASURES[rule.measure].missing
        expected = _judge_all(keys, evaluation.tally, rule, index, uids, places, cache[ckey], missing,
                              (start, end, on), wanted_status)
        judged[index] = _Judged(rule, cache[ckey], missing, expected, key)
    keys.sort()
    details: Select[Any] = units_stmt.with_only_columns(Unit.id, Unit.code, Unit.name, Unit.path)  # type: ignore[assignment]
    evaluation.results = Results(session, keys, units, judged, details)
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

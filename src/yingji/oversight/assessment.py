"""Performance assessment (R5.4): indicators as data in seven dimensions, weights by unit kind (each kind
sums to 100), indicators computed from the platform's records or scored by an assessor with evidence, veto
items; per-unit scorecards that show how every point was earned or lost (with the records behind it), a
ranking, and finalising a year (its results frozen, its scores no longer editable).

Points: a dimension's weight is shared equally by its indicators that apply (an indicator applies when
there are records to judge it by, or an assessor has scored it). Each indicator earns share × ratio and
loses the rest. The score is 100 × earned ÷ (the weights of the dimensions that apply), so a unit is not
marked down for a dimension nothing could judge — the scorecard says which those are."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, aliased

from yingji import clock, domains
from yingji.core import audit, roles
from yingji.core.models import AuditEntry, Unit
from yingji.core.scope import Principal, in_subtree, system_principal, unit_in_scope
from yingji.errors import Conflict, PermissionDenied, UserError
from yingji.i18n import N_
from yingji.oversight import common, defaults
from yingji.oversight.models import OvAnnualReport, OvAssessmentYear, OvIndicator, OvScore, OvTask, OvWeight
from yingji.oversight.schemas import ScoreSet, WeightSet

DIMENSION_LABELS = {"organization": N_("Organization building"), "duty": N_("Emergency duty"),
                    "plans": N_("Plan compilation"), "prevention": N_("Prevention and preparedness"),
                    "incident": N_("Incident handling"), "teams": N_("Team building"), "funding": N_("Funding")}
KIND_OF = {"county": "county", "zone": "county", "department": "department", "township": "township"}


@dataclass
class Link:
    label: str
    href: str


@dataclass
class Measured:
    """What an indicator found: a ratio 0..1 (None: nothing to judge by), a reason, the records lost on."""

    ratio: float | None
    detail: str
    records: list[Link] = field(default_factory=list)


@dataclass
class Line:
    indicator: OvIndicator
    measured: Measured
    share: float = 0.0
    earned: float = 0.0

    @property
    def lost(self) -> float:
        return round(self.share - self.earned, 2)


@dataclass
class Card:
    unit: Unit
    year: int
    kind: str
    lines: list[Line]
    dimensions: dict[str, tuple[int, float, bool]]  # weight, earned, applies
    score: float
    grade: str
    vetoed: bool
    finalised: bool


MEASURES: dict[str, Callable[[Session, Unit, int], Measured]] = {}


MeasureFn = Callable[[Session, Unit, int], Measured]


def measure(name: str) -> Callable[[MeasureFn], MeasureFn]:
    def register(fn: MeasureFn) -> MeasureFn:
        MEASURES[name] = fn
        return fn
    return register


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return common.day_start(date(year, 1, 1)), common.day_start(date(year + 1, 1, 1))


def _ratio(good: int, total: int) -> float | None:
    return None if total == 0 else good / total


def _no_source() -> Measured:
    return Measured(None, N_("no records source yet"))


def _link(domain: str, label: str, href: str) -> Link:
    return Link(label, href if domains.has(domain, "views") else "")


@measure("tasks_on_time")
def _tasks(session: Session, unit: Unit, year: int) -> Measured:
    stmt = (select(OvTask).join(Unit, Unit.id == OvTask.unit_id)
            .where(in_subtree(Unit.path, unit.path), OvTask.deadline >= date(year, 1, 1),
                   OvTask.deadline <= date(year, 12, 31), OvTask.deadline < common.today()))
    tasks = list(session.scalars(stmt))
    late = [t for t in tasks if t.closed_at is None or common.local_day(t.closed_at) > t.deadline]
    return Measured(_ratio(len(tasks) - len(late), len(tasks)), f"{len(tasks) - len(late)}/{len(tasks)}",
                    [Link(f"{t.title} ({t.deadline.isoformat()})", f"/oversight/tasks/{t.id}") for t in late])


@measure("rollcall_on_time")
def _rollcalls(session: Session, unit: Unit, year: int) -> Measured:
    from yingji.duty.models import RollCall, RollCallTarget

    start, end = _year_bounds(year)
    place = aliased(Unit)
    stmt = (select(RollCallTarget.roll_call_id, RollCallTarget.answered_at, RollCall.started_at, RollCall.due_at)
            .join(RollCall, RollCall.id == RollCallTarget.roll_call_id).join(place, place.id == RollCallTarget.unit_id)
            .where(in_subtree(place.path, unit.path), RollCall.started_at >= start, RollCall.started_at < end,
                   RollCall.started_at <= clock.now())
            .where((RollCall.scheduled_for.is_(None)) | (RollCall.fired_at.is_not(None))))
    rows = session.execute(stmt).all()
    late = [r for r in rows if r.answered_at is None or r.answered_at > r.due_at]
    return Measured(_ratio(len(rows) - len(late), len(rows)), f"{len(rows) - len(late)}/{len(rows)}",
                    [Link(f"#{r.roll_call_id} {common.local_day(r.started_at).isoformat()}",
                          f"/duty/roll-calls/{r.roll_call_id}") for r in late])


@measure("prep_compliance")
def _compliance(session: Session, unit: Unit, year: int) -> Measured:
    try:
        from yingji.preparedness import compliance
    except ImportError:
        return _no_source()
    if not common.table_ready(session, common.optional_model("yingji.preparedness.models", "PrepDrill")):
        return _no_source()
    on = min(common.today(), date(year, 12, 31))
    evaluation = compliance.evaluate(session, system_principal("oversight.assessment"), on=on, year=year, within=unit)
    results = evaluation.results
    failing = evaluation.counts()[compliance.FAILING]
    bad = results[:min(50, failing)]  # failing results come first
    return Measured(_ratio(len(results) - failing, len(results)), f"{len(results) - failing}/{len(results)}",
                    [_link("preparedness", f"{r.unit_name}: {r.rule.label}",
                           f"/preparedness/compliance/records?unit={r.unit_id}&rule={r.rule.code}&year={year}")
                     for r in bad])


@measure("rectified_on_time")
def _findings(session: Session, unit: Unit, year: int) -> Measured:
    finding = common.optional_model("yingji.risks.models", "Finding")
    if not common.table_ready(session, finding):
        return _no_source()
    start, end = _year_bounds(year)
    place = aliased(Unit)
    stmt = (select(finding).join(place, place.id == finding.unit_id)
            .where(in_subtree(place.path, unit.path), finding.deadline >= start, finding.deadline < end,
                   finding.deadline < clock.now()))
    rows = list(session.scalars(stmt))
    late = [f for f in rows if f.rectified_at is None or f.rectified_at > f.deadline]
    return Measured(_ratio(len(rows) - len(late), len(rows)), f"{len(rows) - len(late)}/{len(rows)}",
                    [_link("risks", f"#{f.id} {f.description[:40]}", f"/risks/findings/{f.id}") for f in late[:50]])


@measure("annual_on_time")
def _annual(session: Session, unit: Unit, year: int) -> Measured:
    from yingji.oversight import annual

    if unit.kind not in annual.OWING_KINDS:
        return Measured(None, N_("not owed by this kind of unit"))
    report = session.scalar(select(OvAnnualReport).where(OvAnnualReport.unit_id == unit.id,
                                                         OvAnnualReport.year == year))
    if report is not None and report.status == "filed":
        ok = bool(report.on_time)
        return Measured(1.0 if ok else 0.0, N_("on time") if ok else N_("late"),
                        [] if ok else [Link(f"{year}", f"/oversight/annual?year={year}")])
    if clock.now() < annual.deadline(session, year):
        return Measured(None, N_("not due yet"))
    return Measured(0.0, N_("not filed"), [Link(f"{year}", f"/oversight/annual?year={year}")])


@measure("reported_on_time")
def _reporting(session: Session, unit: Unit, year: int) -> Measured:
    event = common.optional_model("yingji.incidents.models", "Event")
    flag = common.optional_model("yingji.incidents.models", "Flag")
    if not common.table_ready(session, event) or not common.table_ready(session, flag):
        return _no_source()
    start, end = _year_bounds(year)
    place = aliased(Unit)
    stmt = (select(event.id, event.title).join(place, place.id == event.unit_id)
            .where(in_subtree(place.path, unit.path), event.occurred_at >= start, event.occurred_at < end))
    rows = session.execute(stmt).all()
    ids = [r.id for r in rows]
    late_ids: set[int] = set()
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        late_ids |= set(session.scalars(select(flag.event_id).where(flag.event_id.in_(part),
                                                                   flag.kind.in_(("late", "missed")),
                                                                   flag.status != "dismissed")))
    late = [r for r in rows if r.id in late_ids]
    return Measured(_ratio(len(rows) - len(late), len(rows)), f"{len(rows) - len(late)}/{len(rows)}",
                    [_link("response", f"#{r.id} {r.title}", f"/incidents/{r.id}/response") for r in late[:50]])


@measure("evaluation_on_time")
def _evaluations(session: Session, unit: Unit, year: int) -> Measured:
    evaluation = common.optional_model("yingji.response.models", "ResponseEvaluation")
    if not common.table_ready(session, evaluation):
        return _no_source()
    start, end = _year_bounds(year)
    place = aliased(Unit)
    stmt = (select(evaluation).join(place, place.id == evaluation.unit_id)
            .where(in_subtree(place.path, unit.path), evaluation.due_at >= start, evaluation.due_at < end,
                   evaluation.due_at < clock.now()))
    rows = list(session.scalars(stmt))
    late = [e for e in rows if e.submitted_at is None or e.submitted_at > e.due_at]
    return Measured(_ratio(len(rows) - len(late), len(rows)), f"{len(rows) - len(late)}/{len(rows)}",
                    [_link("response", f"#{e.event_id}", f"/incidents/{e.event_id}/response/evaluation")
                     for e in late[:50]])


@measure("budget_execution")
def _budget(session: Session, unit: Unit, year: int) -> Measured:
    from yingji.oversight import planning
    from yingji.oversight.schemas import fen_to_yuan

    planned, spent = planning.execution(session, unit.path, year)
    if planned == 0:
        return Measured(None, N_("no budget lines"))
    return Measured(min(spent / planned, 1.0), f"{fen_to_yuan(spent)}/{fen_to_yuan(planned)}",
                    [] if spent >= planned else [Link(str(year), f"/oversight/funding?year={year}&unit_id={unit.id}")])


# --- framework: indicators and weights ---------------------------------------------------------

def indicators(session: Session) -> list[OvIndicator]:
    return list(session.scalars(select(OvIndicator).order_by(OvIndicator.id)))


def weights(session: Session) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for row in session.scalars(select(OvWeight)):
        out.setdefault(row.unit_kind, {})[row.dimension] = row.weight
    return out


def set_weights(session: Session, principal: Principal, data: WeightSet) -> dict[str, int]:
    """Replace one unit kind's weights: exactly the seven dimensions, summing to 100, or nothing changes."""
    principal.require(roles.EDIT_RULES)
    if set(data.weights) != set(defaults.DIMENSIONS):
        raise UserError("Give a weight for each of the seven dimensions.", field="weights")
    total = sum(data.weights.values())
    if total != 100:
        raise UserError("The weights must add up to 100 (they add up to %(total)s).", field="weights", total=total)
    rows = {r.dimension: r for r in session.scalars(select(OvWeight).where(OvWeight.unit_kind == data.unit_kind))}
    before = {d: r.weight for d, r in rows.items()}
    for dimension, weight in data.weights.items():
        row = rows.get(dimension) or OvWeight(unit_kind=data.unit_kind, dimension=dimension, weight=weight, source="")
        row.weight = weight
        row.source = f"set by {principal.name}"
        session.add(row)
    session.flush()
    audit.record(session, principal, action="update", entity_type="oversight_weight", entity_id=data.unit_kind,
                 unit_id=None, before=before, after=dict(data.weights))
    return dict(data.weights)


def finalised(session: Session, year: int) -> OvAssessmentYear | None:
    return session.scalar(select(OvAssessmentYear).where(OvAssessmentYear.year == year))


def set_score(session: Session, principal: Principal, data: ScoreSet) -> OvScore:
    principal.require(roles.ASSESS)
    unit = unit_in_scope(session, principal, data.unit_id)
    indicator = session.get(OvIndicator, data.indicator_id)
    if indicator is None:
        raise UserError("Unknown indicator.", field="indicator_id")
    if indicator.method != "manual":
        raise UserError("This indicator is computed from the records; it cannot be scored by hand.",
                        field="indicator_id")
    if finalised(session, data.year) is not None:
        raise Conflict("The assessment of %(year)s is finalised; its scores can no longer change.", year=data.year)
    row = session.scalar(select(OvScore).where(OvScore.year == data.year, OvScore.unit_id == unit.id,
                                               OvScore.indicator_id == indicator.id))
    before = audit.snapshot(row) if row is not None else None
    row = row or OvScore(year=data.year, unit_id=unit.id, indicator_id=indicator.id)
    row.percent, row.evidence, row.assessor_name = data.percent, data.evidence, principal.name
    session.add(row)
    session.flush()
    audit.record(session, principal, action="create" if before is None else "update", entity_type="oversight_score",
                 entity_id=row.id, unit_id=unit.id, before=before, after=audit.snapshot(row))
    return row


# --- scorecards, ranking, finalising ---------------------------------------------------------

def _grade(session: Session, score: float, vetoed: bool) -> str:
    if score >= defaults.value(session, defaults.GRADE_EXCELLENT) and not vetoed:
        return "excellent"
    if score >= defaults.value(session, defaults.GRADE_PASS):
        return "pass"
    return "fail"


def scorecard(session: Session, principal: Principal, unit_id: int, year: int) -> Card:
    unit = unit_in_scope(session, principal, unit_id)
    kind = KIND_OF.get(unit.kind)
    if kind is None:
        raise UserError("Units of this kind are not assessed.", field="unit_id")
    if not 2000 <= year <= 2100:
        raise UserError("The year must lie between 2000 and 2100.", field="year")
    kind_weights = weights(session).get(kind, {})
    scores = {s.indicator_id: s for s in session.scalars(
        select(OvScore).where(OvScore.year == year, OvScore.unit_id == unit.id))}
    lines: list[Line] = []
    vetoed = False
    for indicator in indicators(session):
        if indicator.method == "manual":
            given = scores.get(indicator.id)
            measured = (Measured(None, N_("not scored yet")) if given is None else
                        Measured(given.percent / 100, f"{given.percent}% — {given.assessor_name}: {given.evidence}"))
        elif indicator.method in MEASURES:
            measured = MEASURES[indicator.method](session, unit, year)
        else:
            measured = Measured(None, N_("no records source yet"))
        if indicator.veto:
            vetoed = vetoed or (measured.ratio is not None and measured.ratio < 1)
        lines.append(Line(indicator, measured))
    dimensions: dict[str, tuple[int, float, bool]] = {}
    for dimension in defaults.DIMENSIONS:
        weight = kind_weights.get(dimension, 0)
        judged = [ln for ln in lines if ln.indicator.dimension == dimension and not ln.indicator.veto
                  and ln.measured.ratio is not None]
        for ln in judged:
            ln.share = round(weight / len(judged), 2)
            ln.earned = round(ln.share * (ln.measured.ratio or 0.0), 2)
        dimensions[dimension] = (weight, round(sum(ln.earned for ln in judged), 2), bool(judged))
    applicable = sum(w for w, _e, applies in dimensions.values() if applies)
    earned = sum(e for _w, e, _a in dimensions.values())
    score = round(100 * earned / applicable, 1) if applicable else 0.0
    return Card(unit, year, kind, lines, dimensions, score, _grade(session, score, vetoed), vetoed,
                finalised(session, year) is not None)


def assessed_units(session: Session, principal: Principal) -> list[Unit]:
    from yingji.oversight import annual

    return annual.owing_units(session, principal)


def ranking(session: Session, principal: Principal, year: int) -> list[dict[str, Any]]:
    """Every assessed unit in the area, best first; a finalised year answers from its frozen results."""
    frozen = finalised(session, year)
    units = assessed_units(session, principal)
    if frozen is not None:
        visible = {u.id for u in units}
        rows = [dict(r) for r in frozen.results if r.get("unit_id") in visible]
    else:
        version = data_version(session)
        rows = [{"unit_id": unit.id, "unit_name": unit.name, **_summary(session, principal, unit, year, version)}
                for unit in units]
    rows.sort(key=lambda r: (-float(str(r["score"])), str(r["unit_name"])))
    for i, row in enumerate(rows, start=1):
        row["rank"] = i
    return rows


# A unit's score summary for a year, kept per data version. Every write of the platform records its audit
# entry in the same transaction, so the newest audit id moves whenever any record (a task, a roll call, an
# event, a score, a weight, a rule…) changes; with the database and the local day (measures that depend on
# today) it keys the summary. Summaries do not depend on who asks (scope only decides which units are listed).
# Records written without an audit entry (bulk demo or benchmark loads) are not seen until the next audited
# write or the next day. Per process, least recently used first out.
SUMMARY_CACHE: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
SUMMARY_CACHE_SIZE = 2048


def data_version(session: Session) -> tuple[str, int, date]:
    newest = session.scalar(select(func.max(AuditEntry.id))) or 0
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return str(engine.url), int(newest), common.today()


def _summary(session: Session, principal: Principal, unit: Unit, year: int,
             version: tuple[str, int, date]) -> dict[str, Any]:
    key = (*version, unit.id, year)
    found = SUMMARY_CACHE.get(key)
    if found is not None:
        SUMMARY_CACHE.move_to_end(key)
        return dict(found)
    card = scorecard(session, principal, unit.id, year)
    found = {"kind": card.kind, "score": card.score, "grade": card.grade, "vetoed": card.vetoed}
    SUMMARY_CACHE[key] = found
    while len(SUMMARY_CACHE) > SUMMARY_CACHE_SIZE:
        SUMMARY_CACHE.popitem(last=False)
    return dict(found)


def finalise(session: Session, principal: Principal, year: int) -> OvAssessmentYear:
    """Freeze a year's results (prefecture level only); a finalised year cannot be finalised again."""
    principal.require(roles.ASSESS)
    if not principal.is_global:
        own = session.get(Unit, principal.unit_id) if principal.unit_id else None
        if own is None or own.kind != "prefecture":
            raise PermissionDenied("Only the prefecture finalises an assessment year.")
    if year >= common.today().year:
        raise UserError("Only a year that has ended can be finalised.", field="year")
    if finalised(session, year) is not None:
        raise Conflict("The assessment of %(year)s is finalised; its scores can no longer change.", year=year)
    results = ranking(session, principal, year)
    root = principal.unit_id or session.scalar(select(Unit.id).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    row = OvAssessmentYear(year=year, unit_id=root, finalised_at=clock.now(), finalised_by_name=principal.name,
                           results=results)
    session.add(row)
    session.flush()
    audit.record(session, principal, action="close", entity_type="oversight_assessment_year", entity_id=row.id,
                 unit_id=row.unit_id, after={"year": year, "units": len(results)})
    return row

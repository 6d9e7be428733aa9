"""The measures preparedness gives the compliance engine, and its two rule providers (the ``prep_rule``
table and core's staffing quotas). Each measure is one or two grouped queries over the units asked for."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from yingji.core.models import Person, StaffingQuota, Unit
from yingji.core.scope import in_subtree
from yingji.i18n import N_
from yingji.preparedness import defaults
from yingji.preparedness.compliance import MeasureContext, Record, Rule, register_measure, register_rule_provider
from yingji.preparedness.models import PrepDrill, PrepDrillPlan, PrepFiling, PrepPlan, PrepSite

VALID_PLAN = ("in_force", "under_revision")


def _valid_plans(ctx: MeasureContext) -> tuple[Any, ...]:
    """Plans that count on the day of the evaluation: in force (or under revision) and issued by then (a plan
    issued later did not exist yet; one without an issue date is taken as it stands)."""
    return (PrepPlan.status.in_(VALID_PLAN), or_(PrepPlan.issued_on.is_(None), PrepPlan.issued_on <= ctx.on))


def _grouped(ctx: MeasureContext, stmt: Any) -> dict[int, float | None]:
    """``{unit id: number}`` from a statement selecting (unit id, number) grouped by unit."""
    return {uid: n for uid, n in ctx.session.connection().execute(stmt)}


# --- drills --------------------------------------------------------------------------------------

def comprehensive_drills(ctx: MeasureContext) -> dict[int, float | None]:
    stmt = (select(PrepDrill.unit_id, func.count()).where(
        PrepDrill.unit_id.in_(ctx.units), PrepDrill.scope == "comprehensive",
        PrepDrill.held_on >= ctx.start, PrepDrill.held_on <= ctx.until).group_by(PrepDrill.unit_id))
    return _grouped(ctx, stmt)


def comprehensive_drill_records(ctx: MeasureContext, unit_id: int) -> list[Record]:
    rows = ctx.session.execute(select(PrepDrill.id, PrepDrill.title, PrepDrill.held_on).where(
        PrepDrill.unit_id == unit_id, PrepDrill.scope == "comprehensive", PrepDrill.held_on >= ctx.start,
        PrepDrill.held_on <= ctx.until).order_by(PrepDrill.held_on))
    return [Record("drill", i, t, d, f"/preparedness/drills/{i}") for i, t, d in rows]


def _plan_drill_counts(ctx: MeasureContext, plan_type: str) -> Any:
    """Per valid plan of the type: its unit and how many drills exercised it in the period (counted per plan,
    so the work follows the plans of the type, not every drill of the year)."""
    held = (select(func.count()).select_from(PrepDrillPlan)
            .join(PrepDrill, PrepDrill.id == PrepDrillPlan.drill_id)
            .where(PrepDrillPlan.plan_id == PrepPlan.id, PrepDrill.held_on >= ctx.start,
                   PrepDrill.held_on <= ctx.until)
            .correlate(PrepPlan).scalar_subquery())
    return (select(PrepPlan.id, PrepPlan.unit_id, PrepPlan.title, held.label("n"))
            .where(PrepPlan.unit_id.in_(ctx.units), PrepPlan.plan_type == plan_type,
                   *_valid_plans(ctx)))


def _weakest_plan(plan_type: str) -> Any:
    def measure(ctx: MeasureContext) -> dict[int, float | None]:
        per_plan = _plan_drill_counts(ctx, plan_type).subquery()
        stmt = select(per_plan.c.unit_id, func.min(per_plan.c.n)).group_by(per_plan.c.unit_id)
        return _grouped(ctx, stmt)
    return measure


def _plan_drill_records(plan_type: str) -> Any:
    def records(ctx: MeasureContext, unit_id: int) -> list[Record]:
        rows = ctx.session.execute(_plan_drill_counts(ctx, plan_type).order_by("n", PrepPlan.id))
        return [Record("plan", pid, f"{title} ({n})", None, f"/preparedness/plans/{pid}")
                for pid, _uid, title, n in rows]
    return records


# --- plans ---------------------------------------------------------------------------------------

def plans_in_force(ctx: MeasureContext) -> dict[int, float | None]:
    stmt = (select(PrepPlan.unit_id, func.count()).where(PrepPlan.unit_id.in_(ctx.units),
                                                         *_valid_plans(ctx))
            .group_by(PrepPlan.unit_id))
    return _grouped(ctx, stmt)


def _plan_records(ctx: MeasureContext, unit_id: int, *extra: Any) -> list[Record]:
    rows = ctx.session.execute(select(PrepPlan.id, PrepPlan.title, PrepPlan.issued_on).where(
        PrepPlan.unit_id == unit_id, *_valid_plans(ctx), *extra).order_by(PrepPlan.id))
    return [Record("plan", i, t, d, f"/preparedness/plans/{i}") for i, t, d in rows]


def evaluation_cutoff(on: date, years: int) -> date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def _overdue_clause(ctx: MeasureContext) -> Any:
    cutoff = evaluation_cutoff(ctx.on, ctx.param or 3)
    return func.coalesce(PrepPlan.last_evaluated_on, PrepPlan.issued_on) < cutoff


def plans_overdue(ctx: MeasureContext) -> dict[int, float | None]:
    stmt = (select(PrepPlan.unit_id, func.count()).where(PrepPlan.unit_id.in_(ctx.units),
                                                         *_valid_plans(ctx), _overdue_clause(ctx))
            .group_by(PrepPlan.unit_id))
    return _grouped(ctx, stmt)


def working_days_before(on: date, days: int) -> date:
    """The date ``days`` working days (Monday–Friday) before ``on``."""
    current = on
    while days > 0:
        current -= timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def _unfiled_clause(ctx: MeasureContext) -> Any:
    deadline_issue = working_days_before(ctx.on, ctx.param or 20)
    filed = select(PrepFiling.id).where(PrepFiling.plan_id == PrepPlan.id,
                                        PrepFiling.state.in_(("submitted", "accepted")),
                                        PrepFiling.filed_on <= ctx.on)
    return and_(PrepPlan.issued_on < deadline_issue, ~filed.exists())


def plans_unfiled(ctx: MeasureContext) -> dict[int, float | None]:
    stmt = (select(PrepPlan.unit_id, func.count()).where(PrepPlan.unit_id.in_(ctx.units),
                                                         *_valid_plans(ctx), _unfiled_clause(ctx))
            .group_by(PrepPlan.unit_id))
    return _grouped(ctx, stmt)


# --- demonstration sites -------------------------------------------------------------------------

def site_counts(session: Session, county_ids: Any, year: int) -> dict[int, tuple[int, int]]:
    """Per county: sites accredited up to the year before, and up to the year (one grouped query per
    county; counties are few)."""
    out: dict[int, tuple[int, int]] = {}
    for cid, path in session.execute(select(Unit.id, Unit.path).where(Unit.id.in_(county_ids))):
        before, now = session.execute(
            select(func.count().filter(PrepSite.accredited_year <= year - 1),
                   func.count().filter(PrepSite.accredited_year <= year))
            .join(Unit, Unit.id == PrepSite.unit_id)
            .where(in_subtree(Unit.path, path), PrepSite.accredited_year.is_not(None))).one()
        out[int(cid)] = (int(before or 0), int(now or 0))
    return out


def growth_pct(before: int, now: int) -> float:
    if before == 0:
        return 100.0 if now > 0 else 0.0
    return (now - before) * 100.0 / before


def site_growth_pct(ctx: MeasureContext) -> dict[int, float | None]:
    counts = site_counts(ctx.session, ctx.units, ctx.start.year)
    return {cid: growth_pct(before, now) for cid, (before, now) in counts.items()}


def site_growth_records(ctx: MeasureContext, unit_id: int) -> list[Record]:
    county = ctx.session.get(Unit, unit_id)
    if county is None:
        return []
    rows = ctx.session.execute(select(PrepSite.id, PrepSite.name, PrepSite.accredited_year)
                               .join(Unit, Unit.id == PrepSite.unit_id)
                               .where(in_subtree(Unit.path, county.path), PrepSite.accredited_year <= ctx.start.year)
                               .order_by(PrepSite.accredited_year, PrepSite.id))
    return [Record("site", i, f"{n} ({y})", None, f"/preparedness/sites/{i}") for i, n, y in rows]


# --- staffing (core's quotas, read as rules) -----------------------------------------------------

def full_time_staff(ctx: MeasureContext) -> dict[int, float | None]:
    stmt = (select(Person.unit_id, func.count()).where(Person.unit_id.in_(ctx.units),
                                                       Person.full_time_emergency.is_(True))
            .group_by(Person.unit_id))
    return _grouped(ctx, stmt)


def table_rules(session: Session) -> list[Rule]:
    return [Rule(code=r.code, label=r.label, kinds=tuple(k for k in r.unit_kinds.split(",") if k),
                 measure=r.measure, period=r.period, comparison=r.comparison, threshold=float(r.threshold),
                 source=r.source, param=r.param, rule_id=r.id)
            for r in defaults.rows(session) if r.active]


def staffing_rules(session: Session) -> list[Rule]:
    return [Rule(code=f"staffing_{q.unit_kind}", label=N_("Full-time emergency staff"), kinds=(q.unit_kind,),
                 measure="full_time_staff", period="standing", comparison="at_least", threshold=float(q.min_staff),
                 source=q.source, link="/units/staffing")
            for q in session.scalars(select(StaffingQuota).order_by(StaffingQuota.id))]


def _register() -> None:
    register_measure("comprehensive_drills", comprehensive_drills, label=N_("comprehensive drills held"),
                     records=comprehensive_drill_records)
    register_measure("special_plan_drills", _weakest_plan("special"),
                     label=N_("drills of its least-drilled special plan"), records=_plan_drill_records("special"),
                     missing=None)
    register_measure("department_plan_drills", _weakest_plan("department"),
                     label=N_("drills of its least-drilled department plan"),
                     records=_plan_drill_records("department"), missing=None)
    register_measure("plans_in_force", plans_in_force, label=N_("plans in force"),
                     records=lambda ctx, uid: _plan_records(ctx, uid))
    register_measure("plans_overdue", plans_overdue, label=N_("plans overdue for evaluation"),
                     records=lambda ctx, uid: _plan_records(ctx, uid, _overdue_clause(ctx)))
    register_measure("plans_unfiled", plans_unfiled, label=N_("plans not filed in time"),
                     records=lambda ctx, uid: _plan_records(ctx, uid, _unfiled_clause(ctx)))
    register_measure("site_growth_pct", site_growth_pct, label=N_("growth of demonstration sites, per cent"),
                     records=site_growth_records)
    register_measure("full_time_staff", full_time_staff, label=N_("full-time emergency staff"))
    register_rule_provider(table_rules)
    register_rule_provider(staffing_rules)


_register()

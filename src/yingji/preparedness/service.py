"""Compliance as the pages, the API, the export and the periodic job see it: filters, a page of results,
the records behind one result, and the notices to units at risk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import roles
from yingji.core.models import Unit, User
from yingji.core.notify import notify
from yingji.core.scope import Principal, unit_in_scope
from yingji.errors import NotFound, UserError
from yingji.i18n import N_, gettext
from yingji.preparedness import compliance
from yingji.preparedness import measures as _measures  # noqa: F401  (registers the measures and rule providers)
from yingji.preparedness.models import PrepNotice

STATUS_LABELS = {compliance.COMPLIANT: N_("compliant"), compliance.AT_RISK: N_("at risk"),
                 compliance.FAILING: N_("failing")}


@dataclass(frozen=True)
class Filters:
    on: date
    year: int
    area_id: int | None = None
    kind: str = ""
    rule: str = ""
    status: str = ""


def filters(*, on: date | None, year: int | None, area_id: int | None = None, kind: str = "", rule: str = "",
            status: str = "") -> Filters:
    day = on or clock.now().date()
    if status and status not in compliance.STATUSES:
        raise UserError("Unknown status.", field="status")
    return Filters(on=day, year=year or day.year, area_id=area_id, kind=kind, rule=rule, status=status)


def evaluate(session: Session, principal: Principal, f: Filters) -> compliance.Evaluation:
    principal.require(roles.READ)
    within = unit_in_scope(session, principal, f.area_id) if f.area_id is not None else None
    return compliance.evaluate(session, principal, on=f.on, year=f.year, within=within,
                               kinds=(f.kind,) if f.kind else (), rule_codes=(f.rule,) if f.rule else (),
                               statuses=(f.status,) if f.status else ())


def reason(result: compliance.Result, measure_label: str | None = None) -> str:
    """A sentence saying why, in the user's language."""
    rule = result.rule
    label = gettext(measure_label or compliance.MEASURES[rule.measure].label)
    value = _num(result.value)
    if rule.comparison == "at_most":
        return gettext("%(label)s: %(value)s, at most %(threshold)s allowed") % {
            "label": label, "value": value, "threshold": _num(rule.threshold)}
    if result.status == compliance.AT_RISK:
        return gettext("%(label)s: %(value)s of %(threshold)s in %(period)s; by this day the pace asks for "
                       "%(expected)s") % {"label": label, "value": value, "threshold": _num(rule.threshold),
                                          "period": result.period_key, "expected": _num(result.expected)}
    if rule.period == "year":
        return gettext("%(label)s: %(value)s of %(threshold)s in %(period)s") % {
            "label": label, "value": value, "threshold": _num(rule.threshold), "period": result.period_key}
    return gettext("%(label)s: %(value)s, at least %(threshold)s required") % {
        "label": label, "value": value, "threshold": _num(rule.threshold)}


def _num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def records_for(session: Session, principal: Principal, *, unit_id: int, rule_code: str, on: date,
                year: int | None = None) -> tuple[Unit, compliance.Rule, list[compliance.Record],
                                                  compliance.Result | None]:
    unit = unit_in_scope(session, principal, unit_id)
    rule = compliance.rule_by_code(session, rule_code)
    if rule is None:
        raise NotFound("Not found, or not within your area.")
    found = compliance.evaluate(session, principal, on=on, year=year, unit_id=unit.id, rule_codes=(rule_code,))
    result = found.results[0] if found.results else None
    return unit, rule, compliance.records(session, rule, unit.id, on=on, year=year), result


def notify_at_risk(session: Session, principal: Principal, *, on: date | None = None) -> int:
    """Tell each unit at risk or failing (its users; a unit without users: those of the unit above) once per
    rule, period and status. Returns how many notices were sent."""
    day = on or clock.now().date()
    evaluation = compliance.evaluate(session, principal, on=day, statuses=(compliance.AT_RISK, compliance.FAILING))
    results = evaluation.results
    if not results:
        return 0
    period = str(day.year)  # year rules: the year; standing rules: once a year
    sent = {(u, r, s) for u, r, s in session.execute(select(
        PrepNotice.unit_id, PrepNotice.rule_code, PrepNotice.status).where(PrepNotice.period_key == period))}
    pending, units = [], set()
    for position, key in enumerate(results.statuses()):
        if key not in sent:
            sent.add(key)
            pending.append(position)
            units.add(key[0])
    users = _recipients(session, units)
    for result in results.at(pending):
        session.add(PrepNotice(unit_id=result.unit_id, rule_code=result.rule.code, period_key=period,
                               status=result.status))
        to = users.get(result.unit_id, [])
        if to:
            subject = gettext("%(unit)s is %(status)s: %(rule)s") % {
                "unit": result.unit_name, "status": gettext(STATUS_LABELS[result.status]),
                "rule": gettext(result.rule.label)}
            body = reason(result) + "\n" + gettext("Rule and source: %(source)s") % {"source": result.rule.source}
            link = (f"/preparedness/compliance/records?unit={result.unit_id}&rule={result.rule.code}"
                    f"&on={day.isoformat()}")
            notify(session, principal, users=to, subject=subject, body=body, link=link)
    session.flush()
    return len(pending)


_CHUNK = 500  # ids per IN (...) list


def _recipients(session: Session, unit_ids: set[int]) -> dict[int, list[User]]:
    ids = sorted(unit_ids)
    units: dict[int, Unit] = {}
    for start in range(0, len(ids), _CHUNK):
        units.update((u.id, u) for u in session.scalars(select(Unit).where(Unit.id.in_(ids[start:start + _CHUNK]))))
    wanted = sorted(unit_ids | {u.parent_id for u in units.values() if u.parent_id is not None})
    by_unit: dict[int, list[User]] = {}
    for start in range(0, len(wanted), _CHUNK):
        for user in session.scalars(select(User).where(
                User.unit_id.in_(wanted[start:start + _CHUNK]), User.is_active.is_(True),
                User.role.in_(("county_office", "prefecture_office", "township_officer", "department", "enterprise",
                               "info_officer"))).order_by(User.id)):
            by_unit.setdefault(user.unit_id, []).append(user)
    out: dict[int, list[User]] = {}
    for uid in unit_ids:
        unit = units.get(uid)
        out[uid] = by_unit.get(uid) or (by_unit.get(unit.parent_id, []) if unit and unit.parent_id else [])
    return out

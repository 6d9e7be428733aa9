"""Pages of preparedness: compliance, plans and filing, linkage, coverage, drills, training and publicity,
experts, demonstration sites, and the rules."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from yingji import clock
from yingji.core import attachments, roles, xlsx
from yingji.core.api import _xlsx_response
from yingji.core.models import Unit
from yingji.core.schemas import UNIT_KINDS
from yingji.core.scope import Principal, scoped, unit_in_scope
from yingji.core.service import EVERY_ROW, MAX_PER_PAGE
from yingji.core.views import _form, parse_form
from yingji.errors import UserError
from yingji.i18n import N_, gettext
from yingji.preparedness import compliance, defaults, drills, experts, plans, service, sites, training
from yingji.preparedness.models import PrepPlan
from yingji.preparedness.schemas import (
    AUDIENCES,
    DRILL_FORMS,
    DRILL_SCOPES,
    EVENT_TYPES,
    EXPERT_FIELDS,
    FILING_STATES,
    PLAN_MOVES,
    PLAN_STATUSES,
    PLAN_TYPES,
    SEVEN_HAVES,
    SITE_CATEGORIES,
    SIX_GRASPS,
    DrillCreate,
    ExpertCreate,
    FilingCreate,
    FilingDecision,
    ImprovementClose,
    ImprovementCreate,
    LinkageCreate,
    LinkageMemberCreate,
    PlanCreate,
    PlanRevise,
    PlanStatus,
    PublicityCreate,
    PublicityDone,
    RuleUpdate,
    SiteAccredit,
    SiteAssessment,
    SiteCreate,
    SiteItemUpdate,
    TrainingCreate,
)
from yingji.web.deps import DB, AppSettings, CurrentPrincipal, IdPath
from yingji.web.templating import render

router = APIRouter(prefix="/preparedness", include_in_schema=False)
PageNo = Annotated[int, Query(ge=1, le=100000)]
Text = Annotated[str, Query(max_length=100)]
Code = Annotated[str, Query(max_length=64)]
Export = Annotated[str, Query(max_length=8)]
Year = Annotated[int | None, Query(ge=2000, le=2100)]
PER_PAGE = 50
KIND_LABELS = {"prefecture": N_("prefecture"), "county": N_("county"), "zone": N_("management zone"),
               "township": N_("township / street"), "village": N_("village / community"),
               "department": N_("department"), "enterprise": N_("enterprise"), "school": N_("school"),
               "kindergarten": N_("kindergarten"), "college": N_("college"), "hospital": N_("hospital"),
               "crowded_place": N_("crowded place")}
COMPARISON_LABELS = {"at_least": N_("at least"), "at_most": N_("at most")}
PERIOD_LABELS = {"year": N_("per calendar year"), "standing": N_("on the day")}
LABELS = {"plan_types": PLAN_TYPES, "plan_statuses": PLAN_STATUSES, "event_types": EVENT_TYPES,
          "filing_states": FILING_STATES, "drill_scopes": DRILL_SCOPES, "drill_forms": DRILL_FORMS,
          "audiences": AUDIENCES, "fields": EXPERT_FIELDS, "categories": SITE_CATEGORIES, "seven": SEVEN_HAVES,
          "six": SIX_GRASPS, "kinds": KIND_LABELS, "statuses": service.STATUS_LABELS,
          "comparisons": COMPARISON_LABELS, "periods": PERIOD_LABELS}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _page(request: Request, name: str, context: dict[str, Any], principal: Principal) -> HTMLResponse:
    return render(request, f"preparedness/{name}.html",
                  {"L": LABELS, "can_write": principal.can(roles.WRITE)} | context, active="preparedness")


def _names(db: DB, ids: Any) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(db.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted))).all())


def _writable_units(db: DB, principal: Principal, kinds: tuple[str, ...] = ()) -> list[Unit]:
    if not principal.can(roles.WRITE):
        return []
    stmt = scoped(select(Unit), principal, roles.WRITE).where(Unit.valid_to.is_(None))
    if kinds:
        stmt = stmt.where(Unit.kind.in_(kinds))
    return list(db.scalars(stmt.order_by(Unit.path).limit(500)))


def _areas(db: DB, principal: Principal) -> list[Unit]:
    stmt = scoped(select(Unit), principal).where(Unit.kind.in_(("prefecture", "county", "zone")))
    return list(db.scalars(stmt.order_by(Unit.path).limit(50)))


def _valid_plans(db: DB, principal: Principal) -> list[PrepPlan]:
    stmt = scoped(select(PrepPlan), principal).where(PrepPlan.status.in_(("in_force", "under_revision")))
    return list(db.scalars(stmt.order_by(PrepPlan.unit_id, PrepPlan.id).limit(500)))


def _opt_int(value: str, field: str) -> int | None:
    """An optional id from a filter form (an empty select sends "")."""
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) < 2**31:
        raise UserError("Some fields are missing or not valid.", field=field)
    return int(value)


def _opt_date(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise UserError("Some fields are missing or not valid.", field=field) from exc
    if not 2000 <= day.year <= 2100:  # the years the engine judges (as for ``year``)
        raise UserError("Some fields are missing or not valid.", field=field)
    return day


def _year(value: str) -> int | None:
    year = _opt_int(value, "year")
    if year is not None and not 2000 <= year <= 2100:
        raise UserError("Some fields are missing or not valid.", field="year")
    return year


class _Pager:
    def __init__(self, items: list[Any], total: int, page: int, per_page: int = PER_PAGE) -> None:
        self.items, self.total, self.page, self.per_page = items, total, page, per_page


# --- overview and compliance ---------------------------------------------------------------------

@router.get("", response_class=HTMLResponse)
def overview(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    f = service.filters(on=None, year=None)
    evaluation = service.evaluate(db, principal, f)
    by_rule: dict[str, dict[str, int]] = {}
    for _unit, code, status in evaluation.results.statuses():
        by_rule.setdefault(code, dict.fromkeys(compliance.STATUSES, 0))[status] += 1
    rules = {r.code: r for r in compliance.all_rules(db)}
    return _page(request, "index", {"f": f, "counts": evaluation.counts(), "by_rule": by_rule, "rules": rules,
                                    "open_items": len(drills.items(db, principal, open_only=True, limit=1000)),
                                    "to_decide": plans.filings_to_decide(db, principal, per_page=1).total}, principal)


@router.get("/compliance", response_class=HTMLResponse)
def compliance_page(request: Request, db: DB, principal: CurrentPrincipal, on: Code = "", year: Code = "",
                    area: Code = "", kind: Code = "", rule: Code = "", status: Code = "", page: PageNo = 1,
                    export: Export = "") -> Response:
    f = service.filters(on=_opt_date(on, "on"), year=_year(year), area_id=_opt_int(area, "area"), kind=kind,
                        rule=rule, status=status)
    evaluation = service.evaluate(db, principal, f)
    results = evaluation.results
    if export == "xlsx":
        data = xlsx.export((N_("unit code"), N_("unit"), N_("kind"), N_("rule"), N_("status"), N_("reason"),
                            N_("value"), N_("minimum or maximum"), N_("expected by the day"), N_("period"),
                            N_("source")),
                           ([r.unit_code, r.unit_name, gettext(KIND_LABELS.get(r.unit_kind, r.unit_kind)),
                             gettext(r.rule.label), gettext(service.STATUS_LABELS[r.status]), service.reason(r),
                             r.value, r.rule.threshold, round(r.expected, 2), r.period_key, r.rule.source]
                            for r in results), title="compliance")
        return _xlsx_response(data, f"compliance-{f.on.isoformat()}.xlsx")
    window = [(r, service.reason(r)) for r in results[(page - 1) * PER_PAGE: page * PER_PAGE]]
    params = {"on": f.on.isoformat(), "year": f.year, "area": f.area_id or "", "kind": f.kind, "rule": f.rule,
              "status": f.status}
    return _page(request, "compliance", {
        "f": f, "result": _Pager(window, len(results), page), "counts": evaluation.counts(),
        "areas": _areas(db, principal),
        "rules": compliance.all_rules(db), "unit_kinds": UNIT_KINDS,
        "query": "&".join(f"{k}={v}" for k, v in params.items())}, principal)


@router.get("/compliance/records", response_class=HTMLResponse)
def records_page(request: Request, db: DB, principal: CurrentPrincipal,
                 unit: Annotated[int, Query(ge=1, le=2**31 - 1)], rule: Code, on: date | None = None,
                 year: Year = None) -> Response:
    f = service.filters(on=on, year=year)
    found, rule_, records, result = service.records_for(db, principal, unit_id=unit, rule_code=rule, on=f.on,
                                                        year=f.year)
    return _page(request, "records", {"unit": found, "rule": rule_, "records": records, "result": result, "f": f,
                                      "reason": service.reason(result) if result else ""}, principal)


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    principal.require(roles.READ)
    return _page(request, "rules", {"rows": defaults.rows(db), "all_rules": compliance.all_rules(db),
                                    "measures": compliance.MEASURES, "can_edit": principal.can(roles.EDIT_RULES)},
                 principal)


@router.post("/rules/{prep_rule_id}", response_class=HTMLResponse)
async def update_rule_form(request: Request, db: DB, principal: CurrentPrincipal, prep_rule_id: IdPath) -> Response:
    values = await _form(request)
    data = parse_form(RuleUpdate, {**values, "active": values.get("active") == "on"})
    defaults.update_rule(db, principal, prep_rule_id, threshold=data.threshold, param=data.param,
                         source=data.source, active=data.active)
    return _redirect("/preparedness/rules")


# --- plans ---------------------------------------------------------------------------------------

@router.get("/plans", response_class=HTMLResponse)
def plans_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", plan_type: Code = "",
               status: Code = "", area_: Annotated[str, Query(alias="area", max_length=12)] = "", due: Code = "",
               page: PageNo = 1, export: Export = "") -> Response:
    area = _opt_int(area_, "area")
    args: dict[str, Any] = {"q": q, "plan_type": plan_type, "status": status, "within": area, "due_only": due == "1"}
    if export == "xlsx":
        result = plans.list_plans(db, principal, **args, page=1, per_page=EVERY_ROW)
        names = _names(db, [p.unit_id for p in result.items])
        data = xlsx.export((N_("unit"), N_("title"), N_("type"), N_("version"), N_("issued"), N_("status"),
                            N_("last evaluated"), N_("event types")),
                           ([names.get(p.unit_id, ""), p.title, gettext(PLAN_TYPES[p.plan_type]), p.version,
                             p.issued_on, gettext(PLAN_STATUSES[p.status]), p.last_evaluated_on,
                             ", ".join(gettext(EVENT_TYPES.get(e, e)) for e in p.event_types)]
                            for p in result.items), title="plans")
        return _xlsx_response(data, "plans.xlsx")
    result = plans.list_plans(db, principal, **args, page=page, per_page=PER_PAGE)
    query = f"q={q}&plan_type={plan_type}&status={status}&area={area or ''}&due={due}"
    return _page(request, "plans", {"result": result, "q": q, "plan_type": plan_type, "status": status, "area": area,
                                    "due": due, "query": query, "areas": _areas(db, principal),
                                    "units": _names(db, [p.unit_id for p in result.items]),
                                    "due_dates": {p.id: plans.revision_due(p) for p in result.items},  # type: ignore[arg-type]
                                    "today": clock.now().date(),
                                    "owners": _writable_units(db, principal),
                                    "parents": _valid_plans(db, principal)}, principal)


@router.post("/plans", response_class=HTMLResponse)
async def create_plan_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    form = await request.form()
    values: dict[str, Any] = {k: v for k, v in form.items()
                              if isinstance(v, str) and k not in ("csrf_token", "event_types")}
    values["event_types"] = [v for v in form.getlist("event_types") if isinstance(v, str)]
    plan = plans.create_plan(db, principal, parse_form(PlanCreate, values))
    return _redirect(f"/preparedness/plans/{plan.id}")


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, db: DB, principal: CurrentPrincipal, plan_id: IdPath) -> Response:
    plan = plans.get_plan(db, principal, plan_id)
    owner = db.get(Unit, plan.unit_id)
    assert owner is not None
    ancestors = [int(p) for p in owner.path.strip("/").split("/")[:-1]]
    offices = list(db.scalars(select(Unit).where(Unit.id.in_(ancestors)).order_by(Unit.depth.desc())))
    filings = plans.filings(db, principal, plan_id)
    parent = db.get(PrepPlan, plan.parent_id) if plan.parent_id else None
    return _page(request, "plan", {
        "plan": plan, "owner": owner, "offices": offices, "filings": filings, "parent": parent,
        "children": plans.children(db, principal, plan_id), "drills": drills.plan_drills(db, principal, plan_id),
        "moves": PLAN_MOVES[plan.status], "due": plans.revision_due(plan), "today": clock.now().date(),
        "office_names": _names(db, [f.office_id for f in filings]),
        "document": attachments.get(db, principal, plan.document_id) if plan.document_id else None}, principal)


@router.post("/plans/{plan_id}/status", response_class=HTMLResponse)
async def plan_status_form(request: Request, db: DB, principal: CurrentPrincipal, plan_id: IdPath) -> Response:
    plans.set_status(db, principal, plan_id, parse_form(PlanStatus, await _form(request)))
    return _redirect(f"/preparedness/plans/{plan_id}")


@router.post("/plans/{plan_id}/revise", response_class=HTMLResponse)
async def plan_revise_form(request: Request, db: DB, principal: CurrentPrincipal, plan_id: IdPath) -> Response:
    new = plans.revise(db, principal, plan_id, parse_form(PlanRevise, await _form(request)))
    return _redirect(f"/preparedness/plans/{new.id}")


@router.post("/plans/{plan_id}/filings", response_class=HTMLResponse)
async def file_plan_form(request: Request, db: DB, principal: CurrentPrincipal, plan_id: IdPath) -> Response:
    plans.file_plan(db, principal, plan_id, parse_form(FilingCreate, await _form(request)))
    return _redirect(f"/preparedness/plans/{plan_id}")


@router.post("/plans/{plan_id}/document", response_class=HTMLResponse)
def plan_document_form(db: DB, principal: CurrentPrincipal, settings: AppSettings, plan_id: IdPath,
                       file: Annotated[UploadFile, File()]) -> Response:
    plan = plans.get_plan(db, principal, plan_id, roles.WRITE)
    row = attachments.store(db, principal, settings, stream=file.file, filename=file.filename or "",
                            unit_id=plan.unit_id, entity_type="prep_plan", entity_id=str(plan.id))
    plans.attach_document(db, principal, plan_id, row.id)
    return _redirect(f"/preparedness/plans/{plan_id}")


@router.get("/filings", response_class=HTMLResponse)
def filings_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "",
                 area_: Annotated[str, Query(alias="area", max_length=12)] = "",
                 start_: Annotated[str, Query(alias="start", max_length=10)] = "",
                 end_: Annotated[str, Query(alias="end", max_length=10)] = "", page: PageNo = 1,
                 export: Export = "") -> Response:
    area, start, end = _opt_int(area_, "area"), _opt_date(start_, "start"), _opt_date(end_, "end")
    _export_kind(export)
    args: dict[str, Any] = {"q": q, "within": area, "start": start, "end": end}
    if export == "xlsx":
        everything = plans.filings_to_decide(db, principal, **args, page=1, per_page=EVERY_ROW)
        titles, names = _filing_names(db, everything.items)
        today = clock.now().date()
        data = xlsx.export((N_("plan"), N_("unit"), N_("office"), N_("filed"), N_("days waiting")),
                           ([titles.get(f.plan_id, ""), names.get(f.unit_id, ""), names.get(f.office_id, ""),
                             f.filed_on, (today - f.filed_on).days] for f in everything.items), title="filings")
        return _xlsx_response(data, "filings.xlsx")
    result = plans.filings_to_decide(db, principal, **args, page=page, per_page=PER_PAGE)
    titles, names = _filing_names(db, result.items)
    query = urlencode({"q": q, "area": area or "", "start": start or "", "end": end or ""})
    return _page(request, "filings", {"result": result, "rows": result.items, "titles": titles, "units": names,
                                      "q": q, "area": area, "start": start, "end": end, "query": query,
                                      "areas": _areas(db, principal)}, principal)


def _filing_names(db: DB, rows: list[Any]) -> tuple[dict[int, str], dict[int, str]]:
    titles = dict(db.execute(select(PrepPlan.id, PrepPlan.title).where(
        PrepPlan.id.in_({f.plan_id for f in rows}))).all()) if rows else {}
    return titles, _names(db, [f.unit_id for f in rows] + [f.office_id for f in rows])


def _export_kind(export: str) -> None:
    if export not in ("", "xlsx"):
        raise UserError("Some fields are missing or not valid.", field="export")


@router.post("/filings/{filing_id}/decision", response_class=HTMLResponse)
async def decide_filing_form(request: Request, db: DB, principal: CurrentPrincipal, filing_id: IdPath) -> Response:
    values = await _form(request)
    values["accept"] = values.get("accept") == "1"
    filing = plans.decide_filing(db, principal, filing_id, parse_form(FilingDecision, values))
    return _redirect(f"/preparedness/plans/{filing.plan_id}")


# --- linkage and coverage ------------------------------------------------------------------------

@router.get("/linkage", response_class=HTMLResponse)
def linkage_page(request: Request, db: DB, principal: CurrentPrincipal, event_type: Code = "",
                 export: Export = "") -> Response:
    rows = plans.linkage_table(db, principal, event_type=event_type)
    if export == "xlsx":
        data = xlsx.export((N_("event type"), N_("lead department"), N_("duties"), N_("cooperating departments"),
                            N_("participating units")),
                           ([gettext(EVENT_TYPES.get(r.linkage.event_type, "")), r.lead, r.linkage.lead_duties,
                             "; ".join(f"{n}: {d}" for role, n, d in r.members if role == "cooperating"),
                             "; ".join(f"{n}: {d}" for role, n, d in r.members if role == "participating")]
                            for r in rows), title="linkage")
        return _xlsx_response(data, "linkage.xlsx")
    return _page(request, "linkage", {"rows": rows, "event_type": event_type,
                                      "owners": _writable_units(db, principal, ("prefecture", "county", "zone")),
                                      "units": _writable_units(db, principal)}, principal)


@router.post("/linkage", response_class=HTMLResponse)
async def create_linkage_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    plans.create_linkage(db, principal, parse_form(LinkageCreate, await _form(request)))
    return _redirect("/preparedness/linkage")


@router.post("/linkage/{linkage_id}/members", response_class=HTMLResponse)
async def add_member_form(request: Request, db: DB, principal: CurrentPrincipal, linkage_id: IdPath) -> Response:
    plans.add_linkage_member(db, principal, linkage_id, parse_form(LinkageMemberCreate, await _form(request)))
    return _redirect("/preparedness/linkage")


@router.get("/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, db: DB, principal: CurrentPrincipal, on: Code = "",
                  area_: Annotated[str, Query(alias="area", max_length=12)] = "", kind: Code = "",
                  gaps: Annotated[str, Query(max_length=1)] = "", page: PageNo = 1, export: Export = "") -> Response:
    principal.require(roles.READ)
    day, area = _opt_date(on, "on") or clock.now().date(), _opt_int(area_, "area")
    _export_kind(export)
    if kind and kind not in KIND_LABELS:
        raise UserError("Some fields are missing or not valid.", field="kind")
    if gaps not in ("", "1"):
        raise UserError("Some fields are missing or not valid.", field="gaps")
    within = unit_in_scope(db, principal, area) if area is not None else None
    areas, kinds, cells = plans.coverage(db, principal, on=day, within=within, kind=kind)
    if gaps:
        areas = [(a, n) for a, n in areas if any(c.missing for (ca, _k), c in cells.items() if ca == a)]
    if export == "xlsx":
        data = xlsx.export((N_("area"), N_("kind"), N_("must have a plan"), N_("covered"), N_("missing")),
                           ([name, gettext(KIND_LABELS.get(k, k)), cells[(a, k)].total, cells[(a, k)].covered,
                             cells[(a, k)].missing] for a, name in areas for k in kinds if (a, k) in cells),
                           title="coverage")
        return _xlsx_response(data, f"coverage-{day.isoformat()}.xlsx")
    window = areas[(page - 1) * PER_PAGE: page * PER_PAGE]
    rule = compliance.rule_by_code(db, "plan_coverage")
    query = urlencode({"on": day.isoformat(), "area": area or "", "kind": kind, "gaps": gaps})
    return _page(request, "coverage", {"areas": window, "kinds": kinds, "cells": cells, "on": day,
                                       "result": _Pager(window, len(areas), page), "area": area, "kind": kind,
                                       "gaps": gaps, "query": query, "area_choices": _areas(db, principal),
                                       "unit_kinds": rule.kinds if rule else ()}, principal)


# --- drills --------------------------------------------------------------------------------------

@router.get("/drills", response_class=HTMLResponse)
def drills_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", scope: Code = "",
                area_: Annotated[str, Query(alias="area", max_length=12)] = "",
                start_: Annotated[str, Query(alias="start", max_length=10)] = "",
                end_: Annotated[str, Query(alias="end", max_length=10)] = "", page: PageNo = 1,
                export: Export = "") -> Response:
    area, start, end = _opt_int(area_, "area"), _opt_date(start_, "start"), _opt_date(end_, "end")
    args: dict[str, Any] = {"q": q, "scope": scope, "within": area, "start": start, "end": end}
    if export == "xlsx":
        result = drills.list_drills(db, principal, **args, page=1, per_page=EVERY_ROW)
        names = _names(db, [d.unit_id for d in result.items])
        data = xlsx.export((N_("date"), N_("unit"), N_("title"), N_("scope"), N_("form"), N_("participants")),
                           ([d.held_on, names.get(d.unit_id, ""), d.title, gettext(DRILL_SCOPES[d.scope]),
                             gettext(DRILL_FORMS[d.form]), d.participants] for d in result.items), title="drills")
        return _xlsx_response(data, "drills.xlsx")
    result = drills.list_drills(db, principal, **args, page=page, per_page=PER_PAGE)
    query = f"q={q}&scope={scope}&area={area or ''}&start={start or ''}&end={end or ''}"
    return _page(request, "drills", {"result": result, "q": q, "scope": scope, "area": area, "start": start,
                                     "end": end, "query": query, "areas": _areas(db, principal),
                                     "units": _names(db, [d.unit_id for d in result.items]),
                                     "owners": _writable_units(db, principal), "plans": _valid_plans(db, principal),
                                     "today": clock.now().date()}, principal)


@router.post("/drills", response_class=HTMLResponse)
async def create_drill_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    form = await request.form()
    values: dict[str, Any] = {k: v for k, v in form.items()
                              if isinstance(v, str) and k not in ("csrf_token", "plan_ids")}
    values["plan_ids"] = [v for v in form.getlist("plan_ids") if isinstance(v, str) and v]
    drill = drills.create_drill(db, principal, parse_form(DrillCreate, values))
    return _redirect(f"/preparedness/drills/{drill.id}")


@router.get("/drills/{drill_id}", response_class=HTMLResponse)
def drill_page(request: Request, db: DB, principal: CurrentPrincipal, drill_id: IdPath) -> Response:
    drill = drills.get_drill(db, principal, drill_id)
    return _page(request, "drill", {
        "drill": drill, "unit": db.get(Unit, drill.unit_id), "plans": drills.drill_plans(db, principal, drill_id),
        "items": drills.items(db, principal, drill_id=drill_id),
        "photos": attachments.list_for(db, principal, entity_type="prep_drill", entity_id=str(drill_id))}, principal)


@router.post("/drills/{drill_id}/items", response_class=HTMLResponse)
async def add_item_form(request: Request, db: DB, principal: CurrentPrincipal, drill_id: IdPath) -> Response:
    drills.add_item(db, principal, drill_id, parse_form(ImprovementCreate, await _form(request)))
    return _redirect(f"/preparedness/drills/{drill_id}")


@router.post("/items/{item_id}/close", response_class=HTMLResponse)
async def close_item_form(request: Request, db: DB, principal: CurrentPrincipal, item_id: IdPath) -> Response:
    item = drills.close_item(db, principal, item_id, parse_form(ImprovementClose, await _form(request)))
    return _redirect(f"/preparedness/drills/{item.drill_id}")


@router.post("/drills/{drill_id}/photos", response_class=HTMLResponse)
def drill_photo_form(db: DB, principal: CurrentPrincipal, settings: AppSettings, drill_id: IdPath,
                     file: Annotated[UploadFile, File()]) -> Response:
    drill = drills.get_drill(db, principal, drill_id, roles.WRITE)
    attachments.store(db, principal, settings, stream=file.file, filename=file.filename or "", unit_id=drill.unit_id,
                      entity_type="prep_drill", entity_id=str(drill.id))
    return _redirect(f"/preparedness/drills/{drill_id}")


# --- training, publicity, experts ----------------------------------------------------------------

@router.get("/training", response_class=HTMLResponse)
def training_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", audience: Code = "",
                  year_: Annotated[str, Query(alias="year", max_length=4)] = "", page: PageNo = 1,
                  export: Export = "") -> Response:
    year = _year(year_) or clock.now().year
    if export == "xlsx":
        result = training.list_training(db, principal, q=q, audience=audience, year=year, page=1,
                                        per_page=EVERY_ROW)
        names = _names(db, [t.unit_id for t in result.items])
        data = xlsx.export((N_("date"), N_("unit"), N_("title"), N_("audience"), N_("hours"), N_("attendees")),
                           ([t.held_on, names.get(t.unit_id, ""), t.title, gettext(AUDIENCES[t.audience]), t.hours,
                             t.attendees] for t in result.items), title="training")
        return _xlsx_response(data, "training.xlsx")
    result = training.list_training(db, principal, q=q, audience=audience, year=year, page=page, per_page=PER_PAGE)
    return _page(request, "training", {
        "result": result, "q": q, "audience": audience, "year": year, "query": f"q={q}&audience={audience}&year={year}",
        "totals": training.totals(db, principal, year=year),
        "publicity": training.publicity(db, principal, year=year, page=1, per_page=MAX_PER_PAGE),
        "units": _names(db, [t.unit_id for t in result.items]), "owners": _writable_units(db, principal),
        "today": clock.now().date()}, principal)


@router.post("/training", response_class=HTMLResponse)
async def create_training_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    training.create_training(db, principal, parse_form(TrainingCreate, await _form(request)))
    return _redirect("/preparedness/training")


@router.post("/publicity", response_class=HTMLResponse)
async def create_publicity_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    row = training.create_publicity(db, principal, parse_form(PublicityCreate, await _form(request)))
    return _redirect(f"/preparedness/training?year={row.year}")


@router.post("/publicity/{publicity_id}/done", response_class=HTMLResponse)
async def publicity_done_form(request: Request, db: DB, principal: CurrentPrincipal, publicity_id: IdPath) -> Response:
    row = training.mark_done(db, principal, publicity_id, parse_form(PublicityDone, await _form(request)))
    return _redirect(f"/preparedness/training?year={row.year}")


@router.get("/experts", response_class=HTMLResponse)
def experts_page(request: Request, db: DB, principal: CurrentPrincipal, field: Code = "", q: Text = "",
                 available: Code = "", page: PageNo = 1, export: Export = "") -> Response:
    args: dict[str, Any] = {"field": field, "q": q, "available_only": available == "1"}
    if export == "xlsx":
        result = experts.search(db, principal, **args, page=1, per_page=EVERY_ROW)
        data = xlsx.export((N_("name"), N_("field"), N_("employer"), N_("title"), N_("phone"), N_("email"),
                            N_("available")),
                           ([e.name, gettext(EXPERT_FIELDS[e.field]), e.employer, e.title, e.phone, e.email,
                             gettext("yes") if e.available else gettext("no")] for e in result.items), title="experts")
        return _xlsx_response(data, "experts.xlsx")
    result = experts.search(db, principal, **args, page=page, per_page=PER_PAGE)
    return _page(request, "experts", {"result": result, "field": field, "q": q, "available": available,
                                      "query": f"field={field}&q={q}&available={available}",
                                      "owners": _writable_units(db, principal)}, principal)


@router.post("/experts", response_class=HTMLResponse)
async def create_expert_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    values = await _form(request)
    values["available"] = values.get("available") == "on"
    experts.create(db, principal, parse_form(ExpertCreate, values))
    return _redirect("/preparedness/experts")


@router.post("/experts/{expert_id}/availability", response_class=HTMLResponse)
async def expert_availability_form(request: Request, db: DB, principal: CurrentPrincipal,
                                   expert_id: IdPath) -> Response:
    values = await _form(request)
    experts.set_available(db, principal, expert_id, values.get("available") == "1")
    return _redirect("/preparedness/experts")


# --- demonstration sites -------------------------------------------------------------------------

@router.get("/sites", response_class=HTMLResponse)
def sites_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", category: Code = "",
               page: PageNo = 1, export: Export = "") -> Response:
    if export == "xlsx":
        result = sites.list_(db, principal, q=q, category=category, page=1, per_page=EVERY_ROW)
        names = _names(db, [s.unit_id for s in result.items])
        data = xlsx.export((N_("name"), N_("unit"), N_("category"), N_("accredited")),
                           ([s.name, names.get(s.unit_id, ""), gettext(SITE_CATEGORIES[s.category]),
                             s.accredited_year] for s in result.items), title="sites")
        return _xlsx_response(data, "sites.xlsx")
    result = sites.list_(db, principal, q=q, category=category, page=page, per_page=PER_PAGE)
    this_year = clock.now().year
    years = list(range(this_year - 4, this_year + 1))
    counties, series = sites.growth(db, principal, years=years)
    target = next((r.threshold for r in compliance.all_rules(db) if r.code == "site_growth"), 15.0)
    chart = {"years": [str(y) for y in years], "target": target,
             "series": [{"name": n, "data": series[i]} for i, n in enumerate(counties)]}
    return _page(request, "sites", {"result": result, "q": q, "category": category,
                                    "query": f"q={q}&category={category}", "chart": json.dumps(chart),
                                    "units": _names(db, [s.unit_id for s in result.items]),
                                    "owners": _writable_units(db, principal), "target": target,
                                    "table": list(zip(counties, [series[i] for i in range(len(counties))],
                                                      strict=True)), "years": years}, principal)


@router.post("/sites", response_class=HTMLResponse)
async def create_site_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    site = sites.create(db, principal, parse_form(SiteCreate, await _form(request)))
    return _redirect(f"/preparedness/sites/{site.id}")


@router.get("/sites/{site_id}", response_class=HTMLResponse)
def site_page(request: Request, db: DB, principal: CurrentPrincipal, site_id: IdPath) -> Response:
    site = sites.get(db, principal, site_id)
    items = sites.items(db, principal, site_id)
    files = {a.id: a for a in attachments.list_for(db, principal, unit_id=site.unit_id, entity_type="prep_site_item")}
    return _page(request, "site", {"site": site, "items": items, "files": files, "unit": db.get(Unit, site.unit_id),
                                   "this_year": clock.now().year}, principal)


@router.post("/site-items/{site_item_id}", response_class=HTMLResponse)
def update_site_item_form(db: DB, principal: CurrentPrincipal, settings: AppSettings, site_item_id: IdPath,
                          done: Annotated[str, Form(max_length=8)] = "",
                          evidence_note: Annotated[str, Form(max_length=2000)] = "",
                          file: Annotated[UploadFile | None, File()] = None) -> Response:
    item = sites.get_item(db, principal, site_item_id, roles.WRITE)
    evidence_id = None
    if file is not None and file.filename:
        evidence_id = attachments.store(db, principal, settings, stream=file.file, filename=file.filename,
                                        unit_id=item.unit_id, entity_type="prep_site_item",
                                        entity_id=str(item.id)).id
    data = parse_form(SiteItemUpdate, {"done": done == "on", "evidence_id": evidence_id,
                                       "evidence_note": evidence_note})
    sites.update_item(db, principal, site_item_id, data)
    return _redirect(f"/preparedness/sites/{item.site_id}")


@router.post("/sites/{site_id}/assessment", response_class=HTMLResponse)
async def assess_site_form(request: Request, db: DB, principal: CurrentPrincipal, site_id: IdPath) -> Response:
    values = await _form(request)
    try:
        scores = {k: int(values[k]) for k in SIX_GRASPS if values.get(k, "") != ""}
    except ValueError as exc:
        raise UserError("Some fields are missing or not valid.", field="scores") from exc
    sites.assess(db, principal, site_id, parse_form(SiteAssessment, {"scores": scores}))
    return _redirect(f"/preparedness/sites/{site_id}")


@router.post("/sites/{site_id}/accredit", response_class=HTMLResponse)
async def accredit_site_form(request: Request, db: DB, principal: CurrentPrincipal, site_id: IdPath) -> Response:
    sites.accredit(db, principal, site_id, parse_form(SiteAccredit, await _form(request)))
    return _redirect(f"/preparedness/sites/{site_id}")

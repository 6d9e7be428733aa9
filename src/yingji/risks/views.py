"""Pages of the risks module: hazard sources and their 五有, assessments and the risk list, the map,
inspections and hidden hazards, closed-loop statistics, grids, patrols and coverage, sensors and alarms,
checklists and rules."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from yingji import clock
from yingji.core import attachments, roles, xlsx
from yingji.core.api import _xlsx_response
from yingji.core.models import Unit, User
from yingji.core.schemas import TERRITORIAL_KINDS
from yingji.core.scope import scoped
from yingji.core.service import EVERY_ROW, MAX_PER_PAGE, paginate
from yingji.core.views import _form, parse_form
from yingji.errors import NotFound, UserError
from yingji.i18n import N_, gettext
from yingji.risks import api as risks_api
from yingji.risks import assessments, common, defaults, grids, hazards, inspections, sensors
from yingji.risks.models import Finding, Grid, Hazard, Sensor, SensorAlarm
from yingji.risks.schemas import (
    HAZARD_CATEGORIES,
    HAZARD_KINDS,
    SENSOR_KINDS,
    AlarmRead,
    AssessmentCreate,
    ChecklistCreate,
    ChecklistRead,
    FindingCreate,
    FindingRead,
    GridCreate,
    HazardCreate,
    HazardRead,
    InspectionCreate,
    InspectionRead,
    OutlineSet,
    PatrolCreate,
    Rectify,
    RiskItemCreate,
    SensorCreate,
    SensorRead,
)
from yingji.web.deps import DB, AppSettings, CurrentPrincipal, IdPath, IdQuery
from yingji.web.templating import render

router = APIRouter(prefix="/risks", include_in_schema=False)
PageNo = Annotated[int, Query(ge=1, le=100000)]
Text = Annotated[str, Query(max_length=100)]
Choice = Annotated[str, Query(max_length=32)]
Export = Annotated[str, Query(max_length=8)]
PER_PAGE = 50
HAZARD_KIND_LABELS = {"major_hazard": N_("major hazard source"), "infrastructure": N_("key infrastructure")}
CATEGORY_LABELS = {"hazardous_chemicals": N_("hazardous chemicals"), "mining": N_("mining"), "gas": N_("gas"),
                   "fireworks": N_("fireworks"), "dam": N_("dam"), "reservoir": N_("reservoir"), "bridge": N_("bridge"),
                   "tunnel": N_("tunnel"), "road": N_("road"), "power": N_("power supply"),
                   "water_supply": N_("water supply"), "pipeline": N_("pipeline"),
                   "geological": N_("geological hazard site"), "other": N_("other")}
FIVE_STATE_LABELS = {"yes": N_("in place"), "no": N_("not in place"), "no_source": N_("no record source yet")}
RULE_LABELS = {defaults.MATRIX_SIZE: N_("steps of the likelihood and consequence scales"),
               defaults.LEVEL_MAJOR: N_("lowest score of a major risk"),
               defaults.LEVEL_LARGE: N_("lowest score of a large risk"),
               defaults.LEVEL_GENERAL: N_("lowest score of a general risk"),
               defaults.PATROL_DAYS: N_("every grid patrolled at least every"),
               defaults.SILENCE: N_("a sensor is silent after"),
               defaults.FUTURE_SKEW: N_("readings may lie ahead of the clock by at most"),
               defaults.ESCALATE_GRACE: N_("an overdue hidden hazard escalates after its deadline plus")}
CHECKLIST_PURPOSES = {"inspection": N_("inspection"), "patrol": N_("patrol")}
UNIT_LABELS = {"steps": N_("steps"), "score": N_("points"), "d": N_("days"), "min": N_("minutes"),
               "s": N_("seconds"), "h": N_("hours")}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _ctx(request: Request, principal: Any, **extra: Any) -> dict[str, Any]:
    return {"can_write": principal.can(roles.WRITE), "can_report": principal.can(roles.REPORT), **extra}


def _page(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    base = {"hazard_kinds": HAZARD_KIND_LABELS, "categories": CATEGORY_LABELS,
            "level_labels": assessments.LEVEL_LABELS, "level_colours": assessments.LEVEL_COLOURS,
            "risk_categories": assessments.CATEGORY_LABELS, "state_labels": inspections.STATE_LABELS,
            "severity_labels": inspections.SEVERITY_LABELS, "inspection_kinds": inspections.KIND_LABELS,
            "sensor_kinds": sensors.KIND_LABELS, "warning_labels": sensors.LEVEL_LABELS,
            "alarm_kinds": sensors.ALARM_KIND_LABELS, "five_labels": hazards.FIVE_LABELS,
            "five_states": FIVE_STATE_LABELS}
    return render(request, name, {**base, **context}, active="risks")


def _units(db: DB, principal: Any, kinds: tuple[str, ...] | None = None, limit: int = 500) -> list[Unit]:
    stmt = scoped(select(Unit), principal).where(Unit.valid_to.is_(None))
    if kinds:
        stmt = stmt.where(Unit.kind.in_(kinds))
    return list(db.scalars(stmt.order_by(Unit.path).limit(limit)))


# --- overview -------------------------------------------------------------------------------------

def _count(db: DB, principal: Any, model: Any, *where: Any) -> int:
    stmt = scoped(select(func.count()).select_from(model), principal, model=model)
    return int(db.scalar(stmt.where(*where)) or 0)


@router.get("", response_class=HTMLResponse)
def overview(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    now = clock.now()
    counts = {
        "hazards": _count(db, principal, Hazard),
        "open_findings": _count(db, principal, Finding, Finding.status != "closed"),
        "overdue": _count(db, principal, Finding, Finding.status == "open", Finding.deadline < now),
        "sensors": _count(db, principal, Sensor),
        "alarms": _count(db, principal, SensorAlarm, SensorAlarm.status == "open"),
        "grids": _count(db, principal, Grid),
        "unpatrolled": grids.count(db, grids.coverage_statement(db, principal, only_unpatrolled=True, now=now)),
    }
    return _page(request, "risks/index.html", _ctx(request, principal, counts=counts))


# --- hazards --------------------------------------------------------------------------------------

@router.get("/hazards", response_class=HTMLResponse)
def hazards_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", kind: Choice = "",
                 page: PageNo = 1, export: Export = "") -> Response:
    stmt = hazards.hazards_statement(db, principal, q=q, kind=kind)
    if export == "xlsx":
        rows = paginate(db, stmt, HazardRead, page=1, per_page=EVERY_ROW).items
        names = common.unit_names(db, [h.unit_id for h in rows])
        data = xlsx.export((N_("name"), N_("kind"), N_("category"), N_("level"), N_("owner unit"), N_("address"),
                            N_("longitude"), N_("latitude")),
                           ([h.name, gettext(HAZARD_KIND_LABELS[h.kind]), gettext(CATEGORY_LABELS[h.category]),
                             h.level, names.get(h.unit_id, ""), h.address, h.lon, h.lat] for h in rows),
                           title="hazards")
        return _xlsx_response(data, "hazards.xlsx")
    result = paginate(db, stmt, HazardRead, page=page, per_page=PER_PAGE)
    return _page(request, "risks/hazards.html", _ctx(
        request, principal, result=result, q=q, kind=kind,
        units=common.unit_names(db, [h.unit_id for h in result.items]),
        owners=_units(db, principal) if principal.can(roles.WRITE) else [], kinds=HAZARD_KINDS,
        category_keys=HAZARD_CATEGORIES))


@router.post("/hazards", response_class=HTMLResponse)
async def create_hazard(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    hazard = hazards.create(db, principal, parse_form(HazardCreate, await _form(request)))
    return _redirect(f"/risks/hazards/{hazard.id}")


@router.get("/hazards/{hazard_id}", response_class=HTMLResponse)
def hazard_page(request: Request, db: DB, principal: CurrentPrincipal, hazard_id: IdPath) -> Response:
    hazard = hazards.get(db, principal, hazard_id)
    five = hazards.five_haves(db, principal, hazard_id)
    found = list(db.scalars(inspections.inspections_statement(db, principal, hazard_id=hazard.id).limit(50)))
    rules_docs = attachments.list_for(db, principal, entity_type=hazards.RULES_ENTITY, entity_id=str(hazard.id))
    return _page(request, "risks/hazard.html", _ctx(
        request, principal, hazard=hazard, five=five, inspections=found, rules_docs=rules_docs,
        owner=db.get(Unit, hazard.unit_id), sensors=sensors.hazard_sensors(db, principal, hazard.id),
        checklists=inspections.visible_checklists(db, principal, "inspection")))


@router.post("/hazards/{hazard_id}/rules", response_class=HTMLResponse)
def attach_rules(db: DB, principal: CurrentPrincipal, settings: AppSettings, hazard_id: IdPath,
                 file: Annotated[UploadFile, File()]) -> Response:
    risks_api.attach_rules(db, principal, settings, hazard_id, file)
    return _redirect(f"/risks/hazards/{hazard_id}#five")


# --- assessments, risk list, map ------------------------------------------------------------------

@router.get("/assessments", response_class=HTMLResponse)
def assessments_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "",
                     page: PageNo = 1, export: Export = "") -> Response:
    if export == "xlsx":
        rows = list(db.scalars(xlsx.bounded(assessments.assessments_statement(principal, q=q))))
        names = common.unit_names(db, [a.unit_id for a in rows])
        counts = assessments.item_counts(db, [a.id for a in rows])
        data = xlsx.export((N_("title"), N_("area"), N_("year"), N_("risks listed"), N_("note")),
                           ([a.title, names.get(a.unit_id, ""), a.year, counts.get(a.id, 0), a.note] for a in rows),
                           title="risk assessments")
        return _xlsx_response(data, "risk-assessments.xlsx")
    result = assessments.list_assessments(db, principal, q=q, page=page, per_page=PER_PAGE)
    return _page(request, "risks/assessments.html", _ctx(
        request, principal, result=result, q=q,
        units=common.unit_names(db, [a.unit_id for a in result.items]),
        areas=_units(db, principal, TERRITORIAL_KINDS) if principal.can(roles.WRITE) else [],
        year=common.today().year))


@router.post("/assessments", response_class=HTMLResponse)
async def create_assessment(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    row = assessments.create(db, principal, parse_form(AssessmentCreate, await _form(request)))
    return _redirect(f"/risks/assessments/{row.id}")


@router.get("/assessments/{assessment_id}", response_class=HTMLResponse)
def assessment_page(request: Request, db: DB, principal: CurrentPrincipal, assessment_id: IdPath) -> Response:
    row = assessments.get(db, principal, assessment_id)
    rules = defaults.values(db)
    size = rules[defaults.MATRIX_SIZE]
    matrix = [[(lk, cq, defaults.risk_level(rules, lk * cq)) for cq in range(1, size + 1)]
              for lk in range(size, 0, -1)]
    return _page(request, "risks/assessment.html", _ctx(
        request, principal, assessment=row, items=assessments.items(db, principal, assessment_id),
        area=db.get(Unit, row.unit_id), matrix=matrix, size=size))


@router.post("/assessments/{assessment_id}/items", response_class=HTMLResponse)
async def add_item(request: Request, db: DB, principal: CurrentPrincipal, assessment_id: IdPath) -> Response:
    assessments.add_item(db, principal, assessment_id, parse_form(RiskItemCreate, await _form(request)))
    return _redirect(f"/risks/assessments/{assessment_id}#items")


@router.get("/list", response_class=HTMLResponse)
def risk_list_page(request: Request, db: DB, principal: CurrentPrincipal, area_id: IdQuery = None, level: Choice = "",
                   q: Text = "", page: PageNo = 1, export: Export = "") -> Response:
    if level and level not in assessments.LEVEL_LABELS:
        level = ""
    stmt = assessments.risk_list_statement(db, principal, area_id=area_id, level=level, q=q)
    if export == "xlsx":
        rows = list(db.scalars(xlsx.bounded(stmt)))
        names = common.unit_names(db, [r.unit_id for r in rows])
        data = xlsx.export((N_("area"), N_("risk"), N_("category"), N_("likelihood"), N_("consequence"), N_("score"),
                            N_("level"), N_("measures"), N_("responsible")),
                           ([names.get(r.unit_id, ""), r.name, gettext(assessments.CATEGORY_LABELS[r.category]),
                             r.likelihood, r.consequence, r.score, gettext(assessments.LEVEL_LABELS[r.level]),
                             r.measures, r.responsible] for r in rows), title="risk list")
        return _xlsx_response(data, "risk-list.xlsx")
    from yingji.risks.schemas import RiskItemRead

    result = paginate(db, stmt, RiskItemRead, page=page, per_page=PER_PAGE)
    return _page(request, "risks/list.html", _ctx(
        request, principal, result=result, area_id=area_id or "", level=level, q=q,
        areas=_units(db, principal, TERRITORIAL_KINDS), units=common.unit_names(db, [r.unit_id for r in result.items])))


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    features = assessments.map_features(db, principal)
    shapes = [{"name": g.name, "polygon": g.polygon, "link": f"/risks/grids/{g.id}"}
              for g in db.scalars(grids.grids_statement(db, principal).limit(1000))]
    return _page(request, "risks/map.html", _ctx(
        request, principal, features=json.dumps(features, ensure_ascii=False),
        shapes=json.dumps(shapes, ensure_ascii=False)))


# --- checklists -----------------------------------------------------------------------------------

@router.get("/checklists", response_class=HTMLResponse)
def checklists_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", purpose: Choice = "",
                    unit_id: IdQuery = None, page: PageNo = 1, export: Export = "") -> Response:
    if purpose and purpose not in CHECKLIST_PURPOSES:
        raise UserError("Unknown kind.", field="purpose")
    keepers = db.scalars(select(inspections.checklists_statement(principal).order_by(None).subquery().c.unit_id)
                         .distinct()).all()
    if unit_id is not None and unit_id not in keepers:
        raise NotFound("Not found, or not within your area.", field="unit_id")
    stmt = inspections.checklists_statement(principal, purpose=purpose, q=q, unit_id=unit_id)
    if export == "xlsx":
        rows = db.scalars(stmt).all()
        names = common.unit_names(db, [c.unit_id for c in rows])
        data = xlsx.export((N_("name"), N_("for"), N_("kept by"), N_("items")),
                           ([c.name, gettext(CHECKLIST_PURPOSES[c.purpose]), names.get(c.unit_id, ""),
                             "\n".join(c.items)] for c in rows), title="checklists")
        return _xlsx_response(data, "checklists.xlsx")
    result = paginate(db, stmt, ChecklistRead, page=page, per_page=PER_PAGE)
    names = common.unit_names(db, [*keepers, *(c.unit_id for c in result.items)])
    return _page(request, "risks/checklists.html", _ctx(
        request, principal, result=result, checklists=result.items, units=names, q=q, purpose=purpose,
        unit_id=unit_id, purposes=CHECKLIST_PURPOSES,
        keepers=sorted(keepers, key=lambda u: names.get(u, "")),
        params=urlencode({"q": q, "purpose": purpose, "unit_id": unit_id or ""}),
        owners=_units(db, principal) if principal.can(roles.WRITE) else []))


@router.post("/checklists", response_class=HTMLResponse)
async def create_checklist(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    form = await _form(request)
    lines = [line.strip() for line in form.pop("items", "").splitlines() if line.strip()]
    data = parse_form(ChecklistCreate, {**form, "items": lines})
    inspections.create_checklist(db, principal, data)
    return _redirect("/risks/checklists")


# --- inspections and findings ---------------------------------------------------------------------

@router.get("/inspections", response_class=HTMLResponse)
def inspections_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", kind: Choice = "",
                     page: PageNo = 1, export: Export = "") -> Response:
    stmt = inspections.inspections_statement(db, principal, q=q, kind=kind if kind in inspections.KIND_LABELS else "")
    if export == "xlsx":
        rows = paginate(db, stmt, InspectionRead, page=1, per_page=EVERY_ROW).items
        names = common.unit_names(db, [i.unit_id for i in rows])
        data = xlsx.export((N_("inspection"), N_("kind"), N_("unit"), N_("inspected at"), N_("note")),
                           ([i.title, gettext(inspections.KIND_LABELS[i.kind]), names.get(i.unit_id, ""),
                             i.inspected_at, i.note] for i in rows), title="inspections")
        return _xlsx_response(data, "inspections.xlsx")
    result = paginate(db, stmt, InspectionRead, page=page, per_page=PER_PAGE)
    return _page(request, "risks/inspections.html", _ctx(
        request, principal, result=result, q=q, kind=kind,
        units=common.unit_names(db, [i.unit_id for i in result.items]),
        targets=_units(db, principal) if principal.can(roles.WRITE) else [],
        checklists=inspections.visible_checklists(db, principal, "inspection")))


async def _inspection_form(request: Request) -> dict[str, Any]:
    form = await _form(request)
    answers = {k.removeprefix("item:"): v == "ok" for k, v in form.items() if k.startswith("item:")}
    return {**{k: v for k, v in form.items() if not k.startswith("item:")}, "results": answers}


@router.post("/inspections", response_class=HTMLResponse)
async def create_inspection(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    row = inspections.create_inspection(db, principal, parse_form(InspectionCreate, await _inspection_form(request)))
    return _redirect(f"/risks/inspections/{row.id}")


@router.get("/inspections/{inspection_id}", response_class=HTMLResponse)
def inspection_page(request: Request, db: DB, principal: CurrentPrincipal, inspection_id: IdPath) -> Response:
    row = inspections.get_inspection(db, principal, inspection_id)
    found = list(db.scalars(inspections.findings_statement(db, principal, inspection_id=row.id)))
    checklist = db.get(inspections.ChecklistTemplate, row.checklist_id) if row.checklist_id else None
    default_deadline = (clock.now() + timedelta(days=7)).astimezone(common.zone()).strftime("%Y-%m-%dT%H:%M")
    return _page(request, "risks/inspection.html", _ctx(
        request, principal, inspection=row, findings=found, unit=db.get(Unit, row.unit_id), checklist=checklist,
        hazard=db.get(Hazard, row.hazard_id) if row.hazard_id else None, default_deadline=default_deadline,
        now=clock.now()))


@router.post("/inspections/{inspection_id}/findings", response_class=HTMLResponse)
async def add_finding(request: Request, db: DB, principal: CurrentPrincipal, inspection_id: IdPath) -> Response:
    finding = inspections.add_finding(db, principal, inspection_id, parse_form(FindingCreate, await _form(request)))
    return _redirect(f"/risks/inspections/{inspection_id}#finding-{finding.id}")


@router.get("/findings", response_class=HTMLResponse)
def findings_page(request: Request, db: DB, principal: CurrentPrincipal, status: Choice = "", overdue: bool = False,
                  q: Text = "", page: PageNo = 1, export: Export = "") -> Response:
    status = status if status in inspections.STATE_LABELS else ""
    stmt = inspections.findings_statement(db, principal, status=status, overdue=overdue, q=q)
    if export == "xlsx":
        rows = paginate(db, stmt, FindingRead, page=1, per_page=EVERY_ROW).items
        names = common.unit_names(db, [f.unit_id for f in rows])
        data = xlsx.export((N_("unit"), N_("hidden hazard"), N_("severity"), N_("deadline"), N_("responsible"),
                            N_("state"), N_("rectified at"), N_("closed at"), N_("escalated at")),
                           ([names.get(f.unit_id, ""), f.description, gettext(inspections.SEVERITY_LABELS[f.severity]),
                             f.deadline, f.responsible, gettext(inspections.STATE_LABELS[f.status]), f.rectified_at,
                             f.closed_at, f.escalated_at] for f in rows), title="hidden hazards")
        return _xlsx_response(data, "hidden-hazards.xlsx")
    result = paginate(db, stmt, FindingRead, page=page, per_page=PER_PAGE)
    return _page(request, "risks/findings.html", _ctx(
        request, principal, result=result, status=status, overdue=overdue, q=q,
        now=clock.now(),
        units=common.unit_names(db, [f.unit_id for f in result.items])))


@router.get("/findings/{finding_id}", response_class=HTMLResponse)
def finding_page(request: Request, db: DB, principal: CurrentPrincipal, finding_id: IdPath) -> Response:
    finding = inspections.get_finding(db, principal, finding_id)
    return _page(request, "risks/finding.html", _ctx(
        request, principal, finding=finding, evidence=inspections.evidence(db, finding.id), now=clock.now(),
        unit=db.get(Unit, finding.unit_id), verifier=db.get(User, finding.verified_by_id) if finding.verified_by_id
        else None))


@router.post("/findings/{finding_id}/evidence", response_class=HTMLResponse)
def add_evidence(db: DB, principal: CurrentPrincipal, settings: AppSettings, finding_id: IdPath,
                 file: Annotated[UploadFile, File()]) -> Response:
    risks_api.store_evidence(db, principal, settings, finding_id, file)
    return _redirect(f"/risks/findings/{finding_id}")


@router.post("/findings/{finding_id}/step", response_class=HTMLResponse)
async def finding_step(request: Request, db: DB, principal: CurrentPrincipal, finding_id: IdPath,
                       step: Annotated[str, Form(max_length=16)]) -> Response:
    form = await _form(request)
    if step == "rectify":
        data = parse_form(Rectify, {"rectification": form.get("rectification")})
        inspections.rectify(db, principal, finding_id, data)
    elif step == "verify":
        inspections.verify(db, principal, finding_id)
    elif step == "reject":
        inspections.reject(db, principal, finding_id)
    elif step == "close":
        inspections.close(db, principal, finding_id)
    else:
        raise UserError("This value is not one of the allowed choices.", field="step")
    return _redirect(f"/risks/findings/{finding_id}")


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, db: DB, principal: CurrentPrincipal, export: Export = "") -> Response:
    by_county = inspections.closed_loop(db, principal, "county")
    by_sector = inspections.closed_loop(db, principal, "sector")
    if export == "xlsx":
        data = xlsx.export((N_("county / sector"), N_("hidden hazards"), N_("closed"), N_("rectified on time"),
                            N_("overdue"), N_("not closed"), N_("closure rate (per cent)")),
                           ([r.label, r.total, r.closed, r.on_time, r.overdue, r.open, r.rate]
                            for r in by_county + by_sector), title="closed loop")
        return _xlsx_response(data, "closed-loop.xlsx")
    from yingji.core.views import INDUSTRY_LABELS
    from yingji.core.views import KIND_LABELS as UNIT_KIND_LABELS

    return _page(request, "risks/stats.html", _ctx(request, principal, by_county=by_county, by_sector=by_sector,
                                                   sector_labels={**UNIT_KIND_LABELS, **INDUSTRY_LABELS}))


# --- grids, patrols, coverage ---------------------------------------------------------------------

def _polygon(text: str | None, field: str = "polygon") -> Any:
    try:
        value = json.loads(text or "")
    except ValueError as exc:
        raise UserError("The polygon is not a list of [longitude, latitude] points.", field=field) from exc
    return value


@router.get("/grids", response_class=HTMLResponse)
def grids_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", page: PageNo = 1) -> Response:
    from yingji.risks.schemas import GridRead

    result = paginate(db, grids.grids_statement(db, principal, q=q), GridRead, page=page, per_page=PER_PAGE)
    villages = _units(db, principal, ("village",)) if principal.can(roles.WRITE) else []
    return _page(request, "risks/grids.html", _ctx(
        request, principal, result=result, q=q,
        units=common.unit_names(db, [g.unit_id for g in result.items]),
        villages=villages, patrol_days=defaults.value(db, defaults.PATROL_DAYS),
        checklists=inspections.visible_checklists(db, principal, "patrol")))


@router.post("/grids", response_class=HTMLResponse)
async def create_grid(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    form = await _form(request)
    form["polygon"] = _polygon(form.get("polygon"))
    grid = grids.create_grid(db, principal, parse_form(GridCreate, form))
    return _redirect(f"/risks/grids/{grid.id}")


@router.post("/outlines/{village_id}", response_class=HTMLResponse)
async def set_outline(request: Request, db: DB, principal: CurrentPrincipal, village_id: IdPath) -> Response:
    form = await _form(request)
    grids.set_outline(db, principal, village_id, parse_form(OutlineSet, {"polygon": _polygon(form.get("polygon"))}))
    return _redirect("/risks/grids")


@router.get("/grids/{grid_id}", response_class=HTMLResponse)
def grid_page(request: Request, db: DB, principal: CurrentPrincipal, grid_id: IdPath) -> Response:
    grid = grids.get_grid(db, principal, grid_id)
    outline = grids.get_outline(db, grid.unit_id)
    checklist = db.get(inspections.ChecklistTemplate, grid.checklist_id) if grid.checklist_id else None
    done = grids.patrols(db, principal, grid.id, limit=30)
    return _page(request, "risks/grid.html", _ctx(
        request, principal, grid=grid, village=db.get(Unit, grid.unit_id), checklist=checklist, patrols=done,
        due=grids.due_since(grid, clock.now()), shape=json.dumps({"grid": grid.polygon,
                                                                  "outline": outline.polygon if outline else None,
                                                                  "tracks": [p.track for p in done[:5]]}),
        users=common.user_names(db, [p.user_id for p in done])))


@router.post("/grids/{grid_id}/patrols", response_class=HTMLResponse)
async def record_patrol(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
                        grid_id: IdPath) -> Response:
    form = await request.form()
    text = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        track = [{"lon": p[0], "lat": p[1]} for p in json.loads(text.get("track") or "[]")]
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise UserError("The GPS track could not be read.", field="track") from exc
    answers = {k.removeprefix("item:"): v == "ok" for k, v in text.items() if k.startswith("item:")}
    now = clock.now().astimezone(common.zone()).strftime("%Y-%m-%dT%H:%M:%S")
    data = parse_form(PatrolCreate, {"started_at": text.get("started_at") or now,
                                     "ended_at": text.get("ended_at") or now,
                                     "track": track, "results": answers, "note": text.get("note", "")})
    patrol = grids.record_patrol(db, principal, grid_id, data)
    for photo in form.getlist("photos"):
        if isinstance(photo, str) or not photo.filename:
            continue
        risks_api.store_patrol_photo(db, principal, settings, patrol.id, photo)  # type: ignore[arg-type]
    return _redirect(f"/risks/grids/{grid_id}#patrols")


@router.get("/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, db: DB, principal: CurrentPrincipal, area_id: IdQuery = None,
                  unpatrolled: bool = False, page: PageNo = 1, export: Export = "") -> Response:
    local = common.local_text
    if export == "xlsx":
        rows = grids.coverage(db, principal, area_id=area_id, only_unpatrolled=unpatrolled)
        data = xlsx.export((N_("grid"), N_("village"), N_("grid officer"), N_("patrol every (days)"),
                            N_("last patrol"), N_("due since")),
                           ([r.grid, r.unit, r.officer, r.patrol_days, local(r.last_patrol_at), local(r.due_since)]
                            for r in rows), title="coverage")
        return _xlsx_response(data, "grid-coverage.xlsx")
    result, total, missing = grids.coverage_page(db, principal, area_id=area_id, only_unpatrolled=unpatrolled,
                                                 page=page, per_page=PER_PAGE)
    return _page(request, "risks/coverage.html", _ctx(
        request, principal, result=result, rows=result.items, unpatrolled=unpatrolled, area_id=area_id or "",
        areas=_units(db, principal, TERRITORIAL_KINDS), missing=missing, total=total,
        params=urlencode({"area_id": area_id or "", "unpatrolled": "true" if unpatrolled else "false"})))


# --- sensors and alarms ---------------------------------------------------------------------------

@router.get("/sensors", response_class=HTMLResponse)
def sensors_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", kind: Choice = "",
                 page: PageNo = 1, export: Export = "") -> Response:
    stmt = sensors.sensors_statement(db, principal, q=q, kind=kind if kind in SENSOR_KINDS else "")
    if export == "xlsx":
        rows = paginate(db, stmt, SensorRead, page=1, per_page=EVERY_ROW).items
        names = common.unit_names(db, [s.unit_id for s in rows])
        data = xlsx.export((N_("sensor"), N_("kind"), N_("unit"), N_("blue"), N_("yellow"), N_("orange"), N_("red"),
                            N_("last reading"), N_("last value"), N_("level")),
                           ([s.name, gettext(sensors.KIND_LABELS[s.kind]), names.get(s.unit_id, ""), s.blue, s.yellow,
                             s.orange, s.red, s.last_reading_at, s.last_value, gettext(sensors.LEVEL_LABELS[s.level])]
                            for s in rows), title="sensors")
        return _xlsx_response(data, "sensors.xlsx")
    result = paginate(db, stmt, SensorRead, page=page, per_page=PER_PAGE)
    return _page(request, "risks/sensors.html", _ctx(
        request, principal, result=result, q=q, kind=kind,
        units=common.unit_names(db, [s.unit_id for s in result.items]),
        owners=_units(db, principal) if principal.can(roles.WRITE) else [], kinds=SENSOR_KINDS))


@router.post("/sensors", response_class=HTMLResponse)
async def create_sensor(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    sensor = sensors.create(db, principal, parse_form(SensorCreate, await _form(request)))
    return _redirect(f"/risks/sensors/{sensor.id}")


@router.get("/sensors/{sensor_id}", response_class=HTMLResponse)
def sensor_page(request: Request, db: DB, principal: CurrentPrincipal, sensor_id: IdPath,
                hours: Annotated[int, Query(ge=1, le=24 * 90)] = 24) -> Response:
    sensor = sensors.get(db, principal, sensor_id)
    until = clock.now()
    data = sensors.series(db, principal, sensor_id, until - timedelta(hours=hours), until)
    local = common.local_text
    chart = {"points": [[local(p.at), p.min, p.avg, p.max] for p in data.points],
             "thresholds": {lv: getattr(sensor, lv) for lv in ("blue", "yellow", "orange", "red")},
             "measure": sensor.measure}
    alarms = list(db.scalars(sensors.alarms_statement(db, principal, sensor_id=sensor.id).limit(20)))
    return _page(request, "risks/sensor.html", _ctx(
        request, principal, sensor=sensor, series=data, hours=hours, chart=json.dumps(chart, ensure_ascii=False),
        recent=sensors.recent(db, principal, sensor_id, 20), alarms=alarms, unit=db.get(Unit, sensor.unit_id),
        new_token=request.query_params.get("token_shown") == "1"))


@router.post("/sensors/{sensor_id}/token", response_class=HTMLResponse)
def issue_token(request: Request, db: DB, principal: CurrentPrincipal, sensor_id: IdPath) -> Response:
    sensor, raw = sensors.issue_token(db, principal, sensor_id)
    return _page(request, "risks/token.html", _ctx(request, principal, sensor=sensor, token=raw))


@router.post("/sensors/{sensor_id}/revoke", response_class=HTMLResponse)
def revoke_token(db: DB, principal: CurrentPrincipal, sensor_id: IdPath) -> Response:
    sensors.revoke_token(db, principal, sensor_id)
    return _redirect(f"/risks/sensors/{sensor_id}")


@router.get("/alarms", response_class=HTMLResponse)
def alarms_page(request: Request, db: DB, principal: CurrentPrincipal, status: Choice = "", kind: Choice = "",
                page: PageNo = 1, export: Export = "") -> Response:
    status = status if status in sensors.ALARM_STATE_LABELS else ""
    kind = kind if kind in sensors.ALARM_KIND_LABELS else ""
    stmt = sensors.alarms_statement(db, principal, status=status, kind=kind)
    result = paginate(db, stmt, AlarmRead, page=page, per_page=MAX_PER_PAGE if export else PER_PAGE)
    names = {i: n for i, n in db.execute(select(Sensor.id, Sensor.name).where(
        Sensor.id.in_({a.sensor_id for a in result.items}))).all()} if result.items else {}
    if export == "xlsx":
        data = xlsx.export((N_("alarm"), N_("sensor"), N_("kind"), N_("level"), N_("value"), N_("at"), N_("state")),
                           ([a.id, names.get(a.sensor_id, ""), gettext(sensors.ALARM_KIND_LABELS[a.kind]),
                             gettext(sensors.LEVEL_LABELS[a.level]), a.value, a.at,
                             gettext(sensors.ALARM_STATE_LABELS.get(a.status, a.status))] for a in result.items),
                           title="alarms")
        return _xlsx_response(data, "sensor-alarms.xlsx")
    return _page(request, "risks/alarms.html", _ctx(
        request, principal, result=result, status=status, kind=kind, names=names,
        alarm_states=sensors.ALARM_STATE_LABELS))


@router.get("/alarms/{alarm_id}", response_class=HTMLResponse)
def alarm_page(request: Request, db: DB, principal: CurrentPrincipal, alarm_id: IdPath) -> Response:
    alarm = sensors.get_alarm(db, principal, alarm_id)
    return _page(request, "risks/alarm.html", _ctx(
        request, principal, alarm=alarm, sensor=db.get(Sensor, alarm.sensor_id), unit=db.get(Unit, alarm.unit_id),
        alarm_states=sensors.ALARM_STATE_LABELS))


@router.post("/alarms/{alarm_id}/ack", response_class=HTMLResponse)
def acknowledge(db: DB, principal: CurrentPrincipal, alarm_id: IdPath) -> Response:
    sensors.acknowledge(db, principal, alarm_id)
    return _redirect(f"/risks/alarms/{alarm_id}")


@router.post("/alarms/{alarm_id}/draft", response_class=HTMLResponse)
def prepare_draft(db: DB, principal: CurrentPrincipal, alarm_id: IdPath) -> Response:
    sensors.prepare_draft(db, principal, alarm_id)
    return _redirect(f"/risks/alarms/{alarm_id}")


# --- rules ----------------------------------------------------------------------------------------

@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    return _page(request, "risks/rules.html", _ctx(
        request, principal, rules=defaults.all_rules(db), rule_labels=RULE_LABELS, unit_labels=UNIT_LABELS,
        can_edit=principal.can(roles.EDIT_RULES)))


@router.post("/rules/{rule_key}", response_class=HTMLResponse)
async def update_rule(request: Request, db: DB, principal: CurrentPrincipal, rule_key: str) -> Response:
    form = await _form(request)
    try:
        value = int(form.get("value", ""))
    except ValueError as exc:
        raise UserError("A whole number is expected here.", field="value") from exc
    defaults.update_rule(db, principal, rule_key[:64], value, form.get("source", "")[:1000])
    return _redirect("/risks/rules")


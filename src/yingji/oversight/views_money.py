"""Pages of planning projects (R4.1) and funding (R5.2)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from yingji.core import roles, xlsx
from yingji.core.api import _xlsx_response
from yingji.core.models import Unit
from yingji.core.service import EVERY_ROW
from yingji.core.views import parse_form
from yingji.i18n import N_, gettext
from yingji.oversight import common, planning
from yingji.oversight.schemas import BudgetLineCreate, ProjectCreate, ProjectUpdate, SpendingCreate, fen_to_yuan
from yingji.oversight.views_ledger import writable_units
from yingji.oversight.web import PER_PAGE, Code, Export, PageNo, Text, YearQ, choice, form_and_file, redirect
from yingji.web.deps import DB, CurrentPrincipal, IdPath, IdQuery
from yingji.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/projects", response_class=HTMLResponse)
def projects_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", status: Code = "",
                  unit_id: IdQuery = None, page: PageNo = 1, export: Export = "") -> Response:
    choice(status, planning.PROJECT_LABELS, "status")
    filters = {"q": q, "status": status, "unit_id": unit_id}
    if export == "xlsx":
        rows = planning.list_projects(db, principal, page=1, per_page=EVERY_ROW, **filters).items
        names = common.unit_names(db, [p.unit_id for p in rows])
        data = xlsx.export((N_("project"), N_("plan period"), N_("unit"), N_("budget (yuan)"), N_("spent (yuan)"),
                            N_("percent done"), N_("from"), N_("until"), N_("status")),
                           ([p.name, p.plan_period, names.get(p.unit_id, ""), fen_to_yuan(p.budget_fen),
                             fen_to_yuan(p.spent_fen), p.progress, p.starts_on, p.ends_on,
                             gettext(planning.PROJECT_LABELS[p.status])] for p in rows), title="projects")
        return _xlsx_response(data, "planning-projects.xlsx")
    result = planning.list_projects(db, principal, page=page, per_page=PER_PAGE, **filters)
    units = writable_units(db, principal)
    return render(request, "oversight/projects.html", {
        "result": result, "f": filters, "names": common.unit_names(db, [p.unit_id for p in result.items]),
        "labels": planning.PROJECT_LABELS, "units": units, "yuan": fen_to_yuan,
        "query": f"q={q}&status={status}&unit_id={unit_id or ''}"}, active="oversight")


@router.post("/projects", response_class=HTMLResponse)
async def create_project_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    values, _file = await form_and_file(request)
    row = planning.create_project(db, principal, parse_form(ProjectCreate, values))
    return redirect(f"/oversight/projects/{row.id}")


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_page(request: Request, db: DB, principal: CurrentPrincipal, project_id: IdPath) -> Response:
    row = planning.get_project(db, principal, project_id)
    return render(request, "oversight/project.html", {
        "p": row, "unit": db.get_one(Unit, row.unit_id), "labels": planning.PROJECT_LABELS, "yuan": fen_to_yuan,
        "can_write": principal.can(roles.WRITE)}, active="oversight")


@router.post("/projects/{project_id}", response_class=HTMLResponse)
async def update_project_form(request: Request, db: DB, principal: CurrentPrincipal, project_id: IdPath) -> Response:
    values, _file = await form_and_file(request)
    planning.update_project(db, principal, project_id, parse_form(ProjectUpdate, values))
    return redirect(f"/oversight/projects/{project_id}")


@router.get("/funding", response_class=HTMLResponse)
def funding_page(request: Request, db: DB, principal: CurrentPrincipal, year: YearQ = None, kind: Code = "",
                 unit_id: IdQuery = None, page: PageNo = 1, export: Export = "") -> Response:
    choice(kind, planning.BUDGET_LABELS, "kind")
    if export == "xlsx":
        rows = planning.budget_rows(db, principal, year=year, kind=kind, unit_id=unit_id, per_page=EVERY_ROW).items
        data = xlsx.export((N_("unit"), N_("year"), N_("budget line"), N_("planned (yuan)"), N_("spent (yuan)"),
                            N_("share spent")),
                           ([r.unit_name, r.year, gettext(planning.BUDGET_LABELS[r.kind]), fen_to_yuan(r.planned_fen),
                             fen_to_yuan(r.spent_fen), _pct(r.spent_fen, r.planned_fen)] for r in rows),
                           title="funding")
        return _xlsx_response(data, "funding.xlsx")
    result = planning.budget_rows(db, principal, year=year, kind=kind, unit_id=unit_id, page=page, per_page=PER_PAGE)
    planned = sum(r.planned_fen for r in result.items)
    spent = sum(r.spent_fen for r in result.items)
    return render(request, "oversight/funding.html", {
        "result": result, "year": year, "kind": kind, "labels": planning.BUDGET_LABELS, "yuan": fen_to_yuan,
        "pct": _pct, "units": writable_units(db, principal), "planned": planned, "spent": spent,
        "this_year": common.today().year,
        "query": f"year={year or ''}&kind={kind}&unit_id={unit_id or ''}"}, active="oversight")


def _pct(spent: int, planned: int) -> str:
    return "—" if planned == 0 else f"{spent * 100 / planned:.1f}"


@router.post("/funding", response_class=HTMLResponse)
async def create_line_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    values, _file = await form_and_file(request)
    row = planning.create_line(db, principal, parse_form(BudgetLineCreate, values))
    return redirect(f"/oversight/funding/{row.id}")


@router.get("/funding/{budget_line_id}", response_class=HTMLResponse)
def line_page(request: Request, db: DB, principal: CurrentPrincipal, budget_line_id: IdPath) -> Response:
    line = planning.get_line(db, principal, budget_line_id)
    items = planning.spending(db, principal, line.id)
    spent = sum(s.amount_fen for s in items)
    return render(request, "oversight/budget_line.html", {
        "line": line, "unit": db.get_one(Unit, line.unit_id), "items": items, "spent": spent,
        "labels": planning.BUDGET_LABELS, "yuan": fen_to_yuan, "pct": _pct(spent, line.planned_fen),
        "can_write": principal.can(roles.WRITE)}, active="oversight")


@router.post("/funding/{budget_line_id}/spending", response_class=HTMLResponse)
async def add_spending_form(request: Request, db: DB, principal: CurrentPrincipal, budget_line_id: IdPath) -> Response:
    values, _file = await form_and_file(request)
    planning.add_spending(db, principal, budget_line_id, parse_form(SpendingCreate, values))
    return redirect(f"/oversight/funding/{budget_line_id}")

"""Pages of the task ledger: the list (filters, paging, XLSX), a task with its roadmap, progress and closure."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from yingji.core import roles, xlsx
from yingji.core.api import _xlsx_response
from yingji.core.models import Unit, User
from yingji.core.scope import scoped
from yingji.core.service import EVERY_ROW
from yingji.core.views import parse_form
from yingji.i18n import N_, gettext
from yingji.oversight import common, ledger
from yingji.oversight.schemas import MilestoneCreate, ProgressCreate, TaskClose, TaskCreate
from yingji.oversight.web import PER_PAGE, Code, Export, PageNo, Text, choice, form_and_file, redirect
from yingji.web.deps import DB, AppSettings, CurrentPrincipal, IdPath, IdQuery
from yingji.web.templating import render

router = APIRouter(include_in_schema=False)
SOURCE_LABELS = {"instruction": N_("leader's instruction (批示)"), "meeting": N_("meeting decision"),
                 "document": N_("document")}
STATUS_LABELS = {"open": N_("open"), "overdue": N_("overdue"), "closed": N_("closed")}


def writable_units(db: DB, principal: Any) -> list[Unit]:
    if not principal.can(roles.WRITE):
        return []
    stmt = scoped(select(Unit), principal).where(Unit.valid_to.is_(None),
                                                 Unit.kind.in_(("prefecture", "county", "zone", "township",
                                                                "department")))
    return list(db.scalars(stmt.order_by(Unit.path).limit(300)))


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", status: Code = "",
               source_kind: Code = "", unit_id: IdQuery = None, page: PageNo = 1, export: Export = "") -> Response:
    choice(status, STATUS_LABELS, "status")
    choice(source_kind, SOURCE_LABELS, "source_kind")
    filters = {"q": q, "status": status, "source_kind": source_kind, "unit_id": unit_id}
    today = common.today()
    if export == "xlsx":
        rows = ledger.list_tasks(db, principal, page=1, per_page=EVERY_ROW, **filters).items
        names = common.unit_names(db, [t.unit_id for t in rows])
        data = xlsx.export((N_("task"), N_("source"), N_("reference"), N_("owner unit"), N_("owner"), N_("deadline"),
                            N_("percent done"), N_("status"), N_("closed at")),
                           ([t.title, gettext(SOURCE_LABELS[t.source_kind]), t.source_ref, names.get(t.unit_id, ""),
                             t.owner_person, t.deadline, t.progress, gettext(STATUS_LABELS[_state(t, today)]),
                             t.closed_at] for t in rows), title="tasks")
        return _xlsx_response(data, "task-ledger.xlsx")
    result = ledger.list_tasks(db, principal, page=page, per_page=PER_PAGE, **filters)
    units = writable_units(db, principal)
    context = {"result": result, "f": filters, "names": common.unit_names(db, [t.unit_id for t in result.items]),
               "states": {t.id: _state(t, today) for t in result.items}, "sources": SOURCE_LABELS,
               "statuses": STATUS_LABELS, "units": units, "can_write": bool(units),
               "query": f"q={q}&status={status}&source_kind={source_kind}&unit_id={unit_id or ''}"}
    return render(request, "oversight/tasks.html", context, active="oversight")


def _state(task: Any, today: Any) -> str:
    if task.status == "closed":
        return "closed"
    return "overdue" if today > task.deadline else "open"


@router.post("/tasks", response_class=HTMLResponse)
async def create_task_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    values, _file = await form_and_file(request)
    task = ledger.create_task(db, principal, parse_form(TaskCreate, values))
    return redirect(f"/oversight/tasks/{task.id}")


@router.get("/tasks/{ledger_task_id}", response_class=HTMLResponse)
def task_page(request: Request, db: DB, principal: CurrentPrincipal, ledger_task_id: IdPath) -> Response:
    task = ledger.get_task(db, principal, ledger_task_id)
    updates = ledger.progress(db, principal, task.id)
    owner = db.get(User, task.owner_user_id) if task.owner_user_id else None
    context = {"t": task, "unit": db.get_one(Unit, task.unit_id),
               "milestones": ledger.milestones(db, principal, task.id), "updates": updates,
               "state": _state(task, common.today()), "sources": SOURCE_LABELS,
               "statuses": STATUS_LABELS, "owner": owner, "today": common.today(),
               "can_write": principal.can(roles.WRITE) and task.status == "open"}
    return render(request, "oversight/task.html", context, active="oversight")


@router.post("/tasks/{ledger_task_id}/milestones", response_class=HTMLResponse)
async def add_milestone_form(request: Request, db: DB, principal: CurrentPrincipal, ledger_task_id: IdPath) -> Response:
    values, _file = await form_and_file(request)
    ledger.add_milestone(db, principal, ledger_task_id, parse_form(MilestoneCreate, values))
    return redirect(f"/oversight/tasks/{ledger_task_id}")


@router.post("/milestones/{milestone_id}/done", response_class=HTMLResponse)
def milestone_done_form(db: DB, principal: CurrentPrincipal, milestone_id: IdPath) -> Response:
    row = ledger.complete_milestone(db, principal, milestone_id)
    return redirect(f"/oversight/tasks/{row.task_id}")


@router.post("/tasks/{ledger_task_id}/progress", response_class=HTMLResponse)
async def progress_form(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
                        ledger_task_id: IdPath) -> Response:
    values, upload = await form_and_file(request)
    data = parse_form(ProgressCreate, values)
    task = ledger.get_task(db, principal, ledger_task_id, roles.WRITE)
    attachment_id = ledger.store_evidence(db, principal, settings, task, upload)
    ledger.add_progress(db, principal, task.id, data, attachment_id)
    return redirect(f"/oversight/tasks/{ledger_task_id}")


@router.post("/tasks/{ledger_task_id}/close", response_class=HTMLResponse)
async def close_form(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
                     ledger_task_id: IdPath) -> Response:
    values, upload = await form_and_file(request)
    data = parse_form(TaskClose, values)
    task = ledger.get_task(db, principal, ledger_task_id, roles.WRITE)
    attachment_id = ledger.store_evidence(db, principal, settings, task, upload) if task.status == "open" else None
    ledger.close_task(db, principal, task.id, data, attachment_id)
    return redirect(f"/oversight/tasks/{ledger_task_id}")

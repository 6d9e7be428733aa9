"""Pages of first response and public information.

Signed in: an event's response page (timeline, statements, opinion log, evaluation) under
``/incidents/{event_id}/response``, the duty desk's tip queue ``/incidents/tips``, the evaluation list
``/incidents/evaluations`` (their earlier addresses under ``/incidents/response/`` redirect) and the
response rules. Public (no sign-in): the tip form, the public event pages and the Atom feed of published
statements.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from yingji import clock, i18n
from yingji.core import roles, xlsx
from yingji.core.api import _xlsx_response
from yingji.core.models import Unit
from yingji.core.scope import scoped
from yingji.core.service import EVERY_ROW, paginate
from yingji.core.views import _form, parse_form
from yingji.errors import UserError
from yingji.i18n import N_, gettext
from yingji.response import atom, defaults, evaluation, publicinfo, timeline, tips
from yingji.response.schemas import (
    ACTION_KINDS,
    AFTERMATH_KINDS,
    OPINION_ASSESSMENTS,
    OPINION_CHANNELS,
    STATEMENT_KINDS,
    STATEMENT_STATUSES,
    TIP_STATUSES,
    ActionCreate,
    EvaluationWrite,
    OpinionCreate,
    StatementCreate,
    StatementUpdate,
    TipCreate,
    TipRead,
    TipVerify,
)
from yingji.web.deps import DB, AppSettings, CurrentPrincipal, IdPath, IdQuery, client_address
from yingji.web.templating import render

router = APIRouter(include_in_schema=False)
public_router = APIRouter(include_in_schema=False)
PageNo = Annotated[int, Query(ge=1, le=100000)]
Text = Annotated[str, Query(max_length=100)]
Choice = Annotated[str, Query(max_length=16)]
Export = Annotated[str, Query(max_length=8)]
PER_PAGE = 50
LEVELS = {1: N_("I (particularly serious)"), 2: N_("II (serious)"), 3: N_("III (major)"), 4: N_("IV (ordinary)")}
RULE_LABELS = {defaults.EVALUATION_MONTHS: N_("Evaluation report due after the close of the event"),
               defaults.EVALUATION_LEVEL: N_("Evaluation needed from this level up (1 = I)"),
               defaults.REMINDER_DAYS: N_("Reminder before the evaluation deadline"),
               defaults.TIP_LIMIT: N_("Public tips accepted from one address"),
               defaults.TIP_WINDOW: N_("Window of the public tip limit")}
UNIT_LABELS = {"month": N_("months"), "level": N_("level"), "d": N_("days"), "tips": N_("tips"),
               "min": N_("minutes")}
LABELS = {"kinds": ACTION_KINDS, "aftermath": AFTERMATH_KINDS, "tip_statuses": TIP_STATUSES,
          "statement_statuses": STATEMENT_STATUSES, "statement_kinds": STATEMENT_KINDS, "channels": OPINION_CHANNELS,
          "assessments": OPINION_ASSESSMENTS, "levels": LEVELS, "sections": evaluation.SECTIONS,
          "states": evaluation.STATES}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


class _Pager:
    def __init__(self, items: list[Any], total: int, page: int, per_page: int = PER_PAGE) -> None:
        self.items, self.total, self.page, self.per_page = items, total, page, per_page


def _local(settings: Any) -> Any:
    return lambda value: i18n.format_local(value, settings.tz)


def _wall_clock(values: dict[str, Any], key: str, settings: Any) -> None:
    """<input type=datetime-local> sends Beijing wall-clock time without an offset."""
    raw = values.pop(key, "")
    if raw:
        try:
            values[key] = datetime.fromisoformat(raw).replace(tzinfo=ZoneInfo(settings.tz))
        except ValueError as exc:
            raise UserError("A date and time are expected here.", field=key) from exc


def _scoped_units(db: DB, principal: Any) -> list[Unit]:
    stmt = scoped(select(Unit), principal).where(Unit.valid_to.is_(None))
    return list(db.scalars(stmt.order_by(Unit.path).limit(300)))


def _event_url(event_id: int, anchor: str = "") -> str:
    return f"/incidents/{event_id}/response" + (f"#{anchor}" if anchor else "")


# --- an event's response page ----------------------------------------------------------------------

@router.get("/incidents/{event_id}/response", response_class=HTMLResponse)
def event_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings, event_id: IdPath,
               kind: Choice = "", export: Export = "") -> Response:
    from yingji.response.common import event

    found = event(db, principal, event_id)
    if kind and kind not in ACTION_KINDS:
        raise UserError("Unknown kind of entry.", field="kind")
    rows = timeline.items(db, principal, event_id, kind)
    if export == "xlsx":
        local = _local(settings)
        data = xlsx.export((N_("no."), N_("time"), N_("kind"), N_("unit"), N_("text"), N_("name"), N_("people"),
                            N_("sheltered"), N_("corrects no."), N_("written by"), N_("written at")),
                           ([r.id, local(r.at), gettext(ACTION_KINDS[r.kind]), r.actor_unit_name, r.text, r.name,
                             r.people, r.sheltered, r.corrects_id, r.author_name, local(r.created_at)] for r in rows),
                           title="timeline")
        return _xlsx_response(data, f"response-timeline-{event_id}.xlsx")
    statements = publicinfo.statements(db, principal, event_id)
    context = {
        "event": found, "items": rows, "kind": kind, "totals": timeline.totals(rows), "labels": LABELS,
        "statements": statements, "rebuttals": [s for s in statements if s.kind == "rebuttal"],
        "opinions": publicinfo.opinions(db, principal, event_id),
        "evaluation": evaluation.for_event(db, principal, event_id),
        "needs_evaluation": evaluation.needs_evaluation(db, found.level),
        "due_at": evaluation.due_at(db, found.closed_at) if found.closed_at else None,
        "merged_tips": tips.for_event(db, principal, event_id),
        "can_report": principal.can(roles.REPORT), "can_write": principal.can(roles.WRITE),
        "can_publish": principal.can(roles.PUBLISH),
        "units": _scoped_units(db, principal) if principal.can(roles.REPORT) else [],
        "me_unit": principal.unit_id,
    }
    return render(request, "response/event.html", context, active="incidents")


@router.post("/incidents/{event_id}/response/actions", response_class=HTMLResponse)
async def add_action_form(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
                          event_id: IdPath) -> Response:
    values = await _form(request)
    _wall_clock(values, "at", settings)
    timeline.add(db, principal, event_id, parse_form(ActionCreate, values))
    return _redirect(_event_url(event_id, "timeline"))


@router.post("/incidents/{event_id}/response/statements", response_class=HTMLResponse)
async def draft_statement_form(request: Request, db: DB, principal: CurrentPrincipal, event_id: IdPath) -> Response:
    publicinfo.draft(db, principal, event_id, parse_form(StatementCreate, await _form(request)))
    return _redirect(_event_url(event_id, "statements"))


@router.post("/incidents/response/statements/{statement_id}/edit", response_class=HTMLResponse)
async def edit_statement_form(request: Request, db: DB, principal: CurrentPrincipal,
                              statement_id: IdPath) -> Response:
    row = publicinfo.update(db, principal, statement_id, parse_form(StatementUpdate, await _form(request)))
    return _redirect(_event_url(row.event_id, f"statement-{row.id}"))


@router.post("/incidents/response/statements/{statement_id}/approve", response_class=HTMLResponse)
def approve_statement_form(db: DB, principal: CurrentPrincipal, statement_id: IdPath) -> Response:
    row = publicinfo.approve(db, principal, statement_id)
    return _redirect(_event_url(row.event_id, f"statement-{row.id}"))


@router.post("/incidents/response/statements/{statement_id}/publish", response_class=HTMLResponse)
def publish_statement_form(db: DB, principal: CurrentPrincipal, statement_id: IdPath) -> Response:
    row = publicinfo.publish(db, principal, statement_id)
    return _redirect(_event_url(row.event_id, f"statement-{row.id}"))


@router.post("/incidents/{event_id}/response/opinions", response_class=HTMLResponse)
async def log_opinion_form(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
                           event_id: IdPath) -> Response:
    values = await _form(request)
    _wall_clock(values, "seen_at", settings)
    publicinfo.log_opinion(db, principal, event_id, parse_form(OpinionCreate, values))
    return _redirect(_event_url(event_id, "opinions"))


@router.post("/incidents/response/opinions/{opinion_id}/rebuttal", response_class=HTMLResponse)
def rebut_form(db: DB, principal: CurrentPrincipal, opinion_id: IdPath,
               statement_id: Annotated[int, Form(ge=1, le=2**31 - 1)]) -> Response:
    row = publicinfo.rebut(db, principal, opinion_id, statement_id)
    return _redirect(_event_url(row.event_id, f"opinion-{row.id}"))


# --- evaluation reports ----------------------------------------------------------------------------

@router.get("/incidents/{event_id}/response/evaluation", response_class=HTMLResponse)
def evaluation_page(request: Request, db: DB, principal: CurrentPrincipal, event_id: IdPath) -> HTMLResponse:
    from yingji.response.common import event

    found = event(db, principal, event_id)
    report = evaluation.for_event(db, principal, event_id)
    due = evaluation.due_at(db, found.closed_at) if found.closed_at else None
    current = evaluation.state(due, report.submitted_at if report else None, clock.now()) if due else ""
    context = {"event": found, "report": report, "due_at": due, "state": current, "labels": LABELS,
               "needs": evaluation.needs_evaluation(db, found.level),
               "rule": defaults.rule(db, defaults.EVALUATION_MONTHS),
               "can_write": principal.can(roles.WRITE) and (report is None or report.status != "submitted")}
    return render(request, "response/evaluation.html", context, active="incidents")


@router.post("/incidents/{event_id}/response/evaluation", response_class=HTMLResponse)
async def evaluation_form(request: Request, db: DB, principal: CurrentPrincipal, event_id: IdPath) -> Response:
    values = await _form(request)
    values["submit"] = "true" if values.get("submit") else "false"
    evaluation.write(db, principal, event_id, parse_form(EvaluationWrite, values))
    return _redirect(f"/incidents/{event_id}/response/evaluation")


@router.post("/incidents/{event_id}/response/evaluation/file", response_class=HTMLResponse)
async def evaluation_upload_form(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
                                 event_id: IdPath) -> Response:
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise UserError("Choose the file to upload.", field="file")
    evaluation.upload(db, principal, settings, event_id, stream=upload.file, filename=upload.filename,
                      submit=bool(form.get("submit")))
    return _redirect(f"/incidents/{event_id}/response/evaluation")


@router.get("/incidents/response/evaluations")
def evaluations_moved(request: Request) -> RedirectResponse:
    """The list's earlier address."""
    return _moved(request, "/incidents/evaluations")


@router.get("/incidents/response/tips")
def tips_moved(request: Request) -> RedirectResponse:
    """The list's earlier address."""
    return _moved(request, "/incidents/tips")


def _moved(request: Request, path: str) -> RedirectResponse:
    query = request.url.query
    return RedirectResponse(path + (f"?{query}" if query else ""), status_code=301)


@router.get("/incidents/evaluations", response_class=HTMLResponse)
def evaluations_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
                     state: Choice = "", unit_id: IdQuery = None, q: Text = "", page: PageNo = 1,
                     export: Export = "") -> Response:
    rows = evaluation.due_list(db, principal, state_filter=state, unit_id=unit_id, q=q)
    if export == "xlsx":
        local = _local(settings)
        data = xlsx.export((N_("event no."), N_("event"), N_("unit"), N_("level"), N_("closed at"), N_("due by"),
                            N_("state"), N_("submitted at")),
                           ([r.event_id, r.title, r.unit_name, gettext(LEVELS.get(r.level, "")), local(r.closed_at),
                             local(r.due_at), gettext(evaluation.STATES[r.state]), local(r.submitted_at)]
                            for r in rows), title="evaluations")
        return _xlsx_response(data, "evaluation-reports.xlsx")
    window = rows[(page - 1) * PER_PAGE: page * PER_PAGE]
    context = {"result": _Pager(window, len(rows), page), "state": state, "unit_id": unit_id or "", "q": q,
               "labels": LABELS, "units": _scoped_units(db, principal),
               "overdue": sum(1 for r in rows if r.state == "overdue"),
               "rule": defaults.rule(db, defaults.EVALUATION_MONTHS),
               "level_rule": defaults.rule(db, defaults.EVALUATION_LEVEL)}
    return render(request, "response/evaluations.html", context, active="incidents")


# --- the duty desk's tip queue ---------------------------------------------------------------------

@router.get("/incidents/tips", response_class=HTMLResponse)
def tips_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings, status: Choice = "",
              unit_id: IdQuery = None, q: Text = "", page: PageNo = 1, export: Export = "") -> Response:
    stmt = tips.list_stmt(principal, status=status, unit_id=unit_id, q=q)
    units = dict(db.execute(select(Unit.id, Unit.name).where(Unit.kind.in_(("prefecture", "county")))).all())
    if export == "xlsx":
        local = _local(settings)
        rows = paginate(db, stmt, TipRead, page=1, per_page=EVERY_ROW).items
        data = xlsx.export((N_("no."), N_("received at"), N_("occurred at"), N_("county"), N_("place"), N_("text"),
                            N_("reporter"), N_("phone"), N_("state"), N_("event no."), N_("reason"),
                            N_("dealt with by"), N_("dealt with at")),
                           ([t.id, local(t.received_at), local(t.occurred_at), units.get(t.unit_id, ""), t.place,
                             t.text, t.reporter_name, t.reporter_phone, gettext(TIP_STATUSES[t.status]), t.event_id,
                             t.reason, t.decided_by_name, local(t.decided_at)] for t in rows), title="tips")
        return _xlsx_response(data, "public-tips.xlsx")
    result = paginate(db, stmt, TipRead, page=page, per_page=PER_PAGE)
    context = {"result": result, "status": status, "unit_id": unit_id or "", "q": q, "labels": LABELS,
               "counties": units, "waiting": db.scalar(
                   select(func.count()).select_from(tips.list_stmt(principal, status="unverified").subquery())) or 0}
    return render(request, "response/tips.html", context, active="incidents")


@router.get("/incidents/response/tips/{tip_id}", response_class=HTMLResponse)
def tip_page(request: Request, db: DB, principal: CurrentPrincipal, tip_id: IdPath) -> HTMLResponse:
    from yingji.incidents import defaults as incident_defaults
    from yingji.incidents.models import Event

    tip = tips.get(db, principal, tip_id)
    can_decide = principal.can(roles.WRITE) and tip.status == "unverified"
    subtypes = [c for c in incident_defaults.categories(db).values() if "." in c.code] if can_decide else []
    events = []
    if can_decide:
        stmt = scoped(select(Event), principal).where(Event.status == "open")
        events = list(db.scalars(stmt.order_by(Event.occurred_at.desc()).limit(100)))
    context = {"tip": tip, "labels": LABELS, "can_decide": can_decide, "subtypes": subtypes, "events": events,
               "county": db.get(Unit, tip.unit_id), "units": _scoped_units(db, principal) if can_decide else [],
               "lang": i18n.current_language()}
    return render(request, "response/tip.html", context, active="incidents")


@router.post("/incidents/response/tips/{tip_id}/verify", response_class=HTMLResponse)
async def verify_form(request: Request, db: DB, principal: CurrentPrincipal, tip_id: IdPath) -> Response:
    tip = tips.verify(db, principal, tip_id, parse_form(TipVerify, await _form(request)))
    return _redirect(f"/incidents/response/tips/{tip.id}")


@router.post("/incidents/response/tips/{tip_id}/merge", response_class=HTMLResponse)
def merge_form(db: DB, principal: CurrentPrincipal, tip_id: IdPath,
               event_id: Annotated[int, Form(ge=1, le=2**31 - 1)]) -> Response:
    tip = tips.merge(db, principal, tip_id, event_id)
    return _redirect(f"/incidents/response/tips/{tip.id}")


@router.post("/incidents/response/tips/{tip_id}/dismiss", response_class=HTMLResponse)
def dismiss_form(db: DB, principal: CurrentPrincipal, tip_id: IdPath,
                 reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    tip = tips.dismiss(db, principal, tip_id, reason)
    return _redirect(f"/incidents/response/tips/{tip.id}")


# --- rules -----------------------------------------------------------------------------------------

@router.get("/incidents/response/rules", response_class=HTMLResponse)
def rules_page(request: Request, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    return render(request, "response/rules.html", {"rules": defaults.list_rules(db, principal),
                                                   "can_edit": principal.can(roles.EDIT_RULES),
                                                   "rule_labels": RULE_LABELS, "unit_labels": UNIT_LABELS},
                  active="incidents")


@router.post("/incidents/response/rules/{response_rule_id}", response_class=HTMLResponse)
def update_rule_form(db: DB, principal: CurrentPrincipal, response_rule_id: IdPath,
                     value: Annotated[int, Form(ge=0, le=100000)],
                     source: Annotated[str, Form(max_length=1000)]) -> Response:
    defaults.update_rule(db, principal, response_rule_id, value, source)
    return _redirect("/incidents/response/rules")


# --- public pages: no sign-in ----------------------------------------------------------------------

def _tip_form(request: Request, db: DB, error: str = "", values: dict[str, Any] | None = None,
              status_code: int = 200) -> HTMLResponse:
    now_local = clock.now().astimezone(ZoneInfo(request.app.state.settings.tz)).strftime("%Y-%m-%dT%H:%M")
    context = {"counties": tips.counties(db), "error": error, "values": values or {}, "now_local": now_local}
    return render(request, "response/public_tip.html", context, status_code=status_code)


@public_router.get("/public/tips/new", response_class=HTMLResponse)
def public_tip_page(request: Request, db: DB) -> HTMLResponse:
    return _tip_form(request, db)


@public_router.post("/public/tips", response_class=HTMLResponse)
async def public_tip_submit(request: Request, db: DB, settings: AppSettings) -> Response:
    form = await request.form()
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    shown = dict(values)
    photo = form.get("photo")
    try:
        _wall_clock(values, "occurred_at", settings)
        data = parse_form(TipCreate, values)
        has_photo = photo is not None and not isinstance(photo, str) and bool(photo.filename)
        tip = tips.submit(db, settings, address=client_address(request), data=data,
                          photo=photo.file if has_photo else None,  # type: ignore[union-attr]
                          photo_name=(photo.filename or "") if has_photo else "",  # type: ignore[union-attr]
                          request_id=request.state.request_id)
    except UserError as exc:
        message = exc.text()
        if exc.details:
            message += " " + "; ".join(f"{d['field']}: {d['message']}" for d in exc.details)
        return _tip_form(request, db, message, shown, status_code=exc.status_code)
    return render(request, "response/public_tip_thanks.html", {"tip": tip})


@public_router.get("/public/events", response_class=HTMLResponse)
def public_events_page(request: Request, db: DB) -> HTMLResponse:
    items = publicinfo.feed_items(db)
    return render(request, "response/public_events.html", {"items": items})


@public_router.get("/public/events.atom")
def public_feed(request: Request, db: DB) -> Response:
    return Response(atom.feed(publicinfo.feed_items(db), str(request.base_url)),
                    media_type="application/atom+xml; charset=utf-8")


@public_router.get("/public/events/{event_id}", response_class=HTMLResponse)
def public_event_page(request: Request, db: DB, event_id: IdPath) -> HTMLResponse:
    found, published, rumours = publicinfo.public_event(db, event_id)
    rebuttals = {s.id: s for s in published if s.kind == "rebuttal"}
    return render(request, "response/public_event.html", {"event": found, "statements": published,
                                                          "rumours": rumours, "rebuttals": rebuttals,
                                                          "labels": LABELS})

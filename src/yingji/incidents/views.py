"""Pages of incident reporting: the desk's queue, the list (filters, paging, XLSX), the map, the event page
with its reports side by side, the phone form (draft kept offline), and the rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from yingji import clock, i18n
from yingji.core import roles, xlsx
from yingji.core.api import _xlsx_response
from yingji.core.models import Attachment, Unit
from yingji.core.scope import Principal, scoped
from yingji.core.views import parse_form
from yingji.errors import UserError
from yingji.i18n import N_, gettext
from yingji.incidents import defaults, flags, idempotency, service
from yingji.incidents.files import store
from yingji.incidents.models import IncidentRule
from yingji.incidents.schemas import EventCreate, FlagDecision, ForwardIn, KnownEventCreate, QueryIn, ReportCreate
from yingji.web.deps import DB, AppSettings, CurrentPrincipal, IdPath, IdQuery, day_range
from yingji.web.templating import render

router = APIRouter(prefix="/incidents", include_in_schema=False)
PageNo = Annotated[int, Query(ge=1, le=100000)]
Text = Annotated[str, Query(max_length=100)]
Code = Annotated[str, Query(max_length=16)]
Export = Annotated[str, Query(max_length=8)]
PER_PAGE = 50
LEVEL_LABELS = {1: N_("I (particularly serious)"), 2: N_("II (serious)"), 3: N_("III (major)"), 4: N_("IV (general)")}
KIND_LABELS = {"first": N_("First report"), "followup": N_("Follow-up report"), "final": N_("Final report"),
               "correction": N_("Correction")}
KNOWN_LABELS = {"report": N_("report of the unit"), "tip": N_("public tip"), "department": N_("department"),
                "media": N_("media monitoring"), "query_from_above": N_("query from above")}
STAGE_LABELS = {"county": N_("county duty desk"), "prefecture": N_("prefecture duty desk")}
STATUS_LABELS = {"open": N_("open"), "closed": N_("closed")}
FLAG_FILTER_LABELS = {"late": N_("late"), "missed": N_("missed"), "review": N_("signal for review")}
FIELD_ROWS: list[tuple[str, str]] = [
    ("reported_at", N_("Reported at")), ("occurred_at", N_("Occurred at")), ("address", N_("Address")),
    ("subtype", N_("Subtype")), ("level", N_("Level")), ("suggested_level", N_("Suggested level")),
    ("level_reason", N_("Reason for the level")), ("deaths", N_("Deaths")), ("injured", N_("Injured")),
    ("seriously_injured", N_("Seriously injured")), ("missing", N_("Missing")), ("trapped", N_("Trapped")),
    ("affected", N_("Affected population")), ("evacuated", N_("Evacuated")),
    ("direct_loss", N_("Direct economic loss (CNY)")), ("description", N_("Description")), ("cause", N_("Cause")),
    ("measures", N_("Measures taken")), ("plan_activated", N_("Plan activated")),
    ("help_requested", N_("Help requested")), ("reporter_name", N_("Reporter")),
    ("reporter_phone", N_("Reporter's phone")),
]


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _category_names(db: DB) -> dict[str, str]:
    english = i18n.current_language() != "zh_CN"
    return {code: (c.name_en if english else c.name) for code, c in defaults.categories(db).items()}


def _unit_names(db: DB, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())


def _common(db: DB) -> dict[str, Any]:
    return {"levels": LEVEL_LABELS, "kinds": KIND_LABELS, "known": KNOWN_LABELS, "stages": STAGE_LABELS,
            "statuses": STATUS_LABELS, "flag_filters": FLAG_FILTER_LABELS, "flag_labels": flags.FLAG_LABELS,
            "evidence_labels": flags.EVIDENCE_LABELS,
            "categories": _category_names(db), "now": clock.now()}


# --- list, export, map -------------------------------------------------------------------------------------

@router.get("", response_class=HTMLResponse)
def list_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings, date_from: Text = "",
              date_to: Text = "", unit_id: IdQuery = None, category: Code = "",
              level: Annotated[int | None, Query(ge=1, le=4)] = None,
              status: Annotated[str, Query(pattern="^(|open|closed)$")] = "",
              flag: Annotated[str, Query(pattern="^(|late|missed|review)$")] = "", q: Text = "",
              page: PageNo = 1, export: Export = "") -> Response:
    occurred_from, occurred_to = day_range(date_from, date_to, settings.zone)
    f = service.EventFilter(occurred_from=occurred_from, occurred_to=occurred_to, unit_id=unit_id,
                            category=category, level=level, status=status, flag=flag, q=q)
    if export == "xlsx":
        return _export(db, principal, settings, f)
    result = service.list_events(db, principal, f, page=page, per_page=PER_PAGE)
    params = {"date_from": date_from, "date_to": date_to, "unit_id": unit_id or "", "category": category,
              "level": level or "", "status": status, "flag": flag, "q": q}
    from urllib.parse import urlencode

    context = {**_common(db), "result": result, "params": params, "query": urlencode(params),
               "units": _unit_names(db, {e.unit_id for e in result.items}),
               "unit_choices": _unit_choices(db, principal), "can_report": principal.can(roles.REPORT)}
    return render(request, "incidents/list.html", context, active="incidents")


def _unit_choices(db: DB, principal: Principal) -> list[Unit]:
    stmt = scoped(select(Unit), principal).where(Unit.kind.in_(("prefecture", "county", "zone", "township")),
                                                 Unit.valid_to.is_(None))
    return list(db.scalars(stmt.order_by(Unit.path).limit(300)))


def _export(db: DB, principal: Principal, settings: Any, f: service.EventFilter) -> Response:
    stmt = xlsx.bounded(service.list_statement(db, principal, f))
    events = list(db.scalars(stmt))
    names, cats = _unit_names(db, {e.unit_id for e in events}), _category_names(db)
    local = _local(settings)
    data = xlsx.export(
        (N_("id"), N_("title"), N_("unit"), N_("occurred at"), N_("category"), N_("subtype"), N_("level"),
         N_("status"), N_("deaths"), N_("injured"), N_("missing"), N_("direct economic loss (CNY)"),
         N_("known from"), N_("late"), N_("missed"), N_("signal for review")),
        ([e.id, e.title, names.get(e.unit_id, ""), local(e.occurred_at), cats.get(e.category, e.category),
          cats.get(e.subtype, e.subtype), gettext(LEVEL_LABELS[e.level]) if e.level else "",
          gettext(STATUS_LABELS.get(e.status, e.status)), e.deaths, e.injured, e.missing, e.direct_loss,
          gettext(KNOWN_LABELS.get(e.known_from, e.known_from)), _yes(e.flag_late), _yes(e.flag_missed),
          _yes(e.flag_review)] for e in events), title="incidents")
    return _xlsx_response(data, "incidents.xlsx")


def _yes(value: bool) -> str:
    return gettext("yes") if value else ""


def _local(settings: Any) -> Any:
    return lambda value: i18n.format_local(value, settings.tz)


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
             days: Annotated[int, Query(ge=1, le=3660)] = 30,
             status: Annotated[str, Query(pattern="^(|open|closed)$")] = "") -> Response:
    import json

    f = service.EventFilter(occurred_from=clock.now() - timedelta(days=days), status=status)
    stmt = service.list_statement(db, principal, f).where(service.Event.lon.is_not(None)).limit(2000)
    local = _local(settings)
    features = [{"id": e.id, "title": e.title, "lon": e.lon, "lat": e.lat, "level": e.level or 0,
                 "status": e.status, "at": local(e.occurred_at), "late": e.flag_late or e.flag_missed}
                for e in db.scalars(stmt)]
    return render(request, "incidents/map.html", {**_common(db), "features": json.dumps(features, ensure_ascii=False),
                                                  "count": len(features), "days": days, "status": status},
                  active="incidents")


# --- queue ---------------------------------------------------------------------------------------------------

@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
               stage: Annotated[str, Query(pattern="^(|county|prefecture)$")] = "",
               level: Annotated[int | None, Query(ge=1, le=4)] = None,
               late: Annotated[str, Query(pattern="^(|1)$")] = "", date_from: Text = "", date_to: Text = "",
               page: PageNo = 1, export: Export = "") -> Response:
    done_from, done_to = day_range(date_from, date_to, settings.zone)
    f = service.QueueFilter(stage=stage, level=level, late=late == "1", done_from=done_from, done_to=done_to)
    if export == "xlsx":
        return _queue_export(db, principal, settings, f)
    waiting, waiting_total = service.queue_waiting(db, principal, f)
    done = service.queue_done(db, principal, f, page=page)
    shown = waiting + done.items
    units = _unit_names(db, {i.hop.unit_id for i in shown} | {i.hop.from_unit_id for i in shown})
    params = {"stage": stage, "level": level or "", "late": late, "date_from": date_from, "date_to": date_to}
    from urllib.parse import urlencode

    context = {**_common(db), "mine": [i for i in waiting if i.mine], "below": [i for i in waiting if not i.mine],
               "waiting_hidden": waiting_total - len(waiting), "done": done.items, "result": done,
               "params": params, "query": urlencode(params), "filtered": any(params.values()),
               "units": units, "can_write": principal.can(roles.WRITE)}
    return render(request, "incidents/queue.html", context, active="incidents")


def _queue_export(db: DB, principal: Principal, settings: Any, f: service.QueueFilter) -> Response:
    """The whole filtered queue: every waiting hop by time left, then every done one, newest first."""
    waiting = xlsx.bounded(service.queue_statement(principal, f))
    done = xlsx.bounded(service.queue_statement(principal, f, done=True))
    now, local = clock.now(), _local(settings)
    rows = [(gettext("still waiting"), hop, event) for hop, event in db.execute(waiting)]
    rows += [(gettext("done"), hop, event) for hop, event in db.execute(done)]
    names = _unit_names(db, {h.unit_id for _, h, _ in rows} | {h.from_unit_id for _, h, _ in rows})

    def late(hop: Any) -> str:
        return _yes(hop.late_at is not None or (hop.done_at is None and hop.due_at < now))

    data = xlsx.export(
        (N_("section"), N_("hop"), N_("event id"), N_("event"), N_("stage"), N_("level"), N_("desk"), N_("from"),
         N_("received"), N_("due by"), N_("signed for"), N_("signed for by"), N_("forwarded"), N_("done"), N_("late"),
         N_("document sent toward the region")),
        ([section, h.id, e.id, e.title, gettext(STAGE_LABELS.get(h.stage, h.stage)),
          gettext(LEVEL_LABELS[h.level]) if h.level in LEVEL_LABELS else "", names.get(h.unit_id, ""),
          names.get(h.from_unit_id, ""), local(h.received_at), local(h.due_at), local(h.signed_at),
          h.signed_by_name, local(h.forwarded_at), local(h.done_at), late(h), _yes(h.exported)]
         for section, h, e in rows), title="queue")
    return _xlsx_response(data, "incident-queue.xlsx")


@router.post("/hops/{hop_id}/sign", response_class=HTMLResponse)
async def sign_form(request: Request, db: DB, principal: CurrentPrincipal, hop_id: IdPath) -> Response:
    hop = service.sign_hop(db, principal, hop_id)
    return _redirect(await _back(request, f"/incidents/{hop.event_id}"))


@router.post("/hops/{hop_id}/forward", response_class=HTMLResponse)
async def forward_form(request: Request, db: DB, principal: CurrentPrincipal, hop_id: IdPath) -> Response:
    form = await request.form()
    data = parse_form(ForwardIn, {"comment": form.get("comment") or ""})
    hop = service.forward_hop(db, principal, hop_id, data.comment)
    return _redirect(await _back(request, f"/incidents/{hop.event_id}"))


async def _back(request: Request, default: str) -> str:
    form = await request.form()
    back = form.get("next")
    return back if isinstance(back, str) and back in ("/incidents/queue",) else default


# --- the phone form: a new event with its first report --------------------------------------------------------

@router.get("/new", response_class=HTMLResponse)
def new_page(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    principal.require(roles.REPORT)
    context = {**_common(db), "tree": _category_tree(db), "places": _places(db, principal)}
    return render(request, "incidents/new.html", context, active="incidents")


def _category_tree(db: DB) -> list[tuple[str, str, list[tuple[str, str]]]]:
    names = _category_names(db)
    cats = defaults.categories(db)
    tops = sorted(code for code, c in cats.items() if c.parent_code is None)
    return [(top, names[top], [(code, names[code]) for code in sorted(cats) if code.startswith(top + ".")])
            for top in tops]


def _places(db: DB, principal: Principal) -> list[Unit]:
    stmt = scoped(select(Unit), principal, roles.REPORT).where(Unit.valid_to.is_(None))
    return list(db.scalars(stmt.order_by(Unit.path).limit(300)))


TEXT_FIELDS = ("unit_id", "title", "occurred_at", "category", "subtype", "level", "level_reason", "deaths", "injured",
               "seriously_injured", "missing", "trapped", "affected", "evacuated", "direct_loss", "description",
               "cause", "measures", "plan_activated", "help_requested", "reporter_name", "reporter_phone", "address",
               "lon", "lat", "kind", "corrects_id")


async def _submission(request: Request) -> tuple[dict[str, Any], list[UploadFile], str | None]:
    form = await request.form()
    values = {k: v for k, v in form.items() if k in TEXT_FIELDS and isinstance(v, str)}
    _category_from_subtype(values)
    uploads = [v for k, v in form.multi_items() if k == "photos" and isinstance(v, UploadFile) and v.filename]
    key = form.get("idempotency_key") or request.headers.get("idempotency-key")
    return values, uploads, key if isinstance(key, str) and key else None


def _category_from_subtype(values: dict[str, Any]) -> None:
    subtype = values.get("subtype") or ""
    if subtype and not values.get("category"):
        values["category"] = subtype.split(".")[0]


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _done(request: Request, answer: idempotency.Answer) -> Response:
    url = f"/incidents/{answer.body['event_id']}"
    if _wants_json(request):
        return JSONResponse({**answer.body, "url": url}, status_code=answer.status_code)
    return _redirect(url)


@router.post("/new", response_class=HTMLResponse)
async def new_submit(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings) -> Response:
    values, uploads, key = await _submission(request)
    data = parse_form(EventCreate, values)

    def run() -> idempotency.Answer:
        ids = [store(db, principal, settings, stream=u.file, filename=u.filename or "",
                     unit_id=data.unit_id or principal.unit_id or 0).id for u in uploads]
        full = data.model_copy(update={"attachment_ids": ids})
        done = service.create_event(db, principal, full)
        return idempotency.Answer(201, {"event_id": done.event.id, "report_id": done.report.id})

    fingerprint = idempotency.fingerprint("event-form", {**values, "files": [u.filename for u in uploads]})
    return _done(request, idempotency.submit(db, principal, key, fingerprint, run))


@router.post("/{event_id:int}/reports", response_class=HTMLResponse)
async def report_submit(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
                        event_id: IdPath) -> Response:
    values, uploads, key = await _submission(request)
    data = parse_form(ReportCreate, values)
    event = service.get_event(db, principal, event_id, roles.REPORT)

    def run() -> idempotency.Answer:
        ids = [store(db, principal, settings, stream=u.file, filename=u.filename or "", unit_id=event.unit_id).id
               for u in uploads]
        done = service.add_report(db, principal, event_id, data.model_copy(update={"attachment_ids": ids}))
        return idempotency.Answer(201, {"event_id": done.event.id, "report_id": done.report.id})

    fingerprint = idempotency.fingerprint(f"report-form:{event_id}",
                                          {**values, "files": [u.filename for u in uploads]})
    return _done(request, idempotency.submit(db, principal, key, fingerprint, run))


@router.post("/known", response_class=HTMLResponse)
async def known_submit(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    _category_from_subtype(values)
    data = parse_form(KnownEventCreate, values)
    event = service.record_known_event(db, principal, unit_id=data.unit_id, occurred_at=data.occurred_at,
                                       category=data.category, subtype=data.subtype, title=data.title,
                                       description=data.description, known_from=data.known_from, lon=data.lon,
                                       lat=data.lat, address=data.address)
    return _redirect(f"/incidents/{event.id}")


@router.get("/known", response_class=HTMLResponse)
def known_page(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    principal.require(roles.WRITE)
    context = {**_common(db), "tree": _category_tree(db), "places": _places(db, principal)}
    return render(request, "incidents/known.html", context, active="incidents")


@router.post("/{event_id:int}/queries", response_class=HTMLResponse)
async def query_form(request: Request, db: DB, principal: CurrentPrincipal, event_id: IdPath) -> Response:
    form = await request.form()
    question = form.get("question")
    data = parse_form(QueryIn, {"question": question if isinstance(question, str) else ""})
    service.query_event(db, principal, event_id, data.question)
    return _redirect(f"/incidents/{event_id}#queries")


# --- flags and rules --------------------------------------------------------------------------------------------

@router.post("/flags/{incident_flag_id}/decide", response_class=HTMLResponse)
async def decide_form(request: Request, db: DB, principal: CurrentPrincipal, incident_flag_id: IdPath) -> Response:
    form = await request.form()
    data = parse_form(FlagDecision, {k: v for k, v in form.items() if k in ("status", "note") and isinstance(v, str)})
    flag = flags.decide(db, principal, incident_flag_id, data.status, data.note)
    return _redirect(f"/incidents/{flag.event_id}")


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    rows = list(db.scalars(select(IncidentRule).order_by(IncidentRule.kind, IncidentRule.key)))
    cats = sorted(defaults.categories(db).values(), key=lambda c: c.code)
    return render(request, "incidents/rules.html", {**_common(db), "rules": rows, "cats": cats,
                                                    "can_edit": principal.can(roles.EDIT_RULES)}, active="incidents")


@router.post("/rules/{incident_rule_id}", response_class=HTMLResponse)
async def rule_form(request: Request, db: DB, principal: CurrentPrincipal, incident_rule_id: IdPath) -> Response:
    form = await request.form()
    raw, source = form.get("value"), form.get("source")
    try:
        value = int(raw) if isinstance(raw, str) else 0
    except ValueError as exc:
        raise UserError("A whole number is expected here.", field="value") from exc
    defaults.update_rule(db, principal, incident_rule_id, value, source if isinstance(source, str) else "")
    return _redirect("/incidents/rules")


# --- the event page --------------------------------------------------------------------------------------------

@router.get("/{event_id:int}", response_class=HTMLResponse)
def event_page(request: Request, db: DB, principal: CurrentPrincipal, event_id: IdPath) -> Response:
    event = service.get_event(db, principal, event_id)
    reports = service.reports_of(db, event)
    hops = service.hops_of(db, event)
    ids = [i for r in reports for i in r.attachment_ids]
    files = {a.id: a for a in db.scalars(scoped(select(Attachment), principal).where(Attachment.id.in_(ids)))} \
        if ids else {}
    units = _unit_names(db, {event.unit_id} | {h.unit_id for h in hops} | {h.from_unit_id for h in hops}
                        | {r.unit_id for r in reports})
    queries = service.queries_of(db, event)
    units.update(_unit_names(db, {q.asked_by_unit_id for q in queries if q.asked_by_unit_id} - set(units)))
    context = {**_common(db), "event": event, "reports": reports, "hops": hops, "files": files, "units": units,
               "queries": queries, "can_query": service.can_query(principal, event, db.get_one(Unit, event.unit_id)),
               "flags": service.flags_of(db, event), "fields": FIELD_ROWS, "changed": _changed(reports),
               "can_report": principal.can(roles.REPORT) and event.status == "open",
               "can_write": principal.can(roles.WRITE), "principal_unit": principal.unit_id,
               "is_global": principal.is_global}
    return render(request, "incidents/event.html", context, active="incidents")


def _changed(reports: list[Any]) -> set[tuple[int, str]]:
    """(report id, field) where a report says something else than the one before it."""
    out: set[tuple[int, str]] = set()
    for before, after in zip(reports, reports[1:], strict=False):
        for name, _label in FIELD_ROWS:
            if name != "reported_at" and getattr(before, name) != getattr(after, name):
                out.add((after.id, name))
    return out


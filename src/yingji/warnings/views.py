"""Pages of early-warning release: the list, drafting with a map, review and sign-off, update and cancel,
inbound CAP (upload and pull sources), the rules; and the public pages (warnings in force, each alert's
CAP XML, the Atom feed)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from yingji.core import roles, xlsx
from yingji.core.api import _xlsx_response
from yingji.core.models import Unit, User
from yingji.core.schemas import TERRITORIAL_KINDS
from yingji.core.scope import scoped
from yingji.core.service import EVERY_ROW, paginate
from yingji.core.views import _form, parse_form
from yingji.errors import TooLarge, UserError, validation_message
from yingji.i18n import N_, gettext
from yingji.warnings import defaults, inbound, public, service, targeting
from yingji.warnings.models import AWAITING_SIGNOFF, COLOURS, IN_REVIEW, ISSUED, LANGUAGES, STATUSES, Alert
from yingji.warnings.schemas import (
    CATEGORIES,
    CERTAINTIES,
    RESPONSE_TYPES,
    URGENCIES,
    AlertDraft,
    AlertRow,
    SourceIn,
)
from yingji.web.deps import DB, AppSettings, CurrentPrincipal, IdPath
from yingji.web.templating import render

router = APIRouter(prefix="/warnings", include_in_schema=False)
public_router = APIRouter(prefix="/public", include_in_schema=False)
PageNo = Annotated[int, Query(ge=1, le=100000)]
Text = Annotated[str, Query(max_length=100)]
Word = Annotated[str, Query(max_length=20)]
PER_PAGE = 50
CAP_TYPE = "application/cap+xml"
STEP_LABELS = {
    "drafted": N_("drafted"), "edited": N_("edited"), "submitted": N_("submitted for review"),
    "submitted_fast_track": N_("submitted on the fast track (red)"), "reviewed": N_("reviewed and passed"),
    "returned": N_("returned by the reviewer"), "returned_by_signer": N_("returned by the signer"),
    "signed": N_("signed off"), "issued": N_("issued"), "reviewed_after": N_("review recorded after issue"),
    "review_objection_after": N_("objection recorded after issue"), "superseded": N_("superseded by an update"),
    "cancelled": N_("cancelled"), "imported_upload": N_("imported from an upload"),
    "imported_api": N_("imported through the API"), "imported_pull": N_("pulled from a source"),
}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _labels() -> dict[str, Any]:
    return {"status_labels": service.STATUS_LABELS, "colour_labels": service.COLOUR_LABELS,
            "msg_type_labels": service.MSG_TYPE_LABELS, "language_names": service.LANGUAGE_NAMES,
            "step_labels": STEP_LABELS}


# --- list -----------------------------------------------------------------------------------------------------------

@router.get("", response_class=HTMLResponse)
def index(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings, status: Word = "",
          colour: Word = "", q: Text = "", page: PageNo = 1, export: Word = "") -> Response:
    status = status if status in STATUSES else ""
    colour = colour if colour in COLOURS else ""
    stmt = service.list_alerts(principal, status=status, colour=colour, q=q)
    if export == "xlsx":
        result = paginate(db, stmt, AlertRow, page=1, per_page=EVERY_ROW)
        names = _unit_names(db, [a.unit_id for a in result.items])

        def local(value: datetime | None) -> str:
            from yingji import i18n

            return i18n.format_local(value, settings.tz)

        data = xlsx.export((N_("identifier"), N_("type"), N_("status"), N_("colour"), N_("event"),
                            N_("issuing unit"), N_("effective"), N_("expires"), N_("issued")),
                           ([a.identifier or "", gettext(service.MSG_TYPE_LABELS.get(a.msg_type, a.msg_type)),
                             gettext(service.STATUS_LABELS.get(a.status, a.status)),
                             gettext(service.COLOUR_LABELS.get(a.colour, a.colour)), a.event,
                             names.get(a.unit_id, ""), local(a.effective_at), local(a.expires_at),
                             local(a.issued_at)] for a in result.items), title="warnings")
        return _xlsx_response(data, "warnings.xlsx")
    result = paginate(db, stmt, AlertRow, page=page, per_page=PER_PAGE)
    params = f"status={status}&colour={colour}&q={q}"
    context = {"result": result, "status": status, "colour": colour, "q": q, "params": params,
               "units": _unit_names(db, [a.unit_id for a in result.items]), "statuses": STATUSES,
               "colours": COLOURS, "waiting": service.waiting_for(db, principal),
               "can_write": principal.can(roles.WRITE), **_labels()}
    return render(request, "warnings/index.html", context, active="warnings")


def _unit_names(db: DB, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {r[0]: r[1] for r in db.execute(select(Unit.id, Unit.name).where(Unit.id.in_(set(ids))))}


def _user_names(db: DB, ids: list[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {r[0]: r[1] for r in db.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))}


# --- drafting -------------------------------------------------------------------------------------------------------

def _territorial(db: DB) -> list[Unit]:
    """Administrative divisions that may be named as the area (public geography: the whole prefecture)."""
    stmt = select(Unit).where(Unit.kind.in_(TERRITORIAL_KINDS), Unit.valid_to.is_(None)).order_by(Unit.path)
    return list(db.scalars(stmt.limit(2000)))


def _issuing_units(db: DB, principal: Any) -> list[Unit]:
    if not principal.can(roles.WRITE):
        return []
    stmt = scoped(select(Unit), principal, roles.WRITE).where(Unit.valid_to.is_(None)).order_by(Unit.path)
    return list(db.scalars(stmt.limit(300)))


def _form_context(db: DB, principal: Any, settings: Any, alert: Alert | None) -> dict[str, Any]:
    zone = ZoneInfo(settings.tz)

    def local_input(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if value else ""

    infos = {lang: None for lang in LANGUAGES}
    shapes: list[dict[str, Any]] = []
    chosen: set[int] = set()
    if alert is not None:
        for info in alert.infos:
            if info.language in infos:
                infos[info.language] = info  # type: ignore[assignment]
        for area in alert.areas:
            if area.kind == "unit" and area.target_unit_id:
                chosen.add(area.target_unit_id)
            elif area.kind == "polygon":
                shapes.append({"kind": "polygon", "points": [[p[1], p[0]] for p in area.points or []],
                               "area_desc": area.area_desc})
            elif area.kind == "circle":
                shapes.append({"kind": "circle", "lon": area.lon, "lat": area.lat, "radius_km": area.radius_km,
                               "area_desc": area.area_desc})
    return {"alert": alert, "infos": infos, "shapes_json": json.dumps(shapes, ensure_ascii=False),
            "chosen": chosen, "divisions": _territorial(db), "issuing_units": _issuing_units(db, principal),
            "local_input": local_input, "colours": COLOURS, "urgencies": URGENCIES, "certainties": CERTAINTIES,
            "categories": CATEGORIES, "response_types": RESPONSE_TYPES, "languages": LANGUAGES, **_labels()}


async def _draft_from_form(request: Request, settings: Any) -> AlertDraft:
    form = await request.form()
    zone = ZoneInfo(settings.tz)

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    def when(name: str) -> Any:
        raw = text(name)
        if not raw:
            return None
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise UserError(N_("A date and time (YYYY-MM-DD hh:mm) is expected here."), field=name) from None
        return value.replace(tzinfo=zone) if value.tzinfo is None else value

    infos = []
    for lang in LANGUAGES:
        fields = {k: text(f"{lang}_{k}") for k in ("headline", "description", "instruction", "web", "contact")}
        if lang == "zh-CN" or any(fields.values()):
            infos.append({"language": lang, **fields})
    areas: list[dict[str, Any]] = []
    for raw in form.getlist("area_unit"):
        if isinstance(raw, str) and raw.strip():
            if not raw.strip().isdigit() or len(raw.strip()) > 10:
                raise UserError(N_("This value is not one of the allowed choices."), field="area_unit")
            areas.append({"kind": "unit", "unit_id": int(raw)})
    shapes_raw = text("shapes")
    if shapes_raw:
        if len(shapes_raw) > 200_000:
            raise UserError(N_("This text is too long."), field="shapes")
        try:
            shapes = json.loads(shapes_raw)
        except ValueError:
            raise targeting.BadArea(N_("The drawn area could not be read."), field="shapes") from None
        if not isinstance(shapes, list):
            raise targeting.BadArea(N_("The drawn area could not be read."), field="shapes")
        for shape in shapes:
            if not isinstance(shape, dict) or shape.get("kind") not in ("polygon", "circle"):
                raise targeting.BadArea(N_("The drawn area could not be read."), field="shapes")
            areas.append({k: shape.get(k) for k in ("kind", "points", "lon", "lat", "radius_km", "area_desc")
                          if shape.get(k) is not None})
    payload: dict[str, Any] = {
        "colour": text("colour"), "event": text("event"), "urgency": text("urgency") or "Expected",
        "certainty": text("certainty") or "Likely", "category": text("category") or "Met",
        "response_type": text("response_type") or "Prepare", "effective_at": when("effective_at"),
        "onset_at": when("onset_at"), "expires_at": when("expires_at"), "infos": infos, "areas": areas,
    }
    if text("unit_id"):
        payload["unit_id"] = text("unit_id")
    if text("sector_code"):
        payload["sector_code"] = text("sector_code")
    cleaned = {k: v for k, v in payload.items() if v not in ("", None)}
    try:
        return AlertDraft(**cleaned)
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in e["loc"]), "message": validation_message(dict(e))}
                   for e in exc.errors()]
        raise UserError("Some fields are missing or not valid.", details=details) from exc


@router.get("/new", response_class=HTMLResponse)
def new_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings) -> Response:
    principal.require(roles.WRITE)
    return render(request, "warnings/edit.html", _form_context(db, principal, settings, None), active="warnings")


@router.post("", response_class=HTMLResponse)
async def create(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings) -> Response:
    principal.require(roles.WRITE)
    alert = service.create_draft(db, principal, await _draft_from_form(request, settings))
    return _redirect(f"/warnings/{alert.id}")


@router.get("/inbound", response_class=HTMLResponse)
def inbound_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings, q: Text = "",
                 state: Word = "", page: PageNo = 1, export: Word = "") -> Response:
    filters = {"q": q, "state": state}
    if export == "xlsx":
        rows = inbound.all_sources(db, principal, **filters)
        names = _unit_names(db, [s.unit_id for s, _n in rows])

        def local(value: datetime | None) -> str:
            from yingji import i18n

            return i18n.format_local(value, settings.tz)

        data = xlsx.export((N_("name"), N_("unit"), N_("address"), N_("every (min)"), N_("state"),
                            N_("last fetched"), N_("last success"), N_("new drafts last time"),
                            N_("drafts brought"), N_("last error")),
                           ([s.name, names.get(s.unit_id, ""), s.url, s.interval_minutes,
                             gettext(N_("on") if s.enabled else N_("off")), local(s.last_fetched_at),
                             local(s.last_ok_at), s.last_count, n, s.last_error] for s, n in rows),
                           title="inbound-sources")
        return _xlsx_response(data, "inbound-sources.xlsx")
    result = inbound.source_page(db, principal, page=page, per_page=PER_PAGE, **filters)
    params = f"q={quote(q)}&state={state}"
    return render(request, "warnings/inbound.html", {
        "result": result, "sources": [s for s, _n in result.items], "q": q, "state": state, "params": params,
        "source_states": inbound.SOURCE_STATES, "can_write": principal.can(roles.WRITE),
        "limit_mb": round(inbound.max_bytes(db) / 1024 / 1024, 1),
        "units": _unit_names(db, [s.unit_id for s, _n in result.items])}, active="warnings")


@router.post("/inbound", response_class=HTMLResponse)
async def inbound_upload(request: Request, db: DB, principal: CurrentPrincipal,
                         file: Annotated[UploadFile, File()]) -> Response:
    principal.require(roles.WRITE)
    limit = inbound.max_bytes(db)
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(N_("The file is larger than %(mb)s MB."), field="file", mb=round(limit / 1024 / 1024, 1))
    result = inbound.import_bytes(db, principal, data, origin="upload")
    if len(result.created) == 1 and not result.problems and not result.duplicates:
        return _redirect(f"/warnings/{result.created[0].id}")
    return render(request, "warnings/imported.html", {"result": result}, active="warnings")


@router.post("/sources", response_class=HTMLResponse)
async def source_create(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    values = await _form(request)
    values["enabled"] = "enabled" in values
    inbound.create_source(db, principal, parse_form(SourceIn, values))
    return _redirect("/warnings/inbound")


@router.post("/sources/{source_id}/pull", response_class=HTMLResponse)
def source_pull(request: Request, db: DB, principal: CurrentPrincipal, source_id: IdPath) -> Response:
    source = inbound.get_source(db, principal, source_id, roles.WRITE)
    result = inbound.pull(db, principal, source)
    return render(request, "warnings/imported.html", {"result": result, "source": source}, active="warnings")


@router.post("/sources/{source_id}/toggle", response_class=HTMLResponse)
def source_toggle(db: DB, principal: CurrentPrincipal, source_id: IdPath) -> Response:
    source = inbound.get_source(db, principal, source_id, roles.WRITE)
    inbound.update_source(db, principal, source_id, SourceIn(name=source.name, url=source.url,
                                                             interval_minutes=source.interval_minutes,
                                                             enabled=not source.enabled))
    return _redirect("/warnings/inbound")


@router.post("/sources/{source_id}/delete", response_class=HTMLResponse)
def source_delete(db: DB, principal: CurrentPrincipal, source_id: IdPath) -> Response:
    inbound.delete_source(db, principal, source_id)
    return _redirect("/warnings/inbound")


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    return render(request, "warnings/rules.html", {"rules": defaults.all_rules(db),
                                                   "can_edit": principal.can(roles.EDIT_RULES)}, active="warnings")


@router.post("/rules/{rule_key}", response_class=HTMLResponse)
async def rule_update(request: Request, db: DB, principal: CurrentPrincipal,
                      rule_key: Annotated[str, Path(max_length=64)]) -> Response:
    from yingji.warnings.schemas import RuleUpdate

    data = parse_form(RuleUpdate, await _form(request))
    defaults.update_rule(db, principal, rule_key, data.value, data.source)
    return _redirect("/warnings/rules")


# --- one alert ------------------------------------------------------------------------------------------------------

@router.get("/{alert_id:int}", response_class=HTMLResponse)
def detail(request: Request, db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Response:
    alert = service.get_alert(db, principal, alert_id)
    steps = service.steps(db, alert)
    chain = service.chain(db, principal, alert)
    target = targeting.target_of(db, alert)
    people = _user_names(db, [alert.drafted_by_id, alert.reviewed_by_id, alert.signed_by_id])
    show_preview = alert.status in (IN_REVIEW, AWAITING_SIGNOFF)
    preview = service.preview(db, alert) if show_preview else None
    uid = principal.user_id
    can_edit = principal.can(roles.WRITE) and alert.status in service.EDITABLE
    late_review = alert.fast_track and alert.reviewed_by_id is None and alert.status != "draft"
    context = {
        "alert": alert, "steps": steps, "chain": chain, "people": people, "preview": preview,
        "show_preview": show_preview, "counties": service.targeted_counties(db, alert),
        "target_units": _unit_names(db, target.unit_ids), "issuer": _unit_names(db, [alert.unit_id]),
        "can_edit": can_edit,
        "can_review": principal.can(roles.REVIEW_WARNING) and (alert.status == IN_REVIEW or late_review)
        and uid not in (alert.drafted_by_id, alert.signed_by_id),
        "can_sign": principal.can(roles.SIGN_WARNING) and alert.status == AWAITING_SIGNOFF
        and uid not in (alert.drafted_by_id, alert.reviewed_by_id),
        "can_follow": principal.can(roles.WRITE) and alert.status == ISSUED and alert.msg_type != "Cancel",
        "shapes_json": json.dumps([{"kind": a.kind, "points": [[p[1], p[0]] for p in a.points or []],
                                    "lon": a.lon, "lat": a.lat, "radius_km": a.radius_km}
                                   for a in alert.areas if a.kind != "unit"]),
        "late_review": late_review, **_labels(),
    }
    return render(request, "warnings/detail.html", context, active="warnings")


@router.get("/{alert_id:int}/edit", response_class=HTMLResponse)
def edit_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
              alert_id: IdPath) -> Response:
    alert = service.get_alert(db, principal, alert_id, roles.WRITE)
    return render(request, "warnings/edit.html", _form_context(db, principal, settings, alert), active="warnings")


@router.post("/{alert_id:int}/edit", response_class=HTMLResponse)
async def edit(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
               alert_id: IdPath) -> Response:
    service.get_alert(db, principal, alert_id, roles.WRITE)
    service.update_draft(db, principal, alert_id, await _draft_from_form(request, settings))
    return _redirect(f"/warnings/{alert_id}")


@router.post("/{alert_id:int}/delete", response_class=HTMLResponse)
def delete(db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Response:
    service.delete_draft(db, principal, alert_id)
    return _redirect("/warnings")


@router.post("/{alert_id:int}/submit", response_class=HTMLResponse)
async def submit(request: Request, db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Response:
    values = await _form(request)
    service.submit(db, principal, alert_id, str(values.get("note", ""))[:2000])
    return _redirect(f"/warnings/{alert_id}")


@router.post("/{alert_id:int}/review", response_class=HTMLResponse)
async def review(request: Request, db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Response:
    values = await _form(request)
    service.review(db, principal, alert_id, approve=values.get("decision") != "return",
                   note=str(values.get("note", ""))[:2000])
    return _redirect(f"/warnings/{alert_id}")


@router.post("/{alert_id:int}/sign", response_class=HTMLResponse)
async def sign(request: Request, db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Response:
    values = await _form(request)
    service.sign(db, principal, alert_id, approve=values.get("decision") != "return",
                 note=str(values.get("note", ""))[:2000])
    return _redirect(f"/warnings/{alert_id}")


@router.post("/{alert_id:int}/update", response_class=HTMLResponse)
def start_update(db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Response:
    alert = service.start_followup(db, principal, alert_id, "Update")
    return _redirect(f"/warnings/{alert.id}/edit")


@router.post("/{alert_id:int}/cancel", response_class=HTMLResponse)
def start_cancel(db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Response:
    alert = service.start_followup(db, principal, alert_id, "Cancel")
    return _redirect(f"/warnings/{alert.id}")


@router.get("/{alert_id:int}/cap.xml")
def cap_xml(db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Response:
    alert = service.get_alert(db, principal, alert_id)
    if alert.cap_xml is None:
        from yingji.errors import NotFound

        raise NotFound("Not found, or not within your area.")
    return Response(alert.cap_xml.encode("utf-8"), media_type=CAP_TYPE)


# --- public pages ---------------------------------------------------------------------------------------------------

@public_router.get("/warnings", response_class=HTMLResponse)
def public_page(request: Request, db: DB) -> Response:
    alerts = service.active_public(db)
    return render(request, "warnings/public.html", {"alerts": alerts, **_labels()}, active="warnings")


@public_router.get("/warnings.atom")
def public_atom(request: Request, db: DB) -> Response:
    base = str(request.base_url).rstrip("/")
    return Response(public.atom(db, base), media_type="application/atom+xml; charset=utf-8")


@public_router.get("/warnings/{alert_id}.xml")
def public_cap_xml(db: DB, alert_id: IdPath) -> Response:
    alert = service.public_alert(db, alert_id)
    return Response((alert.cap_xml or "").encode("utf-8"), media_type=CAP_TYPE)

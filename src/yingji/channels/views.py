"""Pages of the channels, under /warnings: recipients, endpoints, channel configuration and rules,
deliveries, last-mile coverage; public pages: /public/subscribe and the "received" link /public/ack/{token}."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from yingji.channels import defaults, delivery, lastmile, recipients
from yingji.channels.models import DELIVERY_STATES, ENDPOINT_KINDS, LANGUAGES, RECIPIENT_KINDS
from yingji.channels.registry import CHANNEL_LABELS, CHANNELS
from yingji.channels.schemas import CodeIn, ConfigIn, EndpointIn, RecipientIn, SubscriptionIn
from yingji.core import roles, xlsx
from yingji.core.api import _xlsx_response
from yingji.core.models import Unit
from yingji.core.schemas import Page
from yingji.core.scope import scoped, system_principal
from yingji.core.views import _form, parse_form
from yingji.errors import NotFound, UserError
from yingji.i18n import N_, gettext
from yingji.web.deps import DB, AppSettings, CurrentPrincipal, IdPath, IdQuery, client_address, day_range
from yingji.web.templating import render

router = APIRouter(prefix="/warnings", include_in_schema=False)
public_router = APIRouter(prefix="/public", include_in_schema=False)
PageNo = Annotated[int, Query(ge=1, le=100000)]
Text = Annotated[str, Query(max_length=100)]
Export = Annotated[str, Query(max_length=8)]
DateText = Annotated[str, Query(max_length=10)]
Token = Annotated[str, Path(max_length=64)]
RuleKey = Annotated[str, Path(max_length=64)]
PER_PAGE = 50
ACTIVE = "warnings"

KIND_LABELS = {"info_officer": N_("information officer"), "village_head": N_("village head"),
               "grid_officer": N_("grid officer"), "school_safety": N_("school safety officer"),
               "enterprise_safety": N_("enterprise safety officer"), "public": N_("public subscriber")}
ENDPOINT_LABELS = {"loudspeaker": N_("broadcast terminal / loudspeaker"), "display": N_("display screen"),
                   "tv": N_("TV station"), "radio": N_("radio station"), "wecom_group": N_("WeCom group robot"),
                   "dingtalk_group": N_("DingTalk group robot")}
STATE_LABELS = {"queued": N_("queued"), "sending": N_("sending"), "sent": N_("sent"), "delivered": N_("delivered"),
                "failed": N_("failed"), "acknowledged": N_("acknowledged")}
LANGUAGE_LABELS = {"zh-CN": N_("Chinese"), "en": N_("English"), "mn": N_("Mongolian"), "ug": N_("Uyghur")}
RULE_LABELS = {defaults.SEGMENT_LENGTH: N_("SMS segment length"), defaults.MAX_SEGMENTS: N_("SMS segments at most"),
               defaults.RETRY_BASE: N_("first retry after"), defaults.MAX_ATTEMPTS: N_("attempts at most"),
               defaults.CLAIM_TIMEOUT: N_("a worker's claim lapses after"),
               defaults.BATCH_SIZE: N_("messages per worker batch"),
               defaults.CODE_MINUTES: N_("confirmation code valid for"),
               defaults.CODE_ATTEMPTS: N_("wrong codes at most"),
               defaults.CODE_PER_HOUR: N_("codes per phone number an hour"),
               defaults.FAILURE_WINDOW: N_("failures shown at sign-off from the past")}
LABELS = {"kinds": KIND_LABELS, "endpoint_kinds": ENDPOINT_LABELS, "channels": CHANNEL_LABELS,
          "states": STATE_LABELS, "languages": LANGUAGE_LABELS, "coverage_states": lastmile.COVERAGE_STATES}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return render(request, f"channels/{name}", {**LABELS, **context}, status_code=status_code, active=ACTIVE)


def _unit_names(db: DB, ids: Any) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(db.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())


def _writable_units(db: DB, principal: Any) -> list[Unit]:
    if not principal.can(roles.WRITE):
        return []
    stmt = scoped(select(Unit), principal, roles.WRITE).where(
        Unit.kind.in_(("prefecture", "county", "zone", "township", "village", "school", "enterprise")),
        Unit.valid_to.is_(None))
    return list(db.scalars(stmt.order_by(Unit.path).limit(2000)))


def _checkboxes(form: dict[str, Any], *names: str) -> dict[str, Any]:
    values = dict(form)
    for name in names:
        values[name] = name in form
    return values


def _local(settings: Any) -> Any:
    from yingji import i18n

    return lambda value: i18n.format_local(value, settings.tz)


# --- recipients -----------------------------------------------------------------------------------------------------

@router.get("/recipients", response_class=HTMLResponse)
def recipients_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", kind: Text = "",
                    unit_id: IdQuery = None, page: PageNo = 1, export: Export = "") -> Response:
    filters: dict[str, Any] = {"q": q, "kind": kind if kind in RECIPIENT_KINDS else "", "unit_id": unit_id}
    if export == "xlsx":
        items = recipients.all_recipients(db, principal, **filters)
        names = _unit_names(db, [r.unit_id for r in items])
        data = xlsx.export((N_("unit"), N_("name"), N_("kind"), N_("phone"), N_("mail"), N_("language"),
                            N_("longitude"), N_("latitude"), N_("SMS"), N_("mail")),
                           ([names.get(r.unit_id, ""), r.name, gettext(KIND_LABELS[r.kind]), r.phone, r.email,
                             r.language, r.lon, r.lat, r.by_sms, r.by_email] for r in items), title="recipients")
        return _xlsx_response(data, "recipients.xlsx")
    result = recipients.list_recipients(db, principal, page=page, per_page=PER_PAGE, **filters)
    return _page(request, "recipients.html", {
        "result": result, "q": q, "kind": filters["kind"], "unit_id": unit_id or "",
        "units": _unit_names(db, [r.unit_id for r in result.items]), "writable": _writable_units(db, principal),
        "all_languages": LANGUAGES, "all_kinds": RECIPIENT_KINDS})


@router.post("/recipients", response_class=HTMLResponse)
async def create_recipient(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    form = _checkboxes(await _form(request), "by_sms", "by_email")
    row = recipients.create_recipient(db, principal, parse_form(RecipientIn, form))
    return _redirect(f"/warnings/recipients/{row.id}")


@router.get("/recipients/{recipient_id}", response_class=HTMLResponse)
def recipient_page(request: Request, db: DB, principal: CurrentPrincipal, recipient_id: IdPath) -> Response:
    row = recipients.get_recipient(db, principal, recipient_id)
    return _page(request, "recipient.html", {
        "r": row, "unit_name": _unit_names(db, [row.unit_id]).get(row.unit_id, ""),
        "can_write": principal.can(roles.WRITE), "writable": _writable_units(db, principal),
        "all_languages": LANGUAGES, "all_kinds": RECIPIENT_KINDS})


@router.post("/recipients/{recipient_id}", response_class=HTMLResponse)
async def update_recipient(request: Request, db: DB, principal: CurrentPrincipal, recipient_id: IdPath) -> Response:
    form = _checkboxes(await _form(request), "by_sms", "by_email")
    recipients.update_recipient(db, principal, recipient_id, parse_form(RecipientIn, form))
    return _redirect(f"/warnings/recipients/{recipient_id}")


@router.post("/recipients/{recipient_id}/active", response_class=HTMLResponse)
async def toggle_recipient(request: Request, db: DB, principal: CurrentPrincipal, recipient_id: IdPath) -> Response:
    form = await _form(request)
    recipients.set_recipient_active(db, principal, recipient_id, form.get("active") == "1")
    return _redirect(f"/warnings/recipients/{recipient_id}")


# --- endpoints ------------------------------------------------------------------------------------------------------

@router.get("/endpoints", response_class=HTMLResponse)
def endpoints_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", kind: Text = "",
                   unit_id: IdQuery = None, page: PageNo = 1, export: Export = "") -> Response:
    filters: dict[str, Any] = {"q": q, "kind": kind if kind in ENDPOINT_KINDS else "", "unit_id": unit_id}
    if export == "xlsx":
        items = recipients.all_endpoints(db, principal, **filters)
        names = _unit_names(db, [r.unit_id for r in items])
        data = xlsx.export((N_("unit"), N_("name"), N_("kind"), N_("channel"), N_("language"), N_("longitude"),
                            N_("latitude")),
                           ([names.get(r.unit_id, ""), r.name, gettext(ENDPOINT_LABELS[r.kind]),
                             gettext(CHANNEL_LABELS[r.channel]), r.language, r.lon, r.lat] for r in items),
                           title="endpoints")
        return _xlsx_response(data, "endpoints.xlsx")
    result = recipients.list_endpoints(db, principal, page=page, per_page=PER_PAGE, **filters)
    return _page(request, "endpoints.html", {
        "result": result, "q": q, "kind": filters["kind"], "unit_id": unit_id or "",
        "units": _unit_names(db, [r.unit_id for r in result.items]), "writable": _writable_units(db, principal),
        "all_languages": LANGUAGES, "all_kinds": ENDPOINT_KINDS})


@router.post("/endpoints", response_class=HTMLResponse)
async def create_endpoint(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    row = recipients.create_endpoint(db, principal, parse_form(EndpointIn, await _form(request)))
    return _redirect(f"/warnings/endpoints/{row.id}")


@router.get("/endpoints/{endpoint_id}", response_class=HTMLResponse)
def endpoint_page(request: Request, db: DB, principal: CurrentPrincipal, endpoint_id: IdPath) -> Response:
    row = recipients.get_endpoint(db, principal, endpoint_id)
    return _page(request, "endpoint.html", {
        "e": row, "secret_hint": recipients.mask(row.secret),
        "unit_name": _unit_names(db, [row.unit_id]).get(row.unit_id, ""), "can_write": principal.can(roles.WRITE),
        "writable": _writable_units(db, principal), "all_languages": LANGUAGES, "all_kinds": ENDPOINT_KINDS})


@router.post("/endpoints/{endpoint_id}", response_class=HTMLResponse)
async def update_endpoint(request: Request, db: DB, principal: CurrentPrincipal, endpoint_id: IdPath) -> Response:
    recipients.update_endpoint(db, principal, endpoint_id, parse_form(EndpointIn, await _form(request)))
    return _redirect(f"/warnings/endpoints/{endpoint_id}")


@router.post("/endpoints/{endpoint_id}/active", response_class=HTMLResponse)
async def toggle_endpoint(request: Request, db: DB, principal: CurrentPrincipal, endpoint_id: IdPath) -> Response:
    form = await _form(request)
    recipients.set_endpoint_active(db, principal, endpoint_id, form.get("active") == "1")
    return _redirect(f"/warnings/endpoints/{endpoint_id}")


# --- channel configuration and rules (prefecture office) ------------------------------------------------------------

CONFIG_STATES = {"on": N_("switched on"), "off": N_("switched off"), "unset": N_("no address set")}


def _matches(q: str, *texts: str) -> bool:
    needle = q.casefold()
    return not q or any(needle in (t or "").casefold() for t in texts)


def _channel_lists(db: DB, principal: Any, q: str, state: str) -> tuple[list[dict[str, Any]], list[Any]]:
    """The channel settings (for those who may edit them) and the rules, narrowed by text and state."""
    if state and state not in CONFIG_STATES:
        raise UserError(N_("This value is not one of the allowed choices."), field="state")
    configs = recipients.list_configs(db, principal) if principal.can(roles.EDIT_RULES) else []
    configs = [c for c in configs if _matches(q, c["channel"], gettext(CHANNEL_LABELS[c["channel"]]), c["url"],
                                              c["sender"])
               and (not state or (state == "on" and c["enabled"]) or (state == "off" and not c["enabled"])
                    or (state == "unset" and not c["url"]))]
    rules = [r for r in defaults.list_rules(db)
             if _matches(q, r.key, gettext(RULE_LABELS.get(r.key, r.key)), r.source)] if not state else []
    return configs, rules


@router.get("/channels", response_class=HTMLResponse)
def channels_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", state: Text = "",
                  page: PageNo = 1, export: Export = "") -> Response:
    principal.require(roles.READ)
    can_edit = principal.can(roles.EDIT_RULES)
    configs, rules = _channel_lists(db, principal, q, state)
    if export == "xlsx":
        yes, no = gettext(N_("yes")), gettext(N_("no"))
        lines = [[gettext(N_("channel")), gettext(CHANNEL_LABELS[c["channel"]]), c["url"], c["sender"],
                  yes if c["enabled"] else no, yes if c["secret_hint"] else no, ""] for c in configs]
        lines += [[gettext(N_("rule")), gettext(RULE_LABELS.get(r.key, r.key)), f"{r.value} {r.unit}", "", "", "",
                   r.source] for r in rules]
        data = xlsx.export((N_("kind"), N_("name"), N_("address or value"), N_("sender"), N_("switched on"),
                            N_("secret stored"), N_("source")), lines, title="channels")
        return _xlsx_response(data, "channels.xlsx")
    window = rules[(page - 1) * PER_PAGE: page * PER_PAGE]
    result = Page[Any](items=window, total=len(rules), page=page, per_page=PER_PAGE)
    return _page(request, "channels.html", {
        "configs": configs, "can_edit": can_edit, "rules": window, "result": result, "rule_labels": RULE_LABELS,
        "q": q, "state": state, "config_states": CONFIG_STATES, "params": f"q={quote(q)}&state={quote(state)}"})


@router.post("/channels/rules/{key}", response_class=HTMLResponse)
async def update_rule(request: Request, db: DB, principal: CurrentPrincipal, key: RuleKey) -> Response:
    form = await _form(request)
    try:
        value = int(form.get("value", ""))
    except ValueError as exc:
        raise UserError("A whole number is expected here.", field="value") from exc
    defaults.update_rule(db, principal, key, value, str(form.get("source", "")))
    return _redirect("/warnings/channels")


@router.post("/channels/{channel}", response_class=HTMLResponse)
async def configure(request: Request, db: DB, principal: CurrentPrincipal,
                    channel: Annotated[str, Path(max_length=16)]) -> Response:
    if channel not in CHANNELS:
        raise NotFound("Not found, or not within your area.")
    form = _checkboxes(await _form(request), "enabled", "clear_secret")
    recipients.configure(db, principal, channel, parse_form(ConfigIn, form))
    return _redirect("/warnings/channels")


# --- deliveries -----------------------------------------------------------------------------------------------------

@router.get("/deliveries", response_class=HTMLResponse)
def deliveries_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
                    alert_id: IdQuery = None, status: Text = "", channel: Text = "", page: PageNo = 1,
                    export: Export = "") -> Response:
    filters: dict[str, Any] = {"alert_id": alert_id, "status": status if status in DELIVERY_STATES else "",
               "channel": channel if channel in CHANNELS else ""}
    local = _local(settings)
    if export == "xlsx":
        items = lastmile.delivery_rows(db, principal, **filters)
        names = _unit_names(db, [r[0].unit_id for r in items])
        data = xlsx.export((N_("alert"), N_("unit"), N_("to"), N_("channel"), N_("state"), N_("attempts"),
                            N_("sent"), N_("delivered"), N_("acknowledged"), N_("detail")),
                           ([r[0].alert_id, names.get(r[0].unit_id, ""), r.endpoint_name or r.name or r.phone,
                             gettext(CHANNEL_LABELS[r[0].channel]), gettext(STATE_LABELS[r[0].status]),
                             r[0].attempts, local(r[0].sent_at), local(r[0].delivered_at),
                             local(r[0].acknowledged_at), r[0].detail] for r in items), title="deliveries")
        return _xlsx_response(data, "deliveries.xlsx")
    result = lastmile.list_deliveries(db, principal, page=page, per_page=PER_PAGE, **filters)
    return _page(request, "deliveries.html", {
        "result": result, "alert_id": alert_id or "", "status": filters["status"], "channel": filters["channel"],
        "units": _unit_names(db, [d.unit_id for d in result.items])})


# --- last-mile coverage ---------------------------------------------------------------------------------------------

@router.get("/coverage", response_class=HTMLResponse)
def coverage_index(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings, q: Text = "",
                   county: IdQuery = None, since: DateText = "", until: DateText = "", page: PageNo = 1,
                   export: Export = "") -> Response:
    from yingji.warnings.service import COLOUR_LABELS

    chosen = lastmile.county_of_filter(db, county)
    start, end = day_range(since, until, settings.zone, from_field="since", to_field="until")
    filters: dict[str, Any] = {"q": q, "county": chosen, "since": start, "until": end}
    if export == "xlsx":
        local = _local(settings)
        alerts = lastmile.followed_all(db, principal, **filters)
        names = _unit_names(db, [a.unit_id for a in alerts])
        data = xlsx.export((N_("warning"), N_("event"), N_("colour"), N_("issuing unit"), N_("issued"),
                            N_("expires")),
                           ([a.headline, a.event, gettext(COLOUR_LABELS.get(a.colour, a.colour)),
                             names.get(a.unit_id, ""), local(a.issued_at), local(a.expires_at)] for a in alerts),
                           title="coverage")
        return _xlsx_response(data, "coverage.xlsx")
    result = lastmile.followed_page(db, principal, page=page, per_page=PER_PAGE, **filters)
    params = f"q={quote(q)}&county={county or ''}&since={since}&until={until}"
    counties = list(db.scalars(select(Unit).where(Unit.kind == "county", Unit.valid_to.is_(None))
                               .order_by(Unit.code)))
    return _page(request, "coverage_index.html", {
        "result": result, "alerts": result.items, "q": q, "county": county, "since": since, "until": until,
        "params": params, "counties": counties})


@router.get("/coverage/{alert_id}", response_class=HTMLResponse)
def coverage_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings, alert_id: IdPath,
                  state: Text = "", q: Text = "", page: PageNo = 1, export: Export = "") -> Response:
    alert = lastmile.visible_alert(db, principal, alert_id)
    state = state if state in lastmile.COVERAGE_STATES else ""
    rows = lastmile.coverage(db, principal, alert_id, q=q)
    shown = [r for r in rows if not state or r.state == state]
    if export == "xlsx":
        local = _local(settings)
        data = xlsx.export((N_("village or community"), N_("township"), N_("state"), N_("messages"),
                            N_("reached"), N_("acknowledged")),
                           ([r.name, r.township, gettext(lastmile.COVERAGE_STATES[r.state]), r.messages, r.reached,
                             local(r.acknowledged_at)] for r in shown),
                           title=f"coverage-{state or 'all'}")
        return _xlsx_response(data, f"coverage-{alert_id}-{state or 'all'}.xlsx")
    window = shown[(page - 1) * PER_PAGE: page * PER_PAGE]
    pager = type("P", (), {"items": window, "total": len(shown), "page": page, "per_page": PER_PAGE})
    return _page(request, "coverage.html", {"alert": alert, "result": pager, "summary": lastmile.summary(rows),
                                            "state": state, "q": q})


# --- public pages ---------------------------------------------------------------------------------------------------

@public_router.get("/subscribe", response_class=HTMLResponse)
def subscribe_page(request: Request, db: DB) -> Response:
    return _page(request, "subscribe.html", {"areas": recipients.subscribable_areas(db),
                                             "all_languages": LANGUAGES, "step": "ask"})


@public_router.post("/subscribe", response_class=HTMLResponse)
async def subscribe(request: Request, db: DB, settings: AppSettings) -> Response:
    data = parse_form(SubscriptionIn, await _form(request))
    row = recipients.subscribe(db, system_principal("public subscription", request.state.request_id),
                               settings.secret_key, data, client_address(request))
    return _page(request, "subscribe.html", {"step": "code", "subscription_id": row.id, "expires_at": row.expires_at},
                 status_code=201)


@public_router.post("/subscribe/{subscription_id}", response_class=HTMLResponse)
async def confirm(request: Request, db: DB, settings: AppSettings, subscription_id: IdPath) -> Response:
    data = parse_form(CodeIn, await _form(request))
    recipients.confirm(db, system_principal("public subscription", request.state.request_id), settings.secret_key,
                       subscription_id, data.code)
    return _page(request, "subscribe.html", {"step": "done"})


@public_router.get("/ack/{token}", response_class=HTMLResponse)
def ack_page(request: Request, db: DB, settings: AppSettings, token: Token) -> Response:
    """Opening the link shows the warning; only the button records "received" (link previews do not)."""
    row, alert = _ack_row(db, settings, token)
    return _page(request, "ack.html", {"token": token, "row": row, "alert": alert, "done": row.acknowledged_at})


@public_router.post("/ack/{token}", response_class=HTMLResponse)
def ack(request: Request, db: DB, settings: AppSettings, token: Token) -> Response:
    row, alert = _ack_row(db, settings, token)
    delivery.acknowledge(db, system_principal("received link", request.state.request_id), row.id)
    return _page(request, "ack.html", {"token": token, "row": row, "alert": alert, "done": row.acknowledged_at})


def _ack_row(db: DB, settings: Any, token: str) -> tuple[Any, Any]:
    from yingji.channels.models import Delivery
    from yingji.warnings.models import Alert

    delivery_id = delivery.check_ack_token(settings.secret_key, token)
    row = db.get(Delivery, delivery_id) if delivery_id else None
    if row is None:
        raise NotFound("Not found, or not within your area.")
    return row, db.get(Alert, row.alert_id)

"""Pages of the platform core: home, the unit tree, staffing, users, audit, inbox, account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select

from yingji.app import page_not_built
from yingji.core import accounts, attachments, audit, notify, roles, service, xlsx
from yingji.core.api import _xlsx_response, attachment_response
from yingji.core.models import Person, Unit, User
from yingji.core.schemas import (
    ENTERPRISE_SIZES,
    HIGH_RISK_INDUSTRIES,
    PERSON_DUTIES,
    UNIT_KINDS,
    PersonCreate,
    TokenCreate,
    UnitCreate,
    UnitUpdate,
    UserCreate,
)
from yingji.core.scope import Principal, scoped
from yingji.errors import UserError, validation_message
from yingji.i18n import N_, gettext
from yingji.web.deps import DB, AppSettings, CurrentPrincipal, IdPath, IdQueryRequired, day_range
from yingji.web.middleware import SESSION_COOKIE
from yingji.web.templating import UNBUILT, render

router = APIRouter(include_in_schema=False)
PageNo = Annotated[int, Query(ge=1, le=100000)]
Text = Annotated[str, Query(max_length=100)]
STAFFING_PER_PAGE = 50

KIND_LABELS = {
    "prefecture": N_("Prefecture"), "county": N_("County-level unit"), "zone": N_("Management zone"),
    "township": N_("Township / street"), "village": N_("Village / community"), "department": N_("Department"),
    "enterprise": N_("Enterprise"), "school": N_("School"), "kindergarten": N_("Kindergarten"),
    "college": N_("College"), "hospital": N_("Hospital"), "crowded_place": N_("Crowded place"),
}
SIZE_LABELS = {"large": N_("Large"), "medium": N_("Medium"), "small": N_("Small"), "micro": N_("Micro")}
INDUSTRY_LABELS = {
    "hazardous_chemicals": N_("Hazardous chemicals"), "mining": N_("Mining"), "metallurgy": N_("Metallurgy"),
    "fireworks": N_("Fireworks"), "construction": N_("Construction"), "transport": N_("Transport"),
    "gas": N_("Gas"), "other": N_("Other"),
}
DUTY_LABELS = {"responsible": N_("Responsible person"), "staff": N_("Staff"), "contact": N_("Contact")}
LABELS = {"kinds": KIND_LABELS, "sizes": SIZE_LABELS, "industries": INDUSTRY_LABELS, "duties": DUTY_LABELS,
          "kind_order": UNIT_KINDS, "size_order": ENTERPRISE_SIZES, "industry_order": HIGH_RISK_INDUSTRIES,
          "duty_order": PERSON_DUTIES}


def parse_form(model: type[BaseModel], values: dict[str, Any]) -> Any:
    """Validate a submitted form into a schema; errors become a UserError listing each field."""
    cleaned = {k: v for k, v in values.items() if v not in ("", None)}
    try:
        return model(**cleaned)
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in e["loc"]), "message": validation_message(dict(e))}
                   for e in exc.errors()]
        raise UserError("Some fields are missing or not valid.", details=details) from exc


async def _form(request: Request) -> dict[str, Any]:
    """The submitted text fields (files and the CSRF token left out)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- home and areas not built yet ----------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    stmt = scoped(select(Unit.kind, func.count()), principal, model=Unit)
    counts: dict[str, int] = dict(db.execute(stmt.group_by(Unit.kind)).all())
    shortfalls = service.staffing_shortfalls(db, principal)
    recent: list[Any] = []
    if principal.can(roles.READ_AUDIT):
        recent = list(db.scalars(audit.list_entries(db, principal).limit(8)))
    return render(request, "home.html", {"counts": counts, "shortfalls": len(shortfalls), "recent": recent,
                                         "labels": LABELS, "unbuilt": UNBUILT}, active="home")


def _area_page(area: str) -> Any:
    def page(request: Request, principal: CurrentPrincipal) -> HTMLResponse:
        return page_not_built(request, area)

    page.__name__ = f"area_{area}"
    return page


for _area in UNBUILT:
    router.add_api_route(f"/{_area}", _area_page(_area), methods=["GET"], response_class=HTMLResponse)


# --- the unit tree -------------------------------------------------------------------------

@router.get("/units", response_class=HTMLResponse)
def units_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "",
               kind: Annotated[str, Query(max_length=32)] = "", page: PageNo = 1) -> HTMLResponse:
    context: dict[str, Any] = {"q": q, "kind": kind, "labels": LABELS}
    if q or kind:
        context["result"] = service.list_units(db, principal, q=q, kind=kind, page=page, per_page=50)
    else:
        root = db.get_one(Unit, principal.unit_id) if principal.unit_id else None
        roots = [root] if root else service.list_units(db, principal, kind="prefecture").items
        context["roots"] = roots
        context["child_counts"] = service.child_counts(db, [r.id for r in roots])
    return render(request, "units/index.html", context, active="units")


@router.get("/units/{unit_id}/children", response_class=HTMLResponse)
def unit_children_fragment(request: Request, db: DB, principal: CurrentPrincipal, unit_id: IdPath) -> HTMLResponse:
    kids = service.children(db, principal, unit_id)
    return render(request, "units/_children.html", {"children": kids, "labels": LABELS,
                                                    "child_counts": service.child_counts(db, [k.id for k in kids])})


@router.get("/units/staffing", response_class=HTMLResponse)
def staffing_page(request: Request, db: DB, principal: CurrentPrincipal, kind: Text = "", page: PageNo = 1,
                  export: str = "") -> Response:
    if kind and kind not in UNIT_KINDS:
        raise UserError("Unknown kind.", field="kind")
    if export == "xlsx":
        principal.require(roles.READ)
        rows = service.staffing_shortfall_rows(db, service.staffing_shortfall_statement(principal, kind=kind))
        data = xlsx.export((N_("code"), N_("name"), N_("kind"), N_("full-time staff"), N_("minimum"),
                            N_("missing"), N_("source")),
                           ([r.code, r.name, gettext(KIND_LABELS[r.kind]), r.staff, r.min_staff, r.missing, r.source]
                            for r in rows), title="staffing")
        return _xlsx_response(data, "staffing-shortfalls.xlsx")
    result = service.staffing_shortfall_page(db, principal, kind=kind, page=page, per_page=STAFFING_PER_PAGE)
    return render(request, "units/staffing.html", {"result": result, "rows": result.items, "kind": kind,
                                                   "labels": LABELS, "quotas": service.list_quotas(db, principal),
                                                   "can_edit": principal.can(roles.EDIT_RULES)}, active="staffing")


@router.post("/units/staffing/quotas/{quota_id}", response_class=HTMLResponse)
def update_quota_form(db: DB, principal: CurrentPrincipal, quota_id: IdPath,
                      min_staff: Annotated[int, Form(ge=0, le=1000)], source: Annotated[str, Form(max_length=1000)],
                      max_staff: Annotated[str, Form(max_length=5)] = "") -> Response:
    maximum = int(max_staff) if max_staff.strip().isdigit() else None
    service.update_quota(db, principal, quota_id, min_staff=min_staff, max_staff=maximum, source=source)
    return _redirect("/units/staffing")


@router.get("/units/new", response_class=HTMLResponse)
def new_unit_page(request: Request, db: DB, principal: CurrentPrincipal, parent_id: IdQueryRequired) -> HTMLResponse:
    parent = service.get_unit(db, principal, parent_id)
    principal.require(roles.WRITE)
    return render(request, "units/new.html", {"parent": parent, "labels": LABELS, "values": {}}, active="units")


@router.post("/units/new", response_class=HTMLResponse)
async def create_unit_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    form = await _form(request)
    form["in_industrial_park"] = "in_industrial_park" in form
    data = parse_form(UnitCreate, form)
    unit = service.create_unit(db, principal, data)
    return _redirect(f"/units/{unit.id}")


@router.get("/units/import", response_class=HTMLResponse)
def import_page(request: Request, principal: CurrentPrincipal) -> HTMLResponse:
    principal.require(roles.WRITE)
    return render(request, "units/import.html", {"errors": [], "message": None}, active="units")


@router.post("/units/import", response_class=HTMLResponse)
def import_form(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
                what: Annotated[str, Form(max_length=10)], file: Annotated[UploadFile, File()]) -> Response:
    limit = int(settings.max_import_mb * 1024 * 1024)
    importer = xlsx.import_people if what == "people" else xlsx.import_units
    try:
        created = importer(db, principal, file.file, max_bytes=limit)
    except UserError as exc:
        return render(request, "units/import.html", {"errors": exc.details, "message": exc.text()},
                      status_code=exc.status_code, active="units")
    message = gettext("Imported %(n)s rows.") % {"n": created}
    return render(request, "units/import.html", {"errors": [], "message": message, "ok": True}, active="units")


@router.get("/units/{unit_id}", response_class=HTMLResponse)
def unit_page(request: Request, db: DB, principal: CurrentPrincipal, unit_id: IdPath) -> HTMLResponse:
    unit = service.get_unit(db, principal, unit_id)
    context = {
        "unit": unit,
        "trail": [u for u in service.ancestors(db, unit)
                  if principal.is_global or u.path.startswith(principal.unit_path)],
        "children": service.children(db, principal, unit_id),
        "people": list(db.scalars(scoped(select(Person), principal).where(Person.unit_id == unit_id))),
        "files": attachments.list_for(db, principal, unit_id=unit_id),
        "labels": LABELS,
        "can_write": principal.can(roles.WRITE),
    }
    return render(request, "units/detail.html", context, active="units")


@router.post("/units/{unit_id}/edit", response_class=HTMLResponse)
async def edit_unit_form(request: Request, db: DB, principal: CurrentPrincipal, unit_id: IdPath) -> Response:
    form = await _form(request)
    form["in_industrial_park"] = "in_industrial_park" in form
    data = parse_form(UnitUpdate, form)
    service.update_unit(db, principal, unit_id, data)
    return _redirect(f"/units/{unit_id}")


@router.post("/units/{unit_id}/move", response_class=HTMLResponse)
def move_unit_form(db: DB, principal: CurrentPrincipal, unit_id: IdPath,
                   parent_code: Annotated[str, Form(max_length=32)]) -> Response:
    parent = db.scalar(scoped(select(Unit), principal, roles.WRITE).where(Unit.code == parent_code.strip()))
    if parent is None:
        raise UserError("No unit with that code within your area.", field="parent_code")
    service.move_unit(db, principal, unit_id, parent.id)
    return _redirect(f"/units/{unit_id}")


@router.post("/units/{unit_id}/people", response_class=HTMLResponse)
async def add_person_form(request: Request, db: DB, principal: CurrentPrincipal, unit_id: IdPath) -> Response:
    form = await _form(request)
    form["full_time_emergency"] = "full_time_emergency" in form
    form["unit_id"] = unit_id
    service.create_person(db, principal, parse_form(PersonCreate, form))
    return _redirect(f"/units/{unit_id}")


@router.post("/people/{person_id}/delete", response_class=HTMLResponse)
def delete_person_form(db: DB, principal: CurrentPrincipal, person_id: IdPath) -> Response:
    person = db.scalar(scoped(select(Person), principal).where(Person.id == person_id))
    service.delete_person(db, principal, person_id)
    return _redirect(f"/units/{person.unit_id}" if person else "/units")


@router.post("/units/{unit_id}/attachments", response_class=HTMLResponse)
def upload_form(db: DB, principal: CurrentPrincipal, settings: AppSettings, unit_id: IdPath,
                file: Annotated[UploadFile, File()]) -> Response:
    attachments.store(db, principal, settings, stream=file.file, filename=file.filename or "", unit_id=unit_id,
                      entity_type="unit", entity_id=str(unit_id))
    return _redirect(f"/units/{unit_id}")


@router.get("/files/{attachment_id}")
def file_download(db: DB, principal: CurrentPrincipal, settings: AppSettings, attachment_id: IdPath) -> Response:
    return attachment_response(*attachments.stored_file(db, principal, settings, attachment_id))


# --- users ---------------------------------------------------------------------------------

@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "",
               role: Annotated[str, Query(max_length=32)] = "", page: PageNo = 1, export: str = "") -> Response:
    if export == "xlsx":
        users = accounts.list_users(db, principal, q=q, role=role, page=1, per_page=service.EVERY_ROW)
        data = xlsx.export((N_("user name"), N_("name"), N_("unit"), N_("role"), N_("email"), N_("phone"),
                            N_("active")),
                           ([u.username, u.display_name, u.unit_id, gettext(roles.ROLE_LABELS[u.role]), u.email,
                             u.phone, u.is_active] for u in users.items), title="users")
        return _xlsx_response(data, "users.xlsx")
    result = accounts.list_users(db, principal, q=q, role=role, page=page)
    unit_names = _unit_names(db, [u.unit_id for u in result.items])
    grantable = [r for r in roles.ROLE_LABELS if roles.may_grant(principal.role, r)]
    return render(request, "admin/users.html", {"result": result, "q": q, "role": role, "unit_names": unit_names,
                                                "grantable": grantable}, active="users")


def _unit_names(db: Any, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.execute(select(Unit.id, Unit.name).where(Unit.id.in_(set(ids)))).all())


@router.post("/admin/users/new", response_class=HTMLResponse)
async def create_user_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    form = await _form(request)
    code = str(form.pop("unit_code", "")).strip()
    unit = db.scalar(scoped(select(Unit), principal, roles.MANAGE_USERS).where(Unit.code == code))
    if unit is None:
        raise UserError("No unit with that code within your area.", field="unit_code")
    form["unit_id"] = unit.id
    accounts.create_user(db, principal, parse_form(UserCreate, form))
    return _redirect("/admin/users")


@router.post("/admin/users/{user_id}/role", response_class=HTMLResponse)
def set_role_form(db: DB, principal: CurrentPrincipal, user_id: IdPath,
                  role: Annotated[str, Form(max_length=32)]) -> Response:
    accounts.set_role(db, principal, user_id, role)
    return _redirect("/admin/users")


@router.post("/admin/users/{user_id}/active", response_class=HTMLResponse)
def set_active_form(db: DB, principal: CurrentPrincipal, user_id: IdPath,
                    active: Annotated[str, Form(max_length=5)]) -> Response:
    accounts.set_active(db, principal, user_id, active == "1")
    return _redirect("/admin/users")


# --- audit ---------------------------------------------------------------------------------

@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
               entity_type: Text = "", action: Text = "", actor: Text = "", entity_id: Text = "",
               request_id: Text = "", since: Annotated[str, Query(max_length=10)] = "",
               until: Annotated[str, Query(max_length=10)] = "", page: PageNo = 1, export: str = "") -> Response:
    from yingji.core.schemas import AuditRead

    start, end = day_range(since, until, settings.zone, from_field="since", to_field="until")
    stmt = audit.list_entries(db, principal, entity_type=entity_type, action=action, actor=actor,
                              entity_id=entity_id, request_id=request_id, since=start, until=end)
    if export == "xlsx":
        rows = db.scalars(xlsx.bounded(stmt))
        data = xlsx.export((N_("time"), N_("actor"), N_("action"), N_("entity"), N_("entity id"), N_("unit"),
                            N_("before"), N_("after"), N_("request id")),
                           ([e.at, e.actor_name, e.action, e.entity_type, e.entity_id, e.unit_id, e.before, e.after,
                             e.request_id] for e in rows), title="audit")
        return _xlsx_response(data, "audit.xlsx")
    result = service.paginate(db, stmt, AuditRead, page=page, per_page=50)
    filters = {"entity_type": entity_type, "action": action, "actor": actor, "entity_id": entity_id,
               "request_id": request_id, "since": since, "until": until}
    return render(request, "audit.html", {"result": result, "filters": filters}, active="audit")


# --- inbox and account ---------------------------------------------------------------------

@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, db: DB, principal: CurrentPrincipal, page: PageNo = 1) -> HTMLResponse:
    return render(request, "inbox.html", {"result": notify.inbox(db, principal, page=page)})


@router.post("/inbox/{notification_id}/read", response_class=HTMLResponse)
def inbox_read(db: DB, principal: CurrentPrincipal, notification_id: IdPath) -> Response:
    row = notify.mark_read(db, principal, notification_id)
    return _redirect(row.link if row.link.startswith("/") and not row.link.startswith("//") else "/inbox")


def _account(request: Request, db: Any, principal: Principal, **extra: Any) -> HTMLResponse:
    user = db.get_one(User, principal.user_id)
    context = {"user": user, "tokens": accounts.list_tokens(db, principal), "new_token": None, "message": None}
    context.update(extra)
    return render(request, "account.html", context)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    return _account(request, db, principal)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(request: Request, db: DB, principal: CurrentPrincipal,
                    current: Annotated[str, Form(max_length=200)], new: Annotated[str, Form(max_length=200)],
                    confirm: Annotated[str, Form(max_length=200)]) -> Response:
    if new != confirm:
        raise UserError("The two new passwords differ.", field="confirm")
    accounts.change_own_password(db, principal, current=current, new=new,
                                 keep_session_key=request.state.cookies.get(SESSION_COOKIE))
    return _account(request, db, principal, message=gettext("Your password was changed."))


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token_form(request: Request, db: DB, principal: CurrentPrincipal,
                      name: Annotated[str, Form(max_length=100)],
                      days: Annotated[int | None, Form(ge=1, le=3650)] = None) -> Response:
    _token, secret = accounts.create_token(db, principal, parse_form(TokenCreate, {"name": name, "days": days}))
    return _account(request, db, principal, new_token=secret)


@router.post("/account/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_token_form(db: DB, principal: CurrentPrincipal, token_id: IdPath) -> Response:
    accounts.revoke_token(db, principal, token_id)
    return _redirect("/account")


@router.post("/logout", response_class=HTMLResponse)
def logout(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    from yingji.core import auth

    key = request.state.cookies.get(SESSION_COOKIE)
    if key:
        auth.sign_out(db, principal, key)
    response = _redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

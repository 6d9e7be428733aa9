"""Pages of the resources module: near a point (list and map), teams and agreements, the catalogue,
warehouses with their stock, lots and ledger, dispatches, contracts and matching, shelters, equipment,
the R2.3 records and the rules. Every list filters, pages and exports to XLSX."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from yingji.core import roles, xlsx
from yingji.core.api import _xlsx_response
from yingji.core.models import Unit
from yingji.core.scope import Principal, get_scoped, scoped
from yingji.core.views import _form, parse_form
from yingji.errors import UserError
from yingji.i18n import N_, gettext
from yingji.resources import defaults, dispatch, insurance, ledger, nearby, records, shelters, supplies, teams
from yingji.resources import schemas as S
from yingji.resources.common import qty, today, untag
from yingji.resources.models import Lot, SupplyItem, Warehouse
from yingji.web.deps import DB, CurrentPrincipal, IdPath
from yingji.web.templating import render

router = APIRouter(prefix="/resources", include_in_schema=False)
PageNo = Annotated[int, Query(ge=1, le=100000)]
Text = Annotated[str, Query(max_length=100)]
Code = Annotated[str, Query(max_length=32)]
Export = Annotated[str, Query(max_length=8)]
# A number from a GET form, where an empty field arrives as "" (checked by _whole).
OptionalId = Annotated[str, Query(max_length=12)]
PER_PAGE = 50
OVERVIEW_ROWS = 20  # the overview shows the first lots needing attention and links to the whole list
LOT_STATES = {"ok": N_("in date"), "rotate": N_("rotate soon"), "expired": N_("expired")}
AGREEMENT_STATES = {"valid": N_("valid"), "ending": N_("ending soon"), "ended": N_("ended")}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _units(db: DB, principal: Principal) -> list[Unit]:
    """Units the principal may record resources for (its own and those below it)."""
    if not principal.can(roles.WRITE):
        return []
    return list(db.scalars(scoped(select(Unit), principal, roles.WRITE).where(Unit.valid_to.is_(None))
                           .order_by(Unit.path).limit(300)))


def _unit_names(db: DB, ids: Any) -> dict[int, str]:
    return supplies.names(db, Unit, ids)


def _items(db: DB, principal: Principal) -> list[SupplyItem]:
    return list(db.scalars(supplies.items(principal).limit(500)))


def _labels(mapping: dict[str, str], codes: str) -> str:
    return "、".join(gettext(mapping.get(c, c)) for c in untag(codes))


def _float(value: str, field: str, low: float, high: float) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError as exc:
        raise UserError("A number is expected here.", field=field) from exc
    if not low <= number <= high:
        raise UserError("This number is out of range.", field=field)
    return number


def _whole(value: str, field: str) -> int | None:
    """A whole number from a filter field, or None when the field was left empty."""
    if not value.strip():
        return None
    if not value.strip().isdigit() or int(value) > 2**31 - 1:
        raise UserError("A whole number is expected here.", field=field)
    return int(value)


class Col:
    """A column of a generic list page: its header and how to read a row."""

    def __init__(self, label: str, get: Any, link: Any = None) -> None:
        self.label, self.get, self.link = label, get, link


class Field:
    """A field of a generic create form."""

    def __init__(self, name: str, label: str, kind: str = "text", options: Any = None, required: bool = False,
                 value: Any = "", multiple: bool = False) -> None:
        self.name, self.label, self.kind, self.options = name, label, kind, options
        self.required, self.value, self.multiple = required, value, multiple


def _list_page(request: Request, db: DB, principal: Principal, *, title: str, table_id: str, stmt: Any,
               columns: list[Col], page: int, export: str, filename: str, q: str, filters: list[Field] | None = None,
               form: list[Field] | None = None, action: str = "", note: str = "",
               extra_params: str = "", prepare: Any = None) -> Response:
    """A list page (or, with ``export=xlsx``, the whole filtered list). ``prepare(rows)``, when given, is called
    with the rows about to be shown or exported, before the columns read them (lookups for those rows)."""
    if export == "xlsx":
        rows = db.scalars(xlsx.bounded(stmt)).all()
        if prepare is not None:
            prepare(rows)
        data = xlsx.export([c.label for c in columns], ([c.get(r) for c in columns] for r in rows), title=filename)
        return _xlsx_response(data, f"{filename}.xlsx")
    total = db.scalar(select(_count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(db.scalars(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    if prepare is not None:
        prepare(items)
    result = _Pager(items, int(total), page)
    context = {"title": title, "table_id": table_id, "result": result, "columns": columns, "q": q,
               "filters": filters or [], "form": form if principal.can(roles.WRITE) else None, "action": action,
               "note": note, "params": f"q={_quote(q)}{extra_params}"}
    return render(request, "resources/list.html", context, active="resources")


def _count() -> Any:
    from sqlalchemy import func

    return func.count()


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value)


class _Pager:
    def __init__(self, items: list[Any], total: int, page: int, per_page: int = PER_PAGE) -> None:
        self.items, self.total, self.page, self.per_page = items, total, page, per_page


def _unit_field(db: DB, principal: Principal, name: str = "unit_id", label: str = N_("unit")) -> Field:
    return Field(name, label, "select", [(u.id, u.name) for u in _units(db, principal)], required=True)


def _choices(mapping: dict[str, str]) -> list[tuple[str, str]]:
    return [(k, gettext(v)) for k, v in mapping.items()]


# --- overview and near a point ------------------------------------------------------------------------

@router.get("", response_class=HTMLResponse)
def overview(request: Request, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    attention_page = supplies.lots_page(db, principal, state="attention", page=1, per_page=OVERVIEW_ROWS)
    attention = attention_page.items
    ending = list(db.scalars(teams.agreements(principal, ending_within=defaults.value(db, defaults.AGREEMENT_NOTICE))
                             .limit(50)))
    below = [r for r in supplies.stock(db, principal) if r.below_minimum]
    cover_ending = list(db.scalars(insurance.policies(
        principal, state="ending", notice_days=defaults.value(db, defaults.INSURANCE_NOTICE)).limit(50)))
    context = {"attention": attention, "attention_total": attention_page.total, "ending": ending, "below": below,
               "states": LOT_STATES, "cover_ending": cover_ending,
               "items": supplies.item_map(db, [lot.item_id for lot in attention] + [r.item_id for r in below]),
               "warehouses": supplies.names(db, Warehouse, [lot.warehouse_id for lot in attention]
                                            + [r.warehouse_id for r in below]),
               "warn": defaults.rule(db, defaults.EXPIRY_WARNING), "qty": qty,
               "team_names": supplies.names(db, teams.Team, [a.team_id for a in ending]
                                            + [p.team_id for p in cover_ending])}
    return render(request, "resources/index.html", context, active="resources")


@router.get("/nearby", response_class=HTMLResponse)
def near_page(request: Request, db: DB, principal: CurrentPrincipal,
              lon: Annotated[str, Query(max_length=20)] = "", lat: Annotated[str, Query(max_length=20)] = "",
              capability: Code = "", supply_item_id: OptionalId = "", min_free: OptionalId = "") -> HTMLResponse:
    x, y = _float(lon, "lon", -180, 180), _float(lat, "lat", -90, 90)
    item_id, room = _whole(supply_item_id, "supply_item_id"), _whole(min_free, "min_free") or 0
    found: dict[str, list[S.Near]] = {}
    if x is not None and y is not None:
        found = {"team": nearby.nearest(db, principal, "team", x, y, capability=capability),
                 "warehouse": nearby.nearest(db, principal, "warehouse", x, y, item_id=item_id),
                 "shelter": nearby.nearest(db, principal, "shelter", x, y, min_free=room),
                 "equipment": nearby.nearest(db, principal, "equipment", x, y)}
    layers = {kind: [r.model_dump() for r in rows] for kind, rows in found.items()}
    context = {"lon": lon, "lat": lat, "capability": capability, "supply_item_id": item_id or "",
               "min_free": room or "", "found": found, "capabilities": S.CAPABILITIES,
               "items": _items(db, principal), "readiness": S.READINESS,
               "map_data": json.dumps({"centre": [y, x] if x is not None else None, "layers": layers},
                                      ensure_ascii=False),
               "item": supplies.get_item(db, principal, item_id) if item_id else None}
    return render(request, "resources/nearby.html", context, active="resources")


# --- teams and agreements ----------------------------------------------------------------------------

def _team_columns(db: DB, unit_names: dict[int, str]) -> list[Col]:
    return [Col(N_("name"), lambda t: t.name, lambda t: f"/resources/teams/{t.id}"),
            Col(N_("type"), lambda t: gettext(S.TEAM_KINDS[t.kind])),
            Col(N_("unit"), lambda t: unit_names.get(t.unit_id, "")),
            Col(N_("capabilities"), lambda t: _labels(S.CAPABILITIES, t.capabilities)),
            Col(N_("members"), lambda t: t.members),
            Col(N_("readiness"), lambda t: gettext(S.READINESS[t.readiness])),
            Col(N_("contact"), lambda t: f"{t.contact_name} {t.contact_phone}".strip())]


@router.get("/teams", response_class=HTMLResponse)
def teams_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", kind: Code = "",
               capability: Code = "", readiness: Code = "", page: PageNo = 1, export: Export = "") -> Response:
    stmt = teams.teams(principal, q=q, kind=kind, capability=capability, readiness=readiness)
    names: dict[int, str] = {}

    def prepare(rows: list[Any]) -> None:  # unit names of the rows shown or exported
        names.update(_unit_names(db, [t.unit_id for t in rows]))

    form = [_unit_field(db, principal), Field("name", N_("name"), required=True),
            Field("kind", N_("type"), "select", _choices(S.TEAM_KINDS), required=True),
            Field("capabilities", N_("capabilities"), "select", _choices(S.CAPABILITIES), multiple=True),
            Field("members", N_("members"), "number", value=0),
            Field("readiness", N_("readiness"), "select", _choices(S.READINESS)),
            Field("equipment", N_("equipment"), "textarea"),
            Field("roster", N_("roster (one name a line)"), "textarea"),
            Field("contact_name", N_("contact person")), Field("contact_phone", N_("phone")),
            Field("address", N_("base")), Field("lon", N_("longitude")), Field("lat", N_("latitude"))]
    filters = [Field("kind", N_("type"), "select", _choices(S.TEAM_KINDS), value=kind),
               Field("capability", N_("capability"), "select", _choices(S.CAPABILITIES), value=capability),
               Field("readiness", N_("readiness"), "select", _choices(S.READINESS), value=readiness)]
    return _list_page(request, db, principal, title=N_("Rescue teams"), table_id="teams", stmt=stmt,
                      columns=_team_columns(db, names), page=page, export=export, filename="teams", q=q,
                      filters=filters, form=form, action="/resources/teams", prepare=prepare,
                      extra_params=f"&kind={kind}&capability={capability}&readiness={readiness}")


async def _multi_form(request: Request, *multi: str) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    for name in multi:
        values[name] = [v for v in form.getlist(name) if isinstance(v, str) and v]
    return values


@router.post("/teams", response_class=HTMLResponse)
async def create_team_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    team = teams.create_team(db, principal, parse_form(S.TeamCreate, await _multi_form(request, "capabilities")))
    return _redirect(f"/resources/teams/{team.id}")


@router.get("/teams/{team_id}", response_class=HTMLResponse)
def team_page(request: Request, db: DB, principal: CurrentPrincipal, team_id: IdPath) -> HTMLResponse:
    team = teams.get_team(db, principal, team_id)
    agreements = list(db.scalars(teams.agreements(principal, team_id=team.id).limit(200)))
    context = {"team": team, "unit": db.get_one(Unit, team.unit_id), "kinds": S.TEAM_KINDS,
               "caps": _labels(S.CAPABILITIES, team.capabilities), "readiness": S.READINESS,
               "agreements": agreements, "agreement_state": lambda a: teams.agreement_state(db, a),
               "agreement_states": AGREEMENT_STATES, "firms": _unit_names(db, [a.unit_id for a in agreements]),
               "can_write": principal.can(roles.WRITE), "units": _units(db, principal),
               "cover": insurance.team_cover(db, principal, team.id), "insurance_kinds": S.INSURANCE_KINDS,
               "insurance_states": S.INSURANCE_STATES, "policy_state": insurance.policy_state, "today": today()}
    return render(request, "resources/team.html", context, active="resources")


@router.post("/teams/{team_id}", response_class=HTMLResponse)
async def update_team_form(request: Request, db: DB, principal: CurrentPrincipal, team_id: IdPath) -> Response:
    teams.update_team(db, principal, team_id, parse_form(S.TeamUpdate, await _form(request)))
    return _redirect(f"/resources/teams/{team_id}")


@router.post("/teams/{team_id}/insurance", response_class=HTMLResponse)
async def create_team_insurance_form(request: Request, db: DB, principal: CurrentPrincipal,
                                     team_id: IdPath) -> Response:
    values = await _form(request)
    values["team_id"] = team_id
    insurance.create_policy(db, principal, parse_form(S.InsuranceCreate, values))
    return _redirect(f"/resources/teams/{team_id}#insurance")


@router.get("/insurance", response_class=HTMLResponse)
def insurance_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", state: Code = "",
                   team_id: OptionalId = "", page: PageNo = 1, export: Export = "") -> Response:
    team = _whole(team_id, "team_id")
    rule = defaults.rule(db, defaults.INSURANCE_NOTICE)
    notice, on = int(rule.value), today()
    stmt = insurance.policies(principal, q=q, team_id=team, state=state, notice_days=notice)
    team_names: dict[int, str] = {}

    def prepare(rows: list[Any]) -> None:  # team names of the rows shown or exported
        team_names.update(supplies.names(db, teams.Team, [p.team_id for p in rows]))

    columns = [Col(N_("team"), lambda p: team_names.get(p.team_id, ""), lambda p: f"/resources/teams/{p.team_id}"),
               Col(N_("kind of insurance"), lambda p: gettext(S.INSURANCE_KINDS[p.kind])),
               Col(N_("insurer"), lambda p: p.insurer), Col(N_("policy number"), lambda p: p.policy_no),
               Col(N_("members insured"), lambda p: p.insured_count),
               Col(N_("from"), lambda p: p.cover_from), Col(N_("until"), lambda p: p.cover_to),
               Col(N_("state"), lambda p: gettext(S.INSURANCE_STATES[insurance.policy_state(p, on, notice)]))]
    visible_teams = [(t.id, t.name) for t in db.scalars(teams.teams(principal).limit(300))]
    form = [Field("team_id", N_("team"), "select", visible_teams, required=True),
            Field("kind", N_("kind of insurance"), "select", _choices(S.INSURANCE_KINDS), required=True),
            Field("insurer", N_("insurer"), required=True), Field("policy_no", N_("policy number"), required=True),
            Field("insured_count", N_("members insured"), "number", required=True),
            Field("cover_from", N_("from"), "date", required=True),
            Field("cover_to", N_("until"), "date", required=True),
            Field("note", N_("note"), "textarea")]
    filters = [Field("state", N_("state"), "select", _choices(S.INSURANCE_STATES), value=state),
               Field("team_id", N_("team"), "select", visible_teams, value=team or "")]
    return _list_page(request, db, principal, title=N_("Insurance of team members"), table_id="insurance",
                      stmt=stmt, columns=columns, page=page, export=export, filename="insurance", q=q,
                      filters=filters, form=form, action="/resources/insurance", prepare=prepare,
                      note=gettext("Cover ending within %(n)s days is flagged.") % {"n": notice}
                      + f" ({rule.source})",
                      extra_params=f"&state={_quote(state)}&team_id={team or ''}")


@router.post("/insurance", response_class=HTMLResponse)
async def create_insurance_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    insurance.create_policy(db, principal, parse_form(S.InsuranceCreate, await _form(request)))
    return _redirect("/resources/insurance")


@router.get("/agreements", response_class=HTMLResponse)
def agreements_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", page: PageNo = 1,
                    export: Export = "") -> Response:
    stmt = teams.agreements(principal, q=q)
    firms: dict[int, str] = {}
    team_names: dict[int, str] = {}

    def prepare(rows: list[Any]) -> None:  # firm and team names of the rows shown or exported
        firms.update(_unit_names(db, [a.unit_id for a in rows]))
        team_names.update(supplies.names(db, teams.Team, [a.team_id for a in rows]))

    columns = [Col(N_("agreement"), lambda a: a.title), Col(N_("firm"), lambda a: firms.get(a.unit_id, "")),
               Col(N_("team"), lambda a: team_names.get(a.team_id, ""), lambda a: f"/resources/teams/{a.team_id}"),
               Col(N_("from"), lambda a: a.starts_on), Col(N_("until"), lambda a: a.ends_on),
               Col(N_("state"), lambda a: gettext(AGREEMENT_STATES[teams.agreement_state(db, a)]))]
    visible_teams = list(db.scalars(teams.teams(principal).limit(300)))
    form = [_unit_field(db, principal, label=N_("firm")),
            Field("team_id", N_("team"), "select", [(t.id, t.name) for t in visible_teams], required=True),
            Field("title", N_("agreement"), required=True), Field("starts_on", N_("from"), "date", required=True),
            Field("ends_on", N_("until"), "date", required=True), Field("note", N_("note"), "textarea")]
    notice = defaults.rule(db, defaults.AGREEMENT_NOTICE)
    return _list_page(request, db, principal, title=N_("Rescue agreements"), table_id="agreements", stmt=stmt,
                      columns=columns, page=page, export=export, filename="agreements", q=q, form=form,
                      action="/resources/agreements", prepare=prepare,
                      note=gettext("Agreements ending within %(n)s days are flagged.") % {"n": notice.value}
                      + f" ({notice.source})")


@router.post("/agreements", response_class=HTMLResponse)
async def create_agreement_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    teams.create_agreement(db, principal, parse_form(S.AgreementCreate, await _form(request)))
    return _redirect("/resources/agreements")


# --- catalogue and warehouses ------------------------------------------------------------------------------

@router.get("/items", response_class=HTMLResponse)
def items_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", sector: Code = "",
               category: Code = "", page: PageNo = 1, export: Export = "") -> Response:
    stmt = supplies.items(principal, q=q, sector=sector, category=category)
    columns = [Col(N_("code"), lambda i: i.code), Col(N_("name"), lambda i: i.name),
               Col(N_("category"), lambda i: gettext(S.CATEGORIES[i.category])),
               Col(N_("sector"), lambda i: gettext(S.SECTORS[i.sector])),
               Col(N_("unit of measure"), lambda i: gettext(S.UOMS[i.uom])),
               Col(N_("shelf life (days)"), lambda i: i.shelf_life_days or "")]
    filters = [Field("sector", N_("sector"), "select", _choices(S.SECTORS), value=sector),
               Field("category", N_("category"), "select", _choices(S.CATEGORIES), value=category)]
    form = [_unit_field(db, principal), Field("code", N_("code (GB/T 38565)")),
            Field("name", N_("name"), required=True),
            Field("category", N_("category"), "select", _choices(S.CATEGORIES), required=True),
            Field("sector", N_("sector"), "select", _choices(S.SECTORS), required=True),
            Field("uom", N_("unit of measure"), "select", _choices(S.UOMS), required=True),
            Field("shelf_life_days", N_("shelf life (days)"), "number")]
    return _list_page(request, db, principal, title=N_("Supply catalogue"), table_id="items", stmt=stmt,
                      columns=columns, page=page, export=export, filename="supply-catalogue", q=q, filters=filters,
                      form=form, action="/resources/items", extra_params=f"&sector={sector}&category={category}")


@router.post("/items", response_class=HTMLResponse)
async def create_item_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    supplies.create_item(db, principal, parse_form(S.ItemCreate, await _form(request)))
    return _redirect("/resources/items")


@router.get("/warehouses", response_class=HTMLResponse)
def warehouses_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", kind: Code = "",
                    page: PageNo = 1, export: Export = "") -> Response:
    stmt = supplies.warehouses(principal, q=q, kind=kind)
    names = _unit_names(db, db.scalars(stmt.with_only_columns(Warehouse.unit_id).limit(2000)))
    columns = [Col(N_("name"), lambda w: w.name, lambda w: f"/resources/warehouses/{w.id}"),
               Col(N_("kind"), lambda w: gettext(S.WAREHOUSE_KINDS[w.kind])),
               Col(N_("owner"), lambda w: names.get(w.unit_id, "")), Col(N_("address"), lambda w: w.address),
               Col(N_("manager"), lambda w: f"{w.manager} {w.phone}".strip())]
    form = [_unit_field(db, principal, label=N_("owner")), Field("name", N_("name"), required=True),
            Field("kind", N_("kind"), "select", _choices(S.WAREHOUSE_KINDS), required=True),
            Field("manager", N_("manager")), Field("phone", N_("phone")), Field("address", N_("address")),
            Field("lon", N_("longitude")), Field("lat", N_("latitude"))]
    filters = [Field("kind", N_("kind"), "select", _choices(S.WAREHOUSE_KINDS), value=kind)]
    return _list_page(request, db, principal, title=N_("Warehouses"), table_id="warehouses", stmt=stmt,
                      columns=columns, page=page, export=export, filename="warehouses", q=q, filters=filters,
                      form=form, action="/resources/warehouses", extra_params=f"&kind={kind}")


@router.post("/warehouses", response_class=HTMLResponse)
async def create_warehouse_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    found = supplies.create_warehouse(db, principal, parse_form(S.WarehouseCreate, await _form(request)))
    return _redirect(f"/resources/warehouses/{found.id}")


@router.get("/warehouses/{warehouse_id}", response_class=HTMLResponse)
def warehouse_page(request: Request, db: DB, principal: CurrentPrincipal, warehouse_id: IdPath, page: PageNo = 1,
                   export: Export = "") -> Response:
    found = supplies.get_warehouse(db, principal, warehouse_id)
    moves_stmt = ledger.movements(principal, warehouse_id=found.id)
    if export == "xlsx":
        rows = db.scalars(xlsx.bounded(moves_stmt))
        data = xlsx.export((N_("no."), N_("time"), N_("kind"), N_("lot"), N_("item"), N_("quantity"), N_("by"),
                            N_("note")), ([m.id, m.at, gettext(S.MOVEMENT_KINDS[m.kind]), m.lot_id, m.item_id,
                                           qty(m.delta_milli), m.actor_name, m.note] for m in rows), title="ledger")
        return _xlsx_response(data, f"ledger-{found.id}.xlsx")
    lots = supplies.lots(db, principal, warehouse_id=found.id)
    stock = supplies.stock(db, principal, warehouse_id=found.id)
    moves = list(db.scalars(moves_stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    total = db.scalar(select(_count()).select_from(moves_stmt.order_by(None).subquery())) or 0
    items = supplies.item_map(db, [lot.item_id for lot in lots] + [r.item_id for r in stock]
                              + [m.item_id for m in moves])
    others = [w for w in db.scalars(supplies.warehouses(principal).limit(300)) if w.id != found.id] \
        if principal.can(roles.WRITE) else []
    context = {"warehouse": found, "unit": db.get_one(Unit, found.unit_id), "lots": lots, "stock": stock,
               "items": items, "all_items": _items(db, principal), "moves": _Pager(moves, int(total), page),
               "kinds": S.MOVEMENT_KINDS, "states": LOT_STATES, "qty": qty, "others": others,
               "warehouse_kinds": S.WAREHOUSE_KINDS, "uoms": S.UOMS, "can_write": principal.can(roles.WRITE),
               "warn": defaults.rule(db, defaults.EXPIRY_WARNING)}
    return render(request, "resources/warehouse.html", context, active="resources")


@router.post("/warehouses/{warehouse_id}/receipts", response_class=HTMLResponse)
async def receipt_form(request: Request, db: DB, principal: CurrentPrincipal, warehouse_id: IdPath) -> Response:
    ledger.receive(db, principal, warehouse_id, parse_form(S.ReceiptIn, await _form(request)))
    return _redirect(f"/resources/warehouses/{warehouse_id}")


@router.post("/warehouses/{warehouse_id}/minimums", response_class=HTMLResponse)
async def minimum_form(request: Request, db: DB, principal: CurrentPrincipal, warehouse_id: IdPath) -> Response:
    supplies.set_minimum(db, principal, warehouse_id, parse_form(S.MinLevelIn, await _form(request)))
    return _redirect(f"/resources/warehouses/{warehouse_id}")


def _lot_warehouse(db: DB, principal: Principal, lot_id: int) -> int:
    return get_scoped(db, principal, Lot, lot_id).warehouse_id


@router.post("/lots/{lot_id}/issue", response_class=HTMLResponse)
async def issue_form(request: Request, db: DB, principal: CurrentPrincipal, lot_id: IdPath) -> Response:
    ledger.issue(db, principal, lot_id, parse_form(S.IssueIn, await _form(request)))
    return _redirect(f"/resources/warehouses/{_lot_warehouse(db, principal, lot_id)}")


@router.post("/lots/{lot_id}/write-off", response_class=HTMLResponse)
async def write_off_form(request: Request, db: DB, principal: CurrentPrincipal, lot_id: IdPath) -> Response:
    ledger.write_off(db, principal, lot_id, parse_form(S.IssueIn, await _form(request)))
    return _redirect(f"/resources/warehouses/{_lot_warehouse(db, principal, lot_id)}")


@router.post("/lots/{lot_id}/transfer", response_class=HTMLResponse)
async def transfer_form(request: Request, db: DB, principal: CurrentPrincipal, lot_id: IdPath) -> Response:
    ledger.transfer(db, principal, lot_id, parse_form(S.TransferIn, await _form(request)))
    return _redirect(f"/resources/warehouses/{_lot_warehouse(db, principal, lot_id)}")


PAGE_LOT_STATES = tuple(s or "all" for s in supplies.LOT_FILTER_STATES)


@router.get("/lots", response_class=HTMLResponse)
def lots_page(request: Request, db: DB, principal: CurrentPrincipal, state: Code = "attention",
              supply_item_id: OptionalId = "", warehouse_id: OptionalId = "", page: PageNo = 1,
              export: Export = "") -> Response:
    if state not in PAGE_LOT_STATES:
        raise UserError("Unknown state.", field="state")
    state = "" if state == "all" else state  # a page's blank values are dropped: "all" says all states
    item_id = _whole(supply_item_id, "supply_item_id")
    store_id = _whole(warehouse_id, "warehouse_id")
    if item_id:
        supplies.get_item(db, principal, item_id)
    if store_id:
        supplies.get_warehouse(db, principal, store_id)
    if export == "xlsx":
        rows = supplies.lots(db, principal, state=state, item_id=item_id, warehouse_id=store_id)
        items = supplies.item_map(db, [r.item_id for r in rows])
        names = supplies.names(db, Warehouse, [r.warehouse_id for r in rows])
        data = xlsx.export((N_("warehouse"), N_("item"), N_("lot"), N_("quantity"), N_("unit of measure"),
                            N_("produced on"), N_("expires on"), N_("state")),
                           ([names.get(r.warehouse_id, ""), items[r.item_id].name, r.lot_no, r.quantity,
                             gettext(S.UOMS[items[r.item_id].uom]), r.produced_on, r.expires_on,
                             gettext(LOT_STATES[r.state])] for r in rows), title="lots")
        return _xlsx_response(data, "lots.xlsx")
    result = supplies.lots_page(db, principal, state=state, item_id=item_id, warehouse_id=store_id, page=page,
                                per_page=PER_PAGE)
    rows = result.items
    context = {"result": result, "rows": rows, "items": supplies.item_map(db, [r.item_id for r in rows]),
               "names": supplies.names(db, Warehouse, [r.warehouse_id for r in rows]), "state": state,
               "states": LOT_STATES, "uoms": S.UOMS, "warn": defaults.rule(db, defaults.EXPIRY_WARNING),
               "all_items": _items(db, principal),
               "all_warehouses": list(db.scalars(supplies.warehouses(principal).limit(300))),
               "supply_item_id": item_id or "", "warehouse_id": store_id or "",
               "params": f"state={_quote(state or 'all')}&supply_item_id={item_id or ''}&warehouse_id={store_id or ''}"}
    return render(request, "resources/lots.html", context, active="resources")


# --- dispatch -----------------------------------------------------------------------------------------------

@router.get("/dispatches", response_class=HTMLResponse)
def dispatches_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", status: Code = "",
                    page: PageNo = 1, export: Export = "") -> Response:
    stmt = dispatch.dispatches(principal, q=q, status=status)
    names = _unit_names(db, db.scalars(stmt.with_only_columns(dispatch.Dispatch.unit_id).limit(2000)))
    columns = [Col(N_("no."), lambda d: d.id), Col(N_("request"), lambda d: d.title,
                                                    lambda d: f"/resources/dispatches/{d.id}"),
               Col(N_("requesting unit"), lambda d: names.get(d.unit_id, "")),
               Col(N_("destination"), lambda d: d.destination), Col(N_("event no."), lambda d: d.event_id or ""),
               Col(N_("state"), lambda d: gettext(S.DISPATCH_STATUS[d.status])),
               Col(N_("requested by"), lambda d: d.requested_by)]
    items = _items(db, principal)
    item_choices = [(i.id, f"{i.name}（{gettext(S.UOMS[i.uom])}）") for i in items]
    form = [_unit_field(db, principal, label=N_("requesting unit")), Field("title", N_("request"), required=True),
            Field("event_id", N_("event no.")), Field("destination", N_("destination")),
            Field("lon", N_("longitude")), Field("lat", N_("latitude"))]
    for n in (1, 2, 3):
        form += [Field(f"item_{n}", N_("item"), "select", item_choices, required=n == 1),
                 Field(f"quantity_{n}", N_("quantity"), required=n == 1)]
    filters = [Field("status", N_("state"), "select", _choices(S.DISPATCH_STATUS), value=status)]
    return _list_page(request, db, principal, title=N_("Dispatches"), table_id="dispatches", stmt=stmt,
                      columns=columns, page=page, export=export, filename="dispatches", q=q, filters=filters,
                      form=form, action="/resources/dispatches", extra_params=f"&status={status}")


@router.post("/dispatches", response_class=HTMLResponse)
async def create_dispatch_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    values = await _form(request)
    lines = []
    for n in range(1, 11):
        item_id, amount = values.pop(f"item_{n}", ""), values.pop(f"quantity_{n}", "")
        if item_id and amount:
            lines.append({"supply_item_id": item_id, "quantity": amount})
    values["lines"] = lines
    found = dispatch.create(db, principal, parse_form(S.DispatchCreate, values))
    return _redirect(f"/resources/dispatches/{found.id}")


@router.get("/dispatches/{res_dispatch_id}", response_class=HTMLResponse)
def dispatch_page(request: Request, db: DB, principal: CurrentPrincipal, res_dispatch_id: IdPath) -> HTMLResponse:
    detail = dispatch.detail(db, principal, res_dispatch_id)
    status = detail.dispatch.status
    can_write = principal.can(roles.WRITE)
    suggestions = dispatch.suggest(db, principal, res_dispatch_id) if can_write and status in ("approved",
                                                                                          "allocated") else []
    choices: list[tuple[str, str]] = []
    if can_write and status in ("approved", "allocated"):
        for line in detail.lines:
            for km, lot, wh, free in dispatch._available_lots(db, principal, db.get_one(dispatch.Dispatch,
                                                                                       res_dispatch_id), line.item_id):
                where = f"{wh.name} · {line.item} · {lot.lot_no} · {qty(free)}" + (f" · {km:.1f} km" if km else "")
                choices.append((f"{line.item_id}:lot:{lot.id}", where))
    context = {"d": detail, "status": S.DISPATCH_STATUS, "steps": S.STEP_KINDS, "kinds": S.MOVEMENT_KINDS,
               "suggestions": suggestions, "choices": choices, "can_write": can_write,
               "unit": db.get_one(Unit, detail.dispatch.unit_id), "uoms": S.UOMS,
               "items": supplies.item_map(db, [line.item_id for line in detail.lines]),
               "warehouses": supplies.names(db, Warehouse, [m.warehouse_id for m in detail.movements])}
    return render(request, "resources/dispatch.html", context, active="resources")


@router.post("/dispatches/{res_dispatch_id}/approve", response_class=HTMLResponse)
async def approve_form(request: Request, db: DB, principal: CurrentPrincipal, res_dispatch_id: IdPath) -> Response:
    dispatch.approve(db, principal, res_dispatch_id, parse_form(S.DecisionIn, await _form(request)).note)
    return _redirect(f"/resources/dispatches/{res_dispatch_id}")


@router.post("/dispatches/{res_dispatch_id}/reject", response_class=HTMLResponse)
async def reject_form(request: Request, db: DB, principal: CurrentPrincipal, res_dispatch_id: IdPath) -> Response:
    dispatch.reject(db, principal, res_dispatch_id, parse_form(S.DecisionIn, await _form(request)).note)
    return _redirect(f"/resources/dispatches/{res_dispatch_id}")


@router.post("/dispatches/{res_dispatch_id}/allocate", response_class=HTMLResponse)
async def allocate_form(request: Request, db: DB, principal: CurrentPrincipal, res_dispatch_id: IdPath) -> Response:
    """Rows ``source_N`` ("item:lot:id" or "item:contract:id") with ``quantity_N``; empty or 0 rows are dropped."""
    values = await _form(request)
    rows = []
    for n in range(200):
        source, amount = values.get(f"source_{n}", ""), values.get(f"quantity_{n}", "").strip()
        if not source or not amount or _is_zero(amount):
            continue
        parts = source.split(":")
        if len(parts) != 3 or parts[1] not in ("lot", "contract"):
            raise UserError("Choose where the stock comes from.", field=f"source_{n}")
        rows.append({"supply_item_id": parts[0], f"{parts[1]}_id": parts[2], "quantity": amount})
    dispatch.allocate(db, principal, res_dispatch_id, parse_form(S.AllocateIn, {"allocations": rows}))
    return _redirect(f"/resources/dispatches/{res_dispatch_id}")


def _is_zero(amount: str) -> bool:
    try:
        return Decimal(amount) == 0
    except ArithmeticError:
        return False


@router.post("/dispatches/{res_dispatch_id}/ship", response_class=HTMLResponse)
async def ship_form(request: Request, db: DB, principal: CurrentPrincipal, res_dispatch_id: IdPath) -> Response:
    dispatch.ship(db, principal, res_dispatch_id, parse_form(S.DecisionIn, await _form(request)).note)
    return _redirect(f"/resources/dispatches/{res_dispatch_id}")


@router.post("/dispatches/{res_dispatch_id}/receive", response_class=HTMLResponse)
async def receive_form(request: Request, db: DB, principal: CurrentPrincipal, res_dispatch_id: IdPath) -> Response:
    values = await _form(request)
    received = {k.removeprefix("received_"): v for k, v in values.items() if k.startswith("received_") and v}
    dispatch.receive(db, principal, res_dispatch_id,
                     parse_form(S.ReceiveIn, {"received": received, "note": values.get("note", "")}))
    return _redirect(f"/resources/dispatches/{res_dispatch_id}")


@router.get("/contracts", response_class=HTMLResponse)
def contracts_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", page: PageNo = 1,
                   export: Export = "") -> Response:
    stmt = dispatch.contracts(principal, q=q)
    reads: dict[int, Any] = {}
    items: dict[int, Any] = {}

    def prepare(rows: list[Any]) -> None:  # figures and item names of the rows shown or exported
        reads.update({r.id: r for r in dispatch.contract_reads(db, rows)})
        items.update(supplies.item_map(db, [c.item_id for c in rows]))

    columns = [Col(N_("supplier"), lambda c: c.supplier), Col(N_("item"), lambda c: items[c.item_id].name),
               Col(N_("agreed quantity"), lambda c: f"{reads[c.id].quantity} {gettext(S.UOMS[items[c.item_id].uom])}"),
               Col(N_("drawn"), lambda c: reads[c.id].drawn), Col(N_("delivery (hours)"), lambda c: c.delivery_hours),
               Col(N_("from"), lambda c: c.starts_on), Col(N_("until"), lambda c: c.ends_on),
               Col(N_("contact"), lambda c: c.contact)]
    form = [_unit_field(db, principal), Field("supplier", N_("supplier"), required=True),
            Field("supply_item_id", N_("item"), "select", [(i.id, i.name) for i in _items(db, principal)],
                  required=True),
            Field("quantity", N_("agreed quantity"), required=True),
            Field("delivery_hours", N_("delivery (hours)"), "number", value=24),
            Field("starts_on", N_("from"), "date", required=True), Field("ends_on", N_("until"), "date", required=True),
            Field("contact", N_("contact"))]
    return _list_page(request, db, principal, title=N_("Supplier contracts (协议储备)"), table_id="contracts",
                      stmt=stmt, columns=columns, page=page, export=export, filename="contracts", q=q, form=form,
                      action="/resources/contracts", prepare=prepare)


@router.post("/contracts", response_class=HTMLResponse)
async def create_contract_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    dispatch.create_contract(db, principal, parse_form(S.ContractCreate, await _form(request)))
    return _redirect("/resources/contracts")


@router.get("/matches", response_class=HTMLResponse)
def matches_page(request: Request, db: DB, principal: CurrentPrincipal, supply_item_id: OptionalId = "",
                 page: PageNo = 1, export: Export = "") -> Response:
    item_id = _whole(supply_item_id, "supply_item_id")
    if item_id:
        supplies.get_item(db, principal, item_id)
    # The suggestions are worked out together (each shortage draws on the surplus the earlier ones left), so
    # the whole list is computed and then cut into pages; it is bounded by the stock rows in scope.
    rows = dispatch.matches(db, principal, item_id=item_id)
    if export == "xlsx":
        data = xlsx.export((N_("item"), N_("from"), N_("to"), N_("quantity"), N_("distance (km)")),
                           ([m.item, m.from_warehouse, m.to_warehouse, m.quantity, m.distance_km] for m in rows),
                           title="matches")
        return _xlsx_response(data, "surplus-shortage.xlsx")
    result = _Pager(rows[(page - 1) * PER_PAGE:page * PER_PAGE], len(rows), page)
    shortages = [r for r in supplies.stock(db, principal, item_id=item_id) if r.below_minimum]
    context = {"result": result, "rows": result.items, "shortages": shortages, "qty": qty,
               "items": supplies.item_map(db, [r.item_id for r in shortages]),
               "names": supplies.names(db, Warehouse, [r.warehouse_id for r in shortages]),
               "all_items": _items(db, principal), "supply_item_id": item_id or "",
               "params": f"supply_item_id={item_id or ''}"}
    return render(request, "resources/matches.html", context, active="resources")


# --- shelters ---------------------------------------------------------------------------------------------

@router.get("/shelters", response_class=HTMLResponse)
def shelters_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", kind: Code = "",
                  min_free: OptionalId = "", page: PageNo = 1, export: Export = "") -> Response:
    room = _whole(min_free, "min_free") or 0
    stmt = shelters.shelters(principal, q=q, kind=kind, min_free=room)
    names = _unit_names(db, db.scalars(stmt.with_only_columns(shelters.Shelter.unit_id).limit(2000)))
    columns = [Col(N_("name"), lambda s: s.name, lambda s: f"/resources/shelters/{s.id}"),
               Col(N_("type"), lambda s: gettext(S.SHELTER_KINDS[s.kind])),
               Col(N_("indoor"), lambda s: gettext("indoor") if s.indoor else gettext("outdoor")),
               Col(N_("unit"), lambda s: names.get(s.unit_id, "")), Col(N_("area (m²)"), lambda s: s.area_m2),
               Col(N_("capacity"), lambda s: s.capacity),
               Col(N_("open"), lambda s: gettext("open") if s.is_open else gettext("closed")),
               Col(N_("occupancy"), lambda s: s.occupancy), Col(N_("room"), lambda s: s.capacity - s.occupancy),
               Col(N_("facilities"), lambda s: _labels(S.FACILITIES, s.facilities))]
    form = [_unit_field(db, principal), Field("name", N_("name"), required=True),
            Field("kind", N_("type"), "select", _choices(S.SHELTER_KINDS), required=True),
            Field("indoor", N_("indoor"), "select", [("false", gettext("outdoor")), ("true", gettext("indoor"))]),
            Field("grade", N_("grade (GB 21734)"), "select", [("", "—"), ("I", "I"), ("II", "II"), ("III", "III")]),
            Field("area_m2", N_("area (m²)"), "number", value=0), Field("capacity", N_("capacity"), "number",
                                                                       required=True),
            Field("facilities", N_("facilities"), "select", _choices(S.FACILITIES), multiple=True),
            Field("responsible", N_("responsible person")), Field("phone", N_("phone")),
            Field("address", N_("address")), Field("lon", N_("longitude")), Field("lat", N_("latitude"))]
    filters = [Field("kind", N_("type"), "select", _choices(S.SHELTER_KINDS), value=kind),
               Field("min_free", N_("room for at least"), "number", value=room or "")]
    return _list_page(request, db, principal, title=N_("Shelters"), table_id="shelters", stmt=stmt, columns=columns,
                      page=page, export=export, filename="shelters", q=q, filters=filters, form=form,
                      action="/resources/shelters", extra_params=f"&kind={kind}&min_free={room or ''}")


@router.post("/shelters", response_class=HTMLResponse)
async def create_shelter_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    found = shelters.create_shelter(db, principal, parse_form(S.ShelterCreate, await _multi_form(request,
                                                                                                "facilities")))
    return _redirect(f"/resources/shelters/{found.id}")


@router.get("/shelters/{shelter_id}", response_class=HTMLResponse)
def shelter_page(request: Request, db: DB, principal: CurrentPrincipal, shelter_id: IdPath) -> HTMLResponse:
    found = shelters.get_shelter(db, principal, shelter_id)
    context = {"shelter": found, "unit": db.get_one(Unit, found.unit_id), "kinds": S.SHELTER_KINDS,
               "facilities": _labels(S.FACILITIES, found.facilities), "history": shelters.history(db, principal,
                                                                                                   shelter_id),
               "can_write": principal.can(roles.WRITE)}
    return render(request, "resources/shelter.html", context, active="resources")


@router.post("/shelters/{shelter_id}/status", response_class=HTMLResponse)
async def shelter_status_form(request: Request, db: DB, principal: CurrentPrincipal, shelter_id: IdPath) -> Response:
    values = await _form(request)
    values.setdefault("is_open", "false")
    shelters.set_status(db, principal, shelter_id, parse_form(S.ShelterStatusIn, values))
    return _redirect(f"/resources/shelters/{shelter_id}")


# --- equipment and R2.3 records ------------------------------------------------------------------------------

@router.get("/equipment", response_class=HTMLResponse)
def equipment_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", kind: Code = "",
                   page: PageNo = 1, export: Export = "") -> Response:
    stmt = records.equipment(principal, q=q, kind=kind)
    names = _unit_names(db, db.scalars(stmt.with_only_columns(records.Equipment.unit_id).limit(2000)))
    columns = [Col(N_("name"), lambda e: e.name), Col(N_("kind"), lambda e: gettext(S.EQUIPMENT_KINDS[e.kind])),
               Col(N_("unit"), lambda e: names.get(e.unit_id, "")), Col(N_("model"), lambda e: e.model),
               Col(N_("serial no."), lambda e: e.serial),
               Col(N_("state"), lambda e: gettext(S.EQUIPMENT_STATUS[e.status])),
               Col(N_("custodian"), lambda e: f"{e.custodian} {e.phone}".strip())]
    form = [_unit_field(db, principal), Field("kind", N_("kind"), "select", _choices(S.EQUIPMENT_KINDS), required=True),
            Field("name", N_("name"), required=True), Field("model", N_("model")), Field("serial", N_("serial no.")),
            Field("status", N_("state"), "select", _choices(S.EQUIPMENT_STATUS)), Field("custodian", N_("custodian")),
            Field("phone", N_("phone")), Field("address", N_("base")), Field("lon", N_("longitude")),
            Field("lat", N_("latitude"))]
    filters = [Field("kind", N_("kind"), "select", _choices(S.EQUIPMENT_KINDS), value=kind)]
    return _list_page(request, db, principal, title=N_("Equipment"), table_id="equipment", stmt=stmt,
                      columns=columns, page=page, export=export, filename="equipment", q=q, filters=filters,
                      form=form, action="/resources/equipment", extra_params=f"&kind={kind}")


@router.post("/equipment", response_class=HTMLResponse)
async def create_equipment_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    records.create_equipment(db, principal, parse_form(S.EquipmentCreate, await _form(request)))
    return _redirect("/resources/equipment")


def _event(value: Any) -> Any:
    return value or ""


@router.get("/requisitions", response_class=HTMLResponse)
def requisitions_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", page: PageNo = 1,
                      export: Export = "") -> Response:
    stmt = records.requisitions(principal, q=q)
    columns = [Col(N_("owner"), lambda r: r.owner), Col(N_("what"), lambda r: r.description),
               Col(N_("event no."), lambda r: _event(r.event_id)), Col(N_("taken on"), lambda r: r.taken_on),
               Col(N_("returned on"), lambda r: r.returned_on or ""),
               Col(N_("compensation (yuan)"), lambda r: records.yuan(r.compensation_fen)),
               Col(N_("compensated on"), lambda r: r.compensated_on or "")]
    form = [_unit_field(db, principal), Field("owner", N_("owner"), required=True),
            Field("description", N_("what"), "textarea", required=True), Field("event_id", N_("event no.")),
            Field("taken_on", N_("taken on"), "date", required=True), Field("returned_on", N_("returned on"), "date"),
            Field("compensation", N_("compensation (yuan)"), value="0"),
            Field("compensated_on", N_("compensated on"), "date")]
    return _list_page(request, db, principal, title=N_("Requisitioned resources and compensation"),
                      table_id="requisitions", stmt=stmt, columns=columns, page=page, export=export,
                      filename="requisitions", q=q, form=form, action="/resources/requisitions")


@router.post("/requisitions", response_class=HTMLResponse)
async def create_requisition_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    records.create_requisition(db, principal, parse_form(S.RequisitionCreate, await _form(request)))
    return _redirect("/resources/requisitions")


@router.get("/services", response_class=HTMLResponse)
def services_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", page: PageNo = 1,
                  export: Export = "") -> Response:
    stmt = records.services(principal, q=q)
    columns = [Col(N_("provider"), lambda r: r.provider), Col(N_("service"), lambda r: r.description),
               Col(N_("event no."), lambda r: _event(r.event_id)),
               Col(N_("amount (yuan)"), lambda r: records.yuan(r.amount_fen)),
               Col(N_("contracted on"), lambda r: r.contracted_on)]
    form = [_unit_field(db, principal), Field("provider", N_("provider"), required=True),
            Field("description", N_("service"), "textarea", required=True), Field("event_id", N_("event no.")),
            Field("amount", N_("amount (yuan)"), value="0"),
            Field("contracted_on", N_("contracted on"), "date", required=True)]
    return _list_page(request, db, principal, title=N_("Social services purchased"), table_id="services", stmt=stmt,
                      columns=columns, page=page, export=export, filename="services", q=q, form=form,
                      action="/resources/services")


@router.post("/services", response_class=HTMLResponse)
async def create_service_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    records.create_service(db, principal, parse_form(S.ServiceCreate, await _form(request)))
    return _redirect("/resources/services")


@router.get("/donations", response_class=HTMLResponse)
def donations_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", page: PageNo = 1,
                   export: Export = "") -> Response:
    stmt = records.donations(principal, q=q)
    columns = [Col(N_("donor"), lambda r: r.donor), Col(N_("donation"), lambda r: r.description),
               Col(N_("amount (yuan)"), lambda r: records.yuan(r.amount_fen)),
               Col(N_("event no."), lambda r: _event(r.event_id)), Col(N_("received on"), lambda r: r.received_on),
               Col(N_("where it went"), lambda r: r.destination),
               Col(N_("passed on"), lambda r: r.distributed_on or "")]
    form = [_unit_field(db, principal), Field("donor", N_("donor"), required=True),
            Field("description", N_("donation"), "textarea", required=True), Field("event_id", N_("event no.")),
            Field("amount", N_("amount (yuan)"), value="0"),
            Field("received_on", N_("received on"), "date", required=True),
            Field("destination", N_("where it went"), "textarea"), Field("distributed_on", N_("passed on"), "date")]
    return _list_page(request, db, principal, title=N_("Donations"), table_id="donations", stmt=stmt,
                      columns=columns, page=page, export=export, filename="donations", q=q, form=form,
                      action="/resources/donations")


@router.post("/donations", response_class=HTMLResponse)
async def create_donation_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    records.create_donation(db, principal, parse_form(S.DonationCreate, await _form(request)))
    return _redirect("/resources/donations")


# --- rules ------------------------------------------------------------------------------------------------

@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    principal.require(roles.READ)
    context = {"rules": defaults.list_rules(db), "labels": defaults.RULE_LABELS,
               "can_edit": principal.can(roles.EDIT_RULES),
               "unit_labels": {"d": N_("days"), "km": N_("km"), "rows": N_("rows")}}
    return render(request, "resources/rules.html", context, active="resources")


@router.post("/rules/{res_rule_id}", response_class=HTMLResponse)
async def rule_form(request: Request, db: DB, principal: CurrentPrincipal, res_rule_id: IdPath) -> Response:
    data = parse_form(S.RuleUpdate, await _form(request))
    defaults.update_rule(db, principal, res_rule_id, data.value, data.source)
    return _redirect("/resources/rules")



"""Pages of the trend analysis: a year's findings for an area (filters, paging, XLSX, a chart), the
countermeasures recorded against them (a list with filters, paging, XLSX), finalising a year."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from yingji.core import roles, xlsx
from yingji.core.api import _xlsx_response
from yingji.core.models import Unit
from yingji.core.scope import scoped
from yingji.core.service import EVERY_ROW
from yingji.core.views import parse_form
from yingji.errors import UserError
from yingji.i18n import N_, gettext
from yingji.oversight import common, stats, trends
from yingji.oversight.models import OvTask
from yingji.oversight.schemas import CountermeasureCreate
from yingji.oversight.views_ledger import writable_units
from yingji.oversight.web import PER_PAGE, Code, Export, PageNo, Pager, Text, YearQ, choice, form_and_file, redirect
from yingji.web.deps import DB, CurrentPrincipal, IdQuery
from yingji.web.templating import render

router = APIRouter(include_in_schema=False)
Key = Annotated[str, Query(max_length=80)]
FINDING_HEADERS = (N_("area"), N_("what"), N_("figure"), N_("last year"), N_("this year"), N_("change"),
                   N_("direction"), N_("finding"), N_("countermeasures"))


def _query(**values: Any) -> str:
    """A query string of the filters that are set (an empty number would not parse)."""
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def _counties(db: DB, principal: Any) -> list[Unit]:
    stmt = scoped(select(Unit), principal).where(Unit.kind.in_(stats.COUNTY_KINDS), Unit.valid_to.is_(None))
    return list(db.scalars(stmt.order_by(Unit.code)))


def _open_tasks(db: DB, principal: Any) -> list[OvTask]:
    if not principal.can(roles.WRITE):
        return []
    stmt = scoped(select(OvTask), principal).where(OvTask.status == "open").order_by(OvTask.deadline, OvTask.id)
    return list(db.scalars(stmt.limit(200)))


@router.get("/trends", response_class=HTMLResponse)
def trends_page(request: Request, db: DB, principal: CurrentPrincipal, year: YearQ = None, county: IdQuery = None,
                direction: Code = "", figure: Code = "", kind: Code = "", page: PageNo = 1,
                export: Export = "") -> Response:
    choice(direction, trends.DIRECTIONS, "direction")
    choice(figure, trends.FIGURE_NOUNS, "figure")
    choice(kind, trends.WHAT_KINDS, "kind")
    year = year or common.today().year - 1
    area = trends.area_of(db, principal, county)
    result = trends.analyse(db, principal, area, year)
    shown = [f for f in result.findings if (not direction or f.direction == direction)
             and (not figure or f.figure == figure) and (not kind or f.what.split(":")[0] == kind)]
    if export == "xlsx":
        measures = trends.countermeasures_for(db, principal, year, [f.key for f in shown])
        data = xlsx.export(FINDING_HEADERS, ([f.where_name, trends.what_label(f.what, result.names),
                                              gettext(trends.FIGURE_NOUNS[f.figure]), f.then, f.now, f.change,
                                              gettext(trends.DIRECTIONS[f.direction]), trends.sentence(f, result.names),
                                              "; ".join(m.text for m in measures.get(f.key, []))] for f in shown),
                           title="trends")
        return _xlsx_response(data, f"trends-{area.id}-{year}.xlsx")
    items = shown[(page - 1) * PER_PAGE: page * PER_PAGE]
    measures = trends.countermeasures_for(db, principal, year, [f.key for f in items])
    may_write = principal.can(roles.WRITE)
    chart = {"months": [str(m) for m in range(1, 13)],
             "series": [{"name": gettext(stats.CATEGORIES[c]), "data": v} for c, v in result.series.items()],
             "previous": {"name": gettext("all, a year before"), "data": result.months_then}}
    context = {
        "a": result, "year": year, "county": county, "counties": _counties(db, principal),
        "result": Pager(items, len(shown), page), "measures": measures,
        "sentence": lambda f: trends.sentence(f, result.names), "what": lambda w: trends.what_label(w, result.names),
        "figures": trends.FIGURE_NOUNS, "directions": trends.DIRECTIONS, "kinds": KIND_LABELS,
        "f": {"direction": direction, "figure": figure, "kind": kind}, "change": stats.change,
        "rules": trends.rules(db) if result.frozen is None else result.rules, "rule_rows": _rule_rows(db),
        "chart": json.dumps(chart, ensure_ascii=False), "may_write": may_write,
        "owners": writable_units(db, principal) if may_write else [], "tasks": _open_tasks(db, principal),
        "may_finalise": may_write and result.frozen is None and year < common.today().year,
        "query": _query(year=year, county=county, direction=direction, figure=figure, kind=kind)}
    return render(request, "oversight/trends.html", context, active="oversight")


KIND_LABELS = {"all": N_("all events"), "cat": N_("category"), "sub": N_("subtype"), "lvl": N_("level")}


def _rule_rows(db: DB) -> list[Any]:
    from yingji.oversight import defaults

    return [defaults.rule(db, key) for key in defaults.TREND_RULES]


@router.post("/trends/countermeasures", response_class=HTMLResponse)
async def countermeasure_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    values, _file = await form_and_file(request)
    back = values.pop("back_county", "")
    row = trends.add_countermeasure(db, principal, parse_form(CountermeasureCreate, values))
    county = int(back) if back.isdigit() and len(back) <= 12 else None
    return redirect(f"/oversight/trends?{_query(year=row.year, county=county)}#m-{row.id}")


@router.post("/trends/finalise", response_class=HTMLResponse)
async def finalise_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    values, _file = await form_and_file(request)
    year, county = str(values.get("year", "")), str(values.get("county", ""))
    if not year.isdigit() or not 2000 <= int(year) <= 2100:
        raise UserError("The year must lie between 2000 and 2100.", field="year")
    if county and (not county.isdigit() or len(county) > 12):
        raise UserError("Choose one of the listed values.", field="county")
    area = trends.area_of(db, principal, int(county) if county else None)
    trends.finalise(db, principal, area, int(year))
    return redirect(f"/oversight/trends?{_query(year=year, county=county)}")


@router.get("/countermeasures", response_class=HTMLResponse)
def countermeasures_page(request: Request, db: DB, principal: CurrentPrincipal, year: YearQ = None,
                         county: IdQuery = None, q: Text = "", page: PageNo = 1, export: Export = "") -> Response:
    filters = {"year": year, "unit_id": county, "q": q}
    if export == "xlsx":
        rows = trends.list_countermeasures(db, principal, page=1, per_page=EVERY_ROW, **filters).items
        names = common.unit_names(db, [r.unit_id for r in rows] + [r.owner_unit_id for r in rows])
        data = xlsx.export((N_("year"), N_("area"), N_("finding"), N_("countermeasure"), N_("owner unit"),
                            N_("ledger task"), N_("recorded by"), N_("recorded at")),
                           ([r.year, names.get(r.unit_id, ""), r.finding_key, r.text, names.get(r.owner_unit_id, ""),
                             r.task_id or "", r.author_name, r.created_at] for r in rows), title="countermeasures")
        return _xlsx_response(data, "countermeasures.xlsx")
    result = trends.list_countermeasures(db, principal, page=page, per_page=PER_PAGE, **filters)
    names = common.unit_names(db, [r.unit_id for r in result.items] + [r.owner_unit_id for r in result.items])
    context = {"result": result, "names": names, "f": filters, "counties": _counties(db, principal),
               "query": _query(year=year, county=county, q=q)}
    return render(request, "oversight/countermeasures.html", context, active="oversight")

"""Pages of annual reports, statistics (tables, charts, XLSX, PDF) and the statistical forms."""

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
from yingji.core.scope import scoped, unit_in_scope
from yingji.core.views import parse_form
from yingji.errors import UserError
from yingji.i18n import N_, gettext
from yingji.oversight import annual, common, defaults, forms, stats
from yingji.oversight.docx import DOCX_TYPE
from yingji.oversight.schemas import FIGURES, AnnualReportFile, StatFormCreate
from yingji.oversight.web import PER_PAGE, Code, Export, PageNo, Pager, YearQ, file_response, form_and_file, redirect
from yingji.web.deps import DB, AppSettings, CurrentPrincipal, IdPath, IdQuery
from yingji.web.templating import render

router = APIRouter(include_in_schema=False)
STATE_LABELS = {"filed_on_time": N_("filed on time"), "filed_late": N_("filed late"), "draft": N_("not filed"),
                "due": N_("not filed"), "overdue": N_("overdue")}
PERIOD_LABELS = {"month": N_("month"), "quarter": N_("quarter"), "year": N_("year")}
FIGURE_LABELS = {"count": N_("events"), "deaths": N_("deaths"), "injured": N_("injured"), "missing": N_("missing"),
                 "loss": N_("direct loss (yuan)")}
PeriodNo = Annotated[int, Query(ge=1, le=12)]


# --- annual reports ----------------------------------------------------------------------------

@router.get("/annual", response_class=HTMLResponse)
def annual_page(request: Request, db: DB, principal: CurrentPrincipal, year: YearQ = None, state: Code = "",
                export: Export = "") -> Response:
    year = year or common.today().year - 1
    rows = annual.status_table(db, principal, year)
    if state:
        rows = [r for r in rows if r.state == state or (state == "not_filed" and not r.state.startswith("filed"))]
    if export == "xlsx":
        data = xlsx.export((N_("unit"), N_("status"), N_("filed at"), N_("filed by")),
                           ([r.unit.name, gettext(STATE_LABELS[r.state]), r.report.filed_at if r.report else None,
                             r.report.filed_by_name if r.report else ""] for r in rows), title="annual")
        return _xlsx_response(data, f"annual-reports-{year}.xlsx")
    mine = [r for r in rows if not r.state.startswith("filed")] if principal.can(roles.REPORT) else []
    context = {"year": year, "rows": rows, "labels": STATE_LABELS, "state": state,
               "due": annual.due_day(db, year), "rule": defaults.rule(db, defaults.ANNUAL_DUE_DAY),
               "may_file": mine, "overdue": [r for r in rows if r.state == "overdue"]}
    return render(request, "oversight/annual.html", context, active="oversight")


@router.post("/annual", response_class=HTMLResponse)
async def file_annual_form(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings) -> Response:
    values, upload = await form_and_file(request)
    data = parse_form(AnnualReportFile, values)
    attachment_id = None
    if upload is not None:
        from yingji.core import attachments

        unit_in_scope(db, principal, data.unit_id, roles.REPORT)
        attachment_id = attachments.store(db, principal, settings, stream=upload.file, filename=upload.filename,
                                          unit_id=data.unit_id, entity_type="oversight_annual_report").id
    row = annual.file(db, principal, data, attachment_id)
    return redirect(f"/oversight/annual/{row.id}")


@router.get("/annual/draft", response_class=HTMLResponse)
def annual_draft(db: DB, principal: CurrentPrincipal, year: YearQ = None) -> Response:
    year = year or common.today().year - 1
    return file_response(annual.compiled_draft(db, principal, year), DOCX_TYPE, f"annual-report-{year}-draft.docx")


@router.get("/annual/{annual_report_id}", response_class=HTMLResponse)
def annual_report_page(request: Request, db: DB, principal: CurrentPrincipal, annual_report_id: IdPath) -> Response:
    row = annual.get(db, principal, annual_report_id)
    state = "filed_on_time" if row.on_time else ("filed_late" if row.status == "filed" else "draft")
    return render(request, "oversight/annual_report.html", {"r": row, "unit": db.get_one(Unit, row.unit_id),
                                                            "state": state, "labels": STATE_LABELS},
                  active="oversight")


# --- statistics ------------------------------------------------------------------------------

def _counties(db: DB, principal: Any) -> list[Unit]:
    stmt = scoped(select(Unit), principal).where(Unit.kind.in_(stats.COUNTY_KINDS), Unit.valid_to.is_(None))
    return list(db.scalars(stmt.order_by(Unit.code)))


def _stat_rows(t: stats.Table) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for code, label in stats.CATEGORIES.items():
        f = t.by_category.get(code, stats.Figures())
        rows.append([gettext(label), gettext(stats.OWNERS[code]), *f.as_dict().values()])
    rows.append([gettext("total"), "", *t.total.as_dict().values()])
    for level, roman in stats.LEVELS.items():
        f = t.by_level.get(level, stats.Figures())
        rows.append([gettext("level %(level)s") % {"level": roman}, "", *f.as_dict().values()])
    if None in t.by_level:
        rows.append([gettext("level not set"), "", *t.by_level[None].as_dict().values()])
    for county, f in sorted(t.by_county.items(), key=lambda i: t.counties.get(i[0], "")):
        rows.append([t.counties.get(county, ""), gettext("county"), *f.as_dict().values()])
    return rows


def _title(t: stats.Table, where: str) -> str:
    period = {"month": gettext("%(year)s, month %(n)s"), "quarter": gettext("%(year)s, quarter %(n)s"),
              "year": gettext("year %(year)s")}[t.period] % {"year": t.year, "n": t.period_no}
    return gettext("Events in %(where)s, %(period)s") % {"where": where, "period": period}


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, db: DB, principal: CurrentPrincipal, year: YearQ = None, period: Code = "quarter",
               period_no: PeriodNo | None = None, county: IdQuery = None, export: Export = "") -> Response:
    if period not in stats.PERIODS:
        raise UserError("The period is month, quarter or year.", field="period")
    today = common.today()
    year = year or today.year
    period_no = period_no or {"month": today.month, "quarter": (today.month - 1) // 3 + 1, "year": 1}[period]
    within = unit_in_scope(db, principal, county) if county else None
    table = stats.table(db, principal, year=year, period=period, period_no=period_no, within=within)
    where = within.name if within else gettext("your area")
    headers = (N_("category / level / county"), N_("owning department"), *[FIGURE_LABELS[f] for f in FIGURES])
    if export in ("xlsx", "pdf"):
        rows = _stat_rows(table)
        name = f"statistics-{year}-{period}-{period_no}"
        if export == "xlsx":
            return _xlsx_response(xlsx.export(headers, rows, title="statistics"), f"{name}.xlsx")
        from yingji.duty.report import _pdf

        text = gettext("Same period a year before: %(n)s events.") % {"n": table.previous.count}
        pdf = _pdf(_title(table, where), text, headers, rows, [110, 70, 55, 50, 50, 50, 90])
        return file_response(pdf, "application/pdf", f"{name}.pdf")
    chart = {"months": [f"{m}" for m in range(1, 13)],
             "series": [{"name": gettext(stats.CATEGORIES[c]), "data": v} for c, v in table.series.items()],
             "previous": {"name": gettext("all, a year before"), "data": table.series_prev}}
    context = {"t": table, "rows": _stat_rows(table), "headers": headers, "title": _title(table, where),
               "year": year, "period": period, "period_no": period_no, "county": county,
               "counties": _counties(db, principal), "periods": PERIOD_LABELS, "change": stats.change,
               "chart": json.dumps(chart, ensure_ascii=False), "owner_source": stats.OWNER_SOURCE,
               "query": f"year={year}&period={period}&period_no={period_no}&county={county or ''}"}
    return render(request, "oversight/stats.html", context, active="oversight")


# --- statistical forms -------------------------------------------------------------------------

@router.get("/forms", response_class=HTMLResponse)
def forms_page(request: Request, db: DB, principal: CurrentPrincipal, year: YearQ = None, category: Code = "",
               page: PageNo = 1, export: Export = "") -> Response:
    if category and category not in stats.CATEGORIES:
        raise UserError("Choose one of the listed values.", field="category")
    if export == "xlsx":
        every = list(db.scalars(xlsx.bounded(forms.forms_query(principal, year=year, category=category))))
        every_name = common.unit_names(db, [r.unit_id for r in every])
        data = xlsx.export((N_("unit"), N_("category"), N_("year"), N_("period"), N_("no."),
                            *[FIGURE_LABELS[f] for f in FIGURES]),
                           ([every_name.get(r.unit_id, ""), gettext(stats.CATEGORIES[r.category]), r.year,
                             gettext(PERIOD_LABELS[r.period]), r.period_no, *[r.totals.get(f, 0) for f in FIGURES]]
                            for r in every), title="forms")
        return _xlsx_response(data, "statistical-forms.xlsx")
    rows, total = forms.page_forms(db, principal, year=year, category=category, page=page, per_page=PER_PAGE)
    names = common.unit_names(db, [r.unit_id for r in rows])
    units = [] if not principal.can(roles.WRITE) else list(db.scalars(
        scoped(select(Unit), principal).where(Unit.kind.in_(("department", "county", "prefecture")),
                                              Unit.valid_to.is_(None)).order_by(Unit.path).limit(300)))
    context = {"rows": rows, "names": names, "year": year, "category": category, "categories": stats.CATEGORIES,
               "owners": stats.OWNERS, "periods": PERIOD_LABELS, "figures": FIGURE_LABELS, "units": units,
               "this_year": common.today().year, "result": Pager(rows, total, page),
               "query": urlencode({"year": year or "", "category": category})}
    return render(request, "oversight/forms.html", context, active="oversight")


def _form_values(values: dict[str, Any]) -> dict[str, Any]:
    """Fields named like ``l1_count`` become the rows; ``total_count`` the declared totals."""
    rows = []
    for level in range(1, 5):
        cells = {f: values.get(f"l{level}_{f}", "") for f in FIGURES}
        if any(str(v).strip() for v in cells.values()):
            rows.append({"level": level, **{f: (v if str(v).strip() else "0") for f, v in cells.items()}})
    totals = {f: values[f"total_{f}"] for f in FIGURES if str(values.get(f"total_{f}", "")).strip()}
    keep: dict[str, Any] = {k: values[k] for k in ("unit_id", "category", "year", "period", "period_no") if k in values}
    return {**keep, "rows": rows, "totals": totals}


@router.post("/forms", response_class=HTMLResponse)
async def create_form_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    values, _file = await form_and_file(request)
    row = forms.create(db, principal, parse_form(StatFormCreate, _form_values(values)))
    return redirect(f"/oversight/forms/{row.id}")


@router.get("/forms/{form_id}", response_class=HTMLResponse)
def form_page(request: Request, db: DB, principal: CurrentPrincipal, form_id: IdPath) -> Response:
    row = forms.get(db, principal, form_id)
    return render(request, "oversight/form.html", {"r": row, "unit": db.get_one(Unit, row.unit_id),
                                                   "categories": stats.CATEGORIES, "periods": PERIOD_LABELS,
                                                   "figures": FIGURE_LABELS, "levels": stats.LEVELS},
                  active="oversight")

"""Pages of the oversight module. /oversight is the leader's page; the other areas have their own modules
(task ledger, annual reports and statistics, projects and funding), included here; the assessment and
the rules are below."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from yingji.core import roles, xlsx
from yingji.core.api import _xlsx_response
from yingji.core.models import Unit
from yingji.core.schemas import MAX_ID
from yingji.core.views import parse_form
from yingji.errors import UserError
from yingji.i18n import N_, gettext
from yingji.oversight import assessment, common, defaults, leader, stats
from yingji.oversight.models import OvIndicator, OvRule
from yingji.oversight.schemas import ScoreSet, WeightSet
from yingji.oversight.views_ledger import router as ledger_router
from yingji.oversight.views_money import router as money_router
from yingji.oversight.views_reports import router as reports_router
from yingji.oversight.views_trends import router as trends_router
from yingji.oversight.web import PER_PAGE, Export, PageNo, Pager, Text, YearQ, form_and_file, redirect
from yingji.web.deps import DB, CurrentPrincipal
from yingji.web.templating import render

router = APIRouter(prefix="/oversight", include_in_schema=False)
GRADE_LABELS = {"excellent": N_("excellent"), "pass": N_("pass"), "fail": N_("fail")}
UnitPath = Annotated[int, Path(ge=1, le=MAX_ID)]
STATUS_LABELS = {"compliant": N_("compliant"), "at_risk": N_("at risk"), "failing": N_("failing")}


@router.get("", response_class=HTMLResponse)
def leader_page(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    panels = leader.dashboard(db, principal)
    return render(request, "oversight/index.html", {
        "p": panels, "categories": stats.CATEGORIES, "change": stats.change, "grades": GRADE_LABELS,
        "statuses": STATUS_LABELS, "month": common.today().strftime("%Y-%m"), "tr": gettext}, active="oversight")


# --- assessment ------------------------------------------------------------------------------

def _year(year: int | None) -> int:
    return year or common.today().year - 1


KIND_LABELS = {"county": N_("county"), "department": N_("department")}  # the units that are assessed


@router.get("/assessment", response_class=HTMLResponse)
def assessment_page(request: Request, db: DB, principal: CurrentPrincipal, year: YearQ = None,
                    kind: Annotated[str, Query(pattern="^(|county|department)$")] = "",
                    grade: Annotated[str, Query(pattern="^(|excellent|pass|fail)$")] = "", q: Text = "",
                    page: PageNo = 1, export: Export = "") -> Response:
    year = _year(year)
    rows = assessment.ranking(db, principal, year)  # ranked over the whole area; the filter keeps the ranks
    if kind:
        kinds = dict(db.execute(select(Unit.id, Unit.kind).where(Unit.id.in_([r["unit_id"] for r in rows]))).all())
        rows = [r for r in rows if kinds.get(r["unit_id"]) == kind]
    if grade:
        rows = [r for r in rows if r["grade"] == grade]
    if q.strip():
        rows = [r for r in rows if q.strip().casefold() in str(r["unit_name"]).casefold()]
    if export == "xlsx":
        data = xlsx.export((N_("rank"), N_("unit"), N_("score"), N_("grade"), N_("veto")),
                           ([r["rank"], r["unit_name"], r["score"], gettext(GRADE_LABELS[str(r["grade"])]),
                             gettext("yes") if r["vetoed"] else ""] for r in rows), title="assessment")
        return _xlsx_response(data, f"assessment-{year}.xlsx")
    frozen = assessment.finalised(db, year)
    shown = rows[(page - 1) * PER_PAGE:page * PER_PAGE]
    params = {"year": year, "kind": kind, "grade": grade, "q": q}
    return render(request, "oversight/assessment.html", {
        "year": year, "rows": shown, "grades": GRADE_LABELS, "frozen": frozen, "kinds": KIND_LABELS,
        "params": params, "query": urlencode(params), "result": Pager(shown, len(rows), page),
        "may_finalise": principal.can(roles.ASSESS) and frozen is None and year < common.today().year},
        active="oversight")


@router.post("/assessment/finalise", response_class=HTMLResponse)
async def finalise_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    values, _file = await form_and_file(request)
    try:
        year = int(values.get("year", ""))
    except ValueError as exc:
        raise UserError("A year is expected here.", field="year") from exc
    if not 2000 <= year <= 2100:
        raise UserError("The year must lie between 2000 and 2100.", field="year")
    assessment.finalise(db, principal, year)
    return redirect(f"/oversight/assessment?year={year}")


@router.get("/assessment/units/{ov_unit_id}", response_class=HTMLResponse)
def scorecard_page(request: Request, db: DB, principal: CurrentPrincipal, ov_unit_id: UnitPath, year: YearQ = None,
                   export: Export = "") -> Response:
    card = assessment.scorecard(db, principal, ov_unit_id, _year(year))
    if export == "xlsx":
        data = xlsx.export((N_("dimension"), N_("indicator"), N_("found"), N_("points available"), N_("earned"),
                            N_("lost"), N_("records")),
                           ([gettext(assessment.DIMENSION_LABELS[ln.indicator.dimension]), gettext(ln.indicator.name),
                             gettext(ln.measured.detail), ln.share, ln.earned, ln.lost,
                             "; ".join(r.label for r in ln.measured.records)] for ln in card.lines),
                           title="scorecard")
        return _xlsx_response(data, f"scorecard-{card.unit.id}-{card.year}.xlsx")
    manual = [ln.indicator for ln in card.lines if ln.indicator.method == "manual"]
    return render(request, "oversight/scorecard.html", {
        "c": card, "dims": assessment.DIMENSION_LABELS, "grades": GRADE_LABELS, "manual": manual,
        "may_score": principal.can(roles.ASSESS) and not card.finalised, "tr": gettext}, active="oversight")


@router.post("/scores", response_class=HTMLResponse)
async def score_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    values, _file = await form_and_file(request)
    data = parse_form(ScoreSet, values)
    assessment.set_score(db, principal, data)
    return redirect(f"/oversight/assessment/units/{data.unit_id}?year={data.year}")


@router.get("/assessment/framework", response_class=HTMLResponse)
def framework_page(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    return render(request, "oversight/framework.html", {
        "indicators": assessment.indicators(db), "weights": assessment.weights(db), "dims": assessment.DIMENSION_LABELS,
        "dimensions": defaults.DIMENSIONS, "kinds": ("county", "department", "township"),
        "can_edit": principal.can(roles.EDIT_RULES), "tr": gettext}, active="oversight")


@router.post("/assessment/weights", response_class=HTMLResponse)
async def weights_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    values, _file = await form_and_file(request)
    weights: dict[str, Any] = {d: values[f"w_{d}"] for d in defaults.DIMENSIONS if f"w_{d}" in values}
    assessment.set_weights(db, principal, parse_form(WeightSet, {"unit_kind": values.get("unit_kind", ""),
                                                                 "weights": weights}))
    return redirect("/oversight/assessment/framework")


# --- rules -----------------------------------------------------------------------------------

@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    rules = list(db.scalars(select(OvRule).order_by(OvRule.id)))
    if not rules:
        rules = [OvRule(**r) for r in defaults.RULES]
    return render(request, "oversight/rules.html", {
        "rules": rules, "indicators": list(db.scalars(select(OvIndicator).order_by(OvIndicator.id))),
        "owner_source": stats.OWNER_SOURCE, "owners": stats.OWNERS, "categories": stats.CATEGORIES},
        active="oversight")


router.include_router(ledger_router, prefix="")
router.include_router(reports_router, prefix="")
router.include_router(money_router, prefix="")
router.include_router(trends_router, prefix="")

"""JSON API of the oversight module. Thin: parse, call a service, return."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from yingji.core.api import json_response
from yingji.core.schemas import Id, Page
from yingji.core.scope import unit_in_scope
from yingji.oversight import annual, assessment, forms, ledger, planning, stats, trends
from yingji.oversight.schemas import (
    AnnualReportFile,
    AnnualReportRead,
    BudgetLineCreate,
    BudgetLineRead,
    CountermeasureCreate,
    CountermeasureRead,
    MilestoneCreate,
    MilestoneRead,
    ProgressCreate,
    ProgressRead,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
    ScoreSet,
    SpendingCreate,
    StatFormCreate,
    StatFormRead,
    TaskClose,
    TaskCreate,
    TaskRead,
    WeightSet,
)
from yingji.web.deps import DB, CurrentPrincipal, IdPath, IdQuery

router = APIRouter(prefix="/oversight", tags=["oversight"])
PageNo = Annotated[int, Query(ge=1, le=100000)]
PerPage = Annotated[int, Query(ge=1, le=500)]
Text = Annotated[str, Query(max_length=100)]
Code = Annotated[str, Query(max_length=16)]
Year = Annotated[int, Query(ge=2000, le=2100)]


class ProgressIn(ProgressCreate):
    attachment_id: Id | None = None


class CloseIn(TaskClose):
    attachment_id: Id | None = None


class AnnualIn(AnnualReportFile):
    attachment_id: Id | None = None


class FiguresOut(BaseModel):
    count: int
    deaths: int
    injured: int
    missing: int
    loss: int


class StatsOut(BaseModel):
    year: int
    period: str
    period_no: int
    source: bool
    total: FiguresOut
    previous: FiguresOut
    by_category: dict[str, FiguresOut]
    by_level: dict[str, FiguresOut]
    by_county: dict[str, FiguresOut]
    counties: dict[str, str]


@router.get("/tasks", response_model=Page[TaskRead])
def list_tasks(db: DB, principal: CurrentPrincipal, q: Text = "", status: Code = "", source_kind: Code = "",
               unit_id: IdQuery = None, page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(ledger.list_tasks(db, principal, q=q, status=status, source_kind=source_kind,
                                           unit_id=unit_id, page=page, per_page=per_page))


@router.post("/tasks", response_model=TaskRead, status_code=201)
def create_task(db: DB, principal: CurrentPrincipal, data: TaskCreate) -> Any:
    return ledger.create_task(db, principal, data)


@router.get("/tasks/{ledger_task_id}", response_model=TaskRead)
def get_task(db: DB, principal: CurrentPrincipal, ledger_task_id: IdPath) -> Any:
    return ledger.get_task(db, principal, ledger_task_id)


@router.get("/tasks/{ledger_task_id}/milestones", response_model=list[MilestoneRead])
def list_milestones(db: DB, principal: CurrentPrincipal, ledger_task_id: IdPath) -> Any:
    return ledger.milestones(db, principal, ledger_task_id)


@router.post("/tasks/{ledger_task_id}/milestones", response_model=MilestoneRead, status_code=201)
def add_milestone(db: DB, principal: CurrentPrincipal, ledger_task_id: IdPath, data: MilestoneCreate) -> Any:
    return ledger.add_milestone(db, principal, ledger_task_id, data)


@router.post("/milestones/{milestone_id}/done", response_model=MilestoneRead)
def milestone_done(db: DB, principal: CurrentPrincipal, milestone_id: IdPath) -> Any:
    return ledger.complete_milestone(db, principal, milestone_id)


@router.get("/tasks/{ledger_task_id}/progress", response_model=list[ProgressRead])
def list_progress(db: DB, principal: CurrentPrincipal, ledger_task_id: IdPath) -> Any:
    return ledger.progress(db, principal, ledger_task_id)


@router.post("/tasks/{ledger_task_id}/progress", response_model=ProgressRead, status_code=201)
def add_progress(db: DB, principal: CurrentPrincipal, ledger_task_id: IdPath, data: ProgressIn) -> Any:
    return ledger.add_progress(db, principal, ledger_task_id, data, data.attachment_id)


@router.post("/tasks/{ledger_task_id}/close", response_model=TaskRead)
def close_task(db: DB, principal: CurrentPrincipal, ledger_task_id: IdPath, data: CloseIn) -> Any:
    return ledger.close_task(db, principal, ledger_task_id, data, data.attachment_id)


@router.get("/annual", response_model=list[dict[str, Any]])
def annual_status(db: DB, principal: CurrentPrincipal, year: Year) -> Any:
    return [{"unit_id": s.unit.id, "unit_name": s.unit.name, "state": s.state,
             "report_id": s.report.id if s.report else None}
            for s in annual.status_table(db, principal, year)]


@router.post("/annual", response_model=AnnualReportRead, status_code=201)
def file_annual(db: DB, principal: CurrentPrincipal, data: AnnualIn) -> Any:
    return annual.file(db, principal, data, data.attachment_id)


@router.get("/annual/{annual_report_id}", response_model=AnnualReportRead)
def get_annual(db: DB, principal: CurrentPrincipal, annual_report_id: IdPath) -> Any:
    return annual.get(db, principal, annual_report_id)


@router.get("/projects", response_model=Page[ProjectRead])
def list_projects(db: DB, principal: CurrentPrincipal, q: Text = "", status: Code = "", unit_id: IdQuery = None,
                  page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(planning.list_projects(db, principal, q=q, status=status, unit_id=unit_id, page=page,
                                                per_page=per_page))


@router.post("/projects", response_model=ProjectRead, status_code=201)
def create_project(db: DB, principal: CurrentPrincipal, data: ProjectCreate) -> Any:
    return planning.create_project(db, principal, data)


@router.get("/projects/{project_id}", response_model=ProjectRead)
def get_project(db: DB, principal: CurrentPrincipal, project_id: IdPath) -> Any:
    return planning.get_project(db, principal, project_id)


@router.patch("/projects/{project_id}", response_model=ProjectRead)
def update_project(db: DB, principal: CurrentPrincipal, project_id: IdPath, data: ProjectUpdate) -> Any:
    return planning.update_project(db, principal, project_id, data)


@router.get("/budget-lines", response_model=Page[BudgetLineRead])
def list_lines(db: DB, principal: CurrentPrincipal, year: Year | None = None, kind: Code = "",
               unit_id: IdQuery = None, page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(planning.budget_rows(db, principal, year=year, kind=kind, unit_id=unit_id, page=page,
                                              per_page=per_page))


@router.post("/budget-lines", response_model=BudgetLineRead, status_code=201)
def create_line(db: DB, principal: CurrentPrincipal, data: BudgetLineCreate) -> Any:
    line = planning.create_line(db, principal, data)
    unit = unit_in_scope(db, principal, line.unit_id)
    return BudgetLineRead(id=line.id, unit_id=line.unit_id, unit_name=unit.name, year=line.year, kind=line.kind,
                          planned_fen=line.planned_fen, spent_fen=0)


@router.post("/budget-lines/{budget_line_id}/spending", status_code=201)
def add_spending(db: DB, principal: CurrentPrincipal, budget_line_id: IdPath, data: SpendingCreate) -> Any:
    row = planning.add_spending(db, principal, budget_line_id, data)
    return {"id": row.id, "line_id": row.line_id, "amount_fen": row.amount_fen,
            "spent_fen": planning.spent_total(db, budget_line_id)}


@router.get("/stats", response_model=StatsOut)
def get_stats(db: DB, principal: CurrentPrincipal, year: Year, period: Code = "year", period_no: int = 1,
              county_id: IdQuery = None) -> Any:
    within = unit_in_scope(db, principal, county_id) if county_id else None
    t = stats.table(db, principal, year=year, period=period, period_no=period_no, within=within)
    return StatsOut(year=t.year, period=t.period, period_no=t.period_no, source=t.source,
                    total=FiguresOut(**t.total.as_dict()), previous=FiguresOut(**t.previous.as_dict()),
                    by_category={k: FiguresOut(**v.as_dict()) for k, v in t.by_category.items()},
                    by_level={str(k): FiguresOut(**v.as_dict()) for k, v in t.by_level.items()},
                    by_county={str(k): FiguresOut(**v.as_dict()) for k, v in t.by_county.items()},
                    counties={str(k): v for k, v in t.counties.items()})


@router.get("/forms", response_model=list[StatFormRead])
def list_forms(db: DB, principal: CurrentPrincipal, year: Year | None = None, category: Code = "",
               page: Annotated[int, Query(ge=1, le=100000)] = 1,
               per_page: Annotated[int, Query(ge=1, le=500)] = 500) -> Any:
    """One page of the filtered forms; the header ``X-Total-Count`` holds how many there are in all."""
    items, total = forms.page_forms(db, principal, year=year, category=category, page=page, per_page=per_page)
    return JSONResponse([StatFormRead.model_validate(f).model_dump(mode="json") for f in items],
                        headers={"X-Total-Count": str(total)})


@router.post("/forms", response_model=StatFormRead, status_code=201)
def create_form(db: DB, principal: CurrentPrincipal, data: StatFormCreate) -> Any:
    return forms.create(db, principal, data)


@router.get("/forms/{form_id}", response_model=StatFormRead)
def get_form(db: DB, principal: CurrentPrincipal, form_id: IdPath) -> Any:
    return forms.get(db, principal, form_id)


@router.get("/assessment", response_model=list[dict[str, Any]])
def get_ranking(db: DB, principal: CurrentPrincipal, year: Year) -> Any:
    return assessment.ranking(db, principal, year)


@router.get("/assessment/units/{ov_unit_id}")
def get_scorecard(db: DB, principal: CurrentPrincipal, ov_unit_id: IdPath, year: Year) -> Any:
    card = assessment.scorecard(db, principal, ov_unit_id, year)
    return {"unit_id": card.unit.id, "year": card.year, "score": card.score, "grade": card.grade,
            "vetoed": card.vetoed, "finalised": card.finalised,
            "dimensions": {d: {"weight": w, "earned": e, "applies": a} for d, (w, e, a) in card.dimensions.items()},
            "lines": [{"indicator": ln.indicator.code, "ratio": ln.measured.ratio, "detail": ln.measured.detail,
                       "share": ln.share, "earned": ln.earned, "lost": ln.lost,
                       "records": [{"label": r.label, "href": r.href} for r in ln.measured.records]}
                      for ln in card.lines]}


@router.put("/scores")
def set_score(db: DB, principal: CurrentPrincipal, data: ScoreSet) -> Any:
    row = assessment.set_score(db, principal, data)
    return {"id": row.id, "unit_id": row.unit_id, "year": row.year, "indicator_id": row.indicator_id,
            "percent": row.percent}


@router.put("/weights")
def set_weights(db: DB, principal: CurrentPrincipal, data: WeightSet) -> Any:
    return {"unit_kind": data.unit_kind, "weights": assessment.set_weights(db, principal, data)}


@router.post("/assessment/finalise", status_code=201)
def finalise(db: DB, principal: CurrentPrincipal, year: Year) -> Any:
    row = assessment.finalise(db, principal, year)
    return {"year": row.year, "finalised_at": row.finalised_at, "units": len(row.results)}


class FindingOut(BaseModel):
    key: str
    where_id: int
    where_name: str
    what: str
    figure: str
    then: int
    now: int
    direction: str
    change: str
    text: str
    countermeasures: list[CountermeasureRead]


class TrendsOut(BaseModel):
    area_id: int
    area_name: str
    year: int
    source: bool
    finalised_at: Any = None
    changed_since_finalised: bool
    rules: dict[str, int]
    months: list[int]
    months_before: list[int]
    findings: list[FindingOut]


@router.get("/trends", response_model=TrendsOut)
def get_trends(db: DB, principal: CurrentPrincipal, year: Year, county_id: IdQuery = None) -> Any:
    result = trends.analyse(db, principal, trends.area_of(db, principal, county_id), year)
    measures = trends.countermeasures_for(db, principal, year, [f.key for f in result.findings])
    return TrendsOut(area_id=result.area.id, area_name=result.area.name, year=year, source=result.source,
                     finalised_at=result.frozen.finalised_at if result.frozen else None,
                     changed_since_finalised=result.drift, rules=result.rules, months=result.months_now,
                     months_before=result.months_then,
                     findings=[FindingOut(**f.as_dict(), direction=f.direction, change=f.change,  # type: ignore[arg-type]
                                          text=trends.sentence(f, result.names),
                                          countermeasures=[CountermeasureRead.model_validate(m)
                                                           for m in measures.get(f.key, [])])
                               for f in result.findings])


@router.post("/trends/finalise", status_code=201)
def finalise_trends(db: DB, principal: CurrentPrincipal, year: Year, county_id: IdQuery = None) -> Any:
    row = trends.finalise(db, principal, trends.area_of(db, principal, county_id), year)
    return {"area_id": row.unit_id, "year": row.year, "findings": len(row.findings), "finalised_at": row.finalised_at}


@router.get("/countermeasures", response_model=Page[CountermeasureRead])
def list_countermeasures(db: DB, principal: CurrentPrincipal, year: Year | None = None, unit_id: IdQuery = None,
                         q: Text = "", page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(trends.list_countermeasures(db, principal, year=year, unit_id=unit_id, q=q, page=page,
                                                     per_page=per_page))


@router.post("/countermeasures", response_model=CountermeasureRead, status_code=201)
def add_countermeasure(db: DB, principal: CurrentPrincipal, data: CountermeasureCreate) -> Any:
    return trends.add_countermeasure(db, principal, data)


@router.get("/countermeasures/{countermeasure_id}", response_model=CountermeasureRead)
def get_countermeasure(db: DB, principal: CurrentPrincipal, countermeasure_id: IdPath) -> Any:
    return trends.get_countermeasure(db, principal, countermeasure_id)

"""JSON API of preparedness. Thin: parse, call a service, return."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from yingji.core.api import json_response
from yingji.core.schemas import Page
from yingji.preparedness import defaults, drills, experts, plans, service, sites, training
from yingji.preparedness.schemas import (
    ComplianceRead,
    DrillCreate,
    DrillRead,
    ExpertCreate,
    ExpertRead,
    FilingCreate,
    FilingDecision,
    FilingRead,
    ImprovementClose,
    ImprovementCreate,
    ImprovementRead,
    LinkageCreate,
    LinkageMemberCreate,
    LinkageRead,
    PlanCreate,
    PlanRead,
    PlanRevise,
    PlanStatus,
    PublicityCreate,
    PublicityDone,
    PublicityRead,
    ResultRead,
    RuleRead,
    RuleUpdate,
    SiteAccredit,
    SiteAssessment,
    SiteCreate,
    SiteItemRead,
    SiteItemUpdate,
    SiteRead,
    TrainingCreate,
    TrainingRead,
)
from yingji.web.deps import DB, CurrentPrincipal, IdPath, IdQuery

router = APIRouter(prefix="/preparedness", tags=["preparedness"])
PageNo = Annotated[int, Query(ge=1, le=100000)]
PerPage = Annotated[int, Query(ge=1, le=500)]
Text = Annotated[str, Query(max_length=100)]
Code = Annotated[str, Query(max_length=64)]
Year = Annotated[int | None, Query(ge=2000, le=2100)]


# --- plans ---------------------------------------------------------------------------------------

@router.get("/plans", response_model=Page[PlanRead])
def list_plans(db: DB, principal: CurrentPrincipal, q: Text = "", plan_type: Code = "", status: Code = "",
               area: IdQuery = None, page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(plans.list_plans(db, principal, q=q, plan_type=plan_type, status=status, within=area,
                                          page=page, per_page=per_page))


@router.post("/plans", response_model=PlanRead, status_code=201)
def create_plan(db: DB, principal: CurrentPrincipal, data: PlanCreate) -> Any:
    return plans.create_plan(db, principal, data)


@router.get("/plans/{plan_id}", response_model=PlanRead)
def get_plan(db: DB, principal: CurrentPrincipal, plan_id: IdPath) -> Any:
    return plans.get_plan(db, principal, plan_id)


@router.post("/plans/{plan_id}/status", response_model=PlanRead)
def set_status(db: DB, principal: CurrentPrincipal, plan_id: IdPath, data: PlanStatus) -> Any:
    return plans.set_status(db, principal, plan_id, data)


@router.post("/plans/{plan_id}/revise", response_model=PlanRead, status_code=201)
def revise(db: DB, principal: CurrentPrincipal, plan_id: IdPath, data: PlanRevise) -> Any:
    return plans.revise(db, principal, plan_id, data)


@router.get("/plans/{plan_id}/filings", response_model=list[FilingRead])
def list_filings(db: DB, principal: CurrentPrincipal, plan_id: IdPath) -> Any:
    return plans.filings(db, principal, plan_id)


@router.post("/plans/{plan_id}/filings", response_model=FilingRead, status_code=201)
def file_plan(db: DB, principal: CurrentPrincipal, plan_id: IdPath, data: FilingCreate) -> Any:
    return plans.file_plan(db, principal, plan_id, data)


@router.post("/filings/{filing_id}/decision", response_model=FilingRead)
def decide_filing(db: DB, principal: CurrentPrincipal, filing_id: IdPath, data: FilingDecision) -> Any:
    return plans.decide_filing(db, principal, filing_id, data)


# --- linkage -------------------------------------------------------------------------------------

@router.post("/linkage", response_model=LinkageRead, status_code=201)
def create_linkage(db: DB, principal: CurrentPrincipal, data: LinkageCreate) -> Any:
    return plans.create_linkage(db, principal, data)


@router.get("/linkage")
def linkage_table(db: DB, principal: CurrentPrincipal, event_type: Code = "") -> Any:
    return [{"id": r.linkage.id, "unit_id": r.linkage.unit_id, "event_type": r.linkage.event_type,
             "lead": r.lead, "lead_duties": r.linkage.lead_duties,
             "members": [{"role": role, "unit": name, "duties": duties} for role, name, duties in r.members]}
            for r in plans.linkage_table(db, principal, event_type=event_type)]


@router.post("/linkage/{linkage_id}/members", status_code=201)
def add_linkage_member(db: DB, principal: CurrentPrincipal, linkage_id: IdPath, data: LinkageMemberCreate) -> Any:
    item = plans.add_linkage_member(db, principal, linkage_id, data)
    return {"id": item.id, "linkage_id": item.linkage_id, "member_unit_id": item.member_unit_id, "role": item.role}


# --- drills --------------------------------------------------------------------------------------

@router.get("/drills", response_model=Page[DrillRead])
def list_drills(db: DB, principal: CurrentPrincipal, q: Text = "", scope: Code = "", area: IdQuery = None,
                start: date | None = None, end: date | None = None, page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(drills.list_drills(db, principal, q=q, scope=scope, within=area, start=start, end=end,
                                            page=page, per_page=per_page))


@router.post("/drills", response_model=DrillRead, status_code=201)
def create_drill(db: DB, principal: CurrentPrincipal, data: DrillCreate) -> Any:
    return drills.create_drill(db, principal, data)


@router.get("/drills/{drill_id}", response_model=DrillRead)
def get_drill(db: DB, principal: CurrentPrincipal, drill_id: IdPath) -> Any:
    return drills.get_drill(db, principal, drill_id)


@router.get("/drills/{drill_id}/items", response_model=list[ImprovementRead])
def list_items(db: DB, principal: CurrentPrincipal, drill_id: IdPath) -> Any:
    drills.get_drill(db, principal, drill_id)
    return drills.items(db, principal, drill_id=drill_id)


@router.post("/drills/{drill_id}/items", response_model=ImprovementRead, status_code=201)
def add_item(db: DB, principal: CurrentPrincipal, drill_id: IdPath, data: ImprovementCreate) -> Any:
    return drills.add_item(db, principal, drill_id, data)


@router.post("/items/{item_id}/close", response_model=ImprovementRead)
def close_item(db: DB, principal: CurrentPrincipal, item_id: IdPath, data: ImprovementClose) -> Any:
    return drills.close_item(db, principal, item_id, data)


# --- compliance ----------------------------------------------------------------------------------

@router.get("/compliance", response_model=ComplianceRead)
def compliance_list(db: DB, principal: CurrentPrincipal, on: date | None = None, year: Year = None,
                    area: IdQuery = None, kind: Code = "", rule: Code = "", status: Code = "", page: PageNo = 1,
                    per_page: PerPage = 100) -> Any:
    f = service.filters(on=on, year=year, area_id=area, kind=kind, rule=rule, status=status)
    evaluation = service.evaluate(db, principal, f)
    window = evaluation.results[(page - 1) * per_page: page * per_page]
    items = [ResultRead(unit_id=r.unit_id, unit_code=r.unit_code, unit_name=r.unit_name, unit_kind=r.unit_kind,
                        rule=r.rule.code, rule_label=r.rule.label, source=r.rule.source, period=r.period_key,
                        value=r.value, threshold=r.rule.threshold, expected=r.expected, status=r.status)
             for r in window]
    return json_response(ComplianceRead(on=f.on, year=f.year, counts=evaluation.counts(), items=items,
                                        total=len(evaluation.results), page=page, per_page=per_page))


@router.get("/compliance/records")
def compliance_records(db: DB, principal: CurrentPrincipal, unit: Annotated[int, Query(ge=1, le=2**31 - 1)],
                       rule: Code, on: date | None = None, year: Year = None) -> Any:
    f = service.filters(on=on, year=year)
    found, rule_, records, result = service.records_for(db, principal, unit_id=unit, rule_code=rule, on=f.on,
                                                        year=f.year)
    return {"unit_id": found.id, "rule": rule_.code, "source": rule_.source,
            "status": result.status if result else None, "reason": service.reason(result) if result else "",
            "records": [{"kind": r.kind, "id": r.id, "title": r.title, "on": r.on, "link": r.link} for r in records]}


@router.get("/rules", response_model=list[RuleRead])
def list_rules(db: DB, principal: CurrentPrincipal) -> Any:
    principal.require("read")
    return [r for r in defaults.rows(db) if r.id is not None]


@router.patch("/rules/{prep_rule_id}", response_model=RuleRead)
def update_rule(db: DB, principal: CurrentPrincipal, prep_rule_id: IdPath, data: RuleUpdate) -> Any:
    return defaults.update_rule(db, principal, prep_rule_id, threshold=data.threshold, param=data.param,
                                source=data.source, active=data.active)


# --- training, publicity, experts ----------------------------------------------------------------

@router.get("/training", response_model=Page[TrainingRead])
def list_training(db: DB, principal: CurrentPrincipal, q: Text = "", audience: Code = "", year: Year = None,
                  page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(training.list_training(db, principal, q=q, audience=audience, year=year, page=page,
                                                per_page=per_page))


@router.post("/training", response_model=TrainingRead, status_code=201)
def create_training(db: DB, principal: CurrentPrincipal, data: TrainingCreate) -> Any:
    return training.create_training(db, principal, data)


@router.get("/training/{training_id}", response_model=TrainingRead)
def get_training(db: DB, principal: CurrentPrincipal, training_id: IdPath) -> Any:
    return training.get_training(db, principal, training_id)


@router.post("/publicity", response_model=PublicityRead, status_code=201)
def create_publicity(db: DB, principal: CurrentPrincipal, data: PublicityCreate) -> Any:
    return training.create_publicity(db, principal, data)


@router.post("/publicity/{publicity_id}/done", response_model=PublicityRead)
def publicity_done(db: DB, principal: CurrentPrincipal, publicity_id: IdPath, data: PublicityDone) -> Any:
    return training.mark_done(db, principal, publicity_id, data)


@router.get("/experts", response_model=Page[ExpertRead])
def search_experts(db: DB, principal: CurrentPrincipal, field: Code = "", q: Text = "", available: bool = False,
                   page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(experts.search(db, principal, field=field, q=q, available_only=available, page=page,
                                        per_page=per_page))


@router.post("/experts", response_model=ExpertRead, status_code=201)
def create_expert(db: DB, principal: CurrentPrincipal, data: ExpertCreate) -> Any:
    return experts.create(db, principal, data)


@router.get("/experts/{expert_id}", response_model=ExpertRead)
def get_expert(db: DB, principal: CurrentPrincipal, expert_id: IdPath) -> Any:
    return experts.get(db, principal, expert_id)


# --- demonstration sites -------------------------------------------------------------------------

@router.get("/sites", response_model=Page[SiteRead])
def list_sites(db: DB, principal: CurrentPrincipal, q: Text = "", category: Code = "", page: PageNo = 1,
               per_page: PerPage = 50) -> Any:
    return json_response(sites.list_(db, principal, q=q, category=category, page=page, per_page=per_page))


@router.post("/sites", response_model=SiteRead, status_code=201)
def create_site(db: DB, principal: CurrentPrincipal, data: SiteCreate) -> Any:
    return sites.create(db, principal, data)


@router.get("/sites/{site_id}", response_model=SiteRead)
def get_site(db: DB, principal: CurrentPrincipal, site_id: IdPath) -> Any:
    return sites.get(db, principal, site_id)


@router.get("/sites/{site_id}/items", response_model=list[SiteItemRead])
def site_items(db: DB, principal: CurrentPrincipal, site_id: IdPath) -> Any:
    return sites.items(db, principal, site_id)


@router.post("/site-items/{site_item_id}", response_model=SiteItemRead)
def update_site_item(db: DB, principal: CurrentPrincipal, site_item_id: IdPath, data: SiteItemUpdate) -> Any:
    return sites.update_item(db, principal, site_item_id, data)


@router.post("/sites/{site_id}/assessment", response_model=SiteRead)
def assess_site(db: DB, principal: CurrentPrincipal, site_id: IdPath, data: SiteAssessment) -> Any:
    return sites.assess(db, principal, site_id, data)


@router.post("/sites/{site_id}/accredit", response_model=SiteRead)
def accredit_site(db: DB, principal: CurrentPrincipal, site_id: IdPath, data: SiteAccredit) -> Any:
    return sites.accredit(db, principal, site_id, data)

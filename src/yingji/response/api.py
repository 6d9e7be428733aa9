"""JSON API of first response and public information (/api/response/…). Thin: parse, call a service, return."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile

from yingji.core.api import json_response
from yingji.core.schemas import Page
from yingji.core.service import paginate
from yingji.errors import NotFound
from yingji.response import defaults, evaluation, publicinfo, timeline, tips
from yingji.response.schemas import (
    ActionCreate,
    ActionRead,
    DueRead,
    EvaluationRead,
    EvaluationWrite,
    OpinionCreate,
    OpinionRead,
    OpinionRebut,
    RuleRead,
    RuleUpdate,
    StatementCreate,
    StatementRead,
    StatementUpdate,
    TipDismiss,
    TipMerge,
    TipRead,
    TipVerify,
)
from yingji.web.deps import DB, AppSettings, CurrentPrincipal, IdPath, IdQuery

router = APIRouter(prefix="/response", tags=["response"])
PageNo = Annotated[int, Query(ge=1, le=100000)]
PerPage = Annotated[int, Query(ge=1, le=500)]
Text = Annotated[str, Query(max_length=100)]
Choice = Annotated[str, Query(max_length=16)]


# --- the first-response timeline -----------------------------------------------------------------

@router.get("/events/{event_id}/actions", response_model=list[ActionRead])
def list_actions(db: DB, principal: CurrentPrincipal, event_id: IdPath, kind: Choice = "") -> Any:
    return timeline.items(db, principal, event_id, kind)


@router.post("/events/{event_id}/actions", response_model=ActionRead, status_code=201)
def add_action(db: DB, principal: CurrentPrincipal, event_id: IdPath, data: ActionCreate) -> Any:
    return timeline.add(db, principal, event_id, data)


@router.get("/actions/{action_id}", response_model=ActionRead)
def get_action(db: DB, principal: CurrentPrincipal, action_id: IdPath) -> Any:
    return timeline.get_item(db, principal, action_id)


# --- tips from the public, as the duty desk sees them ----------------------------------------------

@router.get("/tips", response_model=Page[TipRead])
def list_tips(db: DB, principal: CurrentPrincipal, status: Choice = "", unit_id: IdQuery = None, q: Text = "",
              page: PageNo = 1, per_page: PerPage = 50) -> Any:
    stmt = tips.list_stmt(principal, status=status, unit_id=unit_id, q=q)
    return json_response(paginate(db, stmt, TipRead, page=page, per_page=per_page))


@router.get("/tips/{tip_id}", response_model=TipRead)
def get_tip(db: DB, principal: CurrentPrincipal, tip_id: IdPath) -> Any:
    return tips.get(db, principal, tip_id)


@router.post("/tips/{tip_id}/verify", response_model=TipRead)
def verify_tip(db: DB, principal: CurrentPrincipal, tip_id: IdPath, data: TipVerify) -> Any:
    return tips.verify(db, principal, tip_id, data)


@router.post("/tips/{tip_id}/merge", response_model=TipRead)
def merge_tip(db: DB, principal: CurrentPrincipal, tip_id: IdPath, data: TipMerge) -> Any:
    return tips.merge(db, principal, tip_id, data.event_id)


@router.post("/tips/{tip_id}/dismiss", response_model=TipRead)
def dismiss_tip(db: DB, principal: CurrentPrincipal, tip_id: IdPath, data: TipDismiss) -> Any:
    return tips.dismiss(db, principal, tip_id, data.reason)


# --- statements and the opinion log ----------------------------------------------------------------

@router.get("/events/{event_id}/statements", response_model=list[StatementRead])
def list_statements(db: DB, principal: CurrentPrincipal, event_id: IdPath) -> Any:
    return publicinfo.statements(db, principal, event_id)


@router.post("/events/{event_id}/statements", response_model=StatementRead, status_code=201)
def draft_statement(db: DB, principal: CurrentPrincipal, event_id: IdPath, data: StatementCreate) -> Any:
    return publicinfo.draft(db, principal, event_id, data)


@router.get("/statements/{statement_id}", response_model=StatementRead)
def get_statement(db: DB, principal: CurrentPrincipal, statement_id: IdPath) -> Any:
    return publicinfo.get_statement(db, principal, statement_id)


@router.patch("/statements/{statement_id}", response_model=StatementRead)
def update_statement(db: DB, principal: CurrentPrincipal, statement_id: IdPath, data: StatementUpdate) -> Any:
    return publicinfo.update(db, principal, statement_id, data)


@router.post("/statements/{statement_id}/approve", response_model=StatementRead)
def approve_statement(db: DB, principal: CurrentPrincipal, statement_id: IdPath) -> Any:
    return publicinfo.approve(db, principal, statement_id)


@router.post("/statements/{statement_id}/publish", response_model=StatementRead)
def publish_statement(db: DB, principal: CurrentPrincipal, statement_id: IdPath) -> Any:
    return publicinfo.publish(db, principal, statement_id)


@router.get("/events/{event_id}/opinions", response_model=list[OpinionRead])
def list_opinions(db: DB, principal: CurrentPrincipal, event_id: IdPath, assessment: Choice = "") -> Any:
    return publicinfo.opinions(db, principal, event_id, assessment)


@router.post("/events/{event_id}/opinions", response_model=OpinionRead, status_code=201)
def log_opinion(db: DB, principal: CurrentPrincipal, event_id: IdPath, data: OpinionCreate) -> Any:
    return publicinfo.log_opinion(db, principal, event_id, data)


@router.get("/opinions/{opinion_id}", response_model=OpinionRead)
def get_opinion(db: DB, principal: CurrentPrincipal, opinion_id: IdPath) -> Any:
    return publicinfo.get_opinion(db, principal, opinion_id)


@router.post("/opinions/{opinion_id}/rebuttal", response_model=OpinionRead)
def rebut_opinion(db: DB, principal: CurrentPrincipal, opinion_id: IdPath, data: OpinionRebut) -> Any:
    return publicinfo.rebut(db, principal, opinion_id, data.statement_id)


# --- evaluation reports ----------------------------------------------------------------------------

@router.get("/evaluations", response_model=Page[DueRead])
def list_evaluations(db: DB, principal: CurrentPrincipal, state: Choice = "", unit_id: IdQuery = None,
                     q: Text = "", page: PageNo = 1, per_page: PerPage = 50) -> Any:
    rows = evaluation.due_list(db, principal, state_filter=state, unit_id=unit_id, q=q)
    window = rows[(page - 1) * per_page: page * per_page]
    return json_response(Page(items=window, total=len(rows), page=page, per_page=per_page))


@router.get("/evaluations/{evaluation_id}", response_model=EvaluationRead)
def get_evaluation(db: DB, principal: CurrentPrincipal, evaluation_id: IdPath) -> Any:
    return evaluation.get(db, principal, evaluation_id)


@router.get("/events/{event_id}/evaluation", response_model=EvaluationRead)
def event_evaluation(db: DB, principal: CurrentPrincipal, event_id: IdPath) -> Any:
    found = evaluation.for_event(db, principal, event_id)
    if found is None:
        raise NotFound("No evaluation report has been written for this event yet.")
    return found


@router.put("/events/{event_id}/evaluation", response_model=EvaluationRead)
def write_evaluation(db: DB, principal: CurrentPrincipal, event_id: IdPath, data: EvaluationWrite) -> Any:
    return evaluation.write(db, principal, event_id, data)


@router.post("/events/{event_id}/evaluation/file", response_model=EvaluationRead)
def upload_evaluation(db: DB, principal: CurrentPrincipal, settings: AppSettings, event_id: IdPath,
                      file: Annotated[UploadFile, File()], submit: Annotated[bool, Form()] = False) -> Any:
    return evaluation.upload(db, principal, settings, event_id, stream=file.file, filename=file.filename or "",
                             submit=submit)


# --- rules -----------------------------------------------------------------------------------------

@router.get("/rules", response_model=list[RuleRead])
def list_rules(db: DB, principal: CurrentPrincipal) -> Any:
    return defaults.list_rules(db, principal)


@router.patch("/rules/{response_rule_id}", response_model=RuleRead)
def update_rule(db: DB, principal: CurrentPrincipal, response_rule_id: IdPath, data: RuleUpdate) -> Any:
    return defaults.update_rule(db, principal, response_rule_id, data.value, data.source)

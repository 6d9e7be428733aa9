"""JSON API of the duty module. Thin: parse, call a service, return."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from yingji.core import auth, roles
from yingji.core.api import json_response
from yingji.core.schemas import Page
from yingji.core.scope import Principal
from yingji.duty import defaults, feeds, log, rollcall, service
from yingji.duty.models import DutyRule
from yingji.duty.schemas import (
    Bulletin,
    DeskCreate,
    DeskRead,
    DispatchRead,
    FeedTokenCreated,
    FillRequest,
    FillResult,
    Gap,
    HandoverCreate,
    HandoverRead,
    LogEntryCreate,
    LogEntryRead,
    MemberCreate,
    MemberRead,
    MonthlyRow,
    OnDuty,
    RollCallCreate,
    RollCallRead,
    RuleRead,
    RuleUpdate,
    ShiftAssign,
    ShiftCreate,
    ShiftOfficerAdd,
    ShiftOfficerRead,
    ShiftRead,
    SwapCreate,
    SwapRead,
)
from yingji.errors import NotAuthenticated, UserError
from yingji.web.deps import DB, CurrentPrincipal, IdPath, IdQuery, optional_principal

router = APIRouter(prefix="/duty", tags=["duty"])
PageNo = Annotated[int, Query(ge=1, le=100000)]
PerPage = Annotated[int, Query(ge=1, le=500)]
Text = Annotated[str, Query(max_length=100)]


@router.get("/desks", response_model=Page[DeskRead])
def list_desks(db: DB, principal: CurrentPrincipal, q: Text = "", page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(service.list_desks(db, principal, q=q, page=page, per_page=per_page))


@router.post("/desks", response_model=DeskRead, status_code=201)
def create_desk(db: DB, principal: CurrentPrincipal, data: DeskCreate) -> Any:
    return service.create_desk(db, principal, data)


@router.get("/desks/{desk_id}", response_model=DeskRead)
def get_desk(db: DB, principal: CurrentPrincipal, desk_id: IdPath) -> Any:
    return service.get_desk(db, principal, desk_id)


@router.get("/desks/{desk_id}/members", response_model=list[MemberRead])
def list_members(db: DB, principal: CurrentPrincipal, desk_id: IdPath) -> Any:
    return [m for m, _u in service.members(db, principal, desk_id)]


@router.post("/desks/{desk_id}/members", response_model=MemberRead, status_code=201)
def add_member(db: DB, principal: CurrentPrincipal, desk_id: IdPath, data: MemberCreate) -> Any:
    return service.add_member(db, principal, desk_id, data)


@router.delete("/members/{member_id}", status_code=204)
def remove_member(db: DB, principal: CurrentPrincipal, member_id: IdPath) -> Response:
    service.remove_member(db, principal, member_id)
    return Response(status_code=204)


@router.get("/desks/{desk_id}/shifts", response_model=list[ShiftRead])
def list_shifts(db: DB, principal: CurrentPrincipal, desk_id: IdPath, start: date | None = None,
                end: date | None = None) -> Any:
    zone = service.local_zone()
    first = start or datetime.now(zone).date()
    last = end or first + timedelta(days=31)
    if last < first or (last - first).days > 366:
        raise UserError("The range must end on or after its start and span at most %(n)s days.", field="end", n=366)
    return service.list_shifts(db, principal, desk_id, service.at_local(first, 0, zone),
                               service.at_local(last + timedelta(days=1), 0, zone))


@router.post("/desks/{desk_id}/shifts", response_model=ShiftRead, status_code=201)
def create_shift(db: DB, principal: CurrentPrincipal, desk_id: IdPath, data: ShiftCreate) -> Any:
    return service.create_shift(db, principal, desk_id, data)


@router.post("/desks/{desk_id}/fill", response_model=FillResult)
def fill(db: DB, principal: CurrentPrincipal, desk_id: IdPath, data: FillRequest) -> Any:
    return service.fill_rotation(db, principal, desk_id, data)


@router.get("/shifts/{shift_id}", response_model=ShiftRead)
def get_shift(db: DB, principal: CurrentPrincipal, shift_id: IdPath) -> Any:
    return service.get_shift(db, principal, shift_id)


@router.patch("/shifts/{shift_id}", response_model=ShiftRead)
def assign_shift(db: DB, principal: CurrentPrincipal, shift_id: IdPath, data: ShiftAssign) -> Any:
    return service.assign_shift(db, principal, shift_id, data)


@router.delete("/shifts/{shift_id}", status_code=204)
def delete_shift(db: DB, principal: CurrentPrincipal, shift_id: IdPath) -> Response:
    service.delete_shift(db, principal, shift_id)
    return Response(status_code=204)


@router.post("/shifts/{shift_id}/sign-on", response_model=ShiftRead)
def sign_on(db: DB, principal: CurrentPrincipal, shift_id: IdPath) -> Any:
    return service.sign_on(db, principal, shift_id)


@router.get("/shifts/{shift_id}/log", response_model=list[LogEntryRead])
def list_log(db: DB, principal: CurrentPrincipal, shift_id: IdPath,
             kind: Annotated[str, Query(max_length=16)] = "") -> Any:
    return log.entries(db, principal, shift_id, kind)


@router.post("/shifts/{shift_id}/log", response_model=LogEntryRead, status_code=201)
def add_log_entry(db: DB, principal: CurrentPrincipal, shift_id: IdPath, data: LogEntryCreate) -> Any:
    return log.add_entry(db, principal, shift_id, data)


@router.get("/log-entries/{entry_id}", response_model=LogEntryRead)
def get_log_entry(db: DB, principal: CurrentPrincipal, entry_id: IdPath) -> Any:
    return log.get_entry(db, principal, entry_id)


@router.get("/shifts/{shift_id}/handover", response_model=HandoverRead)
def get_handover(db: DB, principal: CurrentPrincipal, shift_id: IdPath) -> Any:
    return log.get_handover(db, principal, shift_id)


@router.post("/shifts/{shift_id}/handover", response_model=HandoverRead, status_code=201)
def propose_handover(db: DB, principal: CurrentPrincipal, shift_id: IdPath, data: HandoverCreate) -> Any:
    return log.propose(db, principal, shift_id, data)


@router.post("/handovers/{handover_id}/accept", response_model=HandoverRead)
def accept_handover(db: DB, principal: CurrentPrincipal, handover_id: IdPath) -> Any:
    return log.accept(db, principal, handover_id)


@router.post("/swaps", response_model=SwapRead, status_code=201)
def request_swap(db: DB, principal: CurrentPrincipal, data: SwapCreate) -> Any:
    return service.request_swap(db, principal, data)


@router.get("/desks/{desk_id}/swaps", response_model=list[SwapRead])
def list_swaps(db: DB, principal: CurrentPrincipal, desk_id: IdPath,
               status: Annotated[str, Query(max_length=16)] = "") -> Any:
    return service.list_swaps(db, principal, desk_id, status)


@router.post("/swaps/{swap_id}/approve", response_model=SwapRead)
def approve_swap(db: DB, principal: CurrentPrincipal, swap_id: IdPath) -> Any:
    return service.decide_swap(db, principal, swap_id, approve=True)


@router.post("/swaps/{swap_id}/reject", response_model=SwapRead)
def reject_swap(db: DB, principal: CurrentPrincipal, swap_id: IdPath) -> Any:
    return service.decide_swap(db, principal, swap_id, approve=False)


@router.get("/now", response_model=list[OnDuty])
def on_duty_now(db: DB, principal: CurrentPrincipal, q: Text = "") -> Any:
    return service.on_duty_now(db, principal, q=q)


@router.get("/gaps", response_model=Page[Gap])
def list_gaps(db: DB, principal: CurrentPrincipal, desk_id: IdQuery = None, page: PageNo = 1,
              per_page: PerPage = 50) -> Any:
    items, total = service.gaps(db, principal, desk_id=desk_id, page=page, per_page=per_page)
    return Page(items=items, total=total, page=page, per_page=per_page)


@router.get("/roll-calls", response_model=Page[RollCallRead])
def list_roll_calls(db: DB, principal: CurrentPrincipal, page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return rollcall.list_(db, principal, page=page, per_page=per_page)


@router.post("/roll-calls", response_model=RollCallRead, status_code=201)
def create_roll_call(db: DB, principal: CurrentPrincipal, data: RollCallCreate) -> Any:
    return rollcall.create(db, principal, data)


@router.get("/roll-calls/{roll_call_id}", response_model=Bulletin)
def get_bulletin(db: DB, principal: CurrentPrincipal, roll_call_id: IdPath,
                 status: Annotated[str, Query(max_length=16)] = "") -> Any:
    return rollcall.bulletin(db, principal, roll_call_id, status_filter=status)


@router.get("/monthly", response_model=list[MonthlyRow])
def monthly_table(db: DB, principal: CurrentPrincipal, month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")]) -> Any:
    year, mon = int(month[:4]), int(month[5:])
    if not (2000 <= year <= 2100 and 1 <= mon <= 12):
        raise UserError("A month (YYYY-MM) is expected here.", field="month")
    return rollcall.monthly(db, principal, year, mon)


@router.post("/roll-calls/{roll_call_id}/close", response_model=RollCallRead)
def close_roll_call(db: DB, principal: CurrentPrincipal, roll_call_id: IdPath) -> Any:
    return rollcall.close(db, principal, roll_call_id)


@router.post("/roll-call-targets/{target_id}/answer")
def answer_roll_call(db: DB, principal: CurrentPrincipal, target_id: IdPath) -> dict[str, Any]:
    target = rollcall.answer(db, principal, target_id)
    return {"id": target.id, "answered_at": target.answered_at.isoformat() if target.answered_at else None}


@router.get("/rules", response_model=list[RuleRead])
def list_rules(db: DB, principal: CurrentPrincipal) -> Any:
    principal.require(roles.READ)
    return list(db.scalars(select(DutyRule).order_by(DutyRule.id)))


@router.patch("/rules/{rule_id}", response_model=RuleRead)
def update_rule(db: DB, principal: CurrentPrincipal, rule_id: IdPath, data: RuleUpdate) -> Any:
    return defaults.update_rule(db, principal, rule_id, data.value, data.source)


@router.post("/feed-token", response_model=FeedTokenCreated, status_code=201)
def create_feed_token(db: DB, principal: CurrentPrincipal) -> Any:
    return FeedTokenCreated(token=feeds.create_token(db, principal))


# --- calendar feeds: a calendar program sends the feed token; a signed-in person needs none --------

feed_router = APIRouter(prefix="/duty/feeds", tags=["duty"])


def feed_principal(request: Request, token: Annotated[str, Query(max_length=200)] = "") -> Principal:
    principal = optional_principal(request)
    if principal is not None:
        return principal
    found = feeds.user_for_token(request.state.db, token)
    if found is None:
        raise NotAuthenticated("The feed link is not valid; create a new one on the calendar page.")
    user, unit = found
    return auth.principal_for(user, unit, via="feed", request_id=request.state.request_id)


FeedPrincipal = Annotated[Principal, Depends(feed_principal)]
CALENDAR_TYPE = "text/calendar; charset=utf-8"


@feed_router.get("/me.ics", response_class=Response)
def my_feed(db: DB, principal: FeedPrincipal) -> Response:
    return Response(feeds.person_feed(db, principal), media_type=CALENDAR_TYPE)


@feed_router.get("/desks/{desk_id}.ics", response_class=Response)
def desk_feed(db: DB, principal: FeedPrincipal, desk_id: IdPath) -> Response:
    return Response(feeds.desk_feed(db, principal, desk_id), media_type=CALENDAR_TYPE)


# --- routing: what reached the desk --------------------------------------------------------

@router.get("/dispatches", response_model=Page[DispatchRead])
def list_dispatches(db: DB, principal: CurrentPrincipal, status: Annotated[str, Query(max_length=16)] = "",
                    kind: Annotated[str, Query(max_length=32)] = "", mine: bool = False, page: PageNo = 1,
                    per_page: PerPage = 50) -> Any:
    from yingji.core.service import paginate
    from yingji.duty import routing
    from yingji.duty.models import DutyDispatch

    stmt = routing.list_statement(principal, status=status, kind=kind, mine=mine)
    return json_response(paginate(db, stmt.with_only_columns(DutyDispatch), DispatchRead, page=page,
                                  per_page=per_page))


@router.post("/dispatches/{dispatch_id}/ack", response_model=DispatchRead)
def acknowledge_dispatch(db: DB, principal: CurrentPrincipal, dispatch_id: IdPath) -> Any:
    from yingji.duty import routing

    return routing.acknowledge(db, principal, dispatch_id)


@router.post("/shifts/{shift_id}/officers", response_model=ShiftOfficerRead, status_code=201)
def add_shift_officer(db: DB, principal: CurrentPrincipal, shift_id: IdPath, data: ShiftOfficerAdd) -> Any:
    return service.add_officer(db, principal, shift_id, data.user_id)


@router.delete("/shift-officers/{shift_officer_id}", status_code=204)
def remove_shift_officer(db: DB, principal: CurrentPrincipal, shift_officer_id: IdPath) -> Response:
    service.remove_officer(db, principal, shift_officer_id)
    return Response(status_code=204)

"""Pages of the duty module: who is on duty now, desks and their month view, gaps, roll calls and
bulletins, answering a roll call, calendar feeds, and the duty rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from yingji.core import roles, xlsx
from yingji.core.api import _xlsx_response
from yingji.core.models import Unit, User
from yingji.core.scope import in_subtree, scoped
from yingji.core.service import EVERY_ROW, MAX_PER_PAGE
from yingji.core.views import _form, parse_form
from yingji.duty import feeds, log, report, rollcall, service
from yingji.duty.models import DutyDesk, DutyRule
from yingji.duty.schemas import (
    DeskCreate,
    FillRequest,
    HandoverCreate,
    LogEntryCreate,
    MemberCreate,
    RollCallCreate,
    ShiftAssign,
    SwapCreate,
)
from yingji.errors import UserError
from yingji.i18n import N_, gettext
from yingji.web.deps import DB, AppSettings, CurrentPrincipal, IdPath, IdQuery, day_range
from yingji.web.templating import render

router = APIRouter(prefix="/duty", include_in_schema=False)
PageNo = Annotated[int, Query(ge=1, le=100000)]
Text = Annotated[str, Query(max_length=100)]
Export = Annotated[str, Query(max_length=8)]
PER_PAGE = 50
PATTERN_LABELS = {"24h": N_("One 24-hour shift"), "day_night": N_("Day and night shifts")}
KIND_LABELS = {"24h": N_("24 h"), "day": N_("day"), "night": N_("night"), "custom": N_("shift")}
ROLE_LABELS = {"officer": N_("duty officer"), "leader": N_("leader on duty")}
SWAP_LABELS = {"pending": N_("waiting"), "approved": N_("approved"), "rejected": N_("refused")}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


class _Pager:
    def __init__(self, items: list[Any], total: int, page: int, per_page: int = PER_PAGE) -> None:
        self.items, self.total, self.page, self.per_page = items, total, page, per_page


def _local(settings: Any) -> Any:
    from yingji import i18n

    return lambda value: i18n.format_local(value, settings.tz)


# --- overview: who is on duty now ----------------------------------------------------------

@router.get("", response_class=HTMLResponse)
def overview(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings, q: Text = "",
             page: PageNo = 1, export: Export = "") -> Response:
    rows = service.on_duty_now(db, principal, q=q)
    local = _local(settings)
    if export == "xlsx":
        data = xlsx.export((N_("unit"), N_("duty desk"), N_("desk phone"), N_("duty officer"), N_("officer phone"),
                            N_("leader on duty"), N_("shift from"), N_("shift until"), N_("signed on")),
                           ([r.unit_name, r.desk_name, r.phone, r.officer, r.officer_phone, r.leader,
                             local(r.starts_at), local(r.ends_at), local(r.signed_on_at)] for r in rows),
                           title="on-duty")
        return _xlsx_response(data, "on-duty-now.xlsx")
    window = rows[(page - 1) * PER_PAGE: page * PER_PAGE]
    return render(request, "duty/index.html", {"result": _Pager(window, len(rows), page), "q": q,
                                               "uncovered": sum(1 for r in rows if not r.officer)}, active="duty")


# --- desks ---------------------------------------------------------------------------------

@router.get("/desks", response_class=HTMLResponse)
def desks_page(request: Request, db: DB, principal: CurrentPrincipal, q: Text = "", page: PageNo = 1,
               export: Export = "") -> Response:
    if export == "xlsx":
        result = service.list_desks(db, principal, q=q, page=1, per_page=EVERY_ROW)
        names = _unit_names(db, [d.unit_id for d in result.items])
        heads = service.user_names(db, [d.head_id for d in result.items])
        data = xlsx.export((N_("unit"), N_("duty desk"), N_("phone"), N_("head of desk"), N_("pattern")),
                           ([names.get(d.unit_id, ""), d.name, d.phone, heads.get(d.head_id or 0, ""),
                             gettext(PATTERN_LABELS[d.pattern])] for d in result.items), title="desks")
        return _xlsx_response(data, "duty-desks.xlsx")
    result = service.list_desks(db, principal, q=q, page=page, per_page=PER_PAGE)
    context = {"result": result, "q": q, "units": _unit_names(db, [d.unit_id for d in result.items]),
               "heads": service.user_names(db, [d.head_id for d in result.items]), "patterns": PATTERN_LABELS,
               "can_write": principal.can(roles.WRITE), "candidates": _units_without_desk(db, principal)}
    return render(request, "duty/desks.html", context, active="duty")


def _unit_names(db: DB, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.execute(select(Unit.id, Unit.name).where(Unit.id.in_(set(ids)))).all())


def _units_without_desk(db: DB, principal: Any) -> list[Unit]:
    if not principal.can(roles.WRITE):
        return []
    taken = select(DutyDesk.unit_id)
    stmt = scoped(select(Unit), principal).where(Unit.kind.in_(service.DESK_UNIT_KINDS), Unit.id.not_in(taken),
                                                 Unit.valid_to.is_(None))
    return list(db.scalars(stmt.order_by(Unit.path).limit(300)))


@router.post("/desks", response_class=HTMLResponse)
async def create_desk_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    desk = service.create_desk(db, principal, parse_form(DeskCreate, await _form(request)))
    return _redirect(f"/duty/desks/{desk.id}")


def _month(month: str) -> tuple[int, int]:
    today = datetime.now(service.local_zone()).date()
    if not month:
        return today.year, today.month
    try:
        parsed = datetime.strptime(month, "%Y-%m")
    except ValueError as exc:
        raise UserError("A month (YYYY-MM) is expected here.", field="month") from exc
    if not 2000 <= parsed.year <= 2100:
        raise UserError("A month (YYYY-MM) is expected here.", field="month")
    return parsed.year, parsed.month


@router.get("/desks/{desk_id}", response_class=HTMLResponse)
def desk_page(request: Request, db: DB, principal: CurrentPrincipal, desk_id: IdPath,
              month: Annotated[str, Query(max_length=7)] = "") -> HTMLResponse:
    desk = service.get_desk(db, principal, desk_id)
    year, mon = _month(month)
    days, grid = service.month_grid(db, principal, desk_id, year, mon)
    member_rows = service.members(db, principal, desk_id)
    shifts = [s for day in grid.values() for s in day]
    swaps = service.list_swaps(db, principal, desk_id)
    names = service.user_names(db, [i for s in shifts for i in (s.officer_id, s.leader_id)]
                               + [desk.head_id] + [i for w in swaps for i in (w.requested_by_id, w.with_user_id)])
    current = service.current_shift(db, desk.id)
    prev_month = date(year - (mon == 1), (mon - 2) % 12 + 1, 1).strftime("%Y-%m")
    next_month = date(year + (mon == 12), mon % 12 + 1, 1).strftime("%Y-%m")
    context = {
        "desk": desk, "unit": db.get_one(Unit, desk.unit_id), "members": member_rows, "days": days, "grid": grid,
        "names": names, "month": f"{year:04d}-{mon:02d}", "prev_month": prev_month, "next_month": next_month,
        "swaps": swaps, "swap_labels": SWAP_LABELS, "kinds": KIND_LABELS, "roles": ROLE_LABELS,
        "patterns": PATTERN_LABELS, "current": current, "me": principal.user_id,
        "can_write": principal.can(roles.WRITE), "is_head": desk.head_id == principal.user_id,
        "candidates": _member_candidates(db, desk.unit_id) if principal.can(roles.WRITE) else [],
        "officers": [u for m, u in member_rows if m.role == "officer"],
        "leaders": [u for m, u in member_rows if m.role == "leader"],
        "calls": rollcall.open_targets(db, principal, desk_id),
        "may_answer": rollcall.may_answer(db, principal, desk),
    }
    return render(request, "duty/desk.html", context, active="duty")


def _member_candidates(db: DB, unit_id: int) -> list[User]:
    unit = db.get_one(Unit, unit_id)
    stmt = (select(User).join(Unit, Unit.id == User.unit_id)
            .where(in_subtree(Unit.path, unit.path), User.is_active.is_(True)).order_by(User.username).limit(300))
    return list(db.scalars(stmt))


@router.post("/desks/{desk_id}/members", response_class=HTMLResponse)
async def add_member_form(request: Request, db: DB, principal: CurrentPrincipal, desk_id: IdPath) -> Response:
    service.add_member(db, principal, desk_id, parse_form(MemberCreate, await _form(request)))
    return _redirect(f"/duty/desks/{desk_id}")


@router.post("/members/{member_id}/remove", response_class=HTMLResponse)
def remove_member_form(db: DB, principal: CurrentPrincipal, member_id: IdPath) -> Response:
    from yingji.core.scope import get_scoped
    from yingji.duty.models import DutyMember

    desk_id = get_scoped(db, principal, DutyMember, member_id).desk_id
    service.remove_member(db, principal, member_id)
    return _redirect(f"/duty/desks/{desk_id}")


@router.post("/desks/{desk_id}/fill", response_class=HTMLResponse)
async def fill_form(request: Request, db: DB, principal: CurrentPrincipal, desk_id: IdPath) -> Response:
    form = await request.form()
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str) and k in ("start", "end")}
    values["officer_ids"] = [v for v in form.getlist("officer_ids") if isinstance(v, str) and v]
    values["leader_ids"] = [v for v in form.getlist("leader_ids") if isinstance(v, str) and v]
    data = parse_form(FillRequest, values)
    service.fill_rotation(db, principal, desk_id, data)
    return _redirect(f"/duty/desks/{desk_id}?month={data.start.strftime('%Y-%m')}")


@router.post("/shifts/{shift_id}/assign", response_class=HTMLResponse)
async def assign_form(request: Request, db: DB, principal: CurrentPrincipal, shift_id: IdPath) -> Response:
    form = await _form(request)
    values: dict[str, Any] = {}
    for key in ("officer_id", "leader_id"):
        if key in form:
            if form[key] and not form[key].isdigit():
                raise UserError("A whole number is expected here.", field=key)
            values[key] = int(form[key]) if form[key] and len(form[key]) < 11 else None
    data = parse_form(ShiftAssign, {k: v for k, v in values.items() if v is not None})
    for key, value in values.items():
        if value is None:
            setattr(data, key, None)
    shift = service.assign_shift(db, principal, shift_id, data)
    return _redirect(f"/duty/desks/{shift.desk_id}?month={shift.local_date.strftime('%Y-%m')}")


@router.post("/shifts/{shift_id}/sign-on", response_class=HTMLResponse)
def sign_on_form(db: DB, principal: CurrentPrincipal, shift_id: IdPath) -> Response:
    shift = service.sign_on(db, principal, shift_id)
    return _redirect(f"/duty/desks/{shift.desk_id}")


@router.post("/swaps", response_class=HTMLResponse)
async def swap_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    swap = service.request_swap(db, principal, parse_form(SwapCreate, await _form(request)))
    return _redirect(f"/duty/desks/{swap.desk_id}")


@router.post("/swaps/{swap_id}/approve", response_class=HTMLResponse)
def approve_form(db: DB, principal: CurrentPrincipal, swap_id: IdPath) -> Response:
    swap = service.decide_swap(db, principal, swap_id, approve=True)
    return _redirect(f"/duty/desks/{swap.desk_id}")


@router.post("/swaps/{swap_id}/reject", response_class=HTMLResponse)
def reject_form(db: DB, principal: CurrentPrincipal, swap_id: IdPath) -> Response:
    swap = service.decide_swap(db, principal, swap_id, approve=False)
    return _redirect(f"/duty/desks/{swap.desk_id}")


# --- a shift: its duty log and its handover --------------------------------------------------

LOG_KIND_LABELS = {"call_in": N_("call received"), "call_out": N_("call made"),
                   "instruction_in": N_("instruction received"), "instruction_out": N_("instruction passed on"),
                   "event": N_("event"), "follow_up": N_("follow-up"), "other": N_("other")}


@router.get("/shifts/{shift_id}", response_class=HTMLResponse)
def shift_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings, shift_id: IdPath,
               kind: Annotated[str, Query(max_length=16)] = "", export: Export = "") -> Response:
    shift = service.get_shift(db, principal, shift_id)
    if kind and kind not in LOG_KIND_LABELS:
        raise UserError("Unknown kind of entry.", field="kind")
    rows = log.entries(db, principal, shift_id, kind)
    units = _unit_names(db, [e.related_unit_id for e in rows if e.related_unit_id])
    local = _local(settings)
    if export == "xlsx":
        data = xlsx.export((N_("no."), N_("time"), N_("kind"), N_("text"), N_("related unit"), N_("unfinished"),
                            N_("corrects no."), N_("carried from no."), N_("written by"), N_("written at")),
                           ([e.id, local(e.at), gettext(LOG_KIND_LABELS[e.kind]), e.text,
                             units.get(e.related_unit_id or 0, ""), e.unfinished, e.corrects_id,
                             e.carried_from_id, e.author_name, local(e.created_at)] for e in rows),
                           title="duty-log")
        return _xlsx_response(data, f"duty-log-{shift_id}.xlsx")
    desk = db.get_one(DutyDesk, shift.desk_id)
    handover, incoming = log.handover_of(db, shift.id), log.handover_into(db, shift.id)
    following, before = log.next_shift(db, shift), log.previous_shift(db, shift)
    names = service.user_names(db, [shift.officer_id, shift.leader_id, following.officer_id if following else None])
    closed = handover is not None and handover.accepted_at is not None
    context = {
        "shift": shift, "desk": desk, "entries": rows, "units": units, "names": names, "kind": kind,
        "kinds": LOG_KIND_LABELS, "shift_kinds": KIND_LABELS, "handover": handover, "incoming": incoming,
        "next_shift": following, "previous_shift": before, "closed": closed,
        "may_write": not closed and log.may_write(db, principal, shift),
        "may_propose": handover is None and following is not None and principal.user_id is not None
        and shift.officer_id == principal.user_id,
        "may_accept": handover is not None and not closed and following is not None
        and principal.user_id is not None and following.officer_id == principal.user_id,
        "incoming_accept": incoming is not None and incoming.accepted_at is None
        and principal.user_id is not None and shift.officer_id == principal.user_id,
        "open_items": log.open_items(db, shift.id) if handover is None or not closed else [],
        "related_units": _related_units(db, principal) if not closed else [],
        "more_officers": service.shift_officers(db, shift),
        "officer_candidates": [(m, u) for m, u in service.members(db, principal, desk.id) if m.role == "officer"],
        "may_staff": principal.can(roles.WRITE) and not closed,
    }
    return render(request, "duty/shift.html", context, active="duty")


def _related_units(db: DB, principal: Any) -> list[Unit]:
    stmt = scoped(select(Unit), principal).where(Unit.valid_to.is_(None))
    return list(db.scalars(stmt.order_by(Unit.path).limit(300)))


@router.post("/shifts/{shift_id}/log", response_class=HTMLResponse)
async def log_form(request: Request, db: DB, principal: CurrentPrincipal, shift_id: IdPath) -> Response:
    values: dict[str, Any] = await _form(request)
    at = values.pop("at", "")
    if at:  # <input type=datetime-local> sends Beijing wall-clock time
        try:
            values["at"] = datetime.fromisoformat(at).replace(tzinfo=service.local_zone())
        except ValueError as exc:
            raise UserError("A date and time are expected here.", field="at") from exc
    log.add_entry(db, principal, shift_id, parse_form(LogEntryCreate, values))
    return _redirect(f"/duty/shifts/{shift_id}")


@router.post("/shifts/{shift_id}/handover", response_class=HTMLResponse)
async def handover_form(request: Request, db: DB, principal: CurrentPrincipal, shift_id: IdPath) -> Response:
    log.propose(db, principal, shift_id, parse_form(HandoverCreate, await _form(request)))
    return _redirect(f"/duty/shifts/{shift_id}")


@router.post("/handovers/{handover_id}/accept", response_class=HTMLResponse)
def accept_form(db: DB, principal: CurrentPrincipal, handover_id: IdPath) -> Response:
    handover = log.accept(db, principal, handover_id)
    return _redirect(f"/duty/shifts/{handover.next_shift_id}")


# --- gaps ----------------------------------------------------------------------------------

@router.get("/gaps", response_class=HTMLResponse)
def gaps_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings, desk_id: IdQuery = None,
              page: PageNo = 1, export: Export = "") -> Response:
    if export == "xlsx":
        items, _total = service.gaps(db, principal, desk_id=desk_id, page=1, per_page=EVERY_ROW)
        local = _local(settings)
        data = xlsx.export((N_("unit"), N_("duty desk"), N_("shift from"), N_("shift until"), N_("no duty officer"),
                            N_("no leader on duty")),
                           ([g.unit_name, g.desk_name, local(g.starts_at), local(g.ends_at), g.no_officer,
                             g.no_leader] for g in items), title="gaps")
        return _xlsx_response(data, "duty-gaps.xlsx")
    items, total = service.gaps(db, principal, desk_id=desk_id, page=page, per_page=PER_PAGE)
    from yingji.duty import defaults

    return render(request, "duty/gaps.html", {"result": _Pager(items, total, page), "desk_id": desk_id or "",
                                              "horizon": defaults.rule(db, defaults.GAP_HORIZON)}, active="duty")


# --- what reached the desk: routing and escalation -----------------------------------------

DISPATCH_STATUSES = {"open": N_("not acknowledged"), "acknowledged": N_("acknowledged"),
                     "escalated": N_("escalated to the leader")}


@router.get("/dispatches", response_class=HTMLResponse)
def dispatches_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings,
                    status: Annotated[str, Query(max_length=16)] = "", kind: Annotated[str, Query(max_length=32)] = "",
                    mine: Annotated[bool, Query()] = False, page: PageNo = 1, export: Export = "") -> Response:
    from yingji.duty import defaults, routing

    if status and status not in DISPATCH_STATUSES:
        raise UserError("Unknown status.", field="status")
    if kind and kind not in routing.KIND_LABELS:
        raise UserError("Unknown kind.", field="kind")
    stmt = routing.list_statement(principal, status=status, kind=kind, mine=mine)
    local = _local(settings)
    if export == "xlsx":
        data = xlsx.export((N_("sent"), N_("kind"), N_("subject"), N_("duty desk"), N_("to"), N_("as"),
                            N_("acknowledged"), N_("escalated")),
                           ([local(d.sent_at), gettext(routing.KIND_LABELS.get(d.kind, d.kind)), d.subject, desk,
                             name or "", gettext(routing.ROLE_LABELS.get(d.role, d.role)), local(d.acknowledged_at),
                             local(d.escalated_at)] for d, desk, name in db.execute(xlsx.bounded(stmt))),
                           title="dispatches")
        return _xlsx_response(data, "duty-dispatches.xlsx")
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = db.execute(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    query = urlencode({k: v for k, v in (("status", status), ("kind", kind), ("mine", "true" if mine else ""))
                       if v})  # an empty "mine" is not a yes or no: left out
    return render(request, "duty/dispatches.html", {
        "result": _Pager(list(rows), int(total), page), "status": status, "kind": kind, "mine": mine,
        "statuses": DISPATCH_STATUSES, "kinds": routing.KIND_LABELS, "roles": routing.ROLE_LABELS, "query": query,
        "limit": defaults.rule(db, defaults.DISPATCH_ACK_LIMIT)}, active="duty")


@router.post("/dispatches/{dispatch_id}/ack", response_class=HTMLResponse)
def acknowledge_form(db: DB, principal: CurrentPrincipal, dispatch_id: IdPath) -> Response:
    from yingji.duty import routing

    routing.acknowledge(db, principal, dispatch_id)
    return _redirect("/duty/dispatches")


@router.post("/shifts/{shift_id}/officers", response_class=HTMLResponse)
def add_officer_form(db: DB, principal: CurrentPrincipal, shift_id: IdPath,
                     user_id: Annotated[int, Form(ge=1, le=2**31 - 1)]) -> Response:
    service.add_officer(db, principal, shift_id, user_id)
    return _redirect(f"/duty/shifts/{shift_id}")


@router.post("/shift-officers/{shift_officer_id}/remove", response_class=HTMLResponse)
def remove_officer_form(db: DB, principal: CurrentPrincipal, shift_officer_id: IdPath) -> Response:
    from yingji.core.scope import get_scoped
    from yingji.duty.models import DutyShiftOfficer

    shift_id = get_scoped(db, principal, DutyShiftOfficer, shift_officer_id).shift_id
    service.remove_officer(db, principal, shift_officer_id)
    return _redirect(f"/duty/shifts/{shift_id}")


# --- roll calls and bulletins --------------------------------------------------------------

ROLL_CALL_STATES = {"scheduled": N_("scheduled"), "open": N_("open"), "closed": N_("closed"),
                    "unanswered": N_("a desk has not answered"), "missed": N_("a desk missed the limit"),
                    "late": N_("a desk answered late"), "answered": N_("every desk answered")}


@router.get("/roll-calls", response_class=HTMLResponse)
def roll_calls_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings, page: PageNo = 1,
                    desk_id: IdQuery = None, date_from: Annotated[str, Query(max_length=10)] = "",
                    date_to: Annotated[str, Query(max_length=10)] = "",
                    state: Annotated[str, Query(max_length=16)] = "", export: Export = "") -> Response:
    if state and state not in ROLL_CALL_STATES:
        raise UserError("Unknown status.", field="state")
    if desk_id is not None:
        service.get_desk(db, principal, desk_id)
    since, until = day_range(date_from, date_to, service.local_zone())
    filters: dict[str, Any] = {"desk_id": desk_id, "since": since, "state": state, "until": until}
    if export == "xlsx":
        calls = db.scalars(rollcall.list_statement(principal, **filters))
        local = _local(settings)
        data = xlsx.export((N_("no."), N_("called at"), N_("called by"), N_("limit (seconds)"), N_("closed at"),
                            N_("note")),
                           ([c.id, local(c.started_at), c.called_by_name, c.limit_seconds, local(c.closed_at), c.note]
                            for c in calls), title="roll-calls")
        return _xlsx_response(data, "roll-calls.xlsx")
    may_call = principal.role in rollcall.CALLER_ROLES and principal.can(roles.WRITE)
    from yingji.duty import defaults

    params = urlencode({"desk_id": desk_id or "", "date_from": date_from, "date_to": date_to, "state": state})
    context = {"result": rollcall.list_(db, principal, page=page, per_page=PER_PAGE, **filters), "may_call": may_call,
               "desks": rollcall.callable_desks(db, principal) if may_call else [],
               "limit": defaults.rule(db, defaults.ANSWER_LIMIT), "params": params,
               "filter_desks": db.scalars(scoped(select(DutyDesk), principal).order_by(DutyDesk.id)).all(),
               "desk_id": desk_id, "date_from": date_from, "date_to": date_to, "state": state,
               "states": ROLL_CALL_STATES}
    return render(request, "duty/roll_calls.html", context, active="duty")


@router.post("/roll-calls", response_class=HTMLResponse)
async def create_roll_call_form(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    form = await request.form()
    desk_ids = [v for v in form.getlist("desk_ids") if isinstance(v, str) and v]
    values: dict[str, Any] = {"desk_ids": desk_ids}
    for key in ("note", "window_minutes"):
        if isinstance(form.get(key), str):
            values[key] = form.get(key)
    at = form.get("at")
    if isinstance(at, str) and at:  # <input type=datetime-local> sends Beijing wall-clock time
        try:
            values["at"] = datetime.fromisoformat(at).replace(tzinfo=service.local_zone())
        except ValueError as exc:
            raise UserError("A date and time are expected here.", field="at") from exc
    data = parse_form(RollCallCreate, values)
    call = rollcall.create(db, principal, data)
    return _redirect(f"/duty/roll-calls/{call.id}")


@router.get("/roll-calls/{roll_call_id}", response_class=HTMLResponse)
def bulletin_page(request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings, roll_call_id: IdPath,
                  status: Annotated[str, Query(max_length=16)] = "", export: Export = "") -> Response:
    bulletin = rollcall.bulletin(db, principal, roll_call_id, status_filter=status)
    local = _local(settings)
    if export == "xlsx":
        return _xlsx_response(report.to_xlsx(bulletin, local), f"roll-call-{roll_call_id}.xlsx")
    if export == "pdf":
        return Response(report.to_pdf(bulletin, local), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="roll-call-{roll_call_id}.pdf"'})
    return render(request, "duty/bulletin.html", {
        "b": bulletin, "status": status, "labels": report.STATUS_LABELS, "title": report.title(bulletin, local),
        "summary": report.summary(bulletin), "can_close": principal.can(roles.WRITE)}, active="duty")


@router.post("/roll-calls/{roll_call_id}/close", response_class=HTMLResponse)
def close_form(db: DB, principal: CurrentPrincipal, roll_call_id: IdPath) -> Response:
    rollcall.close(db, principal, roll_call_id)
    return _redirect(f"/duty/roll-calls/{roll_call_id}")


@router.get("/monthly", response_class=HTMLResponse)
def monthly_page(request: Request, db: DB, principal: CurrentPrincipal, month: Annotated[str, Query(max_length=7)] = "",
                 export: Export = "") -> Response:
    year, mon = _month(month)
    label = f"{year:04d}-{mon:02d}"
    rows = rollcall.monthly(db, principal, year, mon)
    if export == "xlsx":
        return _xlsx_response(report.monthly_xlsx(rows), f"roll-calls-{label}.xlsx")
    if export == "pdf":
        return Response(report.monthly_pdf(label, rows), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="roll-calls-{label}.pdf"'})
    return render(request, "duty/monthly.html", {"rows": rows, "month": label, "title": report.monthly_title(label)},
                  active="duty")


@router.get("/answer/{target_id}", response_class=HTMLResponse)
def answer_page(request: Request, db: DB, principal: CurrentPrincipal, target_id: IdPath) -> HTMLResponse:
    target, call, desk = rollcall.get_target(db, principal, target_id)
    state, delay = rollcall.status(call, target)
    return render(request, "duty/answer.html", {"target": target, "call": call, "desk": desk, "state": state,
                                                "delay": delay, "labels": report.STATUS_LABELS,
                                                "may_answer": rollcall.may_answer(db, principal, desk)},
                  active="duty")


@router.post("/answer/{target_id}", response_class=HTMLResponse)
def answer_form(db: DB, principal: CurrentPrincipal, target_id: IdPath) -> Response:
    rollcall.answer(db, principal, target_id)
    return _redirect(f"/duty/answer/{target_id}")


# --- calendar feeds and rules --------------------------------------------------------------

@router.get("/feeds", response_class=HTMLResponse)
def feeds_page(request: Request, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    desks = service.list_desks(db, principal, page=1, per_page=MAX_PER_PAGE).items
    return render(request, "duty/feeds.html", {"token": None, "has_token": feeds.has_token(db, principal),
                                               "desks": desks}, active="duty")


@router.post("/feeds/token", response_class=HTMLResponse)
def feed_token_form(request: Request, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    if principal.user_id is None:
        raise UserError("Only a person has calendar feeds.")
    token = feeds.create_token(db, principal)
    desks = service.list_desks(db, principal, page=1, per_page=MAX_PER_PAGE).items
    return render(request, "duty/feeds.html", {"token": token, "has_token": True, "desks": desks}, active="duty")


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, db: DB, principal: CurrentPrincipal) -> HTMLResponse:
    principal.require(roles.READ)
    rules = list(db.scalars(select(DutyRule).order_by(DutyRule.id)))
    return render(request, "duty/rules.html", {"rules": rules, "can_edit": principal.can(roles.EDIT_RULES),
                                              "rule_labels": RULE_LABELS, "unit_labels": UNIT_LABELS},
                  active="duty")


@router.post("/rules/{rule_id}", response_class=HTMLResponse)
def update_rule_form(db: DB, principal: CurrentPrincipal, rule_id: IdPath,
                     value: Annotated[int, Form(ge=0, le=100000)],
                     source: Annotated[str, Form(max_length=1000)]) -> Response:
    from yingji.duty import defaults

    defaults.update_rule(db, principal, rule_id, value, source)
    return _redirect("/duty/rules")


RULE_LABELS = {"signon_limit_minutes": N_("Sign-on limit after the start of a shift"),
               "signon_early_minutes": N_("Signing on possible before the start"),
               "rollcall_answer_limit_seconds": N_("Time to answer a roll call"),
               "gap_horizon_days": N_("Days ahead checked for gaps"),
               "dispatch_ack_limit_minutes": N_("Time to acknowledge before the leader on duty is called")}
UNIT_LABELS = {"min": N_("minutes"), "s": N_("seconds"), "d": N_("days")}

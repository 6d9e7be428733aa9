"""JSON API of incident reporting. Thin: parse, call a service, return.

Submissions (a new event with its first report, a later report) accept an ``Idempotency-Key`` header:
a retry with the same key gets the same answer and never a second report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from yingji.core.api import json_response
from yingji.core.schemas import MAX_ID
from yingji.core.scope import Principal
from yingji.incidents import defaults, document, flags, idempotency, service
from yingji.incidents.models import IncidentRule
from yingji.incidents.schemas import (
    EventCreate,
    EventDetail,
    EventRead,
    FlagDecision,
    FlagRead,
    ForwardIn,
    HopRead,
    KnownEventCreate,
    QueryIn,
    QueryRead,
    ReportCreate,
    ReportRead,
    Submitted,
    aware,
)
from yingji.web.deps import DB, AppSettings, CurrentPrincipal, IdPath, IdQuery

router = APIRouter(prefix="/incidents", tags=["incidents"])
PageNo = Annotated[int, Query(ge=1, le=100000)]
PerPage = Annotated[int, Query(ge=1, le=200)]
Code = Annotated[str, Query(max_length=16)]
Key = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


def _submitted(done: service.Submission) -> dict[str, Any]:
    return Submitted(event_id=done.event.id, report_id=done.report.id, hop_id=done.hop.id if done.hop else None,
                     late_by=done.report.late_by, suggested_level=done.report.suggested_level).model_dump()


def submit_event(db: Any, principal: Principal, data: EventCreate, key: str | None) -> idempotency.Answer:
    payload = data.model_dump(mode="json")
    return idempotency.submit(db, principal, key, idempotency.fingerprint("event", payload),
                              lambda: idempotency.Answer(201, _submitted(service.create_event(db, principal, data))))


def submit_report(db: Any, principal: Principal, event_id: int, data: ReportCreate,
                  key: str | None) -> idempotency.Answer:
    payload = data.model_dump(mode="json")
    return idempotency.submit(
        db, principal, key, idempotency.fingerprint(f"report:{event_id}", payload),
        lambda: idempotency.Answer(201, _submitted(service.add_report(db, principal, event_id, data))))


def _answer(answer: idempotency.Answer) -> Response:
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)


async def on_loop(db: Any, run: Callable[[], idempotency.Answer]) -> Response:
    """A submission through the API. On SQLite it runs on the event loop, once the database's write gate has
    been awaited and the database's write lock taken: one writer at a time, and its statements then never
    wait — neither for the interpreter lock that the loop and the thread pool's other requests would
    otherwise take from it between them (bench/RESULTS.md), nor for another writer. When a writer outside
    the gate holds SQLite's lock (another module's change), the submission waits for it in the thread pool,
    and the loop goes on serving. On PostgreSQL (concurrent writers, a server across the network) it runs in
    the thread pool."""
    if db.get_bind().dialect.name != "sqlite":
        return _answer(await run_in_threadpool(run))
    await service.await_write_gate(db)
    if not service.write_lock_now(db):
        return _answer(await run_in_threadpool(run))
    return _answer(run())


@router.post("", response_model=Submitted, status_code=201)
async def create_event(db: DB, principal: CurrentPrincipal, data: EventCreate, idempotency_key: Key = None) -> Any:
    """A new event with its first report (首报)."""
    return await on_loop(db, lambda: submit_event(db, principal, data, idempotency_key))


@router.get("", response_model=list[EventRead])
def list_events(db: DB, principal: CurrentPrincipal, occurred_from: datetime | None = None,
                occurred_to: datetime | None = None, unit_id: IdQuery = None, category: Code = "",
                level: Annotated[int | None, Query(ge=1, le=4)] = None,
                status: Annotated[str, Query(pattern="^(|open|closed)$")] = "",
                flag: Annotated[str, Query(pattern="^(|late|missed|review)$")] = "",
                q: Annotated[str, Query(max_length=100)] = "", page: PageNo = 1, per_page: PerPage = 50) -> Any:
    f = service.EventFilter(occurred_from=aware(occurred_from), occurred_to=aware(occurred_to), unit_id=unit_id,
                            category=category, level=level, status=status, flag=flag, q=q)
    found = service.list_events(db, principal, f, page=page, per_page=per_page)
    body = [EventRead.model_validate(e).model_dump(mode="json") for e in found.items]
    return JSONResponse(body, headers={"X-Total-Count": str(found.total), "X-Total-Capped": str(found.capped).lower()})


@router.get("/queue", response_model=list[HopRead])
def queue(db: DB, principal: CurrentPrincipal) -> Any:
    """Reports waiting at the principal's desk and, below it, those that must still reach it (by due time, at
    most ``QUEUE_WAITING_MAX``); the header ``X-Total-Count`` holds how many wait in all."""
    items, total = service.queue_waiting(db, principal, service.QueueFilter())
    return JSONResponse([HopRead.model_validate(item.hop).model_dump(mode="json") for item in items],
                        headers={"X-Total-Count": str(total)})


@router.post("/known", response_model=EventRead, status_code=201)
def record_known(db: DB, principal: CurrentPrincipal, data: KnownEventCreate) -> Any:
    """An event known from a tip, a department, the media or a query from above, with no report yet."""
    return service.record_known_event(db, principal, unit_id=data.unit_id, occurred_at=data.occurred_at,
                                      category=data.category, subtype=data.subtype, title=data.title,
                                      description=data.description, known_from=data.known_from, lon=data.lon,
                                      lat=data.lat, address=data.address)


@router.post("/attachments", status_code=201)
def upload(db: DB, principal: CurrentPrincipal, settings: AppSettings, file: Annotated[UploadFile, File()],
           unit_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None) -> Any:
    """A photo or video for a report about to be filed; the report names it in ``attachment_ids``."""
    target = unit_id or principal.unit_id
    if target is None:
        from yingji.errors import UserError

        raise UserError("Choose the unit where it happened.", field="unit_id")
    row = files_store(db, principal, settings, file, target)
    return {"id": row.id, "content_type": row.content_type, "size": row.size, "filename": row.filename}


def files_store(db: Any, principal: Principal, settings: Any, file: UploadFile, unit_id: int) -> Any:
    from yingji.incidents import files

    return files.store(db, principal, settings, stream=file.file, filename=file.filename or "", unit_id=unit_id)


@router.get("/rules")
def list_rules(db: DB, principal: CurrentPrincipal) -> Any:
    from sqlalchemy import select

    principal.require("read")
    rows = db.scalars(select(IncidentRule).order_by(IncidentRule.key))
    return [{"id": r.id, "key": r.key, "kind": r.kind, "level": r.level, "hop": r.hop, "criterion": r.criterion,
             "applies_to": r.applies_to, "value": r.value, "unit": r.unit, "source": r.source} for r in rows]


@router.put("/rules/{incident_rule_id}")
def update_rule(db: DB, principal: CurrentPrincipal, incident_rule_id: IdPath,
                value: Annotated[int, Query(ge=1, le=10**13)],
                source: Annotated[str, Query(min_length=1, max_length=1000)]) -> Any:
    row = defaults.update_rule(db, principal, incident_rule_id, value, source)
    return {"id": row.id, "key": row.key, "value": row.value, "source": row.source}


@router.post("/flags/{incident_flag_id}/decide", response_model=FlagRead)
def decide_flag(db: DB, principal: CurrentPrincipal, incident_flag_id: IdPath, data: FlagDecision) -> Any:
    return flags.decide(db, principal, incident_flag_id, data.status, data.note)


@router.post("/hops/{hop_id}/sign", response_model=HopRead)
def sign(db: DB, principal: CurrentPrincipal, hop_id: IdPath) -> Any:
    """The desk signs for the report (签收)."""
    return service.sign_hop(db, principal, hop_id)


@router.post("/hops/{hop_id}/forward", response_model=HopRead)
def forward(db: DB, principal: CurrentPrincipal, hop_id: IdPath, data: ForwardIn) -> Any:
    """The desk forwards it (上报) with its comment; at the prefecture, toward the region as an export."""
    return service.forward_hop(db, principal, hop_id, data.comment)


@router.get("/hops/{hop_id}/document")
def region_document(db: DB, principal: CurrentPrincipal, settings: AppSettings, hop_id: IdPath) -> Response:
    """The report document (XLSX) the prefecture exports toward the region."""
    hop = service.get_hop(db, principal, hop_id)
    event = service.get_event(db, principal, hop.event_id)
    data = document.region_document(db, event, service.reports_of(db, event), service.hops_of(db, event),
                                    settings.zone)
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="incident-{event.id}.xlsx"'})


@router.get("/reports/{report_id}", response_model=ReportRead)
def get_report(db: DB, principal: CurrentPrincipal, report_id: IdPath) -> Any:
    return service.get_report(db, principal, report_id)


@router.get("/{event_id}", response_model=EventDetail)
def detail(db: DB, principal: CurrentPrincipal, event_id: IdPath) -> Any:
    event = service.get_event(db, principal, event_id)
    base = EventRead.model_validate(event).model_dump()
    return json_response(EventDetail(
        **base, reports=[ReportRead.model_validate(r) for r in service.reports_of(db, event)],
        hops=[HopRead.model_validate(h) for h in service.hops_of(db, event)],
        flags=[FlagRead.model_validate(f) for f in service.flags_of(db, event)],
        queries=[QueryRead.model_validate(q) for q in service.queries_of(db, event)]))


@router.post("/{event_id}/queries", response_model=QueryRead, status_code=201)
def query_event(db: DB, principal: CurrentPrincipal, event_id: IdPath, data: QueryIn) -> Any:
    """A query from above (核报): the level above asks the unit responsible to report on the event."""
    return service.query_event(db, principal, event_id, data.question)


@router.post("/{event_id}/reports", response_model=Submitted, status_code=201)
async def add_report(db: DB, principal: CurrentPrincipal, event_id: IdPath, data: ReportCreate,
                     idempotency_key: Key = None) -> Any:
    """A follow-up (续报), final report (终报) or correction; the first report of an event known from elsewhere."""
    return await on_loop(db, lambda: submit_report(db, principal, event_id, data, idempotency_key))

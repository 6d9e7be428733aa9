"""JSON API of early-warning release (signed in) and the public CAP/JSON endpoints. Thin: parse, call, return."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from yingji.core.api import json_response
from yingji.core.schemas import Page
from yingji.core.service import paginate
from yingji.errors import TooLarge
from yingji.i18n import N_
from yingji.warnings import defaults, inbound, public, service
from yingji.warnings.schemas import (
    AlertDraft,
    AlertRead,
    AlertRow,
    Decision,
    RuleUpdate,
    SourceIn,
    SourceRead,
)
from yingji.web.deps import DB, CurrentPrincipal, IdPath, IdQuery

router = APIRouter(prefix="/warnings", tags=["warnings"])
public_router = APIRouter(prefix="/public/warnings", tags=["warnings (public)"])
PageNo = Annotated[int, Query(ge=1, le=100000)]
PerPage = Annotated[int, Query(ge=1, le=500)]
Text = Annotated[str, Query(max_length=100)]
Word = Annotated[str, Query(max_length=20)]
CAP_TYPE = "application/cap+xml"


class ImportReport(BaseModel):
    created: list[int]
    duplicates: list[int]
    problems: list[str]
    links: list[str]


class RuleRead(BaseModel):
    key: str
    value: int
    unit: str
    source: str


@router.get("/alerts", response_model=Page[AlertRow])
def list_alerts(db: DB, principal: CurrentPrincipal, status: Word = "", colour: Word = "", q: Text = "",
                page: PageNo = 1, per_page: PerPage = 50) -> Any:
    stmt = service.list_alerts(principal, status=status, colour=colour, q=q)
    return json_response(paginate(db, stmt, AlertRow, page=page, per_page=per_page))


@router.post("/alerts", response_model=AlertRead, status_code=201)
def create_alert(db: DB, principal: CurrentPrincipal, data: AlertDraft) -> Any:
    return service.create_draft(db, principal, data)


@router.get("/alerts/{alert_id}", response_model=AlertRead)
def get_alert(db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Any:
    return service.get_alert(db, principal, alert_id)


@router.put("/alerts/{alert_id}", response_model=AlertRead)
def update_alert(db: DB, principal: CurrentPrincipal, alert_id: IdPath, data: AlertDraft) -> Any:
    return service.update_draft(db, principal, alert_id, data)


@router.delete("/alerts/{alert_id}", status_code=204)
def delete_alert(db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Response:
    service.delete_draft(db, principal, alert_id)
    return Response(status_code=204)


@router.post("/alerts/{alert_id}/submit", response_model=AlertRead)
def submit(db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Any:
    return service.submit(db, principal, alert_id)


@router.post("/alerts/{alert_id}/review", response_model=AlertRead)
def review(db: DB, principal: CurrentPrincipal, alert_id: IdPath, data: Decision) -> Any:
    return service.review(db, principal, alert_id, approve=data.approve, note=data.note)


@router.post("/alerts/{alert_id}/sign", response_model=AlertRead)
def sign(db: DB, principal: CurrentPrincipal, alert_id: IdPath, data: Decision) -> Any:
    return service.sign(db, principal, alert_id, approve=data.approve, note=data.note)


@router.post("/alerts/{alert_id}/update", response_model=AlertRead, status_code=201)
def start_update(db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Any:
    return service.start_followup(db, principal, alert_id, "Update")


@router.post("/alerts/{alert_id}/cancel", response_model=AlertRead, status_code=201)
def start_cancel(db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Any:
    return service.start_followup(db, principal, alert_id, "Cancel")


@router.get("/alerts/{alert_id}/preview")
def preview(db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Any:
    alert = service.get_alert(db, principal, alert_id)
    return {"available": (result := service.preview(db, alert)) is not None, "preview": result,
            "counties": [c.code for c in service.targeted_counties(db, alert)]}


@router.get("/alerts/{alert_id}/cap")
def alert_cap(db: DB, principal: CurrentPrincipal, alert_id: IdPath) -> Response:
    """The issued CAP 1.2 document (an alert not yet issued has none: 404)."""
    alert = service.get_alert(db, principal, alert_id)
    if alert.cap_xml is None:
        from yingji.errors import NotFound

        raise NotFound("Not found, or not within your area.")
    return Response(alert.cap_xml.encode("utf-8"), media_type=CAP_TYPE)


async def read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it passes ``limit`` bytes."""
    length = request.headers.get("content-length", "")
    mb = round(limit / 1024 / 1024, 1)
    if length.isdigit() and int(length) > limit:
        raise TooLarge(N_("The file is larger than %(mb)s MB."), field="file", mb=mb)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(N_("The file is larger than %(mb)s MB."), field="file", mb=mb)
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/inbound", response_model=ImportReport, status_code=201)
async def inbound_cap(request: Request, db: DB, principal: CurrentPrincipal, unit_id: IdQuery = None) -> Any:
    """POST a CAP alert, an Atom/RSS feed or an EDXL-DE distribution as the request body (application/cap+xml
    or application/xml); each alert becomes a draft for review."""
    data = await read_limited(request, inbound.max_bytes(db))
    result = inbound.import_bytes(db, principal, data, origin="api", unit_id=unit_id)
    return ImportReport(created=[a.id for a in result.created], duplicates=[a.id for a in result.duplicates],
                        problems=result.problems, links=result.links)


@router.get("/sources", response_model=list[SourceRead])
def list_sources(db: DB, principal: CurrentPrincipal) -> Any:
    return inbound.list_sources(db, principal)


@router.post("/sources", response_model=SourceRead, status_code=201)
def create_source(db: DB, principal: CurrentPrincipal, data: SourceIn) -> Any:
    return inbound.create_source(db, principal, data)


@router.get("/sources/{source_id}", response_model=SourceRead)
def get_source(db: DB, principal: CurrentPrincipal, source_id: IdPath) -> Any:
    return inbound.get_source(db, principal, source_id)


@router.put("/sources/{source_id}", response_model=SourceRead)
def update_source(db: DB, principal: CurrentPrincipal, source_id: IdPath, data: SourceIn) -> Any:
    return inbound.update_source(db, principal, source_id, data)


@router.delete("/sources/{source_id}", status_code=204)
def delete_source(db: DB, principal: CurrentPrincipal, source_id: IdPath) -> Response:
    inbound.delete_source(db, principal, source_id)
    return Response(status_code=204)


@router.post("/sources/{source_id}/pull", response_model=ImportReport)
def pull_source(db: DB, principal: CurrentPrincipal, source_id: IdPath) -> Any:
    from yingji.core import roles

    source = inbound.get_source(db, principal, source_id, roles.WRITE)
    result = inbound.pull(db, principal, source)
    return ImportReport(created=[a.id for a in result.created], duplicates=[a.id for a in result.duplicates],
                        problems=result.problems + ([source.last_error] if source.last_error else []),
                        links=result.links)


@router.get("/rules", response_model=list[RuleRead])
def list_rules(db: DB, principal: CurrentPrincipal) -> Any:
    return [RuleRead(key=r.key, value=r.value, unit=r.unit, source=r.source) for r in defaults.all_rules(db)]


@router.put("/rules/{rule_key}", response_model=RuleRead)
def update_rule(db: DB, principal: CurrentPrincipal, rule_key: Annotated[str, Path(max_length=64)],
                data: RuleUpdate) -> Any:
    r = defaults.update_rule(db, principal, rule_key[:64], data.value, data.source)
    return RuleRead(key=r.key, value=r.value, unit=r.unit, source=r.source)


# --- public (no sign-in) --------------------------------------------------------------------------------------------

@public_router.get("")
def public_list(db: DB) -> Any:
    """The warnings in force, as JSON."""
    return public.summaries(db)


@public_router.get("/{alert_id}/cap")
def public_cap(db: DB, alert_id: IdPath) -> Response:
    alert = service.public_alert(db, alert_id)
    return Response((alert.cap_xml or "").encode("utf-8"), media_type=CAP_TYPE)

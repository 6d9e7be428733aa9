"""JSON API of the risks module. Thin: parse, call a service, return.

``feed_router`` holds the one route a device calls: ``POST /api/risks/readings`` with its own device token
as the bearer (no session, no user); the token is checked here, not by the user-token machinery.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from yingji import clock
from yingji.core import attachments, roles
from yingji.core.api import body_schema, json_response
from yingji.core.models import Attachment
from yingji.core.schemas import AttachmentRead, Page
from yingji.core.scope import Principal
from yingji.risks import assessments, defaults, grids, hazards, inspections, sensors
from yingji.risks.models import Sensor
from yingji.risks.schemas import (
    AlarmRead,
    AssessmentCreate,
    AssessmentRead,
    ChecklistCreate,
    ChecklistRead,
    ClosedLoopRow,
    CoverageRow,
    DeviceToken,
    FindingCreate,
    FindingRead,
    FiveHaves,
    GridCreate,
    GridRead,
    HazardCreate,
    HazardRead,
    IngestResult,
    InspectionCreate,
    InspectionRead,
    OutlineSet,
    PatrolCreate,
    PatrolRead,
    ReadingBatch,
    Rectify,
    RiskItemCreate,
    RiskItemRead,
    RuleRead,
    RuleUpdate,
    SensorCreate,
    SensorRead,
    Series,
)
from yingji.web.deps import DB, AppSettings, CurrentPrincipal, IdPath, IdQuery

router = APIRouter(prefix="/risks", tags=["risks"])
feed_router = APIRouter(prefix="/risks", tags=["risks"])
PageNo = Annotated[int, Query(ge=1, le=100000)]
PerPage = Annotated[int, Query(ge=1, le=500)]
Text = Annotated[str, Query(max_length=100)]
Choice = Annotated[str, Query(max_length=32)]
Score = Annotated[int, Query(ge=1, le=10)]


# --- hazard sources --------------------------------------------------------------------------------------

@router.get("/hazards", response_model=Page[HazardRead])
def list_hazards(db: DB, principal: CurrentPrincipal, q: Text = "", kind: Choice = "", unit_id: IdQuery = None,
                 page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(hazards.list_hazards(db, principal, q=q, kind=kind, unit_id=unit_id, page=page,
                                              per_page=per_page))


@router.post("/hazards", response_model=HazardRead, status_code=201)
def create_hazard(db: DB, principal: CurrentPrincipal, data: HazardCreate) -> Any:
    return hazards.create(db, principal, data)


@router.get("/hazards/{hazard_id}", response_model=HazardRead)
def get_hazard(db: DB, principal: CurrentPrincipal, hazard_id: IdPath) -> Any:
    return hazards.get(db, principal, hazard_id)


@router.put("/hazards/{hazard_id}", response_model=HazardRead)
def update_hazard(db: DB, principal: CurrentPrincipal, hazard_id: IdPath, data: HazardCreate) -> Any:
    return hazards.update(db, principal, hazard_id, data)


@router.get("/hazards/{hazard_id}/five", response_model=FiveHaves)
def five_haves(db: DB, principal: CurrentPrincipal, hazard_id: IdPath) -> Any:
    return hazards.five_haves(db, principal, hazard_id)


@router.post("/hazards/{hazard_id}/rules", response_model=AttachmentRead, status_code=201)
def attach_rules(db: DB, principal: CurrentPrincipal, settings: AppSettings, hazard_id: IdPath,
                 file: Annotated[UploadFile, File()]) -> Any:
    hazard = hazards.get(db, principal, hazard_id, roles.WRITE)
    return attachments.store(db, principal, settings, stream=file.file, filename=file.filename or "",
                             unit_id=hazard.unit_id, entity_type=hazards.RULES_ENTITY, entity_id=str(hazard.id))


# --- assessments and the risk list ------------------------------------------------------------------------

@router.get("/assessments", response_model=Page[AssessmentRead])
def list_assessments(db: DB, principal: CurrentPrincipal, q: Text = "", page: PageNo = 1,
                     per_page: PerPage = 50) -> Any:
    return json_response(assessments.list_assessments(db, principal, q=q, page=page, per_page=per_page))


@router.post("/assessments", response_model=AssessmentRead, status_code=201)
def create_assessment(db: DB, principal: CurrentPrincipal, data: AssessmentCreate) -> Any:
    return assessments.create(db, principal, data)


@router.get("/assessments/{assessment_id}", response_model=AssessmentRead)
def get_assessment(db: DB, principal: CurrentPrincipal, assessment_id: IdPath) -> Any:
    return assessments.get(db, principal, assessment_id)


@router.get("/assessments/{assessment_id}/items", response_model=list[RiskItemRead])
def list_items(db: DB, principal: CurrentPrincipal, assessment_id: IdPath) -> Any:
    return assessments.items(db, principal, assessment_id)


@router.post("/assessments/{assessment_id}/items", response_model=RiskItemRead, status_code=201)
def add_item(db: DB, principal: CurrentPrincipal, assessment_id: IdPath, data: RiskItemCreate) -> Any:
    return assessments.add_item(db, principal, assessment_id, data)


@router.get("/items/{risk_item_id}", response_model=RiskItemRead)
def get_item(db: DB, principal: CurrentPrincipal, risk_item_id: IdPath) -> Any:
    return assessments.get_item(db, principal, risk_item_id)


@router.post("/items/{risk_item_id}/score", response_model=RiskItemRead)
def rescore(db: DB, principal: CurrentPrincipal, risk_item_id: IdPath, likelihood: Score, consequence: Score) -> Any:
    return assessments.rescore(db, principal, risk_item_id, likelihood, consequence)


@router.get("/list", response_model=Page[RiskItemRead])
def risk_list(db: DB, principal: CurrentPrincipal, area_id: IdQuery = None, level: Choice = "",
              category: Annotated[int | None, Query(ge=1, le=4)] = None, q: Text = "", page: PageNo = 1,
              per_page: PerPage = 50) -> Any:
    return json_response(assessments.risk_list(db, principal, area_id=area_id, level=level, category=category, q=q,
                                               page=page, per_page=per_page))


@router.get("/map")
def risk_map(db: DB, principal: CurrentPrincipal) -> Any:
    return assessments.map_features(db, principal)


# --- checklists, inspections, findings -----------------------------------------------------------------------

@router.get("/checklists", response_model=list[ChecklistRead])
def list_checklists(db: DB, principal: CurrentPrincipal, purpose: Choice = "") -> Any:
    return inspections.visible_checklists(db, principal, purpose)


@router.post("/checklists", response_model=ChecklistRead, status_code=201)
def create_checklist(db: DB, principal: CurrentPrincipal, data: ChecklistCreate) -> Any:
    return inspections.create_checklist(db, principal, data)


@router.get("/checklists/{checklist_id}", response_model=ChecklistRead)
def get_checklist(db: DB, principal: CurrentPrincipal, checklist_id: IdPath) -> Any:
    return inspections.get_checklist(db, principal, checklist_id)


@router.get("/inspections", response_model=Page[InspectionRead])
def list_inspections(db: DB, principal: CurrentPrincipal, q: Text = "", kind: Choice = "", hazard_id: IdQuery = None,
                     page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(inspections.list_inspections(db, principal, q=q, kind=kind, hazard_id=hazard_id, page=page,
                                                      per_page=per_page))


@router.post("/inspections", response_model=InspectionRead, status_code=201)
def create_inspection(db: DB, principal: CurrentPrincipal, data: InspectionCreate) -> Any:
    return inspections.create_inspection(db, principal, data)


@router.get("/inspections/{inspection_id}", response_model=InspectionRead)
def get_inspection(db: DB, principal: CurrentPrincipal, inspection_id: IdPath) -> Any:
    return inspections.get_inspection(db, principal, inspection_id)


@router.post("/inspections/{inspection_id}/findings", response_model=FindingRead, status_code=201)
def add_finding(db: DB, principal: CurrentPrincipal, inspection_id: IdPath, data: FindingCreate) -> Any:
    return inspections.add_finding(db, principal, inspection_id, data)


@router.get("/findings", response_model=Page[FindingRead])
def list_findings(db: DB, principal: CurrentPrincipal, status: Choice = "", severity: Choice = "",
                  overdue: bool = False, inspection_id: IdQuery = None, q: Text = "", page: PageNo = 1,
                  per_page: PerPage = 50) -> Any:
    return json_response(inspections.list_findings(db, principal, status=status, severity=severity, overdue=overdue,
                                                   inspection_id=inspection_id, q=q, page=page, per_page=per_page))


@router.get("/findings/{finding_id}", response_model=FindingRead)
def get_finding(db: DB, principal: CurrentPrincipal, finding_id: IdPath) -> Any:
    return inspections.get_finding(db, principal, finding_id)


@router.post("/findings/{finding_id}/rectify", response_model=FindingRead)
def rectify(db: DB, principal: CurrentPrincipal, finding_id: IdPath, data: Rectify) -> Any:
    return inspections.rectify(db, principal, finding_id, data)


@router.post("/findings/{finding_id}/verify", response_model=FindingRead)
def verify(db: DB, principal: CurrentPrincipal, finding_id: IdPath) -> Any:
    return inspections.verify(db, principal, finding_id)


@router.post("/findings/{finding_id}/reject", response_model=FindingRead)
def reject(db: DB, principal: CurrentPrincipal, finding_id: IdPath) -> Any:
    return inspections.reject(db, principal, finding_id)


@router.post("/findings/{finding_id}/close", response_model=FindingRead)
def close(db: DB, principal: CurrentPrincipal, finding_id: IdPath) -> Any:
    return inspections.close(db, principal, finding_id)


@router.post("/findings/{finding_id}/evidence", response_model=AttachmentRead, status_code=201)
def add_evidence(db: DB, principal: CurrentPrincipal, settings: AppSettings, finding_id: IdPath,
                 file: Annotated[UploadFile, File()]) -> Any:
    return store_evidence(db, principal, settings, finding_id, file)


def store_evidence(db: Any, principal: Principal, settings: Any, finding_id: int, file: UploadFile) -> Attachment:
    finding = inspections.get_finding(db, principal, finding_id, roles.WRITE)
    return attachments.store(db, principal, settings, stream=file.file, filename=file.filename or "",
                             unit_id=finding.unit_id, entity_type=inspections.EVIDENCE_ENTITY,
                             entity_id=str(finding.id))


@router.get("/stats/closed-loop", response_model=list[ClosedLoopRow])
def closed_loop(db: DB, principal: CurrentPrincipal, by: Choice = "county") -> Any:
    return inspections.closed_loop(db, principal, by="sector" if by == "sector" else "county")


# --- outlines, grids, patrols ----------------------------------------------------------------------------------

@router.put("/outlines/{village_id}")
def set_outline(db: DB, principal: CurrentPrincipal, village_id: IdPath, data: OutlineSet) -> Any:
    row = grids.set_outline(db, principal, village_id, data)
    return {"unit_id": row.unit_id, "polygon": row.polygon}


@router.get("/grids", response_model=list[GridRead])
def list_grids(db: DB, principal: CurrentPrincipal, q: Text = "", area_id: IdQuery = None) -> Any:
    return list(db.scalars(grids.grids_statement(db, principal, q=q, area_id=area_id).limit(1000)))


@router.post("/grids", response_model=GridRead, status_code=201)
def create_grid(db: DB, principal: CurrentPrincipal, data: GridCreate) -> Any:
    return grids.create_grid(db, principal, data)


@router.get("/grids/{grid_id}", response_model=GridRead)
def get_grid(db: DB, principal: CurrentPrincipal, grid_id: IdPath) -> Any:
    return grids.get_grid(db, principal, grid_id)


@router.get("/grids/{grid_id}/patrols", response_model=list[PatrolRead])
def list_patrols(db: DB, principal: CurrentPrincipal, grid_id: IdPath) -> Any:
    return grids.patrols(db, principal, grid_id)


@router.post("/grids/{grid_id}/patrols", response_model=PatrolRead, status_code=201)
def record_patrol(db: DB, principal: CurrentPrincipal, grid_id: IdPath, data: PatrolCreate) -> Any:
    return grids.record_patrol(db, principal, grid_id, data)


@router.get("/patrols/{patrol_id}", response_model=PatrolRead)
def get_patrol(db: DB, principal: CurrentPrincipal, patrol_id: IdPath) -> Any:
    return grids.get_patrol(db, principal, patrol_id)


@router.post("/patrols/{patrol_id}/photos", response_model=AttachmentRead, status_code=201)
def add_patrol_photo(db: DB, principal: CurrentPrincipal, settings: AppSettings, patrol_id: IdPath,
                     file: Annotated[UploadFile, File()]) -> Any:
    return store_patrol_photo(db, principal, settings, patrol_id, file)


def store_patrol_photo(db: Any, principal: Principal, settings: Any, patrol_id: int, file: UploadFile) -> Attachment:
    """The patroller (who may only report) attaches photos to the patrol just recorded."""
    patrol = grids.get_patrol(db, principal, patrol_id)
    principal.require(roles.REPORT)
    if patrol.user_id != principal.user_id and not principal.can(roles.WRITE):
        from yingji.errors import PermissionDenied

        raise PermissionDenied("Only the patroller adds photos to a patrol.")
    # The patroller's reporting right covers photos of its own patrol.
    return attachments.store(db, principal, settings, stream=file.file, filename=file.filename or "",
                             unit_id=patrol.unit_id, entity_type="risks_patrol", entity_id=str(patrol.id),
                             action=roles.REPORT)


@router.get("/coverage", response_model=list[CoverageRow])
def coverage(db: DB, principal: CurrentPrincipal, area_id: IdQuery = None, unpatrolled: bool = False) -> Any:
    return grids.coverage(db, principal, area_id=area_id, only_unpatrolled=unpatrolled)


# --- sensors, alarms ---------------------------------------------------------------------------------------------

@router.get("/sensors", response_model=Page[SensorRead])
def list_sensors(db: DB, principal: CurrentPrincipal, q: Text = "", kind: Choice = "", level: Choice = "",
                 hazard_id: IdQuery = None, page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(sensors.list_sensors(db, principal, q=q, kind=kind, level=level, hazard_id=hazard_id,
                                              page=page, per_page=per_page))


@router.post("/sensors", response_model=SensorRead, status_code=201)
def create_sensor(db: DB, principal: CurrentPrincipal, data: SensorCreate) -> Any:
    return sensors.create(db, principal, data)


@router.get("/sensors/{sensor_id}", response_model=SensorRead)
def get_sensor(db: DB, principal: CurrentPrincipal, sensor_id: IdPath) -> Any:
    return sensors.get(db, principal, sensor_id)


@router.put("/sensors/{sensor_id}", response_model=SensorRead)
def update_sensor(db: DB, principal: CurrentPrincipal, sensor_id: IdPath, data: SensorCreate) -> Any:
    return sensors.update_thresholds(db, principal, sensor_id, data)


@router.post("/sensors/{sensor_id}/token", response_model=DeviceToken, status_code=201)
def issue_token(db: DB, principal: CurrentPrincipal, sensor_id: IdPath) -> Any:
    sensor, raw = sensors.issue_token(db, principal, sensor_id)
    return DeviceToken(sensor_id=sensor.id, token=raw)


@router.delete("/sensors/{sensor_id}/token", status_code=204)
def revoke_token(db: DB, principal: CurrentPrincipal, sensor_id: IdPath) -> Response:
    sensors.revoke_token(db, principal, sensor_id)
    return Response(status_code=204)


@router.get("/sensors/{sensor_id}/series", response_model=Series)
def series(db: DB, principal: CurrentPrincipal, sensor_id: IdPath, start: datetime | None = None,
           end: datetime | None = None, bucket: Annotated[int | None, Query(ge=1, le=86400)] = None) -> Any:
    from yingji.risks.common import aware

    until = aware(end) if end else clock.now()
    since = aware(start) if start else until - timedelta(hours=24)
    return json_response(sensors.series(db, principal, sensor_id, since, until, bucket))


@router.get("/alarms", response_model=Page[AlarmRead])
def list_alarms(db: DB, principal: CurrentPrincipal, status: Choice = "", kind: Choice = "",
                sensor_id: IdQuery = None, page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return json_response(sensors.list_alarms(db, principal, status=status, kind=kind, sensor_id=sensor_id, page=page,
                                             per_page=per_page))


@router.get("/alarms/{alarm_id}", response_model=AlarmRead)
def get_alarm(db: DB, principal: CurrentPrincipal, alarm_id: IdPath) -> Any:
    return sensors.get_alarm(db, principal, alarm_id)


@router.post("/alarms/{alarm_id}/ack", response_model=AlarmRead)
def acknowledge(db: DB, principal: CurrentPrincipal, alarm_id: IdPath) -> Any:
    return sensors.acknowledge(db, principal, alarm_id)


@router.post("/alarms/{alarm_id}/draft", response_model=AlarmRead)
def prepare_draft(db: DB, principal: CurrentPrincipal, alarm_id: IdPath) -> Any:
    return sensors.prepare_draft(db, principal, alarm_id)


# --- rules ---------------------------------------------------------------------------------------------------------

@router.get("/rules", response_model=list[RuleRead])
def list_rules(db: DB, principal: CurrentPrincipal) -> Any:
    return defaults.all_rules(db)


@router.put("/rules/{rule_key}", response_model=RuleRead)
def update_rule(db: DB, principal: CurrentPrincipal, rule_key: Annotated[str, Path(max_length=64)],
                data: RuleUpdate) -> Any:
    return defaults.update_rule(db, principal, rule_key, data.value, data.source)


# --- the device's route ------------------------------------------------------------------------------------------

def _device_token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


@feed_router.post("/readings", response_model=IngestResult,
                  openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                      "schema": body_schema(ReadingBatch)}}}})
async def ingest(request: Request, db: DB) -> Any:
    """A batch of readings from one device, authenticated by that device's token (``Authorization: Bearer``).
    The token is checked before the body is read; the body is validated straight from its bytes."""
    sensor_id = (await run_in_threadpool(sensors.authenticate, db, _device_token(request))).id
    try:
        batch = ReadingBatch.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc
    database = request.app.state.database
    request_id = request.state.request_id

    def store() -> IngestResult:
        # One short transaction of its own, one writer at a time in this process: concurrent SQLite writers
        # would otherwise wait on the database lock in the driver's sleeping busy handler.
        with _WRITER, database.unit_of_work() as session:
            sensor = session.get_one(Sensor, sensor_id)
            return sensors.ingest(session, sensor, batch.readings, request_id=request_id)

    return json_response(await run_in_threadpool(store))


_WRITER = threading.Lock()

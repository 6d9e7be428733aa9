"""JSON API of the platform core. Thin: parse, call a service, return."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel
from sqlalchemy import select

from yingji.core import accounts, attachments, audit, notify, service, xlsx
from yingji.core.models import Attachment, Unit
from yingji.core.schemas import (
    MAX_ID,
    AttachmentRead,
    AuditRead,
    NotificationRead,
    Page,
    PersonCreate,
    PersonRead,
    StaffingShortfall,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UnitCreate,
    UnitMove,
    UnitRead,
    UnitUpdate,
    UserCreate,
    UserRead,
)
from yingji.core.service import paginate
from yingji.web.deps import DB, AppSettings, CurrentPrincipal, IdPath, IdQuery

router = APIRouter(tags=["core"])
PageNo = Annotated[int, Query(ge=1, le=100000)]
PerPage = Annotated[int, Query(ge=1, le=service.MAX_PER_PAGE)]


@router.get("/ping")
def ping(principal: CurrentPrincipal) -> dict[str, bool]:
    """A no-op behind the same authentication, the baseline of the benchmarks."""
    return {"ok": True}


@router.get("/me", response_model=UserRead)
def me(db: DB, principal: CurrentPrincipal) -> Any:
    from yingji.core.models import User

    return db.get_one(User, principal.user_id)


# --- units ---------------------------------------------------------------------------------

@router.get("/units", response_model=Page[UnitRead])
def list_units(db: DB, principal: CurrentPrincipal, q: Annotated[str, Query(max_length=100)] = "",
               kind: Annotated[str, Query(max_length=32)] = "", parent_id: IdQuery = None,
               page: PageNo = 1, per_page: PerPage = 50) -> Any:
    result = service.list_units(db, principal, q=q, kind=kind, parent_id=parent_id, page=page, per_page=per_page)
    return json_response(result)


@router.get("/units/{unit_id}", response_model=UnitRead)
def get_unit(db: DB, principal: CurrentPrincipal, unit_id: IdPath) -> Any:
    return service.get_unit(db, principal, unit_id)


@router.get("/units/{unit_id}/children", response_model=list[UnitRead])
def unit_children(db: DB, principal: CurrentPrincipal, unit_id: IdPath) -> Any:
    return service.children(db, principal, unit_id)


@router.post("/units", response_model=UnitRead, status_code=201)
def create_unit(db: DB, principal: CurrentPrincipal, data: UnitCreate) -> Any:
    return service.create_unit(db, principal, data)


@router.patch("/units/{unit_id}", response_model=UnitRead)
def update_unit(db: DB, principal: CurrentPrincipal, unit_id: IdPath, data: UnitUpdate) -> Any:
    return service.update_unit(db, principal, unit_id, data)


@router.post("/units/{unit_id}/move", response_model=UnitRead)
def move_unit(db: DB, principal: CurrentPrincipal, unit_id: IdPath, data: UnitMove) -> Any:
    return service.move_unit(db, principal, unit_id, data.parent_id)


@router.delete("/units/{unit_id}", status_code=204)
def delete_unit(db: DB, principal: CurrentPrincipal, unit_id: IdPath) -> Response:
    service.delete_unit(db, principal, unit_id)
    return Response(status_code=204)


@router.get("/units.xlsx", response_class=Response)
def export_units(db: DB, principal: CurrentPrincipal, q: Annotated[str, Query(max_length=100)] = "",
                 kind: Annotated[str, Query(max_length=32)] = "") -> Response:
    from yingji.core.scope import scoped

    stmt = scoped(select(Unit), principal).order_by(Unit.path)
    if q:
        stmt = stmt.where(Unit.name.ilike(f"%{q}%") | Unit.code.ilike(f"%{q}%"))
    if kind:
        stmt = stmt.where(Unit.kind == kind)
    units = list(db.scalars(stmt))
    codes = dict(db.execute(select(Unit.id, Unit.code).where(
        Unit.id.in_({u.parent_id for u in units if u.parent_id}))).all())
    data = xlsx.export(xlsx.UNIT_COLUMNS, xlsx.unit_rows(units, codes), title="units")
    return _xlsx_response(data, "units.xlsx")


@router.post("/units/import")
def import_units(db: DB, principal: CurrentPrincipal, settings: AppSettings,
                 file: Annotated[UploadFile, File()]) -> dict[str, int]:
    limit = int(settings.max_import_mb * 1024 * 1024)
    return {"created": xlsx.import_units(db, principal, file.file, max_bytes=limit)}


# --- people --------------------------------------------------------------------------------

@router.get("/people", response_model=Page[PersonRead])
def list_people(db: DB, principal: CurrentPrincipal, unit_id: IdQuery = None,
                q: Annotated[str, Query(max_length=100)] = "", page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return service.list_people(db, principal, unit_id=unit_id, q=q, page=page, per_page=per_page)


@router.post("/people", response_model=PersonRead, status_code=201)
def create_person(db: DB, principal: CurrentPrincipal, data: PersonCreate) -> Any:
    return service.create_person(db, principal, data)


@router.delete("/people/{person_id}", status_code=204)
def delete_person(db: DB, principal: CurrentPrincipal, person_id: IdPath) -> Response:
    service.delete_person(db, principal, person_id)
    return Response(status_code=204)


@router.get("/people.xlsx", response_class=Response)
def export_people(db: DB, principal: CurrentPrincipal, unit_id: IdQuery = None,
                  q: Annotated[str, Query(max_length=100)] = "") -> Response:
    from yingji.core.models import Person
    from yingji.core.scope import scoped

    stmt = scoped(select(Person), principal).order_by(Person.unit_id, Person.id)
    if unit_id is not None:
        stmt = stmt.where(Person.unit_id == unit_id)
    if q:
        stmt = stmt.where(Person.name.ilike(f"%{q}%") | Person.phone.ilike(f"%{q}%"))
    people = list(db.scalars(stmt))
    codes = dict(db.execute(select(Unit.id, Unit.code).where(
        Unit.id.in_({p.unit_id for p in people}))).all())
    data = xlsx.export(xlsx.PERSON_COLUMNS, ([codes.get(p.unit_id, ""), p.name, p.position, p.phone, p.email, p.duty,
                                             p.full_time_emergency] for p in people), title="people")
    return _xlsx_response(data, "people.xlsx")


@router.post("/people/import")
def import_people(db: DB, principal: CurrentPrincipal, settings: AppSettings,
                  file: Annotated[UploadFile, File()]) -> dict[str, int]:
    limit = int(settings.max_import_mb * 1024 * 1024)
    return {"created": xlsx.import_people(db, principal, file.file, max_bytes=limit)}


@router.get("/staffing/shortfalls", response_model=list[StaffingShortfall])
def staffing_shortfalls(db: DB, principal: CurrentPrincipal) -> Any:
    return service.staffing_shortfalls(db, principal)


# --- users and tokens ----------------------------------------------------------------------

@router.get("/users", response_model=Page[UserRead])
def list_users(db: DB, principal: CurrentPrincipal, q: Annotated[str, Query(max_length=100)] = "",
               role: Annotated[str, Query(max_length=32)] = "", page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return accounts.list_users(db, principal, q=q, role=role, page=page, per_page=per_page)


@router.get("/users/{user_id}", response_model=UserRead)
def get_user(db: DB, principal: CurrentPrincipal, user_id: IdPath) -> Any:
    return accounts.get_user(db, principal, user_id)


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(db: DB, principal: CurrentPrincipal, data: UserCreate) -> Any:
    return accounts.create_user(db, principal, data)


@router.post("/users/{user_id}/role", response_model=UserRead)
def set_role(db: DB, principal: CurrentPrincipal, user_id: IdPath,
             role: Annotated[str, Form(max_length=32)]) -> Any:
    return accounts.set_role(db, principal, user_id, role)


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(db: DB, principal: CurrentPrincipal) -> Any:
    return accounts.list_tokens(db, principal)


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(db: DB, principal: CurrentPrincipal, data: TokenCreate) -> Any:
    token, secret = accounts.create_token(db, principal, data)
    return TokenCreated(**TokenRead.model_validate(token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", response_model=TokenRead)
def revoke_token(db: DB, principal: CurrentPrincipal, token_id: IdPath) -> Any:
    return accounts.revoke_token(db, principal, token_id)


# --- audit, notifications, attachments -----------------------------------------------------

@router.get("/audit", response_model=Page[AuditRead])
def list_audit(db: DB, principal: CurrentPrincipal, entity_type: Annotated[str, Query(max_length=64)] = "",
               action: Annotated[str, Query(max_length=32)] = "", actor: Annotated[str, Query(max_length=64)] = "",
               entity_id: Annotated[str, Query(max_length=64)] = "", page: PageNo = 1,
               per_page: PerPage = 50) -> Any:
    stmt = audit.list_entries(db, principal, entity_type=entity_type, action=action, actor=actor,
                              entity_id=entity_id)
    return paginate(db, stmt, AuditRead, page=page, per_page=per_page)


@router.get("/notifications", response_model=Page[NotificationRead])
def list_notifications(db: DB, principal: CurrentPrincipal, unread: bool = False, page: PageNo = 1) -> Any:
    return notify.inbox(db, principal, unread_only=unread, page=page)


@router.post("/notifications/{notification_id}/read", response_model=NotificationRead)
def read_notification(db: DB, principal: CurrentPrincipal, notification_id: IdPath) -> Any:
    return notify.mark_read(db, principal, notification_id)


@router.post("/attachments", response_model=AttachmentRead, status_code=201)
def upload_attachment(db: DB, principal: CurrentPrincipal, settings: AppSettings,
                      file: Annotated[UploadFile, File()], unit_id: Annotated[int, Form(ge=1, le=MAX_ID)],
                      entity_type: Annotated[str, Form(max_length=64)] = "",
                      entity_id: Annotated[str, Form(max_length=64)] = "") -> Any:
    return attachments.store(db, principal, settings, stream=file.file, filename=file.filename or "",
                             unit_id=unit_id, entity_type=entity_type, entity_id=entity_id)


@router.get("/attachments/{attachment_id}", response_model=AttachmentRead)
def attachment_meta(db: DB, principal: CurrentPrincipal, attachment_id: IdPath) -> Any:
    return attachments.get(db, principal, attachment_id)


@router.get("/attachments/{attachment_id}/download", response_class=FileResponse)
def download_attachment(db: DB, principal: CurrentPrincipal, settings: AppSettings,
                        attachment_id: IdPath) -> FileResponse:
    return attachment_response(*attachments.stored_file(db, principal, settings, attachment_id))


def attachment_response(row: Attachment, path: Path) -> FileResponse:
    """An attachment's bytes, with its own name and the type sniffed when it was stored."""
    return FileResponse(path, media_type=row.content_type, filename=row.filename,
                        headers={"X-Content-Type-Options": "nosniff"})


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """A model serialised by Pydantic directly (the route's response_model still documents it)."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of a request body for ``openapi_extra`` (a route that reads its body itself), with the
    model's ``$defs`` written in place: a ``#/$defs/…`` reference would point at nothing in the OpenAPI
    document. For models that do not refer to themselves."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return inline(schema)  # type: ignore[no-any-return]


def _xlsx_response(data: bytes, filename: str) -> Response:
    return Response(data, media_type=xlsx.XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def request_id(request: Request) -> str:
    return str(request.state.request_id)

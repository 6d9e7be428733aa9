"""Walks every route of the app as a given persona against another county's data.

A leak is either (a) a response that shows the foreign marker text, or (b) a request after
which the foreign county's rows differ. New routes are covered the day they are added: the
walker reads ``app.routes``, fills path parameters with foreign ids, query parameters named
``*_id`` with foreign ids and ``q`` with the marker, and bodies from their declared models.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import models_registry
from yingji.core.models import AuditEntry, Unit
from yingji.core.scope import in_subtree
from yingji.db import Base

MARKER = "LEAKMARK"
SEARCH = MARKER[:5]


@dataclass
class Leak:
    persona: str
    method: str
    path: str
    status: int
    why: str

    def __str__(self) -> str:
        return f"{self.persona} {self.method} {self.path} -> {self.status}: {self.why}"


def foreign_snapshot(session: Session, foreign_unit_path: str) -> str:
    """Every row that belongs to the foreign subtree, serialised: any change shows up."""
    models_registry.import_all()
    session.expire_all()
    unit_ids = [u for (u,) in session.execute(select(Unit.id).where(in_subtree(Unit.path, foreign_unit_path)))]
    parts = []
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if mapper.class_ is Unit:
            where = table.c.id.in_(unit_ids)
        elif "unit_id" in table.c:
            where = table.c.unit_id.in_(unit_ids)
        else:
            continue
        if mapper.class_ is AuditEntry:  # failed sign-ins against a foreign account are logged there, by design
            where = where & (table.c.action != "login_failed")
        columns = [c for c in table.c if c.key != "last_seen_at"]
        for row in session.execute(select(*columns).where(where).order_by(*table.primary_key.columns)):
            parts.append(f"{table.name}:{tuple(row)!r}")
    return "\n".join(parts)


def _body_text(response: Any) -> str:
    content = response.content
    if content[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
        except zipfile.BadZipFile:
            return content.decode("latin-1")
    return content.decode("utf-8", "replace")


def _value_for(name: str, annotation: Any, foreign: dict[str, Any]) -> Any:
    if name in foreign:
        return foreign[name]
    if name.endswith("_id"):
        return foreign["unit_id"]
    if name in ("q", "actor"):
        return SEARCH  # matches the marked rows, while an echo of the filter is not the marker
    if annotation in (int, float) or name in ("days", "page"):
        return 1
    if annotation is bool:
        return False
    return MARKER.lower()


def _model_body(model: type[BaseModel], foreign: dict[str, Any]) -> dict[str, Any]:
    return {name: _value_for(name, field.annotation, foreign) for name, field in model.model_fields.items()}


def api_routes(app: Any) -> list[tuple[str, APIRoute]]:
    """Every APIRoute with its full path, including those of included routers."""
    found: list[tuple[str, APIRoute]] = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            found.append((route.path, route))
        elif hasattr(route, "effective_route_contexts"):  # FastAPI's included routers
            for context in route.effective_route_contexts():
                if isinstance(context.original_route, APIRoute):
                    found.append((context.path, context.original_route))
    return found


def build_request(full_path: str, route: APIRoute, foreign: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    path = full_path
    for param in route.dependant.path_params:
        path = path.replace("{" + param.name + "}", str(_value_for(param.name, int, foreign)))
    kwargs: dict[str, Any] = {}
    params = {p.alias: _value_for(p.alias, None, foreign) for p in route.dependant.query_params
              if p.alias in ("q", "actor", "entity_id") or p.alias.endswith("_id")}
    if params:
        kwargs["params"] = params
    body_params = route.dependant.body_params
    if body_params:
        from fastapi.params import File, Form

        infos = [p.field_info for p in body_params]
        if any(isinstance(info, Form | File) for info in infos):
            data, files = {}, {}
            for p in body_params:
                if isinstance(p.field_info, File):
                    files[p.alias] = ("probe.xlsx", b"PK\x03\x04probe", "application/octet-stream")
                else:
                    data[p.alias] = _value_for(p.alias, None, foreign)
            kwargs["data"] = data
            if files:
                kwargs["files"] = files
        else:
            model = body_params[0].field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                kwargs["json"] = _model_body(model, foreign)
    return path, kwargs


def walk(app: Any, client: Any, persona: str, foreign: dict[str, Any], snapshot: Callable[[], str],
         reauth: Callable[[], None] | None = None, only: Callable[[str], bool] | None = None,
         tried: list[str] | None = None) -> list[Leak]:
    """Try every route with every method as ``client``; return the leaks found."""
    leaks: list[Leak] = []
    routes = [(p, r) for p, r in api_routes(app) if only is None or only(p)]
    routes.sort(key=lambda pr: (pr[0] == "/logout", pr[0]))
    # One snapshot after each unsafe request, compared with the one before it (the previous unsafe
    # request's): a GET that wrote foreign rows is caught too, on the next comparison or the last one.
    last = snapshot()
    for full_path, route in routes:
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            path, kwargs = build_request(full_path, route, foreign)
            headers = {"X-CSRF-Token": getattr(client, "csrf", "")}
            response = client.request(method, path, headers=headers, follow_redirects=False, **kwargs)
            if tried is not None:
                tried.append(f"{method} {full_path}")
            if response.status_code >= 500:
                leaks.append(Leak(persona, method, path, response.status_code, "server error"))
            if MARKER in _body_text(response):
                leaks.append(Leak(persona, method, path, response.status_code, "foreign data in the response"))
            if method != "GET":
                after = snapshot()
                if after != last:
                    leaks.append(Leak(persona, method, path, response.status_code, "foreign data changed"))
                last = after
                if reauth is not None:
                    reauth()
    if snapshot() != last:
        leaks.append(Leak(persona, "GET", "(the requests after the last unsafe one)", 0, "foreign data changed"))
    return leaks

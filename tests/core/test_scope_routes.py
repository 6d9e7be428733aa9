"""Every route, as every scoped role and as anonymous, against data of another county (精河县)."""

from __future__ import annotations

import importlib
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, unit_id
from tests.scope_checker import MARKER, api_routes, foreign_snapshot, walk
from yingji.core import accounts, attachments, notify, service
from yingji.core.models import Person, Unit, User
from yingji.core.schemas import PersonCreate, TokenCreate, UnitCreate, UserCreate
from yingji.core.scope import system_principal
from yingji.domains import DOMAINS
from yingji.web.deps import DB, require_principal

# Roles whose scope is legitimately the whole prefecture are not "another county's" readers.
SCOPED_PERSONAS = {
    "county_office": "bole",
    "department": "dept",
    "township_officer": "township",
    "info_officer": "village",
    "enterprise": "enterprise",
    "leader": "boleleader",
}


@pytest.fixture()
def foreign(database: Any, settings: Any) -> dict[str, Any]:
    """Rows in 精河县 that carry the marker, one of every kind the routes address by id."""
    system = system_principal("tests")
    with database.unit_of_work() as s:
        jinghe = unit_id(s, "652722")
        unit = service.create_unit(s, system, UnitCreate(parent_id=jinghe, code="652722-LEAK",
                                                         name=f"{MARKER}-精河单位", kind="enterprise"))
        person = service.create_person(s, system, PersonCreate(unit_id=unit.id, name=f"{MARKER}-person",
                                                               full_time_emergency=True))
        user = accounts.create_user(s, system, UserCreate(username="leakmark", display_name=MARKER, role="enterprise",
                                                          unit_id=unit.id, password=PASSWORD))
        accounts.create_user(s, system, UserCreate(username="boleleader", display_name="博乐市领导", role="leader",
                                                   unit_id=unit_id(s, "652701"), password=PASSWORD))
        pdf = io.BytesIO(b"%PDF-1.4\n" + MARKER.encode() + b"\n%%EOF\n")
        attachment = attachments.store(s, system, settings, stream=pdf, filename=f"{MARKER}.pdf", unit_id=unit.id)
        note = notify.notify(s, system, users=[user], subject=f"{MARKER} notice", mail=False)[0]
        from yingji.core.scope import Principal

        as_user = Principal(user_id=user.id, name=user.username, unit_id=unit.id, unit_path=unit.path,
                            role=user.role, via="session")
        token, _secret = accounts.create_token(s, as_user, TokenCreate(name=MARKER))
        ids = {"unit_id": unit.id, "parent_id": unit.id, "person_id": person.id, "user_id": user.id,
               "attachment_id": attachment.id, "notification_id": note.id, "token_id": token.id, "path": unit.path}
        # Each domain adds its own marked rows: tests/<domain>/foreign.py, rows(s, system, as_user, unit, user).
        for domain in DOMAINS:
            if (Path(__file__).parents[1] / domain / "foreign.py").exists():
                module = importlib.import_module(f"tests.{domain}.foreign")
                added = module.rows(s, system, as_user, unit, user)
                clash = set(added) & set(ids)
                assert not clash, f"{domain} reuses path parameter names {clash}"
                ids.update(added)
    return ids


def all_endpoints(app: Any) -> list[str]:
    return [f"{m} {p}" for p, r in api_routes(app) for m in r.methods - {"HEAD", "OPTIONS"}]


def test_walker_sees_every_route(app: Any) -> None:
    endpoints = all_endpoints(app)
    assert len(endpoints) > 50
    for expected in ("GET /api/units", "POST /api/units", "GET /units/{unit_id}", "POST /units/{unit_id}/move",
                     "GET /audit", "DELETE /api/tokens/{token_id}", "GET /api/attachments/{attachment_id}/download"):
        assert expected in endpoints


def _snapshotter(database: Any, path: str) -> Any:
    def snap() -> str:
        with database.sessionmaker() as s:
            return foreign_snapshot(s, path)
    return snap


@pytest.mark.parametrize("role", sorted(SCOPED_PERSONAS))
def test_no_route_leaks_another_county(app: Any, browser: Any, database: Any, foreign: dict[str, Any],
                                       role: str) -> None:
    username = SCOPED_PERSONAS[role]
    client = browser(username)

    def reauth() -> None:
        if client.get("/api/ping").status_code == 401:
            client.sign_in(username)

    tried: list[str] = []
    leaks = walk(app, client, username, foreign, _snapshotter(database, foreign["path"]), reauth=reauth,
                 tried=tried)
    assert not leaks, "\n".join(map(str, leaks))
    assert len(tried) == len(all_endpoints(app)) and "GET /api/units/{unit_id}" in tried


def test_anonymous_reaches_nothing_but_public_routes(app: Any, browser: Any, database: Any,
                                                     foreign: dict[str, Any]) -> None:
    client = browser()
    leaks = walk(app, client, "anonymous", foreign, _snapshotter(database, foreign["path"]))
    assert not leaks, "\n".join(map(str, leaks))
    checked = 0
    for path, route in api_routes(app):
        if "GET" in route.methods and path not in app.state.public_paths and "{" not in path:
            response = client.get(path, follow_redirects=False)
            assert response.status_code in (401, 303), (path, response.status_code)
            checked += 1
    assert checked > 10


def test_checker_reports_a_deliberately_unscoped_route(app: Any, browser: Any, database: Any,
                                                       foreign: dict[str, Any]) -> None:
    """The walker must catch a route that forgets the scope helper — on read and on write."""

    @app.get("/api/unscoped-probe/{unit_id}", dependencies=[Depends(require_principal)])
    def unscoped_read(unit_id: int, db: DB) -> dict[str, str]:
        unit = db.get(Unit, unit_id)
        return {"name": unit.name if unit else ""}

    @app.post("/api/unscoped-probe/{person_id}/rename", dependencies=[Depends(require_principal)])
    def unscoped_write(person_id: int, db: DB) -> dict[str, str]:
        person = db.get(Person, person_id)
        if person is not None:
            person.name = "renamed"
        return {"ok": "yes"}

    client = browser("bole")
    leaks = walk(app, client, "bole", foreign, _snapshotter(database, foreign["path"]),
                 only=lambda path: path.startswith("/api/unscoped-probe"))
    reasons = {(leak.method, leak.why) for leak in leaks}
    assert ("GET", "foreign data in the response") in reasons
    assert ("POST", "foreign data changed") in reasons


def test_prefecture_office_does_see_every_county(browser: Any, foreign: dict[str, Any]) -> None:
    """The positive side: the prefecture's scope covers 精河县, so the marker is found there."""
    client = browser("zhou")
    response = client.get("/api/units", params={"q": MARKER})
    assert response.status_code == 200
    assert [u["code"] for u in response.json()["items"]] == ["652722-LEAK"]


def test_not_yours_looks_like_not_found(browser: Any, session: Session, foreign: dict[str, Any]) -> None:
    client = browser("bole")
    missing = client.get("/api/units/999999")
    foreign_row = client.get(f"/api/units/{foreign['unit_id']}")
    assert missing.status_code == foreign_row.status_code == 404
    assert missing.json() == foreign_row.json()
    assert session.scalar(select(User.id).where(User.username == "leakmark")) is not None

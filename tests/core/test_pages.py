"""Pages: every area in the navigation, both languages, and clear errors for bad input."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import zh
from yingji.web.deps import DB, CurrentPrincipal
from yingji.web.templating import NAV, UNBUILT


@pytest.mark.parametrize("username", ["admin", "zhou", "bole", "dept", "township", "village", "enterprise", "leader"])
def test_every_navigation_entry_answers_for_every_role(browser: Any, username: str) -> None:
    client = browser(username)
    for _key, href, _label, _built in NAV:
        response = client.get(href)
        assert response.status_code in (200, 403), (href, response.status_code)
        if response.status_code == 403:
            assert zh("Your role does not allow this action.") in response.text


def test_unbuilt_areas_say_so_and_invent_nothing(browser: Any) -> None:
    client = browser("zhou")
    for key in UNBUILT:
        page = client.get(f"/{key}")
        assert zh("This area is not built yet. Nothing is shown here until it is: no data on this page is "
                  "invented.") in page.text
        assert "<table" not in page.text


def test_language_switch_is_remembered_for_the_user(browser: Any) -> None:
    client = browser("bole")
    home = client.get("/")
    assert zh("Units") in home.text and 'lang="zh-CN"' in home.text
    assert client.form("/lang", {"lang": "en", "next": "/units"}).status_code == 303
    english = client.get("/")
    assert 'lang="en"' in english.text and ">Units<" in english.text and ">Audit log<" in english.text
    # a new browser for the same person gets the stored language at sign-in
    other = browser("bole")
    assert 'lang="en"' in other.get("/").text
    assert client.form("/lang", {"lang": "klingon"}).status_code == 400


def test_times_are_shown_in_the_configured_zone(browser: Any, session: Any) -> None:
    from sqlalchemy import select

    from yingji.core.models import AuditEntry

    client = browser("bole")
    page = client.get("/audit", params={"action": "login", "actor": "bole"})
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "login")).all()[-1]
    local = entry.at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert local in page.text


@pytest.mark.parametrize("path", ["/units/abc", "/units/99999999", "/api/units/-1", "/units?page=0",
                                  "/api/units?per_page=abc", "/nowhere", "/units/new?parent_id=x"])
def test_bad_addresses_get_a_clear_4xx(browser: Any, path: str) -> None:
    response = browser("bole").get(path)
    assert 400 <= response.status_code < 500


def test_malformed_cookie_and_json_are_client_errors(browser: Any, app: Any) -> None:
    from fastapi.testclient import TestClient

    raw = TestClient(app)
    assert raw.get("/login", headers={"cookie": 'yj_session="; ;;=\x7f'}).status_code == 200
    client = browser("bole")
    broken = client.api("POST", "/api/units", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422
    wrong_type = client.api("POST", "/api/units", content=b"<xml/>", headers={"content-type": "text/xml"})
    assert 400 <= wrong_type.status_code < 500


def test_safe_redirect_after_sign_in(browser: Any) -> None:
    client = browser()
    page = client.get("/login")
    assert page.status_code == 200
    response = client.post("/login", data={"username": "bole", "password": "Yingji@2026", "csrf_token": client.csrf,
                                           "next": "//evil.example/"}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_every_rendered_form_carries_the_csrf_token(browser: Any, session: Any) -> None:
    """Forms must echo the CSRF cookie: an empty token would make every form fail with 403."""
    from tests.conftest import unit_id

    client = browser("bole")
    pages = ["/", "/units", f"/units/{unit_id(session, '652701100')}",
             f"/units/new?parent_id={unit_id(session, '652701')}", "/units/import", "/admin/users", "/account",
             "/inbox", "/audit"]
    for path in pages:
        html = client.get(path).text
        assert 'name="csrf_token" value=""' not in html, path
        for token in re.findall(r'name="csrf_token" value="([^"]*)"', html):
            assert token == client.csrf, path


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("GET", "/api/units", {"params": {"parent_id": 6670557390198434845507452928}}),
    ("GET", "/api/attachments/25088054631940526092320768/download", {}),
    ("POST", "/api/notifications/38279925789699342336/read", {}),
    ("POST", "/api/units/2/move", {"json": {"parent_id": 29888760877386324833003981456277504}}),
    ("PATCH", "/api/units/11", {"json": {"name": "0", "in_industrial_park": None}}),
    ("PATCH", "/api/units/11", {"json": {"leading_body": None}}),
])
def test_values_the_fuzzer_found_are_client_errors(browser: Any, method: str, path: str, kwargs: Any) -> None:
    response = browser("zhou").api(method, path, **kwargs)
    assert 400 <= response.status_code < 500, response.text


def test_pages_are_chinese_first_whatever_the_browser_asks(browser: Any) -> None:
    client = browser("bole")
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert 'lang="zh-CN"' in page.text
    api = client.get("/api/units/999999", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert api.json()["detail"] == "Not found, or not within your area."


def test_a_value_only_the_database_refuses_is_a_clear_page(app: Any, browser: Any, session: Any) -> None:
    """The safety net behind the checks at the edge: a value that reaches the database and is refused there
    (an integer beyond its column) is answered 400 on a full page in the user's language. The page is drawn
    after the failed transaction is rolled back (it reads the user's notices), and nothing is kept."""
    from fastapi import APIRouter
    from sqlalchemy import select

    from yingji.core.models import Unit

    router = APIRouter()

    @router.post("/test-only/overflow/{unit_id}")
    def overflow(db: DB, principal: CurrentPrincipal, unit_id: int) -> None:
        unit = db.get(Unit, unit_id)
        assert unit is not None
        unit.name, unit.depth = "改名不应保存", 2**70
        db.flush()

    app.include_router(router)
    client = browser("bole")
    township = session.scalar(select(Unit).where(Unit.code == "652701100"))
    response = client.form(f"/test-only/overflow/{township.id}")
    assert response.status_code == 400
    assert zh("A value is out of range.") in response.text and zh("Units") in response.text
    session.expire_all()
    assert session.get(Unit, township.id).name == "小营盘镇"


def test_a_duplicate_only_the_database_catches_is_a_conflict_page(app: Any, browser: Any, session: Any) -> None:
    """A second row with the same key, which only the database's unique constraint catches (the service's
    own check ran before the twin was committed), is answered 409 in the user's language: the page is
    drawn after the failed transaction is rolled back, and nothing is kept."""
    from fastapi import APIRouter
    from sqlalchemy import func, select

    from yingji.core.models import Unit

    router = APIRouter()

    @router.post("/test-only/twin/{unit_id}")
    def twin(db: DB, principal: CurrentPrincipal, unit_id: int) -> None:
        original = db.get_one(Unit, unit_id)
        db.add(Unit(code=original.code, name="孪生单位", kind=original.kind, parent_id=original.parent_id,
                    path="/", depth=original.depth))
        db.flush()

    app.include_router(router)
    township = session.scalar(select(Unit).where(Unit.code == "652701100"))
    before = session.scalar(select(func.count()).select_from(Unit))
    response = browser("bole").form(f"/test-only/twin/{township.id}")
    assert response.status_code == 409
    assert zh("The change could not be saved because it conflicts with another change. Reload and try "
              "again.") in response.text and zh("Units") in response.text
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Unit)) == before


def test_two_units_with_one_code_at_once_keep_one(browser: Any, session: Any, database: Any) -> None:
    """The real race: while one transaction holds a new unit with a code, a request for another unit with
    the same code is answered 4xx (never 500) once the first commits, and one unit has the code."""
    import threading

    from sqlalchemy import func, select

    from yingji.core.models import Unit

    client = browser("bole")
    township = session.scalar(select(Unit).where(Unit.code == "652701100"))
    holder = database.sessionmaker()
    answers: list[int] = []
    try:
        holder.add(Unit(code="652701100-TW", name="先到的村", kind="village", parent_id=township.id,
                        path=township.path, depth=township.depth + 1))
        holder.flush()
        request = threading.Thread(target=lambda: answers.append(client.api("POST", "/api/units", json={
            "parent_id": township.id, "code": "652701100-TW", "name": "后到的村", "kind": "village"}).status_code))
        request.start()
        request.join(timeout=0.5)
        holder.commit()
        request.join(timeout=15)
    finally:
        holder.close()
    assert len(answers) == 1 and 400 <= answers[0] < 500, answers
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Unit).where(Unit.code == "652701100-TW")) == 1


def test_pages_scripts_and_lists_go_compressed_to_a_client_that_asks(browser: Any) -> None:
    """A phone on a slow line: the village officer's report form, its scripts and an API list come gzip-compressed
    when the client accepts it, and decompress to what an identity answer carries; a client that does not ask
    gets them as they are, and small answers and spreadsheets (already packed) are not compressed."""
    village, prefecture = browser("village"), browser("zhou")
    for client, path in ((village, "/incidents/new"), (village, "/static/vendor/htmx/htmx.min.js"),
                         (village, "/static/incidents/report-form.js"), (prefecture, "/api/units")):
        plain = client.get(path, headers={"Accept-Encoding": "identity"})
        packed = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert plain.status_code == packed.status_code == 200, path
        assert "content-encoding" not in plain.headers, path
        assert packed.headers.get("content-encoding") == "gzip", (path, packed.headers)
        assert len(packed.content) == len(plain.content), path  # decoded by the client
        assert int(packed.headers["content-length"]) < len(plain.content) / 2, path
        if path.startswith("/static/"):
            assert packed.content == plain.content
    small = village.get("/api/ping", headers={"Accept-Encoding": "gzip"})
    assert small.status_code == 200 and "content-encoding" not in small.headers
    sheet = prefecture.get("/audit?export=xlsx", headers={"Accept-Encoding": "gzip"})  # packed already
    assert sheet.status_code == 200 and "content-encoding" not in sheet.headers and sheet.content[:2] == b"PK"


def test_scripts_and_styles_are_named_by_their_content_and_kept(browser: Any) -> None:
    """Every script and style sheet a page names carries the hash of its content: the answer to that name may be
    kept for a year (a phone does not ask again on every page); the bare name, or an old hash, is answered
    as before, to be checked against its ETag."""
    import re

    from yingji.web.static_files import CHECK, KEEP

    client = browser("village")
    page = client.get("/incidents/new")
    named = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert len(named) >= 5
    for url in named:
        path, _, version = url.partition("?v=")
        assert re.fullmatch(r"[0-9a-f]{12}", version), url
        kept = client.get(url)
        assert kept.status_code == 200 and kept.headers["cache-control"] == KEEP, url
        bare = client.get(path)
        assert bare.content == kept.content and bare.headers["cache-control"] == CHECK and bare.headers["etag"]
        assert client.get(f"{path}?v=000000000000").headers["cache-control"] == CHECK
        again = client.get(path, headers={"If-None-Match": bare.headers["etag"]})
        assert again.status_code == 304


def test_a_changed_file_gets_a_new_name(tmp_path: Any, monkeypatch: Any) -> None:
    import os

    from yingji.web import static_files

    monkeypatch.setattr(static_files, "STATIC_DIR", tmp_path)
    script = tmp_path / "a.js"
    script.write_text("var a = 1;")
    first = static_files.static_url("a.js")
    assert first == static_files.static_url("a.js")
    script.write_text("var a = 22;")
    os.utime(script, ns=(1, 1))
    assert static_files.static_url("a.js") != first
    assert static_files.static_url("missing.js") == "/static/missing.js"  # fetched later; the page still draws

"""Sign-in, sessions, CSRF, throttling, password change and API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, Browser, audit_count, zh
from yingji import clock
from yingji.core.models import ApiToken, AuditEntry, LoginAttempt, User


def test_sign_in_sets_a_hardened_cookie_and_audits(browser: Any, session: Session) -> None:
    client = browser()
    response = client.sign_in("bole")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = [h for h in response.headers.get_list("set-cookie") if h.startswith("yj_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # plain http in tests; Secure is set behind https (see test below)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "login")).all()[-1]
    assert entry.actor_name == "bole"
    stored = session.scalar(select(User.password_hash).where(User.username == "bole"))
    assert stored.startswith("$argon2id$")


def test_secure_cookie_behind_https(app: Any, browser: Any) -> None:
    app.state.settings.base_url = "https://yingji.example"
    with Browser(app, base_url="https://testserver") as client:
        response = client.sign_in("bole")
    cookie = [h for h in response.headers.get_list("set-cookie") if h.startswith("yj_session=")][0]
    assert "Secure" in cookie


def test_wrong_password_is_refused_in_chinese_and_recorded(browser: Any, session: Session) -> None:
    client = browser()
    response = client.sign_in("bole", "wrong-password-1")
    assert response.status_code == 401
    assert zh("Wrong user name or password.") in response.text
    failures = session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.username == "bole", LoginAttempt.success.is_(False)))
    assert failures == 1


def test_throttling_per_account_at_the_limit(app: Any, browser: Any) -> None:
    limit = app.state.settings.login_fail_limit_account
    client = browser()
    for _ in range(limit - 1):
        assert client.sign_in("bole", "wrong-password-1").status_code == 401
    # the limit-th failure is still an ordinary failure; from then on the account is held back
    assert client.sign_in("bole", "wrong-password-1").status_code == 401
    held = client.sign_in("bole", PASSWORD)
    assert held.status_code == 429
    assert zh("Too many failed sign-ins for this account. Try again in %(minutes)s minutes.",
              minutes=app.state.settings.login_fail_window_minutes) in held.text
    # after the window has passed the right password works again
    later = clock.now() + timedelta(minutes=app.state.settings.login_fail_window_minutes + 1)
    clock.set_clock(lambda: later)
    assert client.sign_in("bole", PASSWORD).status_code == 303


def test_throttling_per_address(app: Any, browser: Any) -> None:
    app.state.settings.login_fail_limit_address = 3
    client = browser()
    for name in ("nobody1", "nobody2", "nobody3"):
        assert client.sign_in(name, "wrong-password-1").status_code == 401
    response = client.sign_in("jinghe", PASSWORD)
    assert response.status_code == 429
    assert zh("Too many failed sign-ins from this address. Try again in %(minutes)s minutes.",
              minutes=app.state.settings.login_fail_window_minutes) in response.text


def test_post_without_csrf_is_refused_and_changes_nothing(browser: Any, session: Session) -> None:
    client = browser("bole")
    before = audit_count(session)
    response = client.post("/units/new", data={"parent_id": "2", "code": "X1", "name": "x", "kind": "village"},
                           follow_redirects=False)
    assert response.status_code == 403
    assert zh("The form has expired or did not come from this site. Reload the page and try again.") \
        in response.text
    wrong = client.post("/api/units", json={"parent_id": 2, "code": "X1", "name": "x", "kind": "village"},
                        headers={"X-CSRF-Token": "not-the-token-at-all-x"})
    assert wrong.status_code == 403
    assert audit_count(session) == before


def test_session_expires_when_idle(app: Any, browser: Any) -> None:
    client = browser("bole")
    assert client.get("/api/ping").status_code == 200
    idle = app.state.settings.session_idle_minutes
    later = clock.now() + timedelta(minutes=idle + 1)
    clock.set_clock(lambda: later)
    expired = client.get("/api/ping")
    assert expired.status_code == 401
    assert expired.json()["detail"] == zh("Please sign in.")
    page = client.get("/units", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_logout_ends_the_session(browser: Any) -> None:
    client = browser("bole")
    assert client.form("/logout").status_code == 303
    assert client.get("/api/ping").status_code == 401


def test_password_change(browser: Any, session: Session) -> None:
    client = browser("township")
    bad = client.form("/account/password", {"current": "wrong", "new": "Another#2026x", "confirm": "Another#2026x"})
    assert bad.status_code == 400 and zh("The current password is wrong.") in bad.text
    weak = client.form("/account/password", {"current": PASSWORD, "new": "short", "confirm": "short"})
    assert weak.status_code == 400
    ok = client.form("/account/password", {"current": PASSWORD, "new": "Another#2026x", "confirm": "Another#2026x"})
    assert ok.status_code == 200
    other = browser()
    assert other.sign_in("township", PASSWORD).status_code == 401
    assert other.sign_in("township", "Another#2026x").status_code == 303
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "password")) == 1


def test_api_tokens_create_use_list_revoke(browser: Any, app: Any, session: Session) -> None:
    from fastapi.testclient import TestClient

    client = browser("bole")
    created = client.api("POST", "/api/tokens", json={"name": "script", "days": 30})
    assert created.status_code == 201
    secret = created.json()["token"]
    stored = session.scalar(select(ApiToken).where(ApiToken.id == created.json()["id"]))
    assert stored is not None and stored.token_hash != secret and secret not in stored.token_hash
    bearer = TestClient(app)
    headers = {"Authorization": f"Bearer {secret}"}
    me = bearer.get("/api/me", headers=headers)
    assert me.status_code == 200 and me.json()["username"] == "bole"
    # a bearer request needs no CSRF token: no ambient cookie authority is involved
    assert bearer.post("/api/people", headers=headers, json={"unit_id": 2, "name": "张三"}).status_code == 201
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "token_use")) == 1
    assert session.get_one(ApiToken, created.json()["id"]).last_used_at is not None  # the use is stored
    listed = client.get("/api/tokens").json()
    assert [t["name"] for t in listed] == ["script"] and "token" not in listed[0]
    assert client.api("DELETE", f"/api/tokens/{created.json()['id']}").status_code == 200
    refused = bearer.get("/api/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["detail"] == zh("The API token is invalid, expired or revoked.")


def test_a_deactivated_users_token_and_session_are_refused(browser: Any, app: Any, session: Session) -> None:
    from fastapi.testclient import TestClient

    signed_in = browser("bole")
    secret = signed_in.api("POST", "/api/tokens", json={"name": "script", "days": 30}).json()["token"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert TestClient(app).get("/api/me", headers=headers).status_code == 200
    assert signed_in.get("/api/me").status_code == 200
    session.execute(update(User).where(User.username == "bole").values(is_active=False))
    session.commit()
    assert TestClient(app).get("/api/me", headers=headers).status_code == 401
    assert signed_in.get("/api/me").status_code == 401


def test_expired_token_is_refused(browser: Any, app: Any) -> None:
    from fastapi.testclient import TestClient

    client = browser("bole")
    secret = client.api("POST", "/api/tokens", json={"name": "short", "days": 1}).json()["token"]
    later = clock.now() + timedelta(days=1, seconds=1)
    clock.set_clock(lambda: later)
    assert TestClient(app).get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_leader_is_read_only(browser: Any, session: Session) -> None:
    client = browser("leader")
    assert client.get("/api/units").status_code == 200
    before = audit_count(session)
    response = client.api("POST", "/api/units", json={"parent_id": 2, "code": "L1", "name": "x", "kind": "village"})
    assert response.status_code == 403
    assert response.json()["detail"] == zh("Your role does not allow this action.")
    assert audit_count(session) == before


def test_english_messages_for_english_users(browser: Any) -> None:
    client = browser("bole")
    client.form("/lang", {"lang": "en", "next": "/"})
    response = client.api("POST", "/api/units", json={"parent_id": 999999, "code": "E1", "name": "x",
                                                      "kind": "village"})
    assert response.status_code == 404
    assert response.json()["detail"] == "Not found, or not within your area."
    assert "Units" in client.get("/units").text


def test_a_planted_csrf_cookie_is_replaced_not_trusted(app: Any, session: Session) -> None:
    """Whoever sets the cookie from outside cannot choose the token: it must carry our signature."""
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        client.cookies.set("yj_csrf", "attacker-chosen-value-123456")
        page = client.get("/login")
        issued = page.cookies.get("yj_csrf")
        assert issued and issued != "attacker-chosen-value-123456" and "." in issued
        refused = client.post("/login", data={"username": "bole", "password": PASSWORD,
                                              "csrf_token": "attacker-chosen-value-123456"}, follow_redirects=False)
        assert refused.status_code == 403


def test_the_sign_in_runs_where_the_route_runs_and_its_owed_write_goes_to_a_thread(
        browser: Any, app: Any, session: Session, monkeypatch: Any) -> None:
    """A coroutine route on SQLite (an incident submission) signs in on the event loop, and the write the
    sign-in owes once a minute (the token's use audited) runs in the thread pool, where waiting for another
    transaction's lock holds up no other request. Any other route, and every route on PostgreSQL, signs in in
    the thread pool. The use is audited once a minute either way."""
    import asyncio

    from fastapi.testclient import TestClient

    from tests.incidents.helpers import first_report
    from yingji.core import accounts, auth

    on_loop: dict[str, list[bool]] = {"read": [], "write": []}
    read, write = auth.user_for_token, accounts.note_token_use

    def reading(*args: Any) -> Any:
        on_loop["read"].append(asyncio._get_running_loop() is not None)
        return read(*args)

    def writing(*args: Any) -> Any:
        on_loop["write"].append(asyncio._get_running_loop() is not None)
        return write(*args)

    monkeypatch.setattr(auth, "user_for_token", reading)
    monkeypatch.setattr(accounts, "note_token_use", writing)
    secret = browser("village").api("POST", "/api/tokens", json={"name": "loop", "days": 30}).json()["token"]
    bearer = TestClient(app)
    headers = {"Authorization": f"Bearer {secret}"}
    sqlite = session.get_bind().dialect.name == "sqlite"

    def submit(n: int) -> int:
        report = first_report(clock.now() - timedelta(minutes=5))
        keyed = {**headers, "Idempotency-Key": f"loop-{n}"}
        return bearer.post("/api/incidents", json=report, headers=keyed).status_code

    assert [submit(n) for n in range(2)] == [201, 201]
    assert bearer.get("/api/me", headers=headers).status_code == 200
    assert on_loop == {"read": [sqlite, sqlite, False], "write": [False]}  # owed by the first request only
    later = clock.now() + timedelta(minutes=1)
    clock.set_clock(lambda: later)
    assert submit(2) == 201
    assert on_loop["read"][-1] is sqlite and on_loop["write"] == [False, False]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "token_use")) == 2

"""ASGI middleware: request id and language, body size limit, and the per-request transaction."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import secrets
import uuid
from collections.abc import Sequence
from http.cookies import SimpleCookie
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yingji import i18n
from yingji.db import Database, is_busy
from yingji.errors import BUSY_RETRY_AFTER, CONFLICTING_CHANGE, DATABASE_BUSY
from yingji.settings import Settings

log = logging.getLogger(__name__)

CSRF_COOKIE = "yj_csrf"
LANG_COOKIE = "yj_lang"
SESSION_COOKIE = "yj_session"


def _cookies(scope: Scope) -> dict[str, str]:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is ignored, not fatal
                return {}
            return {k: m.value for k, m in jar.items()}
    return {}


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return None


def _without_blanks(query: bytes) -> bytes:
    """A page's query string without its blank values. A filter form sends every field, ``unit_id=`` for
    "all units" and ``year=`` for a field left empty: a blank value is no value, not a wrong one."""
    parts = [part for part in query.split(b"&") if part and not part.endswith(b"=")]
    return b"&".join(parts)


class RequestContextMiddleware:
    """Gives each request an id, a language and a CSRF cookie.

    The CSRF token is random plus an HMAC of it under the secret key: a cookie planted by
    anyone else (another site, a sibling domain) is not accepted as a token and is replaced.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._key = settings.secret_key.encode()

    def _mac(self, nonce: str) -> str:
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()[:24]

    def _new_token(self) -> str:
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{self._mac(nonce)}"

    def _genuine(self, token: str) -> bool:
        nonce, _, mac = token.partition(".")
        return bool(nonce) and hmac.compare_digest(mac, self._mac(nonce))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "GET" and scope.get("query_string") and not scope["path"].startswith("/api/"):
            scope["query_string"] = _without_blanks(scope["query_string"])
        cookies = _cookies(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = (_header(scope, b"x-request-id") or uuid.uuid4().hex)[:64]
        state["cookies"] = cookies
        # Pages speak the configured language (Chinese first) until a person chooses; API clients
        # may ask for theirs with Accept-Language.
        lang = cookies.get(LANG_COOKIE)
        if not lang and scope["path"].startswith("/api/"):
            lang = i18n.pick_language(_header(scope, b"accept-language"))
        state["lang"] = i18n.set_language(lang or self.settings.lang)
        csrf = cookies.get(CSRF_COOKIE, "")
        new_csrf = not self._genuine(csrf)
        state["csrf"] = self._new_token() if new_csrf else csrf

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", state["request_id"].encode()))
                if new_csrf:
                    flags = "; Secure" if self.settings.secure_cookies else ""
                    headers.append((b"set-cookie",
                                    f"{CSRF_COOKIE}={state['csrf']}; Path=/; HttpOnly; SameSite=Lax{flags}".encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimitMiddleware:
    """Refuses request bodies above a limit with 413, before anything reads them whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length and length.isdigit() and int(length) > self.max_bytes:
            await _too_large(scope, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _too_large(scope, send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, send: Send) -> None:
    await _error(scope, send, 413, i18n.N_("The request is too large."))


def wants_json(scope: Scope) -> bool:
    """An API call, or a client that asks for JSON; a page's request (a form, a link) is answered with a page."""
    return scope["path"].startswith("/api/") or "application/json" in (_header(scope, b"accept") or "")


_ERROR_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{status}</title></head>
<body><h1>{status}</h1><p role="alert">{message}</p>
<p><a href="javascript:history.back()">{back}</a> · <a href="/">{home}</a></p></body></html>
"""


async def _error(scope: Scope, send: Send, status: int, message: str,
                 headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    """An answer the middleware gives itself (no route ran, or its transaction could not be kept), in the user's
    language: JSON for the API, a plain page for a browser's page request (the site's templates need the
    request's session, which is gone by then)."""
    if wants_json(scope):
        body = json.dumps({"detail": i18n.gettext(message)}, ensure_ascii=False).encode()
        content_type = b"application/json; charset=utf-8"
    else:
        body = _ERROR_PAGE.format(lang=i18n.current_language().replace("_", "-"), status=status,
                                  message=html.escape(i18n.gettext(message)), back=html.escape(i18n.gettext("Back")),
                                  home=html.escape(i18n.gettext("Home"))).encode()
        content_type = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


class TransactionMiddleware:
    """One database session per request: committed once if the response is a success, else rolled back.

    Handlers and services never commit. The decision is taken when the response starts, so a
    client never sees a success whose data was not stored.
    """

    def __init__(self, app: ASGIApp, database: Database, after_commit: Any = None) -> None:
        self.app = app
        self.database = database
        self.after_commit = after_commit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        session = self.database.sessionmaker()
        scope.setdefault("state", {})["db"] = session
        finished = False

        def commit_and_close() -> bool:
            try:
                session.commit()
                return bool(session.info.pop("outbox_dirty", False))
            finally:
                session.close()

        async def finish(status: int) -> None:
            nonlocal finished
            if finished:
                return
            finished = True
            if status < 400:
                if not session.in_transaction() and not session.new and not session.dirty and not session.deleted:
                    committed = commit_and_close()
                else:
                    committed = await anyio.to_thread.run_sync(commit_and_close)
                if committed and self.after_commit is not None:
                    await anyio.to_thread.run_sync(self.after_commit)
            else:
                await anyio.to_thread.run_sync(session.close)  # closing rolls back

        dropped = False

        async def send_after_decision(message: Message) -> None:
            nonlocal dropped
            if dropped:
                return
            if message["type"] == "http.response.start":
                try:
                    await finish(int(message["status"]))
                except Exception as exc:
                    log.exception("commit failed")
                    await anyio.to_thread.run_sync(session.rollback)
                    dropped = True
                    if is_busy(exc):  # the commit's own writes waited too long for another transaction's lock
                        await _error(scope, send, 503, DATABASE_BUSY,
                                     [(b"retry-after", str(BUSY_RETRY_AFTER).encode())])
                    else:
                        await _error(scope, send, 409, CONFLICTING_CHANGE)
                    return
            await send(message)

        try:
            await self.app(scope, receive, send_after_decision)
        finally:
            if not finished:
                finished = True
                await anyio.to_thread.run_sync(session.close)  # closing rolls back

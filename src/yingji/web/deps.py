"""FastAPI dependencies: the request's session, the principal, the CSRF check."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta, tzinfo
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from yingji.core import accounts, auth
from yingji.core.schemas import MAX_ID
from yingji.core.scope import Principal
from yingji.errors import NotAuthenticated, PermissionDenied, UserError
from yingji.settings import Settings
from yingji.web.middleware import SESSION_COOKIE

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


# Dependencies that do no I/O are coroutines: FastAPI then calls them on the event loop
# instead of handing each to the thread pool.
async def get_session(request: Request) -> Session:
    return request.state.db  # type: ignore[no-any-return]


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def optional_principal(request: Request) -> Principal | None:
    """The principal behind a bearer token or a session cookie, or None."""
    if hasattr(request.state, "principal"):
        return request.state.principal  # type: ignore[no-any-return]
    session: Session = request.state.db
    principal = None
    raw = _bearer(request)
    if raw is not None:
        found = auth.user_for_token(session, raw)
        if found is None:
            raise NotAuthenticated("The API token is invalid, expired or revoked.")
        user, token, unit = found
        principal = auth.principal_for(user, unit, via="token", request_id=request.state.request_id,
                                       address=client_address(request))
        accounts.note_token_use(session, principal, token)
    elif key := request.state.cookies.get(SESSION_COOKIE):
        signed_in = auth.user_for_session(session, request.app.state.settings, key)
        if signed_in is not None:
            session_user, unit = signed_in
            principal = auth.principal_for(session_user, unit, via="session", request_id=request.state.request_id,
                                           address=client_address(request))
    request.state.principal = principal
    return principal


def require_principal(request: Request) -> Principal:
    principal = optional_principal(request)
    if principal is None:
        raise NotAuthenticated("Please sign in.")
    return principal


async def csrf_guard(request: Request) -> None:
    """State-changing requests from a browser must carry the CSRF token of the page they came from."""
    if request.method not in UNSAFE_METHODS or _bearer(request) is not None:
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        try:
            form = await request.form()
        except Exception as exc:  # malformed bodies are a client error
            raise PermissionDenied("The form could not be read.") from exc
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    expected = request.state.csrf
    if not sent or not hmac.compare_digest(sent, expected):
        raise PermissionDenied("The form has expired or did not come from this site. Reload the page and try again.")


IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
IdQueryRequired = Annotated[int, Query(ge=1, le=MAX_ID)]


def day_range(date_from: str, date_to: str, zone: tzinfo, *, from_field: str = "date_from",
              to_field: str = "date_to") -> tuple[datetime | None, datetime | None]:
    """A list filter's local days (YYYY-MM-DD, either may be empty) as instants: the start of the first day
    and the start of the day after the last (so the last day is included). A bad date or a range that ends
    before it starts is a 400 naming the field."""

    def start_of(value: str, field: str) -> datetime | None:
        if not value:
            return None
        try:
            day = datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            day = None
        if day is None or not 1000 <= day.year <= 9000:  # far years overflow on the way to UTC
            raise UserError("A date (YYYY-MM-DD) is expected here.", field=field)
        return day.replace(tzinfo=zone)

    since, last = start_of(date_from, from_field), start_of(date_to, to_field)
    if since is not None and last is not None and last < since:
        raise UserError("The end date is before the start date.", field=to_field)
    return since, last + timedelta(days=1) if last is not None else None
DB = Annotated[Session, Depends(get_session)]
CurrentPrincipal = Annotated[Principal, Depends(require_principal)]


async def principal_on_loop(request: Request) -> Principal:
    """:func:`require_principal` on the event loop for SQLite (a local file: the token's lookup is one indexed
    read, shorter than the hand-over to a thread), in the thread pool for a database across the network."""
    if request.state.db.get_bind().dialect.name == "sqlite":
        return require_principal(request)
    return await run_in_threadpool(require_principal, request)


# For routes run on the event loop (see incidents.api.on_loop); the others take CurrentPrincipal.
LoopPrincipal = Annotated[Principal, Depends(principal_on_loop)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]

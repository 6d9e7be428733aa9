"""FastAPI dependencies: the request's session, the principal, the CSRF check."""

from __future__ import annotations

import functools
import hmac
import inspect
from collections.abc import Callable
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


def _sign_in(request: Request) -> tuple[Principal | None, Callable[[], None] | None]:
    """Who is behind a bearer token or a session cookie (or None), and the write the sign-in still owes —
    a token's use audited, a session's last-seen time renewed, each at most once a minute — not done yet.
    Only reads."""
    session: Session = request.state.db
    raw = _bearer(request)
    if raw is not None:
        holder = auth.user_for_token(session, raw)
        if holder is None:
            raise NotAuthenticated("The API token is invalid, expired or revoked.")
        principal = holder.principal(via="token", request_id=request.state.request_id,
                                     address=client_address(request))
        if accounts.token_use_due(holder):
            return principal, functools.partial(accounts.note_token_use, session, principal, holder)
        return principal, None
    if key := request.state.cookies.get(SESSION_COOKIE):
        signed_in = auth.user_for_session(session, request.app.state.settings, key)
        if signed_in is not None:
            member, stale = signed_in
            principal = member.principal(via="session", request_id=request.state.request_id,
                                         address=client_address(request))
            return principal, None if stale is None else functools.partial(auth.touch_session, session, stale)
    return None, None


def optional_principal(request: Request) -> Principal | None:
    """The principal behind a bearer token or a session cookie, or None."""
    if hasattr(request.state, "principal"):
        return request.state.principal  # type: ignore[no-any-return]
    principal, owed = _sign_in(request)
    if owed is not None:
        owed()
    request.state.principal = principal
    return principal


def require_principal(request: Request) -> Principal:
    principal = optional_principal(request)
    if principal is None:
        raise NotAuthenticated("Please sign in.")
    return principal


async def current_principal(request: Request) -> Principal:
    """:func:`require_principal` as every signed-in route gets it: where the route's own work runs. A route that
    runs on the event loop (a coroutine: the incident submissions on SQLite) signs in on the loop too, when the
    database is SQLite (a local file: one indexed lookup, shorter than a hand-over to a thread and back); only
    the write the sign-in owes once a minute goes to the thread pool, as a write may wait for another
    transaction's lock. Any other route signs in in the thread pool, where its work runs: the loop and a
    thread taking turns at the interpreter lock within one request cost more than the hand-over."""
    if hasattr(request.state, "principal"):
        found: Principal | None = request.state.principal
    elif (inspect.iscoroutinefunction(request.scope.get("endpoint"))
          and request.state.db.get_bind().dialect.name == "sqlite"):
        found, owed = _sign_in(request)
        if owed is not None:
            await run_in_threadpool(owed)
        request.state.principal = found
    else:
        found = await run_in_threadpool(optional_principal, request)
    if found is None:
        raise NotAuthenticated("Please sign in.")
    return found


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
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]

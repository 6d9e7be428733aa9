"""create_app(settings): wires routers, middleware, error handling and templates."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from yingji import __version__, i18n, runtime
from yingji.db import Database, is_busy, is_conflict
from yingji.errors import BUSY_RETRY_AFTER, CONFLICTING_CHANGE, DATABASE_BUSY, UserError, validation_message
from yingji.i18n import N_
from yingji.settings import Settings, get_settings
from yingji.web import deps, routing
from yingji.web.middleware import BodyLimitMiddleware, RequestContextMiddleware, TransactionMiddleware, wants_json
from yingji.web.static_files import STATIC_DIR, VersionedStaticFiles

GZIP_MIN_BYTES = 1000  # smaller answers go as they are: compressing them saves less than it costs
PACKED_CONTENT_TYPES = ("application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

log = logging.getLogger(__name__)

# The only routes reachable without signing in.
PUBLIC_PATHS = frozenset({"/login", "/health", "/lang", "/openapi.json", "/docs", "/docs/oauth2-redirect",
                          "/redoc"})


def _error_response(request: Request, status: int, message: str, field: str | None = None,
                    details: list[Any] | None = None) -> Response:
    if wants_json(request.scope):
        body: dict[str, Any] = {"detail": message}
        if field:
            body["field"] = field
        if details:
            body["errors"] = details
        return JSONResponse(body, status_code=status)
    if status == 401:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    from yingji.web.templating import render

    return render(request, "error.html", {"status": status, "message": message, "details": details or []},
                  status_code=status)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path"))
        details.append({"field": location, "message": validation_message(error)})
    return details


def _roll_back(request: Request) -> None:
    """End the request's failed transaction now, so that the error page (which reads the user's unread
    notices) runs on a usable session. The middleware then has nothing to keep."""
    session = getattr(request.state, "db", None)
    if session is not None:
        session.rollback()


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> Response:
        return _error_response(request, exc.status_code, exc.text(), exc.field, exc.details)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return _error_response(request, 422, i18n.gettext("Some fields are missing or not valid."),
                               details=_validation_details(exc))

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        # A safety net: bounds are checked at the edge, but no value may ever reach the user as a 500.
        log.warning("value out of range reached the database: %s", exc)
        _roll_back(request)
        return _error_response(request, 400, i18n.gettext("A value is out of range."))

    @app.exception_handler(IntegrityError)
    async def conflicting_change(request: Request, exc: IntegrityError) -> Response:
        # Services check before they write; a duplicate or a vanished reference found by the database itself
        # means a concurrent change got there first (two people finalising one year at the same moment).
        if not is_conflict(exc):
            raise exc
        log.warning("conflicting change, answered 409: %s", exc.orig)
        _roll_back(request)
        return _error_response(request, 409, i18n.gettext(CONFLICTING_CHANGE))

    @app.exception_handler(OperationalError)
    async def database_busy(request: Request, exc: OperationalError) -> Response:
        # Another transaction held what this one needed for longer than YINGJI_DB_BUSY_SECONDS: nothing of
        # this request is kept (the request's transaction is rolled back), and the client may simply retry.
        if not is_busy(exc):
            raise exc
        log.warning("database busy, answered 503: %s", exc.orig)
        _roll_back(request)
        response = _error_response(request, 503, i18n.gettext(DATABASE_BUSY))
        response.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: N_("Not found, or not within your area."), 405: N_("This method is not allowed here."),
                    401: N_("Please sign in."), 403: N_("Your role does not allow this action.")}
        text = i18n.gettext(messages.get(exc.status_code, N_("The request could not be handled.")))
        return _error_response(request, exc.status_code, text)


def create_app(settings: Settings | None = None, database: Database | None = None,
               run_jobs_after_commit: bool = True) -> FastAPI:
    settings = settings or get_settings()
    database = database or Database(settings)
    runtime.set_database(database)
    app = FastAPI(title="yingji 应急", version=__version__, docs_url="/docs", redoc_url=None)
    app.state.settings = settings
    app.state.database = database

    from yingji import domains
    from yingji.core import api as core_api
    from yingji.core import views as core_views
    from yingji.web import public

    def include(router: APIRouter, prefix: str = "", dependencies: list[Any] | None = None) -> None:
        app.include_router(router, prefix=prefix, dependencies=dependencies)
        routing.guard(router, prefix)

    include(public.router)
    # The principal first, so that even a refused form renders the signed-in page around the message.
    protected = [Depends(deps.current_principal), Depends(deps.csrf_guard)]
    include(core_api.router, prefix="/api", dependencies=protected)
    include(core_views.router, dependencies=protected)
    public_paths = set(PUBLIC_PATHS)
    for _name, module in domains.parts("api") + domains.parts("views"):
        prefix = "/api" if module.__name__.endswith(".api") else ""
        include(module.router, prefix=prefix, dependencies=protected)
        if hasattr(module, "feed_router"):
            # Calendar programs and feed readers cannot sign in: a session, a bearer or a feed token.
            include(module.feed_router, prefix=prefix, dependencies=[Depends(deps.csrf_guard)])
        if hasattr(module, "public_router"):
            include(module.public_router, prefix=prefix, dependencies=[Depends(deps.csrf_guard)])
            public_paths.update(prefix + route.path for route in module.public_router.routes)  # type: ignore[attr-defined]
    # Every route reachable without signing in (the scope tests walk everything else as anonymous).
    app.state.public_paths = frozenset(public_paths)
    app.mount("/static", VersionedStaticFiles(directory=str(STATIC_DIR), check_dir=False), name="static")
    install_error_handlers(app)

    after_commit = _kick_outbox if run_jobs_after_commit else None
    app.add_middleware(TransactionMiddleware, database=database, after_commit=after_commit)
    app.add_middleware(BodyLimitMiddleware, max_bytes=int(settings.max_body_mb * 1024 * 1024))
    app.add_middleware(RequestContextMiddleware, settings=settings)
    # Outermost: pages, scripts and lists reach a phone on a slow line compressed (a client that asks for it).
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=6,
                       exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, *PACKED_CONTENT_TYPES))
    return app


def _kick_outbox() -> None:
    """After a commit that queued messages: have a worker deliver them now."""
    from yingji import jobs

    try:
        jobs.deliver_outbox()
    except Exception:  # the periodic sweep delivers what a failed kick left behind
        log.exception("could not enqueue outbox delivery")


def page_not_built(request: Request, area: str) -> HTMLResponse:
    from yingji.web.templating import UNBUILT, render

    return render(request, "not_built.html", {"area": UNBUILT[area]}, active=area)

"""The few routes reachable without signing in: sign-in, health, language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import text

from yingji import i18n
from yingji.core import accounts, auth
from yingji.errors import UserError
from yingji.web.deps import DB, AppSettings, client_address, csrf_guard, optional_principal
from yingji.web.middleware import LANG_COOKIE, SESSION_COOKIE
from yingji.web.templating import render

router = APIRouter()


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/health", include_in_schema=True)
def health(db: DB) -> dict[str, str]:
    db.execute(text("SELECT 1"))
    return {"status": "ok"}


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", {"next": _safe_next(next), "error": None, "username": ""})


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(csrf_guard)])
def login(request: Request, db: DB, settings: AppSettings, username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=200)], next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    database = request.app.state.database
    try:
        with database.unit_of_work() as failure_log:
            try:
                signed = auth.sign_in(db, settings, username=username, password=password,
                                      address=client_address(request), request_id=request.state.request_id,
                                      failure_log=failure_log)
            except UserError:
                failure_log.commit()
                raise
    except UserError as exc:
        return render(request, "login.html", {"next": _safe_next(next), "error": exc.text(), "username": username},
                      status_code=exc.status_code)
    response = RedirectResponse(_safe_next(next), status_code=303)
    secure = settings.secure_cookies
    response.set_cookie(SESSION_COOKIE, signed.session_key, max_age=int(settings.session_hours * 3600),
                        httponly=True, samesite="lax", secure=secure, path="/")
    if signed.user.lang:
        response.set_cookie(LANG_COOKIE, signed.user.lang, max_age=365 * 86400, httponly=True, samesite="lax",
                            secure=secure, path="/")
    return response


@router.post("/lang", dependencies=[Depends(csrf_guard)])
def switch_language(request: Request, db: DB, settings: AppSettings, lang: Annotated[str, Form(max_length=8)],
                    next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    if lang not in i18n.LANGUAGES:
        return JSONResponse({"detail": i18n.gettext("Unknown language.")}, status_code=400)
    principal = optional_principal(request)
    if principal is not None and principal.user_id is not None:
        accounts.set_language(db, principal, lang)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, path="/")
    return response

"""Server-rendered pages: one Jinja2 environment with gettext, local time and the navigation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from yingji import domains, i18n
from yingji.core import roles
from yingji.i18n import N_
from yingji.web.labels import ACTION_LABELS, ENTITY_LABELS
from yingji.web.static_files import static_url

TEMPLATES_DIR = Path(__file__).parent / "templates"
_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True,
                          extensions=["jinja2.ext.i18n"])
templates = Jinja2Templates(env=_env)
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    lambda message: i18n.gettext(message), lambda s, p, n: i18n.ngettext(s, p, n), newstyle=True)
templates.env.globals["N_"] = N_
templates.env.globals["shown"] = lambda value: "—" if value is None or value == "" else value
templates.env.globals["ROLE_LABELS"] = roles.ROLE_LABELS
templates.env.globals["ACTION_LABELS"] = ACTION_LABELS
templates.env.globals["ENTITY_LABELS"] = ENTITY_LABELS
templates.env.globals["static_url"] = static_url

# Every area of the platform; those not built yet say so plainly.
_AREAS: list[tuple[str, str, str]] = [
    ("home", "/", N_("Home")),
    ("incidents", "/incidents", N_("Incident reports")),
    ("warnings", "/warnings", N_("Early warnings")),
    ("duty", "/duty", N_("24-hour duty")),
    ("preparedness", "/preparedness", N_("Preparedness")),
    ("resources", "/resources", N_("Resources")),
    ("risks", "/risks", N_("Risks and hazards")),
    ("oversight", "/oversight", N_("Oversight")),
    ("units", "/units", N_("Units")),
    ("staffing", "/units/staffing", N_("Staffing")),
    ("users", "/admin/users", N_("Users")),
    ("audit", "/audit", N_("Audit log")),
]
# A domain's area is live once the domain has pages (see yingji.domains).
NAV: list[tuple[str, str, str, bool]] = [
    (key, href, label, key not in domains.DOMAINS or domains.has(key, "views")) for key, href, label in _AREAS]
UNBUILT = {key: label for key, _href, label, built in NAV if not built}


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200,
           active: str = "") -> HTMLResponse:
    settings = request.app.state.settings
    principal = getattr(request.state, "principal", None)
    unread = 0
    if principal is not None and principal.user_id is not None:
        from yingji.core import notify

        unread = notify.unread_count(request.state.db, principal)
    base = {
        "principal": principal,
        "csrf_token": request.state.csrf,
        "lang": i18n.current_language(),
        "nav": NAV,
        "active": active,
        "unread": unread,
        "tz": settings.tz,
        "localtime": lambda value, seconds=False: i18n.format_local(value, settings.tz, seconds),
    }
    base.update(context or {})
    return templates.TemplateResponse(request, name, base, status_code=status_code)

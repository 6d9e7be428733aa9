"""The Atom feed (RFC 4287) of published statements, for media and anyone who follows the office."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lxml import etree

from yingji import clock
from yingji.i18n import gettext
from yingji.response.models import ResponseStatement

ATOM = "http://www.w3.org/2005/Atom"
TAG_AUTHORITY = "yingji.bortala.gov.cn,2026"


def _el(parent: Any, name: str, text: str | None = None, **attrs: str) -> Any:
    element = etree.SubElement(parent, f"{{{ATOM}}}{name}", attrs)
    if text is not None:
        element.text = text
    return element


def _stamp(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def body(statement: ResponseStatement) -> str:
    parts = [(gettext("Facts"), statement.facts), (gettext("Measures taken"), statement.measures),
             (gettext("Protective advice"), statement.advice)]
    text = "\n\n".join(f"{label}: {value}" for label, value in parts if value.strip())
    if statement.expert:
        text += "\n\n" + gettext("Expert") + ": " + statement.expert
    return text


def feed(items: list[tuple[ResponseStatement, Any]], base_url: str) -> bytes:
    """One entry per published statement; the link of each leads to its event's public page."""
    base = base_url.rstrip("/")
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    _el(root, "id", f"tag:{TAG_AUTHORITY}:statements")
    _el(root, "title", gettext("Official statements on emergencies"))
    updated = max((s.published_at for s, _e in items if s.published_at), default=clock.now())
    _el(root, "updated", _stamp(updated))
    _el(root, "link", rel="self", href=f"{base}/public/events.atom", type="application/atom+xml")
    _el(root, "link", rel="alternate", href=f"{base}/public/events", type="text/html")
    author = _el(root, "author")
    _el(author, "name", gettext("Emergency management office"))
    for statement, event in items:
        published = statement.published_at or statement.created_at
        entry = _el(root, "entry")
        _el(entry, "id", f"tag:{TAG_AUTHORITY}:statement:{statement.id}")
        _el(entry, "title", f"{event.title}: {statement.title}")
        _el(entry, "updated", _stamp(published))
        _el(entry, "published", _stamp(published))
        _el(entry, "link", rel="alternate", href=f"{base}/public/events/{event.id}#statement-{statement.id}",
            type="text/html")
        _el(entry, "category", term=statement.kind)
        _el(entry, "content", body(statement), type="text")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))

"""The public side of early warnings: the warnings in force as JSON and as an Atom feed (RFC 4287).

Each Atom entry links to the alert's CAP 1.2 document (``application/cap+xml``), the way public CAP
feeds (e.g. the WMO register's national feeds) do, so that other systems can pull yingji's alerts.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from sqlalchemy.orm import Session

from yingji import clock
from yingji.warnings import cap, service
from yingji.warnings.models import Alert

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_TITLE = "博尔塔拉蒙古自治州 预警信息 / Bortala early warnings"


def _t(dt: Any) -> str:
    return cap.format_time(dt.astimezone(cap.BEIJING)) if dt is not None else ""


def summaries(session: Session) -> list[dict[str, Any]]:
    out = []
    for alert in service.active_public(session):
        info = alert.info_for("zh-CN")
        out.append({"id": alert.id, "identifier": alert.identifier, "msg_type": alert.msg_type,
                    "colour": alert.colour, "severity": alert.severity, "event": alert.event,
                    "headline": info.headline if info else alert.event, "sent": _t(alert.sent_at),
                    "effective": _t(alert.effective_at), "expires": _t(alert.expires_at),
                    "sender_name": alert.sender_name, "references": alert.references,
                    "cap": f"/public/warnings/{alert.id}.xml",
                    "languages": [i.language for i in alert.infos]})
    return out


def atom(session: Session, base_url: str) -> bytes:
    """An Atom feed of the warnings in force; ``base_url`` like ``https://host`` (no trailing slash)."""
    alerts = service.active_public(session)
    base = base_url.rstrip("/")
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    etree.SubElement(feed, f"{{{ATOM_NS}}}id").text = f"{base}/public/warnings.atom"
    etree.SubElement(feed, f"{{{ATOM_NS}}}title").text = FEED_TITLE
    updated = max((a.issued_at for a in alerts if a.issued_at), default=clock.now())
    etree.SubElement(feed, f"{{{ATOM_NS}}}updated").text = _t(updated)
    etree.SubElement(feed, f"{{{ATOM_NS}}}link", rel="self", href=f"{base}/public/warnings.atom",
                     type="application/atom+xml")
    etree.SubElement(feed, f"{{{ATOM_NS}}}link", rel="alternate", href=f"{base}/public/warnings", type="text/html")
    author = etree.SubElement(feed, f"{{{ATOM_NS}}}author")
    etree.SubElement(author, f"{{{ATOM_NS}}}name").text = "yingji 应急"
    for alert in alerts:
        _entry(feed, alert, base)
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _entry(feed: Any, alert: Alert, base: str) -> None:
    info = alert.info_for("zh-CN")
    entry = etree.SubElement(feed, f"{{{ATOM_NS}}}entry")
    etree.SubElement(entry, f"{{{ATOM_NS}}}id").text = f"urn:yingji:cap:{alert.identifier}"
    etree.SubElement(entry, f"{{{ATOM_NS}}}title").text = (info.headline if info else "") or alert.event
    etree.SubElement(entry, f"{{{ATOM_NS}}}updated").text = _t(alert.issued_at)
    etree.SubElement(entry, f"{{{ATOM_NS}}}published").text = _t(alert.sent_at)
    author = etree.SubElement(entry, f"{{{ATOM_NS}}}author")
    etree.SubElement(author, f"{{{ATOM_NS}}}name").text = alert.sender_name or alert.sender
    etree.SubElement(entry, f"{{{ATOM_NS}}}link", rel="alternate", type="application/cap+xml",
                     href=f"{base}/public/warnings/{alert.id}.xml")
    etree.SubElement(entry, f"{{{ATOM_NS}}}category", term=alert.colour, label=alert.severity)
    summary = etree.SubElement(entry, f"{{{ATOM_NS}}}summary")
    summary.text = (info.description if info else "") or alert.event

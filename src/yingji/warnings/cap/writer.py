"""The model to CAP 1.2 XML: UTF-8, the XSD's element order, times as YYYY-MM-DDThh:mm:ss+hh:mm."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from lxml import etree

from .model import CAP12_NS, Alert, Area, Info, Pair, Resource

_NSMAP = {None: CAP12_NS}


def format_time(dt: datetime) -> str:
    """``2026-07-01T08:00:00+08:00``: seconds, no fractions, never ``Z``; naive times are refused."""
    offset = dt.utcoffset()
    if offset is None:
        raise ValueError(f"time {dt!r} has no UTC offset")
    total = int(offset / timedelta(minutes=1))
    sign = "-" if total < 0 else "+"
    hh, mm = divmod(abs(total), 60)
    return f"{dt.replace(microsecond=0, tzinfo=None).isoformat(timespec='seconds')}{sign}{hh:02d}:{mm:02d}"


def format_number(x: float) -> str:
    """Shortest text that reads back as the same float, never in exponent form (xs:decimal)."""
    text = format(Decimal(repr(float(x))), "f")
    return text[:-2] if text.endswith(".0") else text


def _sub(parent: Any, name: str, value: str | None) -> None:
    if value is not None:
        etree.SubElement(parent, f"{{{CAP12_NS}}}{name}").text = value


def _pairs(parent: Any, name: str, pairs: Iterable[Pair]) -> None:
    for value_name, value in pairs:
        el = etree.SubElement(parent, f"{{{CAP12_NS}}}{name}")
        _sub(el, "valueName", value_name)
        _sub(el, "value", value)


def _resource(parent: Any, r: Resource) -> None:
    el = etree.SubElement(parent, f"{{{CAP12_NS}}}resource")
    _sub(el, "resourceDesc", r.resource_desc)
    _sub(el, "mimeType", r.mime_type)
    _sub(el, "size", None if r.size is None else str(r.size))
    _sub(el, "uri", r.uri)
    _sub(el, "derefUri", r.deref_uri)
    _sub(el, "digest", r.digest)


def _area(parent: Any, a: Area) -> None:
    el = etree.SubElement(parent, f"{{{CAP12_NS}}}area")
    _sub(el, "areaDesc", a.area_desc)
    for poly in a.polygons:
        _sub(el, "polygon", " ".join(f"{format_number(lat)},{format_number(lon)}" for lat, lon in poly))
    for lat, lon, radius in a.circles:
        _sub(el, "circle", f"{format_number(lat)},{format_number(lon)} {format_number(radius)}")
    _pairs(el, "geocode", a.geocodes)
    _sub(el, "altitude", None if a.altitude is None else format_number(a.altitude))
    _sub(el, "ceiling", None if a.ceiling is None else format_number(a.ceiling))


def _time(dt: datetime | None) -> str | None:
    return None if dt is None else format_time(dt)


def _info(parent: Any, i: Info) -> None:
    el = etree.SubElement(parent, f"{{{CAP12_NS}}}info")
    _sub(el, "language", i.language)
    for c in i.category:
        _sub(el, "category", c)
    _sub(el, "event", i.event)
    for rt in i.response_type:
        _sub(el, "responseType", rt)
    for name in ("urgency", "severity", "certainty", "audience"):
        _sub(el, name, getattr(i, name))
    _pairs(el, "eventCode", i.event_codes)
    _sub(el, "effective", _time(i.effective))
    _sub(el, "onset", _time(i.onset))
    _sub(el, "expires", _time(i.expires))
    for xml_name, attr in (("senderName", "sender_name"), ("headline", "headline"), ("description", "description"),
                           ("instruction", "instruction"), ("web", "web"), ("contact", "contact")):  # fmt: skip
        _sub(el, xml_name, getattr(i, attr))
    _pairs(el, "parameter", i.parameters)
    for r in i.resources:
        _resource(el, r)
    for a in i.areas:
        _area(el, a)


def to_element(alert: Alert) -> Any:
    """The ``<alert>`` element (lxml) for ``alert``."""
    root = etree.Element(f"{{{CAP12_NS}}}alert", nsmap=_NSMAP)
    _sub(root, "identifier", alert.identifier)
    _sub(root, "sender", alert.sender)
    _sub(root, "sent", format_time(alert.sent))
    _sub(root, "status", alert.status)
    _sub(root, "msgType", alert.msg_type)
    _sub(root, "source", alert.source)
    _sub(root, "scope", alert.scope)
    _sub(root, "restriction", alert.restriction)
    _sub(root, "addresses", alert.addresses)
    for code in alert.code:
        _sub(root, "code", code)
    _sub(root, "note", alert.note)
    if alert.references:
        refs = " ".join(f"{r.sender},{r.identifier},{format_time(r.sent)}" for r in alert.references)
        _sub(root, "references", refs)
    _sub(root, "incidents", alert.incidents)
    for info in alert.infos:
        _info(root, info)
    return root


def to_xml(alert: Alert) -> bytes:
    """CAP 1.2 XML (UTF-8, with XML declaration) for ``alert``."""
    return etree.tostring(to_element(alert), xml_declaration=True, encoding="UTF-8", pretty_print=True)

"""Alerts carried by Atom/RSS feeds and EDXL-DE wrappers. Linked alerts are returned as links, never fetched."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from .api import is_cap_alert, parse_element
from .model import CapError, ParseResult, Problem
from .schema import element_path, local
from .xmlsafe import DEFAULT_MAX_BYTES, load

ATOM_NS = "http://www.w3.org/2005/Atom"
EDXL_DE_NS = "urn:oasis:names:tc:emergency:EDXL:DE:1.0"
CAP_MIME_TYPES = {"application/cap+xml", "application/common-alerting-protocol+xml"}


@dataclass
class CarriedAlert:
    """One alert found in a document: ``result`` when embedded, ``link`` when only linked.

    ``error`` is set (and ``result`` is None) when an embedded alert was refused; the rest of the
    feed is still returned.
    """

    path: str
    result: ParseResult | None = None
    link: str | None = None
    error: CapError | None = None


def _embedded(container: Any) -> list[CarriedAlert]:
    out = []
    for el in container.iter():
        if is_cap_alert(el):
            try:
                out.append(CarriedAlert(path=element_path(el), result=parse_element(el)))
            except CapError as exc:
                out.append(CarriedAlert(path=element_path(el), error=exc))
    return out


def _atom_links(entry: Any) -> list[CarriedAlert]:
    links = [lk for lk in entry.findall(f"{{{ATOM_NS}}}link") if (lk.get("href") or "").strip()]
    typed = [lk for lk in links if (lk.get("type") or "").lower() in CAP_MIME_TYPES]
    plain = [lk for lk in links if lk.get("rel") in (None, "alternate")]
    chosen = (typed or plain)[:1]
    return [CarriedAlert(path=element_path(lk), link=lk.get("href").strip()) for lk in chosen]


def _atom(root: Any) -> list[CarriedAlert]:
    found: list[CarriedAlert] = []
    for entry in root.findall(f"{{{ATOM_NS}}}entry"):
        inline = _embedded(entry)
        found.extend(inline if inline else _atom_links(entry))
    return found


def _rss(root: Any) -> list[CarriedAlert]:
    found: list[CarriedAlert] = []
    for item in root.iter("item"):
        inline = _embedded(item)
        if inline:
            found.extend(inline)
            continue
        enclosure = item.find("enclosure")
        link = item.find("link")
        href = enclosure.get("url") if enclosure is not None else (link.text if link is not None else None)
        if href and href.strip():
            found.append(CarriedAlert(path=element_path(item), link=href.strip()))
    return found


def _edxl(root: Any) -> list[CarriedAlert]:
    found: list[CarriedAlert] = []
    for content in root.iter(f"{{{EDXL_DE_NS}}}embeddedXMLContent"):
        found.extend(_embedded(content))
    return found


def extract_from_root(root: Any) -> list[CarriedAlert]:
    name = local(root.tag)
    if name == "alert":  # any namespace: parse_element names a wrong one
        return [CarriedAlert(path="/alert", result=parse_element(root))]
    if name == "feed" and etree.QName(root).namespace == ATOM_NS:
        return _atom(root)
    if name == "rss":
        return _rss(root)
    if name == "EDXLDistribution" and etree.QName(root).namespace == EDXL_DE_NS:
        return _edxl(root)
    ns = etree.QName(root).namespace
    where = f" in namespace '{ns}'" if ns else ""
    raise CapError([Problem(f"/{name}", f"<{name}>{where} is not a CAP alert, Atom/RSS feed or EDXL-DE distribution")])


def extract_alerts(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> list[CarriedAlert]:
    """The alerts a CAP document, Atom/RSS feed or EDXL-DE distribution carries, in document order.

    The document itself goes through the same safe loading as :func:`parse` (size, DOCTYPE,
    encoding); a refused document raises :class:`CapError`. A bare CAP alert gives a list of one
    (and raises when the alert is refused).
    """
    return extract_from_root(load(data, max_bytes))

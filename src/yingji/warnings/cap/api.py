"""``parse``: outside bytes -> :class:`ParseResult`; ``parse_element`` for alerts inside feeds/wrappers."""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree

from .fast import read_valid
from .model import CAP12_NS, CAP_NAMESPACES, CapError, ParseResult, Problem
from .reader import read_alert
from .schema import element_path, local, schema, xsd_problems
from .writer import to_element
from .xmlsafe import DEFAULT_MAX_BYTES, load

_WRAPPERS = {
    "feed": "an Atom feed",
    "rss": "an RSS feed",
    "EDXLDistribution": "an EDXL-DE distribution",
}


_ALERT_TAGS = {f"{{{ns}}}alert": version for ns, version in CAP_NAMESPACES.items()}


def check_root(root: Any) -> str:
    """The CAP version of an ``<alert>`` root, or :class:`CapError` naming the namespace found."""
    version = _ALERT_TAGS.get(root.tag)
    if version is not None:
        return version
    qname = etree.QName(root)
    name, ns = qname.localname, qname.namespace or ""
    if name in _WRAPPERS and name != "alert":
        raise CapError([Problem(f"/{name}", f"root element is {_WRAPPERS[name]}, not a CAP alert; use extract_alerts")])
    if ns not in CAP_NAMESPACES:
        shown = f"namespace '{ns}'" if ns else "no namespace"
        raise CapError([Problem(f"/{name}", f"{shown} is not a CAP namespace (expected '{CAP12_NS}', or CAP 1.1/1.0)")])
    if name != "alert":
        raise CapError([Problem(f"/{name}", "root element is not <alert>")])
    return CAP_NAMESPACES[ns]


def parse_element(el: Any) -> ParseResult:
    """Validate and load an ``<alert>`` element (the root of a document, or inside a feed/wrapper).

    CAP 1.2 goes through the compiled 1.2 XSD first; a valid alert is then read by the quick reader
    (:mod:`.fast`). An alert the schema refuses, any CAP 1.1/1.0 alert, and any alert the quick
    reader gives up on take the careful way, which names every element at fault and the reason.
    """
    version = check_root(el)
    if version == "1.2":
        doc = el if el.getparent() is None else copy.deepcopy(el)
        if schema("1.2").validate(doc):
            quick = read_valid(el)
            if quick is not None:
                alert, reader = quick
                return ParseResult(alert=alert, version=version, warnings=reader.warnings,
                                   signatures_dropped=reader.signatures)  # fmt: skip
    return parse_element_careful(el, version)


def parse_element_careful(el: Any, version: str) -> ParseResult:
    """The reader's structure checks and CAP rules, then the XSD: every problem named."""
    parent = el.getparent()
    base = element_path(parent) if parent is not None else ""
    alert, reader = read_alert(el)
    if reader.errors or alert is None:
        raise CapError(reader.errors + reader.rule_errors or [Problem(base + "/alert", "not a CAP alert")])
    # CAP 1.0 has no schema shipped: its conversion is checked against the 1.2 XSD instead.
    problems = xsd_problems(el, version, base) if version != "1.0" else xsd_problems(to_element(alert), "1.2", base)
    if problems or reader.rule_errors:
        raise CapError(problems + reader.rule_errors)
    return ParseResult(alert=alert, version=version, warnings=reader.warnings, signatures_dropped=reader.signatures)


def parse(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> ParseResult:
    """Import one CAP alert document (1.2, or 1.1/1.0 converted to the 1.2 model).

    Raises :class:`CapError` (``.path``, ``.reason``, ``.problems``) when the document is refused.
    """
    return parse_element(load(data, max_bytes))


def validate(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Problem]:
    """The problems that make ``parse`` refuse ``data`` (empty list when it imports)."""
    try:
        parse(data, max_bytes)
    except CapError as exc:
        return exc.problems
    return []


def is_cap_alert(el: Any) -> bool:
    return isinstance(el.tag, str) and local(el.tag) == "alert" and etree.QName(el).namespace in CAP_NAMESPACES

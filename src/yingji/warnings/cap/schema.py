"""The OASIS CAP schemas shipped with yingji (``yingji/warnings/schema/``) and readable XSD errors."""

from __future__ import annotations

import copy
import re
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree

from .model import CAP11_NS, CAP12_NS, DSIG_NS, Problem
from .xmlsafe import make_parser

_FILES = {"1.2": "CAP-v1.2.xsd", "1.1": "CAP-v1.1.xsd"}
_TIME_ELEMENTS = {"sent", "effective", "onset", "expires"}
REPEATABLE = {
    "code", "info", "category", "responseType", "eventCode", "parameter", "resource", "area",
    "polygon", "circle", "geocode", "entry", "item", "contentObject",
}  # fmt: skip


@cache
def schema(version: str) -> Any:
    """The compiled ``etree.XMLSchema`` for CAP ``version`` ("1.2" or "1.1")."""
    ref = resources.files("yingji.warnings").joinpath("schema", _FILES[version])
    return etree.XMLSchema(etree.fromstring(ref.read_bytes(), make_parser()))


def local(tag: Any) -> str:
    """Local name of an lxml tag (``{ns}name`` -> ``name``); "" for comments and PIs."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def element_path(el: Any, stop: Any = None) -> str:
    """``/alert/info[1]/area[2]/polygon[1]``: repeatable CAP elements always carry their index."""
    parts: list[str] = []
    node = el
    while node is not None:
        name = local(node.tag)
        parent = node.getparent()
        if name in REPEATABLE and parent is not None:
            same = [c for c in parent if isinstance(c.tag, str) and c.tag == node.tag]
            name = f"{name}[{same.index(node) + 1}]"
        parts.append(name)
        if node is stop:
            break
        node = parent
    return "/" + "/".join(reversed(parts))


_NS_RE = re.compile(r"\{[^}]*\}")
_ELEMENT_PREFIX = re.compile(r"^Element '[^']*'(?:, attribute '[^']*')?: ")


def _expected(msg: str) -> list[str]:
    m = re.search(r"Expected is (?:one of )?\( ([^)]*) \)", msg)
    if not m:
        return []
    return [_NS_RE.sub("", x.strip()) for x in m.group(1).split(",")]


def _reason(name: str, msg: str) -> str:
    msg = msg.strip()
    if "This element is not expected" in msg:
        expected = _expected(msg)
        want = " or ".join(f"<{e}>" for e in expected)
        return f"element <{name}> is not allowed here" + (f"; expected {want}" if want else "")
    m = re.search(r"'(.*)' is not a valid value of the (?:local )?atomic type", msg, re.DOTALL) or re.search(
        r"\[facet 'pattern'\] The value '(.*)' is not accepted by the pattern", msg, re.DOTALL
    )
    if m and name in _TIME_ELEMENTS:
        return f"'{m.group(1)}' is not a CAP date-time: the form is YYYY-MM-DDThh:mm:ss+hh:mm (no 'Z', no fractions)"
    if m and name == "language":
        return f"'{m.group(1)}' is not a language tag (RFC 3066, e.g. zh-CN)"
    m = re.search(r"The value '(.*)' is not an element of the set \{(.*)\}", msg, re.DOTALL)
    if m:
        allowed = m.group(2).replace("'", "")
        return f"'{m.group(1)}' is not one of the allowed values: {allowed}"
    if "No matching global declaration" in msg:
        return "no CAP element of this name in the schema"
    return _NS_RE.sub("", _ELEMENT_PREFIX.sub("", msg))


def strip_signatures(root: Any) -> Any:
    """A copy of ``root`` without ``ds:Signature`` children (the CAP 1.1 XSD has no slot for them)."""
    clone = copy.deepcopy(root)
    for child in list(clone):
        if isinstance(child.tag, str) and etree.QName(child).namespace == DSIG_NS:
            clone.remove(child)
    return clone


def xsd_problems(root: Any, version: str, base: str = "") -> list[Problem]:
    """Validate an ``alert`` element against the shipped XSD; problems carry CAP element paths."""
    if version not in _FILES:
        return []
    if version == "1.2" and root.getparent() is None:
        doc = root  # the document's own root: validate in place, no copy
    else:
        doc = copy.deepcopy(root) if version == "1.2" else strip_signatures(root)
    tree = doc.getroottree() if doc is root else etree.ElementTree(doc)
    xsd = schema(version)
    if xsd.validate(tree):
        return []
    problems = []
    for err in xsd.error_log:
        found = tree.xpath(err.path) if err.path else []
        el = found[0] if found else doc
        path = base + element_path(el) if base else element_path(el)
        problems.append(Problem(path, _reason(local(el.tag), err.message)))
    return problems


def expected_namespace(version: str) -> str:
    return CAP12_NS if version == "1.2" else CAP11_NS

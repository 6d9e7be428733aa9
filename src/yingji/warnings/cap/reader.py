"""From a (safely parsed, schema-checked) ``<alert>`` element to the model, with CAP's own rules.

Errors (the alert is refused) and warnings (imported, reported beside it):

=================================================  =======  ============================================
rule                                               kind     why
=================================================  =======  ============================================
required element missing / unknown element        error    CAP structure (XSD covers 1.2 and 1.1; 1.0
                                                            has no schema here, so this reader checks)
times without a UTC offset                         error    a time must be unambiguous
a ``references`` triple not ``sender,id,sent``     error    unusable link to earlier messages
polygon < 4 points, not closed, bad numbers        error    CAP 3.2.4 ``polygon``
coordinates outside -90..90 / -180..180            error    WGS 84
circle not ``lat,lon radius`` or radius < 0        error    CAP 3.2.4 ``circle``
``expires`` before ``effective`` or ``onset``      error    impossible times
``altitude`` above ``ceiling``                     error    impossible range
empty ``<references/>``, empty polygon/circle      warning  schema-valid; real feeds do it (ECCC, NWS)
Update/Cancel without references                   warning  CAP says SHOULD
Restricted without restriction, Private without    warning  CAP says SHOULD/MUST but real alerts omit it
addresses; ceiling without altitude
ds:Signature                                       warning  dropped, not verified (see ``__init__``)
CAP 1.0/1.1 conversions (``Z``, fractions,         warning  the 1.2 form cannot hold them
``Very Likely``, ``password``, missing mimeType)
=================================================  =======  ============================================
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from lxml import etree

from .model import (
    CAP_NAMESPACES,
    DSIG_NS,
    Alert,
    Area,
    Circle,
    Info,
    Pair,
    Point,
    Points,
    Problem,
    Reference,
    Resource,
)
from .schema import element_path, local

try:
    from . import _native as native
except ImportError:  # not built (no C compiler at install): the same results, read in Python
    native = None  # type: ignore[assignment]

STATUS = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPE = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPE = ("Public", "Restricted", "Private")
CATEGORY = (
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other",
)  # fmt: skip
RESPONSE_TYPE = ("Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None")
URGENCY = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITY = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTY = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")

ALERT_REQUIRED = ("identifier", "sender", "sent", "status", "msgType", "scope")
INFO_REQUIRED = ("category", "event", "urgency", "severity", "certainty")
RESOURCE_REQUIRED = ("resourceDesc", "mimeType")
AREA_REQUIRED = ("areaDesc",)

_FLOAT_EXTRAS = ("e", "E", "i", "I", "n", "N", "_")  # what float() takes beyond plain decimals (1e5, inf, nan, 1_0)
_SIGN_AND_DIGITS = b"0123456789-"
_PAIR_SEP = b", "
_DOTTED_PAIR_SEP = b".,. "
_JSON_NUMBERS = json.JSONDecoder(parse_int=float)
DECIMAL_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_TIME_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$")


class Reader:
    """Collects errors and warnings while building the model from one ``<alert>`` element."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.errors: list[Problem] = []  # structure and value formats (what a schema checks)
        self.rule_errors: list[Problem] = []  # CAP rules beyond the schema
        self.warnings: list[Problem] = []
        self.signatures = 0

    # -- helpers --------------------------------------------------------------------------------
    # ``el`` is the element at fault, or its path already made (``/alert/info[1]/area[2]``).
    def error(self, el: Any, reason: str, suffix: str = "") -> None:
        self.errors.append(Problem(_path(el) + suffix, reason))

    def rule(self, el: Any, reason: str, suffix: str = "") -> None:
        self.rule_errors.append(Problem(_path(el) + suffix, reason))

    def warn(self, el: Any, reason: str, suffix: str = "") -> None:
        self.warnings.append(Problem(_path(el) + suffix, reason))

    def children(self, el: Any) -> list[Any]:
        out = []
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            ns = tag[1:].partition("}")[0] if tag[0] == "{" else ""
            if ns in CAP_NAMESPACES:
                out.append(child)
                continue
            if ns == DSIG_NS and local(el.tag) == "alert":
                self.signatures += 1
                continue
            self.error(child, f"element <{local(tag)}> in namespace '{ns}' is not part of CAP")
        return out

    def require(self, el: Any, kids: list[Any], names: tuple[str, ...]) -> bool:
        present = {local(k.tag) for k in kids}
        missing = [n for n in names if n not in present]
        for name in missing:
            self.error(el, f"required element <{name}> is missing")
        return not missing

    def enum(self, el: Any, allowed: tuple[str, ...]) -> str:
        value = text(el).strip()
        if value == "Very Likely" and allowed is CERTAINTY and self.version != "1.2":
            self.warn(el, "CAP 1.0 certainty 'Very Likely' converted to 'Likely'")
            return "Likely"
        if value not in allowed:
            self.error(el, f"'{value}' is not one of the allowed values: {', '.join(allowed)}")
        return value

    def time(self, el: Any) -> datetime:
        return self.parse_time(el, text(el).strip())

    def parse_time(self, el: Any, raw: str) -> datetime:
        m = _TIME_RE.match(raw)
        if not m or not m.group(3):
            why = "has no UTC offset" if m else "is not a date-time"
            self.error(el, f"'{raw}' {why}: the CAP form is YYYY-MM-DDThh:mm:ss+hh:mm")
            return datetime(1970, 1, 1, tzinfo=UTC)
        if m.group(2) or m.group(3) == "Z":
            self.warn(el, f"'{raw}' written as YYYY-MM-DDThh:mm:ss+hh:mm (CAP 1.2 allows no 'Z' or fractions)")
        offset = "+00:00" if m.group(3) == "Z" else m.group(3)
        try:
            return datetime.fromisoformat(m.group(1) + offset)
        except ValueError:
            self.error(el, f"'{raw}' is not a real date or time")
            return datetime(1970, 1, 1, tzinfo=UTC)

    def number(self, el: Any, raw: str, what: str) -> float | None:
        try:
            if not DECIMAL_RE.fullmatch(raw.strip()):
                raise InvalidOperation
            value = Decimal(raw.strip())
        except InvalidOperation:
            self.error(el, f"{what} '{raw.strip()}' is not a number")
            return None
        return float(value)

    # -- alert ----------------------------------------------------------------------------------
    def alert(self, el: Any) -> Alert | None:
        kids = self.children(el)
        if not self.require(el, kids, ALERT_REQUIRED):
            return None
        a = Alert(identifier="", sender="", sent=datetime(1970, 1, 1, tzinfo=UTC), status="",
                  msg_type="", scope="")  # fmt: skip
        setters: dict[str, Callable[[Any], None]] = {
            "identifier": lambda k: setattr(a, "identifier", self.ident(k)),
            "sender": lambda k: setattr(a, "sender", self.ident(k)),
            "sent": lambda k: setattr(a, "sent", self.time(k)),
            "status": lambda k: setattr(a, "status", self.enum(k, STATUS)),
            "msgType": lambda k: setattr(a, "msg_type", self.enum(k, MSG_TYPE)),
            "source": lambda k: setattr(a, "source", text(k)),
            "scope": lambda k: setattr(a, "scope", self.enum(k, SCOPE)),
            "restriction": lambda k: setattr(a, "restriction", text(k)),
            "addresses": lambda k: setattr(a, "addresses", text(k)),
            "code": lambda k: a.code.append(text(k)),
            "note": lambda k: setattr(a, "note", text(k)),
            "references": lambda k: setattr(a, "references", self.references(k)),
            "incidents": lambda k: setattr(a, "incidents", text(k)),
            "info": lambda k: self.append(a.infos, self.info(k)),
            "password": lambda k: self.warn(k, "CAP 1.0 <password> dropped (no such element in CAP 1.2)"),
        }
        self.dispatch(kids, setters)
        self.alert_rules(el, a)
        return a

    def ident(self, el: Any) -> str:
        value = text(el)
        if not value or re.search(r"[\s,<&]", value):
            self.rule(el, f"'{value}' must be non-empty and contain no spaces, commas, '<' or '&'")
        return value

    def dispatch(self, kids: list[Any], setters: dict[str, Callable[[Any], None]]) -> None:
        for kid in kids:
            setter = setters.get(local(kid.tag))
            if setter is None:
                self.error(kid, f"element <{local(kid.tag)}> is not allowed here")
            else:
                setter(kid)

    @staticmethod
    def append(target: list[Any], item: Any) -> None:
        if item is not None:
            target.append(item)

    def references(self, el: Any, content: str | None = None) -> list[Reference]:
        """The triples of ``<references>`` (its text is read from ``el`` unless given)."""
        raw = (text(el) if content is None else content).split()
        if not raw:
            self.warn(el, "empty <references/>: CAP requires at least one sender,identifier,sent triple; ignored")
        refs = []
        for i, triple in enumerate(raw, 1):
            parts = triple.split(",")
            if len(parts) != 3 or not parts[0] or not parts[1]:
                self.rule(el, f"reference {i} '{triple}' is not of the form sender,identifier,sent")
                continue
            refs.append(Reference(parts[0], parts[1], self.parse_time(el, parts[2])))
        return refs

    def alert_rules(self, el: Any, a: Alert) -> None:
        if a.msg_type in ("Update", "Cancel") and not a.references:
            self.warn(el, f"an {a.msg_type} message should carry <references> to the message(s) it replaces")
        if a.scope == "Restricted" and not a.restriction:
            self.warn(el, "scope Restricted without <restriction>")
        if a.scope == "Private" and not a.addresses:
            self.warn(el, "scope Private without <addresses>")
        if self.signatures:
            self.warn(el, f"{self.signatures} ds:Signature element(s) not verified and dropped", "/Signature")

    # -- info -----------------------------------------------------------------------------------
    def info(self, el: Any) -> Info | None:
        kids = self.children(el)
        if not self.require(el, kids, INFO_REQUIRED):
            return None
        i = Info(category=[], event="", urgency="", severity="", certainty="")
        setters: dict[str, Callable[[Any], None]] = {
            "language": lambda k: setattr(i, "language", text(k).strip()),
            "category": lambda k: i.category.append(self.enum(k, CATEGORY)),
            "event": lambda k: setattr(i, "event", text(k)),
            "responseType": lambda k: i.response_type.append(self.enum(k, RESPONSE_TYPE)),
            "urgency": lambda k: setattr(i, "urgency", self.enum(k, URGENCY)),
            "severity": lambda k: setattr(i, "severity", self.enum(k, SEVERITY)),
            "certainty": lambda k: setattr(i, "certainty", self.enum(k, CERTAINTY)),
            "audience": lambda k: setattr(i, "audience", text(k)),
            "eventCode": lambda k: self.append(i.event_codes, self.pair(k)),
            "effective": lambda k: setattr(i, "effective", self.time(k)),
            "onset": lambda k: setattr(i, "onset", self.time(k)),
            "expires": lambda k: setattr(i, "expires", self.time(k)),
            "senderName": lambda k: setattr(i, "sender_name", text(k)),
            "headline": lambda k: setattr(i, "headline", text(k)),
            "description": lambda k: setattr(i, "description", text(k)),
            "instruction": lambda k: setattr(i, "instruction", text(k)),
            "web": lambda k: setattr(i, "web", text(k).strip()),
            "contact": lambda k: setattr(i, "contact", text(k)),
            "parameter": lambda k: self.append(i.parameters, self.pair(k)),
            "resource": lambda k: self.append(i.resources, self.resource(k)),
            "area": lambda k: self.append(i.areas, self.area(k)),
        }
        self.dispatch(kids, setters)
        self.time_rules(el, i)
        return i

    def time_rules(self, el: Any, i: Info) -> None:
        if i.expires is None:
            return
        for name, start in (("effective", i.effective), ("onset", i.onset)):
            if start is not None and i.expires < start:
                self.rule(el, f"expires {i.expires.isoformat()} is before {name} {start.isoformat()}", "/expires")

    def pair(self, el: Any) -> Pair | None:
        kids = self.children(el)
        if not kids and self.version == "1.0":
            name, sep, value = text(el).partition("=")
            if not sep:
                self.error(el, f"CAP 1.0 value '{text(el)}' is not of the form name=value")
                return None
            return name.strip(), value.strip()
        names = [local(k.tag) for k in kids]
        if names != ["valueName", "value"]:
            self.error(el, f"must contain <valueName> then <value>, found {', '.join(names) or 'nothing'}")
            return None
        return text(kids[0]), text(kids[1])

    # -- resource, area -------------------------------------------------------------------------
    def resource(self, el: Any) -> Resource | None:
        kids = self.children(el)
        names = {local(k.tag) for k in kids}
        if self.version != "1.2" and "mimeType" not in names and "resourceDesc" in names:
            self.warn(el, "no <mimeType> (optional before CAP 1.2): set to application/octet-stream")
        elif not self.require(el, kids, RESOURCE_REQUIRED):
            return None
        r = Resource(resource_desc="", mime_type="application/octet-stream")
        setters: dict[str, Callable[[Any], None]] = {
            "resourceDesc": lambda k: setattr(r, "resource_desc", text(k)),
            "mimeType": lambda k: setattr(r, "mime_type", text(k).strip()),
            "size": lambda k: setattr(r, "size", self.size(k)),
            "uri": lambda k: setattr(r, "uri", text(k).strip()),
            "derefUri": lambda k: setattr(r, "deref_uri", text(k)),
            "digest": lambda k: setattr(r, "digest", text(k).strip()),
        }
        self.dispatch(kids, setters)
        return r

    def size(self, el: Any) -> int | None:
        raw = text(el).strip()
        if not re.fullmatch(r"\+?\d+", raw):
            self.error(el, f"size '{raw}' is not a whole number of bytes")
            return None
        return int(raw)

    def area(self, el: Any) -> Area | None:
        kids = self.children(el)
        if not self.require(el, kids, AREA_REQUIRED):
            return None
        ar = Area(area_desc="")
        setters: dict[str, Callable[[Any], None]] = {
            "areaDesc": lambda k: setattr(ar, "area_desc", text(k)),
            "polygon": lambda k: self.append(ar.polygons, self.polygon(k)),
            "circle": lambda k: self.append(ar.circles, self.circle(k)),
            "geocode": lambda k: self.append(ar.geocodes, self.pair(k)),
            "altitude": lambda k: setattr(ar, "altitude", self.number(k, text(k), "altitude")),
            "ceiling": lambda k: setattr(ar, "ceiling", self.number(k, text(k), "ceiling")),
        }
        self.dispatch(kids, setters)
        if ar.ceiling is not None and ar.altitude is None:
            self.warn(el, "<ceiling> without <altitude>", "/ceiling")
        elif ar.ceiling is not None and ar.altitude is not None and ar.altitude > ar.ceiling:
            self.rule(el, f"altitude {ar.altitude} is above ceiling {ar.ceiling}", "/altitude")
        return ar

    def point(self, el: Any, raw: str) -> Point | None:
        parts = raw.split(",")
        if len(parts) != 2:
            self.error(el, f"point '{raw}' is not of the form latitude,longitude")
            return None
        lat = self.number(el, parts[0], "latitude")
        lon = self.number(el, parts[1], "longitude")
        if lat is None or lon is None:
            return None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            self.rule(el, f"point '{raw}' is outside -90..90 latitude / -180..180 longitude")
            return None
        return lat, lon

    def polygon(self, el: Any) -> Sequence[Point] | None:
        content = text(el)
        if not content.strip():
            self.warn(el, "empty <polygon> ignored")
            return None
        numbers = fast_numbers(content)
        if numbers is not None:
            return self.ring(el, Points(numbers), len(numbers) >> 1, numbers[:2] == numbers[-2:])
        points = [self.point(el, p) for p in content.split()]
        if any(p is None for p in points):
            return None
        pts = [p for p in points if p is not None]
        return self.ring(el, pts, len(pts), bool(pts) and pts[0] == pts[-1])

    def ring(self, el: Any, pts: Sequence[Point], count: int, closed: bool) -> Sequence[Point] | None:
        if count < 4:
            self.rule(el, f"a polygon needs at least 4 points (first = last), found {count}")
            return None
        if not closed:
            self.rule(el, "the polygon is not closed: the first and last points differ")
            return None
        return pts

    def circle(self, el: Any) -> Circle | None:
        if not text(el).strip():
            self.warn(el, "empty <circle> ignored")
            return None
        centre, _, radius = text(el).strip().rpartition(" ")
        point = self.point(el, centre.strip()) if centre else None
        if point is None:
            if not centre:
                self.error(el, f"circle '{text(el).strip()}' is not of the form latitude,longitude radius")
            return None
        r = self.number(el, radius, "radius")
        if r is None:
            return None
        if r < 0:
            self.rule(el, f"radius {radius} km is negative")
            return None
        return point[0], point[1], r


def fast_numbers(content: str) -> Sequence[float] | None:
    """``lat, lon, lat, lon, …`` of a well-formed polygon, checked at C speed (None: the slow path names the fault).

    With the compiled module (:mod:`._native`, built at install), its scanner reads the text straight to
    doubles and range-checks them (a memoryview of them is returned); what it declines, or everything
    when it is not built, is read here:

    ASCII without exponents/inf/nan/underscores; blank-separated ``number,number`` pairs (checked by
    deleting the signs and digits and comparing what is left with ``".,. .,. …"`` or, once the points are
    deleted too, with ``", , …,"``); the numbers are read by a JSON parser, whose number syntax is narrower
    than CAP's (no ``+1``, ``.5``, ``1.``, ``01``): those polygons, and anything else it refuses, take the
    slow path, as does any point out of range. When every number has its decimal point, orjson reads them
    (each is a JSON float, read to the nearest double as ``float()`` reads it); otherwise the standard
    library's scanner, told to make floats of whole numbers too. The count and the closing point are the
    caller's to check.
    """
    if native is not None:
        packed = native.polygon(content)
        if packed is not None:
            return memoryview(packed).cast("d")
    if not content.isascii() or any(c in content for c in _FLOAT_EXTRAS):
        return None
    body = content.strip().encode("ascii")
    shape = _shape(body.translate(None, _SIGN_AND_DIGITS))
    if shape is None:
        body = b" ".join(body.split())  # other blanks between the pairs
        shape = _shape(body.translate(None, _SIGN_AND_DIGITS))
        if shape is None:
            return None
    dotted, count = shape
    try:
        numbers: list[float] = (
            orjson.loads(b"[" + body.replace(b" ", b",") + b"]")
            if dotted
            else _JSON_NUMBERS.decode("[" + body.replace(b" ", b",").decode("ascii") + "]")
        )
    except ValueError:
        return None
    if len(numbers) != count:
        return None
    if min(numbers) < -90 or max(numbers) > 90:  # one pass each when every number is a valid latitude
        lats, lons = numbers[0::2], numbers[1::2]
        if min(lats) < -90 or max(lats) > 90 or min(lons) < -180 or max(lons) > 180:
            return None
    return numbers


def _shape(marks: bytes) -> tuple[bool, int] | None:
    """What is left of a polygon once its signs and digits are deleted, read as pairs with one blank between.

    ``(True, numbers)`` for ``".,. .,. … .,."`` (every number has its decimal point), ``(False, numbers)``
    for ``", , …,"`` once the points are deleted too, None for anything else."""
    pairs = (len(marks) + 1) >> 2
    if len(marks) & 3 == 3 and marks == _DOTTED_PAIR_SEP * (pairs - 1) + b".,.":
        return True, pairs * 2
    separators = marks.replace(b".", b"")
    if _is_pair_separators(separators):
        return False, len(separators) + 1
    return None


def _is_pair_separators(separators: bytes) -> bool:
    """``", , …, ,"``: one comma in each pair, one space between pairs."""
    half = len(separators) >> 1
    return len(separators) & 1 == 1 and separators == _PAIR_SEP * half + b","


def _path(el: Any) -> str:
    return el if el.__class__ is str else element_path(el)


def text(el: Any) -> str:
    """The element's text content (CAP leaf elements have only text; comments inside are skipped)."""
    if len(el) == 0:
        return el.text or ""
    return "".join(el.itertext())


def read_alert(el: Any) -> tuple[Alert | None, Reader]:
    """Build the model from an ``<alert>`` element of any accepted CAP namespace."""
    ns = etree.QName(el).namespace
    reader = Reader(CAP_NAMESPACES.get(ns or "", "1.2"))
    alert = reader.alert(el)
    return alert, reader

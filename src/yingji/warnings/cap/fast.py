"""The quick way from a schema-valid CAP 1.2 ``<alert>`` to the model.

:func:`read_valid` is only ever given an element that has just passed the shipped CAP 1.2 XSD, so
element names, order, cardinality and the enumerations are already known to be right. It reads
each element's children once, maps tag names (precompiled ``{namespace}name`` strings) to fields
and applies the CAP rules the schema cannot express (identifiers, references, times, polygons,
circles, altitude/ceiling) with the same checks as :class:`.reader.Reader`, sharing its helpers.
Polygon numbers are read at C speed (:func:`.reader.fast_numbers`) and kept as
:class:`.model.Points`; circles and leaf texts are read inline, without a call per element.

It gives up (returns ``None``) on the first thing that would be an error, and the caller then runs
the careful reader, which names the element and the reason. Warnings are produced here with the
same texts and paths as the careful reader, in the same order, so both ways return the same result
for every alert this function accepts (``tests/warnings/test_cap.py`` compares them over the corpus).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from .model import CAP12_NS, DSIG_NS, Alert, Area, Info, Pair, Points, Resource
from .reader import DECIMAL_RE, Reader, fast_numbers, text

_NS = "{" + CAP12_NS + "}"
_SIG_PREFIX = "{" + DSIG_NS + "}"
_IDENT_BAD = re.compile(r"[\s,<&]")
_SIZE_RE = re.compile(r"\+?\d+")


def _q(name: str) -> str:
    return _NS + name


# alert: tag -> attribute for plain text fields
_ALERT_TEXT = {_q(n): a for n, a in (
    ("source", "source"), ("restriction", "restriction"), ("addresses", "addresses"), ("note", "note"),
    ("incidents", "incidents"),
)}  # fmt: skip
_ALERT_ENUM = {_q("status"): "status", _q("msgType"): "msg_type", _q("scope"): "scope"}
_ALERT_IDENT = {_q("identifier"): "identifier", _q("sender"): "sender"}
_Q_SENT, _Q_CODE, _Q_REFERENCES, _Q_INFO = _q("sent"), _q("code"), _q("references"), _q("info")

# info, resource and area children: tag -> (what to do, field). Kinds: plain text, stripped text,
# time, stripped text appended to a list, valueName/value pair, resource, area, polygon, circle,
# geocode, altitude/ceiling.
_TEXT, _STRIP, _TIME, _LIST, _PAIR, _RESOURCE, _AREA, _POLYGON, _CIRCLE, _NUMBER = range(10)
_INFO_KIND: dict[Any, tuple[int, str]] = {_q(n): (k, a) for n, k, a in (
    ("language", _STRIP, "language"), ("category", _LIST, "category"), ("event", _TEXT, "event"),
    ("responseType", _LIST, "response_type"), ("urgency", _STRIP, "urgency"), ("severity", _STRIP, "severity"),
    ("certainty", _STRIP, "certainty"), ("audience", _TEXT, "audience"), ("eventCode", _PAIR, "event_codes"),
    ("effective", _TIME, "effective"), ("onset", _TIME, "onset"), ("expires", _TIME, "expires"),
    ("senderName", _TEXT, "sender_name"), ("headline", _TEXT, "headline"), ("description", _TEXT, "description"),
    ("instruction", _TEXT, "instruction"), ("web", _STRIP, "web"), ("contact", _TEXT, "contact"),
    ("parameter", _PAIR, "parameters"), ("resource", _RESOURCE, "resources"), ("area", _AREA, "areas"),
)}  # fmt: skip
_RES_KIND: dict[Any, tuple[int, str]] = {_q(n): (k, a) for n, k, a in (
    ("resourceDesc", _TEXT, "resource_desc"), ("mimeType", _STRIP, "mime_type"), ("size", _NUMBER, "size"),
    ("uri", _STRIP, "uri"), ("derefUri", _TEXT, "deref_uri"), ("digest", _STRIP, "digest"),
)}  # fmt: skip
_AREA_KIND: dict[Any, tuple[int, str]] = {_q(n): (k, a) for n, k, a in (
    ("areaDesc", _TEXT, "area_desc"), ("polygon", _POLYGON, "polygons"), ("circle", _CIRCLE, "circles"),
    ("geocode", _PAIR, "geocodes"), ("altitude", _NUMBER, "altitude"), ("ceiling", _NUMBER, "ceiling"),
)}  # fmt: skip


class _GiveUp(Exception):
    """Something the careful reader has to name."""


def _time(raw: str) -> datetime:
    # The 1.2 schema's pattern has already required YYYY-MM-DDThh:mm:ss±hh:mm; what is left to
    # check is that the date and time exist.
    try:
        return datetime.fromisoformat(raw.strip())
    except ValueError:
        raise _GiveUp from None


class _FastReader(Reader):
    def __init__(self) -> None:
        super().__init__("1.2")

    def check(self) -> None:
        if self.errors or self.rule_errors:
            raise _GiveUp

    def alert(self, el: Any) -> Alert | None:
        fields: dict[str, Any] = {}
        code: list[str] = []
        infos: list[Info] = []
        for k in el:
            tag = k.tag
            if tag.__class__ is not str:
                continue
            if tag in _ALERT_TEXT:
                fields[_ALERT_TEXT[tag]] = text(k)
            elif tag in _ALERT_ENUM:
                fields[_ALERT_ENUM[tag]] = text(k).strip()
            elif tag in _ALERT_IDENT:
                value = text(k)
                if not value or _IDENT_BAD.search(value):
                    raise _GiveUp
                fields[_ALERT_IDENT[tag]] = value
            elif tag == _Q_SENT:
                fields["sent"] = _time(text(k))
            elif tag == _Q_INFO:
                infos.append(self.info(k))
            elif tag == _Q_CODE:
                code.append(text(k))
            elif tag == _Q_REFERENCES:
                fields["references"] = self.references(k)
                self.check()
            elif tag.startswith(_SIG_PREFIX):
                self.signatures += 1
            else:
                raise _GiveUp
        a = Alert(code=code, infos=infos, **fields)
        self.alert_rules(el, a)
        return a

    def info(self, el: Any) -> Info:
        fields: dict[str, Any] = {"category": [], "response_type": [], "event_codes": [], "parameters": [],
                                  "resources": [], "areas": []}  # fmt: skip
        get = _INFO_KIND.get
        for k in el:
            kind = get(k.tag)
            if kind is None:
                if k.tag.__class__ is str:
                    raise _GiveUp
                continue  # a comment
            what, name = kind
            if what == _PAIR:
                fields[name].append(_pair(k))
            elif what == _TEXT:
                fields[name] = (k.text or "") if not len(k) else text(k)
            elif what == _STRIP:
                fields[name] = ((k.text or "") if not len(k) else text(k)).strip()
            elif what == _AREA:
                fields[name].append(self.area(k))
            elif what == _LIST:
                fields[name].append(((k.text or "") if not len(k) else text(k)).strip())
            elif what == _TIME:
                fields[name] = _time(text(k))
            else:
                fields[name].append(self.resource(k))
        i = Info(**fields)
        expires = i.expires
        if expires is not None and (
            (i.effective is not None and expires < i.effective) or (i.onset is not None and expires < i.onset)
        ):
            raise _GiveUp
        return i

    def resource(self, el: Any) -> Resource:
        fields: dict[str, Any] = {}
        for k in el:
            kind = _RES_KIND.get(k.tag)
            if kind is None:
                if k.tag.__class__ is str:
                    raise _GiveUp
                continue
            what, name = kind
            if what == _TEXT:
                fields[name] = text(k)
            elif what == _STRIP:
                fields[name] = text(k).strip()
            else:
                raw = text(k).strip()
                if not _SIZE_RE.fullmatch(raw):
                    raise _GiveUp
                fields[name] = int(raw)
        return Resource(**fields)

    def area(self, el: Any) -> Area:
        ar = Area(area_desc="")
        get = _AREA_KIND.get
        for k in el:
            kind = get(k.tag)
            if kind is None:
                if k.tag.__class__ is str:
                    raise _GiveUp
                continue
            what = kind[0]
            if what == _PAIR:
                ar.geocodes.append(_pair(k))
            elif what == _TEXT:
                ar.area_desc = (k.text or "") if not len(k) else text(k)
            elif what == _CIRCLE:
                circle = _circle(text(k))
                if circle is None:
                    self.warn(k, "empty <circle> ignored")
                else:
                    ar.circles.append(circle)
            elif what == _POLYGON:
                content = text(k)
                if not content.strip():
                    self.warn(k, "empty <polygon> ignored")
                    continue
                numbers = fast_numbers(content)
                if numbers is None or len(numbers) < 8 or numbers[:2] != numbers[-2:]:
                    raise _GiveUp
                ar.polygons.append(Points(numbers))
            else:
                setattr(ar, kind[1], self.number(k, text(k), kind[1]))
                self.check()
        if ar.ceiling is not None and ar.altitude is None:
            self.warn(el, "<ceiling> without <altitude>", "/ceiling")
        elif ar.ceiling is not None and ar.altitude is not None and ar.altitude > ar.ceiling:
            raise _GiveUp
        return ar


def _pair(el: Any) -> Pair:
    # the schema has required exactly <valueName> then <value>; comments may sit between them
    if len(el) == 2:
        name, value = el
    else:
        name, value = [k for k in el if k.tag.__class__ is str]
    return (
        (name.text or "") if not len(name) else text(name),
        (value.text or "") if not len(value) else text(value),
    )


def _number(raw: str) -> float:
    """A CAP decimal number, read as :meth:`.reader.Reader.number` reads it (the same float), or give up."""
    raw = raw.strip()
    if not DECIMAL_RE.fullmatch(raw):
        raise _GiveUp
    return float(raw)


def _circle(content: str) -> tuple[float, float, float] | None:
    """``lat,lon radius`` as :meth:`.reader.Reader.circle` reads it; None when empty; give up on any fault."""
    content = content.strip()
    if not content:
        return None
    centre, _, radius = content.rpartition(" ")
    lat, comma, lon = centre.partition(",")
    if not comma or "," in lon:
        raise _GiveUp
    la, lo, r = _number(lat), _number(lon), _number(radius)
    if not (-90 <= la <= 90 and -180 <= lo <= 180) or r < 0:
        raise _GiveUp
    return la, lo, r


def read_valid(el: Any) -> tuple[Alert, Reader] | None:
    """The model of a CAP 1.2 ``<alert>`` that passed the 1.2 XSD, or None: use the careful reader."""
    reader = _FastReader()
    try:
        alert = reader.alert(el)
    except _GiveUp:
        return None
    if alert is None or reader.errors or reader.rule_errors:
        return None
    return alert, reader

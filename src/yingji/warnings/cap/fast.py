"""The quick way from a schema-valid CAP 1.2 ``<alert>`` to the model.

:func:`read_valid` is only ever given an element that has just passed the shipped CAP 1.2 XSD, so
element names, order, cardinality and the enumerations are already known to be right. It reads
each element's children once, maps tag names (precompiled ``{namespace}name`` strings) to fields
and applies the CAP rules the schema cannot express (identifiers, references, times, polygons,
circles, altitude/ceiling) with the same checks as :class:`.reader.Reader`, sharing its helpers.

It gives up (returns ``None``) on the first thing that would be an error, and the caller then runs
the careful reader, which names the element and the reason. Warnings are produced here with the
same texts and paths as the careful reader, in the same order, so both ways return the same result
for every alert this function accepts (``tests/warnings/test_cap.py`` compares them over the corpus).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from .model import CAP12_NS, DSIG_NS, Alert, Area, Info, Pair, Point, Resource
from .reader import Reader, fast_points, text

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

_INFO_TEXT = {_q(n): a for n, a in (
    ("event", "event"), ("audience", "audience"), ("senderName", "sender_name"), ("headline", "headline"),
    ("description", "description"), ("instruction", "instruction"), ("contact", "contact"),
)}  # fmt: skip
_INFO_STRIP = {_q("language"): "language", _q("web"): "web"}
_INFO_ENUM = {_q("urgency"): "urgency", _q("severity"): "severity", _q("certainty"): "certainty"}
_INFO_TIME = {_q("effective"): "effective", _q("onset"): "onset", _q("expires"): "expires"}
_Q_CATEGORY, _Q_RESPONSE, _Q_EVENT_CODE = _q("category"), _q("responseType"), _q("eventCode")
_Q_PARAMETER, _Q_RESOURCE, _Q_AREA = _q("parameter"), _q("resource"), _q("area")

_RES_TEXT = {_q("resourceDesc"): "resource_desc", _q("derefUri"): "deref_uri"}
_RES_STRIP = {_q("mimeType"): "mime_type", _q("uri"): "uri", _q("digest"): "digest"}
_Q_SIZE = _q("size")

_Q_AREA_DESC, _Q_POLYGON, _Q_CIRCLE, _Q_GEOCODE = _q("areaDesc"), _q("polygon"), _q("circle"), _q("geocode")
_Q_ALTITUDE, _Q_CEILING = _q("altitude"), _q("ceiling")


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
        fields: dict[str, Any] = {}
        category: list[str] = []
        response: list[str] = []
        event_codes: list[Pair] = []
        parameters: list[Pair] = []
        resources: list[Resource] = []
        areas: list[Area] = []
        for k in el:
            tag = k.tag
            if tag.__class__ is not str:
                continue
            if tag in _INFO_TEXT:
                fields[_INFO_TEXT[tag]] = text(k)
            elif tag == _Q_PARAMETER:
                parameters.append(self.pair(k))
            elif tag == _Q_AREA:
                areas.append(self.area(k))
            elif tag in _INFO_ENUM:
                fields[_INFO_ENUM[tag]] = text(k).strip()
            elif tag in _INFO_TIME:
                fields[_INFO_TIME[tag]] = _time(text(k))
            elif tag in _INFO_STRIP:
                fields[_INFO_STRIP[tag]] = text(k).strip()
            elif tag == _Q_CATEGORY:
                category.append(text(k).strip())
            elif tag == _Q_RESPONSE:
                response.append(text(k).strip())
            elif tag == _Q_EVENT_CODE:
                event_codes.append(self.pair(k))
            elif tag == _Q_RESOURCE:
                resources.append(self.resource(k))
            else:
                raise _GiveUp
        i = Info(category=category, response_type=response, event_codes=event_codes, parameters=parameters,
                 resources=resources, areas=areas, **fields)  # fmt: skip
        expires = i.expires
        if expires is not None and (
            (i.effective is not None and expires < i.effective) or (i.onset is not None and expires < i.onset)
        ):
            raise _GiveUp
        return i

    def pair(self, el: Any) -> Pair:
        # the schema has required exactly <valueName> then <value>; comments may sit between them
        if len(el) == 2:
            name, value = el
        else:
            name, value = [k for k in el if k.tag.__class__ is str]
        return text(name), text(value)

    def resource(self, el: Any) -> Resource:
        fields: dict[str, Any] = {}
        for k in el:
            tag = k.tag
            if tag.__class__ is not str:
                continue
            if tag in _RES_TEXT:
                fields[_RES_TEXT[tag]] = text(k)
            elif tag in _RES_STRIP:
                fields[_RES_STRIP[tag]] = text(k).strip()
            elif tag == _Q_SIZE:
                raw = text(k).strip()
                if not _SIZE_RE.fullmatch(raw):
                    raise _GiveUp
                fields["size"] = int(raw)
            else:
                raise _GiveUp
        return Resource(**fields)

    def area(self, el: Any) -> Area:
        ar = Area(area_desc="")
        for k in el:
            tag = k.tag
            if tag.__class__ is not str:
                continue
            if tag == _Q_AREA_DESC:
                ar.area_desc = text(k)
            elif tag == _Q_POLYGON:
                content = text(k)
                pts: list[Point] | None
                if not content.strip():
                    self.warn(k, "empty <polygon> ignored")
                    continue
                pts = fast_points(content)
                if pts is None or len(pts) < 4 or pts[0] != pts[-1]:
                    raise _GiveUp
                ar.polygons.append(pts)
            elif tag == _Q_CIRCLE:
                circle = self.circle(k)
                self.check()
                if circle is not None:
                    ar.circles.append(circle)
            elif tag == _Q_GEOCODE:
                ar.geocodes.append(self.pair(k))
            elif tag == _Q_ALTITUDE:
                ar.altitude = self.number(k, text(k), "altitude")
                self.check()
            elif tag == _Q_CEILING:
                ar.ceiling = self.number(k, text(k), "ceiling")
                self.check()
            else:
                raise _GiveUp
        if ar.ceiling is not None and ar.altitude is None:
            self.warn(el, "<ceiling> without <altitude>", "/ceiling")
        elif ar.ceiling is not None and ar.altitude is not None and ar.altitude > ar.ceiling:
            raise _GiveUp
        return ar


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

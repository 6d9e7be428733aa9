"""The quick way from a schema-valid CAP 1.2 ``<alert>`` to the model.

:func:`read_valid` is only ever given an element that has just passed the shipped CAP 1.2 XSD, so
element names, order, cardinality and the enumerations are already known to be right. It works in two
steps:

1. **The plain values** of the alert (:func:`values`): the model's keyword arguments, each ``<info>``,
   ``<resource>`` and ``<area>`` a dict of its own, texts as :func:`.reader.text` gives them (stripped
   for codes), valueName/value pairs as tuples, times as datetimes, polygons, circles and other numbers
   as text. The compiled module (:mod:`._native`, built at install) reads them from the libxml2 tree in
   C, polygons and circles already read to numbers, and makes the model itself where nothing is left to
   check; :func:`values` is the Python way, used when the module is not built
   (``tests/warnings/test_cap_native.py`` runs every import both ways, see :func:`python_alone`).
2. **The model** (:class:`_Builder`): the CAP rules the schema cannot express (identifiers, references,
   times, polygons, circles, altitude/ceiling) with the same checks as :class:`.reader.Reader`, sharing
   its helpers.

It gives up (returns ``None``) on the first thing that would be an error, and the caller then runs
the careful reader, which names the element and the reason. Warnings are produced here with the
same texts and paths as the careful reader, in the same order, so both ways return the same result
for every alert this function accepts (``tests/warnings/test_cap.py`` compares them over the corpus).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from lxml import etree

from . import reader
from .model import CAP12_NS, DSIG_NS, Alert, Area, Info, Points, Resource
from .reader import DECIMAL_RE, Reader, fast_numbers, text
from .schema import element_path

_NS = "{" + CAP12_NS + "}"
_SIG_PREFIX = "{" + DSIG_NS + "}"
_IDENT_BAD = re.compile(r"[\s,<&]")
_SIZE_RE = re.compile(r"\+?\d+")

# What each CAP child becomes in its parent's dict (the compiled module has the same tables): its text,
# its stripped text, either appended to a list, a (valueName, value) pair, a polygon, or a nested dict.
_RAW, _STRIP, _LIST_RAW, _LIST_STRIP, _PAIR, _POLYGON, _CIRCLE, _TIME, _INFO, _RESOURCE, _AREA = range(11)
_Table = dict[str, tuple[int, str]]


def _table(*rows: tuple[str, int, str]) -> _Table:
    return {_NS + tag: (kind, name) for tag, kind, name in rows}


_ALERT = _table(
    ("identifier", _RAW, "identifier"), ("sender", _RAW, "sender"), ("sent", _TIME, "sent"),
    ("status", _STRIP, "status"), ("msgType", _STRIP, "msg_type"), ("source", _RAW, "source"),
    ("scope", _STRIP, "scope"), ("restriction", _RAW, "restriction"), ("addresses", _RAW, "addresses"),
    ("code", _LIST_RAW, "code"), ("note", _RAW, "note"), ("references", _RAW, "references"),
    ("incidents", _RAW, "incidents"), ("info", _INFO, "infos"),
)  # fmt: skip
_INFO_T = _table(
    ("language", _STRIP, "language"), ("category", _LIST_STRIP, "category"), ("event", _RAW, "event"),
    ("responseType", _LIST_STRIP, "response_type"), ("urgency", _STRIP, "urgency"),
    ("severity", _STRIP, "severity"), ("certainty", _STRIP, "certainty"), ("audience", _RAW, "audience"),
    ("eventCode", _PAIR, "event_codes"), ("effective", _TIME, "effective"), ("onset", _TIME, "onset"),
    ("expires", _TIME, "expires"), ("senderName", _RAW, "sender_name"), ("headline", _RAW, "headline"),
    ("description", _RAW, "description"), ("instruction", _RAW, "instruction"), ("web", _STRIP, "web"),
    ("contact", _RAW, "contact"), ("parameter", _PAIR, "parameters"), ("resource", _RESOURCE, "resources"),
    ("area", _AREA, "areas"),
)  # fmt: skip
_RESOURCE_T = _table(
    ("resourceDesc", _RAW, "resource_desc"), ("mimeType", _STRIP, "mime_type"), ("size", _RAW, "size"),
    ("uri", _STRIP, "uri"), ("derefUri", _RAW, "deref_uri"), ("digest", _STRIP, "digest"),
)  # fmt: skip
_AREA_T = _table(
    ("areaDesc", _RAW, "area_desc"), ("polygon", _POLYGON, "polygons"), ("circle", _CIRCLE, "circles"),
    ("geocode", _PAIR, "geocodes"), ("altitude", _RAW, "altitude"), ("ceiling", _RAW, "ceiling"),
)  # fmt: skip
_NESTED = {_INFO: _INFO_T, _RESOURCE: _RESOURCE_T, _AREA: _AREA_T}
_SKIPPED = (etree.Comment, etree.PI)


class _Decline(Exception):
    """Something :func:`values` does not read (the compiled module declines it too)."""


def _leaf(el: Any) -> str:
    """:func:`.reader.text` of a leaf; an element inside it is declined."""
    if not len(el):  # text only (the usual)
        return el.text or ""
    if any(k.tag.__class__ is str for k in el):
        raise _Decline
    return text(el)


def _pair_values(el: Any) -> tuple[str, str]:
    if len(el) == 2:  # valueName and value, nothing between them (the usual)
        name, value = el
        if name.tag.__class__ is str and value.tag.__class__ is str:
            return _leaf(name), _leaf(value)
    kids = [k for k in el if k.tag.__class__ is str]
    if len(kids) != 2:
        raise _Decline
    return _leaf(kids[0]), _leaf(kids[1])


def _container(el: Any, table: _Table, signatures: list[int] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in el:
        tag = k.tag
        if tag.__class__ is not str:
            if tag in _SKIPPED:
                continue
            raise _Decline  # an entity reference
        field = table.get(tag)
        if field is None:
            if signatures is not None and tag.startswith(_SIG_PREFIX):
                signatures[0] += 1
                continue
            raise _Decline
        kind, name = field
        value: Any
        if kind == _RAW or kind == _LIST_RAW:
            value = _leaf(k)
        elif kind == _STRIP or kind == _LIST_STRIP:
            value = _leaf(k).strip()
        elif kind == _PAIR:
            value = _pair_values(k)
        elif kind == _POLYGON or kind == _CIRCLE:
            value = _leaf(k)  # read by the builder
        elif kind == _TIME:
            value = _time_of(_leaf(k))
        else:
            value = _container(k, _NESTED[kind], None)
        if kind == _RAW or kind == _STRIP or kind == _TIME:
            out[name] = value
        elif name in out:
            out[name].append(value)
        else:
            out[name] = [value]
    return out


_TIME_FORM = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)([+-])(\d\d):(\d\d)", re.ASCII)


def _time_of(raw: str) -> datetime:
    """A CAP time, ``YYYY-MM-DDThh:mm:ss+hh:mm`` (blanks around it aside), as ``datetime.fromisoformat`` reads
    it; a date or time that does not exist, or any other form, is declined."""
    m = _TIME_FORM.fullmatch(raw.strip(" \t\n\r"))
    if m is None:
        raise _Decline
    year, month, day, hour, minute, second, sign, oh, om = m.groups()
    if int(om) > 59:
        raise _Decline
    offset = (int(oh) * 60 + int(om)) * (-1 if sign == "-" else 1)
    try:
        zone = UTC if offset == 0 else timezone(timedelta(minutes=offset))
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=zone)
    except ValueError:
        raise _Decline from None


def values(el: Any) -> tuple[dict[str, Any], int] | None:
    """The plain values of a schema-valid CAP 1.2 ``<alert>`` and its count of ds:Signature children, or None."""
    if el.tag != _NS + "alert":
        return None
    signatures = [0]
    try:
        return _container(el, _ALERT, signatures), signatures[0]
    except _Decline:
        return None


_values: Callable[[Any], tuple[Any, int] | None] = reader.native.values if reader.native is not None else values


@contextmanager
def python_alone() -> Iterator[None]:
    """Within the block CAP import runs as it does where the compiled module is not built (for the tests and
    ``bench/bench_cap.py``, which compare the two ways; not for serving)."""
    global _values
    saved = reader.native, _values
    reader.native, _values = None, values  # type: ignore[assignment]
    try:
        yield
    finally:
        reader.native, _values = saved
_PLAIN_AREA = frozenset({"area_desc", "geocodes"})


class _GiveUp(Exception):
    """Something the careful reader has to name."""


class _Builder(Reader):
    def __init__(self) -> None:
        super().__init__("1.2")

    def check(self) -> None:
        if self.errors or self.rule_errors:
            raise _GiveUp

    def build_alert(self, fields: dict[str, Any], el: Any) -> Alert:
        base = element_path(el)
        for key in ("identifier", "sender"):
            value = fields[key]
            if not value or _IDENT_BAD.search(value):
                raise _GiveUp
        references = fields.get("references")
        if references is not None:
            fields["references"] = self.references(base + "/references", references)
            self.check()
        infos = fields.get("infos")
        if infos is not None:
            fields["infos"] = [
                i if i.__class__ is Info else self.build_info(i, f"{base}/info[{n}]") for n, i in enumerate(infos, 1)
            ]
        a = Alert(**fields)
        self.alert_rules(el, a)
        return a

    def build_info(self, fields: dict[str, Any], path: str) -> Info:
        resources = fields.get("resources")
        if resources is not None:
            fields["resources"] = [r if r.__class__ is Resource else self.build_resource(r) for r in resources]
        areas = fields.get("areas")
        if areas is not None:
            fields["areas"] = [
                a if a.__class__ is Area else self.build_area(a, f"{path}/area[{n}]") for n, a in enumerate(areas, 1)
            ]
        i = Info(**fields)
        expires = i.expires
        if expires is not None and (
            (i.effective is not None and expires < i.effective) or (i.onset is not None and expires < i.onset)
        ):
            raise _GiveUp
        return i

    def build_resource(self, fields: dict[str, Any]) -> Resource:
        raw = fields.get("size")
        if raw is not None:
            raw = raw.strip()
            if not _SIZE_RE.fullmatch(raw):
                raise _GiveUp
            fields["size"] = int(raw)
        return Resource(**fields)

    def build_area(self, fields: dict[str, Any], path: str) -> Area:
        if fields.keys() <= _PLAIN_AREA:  # a description and geocodes: nothing to read or check
            return Area(**fields)
        polygons = fields.get("polygons")
        if polygons is not None:
            kept = []
            for n, polygon in enumerate(polygons, 1):
                if polygon.__class__ is bytes:
                    numbers: Any = memoryview(polygon).cast("d")
                elif not polygon.strip():
                    self.warn(f"{path}/polygon[{n}]", "empty <polygon> ignored")
                    continue
                else:
                    numbers = fast_numbers(polygon)
                    if numbers is None:
                        raise _GiveUp
                if len(numbers) < 8 or numbers[0] != numbers[-2] or numbers[1] != numbers[-1]:
                    raise _GiveUp
                kept.append(Points(numbers))
            fields["polygons"] = kept
        circles = fields.get("circles")
        if circles is not None:
            read = []
            for n, raw in enumerate(circles, 1):
                if raw.__class__ is tuple:  # read and checked by the compiled module
                    read.append(raw)
                    continue
                circle = _circle(raw)
                if circle is None:
                    self.warn(f"{path}/circle[{n}]", "empty <circle> ignored")
                else:
                    read.append(circle)
            fields["circles"] = read
        for name in ("altitude", "ceiling"):
            raw = fields.get(name)
            if raw is not None:
                fields[name] = self.number(f"{path}/{name}", raw, name)
                self.check()
        ar = Area(**fields)
        if ar.ceiling is not None and ar.altitude is None:
            self.warn(path, "<ceiling> without <altitude>", "/ceiling")
        elif ar.ceiling is not None and ar.altitude is not None and ar.altitude > ar.ceiling:
            raise _GiveUp
        return ar


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
    got = _values(el)
    if got is None:
        return None
    fields, signatures = got
    builder = _Builder()
    builder.signatures = signatures
    if fields.__class__ is Alert:  # made whole by the compiled module: only the whole alert's warnings to add
        builder.alert_rules(el, fields)
        return fields, builder
    try:
        alert = builder.build_alert(fields, el)
    except _GiveUp:
        return None
    if builder.errors or builder.rule_errors:
        return None
    return alert, builder

"""Plain-Python CAP 1.2 model: dataclasses, no XML.

Field names are the CAP element names in snake_case (``msgType`` -> ``msg_type``, ``areaDesc`` ->
``area_desc``). valueName/value pairs (eventCode, parameter, geocode) are ordered lists of
``(valueName, value)`` tuples. Times are timezone-aware ``datetime`` objects that keep the offset
they were written with. Coordinates are WGS 84 decimal degrees, ``(lat, lon)``; circle radii are km.
A polygon is a sequence of ``(lat, lon)`` points: a plain list, or for an imported polygon a
:class:`Points`, which keeps the checked numbers and makes the pairs when they are first used.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, overload

CAP12_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP11_NS = "urn:oasis:names:tc:emergency:cap:1.1"
CAP10_NS = "http://www.incident.com/cap/1.0"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
CAP_NAMESPACES = {CAP12_NS: "1.2", CAP11_NS: "1.1", CAP10_NS: "1.0"}

Pair = tuple[str, str]
Point = tuple[float, float]
Circle = tuple[float, float, float]


class Points(Sequence[Point]):
    """The points of an imported polygon, from its numbers ``lat, lon, lat, lon, …`` (already checked; a list,
    or a memoryview of the doubles the compiled scanner made).

    A polygon of an alert is mostly stored and exported again, rarely drawn or measured; making
    one tuple per point at import is the larger part of reading a large polygon, so the tuples
    are made on first use. Equal to any sequence holding the same points (a list of tuples too).
    """

    __slots__ = ("_numbers", "_points")

    def __init__(self, numbers: Sequence[float] | bytes) -> None:
        if isinstance(numbers, bytes):  # native doubles, packed (the compiled scanner's)
            numbers = memoryview(numbers).cast("d")
        if len(numbers) % 2:
            raise ValueError("a polygon needs an even count of numbers (latitude, longitude pairs)")
        self._numbers = numbers
        self._points: list[Point] | None = None

    def _list(self) -> list[Point]:
        points = self._points
        if points is None:
            pairs = iter(self._numbers)
            points = self._points = list(zip(pairs, pairs, strict=True))
        return points

    def __len__(self) -> int:
        return len(self._numbers) >> 1

    @overload
    def __getitem__(self, index: int) -> Point: ...
    @overload
    def __getitem__(self, index: slice) -> list[Point]: ...
    def __getitem__(self, index: int | slice) -> Point | list[Point]:
        return self._list()[index]

    def __iter__(self) -> Iterator[Point]:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Points):
            mine, theirs = self._numbers, other._numbers
            return mine == theirs if type(mine) is type(theirs) else list(mine) == list(theirs)
        if isinstance(other, list | tuple):
            return self._list() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._list())

    def __reduce__(self) -> tuple[Any, ...]:
        return (Points, (list(self._numbers),))


@dataclass(frozen=True)
class Reference:
    """One ``sender,identifier,sent`` triple of ``<references>``."""

    sender: str
    identifier: str
    sent: datetime


@dataclass
class Resource:
    resource_desc: str
    mime_type: str
    size: int | None = None
    uri: str | None = None
    deref_uri: str | None = None
    digest: str | None = None


@dataclass
class Area:
    area_desc: str
    polygons: list[Sequence[Point]] = field(default_factory=list)
    circles: list[Circle] = field(default_factory=list)
    geocodes: list[Pair] = field(default_factory=list)
    altitude: float | None = None
    ceiling: float | None = None


@dataclass
class Info:
    category: list[str]
    event: str
    urgency: str
    severity: str
    certainty: str
    language: str | None = None  # absent means the CAP default, en-US
    response_type: list[str] = field(default_factory=list)
    audience: str | None = None
    event_codes: list[Pair] = field(default_factory=list)
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    parameters: list[Pair] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)


@dataclass
class Alert:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str
    source: str | None = None
    restriction: str | None = None
    addresses: str | None = None
    code: list[str] = field(default_factory=list)
    note: str | None = None
    references: list[Reference] = field(default_factory=list)
    incidents: str | None = None
    infos: list[Info] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """Where (an XPath-like path such as ``/alert/info[1]/area[2]/polygon``) and why, in plain words."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class CapError(ValueError):
    """A document refused on import. ``problems[0]`` is the first reason; there may be more."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(str(problems[0]) if problems else "refused")

    @property
    def path(self) -> str:
        return self.problems[0].path

    @property
    def reason(self) -> str:
        return self.problems[0].reason


@dataclass
class ParseResult:
    """An imported alert plus what was tolerated on the way (``warnings``) and where it came from."""

    alert: Alert
    version: str  # CAP version of the source document: "1.2", "1.1" or "1.0"
    warnings: list[Problem] = field(default_factory=list)
    signatures_dropped: int = 0

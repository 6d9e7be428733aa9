"""Pydantic shapes in and out of the risks services."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from typing_extensions import TypedDict

from yingji.core.schemas import Clean, Id

HAZARD_KINDS = ("major_hazard", "infrastructure")
HAZARD_CATEGORIES = ("hazardous_chemicals", "mining", "gas", "fireworks", "dam", "reservoir", "bridge", "tunnel",
                     "road", "power", "water_supply", "pipeline", "geological", "other")
HAZARD_LEVELS = ("", "1", "2", "3", "4")
CATEGORIES = (1, 2, 3, 4)
INSPECTION_KINDS = ("department", "grid", "self_check")
SEVERITIES = ("general", "major")
FINDING_STATES = ("open", "rectified", "verified", "closed")
PURPOSES = ("inspection", "patrol")
SENSOR_KINDS: dict[str, tuple[str, float, float]] = {
    # kind: (unit of measurement, lowest and highest value a device of this kind can report)
    "gas": ("%LEL", 0.0, 100.0),
    "water_level": ("m", -50.0, 500.0),
    "displacement": ("mm", -10000.0, 10000.0),
    "rainfall": ("mm", 0.0, 1000.0),
    "temperature": ("°C", -60.0, 1500.0),
    "pressure": ("MPa", 0.0, 100.0),
}
WARNING_LEVELS = ("blue", "yellow", "orange", "red")
MAX_BATCH = 5000
MAX_POINTS = 2000
MAX_ITEMS = 100

Lon = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]
Point = Annotated[list[float], Field(min_length=2, max_length=2)]
Polygon = Annotated[list[Point], Field(min_length=3, max_length=MAX_POINTS)]


def _choice(value: Any, allowed: Any) -> Any:
    if value not in allowed:
        raise ValueError("not an allowed choice")
    return value


def _check_points(points: list[list[float]]) -> list[list[float]]:
    for lon, lat in points:
        if not (math.isfinite(lon) and math.isfinite(lat)) or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError("coordinates out of range")
    return points


class HazardCreate(Clean):
    unit_id: Id
    name: str = Field(min_length=1, max_length=200)
    kind: str = "major_hazard"
    category: str = "other"
    level: str = ""
    address: str = Field(default="", max_length=300)
    lon: Lon | None = None
    lat: Lat | None = None
    description: str = Field(default="", max_length=4000)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        return str(_choice(v, HAZARD_KINDS))

    @field_validator("category")
    @classmethod
    def _category(cls, v: str) -> str:
        return str(_choice(v, HAZARD_CATEGORIES))

    @field_validator("level")
    @classmethod
    def _level(cls, v: str) -> str:
        return str(_choice(v, HAZARD_LEVELS))


class HazardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    name: str
    kind: str
    category: str
    level: str
    address: str
    lon: float | None
    lat: float | None
    description: str


class FiveItem(BaseModel):
    key: str
    state: str  # yes | no | no_source
    detail: str


class FiveHaves(BaseModel):
    hazard_id: int
    items: list[FiveItem]
    complete: bool


class AssessmentCreate(Clean):
    unit_id: Id
    title: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=2000, le=2100)
    note: str = Field(default="", max_length=4000)


class AssessmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    title: str
    year: int
    note: str


class RiskItemCreate(Clean):
    unit_id: Id | None = None
    hazard_id: Id | None = None
    name: str = Field(min_length=1, max_length=200)
    category: int = 2
    description: str = Field(default="", max_length=4000)
    likelihood: int = Field(ge=1, le=10)
    consequence: int = Field(ge=1, le=10)
    measures: str = Field(default="", max_length=4000)
    responsible: str = Field(default="", max_length=200)
    lon: Lon | None = None
    lat: Lat | None = None

    @field_validator("category")
    @classmethod
    def _category(cls, v: int) -> int:
        return int(_choice(v, CATEGORIES))


class RiskItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    assessment_id: int
    unit_id: int
    hazard_id: int | None
    name: str
    category: int
    description: str
    likelihood: int
    consequence: int
    score: int
    level: str
    measures: str
    responsible: str
    lon: float | None
    lat: float | None


class ChecklistCreate(Clean):
    unit_id: Id
    name: str = Field(min_length=1, max_length=200)
    purpose: str = "inspection"
    items: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(min_length=1, max_length=MAX_ITEMS)

    @field_validator("purpose")
    @classmethod
    def _purpose(cls, v: str) -> str:
        return str(_choice(v, PURPOSES))


class ChecklistRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    name: str
    purpose: str
    items: list[str]


class InspectionCreate(Clean):
    unit_id: Id
    hazard_id: Id | None = None
    checklist_id: Id | None = None
    kind: str = "department"
    title: str = Field(min_length=1, max_length=200)
    inspected_at: datetime | None = None
    results: dict[str, bool] = Field(default_factory=dict, max_length=MAX_ITEMS)
    note: str = Field(default="", max_length=4000)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        return str(_choice(v, INSPECTION_KINDS))


class InspectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    hazard_id: int | None
    checklist_id: int | None
    kind: str
    title: str
    inspected_at: datetime
    results: dict[str, Any]
    note: str


class FindingCreate(Clean):
    description: str = Field(min_length=1, max_length=4000)
    severity: str = "general"
    deadline: datetime
    responsible: str = Field(min_length=1, max_length=100)

    @field_validator("severity")
    @classmethod
    def _severity(cls, v: str) -> str:
        return str(_choice(v, SEVERITIES))


class FindingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    inspection_id: int
    unit_id: int
    description: str
    severity: str
    sector: str
    deadline: datetime
    responsible: str
    status: str
    rectification: str
    rectified_at: datetime | None
    verified_at: datetime | None
    closed_at: datetime | None
    escalated_at: datetime | None


class Rectify(Clean):
    rectification: str = Field(min_length=1, max_length=4000)


class ClosedLoopRow(BaseModel):
    key: str
    label: str
    total: int
    closed: int
    on_time: int
    overdue: int
    open: int
    rate: float | None


class OutlineSet(Clean):
    polygon: Polygon

    _points = field_validator("polygon")(_check_points)


class GridCreate(Clean):
    unit_id: Id
    name: str = Field(min_length=1, max_length=200)
    officer_id: Id | None = None
    officer_name: str = Field(default="", max_length=100)
    officer_phone: str = Field(default="", max_length=40, pattern=r"^[0-9+\- ()]*$")
    polygon: Polygon
    patrol_days: int | None = Field(default=None, ge=1, le=366)
    checklist_id: Id | None = None

    _points = field_validator("polygon")(_check_points)


class GridRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    name: str
    officer_id: int | None
    officer_name: str
    officer_phone: str
    polygon: list[list[float]]
    patrol_days: int
    checklist_id: int | None
    last_patrol_at: datetime | None


class TrackPoint(BaseModel):
    lon: Lon
    lat: Lat
    at: datetime | None = None


class PatrolCreate(Clean):
    started_at: datetime
    ended_at: datetime
    track: list[TrackPoint] = Field(default_factory=list, max_length=MAX_POINTS)
    results: dict[str, bool] = Field(default_factory=dict, max_length=MAX_ITEMS)
    note: str = Field(default="", max_length=4000)


class PatrolRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    grid_id: int
    unit_id: int
    user_id: int | None
    started_at: datetime
    ended_at: datetime
    track: list[list[float]]
    results: dict[str, Any]
    note: str


class CoverageRow(BaseModel):
    grid_id: int
    grid: str
    unit: str
    officer: str
    patrol_days: int
    last_patrol_at: datetime | None
    due_since: datetime | None


class SensorCreate(Clean):
    unit_id: Id
    hazard_id: Id | None = None
    name: str = Field(min_length=1, max_length=200)
    kind: str
    range_min: float | None = None
    range_max: float | None = None
    blue: float | None = None
    yellow: float | None = None
    orange: float | None = None
    red: float | None = None
    lon: Lon | None = None
    lat: Lat | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        return str(_choice(v, SENSOR_KINDS))

    @field_validator("range_min", "range_max", "blue", "yellow", "orange", "red")
    @classmethod
    def _finite(cls, v: float | None) -> float | None:
        if v is not None and (not math.isfinite(v) or abs(v) > 1e9):
            raise ValueError("not a finite number")
        return v


class SensorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    hazard_id: int | None
    name: str
    kind: str
    measure: str
    range_min: float
    range_max: float
    blue: float | None
    yellow: float | None
    orange: float | None
    red: float | None
    lon: float | None
    lat: float | None
    last_reading_at: datetime | None
    last_value: float | None
    level: str
    token_issued_at: datetime | None
    token_revoked_at: datetime | None


class DeviceToken(BaseModel):
    sensor_id: int
    token: str


class Reading(TypedDict):
    """One reading (a typed dict: a batch of thousands validates several times faster than as models)."""

    at: datetime
    value: float


class ReadingBatch(BaseModel):
    readings: list[Reading] = Field(min_length=1, max_length=MAX_BATCH)


class IngestResult(BaseModel):
    sensor_id: int
    stored: int
    duplicates: int
    level: str
    alarm_id: int | None


class SeriesPoint(BaseModel):
    at: datetime
    min: float
    max: float
    avg: float
    n: int


class Series(BaseModel):
    sensor_id: int
    bucket_seconds: int
    points: list[SeriesPoint]


class AlarmRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sensor_id: int
    unit_id: int
    kind: str
    level: str
    value: float | None
    at: datetime
    status: str
    dispatched: int
    acknowledged_at: datetime | None
    cleared_at: datetime | None
    draft_state: str
    draft_ref: str


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    value: int
    unit: str
    source: str


class RuleUpdate(Clean):
    value: int = Field(ge=0, le=100000)
    source: str = Field(min_length=1, max_length=1000)

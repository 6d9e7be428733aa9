"""Pydantic shapes in and out of the warning services."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yingji.core.schemas import Clean, Id

Colour = Literal["red", "orange", "yellow", "blue"]
Language = Literal["zh-CN", "en", "mn", "ug"]
Urgency = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
Certainty = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]
Category = Literal["Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
                   "CBRNE", "Other"]
ResponseType = Literal["Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None"]

URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
CATEGORIES = ("Met", "Geo", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE",
              "Other")
RESPONSE_TYPES = ("Prepare", "Shelter", "Evacuate", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None")


class InfoIn(Clean):
    language: Language = "zh-CN"
    event: str = Field(default="", max_length=200)
    headline: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=8000)
    instruction: str = Field(default="", max_length=8000)
    web: str = Field(default="", max_length=500, pattern=r"^(https?://\S*)?$")
    contact: str = Field(default="", max_length=300)


class AreaIn(Clean):
    """One part of the target: a unit, a polygon of ``[lon, lat]`` points (closed), or a circle."""

    kind: Literal["unit", "polygon", "circle"]
    unit_id: Id | None = None
    points: list[list[float]] | None = Field(default=None, max_length=501)
    lon: float | None = None
    lat: float | None = None
    radius_km: float | None = None
    area_desc: str = Field(default="", max_length=300)


class AlertDraft(Clean):
    unit_id: Id | None = None  # the issuing unit; the author's own unit when not given
    colour: Colour
    event: str = Field(min_length=1, max_length=200)
    urgency: Urgency = "Expected"
    certainty: Certainty = "Likely"
    category: Category = "Met"
    response_type: ResponseType = "Prepare"
    effective_at: datetime | None = None
    onset_at: datetime | None = None
    expires_at: datetime
    sector_code: str = Field(default="000", pattern=r"^\d{3}$")
    infos: list[InfoIn] = Field(min_length=1, max_length=4)
    areas: list[AreaIn] = Field(default_factory=list, max_length=50)

    @field_validator("effective_at", "onset_at", "expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("time without a UTC offset")
        return value


class Decision(Clean):
    approve: bool = True
    note: str = Field(default="", max_length=2000)


class SourceIn(Clean):
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=8, max_length=1000, pattern=r"^https?://\S+$")
    interval_minutes: int = Field(default=10, ge=1, le=7 * 24 * 60)
    enabled: bool = True
    unit_id: Id | None = None


class RuleUpdate(Clean):
    value: int = Field(ge=0, le=2**31 - 1)
    source: str = Field(min_length=1, max_length=2000)


class InfoRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    language: str
    event: str
    headline: str
    description: str
    instruction: str
    web: str
    contact: str


class AreaRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    area_desc: str
    target_unit_id: int | None
    geocode: str
    points: list[list[float]] | None
    lat: float | None
    lon: float | None
    radius_km: float | None


class AlertRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    identifier: str | None
    msg_type: str
    status: str
    colour: str
    event: str
    severity: str
    effective_at: datetime | None
    expires_at: datetime | None
    issued_at: datetime | None
    origin: str


class AlertRead(AlertRow):
    sender: str
    references: str
    references_alert_id: int | None
    urgency: str
    certainty: str
    category: str
    response_type: str
    sent_at: datetime | None
    drafted_by_id: int | None
    reviewed_by_id: int | None
    signed_by_id: int | None
    fast_track: bool
    infos: list[InfoRead]
    areas: list[AreaRead]


class SourceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    name: str
    url: str
    interval_minutes: int
    enabled: bool
    last_fetched_at: datetime | None
    last_ok_at: datetime | None
    last_error: str
    last_count: int

"""Pydantic shapes in and out of the incident services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yingji.core.schemas import Clean, Id

KNOWN_FROM = ("report", "tip", "department", "media", "query_from_above")
LATER_KINDS = ("followup", "final", "correction")
REPORT_KINDS = ("first", *LATER_KINDS)
STATUSES = ("open", "closed")
FLAG_KINDS = ("late", "missed", "level_raised", "casualties_revised", "after_query")
FLAG_FILTERS = ("late", "missed", "review")
MAX_COUNT = 10_000_000
MAX_LOSS = 10**13  # CNY
MAX_ATTACHMENTS = 10


def aware(value: datetime | None) -> datetime | None:
    """A time without an offset is local time of the configured zone (what a person types)."""
    if value is None or value.tzinfo is not None:
        return value
    from yingji.settings import get_settings

    return value.replace(tzinfo=get_settings().zone)


class Figures(Clean):
    deaths: int = Field(default=0, ge=0, le=MAX_COUNT)
    injured: int = Field(default=0, ge=0, le=MAX_COUNT)
    seriously_injured: int = Field(default=0, ge=0, le=MAX_COUNT)
    missing: int = Field(default=0, ge=0, le=MAX_COUNT)
    trapped: int = Field(default=0, ge=0, le=MAX_COUNT)
    affected: int = Field(default=0, ge=0, le=MAX_COUNT)
    evacuated: int = Field(default=0, ge=0, le=MAX_COUNT)
    direct_loss: int = Field(default=0, ge=0, le=MAX_LOSS)


class ReportFields(Figures):
    """What every report carries besides the event it belongs to."""

    occurred_at: datetime | None = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    address: str | None = Field(default=None, max_length=300)
    category: str | None = Field(default=None, max_length=16)
    subtype: str | None = Field(default=None, max_length=16)
    level: int | None = Field(default=None, ge=1, le=4)
    level_reason: str = Field(default="", max_length=500)
    description: str = Field(default="", max_length=5000)
    cause: str = Field(default="", max_length=2000)
    measures: str = Field(default="", max_length=5000)
    plan_activated: str = Field(default="", max_length=300)
    help_requested: str = Field(default="", max_length=2000)
    reporter_name: str = Field(default="", max_length=100)
    reporter_phone: str = Field(default="", max_length=40, pattern=r"^[0-9+\- ()]*$")
    attachment_ids: list[Id] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return aware(value)


class EventCreate(ReportFields):
    """A new event with its first report (首报)."""

    unit_id: Id | None = None  # the responsible unit where it happened; the reporter's own unit if left out
    title: str = Field(min_length=1, max_length=200)
    occurred_at: datetime  # type: ignore[assignment]
    category: str = Field(min_length=1, max_length=16)  # type: ignore[assignment]
    subtype: str = Field(min_length=1, max_length=16)  # type: ignore[assignment]


class ReportCreate(ReportFields):
    """A later report on an event: follow-up (续报), final (终报), a correction — or the first report of an
    event that became known from another source."""

    kind: str = "followup"
    corrects_id: Id | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in REPORT_KINDS:
            raise ValueError("unknown kind of report")
        return value


class KnownEventCreate(Clean):
    unit_id: Id
    occurred_at: datetime
    category: str = Field(min_length=1, max_length=16)
    subtype: str = Field(min_length=1, max_length=16)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    known_from: str
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    address: str = Field(default="", max_length=300)

    @field_validator("known_from")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in KNOWN_FROM or value == "report":
            raise ValueError("unknown source")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return aware(value) or value


class ForwardIn(Clean):
    comment: str = Field(default="", max_length=2000)


class FlagDecision(Clean):
    status: str
    note: str = Field(min_length=1, max_length=1000)

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        if value not in ("confirmed", "dismissed"):
            raise ValueError("unknown decision")
        return value


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    title: str
    category: str
    subtype: str
    level: int | None
    suggested_level: int | None
    status: str
    occurred_at: datetime
    closed_at: datetime | None
    lon: float | None
    lat: float | None
    address: str
    known_from: str
    report_count: int
    deaths: int
    injured: int
    missing: int
    direct_loss: int
    flag_late: bool
    flag_missed: bool
    flag_review: bool


class ReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    unit_id: int
    seq: int
    kind: str
    followup_no: int | None
    corrects_id: int | None
    reported_at: datetime
    occurred_at: datetime
    place_unit_id: int
    lon: float | None
    lat: float | None
    address: str
    category: str
    subtype: str
    level: int | None
    suggested_level: int | None
    level_reason: str
    deaths: int
    injured: int
    seriously_injured: int
    missing: int
    trapped: int
    affected: int
    evacuated: int
    direct_loss: int
    description: str
    cause: str
    measures: str
    plan_activated: str
    help_requested: str
    reporter_name: str
    reporter_phone: str
    attachment_ids: list[int]
    late_by: int | None


class HopRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    report_id: int
    unit_id: int
    from_unit_id: int
    stage: str
    level: int
    must_forward: bool
    received_at: datetime
    due_at: datetime
    signed_at: datetime | None
    signed_by_name: str
    forwarded_at: datetime | None
    forwarded_by_name: str
    comment: str
    exported: bool
    done_at: datetime | None
    late_at: datetime | None


class FlagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    kind: str
    ref: str
    evidence: dict[str, Any]
    raised_at: datetime
    status: str
    decision_note: str


class QueryIn(Clean):
    question: str = Field(min_length=1, max_length=2000)


class QueryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    unit_id: int
    asked_by_unit_id: int | None
    asked_by_name: str
    asked_at: datetime
    question: str
    answered_report_id: int | None
    answered_at: datetime | None


class EventDetail(EventRead):
    reports: list[ReportRead]
    hops: list[HopRead]
    flags: list[FlagRead]
    queries: list[QueryRead] = []


class Submitted(BaseModel):
    event_id: int
    report_id: int
    hop_id: int | None
    late_by: int | None
    suggested_level: int | None

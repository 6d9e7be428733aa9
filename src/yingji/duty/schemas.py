"""Pydantic shapes in and out of the duty services."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yingji.core.schemas import Clean, Id

PATTERNS = ("24h", "day_night")
MEMBER_ROLES = ("officer", "leader")
MAX_FILL_DAYS = 366
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


class DeskCreate(Clean):
    unit_id: Id
    name: str = Field(min_length=1, max_length=200)
    head_id: Id | None = None
    phone: str = Field(default="", max_length=40, pattern=r"^[0-9+\- ()]*$")
    pattern: str = "24h"
    day_start: str = Field(default="08:00", pattern=HHMM)
    night_start: str = Field(default="20:00", pattern=HHMM)

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        if value not in PATTERNS:
            raise ValueError("unknown pattern")
        return value


class DeskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    name: str
    head_id: int | None
    phone: str
    pattern: str
    day_start: int
    night_start: int


class MemberCreate(Clean):
    user_id: Id
    role: str = "officer"

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        if value not in MEMBER_ROLES:
            raise ValueError("unknown role")
        return value


class MemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    desk_id: int
    user_id: int
    role: str


class ShiftCreate(Clean):
    starts_at: datetime
    ends_at: datetime
    officer_id: Id | None = None
    leader_id: Id | None = None


class ShiftAssign(Clean):
    officer_id: Id | None = None
    leader_id: Id | None = None


class ShiftRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    desk_id: int
    unit_id: int
    kind: str
    local_date: date
    starts_at: datetime
    ends_at: datetime
    officer_id: int | None
    leader_id: int | None
    signed_on_at: datetime | None


class FillRequest(Clean):
    start: date
    end: date  # inclusive
    officer_ids: list[Id] = Field(default_factory=list, max_length=200)
    leader_ids: list[Id] = Field(default_factory=list, max_length=200)


class FillResult(BaseModel):
    created: int
    skipped: int


class SwapCreate(Clean):
    shift_id: Id
    with_user_id: Id
    other_shift_id: Id | None = None
    reason: str = Field(default="", max_length=500)


class SwapRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    desk_id: int
    shift_id: int
    other_shift_id: int | None
    requested_by_id: int
    with_user_id: int
    reason: str
    status: str
    decided_by_id: int | None
    decided_at: datetime | None


class OnDuty(BaseModel):
    desk_id: int
    desk_name: str
    unit_id: int
    unit_name: str
    phone: str
    shift_id: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    officer: str
    officer_phone: str
    leader: str
    signed_on_at: datetime | None


class Gap(BaseModel):
    shift_id: int
    desk_id: int
    desk_name: str
    unit_name: str
    starts_at: datetime
    ends_at: datetime
    no_officer: bool
    no_leader: bool


class RollCallCreate(Clean):
    desk_ids: list[Id] = Field(default_factory=list, max_length=1000)
    note: str = Field(default="", max_length=500)
    at: datetime | None = None  # later, instead of now (with its offset)
    window_minutes: int = Field(default=0, ge=0, le=1440)  # unannounced: a random time in [at, at + window]


class RollCallRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    called_by_name: str
    started_at: datetime
    limit_seconds: int
    note: str
    closed_at: datetime | None
    scheduled_for: datetime | None
    unannounced: bool
    fired_at: datetime | None


class BulletinRow(BaseModel):
    target_id: int
    desk_id: int
    desk_name: str
    unit_name: str
    officer: str
    answered_at: datetime | None
    answered_by: str
    delay_seconds: int | None
    status: str  # on_time | late | missing | pending


class Bulletin(BaseModel):
    roll_call: RollCallRead
    rows: list[BulletinRow]
    counts: dict[str, int]


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    value: int
    unit: str
    source: str


class RuleUpdate(Clean):
    value: int = Field(ge=0, le=100000)
    source: str = Field(min_length=1, max_length=1000)


class FeedTokenCreated(BaseModel):
    token: str


class MonthlyRow(BaseModel):
    desk_id: int
    desk_name: str
    unit_name: str
    called: int
    on_time: int
    late: int
    missing: int
    pending: int
    average_seconds: int | None  # of the answers given


LOG_KINDS = ("call_in", "call_out", "instruction_in", "instruction_out", "event", "follow_up", "other")


class LogEntryCreate(Clean):
    kind: str
    text: str = Field(min_length=1, max_length=4000)
    at: datetime | None = None  # default now; back-dating only within the shift (with its offset)
    related_unit_id: Id | None = None
    unfinished: bool = False
    corrects_id: Id | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in LOG_KINDS:
            raise ValueError("unknown kind")
        return value


class LogEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shift_id: int
    desk_id: int
    kind: str
    at: datetime
    text: str
    related_unit_id: int | None
    unfinished: bool
    corrects_id: int | None
    carried_from_id: int | None
    author_id: int | None
    author_name: str
    created_at: datetime


class HandoverCreate(Clean):
    next_shift_id: Id | None = None  # when given, it must be the shift that immediately follows
    note: str = Field(default="", max_length=1000)


class HandoverRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shift_id: int
    next_shift_id: int
    desk_id: int
    note: str
    items: list[int]
    proposed_by_id: int | None
    proposed_by_name: str
    proposed_at: datetime
    accepted_by_id: int | None
    accepted_by_name: str
    accepted_at: datetime | None


class DispatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    desk_id: int
    unit_id: int
    kind: str
    ref_id: int
    subject: str
    link: str
    user_id: int | None
    role: str
    sent_at: datetime
    acknowledged_at: datetime | None
    escalated_at: datetime | None
    escalation_of_id: int | None


class ShiftOfficerAdd(Clean):
    user_id: Id


class ShiftOfficerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shift_id: int
    user_id: int

"""Pydantic shapes in and out of the core services."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

T = TypeVar("T")

MAX_ID = 2**31 - 1  # the range of an INTEGER key on every supported database
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

UNIT_KINDS = ("prefecture", "county", "zone", "township", "village", "department", "enterprise", "school",
              "kindergarten", "college", "hospital", "crowded_place")
TERRITORIAL_KINDS = ("prefecture", "county", "zone", "township", "village")
ENTERPRISE_SIZES = ("large", "medium", "small", "micro")
HIGH_RISK_INDUSTRIES = ("hazardous_chemicals", "mining", "metallurgy", "fireworks", "construction",
                        "transport", "gas", "other")
PERSON_DUTIES = ("responsible", "staff", "contact")


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Clean(BaseModel):
    """Input text: surrounding spaces stripped, invisible control characters refused."""

    model_config = ConfigDict(str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            raise PydanticCustomError("control_characters", "text contains control characters")
        return value


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


def _enterprise_size(value: str | None) -> str | None:
    if value and value not in ENTERPRISE_SIZES:
        raise ValueError("unknown enterprise size")
    return value or None


def _high_risk_industry(value: str | None) -> str | None:
    if value and value not in HIGH_RISK_INDUSTRIES:
        raise ValueError("unknown high-risk industry")
    return value or None


class UnitBase(Clean):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z\-_.]+$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    kind: str
    leading_body: str = Field(default="", max_length=300)
    address: str = Field(default="", max_length=300)
    phone: str = Field(default="", max_length=40)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    enterprise_size: str | None = None
    high_risk_industry: str | None = None
    in_industrial_park: bool = False
    is_demo: bool = False
    valid_from: date | None = None
    valid_to: date | None = None
    note: str = Field(default="", max_length=4000)

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in UNIT_KINDS:
            raise ValueError("unknown unit kind")
        return value

    check_size = field_validator("enterprise_size")(_enterprise_size)
    check_industry = field_validator("high_risk_industry")(_high_risk_industry)


class UnitCreate(UnitBase):
    parent_id: Id


class UnitUpdate(Clean):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    leading_body: str | None = Field(default=None, max_length=300)
    address: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=40)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    enterprise_size: str | None = None
    high_risk_industry: str | None = None
    in_industrial_park: bool | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    note: str | None = Field(default=None, max_length=4000)

    check_size = field_validator("enterprise_size")(_enterprise_size)
    check_industry = field_validator("high_risk_industry")(_high_risk_industry)


class UnitMove(BaseModel):
    parent_id: Id


class UnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    name_en: str
    kind: str
    parent_id: int | None
    depth: int
    leading_body: str
    address: str
    phone: str
    lon: float | None
    lat: float | None
    enterprise_size: str | None
    high_risk_industry: str | None
    in_industrial_park: bool
    is_demo: bool
    valid_from: date | None
    valid_to: date | None


class PersonCreate(Clean):
    unit_id: Id
    name: str = Field(min_length=1, max_length=100)
    position: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=40, pattern=r"^[0-9+\- ()]*$")
    email: str = Field(default="", max_length=200)
    duty: str = "staff"
    full_time_emergency: bool = False

    @field_validator("duty")
    @classmethod
    def _duty(cls, value: str) -> str:
        if value not in PERSON_DUTIES:
            raise ValueError("unknown duty")
        return value


class PersonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    name: str
    position: str
    phone: str
    email: str
    duty: str
    full_time_emergency: bool


class StaffingShortfall(BaseModel):
    unit_id: int
    code: str
    name: str
    kind: str
    staff: int
    min_staff: int
    max_staff: int | None
    missing: int
    source: str


class UserCreate(Clean):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    display_name: str = Field(min_length=1, max_length=100)
    unit_id: Id
    role: str
    email: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    password: str = Field(min_length=1, max_length=200)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    unit_id: int
    role: str
    email: str
    phone: str
    lang: str | None
    is_active: bool


class TokenCreate(Clean):
    name: str = Field(min_length=1, max_length=100)
    days: int | None = Field(default=None, ge=1, le=3650)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenRead):
    token: str


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    request_id: str
    actor_name: str
    actor_id: int | None
    unit_id: int | None
    entity_type: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subject: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


class AttachmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sha256: str
    size: int
    content_type: str
    filename: str
    unit_id: int
    entity_type: str
    entity_id: str
    created_at: datetime

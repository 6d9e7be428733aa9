"""Pydantic shapes in and out of the channels."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from yingji.core.schemas import Clean, Id

PHONE_RE = re.compile(r"^\+?[0-9]{5,20}$")
MOBILE_RE = re.compile(r"^(\+?86)?1[3-9][0-9]{9}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,20}$")
URL_RE = re.compile(r"^https?://[^\s/]{1,253}(/\S*)?$")
SMTP_RE = re.compile(r"^smtps?://[^\s/]{1,253}/?$")

RecipientKind = Literal["info_officer", "village_head", "grid_officer", "school_safety", "enterprise_safety", "public"]
EndpointKind = Literal["loudspeaker", "display", "tv", "radio", "wecom_group", "dingtalk_group"]
Language = Literal["zh-CN", "en", "mn", "ug"]
ChannelName = Literal["email", "sms", "wecom", "dingtalk", "webhook"]
Lon = float | None
Lat = float | None


def _err(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


class RecipientIn(Clean):
    unit_id: Id
    name: str = Field(default="", max_length=100)
    kind: RecipientKind = "info_officer"
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=200)
    language: Language = "zh-CN"
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    by_sms: bool = True
    by_email: bool = False
    note: str = Field(default="", max_length=2000)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        value = value.replace(" ", "").replace("-", "")
        if value and not PHONE_RE.match(value):
            raise _err("phone", "not a phone number")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not EMAIL_RE.match(value):
            raise _err("email", "not a mail address")
        return value


class RecipientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    name: str
    kind: str
    phone: str
    email: str
    language: str
    lon: float | None
    lat: float | None
    by_sms: bool
    by_email: bool
    active: bool
    is_demo: bool


class EndpointIn(Clean):
    unit_id: Id
    name: str = Field(min_length=1, max_length=200)
    kind: EndpointKind = "loudspeaker"
    url: str = Field(max_length=1000)
    secret: str = Field(default="", max_length=300)
    language: Language = "zh-CN"
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    note: str = Field(default="", max_length=2000)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not URL_RE.match(value):
            raise _err("url", "not an http(s) address")
        return value


class EndpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    name: str
    kind: str
    channel: str
    language: str
    lon: float | None
    lat: float | None
    active: bool
    is_demo: bool


class SubscriptionIn(Clean):
    phone: str = Field(max_length=20)
    area_id: Id
    language: Language = "zh-CN"

    @field_validator("phone")
    @classmethod
    def _mobile(cls, value: str) -> str:
        value = value.replace(" ", "").replace("-", "")
        if not MOBILE_RE.match(value):
            raise _err("phone", "not a mobile phone number")
        return value


class SubscriptionCreated(BaseModel):
    subscription_id: int
    expires_at: datetime


class CodeIn(Clean):
    code: str = Field(pattern=r"^[0-9]{6}$")


class ConfigIn(Clean):
    url: str = Field(default="", max_length=1000)
    secret: str = Field(default="", max_length=300)   # empty: keep the stored one
    clear_secret: bool = False
    enabled: bool = False
    sender: str = Field(default="", max_length=100)


class ConfigRead(BaseModel):
    channel: str
    url: str
    enabled: bool
    secret_hint: str
    sender: str


class RuleIn(Clean):
    value: int = Field(ge=1, le=100000)
    source: str = Field(min_length=1, max_length=2000)


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    alert_id: int
    unit_id: int
    recipient_id: int | None
    endpoint_id: int | None
    channel: str
    language: str
    status: str
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    failed_at: datetime | None
    acknowledged_at: datetime | None
    detail: str | None


class ReceiptIn(BaseModel):
    key: str = Field(max_length=64)
    status: Literal["delivered", "failed"]
    detail: str = Field(default="", max_length=500)


class Preview(BaseModel):
    channels: dict[str, int]
    recipients: int
    endpoints: int
    villages: int
    blind_spots: list[dict[str, Any]]
    problems: list[str] = []

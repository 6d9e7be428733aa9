"""Tables of the channels: recipients and endpoints, channel configuration, public subscriptions,
the rules' numbers, and one delivery row per alert × recipient (or endpoint) × channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from yingji import clock
from yingji.db import Base, Timestamped

# Kinds of people reached (R3.2: information officers, village heads, grid officers, safety officers, the public).
RECIPIENT_KINDS = ("info_officer", "village_head", "grid_officer", "school_safety", "enterprise_safety", "public")
# Those who answer for a village's last mile: their "received" is the village's acknowledgement.
OFFICER_KINDS = ("info_officer", "village_head", "grid_officer")
ENDPOINT_KINDS = ("loudspeaker", "display", "tv", "radio", "wecom_group", "dingtalk_group")
LANGUAGES = ("zh-CN", "en", "mn", "ug")

# Delivery states: queued → sending (claimed by a worker) → sent → delivered | failed → acknowledged.
QUEUED, SENDING, SENT, DELIVERED, FAILED, ACKNOWLEDGED = "queued", "sending", "sent", "delivered", "failed", \
    "acknowledged"
DELIVERY_STATES = (QUEUED, SENDING, SENT, DELIVERED, FAILED, ACKNOWLEDGED)
REACHED_STATES = (SENT, DELIVERED, ACKNOWLEDGED)


class ChannelRule(Timestamped, Base):
    """A number the channels use (segment length, retries, code expiry…), with its source."""

    __tablename__ = "channel_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    value: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)


class ChannelConfig(Timestamped, Base):
    """How one channel reaches its peer (gateway URL, SMTP server, default robot), set by the prefecture office."""

    __tablename__ = "channel_configs"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), unique=True)
    url: Mapped[str] = mapped_column(String(1000), default="")
    secret: Mapped[str] = mapped_column(String(300), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Recipient(Timestamped, Base):
    """A person warnings reach: by SMS and/or mail, in their language, located by unit and (optionally) a point."""

    __tablename__ = "channel_recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(24), default="public")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    by_sms: Mapped[bool] = mapped_column(Boolean, default=True)
    by_email: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Endpoint(Timestamped, Base):
    """A machine or a group warnings reach: loudspeaker, display, TV or radio (webhook), WeCom/DingTalk group."""

    __tablename__ = "channel_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(1000))
    secret: Mapped[str] = mapped_column(String(300), default="")
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Subscription(Base):
    """A public subscription: phone, area, language; confirmed by a code sent through the SMS channel."""

    __tablename__ = "channel_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The area asked for. A pending request belongs to the person asking, not to a unit: the unit owns
    # the recipient row that confirming creates.
    area_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    phone: Mapped[str] = mapped_column(String(40), index=True)
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    code_hash: Mapped[str] = mapped_column(String(64))
    # The code in clear only until the SMS carrying it has gone out.
    code_to_send: Mapped[str | None] = mapped_column(String(16))
    code_sent_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_at: Mapped[datetime | None]
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("channel_recipients.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Delivery(Base):
    """One message of one alert to one recipient (or endpoint) through one channel, and what became of it."""

    __tablename__ = "channel_deliveries"
    __table_args__ = (
        # Exactly one row per alert × recipient × channel, and per alert × endpoint × channel.
        Index("uq_channel_deliveries_recipient", "alert_id", "recipient_id", "channel", unique=True,
              sqlite_where=text("recipient_id IS NOT NULL"), postgresql_where=text("recipient_id IS NOT NULL")),
        Index("uq_channel_deliveries_endpoint", "alert_id", "endpoint_id", "channel", unique=True,
              sqlite_where=text("endpoint_id IS NOT NULL"), postgresql_where=text("endpoint_id IS NOT NULL")),
        # What the workers claim: only rows still to be sent are in this index.
        Index("ix_channel_deliveries_due", "next_attempt_at",
              sqlite_where=text("status IN ('queued', 'sending')"),
              postgresql_where=text("status IN ('queued', 'sending')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("warning_alerts.id", ondelete="CASCADE"))
    # The recipient's (or endpoint's) unit when queued, for scope and coverage. No foreign key of its own: the
    # recipient's already holds, and a million-row fan-out should not check it a second time.
    unit_id: Mapped[int] = mapped_column(Integer)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("channel_recipients.id", ondelete="RESTRICT"))
    endpoint_id: Mapped[int | None] = mapped_column(ForeignKey("channel_endpoints.id", ondelete="RESTRICT"))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    detail: Mapped[str | None] = mapped_column(String(500))
    reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]

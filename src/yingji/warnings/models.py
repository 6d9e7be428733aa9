"""Tables of early-warning release: alerts (CAP messages with their workflow), their info blocks per
language, their target areas, the steps of review and sign-off, inbound pull sources and the rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yingji import clock
from yingji.db import Base, Timestamped

# Workflow states of an alert (not CAP <status>, which is ``cap_status``).
DRAFT = "draft"
IN_REVIEW = "in_review"
AWAITING_SIGNOFF = "awaiting_signoff"
ISSUED = "issued"
SUPERSEDED = "superseded"
CANCELLED = "cancelled"
REJECTED = "rejected"
STATUSES = (DRAFT, IN_REVIEW, AWAITING_SIGNOFF, ISSUED, SUPERSEDED, CANCELLED, REJECTED)

COLOURS = ("red", "orange", "yellow", "blue")
MSG_TYPES = ("Alert", "Update", "Cancel")
LANGUAGES = ("zh-CN", "en", "mn", "ug")
DEFAULT_LANGUAGE = "zh-CN"


class WarningRule(Timestamped, Base):
    """A number or switch the warning rules use (fast track for red, upload limit…), with its source."""

    __tablename__ = "warning_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    value: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)


class InboundSource(Timestamped, Base):
    """A CAP or Atom/RSS URL pulled on a schedule; what it carries becomes drafts for review."""

    __tablename__ = "warning_inbound_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    interval_minutes: Mapped[int] = mapped_column(Integer, default=10)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_fetched_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


class Alert(Timestamped, Base):
    """One CAP message (Alert, Update or Cancel) and where it stands in draft → review → sign-off → issue."""

    __tablename__ = "warning_alerts"
    __table_args__ = (Index("ix_warning_alerts_status_expires", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    # GB/T 35965.1 identifier, assigned when issued (imported alerts keep theirs in origin_identifier).
    identifier: Mapped[str | None] = mapped_column(String(120), unique=True)
    sender: Mapped[str] = mapped_column(String(200), default="")
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    msg_type: Mapped[str] = mapped_column(String(8), default="Alert")
    cap_status: Mapped[str] = mapped_column(String(16), default="Actual")
    scope: Mapped[str] = mapped_column(String(16), default="Public")
    references: Mapped[str] = mapped_column(Text, default="")
    references_alert_id: Mapped[int | None] = mapped_column(ForeignKey("warning_alerts.id", ondelete="SET NULL"),
                                                            index=True)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT, index=True)
    colour: Mapped[str] = mapped_column(String(8))
    severity: Mapped[str] = mapped_column(String(16))
    urgency: Mapped[str] = mapped_column(String(16), default="Expected")
    certainty: Mapped[str] = mapped_column(String(16), default="Likely")
    category: Mapped[str] = mapped_column(String(16), default="Met")
    response_type: Mapped[str] = mapped_column(String(16), default="Prepare")
    event: Mapped[str] = mapped_column(String(200))
    sector_code: Mapped[str] = mapped_column(String(3), default="000")
    sent_at: Mapped[datetime | None]
    effective_at: Mapped[datetime | None]
    onset_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    issued_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    signed_at: Mapped[datetime | None]
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    # Red warnings may go out on one sign-off (rule fast_track_red); the review is then recorded after.
    fast_track: Mapped[bool] = mapped_column(Boolean, default=False)
    review_note: Mapped[str] = mapped_column(Text, default="")
    # The issued CAP 1.2 document, exactly as published (set at issue, never changed afterwards).
    cap_xml: Mapped[str | None] = mapped_column(Text)
    # Where a draft came from: "drafted" here, "upload", "api" or "pull" (an outside CAP message).
    origin: Mapped[str] = mapped_column(String(16), default="drafted")
    source_id: Mapped[int | None] = mapped_column(ForeignKey("warning_inbound_sources.id", ondelete="SET NULL"),
                                                  index=True)
    origin_sender: Mapped[str] = mapped_column(String(300), default="")
    origin_identifier: Mapped[str] = mapped_column(String(300), default="", index=True)
    origin_sent: Mapped[datetime | None]
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    infos: Mapped[list[AlertInfo]] = relationship(back_populates="alert", lazy="selectin",
                                                  cascade="all, delete-orphan", order_by="AlertInfo.id")
    areas: Mapped[list[AlertArea]] = relationship(back_populates="alert", lazy="selectin",
                                                  cascade="all, delete-orphan", order_by="AlertArea.id")

    def info_for(self, language: str | None) -> AlertInfo | None:
        """The info block in ``language`` (``zh`` matches ``zh-CN``), else the zh-CN one, else the first."""
        wanted = (language or DEFAULT_LANGUAGE).lower()
        by_lang = {info.language.lower(): info for info in self.infos}
        if wanted in by_lang:
            return by_lang[wanted]
        for lang, info in by_lang.items():
            if lang.split("-")[0] == wanted.split("-")[0] or lang.split("_")[0] == wanted.split("_")[0]:
                return info
        return by_lang.get(DEFAULT_LANGUAGE.lower()) or (self.infos[0] if self.infos else None)

    @property
    def headline(self) -> str:
        info = self.info_for(DEFAULT_LANGUAGE)
        return (info.headline if info else "") or self.event

    @property
    def is_active(self) -> bool:
        return self.status == ISSUED and self.msg_type != "Cancel" and (
            self.expires_at is None or self.expires_at > clock.now())


class AlertInfo(Base):
    """The text of an alert in one language (one CAP <info> block)."""

    __tablename__ = "warning_alert_infos"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("warning_alerts.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    language: Mapped[str] = mapped_column(String(16), default=DEFAULT_LANGUAGE)
    event: Mapped[str] = mapped_column(String(200), default="")
    sender_name: Mapped[str] = mapped_column(String(200), default="")
    headline: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    instruction: Mapped[str] = mapped_column(Text, default="")
    web: Mapped[str] = mapped_column(String(500), default="")
    contact: Mapped[str] = mapped_column(String(300), default="")

    alert: Mapped[Alert] = relationship(back_populates="infos", lazy="raise")


class AlertArea(Base):
    """One part of the target area: an administrative unit (GB/T 2260 geocode), a polygon or a circle.

    Coordinates are WGS 84; ``points`` is a closed ring of ``[lat, lon]`` pairs (CAP order)."""

    __tablename__ = "warning_alert_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("warning_alerts.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "unit" | "polygon" | "circle"
    area_desc: Mapped[str] = mapped_column(String(300), default="")
    target_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    geocode: Mapped[str] = mapped_column(String(32), default="")
    points: Mapped[list[Any] | None] = mapped_column(JSON)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    radius_km: Mapped[float | None] = mapped_column(Float)

    alert: Mapped[Alert] = relationship(back_populates="areas", lazy="raise")


class AlertStep(Base):
    """One step of an alert's workflow as it happened (drafted, submitted, reviewed, signed, issued…)."""

    __tablename__ = "warning_alert_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("warning_alerts.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    step: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=clock.now)

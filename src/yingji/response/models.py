"""Tables of first response and public information: the response timeline, public tips, official
statements, the opinion log, evaluation reports and the numbers these rules use."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yingji import clock
from yingji.db import Base, Timestamped


class ResponseRule(Timestamped, Base):
    """A number the response rules use (evaluation deadline, minimum level, reminders, tip limits), with its
    source."""

    __tablename__ = "response_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    value: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)


class ResponseAction(Base):
    """One item of an event's first-response timeline (R3.4), by the unit that did it. Append-only: a
    correction is a new item pointing at the item it corrects (the database refuses UPDATE and DELETE)."""

    __tablename__ = "response_action"
    __table_args__ = (Index("ix_response_action_event", "event_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("incident_events.id", ondelete="RESTRICT"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)  # the event's unit
    actor_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))  # the unit that did it
    actor_unit_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(200), default="")  # team, plan or leader, by kind
    people: Mapped[int | None] = mapped_column(Integer)  # team members, people evacuated
    sheltered: Mapped[int | None] = mapped_column(Integer)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("response_action.id", ondelete="RESTRICT"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class ResponseTip(Timestamped, Base):
    """A tip from the public: unverified until the county's duty desk verifies it (a new event), merges it
    into an event, or dismisses it with a reason."""

    __tablename__ = "response_tip"
    __table_args__ = (Index("ix_response_tip_client", "client_hash", "received_at"),
                      Index("ix_response_tip_unit_status", "unit_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))  # the county told
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=clock.now)
    text: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    reporter_name: Mapped[str] = mapped_column(String(100), default="")
    reporter_phone: Mapped[str] = mapped_column(String(40), default="")
    client_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the sender's address (rate limit)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="unverified")
    event_id: Mapped[int | None] = mapped_column(ForeignKey("incident_events.id", ondelete="RESTRICT"), index=True)
    reason: Mapped[str] = mapped_column(String(1000), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    decided_by_name: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[datetime | None]


class ResponseStatement(Timestamped, Base):
    """An official statement about an event (R3.5): facts, government measures, protective advice — or an
    expert's rebuttal of a rumour. Drafted, approved by a spokesperson, then published; only published
    statements are public. Approved and published statements are not edited."""

    __tablename__ = "response_statement"
    __table_args__ = (Index("ix_response_statement_published", "status", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("incident_events.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="statement")  # statement | rebuttal
    title: Mapped[str] = mapped_column(String(200))
    facts: Mapped[str] = mapped_column(Text, default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    advice: Mapped[str] = mapped_column(Text, default="")
    expert: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | approved | published
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    drafted_by_name: Mapped[str] = mapped_column(String(100))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    approved_by_name: Mapped[str] = mapped_column(String(100), default="")
    approved_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    published_by_name: Mapped[str] = mapped_column(String(100), default="")
    published_at: Mapped[datetime | None]


class ResponseOpinion(Timestamped, Base):
    """An item of the opinion log (舆情): seen in the media or online, assessed; a rumour is answered by a
    rebuttal statement, public once published."""

    __tablename__ = "response_opinion"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("incident_events.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    seen_at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(16))  # media | online | social | other
    source: Mapped[str] = mapped_column(String(300), default="")  # outlet, account or address
    summary: Mapped[str] = mapped_column(Text)
    assessment: Mapped[str] = mapped_column(String(16))  # accurate | inaccurate | rumour | sensitive
    note: Mapped[str] = mapped_column(String(1000), default="")
    rebuttal_id: Mapped[int | None] = mapped_column(ForeignKey("response_statement.id", ondelete="RESTRICT"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    recorded_by_name: Mapped[str] = mapped_column(String(100))


class ResponseEvaluation(Timestamped, Base):
    """The evaluation report of a level III+ event (R3.6): structured sections written in the platform, or an
    uploaded file. A draft until submitted; on time when submitted by its deadline (kept with its source)."""

    __tablename__ = "response_evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("incident_events.id", ondelete="RESTRICT"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    overview: Mapped[str] = mapped_column(Text, default="")
    response: Mapped[str] = mapped_column(Text, default="")
    causes: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[str] = mapped_column(Text, default="")
    recommendations: Mapped[str] = mapped_column(Text, default="")
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="SET NULL"))
    due_at: Mapped[datetime]
    due_source: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    submitted_by_name: Mapped[str] = mapped_column(String(100), default="")
    written_by_name: Mapped[str] = mapped_column(String(100), default="")


class ResponseNotice(Base):
    """A reminder before an evaluation's deadline, or the notice that it is overdue: each sent once per event."""

    __tablename__ = "response_notice"
    __table_args__ = (UniqueConstraint("event_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("incident_events.id", ondelete="RESTRICT"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # reminder | overdue
    sent_at: Mapped[datetime] = mapped_column(default=clock.now)
    recipients: Mapped[int] = mapped_column(Integer, default=0)

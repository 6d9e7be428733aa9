"""Tables of incident information reporting: events, their reports, the hops up the tree, flags, rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yingji import clock
from yingji.db import Base, Timestamped


class IncidentCategory(Base):
    """The national classification as data: four categories (code "1".."4") and their subtypes ("1.4", "1.4.2")."""

    __tablename__ = "incident_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    parent_code: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    # GB/T 35561-2017 code: its table was not available, so it stays empty until someone fills it from the text.
    gbt35561_code: Mapped[str | None] = mapped_column(String(16))
    # Which grading table applies to events of this subtype (work_safety, environment, earthquake, food).
    grading: Mapped[str] = mapped_column(String(32), default="")
    source: Mapped[str] = mapped_column(Text)


class IncidentRule(Timestamped, Base):
    """One number of the reporting rules, with its source.

    kind "limit": seconds allowed for a ``hop`` at a ``level``; kind "grade": the smallest ``value`` of a
    ``criterion`` in a grading table (``applies_to``) that reaches ``level``; kind "flag": thresholds of the
    missed/concealed/false signals.
    """

    __tablename__ = "incident_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[int | None] = mapped_column(Integer)
    hop: Mapped[str | None] = mapped_column(String(16))
    criterion: Mapped[str | None] = mapped_column(String(32))
    applies_to: Mapped[str | None] = mapped_column(String(32))
    value: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)


PARTIAL_COLUMNS = ("occurred_at", "unit_id", "level", "category")


class Event(Timestamped, Base):
    """An emergency event: where and what, its level, open or closed, and how it became known."""

    __tablename__ = "incident_events"
    __table_args__ = (
        Index("ix_incident_events_occurred", "occurred_at", "id"),
        Index("ix_incident_events_unit_occurred", "unit_id", "occurred_at"),
        Index("ix_incident_events_category_occurred", "category", "occurred_at"),
        Index("ix_incident_events_level_occurred", "level", "occurred_at"),
        # Open events and flagged ones are few among many: partial indexes find them, newest first, and carry
        # the unit, level and category so that those are checked without reading the row.
        Index("ix_incident_events_open", *PARTIAL_COLUMNS, sqlite_where=text("status = 'open'"),
              postgresql_where=text("status = 'open'")),
        Index("ix_incident_events_late", *PARTIAL_COLUMNS, sqlite_where=text("flag_late = 1"),
              postgresql_where=text("flag_late")),
        Index("ix_incident_events_missed", *PARTIAL_COLUMNS, sqlite_where=text("flag_missed = 1"),
              postgresql_where=text("flag_missed")),
        Index("ix_incident_events_review", *PARTIAL_COLUMNS, sqlite_where=text("flag_review = 1"),
              postgresql_where=text("flag_review")),
        Index("ix_incident_events_unreported", "first_report_at", "flag_missed"),
        # The list by place reads each unit's newest events; with a category or a level as well, these give
        # exactly the matching rows in order (a rare category or level is not searched for through most rows).
        Index("ix_incident_events_unit_category_occurred", "unit_id", "category", "occurred_at"),
        Index("ix_incident_events_unit_level_occurred", "unit_id", "level", "occurred_at"),
        Index("ix_incident_events_category_level_occurred", "category", "level", "occurred_at"),
        # The statistics (oversight.stats.grouped) read events through this one: unit, time, then every column
        # the tables group or sum, so a month of a unit is one range of the index and no table row is read.
        Index("ix_incident_events_stats", "unit_id", "occurred_at", "category", "subtype", "level", "deaths",
              "injured", "missing", "direct_loss"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16))
    subtype: Mapped[str] = mapped_column(String(16))
    level: Mapped[int | None] = mapped_column(Integer)  # 1 = I 特别重大 … 4 = IV 一般
    suggested_level: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | closed
    occurred_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    address: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # report | tip | department | media | query_from_above
    known_from: Mapped[str] = mapped_column(String(20), default="report")
    known_at: Mapped[datetime] = mapped_column(default=clock.now)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    first_report_at: Mapped[datetime | None]
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    # The latest figures (from the latest report), for lists and the map.
    deaths: Mapped[int] = mapped_column(Integer, default=0)
    injured: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    direct_loss: Mapped[int] = mapped_column(BigInteger, default=0)
    # Open flags, kept on the event so that lists filter by them through an index.
    flag_late: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_missed: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_review: Mapped[bool] = mapped_column(Boolean, default=False)  # a 瞒报/谎报 signal awaits a person
    missed_checked_at: Mapped[datetime | None]
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class StatsMonth(Base):
    """Events per (unit, Beijing month, category, subtype, level) with the sums of their figures, for the
    statistics. Kept exact by database triggers on incident_events in the writing transaction (migration
    0017); the application never writes it."""

    __tablename__ = "incident_stats_month"

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ym: Mapped[int] = mapped_column(Integer, primary_key=True)  # year * 12 + month - 1, Beijing calendar
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    subtype: Mapped[str] = mapped_column(String(16), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0 = not known
    events: Mapped[int] = mapped_column(Integer)
    deaths: Mapped[int] = mapped_column(BigInteger)
    injured: Mapped[int] = mapped_column(BigInteger)
    missing: Mapped[int] = mapped_column(BigInteger)
    direct_loss: Mapped[int] = mapped_column(BigInteger)


class Report(Base):
    """One immutable report on an event: first (首报), follow-up (续报), final (终报) or a correction."""

    __tablename__ = "incident_reports"
    __table_args__ = (UniqueConstraint("event_id", "seq"), Index("ix_incident_reports_reported", "reported_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("incident_events.id", ondelete="RESTRICT"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)  # reporting unit
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))  # first | followup | final | correction
    followup_no: Mapped[int | None] = mapped_column(Integer)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("incident_reports.id", ondelete="RESTRICT"))
    reported_at: Mapped[datetime] = mapped_column(default=clock.now)
    occurred_at: Mapped[datetime]
    place_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    address: Mapped[str] = mapped_column(String(300), default="")
    category: Mapped[str] = mapped_column(String(16))
    subtype: Mapped[str] = mapped_column(String(16))
    level: Mapped[int | None] = mapped_column(Integer)
    suggested_level: Mapped[int | None] = mapped_column(Integer)
    level_reason: Mapped[str] = mapped_column(String(500), default="")
    deaths: Mapped[int] = mapped_column(Integer, default=0)
    injured: Mapped[int] = mapped_column(Integer, default=0)
    seriously_injured: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    trapped: Mapped[int] = mapped_column(Integer, default=0)
    affected: Mapped[int] = mapped_column(Integer, default=0)
    evacuated: Mapped[int] = mapped_column(Integer, default=0)
    direct_loss: Mapped[int] = mapped_column(BigInteger, default=0)  # CNY
    description: Mapped[str] = mapped_column(Text, default="")
    cause: Mapped[str] = mapped_column(Text, default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    plan_activated: Mapped[str] = mapped_column(String(300), default="")
    help_requested: Mapped[str] = mapped_column(Text, default="")
    reporter_name: Mapped[str] = mapped_column(String(100))
    reporter_phone: Mapped[str] = mapped_column(String(40), default="")
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    attachment_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Seconds past the limit when it was filed (迟报), 0 when on time; None when no limit applied.
    late_by: Mapped[int | None] = mapped_column(Integer)
    # Set when filing, so that the event, its report and the hop are written in one flush; never loaded.
    event: Mapped[Event] = relationship(lazy="raise")


class Hop(Base):
    """A report at a duty desk: received, signed for (签收), forwarded (上报) — or, at the prefecture,
    exported toward the region. ``unit_id`` is the desk's unit; ``due_at`` the limit for this hop."""

    __tablename__ = "incident_hops"
    __table_args__ = (
        Index("ix_incident_hops_queue", "unit_id", "done_at", "due_at"),
        Index("ix_incident_hops_due", "done_at", "late_at", "due_at"),
        # Hops whose desk has not been told yet (the dispatch job runs after the commit): few, found at once.
        Index("ix_incident_hops_undispatched", "id", sqlite_where=text("dispatched_at IS NULL"),
              postgresql_where=text("dispatched_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("incident_events.id", ondelete="RESTRICT"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("incident_reports.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    stage: Mapped[str] = mapped_column(String(12))  # county | prefecture
    level: Mapped[int] = mapped_column(Integer)  # the level the limit was taken for
    must_forward: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(default=clock.now)
    due_at: Mapped[datetime]
    limit_seconds: Mapped[int] = mapped_column(Integer)
    signed_at: Mapped[datetime | None]
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    signed_by_name: Mapped[str] = mapped_column(String(100), default="")
    forwarded_at: Mapped[datetime | None]
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    forwarded_by_name: Mapped[str] = mapped_column(String(100), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    exported: Mapped[bool] = mapped_column(Boolean, default=False)  # forwarded toward the region as a document
    # When the hop's obligation was met (forwarded; or signed when it need not go further).
    done_at: Mapped[datetime | None]
    late_at: Mapped[datetime | None]  # marked late by the job (once)
    # When the desk's duty officers were told (by the dispatch job after the commit); a hop signed at once
    # (the desk reported itself) needs no telling and carries its receipt time.
    dispatched_at: Mapped[datetime | None]
    # Set when filing (one flush for event, report and hop); never loaded.
    event: Mapped[Event] = relationship(lazy="raise")
    report: Mapped[Report] = relationship(lazy="raise")


class Flag(Base):
    """A signal for a person to decide on (迟报 late, 漏报 missed, 瞒报/谎报 signals), with its evidence."""

    __tablename__ = "incident_flags"
    __table_args__ = (UniqueConstraint("event_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("incident_events.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # late | missed | level_raised | casualties_revised | after_query
    ref: Mapped[str] = mapped_column(String(40), default="")  # e.g. "report:12", "hop:7"
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    raised_at: Mapped[datetime] = mapped_column(default=clock.now)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | confirmed | dismissed
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(String(1000), default="")


class EventQuery(Base):
    """A query from above (核报/询问): the prefecture, or a county over a township, asks the unit responsible
    for an event it knows of to report on it. ``unit_id`` is the unit asked (the event's unit)."""

    __tablename__ = "incident_queries"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("incident_events.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    asked_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    asked_by_name: Mapped[str] = mapped_column(String(100), default="")
    asked_at: Mapped[datetime] = mapped_column(default=clock.now)
    question: Mapped[str] = mapped_column(Text, default="")
    # The first report filed on the event after the query (the answer), when there is one.
    answered_report_id: Mapped[int | None] = mapped_column(ForeignKey("incident_reports.id", ondelete="RESTRICT"))
    answered_at: Mapped[datetime | None]


class IdempotentSubmission(Base):
    """The stored answer to a submission made with an Idempotency-Key: a retry gets it again."""

    __tablename__ = "incident_idempotency"
    __table_args__ = (UniqueConstraint("owner", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

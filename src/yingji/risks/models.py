"""Tables of the risks module: hazard sources, risk assessments and their items, checklist templates,
inspections and their findings, village outlines, grids and patrols, sensors, readings and alarms, rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yingji.db import Base, Timestamped


class RiskRule(Timestamped, Base):
    """A number the risk rules use (matrix thresholds, patrol frequency, silence limit…), with its source."""

    __tablename__ = "risks_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    value: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)


class Hazard(Timestamped, Base):
    """A major hazard source or a piece of key infrastructure, owned by a unit."""

    __tablename__ = "risks_hazard"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))          # major_hazard | infrastructure
    category: Mapped[str] = mapped_column(String(32))      # hazardous_chemicals, dam, bridge…
    level: Mapped[str] = mapped_column(String(8), default="")  # major hazard level 1–4 (一级…四级), or ""
    address: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    description: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class RiskAssessment(Timestamped, Base):
    """A risk assessment of an area (county, township, city) for a year."""

    __tablename__ = "risks_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


class RiskItem(Timestamped, Base):
    """One risk of an assessment, scored likelihood × consequence into a level; the rows of the risk list."""

    __tablename__ = "risks_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("risks_assessment.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("risks_hazard.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[int] = mapped_column(Integer)  # 1 natural, 2 accident, 3 public health, 4 social security
    description: Mapped[str] = mapped_column(Text, default="")
    likelihood: Mapped[int] = mapped_column(Integer)
    consequence: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(16))  # major | large | general | low
    measures: Mapped[str] = mapped_column(Text, default="")
    responsible: Mapped[str] = mapped_column(String(200), default="")
    lon: Mapped[float | None]
    lat: Mapped[float | None]


class ChecklistTemplate(Timestamped, Base):
    """A checklist for inspections or a standard patrol procedure: named items to check."""

    __tablename__ = "risks_checklist"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(16))  # inspection | patrol
    items: Mapped[list[str]] = mapped_column(JSON, default=list)


class Inspection(Timestamped, Base):
    """An inspection of a unit (by a department, a grid officer, or the unit's own self-check)."""

    __tablename__ = "risks_inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("risks_hazard.id", ondelete="SET NULL"), index=True)
    checklist_id: Mapped[int | None] = mapped_column(ForeignKey("risks_checklist.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))  # department | grid | self_check
    title: Mapped[str] = mapped_column(String(200))
    inspected_at: Mapped[datetime]
    results: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


class Finding(Timestamped, Base):
    """A hidden hazard found by an inspection: rectified → verified → closed; overdue ones escalate."""

    __tablename__ = "risks_finding"
    __table_args__ = (Index("ix_risks_finding_open", "status", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("risks_inspection.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    description: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))  # general | major (一般隐患 / 重大隐患)
    sector: Mapped[str] = mapped_column(String(32), default="other")
    deadline: Mapped[datetime]
    responsible: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | rectified | verified | closed
    rectification: Mapped[str] = mapped_column(Text, default="")
    rectified_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]


class AreaOutline(Timestamped, Base):
    """The outline of a village or community ([[lon, lat], …]); grids must lie inside it."""

    __tablename__ = "risks_outline"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), unique=True)
    polygon: Mapped[list[list[float]]] = mapped_column(JSON)


class Grid(Timestamped, Base):
    """A grid (网格) inside a village or community, its grid officer and its patrol frequency."""

    __tablename__ = "risks_grid"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    officer_name: Mapped[str] = mapped_column(String(100), default="")
    officer_phone: Mapped[str] = mapped_column(String(40), default="")
    polygon: Mapped[list[list[float]]] = mapped_column(JSON)
    patrol_days: Mapped[int] = mapped_column(Integer)
    checklist_id: Mapped[int | None] = mapped_column(ForeignKey("risks_checklist.id", ondelete="SET NULL"))
    last_patrol_at: Mapped[datetime | None]
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Patrol(Timestamped, Base):
    """A patrol of a grid recorded from a phone: GPS points, checklist answers, photos (attachments)."""

    __tablename__ = "risks_patrol"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("risks_grid.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    track: Mapped[list[list[float]]] = mapped_column(JSON, default=list)
    results: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")


class Sensor(Timestamped, Base):
    """A monitoring device on a hazard source or a place, with thresholds per warning level."""

    __tablename__ = "risks_sensor"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("risks_hazard.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    measure: Mapped[str] = mapped_column(String(16))  # unit of measurement: %LEL, m, mm…
    range_min: Mapped[float] = mapped_column(Float)
    range_max: Mapped[float] = mapped_column(Float)
    blue: Mapped[float | None] = mapped_column(Float)
    yellow: Mapped[float | None] = mapped_column(Float)
    orange: Mapped[float | None] = mapped_column(Float)
    red: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_issued_at: Mapped[datetime | None]
    token_revoked_at: Mapped[datetime | None]
    last_reading_at: Mapped[datetime | None]
    last_value: Mapped[float | None] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(8), default="")  # the warning level currently reached, or ""
    silent_since: Mapped[datetime | None]  # set while a silence alarm is open
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class SensorReading(Base):
    """One reading (append-only; a duplicate timestamp of a sensor is the same reading)."""

    __tablename__ = "risks_reading"
    __table_args__ = (UniqueConstraint("sensor_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("risks_sensor.id", ondelete="RESTRICT"))
    # No index of its own: readings are reached through their sensor (one index less per insert).
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    at: Mapped[datetime]
    value: Mapped[float] = mapped_column(Float)


class SensorAlarm(Timestamped, Base):
    """A threshold crossed or a silent sensor: handed to the duty desk, maybe a draft warning prepared."""

    __tablename__ = "risks_alarm"

    id: Mapped[int] = mapped_column(primary_key=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("risks_sensor.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # threshold | silent
    level: Mapped[str] = mapped_column(String(8), default="")
    value: Mapped[float | None] = mapped_column(Float)
    at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | acknowledged | cleared
    dispatched: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    cleared_at: Mapped[datetime | None]
    draft_state: Mapped[str] = mapped_column(String(16), default="")  # "" | created | requested
    draft_ref: Mapped[str] = mapped_column(String(64), default="")
    draft_payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)

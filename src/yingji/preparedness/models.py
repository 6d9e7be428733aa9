"""Tables of preparedness: plans and their filing, the linkage table, drills and improvement items,
training and publicity, experts, demonstration sites, and the compliance rules with their notices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yingji import clock
from yingji.db import Base, Timestamped


class PrepRule(Timestamped, Base):
    """A compliance rule: who (unit kinds), what (a registered measure), how often, how many, and why."""

    __tablename__ = "prep_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    unit_kinds: Mapped[str] = mapped_column(String(300))  # comma-separated core unit kinds
    measure: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(16), default="year")  # year | standing
    comparison: Mapped[str] = mapped_column(String(16), default="at_least")  # at_least | at_most
    threshold: Mapped[float] = mapped_column(Float)
    param: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PrepPlan(Timestamped, Base):
    """An emergency plan (预案) of a unit; a new version supersedes the old one."""

    __tablename__ = "prep_plan"
    # The compliance engine's plan counts read only this index (unit, status, type and the dates they test).
    __table_args__ = (Index("ix_prep_plan_unit_status_dates", "unit_id", "status", "plan_type", "issued_on",
                            "last_evaluated_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(300))
    plan_type: Mapped[str] = mapped_column(String(32))
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    version: Mapped[str] = mapped_column(String(32), default="1")
    issued_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("prep_plan.id", ondelete="SET NULL"), index=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("prep_plan.id", ondelete="SET NULL"))
    last_evaluated_on: Mapped[date | None] = mapped_column(Date)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class PrepFiling(Timestamped, Base):
    """A plan filed (备案) with an office above its owner: submitted, then accepted or returned with reasons."""

    __tablename__ = "prep_filing"
    __table_args__ = (Index("ix_prep_filing_plan_state", "plan_id", "state", "filed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("prep_plan.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    filed_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), default="submitted")  # submitted | accepted | returned
    reasons: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))


class PrepLinkage(Timestamped, Base):
    """One row of the linkage table (联动机制, R2.2): an event type and the departments that act on it."""

    __tablename__ = "prep_linkage"
    __table_args__ = (UniqueConstraint("unit_id", "event_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    lead_duties: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")


class PrepLinkageMember(Base):
    """A cooperating department or participating unit of a linkage row, with its duties."""

    __tablename__ = "prep_linkage_member"
    __table_args__ = (UniqueConstraint("linkage_id", "member_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    linkage_id: Mapped[int] = mapped_column(ForeignKey("prep_linkage.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))  # the table's owner
    member_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    role: Mapped[str] = mapped_column(String(16))  # cooperating | participating
    duties: Mapped[str] = mapped_column(Text, default="")


class PrepDrill(Timestamped, Base):
    """A drill (演练) held by a unit, linked to the plans it exercised."""

    __tablename__ = "prep_drill"
    __table_args__ = (Index("ix_prep_drill_unit_held", "unit_id", "held_on"),
                      Index("ix_prep_drill_held_scope", "held_on", "scope"),
                      Index("ix_prep_drill_scope_unit_held", "scope", "unit_id", "held_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(300))
    held_on: Mapped[date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(16))  # comprehensive | special
    form: Mapped[str] = mapped_column(String(16))  # tabletop | functional | full_scale
    participants: Mapped[int] = mapped_column(Integer, default=0)
    scenario: Mapped[str] = mapped_column(Text, default="")
    evaluation: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class PrepDrillPlan(Base):
    __tablename__ = "prep_drill_plan"

    drill_id: Mapped[int] = mapped_column(ForeignKey("prep_drill.id", ondelete="CASCADE"), primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("prep_plan.id", ondelete="RESTRICT"), primary_key=True,
                                         index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))  # the drill's unit


class PrepImprovement(Timestamped, Base):
    """An improvement item found by a drill's evaluation, tracked to closure."""

    __tablename__ = "prep_improvement"

    id: Mapped[int] = mapped_column(primary_key=True)
    drill_id: Mapped[int] = mapped_column(ForeignKey("prep_drill.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(100), default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column()
    closing_note: Mapped[str] = mapped_column(Text, default="")


class PrepTraining(Timestamped, Base):
    """A training session (R4.6)."""

    __tablename__ = "prep_training"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    held_on: Mapped[date] = mapped_column(Date)
    audience: Mapped[str] = mapped_column(String(32))
    hours: Mapped[float] = mapped_column(Float)
    attendees: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")


class PrepPublicity(Timestamped, Base):
    """An activity of a unit's annual publicity plan (宣传计划) and whether it was done."""

    __tablename__ = "prep_publicity"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    planned_month: Mapped[int] = mapped_column(Integer)
    done_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")


class PrepExpert(Timestamped, Base):
    """A member of the expert group (专家组)."""

    __tablename__ = "prep_expert"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    field: Mapped[str] = mapped_column(String(64), index=True)
    employer: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class PrepSite(Timestamped, Base):
    """A grassroots demonstration site (示范点, R4.7): its 四进 category, 六抓 self-assessment, accreditation."""

    __tablename__ = "prep_site"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16))  # school | enterprise | community | village
    accredited_year: Mapped[int | None] = mapped_column(Integer, index=True)
    self_assessment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class PrepSiteItem(Timestamped, Base):
    """One of the 七有 of a site: done only with evidence."""

    __tablename__ = "prep_site_item"
    __table_args__ = (UniqueConstraint("site_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("prep_site.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    item: Mapped[str] = mapped_column(String(16))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="RESTRICT"))
    evidence_note: Mapped[str] = mapped_column(Text, default="")


class PrepNotice(Base):
    """A unit told that it is at risk (or failing) under a rule for a period: once each."""

    __tablename__ = "prep_notice"
    __table_args__ = (UniqueConstraint("unit_id", "rule_code", "period_key", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    rule_code: Mapped[str] = mapped_column(String(64))
    period_key: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    sent_at: Mapped[datetime] = mapped_column(default=clock.now)

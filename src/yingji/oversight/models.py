"""Tables of the oversight module: rules, the task ledger (工作台账), annual reports, planning projects,
funding, statistical forms filled outside the platform, and the performance assessment."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yingji import clock
from yingji.db import Base, Timestamped


class OvRule(Timestamped, Base):
    """A number an oversight rule uses (annual-report deadline, reminder lead times…), with its source."""

    __tablename__ = "oversight_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    value: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)


class OvTask(Timestamped, Base):
    """A key task of the ledger: from a leader's instruction (批示), a meeting decision or a document."""

    __tablename__ = "oversight_task"
    __table_args__ = (Index("ix_oversight_task_status_deadline", "status", "deadline"),
                      Index("ix_oversight_task_unit", "unit_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))  # the owner unit
    source_kind: Mapped[str] = mapped_column(String(16))  # instruction | meeting | document
    source_ref: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_person: Mapped[str] = mapped_column(String(100))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    assigned_by_name: Mapped[str] = mapped_column(String(100), default="")
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | closed
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent, from the latest update
    closed_at: Mapped[datetime | None]
    closure_note: Mapped[str] = mapped_column(Text, default="")
    closure_attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="SET NULL"))
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class OvMilestone(Timestamped, Base):
    """A step of a task's roadmap (路线图) with its own date."""

    __tablename__ = "oversight_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("oversight_task.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None]


class OvProgress(Base):
    """A progress update of a task, with its evidence (an attachment); never rewritten."""

    __tablename__ = "oversight_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("oversight_task.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    note: Mapped[str] = mapped_column(Text)
    percent: Mapped[int] = mapped_column(Integer)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class OvAnnualReport(Timestamped, Base):
    """The annual report (年度总结评估报告) a county or department owes for a year, before 10 January."""

    __tablename__ = "oversight_annual_report"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | filed
    filed_at: Mapped[datetime | None]
    filed_by_name: Mapped[str] = mapped_column(String(100), default="")
    on_time: Mapped[bool | None] = mapped_column(Boolean)


class OvNotice(Base):
    """A reminder or overdue notice sent once (per task or unit and year), so jobs stay idempotent."""

    __tablename__ = "oversight_notice"
    __table_args__ = (UniqueConstraint("kind", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(default=clock.now)


class OvProject(Timestamped, Base):
    """A key project of the five-year plan (R4.1) with its implementation plan, budget and progress."""

    __tablename__ = "oversight_project"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    plan_period: Mapped[str] = mapped_column(String(40), default="")
    implementation_plan: Mapped[str] = mapped_column(Text, default="")
    budget_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    spent_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="planned")  # planned | running | done
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class OvBudgetLine(Timestamped, Base):
    """A budget line of a unit's year (R5.2): reserve fund, drills, publicity, training, equipment."""

    __tablename__ = "oversight_budget_line"
    __table_args__ = (UniqueConstraint("unit_id", "year", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    planned_fen: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(300), default="")


class OvSpending(Base):
    """Money spent against a budget line; never rewritten (a correction is a negative amount)."""

    __tablename__ = "oversight_spending"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("oversight_budget_line.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    spent_on: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class OvStatForm(Timestamped, Base):
    """A standard statistical form filled by the owning department when its data comes from outside."""

    __tablename__ = "oversight_stat_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    category: Mapped[str] = mapped_column(String(4))  # 1..4
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(8))  # month | quarter | year
    period_no: Mapped[int] = mapped_column(Integer)
    rows: Mapped[list[dict[str, int]]] = mapped_column(JSON)  # per level 1..4: count, deaths, injured, missing, loss
    totals: Mapped[dict[str, int]] = mapped_column(JSON)
    filled_by_name: Mapped[str] = mapped_column(String(100), default="")


class OvIndicator(Timestamped, Base):
    """An assessment indicator: in one of the seven dimensions, computed from records or scored by a person."""

    __tablename__ = "oversight_indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    dimension: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(40))  # a computed measure's name, or "manual"
    veto: Mapped[bool] = mapped_column(Boolean, default=False)  # failing it removes the unit from honours
    source: Mapped[str] = mapped_column(Text)


class OvWeight(Timestamped, Base):
    """The weight of a dimension for a kind of unit (差异化评分); each kind's weights sum to 100."""

    __tablename__ = "oversight_weight"
    __table_args__ = (UniqueConstraint("unit_kind", "dimension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_kind: Mapped[str] = mapped_column(String(24))
    dimension: Mapped[str] = mapped_column(String(24))
    weight: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text, default="")


class OvScore(Timestamped, Base):
    """An assessor's score (0..100 % of the indicator) for a unit and year, with evidence; or a veto."""

    __tablename__ = "oversight_score"
    __table_args__ = (UniqueConstraint("year", "unit_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("oversight_indicator.id", ondelete="RESTRICT"))
    percent: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="SET NULL"))
    assessor_name: Mapped[str] = mapped_column(String(100), default="")


class OvAssessmentYear(Timestamped, Base):
    """A finalised assessment year: the results frozen; scores of that year can no longer change."""

    __tablename__ = "oversight_assessment_year"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    finalised_at: Mapped[datetime]
    finalised_by_name: Mapped[str] = mapped_column(String(100), default="")
    results: Mapped[list[dict[str, object]]] = mapped_column(JSON)


class OvTrendYear(Base):
    """A finalised trend analysis: the findings of one area's year as they stood when finalised, kept
    unchanged (append-only) so that later corrections to the records never rewrite what was concluded."""

    __tablename__ = "oversight_trend_year"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))  # the area analysed
    year: Mapped[int] = mapped_column(Integer)
    findings: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    rules: Mapped[dict[str, int]] = mapped_column(JSON)  # the thresholds in force when finalised
    finalised_at: Mapped[datetime] = mapped_column(default=clock.now)
    finalised_by_name: Mapped[str] = mapped_column(String(100), default="")


class OvCountermeasure(Base):
    """A countermeasure recorded against a trend finding, keyed by the finding's stable key
    (area unit : what : figure), owned by a responsible unit, optionally followed up as a ledger task."""

    __tablename__ = "oversight_countermeasure"
    __table_args__ = (Index("ix_oversight_countermeasure_unit_year", "unit_id", "year"),
                      Index("ix_oversight_countermeasure_year_key", "year", "finding_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))  # the finding's area
    year: Mapped[int] = mapped_column(Integer)
    finding_key: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("oversight_task.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


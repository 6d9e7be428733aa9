"""Tables of the 24-hour duty module: desks, members, shifts, swaps, roll calls, feed tokens, rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yingji import clock
from yingji.db import Base, Timestamped


class DutyRule(Timestamped, Base):
    """A number the duty rules use (sign-on limit, roll-call answer limit, gap horizon), with its source."""

    __tablename__ = "duty_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    value: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)


class DutyDesk(Timestamped, Base):
    """The duty desk of a unit (one per unit): its head and its shift pattern in local time."""

    __tablename__ = "duty_desk"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    head_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    phone: Mapped[str] = mapped_column(String(40), default="")
    pattern: Mapped[str] = mapped_column(String(16), default="24h")
    day_start: Mapped[int] = mapped_column(Integer, default=8 * 60)  # minutes after local midnight
    night_start: Mapped[int] = mapped_column(Integer, default=20 * 60)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class DutyMember(Timestamped, Base):
    __tablename__ = "duty_member"
    __table_args__ = (UniqueConstraint("desk_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("duty_desk.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="officer")


class DutyShift(Timestamped, Base):
    """One shift of a desk: [starts_at, ends_at) in UTC, its duty officer and its leader on duty."""

    __tablename__ = "duty_shift"
    __table_args__ = (
        # (desk_id, starts_at) finds a desk's shift at any time; there is deliberately no index on starts_at
        # alone: rosters are written desk by desk, and such an index is the costliest one to keep.
        UniqueConstraint("desk_id", "starts_at"),
        Index("ix_duty_shift_officer", "officer_id", "starts_at"),
        Index("ix_duty_shift_leader", "leader_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("duty_desk.id", ondelete="CASCADE"))
    # No index of its own: shifts are found by desk or by time, then scoped (one index less per insert).
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(8), default="24h")
    local_date: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    signed_on_at: Mapped[datetime | None]
    signon_alerted_at: Mapped[datetime | None]
    gap_notified_at: Mapped[datetime | None]


class DutySwap(Timestamped, Base):
    """An officer asks to hand a shift to another officer of the same desk (or to exchange shifts)."""

    __tablename__ = "duty_swap"

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("duty_desk.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("duty_shift.id", ondelete="CASCADE"))
    other_shift_id: Mapped[int | None] = mapped_column(ForeignKey("duty_shift.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    with_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]


def answer_due(started_at: datetime, limit_seconds: int) -> datetime:
    """When a roll call's answer limit passes: its start plus the limit (answering at that moment is on time)."""
    return started_at + timedelta(seconds=limit_seconds)


def _due(context: Any) -> datetime:
    """``due_at``'s default when a row is written, from the row's own start and limit."""
    given = context.get_current_parameters()
    return answer_due(given["started_at"], given["limit_seconds"])


class RollCall(Base):
    """A roll call (点名) made by an office over the desks below it."""

    __tablename__ = "duty_roll_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    called_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    called_by_name: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    limit_seconds: Mapped[int] = mapped_column(Integer)
    limit_source: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    closed_at: Mapped[datetime | None]
    # A scheduled roll call waits until scheduled_for (chosen at random within a window when unannounced);
    # it is made (desks told, started_at set) by the job duty.rollcalls. fired_at is None until then.
    scheduled_for: Mapped[datetime | None]
    unannounced: Mapped[bool] = mapped_column(Boolean, default=False)
    fired_at: Mapped[datetime | None] = mapped_column(index=True)
    # started_at + limit_seconds, kept with them (set again when a scheduled call is made), so that lists can
    # ask "who missed the limit" without date arithmetic in SQL. Answered at due_at itself is on time.
    due_at: Mapped[datetime] = mapped_column(default=_due)


class RollCallTarget(Base):
    """One called desk: who was on duty when called, and when (and by whom) it answered."""

    __tablename__ = "duty_roll_call_target"
    __table_args__ = (UniqueConstraint("roll_call_id", "desk_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roll_call_id: Mapped[int] = mapped_column(ForeignKey("duty_roll_call.id", ondelete="CASCADE"), index=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("duty_desk.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    answered_by_name: Mapped[str] = mapped_column(String(100), default="")


class FeedToken(Base):
    """A person's secret for calendar feeds; only its SHA-256 is kept."""

    __tablename__ = "duty_feed_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class DutyLogEntry(Base):
    """One entry of a shift's duty log (值班日志). Append-only: a correction is a new entry pointing at the
    entry it corrects; an unfinished item carried at handover is a new entry in the next shift pointing at
    the original. The database refuses UPDATE and DELETE (migration 0003)."""

    __tablename__ = "duty_log_entry"
    __table_args__ = (Index("ix_duty_log_entry_shift", "shift_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("duty_shift.id", ondelete="RESTRICT"))
    desk_id: Mapped[int] = mapped_column(ForeignKey("duty_desk.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    related_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    unfinished: Mapped[bool] = mapped_column(Boolean, default=False)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("duty_log_entry.id", ondelete="RESTRICT"))
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("duty_log_entry.id", ondelete="RESTRICT"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class DutyHandover(Base):
    """The handover (交接班) of a shift to the one that follows it: proposed by the outgoing officer, accepted
    by the incoming officer; both signatures (who and when) are kept. ``items`` lists the carried entries."""

    __tablename__ = "duty_handover"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("duty_shift.id", ondelete="RESTRICT"), unique=True)
    next_shift_id: Mapped[int] = mapped_column(ForeignKey("duty_shift.id", ondelete="RESTRICT"), unique=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("duty_desk.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    note: Mapped[str] = mapped_column(String(1000), default="")
    items: Mapped[list[int]] = mapped_column(JSON, default=list)  # ids of the unfinished entries handed over
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    proposed_by_name: Mapped[str] = mapped_column(String(100))
    proposed_at: Mapped[datetime]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    accepted_by_name: Mapped[str] = mapped_column(String(100), default="")
    accepted_at: Mapped[datetime | None]


class DutyDispatch(Base):
    """Something addressed to a duty desk (an incident report, a warning, an alarm) as it reached one person
    on duty: the officer on shift first; unacknowledged after the limit, the leader on duty (a new row
    pointing at the one it escalates)."""

    __tablename__ = "duty_dispatch"
    __table_args__ = (
        Index("ix_duty_dispatch_ref", "kind", "ref_id"),
        Index("ix_duty_dispatch_open", "acknowledged_at", "escalated_at", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    desk_id: Mapped[int] = mapped_column(ForeignKey("duty_desk.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(300))
    link: Mapped[str] = mapped_column(String(300), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # officer | leader | head (nobody on shift)
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("duty_shift.id", ondelete="SET NULL"))
    escalation_of_id: Mapped[int | None] = mapped_column(ForeignKey("duty_dispatch.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(default=clock.now)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    escalated_at: Mapped[datetime | None]


class DutyShiftOfficer(Base):
    """A further duty officer on a shift (the shift's ``officer_id`` is the first one, who signs on)."""

    __tablename__ = "duty_shift_officer"
    __table_args__ = (UniqueConstraint("shift_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("duty_shift.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)

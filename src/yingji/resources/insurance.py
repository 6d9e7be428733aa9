"""Insurance of rescue team members (R4.3; policy 博州 2017-64: 意外伤害保险 and 工伤保险 for full- and
part-time rescuers and volunteers).

A team holds policies: insurer, policy number, how many members each covers, and the days of cover (first
and last day, both inclusive). A team is warned when

- no member is insured today (``uninsured``) or fewer members are insured today than the team has (``short``);
- cover in force today ends within the notice period (the ``insurance_notice_days`` rule, inclusive: cover
  whose last day is today + N is warned, today + N + 1 is not) and no other policy keeps the same number of
  members insured through the day after (``ending``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from yingji.core import roles
from yingji.core.scope import Principal, get_scoped, scoped
from yingji.errors import UserError
from yingji.i18n import gettext
from yingji.resources import defaults
from yingji.resources.common import create_record, search, today
from yingji.resources.models import Team, TeamInsurance
from yingji.resources.schemas import INSURANCE_STATES, CoverWarning, InsuranceCreate, InsuranceRead, TeamCover


def policy_state(policy: TeamInsurance, on: date, notice_days: int) -> str:
    """``future`` before its first day, ``ended`` after its last, ``ending`` within the notice period
    (inclusive), else ``current``."""
    if policy.cover_from > on:
        return "future"
    if policy.cover_to < on:
        return "ended"
    if policy.cover_to <= on + timedelta(days=notice_days):
        return "ending"
    return "current"


def policies(principal: Principal, *, q: str = "", team_id: int | None = None, state: str = "",
             notice_days: int = 30) -> Select[Any]:
    """Policies in scope, filtered by text, team and state (as of today), the soonest to end first."""
    if state and state not in INSURANCE_STATES:
        raise UserError("Unknown state.", field="state")
    stmt = search(scoped(select(TeamInsurance), principal), q, TeamInsurance.insurer, TeamInsurance.policy_no,
                  TeamInsurance.note)
    if team_id:
        stmt = stmt.where(TeamInsurance.team_id == team_id)
    on = today()
    horizon = on + timedelta(days=notice_days)
    if state == "future":
        stmt = stmt.where(TeamInsurance.cover_from > on)
    elif state == "ended":
        stmt = stmt.where(TeamInsurance.cover_to < on)
    elif state == "ending":
        stmt = stmt.where(TeamInsurance.cover_from <= on, TeamInsurance.cover_to >= on,
                          TeamInsurance.cover_to <= horizon)
    elif state == "current":
        stmt = stmt.where(TeamInsurance.cover_from <= on, TeamInsurance.cover_to > horizon)
    return stmt.order_by(TeamInsurance.cover_to, TeamInsurance.id)


def get_policy(session: Session, principal: Principal, policy_id: int) -> TeamInsurance:
    return get_scoped(session, principal, TeamInsurance, policy_id)


def create_policy(session: Session, principal: Principal, data: InsuranceCreate) -> TeamInsurance:
    """A policy for a team the principal may write for; the policy belongs to the team's unit."""
    team = get_scoped(session, principal, Team, data.team_id, roles.WRITE)
    row = TeamInsurance(unit_id=team.unit_id, **data.model_dump())
    return create_record(session, principal, row, "res_team_insurance")


def insured_on(rows: list[TeamInsurance], day: date) -> int:
    return sum(p.insured_count for p in rows if p.cover_from <= day <= p.cover_to)


def team_cover(session: Session, principal: Principal, team_id: int) -> TeamCover:
    team = get_scoped(session, principal, Team, team_id)
    rule = defaults.rule(session, defaults.INSURANCE_NOTICE)
    rows = list(session.scalars(select(TeamInsurance).where(TeamInsurance.team_id == team.id)
                                .order_by(TeamInsurance.cover_to.desc(), TeamInsurance.id).limit(500)))
    now, warnings = cover_of(team, rows, today(), int(rule.value))
    return TeamCover(team_id=team.id, members=team.members, insured_now=now, notice_days=int(rule.value),
                     notice_source=rule.source, warnings=warnings,
                     policies=[InsuranceRead.model_validate(p) for p in rows])


def cover_of(team: Team, rows: list[TeamInsurance], on: date, notice_days: int) -> tuple[int, list[CoverWarning]]:
    """The team's cover on ``on``: the members insured and the warnings (see the module's text)."""
    now = insured_on(rows, on)
    warnings: list[CoverWarning] = []
    if team.members > 0 and now == 0:
        warnings.append(CoverWarning(code="uninsured", message=gettext("No member of the team is insured today.")))
    elif now < team.members:
        warnings.append(CoverWarning(code="short", message=gettext(
            "%(insured)s of %(members)s members are insured.") % {"insured": now, "members": team.members}))
    horizon = on + timedelta(days=notice_days)
    # the insured count can only fall on the day after some cover's last day: look at those days in the period
    drops = sorted({p.cover_to for p in rows if on <= p.cover_to <= horizon})
    for last_day in drops:
        after = insured_on(rows, last_day + timedelta(days=1))
        if after < now:
            warnings.append(CoverWarning(code="ending", message=gettext(
                "Cover of %(lost)s members ends on %(date)s (within %(days)s days).") % {
                    "lost": now - after, "date": last_day.isoformat(), "days": notice_days}))
            break
    return now, warnings

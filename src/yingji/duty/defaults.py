"""The duty rules' numbers with their sources (../shared/domain/DEFAULTS.md style), loaded by ``yingji init``.

An administrator may change a row afterwards; loading again never overwrites a row that exists.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core import defaults as core_defaults
from yingji.core.scope import Principal
from yingji.duty.models import DutyRule
from yingji.errors import NotFound

SIGNON_LIMIT = "signon_limit_minutes"
SIGNON_EARLY = "signon_early_minutes"
ANSWER_LIMIT = "rollcall_answer_limit_seconds"
GAP_HORIZON = "gap_horizon_days"
DISPATCH_ACK_LIMIT = "dispatch_ack_limit_minutes"

DUTY_RULES = [
    {"key": SIGNON_LIMIT, "value": 15, "unit": "min",
     "source": "[C] common practice: the duty officer signs on within 15 minutes of the start of the shift"},
    {"key": SIGNON_EARLY, "value": 30, "unit": "min",
     "source": "[C] common practice: signing on is possible from 30 minutes before the shift (handover)"},
    {"key": ANSWER_LIMIT, "value": 300, "unit": "s",
     "source": "[C] common practice: a desk answers a roll call (点名) within 5 minutes"},
    {"key": GAP_HORIZON, "value": 14, "unit": "d",
     "source": "Issue 5 / R3.3: shifts of the next 14 days without an officer or a leader are gaps"},
    {"key": DISPATCH_ACK_LIMIT, "value": 10, "unit": "min",
     "source": "[C] common practice: what reaches the duty officer (a report, a warning, an alarm) is "
               "acknowledged within 10 minutes, else the leader on duty is called (R3.3 领导带班)"},
]


def load(session: Session, principal: Principal) -> int:
    """Insert the default duty rules that are missing; returns how many were added."""
    return core_defaults.load_missing(session, principal, DutyRule, "key", DUTY_RULES, "duty_rule")


def rule(session: Session, key: str) -> DutyRule:
    found = session.scalar(select(DutyRule).where(DutyRule.key == key))
    if found is None:  # a database that `yingji init` has not filled yet
        defaults = next(r for r in DUTY_RULES if r["key"] == key)
        return DutyRule(**defaults)
    return found


def value(session: Session, key: str) -> int:
    return int(rule(session, key).value)


def get_rule(session: Session, rule_id: int) -> DutyRule:
    found = session.get(DutyRule, rule_id)
    if found is None:
        raise NotFound("Not found, or not within your area.")
    return found


def update_rule(session: Session, principal: Principal, rule_id: int, new_value: int, source: str) -> DutyRule:
    """Rules hold for the whole prefecture: only roles that edit rules may change them."""
    from yingji.core import roles

    principal.require(roles.EDIT_RULES)
    found = get_rule(session, rule_id)
    return core_defaults.change_rule(session, principal, found, "duty_rule", new_value, source)

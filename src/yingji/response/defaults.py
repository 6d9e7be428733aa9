"""The numbers of the response rules with their sources (../shared/domain/DEFAULTS.md §8), loaded by the demo
and by ``yingji init``. An administrator may change a row afterwards; loading again never overwrites one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core import defaults as core_defaults
from yingji.core import roles
from yingji.core.defaults import POLICY
from yingji.core.scope import Principal
from yingji.errors import NotFound
from yingji.response.models import ResponseRule

EVALUATION_MONTHS = "evaluation_deadline_months"
EVALUATION_LEVEL = "evaluation_min_level"
REMINDER_DAYS = "evaluation_reminder_days"
TIP_LIMIT = "public_tip_limit"
TIP_WINDOW = "public_tip_window_minutes"

RESPONSE_RULES: list[dict[str, Any]] = [
    {"key": EVALUATION_MONTHS, "value": 1, "unit": "month",
     "source": f"{POLICY} (R3.6): 较大及以上突发事件，一个月内报送评估报告 — level III+ events: an evaluation "
               "report within one month (counted from the close of the event)"},
    {"key": EVALUATION_LEVEL, "value": 3, "unit": "level",
     "source": f"{POLICY} (R3.6): 较大（III级）及以上 — level III (较大) or above needs an evaluation report"},
    {"key": REMINDER_DAYS, "value": 7, "unit": "d",
     "source": "[C] common practice: the responsible office is reminded 7 days before the deadline"},
    {"key": TIP_LIMIT, "value": 5, "unit": "tips",
     "source": "[C] abuse protection: at most 5 public tips from one address within the window"},
    {"key": TIP_WINDOW, "value": 60, "unit": "min",
     "source": "[C] abuse protection: the window of the public tip limit is 60 minutes"},
]
MINIMUMS = {EVALUATION_LEVEL: 1, EVALUATION_MONTHS: 1, REMINDER_DAYS: 0, TIP_LIMIT: 1, TIP_WINDOW: 1}
MAXIMUMS = {EVALUATION_LEVEL: 4, EVALUATION_MONTHS: 24, REMINDER_DAYS: 365, TIP_LIMIT: 1000, TIP_WINDOW: 10080}


def load(session: Session, principal: Principal) -> int:
    """Insert the default response rules that are missing; returns how many were added."""
    return core_defaults.load_missing(session, principal, ResponseRule, "key", RESPONSE_RULES, "response_rule")


def rule(session: Session, key: str) -> ResponseRule:
    found = session.scalar(select(ResponseRule).where(ResponseRule.key == key))
    if found is None:  # a database that has not been filled yet
        return ResponseRule(**next(r for r in RESPONSE_RULES if r["key"] == key))
    return found


def value(session: Session, key: str) -> int:
    return int(rule(session, key).value)


def list_rules(session: Session, principal: Principal) -> list[ResponseRule]:
    principal.require(roles.READ)
    have = {r.key: r for r in session.scalars(select(ResponseRule))}
    return [have.get(str(r["key"])) or ResponseRule(**r) for r in RESPONSE_RULES]


def update_rule(session: Session, principal: Principal, rule_id: int, new_value: int, source: str) -> ResponseRule:
    """Rules hold for the whole prefecture: only roles that edit rules may change them."""
    principal.require(roles.EDIT_RULES)
    found = session.get(ResponseRule, rule_id)
    if found is None:
        raise NotFound("Not found, or not within your area.")
    return core_defaults.change_rule(session, principal, found, "response_rule", new_value, source,
                                     minimum=MINIMUMS.get(found.key, 0), maximum=MAXIMUMS.get(found.key, 100000))

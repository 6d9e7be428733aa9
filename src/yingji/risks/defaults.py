"""The risk rules' numbers with their sources (../shared/domain/DEFAULTS.md style), loaded by ``yingji init``.

DEFAULTS.md gives no number for these rules; each is marked [C] (common practice, unconfirmed) and shown
with its source on /risks/rules, where an administrator may change it. Loading again never overwrites a row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core import defaults as core_defaults
from yingji.core import roles
from yingji.core.scope import Principal
from yingji.errors import NotFound, UserError
from yingji.risks.models import RiskRule

MATRIX_SIZE = "matrix_size"
LEVEL_MAJOR = "level_major_min_score"
LEVEL_LARGE = "level_large_min_score"
LEVEL_GENERAL = "level_general_min_score"
PATROL_DAYS = "patrol_every_days"
SILENCE = "sensor_silence_minutes"
FUTURE_SKEW = "reading_future_skew_seconds"
ESCALATE_GRACE = "finding_escalate_grace_hours"

LS = "[C] LS risk matrix (likelihood L × consequence S, each 1–5) as used in 安全风险分级管控 guides"
RISK_RULES: list[dict[str, Any]] = [
    {"key": MATRIX_SIZE, "value": 5, "unit": "steps",
     "source": f"{LS}: both scales run from 1 to 5"},
    {"key": LEVEL_MAJOR, "value": 20, "unit": "score",
     "source": f"{LS}: L×S ≥ 20 is a major risk (重大风险, red)"},
    {"key": LEVEL_LARGE, "value": 15, "unit": "score",
     "source": f"{LS}: L×S ≥ 15 is a large risk (较大风险, orange)"},
    {"key": LEVEL_GENERAL, "value": 9, "unit": "score",
     "source": f"{LS}: L×S ≥ 9 is a general risk (一般风险, yellow); below it a low risk (低风险, blue)"},
    {"key": PATROL_DAYS, "value": 7, "unit": "d",
     "source": "[C] common practice and issue 8: every grid is patrolled at least once a week (grid's own "
               "frequency may be stricter)"},
    {"key": SILENCE, "value": 30, "unit": "min",
     "source": "[C] common practice: a monitoring device that sends nothing for 30 minutes is itself an alarm"},
    {"key": FUTURE_SKEW, "value": 300, "unit": "s",
     "source": "[C] common practice: readings time-stamped more than 5 minutes ahead of the platform's clock "
               "are refused (device clock wrong)"},
    {"key": ESCALATE_GRACE, "value": 0, "unit": "h",
     "source": "[C] R3.1 隐患排查整改: a hidden hazard not rectified by its deadline escalates at once to the "
               "level above"},
]
ZERO_ALLOWED = frozenset({ESCALATE_GRACE})


def load(session: Session, principal: Principal) -> int:
    """Insert the default risk rules that are missing; returns how many were added."""
    return core_defaults.load_missing(session, principal, RiskRule, "key", RISK_RULES, "risks_rule")


def rule(session: Session, key: str) -> RiskRule:
    found = session.scalar(select(RiskRule).where(RiskRule.key == key))
    if found is None:  # a database that `yingji init` has not filled yet: the default
        return RiskRule(**next(r for r in RISK_RULES if r["key"] == key))
    return found


def value(session: Session, key: str) -> int:
    return int(rule(session, key).value)


def values(session: Session) -> dict[str, int]:
    """Every rule at once (one query)."""
    stored = dict(session.execute(select(RiskRule.key, RiskRule.value)).all())
    return {r["key"]: int(stored.get(r["key"], r["value"])) for r in RISK_RULES}


def all_rules(session: Session) -> list[RiskRule]:
    stored = {r.key: r for r in session.scalars(select(RiskRule))}
    return [stored.get(str(r["key"])) or RiskRule(**r) for r in RISK_RULES]


def update_rule(session: Session, principal: Principal, key: str, new_value: int, source: str) -> RiskRule:
    """Rules hold for the whole prefecture: only roles that edit rules may change them."""
    principal.require(roles.EDIT_RULES)
    if key not in {r["key"] for r in RISK_RULES}:
        raise NotFound("Not found, or not within your area.")
    minimum = 0 if key in ZERO_ALLOWED else 1
    if minimum <= new_value <= 100000:
        _check_matrix(values(session) | {key: new_value})
    found = session.scalar(select(RiskRule).where(RiskRule.key == key))
    if found is None:
        found = RiskRule(**next(r for r in RISK_RULES if r["key"] == key))
        session.add(found)
        session.flush()
    return core_defaults.change_rule(session, principal, found, "risks_rule", new_value, source, minimum=minimum)


def _check_matrix(v: dict[str, int]) -> None:
    top = v[MATRIX_SIZE] ** 2
    if v[MATRIX_SIZE] > 10:
        raise UserError("The matrix may have at most 10 steps.", field="value")
    if not v[LEVEL_GENERAL] < v[LEVEL_LARGE] < v[LEVEL_MAJOR] <= top:
        raise UserError("The level thresholds must rise (general < large < major ≤ the largest score).",
                        field="value")


LEVELS = ("major", "large", "general", "low")


def risk_level(v: dict[str, int], score: int) -> str:
    """L×S into a level; "N以上" includes N (DEFAULTS.md boundary rule)."""
    if score >= v[LEVEL_MAJOR]:
        return "major"
    if score >= v[LEVEL_LARGE]:
        return "large"
    if score >= v[LEVEL_GENERAL]:
        return "general"
    return "low"

"""The warning rules' numbers and switches with their sources, loaded like the duty rules.

An administrator may change a row afterwards; loading again never overwrites a row that exists.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core import defaults as core_defaults
from yingji.core import roles
from yingji.core.scope import Principal
from yingji.errors import NotFound, UserError
from yingji.warnings.models import WarningRule

FAST_TRACK_RED = "fast_track_red"
MAX_UPLOAD_BYTES = "max_upload_bytes"
MIN_PULL_INTERVAL = "min_pull_interval_minutes"
MAX_VALIDITY_HOURS = "max_validity_hours"

WARNING_RULES = [
    {"key": FAST_TRACK_RED, "value": 1, "unit": "on/off",
     "source": "Issue 4 / DEFAULTS.md §5 (an emergency flow exists): a red warning may go out on one "
               "sign-off, the review recorded after (1 = on, 0 = off)"},
    {"key": MAX_UPLOAD_BYTES, "value": 5 * 1024 * 1024, "unit": "B",
     "source": "[C] CAP import size limit (warnings/cap/xmlsafe.py DEFAULT_MAX_BYTES, 5 MB): a CAP message "
               "is a few kB; anything larger is refused before parsing"},
    {"key": MIN_PULL_INTERVAL, "value": 1, "unit": "min",
     "source": "[C] common practice: a pulled CAP/Atom source is fetched at most once a minute"},
    {"key": MAX_VALIDITY_HOURS, "value": 24 * 7, "unit": "h",
     "source": "[C] common practice: a warning expires within 7 days; a longer one is renewed by an update"},
]

# Switches take 0 or 1; the other numbers must be at least 1.
SWITCHES = frozenset({FAST_TRACK_RED})


def load(session: Session, principal: Principal) -> int:
    """Insert the default warning rules that are missing; returns how many were added."""
    return core_defaults.load_missing(session, principal, WarningRule, "key", WARNING_RULES, "warning_rule")


def rule(session: Session, key: str) -> WarningRule:
    found = session.scalar(select(WarningRule).where(WarningRule.key == key))
    if found is None:  # a database whose rules have not been loaded yet
        return WarningRule(**next(r for r in WARNING_RULES if r["key"] == key))
    return found


def value(session: Session, key: str) -> int:
    return int(rule(session, key).value)


def all_rules(session: Session) -> list[WarningRule]:
    have = {r.key: r for r in session.scalars(select(WarningRule))}
    return [have.get(str(r["key"])) or WarningRule(**r) for r in WARNING_RULES]


def update_rule(session: Session, principal: Principal, key: str, new_value: int, source: str) -> WarningRule:
    """Rules hold for the whole prefecture: only roles that edit rules may change them."""
    principal.require(roles.EDIT_RULES)
    if key not in {r["key"] for r in WARNING_RULES}:
        raise NotFound("Not found, or not within your area.")
    if key in SWITCHES and new_value not in (0, 1):
        raise UserError("This switch is 0 (off) or 1 (on).", field="value")
    found = session.scalar(select(WarningRule).where(WarningRule.key == key))
    if found is None:
        load(session, principal)
        found = session.scalar(select(WarningRule).where(WarningRule.key == key))
    assert found is not None
    return core_defaults.change_rule(session, principal, found, "warning_rule", new_value, source,
                                     minimum=0 if key in SWITCHES else 1,
                                     maximum=1 if key in SWITCHES else 2**31 - 1)

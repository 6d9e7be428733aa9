"""The channels' numbers with their sources, loaded by ``yingji init`` (or on first use).

An administrator may change a row afterwards on /warnings/channels; loading again never overwrites.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.channels.models import ChannelRule
from yingji.core import defaults as core_defaults
from yingji.core import roles
from yingji.core.scope import Principal
from yingji.errors import NotFound

SEGMENT_LENGTH = "sms_segment_length"
MAX_SEGMENTS = "sms_max_segments"
RETRY_BASE = "retry_base_seconds"
MAX_ATTEMPTS = "retry_max_attempts"
CLAIM_TIMEOUT = "claim_timeout_seconds"
BATCH_SIZE = "worker_batch_size"
CODE_MINUTES = "subscription_code_minutes"
CODE_ATTEMPTS = "subscription_code_attempts"
CODE_PER_HOUR = "subscription_codes_per_phone_hour"
FAILURE_WINDOW = "failure_window_hours"

CHANNEL_RULES = [
    {"key": SEGMENT_LENGTH, "value": 70, "unit": "chars",
     "source": "Issue 4 / 3GPP TS 23.038: one short message in UCS-2 (Chinese) carries 70 characters"},
    {"key": MAX_SEGMENTS, "value": 8, "unit": "segments",
     "source": "[C] common practice of Chinese SMS gateways: a long message is cut off beyond about 8 segments"},
    {"key": RETRY_BASE, "value": 30, "unit": "s",
     "source": "[C] common practice: first retry after 30 s, then doubling (30 s, 1 min, 2 min, 4 min…)"},
    {"key": MAX_ATTEMPTS, "value": 6, "unit": "attempts",
     "source": "[C] common practice: give up after 6 attempts (about 15 minutes of back-off)"},
    {"key": CLAIM_TIMEOUT, "value": 120, "unit": "s",
     "source": "[C] a worker that has not finished a claimed message in 2 minutes is presumed dead; another "
               "sends it again with the same idempotency key"},
    {"key": BATCH_SIZE, "value": 100, "unit": "messages",
     "source": "[C] messages one worker claims at a time (a worker that dies leaves at most this many to send "
               "again with the same keys)"},
    {"key": CODE_MINUTES, "value": 10, "unit": "min",
     "source": "[C] common practice: an SMS confirmation code is valid for 10 minutes"},
    {"key": CODE_ATTEMPTS, "value": 5, "unit": "attempts",
     "source": "[C] common practice: a code is void after 5 wrong tries"},
    {"key": CODE_PER_HOUR, "value": 5, "unit": "codes",
     "source": "[C] common practice: at most 5 codes to one phone number an hour"},
    {"key": FAILURE_WINDOW, "value": 24, "unit": "h",
     "source": "[C] the sign-off page reports gateways and endpoints that failed in the past day (a day of "
               "traffic shows a broken peer; older failures are history)"},
]
DEFAULTS: dict[str, int] = {str(row["key"]): int(str(row["value"])) for row in CHANNEL_RULES}


def load(session: Session, principal: Principal) -> int:
    """Insert the default channel rules that are missing; returns how many were added."""
    return core_defaults.load_missing(session, principal, ChannelRule, "key", CHANNEL_RULES, "channel_rule")


def values(session: Session) -> dict[str, int]:
    """Every rule's value (the default where the table has no row yet), in one query."""
    found = dict(session.execute(select(ChannelRule.key, ChannelRule.value)).all())
    return {key: int(found.get(key, default)) for key, default in DEFAULTS.items()}


def value(session: Session, key: str) -> int:
    found = session.scalar(select(ChannelRule.value).where(ChannelRule.key == key))
    return int(found if found is not None else DEFAULTS[key])


def list_rules(session: Session) -> list[ChannelRule]:
    have = {r.key: r for r in session.scalars(select(ChannelRule))}
    return [have.get(str(row["key"])) or ChannelRule(**row) for row in CHANNEL_RULES]


def update_rule(session: Session, principal: Principal, key: str, new_value: int, source: str) -> ChannelRule:
    principal.require(roles.EDIT_RULES)
    if key not in DEFAULTS:
        raise NotFound("Not found, or not within your area.")
    found = session.scalar(select(ChannelRule).where(ChannelRule.key == key))
    if found is None:
        load(session, principal)
        found = session.scalar(select(ChannelRule).where(ChannelRule.key == key))
        assert found is not None
    return core_defaults.change_rule(session, principal, found, "channel_rule", new_value, source)

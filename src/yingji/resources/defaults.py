"""The resource rules' numbers with their sources (../shared/domain/DEFAULTS.md style), loaded on demand.

An administrator may change a row on /resources/rules; loading again never overwrites a row that exists.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core import defaults as core_defaults
from yingji.core import roles
from yingji.core.scope import Principal
from yingji.errors import NotFound
from yingji.i18n import N_
from yingji.resources.models import ResRule

EXPIRY_WARNING = "expiry_warning_days"
AGREEMENT_NOTICE = "agreement_notice_days"
NEARBY_RADIUS = "nearby_radius_km"
NEARBY_LIMIT = "nearby_limit"
INSURANCE_NOTICE = "insurance_notice_days"

RES_RULES = [
    {"key": EXPIRY_WARNING, "value": 30, "unit": "d",
     "source": "[C] common practice (GB/T 38565-2020 rotation of reserves): a lot is flagged for rotation "
               "30 days before it expires; expired the day after its expiry date"},
    {"key": AGREEMENT_NOTICE, "value": 30, "unit": "d",
     "source": "[C] common practice: the firm and the team are told 30 days before a rescue agreement ends"},
    {"key": NEARBY_RADIUS, "value": 300, "unit": "km",
     "source": "[C] the prefecture spans about 300 km: resources farther than this are not offered as nearby"},
    {"key": NEARBY_LIMIT, "value": 10, "unit": "rows",
     "source": "Issue 7: the nearest 10 teams, warehouses and shelters of a point"},
    {"key": INSURANCE_NOTICE, "value": 30, "unit": "d",
     "source": "[C] chosen default, DEFAULTS.md gives no figure: rescue team members are to be insured "
               "(博州 2017-64: 意外伤害保险, 工伤保险 for full- and part-time rescuers and volunteers); a team is "
               "warned 30 days before its members' cover ends, the same notice as for rescue agreements"},
]
RULE_LABELS = {EXPIRY_WARNING: N_("Rotation warning before expiry"),
               AGREEMENT_NOTICE: N_("Notice before an agreement ends"),
               NEARBY_RADIUS: N_("Farthest distance offered as nearby"), NEARBY_LIMIT: N_("Nearest resources listed"),
               INSURANCE_NOTICE: N_("Notice before team members' insurance ends")}


def load(session: Session, principal: Principal) -> int:
    """Insert the default resource rules that are missing; returns how many were added."""
    return core_defaults.load_missing(session, principal, ResRule, "key", RES_RULES, "res_rule")


def rule(session: Session, key: str) -> ResRule:
    found = session.scalar(select(ResRule).where(ResRule.key == key))
    if found is None:  # a database whose rules have not been loaded yet
        return ResRule(**next(r for r in RES_RULES if r["key"] == key))
    return found


def value(session: Session, key: str) -> int:
    return int(rule(session, key).value)


def list_rules(session: Session) -> list[ResRule]:
    stored = {r.key: r for r in session.scalars(select(ResRule))}
    return [stored.get(str(r["key"])) or ResRule(**r) for r in RES_RULES]


def update_rule(session: Session, principal: Principal, rule_id: int, new_value: int, source: str) -> ResRule:
    """Rules hold for the whole prefecture: only roles that edit rules may change them."""
    principal.require(roles.EDIT_RULES)
    found = session.get(ResRule, rule_id)
    if found is None:
        raise NotFound("Not found, or not within your area.")
    return core_defaults.change_rule(session, principal, found, "res_rule", new_value, source)

"""Roles and what each may do. Where it may do it (the subtree) is decided in ``scope``."""

from __future__ import annotations

from yingji.i18n import N_

READ = "read"
WRITE = "write"
MANAGE_USERS = "manage_users"
READ_AUDIT = "read_audit"
EDIT_RULES = "edit_rules"
# Submit incident reports, answer for one's own unit (the grassroots information officer's one write).
REPORT = "report"
# Review a draft early warning (the warning-release centre).
REVIEW_WARNING = "review_warning"
# Sign off an early warning for release (a leader).
SIGN_WARNING = "sign_warning"
# Approve public statements about an event for publication (the spokesperson).
PUBLISH = "publish"
# Score assessment indicators that are judged by a person, with evidence.
ASSESS = "assess"

ROLE_LABELS: dict[str, str] = {
    "admin": N_("System administrator"),
    "prefecture_office": N_("Prefecture emergency office"),
    "county_office": N_("County emergency office"),
    "department": N_("Department"),
    "township_officer": N_("Township officer"),
    "info_officer": N_("Grassroots information officer"),
    "enterprise": N_("Enterprise / school"),
    "leader": N_("Leader"),
    "warning_centre": N_("Warning-release centre"),
    "spokesperson": N_("Spokesperson"),
}

PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({READ, WRITE, MANAGE_USERS, READ_AUDIT, EDIT_RULES, REPORT, REVIEW_WARNING, SIGN_WARNING,
                        PUBLISH, ASSESS}),
    "prefecture_office": frozenset({READ, WRITE, MANAGE_USERS, READ_AUDIT, EDIT_RULES, REPORT, ASSESS}),
    "county_office": frozenset({READ, WRITE, MANAGE_USERS, READ_AUDIT, REPORT}),
    "department": frozenset({READ, WRITE, REPORT}),
    "township_officer": frozenset({READ, WRITE, REPORT}),
    "info_officer": frozenset({READ, REPORT}),
    "enterprise": frozenset({READ, WRITE, REPORT}),
    # Leaders read and sign; they do not edit records.
    "leader": frozenset({READ, READ_AUDIT, SIGN_WARNING}),
    "warning_centre": frozenset({READ, WRITE, REVIEW_WARNING}),
    "spokesperson": frozenset({READ, PUBLISH}),
}

# Roles whose scope is the whole tree, whatever unit the user sits in.
GLOBAL_ROLES = frozenset({"admin"})

# A role may grant only roles of the same or a lower rank.
RANK: dict[str, int] = {
    "admin": 100,
    "prefecture_office": 80,
    "county_office": 60,
    "leader": 50,
    "warning_centre": 50,
    "spokesperson": 40,
    "department": 40,
    "township_officer": 40,
    "enterprise": 20,
    "info_officer": 10,
}


def allows(role: str, action: str) -> bool:
    return action in PERMISSIONS.get(role, frozenset())


def may_grant(granter_role: str, role: str) -> bool:
    return role in RANK and RANK.get(granter_role, 0) >= RANK[role] and allows(granter_role, MANAGE_USERS)

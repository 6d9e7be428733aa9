"""Roles and what each may do. Where it may do it (the subtree) is decided in ``scope``."""

from __future__ import annotations

from yingji.i18n import N_

READ = "read"
WRITE = "write"
MANAGE_USERS = "manage_users"
READ_AUDIT = "read_audit"
EDIT_RULES = "edit_rules"

ROLE_LABELS: dict[str, str] = {
    "admin": N_("System administrator"),
    "prefecture_office": N_("Prefecture emergency office"),
    "county_office": N_("County emergency office"),
    "department": N_("Department"),
    "township_officer": N_("Township officer"),
    "info_officer": N_("Grassroots information officer"),
    "enterprise": N_("Enterprise / school"),
    "leader": N_("Leader (read-only)"),
}

PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({READ, WRITE, MANAGE_USERS, READ_AUDIT, EDIT_RULES}),
    "prefecture_office": frozenset({READ, WRITE, MANAGE_USERS, READ_AUDIT, EDIT_RULES}),
    "county_office": frozenset({READ, WRITE, MANAGE_USERS, READ_AUDIT}),
    "department": frozenset({READ, WRITE}),
    "township_officer": frozenset({READ, WRITE}),
    "info_officer": frozenset({READ}),
    "enterprise": frozenset({READ, WRITE}),
    "leader": frozenset({READ, READ_AUDIT}),
}

# Roles whose scope is the whole tree, whatever unit the user sits in.
GLOBAL_ROLES = frozenset({"admin"})

# A role may grant only roles of the same or a lower rank.
RANK: dict[str, int] = {
    "admin": 100,
    "prefecture_office": 80,
    "county_office": 60,
    "leader": 50,
    "department": 40,
    "township_officer": 40,
    "enterprise": 20,
    "info_officer": 10,
}


def allows(role: str, action: str) -> bool:
    return action in PERMISSIONS.get(role, frozenset())


def may_grant(granter_role: str, role: str) -> bool:
    return role in RANK and RANK.get(granter_role, 0) >= RANK[role] and allows(granter_role, MANAGE_USERS)

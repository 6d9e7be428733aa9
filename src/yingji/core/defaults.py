"""Numbers the rules start from, with their sources (../shared/domain/DEFAULTS.md §8, R2.1).

Loaded into tables by ``yingji init``; an administrator may change the rows afterwards, and
loading again never overwrites a row that exists.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core import audit, roles
from yingji.core.models import StaffingQuota
from yingji.core.schemas import CONTROL_CHARACTERS
from yingji.core.scope import Principal
from yingji.errors import UserError

POLICY = "博州政办发〔2017〕64号"

STAFFING_QUOTAS = [
    {"unit_kind": "prefecture", "min_staff": 5, "max_staff": 6,
     "source": f"{POLICY}: 州应急办专职人员5–6名 (prefecture emergency office: 5–6 full-time staff)"},
    {"unit_kind": "county", "min_staff": 2, "max_staff": 3,
     "source": f"{POLICY}: 县市应急办专职人员2–3名 (county emergency office: 2–3 full-time staff)"},
    {"unit_kind": "township", "min_staff": 1, "max_staff": None,
     "source": f"{POLICY}: 乡镇（街道）配备1名应急专干 (each township/street: 1 emergency specialist)"},
]


def load(session: Session, principal: Principal) -> int:
    """Insert the default staffing quotas that are missing; returns how many were added."""
    return load_missing(session, principal, StaffingQuota, "unit_kind", STAFFING_QUOTAS, "staffing_quota")


def load_missing(session: Session, principal: Principal, model: Any, key: str, rows: list[dict[str, Any]],
                 entity_type: str) -> int:
    """Insert each default row whose ``key`` is not in the table yet (never overwriting), audited."""
    have = set(session.scalars(select(getattr(model, key))))
    added = 0
    for row in rows:
        if row[key] in have:
            continue
        item = model(**row)
        session.add(item)
        session.flush()
        audit.record(session, principal, action="create", entity_type=entity_type, entity_id=item.id,
                     unit_id=None, after=audit.snapshot(item))
        added += 1
    return added


MAX_SOURCE = 2000  # characters: where a rule's number comes from


def checked_source(source: str) -> str:
    """Where a rule's number comes from, as it will be stored: spaces around it stripped, not empty, at most
    MAX_SOURCE characters, no invisible control characters (PostgreSQL refuses a NUL in text)."""
    source = source.strip()
    if not source:
        raise UserError("Say where the number comes from.", field="source")
    if len(source) > MAX_SOURCE:
        raise UserError("The source is too long (at most %(n)s characters).", field="source", n=MAX_SOURCE)
    if CONTROL_CHARACTERS.search(source):
        raise UserError("This text contains invisible control characters.", field="source")
    return source


def change_rule(session: Session, principal: Principal, row: Any, entity_type: str, value: int, source: str, *,
                minimum: int = 1, maximum: int = 100000) -> Any:
    """The one way a rule's number is changed: by a role that edits rules (they hold for the whole
    prefecture), within ``minimum``..``maximum``, with a source saying where the new number comes from,
    audited. Nothing is changed when any check fails."""
    principal.require(roles.EDIT_RULES)
    if value < minimum:
        raise UserError("This number is too small.", field="value")
    if value > maximum:
        raise UserError("This number is too large.", field="value")
    source = checked_source(source)
    before = audit.snapshot(row)
    row.value, row.source = value, source
    audit.record(session, principal, action="update", entity_type=entity_type, entity_id=row.id, unit_id=None,
                 before=before, after=audit.snapshot(row))
    return row

"""Numbers the rules start from, with their sources (../shared/domain/DEFAULTS.md §8, R2.1).

Loaded into tables by ``yingji init``; an administrator may change the rows afterwards, and
loading again never overwrites a row that exists.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core import audit
from yingji.core.models import StaffingQuota
from yingji.core.scope import Principal

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

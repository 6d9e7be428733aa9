"""Marked preparedness rows in 精河县 for the route walker (tests/core/test_scope_routes.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.scope_checker import MARKER
from yingji.core.models import Attachment, Unit, User


def rows(s: Session, system: Any, as_user: Any, unit: Unit, user: User) -> dict[str, int]:
    """A plan filed with the county (waiting for its decision), a drill of it with an improvement item, a training
    session, a publicity activity, an expert, a demonstration site with its seven items, and a linkage row."""
    from yingji.preparedness import drills, experts, plans, sites, training
    from yingji.preparedness.models import PrepSiteItem
    from yingji.preparedness.schemas import (
        DrillCreate,
        ExpertCreate,
        FilingCreate,
        ImprovementCreate,
        LinkageCreate,
        PlanCreate,
        PublicityCreate,
        SiteCreate,
        TrainingCreate,
    )

    office = s.get(Unit, unit.parent_id)
    assert office is not None
    plan = plans.create_plan(s, system, PlanCreate(unit_id=unit.id, title=f"{MARKER}-预案", plan_type="unit",
                                                   issued_on=date(2020, 1, 6), status="in_force",
                                                   note=MARKER))
    filing = plans.file_plan(s, system, plan.id, FilingCreate(office_id=office.id, filed_on=date(2020, 1, 10)))
    drill = drills.create_drill(s, system, DrillCreate(unit_id=unit.id, title=f"{MARKER}-演练",
                                                       held_on=date(2020, 3, 1), scope="comprehensive",
                                                       plan_ids=[plan.id], scenario=MARKER))
    item = drills.add_item(s, system, drill.id, ImprovementCreate(text=MARKER))
    session_ = training.create_training(s, system, TrainingCreate(unit_id=unit.id, title=f"{MARKER}-培训",
                                                                  held_on=date(2020, 4, 1), audience="industry",
                                                                  hours=2, attendees=10))
    publicity = training.create_publicity(s, system, PublicityCreate(unit_id=unit.id, year=2020,
                                                                     title=f"{MARKER}-宣传", planned_month=5))
    expert = experts.create(s, system, ExpertCreate(unit_id=unit.id, name=f"{MARKER}-专家", field="mining"))
    site = sites.create(s, system, SiteCreate(unit_id=unit.id, name=f"{MARKER}-示范点", category="enterprise"))
    site_item = s.scalar(select(PrepSiteItem).where(PrepSiteItem.site_id == site.id).limit(1))
    assert site_item is not None
    site_item.evidence_note = MARKER
    evidence = s.scalar(select(Attachment).where(Attachment.unit_id == unit.id).limit(1))
    if evidence is not None:
        site_item.evidence_id = evidence.id
    linkage = plans.create_linkage(s, system, LinkageCreate(unit_id=unit.id, event_type="work_safety",
                                                            lead_unit_id=unit.id, lead_duties=MARKER))
    s.flush()
    return {"plan_id": plan.id, "filing_id": filing.id, "drill_id": drill.id, "item_id": item.id,
            "training_id": session_.id, "publicity_id": publicity.id, "expert_id": expert.id, "site_id": site.id,
            "site_item_id": site_item.id, "linkage_id": linkage.id}

"""Hazard sources and key infrastructure, and their 五有 computed from the platform's own records.

五有 (R3.1): 有人员 people, 有制度 rules, 有预案 plan, 有演练 drill, 有保障 support. Each item is read from
the module that keeps such records, imported lazily: a module or table that is not there yet makes the item
"no record source yet" rather than an error.

- 有人员: a responsible person (core ``person``, duty "responsible") of the owner unit.
- 有制度: a rules document attached to the hazard (core ``attachment``, entity "risks_hazard_rules").
- 有预案: a plan of the owner unit in force (``yingji.preparedness.models.PrepPlan``, status in force).
- 有演练: a drill of the owner unit held this calendar year, local time (``PrepDrill.held_on``).
- 有保障: a rescue team of the owner unit, or a rescue agreement in force today
  (``yingji.resources.models.Team`` / ``Agreement``).
"""

from __future__ import annotations

import importlib
import logging
from datetime import date
from typing import Any

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session

from yingji.core import audit, roles
from yingji.core.models import Attachment, Person
from yingji.core.schemas import Page
from yingji.core.scope import Principal, get_scoped, scoped
from yingji.core.service import paginate
from yingji.i18n import N_
from yingji.risks import common
from yingji.risks.models import Hazard
from yingji.risks.schemas import FiveHaves, FiveItem, HazardCreate, HazardRead

log = logging.getLogger(__name__)

FIVE_KEYS = ("people", "rules", "plan", "drill", "support")
FIVE_LABELS = {"people": N_("有人员 people"), "rules": N_("有制度 rules"), "plan": N_("有预案 plan"),
               "drill": N_("有演练 drill"), "support": N_("有保障 support")}
RULES_ENTITY = "risks_hazard_rules"
# Plan states that mean "in force" (the preparedness module's vocabulary).
PLAN_IN_FORCE = ("in_force", "under_revision")


def list_hazards(session: Session, principal: Principal, *, q: str = "", kind: str = "", unit_id: int | None = None,
                 page: int = 1, per_page: int = 50) -> Page[HazardRead]:
    return paginate(session, hazards_statement(session, principal, q=q, kind=kind, unit_id=unit_id), HazardRead,
                    page=page, per_page=per_page)


def hazards_statement(session: Session, principal: Principal, *, q: str = "", kind: str = "",
                      unit_id: int | None = None) -> Any:
    stmt = scoped(select(Hazard), principal)
    if q:
        stmt = stmt.where(or_(Hazard.name.ilike(f"%{q}%"), Hazard.address.ilike(f"%{q}%")))
    if kind:
        stmt = stmt.where(Hazard.kind == kind)
    if unit_id is not None:
        stmt = stmt.where(Hazard.unit_id == unit_id)
    return stmt.order_by(Hazard.id)


def get(session: Session, principal: Principal, hazard_id: int, action: str = roles.READ) -> Hazard:
    return get_scoped(session, principal, Hazard, hazard_id, action)


def create(session: Session, principal: Principal, data: HazardCreate) -> Hazard:
    common.unit_for_write(session, principal, data.unit_id)
    return common.created(session, principal, Hazard(**data.model_dump()), "risks_hazard")


def update(session: Session, principal: Principal, hazard_id: int, data: HazardCreate) -> Hazard:
    row = get(session, principal, hazard_id, roles.WRITE)
    common.unit_for_write(session, principal, data.unit_id)
    before = audit.snapshot(row)
    for key, value in data.model_dump().items():
        setattr(row, key, value)
    return common.changed(session, principal, row, "risks_hazard", before)


# --- 五有 ------------------------------------------------------------------------------------

def _model(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def _table_ready(session: Session, model: Any) -> bool:
    """The model's table exists in this database (a migration not applied yet means no source)."""
    if model is None:
        return False
    cache = session.info.setdefault("risks_tables", {})
    name = model.__tablename__
    if name not in cache:
        cache[name] = inspect(session.connection()).has_table(name)
    return bool(cache[name])


def five_haves(session: Session, principal: Principal, hazard_id: int) -> FiveHaves:
    hazard = get(session, principal, hazard_id)
    items = [_people(session, hazard), _rules(session, hazard), _plan(session, hazard), _drill(session, hazard),
             _support(session, hazard)]
    return FiveHaves(hazard_id=hazard.id, items=items, complete=all(i.state == "yes" for i in items))


def _item(key: str, found: Any, detail_yes: str, detail_no: str) -> FiveItem:
    if found is None:
        return FiveItem(key=key, state="no", detail=detail_no)
    return FiveItem(key=key, state="yes", detail=detail_yes % found if "%" in detail_yes else detail_yes)


NO_SOURCE = N_("no record source yet")


def _people(session: Session, hazard: Hazard) -> FiveItem:
    name = session.scalar(select(Person.name).where(Person.unit_id == hazard.unit_id, Person.duty == "responsible")
                          .order_by(Person.id).limit(1))
    return _item("people", name, "%s", N_("no responsible person recorded for the owner unit"))


def _rules(session: Session, hazard: Hazard) -> FiveItem:
    name = session.scalar(select(Attachment.filename).where(Attachment.entity_type == RULES_ENTITY,
                                                            Attachment.entity_id == str(hazard.id))
                          .order_by(Attachment.id.desc()).limit(1))
    return _item("rules", name, "%s", N_("no rules document attached"))


def _plan(session: Session, hazard: Hazard) -> FiveItem:
    plan = _model("yingji.preparedness.models", "PrepPlan")
    if not _table_ready(session, plan):
        return FiveItem(key="plan", state="no_source", detail=NO_SOURCE)
    title = session.scalar(select(plan.title).where(plan.unit_id == hazard.unit_id, plan.status.in_(PLAN_IN_FORCE))
                           .order_by(plan.id.desc()).limit(1))
    return _item("plan", title, "%s", N_("no plan in force for the owner unit"))


def _drill(session: Session, hazard: Hazard) -> FiveItem:
    drill = _model("yingji.preparedness.models", "PrepDrill")
    if not _table_ready(session, drill):
        return FiveItem(key="drill", state="no_source", detail=NO_SOURCE)
    year = common.today().year
    found = session.execute(select(drill.title, drill.held_on).where(
        drill.unit_id == hazard.unit_id, drill.held_on >= date(year, 1, 1), drill.held_on <= date(year, 12, 31))
        .order_by(drill.held_on.desc()).limit(1)).first()
    text = f"{found[0]} ({found[1].isoformat()})" if found else None
    return _item("drill", text, "%s", N_("no drill this year"))


def _support(session: Session, hazard: Hazard) -> FiveItem:
    team = _model("yingji.resources.models", "Team")
    agreement = _model("yingji.resources.models", "Agreement")
    if not _table_ready(session, team):
        return FiveItem(key="support", state="no_source", detail=NO_SOURCE)
    name = session.scalar(select(team.name).where(team.unit_id == hazard.unit_id).order_by(team.id).limit(1))
    if name is None and _table_ready(session, agreement):
        today = common.today()
        name = session.scalar(select(agreement.title).where(
            agreement.unit_id == hazard.unit_id, agreement.starts_on <= today, agreement.ends_on >= today).limit(1))
    return _item("support", name, "%s", N_("no rescue team or agreement in force for the owner unit"))

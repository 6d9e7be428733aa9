"""Risk assessments of areas, their items scored on the L × S matrix, and the public-safety risk list (风险清单)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from yingji.core import audit, roles
from yingji.core.models import Unit
from yingji.core.schemas import TERRITORIAL_KINDS, Page
from yingji.core.scope import Principal, get_scoped, in_subtree, scoped
from yingji.core.service import paginate
from yingji.errors import UserError
from yingji.i18n import N_
from yingji.risks import common, defaults
from yingji.risks.models import Hazard, RiskAssessment, RiskItem
from yingji.risks.schemas import AssessmentCreate, AssessmentRead, RiskItemCreate, RiskItemRead

LEVEL_LABELS = {"major": N_("major risk"), "large": N_("large risk"), "general": N_("general risk"),
                "low": N_("low risk")}
LEVEL_COLOURS = {"major": "red", "large": "orange", "general": "yellow", "low": "blue"}
CATEGORY_LABELS = {1: N_("natural disaster"), 2: N_("accident"), 3: N_("public health"), 4: N_("social security")}


def assessments_statement(principal: Principal, *, q: str = "") -> Select[RiskAssessment]:
    """The assessments in scope, the latest year first (the list, its pages and its export)."""
    stmt = scoped(select(RiskAssessment), principal)
    if q:
        stmt = stmt.where(RiskAssessment.title.ilike(f"%{q}%"))
    return stmt.order_by(RiskAssessment.year.desc(), RiskAssessment.id.desc())


def list_assessments(session: Session, principal: Principal, *, q: str = "", page: int = 1,
                     per_page: int = 50) -> Page[AssessmentRead]:
    return paginate(session, assessments_statement(principal, q=q), AssessmentRead, page=page, per_page=per_page)


def item_counts(session: Session, assessment_ids: list[int]) -> dict[int, int]:
    """How many risks each assessment lists."""
    if not assessment_ids:
        return {}
    rows = session.execute(select(RiskItem.assessment_id, func.count()).where(
        RiskItem.assessment_id.in_(assessment_ids)).group_by(RiskItem.assessment_id))
    return {assessment_id: count for assessment_id, count in rows}


def get(session: Session, principal: Principal, assessment_id: int, action: str = roles.READ) -> RiskAssessment:
    return get_scoped(session, principal, RiskAssessment, assessment_id, action)


def create(session: Session, principal: Principal, data: AssessmentCreate) -> RiskAssessment:
    unit = common.unit_for_write(session, principal, data.unit_id)
    if unit.kind not in TERRITORIAL_KINDS:
        raise UserError("Risk assessments are made for areas (a county, a township, the city).", field="unit_id")
    row = RiskAssessment(**data.model_dump(), created_by_id=principal.user_id)
    return common.created(session, principal, row, "risks_assessment")


def score(session: Session, likelihood: int, consequence: int) -> tuple[int, str]:
    rules = defaults.values(session)
    size = rules[defaults.MATRIX_SIZE]
    if likelihood > size:
        raise UserError("Likelihood runs from 1 to %(n)s.", field="likelihood", n=size)
    if consequence > size:
        raise UserError("Consequence runs from 1 to %(n)s.", field="consequence", n=size)
    product = likelihood * consequence
    return product, defaults.risk_level(rules, product)


def add_item(session: Session, principal: Principal, assessment_id: int, data: RiskItemCreate) -> RiskItem:
    assessment = get(session, principal, assessment_id, roles.WRITE)
    unit_id = data.unit_id or assessment.unit_id
    if unit_id != assessment.unit_id:
        area = session.get(Unit, assessment.unit_id)
        unit = common.unit_for_write(session, principal, unit_id)
        if area is None or not unit.path.startswith(area.path):
            raise UserError("A risk item lies in the assessed area.", field="unit_id")
    if data.hazard_id is not None:
        get_scoped(session, principal, Hazard, data.hazard_id)
    product, level = score(session, data.likelihood, data.consequence)
    row = RiskItem(**data.model_dump(exclude={"unit_id"}), unit_id=unit_id, assessment_id=assessment.id,
                   score=product, level=level)
    return common.created(session, principal, row, "risks_item")


def get_item(session: Session, principal: Principal, risk_item_id: int, action: str = roles.READ) -> RiskItem:
    return get_scoped(session, principal, RiskItem, risk_item_id, action)


def rescore(session: Session, principal: Principal, risk_item_id: int, likelihood: int, consequence: int) -> RiskItem:
    row = get_item(session, principal, risk_item_id, roles.WRITE)
    before = audit.snapshot(row)
    row.score, row.level = score(session, likelihood, consequence)
    row.likelihood, row.consequence = likelihood, consequence
    return common.changed(session, principal, row, "risks_item", before)


def items(session: Session, principal: Principal, assessment_id: int) -> list[RiskItem]:
    get(session, principal, assessment_id)
    stmt = scoped(select(RiskItem), principal).where(RiskItem.assessment_id == assessment_id)
    return list(session.scalars(stmt.order_by(RiskItem.score.desc(), RiskItem.id)))


def risk_list_statement(session: Session, principal: Principal, *, area_id: int | None = None, level: str = "",
                        category: int | None = None, q: str = "") -> Any:
    """The public-safety risk list of an area: every risk item in its subtree, worst first."""
    stmt = scoped(select(RiskItem), principal)
    if area_id is not None:
        area = get_scoped(session, principal, Unit, area_id)
        stmt = stmt.where(RiskItem.unit_id.in_(select(Unit.id).where(in_subtree(Unit.path, area.path))))
    if level:
        stmt = stmt.where(RiskItem.level == level)
    if category is not None:
        stmt = stmt.where(RiskItem.category == category)
    if q:
        stmt = stmt.where(or_(RiskItem.name.ilike(f"%{q}%"), RiskItem.description.ilike(f"%{q}%")))
    return stmt.order_by(RiskItem.score.desc(), RiskItem.id)


def risk_list(session: Session, principal: Principal, *, page: int = 1, per_page: int = 50,
              **filters: Any) -> Page[RiskItemRead]:
    return paginate(session, risk_list_statement(session, principal, **filters), RiskItemRead, page=page,
                    per_page=per_page)


def map_features(session: Session, principal: Principal, limit: int = 2000) -> dict[str, Any]:
    """GeoJSON of the risk items and hazard sources with a position, in the principal's area."""
    features: list[dict[str, Any]] = []
    for row in session.scalars(scoped(select(RiskItem), principal).where(RiskItem.lon.is_not(None),
                                                                          RiskItem.lat.is_not(None)).limit(limit)):
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]},
                         "properties": {"kind": "risk", "id": row.id, "name": row.name, "level": row.level,
                                        "colour": LEVEL_COLOURS[row.level], "score": row.score,
                                        "link": f"/risks/assessments/{row.assessment_id}"}})
    for hazard in session.scalars(scoped(select(Hazard), principal).where(Hazard.lon.is_not(None),
                                                                          Hazard.lat.is_not(None)).limit(limit)):
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [hazard.lon, hazard.lat]},
                         "properties": {"kind": "hazard", "id": hazard.id, "name": hazard.name, "level": hazard.level,
                                        "colour": "purple", "link": f"/risks/hazards/{hazard.id}"}})
    return {"type": "FeatureCollection", "features": features}

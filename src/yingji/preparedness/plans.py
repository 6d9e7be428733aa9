"""Plans (预案): registry, versions, status, filing (备案) with an office above the owner, the linkage table
of R2.2, and the coverage matrix (横向到边、纵向到底)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.models import Unit
from yingji.core.schemas import Page
from yingji.core.scope import Principal, get_scoped, in_subtree, recheck, scoped, unit_in_scope
from yingji.core.service import paginate
from yingji.db import lock_for_change
from yingji.errors import Conflict, NotFound, UserError
from yingji.preparedness.models import PrepFiling, PrepLinkage, PrepLinkageMember, PrepPlan
from yingji.preparedness.schemas import (
    PLAN_MOVES,
    FilingCreate,
    FilingDecision,
    FilingRead,
    LinkageCreate,
    LinkageMemberCreate,
    PlanCreate,
    PlanRead,
    PlanRevise,
    PlanStatus,
)


def _created(session: Session, principal: Principal, row: Any, entity_type: str) -> None:
    session.add(row)
    recheck(session, principal, row)
    audit.record(session, principal, action="create", entity_type=entity_type, entity_id=row.id,
                 unit_id=row.unit_id, after=audit.snapshot(row))


def _changed(session: Session, principal: Principal, row: Any, entity_type: str, before: dict[str, Any],
             action: str = "update") -> None:
    session.flush()
    audit.record(session, principal, action=action, entity_type=entity_type, entity_id=row.id,
                 unit_id=row.unit_id, before=before, after=audit.snapshot(row))


# --- plans ---------------------------------------------------------------------------------------

def get_plan(session: Session, principal: Principal, plan_id: int, action: str = roles.READ) -> PrepPlan:
    return get_scoped(session, principal, PrepPlan, plan_id, action)


def list_plans(session: Session, principal: Principal, *, q: str = "", plan_type: str = "", status: str = "",
               within: int | None = None, due_only: bool = False, page: int = 1, per_page: int = 50) -> Page[Any]:
    stmt = scoped(select(PrepPlan), principal).order_by(PrepPlan.id.desc())
    if q:
        stmt = stmt.where(PrepPlan.title.contains(q, autoescape=True))
    if plan_type:
        stmt = stmt.where(PrepPlan.plan_type == plan_type)
    if status:
        stmt = stmt.where(PrepPlan.status == status)
    if within is not None:
        area = unit_in_scope(session, principal, within)
        stmt = stmt.where(PrepPlan.unit_id.in_(select(Unit.id).where(in_subtree(Unit.path, area.path))))
    if due_only:
        stmt = stmt.where(PrepPlan.status.in_(("in_force", "under_revision")),
                          func.coalesce(PrepPlan.last_evaluated_on, PrepPlan.issued_on) < revision_cutoff())
    return paginate(session, stmt, PlanRead, page=page, per_page=per_page)


def revision_cutoff(on: date | None = None, years: int = 3) -> date:
    from yingji.preparedness.measures import evaluation_cutoff

    return evaluation_cutoff(on or clock.now().date(), years)


def revision_due(plan: PrepPlan, years: int = 3) -> date | None:
    """The date by which the plan is to be evaluated (and revised if need be)."""
    from yingji.preparedness.measures import evaluation_cutoff

    base = plan.last_evaluated_on or plan.issued_on
    if base is None:
        return None
    return evaluation_cutoff(base, -years)


def create_plan(session: Session, principal: Principal, data: PlanCreate) -> PrepPlan:
    unit_in_scope(session, principal, data.unit_id, roles.WRITE)
    if data.parent_id is not None:
        get_plan(session, principal, data.parent_id)
    today = clock.now().date()
    if data.issued_on is not None and data.issued_on > today:
        raise UserError("The date lies in the future.", field="issued_on")
    if data.status == "in_force" and data.issued_on is None:
        raise UserError("A plan in force needs its date of issue.", field="issued_on")
    plan = PrepPlan(**data.model_dump())
    _created(session, principal, plan, "prep_plan")
    return plan


def set_status(session: Session, principal: Principal, plan_id: int, data: PlanStatus) -> PrepPlan:
    plan = get_plan(session, principal, plan_id, roles.WRITE)
    lock_for_change(session, plan)
    if data.status != plan.status and data.status not in PLAN_MOVES[plan.status]:
        raise Conflict("A plan cannot go from this status to that one.", field="status")
    if data.status == "in_force" and plan.issued_on is None:
        raise UserError("A plan in force needs its date of issue.", field="issued_on")
    if data.last_evaluated_on is not None and data.last_evaluated_on > clock.now().date():
        raise UserError("The date lies in the future.", field="last_evaluated_on")
    before = audit.snapshot(plan)
    plan.status = data.status
    if data.last_evaluated_on is not None:
        plan.last_evaluated_on = data.last_evaluated_on
    _changed(session, principal, plan, "prep_plan", before)
    return plan


def revise(session: Session, principal: Principal, plan_id: int, data: PlanRevise) -> PrepPlan:
    """A new version in force; the old one is superseded (never rewritten)."""
    old = get_plan(session, principal, plan_id, roles.WRITE)
    lock_for_change(session, old)
    if old.status == "superseded":
        raise Conflict("This plan has been superseded; revise its latest version.")
    if data.issued_on > clock.now().date():
        raise UserError("The date lies in the future.", field="issued_on")
    if data.version == old.version:
        raise UserError("The new version needs a new version number.", field="version")
    new = PrepPlan(unit_id=old.unit_id, title=data.title or old.title, plan_type=old.plan_type,
                   event_types=list(old.event_types), version=data.version, issued_on=data.issued_on,
                   status="in_force", parent_id=old.parent_id, supersedes_id=old.id, last_evaluated_on=data.issued_on,
                   note=data.note)
    _created(session, principal, new, "prep_plan")
    before = audit.snapshot(old)
    old.status = "superseded"
    _changed(session, principal, old, "prep_plan", before)
    return new


def attach_document(session: Session, principal: Principal, plan_id: int, attachment_id: int) -> PrepPlan:
    plan = get_plan(session, principal, plan_id, roles.WRITE)
    before = audit.snapshot(plan)
    plan.document_id = attachment_id
    _changed(session, principal, plan, "prep_plan", before)
    return plan


def children(session: Session, principal: Principal, plan_id: int) -> list[PrepPlan]:
    return list(session.scalars(scoped(select(PrepPlan), principal).where(PrepPlan.parent_id == plan_id)
                                .order_by(PrepPlan.id)))


# --- filing --------------------------------------------------------------------------------------

def file_plan(session: Session, principal: Principal, plan_id: int, data: FilingCreate) -> PrepFiling:
    """File the plan with an office strictly above its owner (the office must exist in the tree)."""
    plan = get_plan(session, principal, plan_id, roles.WRITE)
    lock_for_change(session, plan)
    owner = session.get(Unit, plan.unit_id)
    office = session.get(Unit, data.office_id)
    assert owner is not None
    if office is None or office.id == owner.id or not owner.path.startswith(office.path):
        raise UserError("A plan is filed with an office above its owner.", field="office_id")
    if plan.status in ("draft", "superseded"):
        raise Conflict("Only a plan in force is filed.", field="status")
    if data.filed_on > clock.now().date():
        raise UserError("The date lies in the future.", field="filed_on")
    if plan.issued_on is not None and data.filed_on < plan.issued_on:
        raise UserError("A plan is filed after it is issued.", field="filed_on")
    pending = session.scalar(select(func.count()).select_from(PrepFiling).where(
        PrepFiling.plan_id == plan.id, PrepFiling.state.in_(("submitted", "accepted"))))
    if pending:
        raise Conflict("This plan is already filed.")
    filing = PrepFiling(plan_id=plan.id, unit_id=plan.unit_id, office_id=office.id, filed_on=data.filed_on)
    _created(session, principal, filing, "prep_filing")
    return filing


def get_filing(session: Session, principal: Principal, filing_id: int, action: str = roles.READ) -> PrepFiling:
    return get_scoped(session, principal, PrepFiling, filing_id, action)


def decide_filing(session: Session, principal: Principal, filing_id: int, data: FilingDecision) -> PrepFiling:
    """The office (or one above it) accepts the filing or returns it with reasons."""
    filing = get_filing(session, principal, filing_id, roles.WRITE)
    lock_for_change(session, filing)
    office = session.get(Unit, filing.office_id)
    assert office is not None
    if not principal.is_global and not office.path.startswith(principal.unit_path):
        raise NotFound("Not found, or not within your area.")
    if filing.state != "submitted":
        raise Conflict("This filing has been decided already.")
    if not data.accept and not data.reasons.strip():
        raise UserError("Say why the plan is returned.", field="reasons")
    before = audit.snapshot(filing)
    filing.state = "accepted" if data.accept else "returned"
    filing.reasons = data.reasons.strip()
    filing.decided_at, filing.decided_by_id = clock.now(), principal.user_id
    _changed(session, principal, filing, "prep_filing", before)
    return filing


def filings(session: Session, principal: Principal, plan_id: int) -> list[PrepFiling]:
    get_plan(session, principal, plan_id)
    return list(session.scalars(scoped(select(PrepFiling), principal).where(PrepFiling.plan_id == plan_id)
                                .order_by(PrepFiling.id)))


def filings_to_decide(session: Session, principal: Principal, *, q: str = "", within: int | None = None,
                      start: date | None = None, end: date | None = None, page: int = 1,
                      per_page: int = 50) -> Page[Any]:
    """Filings waiting for an office in the principal's part of the tree, oldest first: optionally those of plans
    whose title contains ``q``, filed by units below the area ``within``, filed between ``start`` and ``end``."""
    office = select(Unit.id)
    if not principal.is_global:
        office = office.where(in_subtree(Unit.path, principal.unit_path))
    stmt = scoped(select(PrepFiling), principal).where(PrepFiling.state == "submitted",
                                                       PrepFiling.office_id.in_(office))
    if q:
        titled = select(PrepPlan.id).where(PrepPlan.title.contains(q, autoescape=True))
        stmt = stmt.where(PrepFiling.plan_id.in_(titled))
    if within is not None:
        area = unit_in_scope(session, principal, within)
        stmt = stmt.where(PrepFiling.unit_id.in_(select(Unit.id).where(in_subtree(Unit.path, area.path))))
    if start is not None:
        stmt = stmt.where(PrepFiling.filed_on >= start)
    if end is not None:
        stmt = stmt.where(PrepFiling.filed_on <= end)
    return paginate(session, stmt.order_by(PrepFiling.filed_on, PrepFiling.id), FilingRead, page=page,
                    per_page=per_page)


# --- linkage (R2.2) ------------------------------------------------------------------------------

def create_linkage(session: Session, principal: Principal, data: LinkageCreate) -> PrepLinkage:
    owner = unit_in_scope(session, principal, data.unit_id, roles.WRITE)
    lead = unit_in_scope(session, principal, data.lead_unit_id)
    if not lead.path.startswith(owner.path):
        raise UserError("The lead department belongs to the table's area.", field="lead_unit_id")
    taken = session.scalar(select(func.count()).select_from(PrepLinkage).where(
        PrepLinkage.unit_id == owner.id, PrepLinkage.event_type == data.event_type))
    if taken:
        raise Conflict("This event type already has a row in the table.", field="event_type")
    row = PrepLinkage(**data.model_dump())
    _created(session, principal, row, "prep_linkage")
    return row


def get_linkage(session: Session, principal: Principal, linkage_id: int, action: str = roles.READ) -> PrepLinkage:
    return get_scoped(session, principal, PrepLinkage, linkage_id, action)


def add_linkage_member(session: Session, principal: Principal, linkage_id: int,
                       data: LinkageMemberCreate) -> PrepLinkageMember:
    row = get_linkage(session, principal, linkage_id, roles.WRITE)
    owner = session.get(Unit, row.unit_id)
    member = unit_in_scope(session, principal, data.member_unit_id)
    assert owner is not None
    if not member.path.startswith(owner.path):
        raise UserError("The unit belongs to the table's area.", field="member_unit_id")
    if member.id == row.lead_unit_id or session.scalar(select(func.count()).select_from(PrepLinkageMember).where(
            PrepLinkageMember.linkage_id == row.id, PrepLinkageMember.member_unit_id == member.id)):
        raise Conflict("This unit is already in the row.", field="member_unit_id")
    item = PrepLinkageMember(linkage_id=row.id, unit_id=row.unit_id, member_unit_id=member.id, role=data.role,
                             duties=data.duties)
    _created(session, principal, item, "prep_linkage_member")
    return item


@dataclass
class LinkageRow:
    linkage: PrepLinkage
    lead: str
    members: list[tuple[str, str, str]] = field(default_factory=list)  # (role, unit name, duties)


def linkage_table(session: Session, principal: Principal, *, event_type: str = "") -> list[LinkageRow]:
    stmt = scoped(select(PrepLinkage), principal).order_by(PrepLinkage.unit_id, PrepLinkage.event_type)
    if event_type:
        stmt = stmt.where(PrepLinkage.event_type == event_type)
    rows = list(session.scalars(stmt.limit(1000)))
    ids = [r.id for r in rows]
    members = session.execute(select(PrepLinkageMember.linkage_id, PrepLinkageMember.role, Unit.name,
                                     PrepLinkageMember.duties)
                              .join(Unit, Unit.id == PrepLinkageMember.member_unit_id)
                              .where(PrepLinkageMember.linkage_id.in_(ids))
                              .order_by(PrepLinkageMember.role, PrepLinkageMember.id)).all() if ids else []
    names = dict(session.execute(select(Unit.id, Unit.name).where(
        Unit.id.in_({r.lead_unit_id for r in rows}))).all()) if rows else {}
    out = {r.id: LinkageRow(r, names.get(r.lead_unit_id, "")) for r in rows}
    for linkage_id, role, name, duties in members:
        out[linkage_id].members.append((role, name, duties))
    return list(out.values())


# --- coverage (横向到边、纵向到底) ------------------------------------------------------------------

@dataclass
class CoverageCell:
    total: int = 0
    covered: int = 0

    @property
    def missing(self) -> int:
        return self.total - self.covered


def coverage(session: Session, principal: Principal, *, on: date, within: Unit | None = None,
             kind: str = "") -> tuple[list[tuple[int, str]], list[str], dict[tuple[int, str], CoverageCell]]:
    """Per area (county or zone) and unit kind: how many units must have a plan and how many have one;
    optionally only below the area ``within`` (already checked in scope) and only units of ``kind``."""
    from yingji.preparedness import (
        compliance,
        measures,  # noqa: F401  (registers the measures)
    )

    evaluation = compliance.evaluate(session, principal, on=on, within=within, kinds=(kind,) if kind else (),
                                     rule_codes=("plan_coverage",))
    cells: dict[tuple[int, str], CoverageCell] = {}
    for r in evaluation.results:
        cell = cells.setdefault((r.area_id or r.unit_id, r.unit_kind), CoverageCell())
        cell.total += 1
        cell.covered += r.status == compliance.COMPLIANT
    area_ids = sorted({a for a, _k in cells})
    names = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(area_ids))).all())
    kinds = sorted({k for _a, k in cells})
    return [(a, names.get(a, "")) for a in area_ids], kinds, cells

"""Checklist templates, inspections and their findings (隐患排查整改): rectified → verified → closed with
evidence; a finding still open after its deadline escalates once to the offices above; closed-loop statistics."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, notify, roles
from yingji.core.models import Attachment, Unit, User
from yingji.core.schemas import Page
from yingji.core.scope import Principal, get_scoped, scoped
from yingji.core.service import paginate
from yingji.db import lock_for_change
from yingji.errors import Conflict, UserError
from yingji.i18n import N_, gettext
from yingji.risks import common, defaults
from yingji.risks.models import ChecklistTemplate, Finding, Hazard, Inspection
from yingji.risks.schemas import (
    ChecklistCreate,
    ClosedLoopRow,
    FindingCreate,
    FindingRead,
    InspectionCreate,
    InspectionRead,
    Rectify,
)

EVIDENCE_ENTITY = "risks_finding"
STATE_LABELS = {"open": N_("awaiting rectification"), "rectified": N_("rectified"), "verified": N_("verified"),
                "closed": N_("closed out")}
SEVERITY_LABELS = {"general": N_("general hidden hazard"), "major": N_("major hidden hazard")}
KIND_LABELS = {"department": N_("department inspection"), "grid": N_("grid officer's check"),
               "self_check": N_("enterprise self-check")}
ESCALATE_TO_ROLES = ("county_office", "prefecture_office", "township_officer")


# --- checklist templates ----------------------------------------------------------------------

def list_checklists(session: Session, principal: Principal, purpose: str = "") -> list[ChecklistTemplate]:
    stmt = scoped(select(ChecklistTemplate), principal)
    if purpose:
        stmt = stmt.where(ChecklistTemplate.purpose == purpose)
    return list(session.scalars(stmt.order_by(ChecklistTemplate.id).limit(500)))


def visible_checklists(session: Session, principal: Principal, purpose: str = "") -> list[ChecklistTemplate]:
    """Templates in the principal's area and those kept by the offices above it (they apply downwards)."""
    return list(session.scalars(checklists_statement(principal, purpose=purpose).limit(500)))


def checklists_statement(principal: Principal, *, purpose: str = "", q: str = "", unit_id: int | None = None) -> Any:
    """The checklists a principal may use (its area's and those kept by the offices above it), by id;
    narrowed to a purpose, a name containing ``q`` and the unit that keeps them."""
    ancestors = [int(p) for p in principal.unit_path.strip("/").split("/") if p]
    stmt = select(ChecklistTemplate)
    if not principal.is_global:
        own = scoped(select(ChecklistTemplate.id), principal, model=ChecklistTemplate)
        stmt = stmt.where(ChecklistTemplate.id.in_(own) | ChecklistTemplate.unit_id.in_(ancestors))
    if purpose:
        stmt = stmt.where(ChecklistTemplate.purpose == purpose)
    if q:
        stmt = stmt.where(ChecklistTemplate.name.contains(q, autoescape=True))
    if unit_id is not None:
        stmt = stmt.where(ChecklistTemplate.unit_id == unit_id)
    return stmt.order_by(ChecklistTemplate.id)


def get_checklist(session: Session, principal: Principal, checklist_id: int,
                  action: str = roles.READ) -> ChecklistTemplate:
    return get_scoped(session, principal, ChecklistTemplate, checklist_id, action)


def usable_checklist(session: Session, principal: Principal, checklist_id: int, purpose: str) -> ChecklistTemplate:
    found = next((c for c in visible_checklists(session, principal, purpose) if c.id == checklist_id), None)
    if found is None:
        raise UserError("That checklist is not available here.", field="checklist_id")
    return found


def create_checklist(session: Session, principal: Principal, data: ChecklistCreate) -> ChecklistTemplate:
    common.unit_for_write(session, principal, data.unit_id)
    return common.created(session, principal, ChecklistTemplate(**data.model_dump()), "risks_checklist")


def check_results(results: dict[str, bool], checklist: ChecklistTemplate | None) -> dict[str, bool]:
    if checklist is None:
        if results:
            raise UserError("Answers need a checklist.", field="results")
        return {}
    unknown = set(results) - set(checklist.items)
    if unknown:
        raise UserError("An answer names an item that is not on the checklist.", field="results")
    return results


# --- inspections --------------------------------------------------------------------------------

def inspections_statement(session: Session, principal: Principal, *, q: str = "", kind: str = "",
                          hazard_id: int | None = None) -> Any:
    stmt = scoped(select(Inspection), principal)
    if q:
        stmt = stmt.where(Inspection.title.ilike(f"%{q}%"))
    if kind:
        stmt = stmt.where(Inspection.kind == kind)
    if hazard_id is not None:
        stmt = stmt.where(Inspection.hazard_id == hazard_id)
    return stmt.order_by(Inspection.inspected_at.desc(), Inspection.id.desc())


def list_inspections(session: Session, principal: Principal, *, page: int = 1, per_page: int = 50,
                     **filters: Any) -> Page[InspectionRead]:
    return paginate(session, inspections_statement(session, principal, **filters), InspectionRead, page=page,
                    per_page=per_page)


def get_inspection(session: Session, principal: Principal, inspection_id: int,
                   action: str = roles.READ) -> Inspection:
    return get_scoped(session, principal, Inspection, inspection_id, action)


def create_inspection(session: Session, principal: Principal, data: InspectionCreate) -> Inspection:
    common.unit_for_write(session, principal, data.unit_id)
    if data.hazard_id is not None:
        hazard = get_scoped(session, principal, Hazard, data.hazard_id)
        if hazard.unit_id != data.unit_id:
            raise UserError("The hazard source belongs to another unit.", field="hazard_id")
    checklist = usable_checklist(session, principal, data.checklist_id, "inspection") if data.checklist_id else None
    at = common.aware(data.inspected_at) if data.inspected_at else clock.now()
    if at > clock.now() + timedelta(minutes=5):
        raise UserError("An inspection cannot be recorded before it happens.", field="inspected_at")
    row = Inspection(**data.model_dump(exclude={"inspected_at", "results"}), inspected_at=at,
                     results=check_results(data.results, checklist), inspector_id=principal.user_id)
    return common.created(session, principal, row, "risks_inspection")


# --- findings -----------------------------------------------------------------------------------

def _sector(session: Session, unit_id: int) -> str:
    unit = session.get(Unit, unit_id)
    return (unit.high_risk_industry if unit is not None and unit.high_risk_industry else unit.kind if unit else "") \
        or "other"


def add_finding(session: Session, principal: Principal, inspection_id: int, data: FindingCreate) -> Finding:
    inspection = get_inspection(session, principal, inspection_id, roles.WRITE)
    deadline = common.aware(data.deadline)
    if deadline <= clock.now():
        raise UserError("The rectification deadline must lie in the future.", field="deadline")
    row = Finding(**data.model_dump(exclude={"deadline"}), deadline=deadline, inspection_id=inspection.id,
                  unit_id=inspection.unit_id, sector=_sector(session, inspection.unit_id))
    return common.created(session, principal, row, "risks_finding")


def get_finding(session: Session, principal: Principal, finding_id: int, action: str = roles.READ) -> Finding:
    return get_scoped(session, principal, Finding, finding_id, action)


def findings_statement(session: Session, principal: Principal, *, status: str = "", severity: str = "",
                       overdue: bool = False, inspection_id: int | None = None, q: str = "") -> Any:
    stmt = scoped(select(Finding), principal)
    if status:
        stmt = stmt.where(Finding.status == status)
    if severity:
        stmt = stmt.where(Finding.severity == severity)
    if overdue:
        stmt = stmt.where(Finding.status == "open", Finding.deadline < clock.now())
    if inspection_id is not None:
        stmt = stmt.where(Finding.inspection_id == inspection_id)
    if q:
        stmt = stmt.where(Finding.description.ilike(f"%{q}%"))
    return stmt.order_by(Finding.deadline, Finding.id)


def list_findings(session: Session, principal: Principal, *, page: int = 1, per_page: int = 50,
                  **filters: Any) -> Page[FindingRead]:
    return paginate(session, findings_statement(session, principal, **filters), FindingRead, page=page,
                    per_page=per_page)


def evidence(session: Session, finding_id: int) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(Attachment.entity_type == EVIDENCE_ENTITY,
                                                         Attachment.entity_id == str(finding_id))
                                .order_by(Attachment.id)))


def _step(session: Session, principal: Principal, finding_id: int, expected: str) -> tuple[Finding, dict[str, Any]]:
    row = get_finding(session, principal, finding_id, roles.WRITE)
    lock_for_change(session, row)
    if row.status != expected:
        raise Conflict("This hidden hazard is %(state)s; that step is not possible now.",
                       state=gettext(STATE_LABELS[row.status]))
    return row, audit.snapshot(row)


def rectify(session: Session, principal: Principal, finding_id: int, data: Rectify) -> Finding:
    row, before = _step(session, principal, finding_id, "open")
    row.status, row.rectification, row.rectified_at = "rectified", data.rectification, clock.now()
    return common.changed(session, principal, row, "risks_finding", before, action="rectify")


def verify(session: Session, principal: Principal, finding_id: int) -> Finding:
    row, before = _step(session, principal, finding_id, "rectified")
    row.status, row.verified_at, row.verified_by_id = "verified", clock.now(), principal.user_id
    return common.changed(session, principal, row, "risks_finding", before, action="verify")


def close(session: Session, principal: Principal, finding_id: int) -> Finding:
    row, before = _step(session, principal, finding_id, "verified")
    if not any(a.content_type.startswith("image/") for a in evidence(session, row.id)):
        raise UserError("A hidden hazard is closed only with a photo of the rectification as evidence.",
                        field="evidence")
    row.status, row.closed_at = "closed", clock.now()
    return common.changed(session, principal, row, "risks_finding", before, action="close")


def reject(session: Session, principal: Principal, finding_id: int) -> Finding:
    """Verification failed: back to open (the deadline stands)."""
    row, before = _step(session, principal, finding_id, "rectified")
    row.status, row.rectified_at = "open", None
    return common.changed(session, principal, row, "risks_finding", before, action="reject")


# --- escalation (periodic) --------------------------------------------------------------------------

def _offices_above(session: Session, unit_id: int) -> list[User]:
    """The emergency offices (and township officers) of the units above: the nearest level that has any."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        return []
    chain = [int(p) for p in unit.path.strip("/").split("/") if p][:-1]
    users = list(session.scalars(select(User).where(User.unit_id.in_(chain), User.role.in_(ESCALATE_TO_ROLES),
                                                    User.is_active.is_(True))))
    for ancestor in reversed(chain):
        nearest = [u for u in users if u.unit_id == ancestor]
        if nearest:
            return nearest
    return []


def escalate_overdue(session: Session, principal: Principal, now: datetime | None = None) -> int:
    """Open findings past their deadline (plus the grace rule): the offices above and the duty desk are told,
    once per finding (``escalated_at``)."""
    now = now or clock.now()
    grace = timedelta(hours=defaults.value(session, defaults.ESCALATE_GRACE))
    due = list(session.scalars(select(Finding).where(Finding.status == "open", Finding.escalated_at.is_(None),
                                                     Finding.deadline < now - grace).order_by(Finding.id).limit(500)
                               .with_for_update(skip_locked=True)))
    names = common.unit_names(session, [f.unit_id for f in due])
    for finding in due:
        before = audit.snapshot(finding)
        finding.escalated_at = now
        subject = gettext("Hidden hazard not rectified by its deadline: %(unit)s — %(text)s") % {
            "unit": names.get(finding.unit_id, ""), "text": finding.description[:80]}
        link = f"/risks/findings/{finding.id}"
        notify.notify(session, principal, users=_offices_above(session, finding.unit_id), subject=subject,
                      body=gettext("Responsible: %(who)s") % {"who": finding.responsible}, link=link)
        _dispatch(session, principal, finding.unit_id, "finding", finding.id, subject, link,
                  leaders=finding.severity == "major")
        audit.record(session, principal, action="escalate", entity_type="risks_finding", entity_id=finding.id,
                     unit_id=finding.unit_id, before=before, after=audit.snapshot(finding))
    return len(due)


def _dispatch(session: Session, principal: Principal, unit_id: int, kind: str, ref_id: int, subject: str,
              link: str, leaders: bool = False) -> int:
    try:
        from yingji.duty import routing
    except ImportError:  # a platform without duty routing: the notifications above still go out
        return 0
    return len(routing.dispatch(session, principal, unit_id=unit_id, kind=kind, ref_id=ref_id, subject=subject,
                                link=link, leaders=leaders))


# --- closed-loop statistics ---------------------------------------------------------------------------

def closed_loop(session: Session, principal: Principal, by: str = "county") -> list[ClosedLoopRow]:
    """Per county (or per sector): findings, closed, closed on time, overdue open, open; closure rate."""
    now = clock.now()
    on_time = case((Finding.rectified_at.is_not(None) & (Finding.rectified_at <= Finding.deadline), 1), else_=0)
    overdue = case(((Finding.status == "open") & (Finding.deadline < now), 1), else_=0)
    closed = case((Finding.status == "closed", 1), else_=0)
    open_ = case((Finding.status != "closed", 1), else_=0)
    if by == "sector":
        key = Finding.sector
        stmt = scoped(select(key, func.count(), func.sum(closed), func.sum(on_time), func.sum(overdue),
                             func.sum(open_)), principal, model=Finding).group_by(key)
        rows = session.execute(stmt).all()
        labels = {k: k for k, *_ in rows}
    else:
        county = Unit.__table__.alias("county")
        owner = Unit.__table__.alias("owner")
        # The county of a row: the unit at depth 1 whose path begins the owner's path.
        stmt = scoped(select(county.c.id, func.count(), func.sum(closed), func.sum(on_time), func.sum(overdue),
                             func.sum(open_)), principal, model=Finding)
        stmt = stmt.join(owner, owner.c.id == Finding.unit_id).join(
            county, (county.c.depth == 1) & (func.substr(owner.c.path, 1, func.length(county.c.path)) == county.c.path)
        ).group_by(county.c.id)
        rows = session.execute(stmt).all()
        labels = {k: v for k, v in common.unit_names(session, [r[0] for r in rows]).items()}
    out = []
    for key_value, total, n_closed, n_on_time, n_overdue, n_open in rows:
        total = int(total or 0)
        out.append(ClosedLoopRow(key=str(key_value), label=str(labels.get(key_value, key_value)), total=total,
                                 closed=int(n_closed or 0), on_time=int(n_on_time or 0), overdue=int(n_overdue or 0),
                                 open=int(n_open or 0),
                                 rate=round(100 * int(n_closed or 0) / total, 1) if total else None))
    return sorted(out, key=lambda r: r.label)

"""Grassroots demonstration sites (R4.7): 四进 category, the 七有 checklist with evidence for each item, the
六抓 self-assessment, accreditation, and growth per county against the yearly target."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.models import Attachment, Unit
from yingji.core.schemas import Page
from yingji.core.scope import Principal, get_scoped, recheck, scoped, unit_in_scope
from yingji.core.service import paginate
from yingji.errors import UserError
from yingji.preparedness.models import PrepSite, PrepSiteItem
from yingji.preparedness.schemas import SEVEN_HAVES, SiteAccredit, SiteAssessment, SiteCreate, SiteItemUpdate, SiteRead


def _audit(session: Session, principal: Principal, row: Any, entity_type: str, action: str,
           before: dict[str, Any] | None = None) -> None:
    session.flush()
    audit.record(session, principal, action=action, entity_type=entity_type, entity_id=row.id, unit_id=row.unit_id,
                 before=before, after=audit.snapshot(row))


def create(session: Session, principal: Principal, data: SiteCreate) -> PrepSite:
    unit_in_scope(session, principal, data.unit_id, roles.WRITE)
    if data.accredited_year is not None and data.accredited_year > clock.now().year:
        raise UserError("The year lies in the future.", field="accredited_year")
    site = PrepSite(**data.model_dump(), self_assessment={})
    session.add(site)
    recheck(session, principal, site)
    for item in SEVEN_HAVES:
        session.add(PrepSiteItem(site_id=site.id, unit_id=site.unit_id, item=item))
    _audit(session, principal, site, "prep_site", "create")
    return site


def get(session: Session, principal: Principal, site_id: int, action: str = roles.READ) -> PrepSite:
    return get_scoped(session, principal, PrepSite, site_id, action)


def list_(session: Session, principal: Principal, *, q: str = "", category: str = "", page: int = 1,
          per_page: int = 50) -> Page[Any]:
    stmt = scoped(select(PrepSite), principal).order_by(PrepSite.id.desc())
    if q:
        stmt = stmt.where(PrepSite.name.contains(q, autoescape=True))
    if category:
        stmt = stmt.where(PrepSite.category == category)
    return paginate(session, stmt, SiteRead, page=page, per_page=per_page)


def items(session: Session, principal: Principal, site_id: int) -> list[PrepSiteItem]:
    get(session, principal, site_id)
    order = list(SEVEN_HAVES)
    found = list(session.scalars(select(PrepSiteItem).where(PrepSiteItem.site_id == site_id)))
    return sorted(found, key=lambda i: order.index(i.item) if i.item in order else len(order))


def get_item(session: Session, principal: Principal, item_id: int, action: str = roles.READ) -> PrepSiteItem:
    return get_scoped(session, principal, PrepSiteItem, item_id, action)


def update_item(session: Session, principal: Principal, item_id: int, data: SiteItemUpdate) -> PrepSiteItem:
    """An item is done only with evidence: a file stored for the site's unit."""
    item = get_item(session, principal, item_id, roles.WRITE)
    evidence = item.evidence_id if data.evidence_id is None else data.evidence_id
    if data.evidence_id is not None:
        found = session.get(Attachment, data.evidence_id)
        if found is None or found.unit_id != item.unit_id:
            raise UserError("The evidence must be a file of this site's unit.", field="evidence_id")
    if data.done and evidence is None:
        raise UserError("An item is marked done only with evidence: attach a file.", field="evidence_id")
    before = audit.snapshot(item)
    item.done, item.evidence_id = data.done, evidence
    if data.evidence_note:
        item.evidence_note = data.evidence_note
    _audit(session, principal, item, "prep_site_item", "update", before)
    return item


def assess(session: Session, principal: Principal, site_id: int, data: SiteAssessment) -> PrepSite:
    site = get(session, principal, site_id, roles.WRITE)
    before = audit.snapshot(site)
    site.self_assessment = dict(site.self_assessment or {}) | data.scores
    _audit(session, principal, site, "prep_site", "update", before)
    return site


def accredit(session: Session, principal: Principal, site_id: int, data: SiteAccredit) -> PrepSite:
    """Accreditation needs all 七有 done."""
    site = get(session, principal, site_id, roles.WRITE)
    if data.accredited_year > clock.now().year:
        raise UserError("The year lies in the future.", field="accredited_year")
    missing = session.scalars(select(PrepSiteItem.item).where(PrepSiteItem.site_id == site.id,
                                                              PrepSiteItem.done.is_(False))).all()
    if missing:
        raise UserError("A site is accredited once all seven items are done with evidence.", field="accredited_year")
    before = audit.snapshot(site)
    site.accredited_year = data.accredited_year
    _audit(session, principal, site, "prep_site", "update", before)
    return site


def growth(session: Session, principal: Principal, *, years: list[int]) -> tuple[list[str], dict[int, list[int]]]:
    """Per county in scope: accredited sites up to each year (for the chart)."""
    from yingji.preparedness.measures import site_counts

    counties = list(session.execute(scoped(select(Unit.id, Unit.name), principal, model=Unit).where(
        Unit.kind == "county").order_by(Unit.code)))
    ids = [c.id for c in counties]
    series: dict[int, list[int]] = {c.id: [] for c in counties}
    for year in years:
        counts = site_counts(session, ids, year) if ids else {}
        for cid in ids:
            series[cid].append(counts.get(cid, (0, 0))[1])
    return [c.name for c in counties], {i: series[c.id] for i, c in enumerate(counties)}

"""Periodic resource jobs: rotation warnings for lots near or past expiry, notices for ending agreements and
for team members' insurance that ends without a renewal.

All are idempotent: a lot remembers the last state its unit was told of, an agreement and an insurance
policy the day their notice went out."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import runtime
from yingji.core import notify
from yingji.core.models import User
from yingji.core.scope import Principal, system_principal
from yingji.i18n import gettext
from yingji.jobs import periodic
from yingji.resources import defaults, insurance
from yingji.resources.common import qty, today
from yingji.resources.models import Agreement, Lot, SupplyItem, Team, TeamInsurance, Warehouse
from yingji.resources.supplies import lot_state

TOLD_ROLES = ("prefecture_office", "county_office", "department", "township_officer", "enterprise")


def _officers(session: Session, unit_ids: set[int]) -> list[User]:
    return list(session.scalars(select(User).where(User.unit_id.in_(unit_ids), User.is_active.is_(True),
                                                   User.role.in_(TOLD_ROLES)).order_by(User.id)))


def expiry_warnings(session: Session, principal: Principal) -> int:
    """Tell each warehouse's unit of its lots that entered the rotation window or expired; returns lots told."""
    on = today()
    warn = defaults.value(session, defaults.EXPIRY_WARNING)
    stmt = (select(Lot, Warehouse, SupplyItem).join(Warehouse, Warehouse.id == Lot.warehouse_id)
            .join(SupplyItem, SupplyItem.id == Lot.item_id)
            .where(Lot.quantity_milli > 0, Lot.expires_on <= on + timedelta(days=warn)))
    told = 0
    for lot, warehouse, item in session.execute(stmt):
        state = lot_state(lot.expires_on, on, warn)
        if state == "ok" or lot.warned_state == state:
            continue
        lot.warned_state = state
        subject = (gettext("Stock expired: %(item)s in %(warehouse)s") if state == "expired"
                   else gettext("Rotate stock before it expires: %(item)s in %(warehouse)s"))
        body = gettext("Lot %(lot)s, %(quantity)s %(uom)s, expires on %(date)s.") % {
            "lot": lot.lot_no or lot.id, "quantity": qty(lot.quantity_milli), "uom": item.uom,
            "date": lot.expires_on.isoformat() if lot.expires_on else ""}
        notify.notify(session, principal, users=_officers(session, {warehouse.unit_id}),
                      subject=subject % {"item": item.name, "warehouse": warehouse.name}, body=body,
                      link=f"/resources/warehouses/{warehouse.id}")
        told += 1
    return told


def agreement_notices(session: Session, principal: Principal) -> int:
    """Tell the firm and the team's unit once when a rescue agreement comes within the notice period."""
    on = today()
    notice = defaults.value(session, defaults.AGREEMENT_NOTICE)
    stmt = (select(Agreement, Team).join(Team, Team.id == Agreement.team_id)
            .where(Agreement.notified_on.is_(None), Agreement.ends_on <= on + timedelta(days=notice)))
    told = 0
    for agreement, team in session.execute(stmt):
        agreement.notified_on = on
        notify.notify(session, principal, users=_officers(session, {agreement.unit_id, team.unit_id}),
                      subject=gettext("Rescue agreement ends on %(date)s: %(title)s") % {
                          "date": agreement.ends_on.isoformat(), "title": agreement.title},
                      body=team.name, link=f"/resources/agreements?q={agreement.title}")
        told += 1
    return told


def insurance_notices(session: Session, principal: Principal) -> int:
    """Tell the team's unit once when a policy's cover comes within the notice period and no other policy keeps
    as many members insured from the day after; a policy renewed in time is not told of."""
    on = today()
    notice = defaults.value(session, defaults.INSURANCE_NOTICE)
    stmt = (select(TeamInsurance, Team).join(Team, Team.id == TeamInsurance.team_id)
            .where(TeamInsurance.notified_on.is_(None), TeamInsurance.cover_from <= on,
                   TeamInsurance.cover_to >= on, TeamInsurance.cover_to <= on + timedelta(days=notice))
            .order_by(TeamInsurance.id))
    told = 0
    for policy, team in session.execute(stmt).all():
        rows = list(session.scalars(select(TeamInsurance).where(TeamInsurance.team_id == team.id,
                                                                TeamInsurance.cover_to >= on)))
        after = insurance.insured_on(rows, policy.cover_to + timedelta(days=1))
        if after >= insurance.insured_on(rows, policy.cover_to):
            continue  # renewed without a gap
        policy.notified_on = on
        notify.notify(session, principal, users=_officers(session, {team.unit_id}),
                      subject=gettext("Team members' insurance ends on %(date)s: %(team)s") % {
                          "date": policy.cover_to.isoformat(), "team": team.name},
                      body=gettext("%(insurer)s, policy %(policy)s, %(count)s members insured.") % {
                          "insurer": policy.insurer, "policy": policy.policy_no, "count": policy.insured_count},
                      link=f"/resources/teams/{team.id}#insurance")
        told += 1
    return told


def run_expiry() -> int:
    with runtime.get_database().unit_of_work() as session:
        return expiry_warnings(session, system_principal("resources.expiry"))


def run_agreements() -> int:
    with runtime.get_database().unit_of_work() as session:
        return agreement_notices(session, system_principal("resources.agreements"))


def run_insurance() -> int:
    with runtime.get_database().unit_of_work() as session:
        return insurance_notices(session, system_principal("resources.insurance"))


@periodic("resources.expiry", minute="15", hour="0")
def expiry_job() -> int:
    """Lots entering the rotation window or expiring: their warehouse's unit is told once per state."""
    return run_expiry()


@periodic("resources.agreements", minute="20", hour="0")
def agreements_job() -> int:
    """Rescue agreements ending within the notice period: the firm and the team are told once."""
    return run_agreements()


@periodic("resources.insurance", minute="25", hour="0")
def insurance_job() -> int:
    """Team members' insurance ending within the notice period without a renewal: the team's unit is told once."""
    return run_insurance()

"""The last mile: for one alert, each village or community of its target — acknowledged by its officer,
reached by some channel, still pending, or silent — and the deliveries behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from yingji.channels.delivery import target_villages
from yingji.channels.models import (
    ACKNOWLEDGED,
    OFFICER_KINDS,
    QUEUED,
    REACHED_STATES,
    SENDING,
    Delivery,
    Recipient,
)
from yingji.core import roles
from yingji.core.models import Unit
from yingji.core.schemas import Page
from yingji.core.scope import Principal, scoped
from yingji.core.service import paginate
from yingji.errors import NotFound, UserError
from yingji.i18n import N_

COVERAGE_STATES = {"acknowledged": N_("acknowledged"), "reached": N_("reached"), "pending": N_("pending"),
                   "silent": N_("silent")}


@dataclass
class VillageCoverage:
    unit_id: int
    name: str
    township: str
    state: str
    messages: int
    reached: int
    acknowledged_at: datetime | None


def visible_alert(session: Session, principal: Principal, alert_id: int) -> Any:
    """An alert the principal may follow: one of its area's, or an issued one whose target reaches its area."""
    from yingji.warnings.models import Alert

    principal.require(roles.READ)
    alert = session.scalars(scoped(select(Alert), principal).where(Alert.id == alert_id)).first()
    if alert is None:
        alert = session.scalar(select(Alert).where(Alert.id == alert_id, Alert.issued_at.is_not(None)))
        if alert is not None and not reaches_area(session, principal, alert):
            alert = None
    if alert is None:
        raise NotFound("Not found, or not within your area.")
    return alert


def reaches_area(session: Session, principal: Principal, alert: Any) -> bool:
    """Does the alert's target cover the principal's unit, or some village or unit inside its area?"""
    from yingji.warnings.targeting import target_of

    if principal.is_global:
        return True
    own = principal.unit_path
    target = target_of(session, alert)
    if target.covers_path(own) or any(p.startswith(own) for p in target.unit_paths):
        return True
    return any(path.startswith(own) for _id, _name, path in target_villages(session, target))


def _issued_query(*, q: str = "", since: datetime | None = None, until: datetime | None = None) -> Any:
    from yingji.warnings.models import Alert, AlertInfo

    stmt = select(Alert).where(Alert.issued_at.is_not(None))
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        headline = select(AlertInfo.id).where(AlertInfo.alert_id == Alert.id, AlertInfo.headline.like(like))
        stmt = stmt.where(Alert.event.like(like) | Alert.identifier.like(like) | headline.exists())
    if since is not None:
        stmt = stmt.where(Alert.issued_at >= since)
    if until is not None:
        stmt = stmt.where(Alert.issued_at < until)
    return stmt.order_by(Alert.issued_at.desc(), Alert.id.desc())


def county_of_filter(session: Session, county_id: int | None) -> Unit | None:
    """The county chosen as a filter; any other unit (or none) is refused as a bad choice."""
    if county_id is None:
        return None
    county = session.get(Unit, county_id)
    if county is None or county.kind != "county":
        raise UserError(N_("This value is not one of the allowed choices."), field="county")
    return county


def _follows(session: Session, principal: Principal, alerts: list[Any], county: Unit | None) -> list[Any]:
    from yingji.warnings.models import Alert
    from yingji.warnings.service import targeted_counties

    own = {a.id for a in session.scalars(scoped(select(Alert), principal).where(
        Alert.id.in_([a.id for a in alerts])))} if alerts else set()
    out = [a for a in alerts if a.id in own or reaches_area(session, principal, a)]
    if county is not None:
        out = [a for a in out if any(c.id == county.id for c in targeted_counties(session, a))]
    return out


def followed_page(session: Session, principal: Principal, *, page: int = 1, per_page: int = 50,
                  county: Unit | None = None, **filters: Any) -> Page[Any]:
    """One page of the issued alerts the principal follows, newest first. Paged in SQL when every issued alert
    is visible and no county is chosen; otherwise the visibility and county tests run on the filtered list."""
    principal.require(roles.READ)
    stmt = _issued_query(**filters)
    if principal.is_global and county is None:
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
        return Page[Any](items=items, total=total, page=page, per_page=per_page)
    shown = _follows(session, principal, list(session.scalars(stmt)), county)
    return Page[Any](items=shown[(page - 1) * per_page: page * per_page], total=len(shown), page=page,
                     per_page=per_page)


def followed_all(session: Session, principal: Principal, *, county: Unit | None = None, **filters: Any
                 ) -> list[Any]:
    """The whole filtered list of followed alerts, for the export."""
    principal.require(roles.READ)
    alerts = list(session.scalars(_issued_query(**filters)))
    if principal.is_global and county is None:
        return alerts
    return _follows(session, principal, alerts, county)


def coverage(session: Session, principal: Principal, alert_id: int, *, state: str = "", q: str = ""
             ) -> list[VillageCoverage]:
    from yingji.warnings.targeting import target_of

    alert = visible_alert(session, principal, alert_id)
    target = target_of(session, alert)
    villages = [v for v in target_villages(session, target) if principal.is_global or v[2].startswith(
        principal.unit_path)]
    if q:
        villages = [v for v in villages if q in v[1]]
    stats = _stats(session, alert.id)
    townships = _parent_names(session, [v[0] for v in villages])
    rows = []
    for unit_id, name, _path in villages:
        messages, reached, pending, acked = stats.get(unit_id, (0, 0, 0, None))
        if acked is not None:
            st = "acknowledged"
        elif reached:
            st = "reached"
        elif pending:
            st = "pending"
        else:
            st = "silent"
        if state and st != state:
            continue
        rows.append(VillageCoverage(unit_id, name, townships.get(unit_id, ""), st, messages, reached, acked))
    return rows


def summary(rows: list[VillageCoverage]) -> dict[str, int]:
    out = dict.fromkeys(COVERAGE_STATES, 0)
    for r in rows:
        out[r.state] += 1
    return out


def _stats(session: Session, alert_id: int) -> dict[int, tuple[int, int, int, datetime | None]]:
    officer_ack = case((Recipient.kind.in_(OFFICER_KINDS), Delivery.acknowledged_at))
    stmt = (select(Delivery.unit_id, func.count(),
                   func.count(case((Delivery.status.in_(REACHED_STATES), 1))),
                   func.count(case((Delivery.status.in_((QUEUED, SENDING)), 1))),
                   func.min(officer_ack))
            .outerjoin(Recipient, Recipient.id == Delivery.recipient_id)
            .where(Delivery.alert_id == alert_id).group_by(Delivery.unit_id))
    return {r[0]: (int(r[1]), int(r[2]), int(r[3]), r[4]) for r in session.execute(stmt).all()}


def _parent_names(session: Session, unit_ids: list[int]) -> dict[int, str]:
    if not unit_ids:
        return {}
    parent = Unit.__table__.alias("parent_unit")
    rows = session.execute(select(Unit.id, parent.c.name).join(parent, parent.c.id == Unit.parent_id)
                           .where(Unit.id.in_(unit_ids))).all()
    return {r[0]: r[1] for r in rows}


# --- deliveries list ------------------------------------------------------------------------------------------------

def _delivery_query(principal: Principal, *, alert_id: int | None = None, status: str = "", channel: str = "",
                    unit_id: int | None = None) -> Any:
    stmt = scoped(select(Delivery), principal)
    if alert_id:
        stmt = stmt.where(Delivery.alert_id == alert_id)
    if status:
        stmt = stmt.where(Delivery.status == status)
    if channel:
        stmt = stmt.where(Delivery.channel == channel)
    if unit_id:
        stmt = stmt.where(Delivery.unit_id == unit_id)
    return stmt.order_by(Delivery.id.desc())


def list_deliveries(session: Session, principal: Principal, *, page: int = 1, per_page: int = 50,
                    **filters: Any) -> Page[Any]:
    from yingji.channels.schemas import DeliveryRead

    return paginate(session, _delivery_query(principal, **filters), DeliveryRead, page=page, per_page=per_page)


def delivery_rows(session: Session, principal: Principal, limit: int = 100000, **filters: Any) -> list[Any]:
    """Deliveries with who they went to, for the page and the export (one query)."""
    from yingji.channels.models import Endpoint

    stmt = _delivery_query(principal, **filters).limit(limit)
    stmt = stmt.outerjoin(Recipient, Recipient.id == Delivery.recipient_id).outerjoin(
        Endpoint, Endpoint.id == Delivery.endpoint_id).add_columns(
        Recipient.name, Recipient.phone, Recipient.email, Endpoint.name.label("endpoint_name"))
    return list(session.execute(stmt).all())


def get_delivery(session: Session, principal: Principal, delivery_id: int) -> Delivery:
    row = session.scalars(scoped(select(Delivery), principal).where(Delivery.id == delivery_id)).first()
    if row is None:
        raise NotFound("Not found, or not within your area.")
    return row


def acknowledged_count(session: Session, alert_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.alert_id == alert_id, Delivery.status == ACKNOWLEDGED)) or 0)

"""Marked channel rows in 精河县 for the route walker (tests/core/test_scope_routes.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from tests.scope_checker import MARKER
from yingji import clock
from yingji.channels import delivery, recipients
from yingji.channels.models import Subscription
from yingji.channels.schemas import EndpointIn, RecipientIn
from yingji.core.models import Unit, User
from yingji.warnings.models import Alert, AlertArea, AlertInfo


def rows(s: Session, system: Any, as_user: Any, unit: Unit, user: User) -> dict[str, int]:
    """A marked recipient and endpoint of a unit in 精河县, an issued marked alert addressed to that unit with
    its deliveries (one acknowledged), and a pending public subscription for the unit's area."""
    person = recipients.create_recipient(s, system, RecipientIn(unit_id=unit.id, name=f"{MARKER}-信息员",
                                                                phone="13912349876", note=MARKER))
    hook = recipients.create_endpoint(s, system, EndpointIn(
        unit_id=unit.id, name=f"{MARKER}-大喇叭", kind="loudspeaker", url=f"http://127.0.0.1:9/{MARKER}",
        secret=MARKER, note=MARKER))
    now = clock.now()
    alert = Alert(unit_id=unit.id, identifier=f"{MARKER}-channels", status="issued", colour="orange",
                  severity="Severe", event=f"{MARKER}-暴雨", sent_at=now, issued_at=now, effective_at=now,
                  expires_at=now + timedelta(hours=6))
    alert.infos = [AlertInfo(language="zh-CN", headline=f"{MARKER} 渠道", description=MARKER, unit_id=unit.id)]
    alert.areas = [AlertArea(kind="unit", target_unit_id=unit.id, geocode=unit.code, area_desc=MARKER,
                             unit_id=unit.id)]
    s.add(alert)
    s.flush()
    delivery.fan_out(s, system, alert)
    from sqlalchemy import select

    from yingji.channels.models import Delivery

    first = s.scalars(select(Delivery).where(Delivery.alert_id == alert.id).order_by(Delivery.id)).first()
    assert first is not None
    first.detail = MARKER
    delivery.acknowledge(s, system, first.id)
    sub = Subscription(area_unit_id=unit.id, phone="13912349875", code_hash=MARKER, expires_at=now + timedelta(hours=1),
                       address=MARKER, created_at=now)
    s.add(sub)
    s.flush()
    return {"recipient_id": person.id, "endpoint_id": hook.id, "delivery_id": first.id, "subscription_id": sub.id}

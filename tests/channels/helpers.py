"""Shared set-up for the channel tests: local peers wired into the channel configuration, alerts to send."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.channels import recipients
from yingji.channels.schemas import ConfigIn, EndpointIn, RecipientIn
from yingji.core.models import Unit
from yingji.core.scope import system_principal

SYSTEM = system_principal("tests")
# A rectangle over the west of 精河县 (lon, lat), closed.
JINGHE_BOX = [(82.0, 44.2), (83.6, 44.2), (83.6, 45.1), (82.0, 45.1), (82.0, 44.2)]


def unit(session: Session, code: str) -> Unit:
    found = session.scalar(select(Unit).where(Unit.code == code))
    assert found is not None, code
    return found


def configure(session: Session, peer: Any, smtp_port: int | None = None) -> None:
    recipients.configure(session, SYSTEM, "sms", ConfigIn(url=peer.url("/sms"), secret=peer.secret, enabled=True,
                                                          sender="博州应急"))
    recipients.configure(session, SYSTEM, "wecom", ConfigIn(url="", enabled=True))
    recipients.configure(session, SYSTEM, "dingtalk", ConfigIn(url="", secret=peer.dingtalk_secret, enabled=True))
    recipients.configure(session, SYSTEM, "webhook", ConfigIn(url="", enabled=True))
    if smtp_port:
        recipients.configure(session, SYSTEM, "email", ConfigIn(url=f"smtp://127.0.0.1:{smtp_port}", enabled=True,
                                                                sender="yingji@bortala.example"))


def person(session: Session, unit_code: str, phone: str, **extra: Any) -> Any:
    u = unit(session, unit_code)
    data = RecipientIn(unit_id=u.id, name=extra.pop("name", "测试"), phone=phone, **extra)
    return recipients.create_recipient(session, SYSTEM, data)


def endpoint(session: Session, unit_code: str, kind: str, url: str, **extra: Any) -> Any:
    u = unit(session, unit_code)
    return recipients.create_endpoint(session, SYSTEM, EndpointIn(unit_id=u.id, name=extra.pop("name", kind),
                                                                  kind=kind, url=url, **extra))


def alert(session: Session, *, polygon: list[tuple[float, float]] | None = None, unit_codes: tuple[str, ...] = (),
          description: str = "预计未来6小时精河县将出现50毫米以上降雨。", instruction: str = "请注意防范。",
          english: bool = True, colour: str = "orange") -> Any:
    """An issued alert (rows written directly: the workflow is the warnings module's business)."""
    from yingji.warnings.models import Alert, AlertArea, AlertInfo

    owner = unit(session, "652700")
    now = clock.now()
    row = Alert(unit_id=owner.id, identifier=f"65270041600000_{now:%Y%m%d%H%M%S%f}_1", sender="bz@yingji",
                msg_type="Alert", status="issued", colour=colour, severity="Severe", urgency="Expected",
                certainty="Likely", event="暴雨", sent_at=now, effective_at=now, issued_at=now,
                expires_at=now + timedelta(hours=12))
    session.add(row)
    session.flush()
    session.add(AlertInfo(alert_id=row.id, unit_id=owner.id, language="zh-CN", event="暴雨",
                          headline="精河县暴雨橙色预警", description=description, instruction=instruction))
    if english:
        session.add(AlertInfo(alert_id=row.id, unit_id=owner.id, language="en", event="Rainstorm",
                              headline="Orange rainstorm warning for Jinghe", description="Heavy rain expected.",
                              instruction="Take care."))
    if polygon:
        session.add(AlertArea(alert_id=row.id, unit_id=owner.id, kind="polygon",
                              points=[[lat, lon] for lon, lat in polygon]))
    for code in unit_codes:
        target = unit(session, code)
        session.add(AlertArea(alert_id=row.id, unit_id=owner.id, kind="unit", target_unit_id=target.id,
                              geocode=code))
    session.flush()
    session.expire(row)
    return session.get(Alert, row.id)

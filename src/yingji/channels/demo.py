"""Demo recipients and endpoints (marked *demo*): village information officers and heads, loudspeakers,
display screens, TV and radio, group robots. Some villages are left without any channel on purpose, so
the sign-off page and the last-mile page have blind spots to show. Channel configuration is left off:
the operator points it at the real gateways on /warnings/channels."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.channels import defaults
from yingji.channels.models import Endpoint, Recipient
from yingji.core import audit
from yingji.core.models import Unit
from yingji.core.scope import Principal

DEMO_SECRET = "demo-webhook-secret-change-me"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
# Languages most used in each county's villages, for the demo only (Mongolian in 温泉县, Uyghur in 精河县).
COUNTY_LANGUAGE = {"652723": "mn", "652722": "ug"}


def load(session: Session, principal: Principal, root: Unit, counties: list[Unit] | Any) -> int:
    defaults.load(session, principal)
    if session.scalar(select(Recipient.id).where(Recipient.is_demo.is_(True)).limit(1)) is not None:
        return 0
    villages = list(session.scalars(select(Unit).where(Unit.kind == "village").order_by(Unit.code)))
    added = 0
    for n, village in enumerate(villages):
        if n % 6 == 5:
            continue  # a blind spot: no channel at all
        county_code = village.code[:6]
        language = COUNTY_LANGUAGE.get(county_code, "zh-CN") if n % 3 == 0 else "zh-CN"
        officer = Recipient(unit_id=village.id, name=f"{SURNAMES[n % len(SURNAMES)]}信息员（演示）",
                            kind="info_officer",
                            phone=f"139900{n:05d}", email=f"officer{n}@demo.invalid" if n % 4 == 0 else "",
                            by_email=n % 4 == 0, language=language, lon=village.lon, lat=village.lat, is_demo=True)
        head = Recipient(unit_id=village.id, name=f"{SURNAMES[(n + 7) % len(SURNAMES)]}村长（演示）",
                         kind="village_head",
                         phone=f"139910{n:05d}", language="zh-CN", is_demo=True)
        session.add_all([officer, head])
        added += 2
        if n % 2 == 0:
            session.add(Endpoint(unit_id=village.id, name=f"{village.name}大喇叭（演示）", kind="loudspeaker",
                                 channel="webhook", url=f"http://127.0.0.1:9/demo/loudspeaker/{village.id}",
                                 secret=DEMO_SECRET, lon=village.lon, lat=village.lat, is_demo=True))
            added += 1
    for county in (counties.values() if isinstance(counties, dict) else counties):
        session.add_all([
            Endpoint(unit_id=county.id, name=f"{county.name}电视台（演示）", kind="tv", channel="webhook",
                     url=f"http://127.0.0.1:9/demo/tv/{county.code}", secret=DEMO_SECRET, is_demo=True),
            Endpoint(unit_id=county.id, name=f"{county.name}应急群（演示）", kind="wecom_group", channel="wecom",
                     url=f"http://127.0.0.1:9/cgi-bin/webhook/send?key=demo-{county.code}", is_demo=True),
        ])
        added += 2
    session.add(Endpoint(unit_id=root.id, name="州人民广播电台（演示）", kind="radio", channel="webhook",
                         url="http://127.0.0.1:9/demo/radio", secret=DEMO_SECRET, is_demo=True))
    session.add(Endpoint(unit_id=root.id, name="州应急指挥群（演示）", kind="dingtalk_group", channel="dingtalk",
                         url="http://127.0.0.1:9/robot/send?access_token=demo", is_demo=True))
    session.flush()
    audit.record(session, principal, action="create", entity_type="channel_recipient", entity_id=None,
                 unit_id=root.id, after={"demo_rows": added + 2})
    return added + 2

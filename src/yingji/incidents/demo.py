"""Demo incident data: the reporting rules, and two events in 博乐市 (one reported, one known from a tip)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core.models import Unit, User
from yingji.core.scope import Principal
from yingji.incidents import defaults, service
from yingji.incidents.models import Event
from yingji.incidents.schemas import EventCreate


def load(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit]) -> None:
    defaults.load(session, principal)
    if session.scalar(select(Event.id).where(Event.is_demo.is_(True)).limit(1)) is not None:
        return
    county = counties.get("652701")
    office = session.scalar(select(User).where(User.username == "bole"))
    village = session.scalar(select(Unit).where(Unit.code == "652701100-V01"))
    if county is None or office is None or village is None:
        return
    # Reported by the county office itself (signed for at once, nothing waits), and a tip still inside its
    # limit: loading the demo sends nobody a message.
    as_county = Principal(user_id=office.id, name=office.username, unit_id=county.id, unit_path=county.path,
                          role=office.role, via="demo")
    now = clock.now()
    done = service.create_event(session, as_county, EventCreate(
        unit_id=village.id, title="演示：村道边坡小型滑坡（演示）", occurred_at=now - timedelta(minutes=40),
        category="1", subtype="1.4.2", description="村道边坡发生小型滑坡，阻断道路约20米，无人员伤亡。（演示数据）",
        measures="已设置警示标志，疏导车辆绕行。", reporter_name="演示村信息员", reporter_phone="13800000000",
        address=f"{village.name}村道", lon=82.07, lat=44.90))
    done.event.is_demo = True
    known = service.record_known_event(
        session, principal, unit_id=county.id, occurred_at=now - timedelta(minutes=20), category="2",
        subtype="2.2", title="演示：群众反映国道一起交通事故（演示）", known_from="tip",
        description="群众电话反映，待核实。（演示数据）", address="G30 连霍高速博乐段")
    known.is_demo = True

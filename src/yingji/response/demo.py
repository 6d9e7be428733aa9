"""Demo response data: the response rules, two spokespersons, and on the demo landslide in 博乐市 a short
timeline, a published statement, a rumour answered by a published rebuttal; one public tip waiting."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import accounts
from yingji.core.models import Unit, User
from yingji.core.schemas import UserCreate
from yingji.core.scope import Principal
from yingji.response import defaults, publicinfo, timeline
from yingji.response.models import ResponseStatement, ResponseTip
from yingji.response.schemas import ActionCreate, OpinionCreate, StatementCreate

DEMO_PASSWORD = "Yingji@2026"
SPOKESPERSONS = (("spokes", "652700", "州新闻发言人（演示）"), ("bole_spokes", "652701", "博乐市新闻发言人（演示）"))


def _as(session: Session, username: str) -> Principal | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        return None
    unit = session.get_one(Unit, user.unit_id)
    return Principal(user_id=user.id, name=user.username, unit_id=unit.id, unit_path=unit.path, role=user.role,
                     via="demo")


def _spokespersons(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit]) -> None:
    units = {"652700": root, **{code: unit for code, unit in counties.items()}}
    for username, code, display in SPOKESPERSONS:
        if code in units and session.scalar(select(User.id).where(User.username == username)) is None:
            accounts.create_user(session, principal, UserCreate(
                username=username, display_name=display, unit_id=units[code].id, role="spokesperson",
                email=f"{username}@demo.yingji.invalid", password=DEMO_PASSWORD))


def load(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit]) -> None:
    defaults.load(session, principal)
    _spokespersons(session, principal, root, counties)
    if session.scalar(select(ResponseStatement.id).limit(1)) is not None:
        return
    from yingji.incidents.models import Event

    landslide = session.scalar(select(Event).where(Event.is_demo.is_(True), Event.known_from == "report")
                               .order_by(Event.id).limit(1))
    bole, spokes = _as(session, "bole"), _as(session, "bole_spokes")
    if landslide is None or bole is None or spokes is None:
        return
    _timeline(session, bole, landslide)
    statement = publicinfo.draft(session, bole, landslide.id, StatementCreate(
        title="关于村道边坡滑坡的情况通报（演示）", facts="村道边坡发生小型滑坡，阻断道路约20米，无人员伤亡。",
        measures="已设置警示标志，疏导车辆绕行，正在清理。", advice="请过往车辆和行人绕行，雨天远离边坡。"))
    publicinfo.approve(session, spokes, statement.id)
    publicinfo.publish(session, spokes, statement.id)
    rumour = publicinfo.log_opinion(session, bole, landslide.id, OpinionCreate(
        channel="social", source="某短视频账号", summary="网传滑坡造成多人被埋（演示）", assessment="rumour"))
    rebuttal = publicinfo.draft(session, bole, landslide.id, StatementCreate(
        kind="rebuttal", title="“多人被埋”系谣言（演示）", facts="经现场核查，此次滑坡无人员被埋、无人员伤亡。",
        expert="州自然资源局地质灾害专家（演示）"))
    publicinfo.approve(session, spokes, rebuttal.id)
    publicinfo.publish(session, spokes, rebuttal.id)
    publicinfo.rebut(session, bole, rumour.id, rebuttal.id)
    _tip(session, counties)


def _timeline(session: Session, bole: Principal, landslide: object) -> None:
    now = clock.now()
    unit_id = bole.unit_id or 0
    for minutes, kind, text, extra in (
            (30, "team_sent", "派出抢险队清理塌方", {"name": "博乐市应急抢险队（演示）", "people": 12}),
            (25, "secondary_measure", "设置警示标志，封闭危险路段，安排专人监测边坡", {}),
            (20, "leader_on_scene", "带班领导赶赴现场指挥", {"name": "博乐市带班领导（演示）"}),
            (10, "evacuation", "转移坡下住户", {"people": 8, "sheltered": 8})):
        timeline.add(session, bole, landslide.id, ActionCreate.model_validate(  # type: ignore[attr-defined]
            {"kind": kind, "at": now - timedelta(minutes=minutes), "actor_unit_id": unit_id, "text": text, **extra}))


def _tip(session: Session, counties: dict[str, Unit]) -> None:
    county = counties.get("652701")
    if county is None:
        return
    session.add(ResponseTip(unit_id=county.id, occurred_at=clock.now() - timedelta(minutes=15),
                            received_at=clock.now(), text="河边有大片浓烟，像是草场着火了（演示）",
                            place="博河大桥西侧", reporter_name="", reporter_phone="", client_hash="demo"))

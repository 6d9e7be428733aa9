"""Demo data: Bortala from DEFAULTS.md §6, with demo villages, departments, enterprises and schools.

Real divisions carry their GB/T 2260 / statistical codes; everything else is marked ``is_demo``.
Loading is idempotent: rows are matched by code (units), name within unit (people) and user name.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core import accounts, service
from yingji.core.models import Person, Unit, User
from yingji.core.schemas import PersonCreate, UnitCreate, UserCreate
from yingji.core.scope import Principal

DEMO_PASSWORD = "Yingji@2026"

COUNTIES = [
    ("652701", "博乐市", "Bole", 82.051, 44.853),
    ("652702", "阿拉山口市", "Alashankou", 82.559, 45.172),
    ("652722", "精河县", "Jinghe County", 82.894, 44.600),
    ("652723", "温泉县", "Wenquan County", 81.024, 44.969),
]
TOWNSHIPS = {
    "652701": [("001", "青得里街道"), ("002", "顾力木图街道"), ("004", "南城区街道"), ("005", "青达拉街道"),
               ("006", "克尔根卓街道"), ("100", "小营盘镇"), ("101", "达勒特镇"), ("102", "乌图布拉格镇"),
               ("103", "青得里镇"), ("201", "贝林哈日莫墩乡"), ("400", "阿热勒托海牧场")],
    "652702": [("001", "阿拉套街道"), ("100", "艾比湖镇")],
    "652722": [("100", "精河镇"), ("101", "大河沿子镇"), ("102", "托里镇"), ("103", "托托镇"), ("200", "茫丁乡"),
               ("400", "阿合其农场"), ("401", "八家户农场"), ("402", "精河工业园区")],
    "652723": [("100", "博格达尔镇"), ("101", "哈日布呼镇"), ("102", "安格里格镇"), ("201", "查干屯格乡"),
               ("202", "扎勒木特乡"), ("203", "塔秀乡"), ("400", "呼和托哈种畜场"), ("401", "昆得仑牧场")],
}
STATS_SOURCE = "统计用区划代码 2022 (DEFAULTS.md §6)"


def _unit(session: Session, principal: Principal, parent: Unit | None, **values: Any) -> Unit:
    existing = session.scalar(select(Unit).where(Unit.code == values["code"]))
    if existing is not None:
        return existing
    if parent is None:
        return service.create_root(session, principal, values)
    return service.create_unit(session, principal, UnitCreate(parent_id=parent.id, **values))


def _person(session: Session, principal: Principal, unit: Unit, name: str, **values: Any) -> None:
    if session.scalar(select(Person.id).where(Person.unit_id == unit.id, Person.name == name)) is None:
        person = service.create_person(session, principal, PersonCreate(unit_id=unit.id, name=name, **values))
        person.is_demo = True


def _user(session: Session, principal: Principal, unit: Unit, username: str, display: str, role: str) -> None:
    if session.scalar(select(User.id).where(User.username == username)) is None:
        accounts.create_user(session, principal, UserCreate(
            username=username, display_name=display, unit_id=unit.id, role=role,
            email=f"{username}@demo.yingji.invalid", password=DEMO_PASSWORD))


def load(session: Session, principal: Principal) -> dict[str, int]:
    root = _unit(session, principal, None, code="652700", name="博尔塔拉蒙古自治州",
                 name_en="Bortala Mongol Autonomous Prefecture", kind="prefecture", lon=82.066, lat=44.906,
                 leading_body="州突发事件应急委员会", note="GB/T 2260")
    counties = {code: _unit(session, principal, root, code=code, name=name, name_en=en, kind="county",
                            lon=lon, lat=lat, leading_body=f"{name}突发事件应急委员会", note="GB/T 2260")
                for code, name, en, lon, lat in COUNTIES}
    townships: dict[str, Unit] = {}
    for county_code, rows in TOWNSHIPS.items():
        for suffix, name in rows:
            code = county_code + suffix
            townships[code] = _unit(session, principal, counties[county_code], code=code, name=name,
                                    kind="township", note=STATS_SOURCE)
    scenic = _unit(session, principal, root, code="652700-Z01", name="赛里木湖风景名胜区管理委员会",
                   name_en="Sayram Lake Scenic Area", kind="zone", lon=81.19, lat=44.60,
                   note="管理区域，位于博乐市境内 (management zone over 博乐市)")
    _unit(session, principal, counties["652701"], code="652701408", name="五台工业园区（旧代码）", kind="township",
          valid_to=date(2021, 12, 31), note="652701408 至2021年 (code valid until 2021)")
    park = _unit(session, principal, root, code="652700-Z02", name="五台工业园区",
                 name_en="Wutai Industrial Park", kind="zone", valid_from=date(2022, 1, 1),
                 note="管理区域；2021年前代码652701408")
    _demo_below(session, principal, root, counties, townships, scenic, park)
    _demo_people(session, principal, root, counties, townships)
    _demo_users(session, principal, root, counties, townships)
    _demo_duty(session, principal, root, counties)
    from yingji import domains

    for _name, module in domains.parts("demo"):
        module.load(session, principal, root, counties)
    return {"units": len(list(session.scalars(select(Unit.id)))),
            "users": len(list(session.scalars(select(User.id))))}


def _demo_below(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit],
                townships: dict[str, Unit], scenic: Unit, park: Unit) -> None:
    for i, name in enumerate(["州应急管理局", "州公安局", "州卫生健康委员会", "州民政局", "州气象局", "州自然资源局",
                              "州水利局", "州交通运输局"], start=1):
        _unit(session, principal, root, code=f"652700-D{i:02d}", name=name, kind="department", is_demo=True)
    for code, county in counties.items():
        _unit(session, principal, county, code=f"{code}-D01", name=f"{county.name}应急管理局", kind="department",
              is_demo=True)
        _unit(session, principal, county, code=f"{code}-S01", name=f"{county.name}第一中学（演示）", kind="school",
              is_demo=True)
    for code, township in townships.items():
        if code.endswith(("100", "101", "001")):
            for n in (1, 2):
                _unit(session, principal, township, code=f"{code}-V{n:02d}", name=f"{township.name}演示村{n}",
                      kind="village", is_demo=True)
    _unit(session, principal, park, code="652700-Z02-E01", name="五台化工有限公司（演示）", kind="enterprise",
          enterprise_size="medium", high_risk_industry="hazardous_chemicals", in_industrial_park=True, is_demo=True)
    _unit(session, principal, townships["652701100"], code="652701100-E01", name="小营盘建材厂（演示）",
          kind="enterprise", enterprise_size="small", high_risk_industry="construction", is_demo=True)
    _unit(session, principal, townships["652722402"], code="652722402-E01", name="精河园区石化公司（演示）",
          kind="enterprise", enterprise_size="large", high_risk_industry="hazardous_chemicals",
          in_industrial_park=True, is_demo=True)
    _unit(session, principal, scenic, code="652700-Z01-C01", name="赛里木湖景区游客中心（演示）",
          kind="crowded_place", is_demo=True)
    _unit(session, principal, counties["652701"], code="652701-H01", name="博乐市人民医院（演示）", kind="hospital",
          is_demo=True)


def _demo_people(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit],
                 townships: dict[str, Unit]) -> None:
    staff = {root: 5, counties["652701"]: 2, counties["652702"]: 3, counties["652722"]: 1, counties["652723"]: 0}
    for unit, count in staff.items():
        _person(session, principal, unit, f"{unit.name}负责人（演示）", position="主任", phone="0909-0000000",
                duty="responsible")
        for n in range(1, count + 1):
            _person(session, principal, unit, f"{unit.name}专职人员{n}（演示）", position="专职人员",
                    phone=f"1390909{n:04d}", duty="staff", full_time_emergency=True)
    for code, township in townships.items():
        if code.endswith(("100", "001")):
            _person(session, principal, township, f"{township.name}应急专干（演示）", position="应急专干",
                    phone="13909090000", duty="staff", full_time_emergency=True)


def _demo_users(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit],
                townships: dict[str, Unit]) -> None:
    village = session.scalar(select(Unit).where(Unit.code == "652701100-V01"))
    enterprise = session.scalar(select(Unit).where(Unit.code == "652701100-E01"))
    department = session.scalar(select(Unit).where(Unit.code == "652701-D01"))
    assert village is not None and enterprise is not None and department is not None
    for username, unit, display, role in [
        ("admin", root, "系统管理员", "admin"),
        ("zhou", root, "州应急办值班员", "prefecture_office"),
        ("leader", root, "州带班领导", "leader"),
        ("bole", counties["652701"], "博乐市应急办", "county_office"),
        ("jinghe", counties["652722"], "精河县应急办", "county_office"),
        ("dept", department, "博乐市应急管理局", "department"),
        ("township", townships["652701100"], "小营盘镇应急专干", "township_officer"),
        ("village", village, "演示村信息员", "info_officer"),
        ("enterprise", enterprise, "小营盘建材厂安全员", "enterprise"),
    ]:
        _user(session, principal, unit, username, display, role)


# Duty desks (R3.3): the prefecture and the four counties; (username, display name, role, desk role).
DUTY_PEOPLE: dict[str, list[tuple[str, str, str, str]]] = {
    "652700": [("zhou", "州应急办值班员", "prefecture_office", "officer"),
               ("zhou_duty", "州应急办值班员二（演示）", "prefecture_office", "officer"),
               ("leader", "州带班领导", "leader", "leader")],
    "652701": [("bole", "博乐市应急办", "county_office", "officer"),
               ("bole_duty", "博乐市值班员二（演示）", "county_office", "officer"),
               ("bole_duty3", "博乐市值班员三（演示）", "county_office", "officer"),
               ("bole_lead", "博乐市带班领导（演示）", "leader", "leader")],
    "652702": [("alsk", "阿拉山口市应急办（演示）", "county_office", "officer"),
               ("alsk_lead", "阿拉山口市带班领导（演示）", "leader", "leader")],
    "652722": [("jinghe", "精河县应急办", "county_office", "officer"),
               ("jinghe_duty", "精河县值班员二（演示）", "county_office", "officer"),
               ("jinghe_lead", "精河县带班领导（演示）", "leader", "leader")],
    "652723": [("wenquan", "温泉县应急办（演示）", "county_office", "officer"),
               ("wenquan_lead", "温泉县带班领导（演示）", "leader", "leader")],
}
DEMO_DUTY_DAYS = 30


def _demo_duty(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit]) -> None:
    from datetime import timedelta

    from yingji import clock
    from yingji.duty import service as duty
    from yingji.duty.models import DutyDesk, DutyMember, DutyShift
    from yingji.duty.schemas import DeskCreate, FillRequest, MemberCreate

    units = {"652700": root, **counties}
    for code, people in DUTY_PEOPLE.items():
        unit = units[code]
        for username, display, role, _desk_role in people:
            _user(session, principal, unit, username, display, role)
        users = {u.username: u for u in session.scalars(select(User).where(
            User.username.in_([p[0] for p in people])))}
        desk = session.scalar(select(DutyDesk).where(DutyDesk.unit_id == unit.id))
        if desk is None:
            desk = duty.create_desk(session, principal, DeskCreate(
                unit_id=unit.id, name=f"{unit.name}应急值班室", head_id=users[people[0][0]].id,
                phone="0909-0000000"))
            desk.is_demo = True
        have = set(session.scalars(select(DutyMember.user_id).where(DutyMember.desk_id == desk.id)))
        for username, _display, _role, desk_role in people:
            if users[username].id not in have:
                duty.add_member(session, principal, desk.id, MemberCreate(user_id=users[username].id, role=desk_role))
        today = clock.now().astimezone(duty.local_zone()).date()
        duty.fill_rotation(session, principal, desk.id, FillRequest(start=today - timedelta(days=1),
                                                                   end=today + timedelta(days=DEMO_DUTY_DAYS)))
        # The demo's officers have signed on to the shifts already under way (no alerts for the past).
        for shift in session.scalars(select(DutyShift).where(DutyShift.desk_id == desk.id,
                                                             DutyShift.starts_at <= clock.now(),
                                                             DutyShift.signed_on_at.is_(None))):
            shift.signed_on_at = shift.starts_at + timedelta(minutes=5)
        _demo_log(session, desk)


DEMO_LOG = [("call_in", 50, "州应急办来电：询问辖区降雪及道路通行情况，已答复。", False),
            ("instruction_out", 35, "转发州气象台寒潮蓝色预警至各乡镇（场），要求做好防范。", False),
            ("follow_up", 10, "跟进：督促各乡镇（场）回报预警接收情况，尚有两个乡镇未回报。", True)]


def _demo_log(session: Session, desk: Any) -> None:
    """A few entries in the log of the shift under way, written by its officer (one left unfinished)."""
    from datetime import timedelta

    from yingji import clock
    from yingji.duty import log
    from yingji.duty.schemas import LogEntryCreate
    from yingji.duty.service import current_shift

    shift = current_shift(session, desk.id)
    if shift is None or shift.officer_id is None:
        return
    officer = session.get_one(User, shift.officer_id)
    unit = session.get_one(Unit, officer.unit_id)
    as_officer = Principal(user_id=officer.id, name=officer.username, unit_id=unit.id, unit_path=unit.path,
                           role=officer.role, via="demo")
    now = clock.now()
    for kind, minutes_ago, text, unfinished in DEMO_LOG:
        at = max(now - timedelta(minutes=minutes_ago), shift.starts_at)
        log.add_entry(session, as_officer, shift.id, LogEntryCreate(kind=kind, text=text, unfinished=unfinished,
                                                                    at=at))


DEMO_LOGINS = ["admin", "zhou", "leader", "bole", "jinghe", "dept", "township", "village", "enterprise"]

"""Demo resources around 温泉县 and in the other counties, so that the first hour after an earthquake near
温泉县 can be played: teams with earthquake capability, warehouses holding tents and drinking water (one
lot expired, one due for rotation), shelters, equipment, a rescue agreement about to end, a supplier
contract, and one record of each R2.3 kind. Names of teams, stores and shelters are demo (演示)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.core.models import Unit
from yingji.core.scope import Principal
from yingji.resources import defaults, dispatch, insurance, ledger, records, shelters, supplies, teams
from yingji.resources.common import today
from yingji.resources.models import SupplyItem, Team
from yingji.resources.schemas import (
    AgreementCreate,
    ContractCreate,
    DonationCreate,
    EquipmentCreate,
    InsuranceCreate,
    ItemCreate,
    MinLevelIn,
    ReceiptIn,
    RequisitionCreate,
    ServiceCreate,
    ShelterCreate,
    TeamCreate,
    WarehouseCreate,
)

# GB/T 38565-2020 style codes (layer 1: 1 basic living, 2 emergency equipment, 3 engineering materials).
ITEMS = [("1010101", "帐篷", "1", "civil_affairs", "piece", 3650), ("1020101", "瓶装饮用水", "1", "food", "tonne", 365),
         ("1010201", "棉被", "1", "civil_affairs", "piece", 1825), ("1030101", "方便食品", "1", "food", "box", 180),
         ("2010101", "移动发电机组", "2", "energy", "set", None), ("3010101", "编织袋", "3", "water", "bag", None)]

TEAMS = [
    ("652723", "温泉县综合性消防救援大队（演示）", "comprehensive", ["earthquake", "traffic", "fire", "collapse"], 45,
     "ready", 81.031, 44.972),
    ("652723", "温泉县地震灾害紧急救援队（演示）", "earthquake", ["earthquake", "collapse"], 30, "ready",
     81.018, 44.961),
    ("652723", "温泉县医疗救护队（演示）", "medical", ["medical"], 20, "standby", 81.027, 44.968),
    ("652701", "博乐市综合性消防救援支队（演示）", "comprehensive", ["earthquake", "traffic", "petrochemical", "fire"],
     120, "ready", 82.062, 44.902),
    ("652701", "博乐市森林草原消防队（演示）", "forest_fire", ["fire", "mountain"], 35, "ready", 81.95, 44.85),
    ("652722", "精河县防汛抗旱抢险队（演示）", "flood", ["flood"], 40, "ready", 82.89, 44.60),
    ("652702", "阿拉山口市志愿者救援队（演示）", "volunteer", ["traffic", "medical"], 25, "standby", 82.56, 45.17),
    ("652700", "州矿山救护队（演示）", "mine", ["collapse", "hazmat"], 28, "ready", 82.08, 44.91),
]

SHELTERS = [
    ("652723", "温泉县人民广场应急避难场所（演示）", "square", False, "III", 30000, 5000, 81.030, 44.974),
    ("652723", "温泉县体育馆避难场所（演示）", "stadium", True, "II", 6000, 2000, 81.021, 44.966),
    ("652723", "温泉县第一中学避难场所（演示）", "school", True, "III", 4000, 1200, 81.036, 44.962),
    ("652723", "哈日布呼镇公园避难场所（演示）", "park", False, "III", 8000, 800, 80.93, 44.95),
    ("652701", "博乐市人民公园应急避难场所（演示）", "park", False, "II", 60000, 8000, 82.07, 44.91),
    ("652701", "博乐市体育中心避难场所（演示）", "stadium", True, "II", 15000, 3000, 82.05, 44.89),
    ("652722", "精河县文化广场避难场所（演示）", "square", False, "III", 20000, 4000, 82.90, 44.61),
]


def _unit(session: Session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(Unit.code == code))


def load(session: Session, principal: Principal, root: Unit, counties: dict[str, Unit]) -> None:
    defaults.load(session, principal)
    if session.scalar(select(Team.id).where(Team.is_demo.is_(True)).limit(1)) is not None:
        return
    units = {code: _unit(session, code) for code in ("652700", "652701", "652702", "652722", "652723", "652723101",
                                                      "652701100-E01")}
    if any(u is None for u in units.values()):
        return
    u = {code: unit.id for code, unit in units.items() if unit is not None}
    items = {code: supplies.create_item(session, principal, ItemCreate(
        unit_id=u["652700"], code=code, name=name, category=cat, sector=sector, uom=uom, shelf_life_days=life))
        for code, name, cat, sector, uom, life in ITEMS}
    made = {}
    for county, name, kind, caps, members, ready, lon, lat in TEAMS:
        team = teams.create_team(session, principal, TeamCreate(
            unit_id=u[county], name=name, kind=kind, capabilities=caps, members=members, readiness=ready, lon=lon,
            lat=lat, contact_name="值班室（演示）", contact_phone="0909-0000000", address=name.removesuffix("（演示）"),
            equipment="生命探测仪、破拆工具组、照明设备（演示）"))
        team.is_demo = True
        made[name] = team
    on = today()
    teams.create_agreement(session, principal, AgreementCreate(
        unit_id=u["652701100-E01"], team_id=made["博乐市综合性消防救援支队（演示）"].id,
        title="小营盘建材厂救援服务协议（演示）", starts_on=on - timedelta(days=345), ends_on=on + timedelta(days=20)))
    # members' accident insurance: one team fully insured, one short and ending within the notice, the rest none
    for name, insurer, policy_no, count, first, last in (
            ("温泉县综合性消防救援大队（演示）", "中国人民财产保险温泉支公司（演示）", "PICC-WQ-2026-001",
             45, -300, 65),
            ("温泉县地震灾害紧急救援队（演示）", "中国平安财产保险博州中心支公司（演示）", "PA-BZ-2026-017",
             24, -345, 20),
            ("博乐市综合性消防救援支队（演示）", "中国人寿财产保险博州中心支公司（演示）", "CL-BZ-2026-005",
             120, -100, 265)):
        insurance.create_policy(session, principal, InsuranceCreate(
            team_id=made[name].id, kind="accident", insurer=insurer, policy_no=policy_no, insured_count=count,
            cover_from=on + timedelta(days=first), cover_to=on + timedelta(days=last)))
    _warehouses(session, principal, u, items)
    for county, name, kind, indoor, grade, area, cap, lon, lat in SHELTERS:
        shelter = shelters.create_shelter(session, principal, ShelterCreate(
            unit_id=u[county], name=name, kind=kind, indoor=indoor, grade=grade, area_m2=area, capacity=cap, lon=lon,
            lat=lat, facilities=["water", "power", "toilets", "signs"] + (["medical"] if indoor else []),
            responsible="场所负责人（演示）", phone="0909-0000001", address=name.removesuffix("（演示）")))
        shelter.is_demo = True
    _equipment_and_records(session, principal, u, on)


def _warehouses(session: Session, principal: Principal, u: dict[str, int], items: dict[str, SupplyItem]) -> None:
    on = today()
    tent, water, quilt, food = (items[c].id for c in ("1010101", "1020101", "1010201", "1030101"))
    plan = [
        (u["652723"], "温泉县救灾物资储备库（演示）", "government", 81.026, 44.970,
         [(tent, "300", 400, 3000), (water, "6", 60, 300), (water, "1", 400, -10), (quilt, "1000", 200, 1500),
          (food, "500", 160, 15)]),
        (u["652723101"], "哈日布呼镇应急物资储备点（演示）", "government", 80.935, 44.952,
         [(tent, "120", 300, 3000), (water, "2.5", 30, 330)]),
        (u["652700"], "州救灾物资储备库（演示）", "government", 82.072, 44.905,
         [(tent, "2000", 200, 3300), (water, "50", 20, 340), (quilt, "5000", 100, 1700)]),
        (u["652701"], "博乐市应急物资储备库（演示）", "government", 82.045, 44.87,
         [(tent, "400", 100, 3500), (water, "12", 10, 350)]),
        (u["652722"], "精河县应急物资储备库（演示）", "social", 82.885, 44.605,
         [(tent, "300", 100, 3500), (water, "20", 30, 330)]),
    ]
    for unit_id, name, kind, lon, lat, lots in plan:
        warehouse = supplies.create_warehouse(session, principal, WarehouseCreate(
            unit_id=unit_id, name=name, kind=kind, lon=lon, lat=lat, manager="库管员（演示）", phone="0909-0000002",
            address=name.removesuffix("（演示）")))
        warehouse.is_demo = True
        for n, (item_id, amount, age, left) in enumerate(lots, start=1):
            ledger.receive(session, principal, warehouse.id, ReceiptIn(
                supply_item_id=item_id, quantity=Decimal(amount), lot_no=f"D{warehouse.id:03d}-{n:02d}",
                produced_on=on - timedelta(days=age), expires_on=on + timedelta(days=left), note="演示入库"))
        supplies.set_minimum(session, principal, warehouse.id, MinLevelIn(
            supply_item_id=tent, minimum=Decimal(200 if unit_id != u["652723101"] else 150)))
    dispatch.create_contract(session, principal, ContractCreate(
        unit_id=u["652701"], supplier="博乐市某商贸公司（演示）", supply_item_id=water, quantity=Decimal(30),
        delivery_hours=12, starts_on=on - timedelta(days=100), ends_on=on + timedelta(days=265),
        contact="0909-0000003", lon=82.05, lat=44.88))


def _equipment_and_records(session: Session, principal: Principal, u: dict[str, int], _on: object) -> None:
    for unit, kind, name, lon, lat in [
            (u["652723"], "drone", "温泉县应急测绘无人机（演示）", 81.026, 44.97),
            (u["652700"], "command_vehicle", "州应急通信指挥车（演示）", 82.07, 44.905),
            (u["652700"], "mobile_platform", "州移动指挥平台（演示）", 82.07, 44.905),
            (u["652701"], "drone", "博乐市侦察无人机（演示）", 82.05, 44.9)]:
        records.create_equipment(session, principal, EquipmentCreate(unit_id=unit, kind=kind, name=name, lon=lon,
                                                                     lat=lat, custodian="保管员（演示）"))
    day = today()
    records.create_requisition(session, principal, RequisitionCreate(
        unit_id=u["652723"], owner="温泉县某建筑公司（演示）", description="装载机2台，用于道路抢通（演示）",
        taken_on=day - timedelta(days=40), returned_on=day - timedelta(days=35), compensation=Decimal("12000.00"),
        compensated_on=day - timedelta(days=10)))
    records.create_service(session, principal, ServiceCreate(
        unit_id=u["652723"], provider="温泉县某物流公司（演示）", description="救灾物资运输服务（演示）",
        amount=Decimal("8500.00"), contracted_on=day - timedelta(days=38)))
    records.create_donation(session, principal, DonationCreate(
        unit_id=u["652723"], donor="某爱心企业（演示）", description="棉被200床（演示）",
        received_on=day - timedelta(days=36),
        destination="转交哈日布呼镇受灾群众（演示）", distributed_on=day - timedelta(days=34)))

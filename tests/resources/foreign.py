"""Marked resource rows in 精河县 for the route walker (tests/core/test_scope_routes.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.scope_checker import MARKER
from yingji.core.models import Unit, User


def rows(s: Session, system: Any, as_user: Any, unit: Unit, user: User) -> dict[str, int]:
    """One marked row of every kind the resource routes address by id: a team with an agreement and an
    insurance policy, a catalogue item, a warehouse with a lot and its receipt, a supplier contract, a dispatch
    allocated from the lot, a shelter (opened), equipment, a requisition, a purchased service and a donation."""
    from yingji.resources import dispatch, insurance, ledger, records, shelters, supplies, teams
    from yingji.resources import schemas as S
    from yingji.resources.models import ResRule

    team = teams.create_team(s, system, S.TeamCreate(unit_id=unit.id, name=f"{MARKER}-队", kind="enterprise",
                                                     capabilities=["petrochemical"], lon=82.9, lat=44.6,
                                                     roster=MARKER))
    agreement = teams.create_agreement(s, system, S.AgreementCreate(
        unit_id=unit.id, team_id=team.id, title=f"{MARKER}-协议", starts_on=date(2026, 1, 1),
        ends_on=date(2027, 1, 1), note=MARKER))
    policy = insurance.create_policy(s, system, S.InsuranceCreate(
        team_id=team.id, insurer=f"{MARKER}-保险公司", policy_no="MARKED-1", insured_count=3,
        cover_from=date(2026, 1, 1), cover_to=date(2027, 1, 1), note=MARKER))
    item = supplies.create_item(s, system, S.ItemCreate(unit_id=unit.id, name=f"{MARKER}-物资", category="1",
                                                        sector="other", uom="piece"))
    warehouse = supplies.create_warehouse(s, system, S.WarehouseCreate(
        unit_id=unit.id, name=f"{MARKER}-仓库", kind="enterprise", lon=82.9, lat=44.6, address=MARKER))
    receipt = ledger.receive(s, system, warehouse.id, S.ReceiptIn(supply_item_id=item.id, quantity=Decimal(10),
                                                                  lot_no=MARKER, note=MARKER))
    supplies.set_minimum(s, system, warehouse.id, S.MinLevelIn(supply_item_id=item.id, minimum=Decimal(20)))
    contract = dispatch.create_contract(s, system, S.ContractCreate(
        unit_id=unit.id, supplier=f"{MARKER}-供应商", supply_item_id=item.id, quantity=Decimal(5),
        starts_on=date(2026, 1, 1), ends_on=date(2099, 1, 1), contact=MARKER))
    request = dispatch.create(s, system, S.DispatchCreate(
        unit_id=unit.id, title=f"{MARKER}-调拨", destination=MARKER, lon=82.9, lat=44.6,
        lines=[S.DispatchLineIn(supply_item_id=item.id, quantity=Decimal(3))]))
    dispatch.approve(s, system, request.id, MARKER)
    dispatch.allocate(s, system, request.id, S.AllocateIn(allocations=[
        S.AllocationIn(supply_item_id=item.id, lot_id=receipt.lot_id, quantity=Decimal(2))]))
    shelter = shelters.create_shelter(s, system, S.ShelterCreate(
        unit_id=unit.id, name=f"{MARKER}-避难场所", kind="square", capacity=100, lon=82.9, lat=44.6))
    shelters.set_status(s, system, shelter.id, S.ShelterStatusIn(is_open=True, occupancy=5))
    equipment = records.create_equipment(s, system, S.EquipmentCreate(unit_id=unit.id, kind="drone",
                                                                       name=f"{MARKER}-无人机", lon=82.9, lat=44.6))
    requisition = records.create_requisition(s, system, S.RequisitionCreate(
        unit_id=unit.id, owner=f"{MARKER}-业主", description=MARKER, taken_on=date(2026, 1, 1)))
    service = records.create_service(s, system, S.ServiceCreate(
        unit_id=unit.id, provider=f"{MARKER}-服务商", description=MARKER, contracted_on=date(2026, 1, 1)))
    donation = records.create_donation(s, system, S.DonationCreate(
        unit_id=unit.id, donor=f"{MARKER}-捐赠方", description=MARKER, received_on=date(2026, 1, 1),
        destination=MARKER))
    rule = s.scalar(select(ResRule.id).order_by(ResRule.id).limit(1))
    s.flush()
    return {"team_id": team.id, "agreement_id": agreement.id, "supply_item_id": item.id,
            "warehouse_id": warehouse.id, "lot_id": receipt.lot_id, "movement_id": receipt.id,
            "contract_id": contract.id, "res_dispatch_id": request.id, "shelter_id": shelter.id,
            "equipment_id": equipment.id, "requisition_id": requisition.id, "res_service_id": service.id,
            "donation_id": donation.id, "res_rule_id": int(rule or 1),
            "res_insurance_id": policy.id}

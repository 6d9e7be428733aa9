"""JSON API of the resources module (/api/resources/…). Thin: parse, call a service, return."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from yingji.core.api import json_response
from yingji.core.schemas import Page
from yingji.core.scope import get_scoped
from yingji.core.service import paginate
from yingji.resources import defaults, dispatch, insurance, ledger, nearby, records, shelters, supplies, teams
from yingji.resources.common import qty
from yingji.resources.models import Donation, Movement, Requisition, ServicePurchase, SupplierContract
from yingji.resources.schemas import (
    AgreementCreate,
    AgreementRead,
    AllocateIn,
    ContractCreate,
    ContractRead,
    DecisionIn,
    DispatchCreate,
    DispatchDetail,
    DispatchRead,
    DonationCreate,
    DonationRead,
    EquipmentCreate,
    EquipmentRead,
    InsuranceCreate,
    InsuranceRead,
    IssueIn,
    ItemCreate,
    ItemRead,
    LotRead,
    Match,
    MinLevelIn,
    MovementRead,
    Near,
    ReceiptIn,
    ReceiveIn,
    RequisitionCreate,
    RequisitionRead,
    RuleRead,
    RuleUpdate,
    ServiceCreate,
    ServiceRead,
    ShelterCreate,
    ShelterRead,
    ShelterStatusIn,
    StockRow,
    Suggestion,
    TeamCover,
    TeamCreate,
    TeamRead,
    TeamUpdate,
    TransferIn,
    WarehouseCreate,
    WarehouseRead,
)
from yingji.web.deps import DB, CurrentPrincipal, IdPath, IdQuery

router = APIRouter(prefix="/resources", tags=["resources"])
PageNo = Annotated[int, Query(ge=1, le=100000)]
PerPage = Annotated[int, Query(ge=1, le=500)]
Text = Annotated[str, Query(max_length=100)]
Code = Annotated[str, Query(max_length=32)]


def _page(db: DB, stmt: Any, schema: Any, page: int, per_page: int) -> Any:
    return json_response(paginate(db, stmt, schema, page=page, per_page=per_page))


# --- teams and agreements -------------------------------------------------------------------------

@router.get("/teams", response_model=Page[TeamRead])
def list_teams(db: DB, principal: CurrentPrincipal, q: Text = "", kind: Code = "", capability: Code = "",
               readiness: Code = "", page: PageNo = 1, per_page: PerPage = 50) -> Any:
    stmt = teams.teams(principal, q=q, kind=kind, capability=capability, readiness=readiness)
    return _page(db, stmt, TeamRead, page, per_page)


@router.post("/teams", response_model=TeamRead, status_code=201)
def create_team(db: DB, principal: CurrentPrincipal, data: TeamCreate) -> Any:
    return teams.create_team(db, principal, data)


@router.get("/teams/{team_id}", response_model=TeamRead)
def get_team(db: DB, principal: CurrentPrincipal, team_id: IdPath) -> Any:
    return teams.get_team(db, principal, team_id)


@router.patch("/teams/{team_id}", response_model=TeamRead)
def update_team(db: DB, principal: CurrentPrincipal, team_id: IdPath, data: TeamUpdate) -> Any:
    return teams.update_team(db, principal, team_id, data)


@router.get("/agreements", response_model=Page[AgreementRead])
def list_agreements(db: DB, principal: CurrentPrincipal, q: Text = "", team_id: IdQuery = None,
                    ending_within: Annotated[int | None, Query(ge=0, le=3650)] = None, page: PageNo = 1,
                    per_page: PerPage = 50) -> Any:
    stmt = teams.agreements(principal, q=q, team_id=team_id, ending_within=ending_within)
    return _page(db, stmt, AgreementRead, page, per_page)


@router.post("/agreements", response_model=AgreementRead, status_code=201)
def create_agreement(db: DB, principal: CurrentPrincipal, data: AgreementCreate) -> Any:
    return teams.create_agreement(db, principal, data)


@router.get("/agreements/{agreement_id}", response_model=AgreementRead)
def get_agreement(db: DB, principal: CurrentPrincipal, agreement_id: IdPath) -> Any:
    return teams.get_agreement(db, principal, agreement_id)


# --- insurance of team members ----------------------------------------------------------------------

@router.get("/insurance", response_model=Page[InsuranceRead])
def list_insurance(db: DB, principal: CurrentPrincipal, q: Text = "", team_id: IdQuery = None, state: Code = "",
                   page: PageNo = 1, per_page: PerPage = 50) -> Any:
    stmt = insurance.policies(principal, q=q, team_id=team_id, state=state,
                              notice_days=defaults.value(db, defaults.INSURANCE_NOTICE))
    return _page(db, stmt, InsuranceRead, page, per_page)


@router.post("/insurance", response_model=InsuranceRead, status_code=201)
def create_insurance(db: DB, principal: CurrentPrincipal, data: InsuranceCreate) -> Any:
    return insurance.create_policy(db, principal, data)


@router.get("/insurance/{res_insurance_id}", response_model=InsuranceRead)
def get_insurance(db: DB, principal: CurrentPrincipal, res_insurance_id: IdPath) -> Any:
    return insurance.get_policy(db, principal, res_insurance_id)


@router.get("/teams/{team_id}/insurance", response_model=TeamCover)
def team_insurance(db: DB, principal: CurrentPrincipal, team_id: IdPath) -> Any:
    return insurance.team_cover(db, principal, team_id)


# --- catalogue, warehouses, lots, ledger --------------------------------------------------------------

@router.get("/items", response_model=Page[ItemRead])
def list_items(db: DB, principal: CurrentPrincipal, q: Text = "", sector: Code = "", category: Code = "",
               page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return _page(db, supplies.items(principal, q=q, sector=sector, category=category), ItemRead, page, per_page)


@router.post("/items", response_model=ItemRead, status_code=201)
def create_item(db: DB, principal: CurrentPrincipal, data: ItemCreate) -> Any:
    return supplies.create_item(db, principal, data)


@router.get("/items/{supply_item_id}", response_model=ItemRead)
def get_item(db: DB, principal: CurrentPrincipal, supply_item_id: IdPath) -> Any:
    return supplies.get_item(db, principal, supply_item_id)


@router.get("/warehouses", response_model=Page[WarehouseRead])
def list_warehouses(db: DB, principal: CurrentPrincipal, q: Text = "", kind: Code = "", page: PageNo = 1,
                    per_page: PerPage = 50) -> Any:
    return _page(db, supplies.warehouses(principal, q=q, kind=kind), WarehouseRead, page, per_page)


@router.post("/warehouses", response_model=WarehouseRead, status_code=201)
def create_warehouse(db: DB, principal: CurrentPrincipal, data: WarehouseCreate) -> Any:
    return supplies.create_warehouse(db, principal, data)


@router.get("/warehouses/{warehouse_id}", response_model=WarehouseRead)
def get_warehouse(db: DB, principal: CurrentPrincipal, warehouse_id: IdPath) -> Any:
    return supplies.get_warehouse(db, principal, warehouse_id)


def _stock_rows(rows: list[supplies.Stock]) -> list[StockRow]:
    return [StockRow(warehouse_id=r.warehouse_id, item_id=r.item_id, quantity=qty(r.milli),
                     minimum=None if r.min_milli is None else qty(r.min_milli), below_minimum=r.below_minimum)
            for r in rows]


@router.get("/warehouses/{warehouse_id}/stock", response_model=list[StockRow])
def warehouse_stock(db: DB, principal: CurrentPrincipal, warehouse_id: IdPath) -> Any:
    supplies.get_warehouse(db, principal, warehouse_id)
    return _stock_rows(supplies.stock(db, principal, warehouse_id=warehouse_id))


@router.get("/stock", response_model=list[StockRow])
def stock(db: DB, principal: CurrentPrincipal, supply_item_id: IdQuery = None) -> Any:
    return _stock_rows(supplies.stock(db, principal, item_id=supply_item_id))


@router.post("/warehouses/{warehouse_id}/receipts", response_model=MovementRead, status_code=201)
def receive(db: DB, principal: CurrentPrincipal, warehouse_id: IdPath, data: ReceiptIn) -> Any:
    return ledger.movement_read(ledger.receive(db, principal, warehouse_id, data))


@router.post("/warehouses/{warehouse_id}/minimums", response_model=StockRow)
def set_minimum(db: DB, principal: CurrentPrincipal, warehouse_id: IdPath, data: MinLevelIn) -> Any:
    supplies.set_minimum(db, principal, warehouse_id, data)
    return _stock_rows(supplies.stock(db, principal, warehouse_id=warehouse_id, item_id=data.supply_item_id))[0]


@router.get("/lots", response_model=list[LotRead])
def list_lots(db: DB, principal: CurrentPrincipal, warehouse_id: IdQuery = None, supply_item_id: IdQuery = None,
              state: Code = "", page: Annotated[int | None, Query(ge=1, le=100000)] = None,
              per_page: PerPage = 50) -> Any:
    """The filtered lots, soonest expiry first: the whole list, or one page of it when ``page`` is given;
    the header ``X-Total-Count`` holds the number of lots matching the filters either way."""
    if page is None:
        rows = supplies.lots(db, principal, warehouse_id=warehouse_id, item_id=supply_item_id, state=state)
        total = len(rows)
    else:
        found = supplies.lots_page(db, principal, warehouse_id=warehouse_id, item_id=supply_item_id, state=state,
                                   page=page, per_page=per_page)
        rows, total = found.items, found.total
    return JSONResponse([r.model_dump(mode="json") for r in rows], headers={"X-Total-Count": str(total)})


@router.get("/lots/{lot_id}", response_model=LotRead)
def get_lot(db: DB, principal: CurrentPrincipal, lot_id: IdPath) -> Any:
    return supplies.get_lot(db, principal, lot_id)


@router.post("/lots/{lot_id}/issue", response_model=MovementRead, status_code=201)
def issue(db: DB, principal: CurrentPrincipal, lot_id: IdPath, data: IssueIn) -> Any:
    return ledger.movement_read(ledger.issue(db, principal, lot_id, data))


@router.post("/lots/{lot_id}/write-off", response_model=MovementRead, status_code=201)
def write_off(db: DB, principal: CurrentPrincipal, lot_id: IdPath, data: IssueIn) -> Any:
    return ledger.movement_read(ledger.write_off(db, principal, lot_id, data))


@router.post("/lots/{lot_id}/transfer", response_model=list[MovementRead], status_code=201)
def transfer(db: DB, principal: CurrentPrincipal, lot_id: IdPath, data: TransferIn) -> Any:
    return [ledger.movement_read(m) for m in ledger.transfer(db, principal, lot_id, data)]


@router.get("/movements", response_model=Page[MovementRead])
def list_movements(db: DB, principal: CurrentPrincipal, warehouse_id: IdQuery = None, lot_id: IdQuery = None,
                   supply_item_id: IdQuery = None, res_dispatch_id: IdQuery = None, kind: Code = "", page: PageNo = 1,
                   per_page: PerPage = 50) -> Any:
    stmt = ledger.movements(principal, warehouse_id=warehouse_id, lot_id=lot_id, item_id=supply_item_id, kind=kind,
                            dispatch_id=res_dispatch_id)
    per_page = min(per_page, 500)
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = db.scalars(stmt.limit(per_page).offset((page - 1) * per_page))
    return json_response(Page[MovementRead](items=[ledger.movement_read(m) for m in rows], total=total, page=page,
                                            per_page=per_page))


@router.get("/movements/{movement_id}", response_model=MovementRead)
def get_movement(db: DB, principal: CurrentPrincipal, movement_id: IdPath) -> Any:
    return ledger.movement_read(get_scoped(db, principal, Movement, movement_id))


# --- dispatch, contracts, matching ------------------------------------------------------------------

@router.get("/dispatches", response_model=Page[DispatchRead])
def list_dispatches(db: DB, principal: CurrentPrincipal, q: Text = "", status: Code = "", event_id: IdQuery = None,
                    page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return _page(db, dispatch.dispatches(principal, q=q, status=status, event_id=event_id), DispatchRead, page,
                 per_page)


@router.post("/dispatches", response_model=DispatchDetail, status_code=201)
def create_dispatch(db: DB, principal: CurrentPrincipal, data: DispatchCreate) -> Any:
    return dispatch.detail(db, principal, dispatch.create(db, principal, data).id)


@router.get("/dispatches/{res_dispatch_id}", response_model=DispatchDetail)
def get_dispatch(db: DB, principal: CurrentPrincipal, res_dispatch_id: IdPath) -> Any:
    return dispatch.detail(db, principal, res_dispatch_id)


@router.post("/dispatches/{res_dispatch_id}/approve", response_model=DispatchDetail)
def approve(db: DB, principal: CurrentPrincipal, res_dispatch_id: IdPath, data: DecisionIn) -> Any:
    dispatch.approve(db, principal, res_dispatch_id, data.note)
    return dispatch.detail(db, principal, res_dispatch_id)


@router.post("/dispatches/{res_dispatch_id}/reject", response_model=DispatchDetail)
def reject(db: DB, principal: CurrentPrincipal, res_dispatch_id: IdPath, data: DecisionIn) -> Any:
    dispatch.reject(db, principal, res_dispatch_id, data.note)
    return dispatch.detail(db, principal, res_dispatch_id)


@router.get("/dispatches/{res_dispatch_id}/suggestions", response_model=list[Suggestion])
def suggestions(db: DB, principal: CurrentPrincipal, res_dispatch_id: IdPath) -> Any:
    return dispatch.suggest(db, principal, res_dispatch_id)


@router.post("/dispatches/{res_dispatch_id}/allocate", response_model=DispatchDetail)
def allocate(db: DB, principal: CurrentPrincipal, res_dispatch_id: IdPath, data: AllocateIn) -> Any:
    dispatch.allocate(db, principal, res_dispatch_id, data)
    return dispatch.detail(db, principal, res_dispatch_id)


@router.post("/dispatches/{res_dispatch_id}/ship", response_model=DispatchDetail)
def ship(db: DB, principal: CurrentPrincipal, res_dispatch_id: IdPath, data: DecisionIn) -> Any:
    dispatch.ship(db, principal, res_dispatch_id, data.note)
    return dispatch.detail(db, principal, res_dispatch_id)


@router.post("/dispatches/{res_dispatch_id}/receive", response_model=DispatchDetail)
def receive_dispatch(db: DB, principal: CurrentPrincipal, res_dispatch_id: IdPath, data: ReceiveIn) -> Any:
    dispatch.receive(db, principal, res_dispatch_id, data)
    return dispatch.detail(db, principal, res_dispatch_id)


@router.get("/contracts", response_model=list[ContractRead])
def list_contracts(db: DB, principal: CurrentPrincipal, q: Text = "", supply_item_id: IdQuery = None,
                   page: PageNo = 1, per_page: PerPage = 500) -> Any:
    """One page of the filtered contracts; the header ``X-Total-Count`` holds how many there are in all."""
    stmt = dispatch.contracts(principal, q=q, item_id=supply_item_id)
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(db.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return JSONResponse([r.model_dump(mode="json") for r in dispatch.contract_reads(db, rows)],
                        headers={"X-Total-Count": str(total)})


@router.post("/contracts", response_model=ContractRead, status_code=201)
def create_contract(db: DB, principal: CurrentPrincipal, data: ContractCreate) -> Any:
    return dispatch.contract_reads(db, [dispatch.create_contract(db, principal, data)])[0]


@router.get("/contracts/{contract_id}", response_model=ContractRead)
def get_contract(db: DB, principal: CurrentPrincipal, contract_id: IdPath) -> Any:
    return dispatch.contract_reads(db, [get_scoped(db, principal, SupplierContract, contract_id)])[0]


@router.get("/matches", response_model=list[Match])
def matches(db: DB, principal: CurrentPrincipal, supply_item_id: IdQuery = None) -> Any:
    return dispatch.matches(db, principal, item_id=supply_item_id)


# --- shelters, equipment, R2.3 records ---------------------------------------------------------------

@router.get("/shelters", response_model=Page[ShelterRead])
def list_shelters(db: DB, principal: CurrentPrincipal, q: Text = "", kind: Code = "",
                  min_free: Annotated[int, Query(ge=0, le=10_000_000)] = 0, page: PageNo = 1,
                  per_page: PerPage = 50) -> Any:
    return _page(db, shelters.shelters(principal, q=q, kind=kind, min_free=min_free), ShelterRead, page, per_page)


@router.post("/shelters", response_model=ShelterRead, status_code=201)
def create_shelter(db: DB, principal: CurrentPrincipal, data: ShelterCreate) -> Any:
    return shelters.create_shelter(db, principal, data)


@router.get("/shelters/{shelter_id}", response_model=ShelterRead)
def get_shelter(db: DB, principal: CurrentPrincipal, shelter_id: IdPath) -> Any:
    return shelters.get_shelter(db, principal, shelter_id)


@router.post("/shelters/{shelter_id}/status", response_model=ShelterRead)
def shelter_status(db: DB, principal: CurrentPrincipal, shelter_id: IdPath, data: ShelterStatusIn) -> Any:
    return shelters.set_status(db, principal, shelter_id, data)


@router.get("/equipment", response_model=Page[EquipmentRead])
def list_equipment(db: DB, principal: CurrentPrincipal, q: Text = "", kind: Code = "", page: PageNo = 1,
                   per_page: PerPage = 50) -> Any:
    return _page(db, records.equipment(principal, q=q, kind=kind), EquipmentRead, page, per_page)


@router.post("/equipment", response_model=EquipmentRead, status_code=201)
def create_equipment(db: DB, principal: CurrentPrincipal, data: EquipmentCreate) -> Any:
    return records.create_equipment(db, principal, data)


@router.get("/equipment/{equipment_id}", response_model=EquipmentRead)
def get_equipment(db: DB, principal: CurrentPrincipal, equipment_id: IdPath) -> Any:
    return records.get_equipment(db, principal, equipment_id)


@router.get("/requisitions", response_model=Page[RequisitionRead])
def list_requisitions(db: DB, principal: CurrentPrincipal, q: Text = "", event_id: IdQuery = None,
                      page: PageNo = 1, per_page: PerPage = 50) -> Any:
    return _page(db, records.requisitions(principal, q=q, event_id=event_id), RequisitionRead, page, per_page)


@router.post("/requisitions", response_model=RequisitionRead, status_code=201)
def create_requisition(db: DB, principal: CurrentPrincipal, data: RequisitionCreate) -> Any:
    return records.create_requisition(db, principal, data)


@router.get("/requisitions/{requisition_id}", response_model=RequisitionRead)
def get_requisition(db: DB, principal: CurrentPrincipal, requisition_id: IdPath) -> Any:
    return get_scoped(db, principal, Requisition, requisition_id)


@router.get("/services", response_model=Page[ServiceRead])
def list_services(db: DB, principal: CurrentPrincipal, q: Text = "", event_id: IdQuery = None, page: PageNo = 1,
                  per_page: PerPage = 50) -> Any:
    return _page(db, records.services(principal, q=q, event_id=event_id), ServiceRead, page, per_page)


@router.post("/services", response_model=ServiceRead, status_code=201)
def create_service(db: DB, principal: CurrentPrincipal, data: ServiceCreate) -> Any:
    return records.create_service(db, principal, data)


@router.get("/services/{res_service_id}", response_model=ServiceRead)
def get_service(db: DB, principal: CurrentPrincipal, res_service_id: IdPath) -> Any:
    return get_scoped(db, principal, ServicePurchase, res_service_id)


@router.get("/donations", response_model=Page[DonationRead])
def list_donations(db: DB, principal: CurrentPrincipal, q: Text = "", event_id: IdQuery = None, page: PageNo = 1,
                   per_page: PerPage = 50) -> Any:
    return _page(db, records.donations(principal, q=q, event_id=event_id), DonationRead, page, per_page)


@router.post("/donations", response_model=DonationRead, status_code=201)
def create_donation(db: DB, principal: CurrentPrincipal, data: DonationCreate) -> Any:
    return records.create_donation(db, principal, data)


@router.get("/donations/{donation_id}", response_model=DonationRead)
def get_donation(db: DB, principal: CurrentPrincipal, donation_id: IdPath) -> Any:
    return get_scoped(db, principal, Donation, donation_id)


# --- near a point, rules --------------------------------------------------------------------------------

@router.get("/nearby", response_model=list[Near])
def near(db: DB, principal: CurrentPrincipal, lon: Annotated[float, Query(ge=-180, le=180)],
         lat: Annotated[float, Query(ge=-90, le=90)], kind: Code = "team", capability: Code = "",
         supply_item_id: IdQuery = None, min_free: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
         limit: Annotated[int, Query(ge=1, le=100)] = 10,
         radius_km: Annotated[float | None, Query(gt=0, le=2000)] = None, ready_only: bool = False,
         open_only: bool = False) -> Any:
    return nearby.nearest(db, principal, kind, lon, lat, limit=limit, radius_km=radius_km, capability=capability,
                          item_id=supply_item_id, min_free=min_free, ready_only=ready_only, open_only=open_only)


@router.get("/rules", response_model=list[RuleRead])
def list_rules(db: DB, principal: CurrentPrincipal) -> Any:
    principal.require("read")
    return defaults.list_rules(db)


@router.patch("/rules/{res_rule_id}", response_model=RuleRead)
def update_rule(db: DB, principal: CurrentPrincipal, res_rule_id: IdPath, data: RuleUpdate) -> Any:
    return defaults.update_rule(db, principal, res_rule_id, data.value, data.source)



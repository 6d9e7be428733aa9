"""Pydantic shapes in and out of the resource services. Quantities are exact decimals in the item's unit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yingji.core.schemas import Clean, Id
from yingji.i18n import N_

TEAM_KINDS = {"comprehensive": N_("comprehensive (fire)"), "flood": N_("flood and drought"),
              "mine": N_("mine rescue"), "geological": N_("geological disaster"), "forest_fire": N_("forest fire"),
              "medical": N_("medical"), "earthquake": N_("earthquake"), "utilities": N_("utilities"),
              "enterprise": N_("enterprise"), "park": N_("joint park team"), "volunteer": N_("volunteer")}
CAPABILITIES = {"earthquake": N_("earthquake"), "traffic": N_("traffic accident"),
                "petrochemical": N_("petrochemical"), "flood": N_("flood"), "fire": N_("fire"),
                "collapse": N_("building collapse"), "mountain": N_("mountain rescue"), "medical": N_("medical aid"),
                "hazmat": N_("hazardous materials"), "power": N_("power and utilities")}
READINESS = {"ready": N_("ready"), "standby": N_("on standby"), "deployed": N_("deployed"),
             "unavailable": N_("unavailable")}
SECTORS = {"civil_affairs": N_("civil affairs"), "emergency": N_("emergency management"), "health": N_("health"),
           "water": N_("water resources"), "transport": N_("transport"), "energy": N_("energy"),
           "food": N_("food and grain"), "other": N_("other")}
CATEGORIES = {"1": N_("basic living"), "2": N_("emergency equipment"), "3": N_("engineering materials and machinery"),
              "99": N_("other")}
UOMS = {"piece": N_("pieces"), "set": N_("sets"), "box": N_("boxes"), "tonne": N_("t"), "litre": N_("L"),
        "kg": N_("kg"), "bag": N_("bags")}
WAREHOUSE_KINDS = {"government": N_("government reserve"), "enterprise": N_("enterprise reserve"),
                   "social": N_("social reserve"), "contract": N_("contract reserve")}
SHELTER_KINDS = {"park": N_("park"), "square": N_("square"), "green": N_("green space"), "stadium": N_("stadium"),
                 "civil_defence": N_("civil-defence work"), "school": N_("school"), "other": N_("other")}
FACILITIES = {"water": N_("water"), "power": N_("power"), "drainage": N_("drainage"), "toilets": N_("toilets"),
              "signs": N_("signs"), "medical": N_("medical point"), "waste": N_("waste"), "fire": N_("fire-fighting"),
              "storage": N_("storage"), "command": N_("command"), "helipad": N_("helipad"), "showers": N_("showers")}
GRADES = ("", "I", "II", "III")
EQUIPMENT_KINDS = {"drone": N_("drone"), "command_vehicle": N_("command vehicle"),
                   "mobile_platform": N_("mobile command platform"), "other": N_("other equipment")}
EQUIPMENT_STATUS = {"ready": N_("ready"), "in_use": N_("in use"), "repair": N_("under repair")}
MOVEMENT_KINDS = {"receipt": N_("receipt"), "issue": N_("issue"), "transfer_out": N_("transfer out"),
                  "transfer_in": N_("transfer in"), "write_off": N_("write-off"), "dispatch": N_("dispatch shipment")}
DISPATCH_STATUS = {"requested": N_("requested"), "approved": N_("approved"), "rejected": N_("refused"),
                   "allocated": N_("allocated"), "shipped": N_("shipped"), "received": N_("received")}
STEP_KINDS = {"request": N_("requested"), "approve": N_("approved"), "reject": N_("refused"),
              "allocate": N_("allocated"), "ship": N_("shipped"), "receive": N_("received")}

Qty = Annotated[Decimal, Field(gt=0, le=Decimal("1000000000000"), max_digits=18, decimal_places=3)]
Lon = Annotated[float, Field(ge=-180, le=180)]
Lat = Annotated[float, Field(ge=-90, le=90)]
Phone = Annotated[str, Field(default="", max_length=40, pattern=r"^[0-9+\- ()]*$")]
Name = Annotated[str, Field(min_length=1, max_length=200)]


def _one_of(value: str, allowed: Any, what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what}")
    return value


def _codes(values: Any, allowed: Any, what: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [v for v in values.replace("，", ",").split(",") if v.strip()]
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"{what} must be a list of codes")
    out = [v.strip() for v in values]
    for v in out:
        _one_of(v, allowed, what)
    return out


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PlaceIn(Clean):
    lon: Lon | None = None
    lat: Lat | None = None
    address: str = Field(default="", max_length=300)

    @model_validator(mode="after")
    def _both_or_neither(self) -> Any:
        if (self.lon is None) != (self.lat is None):
            raise ValueError("give both longitude and latitude, or neither")
        return self


# --- teams and agreements -------------------------------------------------------------------

class TeamCreate(PlaceIn):
    unit_id: Id
    name: Name
    kind: str
    capabilities: list[str] = []
    members: int = Field(default=0, ge=0, le=100000)
    roster: str = Field(default="", max_length=20000)
    equipment: str = Field(default="", max_length=5000)
    contact_name: str = Field(default="", max_length=100)
    contact_phone: Phone = ""
    readiness: str = "ready"

    _kind = field_validator("kind")(lambda v: _one_of(v, TEAM_KINDS, "team type"))
    _caps = field_validator("capabilities", mode="before")(lambda v: _codes(v, CAPABILITIES, "capability"))
    _ready = field_validator("readiness")(lambda v: _one_of(v, READINESS, "readiness"))


class TeamUpdate(Clean):
    readiness: str | None = None
    members: int | None = Field(default=None, ge=0, le=100000)
    contact_name: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=40, pattern=r"^[0-9+\- ()]*$")
    equipment: str | None = Field(default=None, max_length=5000)

    @field_validator("readiness")
    @classmethod
    def _ready(cls, v: str | None) -> str | None:
        return None if v is None else _one_of(v, READINESS, "readiness")


class TeamRead(Read):
    id: int
    unit_id: int
    name: str
    kind: str
    capabilities: str
    members: int
    roster: str
    equipment: str
    contact_name: str
    contact_phone: str
    readiness: str
    lon: float | None
    lat: float | None
    address: str


class AgreementCreate(Clean):
    unit_id: Id
    team_id: Id
    title: Name
    starts_on: date
    ends_on: date
    note: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _order(self) -> Any:
        if self.ends_on < self.starts_on:
            raise ValueError("the agreement must end on or after its start")
        return self


INSURANCE_KINDS = {"accident": N_("personal accident insurance"), "work_injury": N_("work injury insurance"),
                   "liability": N_("liability insurance")}
INSURANCE_STATES = {"current": N_("cover in force"), "ending": N_("ending soon"), "ended": N_("ended"),
                    "future": N_("not yet in force")}


class InsuranceCreate(Clean):
    team_id: Id
    kind: str = "accident"
    insurer: Name
    policy_no: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z\-_/().]+$")
    insured_count: int = Field(ge=0, le=100000)
    cover_from: date
    cover_to: date
    note: str = Field(default="", max_length=2000)

    _kind = field_validator("kind")(lambda v: _one_of(v, INSURANCE_KINDS, "kind of insurance"))

    @model_validator(mode="after")
    def _order(self) -> Any:
        if self.cover_to < self.cover_from:
            raise ValueError("the cover must end on or after its first day")
        return self


class InsuranceRead(Read):
    id: int
    unit_id: int
    team_id: int
    kind: str
    insurer: str
    policy_no: str
    insured_count: int
    cover_from: date
    cover_to: date
    note: str
    notified_on: date | None = None


class CoverWarning(BaseModel):
    code: str  # uninsured, short, ending
    message: str


class TeamCover(BaseModel):
    """A team's insurance today: the members insured, the policies, and what needs attention."""

    team_id: int
    members: int
    insured_now: int
    notice_days: int
    notice_source: str
    warnings: list[CoverWarning]
    policies: list[InsuranceRead]


class AgreementRead(Read):
    id: int
    unit_id: int
    team_id: int
    title: str
    starts_on: date
    ends_on: date
    note: str


# --- catalogue, warehouses, stock -------------------------------------------------------------

class ItemCreate(Clean):
    unit_id: Id
    code: str = Field(default="", max_length=16, pattern=r"^[0-9]*$")
    name: Name
    category: str
    sector: str
    uom: str
    shelf_life_days: int | None = Field(default=None, ge=1, le=36500)

    _cat = field_validator("category")(lambda v: _one_of(v, CATEGORIES, "category"))
    _sector = field_validator("sector")(lambda v: _one_of(v, SECTORS, "sector"))
    _uom = field_validator("uom")(lambda v: _one_of(v, UOMS, "unit of measure"))


class ItemRead(Read):
    id: int
    unit_id: int
    code: str
    name: str
    category: str
    sector: str
    uom: str
    shelf_life_days: int | None


class WarehouseCreate(PlaceIn):
    unit_id: Id
    name: Name
    kind: str
    manager: str = Field(default="", max_length=100)
    phone: Phone = ""

    _kind = field_validator("kind")(lambda v: _one_of(v, WAREHOUSE_KINDS, "warehouse kind"))


class WarehouseRead(Read):
    id: int
    unit_id: int
    name: str
    kind: str
    manager: str
    phone: str
    lon: float | None
    lat: float | None
    address: str


class ReceiptIn(Clean):
    """Stock received into a warehouse: always a new lot."""

    supply_item_id: Id
    quantity: Qty
    lot_no: str = Field(default="", max_length=64)
    produced_on: date | None = None
    expires_on: date | None = None
    note: str = Field(default="", max_length=500)


class IssueIn(Clean):
    quantity: Qty
    note: str = Field(default="", max_length=500)


class TransferIn(Clean):
    quantity: Qty
    to_warehouse_id: Id
    note: str = Field(default="", max_length=500)


class MinLevelIn(Clean):
    supply_item_id: Id
    minimum: Annotated[Decimal, Field(ge=0, le=Decimal("1000000000000"), max_digits=18, decimal_places=3)]


class LotRead(BaseModel):
    id: int
    warehouse_id: int
    item_id: int
    lot_no: str
    produced_on: date | None
    expires_on: date | None
    quantity: str
    state: str


class MovementRead(BaseModel):
    id: int
    warehouse_id: int
    lot_id: int
    item_id: int
    kind: str
    quantity: str
    at: datetime
    pair_id: int | None
    dispatch_id: int | None
    note: str
    actor_name: str


class StockRow(BaseModel):
    warehouse_id: int
    item_id: int
    quantity: str
    minimum: str | None
    below_minimum: bool


# --- dispatch --------------------------------------------------------------------------------

class DispatchLineIn(Clean):
    supply_item_id: Id
    quantity: Qty


class DispatchCreate(Clean):
    unit_id: Id
    title: Name
    event_id: Id | None = None
    destination: str = Field(default="", max_length=300)
    lon: Lon | None = None
    lat: Lat | None = None
    to_warehouse_id: Id | None = None
    lines: list[DispatchLineIn] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _distinct(self) -> Any:
        items = [line.supply_item_id for line in self.lines]
        if len(items) != len(set(items)):
            raise ValueError("each item once per request")
        return self


class AllocationIn(Clean):
    supply_item_id: Id
    quantity: Qty
    lot_id: Id | None = None
    contract_id: Id | None = None

    @model_validator(mode="after")
    def _source(self) -> Any:
        if (self.lot_id is None) == (self.contract_id is None):
            raise ValueError("name a lot or a supplier contract")
        return self


class AllocateIn(Clean):
    allocations: list[AllocationIn] = Field(max_length=200)


class ReceiveIn(Clean):
    """Received quantities per allocation id; an allocation not named is received in full."""

    received: dict[str, Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=3)]] = {}
    note: str = Field(default="", max_length=500)


class DecisionIn(Clean):
    note: str = Field(default="", max_length=500)


class DispatchRead(Read):
    id: int
    unit_id: int
    event_id: int | None
    title: str
    destination: str
    lon: float | None
    lat: float | None
    to_warehouse_id: int | None
    status: str
    requested_by: str
    approved_by: str


class LineState(BaseModel):
    line_id: int
    item_id: int
    item: str
    uom: str
    requested: str
    allocated: str
    shipped: str
    received: str
    short: str


class AllocationRead(BaseModel):
    id: int
    line_id: int
    item_id: int
    warehouse_id: int | None
    warehouse: str
    lot_id: int | None
    contract_id: int | None
    source: str
    quantity: str
    shipped: str
    received: str
    distance_km: float | None


class StepRead(Read):
    id: int
    kind: str
    at: datetime
    actor_name: str
    detail: str


class DispatchDetail(BaseModel):
    dispatch: DispatchRead
    lines: list[LineState]
    allocations: list[AllocationRead]
    steps: list[StepRead]
    movements: list[MovementRead]


class Suggestion(BaseModel):
    supply_item_id: int
    item: str
    lot_id: int | None
    contract_id: int | None
    warehouse_id: int | None
    source: str
    quantity: str
    distance_km: float | None
    expires_on: date | None


class ContractCreate(Clean):
    unit_id: Id
    supplier: Name
    supply_item_id: Id
    quantity: Qty
    delivery_hours: int = Field(default=24, ge=1, le=720)
    starts_on: date
    ends_on: date
    contact: str = Field(default="", max_length=100)
    lon: Lon | None = None
    lat: Lat | None = None

    @model_validator(mode="after")
    def _order(self) -> Any:
        if self.ends_on < self.starts_on:
            raise ValueError("the contract must end on or after its start")
        return self


class ContractRead(BaseModel):
    id: int
    unit_id: int
    supplier: str
    item_id: int
    quantity: str
    drawn: str
    delivery_hours: int
    starts_on: date
    ends_on: date
    contact: str


class Match(BaseModel):
    item_id: int
    item: str
    from_warehouse_id: int
    from_warehouse: str
    to_warehouse_id: int
    to_warehouse: str
    quantity: str
    distance_km: float | None


# --- shelters ------------------------------------------------------------------------------------

class ShelterCreate(PlaceIn):
    unit_id: Id
    name: Name
    kind: str
    indoor: bool = False
    grade: str = ""
    area_m2: int = Field(default=0, ge=0, le=100_000_000)
    capacity: int = Field(ge=0, le=10_000_000)
    facilities: list[str] = []
    responsible: str = Field(default="", max_length=100)
    phone: Phone = ""

    _kind = field_validator("kind")(lambda v: _one_of(v, SHELTER_KINDS, "shelter type"))
    _grade = field_validator("grade")(lambda v: _one_of(v, GRADES, "grade"))
    _fac = field_validator("facilities", mode="before")(lambda v: _codes(v, FACILITIES, "facility"))


class ShelterStatusIn(Clean):
    is_open: bool
    occupancy: int = Field(ge=0, le=10_000_000)
    event_id: Id | None = None


class ShelterRead(Read):
    id: int
    unit_id: int
    name: str
    kind: str
    indoor: bool
    grade: str
    area_m2: int
    capacity: int
    facilities: str
    responsible: str
    phone: str
    is_open: bool
    occupancy: int
    event_id: int | None
    lon: float | None
    lat: float | None
    address: str


# --- equipment and R2.3 records ---------------------------------------------------------------------

class EquipmentCreate(PlaceIn):
    unit_id: Id
    kind: str
    name: Name
    model: str = Field(default="", max_length=100)
    serial: str = Field(default="", max_length=100)
    status: str = "ready"
    custodian: str = Field(default="", max_length=100)
    phone: Phone = ""

    _kind = field_validator("kind")(lambda v: _one_of(v, EQUIPMENT_KINDS, "equipment kind"))
    _status = field_validator("status")(lambda v: _one_of(v, EQUIPMENT_STATUS, "status"))


class EquipmentRead(Read):
    id: int
    unit_id: int
    kind: str
    name: str
    model: str
    serial: str
    status: str
    custodian: str
    phone: str
    lon: float | None
    lat: float | None
    address: str


Money = Annotated[Decimal, Field(ge=0, le=Decimal("100000000000"), max_digits=14, decimal_places=2)]


class RequisitionCreate(Clean):
    unit_id: Id
    event_id: Id | None = None
    owner: Name
    description: str = Field(min_length=1, max_length=2000)
    taken_on: date
    returned_on: date | None = None
    compensation: Money = Decimal(0)
    compensated_on: date | None = None

    @model_validator(mode="after")
    def _order(self) -> Any:
        if self.returned_on is not None and self.returned_on < self.taken_on:
            raise ValueError("returned before it was taken")
        return self


class RequisitionRead(Read):
    id: int
    unit_id: int
    event_id: int | None
    owner: str
    description: str
    taken_on: date
    returned_on: date | None
    compensation_fen: int
    compensated_on: date | None


class ServiceCreate(Clean):
    unit_id: Id
    event_id: Id | None = None
    provider: Name
    description: str = Field(min_length=1, max_length=2000)
    amount: Money = Decimal(0)
    contracted_on: date


class ServiceRead(Read):
    id: int
    unit_id: int
    event_id: int | None
    provider: str
    description: str
    amount_fen: int
    contracted_on: date


class DonationCreate(Clean):
    unit_id: Id
    event_id: Id | None = None
    donor: Name
    description: str = Field(min_length=1, max_length=2000)
    amount: Money = Decimal(0)
    received_on: date
    destination: str = Field(default="", max_length=2000)
    distributed_on: date | None = None

    @model_validator(mode="after")
    def _order(self) -> Any:
        if self.distributed_on is not None and self.distributed_on < self.received_on:
            raise ValueError("passed on before it was received")
        return self


class DonationRead(Read):
    id: int
    unit_id: int
    event_id: int | None
    donor: str
    description: str
    amount_fen: int
    received_on: date
    destination: str
    distributed_on: date | None


# --- near a point ------------------------------------------------------------------------------------

class Near(BaseModel):
    kind: str
    id: int
    name: str
    unit_id: int
    lon: float
    lat: float
    distance_km: float
    detail: str


class RuleRead(Read):
    id: int | None
    key: str
    value: int
    unit: str
    source: str


class RuleUpdate(Clean):
    value: int = Field(ge=1, le=100000)
    source: str = Field(min_length=1, max_length=1000)

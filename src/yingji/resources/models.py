"""Tables of the resources module: teams and agreements, the supply catalogue, warehouses, stock lots
and their append-only ledger, dispatches, supplier contracts, shelters, equipment and the R2.3 records.

Quantities are integers in thousandths of the item's unit of measure (``*_milli``): exact on every
backend, summed in SQL without rounding. Money is in fen (1/100 yuan)."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from yingji import clock
from yingji.db import Base, Timestamped


def _unit_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)


def _event_fk() -> Mapped[int | None]:
    """The incident a record serves (``incident_events``), checked against the principal's area on write."""
    return mapped_column(ForeignKey("incident_events.id", ondelete="RESTRICT"), index=True)


class ResRule(Timestamped, Base):
    """A number the resource rules use (expiry warning days, agreement notice days…), with its source."""

    __tablename__ = "res_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    value: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)


CELL_DEGREES = 0.1  # grid cells of 0.1° x 0.1° (about 11 km x 8 km at Bortala's latitude)


def cell_of(lon: float | None, lat: float | None) -> int | None:
    """The grid cell holding a point: one integer, so that "the cells around a point" is one IN list."""
    if lon is None or lat is None:
        return None
    return (math.floor(lat / CELL_DEGREES) + 900) * 10000 + math.floor(lon / CELL_DEGREES) + 1800


class Located:
    """A place on the map (WGS 84) with its grid cell, the prefilter of "nearest" (kept by a mapper event)."""

    lon: Mapped[float | None]
    lat: Mapped[float | None]
    address: Mapped[str] = mapped_column(String(300), default="")
    cell: Mapped[int | None] = mapped_column(Integer, index=True)


@event.listens_for(Located, "before_insert", propagate=True)
@event.listens_for(Located, "before_update", propagate=True)
def _keep_cell(_mapper: Any, _connection: Any, target: Located) -> None:
    target.cell = cell_of(target.lon, target.lat)


class Team(Located, Timestamped, Base):
    __tablename__ = "res_team"
    __table_args__ = (
        Index("ix_res_team_lat_lon", "lat", "lon"),
        # "nearest" reads candidates from this index alone: the cell, the filters and the place
        Index("ix_res_team_near", "cell", "readiness", "lon", "lat", "unit_id", "capabilities"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _unit_fk()
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    # ",earthquake,traffic," — the commas make a capability filter one LIKE on every backend.
    capabilities: Mapped[str] = mapped_column(String(500), default="")
    members: Mapped[int] = mapped_column(Integer, default=0)
    roster: Mapped[str] = mapped_column(Text, default="")
    equipment: Mapped[str] = mapped_column(Text, default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    readiness: Mapped[str] = mapped_column(String(16), default="ready")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Agreement(Timestamped, Base):
    """A rescue agreement (救援协议) between a small high-risk firm and a professional team."""

    __tablename__ = "res_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _unit_fk()  # the firm
    team_id: Mapped[int] = mapped_column(ForeignKey("res_team.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    notified_on: Mapped[date | None] = mapped_column(Date)


class SupplyItem(Timestamped, Base):
    """A catalogue entry (GB/T 38565-2020 code where known), kept by a unit for its area and the units below."""

    __tablename__ = "res_supply_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _unit_fk()
    code: Mapped[str] = mapped_column(String(16), default="")
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(4))  # GB/T 38565 layer 1: 1, 2, 3 or 99
    sector: Mapped[str] = mapped_column(String(32))
    uom: Mapped[str] = mapped_column(String(16))
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)


class Warehouse(Located, Timestamped, Base):
    __tablename__ = "res_warehouse"
    __table_args__ = (Index("ix_res_warehouse_lat_lon", "lat", "lon"),
                      Index("ix_res_warehouse_near", "cell", "lon", "lat", "unit_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _unit_fk()
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # government, enterprise, social, contract
    manager: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class Lot(Timestamped, Base):
    """A lot of one item in one warehouse. ``quantity_milli`` is the balance the ledger maintains: it is
    written only together with a movement, and equals the sum of the lot's movements."""

    __tablename__ = "res_lot"
    __table_args__ = (
        CheckConstraint("quantity_milli >= 0", name="not_negative"),
        CheckConstraint("expires_on IS NULL OR produced_on IS NULL OR expires_on >= produced_on",
                        name="expiry_after_production"),
        Index("ix_res_lot_wh_item", "warehouse_id", "item_id"),
        Index("ix_res_lot_item_expiry", "item_id", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _unit_fk()
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("res_warehouse.id", ondelete="RESTRICT"))
    item_id: Mapped[int] = mapped_column(ForeignKey("res_supply_item.id", ondelete="RESTRICT"))
    lot_no: Mapped[str] = mapped_column(String(64), default="")
    produced_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    quantity_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    warned_state: Mapped[str] = mapped_column(String(8), default="")  # the last expiry state told to the unit


class Movement(Base):
    """One line of the stock ledger (append-only: database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "res_movement"
    __table_args__ = (
        CheckConstraint("delta_milli <> 0", name="not_zero"),
        Index("ix_res_movement_lot", "lot_id", "id"),
        Index("ix_res_movement_wh", "warehouse_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _unit_fk()
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("res_warehouse.id", ondelete="RESTRICT"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("res_lot.id", ondelete="RESTRICT"))
    item_id: Mapped[int] = mapped_column(ForeignKey("res_supply_item.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))  # receipt, issue, transfer_out, transfer_in, write_off, dispatch
    delta_milli: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    pair_id: Mapped[int | None] = mapped_column(Integer)  # the other half of a transfer
    dispatch_id: Mapped[int | None] = mapped_column(Integer, index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    actor_name: Mapped[str] = mapped_column(String(100), default="")


class MinLevel(Timestamped, Base):
    __tablename__ = "res_min_level"
    __table_args__ = (UniqueConstraint("warehouse_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _unit_fk()
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("res_warehouse.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("res_supply_item.id", ondelete="RESTRICT"))
    min_milli: Mapped[int] = mapped_column(BigInteger)


class SupplierContract(Timestamped, Base):
    """A pre-signed supplier contract (协议储备): stock a supplier delivers on call."""

    __tablename__ = "res_contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _unit_fk()
    supplier: Mapped[str] = mapped_column(String(200))
    item_id: Mapped[int] = mapped_column(ForeignKey("res_supply_item.id", ondelete="RESTRICT"), index=True)
    quantity_milli: Mapped[int] = mapped_column(BigInteger)
    delivery_hours: Mapped[int] = mapped_column(Integer, default=24)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    contact: Mapped[str] = mapped_column(String(100), default="")
    lon: Mapped[float | None]
    lat: Mapped[float | None]


class Dispatch(Timestamped, Base):
    """A request for supplies and its way through approval, allocation, shipment and receipt, for an
    incident (``incident_events``) the requester can see, or for a unit's own needs."""

    __tablename__ = "res_dispatch"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _unit_fk()  # the requesting unit
    event_id: Mapped[int | None] = mapped_column(ForeignKey("incident_events.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    destination: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    to_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("res_warehouse.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), default="requested")
    requested_by: Mapped[str] = mapped_column(String(100), default="")
    approved_by: Mapped[str] = mapped_column(String(100), default="")
    approved_at: Mapped[datetime | None]


class DispatchLine(Base):
    __tablename__ = "res_dispatch_line"
    __table_args__ = (UniqueConstraint("dispatch_id", "item_id"),
                      CheckConstraint("requested_milli > 0", name="positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    dispatch_id: Mapped[int] = mapped_column(ForeignKey("res_dispatch.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = _unit_fk()
    item_id: Mapped[int] = mapped_column(ForeignKey("res_supply_item.id", ondelete="RESTRICT"))
    requested_milli: Mapped[int] = mapped_column(BigInteger)


class Allocation(Timestamped, Base):
    """Part of a line to come from one lot of a warehouse (or from a supplier contract)."""

    __tablename__ = "res_allocation"
    __table_args__ = (CheckConstraint("quantity_milli > 0", name="positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dispatch_id: Mapped[int] = mapped_column(ForeignKey("res_dispatch.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("res_dispatch_line.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = _unit_fk()  # the requesting unit (the dispatch's)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("res_warehouse.id", ondelete="RESTRICT"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("res_lot.id", ondelete="RESTRICT"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("res_contract.id", ondelete="RESTRICT"))
    quantity_milli: Mapped[int] = mapped_column(BigInteger)
    shipped_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    received_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    shipped_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]


class DispatchStep(Base):
    """The dispatch's own ledger: request, approval, allocation, shipment, receipt (append-only)."""

    __tablename__ = "res_dispatch_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispatch_id: Mapped[int] = mapped_column(ForeignKey("res_dispatch.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int] = _unit_fk()
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class Shelter(Located, Timestamped, Base):
    __tablename__ = "res_shelter"
    __table_args__ = (
        CheckConstraint("occupancy >= 0 AND occupancy <= capacity", name="occupancy_within_capacity"),
        Index("ix_res_shelter_lat_lon", "lat", "lon"),
        Index("ix_res_shelter_near", "cell", "is_open", "lon", "lat", "unit_id", "capacity", "occupancy"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _unit_fk()
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24))
    indoor: Mapped[bool] = mapped_column(Boolean, default=False)
    grade: Mapped[str] = mapped_column(String(4), default="")  # GB 21734: I, II, III
    area_m2: Mapped[int] = mapped_column(Integer, default=0)
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    facilities: Mapped[str] = mapped_column(String(500), default="")  # ",water,power,"
    responsible: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)
    occupancy: Mapped[int] = mapped_column(Integer, default=0)
    event_id: Mapped[int | None] = _event_fk()
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class ShelterStatus(Base):
    """A shelter opened, closed or counted (append-only history)."""

    __tablename__ = "res_shelter_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    shelter_id: Mapped[int] = mapped_column(ForeignKey("res_shelter.id", ondelete="RESTRICT"), index=True)
    unit_id: Mapped[int] = _unit_fk()
    is_open: Mapped[bool] = mapped_column(Boolean)
    occupancy: Mapped[int] = mapped_column(Integer)
    # No foreign key: the history is append-only and older rows may name an event that never existed;
    # shelters.set_status checks the event against the principal's area before a row is written.
    event_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_name: Mapped[str] = mapped_column(String(100), default="")


class Equipment(Located, Timestamped, Base):
    __tablename__ = "res_equipment"
    __table_args__ = (Index("ix_res_equipment_near", "cell", "kind", "lon", "lat", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _unit_fk()
    kind: Mapped[str] = mapped_column(String(24))  # drone, command_vehicle, mobile_platform, other
    name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(100), default="")
    serial: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16), default="ready")
    custodian: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")


class Requisition(Timestamped, Base):
    """R2.3: a resource requisitioned (征用) in an emergency, its return and its compensation."""

    __tablename__ = "res_requisition"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _unit_fk()
    event_id: Mapped[int | None] = _event_fk()
    owner: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    taken_on: Mapped[date] = mapped_column(Date)
    returned_on: Mapped[date | None] = mapped_column(Date)
    compensation_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    compensated_on: Mapped[date | None] = mapped_column(Date)


class ServicePurchase(Timestamped, Base):
    """R2.3: a social service purchased (政府购买服务) for emergency work."""

    __tablename__ = "res_service_purchase"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _unit_fk()
    event_id: Mapped[int | None] = _event_fk()
    provider: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    contracted_on: Mapped[date] = mapped_column(Date)


class Donation(Timestamped, Base):
    """R2.3: a donation received and where it went."""

    __tablename__ = "res_donation"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _unit_fk()
    event_id: Mapped[int | None] = _event_fk()
    donor: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    received_on: Mapped[date] = mapped_column(Date)
    destination: Mapped[str] = mapped_column(Text, default="")
    distributed_on: Mapped[date | None] = mapped_column(Date)


class TeamInsurance(Timestamped, Base):
    """An insurance policy covering a rescue team's members (R4.3; 人身意外伤害保险, 工伤保险, 责任保险):
    the insurer, the policy number, how many members it covers and the days of cover (both inclusive)."""

    __tablename__ = "res_team_insurance"
    __table_args__ = (
        CheckConstraint("insured_count >= 0", name="count_not_negative"),
        CheckConstraint("cover_to >= cover_from", name="cover_in_order"),
        Index("ix_res_team_insurance_team_cover", "team_id", "cover_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = _unit_fk()  # the team's owner
    team_id: Mapped[int] = mapped_column(ForeignKey("res_team.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16), default="accident")  # accident, work_injury, liability
    insurer: Mapped[str] = mapped_column(String(200))
    policy_no: Mapped[str] = mapped_column(String(64))
    insured_count: Mapped[int] = mapped_column(Integer)
    cover_from: Mapped[date] = mapped_column(Date)
    cover_to: Mapped[date] = mapped_column(Date, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    notified_on: Mapped[date | None] = mapped_column(Date)  # the day the team's unit was told the cover ends

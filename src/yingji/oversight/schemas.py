"""Pydantic shapes in and out of the oversight module. Money is integer fen (分) or a decimal yuan string."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yingji.core.schemas import Clean, Id

SOURCE_KINDS = ("instruction", "meeting", "document")
BUDGET_KINDS = ("reserve", "drills", "publicity", "training", "equipment")
PROJECT_STATUSES = ("planned", "running", "done")
CATEGORIES = ("1", "2", "3", "4")
FIGURES = ("count", "deaths", "injured", "missing", "loss")
MAX_FEN = 10**15  # ten trillion yuan: far above any budget, inside BIGINT
Year = Annotated[int, Field(ge=2000, le=2100)]
Percent = Annotated[int, Field(ge=0, le=100)]
Fen = Annotated[int, Field(ge=0, le=MAX_FEN)]


def yuan_to_fen(value: object) -> int:
    """'1234.56' → 123456 (exact, via Decimal); more than two decimals or not a number is refused."""
    if isinstance(value, bool):
        raise ValueError("not an amount")
    if isinstance(value, int):
        return value * 100
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValueError("not an amount") from exc
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("at most two decimals")
    return int(amount * 100)


def fen_to_yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:,.2f}"


class TaskCreate(Clean):
    unit_id: Id
    source_kind: Literal["instruction", "meeting", "document"]
    source_ref: str = Field(min_length=1, max_length=300)
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=10000)
    owner_person: str = Field(min_length=1, max_length=100)
    owner_user_id: Id | None = None
    assigned_by_name: str = Field(default="", max_length=100)
    deadline: date


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    source_kind: str
    source_ref: str
    title: str
    owner_person: str
    deadline: date
    status: str
    progress: int
    closed_at: datetime | None
    escalated_at: datetime | None


class MilestoneCreate(Clean):
    title: str = Field(min_length=1, max_length=300)
    due_on: date


class MilestoneRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    task_id: int
    title: str
    due_on: date
    done_at: datetime | None


class ProgressCreate(Clean):
    note: str = Field(min_length=1, max_length=10000)
    percent: Percent


class ProgressRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    task_id: int
    note: str
    percent: int
    attachment_id: int | None
    author_name: str
    created_at: datetime


class TaskClose(Clean):
    note: str = Field(min_length=1, max_length=10000)


class AnnualReportFile(Clean):
    unit_id: Id
    year: Year
    summary: str = Field(min_length=1, max_length=100000)


class AnnualReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    year: int
    status: str
    filed_at: datetime | None
    filed_by_name: str
    on_time: bool | None
    attachment_id: int | None


class ProjectCreate(Clean):
    unit_id: Id
    name: str = Field(min_length=1, max_length=300)
    plan_period: str = Field(default="", max_length=40)
    implementation_plan: str = Field(default="", max_length=20000)
    budget_yuan: str = Field(max_length=24)
    starts_on: date
    ends_on: date

    @field_validator("budget_yuan")
    @classmethod
    def _amount(cls, value: str) -> str:
        fen = yuan_to_fen(value)
        if not 0 <= fen <= MAX_FEN:
            raise ValueError("out of range")
        return value

    @model_validator(mode="after")
    def _dates(self) -> ProjectCreate:
        if self.ends_on < self.starts_on:
            raise ValueError("the project must end on or after its start")
        return self


class ProjectUpdate(Clean):
    progress: Percent
    spent_yuan: str = Field(max_length=24)
    status: Literal["planned", "running", "done"]

    @field_validator("spent_yuan")
    @classmethod
    def _amount(cls, value: str) -> str:
        fen = yuan_to_fen(value)
        if not 0 <= fen <= MAX_FEN:
            raise ValueError("out of range")
        return value


class ProjectRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    name: str
    plan_period: str
    budget_fen: int
    spent_fen: int
    progress: int
    starts_on: date
    ends_on: date
    status: str


class BudgetLineCreate(Clean):
    unit_id: Id
    year: Year
    kind: Literal["reserve", "drills", "publicity", "training", "equipment"]
    planned_yuan: str = Field(max_length=24)
    note: str = Field(default="", max_length=300)

    @field_validator("planned_yuan")
    @classmethod
    def _amount(cls, value: str) -> str:
        fen = yuan_to_fen(value)
        if not 0 <= fen <= MAX_FEN:
            raise ValueError("out of range")
        return value


class SpendingCreate(Clean):
    spent_on: date
    amount_yuan: str = Field(max_length=24)
    note: str = Field(min_length=1, max_length=300)

    @field_validator("amount_yuan")
    @classmethod
    def _amount(cls, value: str) -> str:
        fen = yuan_to_fen(value)
        if fen == 0 or abs(fen) > MAX_FEN:
            raise ValueError("out of range")
        return value


class BudgetLineRead(BaseModel):
    id: int
    unit_id: int
    unit_name: str
    year: int
    kind: str
    planned_fen: int
    spent_fen: int


class StatFormRow(BaseModel):
    level: Annotated[int, Field(ge=1, le=4)]
    count: Annotated[int, Field(ge=0, le=10**7)]
    deaths: Annotated[int, Field(ge=0, le=10**7)]
    injured: Annotated[int, Field(ge=0, le=10**7)]
    missing: Annotated[int, Field(ge=0, le=10**7)]
    loss: Annotated[int, Field(ge=0, le=MAX_FEN)]


class StatFormCreate(Clean):
    unit_id: Id
    category: Literal["1", "2", "3", "4"]
    year: Year
    period: Literal["month", "quarter", "year"]
    period_no: Annotated[int, Field(ge=1, le=12)]
    rows: list[StatFormRow] = Field(min_length=1, max_length=4)
    totals: dict[Literal["count", "deaths", "injured", "missing", "loss"], Annotated[int, Field(ge=0, le=MAX_FEN)]]


class StatFormRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    category: str
    year: int
    period: str
    period_no: int
    rows: list[dict[str, int]]
    totals: dict[str, int]


class ScoreSet(Clean):
    unit_id: Id
    year: Year
    indicator_id: Id
    percent: int = Field(ge=0, le=100)
    evidence: str = Field(min_length=1, max_length=5000)


class WeightSet(Clean):
    unit_kind: Literal["county", "department", "township"]
    weights: dict[str, Annotated[int, Field(ge=0, le=100)]]


class CountermeasureCreate(Clean):
    year: Year
    finding_key: str = Field(min_length=1, max_length=80)
    text: str = Field(default="", max_length=5000)  # an empty text is refused by the service, with its message
    owner_unit_id: Id
    task_id: Id | None = None


class CountermeasureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    year: int
    finding_key: str
    text: str
    owner_unit_id: int
    task_id: int | None
    author_name: str
    created_at: datetime

"""Pydantic shapes in and out of the preparedness services, and the fixed vocabularies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yingji.core.schemas import Clean, Id
from yingji.i18n import N_

PLAN_TYPES: dict[str, str] = {
    "overall": N_("overall plan (总体)"), "special": N_("special plan (专项)"),
    "department": N_("department plan (部门)"),
    "grassroots": N_("grassroots unit plan (基层单位)"), "unit": N_("enterprise or institution plan (企事业单位)"),
    "major_event": N_("major event plan (重大活动)"), "joint": N_("joint plan (联合)"),
}
PLAN_STATUSES: dict[str, str] = {"draft": N_("draft"), "in_force": N_("in force"),
                                 "under_revision": N_("under revision"), "superseded": N_("superseded")}
# Allowed status changes (a superseded plan never comes back).
PLAN_MOVES: dict[str, tuple[str, ...]] = {"draft": ("in_force",), "in_force": ("under_revision", "superseded"),
                                          "under_revision": ("in_force", "superseded"), "superseded": ()}
EVENT_TYPES: dict[str, str] = {
    "flood_drought": N_("flood and drought"), "meteorological": N_("meteorological disaster"),
    "earthquake": N_("earthquake"), "geological": N_("geological disaster"),
    "forest_fire": N_("forest and grassland fire"), "biological": N_("biological disaster"),
    "work_safety": N_("work-safety accident"), "transport": N_("transport accident"),
    "public_facilities": N_("public facilities accident"), "environmental": N_("environmental pollution"),
    "infectious_disease": N_("infectious disease"), "food_safety": N_("food safety"),
    "animal_epidemic": N_("animal epidemic"), "mass_incident": N_("mass incident"), "terrorism": N_("terrorist attack"),
    "major_event": N_("major event"), "all": N_("all hazards"),
}
FILING_STATES: dict[str, str] = {"submitted": N_("submitted"), "accepted": N_("accepted"), "returned": N_("returned")}
DRILL_SCOPES: dict[str, str] = {"comprehensive": N_("comprehensive"), "special": N_("special")}
DRILL_FORMS: dict[str, str] = {"tabletop": N_("tabletop"), "functional": N_("functional"),
                               "full_scale": N_("full-scale")}
AUDIENCES: dict[str, str] = {"civil_servants": N_("civil servants"), "grassroots": N_("grassroots staff"),
                             "industry": N_("industry staff"), "school": N_("teachers and students"),
                             "public": N_("the public")}
EXPERT_FIELDS: dict[str, str] = {
    "natural_disaster": N_("natural disasters"), "geology": N_("geology"), "earthquake": N_("earthquakes"),
    "hazardous_chemicals": N_("hazardous chemicals"), "mining": N_("mining"), "fire": N_("fire"),
    "medical": N_("medical rescue"), "public_health": N_("public health"), "transport": N_("transport"),
    "utilities": N_("water, power and gas"), "communications": N_("communications"), "social": N_("social security"),
}
SITE_CATEGORIES: dict[str, str] = {"school": N_("school (进学校)"), "enterprise": N_("enterprise (进企业)"),
                                   "community": N_("community (进社区)"), "village": N_("village (进农村)")}
SEVEN_HAVES: dict[str, str] = {  # 七有
    "agency": N_("an agency (有机构)"), "plan": N_("a plan (有预案)"), "rules": N_("rules (有制度)"),
    "team": N_("a team (有队伍)"), "support": N_("support (有保障)"), "shelter": N_("a shelter (有场所)"),
    "publicity": N_("publicity (有宣传)"),
}
SIX_GRASPS: dict[str, str] = {  # 六抓
    "training": N_("training (抓培训)"), "hazards": N_("hazard rectification (抓隐患整改)"),
    "warning": N_("reporting and early warning (抓信息报告和预警)"),
    "first_response": N_("first response (抓先期处置)"),
    "assist": N_("assisting response (抓协助处置)"), "recovery": N_("recovery (抓恢复重建)"),
}
Day = date


def _one_of(value: str, allowed: dict[str, str] | tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what}")
    return value


class PlanCreate(Clean):
    unit_id: Id
    title: str = Field(min_length=1, max_length=300)
    plan_type: str
    event_types: list[str] = Field(default_factory=list, max_length=20)
    version: str = Field(default="1", min_length=1, max_length=32)
    issued_on: date | None = None
    status: str = "draft"
    parent_id: Id | None = None
    last_evaluated_on: date | None = None
    note: str = Field(default="", max_length=5000)

    @field_validator("plan_type")
    @classmethod
    def _type(cls, value: str) -> str:
        return _one_of(value, PLAN_TYPES, "plan type")

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        return _one_of(value, ("draft", "in_force"), "status")

    @field_validator("event_types")
    @classmethod
    def _events(cls, value: list[str]) -> list[str]:
        return [_one_of(v, EVENT_TYPES, "event type") for v in dict.fromkeys(value)]


class PlanStatus(Clean):
    status: str
    last_evaluated_on: date | None = None

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        return _one_of(value, PLAN_STATUSES, "status")


class PlanRevise(Clean):
    """A new version superseding the plan."""

    version: str = Field(min_length=1, max_length=32)
    issued_on: date
    title: str | None = Field(default=None, max_length=300)
    note: str = Field(default="", max_length=5000)


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    title: str
    plan_type: str
    event_types: list[str]
    version: str
    issued_on: date | None
    status: str
    parent_id: int | None
    supersedes_id: int | None
    last_evaluated_on: date | None
    document_id: int | None
    note: str


class FilingCreate(Clean):
    office_id: Id
    filed_on: date


class FilingDecision(Clean):
    accept: bool
    reasons: str = Field(default="", max_length=5000)


class FilingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    plan_id: int
    unit_id: int
    office_id: int
    filed_on: date
    state: str
    reasons: str
    decided_at: datetime | None


class LinkageCreate(Clean):
    unit_id: Id
    event_type: str
    lead_unit_id: Id
    lead_duties: str = Field(default="", max_length=5000)
    note: str = Field(default="", max_length=5000)

    @field_validator("event_type")
    @classmethod
    def _event(cls, value: str) -> str:
        return _one_of(value, EVENT_TYPES, "event type")


class LinkageMemberCreate(Clean):
    member_unit_id: Id
    role: str
    duties: str = Field(default="", max_length=5000)

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        return _one_of(value, ("cooperating", "participating"), "role")


class LinkageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    event_type: str
    lead_unit_id: int
    lead_duties: str
    note: str


class DrillCreate(Clean):
    unit_id: Id
    title: str = Field(min_length=1, max_length=300)
    held_on: date
    scope: str
    form: str = "tabletop"
    participants: int = Field(default=0, ge=0, le=1_000_000)
    scenario: str = Field(default="", max_length=10000)
    evaluation: str = Field(default="", max_length=10000)
    plan_ids: list[Id] = Field(default_factory=list, max_length=20)

    @field_validator("scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        return _one_of(value, DRILL_SCOPES, "drill scope")

    @field_validator("form")
    @classmethod
    def _form(cls, value: str) -> str:
        return _one_of(value, DRILL_FORMS, "drill form")


class DrillRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    title: str
    held_on: date
    scope: str
    form: str
    participants: int
    scenario: str
    evaluation: str


class ImprovementCreate(Clean):
    text: str = Field(min_length=1, max_length=5000)
    owner: str = Field(default="", max_length=100)
    due_on: date | None = None


class ImprovementClose(Clean):
    note: str = Field(min_length=1, max_length=5000)


class ImprovementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    drill_id: int
    unit_id: int
    text: str
    owner: str
    due_on: date | None
    closed_at: datetime | None
    closing_note: str


class TrainingCreate(Clean):
    unit_id: Id
    title: str = Field(min_length=1, max_length=300)
    held_on: date
    audience: str
    hours: float = Field(gt=0, le=1000)
    attendees: int = Field(ge=1, le=1_000_000)
    note: str = Field(default="", max_length=5000)

    @field_validator("audience")
    @classmethod
    def _audience(cls, value: str) -> str:
        return _one_of(value, AUDIENCES, "audience")


class TrainingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    title: str
    held_on: date
    audience: str
    hours: float
    attendees: int
    note: str


class PublicityCreate(Clean):
    unit_id: Id
    year: int = Field(ge=2000, le=2100)
    title: str = Field(min_length=1, max_length=300)
    planned_month: int = Field(ge=1, le=12)
    note: str = Field(default="", max_length=5000)


class PublicityDone(Clean):
    done_on: date


class PublicityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    year: int
    title: str
    planned_month: int
    done_on: date | None


class ExpertCreate(Clean):
    unit_id: Id
    name: str = Field(min_length=1, max_length=100)
    field: str
    employer: str = Field(default="", max_length=200)
    title: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=40, pattern=r"^[0-9+\- ()]*$")
    email: str = Field(default="", max_length=200, pattern=r"^$|^[^@\s]+@[^@\s]+$")
    available: bool = True

    @field_validator("field")
    @classmethod
    def _field(cls, value: str) -> str:
        return _one_of(value, EXPERT_FIELDS, "field")


class ExpertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    name: str
    field: str
    employer: str
    title: str
    phone: str
    email: str
    available: bool


class SiteCreate(Clean):
    unit_id: Id
    name: str = Field(min_length=1, max_length=200)
    category: str
    accredited_year: int | None = Field(default=None, ge=2000, le=2100)
    note: str = Field(default="", max_length=5000)

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        return _one_of(value, SITE_CATEGORIES, "category")


class SiteAccredit(Clean):
    accredited_year: int = Field(ge=2000, le=2100)


class SiteAssessment(Clean):
    scores: dict[str, int]

    @field_validator("scores")
    @classmethod
    def _scores(cls, value: dict[str, int]) -> dict[str, int]:
        for key, score in value.items():
            _one_of(key, SIX_GRASPS, "self-assessment item")
            if not 0 <= score <= 5:
                raise ValueError("scores are 0 to 5")
        return value


class SiteItemUpdate(Clean):
    done: bool
    evidence_id: Id | None = None
    evidence_note: str = Field(default="", max_length=2000)


class SiteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    name: str
    category: str
    accredited_year: int | None
    self_assessment: dict[str, Any]
    note: str


class SiteItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    site_id: int
    item: str
    done: bool
    evidence_id: int | None
    evidence_note: str


class RuleUpdate(Clean):
    threshold: float = Field(ge=0, le=1_000_000)
    param: int | None = Field(default=None, ge=1, le=10_000)
    source: str = Field(min_length=1, max_length=2000)
    active: bool = True


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    label: str
    unit_kinds: str
    measure: str
    period: str
    comparison: str
    threshold: float
    param: int | None
    source: str
    active: bool


class ResultRead(BaseModel):
    unit_id: int
    unit_code: str
    unit_name: str
    unit_kind: str
    rule: str
    rule_label: str
    source: str
    period: str
    value: float
    threshold: float
    expected: float
    status: str


class ComplianceRead(BaseModel):
    on: date
    year: int
    counts: dict[str, int]
    items: list[ResultRead]
    total: int
    page: int
    per_page: int

"""Pydantic shapes in and out of the response services."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from yingji.core.schemas import Clean, Id
from yingji.i18n import N_

ACTION_KINDS = {
    "action": N_("action taken"),
    "team_sent": N_("team sent"),
    "plan_activated": N_("plan activated"),
    "evacuation": N_("people evacuated / sheltered"),
    "secondary_measure": N_("measure against secondary events"),
    "leader_on_scene": N_("leader on scene"),
    "relief": N_("relief distributed"),
    "compensation": N_("compensation"),
    "psychological_support": N_("psychological support"),
    "clean_up": N_("clean-up"),
    "insurance": N_("insurance claims"),
    "investigation": N_("investigation"),
    "reconstruction": N_("reconstruction plan"),
}
AFTERMATH_KINDS = ("relief", "compensation", "psychological_support", "clean_up", "insurance", "investigation",
                   "reconstruction")
ActionKind = Literal["action", "team_sent", "plan_activated", "evacuation", "secondary_measure", "leader_on_scene",
                     "relief", "compensation", "psychological_support", "clean_up", "insurance", "investigation",
                     "reconstruction"]
TIP_STATUSES = {"unverified": N_("unverified"), "verified": N_("verified (new event)"),
                "merged": N_("merged into an event"), "dismissed": N_("dismissed")}
STATEMENT_STATUSES = {"draft": N_("draft"), "approved": N_("approved"), "published": N_("published")}
STATEMENT_KINDS = {"statement": N_("official statement"), "rebuttal": N_("rebuttal of a rumour")}
OPINION_CHANNELS = {"media": N_("news media"), "online": N_("website / forum"), "social": N_("social media"),
                    "other": N_("other")}
OPINION_ASSESSMENTS = {"accurate": N_("accurate"), "inaccurate": N_("inaccurate"), "rumour": N_("rumour"),
                       "sensitive": N_("sensitive, to watch")}


class ActionCreate(Clean):
    kind: ActionKind
    at: datetime | None = None
    actor_unit_id: Id
    text: str = Field(min_length=1, max_length=4000)
    name: str = Field(default="", max_length=200)
    people: int | None = Field(default=None, ge=0, le=10_000_000)
    sheltered: int | None = Field(default=None, ge=0, le=10_000_000)
    corrects_id: Id | None = None


class ActionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    unit_id: int
    actor_unit_id: int
    actor_unit_name: str
    kind: str
    at: datetime
    text: str
    name: str
    people: int | None
    sheltered: int | None
    corrects_id: int | None
    author_name: str
    created_at: datetime


class TipCreate(Clean):
    """What a member of the public sends (the photo comes separately, as a file)."""

    county_id: Id
    occurred_at: datetime
    text: str = Field(min_length=5, max_length=2000)
    place: str = Field(default="", max_length=300)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    reporter_name: str = Field(default="", max_length=100)
    reporter_phone: str = Field(default="", max_length=40, pattern=r"^[0-9+\-() ]*$")


class TipRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    occurred_at: datetime
    received_at: datetime
    text: str
    place: str
    lon: float | None
    lat: float | None
    reporter_name: str
    reporter_phone: str
    attachment_id: int | None
    status: str
    event_id: int | None
    reason: str
    decided_by_name: str
    decided_at: datetime | None


class TipVerify(Clean):
    """Verified: a new event known from the tip. Category and subtype follow the national classification."""

    title: str = Field(min_length=1, max_length=200)
    subtype: str = Field(min_length=1, max_length=16, pattern=r"^[0-9.]+$")
    category: str = Field(default="", max_length=16, pattern=r"^[0-9]*$")  # the subtype's first part when empty
    unit_id: Id | None = None  # the responsible unit; the tip's county when empty
    description: str = Field(default="", max_length=4000)


class TipMerge(Clean):
    event_id: Id


class TipDismiss(Clean):
    reason: str = Field(min_length=2, max_length=1000)


class StatementCreate(Clean):
    kind: Literal["statement", "rebuttal"] = "statement"
    title: str = Field(min_length=1, max_length=200)
    facts: str = Field(default="", max_length=8000)
    measures: str = Field(default="", max_length=8000)
    advice: str = Field(default="", max_length=8000)
    expert: str = Field(default="", max_length=200)


class StatementUpdate(Clean):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    facts: str | None = Field(default=None, max_length=8000)
    measures: str | None = Field(default=None, max_length=8000)
    advice: str | None = Field(default=None, max_length=8000)
    expert: str | None = Field(default=None, max_length=200)


class StatementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    unit_id: int
    kind: str
    title: str
    facts: str
    measures: str
    advice: str
    expert: str
    status: str
    drafted_by_name: str
    approved_by_name: str
    approved_at: datetime | None
    published_by_name: str
    published_at: datetime | None
    created_at: datetime


class OpinionCreate(Clean):
    seen_at: datetime | None = None
    channel: Literal["media", "online", "social", "other"]
    source: str = Field(default="", max_length=300)
    summary: str = Field(min_length=1, max_length=4000)
    assessment: Literal["accurate", "inaccurate", "rumour", "sensitive"]
    note: str = Field(default="", max_length=1000)


class OpinionRebut(Clean):
    statement_id: Id


class OpinionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    unit_id: int
    seen_at: datetime
    channel: str
    source: str
    summary: str
    assessment: str
    note: str
    rebuttal_id: int | None
    recorded_by_name: str


class EvaluationWrite(Clean):
    overview: str = Field(default="", max_length=20000)
    response: str = Field(default="", max_length=20000)
    causes: str = Field(default="", max_length=20000)
    lessons: str = Field(default="", max_length=20000)
    recommendations: str = Field(default="", max_length=20000)
    submit: bool = False


class EvaluationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    unit_id: int
    overview: str
    response: str
    causes: str
    lessons: str
    recommendations: str
    attachment_id: int | None
    due_at: datetime
    due_source: str
    status: str
    submitted_at: datetime | None
    submitted_by_name: str


class DueRead(BaseModel):
    """An event that needs (or has) an evaluation report, with its deadline."""

    event_id: int
    unit_id: int
    unit_name: str
    title: str
    level: int
    closed_at: datetime
    due_at: datetime
    state: str  # due | overdue | submitted | late
    evaluation_id: int | None
    submitted_at: datetime | None


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int | None
    key: str
    value: int
    unit: str
    source: str


class RuleUpdate(Clean):
    value: int = Field(ge=0, le=100000)
    source: str = Field(min_length=1, max_length=1000)

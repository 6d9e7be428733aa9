"""Rescue teams (R4.3) and the agreements between small high-risk firms and professional teams."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from yingji.core import roles
from yingji.core.scope import Principal, get_scoped, scoped
from yingji.resources import defaults
from yingji.resources.common import create_record, search, tags, today, update_record
from yingji.resources.models import Agreement, Team
from yingji.resources.schemas import AgreementCreate, TeamCreate, TeamUpdate


def teams(principal: Principal, *, q: str = "", kind: str = "", capability: str = "", readiness: str = "",
          unit_id: int | None = None) -> Select[Any]:
    stmt = search(scoped(select(Team), principal), q, Team.name, Team.address, Team.contact_name)
    if kind:
        stmt = stmt.where(Team.kind == kind)
    if capability:
        stmt = stmt.where(Team.capabilities.like(f"%,{capability},%"))
    if readiness:
        stmt = stmt.where(Team.readiness == readiness)
    if unit_id:
        stmt = stmt.where(Team.unit_id == unit_id)
    return stmt.order_by(Team.name, Team.id)


def get_team(session: Session, principal: Principal, team_id: int) -> Team:
    return get_scoped(session, principal, Team, team_id)


def create_team(session: Session, principal: Principal, data: TeamCreate) -> Team:
    values = data.model_dump()
    values["capabilities"] = tags(data.capabilities)
    return create_record(session, principal, Team(**values), "res_team")


def update_team(session: Session, principal: Principal, team_id: int, data: TeamUpdate) -> Team:
    changes = {k: v for k, v in data.model_dump().items() if v is not None}
    return update_record(session, principal, Team, team_id, changes, "res_team")


def agreements(principal: Principal, *, q: str = "", team_id: int | None = None,
               ending_within: int | None = None) -> Select[Any]:
    stmt = search(scoped(select(Agreement), principal), q, Agreement.title, Agreement.note)
    if team_id:
        stmt = stmt.where(Agreement.team_id == team_id)
    if ending_within is not None:
        stmt = stmt.where(Agreement.ends_on <= today() + timedelta(days=ending_within))
    return stmt.order_by(Agreement.ends_on, Agreement.id)


def get_agreement(session: Session, principal: Principal, agreement_id: int) -> Agreement:
    return get_scoped(session, principal, Agreement, agreement_id)


def create_agreement(session: Session, principal: Principal, data: AgreementCreate) -> Agreement:
    # The team must be one the principal can see; the firm (unit_id) one it may write for.
    get_scoped(session, principal, Team, data.team_id, roles.READ)
    return create_record(session, principal, Agreement(**data.model_dump()), "res_agreement")


def agreement_state(session: Session, agreement: Agreement) -> str:
    """``ended`` after its end date, ``ending`` within the notice period (inclusive), else ``valid``."""
    on = today()
    if agreement.ends_on < on:
        return "ended"
    if agreement.ends_on <= on + timedelta(days=defaults.value(session, defaults.AGREEMENT_NOTICE)):
        return "ending"
    return "valid"

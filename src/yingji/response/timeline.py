"""The first-response timeline of an event (R3.4): what was done, by which unit, when.

Items are append-only: a correction is a new item pointing at the item it corrects; the database refuses
UPDATE and DELETE. Plain functions taking a session and a principal; they never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit, roles
from yingji.core.models import Unit
from yingji.core.scope import Principal, get_scoped, recheck
from yingji.errors import UserError
from yingji.response.common import actor_name, aware, event
from yingji.response.models import ResponseAction
from yingji.response.schemas import ActionCreate

MAX_ITEMS = 5000
COUNTED_KINDS = ("team_sent", "evacuation")


def items(session: Session, principal: Principal, event_id: int, kind: str = "") -> list[ResponseAction]:
    event(session, principal, event_id)
    stmt = select(ResponseAction).where(ResponseAction.event_id == event_id)
    if kind:
        stmt = stmt.where(ResponseAction.kind == kind)
    return list(session.scalars(stmt.order_by(ResponseAction.at, ResponseAction.id).limit(MAX_ITEMS)))


def get_item(session: Session, principal: Principal, action_id: int) -> ResponseAction:
    return get_scoped(session, principal, ResponseAction, action_id)


def add(session: Session, principal: Principal, event_id: int, data: ActionCreate) -> ResponseAction:
    """Record what a unit did. The acting unit must be within the writer's area; the time lies between the
    occurrence of the event and now."""
    found = event(session, principal, event_id, roles.REPORT)
    now = clock.now()
    at = aware(data.at, "at") if data.at is not None else now
    if at > now:
        raise UserError("The time of an entry cannot be in the future.", field="at")
    if at < found.occurred_at:
        raise UserError("The time lies before the event occurred.", field="at")
    actor = get_scoped(session, principal, Unit, data.actor_unit_id)
    if data.kind == "evacuation" and data.people is None and data.sheltered is None:
        raise UserError("Give the number of people evacuated or sheltered.", field="people")
    if data.kind != "evacuation" and data.sheltered is not None:
        raise UserError("Sheltered people are counted on an evacuation item.", field="sheltered")
    if data.corrects_id is not None:
        corrected = session.scalar(select(ResponseAction.id).where(ResponseAction.id == data.corrects_id,
                                                                   ResponseAction.event_id == found.id))
        if corrected is None:
            raise UserError("Only an item of the same event can be corrected.", field="corrects_id")
    item = ResponseAction(event_id=found.id, unit_id=found.unit_id, actor_unit_id=actor.id, actor_unit_name=actor.name,
                          kind=data.kind, at=at, text=data.text, name=data.name, people=data.people,
                          sheltered=data.sheltered, corrects_id=data.corrects_id, author_id=principal.user_id,
                          author_name=actor_name(session, principal), created_at=now)
    session.add(item)
    recheck(session, principal, item)
    audit.record(session, principal, action="correct" if data.corrects_id else "create",
                 entity_type="response_action", entity_id=item.id, unit_id=item.unit_id,
                 after=audit.snapshot(item))
    return item


@dataclass
class Totals:
    teams: int
    team_people: int
    evacuated: int
    sheltered: int
    leaders: list[str]


def current(rows: list[ResponseAction]) -> list[ResponseAction]:
    """The items that no later item corrects (a correction stands in for the item it corrects)."""
    corrected = {r.corrects_id for r in rows if r.corrects_id is not None}
    return [r for r in rows if r.id not in corrected]


def totals(rows: list[ResponseAction]) -> Totals:
    """Teams, people evacuated and sheltered, leaders on scene, counting corrected items once."""
    live = current(rows)
    teams = [r for r in live if r.kind == "team_sent"]
    evacuations = [r for r in live if r.kind == "evacuation"]
    return Totals(teams=len(teams), team_people=sum(r.people or 0 for r in teams),
                  evacuated=sum(r.people or 0 for r in evacuations),
                  sheltered=sum(r.sheltered or 0 for r in evacuations),
                  leaders=sorted({r.name for r in live if r.kind == "leader_on_scene" and r.name}))

"""The first-response timeline (R3.4): every kind of item, each by the unit that did it; append-only with
corrections (database triggers); totals counting corrected items once; refusals; page, filter, XLSX."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from tests.conftest import audit_count, zh
from tests.response.helpers import audits, county, local, open_event, principal, set_now, unit_of
from yingji.errors import NotFound, UserError
from yingji.response import timeline
from yingji.response.models import ResponseAction
from yingji.response.schemas import ACTION_KINDS, ActionCreate

NOW = local(2026, 7, 14, 6, 0)
OCCURRED = local(2026, 7, 14, 2, 10)


def _event(session: Session, username: str = "bole") -> Any:
    set_now(NOW)
    event = open_event(session, username, occurred_at=OCCURRED)
    session.commit()
    return event


def test_every_kind_by_the_unit_that_did_it(session: Session) -> None:
    event = _event(session)
    bole = principal(session, "bole")
    township = unit_of(session, "township")
    for i, kind in enumerate(ACTION_KINDS):
        extra: dict[str, Any] = {"people": 40, "sheltered": 25} if kind == "evacuation" else {}
        timeline.add(session, bole, event.id, ActionCreate(
            kind=kind, at=OCCURRED + timedelta(minutes=10 + i), actor_unit_id=township, text=f"{kind} 记录", **extra))
    rows = timeline.items(session, bole, event.id)
    assert [r.kind for r in rows] == list(ACTION_KINDS)
    assert {r.actor_unit_name for r in rows} == {"小营盘镇"} and {r.unit_id for r in rows} == {event.unit_id}
    assert rows[0].author_name == "博乐市应急办"
    assert len(audits(session, "response_action", "create")) >= len(ACTION_KINDS)
    assert [r.kind for r in timeline.items(session, bole, event.id, "relief")] == ["relief"]


def test_corrections_are_new_items_and_count_once(session: Session) -> None:
    event = _event(session)
    bole = principal(session, "bole")
    me = bole.unit_id or 0
    first = timeline.add(session, bole, event.id, ActionCreate(
        kind="evacuation", actor_unit_id=me, text="转移群众",
        people=30, sheltered=10, at=OCCURRED + timedelta(hours=1)))
    timeline.add(session, bole, event.id, ActionCreate(kind="team_sent", actor_unit_id=me, text="抢险队",
                                                       name="博乐市抢险队", people=12))
    timeline.add(session, bole, event.id, ActionCreate(kind="leader_on_scene", actor_unit_id=me, text="到场",
                                                       name="副市长 李某"))
    fixed = timeline.add(session, bole, event.id, ActionCreate(kind="evacuation", actor_unit_id=me, text="更正人数",
                                                               people=35, sheltered=12, corrects_id=first.id))
    assert audits(session, "response_action", "correct")[-1].entity_id == str(fixed.id)
    totals = timeline.totals(timeline.items(session, bole, event.id))
    assert (totals.teams, totals.team_people, totals.evacuated, totals.sheltered) == (1, 12, 35, 12)
    assert totals.leaders == ["副市长 李某"]
    session.commit()
    # The database keeps the timeline append-only.
    for statement in ("UPDATE response_action SET text = 'x' WHERE id = :id",
                      "DELETE FROM response_action WHERE id = :id"):
        with pytest.raises(DatabaseError):
            session.execute(text(statement), {"id": first.id})
        session.rollback()
    assert session.get_one(ResponseAction, first.id).text == "转移群众"


def test_refusals_change_nothing(session: Session) -> None:
    event = _event(session)
    other = _event(session, "jinghe")
    bole = principal(session, "bole")
    me = bole.unit_id or 0
    before = audit_count(session)
    cases: list[tuple[dict[str, Any], str | None]] = [
        ({"at": NOW + timedelta(seconds=1)}, "at"),
        ({"at": OCCURRED - timedelta(seconds=1)}, "at"),
        ({"kind": "evacuation"}, "people"),
        ({"sheltered": 3}, "sheltered"),
    ]
    for change, field in cases:
        data = {"kind": "action", "actor_unit_id": me, "text": "x", **change}
        with pytest.raises(UserError) as refused:
            timeline.add(session, bole, event.id, ActionCreate(**data))
        assert refused.value.field == field
    # At the occurrence itself and exactly now are accepted.
    timeline.add(session, bole, event.id, ActionCreate(kind="action", actor_unit_id=me, text="a", at=OCCURRED))
    timeline.add(session, bole, event.id, ActionCreate(kind="action", actor_unit_id=me, text="b", at=NOW))
    session.rollback()
    with pytest.raises(NotFound):  # another county's unit as the actor
        timeline.add(session, bole, event.id, ActionCreate(kind="action", actor_unit_id=county(session, "652722"),
                                                           text="x"))
    with pytest.raises(NotFound):  # another county's event
        timeline.add(session, bole, other.id, ActionCreate(kind="action", actor_unit_id=me, text="x"))
    foreign = timeline.add(session, principal(session, "jinghe"), other.id,
                           ActionCreate(kind="action", actor_unit_id=other.unit_id, text="精河"))
    with pytest.raises(UserError):  # a correction points at an item of the same event
        timeline.add(session, bole, event.id, ActionCreate(kind="action", actor_unit_id=me, text="x",
                                                           corrects_id=foreign.id))
    session.rollback()
    assert audit_count(session) == before


def test_page_form_filter_export_and_api(browser: Any, session: Session) -> None:
    event = _event(session)
    bole = browser("bole")
    page = bole.get(f"/incidents/{event.id}/response")
    assert page.status_code == 200 and 'id="action-form"' in page.text
    assert zh("First response and aftermath") in page.text
    added = bole.form(f"/incidents/{event.id}/response/actions",
                      {"kind": "evacuation", "actor_unit_id": str(unit_of(session, "bole")), "text": "转移坡下住户",
                       "people": "8", "sheltered": "6", "at": "2026-07-14T03:00"})
    assert added.status_code == 303, added.text
    bad = bole.form(f"/incidents/{event.id}/response/actions",
                    {"kind": "action", "actor_unit_id": str(unit_of(session, "bole")), "text": "x",
                     "at": "2026-07-14T06:01"})
    assert bad.status_code == 400 and zh("The time of an entry cannot be in the future.") in bad.text
    page = bole.get(f"/incidents/{event.id}/response", params={"kind": "evacuation"})
    assert "转移坡下住户" in page.text and zh("Evacuated: %(n)s", n=8) in page.text
    items = bole.get(f"/api/response/events/{event.id}/actions").json()
    assert items[0]["at"].startswith("2026-07-13T19:00") and items[0]["people"] == 8
    assert bole.get(f"/api/response/actions/{items[0]['id']}").json()["sheltered"] == 6
    book = load_workbook(io.BytesIO(bole.get(f"/incidents/{event.id}/response?export=xlsx").content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][2] == zh("kind") and rows[1][2] == zh("people evacuated / sheltered")
    assert rows[1][4] == "转移坡下住户"
    assert bole.get(f"/incidents/{event.id}/response", params={"kind": "nope"}).status_code == 400
    # The village information officer records what the village did; the leader only reads.
    leader = browser("leader")
    assert leader.get(f"/incidents/{event.id}/response").status_code == 200
    refused = leader.api("POST", f"/api/response/events/{event.id}/actions",
                         json={"kind": "action", "actor_unit_id": unit_of(session, "bole"), "text": "x"})
    assert refused.status_code == 403

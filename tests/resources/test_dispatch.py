"""Dispatch: the 温泉县 hour through the API — request 500 tents and 10 t of water, approve, take the suggested
allocation from the two nearest 温泉县 warehouses, ship, receive, and see the ledger and what is still short."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.conftest import audit_count, unit_id, zh
from tests.resources.helpers import api_ok, event, item, ledger_balances, lots_of, movement_count, warehouse
from yingji.resources.models import Dispatch

EPICENTRE = {"lon": 81.10, "lat": 44.95}


def _request(client: Any, session: Any, **extra: Any) -> Any:
    if "event_id" not in extra:
        extra["event_id"] = event(session, "652723", "温泉县地震")
    body = {"unit_id": unit_id(session, "652723"), "title": "温泉县地震：帐篷和饮用水",
            "destination": "温泉县人民广场", **EPICENTRE,
            "lines": [{"supply_item_id": item(session, "1010101").id, "quantity": "500"},
                      {"supply_item_id": item(session, "1020101").id, "quantity": "10"}], **extra}
    return api_ok(client.api("POST", "/api/resources/dispatches", json=body), 201)


def test_the_wenquan_hour(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    created = _request(client, session)
    did = created["dispatch"]["id"]
    assert created["dispatch"]["status"] == "requested" and created["dispatch"]["event_id"] is not None
    api_ok(client.api("POST", f"/api/resources/dispatches/{did}/approve", json={"note": "同意"}))
    suggestions = api_ok(client.get(f"/api/resources/dispatches/{did}/suggestions"))
    county, town = warehouse(session, "温泉县救灾物资储备库"), warehouse(session, "哈日布呼镇")
    tents, water = item(session, "1010101").id, item(session, "1020101").id
    # nearest first from the epicentre (81.10, 44.95): the county store (~6 km) before the town store (~13 km);
    # the expired tonne of water in the county store is never offered.
    assert [(s["warehouse_id"], s["supply_item_id"], s["quantity"]) for s in suggestions] == [
        (county.id, tents, "300"), (town.id, tents, "120"), (county.id, water, "6"), (town.id, water, "2.5")]
    assert suggestions[0]["distance_km"] < suggestions[1]["distance_km"]
    allocation = {"allocations": [{"supply_item_id": s["supply_item_id"], "lot_id": s["lot_id"],
                                   "quantity": s["quantity"]} for s in suggestions]}
    detail = api_ok(client.api("POST", f"/api/resources/dispatches/{did}/allocate", json=allocation))
    assert [(line["allocated"], line["short"]) for line in detail["lines"]] == [("420", "80"), ("8.5", "1.5")]
    count = movement_count(session)
    detail = api_ok(client.api("POST", f"/api/resources/dispatches/{did}/ship", json={}))
    assert detail["dispatch"]["status"] == "shipped"
    assert movement_count(session) == count + 4
    assert sorted(m["quantity"] for m in detail["movements"]) == ["-120", "-2.5", "-300", "-6"]
    assert lots_of(session, county.id, tents)[0].quantity_milli == 0
    # the town store's water arrives half a tonne short
    town_water = next(a for a in detail["allocations"] if a["warehouse_id"] == town.id and a["item_id"] == water)
    detail = api_ok(client.api("POST", f"/api/resources/dispatches/{did}/receive",
                               json={"received": {str(town_water["id"]): "2"}, "note": "到货"}))
    assert detail["dispatch"]["status"] == "received"
    assert [(line["received"], line["short"]) for line in detail["lines"]] == [("420", "80"), ("8", "2")]
    assert [s["kind"] for s in detail["steps"]] == ["request", "approve", "allocate", "ship", "receive"]
    assert all(balance == total and balance >= 0 for balance, total in ledger_balances(session).values())


def test_receipt_into_a_destination_warehouse_adds_lots(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    town = warehouse(session, "哈日布呼镇")
    created = _request(client, session, to_warehouse_id=town.id,
                       lines=[{"supply_item_id": item(session, "1010101").id, "quantity": "50"}])
    did = created["dispatch"]["id"]
    api_ok(client.api("POST", f"/api/resources/dispatches/{did}/approve", json={}))
    suggestions = api_ok(client.get(f"/api/resources/dispatches/{did}/suggestions"))
    assert {s["warehouse_id"] for s in suggestions} == {warehouse(session, "温泉县救灾物资储备库").id}
    api_ok(client.api("POST", f"/api/resources/dispatches/{did}/allocate", json={"allocations": [
        {"supply_item_id": s["supply_item_id"], "lot_id": s["lot_id"], "quantity": s["quantity"]}
        for s in suggestions]}))
    api_ok(client.api("POST", f"/api/resources/dispatches/{did}/ship", json={}))
    detail = api_ok(client.api("POST", f"/api/resources/dispatches/{did}/receive", json={}))
    assert [m["kind"] for m in detail["movements"]] == ["dispatch", "receipt"]
    assert sum(lot.quantity_milli for lot in lots_of(session, town.id, item(session, "1010101").id)) == 170_000


def test_steps_out_of_order_and_over_allocation_are_refused(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    did = _request(client, session)["dispatch"]["id"]
    audits = audit_count(session)
    ship = client.api("POST", f"/api/resources/dispatches/{did}/ship", json={})
    assert ship.status_code == 409
    assert ship.json()["detail"] == zh("This request is %(status)s; that step is not possible now.", status="requested")
    api_ok(client.api("POST", f"/api/resources/dispatches/{did}/approve", json={}))
    lot = lots_of(session, warehouse(session, "温泉县救灾物资储备库").id, item(session, "1010101").id)[0]
    too_much = client.api("POST", f"/api/resources/dispatches/{did}/allocate", json={"allocations": [
        {"supply_item_id": lot.item_id, "lot_id": lot.id, "quantity": "301"}]})
    assert too_much.status_code == 409
    over_request = client.api("POST", f"/api/resources/dispatches/{did}/allocate", json={"allocations": [
        {"supply_item_id": lot.item_id, "lot_id": lot.id, "quantity": "300"},
        {"supply_item_id": lot.item_id, "lot_id": lot.id, "quantity": "201"}]})
    assert over_request.status_code == 400
    assert over_request.json()["detail"] == zh("More is allocated than was requested.")
    expired = next(x for x in lots_of(session, lot.warehouse_id, item(session, "1020101").id)
                   if x.quantity_milli == 1000)
    stale = client.api("POST", f"/api/resources/dispatches/{did}/allocate", json={"allocations": [
        {"supply_item_id": expired.item_id, "lot_id": expired.id, "quantity": "1"}]})
    assert stale.status_code == 400 and stale.json()["detail"] == zh("This lot has expired; it cannot be dispatched.")
    assert audit_count(session) == audits + 1  # only the approval


def test_a_lot_promised_to_one_request_is_not_offered_twice(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    first = _request(client, session)["dispatch"]["id"]
    api_ok(client.api("POST", f"/api/resources/dispatches/{first}/approve", json={}))
    suggestions = api_ok(client.get(f"/api/resources/dispatches/{first}/suggestions"))
    api_ok(client.api("POST", f"/api/resources/dispatches/{first}/allocate", json={"allocations": [
        {"supply_item_id": s["supply_item_id"], "lot_id": s["lot_id"], "quantity": s["quantity"]}
        for s in suggestions]}))
    second = _request(client, session)["dispatch"]["id"]
    api_ok(client.api("POST", f"/api/resources/dispatches/{second}/approve", json={}))
    assert api_ok(client.get(f"/api/resources/dispatches/{second}/suggestions")) == []


def test_a_contract_is_a_source(browser: Any, session: Any) -> None:
    client = browser("bole")
    water = item(session, "1020101").id
    body = {"unit_id": unit_id(session, "652701"), "title": "博乐市供水", "lines": [
        {"supply_item_id": water, "quantity": "40"}]}
    did = api_ok(client.api("POST", "/api/resources/dispatches", json=body), 201)["dispatch"]["id"]
    api_ok(client.api("POST", f"/api/resources/dispatches/{did}/approve", json={}))
    suggestions = api_ok(client.get(f"/api/resources/dispatches/{did}/suggestions"))
    assert [(s["source"], s["quantity"]) for s in suggestions] == [
        ("博乐市应急物资储备库（演示）", "12"), ("博乐市某商贸公司（演示）", "28")]
    api_ok(client.api("POST", f"/api/resources/dispatches/{did}/allocate", json={"allocations": [
        {"supply_item_id": water, "lot_id": s["lot_id"], "contract_id": s["contract_id"], "quantity": s["quantity"]}
        for s in suggestions]}))
    contract = suggestions[1]["contract_id"]
    assert api_ok(client.get(f"/api/resources/contracts/{contract}"))["drawn"] == "28"
    detail = api_ok(client.api("POST", f"/api/resources/dispatches/{did}/ship", json={}))
    assert len(detail["movements"]) == 1  # the contract's water is delivered by the supplier, not from a store


def test_reject_needs_a_reason_and_another_county_sees_nothing(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    did = _request(client, session)["dispatch"]["id"]
    refused = client.api("POST", f"/api/resources/dispatches/{did}/reject", json={})
    assert refused.status_code == 400 and refused.json()["detail"] == zh("Say why the request is refused.")
    api_ok(client.api("POST", f"/api/resources/dispatches/{did}/reject", json={"note": "重复申请"}))
    jinghe = browser("jinghe")
    assert jinghe.get(f"/api/resources/dispatches/{did}").status_code == 404
    assert jinghe.api("POST", f"/api/resources/dispatches/{did}/approve", json={}).status_code == 404


def test_surplus_and_shortage_matching(browser: Any, session: Any) -> None:
    client = browser("zhou")
    tents = item(session, "1010101").id
    town = warehouse(session, "哈日布呼镇")
    api_ok(client.api("POST", f"/api/resources/warehouses/{town.id}/minimums",
                      json={"supply_item_id": tents, "minimum": "200"}))
    rows = api_ok(client.get("/api/resources/matches", params={"supply_item_id": tents}))
    # 80 tents short; the nearest warehouse of another unit with tents above its minimum gives them
    assert [(r["to_warehouse_id"], r["from_warehouse_id"], r["quantity"]) for r in rows] == [
        (town.id, warehouse(session, "温泉县救灾物资储备库").id, "80")]
    assert browser("wenquan").get("/api/resources/matches").json() == rows


def _dispatch_count(session: Any) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Dispatch)) or 0)


@pytest.mark.parametrize("whose", ["another county's", "none"])
def test_a_dispatch_for_an_event_outside_the_area_is_not_found(browser: Any, session: Any, whose: str) -> None:
    client = browser("wenquan")
    event_id = event(session, "652722", "精河县洪水") if whose != "none" else 2_000_000_000
    before, audited = _dispatch_count(session), audit_count(session)
    body = {"unit_id": unit_id(session, "652723"), "title": "帐篷", "event_id": event_id,
            "lines": [{"supply_item_id": item(session, "1010101").id, "quantity": "5"}]}
    response = client.api("POST", "/api/resources/dispatches", json=body)
    assert response.status_code == 404, response.text
    assert response.json()["field"] == "event_id"
    assert _dispatch_count(session) == before and audit_count(session) == audited
    # the same in the user's language on the form
    page = client.form("/resources/dispatches", {"unit_id": body["unit_id"], "title": "帐篷", "event_id": event_id,
                                                 "item_1": body["lines"][0]["supply_item_id"], "quantity_1": "5"})
    assert page.status_code == 404 and zh("No such event within your area.") in page.text
    assert _dispatch_count(session) == before
    # the prefecture office sees 精河县's event and may name it for a 温泉县 request
    if whose != "none":
        created = _request(browser("zhou"), session, event_id=event_id)
        assert created["dispatch"]["event_id"] == event_id


def test_the_database_refuses_a_dispatch_for_an_event_that_does_not_exist(session: Any) -> None:
    session.add(Dispatch(unit_id=unit_id(session, "652723"), title="x", event_id=2_000_000_000))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_the_contract_list_is_paged_with_its_total(browser: Any, session: Any) -> None:
    """GET /api/resources/contracts gives one page and says how many there are (nothing cut off silently)."""
    client = browser("admin")
    water = item(session, "1020101").id
    for n in range(3):
        api_ok(client.api("POST", "/api/resources/contracts", json={
            "unit_id": unit_id(session, "652701"), "supplier": f"分页供应商 {n}", "supply_item_id": water,
            "quantity": "5", "delivery_hours": 12, "starts_on": "2026-01-01", "ends_on": "2027-12-31"}), 201)
    whole = client.get("/api/resources/contracts", params={"q": "分页供应商"})
    assert whole.status_code == 200 and whole.headers["X-Total-Count"] == "3" and len(whole.json()) == 3
    first = client.get("/api/resources/contracts", params={"q": "分页供应商", "per_page": 2})
    second = client.get("/api/resources/contracts", params={"q": "分页供应商", "per_page": 2, "page": 2})
    assert first.headers["X-Total-Count"] == second.headers["X-Total-Count"] == "3"
    assert len(first.json()) == 2 and len(second.json()) == 1
    assert {c["supplier"] for c in first.json() + second.json()} == {f"分页供应商 {n}" for n in range(3)}
    assert client.get("/api/resources/contracts", params={"per_page": 501}).status_code == 422

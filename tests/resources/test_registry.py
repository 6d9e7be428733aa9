"""Teams, agreements, shelters, equipment and the R2.3 records; expiry and agreement rules at their boundaries;
near a point; the jobs that warn; every page renders and exports."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.conftest import audit_count, unit_id, zh
from tests.resources.helpers import NOON, api_ok, as_user, event, item, set_now, warehouse
from yingji.core.models import Notification
from yingji.resources import defaults, nearby, supplies, tasks
from yingji.resources.common import today
from yingji.resources.models import Agreement, Lot, Shelter, ShelterStatus

EPICENTRE = (81.10, 44.95)


# --- teams and agreements -----------------------------------------------------------------------

def test_create_team_and_filter_by_capability(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    before = audit_count(session)
    team = api_ok(client.api("POST", "/api/resources/teams", json={
        "unit_id": unit_id(session, "652723"), "name": "温泉县电力抢修队", "kind": "utilities",
        "capabilities": ["power", "earthquake"], "members": 12, "lon": 81.0, "lat": 44.9}), 201)
    assert team["capabilities"] == ",earthquake,power," and audit_count(session) == before + 1
    names = [t["name"] for t in api_ok(client.get("/api/resources/teams", params={"capability": "power"}))["items"]]
    assert names == ["温泉县电力抢修队"]
    api_ok(client.api("PATCH", f"/api/resources/teams/{team['id']}", json={"readiness": "deployed"}))
    assert api_ok(client.get(f"/api/resources/teams/{team['id']}"))["readiness"] == "deployed"
    bad = client.api("POST", "/api/resources/teams", json={"unit_id": unit_id(session, "652723"), "name": "x",
                                                           "kind": "wizards"})
    assert bad.status_code == 422
    before = audit_count(session)
    for caps in (-2.2e-16, 7, {"a": 1}, [1, 2], [None]):   # not a list of codes: 422, never a crash
        wrong = client.api("POST", "/api/resources/teams", json={"unit_id": unit_id(session, "652723"), "name": "x",
                                                                 "kind": "volunteer", "capabilities": caps})
        assert wrong.status_code == 422, caps
    assert audit_count(session) == before
    outside = client.api("POST", "/api/resources/teams", json={"unit_id": unit_id(session, "652701"), "name": "x",
                                                               "kind": "volunteer"})
    assert outside.status_code == 404


def test_agreement_states_at_the_notice_boundary(session: Any) -> None:
    set_now(NOON)
    notice = defaults.value(session, defaults.AGREEMENT_NOTICE)
    from yingji.resources import teams

    agreement = Agreement(ends_on=today() + timedelta(days=notice))
    assert teams.agreement_state(session, agreement) == "ending"
    agreement.ends_on = today() + timedelta(days=notice + 1)
    assert teams.agreement_state(session, agreement) == "valid"
    agreement.ends_on = today()
    assert teams.agreement_state(session, agreement) == "ending"
    agreement.ends_on = today() - timedelta(days=1)
    assert teams.agreement_state(session, agreement) == "ended"


def test_agreement_notice_job_tells_the_firm_once(database: Any, session: Any) -> None:
    demo = session.scalar(select(Agreement))
    days_left = (demo.ends_on - today()).days  # 20 in the demo
    notice = defaults.value(session, defaults.AGREEMENT_NOTICE)
    set_now(NOON.replace(year=2000))  # far before: nothing is due
    with database.unit_of_work() as s:
        assert tasks.agreement_notices(s, as_user(s, "admin")) == 0
    from datetime import UTC, datetime

    # the first day of the notice period (the end date minus 30 days), at noon in Beijing
    first_day = demo.ends_on - timedelta(days=notice)
    set_now(datetime(first_day.year, first_day.month, first_day.day, 4, 0, tzinfo=UTC) - timedelta(days=1))
    with database.unit_of_work() as s:
        assert tasks.agreement_notices(s, as_user(s, "admin")) == 0
    set_now(datetime(first_day.year, first_day.month, first_day.day, 4, 0, tzinfo=UTC))
    with database.unit_of_work() as s:
        assert tasks.agreement_notices(s, as_user(s, "admin")) == 1
        assert tasks.agreement_notices(s, as_user(s, "admin")) == 0
    session.expire_all()
    told = session.scalars(select(Notification).where(Notification.subject.like("%小营盘建材厂%"))).all()
    assert told and days_left == 20


# --- expiry of lots --------------------------------------------------------------------------------------

def test_lot_states_at_their_boundaries() -> None:
    on = NOON.date()
    assert supplies.lot_state(on - timedelta(days=1), on, 30) == "expired"
    assert supplies.lot_state(on, on, 30) == "rotate"
    assert supplies.lot_state(on + timedelta(days=30), on, 30) == "rotate"
    assert supplies.lot_state(on + timedelta(days=31), on, 30) == "ok"
    assert supplies.lot_state(None, on, 30) == "ok"


def test_the_expired_demo_lot_is_flagged_and_the_job_tells_once(browser: Any, database: Any, session: Any) -> None:
    client = browser("wenquan")
    water = item(session, "1020101").id
    expired = api_ok(client.get("/api/resources/lots", params={"state": "expired"}))
    assert [(x["item_id"], x["quantity"], x["state"]) for x in expired] == [(water, "1", "expired")]
    rotate = api_ok(client.get("/api/resources/lots", params={"state": "rotate"}))
    assert [(x["item_id"], x["state"]) for x in rotate] == [(item(session, "1030101").id, "rotate")]
    page = client.get("/resources/lots")
    assert zh("expired") in page.text and zh("rotate soon") in page.text
    with database.unit_of_work() as s:
        assert tasks.expiry_warnings(s, as_user(s, "admin")) == 2  # the expired water and the food to rotate
    with database.unit_of_work() as s:
        assert tasks.expiry_warnings(s, as_user(s, "admin")) == 0
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Lot).where(Lot.warned_state != "")) == 2


def test_a_lot_moves_from_ok_to_rotate_to_expired_with_the_clock(browser: Any, session: Any) -> None:
    set_now(NOON)
    client = browser("wenquan")
    county = warehouse(session, "温泉县救灾物资储备库")
    on = today()
    moved = api_ok(client.api("POST", f"/api/resources/warehouses/{county.id}/receipts", json={
        "supply_item_id": item(session, "1010201").id, "quantity": "5", "lot_no": "CLOCK",
        "expires_on": (on + timedelta(days=31)).isoformat()}), 201)
    lot = moved["lot_id"]
    assert api_ok(client.get(f"/api/resources/lots/{lot}"))["state"] == "ok"
    principal = as_user(session, "wenquan")  # days later the browser's session has ended; ask the service
    for days, state in [(1, "rotate"), (31, "rotate"), (32, "expired")]:
        set_now(NOON + timedelta(days=days))
        assert supplies.get_lot(session, principal, lot).state == state, days


# --- shelters -------------------------------------------------------------------------------------------

def test_shelter_occupancy_within_capacity(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    shelter = session.scalar(select(Shelter).where(Shelter.name.like("温泉县第一中学%")))
    url = f"/api/resources/shelters/{shelter.id}/status"
    quake = event(session, "652723", "温泉县地震")
    api_ok(client.api("POST", url, json={"is_open": True, "occupancy": 1200, "event_id": quake}))
    history = session.scalar(select(func.count()).select_from(ShelterStatus))
    too_many = client.api("POST", url, json={"is_open": True, "occupancy": 1201})
    assert too_many.status_code == 400
    assert too_many.json()["detail"] == zh("%(n)s people do not fit: the shelter holds at most %(capacity)s.",
                                           n=1201, capacity=1200)
    closed = client.api("POST", url, json={"is_open": False, "occupancy": 3})
    assert closed.status_code == 400
    session.expire_all()
    assert session.get(Shelter, shelter.id).occupancy == 1200
    assert session.scalar(select(func.count()).select_from(ShelterStatus)) == history
    negative = client.api("POST", url, json={"is_open": True, "occupancy": -1})
    assert negative.status_code == 422


def test_room_for_3000_nearest_the_epicentre(browser: Any, session: Any) -> None:
    client = browser("zhou")
    found = api_ok(client.get("/api/resources/nearby", params={"lon": EPICENTRE[0], "lat": EPICENTRE[1],
                                                               "kind": "shelter", "min_free": 3000}))
    assert [r["name"] for r in found[:2]] == ["温泉县人民广场应急避难场所（演示）",
                                              "博乐市体育中心避难场所（演示）"]  # room for exactly 3000 counts
    assert found[0]["distance_km"] < 10 < found[1]["distance_km"]
    assert all(int(r["detail"]) >= 3000 for r in found)


def test_nearest_teams_with_earthquake_capability(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    found = api_ok(client.get("/api/resources/nearby", params={"lon": EPICENTRE[0], "lat": EPICENTRE[1],
                                                               "kind": "team", "capability": "earthquake"}))
    assert [r["name"] for r in found] == ["温泉县综合性消防救援大队（演示）", "温泉县地震灾害紧急救援队（演示）"]
    assert found[0]["distance_km"] <= found[1]["distance_km"]
    water = item(session, "1020101").id
    stores = api_ok(client.get("/api/resources/nearby", params={"lon": EPICENTRE[0], "lat": EPICENTRE[1],
                                                                "kind": "warehouse", "supply_item_id": water}))
    assert [(r["name"], r["detail"]) for r in stores] == [("温泉县救灾物资储备库（演示）", "7"),
                                                          ("哈日布呼镇应急物资储备点（演示）", "2.5")]
    assert client.get("/api/resources/nearby", params={"lon": 200, "lat": 1}).status_code == 422


def test_bounding_box_search_agrees_with_measuring_everything(session: Any) -> None:
    principal = as_user(session, "admin")
    for lon, lat in [EPICENTRE, (82.9, 44.6), (82.0, 45.2), (75.0, 40.0)]:
        for kind, filters in [("team", {}), ("team", {"capability": "traffic"}), ("shelter", {"min_free": 1500}),
                              ("warehouse", {}), ("equipment", {})]:
            fast = nearby.nearest(session, principal, kind, lon, lat, limit=3, radius_km=5000, **filters)
            slow = nearby.nearest_naive(session, principal, kind, lon, lat, limit=3, **filters)
            assert [r.id for r in fast] == [i for _km, i in slow], (kind, lon, lat)


def test_nearby_is_scoped(browser: Any, session: Any) -> None:
    found = api_ok(browser("jinghe").get("/api/resources/nearby", params={"lon": EPICENTRE[0], "lat": EPICENTRE[1],
                                                                          "kind": "team", "radius_km": 2000}))
    assert {r["unit_id"] for r in found} == {unit_id(session, "652722")}


# --- equipment and R2.3 ----------------------------------------------------------------------------------------

def test_r23_records(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    county = unit_id(session, "652723")
    req = api_ok(client.api("POST", "/api/resources/requisitions", json={
        "unit_id": county, "event_id": event(session, "652723", "温泉县地震"), "owner": "某运输公司",
        "description": "货车3辆", "taken_on": "2026-11-01",
        "compensation": "4500.50"}), 201)
    assert req["compensation_fen"] == 450050
    backwards = client.api("POST", "/api/resources/requisitions", json={
        "unit_id": county, "owner": "x", "description": "y", "taken_on": "2026-11-02", "returned_on": "2026-11-01"})
    assert backwards.status_code == 422
    api_ok(client.api("POST", "/api/resources/services", json={
        "unit_id": county, "provider": "某餐饮公司", "description": "安置点供餐", "amount": "12000",
        "contracted_on": "2026-11-01"}), 201)
    gift = api_ok(client.api("POST", "/api/resources/donations", json={
        "unit_id": county, "donor": "某企业", "description": "矿泉水500箱", "received_on": "2026-11-01",
        "destination": "温泉县人民广场安置点", "distributed_on": "2026-11-02"}), 201)
    assert api_ok(client.get(f"/api/resources/donations/{gift['id']}"))["destination"] == "温泉县人民广场安置点"
    drone = api_ok(client.api("POST", "/api/resources/equipment", json={
        "unit_id": county, "kind": "drone", "name": "测绘无人机2号", "lon": 81.0, "lat": 44.97}), 201)
    near = api_ok(client.get("/api/resources/nearby", params={"lon": 81.0, "lat": 44.97, "kind": "equipment"}))
    assert near[0]["id"] == drone["id"]


# --- pages ---------------------------------------------------------------------------------------------------

PAGES = ["/resources", "/resources/nearby?lon=81.1&lat=44.95&capability=earthquake&min_free=3000",
         "/resources/teams", "/resources/agreements", "/resources/items", "/resources/warehouses", "/resources/lots",
         "/resources/dispatches", "/resources/matches", "/resources/contracts", "/resources/shelters",
         "/resources/equipment", "/resources/requisitions", "/resources/services", "/resources/donations",
         "/resources/rules"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_in_chinese_and_export(browser: Any, path: str) -> None:
    client = browser("zhou")
    page = client.get(path)
    assert page.status_code == 200, page.text
    assert zh("Resources") in page.text
    if path in ("/resources", "/resources/nearby?lon=81.1&lat=44.95&capability=earthquake&min_free=3000",
                "/resources/rules"):
        return
    exported = client.get(path, params={"export": "xlsx"})
    assert exported.status_code == 200
    book = load_workbook(io.BytesIO(exported.content))
    assert book.active.max_row >= 1


def test_detail_pages_and_forms(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    county = warehouse(session, "温泉县救灾物资储备库")
    page = client.get(f"/resources/warehouses/{county.id}")
    assert page.status_code == 200 and zh("expired") in page.text and "温泉县救灾物资储备库" in page.text
    response = client.form(f"/resources/warehouses/{county.id}/receipts", {
        "supply_item_id": item(session, "1010101").id, "quantity": "10", "lot_no": "FORM"})
    assert response.status_code == 303
    shelter = session.scalar(select(Shelter).where(Shelter.name.like("温泉县体育馆%")))
    assert client.form(f"/resources/shelters/{shelter.id}/status", {"is_open": "true", "occupancy": "2500"}
                       ).status_code == 400
    assert client.form(f"/resources/shelters/{shelter.id}/status", {"is_open": "true", "occupancy": "1500"}
                       ).status_code == 303
    assert client.get(f"/resources/shelters/{shelter.id}").status_code == 200
    other = browser("jinghe")
    assert other.get(f"/resources/warehouses/{county.id}").status_code == 404


def test_rules_are_edited_by_the_prefecture_only(browser: Any, session: Any) -> None:
    from yingji.resources.models import ResRule

    rule = session.scalar(select(ResRule).where(ResRule.key == defaults.EXPIRY_WARNING))
    assert browser("bole").api("PATCH", f"/api/resources/rules/{rule.id}",
                               json={"value": 60, "source": "x"}).status_code == 403
    api_ok(browser("zhou").api("PATCH", f"/api/resources/rules/{rule.id}", json={"value": 60, "source": "州规定"}))
    session.expire_all()
    assert defaults.value(session, defaults.EXPIRY_WARNING) == 60


RECORDS = {"requisition": ("/api/resources/requisitions", {"owner": "某运输公司", "description": "货车3辆",
                                                             "taken_on": "2026-11-01"}),
           "service": ("/api/resources/services", {"provider": "某餐饮公司", "description": "安置点供餐",
                                                   "amount": "100", "contracted_on": "2026-11-01"}),
           "donation": ("/api/resources/donations", {"donor": "某企业", "description": "矿泉水",
                                                     "received_on": "2026-11-01"}),
           "shelter status": ("", {"is_open": True, "occupancy": 10})}


@pytest.mark.parametrize("whose", ["another county's", "none"])
@pytest.mark.parametrize("record", sorted(RECORDS))
def test_a_record_for_an_event_outside_the_area_is_not_found(browser: Any, session: Any, record: str,
                                                             whose: str) -> None:
    """A requisition, a purchased service, a donation or a shelter's status names an incident the writer can
    see: 精河县's event, or one that does not exist, is a 404 on event_id and nothing is stored."""
    client = browser("wenquan")
    url, body = RECORDS[record]
    if not url:
        shelter = session.scalar(select(Shelter).where(Shelter.name.like("温泉县第一中学%")))
        url = f"/api/resources/shelters/{shelter.id}/status"
    else:
        body = {**body, "unit_id": unit_id(session, "652723")}
    event_id = event(session, "652722", "精河县洪水") if whose != "none" else 2_000_000_000
    before = audit_count(session)
    refused = client.api("POST", url, json={**body, "event_id": event_id})
    assert refused.status_code == 404, refused.text
    assert refused.json()["field"] == "event_id" and refused.json()["detail"] == zh("No such event within your area.")
    assert audit_count(session) == before
    ours = event(session, "652723", "温泉县地震")
    api_ok(client.api("POST", url, json={**body, "event_id": ours}), 200 if "shelters" in url else 201)
    assert audit_count(session) > before

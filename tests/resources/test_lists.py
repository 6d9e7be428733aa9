"""The lots page (expiry and rotation) and the surplus/shortage page filter, page and export the whole filtered
list; the JSON list of lots keeps its whole-list answer and can be asked for one page."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.conftest import audit_count, unit_id, zh
from tests.resources.helpers import api_ok, as_user, item, warehouse
from yingji.resources import ledger, supplies
from yingji.resources.common import today
from yingji.resources.schemas import ItemCreate, MinLevelIn, ReceiptIn, WarehouseCreate
from yingji.resources.views import PER_PAGE

LOT_ROW = re.compile(r'<tr id="lot-(\d+)"')


def _sheet(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200, response.text
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2, values_only=True))


def _pager_total(text: str) -> str:
    found = re.search(r'<nav class="pager"[^>]*>\s*<span>([^<]*)</span>', text)
    assert found, "no pager"
    return found.group(1)


def _new_item(session: Session, name: str, code: str) -> int:
    principal = as_user(session, "zhou")
    made = supplies.create_item(session, principal, ItemCreate(
        unit_id=unit_id(session, "652700"), code=code, name=name, category="1", sector="emergency", uom="piece"))
    session.commit()
    return made.id


def _receive(session: Session, user: str, store: int, item_id: int, count: int, days: int | None) -> None:
    """``count`` lots of one piece each, expiring ``days`` from today (or never)."""
    principal = as_user(session, user)
    for n in range(count):
        expires = today() + timedelta(days=days) if days is not None else None
        ledger.receive(session, principal, store, ReceiptIn(supply_item_id=item_id, quantity="1",
                                                            lot_no=f"P{n:03d}", expires_on=expires))
    session.commit()


# --- lots ---------------------------------------------------------------------------------------------------

def test_lot_filters_narrow_the_list(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    water, food = item(session, "1020101").id, item(session, "1030101").id
    everything = api_ok(client.get("/api/resources/lots"))
    water_lots = {x["id"] for x in everything if x["item_id"] == water}
    assert water_lots and len(water_lots) < len(everything)
    page = client.get("/resources/lots", params={"state": "all", "supply_item_id": water})
    assert set(map(int, LOT_ROW.findall(page.text))) == water_lots
    # the state narrows too: the expired water is in, the food to rotate is out
    expired = client.get("/resources/lots", params={"state": "expired"})
    shown = {int(i) for i in LOT_ROW.findall(expired.text)}
    assert shown and shown <= water_lots
    assert not {x["id"] for x in everything if x["item_id"] == food} & shown
    # and the warehouse: one store's lots in, another's out
    store = warehouse(session, "温泉县救灾物资储备库").id
    in_store = {x["id"] for x in everything if x["warehouse_id"] == store}
    assert in_store and in_store != {x["id"] for x in everything}
    by_store = client.get("/resources/lots", params={"state": "all", "warehouse_id": store})
    assert {int(i) for i in LOT_ROW.findall(by_store.text)} == in_store


def test_lots_page_in_sql_and_the_export_holds_the_whole_filtered_list(browser: Any, session: Any) -> None:
    masks = _new_item(session, "分页测试口罩", "9900001")
    store = warehouse(session, "温泉县救灾物资储备库").id
    _receive(session, "wenquan", store, masks, PER_PAGE + 7, days=5)  # all within the warning: "rotate soon"
    _receive(session, "wenquan", store, masks, 3, days=None)  # never expire: only under "all lots"
    client = browser("wenquan")
    params = {"state": "rotate", "supply_item_id": masks}
    first, second = client.get("/resources/lots", params=params), client.get("/resources/lots",
                                                                             params={**params, "page": 2})
    one, two = LOT_ROW.findall(first.text), LOT_ROW.findall(second.text)
    assert len(one) == PER_PAGE and len(two) == 7 and not set(one) & set(two)
    total = PER_PAGE + 7
    assert _pager_total(first.text) == zh("%(total)s in all, page %(page)s of %(last)s") % {
        "total": total, "page": 1, "last": 2}
    assert "page=2" in first.text and "export=xlsx" in first.text
    rows = _sheet(client.get("/resources/lots", params={**params, "export": "xlsx"}))
    assert len(rows) == total and {r[1] for r in rows} == {"分页测试口罩"}
    assert {r[7] for r in rows} == {zh("rotate soon")}
    everything = _sheet(client.get("/resources/lots", params={"state": "all", "supply_item_id": masks,
                                                              "export": "xlsx"}))
    assert len(everything) == total + 3


def test_the_lots_api_keeps_its_whole_list_and_pages_on_request(browser: Any, session: Any) -> None:
    masks = _new_item(session, "接口分页口罩", "9900002")
    store = warehouse(session, "温泉县救灾物资储备库").id
    _receive(session, "wenquan", store, masks, 12, days=400)
    client = browser("wenquan")
    whole = client.get("/api/resources/lots", params={"supply_item_id": masks})
    assert len(api_ok(whole)) == 12 and whole.headers["X-Total-Count"] == "12"
    paged = client.get("/api/resources/lots", params={"supply_item_id": masks, "page": 2, "per_page": 5})
    assert [x["id"] for x in api_ok(paged)] == [x["id"] for x in whole.json()[5:10]]
    assert paged.headers["X-Total-Count"] == "12"
    assert client.get("/api/resources/lots", params={"state": "bogus"}).status_code == 400


@pytest.mark.parametrize("params", [{"state": "bogus"}, {"supply_item_id": "abc"}, {"warehouse_id": "-3"},
                                    {"page": "0"}, {"page": "x"}, {"supply_item_id": "2000000000"},
                                    {"warehouse_id": "2000000000"}])
def test_bad_lot_filters_are_a_clear_4xx(browser: Any, session: Any, params: dict[str, str]) -> None:
    client = browser("wenquan")
    before = audit_count(session)
    for extra in ({}, {"export": "xlsx"}):
        response = client.get("/resources/lots", params={**params, **extra})
        assert 400 <= response.status_code < 500, response.text
        assert "text/html" in response.headers["content-type"]
    assert audit_count(session) == before


def test_another_countys_warehouse_is_not_a_filter_value(browser: Any, session: Any) -> None:
    jinghe = warehouse(session, "精河县").id
    response = browser("wenquan").get("/resources/lots", params={"warehouse_id": jinghe})
    assert response.status_code == 404 and zh("Not found, or not within your area.") in response.text


def test_the_unknown_state_is_told_in_chinese(browser: Any) -> None:
    response = browser("wenquan").get("/resources/lots", params={"state": "bogus"})
    assert response.status_code == 400 and zh("Unknown state.") in response.text


def test_the_overview_links_to_every_lot_needing_attention(browser: Any, session: Any) -> None:
    masks = _new_item(session, "概览口罩", "9900003")
    _receive(session, "wenquan", warehouse(session, "温泉县救灾物资储备库").id, masks, 25, days=1)
    client = browser("wenquan")
    total = int(client.get("/api/resources/lots", params={"state": "attention"}).headers["X-Total-Count"])
    page = client.get("/resources")
    table = page.text.split('id="attention"')[1].split("</table>")[0]
    assert table.count("<tr class=\"lot-") == 20 < total
    assert zh("All %(n)s lots to rotate or expired") % {"n": total} in page.text


# --- surplus and shortage -----------------------------------------------------------------------------------

def _shortages(session: Session, count: int, name: str, code: str) -> tuple[int, int]:
    """``count`` 温泉县 stores each one piece short of a new item, and a 博乐市 store with plenty of it."""
    principal = as_user(session, "zhou")
    thing = _new_item(session, name, code)
    county = unit_id(session, "652723")
    for n in range(count):
        store = supplies.create_warehouse(session, principal, WarehouseCreate(
            unit_id=county, name=f"{name}短缺点{n:03d}", kind="government"))
        supplies.set_minimum(session, principal, store.id, MinLevelIn(supply_item_id=thing, minimum="1"))
    giver = supplies.create_warehouse(session, principal, WarehouseCreate(
        unit_id=unit_id(session, "652701"), name=f"{name}富余库", kind="government"))
    session.commit()
    ledger.receive(session, principal, giver.id, ReceiptIn(supply_item_id=thing, quantity=str(count + 10)))
    session.commit()
    return thing, giver.id


def test_matches_filter_page_and_export(browser: Any, session: Any) -> None:
    count = PER_PAGE + 4
    thing, giver = _shortages(session, count, "分页帐篷", "9900010")
    client = browser("zhou")
    params = {"supply_item_id": thing}
    first = client.get("/resources/matches", params=params)
    second = client.get("/resources/matches", params={**params, "page": 2})
    assert first.status_code == second.status_code == 200
    rows_one = first.text.split('id="matches"')[1].split("</table>")[0]
    rows_two = second.text.split('id="matches"')[1].split("</table>")[0]
    targets_one = re.findall(r'data-label="[^"]*"><a href="/resources/warehouses/(\d+)">分页帐篷短缺点', rows_one)
    targets_two = re.findall(r'data-label="[^"]*"><a href="/resources/warehouses/(\d+)">分页帐篷短缺点', rows_two)
    assert len(targets_one) == PER_PAGE and len(targets_two) == 4 and not set(targets_one) & set(targets_two)
    assert _pager_total(first.text) == zh("%(total)s in all, page %(page)s of %(last)s") % {
        "total": count, "page": 1, "last": 2}
    rows = _sheet(client.get("/resources/matches", params={**params, "export": "xlsx"}))
    assert len(rows) == count and {r[0] for r in rows} == {"分页帐篷"} and {r[1] for r in rows} == {"分页帐篷富余库"}
    # the filter narrows: without it the demo's tents are in as well; with another item this one is out
    everything = _sheet(client.get("/resources/matches", params={"export": "xlsx"}))
    assert len(everything) > count and "分页帐篷" in {r[0] for r in everything}
    other = client.get("/resources/matches", params={"supply_item_id": item(session, "1010101").id})
    assert "分页帐篷" not in other.text.split('id="matches"')[1]
    assert f"/resources/warehouses/{giver}" in rows_one


@pytest.mark.parametrize("params", [{"supply_item_id": "abc"}, {"supply_item_id": "2000000000"}, {"page": "0"},
                                    {"page": "-1"}])
def test_bad_match_filters_are_a_clear_4xx(browser: Any, session: Any, params: dict[str, str]) -> None:
    client = browser("zhou")
    before = audit_count(session)
    for extra in ({}, {"export": "xlsx"}):
        response = client.get("/resources/matches", params={**params, **extra})
        assert 400 <= response.status_code < 500, response.text
    assert audit_count(session) == before


def test_contracts_show_their_figures_on_every_page_and_in_the_export(browser: Any, session: Session) -> None:
    """The contracts' figures (agreed, drawn) and item names are read for the rows shown or exported, however
    far down the list they are: the last page of 2,100 contracts renders, and the export holds them all."""
    from yingji.resources.models import SupplierContract

    county, tent = unit_id(session, "652723"), item(session, "1010101")
    start = today()
    session.add_all([SupplierContract(unit_id=county, supplier=f"供应商{n:04d}", item_id=tent.id,
                                      quantity_milli=1000 * n, starts_on=start, ends_on=start + timedelta(days=30 + n))
                     for n in range(1, 2101)])
    session.commit()
    client = browser("wenquan")
    total = int(re.sub(r"\D+", " ", _pager_total(client.get("/resources/contracts").text)).split()[0])
    last = -(-total // PER_PAGE)
    page = client.get("/resources/contracts", params={"page": last})
    assert page.status_code == 200 and "供应商2100" in page.text
    rows = _sheet(client.get("/resources/contracts", params={"export": "xlsx"}))
    assert len(rows) == total and sum(1 for r in rows if str(r[0]).startswith("供应商")) == 2100

"""The stock ledger: receipts, issues, transfers and write-offs; bad input refused with the ledger unchanged;
movements append-only; a property test of random movement sequences (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.conftest import audit_count, zh
from tests.resources.helpers import api_ok, as_user, item, ledger_balances, lots_of, movement_count, warehouse
from yingji.errors import UserError
from yingji.resources import ledger
from yingji.resources.models import Lot, Movement
from yingji.resources.schemas import IssueIn, ReceiptIn, TransferIn


def _receipt(client: Any, wh: int, item_id: int, quantity: Any, **extra: Any) -> Any:
    return client.api("POST", f"/api/resources/warehouses/{wh}/receipts",
                      json={"supply_item_id": item_id, "quantity": quantity, **extra})


def test_receipt_issue_transfer_write_off_keep_the_ledger(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    county = warehouse(session, "温泉县救灾物资储备库")
    town = warehouse(session, "哈日布呼镇")
    water = item(session, "1020101")
    before = audit_count(session)
    moved = api_ok(_receipt(client, county.id, water.id, "2.125", lot_no="W-1", produced_on="2026-01-01",
                            expires_on="2027-01-01"), 201)
    assert moved["kind"] == "receipt" and moved["quantity"] == "2.125"
    lot = moved["lot_id"]
    api_ok(client.api("POST", f"/api/resources/lots/{lot}/issue", json={"quantity": "0.125", "note": "灾区"}), 201)
    out, into = api_ok(client.api("POST", f"/api/resources/lots/{lot}/transfer",
                                  json={"quantity": "1", "to_warehouse_id": town.id}), 201)
    assert (out["kind"], out["quantity"], into["kind"], into["quantity"]) == ("transfer_out", "-1", "transfer_in", "1")
    assert into["pair_id"] == out["id"] and into["warehouse_id"] == town.id
    api_ok(client.api("POST", f"/api/resources/lots/{lot}/write-off", json={"quantity": "0.5", "note": "破损"}), 201)
    assert api_ok(client.get(f"/api/resources/lots/{lot}"))["quantity"] == "0.5"
    moved_there = api_ok(client.get(f"/api/resources/lots/{into['lot_id']}"))
    assert moved_there["quantity"] == "1" and moved_there["expires_on"] == "2027-01-01"
    history = api_ok(client.get("/api/resources/movements", params={"lot_id": lot}))
    assert [m["kind"] for m in history["items"]] == ["write_off", "transfer_out", "issue", "receipt"]
    assert audit_count(session) == before + 5
    assert all(balance == total and balance >= 0 for balance, total in ledger_balances(session).values())


def test_write_off_needs_a_reason(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    lot = lots_of(session, warehouse(session, "温泉县救灾物资储备库").id, item(session, "1010101").id)[0]
    count = movement_count(session)
    response = client.api("POST", f"/api/resources/lots/{lot.id}/write-off", json={"quantity": "1"})
    assert response.status_code == 400 and zh("Say why the stock is written off.") in response.json()["detail"]
    assert movement_count(session) == count


# --- item 7: bad input, a clear message, the ledger unchanged ------------------------------------------

def test_issue_larger_than_the_lot_is_refused(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    tents = lots_of(session, warehouse(session, "温泉县救灾物资储备库").id, item(session, "1010101").id)[0]
    count, balances, audits = movement_count(session), ledger_balances(session), audit_count(session)
    response = client.api("POST", f"/api/resources/lots/{tents.id}/issue", json={"quantity": "300.001"})
    assert response.status_code == 409
    assert response.json()["detail"] == zh("The lot holds only %(have)s %(uom)s; %(want)s cannot be taken from it.",
                                           have="300", uom=zh("pieces"), want="300.001")
    assert (movement_count(session), ledger_balances(session), audit_count(session)) == (count, balances, audits)
    # exactly what the lot holds is allowed, and leaves it at zero
    api_ok(client.api("POST", f"/api/resources/lots/{tents.id}/issue", json={"quantity": "300"}), 201)
    assert lots_of(session, tents.warehouse_id, tents.item_id)[0].quantity_milli == 0


@pytest.mark.parametrize("quantity", ["-1", "0", "-0.001", "1.0001", "abc", "1e400"])
def test_bad_quantities_are_refused(browser: Any, session: Any, quantity: str) -> None:
    client = browser("wenquan")
    county = warehouse(session, "温泉县救灾物资储备库")
    tents = lots_of(session, county.id, item(session, "1010101").id)[0]
    count, balances = movement_count(session), ledger_balances(session)
    for response in (client.api("POST", f"/api/resources/lots/{tents.id}/issue", json={"quantity": quantity}),
                     _receipt(client, county.id, tents.item_id, quantity)):
        assert response.status_code == 422, response.text
        assert "quantity" in response.text
    assert (movement_count(session), ledger_balances(session)) == (count, balances)


def test_negative_quantity_says_so_in_chinese(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    tents = lots_of(session, warehouse(session, "温泉县救灾物资储备库").id, item(session, "1010101").id)[0]
    response = client.api("POST", f"/api/resources/lots/{tents.id}/issue", json={"quantity": "-5"})
    assert response.status_code == 422 and zh("This number is too small.") in response.text


def test_transfer_to_a_warehouse_outside_the_scope_is_refused(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    tents = lots_of(session, warehouse(session, "温泉县救灾物资储备库").id, item(session, "1010101").id)[0]
    bole = warehouse(session, "博乐市应急物资储备库")
    count, balances = movement_count(session), ledger_balances(session)
    response = client.api("POST", f"/api/resources/lots/{tents.id}/transfer",
                          json={"quantity": "10", "to_warehouse_id": bole.id})
    assert response.status_code == 404 and response.json()["detail"] == zh("Not found, or not within your area.")
    same = client.api("POST", f"/api/resources/lots/{tents.id}/transfer",
                      json={"quantity": "10", "to_warehouse_id": tents.warehouse_id})
    assert same.status_code == 400 and same.json()["detail"] == zh("Choose another warehouse to transfer to.")
    assert (movement_count(session), ledger_balances(session)) == (count, balances)


def test_expiry_before_production_is_refused(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    county = warehouse(session, "温泉县救灾物资储备库")
    water = item(session, "1020101")
    count, lots = movement_count(session), len(lots_of(session, county.id, water.id))
    response = _receipt(client, county.id, water.id, "1", produced_on="2026-05-02", expires_on="2026-05-01")
    assert response.status_code == 400
    assert response.json()["detail"] == zh("The expiry date cannot be before the production date.")
    assert movement_count(session) == count and len(lots_of(session, county.id, water.id)) == lots
    # the same day is allowed (a boundary)
    api_ok(_receipt(client, county.id, water.id, "1", produced_on="2026-05-01", expires_on="2026-05-01"), 201)


def test_another_countys_lot_is_not_found(browser: Any, session: Any) -> None:
    client = browser("wenquan")
    lot = lots_of(session, warehouse(session, "精河县").id, item(session, "1010101").id)[0]
    count = movement_count(session)
    for response in (client.api("POST", f"/api/resources/lots/{lot.id}/issue", json={"quantity": "1"}),
                     client.get(f"/api/resources/lots/{lot.id}")):
        assert response.status_code == 404
    assert movement_count(session) == count


def test_a_leader_reads_but_does_not_move_stock(browser: Any, session: Any) -> None:
    client = browser("leader")
    lot = lots_of(session, warehouse(session, "精河县").id, item(session, "1010101").id)[0]
    assert client.get(f"/api/resources/lots/{lot.id}").status_code == 200
    assert client.api("POST", f"/api/resources/lots/{lot.id}/issue", json={"quantity": "1"}).status_code == 403


def test_movements_are_append_only_in_the_database(database: Any, session: Any) -> None:
    moved = session.scalar(text("SELECT id FROM res_movement ORDER BY id LIMIT 1"))
    for statement in ("UPDATE res_movement SET delta_milli = 1 WHERE id = :id",
                      "DELETE FROM res_movement WHERE id = :id"):
        with database.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement), {"id": moved})
    with database.engine.connect() as conn, pytest.raises(DBAPIError):
        conn.execute(text("UPDATE res_lot SET quantity_milli = -1"))


# --- the property: stock equals the sum of its movements and never goes negative ----------------------

OPS = st.lists(st.tuples(st.sampled_from(["receipt", "issue", "transfer", "write_off"]),
                         st.integers(min_value=0, max_value=20),
                         st.integers(min_value=-3, max_value=4000).map(lambda n: Decimal(n) / 8)),
               min_size=1, max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_random_movement_sequences_keep_the_ledger_balanced(session: Any, ops: list[tuple[str, int, Decimal]]) -> None:
    principal = as_user(session, "wenquan")
    homes = [warehouse(session, "温泉县救灾物资储备库").id, warehouse(session, "哈日布呼镇").id]
    water = item(session, "1020101").id
    outer = session.begin_nested()
    try:
        for kind, pick, amount in ops:
            lots = [lot.id for w in homes for lot in lots_of(session, w, water)]
            before = ledger_balances(session)
            step = session.begin_nested()
            try:
                if kind == "receipt":
                    ledger.receive(session, principal, homes[pick % 2],
                                   ReceiptIn.model_construct(supply_item_id=water, quantity=amount, lot_no="",
                                                             produced_on=None, expires_on=None, note=""))
                elif kind == "transfer":
                    ledger.transfer(session, principal, lots[pick % len(lots)],
                                    TransferIn.model_construct(quantity=amount, to_warehouse_id=homes[(pick + 1) % 2],
                                                               note=""))
                else:
                    call = ledger.issue if kind == "issue" else ledger.write_off
                    call(session, principal, lots[pick % len(lots)], IssueIn.model_construct(quantity=amount,
                                                                                           note="x"))
                step.commit()
                refused = False
            except UserError:
                step.rollback()
                refused = True
            after = ledger_balances(session)
            assert all(balance == total and balance >= 0 for balance, total in after.values()), (kind, amount)
            if refused:
                assert after == before
            else:
                assert amount > 0
    finally:
        outer.rollback()


def test_stock_is_the_sum_of_lots(session: Any) -> None:
    from yingji.resources import supplies

    principal = as_user(session, "wenquan")
    rows = supplies.stock(session, principal, item_id=item(session, "1020101").id)
    assert sorted(r.milli for r in rows) == [2500, 7000]  # 6 t + 1 t expired in the county store; 2.5 t in the town
    assert sum(ledger.ledger_sum(session, lot.id) for lot in session.query(Lot).filter(
        Lot.item_id == item(session, "1020101").id, Lot.warehouse_id.in_([r.warehouse_id for r in rows]))) == 9500
    assert session.query(Movement).count() > 0

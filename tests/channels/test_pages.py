"""Pages and API of the channels, as the named personas: lists filter, page and export; scope holds;
secrets are never shown back; the public subscription and the "received" link."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.channels.helpers import SYSTEM, alert, configure, endpoint, person, unit
from tests.conftest import audit_count, zh
from yingji.channels import delivery, recipients
from yingji.channels.models import ChannelConfig, Delivery, Recipient, Subscription


def _rows_of(xlsx_bytes: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(xlsx_bytes)).active
    return list(sheet.iter_rows(values_only=True))


def test_recipient_pages_filter_page_export_and_scope(session, browser) -> None:
    person(session, "652722", "13911112222", name="精河信息员")
    person(session, "652701", "13911113333", name="博乐信息员")
    session.commit()
    jinghe = browser("jinghe")
    page = jinghe.get("/warnings/recipients")
    assert page.status_code == 200 and "精河信息员" in page.text and "博乐信息员" not in page.text
    assert "精河信息员" not in jinghe.get("/warnings/recipients", params={"q": "1391111333"}).text
    rows = _rows_of(jinghe.get("/warnings/recipients", params={"export": "xlsx"}).content)
    assert rows[0][0] == zh("unit") and [r[1] for r in rows[1:]] == ["精河信息员"]
    other = session.scalar(select(Recipient.id).where(Recipient.name == "博乐信息员"))
    assert jinghe.get(f"/warnings/recipients/{other}").status_code == 404
    assert jinghe.get(f"/api/channels/recipients/{other}").status_code == 404


def test_create_recipient_by_form_and_api(session, browser) -> None:
    jinghe = browser("jinghe")
    county = unit(session, "652722")
    before = audit_count(session)
    response = jinghe.form("/warnings/recipients", {"unit_id": county.id, "name": "王村长", "kind": "village_head",
                                                    "phone": "13912340000", "language": "zh-CN", "by_sms": "1"})
    assert response.status_code == 303
    row = session.scalar(select(Recipient).where(Recipient.name == "王村长"))
    assert row is not None and row.by_sms and not row.by_email
    assert audit_count(session) == before + 1
    bad = jinghe.api("POST", "/api/channels/recipients", json={"unit_id": county.id, "phone": "12ab", "by_sms": True})
    assert bad.status_code == 422
    no_phone = jinghe.api("POST", "/api/channels/recipients", json={"unit_id": county.id, "by_sms": True})
    assert no_phone.status_code == 400 and no_phone.json()["detail"]
    bole = unit(session, "652701")
    assert jinghe.api("POST", "/api/channels/recipients",
                      json={"unit_id": bole.id, "phone": "13912340001"}).status_code == 404
    # an information officer reads but does not write
    assert browser("village").api("POST", "/api/channels/recipients",
                                  json={"unit_id": county.id, "phone": "13912340002"}).status_code in (403, 404)


def test_endpoint_secret_is_never_shown(session, browser) -> None:
    e = endpoint(session, "652722", "loudspeaker", "http://127.0.0.1:9/hook/x", secret="very-secret-value-42")
    session.commit()
    jinghe = browser("jinghe")
    page = jinghe.get(f"/warnings/endpoints/{e.id}")
    assert page.status_code == 200 and "very-secret-value-42" not in page.text and "••••42" in page.text
    assert "very-secret" not in jinghe.get(f"/api/channels/endpoints/{e.id}").text
    no_secret = jinghe.api("POST", "/api/channels/endpoints", json={
        "unit_id": unit(session, "652722").id, "name": "显示屏", "kind": "display", "url": "http://127.0.0.1:9/h"})
    assert no_secret.status_code == 400


def test_channel_configuration_is_the_prefecture_offices_and_audited(session, browser) -> None:
    zhou = browser("zhou")
    before = audit_count(session)
    response = zhou.form("/warnings/channels/sms", {"url": "http://127.0.0.1:9/sms", "secret": "gateway-secret-xy",
                                                     "enabled": "1", "sender": "博州应急"})
    assert response.status_code == 303
    row = session.scalar(select(ChannelConfig).where(ChannelConfig.channel == "sms"))
    assert row.enabled and row.secret == "gateway-secret-xy"
    assert audit_count(session) == before + 1
    page = zhou.get("/warnings/channels")
    assert "gateway-secret-xy" not in page.text and "••••xy" in page.text
    from yingji.core.models import AuditEntry

    entry = session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "channel_config"))
    assert "gateway-secret-xy" not in str(entry.after) + str(entry.before)
    # keeping the secret when the field is left empty
    zhou.form("/warnings/channels/sms", {"url": "http://127.0.0.1:9/sms2", "enabled": "1"})
    session.expire_all()
    assert session.scalar(select(ChannelConfig.secret).where(ChannelConfig.channel == "sms")) == "gateway-secret-xy"
    assert browser("jinghe").form("/warnings/channels/sms", {"url": "http://x/"}).status_code == 403
    assert zhou.form("/warnings/channels/email", {"url": "http://not-smtp/", "enabled": "1"}).status_code == 400


def test_rules_page_edits_with_source(session, browser) -> None:
    zhou = browser("zhou")
    assert zhou.form("/warnings/channels/rules/sms_max_segments", {"value": "6", "source": "州应急局通知"}
                     ).status_code == 303
    from yingji.channels import defaults

    assert defaults.value(session, defaults.MAX_SEGMENTS) == 6
    assert zhou.form("/warnings/channels/rules/sms_max_segments", {"value": "0", "source": "x"}).status_code == 400
    assert zhou.form("/warnings/channels/rules/nope", {"value": "3", "source": "x"}).status_code == 404
    assert browser("jinghe").form("/warnings/channels/rules/sms_max_segments",
                                  {"value": "3", "source": "x"}).status_code == 403


def test_public_subscription_confirmed_by_sms_code(session, database, browser, peer) -> None:
    configure(session, peer)
    session.commit()
    village = unit(session, "652722")
    anonymous = browser()
    page = anonymous.get("/public/subscribe")
    assert page.status_code == 200 and "精河县" in page.text
    response = anonymous.form("/public/subscribe", {"phone": "139 1234 5678", "area_id": village.id,
                                                    "language": "zh-CN"})
    assert response.status_code == 201
    # the code went out through the SMS gateway (the job runs at once in tests)
    sms = peer.bodies("/sms")
    assert len(sms) == 1 and sms[0]["to"] == "13912345678"
    code = re.search(r"[0-9]{6}", sms[0]["text"]).group(0)
    sub = session.scalar(select(Subscription).where(Subscription.phone == "13912345678"))
    assert sub.code_to_send is None and code not in sub.code_hash
    wrong = "000000" if code != "000000" else "111111"
    assert anonymous.form(f"/public/subscribe/{sub.id}", {"code": wrong}).status_code == 400
    session.expire_all()
    assert session.get(Subscription, sub.id).attempts == 1
    done = anonymous.form(f"/public/subscribe/{sub.id}", {"code": code})
    assert done.status_code == 200 and 'id="subscribed"' in done.text
    recipient = session.scalar(select(Recipient).where(Recipient.phone == "13912345678"))
    assert recipient.kind == "public" and recipient.unit_id == village.id and recipient.by_sms
    assert anonymous.form(f"/public/subscribe/{sub.id}", {"code": code}).status_code == 400


def test_subscription_limits_at_their_boundaries(session, database, browser) -> None:
    from datetime import timedelta

    from yingji import clock
    from yingji.channels import defaults

    area = unit(session, "652722").id
    api = browser()
    per_hour = defaults.value(session, defaults.CODE_PER_HOUR)
    for _ in range(per_hour):
        assert api.api("POST", "/api/public/subscriptions", json={"phone": "13800138000", "area_id": area}
                       ).status_code == 201
    assert api.api("POST", "/api/public/subscriptions", json={"phone": "13800138000", "area_id": area}
                   ).status_code == 429
    assert api.api("POST", "/api/public/subscriptions", json={"phone": "12345", "area_id": area}).status_code == 422
    sub_id = api.api("POST", "/api/public/subscriptions", json={"phone": "13800138001", "area_id": area}
                     ).json()["subscription_id"]
    attempts = defaults.value(session, defaults.CODE_ATTEMPTS)
    for _ in range(attempts):
        assert api.api("POST", f"/api/public/subscriptions/{sub_id}/confirm", json={"code": "999999"}
                       ).status_code == 400
    session.expire_all()
    assert session.get(Subscription, sub_id).attempts == attempts
    # expiry: the code is valid up to its minute, not after
    sub = session.get(Subscription, sub_id)
    minutes = defaults.value(session, defaults.CODE_MINUTES)
    assert sub.expires_at == sub.created_at + timedelta(minutes=minutes)
    later = sub.expires_at
    clock.set_clock(lambda: later)
    assert api.api("POST", "/api/public/subscriptions", json={"phone": "13800138002", "area_id": area}
                   ).status_code == 201


def test_received_link_records_acknowledgement(session, database, browser, peer) -> None:
    configure(session, peer)
    officer = person(session, "652722", "13911119999", kind="info_officer")
    a = alert(session, unit_codes=("652722",))
    delivery.fan_out(session, SYSTEM, a)
    session.commit()
    text = peer.bodies("/sms")[0]["text"]
    link = re.search(r"/public/ack/[0-9a-f-]+", text).group(0)
    anonymous = browser()
    shown = anonymous.get(link)
    assert shown.status_code == 200 and "精河县暴雨橙色预警" in shown.text
    session.expire_all()
    row = session.scalar(select(Delivery).where(Delivery.recipient_id == officer.id))
    assert row.acknowledged_at is None  # opening the link is not an acknowledgement
    assert anonymous.form(link).status_code == 200
    session.expire_all()
    assert session.get(Delivery, row.id).status == "acknowledged"
    assert anonymous.get(link[:-1] + ("0" if link[-1] != "0" else "1")).status_code == 404


def test_receipts_must_be_signed(session, database, browser, peer) -> None:
    import json
    import time

    from yingji.channels.sms import sign

    peer.sms_state = "accepted"
    configure(session, peer)
    person(session, "652722", "13911117777")
    a = alert(session, unit_codes=("652722",))
    delivery.fan_out(session, SYSTEM, a)
    session.commit()
    row = session.scalar(select(Delivery).where(Delivery.alert_id == a.id))
    assert row.status == "sent"
    body = json.dumps({"key": delivery.message_key(a.id, row.id), "status": "delivered"}).encode()
    stamp = str(int(time.time()))
    anonymous = browser()
    bad = anonymous.post("/api/channels/receipts", content=body, headers={
        "X-Yingji-Timestamp": stamp, "Authorization": "Bearer " + sign("wrong", stamp, body)})
    assert bad.status_code == 401
    old = str(int(time.time()) - 3600)
    assert anonymous.post("/api/channels/receipts", content=body, headers={
        "X-Yingji-Timestamp": old, "Authorization": "Bearer " + sign(peer.secret, old, body)}).status_code == 401
    good = anonymous.post("/api/channels/receipts", content=body, headers={
        "X-Yingji-Timestamp": stamp, "Authorization": "Bearer " + sign(peer.secret, stamp, body)})
    assert good.status_code == 200
    session.expire_all()
    assert session.get(Delivery, row.id).status == "delivered"


def test_coverage_page_and_export_of_the_silent(session, database, browser, peer) -> None:
    configure(session, peer)
    villages = [u for u in session.scalars(select(__import__("yingji.core.models", fromlist=["Unit"]).Unit).where(
        __import__("yingji.core.models", fromlist=["Unit"]).Unit.code.like("652722%-V%")).order_by(
        __import__("yingji.core.models", fromlist=["Unit"]).Unit.code))]
    assert len(villages) >= 3
    officer = person(session, villages[0].code, "13911110101", kind="info_officer")
    person(session, villages[1].code, "13911110102", kind="public")
    a = alert(session, unit_codes=("652722",))
    delivery.fan_out(session, SYSTEM, a)
    session.commit()
    row = session.scalar(select(Delivery).where(Delivery.recipient_id == officer.id))
    delivery.acknowledge(session, SYSTEM, row.id)
    session.commit()
    jinghe = browser("jinghe")
    page = jinghe.get(f"/warnings/coverage/{a.id}")
    assert page.status_code == 200
    assert 'class="coverage-acknowledged"' in page.text and 'class="coverage-reached"' in page.text
    silent = _rows_of(jinghe.get(f"/warnings/coverage/{a.id}", params={"state": "silent", "export": "xlsx"}).content)
    names = {r[0] for r in silent[1:]}
    assert names == {v.name for v in villages[2:]}
    assert villages[0].name not in names and villages[1].name not in names
    # the prefecture sees the same villages; 博乐市 sees none of 精河县's
    assert browser("bole").get(f"/warnings/coverage/{a.id}").text.count("coverage-silent") == 0
    listing = jinghe.get("/warnings/deliveries", params={"alert_id": a.id})
    assert listing.status_code == 200 and "13911110101" not in listing.text
    exported = _rows_of(jinghe.get("/warnings/deliveries", params={"alert_id": a.id, "export": "xlsx"}).content)
    assert len(exported) == 3
    assert jinghe.get("/warnings/coverage").status_code == 200
    count = session.scalar(select(func.count()).select_from(Delivery).where(Delivery.alert_id == a.id))
    assert count == 2


def test_configure_requires_an_address_to_switch_on(session) -> None:
    from yingji.channels.schemas import ConfigIn
    from yingji.errors import UserError

    try:
        recipients.configure(session, SYSTEM, "sms", ConfigIn(url="", enabled=True))
    except UserError as exc:
        assert exc.field == "url"
    else:
        raise AssertionError("switched on without an address")

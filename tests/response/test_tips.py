"""Public tips: sent without signing in (CSRF still applies), with an optional photo checked by its bytes,
limited per address (a rule with its source, tested at the window's boundary); the county's duty desk
verifies (a new event known from the tip), merges or dismisses with a reason; other counties see nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import audit_count, zh
from tests.response.helpers import audits, county, local, open_event, principal, set_now
from yingji.core.models import Attachment
from yingji.incidents.models import Event
from yingji.response import defaults
from yingji.response.models import ResponseTip

NOW = local(2026, 7, 14, 2, 30)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 128
BOLE = "652701"


def _tip(county_id: int, **extra: Any) -> dict[str, Any]:
    body = {"county_id": str(county_id), "occurred_at": "2026-07-14T02:10", "text": "村后山坡滑下大量泥土，堵住了路",
            "place": "小营盘镇后山村道", "reporter_phone": "13900000000"}
    body.update(extra)
    return body


def _count(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(ResponseTip)) or 0)


def _send(client: Any, data: dict[str, Any], files: Any = None) -> Any:
    return client.post("/public/tips", data={"csrf_token": client.csrf, **data}, files=files,
                       follow_redirects=False)


def test_anyone_sends_a_tip_with_a_photo(browser: Any, session: Session) -> None:
    set_now(NOW)
    public = browser()
    page = public.get("/public/tips/new")
    assert page.status_code == 200 and 'capture="environment"' in page.text and zh("Report what you see") in page.text
    before = _count(session)
    sent = _send(public, _tip(county(session, BOLE)), files={"photo": ("IMG_0001.png", PNG, "image/png")})
    assert sent.status_code == 200, sent.text
    number = int(re.search(r"第(\d+)号", sent.text).group(1))  # type: ignore[union-attr]
    assert _count(session) == before + 1
    tip = session.get_one(ResponseTip, number)
    assert tip.status == "unverified" and tip.unit_id == county(session, BOLE)
    assert tip.occurred_at == local(2026, 7, 14, 2, 10) and tip.received_at == NOW
    photo = session.get_one(Attachment, tip.attachment_id)
    assert photo.content_type == "image/png" and photo.entity_type == "response_tip"
    created = audits(session, "response_tip", "create")[-1]
    assert created.actor_name == "public" and created.unit_id == tip.unit_id
    bole = browser("bole")
    assert bole.get(f"/files/{photo.id}").content == PNG
    queue = bole.get("/incidents/response/tips", params={"status": "unverified"})
    assert f'id="tip-{number}"' in queue.text


def test_bad_tips_change_nothing(browser: Any, session: Session) -> None:
    set_now(NOW)
    public = browser()
    bole = county(session, BOLE)
    before, audited = _count(session), audit_count(session)
    future = _send(public, _tip(bole, occurred_at="2026-07-14T02:31"))
    assert future.status_code == 400 and zh("The time cannot be in the future.") in future.text
    assert "村后山坡" in future.text  # the form comes back filled in
    pdf = _send(public, _tip(bole), files={"photo": ("x.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    assert pdf.status_code == 415 and zh("Only a photo (JPEG, PNG, GIF or WebP) can be sent with a tip.") in pdf.text
    lying = _send(public, _tip(bole), files={"photo": ("x.jpg", PNG, "image/jpeg")})
    assert lying.status_code == 415
    village = _send(public, _tip(principal(session, "village").unit_id or 0))
    assert village.status_code == 400 and zh("Choose the county or city where it happened.") in village.text
    empty = _send(public, _tip(bole, text=""))
    assert empty.status_code == 400
    no_csrf = public.post("/public/tips", data=_tip(bole), follow_redirects=False)
    assert no_csrf.status_code == 403
    assert _count(session) == before and audit_count(session) == audited


def test_the_limit_per_address_holds_to_the_second(browser: Any, session: Session) -> None:
    limit = defaults.value(session, defaults.TIP_LIMIT)
    window = timedelta(minutes=defaults.value(session, defaults.TIP_WINDOW))
    assert (limit, window) == (5, timedelta(minutes=60))
    public = browser()
    bole = county(session, BOLE)
    set_now(NOW)
    for _ in range(limit):
        assert _send(public, _tip(bole)).status_code == 200
    set_now(NOW + window - timedelta(seconds=1))
    refused = _send(public, _tip(bole))
    assert refused.status_code == 429
    assert zh("Too many tips from your address. Please try again in %(minutes)s minutes; if lives are in danger, "
              "call 110, 119 or 120.", minutes=60) in refused.text
    set_now(NOW + window)  # the first five fall out of the window exactly now
    assert _send(public, _tip(bole, occurred_at="2026-07-14T03:00")).status_code == 200


def test_the_desk_verifies_a_tip_into_an_event_known_from_the_tip(browser: Any, session: Session) -> None:
    set_now(NOW)
    public = browser()
    _send(public, _tip(county(session, BOLE)))
    tip_id = int(session.scalar(select(func.max(ResponseTip.id))) or 0)
    desk = browser("bole")
    page = desk.get(f"/incidents/response/tips/{tip_id}")
    assert page.status_code == 200 and 'id="verify-form"' in page.text and "1.4.2" in page.text
    done = desk.form(f"/incidents/response/tips/{tip_id}/verify", {"title": "后山村道滑坡", "subtype": "1.4.2"})
    assert done.status_code == 303, done.text
    session.expire_all()
    tip = session.get_one(ResponseTip, tip_id)
    event = session.get_one(Event, tip.event_id)
    assert tip.status == "verified" and tip.decided_by_name == "博乐市应急办"
    assert (event.known_from, event.category, event.subtype, event.unit_id) == ("tip", "1", "1.4.2", tip.unit_id)
    assert event.occurred_at == tip.occurred_at and event.description == tip.text
    assert audits(session, "response_tip", "verified")[-1].after["event_id"] == event.id
    again = desk.form(f"/incidents/response/tips/{tip_id}/dismiss", {"reason": "重复"})
    assert again.status_code == 409


def test_merge_and_dismiss_and_other_counties(browser: Any, session: Session) -> None:
    set_now(NOW)
    event = open_event(session, occurred_at=NOW - timedelta(minutes=30))
    foreign = open_event(session, "jinghe", occurred_at=NOW - timedelta(minutes=30), title="精河县事件")
    session.commit()
    public = browser()
    for _ in range(3):
        _send(public, _tip(county(session, BOLE)))
    ids = list(session.scalars(select(ResponseTip.id).order_by(ResponseTip.id.desc()).limit(3)))
    desk, jinghe = browser("bole"), browser("jinghe")
    assert desk.api("POST", f"/api/response/tips/{ids[0]}/merge", json={"event_id": foreign.id}).status_code == 404
    merged = desk.api("POST", f"/api/response/tips/{ids[0]}/merge", json={"event_id": event.id})
    assert merged.status_code == 200 and merged.json()["status"] == "merged"
    assert merged.json()["event_id"] == event.id
    blank = desk.api("POST", f"/api/response/tips/{ids[1]}/dismiss", json={"reason": " "})
    assert blank.status_code == 422
    dismissed = desk.form(f"/incidents/response/tips/{ids[1]}/dismiss", {"reason": "经电话核实，系误报"})
    assert dismissed.status_code == 303
    page = desk.get(f"/incidents/response/tips/{ids[1]}")
    assert "经电话核实，系误报" in page.text and zh("dismissed") in page.text
    # 精河县 sees none of 博乐市's tips and cannot act on them.
    assert jinghe.get(f"/incidents/response/tips/{ids[2]}").status_code == 404
    assert jinghe.form(f"/incidents/response/tips/{ids[2]}/dismiss", {"reason": "越权"}).status_code == 404
    assert all(t["unit_id"] != county(session, BOLE) for t in jinghe.get("/api/response/tips").json()["items"])
    # The village information officer reads but does not decide.
    village = browser("village")
    assert village.api("POST", f"/api/response/tips/{ids[2]}/dismiss", json={"reason": "无权"}).status_code in (403,
                                                                                                              404)
    session.expire_all()
    assert session.get_one(ResponseTip, ids[2]).status == "unverified"
    # The response page of the event lists the merged tip.
    assert f'href="/incidents/response/tips/{ids[0]}"' in desk.get(f"/incidents/{event.id}/response").text


def test_queue_filters_pages_and_exports(browser: Any, session: Session) -> None:
    set_now(NOW)
    public = browser()
    _send(public, _tip(county(session, BOLE), text="草场起火，浓烟很大"))
    desk = browser("bole")
    found = desk.get("/incidents/response/tips", params={"q": "草场起火"})
    assert found.status_code == 200 and "草场起火" in found.text
    assert "草场起火" not in desk.get("/incidents/response/tips", params={"status": "dismissed"}).text
    export = desk.get("/incidents/response/tips", params={"q": "草场起火", "export": "xlsx"})
    assert export.headers["content-type"].startswith("application/vnd.openxmlformats")
    import io

    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == zh("no.") and rows[1][5] == "草场起火，浓烟很大" and rows[1][8] == zh("unverified")
    assert desk.get("/incidents/response/tips", params={"status": "bogus"}).status_code == 400

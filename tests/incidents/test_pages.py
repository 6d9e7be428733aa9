"""The pages: phone form with a photo and an Idempotency-Key, queue, sign for and forward, event page with
the reports side by side, list with filters and XLSX, map, rules, events known from elsewhere."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.conftest import zh
from tests.incidents.helpers import local, set_now, unit_of
from yingji.core.models import Attachment
from yingji.incidents.models import Event, Hop, IncidentRule, Report

T0 = local(2026, 12, 2, 2, 10)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _form(extra=None):
    data = {"title": "村道边坡滑坡", "occurred_at": "2026-12-02T02:10", "subtype": "1.4.2",
            "description": "边坡滑坡，阻断村道", "deaths": "0", "injured": "0", "idempotency_key": "web-form-1"}
    data.update(extra or {})
    return data


def test_phone_form_with_photo_then_desk_signs_and_forwards(browser, session):
    set_now(T0 + timedelta(minutes=6))
    village = browser("village")
    page = village.get("/incidents/new")
    assert page.status_code == 200 and 'capture="environment"' in page.text and 'accept="image/*,video/*"' in page.text
    sent = village.form("/incidents/new", _form({"deaths": "3"}), files={"photos": ("slope.png", PNG, "image/png")})
    assert sent.status_code == 303, sent.text
    event_id = int(sent.headers["location"].rsplit("/", 1)[1])
    again = village.form("/incidents/new", _form({"deaths": "3"}), files={"photos": ("slope.png", PNG, "image/png")},
                         headers={"Accept": "application/json"})
    assert again.status_code == 201 and again.json()["event_id"] == event_id
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Report).where(Report.event_id == event_id)) == 1
    assert session.scalar(select(func.count()).select_from(Attachment).where(Attachment.filename == "slope.png")) == 1
    report = session.scalar(select(Report).where(Report.event_id == event_id))
    assert report is not None and report.occurred_at == T0 and report.level == 3
    shown = village.get(f"/incidents/{event_id}")
    assert shown.status_code == 200 and f'href="/incidents/{event_id}/response"' in shown.text
    assert "/download" in shown.text
    bole = browser("bole")
    queue = bole.get("/incidents/queue")
    hop = session.scalar(select(Hop).where(Hop.event_id == event_id))
    assert hop is not None and f'id="hop-{hop.id}"' in queue.text and "2 h 00 min" in queue.text
    assert bole.form(f"/incidents/hops/{hop.id}/sign", {"next": "/incidents/queue"}).headers["location"] == \
        "/incidents/queue"
    assert bole.form(f"/incidents/hops/{hop.id}/forward", {"comment": "已核实"}).status_code == 303
    zhou = browser("zhou")
    up = session.scalar(select(Hop).where(Hop.event_id == event_id, Hop.stage == "prefecture"))
    assert up is not None and f'id="hop-{up.id}"' in zhou.get("/incidents/queue").text


def test_follow_up_and_side_by_side(browser, session):
    set_now(T0 + timedelta(minutes=6))
    village = browser("village")
    event_id = int(village.form("/incidents/new", _form()).headers["location"].rsplit("/", 1)[1])
    set_now(T0 + timedelta(minutes=40))
    follow = village.form(f"/incidents/{event_id}/reports", {"kind": "followup", "deaths": "4", "description": "续报",
                                                             "idempotency_key": "web-f-1"})
    assert follow.status_code == 303
    page = village.get(f"/incidents/{event_id}")
    assert page.text.count('class="changed"') >= 2  # deaths and description changed
    assert zh("Signal for review: casualties revised upward") in page.text
    session.expire_all()
    event = session.get_one(Event, event_id)
    assert event.flag_review and event.deaths == 4


def test_list_filters_export_map_rules(browser, session):
    set_now(T0 + timedelta(minutes=6))
    village = browser("village")
    village.form("/incidents/new", _form({"title": "甲事件", "deaths": "3", "lon": "82.05", "lat": "44.91"}))
    village.form("/incidents/new", _form({"title": "乙事件", "idempotency_key": "web-form-2"}))
    bole = browser("bole")
    page = bole.get("/incidents", params={"level": 3})
    assert "甲事件" in page.text and "乙事件" not in page.text
    page = bole.get("/incidents", params={"date_from": "2026-12-02", "date_to": "2026-12-02", "q": "乙"})
    assert "乙事件" in page.text and "甲事件" not in page.text
    assert bole.get("/incidents", params={"date_from": "2026-13-01"}).status_code == 400
    export = bole.get("/incidents", params={"level": 3, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    titles = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "甲事件" in titles and "乙事件" not in titles
    assert "甲事件" in bole.get("/incidents/map", params={"days": 7}).text
    assert "乙事件" not in browser("jinghe").get("/incidents").text
    rules = bole.get("/incidents/rules")
    assert "limit.report.3" in rules.text and "Decree 493" in rules.text
    zhou = browser("zhou")
    rule = session.scalar(select(IncidentRule).where(IncidentRule.key == "limit.county.4"))
    assert rule is not None
    assert bole.form(f"/incidents/rules/{rule.id}", {"value": "3600", "source": "x"}).status_code == 403
    assert zhou.form(f"/incidents/rules/{rule.id}", {"value": "3600", "source": "本地规定"}).status_code == 303
    session.expire_all()
    assert session.get_one(IncidentRule, rule.id).value == 3600


def test_known_event_form(browser, session):
    set_now(T0 + timedelta(minutes=30))
    bole = browser("bole")
    made = bole.form("/incidents/known", {"unit_id": str(unit_of(session, "village")), "known_from": "media",
                                          "title": "网络报道滑坡", "occurred_at": "2026-12-02T02:10",
                                          "subtype": "1.4.2"})
    assert made.status_code == 303
    event_id = int(made.headers["location"].rsplit("/", 1)[1])
    page = bole.get(f"/incidents/{event_id}")
    assert "网络报道滑坡" in page.text
    assert browser("village").form("/incidents/known", {"unit_id": str(unit_of(session, "village")),
                                                        "known_from": "media", "title": "x",
                                                        "occurred_at": "2026-12-02T02:10",
                                                        "subtype": "1.4.2"}).status_code == 403

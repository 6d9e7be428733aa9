"""First response and public information in a real browser: a member of the public sends a tip with a photo
from a phone-width page without signing in; the 博乐市 desk verifies it into an event, records what was done
and drafts a statement; the spokesperson approves it; it appears on the public event page and in the Atom
feed; an evaluation report of a closed level III event is written and submitted."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree
from playwright.sync_api import expect

from tests.conftest import zh

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 256
ATOM = "{http://www.w3.org/2005/Atom}"


def test_tip_to_event_timeline_statement_public_page_and_feed(new_page: Any, signed_in: Any) -> None:
    public = new_page(**PHONE)
    public.goto("/public/tips/new")
    form = public.locator("#tip-form")
    form.locator("select[name=county_id]").select_option(label="博乐市")
    form.locator("textarea[name=text]").fill("河边草场起火，浓烟很大，风向朝村子（浏览器测试）")
    form.locator("input[name=place]").fill("博河大桥西侧")
    form.locator("input[name=photo]").set_input_files({"name": "fire.png", "mimeType": "image/png", "buffer": PNG})
    assert public.evaluate("document.documentElement.scrollWidth") <= 390
    form.locator("button[type=submit]").click()
    expect(public.locator("#tip-received")).to_be_visible()
    number = int(re.search(r"(\d+)", public.locator("#tip-received").inner_text()).group(1))  # type: ignore[union-attr]

    desk = signed_in("bole")
    desk.goto("/incidents/response/tips?status=unverified")
    desk.locator(f"#tip-{number} a").first.click()
    expect(desk.locator("#tip-photo")).to_be_visible()
    verify = desk.locator("#verify-form")
    verify.locator("input[name=title]").fill("博河大桥西侧草场火灾（浏览器测试）")
    verify.locator("select[name=subtype]").select_option(value="1.7")
    verify.locator("button[type=submit]").click()
    expect(desk.locator("#tip .state")).to_contain_text(zh("verified (new event)"))
    desk.locator("#tip-event").click()
    desk.wait_for_url(re.compile(r"/incidents/\d+/response"))
    event_id = int(re.search(r"/incidents/(\d+)/response", desk.url).group(1))  # type: ignore[union-attr]

    desk.locator("#action-details summary").click()
    action = desk.locator("#action-form")
    action.locator("select[name=kind]").select_option(value="team_sent")
    action.locator("textarea[name=text]").fill("派出森林草原消防队扑救")
    action.locator("input[name=name]").fill("博乐市森林消防中队")
    action.locator("input[name=people]").fill("25")
    action.locator("button[type=submit]").click()
    expect(desk.locator("#timeline-items tbody tr[data-kind=team_sent]")).to_contain_text("博乐市森林消防中队")
    expect(desk.locator("#totals")).to_contain_text(zh("Teams sent: %(n)s (%(p)s people)", n=1, p=25))

    desk.locator("#statement-details summary").click()
    statement = desk.locator("#statement-form")
    statement.locator("input[name=title]").fill("关于博河大桥西侧草场火灾的情况通报")
    statement.locator("textarea[name=facts]").fill("草场起火，明火已得到控制，无人员伤亡。")
    statement.locator("textarea[name=advice]").fill("附近居民请关闭门窗，勿前往围观。")
    statement.locator("button[type=submit]").click()
    card = desk.locator("#statements .card").last
    expect(card.locator(".state")).to_have_text(zh("draft"))
    expect(card.locator("button.approve")).to_have_count(0)  # the office cannot approve its own statement

    spokes = signed_in("bole_spokes", **PHONE)
    spokes.goto(f"/incidents/{event_id}/response#statements")
    spokes.locator("#statements .card").last.locator("button.approve").click()
    expect(spokes.locator("#statements .card").last.locator(".state")).to_have_text(zh("approved"))
    spokes.locator("#statements .card").last.locator("button.publish").click()
    expect(spokes.locator("#statements .card").last.locator(".state")).to_have_text(zh("published"))

    public.goto(f"/public/events/{event_id}")
    expect(public.locator("#public-title")).to_have_text("博河大桥西侧草场火灾（浏览器测试）")
    expect(public.locator("article").last).to_contain_text("附近居民请关闭门窗")
    feed = public.request.get("/public/events.atom")
    root = etree.fromstring(feed.body())
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert "博河大桥西侧草场火灾（浏览器测试）: 关于博河大桥西侧草场火灾的情况通报" in titles


def test_evaluation_report_of_a_closed_level_iii_event(signed_in: Any) -> None:
    desk = signed_in("bole")
    occurred = (datetime.now(UTC) - timedelta(hours=6)).isoformat()
    created = desk.request.post("/api/incidents", data={
        "title": "建材厂厂房坍塌（浏览器测试）", "occurred_at": occurred, "category": "2", "subtype": "2.1",
        "level": 3, "deaths": 3, "description": "厂房坍塌。", "reporter_name": "测试"},
        headers={"X-CSRF-Token": _csrf(desk)})
    assert created.status == 201, created.text()
    event_id = created.json()["event_id"]
    final = desk.request.post(f"/api/incidents/{event_id}/reports", data={
        "kind": "final", "description": "处置完毕。", "reporter_name": "测试", "deaths": 3},
        headers={"X-CSRF-Token": _csrf(desk)})
    assert final.status == 201, final.text()
    desk.goto("/incidents/response/evaluations?state=due")
    row = desk.locator(f"#due-{event_id}")
    expect(row.locator(".state")).to_have_text(zh("due"))
    row.locator("a").click()
    form = desk.locator("#evaluation-form")
    form.locator("textarea[name=overview]").fill("厂房坍塌造成3人死亡。")
    form.locator("textarea[name=response]").fill("响应及时，救援有序。")
    form.locator("input[name=submit]").check()
    form.locator("button[type=submit]").click()
    expect(desk.locator("#deadline")).to_contain_text(zh("submitted on time"))
    expect(desk.locator("#report")).to_contain_text("响应及时，救援有序。")
    desk.goto("/incidents/response/evaluations?state=submitted")
    expect(desk.locator(f"#due-{event_id} .state")).to_have_text(zh("submitted on time"))


def _csrf(page: Any) -> str:
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return str(cookies["yj_csrf"])

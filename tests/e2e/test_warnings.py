"""Early warnings in a real browser: 州气象局 draws the rainstorm's polygon over 精河县, the warning-release
centre reviews, the leader signs; the public page, the Atom feed and the CAP XML show it; an update and a
cancel follow, each referencing the message before it. (Deliveries over the channels are tested with the
channels module.)"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from playwright.sync_api import expect

from tests.conftest import zh
from yingji.warnings import cap

pytestmark = pytest.mark.e2e
ATOM = "{http://www.w3.org/2005/Atom}"
# Corners (lon, lat) of the rainstorm over 精河县.
POLYGON = [(82.7, 44.33), (83.15, 44.33), (83.15, 44.93), (82.95, 44.93), (82.7, 44.6)]


def _local(dt: datetime) -> str:
    return dt.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def _draw_polygon(page: Any) -> None:
    # The county boundaries are loaded and the map has settled on them before drawing.
    expect(page.locator("#warning-map[data-ready='1']")).to_have_count(1)
    expect(page.locator("#warning-map .leaflet-overlay-pane path")).to_have_count(4)
    page.locator("#draw-polygon").click()
    box = page.locator("#warning-map").bounding_box()
    for lon, lat in POLYGON:
        point = page.evaluate("([lat, lon]) => { const p = window.warningMap.latLngToContainerPoint([lat, lon]);"
                              " return [p.x, p.y]; }", [lat, lon])
        page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    page.locator("#draw-finish").click()
    drawn = page.locator("#shapes").input_value()
    assert '"kind":"polygon"' in drawn and drawn.count("],[") == len(POLYGON), drawn


def _entries(page: Any) -> list[tuple[str, str]]:
    response = page.request.get("/public/warnings.atom")
    assert response.status == 200
    root = etree.fromstring(response.body())
    return [(e.findtext(f"{ATOM}id") or "", e.findtext(f"{ATOM}title") or "") for e in root.findall(f"{ATOM}entry")]


def _cap(page: Any, alert_id: int) -> cap.Alert:
    response = page.request.get(f"/public/warnings/{alert_id}.xml")
    assert response.status == 200
    return cap.parse(response.body()).alert


def _review_and_sign(centre: Any, leader: Any, url: str) -> None:
    centre.goto(url)
    centre.locator("#review-approve").click()
    expect(centre.locator("#warning-status")).to_contain_text(zh("Awaiting sign-off"))
    leader.goto(url)
    expect(leader.locator("#preview")).to_be_visible()
    leader.locator("#sign-issue").click()
    expect(leader.locator("#warning-status")).to_contain_text(zh("Issued"))


def test_rainstorm_over_jinghe(signed_in: Any, new_page: Any) -> None:
    met = signed_in("qixiang")
    now = datetime.now(ZoneInfo("UTC"))
    met.goto("/warnings/new")
    met.locator("#colour").select_option("orange")
    met.locator("#event").fill("暴雨")
    met.locator("#effective_at").fill(_local(now))
    met.locator("#expires_at").fill(_local(now + timedelta(hours=12)))
    met.locator("[id='zh-CN_headline']").fill("精河县暴雨橙色预警")
    met.locator("[id='zh-CN_description']").fill("预计未来12小时精河县大部地区有暴雨，局地大暴雨。")
    met.locator("#en_headline").fill("Orange rainstorm warning for Jinghe County")
    _draw_polygon(met)
    met.locator("#save-warning").click()
    met.wait_for_url(re.compile(r"/warnings/\d+$"))
    url = met.url
    alert_id = int(url.rsplit("/", 1)[1])
    met.locator("#submit-warning").click()
    expect(met.locator("#warning-status")).to_contain_text(zh("In review"))

    # The drafter sees no review or sign-off buttons; the centre reviews, the leader signs.
    expect(met.locator("#review-approve")).to_have_count(0)
    centre, leader = signed_in("warncentre"), signed_in("leader")
    _review_and_sign(centre, leader, url)
    identifier = leader.locator("#identifier").inner_text().strip()
    assert re.fullmatch(r"652700\d{8}_\d{14}_\d", identifier)

    # The public side: page, Atom feed, CAP XML (valid CAP 1.2, polygon over 精河县, times in +08:00).
    public = new_page()
    public.goto("/public/warnings")
    expect(public.locator(f"#alert-{alert_id}")).to_contain_text("精河县暴雨橙色预警")
    assert (f"urn:yingji:cap:{identifier}", "精河县暴雨橙色预警") in _entries(public)
    first = _cap(public, alert_id)
    assert first.identifier == identifier and first.msg_type == "Alert" and first.sent.utcoffset() == timedelta(hours=8)
    ring = first.infos[0].areas[0].polygons[0]
    assert len(ring) == 6 and ring[0] == ring[-1] and all(44.2 < lat < 45.0 and 82.6 < lon < 83.3 for lat, lon in ring)

    # An update: the drafter starts it from the issued warning, changes the text, and it goes the same way.
    met.goto(url)
    met.locator("#update-warning").click()
    met.wait_for_url(re.compile(r"/warnings/\d+/edit$"))
    met.locator("[id='zh-CN_headline']").fill("精河县暴雨橙色预警（更新）")
    met.locator("#save-warning").click()
    met.wait_for_url(re.compile(r"/warnings/\d+$"))
    update_url = met.url
    update_id = int(update_url.rsplit("/", 1)[1])
    met.locator("#submit-warning").click()
    _review_and_sign(centre, leader, update_url)
    second = _cap(public, update_id)
    assert second.msg_type == "Update"
    assert [(r.sender, r.identifier, r.sent) for r in second.references] == [(first.sender, first.identifier,
                                                                              first.sent)]
    ids = [i for i, _t in _entries(public)]
    assert f"urn:yingji:cap:{second.identifier}" in ids and f"urn:yingji:cap:{identifier}" not in ids
    met.goto(url)
    expect(met.locator("#warning-status")).to_contain_text(zh("Superseded"))

    # The cancel references the update; nothing of this warning is in force any more.
    met.goto(update_url)
    met.locator("#cancel-warning").click()
    met.wait_for_url(re.compile(r"/warnings/\d+$"))
    cancel_url = met.url
    met.locator("#submit-warning").click()
    _review_and_sign(centre, leader, cancel_url)
    third = _cap(public, int(cancel_url.rsplit("/", 1)[1]))
    assert third.msg_type == "Cancel" and third.references[0].identifier == second.identifier
    ids = [i for i, _t in _entries(public)]
    assert f"urn:yingji:cap:{second.identifier}" not in ids and f"urn:yingji:cap:{third.identifier}" not in ids
    public.goto("/public/warnings")
    expect(public.locator(f"#alert-{update_id}")).to_have_count(0)
    expect(met.locator("#chain li")).to_have_count(3)


def test_bad_drawing_is_refused_on_a_phone(signed_in: Any) -> None:
    phone = signed_in("qixiang", viewport={"width": 390, "height": 844})
    now = datetime.now(ZoneInfo("UTC"))
    phone.goto("/warnings/new")
    phone.locator("#event").fill("大风")
    phone.locator("#expires_at").fill(_local(now + timedelta(hours=6)))
    phone.locator("[id='zh-CN_headline']").fill("大风预警")
    phone.locator("#area summary").first.click()
    phone.locator("#shapes").fill('[{"kind": "polygon", "points": [[82.6, 44.5], [83.0, 44.8], [83.0, 44.5], '
                                  '[82.6, 44.8], [82.6, 44.5]]}]')
    phone.locator("#save-warning").click()
    expect(phone.locator("body")).to_contain_text(zh("The polygon crosses itself."))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1

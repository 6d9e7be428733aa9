"""Early warnings in a real browser, end to end: 州气象局 draws the rainstorm's polygon over 精河县, the
warning-release centre reviews, the leader signs with the delivery preview and its problems in front of
them; then the mail is in a local SMTP server, the posts are at the local HTTP peers of the SMS gateway,
the WeCom and DingTalk robots and the signed webhook, the alert is in the Atom feed, and the last-mile page
lists the villages reached and silent. An update and a cancel follow, each referencing the message before it.

This module runs its own server, with its job worker (the shared one runs without), so that the deliveries
really go out.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from playwright.sync_api import expect

from tests.channels.peers import Peer
from tests.conftest import zh
from tests.e2e import conftest as e2e
from yingji.warnings import cap

pytestmark = pytest.mark.e2e
ATOM = "{http://www.w3.org/2005/Atom}"
# Corners (lon, lat) of the rainstorm over 精河县. Of the demo villages it covers 精河镇演示村1 and 大河沿子镇演示村1,
# which have officers, heads and loudspeakers, and 精河镇演示村2, which has no channel at all (a blind spot).
POLYGON = [(82.7, 44.1), (83.35, 44.1), (83.35, 44.93), (82.95, 44.93), (82.7, 44.6)]
DELIVERY_WAIT_S = 90.0


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A live server with demo data AND its job worker (in-process queue), on a free port."""
    with e2e.live_server("yingji-e2e-warnings-", worker=True) as (base, _var):
        yield base


@pytest.fixture(scope="module")
def peer() -> Iterator[Peer]:
    """The SMS gateway, WeCom and DingTalk robots and webhook receivers, answering on loopback."""
    p = Peer().start()
    yield p
    p.stop()


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


def _preview(page: Any) -> dict[str, int]:
    """The leader's "who will be reached" table: channel -> recipients."""
    rows = page.locator("#preview table tbody tr")
    out = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        out[cells.nth(0).inner_text().strip()] = int(cells.nth(1).inner_text().strip())
    return out


def _review_and_sign(centre: Any, leader: Any, url: str) -> tuple[dict[str, int], list[str], list[str]]:
    """Review, then sign; returns what the sign-off page showed: recipients per channel, the blind-spot
    villages and the delivery problems."""
    centre.goto(url)
    centre.locator("#review-approve").click()
    expect(centre.locator("#warning-status")).to_contain_text(zh("Awaiting sign-off"))
    leader.goto(url)
    expect(leader.locator("#preview")).to_be_visible()
    counts = _preview(leader)
    blind = [t.strip() for t in leader.locator("#blind-spots .tag").all_inner_texts()]
    problems = [t.strip() for t in leader.locator("#delivery-problems li").all_inner_texts()]
    leader.locator("#sign-issue").click()
    expect(leader.locator("#warning-status")).to_contain_text(zh("Issued"))
    return counts, blind, problems


def _configure_channels(admin: Any, peer: Peer, smtp_port: int) -> None:
    """The prefecture switches the channels on and points the SMS gateway and mail at their servers."""
    settings = {"sms": (peer.url("/sms"), peer.secret), "email": (f"smtp://127.0.0.1:{smtp_port}", ""),
                "wecom": ("", ""), "dingtalk": ("", ""), "webhook": ("", "")}
    for channel, (url, secret) in settings.items():
        admin.goto("/warnings/channels")
        form = admin.locator(f"#config-{channel}")
        form.locator("input[name=url]").fill(url)
        if secret:
            form.locator("input[name=secret]").fill(secret)
        form.locator("input[name=enabled]").check()
        form.locator("button[type=submit]").click()
        admin.wait_for_load_state()
        expect(admin.locator(f"#config-{channel} input[name=enabled]")).to_be_checked()


def _add_endpoint(county: Any, name: str, kind: str, url: str, secret: str = "") -> None:
    """精河县's office adds a group robot or a broadcast terminal inside the rainstorm's area."""
    county.goto("/warnings/endpoints")
    form = county.locator("#new-endpoint")
    form.locator("select[name=unit_id]").select_option(label="精河县")
    form.locator("input[name=name]").fill(name)
    form.locator("select[name=kind]").select_option(kind)
    form.locator("input[name=url]").fill(url)
    if secret:
        form.locator("input[name=secret]").fill(secret)
    form.locator("input[name=lon]").fill("82.9")
    form.locator("input[name=lat]").fill("44.6")
    form.locator("button[type=submit]").click()
    county.wait_for_load_state()
    county.goto("/warnings/endpoints?q=" + name)
    expect(county.locator("#endpoints tbody")).to_contain_text(name)


def _posts(peer: Peer, path: str, alert_id: int) -> list[dict[str, Any]]:
    """Bodies the peer received at ``path`` for one alert (keys are yj-<alert>-<delivery>)."""
    with peer.lock:
        return [r["body"] for r in peer.requests if r["path"].startswith(path)
                and r["headers"].get("x-idempotency-key", "").startswith(f"yj-{alert_id}-")]


def _mails(mailbox: Any, alert_id: int) -> list[Any]:
    return [m for _to, m in list(mailbox.messages) if str(m["X-Idempotency-Key"]).startswith(f"yj-{alert_id}-")]


def _wait_for(what: str, done: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DELIVERY_WAIT_S
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DELIVERY_WAIT_S:.0f} s: {what}")
        time.sleep(0.3)


def _delivered(peer: Peer, mailbox: Any, alert_id: int, counts: dict[str, int]) -> None:
    """Every phone and mailbox the sign-off page counted, and our robots and loudspeaker, got the alert once."""
    _wait_for("every SMS", lambda: len(_posts(peer, "/sms", alert_id)) >= counts["sms"])
    _wait_for("every mail", lambda: len(_mails(mailbox, alert_id)) >= counts["email"])
    _wait_for("the WeCom robot", lambda: len(_posts(peer, "/cgi-bin/webhook/send", alert_id)) >= 1)
    _wait_for("the DingTalk robot", lambda: len(_posts(peer, "/robot/send", alert_id)) >= 1)
    _wait_for("the loudspeaker webhook", lambda: len(_posts(peer, "/hook/jinghe-loudspeaker", alert_id)) >= 1)
    sms = _posts(peer, "/sms", alert_id)
    assert len(sms) == counts["sms"] and len({b["to"] for b in sms}) == counts["sms"]
    assert len(_mails(mailbox, alert_id)) == counts["email"]
    assert len(_posts(peer, "/cgi-bin/webhook/send", alert_id)) == 1
    assert len(_posts(peer, "/robot/send", alert_id)) == 1
    assert len(_posts(peer, "/hook/jinghe-loudspeaker", alert_id)) == 1


def _coverage_settled(page: Any, alert_id: int) -> None:
    """Reload the last-mile page until no village is pending any more."""
    def settled() -> bool:
        page.goto(f"/warnings/coverage/{alert_id}")
        return bool(re.search(r"\b0\s*$", page.locator("#coverage-summary a.state-pending").inner_text()))

    _wait_for("the last-mile page without pending villages", settled)


def test_rainstorm_over_jinghe_reaches_every_channel(signed_in: Any, new_page: Any, peer: Peer,
                                                     smtp_server: Any) -> None:
    mailbox, smtp_port = smtp_server
    _configure_channels(signed_in("admin"), peer, smtp_port)
    county = signed_in("jinghe")
    _add_endpoint(county, "精河县防汛群（测试）", "wecom_group", peer.url("/cgi-bin/webhook/send?key=jinghe"))
    _add_endpoint(county, "精河县应急钉钉群（测试）", "dingtalk_group", peer.url("/robot/send?access_token=jinghe"),
                  peer.dingtalk_secret)
    _add_endpoint(county, "托里镇大喇叭（测试）", "loudspeaker", peer.url("/hook/jinghe-loudspeaker"),
                  peer.hook_secret)

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
    counts, blind, problems = _review_and_sign(centre, leader, url)
    assert counts["sms"] > 0 and counts["email"] > 0 and counts["wecom"] >= 1 and counts["dingtalk"] >= 1
    assert blind and any(blind[0] in p for p in problems), problems  # blind spots among the problems
    identifier = leader.locator("#identifier").inner_text().strip()
    assert re.fullmatch(r"652700\d{8}_\d{14}_\d", identifier)

    # Every channel's peer got it: SMS gateway, SMTP server, WeCom and DingTalk robots, the signed webhook.
    _delivered(peer, mailbox, alert_id, counts)
    for body in _posts(peer, "/sms", alert_id):
        assert "精河县暴雨橙色预警" in body["text"] or "Orange rainstorm warning" in body["text"], body
        assert all(len(segment) <= 70 for segment in body["segments"])
    assert "精河县暴雨橙色预警" in _posts(peer, "/cgi-bin/webhook/send", alert_id)[0]["text"]["content"]
    assert "精河县暴雨橙色预警" in _posts(peer, "/robot/send", alert_id)[0]["text"]["content"]
    assert _posts(peer, "/hook/jinghe-loudspeaker", alert_id)[0]["alert"]["identifier"] == identifier
    assert "精河县暴雨橙色预警" in str(_mails(mailbox, alert_id)[0]["Subject"])

    # The public side: page, Atom feed, CAP XML (valid CAP 1.2, polygon over 精河县, times in +08:00).
    public = new_page()
    public.goto("/public/warnings")
    expect(public.locator(f"#alert-{alert_id}")).to_contain_text("精河县暴雨橙色预警")
    assert (f"urn:yingji:cap:{identifier}", "精河县暴雨橙色预警") in _entries(public)
    first = _cap(public, alert_id)
    assert first.identifier == identifier and first.msg_type == "Alert" and first.sent.utcoffset() == timedelta(hours=8)
    ring = first.infos[0].areas[0].polygons[0]
    assert len(ring) == 6 and ring[0] == ring[-1] and all(44.0 < lat < 45.0 and 82.6 < lon < 83.4 for lat, lon in ring)

    # A village information officer opens the "received" link of the SMS and confirms.
    officer_sms = next(b for b in _posts(peer, "/sms", alert_id) if str(b["to"]).startswith("139900"))
    ack_path = re.search(r"/public/ack/[A-Za-z0-9._-]+", officer_sms["text"])
    assert ack_path, officer_sms["text"]
    phone = new_page(viewport={"width": 390, "height": 844})
    phone.goto(ack_path.group(0))
    phone.locator("#ack button").click()
    expect(phone.locator("#acknowledged")).to_be_visible()

    # The last mile, village by village: reached, acknowledged, and silent (the blind spots of the sign-off page).
    _coverage_settled(county, alert_id)
    summary = county.locator("#coverage-summary").inner_text()
    county.goto(f"/warnings/coverage/{alert_id}?state=reached")
    expect(county.locator("#coverage tbody tr.coverage-reached").first).to_be_visible()
    county.goto(f"/warnings/coverage/{alert_id}?state=acknowledged")
    expect(county.locator("#coverage tbody tr.coverage-acknowledged")).to_have_count(1)
    county.goto(f"/warnings/coverage/{alert_id}?state=silent")
    silent = [t.strip() for t in county.locator("#coverage tbody tr.coverage-silent td:first-child").all_inner_texts()]
    assert silent and set(silent) == set(blind), (summary, silent, blind)

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
    update_counts, _blind, problems = _review_and_sign(centre, leader, update_url)
    second = _cap(public, update_id)
    assert second.msg_type == "Update"
    assert [(r.sender, r.identifier, r.sent) for r in second.references] == [(first.sender, first.identifier,
                                                                              first.sent)]
    # The demo loudspeakers point at a port where nothing answers: their failures are in front of the leader.
    assert any("大喇叭（演示）" in p for p in problems), problems
    _delivered(peer, mailbox, update_id, update_counts)
    assert any("（更新）" in b["text"] for b in _posts(peer, "/sms", update_id))
    ids = [i for i, _t in _entries(public)]
    assert f"urn:yingji:cap:{second.identifier}" in ids and f"urn:yingji:cap:{identifier}" not in ids
    met.goto(url)
    expect(met.locator("#warning-status")).to_contain_text(zh("Superseded"))

    # The cancel references the update and reaches the same people; nothing of this warning is in force any more.
    met.goto(update_url)
    met.locator("#cancel-warning").click()
    met.wait_for_url(re.compile(r"/warnings/\d+$"))
    cancel_url = met.url
    cancel_id = int(cancel_url.rsplit("/", 1)[1])
    met.locator("#submit-warning").click()
    cancel_counts, _blind, _problems = _review_and_sign(centre, leader, cancel_url)
    third = _cap(public, cancel_id)
    assert third.msg_type == "Cancel" and [(r.sender, r.identifier, r.sent) for r in third.references] == [
        (second.sender, second.identifier, second.sent)]
    _delivered(peer, mailbox, cancel_id, cancel_counts)
    assert _posts(peer, "/hook/jinghe-loudspeaker", cancel_id)[0]["alert"]["msg_type"] == "Cancel"
    ids = [i for i, _t in _entries(public)]
    assert f"urn:yingji:cap:{second.identifier}" not in ids and f"urn:yingji:cap:{third.identifier}" not in ids
    public.goto("/public/warnings")
    expect(public.locator(f"#alert-{update_id}")).to_have_count(0)
    expect(met.locator("#chain li")).to_have_count(3)
    # No gateway saw a key twice: each message went out once.
    assert peer.resent_keys() == 0


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

"""Delivery problems shown before sign-off: switched-off and unused channels, blind spots, failing gateways and
endpoints (within the failure window, tested at its boundary), and the sign-off page that lists them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.channels.helpers import SYSTEM, alert, configure, endpoint, person
from tests.conftest import zh
from yingji import clock
from yingji.channels import defaults, delivery
from yingji.channels.models import Delivery
from yingji.core.models import Unit
from yingji.warnings.targeting import target_of

WORKER = "test-worker"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The problem lines are read in English here (the page test reads them in Chinese)."""
    from yingji import i18n

    previous = i18n.current_language()
    i18n.set_language("en")
    yield
    i18n.set_language(previous)


def _jinghe_village(session) -> Unit:
    found = session.scalar(select(Unit).where(Unit.code.like("652722%-V%")).order_by(Unit.path))
    assert found is not None
    return found


def test_switched_off_and_unused_channels_and_blind_spots(session, database, peer) -> None:
    configure(session, peer)  # SMS, WeCom, DingTalk and webhook on; mail not configured
    village = _jinghe_village(session)
    person(session, village.code, "13911110001", by_email=True, email="a@example.org")
    endpoint(session, "652722", "wecom_group", peer.url("/cgi-bin/webhook/send?key=k"))
    a = alert(session, unit_codes=("652722",))
    found = delivery.problems(session, a)
    assert delivery.length_problems(session, a) == []
    assert "mail is switched off: 1 in the area will not get this warning." in found
    assert "No one in the area is reached by DingTalk." in found
    assert "No one in the area is reached by webhook." in found
    assert not any("SMS" in p or "WeCom" in p for p in found)  # both on and reaching someone
    blind = delivery.preview(session, target_of(session, a))["blind_spots"]
    assert blind and village.id not in {b["id"] for b in blind}
    line = next(p for p in found if "have no channel at all" in p)
    assert line.startswith(f"{len(blind)} villages in the area") and blind[0]["name"] in line
    assert line.endswith("….") == (len(blind) > delivery.BLIND_NAMES_SHOWN)
    # The same lines in Chinese for a Chinese reader.
    from yingji import i18n

    i18n.set_language("zh_CN")
    try:
        assert zh("No one in the area is reached by %(channel)s.", channel=zh("DingTalk")) in delivery.problems(
            session, a)
    finally:
        i18n.set_language("en")


def test_nothing_to_say_when_every_channel_reaches_and_no_village_is_blind(session, database, peer) -> None:
    configure(session, peer)
    village = _jinghe_village(session)
    person(session, village.code, "13911110001")
    endpoint(session, village.code, "loudspeaker", peer.url("/hook/l1"), secret=peer.hook_secret)
    endpoint(session, village.code, "wecom_group", peer.url("/cgi-bin/webhook/send?key=k"))
    endpoint(session, village.code, "dingtalk_group", peer.url("/robot/send?access_token=t"))
    a = alert(session, unit_codes=(village.code,))
    assert delivery.problems(session, a) == []


def _failing_then_next(session, database, peer):
    """Alert ``a`` to 精河县 goes out while the SMS gateway and one loudspeaker fail; ``b`` is the next one."""
    configure(session, peer)
    person(session, "652722", "13911110001")
    person(session, "652722", "13911110002")
    endpoint(session, "652722", "loudspeaker", peer.url("/hook/broken"), secret="not-the-peer's", name="城关大喇叭")
    endpoint(session, "652722", "display", peer.url("/hook/ok"), secret=peer.hook_secret, name="广场大屏")
    peer.fail["/sms"] = [503]  # one of the two messages fails (and waits for its retry)
    a = alert(session, unit_codes=("652722",))
    start = clock.now()
    clock.set_clock(lambda: start)
    delivery.fan_out(session, SYSTEM, a)
    session.commit()  # sends at once
    b = alert(session, unit_codes=("652722",))
    return a, b, start


def test_failing_gateway_and_endpoint_are_named(session, database, peer) -> None:
    a, b, _start = _failing_then_next(session, database, peer)
    states = {(d.channel, d.status, d.attempts) for d in session.scalars(select(Delivery).where(
        Delivery.alert_id == a.id))}
    assert ("sms", "queued", 1) in states and ("sms", "delivered", 1) in states
    found = delivery.problems(session, b)
    hours = defaults.value(session, defaults.FAILURE_WINDOW)
    gateway = [p for p in found if p.startswith("SMS: ")]
    assert gateway == [f"SMS: 1 of 2 messages failed in the past {hours} hours (last error: "
                       + next(d.detail for d in session.scalars(select(Delivery).where(
                           Delivery.alert_id == a.id, Delivery.status == "queued"))) + ")."]
    assert "503" in gateway[0]
    broken = [p for p in found if p.startswith("城关大喇叭 (webhook) failed on its last message: ")]
    assert len(broken) == 1 and "401" in broken[0]
    assert not any("广场大屏" in p for p in found)  # it answered


def test_failures_count_for_the_window_and_not_a_second_longer(session, database, peer) -> None:
    _a, b, start = _failing_then_next(session, database, peer)
    hours = defaults.value(session, defaults.FAILURE_WINDOW)
    assert hours == 24
    clock.set_clock(lambda: start + timedelta(hours=hours))
    assert any(p.startswith("SMS: ") for p in delivery.problems(session, b))
    assert any(p.startswith("城关大喇叭") for p in delivery.problems(session, b))
    clock.set_clock(lambda: start + timedelta(hours=hours, seconds=1))
    assert not any(p.startswith(("SMS: ", "城关大喇叭")) for p in delivery.problems(session, b))


def test_a_later_success_clears_an_endpoint(session, database, peer) -> None:
    _a, b, start = _failing_then_next(session, database, peer)
    from yingji.channels.models import Endpoint

    broken = session.scalar(select(Endpoint).where(Endpoint.name == "城关大喇叭"))
    broken.secret = peer.hook_secret
    session.commit()
    clock.set_clock(lambda: start + timedelta(minutes=5))
    c = alert(session, unit_codes=("652722",))
    delivery.fan_out(session, SYSTEM, c)
    session.commit()
    delivery.run_until_idle(database, WORKER)  # the next warning reaches it
    assert len(peer.bodies("/hook/broken")) == 2
    assert not any(p.startswith("城关大喇叭") for p in delivery.problems(session, b))


def test_sign_off_page_lists_the_problems(session, database, peer, browser) -> None:
    from tests.warnings.helpers import draft_data, principal, set_now
    from yingji.warnings import service

    configure(session, peer)
    set_now()
    met, centre = principal(session, "qixiang"), principal(session, "warncentre")
    a = service.create_draft(session, met, draft_data())
    service.submit(session, met, a.id)
    service.review(session, centre, a.id, approve=True)
    session.commit()
    blind = delivery.preview(session, target_of(session, a))["blind_spots"]
    assert blind  # the demo recipients are switched off for the channel tests: every village is blind
    html = browser("leader").get(f"/warnings/{a.id}").text
    assert 'id="sign-issue"' in html and 'id="delivery-problems"' in html
    assert zh("No one in the area is reached by %(channel)s.", channel=zh("SMS")) in html
    names = "、".join(b["name"] for b in blind[:delivery.BLIND_NAMES_SHOWN])
    names += "…" if len(blind) > delivery.BLIND_NAMES_SHOWN else ""
    assert zh("%(count)s villages in the area have no channel at all: %(names)s.", count=len(blind),
              names=names) in html


def test_sign_off_page_says_when_there_is_no_problem(session, database, peer, browser) -> None:
    from tests.warnings.helpers import draft_data, principal, set_now
    from yingji.warnings import service

    configure(session, peer)
    village = _jinghe_village(session)
    person(session, village.code, "13911110001")
    endpoint(session, village.code, "loudspeaker", peer.url("/hook/l1"), secret=peer.hook_secret)
    endpoint(session, village.code, "wecom_group", peer.url("/cgi-bin/webhook/send?key=k"))
    endpoint(session, village.code, "dingtalk_group", peer.url("/robot/send?access_token=t"))
    set_now()
    met, centre = principal(session, "qixiang"), principal(session, "warncentre")
    a = service.create_draft(session, met, draft_data(areas=[{"kind": "unit", "unit_id": village.id}]))
    service.submit(session, met, a.id)
    service.review(session, centre, a.id, approve=True)
    session.commit()
    html = browser("leader").get(f"/warnings/{a.id}").text
    assert 'id="no-delivery-problems"' in html and 'id="delivery-problems"' not in html


def test_preview_api_carries_the_problems(session, database, peer, browser) -> None:
    configure(session, peer)
    a = alert(session, unit_codes=("652722",))
    session.commit()
    answer = browser("jinghe").api("GET", f"/api/channels/alerts/{a.id}/preview", headers={"Accept-Language": "en"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["problems"] == delivery.problems(session, a)
    assert "No one in the area is reached by SMS." in body["problems"]

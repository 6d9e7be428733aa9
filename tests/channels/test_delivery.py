"""Fan-out, preview, the delivery worker (claims, retries, back-off), receipts and acknowledgement."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.channels.helpers import JINGHE_BOX, SYSTEM, alert, configure, endpoint, person, unit
from yingji import clock
from yingji.channels import defaults, delivery
from yingji.channels.models import ChannelConfig, Delivery, Recipient
from yingji.errors import UserError
from yingji.warnings.targeting import target_of

WORKER = "test-worker"


def rows(session, alert_id):
    session.expire_all()
    return list(session.scalars(select(Delivery).where(Delivery.alert_id == alert_id).order_by(Delivery.id)))


def _people(session):
    """Two in 精河县 (one by point inside the box, one by its village), one in 博乐市 outside the box."""
    jinghe_village = session.scalar(select(__import__("yingji.core.models", fromlist=["Unit"]).Unit).where(
        __import__("yingji.core.models", fromlist=["Unit"]).Unit.code.like("652722%-V%")))
    inside = person(session, "652722", "13911110001", lon=82.5, lat=44.6, language="en", by_email=True,
                    email="a@example.org")
    by_village = person(session, jinghe_village.code, "13911110002", kind="info_officer")
    outside = person(session, "652701", "13911110003", lon=81.0, lat=44.9)
    return inside, by_village, outside, jinghe_village


def test_fan_out_queues_one_row_per_recipient_and_channel(session, database) -> None:
    inside, by_village, outside, _village = _people(session)
    hook = endpoint(session, "652722", "loudspeaker", "http://127.0.0.1:9/hook/a", secret="s", lon=82.6, lat=44.7)
    far_hook = endpoint(session, "652701", "display", "http://127.0.0.1:9/hook/b", secret="s", lon=81.0, lat=44.9)
    a = alert(session, polygon=JINGHE_BOX)
    n = delivery.fan_out(session, SYSTEM, a)
    got = {(d.recipient_id, d.endpoint_id, d.channel) for d in rows(session, a.id)}
    assert got == {(inside.id, None, "sms"), (inside.id, None, "email"), (by_village.id, None, "sms"),
                   (None, hook.id, "webhook")}
    assert n == 4
    assert all(d.status == "queued" and d.attempts == 0 for d in rows(session, a.id))
    assert {d.language for d in rows(session, a.id) if d.recipient_id == inside.id} == {"en"}
    assert outside.id not in {d.recipient_id for d in rows(session, a.id)} and far_hook.id
    # Again: nothing added (exactly one row per recipient × channel).
    assert delivery.fan_out(session, SYSTEM, a) == 0
    assert len(rows(session, a.id)) == 4


def test_fan_out_by_unit_reaches_everyone_under_it(session, database) -> None:
    inside, by_village, outside, _village = _people(session)
    a = alert(session, unit_codes=("652722",))
    delivery.fan_out(session, SYSTEM, a)
    assert {d.recipient_id for d in rows(session, a.id)} == {inside.id, by_village.id}


def test_sql_polygon_agrees_with_the_targeting_rule(session, database) -> None:
    """The set-based test in SQL must pick exactly the points target.contains picks (edges included)."""
    ring = [(82.0, 44.2), (83.0, 44.3), (82.6, 44.9), (82.3, 44.5), (82.0, 44.2)]
    a = alert(session, polygon=ring)
    target = target_of(session, a)
    village = unit(session, "652722")
    points = [(82.0 + i * 0.05, 44.15 + j * 0.05) for i in range(22) for j in range(17)] + [
        (82.3, 44.5), (82.0, 44.2), (82.6, 44.9), (82.5, 44.25)]
    made = []
    for k, (lon, lat) in enumerate(points):
        r = Recipient(unit_id=village.id, phone=f"1391234{k:04d}", lon=lon, lat=lat, by_sms=True)
        session.add(r)
        made.append(r)
    session.flush()
    delivery.fan_out(session, SYSTEM, a)
    picked = {d.recipient_id for d in rows(session, a.id)}
    expected = {r.id for r in made if target.contains(r.lon, r.lat)}
    assert picked == expected and 20 < len(expected) < len(made)


def test_preview_counts_and_blind_spots(session, database) -> None:
    inside, by_village, outside, village = _people(session)
    endpoint(session, "652722", "wecom_group", "http://127.0.0.1:9/cgi-bin/webhook/send?key=k")
    a = alert(session, unit_codes=("652722",))
    result = delivery.preview(session, target_of(session, a))
    assert result["channels"] == {"sms": 2, "email": 1, "webhook": 0, "wecom": 1, "dingtalk": 0}
    assert result["recipients"] == 2
    blind = {b["id"] for b in result["blind_spots"]}
    jinghe_villages = {v[0] for v in delivery.target_villages(session, target_of(session, a))}
    assert village.id not in blind and blind == jinghe_villages - {village.id}


def test_too_long_for_sms_refuses_the_issue_at_the_segment_boundary(session, database) -> None:
    person(session, "652722", "13911110009")
    session.flush()
    max_segments = defaults.value(session, defaults.MAX_SEGMENTS)
    length = defaults.value(session, defaults.SEGMENT_LENGTH)
    a = alert(session, unit_codes=("652722",), description="", instruction="", english=False)
    # The text is: "[橙色预警] 精河县暴雨橙色预警"... → measure what composes, then fill up to the limit exactly.
    from yingji.channels import compose

    base = len(compose.compose(a, "zh-CN", "x" * compose.ACK_LINK_ROOM).body)
    room = max_segments * length - base - 1  # minus the newline before the description
    a.infos[0].description = "雨" * room
    assert delivery.length_problems(session, a) == []
    fits = delivery.problems(session, a)  # others (blind spots…), not the length
    a.infos[0].description = "雨" * (room + 1)
    assert [(c, lang) for c, lang, _why in delivery.length_problems(session, a)] == [("sms", "zh-CN")]
    found = delivery.problems(session, a)
    assert found[1:] == fits and "sms" in found[0] and "zh-CN" in found[0]  # the refusing problem comes first
    with pytest.raises(UserError):
        delivery.fan_out(session, SYSTEM, a)
    assert rows(session, a.id) == []


def _issue(session, database, peer, smtp_port=None):
    configure(session, peer, smtp_port)
    inside, by_village, outside, village = _people(session)
    endpoint(session, "652722", "loudspeaker", peer.url("/hook/l1"), secret=peer.hook_secret)
    endpoint(session, "652722", "wecom_group", peer.url("/cgi-bin/webhook/send?key=k1"))
    endpoint(session, "652722", "dingtalk_group", peer.url("/robot/send?access_token=t1"))
    a = alert(session, unit_codes=("652722",))
    delivery.fan_out(session, SYSTEM, a)
    session.commit()
    return a, inside, by_village, village


def test_worker_sends_everything_once(session, database, peer, smtp_server) -> None:
    mailbox, port = smtp_server
    a, inside, by_village, _village = _issue(session, database, peer, port)
    # The commit of the issue started the delivery (a queued job; run at once in tests).
    done = rows(session, a.id)
    assert {d.status for d in done} == {"delivered", "sent"}
    assert [d.channel for d in done if d.status == "sent"] == ["email"]
    sms = peer.bodies("/sms")
    assert {b["to"] for b in sms} == {"13911110001", "13911110002"}
    english = next(b for b in sms if b["to"] == "13911110001")
    assert english["text"].startswith("[Orange warning] Orange rainstorm warning for Jinghe")
    officer = next(b for b in sms if b["to"] == "13911110002")
    assert "/public/ack/" in officer["text"] and officer["text"].startswith("精河县暴雨橙色预警")
    assert peer.bodies("/hook/l1")[0]["alert"]["identifier"] == a.identifier
    assert peer.bodies("/cgi-bin")[0]["text"]["content"].startswith("精河县暴雨橙色预警")
    assert len(peer.bodies("/robot/send")) == 1
    assert mailbox.messages[0][0] == ["a@example.org"]
    assert max(peer.keys.values()) == 1
    assert delivery.run_until_idle(database, WORKER) == 0


def test_retry_with_back_off_then_give_up(session, database, peer) -> None:
    configure(session, peer)
    person(session, "652722", "13911110001")
    a = alert(session, unit_codes=("652722",))
    start = clock.now()
    clock.set_clock(lambda: start)
    peer.fail["/sms"] = [503] * 10
    base = defaults.value(session, defaults.RETRY_BASE)
    attempts = defaults.value(session, defaults.MAX_ATTEMPTS)
    delivery.fan_out(session, SYSTEM, a)
    session.commit()  # the first attempt, at once
    now = start
    for n in range(1, attempts):
        if n > 1:
            assert delivery.run_until_idle(database, WORKER) == 1
        row = rows(session, a.id)[0]
        assert row.status == "queued" and row.attempts == n
        assert row.next_attempt_at == now + timedelta(seconds=base * 2 ** (n - 1))
        # Not due a second before the back-off ends.
        clock.set_clock(lambda t=row.next_attempt_at: t - timedelta(seconds=1))
        assert delivery.run_until_idle(database, WORKER) == 0
        now = row.next_attempt_at
        clock.set_clock(lambda t=now: t)
    assert delivery.run_until_idle(database, WORKER) == 1
    row = rows(session, a.id)[0]
    assert row.status == "failed" and row.attempts == attempts and "503" in (row.detail or "")


def test_permanent_failure_is_not_retried(session, database, peer) -> None:
    configure(session, peer)
    person(session, "652722", "13900000000")  # the gateway does not know the number
    a = alert(session, unit_codes=("652722",))
    delivery.fan_out(session, SYSTEM, a)
    session.commit()
    assert delivery.run_until_idle(database, WORKER) == 0
    row = rows(session, a.id)[0]
    assert row.status == "failed" and row.attempts == 1


def test_two_workers_never_claim_the_same_row(session, database, peer) -> None:
    configure(session, peer)
    for k in range(30):
        person(session, "652722", f"139222200{k:02d}")
    a = alert(session, unit_codes=("652722",))
    session.execute(update(ChannelConfig).where(ChannelConfig.channel == "sms").values(enabled=False))
    delivery.fan_out(session, SYSTEM, a)
    session.commit()  # the kick finds no enabled channel
    session.execute(update(ChannelConfig).where(ChannelConfig.channel == "sms").values(enabled=True))
    session.commit()
    with database.unit_of_work() as s1:
        t1, first = delivery.claim(s1, "w1", limit=20)
    with database.unit_of_work() as s2:
        t2, second = delivery.claim(s2, "w2", limit=20)
    assert len(first) == 20 and len(second) == 10 and not set(first) & set(second)
    # A claim older than the timeout is taken over; the first worker's late marks are then ignored.
    later = clock.now() + timedelta(seconds=defaults.value(session, defaults.CLAIM_TIMEOUT) + 1)
    clock.set_clock(lambda: later)
    with database.unit_of_work() as s3:
        t3, third = delivery.claim(s3, "w3", limit=50)
    assert set(third) == set(first) | set(second)
    with database.unit_of_work() as s4:
        tally = delivery.mark(s4, t1, [delivery.Result(first[0], delivery.Outcome("late"), None)])
    assert tally == {}


def test_channel_switched_off_keeps_rows_queued(session, database, peer) -> None:
    from yingji.channels import recipients
    from yingji.channels.schemas import ConfigIn

    configure(session, peer)
    recipients.configure(session, SYSTEM, "sms", ConfigIn(url=peer.url("/sms"), enabled=False))
    person(session, "652722", "13911110001")
    a = alert(session, unit_codes=("652722",))
    delivery.fan_out(session, SYSTEM, a)
    session.commit()
    assert delivery.run_until_idle(database, WORKER) == 0
    assert rows(session, a.id)[0].status == "queued" and peer.requests == []


def test_receipt_and_acknowledgement(session, database, peer) -> None:
    peer.sms_state = "accepted"
    a, inside, by_village, _village = _issue(session, database, peer)
    delivery.run_until_idle(database, WORKER)
    assert delivery.run_until_idle(database, WORKER) == 0
    sms = {d.recipient_id: d for d in rows(session, a.id) if d.channel == "sms"}
    assert sms[inside.id].status == "sent"
    key = delivery.message_key(a.id, sms[inside.id].id)
    delivery.receipt(session, SYSTEM, key, "delivered")
    assert sms[inside.id].status == "delivered" and sms[inside.id].delivered_at is not None
    with pytest.raises(UserError):
        delivery.receipt(session, SYSTEM, f"yj-{a.id + 1}-{sms[inside.id].id}", "delivered")
    officer = sms[by_village.id]
    delivery.acknowledge(session, SYSTEM, officer.id)
    first = officer.acknowledged_at
    delivery.acknowledge(session, SYSTEM, officer.id)
    assert officer.status == "acknowledged" and officer.acknowledged_at == first
    count = session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "acknowledged"))
    assert count == 1


def test_ack_token_is_bound_to_its_row() -> None:
    token = delivery.ack_token("k" * 32, 41)
    assert delivery.check_ack_token("k" * 32, token) == 41
    assert delivery.check_ack_token("k" * 32, token.replace("41-", "42-")) is None
    assert delivery.check_ack_token("other-key" * 4, token) is None
    assert delivery.check_ack_token("k" * 32, "leakmark") is None


def test_backoff_doubles() -> None:
    assert [delivery.backoff(30, n) for n in range(1, 6)] == [30, 60, 120, 240, 480]


def test_unused_update_guard(session) -> None:
    # the claim's compare-and-set: an UPDATE of a row no longer queued changes nothing
    result = session.execute(update(Delivery).where(Delivery.id == -1, Delivery.status == "queued")
                             .values(status="sending"))
    assert result.rowcount == 0

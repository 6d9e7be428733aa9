"""Each channel against a real local peer: what goes on the wire, and the failure taxonomy."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from yingji.channels.base import ChannelError, Config, Message
from yingji.channels.dingtalk import DingtalkChannel, signature, signed_url
from yingji.channels.mail import MailChannel
from yingji.channels.sms import SmsChannel, segments, sign
from yingji.channels.webhook import WebhookChannel
from yingji.channels.wecom import WecomChannel

RAIN = ("精河县气象台发布暴雨橙色预警：预计未来6小时内精河县大部将出现50毫米以上降雨，"
        "请注意防范山洪、泥石流等次生灾害，山区群众及时转移，学校停课，户外作业暂停。")


def message(key: str = "yj-1-1", address: str = "+8613912345678", text: str = RAIN, **extra: object) -> Message:
    return Message(key=key, address=address, subject="暴雨橙色预警", text=text, **extra)  # type: ignore[arg-type]


def test_segments_cut_at_70_characters_not_bytes() -> None:
    assert segments("雨" * 70) == ["雨" * 70]
    assert segments("雨" * 71) == ["雨" * 70, "雨"]
    assert [len(s) for s in segments("a" * 141)] == [70, 70, 1]
    assert segments("") == [""]


def test_sms_gateway_protocol(peer) -> None:
    channel = SmsChannel(Config(url=peer.url("/sms"), secret=peer.secret, options={"sender": "博州应急"}))
    outcome = channel.send(message())
    assert outcome.delivered and outcome.reference == "gw-yj-1-1"
    request = peer.requests[-1]
    body = request["body"]
    assert body == {"key": "yj-1-1", "to": "+8613912345678", "text": RAIN, "segments": segments(RAIN),
                    "sender": "博州应急"}
    assert len(body["segments"]) == 2 and len(body["segments"][0]) == 70
    assert request["headers"]["x-idempotency-key"] == "yj-1-1"
    stamp = request["headers"]["x-yingji-timestamp"]
    assert abs(int(stamp) - time.time()) < 60
    # The peer checked the signature; check it here too, over the exact bytes.
    raw = __import__("json").dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert request["headers"]["x-yingji-signature"] == sign(peer.secret, stamp, raw)


def test_sms_same_key_is_not_sent_twice(peer) -> None:
    channel = SmsChannel(Config(url=peer.url("/sms"), secret=peer.secret))
    channel.send(message())
    again = channel.send(message())
    assert "duplicate" in again.detail
    assert peer.keys["yj-1-1"] == 2 and len(peer.sent) == 1


def test_sms_wrong_secret_is_refused_for_good(peer) -> None:
    channel = SmsChannel(Config(url=peer.url("/sms"), secret="not-the-secret"))
    with pytest.raises(ChannelError) as caught:
        channel.send(message())
    assert caught.value.permanent and "401" in caught.value.detail


def test_sms_failure_taxonomy(peer) -> None:
    channel = SmsChannel(Config(url=peer.url("/sms"), secret=peer.secret))
    for status, permanent in ((500, False), (503, False), (429, False), (408, False), (400, True), (404, True)):
        peer.fail["/sms"] = [status]
        with pytest.raises(ChannelError) as caught:
            channel.send(message(key=f"k{status}"))
        assert caught.value.permanent is permanent, status
    with pytest.raises(ChannelError) as caught:  # an unknown number, refused by the gateway
        channel.send(message(address="13900000000"))
    assert caught.value.permanent
    with pytest.raises(ChannelError) as caught:  # nobody listening: temporary
        SmsChannel(Config(url="http://127.0.0.1:9/sms")).send(message())
    assert not caught.value.permanent


def test_sms_segment_limit_at_its_boundary(peer) -> None:
    channel = SmsChannel(Config(url=peer.url("/sms"), secret=peer.secret, options={"max_segments": 2}))
    assert channel.too_long("雨" * 140) is None
    assert channel.too_long("雨" * 141) == "3 segments > 2"
    with pytest.raises(ChannelError) as caught:
        channel.send(message(text="雨" * 141))
    assert caught.value.permanent
    assert peer.requests == []


def test_wecom_robot_format(peer) -> None:
    channel = WecomChannel(Config(url=""))
    url = peer.url("/cgi-bin/webhook/send?key=693a91f6")
    outcome = channel.send(message(address=url, data={"mention_mobiles": ["13800001111"]}))
    assert outcome.delivered
    request = peer.requests[-1]
    assert request["query"] == {"key": "693a91f6"}
    assert request["body"] == {"msgtype": "text", "text": {"content": RAIN,
                                                           "mentioned_mobile_list": ["13800001111"]}}


def test_wecom_limit_is_2048_bytes() -> None:
    channel = WecomChannel(Config(url=""))
    assert channel.too_long("a" * 2048) is None
    assert channel.too_long("a" * 2049) is not None
    assert channel.too_long("雨" * 682) is None      # 2046 bytes
    assert channel.too_long("雨" * 683) is not None  # 2049 bytes


def test_wecom_error_codes(peer) -> None:
    channel = WecomChannel(Config(url=""))
    with pytest.raises(ChannelError) as caught:  # no key: the robot refuses
        channel.send(message(address=peer.url("/cgi-bin/webhook/send")))
    assert caught.value.permanent and "310000" in caught.value.detail
    peer.fail["/cgi-bin"] = [200]
    with pytest.raises(ChannelError) as caught:  # errcode -1: system busy, temporary
        channel.send(message(address=peer.url("/cgi-bin/webhook/send?key=k")))
    assert not caught.value.permanent


def test_dingtalk_signature_follows_the_published_rule(peer) -> None:
    secret = peer.dingtalk_secret
    expected = __import__("base64").b64encode(hmac.new(secret.encode(), f"1700000000000\n{secret}".encode(),
                                                        hashlib.sha256).digest()).decode()
    assert signature(secret, 1700000000000) == expected
    url = signed_url("https://oapi.dingtalk.com/robot/send?access_token=t", secret, 1700000000000)
    assert url.startswith("https://oapi.dingtalk.com/robot/send?access_token=t&timestamp=1700000000000&sign=")
    channel = DingtalkChannel(Config(url="", secret=secret))
    assert channel.send(message(address=peer.url("/robot/send?access_token=abc"))).delivered
    body = peer.requests[-1]["body"]
    assert body == {"msgtype": "text", "text": {"content": RAIN}, "at": {"atMobiles": [], "isAtAll": False}}


def test_dingtalk_wrong_secret_refused(peer) -> None:
    channel = DingtalkChannel(Config(url="", secret="SECwrong"))
    with pytest.raises(ChannelError) as caught:
        channel.send(message(address=peer.url("/robot/send?access_token=abc")))
    assert caught.value.permanent
    assert peer.sent == {}


def test_webhook_is_signed_with_hmac_sha256(peer) -> None:
    channel = WebhookChannel(Config(url=""))
    outcome = channel.send(message(address=peer.url("/hook/loudspeaker-1"), secret=peer.hook_secret,
                                   data={"alert": {"colour": "orange"}}))
    assert outcome.delivered
    request = peer.requests[-1]
    assert request["body"]["alert"] == {"colour": "orange"} and request["body"]["key"] == "yj-1-1"
    with pytest.raises(ChannelError) as caught:  # a wrong secret fails the receiver's check
        channel.send(message(key="k2", address=peer.url("/hook/loudspeaker-1"), secret="wrong"))
    assert caught.value.permanent
    with pytest.raises(ChannelError):  # no secret at all: not sent
        channel.send(message(key="k3", address=peer.url("/hook/x")))
    assert set(peer.sent) == {"yj-1-1"}


def test_mail_through_a_real_smtp_server(smtp_server) -> None:
    mailbox, port = smtp_server
    channel = MailChannel(Config(url=f"smtp://127.0.0.1:{port}", options={"sender": "yingji@bortala.example"}))
    channel.send(message(key="yj-3-9", address="officer@example.org"))
    rcpt, mail = mailbox.messages[-1]
    assert rcpt == ["officer@example.org"]
    assert mail["Subject"] == "暴雨橙色预警" and mail["Message-ID"] == "<yj-3-9@yingji>"
    assert RAIN in mail.get_content()
    with pytest.raises(ChannelError) as caught:
        channel.send(message(address="not-an-address"))
    assert caught.value.permanent
    with pytest.raises(ChannelError) as caught:
        MailChannel(Config(url="smtp://127.0.0.1:9")).send(message(address="a@example.org"))
    assert not caught.value.permanent

"""DingTalk (钉钉) custom group robots.

The published format (open.dingtalk.com, 自定义机器人): ``POST
https://oapi.dingtalk.com/robot/send?access_token=<token>`` with ``{"msgtype": "text",
"text": {"content": "..."}, "at": {"atMobiles": [...], "isAtAll": false}}``. With the
"加签" security setting the URL also carries ``timestamp`` (milliseconds) and ``sign`` =
urlencode(base64(HMAC-SHA256(secret, "<timestamp>\\n<secret>"))). The answer is
``{"errcode": 0, "errmsg": "ok"}``; 130101 (sending too fast, 20 a minute) is temporary,
310000 (signature, keyword or IP check failed) and the others are not. DingTalk ignores
``X-Idempotency-Key``; it is sent for relays that de-duplicate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from typing import Any, ClassVar

from yingji.channels.base import IDEMPOTENCY_HEADER, Channel, ChannelError, Message, Outcome, post_json
from yingji.channels.wecom import robot_answer

TEMPORARY_CODES = frozenset({-1, 130101})


def signature(secret: str, timestamp_ms: int) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")


def signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    query = urllib.parse.urlencode({"timestamp": stamp, "sign": signature(secret, stamp)})
    return url + ("&" if "?" in url else "?") + query


class DingtalkChannel(Channel):
    name: ClassVar[str] = "dingtalk"
    max_bytes: ClassVar[int | None] = 20000

    def send(self, message: Message) -> Outcome:
        if (why := self.too_long(message.text)) is not None:
            raise ChannelError(f"text too long: {why}", permanent=True)
        body: dict[str, Any] = {"msgtype": "text", "text": {"content": message.text},
                                "at": {"atMobiles": list(message.data.get("mention_mobiles", [])),
                                       "isAtAll": False}}
        url = signed_url(message.address or self.config.url, message.secret or self.config.secret)
        status, answer = post_json(url, body, {IDEMPOTENCY_HEADER: message.key})
        return robot_answer(status, answer, "DingTalk", TEMPORARY_CODES)

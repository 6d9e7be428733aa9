"""WeCom (企业微信) group robots.

The published format (developer.work.weixin.qq.com, 群机器人配置说明): ``POST
https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<robot key>`` with
``{"msgtype": "text", "text": {"content": "...", "mentioned_mobile_list": [...]}}``; the
content is UTF-8 and at most 2048 bytes; a robot takes at most 20 messages a minute. The
answer is ``{"errcode": 0, "errmsg": "ok"}``; errcode 45009 (frequency limit) is temporary,
other codes (bad key 93000, bad content 40008…) are not. The robot URL is the endpoint's
address (one endpoint per group). WeCom ignores ``X-Idempotency-Key``; it is sent anyway so a
relay in front of the robot can de-duplicate.
"""

from __future__ import annotations

from typing import Any, ClassVar

from yingji.channels.base import IDEMPOTENCY_HEADER, Channel, ChannelError, Message, Outcome, post_json, status_error

TEMPORARY_CODES = frozenset({-1, 45009, 45033})


def robot_answer(status: int, answer: dict[str, Any], name: str, temporary: frozenset[int]) -> Outcome:
    if status != 200:
        raise status_error(status, str(answer.get("errmsg", "")))
    code = answer.get("errcode")
    if code == 0:
        return Outcome(detail=f"{name}: ok", delivered=True)
    raise ChannelError(f"{name} errcode {code}: {answer.get('errmsg', '')}"[:500],
                       permanent=code not in temporary)


class WecomChannel(Channel):
    name: ClassVar[str] = "wecom"
    max_bytes: ClassVar[int | None] = 2048

    def send(self, message: Message) -> Outcome:
        if (why := self.too_long(message.text)) is not None:
            raise ChannelError(f"text too long: {why}", permanent=True)
        body: dict[str, Any] = {"msgtype": "text", "text": {"content": message.text}}
        mobiles = message.data.get("mention_mobiles")
        if mobiles:
            body["text"]["mentioned_mobile_list"] = list(mobiles)
        status, answer = post_json(message.address or self.config.url, body, {IDEMPOTENCY_HEADER: message.key})
        return robot_answer(status, answer, "WeCom", TEMPORARY_CODES)

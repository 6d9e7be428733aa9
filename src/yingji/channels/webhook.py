"""A signed generic webhook, for broadcast terminals and loudspeakers, display screens, TV and radio.

``POST <endpoint URL>`` with a JSON body::

    {"key": "<idempotency key>", "language": "zh-CN", "subject": "...", "text": "...",
     "alert": {"identifier": ..., "colour": "orange", "severity": "Severe", "urgency": ..., "certainty": ...,
               "event": ..., "headline": ..., "description": ..., "instruction": ..., "sent": ..., "expires": ...},
     "endpoint": {"id": 12, "kind": "loudspeaker", "name": "..."}}

Headers: ``X-Idempotency-Key``; ``X-Yingji-Timestamp`` (unix seconds) and ``X-Yingji-Signature:
sha256=<hex HMAC-SHA256 over "<timestamp>.<body bytes>">`` under the endpoint's secret (or the
channel's when the endpoint has none). A receiver checks the signature, refuses stale timestamps
and plays or shows a key at most once. Any 2xx means the terminal took it (``delivered``).
"""

from __future__ import annotations

import json
from typing import ClassVar

from yingji.channels.base import Channel, ChannelError, Message, Outcome, post_bytes, status_error
from yingji.channels.sms import signed_headers


class WebhookChannel(Channel):
    name: ClassVar[str] = "webhook"

    def send(self, message: Message) -> Outcome:
        url = message.address or self.config.url
        secret = message.secret or self.config.secret
        if not secret:
            raise ChannelError("the webhook has no signing secret", permanent=True)
        body = {"key": message.key, "language": message.language, "subject": message.subject,
                "text": message.text, **message.data}
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
        status, answer = post_bytes(url, raw, signed_headers(secret, message.key, raw))
        if not 200 <= status < 300:
            raise status_error(status, str(answer.get("error", "")))
        return Outcome(detail=f"HTTP {status}", delivered=True, reference=str(answer.get("id", ""))[:100])

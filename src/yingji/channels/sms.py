"""SMS through an HTTP gateway.

The gateway protocol (JSON over HTTP, one request per message)
================================================================

Request: ``POST <gateway URL>`` with

- ``Content-Type: application/json; charset=utf-8``
- ``X-Idempotency-Key: <key>`` — stable for one delivery row; a gateway that has seen the key
  must not send the text again and answers as it did the first time (``"duplicate": true``)
- ``X-Yingji-Timestamp: <unix seconds>`` and ``X-Yingji-Signature: sha256=<hex>`` — HMAC-SHA256
  under the gateway's shared secret over ``<timestamp>.<body bytes>`` (absent without a secret)

and the body::

    {"key": "<key>", "to": "+8613800000000", "text": "<the whole text>",
     "segments": ["<≤70 characters>", ...], "sender": "<sign, e.g. 博州应急>"}

``segments`` is the text cut at the configured segment length (70 characters: the length of
one UCS-2 short message); the gateway sends them as one concatenated message.

Response: ``200`` with ``{"id": "<gateway id>", "status": "accepted" | "delivered",
"duplicate": false}``. ``delivered`` means the handset confirmed at once; ``accepted``
messages are confirmed later by a delivery receipt: ``POST /api/channels/receipts`` with body
``{"key": "<key>", "status": "delivered" | "failed", "detail": "..."}``, ``X-Yingji-Timestamp`` and
``Authorization: Bearer sha256=<hex HMAC-SHA256 over "<timestamp>.<body bytes>">`` under the same
secret (older than 5 minutes: refused).
``4xx`` (other than 408/429) refuses the message for good — a bad number, a refused text;
``408``, ``429``, ``5xx`` and network errors are temporary and retried with back-off.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import ClassVar

from yingji.channels.base import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Channel,
    ChannelError,
    Message,
    Outcome,
    post_bytes,
    status_error,
)

SEGMENT_LENGTH = 70     # the rule's default; the configured value comes in through the config options
MAX_SEGMENTS = 8
PHONE_RE = re.compile(r"^\+?[0-9]{5,20}$")


def segments(text: str, length: int = SEGMENT_LENGTH) -> list[str]:
    """Cut ``text`` into pieces of at most ``length`` characters (characters, not bytes)."""
    if length < 1:
        raise ValueError("segment length must be positive")
    return [text[i:i + length] for i in range(0, len(text), length)] or [""]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, key: str, body: bytes) -> dict[str, str]:
    headers = {IDEMPOTENCY_HEADER: key}
    if secret:
        stamp = str(int(time.time()))
        headers[TIMESTAMP_HEADER] = stamp
        headers[SIGNATURE_HEADER] = sign(secret, stamp, body)
    return headers


class SmsChannel(Channel):
    name: ClassVar[str] = "sms"

    @property
    def segment_length(self) -> int:
        return int(self.config.options.get("segment_length", SEGMENT_LENGTH))

    @property
    def max_segments(self) -> int:
        return int(self.config.options.get("max_segments", MAX_SEGMENTS))

    def too_long(self, text: str) -> str | None:
        count = len(segments(text, self.segment_length))
        if count > self.max_segments:
            return f"{count} segments > {self.max_segments}"
        return None

    def send(self, message: Message) -> Outcome:
        if not PHONE_RE.match(message.address):
            raise ChannelError(f"not a phone number: {message.address!r}", permanent=True)
        if (why := self.too_long(message.text)) is not None:
            raise ChannelError(f"text too long: {why}", permanent=True)
        body = {"key": message.key, "to": message.address, "text": message.text,
                "segments": segments(message.text, self.segment_length),
                "sender": str(self.config.options.get("sender", ""))}
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        status, answer = post_bytes(self.config.url, raw, signed_headers(self.config.secret, message.key, raw))
        if status != 200:
            raise status_error(status, str(answer.get("error", "")))
        state = answer.get("status")
        if state not in ("accepted", "delivered"):
            raise ChannelError(f"gateway answered {state!r}", permanent=False)
        return Outcome(detail=f"gateway {state}" + (" (duplicate key)" if answer.get("duplicate") else ""),
                       delivered=state == "delivered", reference=str(answer.get("id", ""))[:100])

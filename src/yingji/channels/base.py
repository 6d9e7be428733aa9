"""The one small interface every channel implements, and the HTTP helper the HTTP channels share.

A channel is built from its configuration row (URL, secret, options) and turns one
:class:`Message` into one :class:`Outcome`, or raises :class:`ChannelError` saying whether
trying again could help. Every message carries a stable idempotency key: the same delivery
row always sends the same key, so a peer that saw it already does not deliver it twice.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, ClassVar

IDEMPOTENCY_HEADER = "X-Idempotency-Key"
SIGNATURE_HEADER = "X-Yingji-Signature"
TIMESTAMP_HEADER = "X-Yingji-Timestamp"
HTTP_TIMEOUT = 10.0


class ChannelError(Exception):
    """A send that did not work. ``permanent``: trying again with the same input cannot help."""

    def __init__(self, detail: str, *, permanent: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


@dataclass(frozen=True)
class Config:
    """What a channel needs to reach its peer (a row of ``channel_config``, or a test's own)."""

    url: str
    secret: str = ""
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    key: str                    # idempotency key, stable for one delivery row
    address: str                # phone number, mail address or endpoint URL ("" = the channel's own URL)
    subject: str
    text: str
    language: str = "zh-CN"
    secret: str = ""            # the endpoint's own secret, when it has one
    data: dict[str, Any] = field(default_factory=dict)  # structured alert fields for machine peers


@dataclass(frozen=True)
class Outcome:
    detail: str
    delivered: bool = False     # the peer confirms the message reached its audience (not just accepted)
    reference: str = ""         # the peer's id for the message


class Channel:
    """One outgoing channel. Subclasses set ``name`` and implement :meth:`send`."""

    name: ClassVar[str] = ""
    # The longest text the channel takes, in its own unit; None: no limit of its own.
    max_bytes: ClassVar[int | None] = None

    def __init__(self, config: Config) -> None:
        self.config = config

    def send(self, message: Message) -> Outcome:
        raise NotImplementedError

    def too_long(self, text: str) -> str | None:
        """Why ``text`` cannot go through this channel, or None when it can."""
        if self.max_bytes is not None and len(text.encode("utf-8")) > self.max_bytes:
            return f"{len(text.encode('utf-8'))} bytes > {self.max_bytes}"
        return None


# --- HTTP -----------------------------------------------------------------------------------

_local = threading.local()


def _connection(url: urllib.parse.SplitResult) -> http.client.HTTPConnection:
    """One kept-alive connection per thread and peer (a worker sends many messages to one gateway)."""
    pool: dict[tuple[str, str], http.client.HTTPConnection] = getattr(_local, "pool", None) or {}
    _local.pool = pool
    key = (url.scheme, url.netloc)
    conn = pool.get(key)
    if conn is None:
        cls = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        conn = cls(url.netloc, timeout=HTTP_TIMEOUT)
        conn.connect()
        # Requests are small and many: without TCP_NODELAY each one can wait out a delayed ACK.
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pool[key] = conn
    return conn


def _drop(url: urllib.parse.SplitResult) -> None:
    pool = getattr(_local, "pool", {})
    conn = pool.pop((url.scheme, url.netloc), None)
    if conn is not None:
        conn.close()


def post_json(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """POST a JSON body; returns (status, parsed JSON or {}). Network trouble is a temporary ChannelError."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ChannelError(f"not an http(s) URL: {url!r}", permanent=True)
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return post_bytes(url, raw, headers)


def post_bytes(url: str, raw: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    parts = urllib.parse.urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    sent = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    for attempt in (1, 2):  # a kept-alive connection the peer closed meanwhile is opened once more
        try:
            conn = _connection(parts)
            conn.request("POST", target, body=raw, headers=sent)
            response = conn.getresponse()
            payload = response.read(1024 * 1024)
            status = response.status
            if response.getheader("connection", "").lower() == "close":
                _drop(parts)
            break
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
            _drop(parts)
            if attempt == 2:
                raise ChannelError(f"connection lost: {exc}", permanent=False) from exc
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            _drop(parts)
            raise ChannelError(f"unreachable: {exc}", permanent=False) from exc
    try:
        parsed = json.loads(payload.decode("utf-8")) if payload else {}
    except (UnicodeDecodeError, ValueError):
        parsed = {}
    return status, parsed if isinstance(parsed, dict) else {}


def status_error(status: int, detail: str) -> ChannelError:
    """The failure taxonomy of HTTP peers: 408/429/5xx may pass, other 4xx will not."""
    return ChannelError(f"HTTP {status}: {detail}"[:500], permanent=400 <= status < 500 and status not in (408, 429))

"""Real local HTTP peers for the channels: an SMS gateway, WeCom and DingTalk robots, webhook receivers.

One ``http.server`` in a thread answers them all, the way each real peer answers:

- ``POST /sms``                      the gateway protocol of ``yingji.channels.sms`` (signature checked,
                                     keys de-duplicated: a key seen before is not "sent" again)
- ``POST /cgi-bin/webhook/send?key=K``  WeCom robot format
- ``POST /robot/send?access_token=T&timestamp=…&sign=…``  DingTalk robot format (signature checked)
- ``POST /hook/<name>``              the signed webhook of ``yingji.channels.webhook``

Everything received is kept in ``requests``; ``sent`` holds what the peer really passed on (one per key).
Also used by ``bench/bench_fanout.py`` and ``scripts/kill_test_fanout.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

UNKNOWN_NUMBERS = frozenset({"13900000000", "+8613900000000"})


class Peer:
    def __init__(self, secret: str = "gateway-secret", dingtalk_secret: str = "SECdingtalk",
                 hook_secret: str = "hook-secret", delay: float = 0.0, keep: bool = True) -> None:
        self.secret, self.dingtalk_secret, self.hook_secret = secret, dingtalk_secret, hook_secret
        self.delay = delay
        self.keep = keep  # False: count only (benchmarks)
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.keys: Counter[str] = Counter()     # every key received, with how often
        self.sent: dict[str, dict[str, Any]] = {}  # what was passed on, by key (once each)
        self.fail: dict[str, list[int]] = {}    # path prefix -> statuses to answer next
        self.sms_state = "delivered"
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- lifecycle
    def start(self) -> Peer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    # --- what was received
    def bodies(self, prefix: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r["body"] for r in self.requests if r["path"].startswith(prefix)]

    def resent_keys(self) -> int:
        """Keys that arrived more than once (a crash between send and mark; the peer passed each on once)."""
        with self.lock:
            return sum(1 for key, n in self.keys.items() if key and n > 1)

    def addresses_with_two_keys(self) -> int:
        """Phone numbers that were passed two different messages — a duplicate a person would see."""
        with self.lock:
            per: Counter[str] = Counter(str(v["to"]) for v in self.sent.values() if v.get("to"))
        return sum(1 for n in per.values() if n > 1)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once, like a production server

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if peer.delay:
                    time.sleep(peer.delay)
                status, answer = peer.handle(self.path, dict(self.headers.items()), raw)
                out = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        return Handler

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any]]:
        parts = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(parts.query))
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            return 400, {"error": "not JSON", "errcode": 40008}
        lowered = {k.lower(): v for k, v in headers.items()}
        key = lowered.get("x-idempotency-key", "")
        with self.lock:
            if self.keep:
                self.requests.append({"path": parts.path, "query": query, "headers": lowered, "body": body})
            self.keys[key] += 1
            for prefix, statuses in self.fail.items():
                if parts.path.startswith(prefix) and statuses:
                    return statuses.pop(0), {"error": "injected failure", "errcode": -1, "errmsg": "busy"}
        if parts.path == "/sms":
            return self._sms(lowered, raw, body, key)
        if parts.path == "/cgi-bin/webhook/send":
            return self._robot(key, body, ok=bool(query.get("key")) and body.get("msgtype") == "text")
        if parts.path == "/robot/send":
            return self._robot(key, body, ok=self._dingtalk_signed(query) and body.get("msgtype") == "text")
        if parts.path.startswith("/hook/"):
            if not self._signed(self.hook_secret, lowered, raw):
                return 401, {"error": "bad signature"}
            return self._pass_on(key, body, 200, {"id": key})
        return 404, {"error": "no such path"}

    def _signed(self, secret: str, headers: dict[str, str], raw: bytes) -> bool:
        stamp = headers.get("x-yingji-timestamp", "")
        given = headers.get("x-yingji-signature", "")
        expected = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
        fresh = stamp.isdigit() and abs(time.time() - int(stamp)) < 300
        return fresh and hmac.compare_digest(given, expected)

    def _dingtalk_signed(self, query: dict[str, str]) -> bool:
        stamp = query.get("timestamp", "")
        mac = hmac.new(self.dingtalk_secret.encode(), f"{stamp}\n{self.dingtalk_secret}".encode(), hashlib.sha256)
        return bool(query.get("access_token")) and hmac.compare_digest(
            query.get("sign", ""), base64.b64encode(mac.digest()).decode())

    def _sms(self, headers: dict[str, str], raw: bytes, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        if self.secret and not self._signed(self.secret, headers, raw):
            return 401, {"error": "bad signature"}
        if not key or body.get("key") != key:
            return 400, {"error": "key missing"}
        if str(body.get("to", "")) in UNKNOWN_NUMBERS:
            return 400, {"error": "unknown number"}
        if any(len(s) > 70 for s in body.get("segments", [])) or "".join(body.get("segments", [])) != body["text"]:
            return 400, {"error": "bad segments"}
        return self._pass_on(key, body, 200, {"id": "gw-" + key, "status": self.sms_state})

    def _robot(self, key: str, body: dict[str, Any], *, ok: bool) -> tuple[int, dict[str, Any]]:
        if not ok:
            return 200, {"errcode": 310000, "errmsg": "sign not match"}
        return self._pass_on(key, body, 200, {"errcode": 0, "errmsg": "ok"})

    def _pass_on(self, key: str, body: dict[str, Any], status: int, answer: dict[str, Any]
                 ) -> tuple[int, dict[str, Any]]:
        with self.lock:
            if key and key in self.sent:
                return status, {**answer, "duplicate": True}
            self.sent[key] = {"body": body if self.keep else None, "to": body.get("to", "")}
        return status, {**answer, "duplicate": False}

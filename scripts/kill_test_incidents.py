"""Reliability of report submissions: SIGKILL the server in the middle of a burst, restart it, check.

1. A throw-away SQLite database with the demo data; an API token for the village information officer.
2. ``yingji serve`` on a free loopback port (its own process group).
3. A burst of first reports from several client threads, each with its own Idempotency-Key; every answer
   is noted. After a share of them was answered, the whole server is killed with SIGKILL mid-burst.
4. The server is started again on the same database. Every submission is sent once more with the same key
   and body: those answered before must get the same event back; those cut off get theirs now.
5. The database must hold one report per key — every submission answered 2xx before the kill among them —
   and no duplicates.

Prints one line per finding and ``OK`` or ``FAILED``; the exit status says the same.

Usage:  .venv/bin/python scripts/kill_test_incidents.py [--quick] [--submissions N] [--clients N] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MARK = "断电测试"


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def build(var_dir: Path) -> str:
    """Schema, rules and demo data; returns an API token of the user ``village``."""
    from sqlalchemy import select

    from yingji import demo, migrate
    from yingji.core import accounts, auth, defaults
    from yingji.core.models import Unit, User
    from yingji.core.schemas import TokenCreate
    from yingji.core.scope import system_principal
    from yingji.db import Database
    from yingji.duty import defaults as duty_defaults
    from yingji.settings import Settings

    settings = Settings(var_dir=var_dir, database_url=f"sqlite:///{var_dir / 'yingji.db'}")
    database = Database(settings)
    migrate.upgrade(database.engine)
    with database.unit_of_work() as session:
        system = system_principal("kill-test")
        defaults.load(session, system)
        duty_defaults.load(session, system)
        demo.load(session, system)
    with database.unit_of_work() as session:
        user = session.scalars(select(User).where(User.username == "village")).one()
        unit = session.get_one(Unit, user.unit_id)
        principal = auth.principal_for(user, unit, via="session", request_id="kill-test")
        _, secret = accounts.create_token(session, principal, TokenCreate(name="kill-test"))
    database.engine.dispose()
    return str(secret)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen([sys.executable, "-m", "yingji.cli", "serve", "--no-worker", "--host", "127.0.0.1",
                             "--port", str(port)], env=env, cwd=str(ROOT), stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become healthy in time")


def kill(server: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the server's whole process group (the serving processes included)."""
    try:
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    server.wait(timeout=10)


def body(n: int, occurred: str) -> dict[str, Any]:
    return {"title": f"{MARK} {n:05d}", "occurred_at": occurred, "category": "1", "subtype": "1.4.2",
            "description": f"{MARK}：第{n}份首报", "injured": n % 7}


class Burst:
    """Client threads sending submissions in order; notes every answer, stops at the first dead connection."""

    def __init__(self, url: str, token: str, total: int, clients: int, occurred: str) -> None:
        self.url, self.token, self.total, self.clients, self.occurred = url, token, total, clients, occurred
        self.answered: dict[int, tuple[int, dict[str, Any]]] = {}
        self.lock = threading.Lock()
        self.next = 0

    def take(self) -> int | None:
        with self.lock:
            if self.next >= self.total:
                return None
            self.next += 1
            return self.next - 1

    def worker(self) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=10.0) as client:
            while (n := self.take()) is not None:
                try:
                    answer = client.post("/api/incidents", json=body(n, self.occurred),
                                         headers={"Idempotency-Key": f"kill-test-{n}"})
                except httpx.HTTPError:
                    return  # the server is gone: this submission is unanswered
                with self.lock:
                    self.answered[n] = (answer.status_code, answer.json() if answer.content else {})

    def run(self, kill_after: int, server: subprocess.Popen[bytes]) -> None:
        threads = [threading.Thread(target=self.worker, daemon=True) for _ in range(self.clients)]
        for thread in threads:
            thread.start()
        while len(self.answered) < kill_after and any(t.is_alive() for t in threads):
            time.sleep(0.002)
        kill(server)
        for thread in threads:
            thread.join(timeout=30)


def retry_all(url: str, token: str, total: int, occurred: str) -> dict[int, tuple[int, dict[str, Any]]]:
    import httpx

    out = {}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0) as client:
        for n in range(total):
            answer = client.post("/api/incidents", json=body(n, occurred),
                                 headers={"Idempotency-Key": f"kill-test-{n}"})
            out[n] = (answer.status_code, answer.json())
    return out


def stored(var_dir: Path) -> dict[str, list[int]]:
    """Title → ids of the events holding the marked first reports (straight from the database file)."""
    import sqlite3

    with sqlite3.connect(var_dir / "yingji.db") as db:
        rows = db.execute("SELECT e.title, e.id FROM incident_events e JOIN incident_reports r ON r.event_id = e.id "
                          "WHERE e.title LIKE ?", (f"{MARK}%",)).fetchall()
    found: dict[str, list[int]] = {}
    for title, event_id in rows:
        found.setdefault(title, []).append(event_id)
    return found


def check(total: int, before: dict[int, tuple[int, dict[str, Any]]], after: dict[int, tuple[int, dict[str, Any]]],
          rows: dict[str, list[int]]) -> list[str]:
    problems = []
    for n, (status, answer) in before.items():
        if 200 <= status < 300:
            ids = rows.get(body(n, "")["title"], [])
            if ids != [answer["event_id"]]:
                problems.append(f"submission {n} was answered {status} (event {answer['event_id']}) "
                                f"but the database holds {ids}")
            if after[n][1].get("event_id") != answer["event_id"]:
                problems.append(f"retry of submission {n} answered {after[n]} instead of event {answer['event_id']}")
    for n in range(total):
        status, answer = after[n]
        if status != 201:
            problems.append(f"retry of submission {n} answered {status}: {answer}")
    duplicates = {title: ids for title, ids in rows.items() if len(ids) > 1}
    if duplicates:
        problems.append(f"duplicated submissions: {duplicates}")
    if len(rows) != total:
        problems.append(f"{len(rows)} submissions stored, {total} expected")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (60 submissions)")
    parser.add_argument("--submissions", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    total = 60 if args.quick else args.submissions
    tmp = Path(tempfile.mkdtemp(prefix="yingji-kill-"))
    var_dir = tmp / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    env.update(YINGJI_VAR_DIR=str(var_dir), YINGJI_DATABASE_URL=f"sqlite:///{var_dir / 'yingji.db'}",
               YINGJI_QUEUE_URL="memory://", PYTHONPATH=str(ROOT / "src"))
    os.environ.update({k: v for k, v in env.items() if k.startswith("YINGJI_")})
    server = None
    try:
        token = build(var_dir)
        occurred = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start(env, port, tmp / "server.log")
        wait_healthy(url, server)
        burst = Burst(url, token, total, args.clients, occurred)
        burst.run(kill_after=total // 3, server=server)
        answered = {n: a for n, a in burst.answered.items() if 200 <= a[0] < 300}
        say(f"# killed with SIGKILL after {len(burst.answered)} answers ({len(answered)} 2xx) of {total} submissions")
        server = start(env, port, tmp / "server.log")
        wait_healthy(url, server)
        after = retry_all(url, token, total, occurred)
        replayed = sum(1 for n in answered if after[n][1].get("event_id") == answered[n][1]["event_id"])
        say(f"# restarted; every submission sent again with its key: {replayed} of {len(answered)} answered "
            f"before came back unchanged")
        kill(server)
        server = None
        problems = check(total, burst.answered, after, stored(var_dir))
        for problem in problems:
            say(f"PROBLEM {problem}")
        if len(answered) == 0 or len(answered) == total:
            problems.append("the kill did not fall inside the burst")
            say("PROBLEM the kill did not fall inside the burst")
        say("OK" if not problems else "FAILED")
        return 0 if not problems else 1
    finally:
        if server is not None and server.poll() is None:
            kill(server)
        if args.keep:
            say(f"# kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

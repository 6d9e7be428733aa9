"""Jobs on Huey: a real Redis queue (Debian's redis-server on loopback) and a separate worker process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from yingji import jobs
from yingji.core import notify
from yingji.core.models import OutboxMessage, User
from yingji.core.scope import system_principal


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server); .ci/run installs it")
    port = free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                               "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


def ours(mailbox: Any) -> list[Any]:
    return [m for _to, m in mailbox.messages if m["Subject"] == "经由Redis队列"]


def test_periodic_registry_has_the_outbox_sweep() -> None:
    assert "outbox.sweep" in jobs.PERIODIC


def test_sqlite_queue_is_the_default(tmp_path: Path) -> None:
    code = "from yingji import jobs; print(type(jobs.huey).__name__, jobs.huey.storage.filename)"
    env = dict(os.environ, YINGJI_QUEUE_URL="", YINGJI_VAR_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == "SqliteHuey" and out.split()[1] == str(tmp_path / "queue.db")


def test_a_worker_process_delivers_through_redis(redis_url: str, database: Any, settings: Any,
                                                 smtp_server: Any) -> None:
    mailbox, smtp_port = smtp_server
    with database.unit_of_work() as s:
        user = s.scalars(select(User).where(User.username == "bole")).one()
        notify.notify(s, system_principal("tests"), users=[user], subject="经由Redis队列", body="队列测试")
    env = dict(os.environ, YINGJI_QUEUE_URL=redis_url, YINGJI_DATABASE_URL=settings.database_url,
               YINGJI_SMTP_HOST="127.0.0.1", YINGJI_SMTP_PORT=str(smtp_port), YINGJI_VAR_DIR=str(settings.var_dir),
               YINGJI_SECRET_KEY="worker-test-secret-0123456789")
    enqueue = "from yingji import jobs; assert type(jobs.huey).__name__ == 'RedisHuey'; jobs.deliver_outbox()"
    subprocess.run([sys.executable, "-c", enqueue], env=env, check=True, timeout=60)
    worker = subprocess.Popen([sys.executable, "-m", "yingji.cli", "worker"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)

    def statuses() -> list[str]:
        with database.sessionmaker() as s:
            mine = s.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "bole@demo.yingji.invalid"))
            return [m.status for m in mine if m.payload.get("subject") == "经由Redis队列"]

    try:
        # the mail arrives before the worker marks the message sent: stop it only once both are seen
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (ours(mailbox) and statuses() == ["sent"]):
            time.sleep(0.1)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=20)[0]
    # the worker also runs the periodic jobs, which may mail about other things: look for ours
    assert len(ours(mailbox)) == 1, output
    assert statuses() == ["sent"], output

"""The kill test, small: a worker killed (SIGKILL) inside its fan-out and again while sending, then restarted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_worker_killed_during_fan_out_and_sending_loses_nothing_and_sends_nothing_twice() -> None:
    env = dict(os.environ)
    url = ""
    if env.get("YINGJI_TEST_BACKEND") == "postgresql" and env.get("YINGJI_TEST_PG_URL"):
        import uuid

        from sqlalchemy import create_engine, text

        base = env["YINGJI_TEST_PG_URL"]
        name = "kill_" + uuid.uuid4().hex[:10]
        admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        url = base.rsplit("/", 1)[0] + "/" + name
    command = [sys.executable, str(ROOT / "scripts" / "kill_test_fanout.py"), "--recipients", "1500", "--workers", "4"]
    if url:
        command += ["--database-url", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "after kill during fan-out: 0 delivery rows" in done.stdout
    assert "recipients=1500 delivery_rows=1500 delivered=1500 gateway_passed_on=1500" in done.stdout
    assert "phones_with_two_messages=0" in done.stdout and done.stdout.rstrip().endswith("OK")

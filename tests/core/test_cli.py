"""The command line: init, demo (idempotent), user management, backup and restore."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from tests.conftest import BACKEND
from yingji.core.models import AuditEntry, Unit, User

YINGJI = [sys.executable, "-m", "yingji.cli"]


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*YINGJI, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.fixture()
def cli_env(settings: Any, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"YINGJI_DATABASE_URL": settings.database_url, "YINGJI_VAR_DIR": str(tmp_path / "cli-var"),
                "YINGJI_QUEUE_URL": "memory://", "YINGJI_SECRET_KEY": "cli-test-secret-0123456789"})
    return env


def test_demo_is_idempotent_and_prints_the_sign_ins(cli_env: dict[str, str], session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(Unit))
    result = run(cli_env, "demo")
    assert result.returncode == 0, result.stderr
    assert "Yingji@2026" in result.stdout and "bole" in result.stdout
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Unit)) == before


def test_user_add_role_passwd(cli_env: dict[str, str], session: Session) -> None:
    added = run(cli_env, "user", "add", "wq-duty", "652723", "county_office", "--name", "温泉县值班",
                "--password", "Wenquan#2026")
    assert added.returncode == 0, added.stderr + added.stdout
    user = session.scalar(select(User).where(User.username == "wq-duty"))
    assert user is not None and user.role == "county_office"
    assert run(cli_env, "user", "role", "wq-duty", "leader").returncode == 0
    assert run(cli_env, "user", "passwd", "wq-duty", "--password", "Another#2026x").returncode == 0
    weak = run(cli_env, "user", "passwd", "wq-duty", "--password", "123")
    assert weak.returncode == 2 and "error" in weak.stderr
    bad_role = run(cli_env, "user", "role", "wq-duty", "emperor")
    assert bad_role.returncode == 2
    session.expire_all()
    assert session.scalar(select(User.role).where(User.username == "wq-duty")) == "leader"
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "user",
                                                                  AuditEntry.entity_id == str(user.id))))
    assert {"create", "set_role", "password"} <= actions
    actors = set(session.scalars(select(AuditEntry.actor_name).where(AuditEntry.entity_id == str(user.id))))
    assert "yingji user add" in actors


def test_backup_and_restore(cli_env: dict[str, str], tmp_path: Path, settings: Any) -> None:
    if BACKEND == "postgresql":
        import shutil

        if not (shutil.which("pg_dump") or list(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))):
            pytest.fail("pg_dump is not installed")
    backup = tmp_path / "backup.bin"
    assert run(cli_env, "backup", str(backup)).returncode == 0
    assert backup.stat().st_size > 0
    engine = create_engine(settings.database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE unit SET name = 'changed after backup' WHERE code = '652701'"))
    restored = run(cli_env, "restore", str(backup), "--yes")
    assert restored.returncode == 0, restored.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM unit WHERE code = '652701'")).scalar() == "博乐市"
    engine.dispose()
    assert run(cli_env, "restore", str(tmp_path / "missing.bin"), "--yes").returncode != 0


def test_jobs_lists_the_periodic_registry(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "jobs")
    assert result.returncode == 0 and "outbox.sweep" in result.stdout


def test_serve_with_two_processes_answers_and_stops_cleanly(cli_env: dict[str, str]) -> None:
    import signal
    import socket
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([*YINGJI, "serve", "--no-worker", "--processes", "2", "--port", str(port)],
                              env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, answers = time.monotonic() + 60, []
        while time.monotonic() < deadline and len(answers) < 20:
            try:
                answers.append(httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).json())
            except httpx.HTTPError:
                time.sleep(0.2)
        assert answers and all(a == {"status": "ok"} for a in answers)
        children = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == server.pid]
        assert len(children) == 2
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0]
    assert server.returncode == 0, output
    assert all(not p.exists() for p in children)


def _ppid(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError):
        return -1

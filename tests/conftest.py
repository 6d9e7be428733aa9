"""Test fixtures: a fresh database per test (copied from a migrated template with demo data),
the app, signed-in clients for named personas, and a real local SMTP server.

YINGJI_TEST_BACKEND=postgresql (with YINGJI_TEST_PG_URL, set by scripts/with-postgres.sh) runs
the same tests on PostgreSQL; each test gets its own database created from a template.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

_TMP = Path(tempfile.mkdtemp(prefix="yingji-tests-"))
# The template database and the shared var directory go with the process that made them (each xdist worker
# makes its own): a test run leaves nothing in the temporary directory.
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
os.environ.setdefault("YINGJI_VAR_DIR", str(_TMP / "var"))
os.environ["YINGJI_QUEUE_URL"] = "memory://"
os.environ.setdefault("YINGJI_ENV", "test")

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from yingji import clock, domains, jobs, migrate, runtime  # noqa: E402
from yingji.core.scope import system_principal  # noqa: E402
from yingji.db import Database  # noqa: E402
from yingji.settings import Settings  # noqa: E402

BACKEND = os.environ.get("YINGJI_TEST_BACKEND", "sqlite")
PASSWORD = "Yingji@2026"
jobs.huey.immediate = True


def pytest_report_header(config: Any) -> str:
    return f"yingji database backend: {BACKEND}"


def _settings(url: str, var_dir: Path, **extra: Any) -> Settings:
    return Settings(database_url=url, var_dir=var_dir, env="test", secret_key="test-secret-key-not-for-production",
                    **extra)


@pytest.fixture(scope="session")
def template_url() -> Iterator[str]:
    """A migrated database holding the demo data; every test starts from a copy of it."""
    from yingji import demo

    if BACKEND == "postgresql":
        base = os.environ.get("YINGJI_TEST_PG_URL")
        if not base:
            pytest.exit("YINGJI_TEST_BACKEND=postgresql but YINGJI_TEST_PG_URL is not set "
                        "(run through scripts/with-postgres.sh)", returncode=3)
        admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS yingji_template"))
            conn.execute(text("CREATE DATABASE yingji_template"))
        admin.dispose()
        url = base.rsplit("/", 1)[0] + "/yingji_template"
    else:
        url = f"sqlite:///{_TMP / 'template.db'}"
    database = Database(_settings(url, _TMP / "template-var"))
    global _DEMO_DAY
    _DEMO_DAY = _local_day(clock.now())
    migrate.upgrade(database.engine)
    with database.unit_of_work() as session:
        domains.load_defaults(session, system_principal("tests"))
        demo.load(session, system_principal("tests"))
        # Mail the demo's own steps queued (e.g. a warning waiting for review) is not part of any test:
        # every test starts with an empty outbox.
        session.execute(text("DELETE FROM outbox_attempt"))
        session.execute(text("DELETE FROM outbox_message"))
    database.engine.dispose()
    yield url


@pytest.fixture()
def settings(template_url: str, tmp_path: Path) -> Settings:
    if BACKEND == "postgresql":
        name = "t_" + uuid.uuid4().hex[:12]
        base = os.environ["YINGJI_TEST_PG_URL"]
        admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE yingji_template"))
        admin.dispose()
        url = base.rsplit("/", 1)[0] + "/" + name
    else:
        source = Path(template_url.removeprefix("sqlite:///"))
        target = tmp_path / "yingji.db"
        shutil.copyfile(source, target)
        url = f"sqlite:///{target}"
    return _settings(url, tmp_path / "var")


@pytest.fixture()
def database(settings: Settings) -> Iterator[Database]:
    db = Database(settings)
    runtime.set_database(db)
    yield db
    runtime.set_database(None)
    db.engine.dispose()
    if BACKEND == "postgresql":
        name = settings.database_url.rsplit("/", 1)[1]
        admin = create_engine(os.environ["YINGJI_TEST_PG_URL"].replace("postgresql://", "postgresql+psycopg://"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture()
def session(database: Database) -> Iterator[Session]:
    """A session for looking at what the application stored (and for service-level tests)."""
    s = database.sessionmaker()
    yield s
    s.rollback()
    s.close()


@pytest.fixture()
def app(settings: Settings, database: Database) -> Any:
    from yingji.app import create_app

    return create_app(settings, database)


_DEMO_DAY: date | None = None  # the local day the demo data's relative dates ("ends in 20 days") count from


_LOCAL_ZONE = ZoneInfo(Settings().tz)


def _local_day(instant: datetime) -> date:
    return instant.astimezone(_LOCAL_ZONE).date()


def _clock_on_the_demo_day() -> datetime:
    """The real clock, moved back by whole days when local midnight has passed since the demo was built,
    so that a run crossing midnight sees the demo's dates as they were written."""
    real = datetime.now(UTC)
    if _DEMO_DAY is None:
        return real
    return real - timedelta(days=(_local_day(real) - _DEMO_DAY).days)


@pytest.fixture(autouse=True)
def _restore_clock() -> Iterator[None]:
    clock.set_clock(_clock_on_the_demo_day)
    yield
    clock.set_clock(_clock_on_the_demo_day)


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser(TestClient):
    """A TestClient that signs in through the login page and sends the CSRF token like a page would."""

    csrf: str = ""

    def sign_in(self, username: str, password: str = PASSWORD) -> Any:
        page = self.get("/login")
        self.csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]
        return self.post("/login", data={"username": username, "password": password, "csrf_token": self.csrf},
                         follow_redirects=False)

    def form(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf)
        return self.post(url, data=payload, follow_redirects=False, **kwargs)

    def api(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        headers.setdefault("X-CSRF-Token", self.csrf)
        return self.request(method, url, headers=headers, **kwargs)


@pytest.fixture()
def browser(app: Any) -> Any:
    """Factory: ``browser("bole")`` is a client signed in as that demo user; ``browser()`` is anonymous."""
    clients: list[Browser] = []

    def make(username: str | None = None) -> Browser:
        client = Browser(app, base_url="http://testserver")
        client.__enter__()
        clients.append(client)
        if username:
            response = client.sign_in(username)
            assert response.status_code == 303, response.text
        else:
            client.csrf = CSRF_RE.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def unit_id(session: Session, code: str) -> int:
    from sqlalchemy import select

    from yingji.core.models import Unit

    found = session.scalar(select(Unit.id).where(Unit.code == code))
    assert found is not None, code
    return int(found)


def audit_count(session: Session) -> int:
    from sqlalchemy import func, select

    from yingji.core.models import AuditEntry

    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        from email import message_from_bytes, policy

        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture()
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def zh(message: str, **params: Any) -> str:
    """The Chinese text users see for an English message id (and proof that it is translated)."""
    from yingji import i18n

    previous = i18n.current_language()
    i18n.set_language("zh_CN")
    try:
        text_ = i18n.gettext(message)
    finally:
        i18n.set_language(previous)
    assert text_ != message and re.search(r"[\u4e00-\u9fff]", text_), f"not translated: {message}"
    return text_ % params if params else text_

"""A write that waits longer than ``YINGJI_DB_BUSY_SECONDS`` for a lock another transaction holds is answered
503 "busy, try again" with a Retry-After, in the user's language, and nothing of it is kept; once the lock is
gone the same request succeeds. On SQLite the lock is another connection's write transaction; on PostgreSQL
another transaction's table lock (the engine sets ``lock_timeout``)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import APIRouter
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from tests.conftest import BACKEND, audit_count, unit_id, zh
from yingji.duty.models import DutyDesk
from yingji.settings import Settings
from yingji.web.deps import DB, CurrentPrincipal  # resolved by FastAPI from this module's names

BUSY_SECONDS = 0.3


@pytest.fixture()
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"db_busy_seconds": BUSY_SECONDS})


@contextmanager
def _held(settings: Settings) -> Iterator[None]:
    """Another transaction holds the write lock (SQLite) or the desks table (PostgreSQL) until the block ends."""
    if BACKEND == "postgresql":
        engine = create_engine(settings.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as conn:
            conn.execute(text("LOCK TABLE duty_desk IN EXCLUSIVE MODE"))
            yield
            conn.rollback()
        engine.dispose()
        return
    other = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


def _desks(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(DutyDesk)) or 0)


def test_a_write_held_up_by_another_transaction_is_answered_busy_and_keeps_nothing(
        browser: Any, session: Session, settings: Settings) -> None:
    bole = browser("bole")
    body = {"unit_id": unit_id(session, "652701100"), "name": "小营盘镇值班室"}
    desks, audits = _desks(session), audit_count(session)
    session.rollback()
    with _held(settings):
        started = time.monotonic()
        busy = bole.api("POST", "/api/duty/desks", json=body)
        waited = time.monotonic() - started
    assert busy.status_code == 503, busy.text
    assert busy.headers["retry-after"] == "5"
    assert busy.json()["detail"] == zh("The database is busy with other changes. Nothing was saved; "
                                       "try again in a moment.")
    assert BUSY_SECONDS <= waited < 5  # the configured wait, not the default ten seconds
    assert (_desks(session), audit_count(session)) == (desks, audits)
    session.rollback()
    again = bole.api("POST", "/api/duty/desks", json=body)
    assert again.status_code == 201, again.text
    assert _desks(session) == desks + 1


def test_a_change_held_up_at_its_commit_is_answered_busy_not_conflict(app: Any, browser: Any, session: Session,
                                                                      settings: Settings) -> None:
    """A change the handler leaves to the commit (an object changed and not written before the answer) meets
    the lock at the commit: the same 503 "busy" and Retry-After as a write held up in the handler, nothing
    kept, and the same request succeeds once the lock is gone."""
    router = APIRouter()

    @router.post("/test-only/rename-desk/{desk_id}")
    def rename(db: DB, principal: CurrentPrincipal, desk_id: int) -> dict[str, bool]:
        db.get_one(DutyDesk, desk_id).name = "改名的值班室"  # written by the commit's flush
        return {"renamed": True}

    app.include_router(router)
    desk = session.scalars(select(DutyDesk).order_by(DutyDesk.id)).first()
    assert desk is not None
    desk_id, name = desk.id, desk.name
    session.rollback()
    bole = browser("bole")
    message = zh("The database is busy with other changes. Nothing was saved; try again in a moment.")
    with _held(settings):
        busy = bole.api("POST", f"/test-only/rename-desk/{desk_id}", headers={"Accept": "application/json"})
        page = bole.form(f"/test-only/rename-desk/{desk_id}")  # a page's form: answered with a page
    assert busy.status_code == 503, busy.text
    assert busy.headers["retry-after"] == "5"
    assert busy.json()["detail"] == message
    assert page.status_code == 503, page.text
    assert page.headers["retry-after"] == "5"
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="zh-CN">' in page.text and message in page.text
    session.expire_all()
    assert session.get_one(DutyDesk, desk_id).name == name
    session.rollback()
    assert bole.api("POST", f"/test-only/rename-desk/{desk_id}").status_code == 200
    session.expire_all()
    assert session.get_one(DutyDesk, desk_id).name == "改名的值班室"

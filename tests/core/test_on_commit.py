"""Work asked for after a commit runs once the transaction commits, once per callback, never after a rollback."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from yingji.db import on_commit


def test_runs_after_commit_once_and_never_after_rollback(database: Any) -> None:
    ran: list[str] = []

    def kick() -> None:
        ran.append("kick")

    def broken() -> None:
        raise RuntimeError("the queue is down")

    with database.sessionmaker() as session:
        session.execute(text("SELECT 1"))
        on_commit(session, kick)
        on_commit(session, kick)
        on_commit(session, broken)  # logged, and does not stop the others or the commit
        assert ran == []
        session.commit()
        assert ran == ["kick"]

        session.execute(text("SELECT 1"))
        on_commit(session, kick)
        session.rollback()
        session.execute(text("SELECT 1"))
        session.commit()
        assert ran == ["kick"]  # the rolled-back transaction's kick was forgotten

"""Notifications: the in-app inbox and mail through a real local SMTP server, via the outbox."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from fastapi import Depends
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import clock, jobs
from yingji.core import notify
from yingji.core.models import Notification, OutboxAttempt, OutboxMessage, User
from yingji.core.scope import system_principal
from yingji.web.deps import DB, CurrentPrincipal, require_principal


def _users(session: Session, *names: str) -> list[User]:
    return list(session.scalars(select(User).where(User.username.in_(names)).order_by(User.username)))


def _wait_for(predicate: Any, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_notify_reaches_the_inbox_and_a_real_mailbox(database: Any, settings: Any, smtp_server: Any,
                                                     browser: Any) -> None:
    mailbox, port = smtp_server
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    with database.unit_of_work() as s:
        notify.notify(s, system_principal("tests"), users=_users(s, "bole", "jinghe"), subject="暴雨橙色预警",
                      body="请做好防范。", link="/units")
    assert jobs.run_outbox_once() == 2
    assert _wait_for(lambda: len(mailbox.messages) == 2)
    recipients = sorted(r[0] for r, _m in mailbox.messages)
    assert recipients == ["bole@demo.yingji.invalid", "jinghe@demo.yingji.invalid"]
    message = mailbox.messages[0][1]
    assert message["Subject"] == "暴雨橙色预警" and "请做好防范。" in message.get_content()
    with database.sessionmaker() as s:
        assert {m.status for m in s.scalars(select(OutboxMessage))} == {"sent"}
        assert all(a.ok for a in s.scalars(select(OutboxAttempt)))
    client = browser("bole")
    inbox = client.get("/inbox")
    assert "暴雨橙色预警" in inbox.text
    assert 'id="bell"' in inbox.text and "<b>1</b>" in inbox.text
    note_id = client.get("/api/notifications").json()["items"][0]["id"]
    opened = client.form(f"/inbox/{note_id}/read")
    assert opened.status_code == 303 and opened.headers["location"] == "/units"
    assert client.get("/api/notifications", params={"unread": True}).json()["total"] == 0
    # someone else's notification is "not found"
    assert browser("jinghe").form(f"/inbox/{note_id}/read").status_code == 404


def test_unreachable_server_is_retried_then_delivered(database: Any, settings: Any, smtp_server: Any) -> None:
    mailbox, port = smtp_server
    settings.smtp_host, settings.smtp_port = "127.0.0.1", 1  # nothing listens on port 1
    with database.unit_of_work() as s:
        notify.notify(s, system_principal("tests"), users=_users(s, "bole"), subject="点名", body="请回复")
    assert jobs.run_outbox_once() == 1
    with database.sessionmaker() as s:
        message = s.scalars(select(OutboxMessage)).one()
        assert message.status == "pending" and message.attempts == 1 and "unreachable" in message.last_error
    assert jobs.run_outbox_once() == 0  # not due yet: backing off
    settings.smtp_port = port
    later = clock.now() + timedelta(minutes=5)
    clock.set_clock(lambda: later)
    assert jobs.run_outbox_once() == 1
    assert _wait_for(lambda: len(mailbox.messages) == 1)
    with database.sessionmaker() as s:
        message = s.scalars(select(OutboxMessage)).one()
        assert message.status == "sent" and message.attempts == 2
        assert [a.ok for a in s.scalars(select(OutboxAttempt).order_by(OutboxAttempt.number))] == [False, True]


def test_permanent_failure_is_not_retried(database: Any, settings: Any) -> None:
    settings.smtp_host = ""  # no SMTP configured is a permanent failure for this message
    with database.unit_of_work() as s:
        notify.notify(s, system_principal("tests"), users=_users(s, "bole"), subject="x")
    jobs.run_outbox_once()
    with database.sessionmaker() as s:
        message = s.scalars(select(OutboxMessage)).one()
        assert message.status == "dead" and message.attempts == 1
        assert s.scalars(select(OutboxAttempt)).one().permanent is True


def test_claim_is_compare_and_set(database: Any) -> None:
    with database.unit_of_work() as s:
        notify.enqueue(s, channel="mail", recipient="a@b.invalid", payload={"subject": "x"})
    with database.unit_of_work() as s:
        first = notify.claim(s, "worker-1")
    with database.unit_of_work() as s:
        second = notify.claim(s, "worker-2")
    assert len(first) == 1 and second == []


def test_notification_written_in_a_request_is_delivered_after_commit(app: Any, database: Any, settings: Any,
                                                                     smtp_server: Any, browser: Any) -> None:
    """A request that notifies commits first; the outbox kick then delivers (Huey in immediate mode)."""
    mailbox, port = smtp_server
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port

    @app.post("/api/test-notify", dependencies=[Depends(require_principal)])
    def fire(db: DB, principal: CurrentPrincipal) -> dict[str, int]:
        rows = notify.notify(db, principal, users=_users(db, "jinghe"), subject="请求内通知")
        return {"n": len(rows)}

    client = browser("bole")
    assert client.api("POST", "/api/test-notify").status_code == 200
    assert _wait_for(lambda: len(mailbox.messages) == 1)
    with database.sessionmaker() as s:
        assert s.scalar(select(Notification.subject).where(Notification.subject == "请求内通知")) is not None

"""Telling a person something: the in-app inbox, and outgoing messages through the outbox.

Services call :func:`notify`; it writes inbox rows and outbox rows in the caller's
transaction. After commit a worker claims outbox rows (compare-and-set) and hands each to
its channel's transport, recording every attempt.
"""

from __future__ import annotations

import smtplib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any, ClassVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from yingji import clock
from yingji.core import audit
from yingji.core.models import Notification, OutboxAttempt, OutboxMessage, User
from yingji.core.schemas import NotificationRead, Page
from yingji.core.scope import Principal
from yingji.core.service import paginate
from yingji.errors import NotFound
from yingji.settings import Settings

MAX_ATTEMPTS = 6
CLAIM_TIMEOUT = timedelta(minutes=10)


# --- transports ----------------------------------------------------------------------------

class TransportError(Exception):
    def __init__(self, detail: str, *, permanent: bool) -> None:
        super().__init__(detail)
        self.permanent = permanent


@dataclass
class SendResult:
    detail: str


class Transport:
    """One outgoing channel. ``send`` returns a result or raises :class:`TransportError`."""

    channel: ClassVar[str] = ""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: OutboxMessage) -> SendResult:
        raise NotImplementedError


class MailTransport(Transport):
    channel = "mail"

    def send(self, message: OutboxMessage) -> SendResult:
        s = self.settings
        if not s.smtp_host:
            raise TransportError("no SMTP host configured (YINGJI_SMTP_HOST)", permanent=True)
        mail = EmailMessage()
        mail["From"] = s.smtp_from
        mail["To"] = message.recipient
        mail["Subject"] = message.payload.get("subject", "")
        mail["Message-ID"] = f"<outbox-{message.id}-{uuid.uuid4().hex[:8]}@yingji>"
        mail.set_content(message.payload.get("body", ""))
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_user:
                    smtp.login(s.smtp_user, s.smtp_password)
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError(f"recipient refused: {exc.recipients}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            raise TransportError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                                 permanent=500 <= exc.smtp_code < 600) from exc
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            raise TransportError(f"SMTP unreachable: {exc}", permanent=False) from exc
        if refused:
            raise TransportError(f"recipient refused: {refused}", permanent=True)
        return SendResult(detail="accepted by SMTP server")


TRANSPORTS: dict[str, type[Transport]] = {MailTransport.channel: MailTransport}


# --- writing -------------------------------------------------------------------------------

def notify(session: Session, principal: Principal, *, users: list[User], subject: str, body: str = "",
           link: str = "", mail: bool = True) -> list[Notification]:
    """Put a message in each person's inbox and queue a mail to those with an address."""
    rows = []
    for user in users:
        row = Notification(user_id=user.id, unit_id=user.unit_id, subject=subject[:300], body=body, link=link)
        session.add(row)
        rows.append(row)
        if mail and user.email:
            enqueue(session, channel="mail", recipient=user.email,
                    payload={"subject": subject, "body": body + (f"\n\n{link}" if link else "")})
    session.flush()
    for row in rows:
        audit.record(session, principal, action="notify", entity_type="notification", entity_id=row.id,
                     unit_id=row.unit_id, after={"user_id": row.user_id, "subject": row.subject})
    return rows


def enqueue(session: Session, *, channel: str, recipient: str, payload: dict[str, Any]) -> OutboxMessage:
    message = OutboxMessage(channel=channel, recipient=recipient, payload=payload)
    session.add(message)
    session.info["outbox_dirty"] = True
    return message


# --- the inbox -----------------------------------------------------------------------------

def inbox(session: Session, principal: Principal, *, unread_only: bool = False, page: int = 1,
          per_page: int = 20) -> Page[NotificationRead]:
    stmt = select(Notification).where(Notification.user_id == principal.user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return paginate(session, stmt.order_by(Notification.id.desc()), NotificationRead, page=page,
                    per_page=per_page)


def unread_count(session: Session, principal: Principal) -> int:
    stmt = select(func.count()).select_from(Notification).where(
        Notification.user_id == principal.user_id, Notification.read_at.is_(None))
    return int(session.scalar(stmt) or 0)


def mark_read(session: Session, principal: Principal, notification_id: int) -> Notification:
    row = session.scalar(select(Notification).where(Notification.id == notification_id,
                                                    Notification.user_id == principal.user_id))
    if row is None:
        raise NotFound("Not found, or not within your area.")
    if row.read_at is None:
        row.read_at = clock.now()
        audit.record(session, principal, action="read", entity_type="notification", entity_id=row.id,
                     unit_id=row.unit_id)
    return row


# --- delivering (the worker's side) --------------------------------------------------------

def claim(session: Session, worker: str, limit: int = 20) -> list[int]:
    """Claim due messages with a compare-and-set update; returns the ids this worker won."""
    now = clock.now()
    due = select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.claimed_at).where(
        OutboxMessage.next_attempt_at <= now,
        OutboxMessage.status.in_(["pending", "sending"]),
    ).order_by(OutboxMessage.id).limit(limit)
    won = []
    for message_id, status, claimed_at in session.execute(due).all():
        if status == "sending" and claimed_at and now - claimed_at < CLAIM_TIMEOUT:
            continue
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == status,
                   OutboxMessage.claimed_at.is_(claimed_at) if claimed_at is None
                   else OutboxMessage.claimed_at == claimed_at)
            .values(status="sending", claimed_by=worker, claimed_at=now)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            won.append(message_id)
    return won


def deliver(session: Session, settings: Settings, message_id: int) -> str:
    """Send one claimed message and record the attempt; returns the new status."""
    message = session.get_one(OutboxMessage, message_id)
    transport_cls = TRANSPORTS.get(message.channel)
    message.attempts += 1
    try:
        if transport_cls is None:
            raise TransportError(f"no transport for channel {message.channel!r}", permanent=True)
        result = transport_cls(settings).send(message)
    except TransportError as exc:
        session.add(OutboxAttempt(message_id=message.id, number=message.attempts, ok=False,
                                  permanent=exc.permanent, detail=str(exc)[:2000]))
        message.last_error = str(exc)[:2000]
        if exc.permanent or message.attempts >= MAX_ATTEMPTS:
            message.status = "dead"
        else:
            message.status = "pending"
            message.next_attempt_at = clock.now() + timedelta(seconds=30 * 2 ** (message.attempts - 1))
        return message.status
    session.add(OutboxAttempt(message_id=message.id, number=message.attempts, ok=True, detail=result.detail))
    message.status = "sent"
    message.sent_at = clock.now()
    return message.status

"""E-mail over SMTP.

The channel's URL is ``smtp://host:port`` (``smtps://`` for TLS from the start; option
``starttls``), options ``sender``, ``user``, ``password`` (the secret). The Message-ID is
derived from the idempotency key, so a mailbox or relay can drop a message sent twice.
"""

from __future__ import annotations

import smtplib
import urllib.parse
from email.message import EmailMessage
from email.utils import formataddr
from typing import ClassVar

from yingji.channels.base import Channel, ChannelError, Message, Outcome

SMTP_TIMEOUT = 10.0


class MailChannel(Channel):
    name: ClassVar[str] = "email"

    def send(self, message: Message) -> Outcome:
        parts = urllib.parse.urlsplit(self.config.url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ChannelError(f"not an smtp:// URL: {self.config.url!r}", permanent=True)
        if "@" not in message.address:
            raise ChannelError(f"not a mail address: {message.address!r}", permanent=True)
        options = self.config.options
        mail = EmailMessage()
        mail["From"] = formataddr((str(options.get("sender_name", "")), str(options.get("sender", "yingji@localhost"))))
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail["Message-ID"] = f"<{message.key}@yingji>"
        mail["X-Idempotency-Key"] = message.key
        mail.set_content(message.text)
        smtp_cls = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
        try:
            with smtp_cls(parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 25),
                          timeout=SMTP_TIMEOUT) as smtp:
                if options.get("starttls"):
                    smtp.starttls()
                if options.get("user"):
                    smtp.login(str(options["user"]), self.config.secret)
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"recipient refused: {list(exc.recipients)}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            raise ChannelError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                               permanent=500 <= exc.smtp_code < 600) from exc
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            raise ChannelError(f"SMTP unreachable: {exc}", permanent=False) from exc
        if refused:
            raise ChannelError(f"recipient refused: {refused}", permanent=True)
        return Outcome(detail="accepted by the SMTP server")

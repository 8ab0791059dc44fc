"""How a message leaves: the Sender interface and its SMTP implementation (smtplib).

Another channel (an SMS gateway, say) implements `Sender.send`; the worker picks the sender
by the message's `channel`. `send` returns only once the server has acknowledged the message
(for SMTP: the 250 after DATA), so the worker can mark it sent right then.
"""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

from notifications.outbox import OutboxMessage, utcnow
from notifications.settings import NotificationSettings, SmtpSettings


class DeliveryError(Exception):
    """Delivery failed; `permanent` when retrying cannot help (the address is refused)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Sender(Protocol):
    channel: str

    def send(self, message: OutboxMessage) -> None:
        """Delivers the message or raises DeliveryError."""


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(utcnow())
    # The outbox row's own id: a resend after a crash carries the same Message-ID.
    mail["Message-ID"] = message.message_id or make_msgid()
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(message.body)
    if message.ics:
        method = "CANCEL" if "METHOD:CANCEL" in message.ics else "REQUEST"
        mail.add_attachment(message.ics.encode("utf-8"), maintype="text", subtype="calendar",
                            filename="invite.ics", params={"method": method})
    return mail


class SmtpSender:
    channel = "email"

    def __init__(self, smtp: SmtpSettings, settings: NotificationSettings) -> None:
        self.smtp = smtp
        self.from_header = settings.sender
        self.envelope_from = settings.sender_address

    def _connect(self) -> smtplib.SMTP:
        smtp = self.smtp
        if smtp.tls == "ssl":
            return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout,
                                    context=ssl.create_default_context())
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.tls == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, message: OutboxMessage) -> None:
        mail = build_email(message, self.from_header)
        try:
            client = self._connect()
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"cannot reach the SMTP server: {type(error).__name__}") from error
        try:
            if self.smtp.username:
                client.login(self.smtp.username, self.smtp.password or "")
            client.send_message(mail, from_addr=self.envelope_from, to_addrs=[message.recipient])
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryError("recipient refused", permanent=True) from error
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"SMTP {error.smtp_code}",
                                permanent=500 <= error.smtp_code < 600) from error
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"SMTP failure: {type(error).__name__}") from error
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()

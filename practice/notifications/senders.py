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
from typing import Optional, Protocol

from practice.notifications.outbox import OutboxMessage, utcnow
from practice.notifications.settings import NotificationSettings, SmtpSettings


class DeliveryError(Exception):
    """Delivery failed; `permanent` when retrying cannot help (the address is refused)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Sender(Protocol):
    channel: str

    def send(self, message: OutboxMessage) -> None:
        """Delivers the message or raises DeliveryError; returns once the server accepted it."""

    def close(self) -> None:
        """Ends an open connection (the worker calls it after each round)."""


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
        mail.add_attachment(
            message.ics.encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename="invite.ics",
            params={"method": method},
        )
    return mail


class SmtpSender:
    channel = "email"

    def __init__(self, smtp: SmtpSettings, settings: NotificationSettings) -> None:
        self.smtp = smtp
        self.from_header = settings.sender
        self.envelope_from = settings.sender_address
        self._client: Optional[smtplib.SMTP] = None

    def _connect(self) -> smtplib.SMTP:
        smtp = self.smtp
        if smtp.tls == "ssl":
            return smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
            )
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if smtp.tls == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, message: OutboxMessage) -> None:
        """Sends on the round's connection (opened on first use). Returns right after the
        server's reply to the message's data, so the worker can record it before anything else
        (QUIT comes later, in close())."""
        mail = build_email(message, self.from_header)
        for fresh in (False, True):
            if self._client is None or fresh:
                self.close()
                try:
                    self._client = self._connect()
                    if self.smtp.username:
                        self._client.login(self.smtp.username, self.smtp.password or "")
                except (OSError, smtplib.SMTPException) as error:
                    self._client = None
                    raise DeliveryError(f"cannot reach the SMTP server: {type(error).__name__}") from error
                fresh = True
            try:
                self._client.send_message(mail, from_addr=self.envelope_from, to_addrs=[message.recipient])
                return
            except smtplib.SMTPServerDisconnected as error:
                self._client = None
                if fresh:  # not a stale kept connection: a real failure
                    raise DeliveryError("SMTP server disconnected") from error
                # A kept connection the server had closed: the message was not accepted; once more.
            except smtplib.SMTPRecipientsRefused as error:
                self._reset()
                raise DeliveryError("recipient refused", permanent=True) from error
            except smtplib.SMTPResponseException as error:
                self._reset()
                raise DeliveryError(
                    f"SMTP {error.smtp_code}", permanent=500 <= error.smtp_code < 600
                ) from error
            except (OSError, smtplib.SMTPException) as error:
                self.close()
                raise DeliveryError(f"SMTP failure: {type(error).__name__}") from error
        raise DeliveryError("SMTP server disconnected")  # not reached: the loop returns or raises

    def _reset(self) -> None:
        """After a refused message the connection stays usable once RSET is answered."""
        try:
            if self._client is not None:
                self._client.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()

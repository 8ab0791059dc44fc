"""Call-back requests: stored with the clinic's notice written to the outbox in the same
transaction; staff see the open ones in the console and mark them done.

The request holds a name, a contact (normalised email or US phone number), the best time as
the visitor typed it (at most 120 characters) and the consent to be contacted; the clinic's
email names only the reference and links to the console, where the rest is shown.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from practice.notifications import messages
from practice.notifications.outbox import OutgoingMessage, enqueue, utcnow
from practice.notifications.settings import NotificationSettings
from practice.notifications.tables import DONE, OPEN, callback_requests

REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # as booking references: no 0/O, 1/I/L
REFERENCE_PREFIX = "CB-"
BEST_TIME_CHARS = 120


@dataclass(frozen=True)
class CallbackRequest:
    reference: str
    full_name: str
    contact: str
    best_time: str
    consent: bool
    status: str
    sender_id: str
    created_at: datetime
    done_at: Optional[datetime]
    done_by: Optional[str]

    @classmethod
    def from_row(cls, row: Any) -> "CallbackRequest":
        data = row._mapping
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def new_reference() -> str:
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def clinic_callback_notice(request: CallbackRequest, settings: NotificationSettings) -> OutgoingMessage:
    how = (
        "by phone"
        if not messages.is_email(request.contact)
        else "by email or phone (an email address was given)"
    )
    body = (
        "\n".join(
            [
                f"Call-back request: {request.reference}",
                f"Received: {messages.format_time(request.created_at, settings.clinic_timezone)}",
                f"The visitor asks to be contacted {how} and agreed to be contacted.",
                "Name, contact and best time are in the console: "
                + messages.console_link(settings, "/callbacks"),
            ]
        )
        + "\n"
    )
    return OutgoingMessage(
        kind=messages.CLINIC_CALLBACK,
        recipient=settings.clinic_address,
        subject=f"Call-back request {request.reference}",
        body=body,
        request_reference=request.reference,
        sender_id=request.sender_id,
    )


class CallbackStore:
    def __init__(
        self,
        engine: Engine,
        settings: Optional[NotificationSettings] = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self._settings = settings
        self.clock = clock

    @property
    def settings(self) -> NotificationSettings:
        if self._settings is None:
            self._settings = NotificationSettings.load()
        return self._settings

    def create(
        self, *, full_name: str, contact: str, best_time: str, consent: bool, sender_id: str
    ) -> CallbackRequest:
        """Stores the request and the clinic's notice in one transaction. Without consent
        nothing is stored (the chat does not ask to be contacted without it)."""
        if not consent:
            raise ValueError("a call-back request needs the visitor's consent to be contacted")
        for _ in range(5):
            request = CallbackRequest(
                reference=new_reference(),
                full_name=full_name.strip()[:200],
                contact=contact,
                best_time=" ".join(best_time.split())[:BEST_TIME_CHARS],
                consent=True,
                status=OPEN,
                sender_id=sender_id,
                created_at=self.clock(),
                done_at=None,
                done_by=None,
            )
            try:
                with self.engine.begin() as conn:
                    conn.execute(callback_requests.insert().values(**request.__dict__))
                    enqueue(
                        conn,
                        clinic_callback_notice(request, self.settings),
                        request.created_at,
                        self.settings.mail_domain,
                    )
            except IntegrityError:
                continue  # a reference clash: draw another
            return request
        raise RuntimeError("could not draw a free call-back reference")

    def for_conversation_open(self, sender_id: str) -> Optional[CallbackRequest]:
        """The conversation's open request, so a repeated confirmation makes no second one."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(callback_requests).where(
                    callback_requests.c.sender_id == sender_id, callback_requests.c.status == OPEN
                )
            ).first()
        return CallbackRequest.from_row(row) if row else None

    def list(self, status: Optional[str] = None, limit: int = 500) -> List[CallbackRequest]:
        query = sa.select(callback_requests).order_by(callback_requests.c.created_at.desc())
        if status:
            query = query.where(callback_requests.c.status == status)
        with self.engine.connect() as conn:
            return [CallbackRequest.from_row(r) for r in conn.execute(query.limit(limit))]

    def mark_done(self, reference: str, actor: str) -> bool:
        with self.engine.begin() as conn:
            return (
                conn.execute(
                    callback_requests.update()
                    .where(
                        callback_requests.c.reference == reference.strip().upper(),
                        callback_requests.c.status == OPEN,
                    )
                    .values(status=DONE, done_at=self.clock(), done_by=actor[:64])
                ).rowcount
                == 1
            )

    # ------------------------------------------------------------------ retention

    def _delete(self, condition: Any) -> int:
        from practice.notifications.tables import outbox

        with self.engine.begin() as conn:
            references = [
                r[0] for r in conn.execute(sa.select(callback_requests.c.reference).where(condition))
            ]
            if references:
                conn.execute(outbox.delete().where(outbox.c.request_reference.in_(references)))
            return conn.execute(callback_requests.delete().where(condition)).rowcount

    def delete_for_conversation(self, sender_id: str) -> int:
        return self._delete(callback_requests.c.sender_id == sender_id)

    def delete_for_contact(self, normalised_contact: str) -> int:
        return self._delete(callback_requests.c.contact == normalised_contact)

    def purge(self, created_before: datetime) -> int:
        return self._delete(callback_requests.c.created_at < created_before)

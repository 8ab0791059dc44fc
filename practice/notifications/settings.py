"""Notification settings, read in one place: clinic.yml `notifications` (who writes and who
is told) and the environment (how mail leaves: SMTP host, port, TLS, credentials).

Environment:
    SMTP_HOST (127.0.0.1; unset, `make run` and `make run-prod` start the local sink on 8025),
    SMTP_PORT (25, 587 with starttls, 465 with ssl), SMTP_TLS (none | starttls | ssl; none),
    SMTP_USERNAME / SMTP_PASSWORD (optional; only from the environment),
    SMTP_TIMEOUT (20 s), MAIL_SINK_DIR (var/mail), OUTBOX_LEASE_SECONDS (300),
    OUTBOX_MAX_ATTEMPTS (clinic.yml, else 8), OUTBOX_BACKOFF_SECONDS (30), OUTBOX_POLL_SECONDS (2)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

from practice.knowledge.schema import read_clinic
from practice.paths import PROJECT_ROOT, clinic_file

TLS_MODES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


def load_clinic(path: Optional[Path] = None) -> Dict[str, Any]:
    """clinic.yml, read and checked by the knowledge schema (one reader for the file)."""
    return read_clinic(path or clinic_file())


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 8025
    tls: str = "none"
    username: Optional[str] = None
    password: Optional[str] = field(default=None, repr=False)
    timeout: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "SmtpSettings":
        tls = (env.get("SMTP_TLS") or "none").strip().lower()
        if tls not in TLS_MODES:
            raise ValueError(f"SMTP_TLS must be one of {', '.join(TLS_MODES)}")
        return cls(
            host=env.get("SMTP_HOST") or "127.0.0.1",
            port=int(env.get("SMTP_PORT") or DEFAULT_PORTS[tls]),
            tls=tls,
            username=env.get("SMTP_USERNAME") or None,
            password=env.get("SMTP_PASSWORD") or None,
            timeout=float(env.get("SMTP_TIMEOUT") or 20),
        )


@dataclass(frozen=True)
class NotificationSettings:
    """What the messages say and to whom (clinic.yml), and how the outbox retries (env)."""

    practice_name: str
    clinic_timezone: str
    sender: str  # From: "Name <address>"
    clinic_address: str  # where scheduling notices go
    console_url: str  # links in the clinic's notices
    clinic_phone: str
    reminder_hours: int = 24
    appointment_minutes: int = 60
    max_attempts: int = 8
    backoff_seconds: float = 30.0
    lease_seconds: float = 300.0
    poll_seconds: float = 2.0
    mail_sink_dir: Path = PROJECT_ROOT / "var" / "mail"
    video_note: str = ""
    prepare_note: str = ""

    @property
    def sender_address(self) -> str:
        from email.utils import parseaddr

        return parseaddr(self.sender)[1]

    @property
    def mail_domain(self) -> str:
        return self.sender_address.rsplit("@", 1)[-1] or "localhost"

    @classmethod
    def from_clinic(
        cls, clinic: Dict[str, Any], env: Mapping[str, str] = os.environ
    ) -> "NotificationSettings":
        raw = clinic.get("notifications") or {}
        contact = clinic.get("contact") or {}
        name = str(clinic.get("name") or "the practice")
        from_address = str(raw.get("sender_address") or contact.get("email") or "noreply@localhost")
        console_port = env.get("CONSOLE_PORT") or "8081"
        return cls(
            practice_name=name,
            clinic_timezone=str(clinic.get("timezone") or "UTC"),
            sender=f"{raw.get('sender_name') or name} <{from_address}>",
            clinic_address=str(raw.get("clinic_address") or contact.get("email") or from_address),
            console_url=str(
                env.get("CONSOLE_URL") or raw.get("console_url") or f"http://127.0.0.1:{console_port}"
            ).rstrip("/"),
            clinic_phone=str(contact.get("phone") or ""),
            reminder_hours=int(raw.get("reminder_hours_before", 24)),
            appointment_minutes=int((clinic.get("availability") or {}).get("slot_minutes", 60)),
            max_attempts=int(env.get("OUTBOX_MAX_ATTEMPTS") or raw.get("max_attempts", 8)),
            backoff_seconds=float(env.get("OUTBOX_BACKOFF_SECONDS") or raw.get("backoff_seconds", 30)),
            lease_seconds=float(env.get("OUTBOX_LEASE_SECONDS") or 300),
            poll_seconds=float(env.get("OUTBOX_POLL_SECONDS") or 2),
            mail_sink_dir=Path(env.get("MAIL_SINK_DIR") or PROJECT_ROOT / "var" / "mail"),
            video_note=str(raw.get("video_visit") or "").strip(),
            prepare_note=str(raw.get("what_to_prepare") or "").strip(),
        )

    @classmethod
    def load(cls) -> "NotificationSettings":
        return cls.from_clinic(load_clinic())

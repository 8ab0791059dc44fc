"""Console settings, all from the environment (defaults: the embedded SQLite profile)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from practice.knowledge.schema import read_clinic
from practice.paths import PROJECT_ROOT, clinic_file

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _default_tracker_url() -> str:
    # scripts/test_servers.sh exports TRACKER_DB_PATH for its throw-away assistant.
    path = os.environ.get("TRACKER_DB_PATH")
    if path:
        return f"sqlite:///{path}"
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'assistant.db'}"


def _flag(name: str) -> Optional[bool]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


def clinic_config() -> dict:
    """clinic.yml, read and checked by the knowledge schema (practice/knowledge/schema.py)."""
    return read_clinic(clinic_file())


def _known_zone(name: str) -> str:
    """The clinic's time zone if this machine knows it (system tzdata), else UTC."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
        return name
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"


@dataclass
class Settings:
    tracker_db_url: str
    console_db_url: str
    host: str
    port: int
    cookie_secure: bool
    session_hours: float
    idle_minutes: float
    max_failures: int
    max_failures_per_address: int
    lockout_minutes: float
    failure_delay_seconds: float
    retention_days: int
    timezone: str
    page_size: int
    domain_file: Path
    data_dir: Path
    public_contacts: tuple = ()

    @classmethod
    def from_env(cls) -> "Settings":
        tracker = os.environ.get("TRACKER_DB_URL") or _default_tracker_url()
        # Not RASA_INTERFACE: exposing the chat server must not expose the console.
        host = os.environ.get("CONSOLE_HOST") or "127.0.0.1"
        secure = _flag("CONSOLE_COOKIE_SECURE")
        if secure is None:
            # Secure cookies by default; plain http is allowed only for a console that
            # listens on loopback (local development). Behind HTTPS, set it to 1.
            secure = host not in LOOPBACK_HOSTS
        clinic = {}
        try:
            clinic = clinic_config()
        except OSError:
            pass
        retention = os.environ.get("RETENTION_DAYS") or (clinic.get("privacy") or {}).get(
            "retention_days", 365
        )
        return cls(
            tracker_db_url=tracker,
            console_db_url=os.environ.get("CONSOLE_DB_URL") or tracker,
            host=host,
            port=int(os.environ.get("CONSOLE_PORT", "8081")),
            cookie_secure=secure,
            session_hours=float(os.environ.get("CONSOLE_SESSION_HOURS", "8")),
            idle_minutes=float(os.environ.get("CONSOLE_IDLE_MINUTES", "30")),
            max_failures=int(os.environ.get("CONSOLE_MAX_FAILURES", "5")),
            max_failures_per_address=int(
                os.environ.get("CONSOLE_MAX_FAILURES_PER_ADDRESS")
                or 4 * int(os.environ.get("CONSOLE_MAX_FAILURES", "5"))
            ),
            lockout_minutes=float(os.environ.get("CONSOLE_LOCKOUT_MINUTES", "15")),
            failure_delay_seconds=float(os.environ.get("CONSOLE_FAILURE_DELAY", "1.0")),
            retention_days=int(retention),
            timezone=_known_zone(clinic.get("timezone") or "UTC"),
            page_size=int(os.environ.get("CONSOLE_PAGE_SIZE", "25")),
            domain_file=Path(os.environ.get("DOMAIN_FILE", PROJECT_ROOT / "domain.yml")),
            data_dir=Path(os.environ.get("NLU_DATA_DIR", PROJECT_ROOT / "data")),
            public_contacts=tuple(
                str(v) for k, v in (clinic.get("contact") or {}).items() if k in ("phone", "email") and v
            ),
        )

"""A local SMTP sink for `make run` (aiosmtpd): accepts every message and stores it as an
.eml file in MAIL_SINK_DIR (var/mail/); the console's Mail page lists and shows them.

    python -m practice.notifications.mail_sink [--host 127.0.0.1] [--port 8025] [--dir var/mail]

Nothing is relayed anywhere. Loopback only by default: it is for development.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import threading
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from practice.notifications.settings import NotificationSettings


class EmlStore:
    """aiosmtpd handler: each accepted message becomes one file (written whole, then renamed)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(4)}.eml"
        temporary = self.directory / f".{name}.tmp"
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        temporary.write_bytes(content)
        os.chmod(temporary, 0o600)
        temporary.rename(self.directory / name)
        return "250 Message accepted for delivery"


def start_sink(directory: Path, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    controller = Controller(EmlStore(directory), hostname=host, port=port)
    controller.start()
    return controller


def main(argv: Any = None) -> int:
    default_dir = NotificationSettings.load().mail_sink_dir
    parser = argparse.ArgumentParser(description="local SMTP sink storing .eml files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SMTP_PORT") or 8025))
    parser.add_argument("--dir", type=Path, default=default_dir)
    args = parser.parse_args(argv)
    controller = start_sink(args.dir, args.host, args.port)
    print(f"mail sink on {args.host}:{args.port}, storing in {args.dir}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

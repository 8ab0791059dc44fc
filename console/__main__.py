"""`python -m console`: serves the staff console (default 127.0.0.1:8081)."""

from __future__ import annotations

import argparse
import logging
import os

from console.app import create_app
from console.settings import LOOPBACK_HOSTS, Settings


def main() -> None:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(prog="python -m console")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args()
    settings.host, settings.port = args.host, args.port
    if not os.environ.get("CONSOLE_COOKIE_SECURE", "").strip():
        settings.cookie_secure = args.host not in LOOPBACK_HOSTS
    # The console's own log (errors by path only, never request data); Sanic logs its own.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    console_logger = logging.getLogger("console")
    console_logger.addHandler(handler)
    console_logger.setLevel(logging.INFO)
    console_logger.propagate = False
    app = create_app(settings)
    # No access log: URLs carry conversation ids and search text.
    app.run(host=args.host, port=args.port, access_log=False, workers=1, motd=False, auto_reload=False)


if __name__ == "__main__":
    main()

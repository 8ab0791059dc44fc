"""The staff console web app (Sanic + Jinja2 autoescaped templates, server-rendered): a short
factory that wires the shared context, the request guard and one blueprint per area
(console/blueprints/)."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from sanic import Sanic
from sanic.handlers import ErrorHandler
from sanic.request import Request

from console import masking
from console.blueprints import all_blueprints
from console.blueprints.auth import guard
from console.db import Database
from console.settings import Settings
from console.web import HERE, ConsoleContext, make_env

logger = logging.getLogger("console")


class QuietErrorHandler(ErrorHandler):
    """Logs errors with the path only: query strings may hold search text (PII)."""

    def log(self, request: Request, exception: Exception) -> None:  # type: ignore[override]
        status = getattr(exception, "status_code", 500)
        if status >= 500:
            logger.error(
                "error %s handling %s %s",
                type(exception).__name__,
                request.method,
                request.path,
                exc_info=exception,
            )


def create_app(settings: Settings | None = None, name: str = "staff_console") -> Sanic:
    settings = settings or Settings.from_env()
    tz = ZoneInfo(settings.timezone)
    masking.set_public_contacts(settings.public_contacts)
    app = Sanic(name, error_handler=QuietErrorHandler())
    app.config.FORWARDED_SECRET = None
    app.config.REQUEST_MAX_SIZE = 1_000_000
    app.ctx.console = ConsoleContext(settings=settings, db=Database(settings), tz=tz, env=make_env(tz))
    app.ctx.db = app.ctx.console.db
    app.ctx.settings = settings
    app.static("/static", str(HERE / "static"), name="static")
    app.on_request(guard.require_login)
    app.on_response(guard.security_headers)
    for bp in all_blueprints():
        app.blueprint(bp)
    return app

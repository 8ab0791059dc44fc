"""What every console blueprint shares: the app's context (database, settings, templates),
rendering, redirects, cookies and downloads. Blueprints reach it as `request.app.ctx.console`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from console import annotations as notes
from console import roles
from console.db import Database
from console.settings import Settings
from console.timefmt import local_time

HERE = Path(__file__).resolve().parent
BLUEPRINTS = HERE / "blueprints"
SESSION_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
DONE_MESSAGES = {  # fixed texts only: nothing from the request is reflected
    "reviewed": "Marked as reviewed.",
    "unreviewed": "Review mark removed.",
    "annotated": "Annotation saved.",
    "deleted": "The conversation was deleted.",
    "nothing_to_export": "There are no annotations waiting to be exported.",
    "purged": "Retention purge done.",
    "booking_updated": "Booking updated.",
    "confirm": "Tick the confirmation box first.",
    "bad_intent": "Choose an intent from the list.",
    "not_found": "That item no longer exists.",
    "loggedout": "You are logged out.",
    "bulk_annotated": "The cluster's messages were annotated; they wait in the export.",
    "new_topic_marked": "The cluster's messages were marked as needing a new topic.",
    "note_needed": "Write a note saying what the new topic should cover.",
    "nothing_selected": "None of those messages is left to annotate.",
    "proposed": "Change proposed. Another staff member must approve it.",
    "approved": "Change approved. It can now be exported as a patch.",
    "rejected": "Change rejected.",
    "not_allowed_to_decide": "Only another staff member can approve or reject a pending change.",
    "not_approved": "Only an approved change can be exported.",
    "outbox_retried": "The message will be sent again.",
    "callback_done": "Request marked as done.",
}


def template_dirs() -> list[str]:
    """The shared templates (base, error, pager), then each blueprint's own templates/."""
    own = sorted(str(p) for p in BLUEPRINTS.glob("*/templates") if p.is_dir())
    return [str(HERE / "templates"), *own]


def make_env(tz: ZoneInfo) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dirs()),
        autoescape=jinja2.select_autoescape(["html", "xml"], default=True),
        undefined=jinja2.StrictUndefined,
    )

    def fmt_ts(value: float | None) -> str:
        if value is None:
            return ""
        return local_time(dt.datetime.fromtimestamp(value, tz))

    def fmt_conf(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}"

    env.filters["ts"] = fmt_ts
    env.filters["conf"] = fmt_conf
    env.filters["safe_url"] = lambda u: u if str(u).startswith(("https://", "http://")) else "#"
    env.globals["urlencode"] = urlencode
    env.globals["zone"] = tz.key
    env.globals["can"] = lambda session, name: bool(session) and roles.allowed(session.role, name)
    return env


@dataclass
class ConsoleContext:
    settings: Settings
    db: Database
    tz: ZoneInfo
    env: jinja2.Environment
    cache: dict[str, Any] = field(default_factory=dict)

    def domain_intents(self) -> list:
        if "intents" not in self.cache:
            self.cache["intents"] = notes.domain_intents(self.settings.domain_file)
        return self.cache["intents"]

    def page(
        self, template: str, session: Any, path: str, done: str | None, status: int = 200, **context: Any
    ) -> HTTPResponse:
        html = self.env.get_template(template).render(
            session=session,
            csrf_token=session.csrf_token if session else "",
            path=path,
            done=DONE_MESSAGES.get(done or ""),
            **context,
        )
        return response.html(html, status=status)

    def cookie_name(self, base: str) -> str:
        # The __Host- prefix makes browsers refuse the cookie unless Secure, Path=/, no Domain.
        return f"__Host-{base}" if self.settings.cookie_secure else base

    def set_cookie(self, resp: HTTPResponse, name: str, value: str, max_age: int) -> None:
        resp.cookies[name] = value
        cookie = resp.cookies[name]
        cookie["path"] = "/"
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["max-age"] = max_age
        if self.settings.cookie_secure:
            cookie["secure"] = True

    def clear_cookie(self, resp: HTTPResponse, name: str) -> None:
        self.set_cookie(resp, name, "", 0)


def ctx(request: Request) -> ConsoleContext:
    return request.app.ctx.console


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTTPResponse:
    return ctx(request).page(
        template,
        getattr(request.ctx, "session", None),
        request.path,
        request.args.get("done"),
        status,
        **context,
    )


def not_found(request: Request, message: str) -> HTTPResponse:
    return render(request, "error.html", 404, title="Not found", message=message)


def actor(request: Request) -> str:
    return request.ctx.session.username


def redirect_done(target: str, done: str) -> HTTPResponse:
    sep = "&" if "?" in target else "?"
    return response.redirect(f"{target}{sep}done={done}")


def page_number(request: Request) -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def download(
    filename: str, content: str, content_type: str = "application/x-yaml; charset=utf-8"
) -> HTTPResponse:
    return response.text(
        content,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/conversations"
    return target

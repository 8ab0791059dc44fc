"""The staff console web app (Sanic + Jinja2 autoescaped templates, server-rendered)."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
import time
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import urlencode, urlparse
from zoneinfo import ZoneInfo

import jinja2
from sanic import Sanic, response
from sanic.handlers import ErrorHandler
from sanic.request import Request
from sanic.response import HTTPResponse

from console import annotations as notes
from console import audit, auth, bookings, callbacks, charts, masking, outbox, retention, roles
from console.conversations import (
    Filters,
    known_values,
    list_conversations,
    personal_values,
    transcript,
    user_message,
)
from console.db import Database, reviews
from console.settings import Settings

logger = logging.getLogger("console")
HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
PUBLIC_PATHS = ("/login", "/healthz")
# The audit actor of a failed login whose username names no account: what was typed may be a
# password, so it is not kept.
UNKNOWN_USER = "(unknown user)"
DONE_MESSAGES = {  # fixed texts only: nothing from the request is reflected
    "reviewed": "Marked as reviewed.", "unreviewed": "Review mark removed.",
    "annotated": "Annotation saved.", "deleted": "The conversation was deleted.",
    "nothing_to_export": "There are no annotations waiting to be exported.",
    "purged": "Retention purge done.", "booking_updated": "Booking updated.",
    "confirm": "Tick the confirmation box first.", "bad_intent": "Choose an intent from the list.",
    "not_found": "That item no longer exists.", "loggedout": "You are logged out.",
    "outbox_retried": "The message will be sent again.",
    "callback_done": "Request marked as done.",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                "script-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'; object-src 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class QuietErrorHandler(ErrorHandler):
    """Logs errors with the path only: query strings may hold search text (PII)."""

    def log(self, request: Request, exception: Exception) -> None:  # type: ignore[override]
        status = getattr(exception, "status_code", 500)
        if status >= 500:
            logger.error("error %s handling %s %s", type(exception).__name__,
                         request.method, request.path, exc_info=exception)


def cookie_name(settings: Settings, base: str) -> str:
    # The __Host- prefix makes browsers refuse the cookie unless Secure, Path=/ and no Domain.
    return f"__Host-{base}" if settings.cookie_secure else base


def set_cookie(settings: Settings, resp: HTTPResponse, name: str, value: str,
               max_age: int) -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["path"] = "/"
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["max-age"] = max_age
    if settings.cookie_secure:
        cookie["secure"] = True


def clear_cookie(settings: Settings, resp: HTTPResponse, name: str) -> None:
    set_cookie(settings, resp, name, "", 0)


def safe_next(target: Optional[str]) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/conversations"
    return target


def create_app(settings: Optional[Settings] = None, name: str = "staff_console") -> Sanic:
    settings = settings or Settings.from_env()
    db = Database(settings)
    tz = ZoneInfo(settings.timezone)
    masking.set_public_contacts(settings.public_contacts)
    app = Sanic(name, error_handler=QuietErrorHandler())
    app.config.FORWARDED_SECRET = None
    app.config.REQUEST_MAX_SIZE = 1_000_000
    app.ctx.db = db
    app.ctx.settings = settings
    app.static("/static", str(HERE / "static"), name="static")
    intents_cache: Dict[str, Any] = {}

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(["html", "xml"], default=True),
        undefined=jinja2.StrictUndefined,
    )

    def fmt_ts(value: Optional[float]) -> str:
        if value is None:
            return ""
        return dt.datetime.fromtimestamp(value, tz).strftime("%Y-%m-%d %H:%M")

    def fmt_conf(value: Optional[float]) -> str:
        return "" if value is None else f"{value:.2f}"

    env.filters["ts"] = fmt_ts
    env.filters["conf"] = fmt_conf
    env.filters["safe_url"] = lambda u: u if str(u).startswith(("https://", "http://")) else "#"
    env.globals["urlencode"] = urlencode
    env.globals["can"] = lambda session, name: bool(session) and roles.allowed(session.role, name)

    def domain_intents() -> list:
        if "intents" not in intents_cache:
            intents_cache["intents"] = notes.domain_intents(settings.domain_file)
        return intents_cache["intents"]

    def render(request: Request, template: str, status: int = 200, **context: Any) -> HTTPResponse:
        session = getattr(request.ctx, "session", None)
        done = request.args.get("done")
        html = env.get_template(template).render(
            session=session, csrf_token=session.csrf_token if session else "",
            path=request.path, done=DONE_MESSAGES.get(done or ""), **context)
        return response.html(html, status=status)

    def actor(request: Request) -> str:
        return request.ctx.session.username

    def redirect_done(target: str, done: str) -> HTTPResponse:
        sep = "&" if "?" in target else "?"
        return response.redirect(f"{target}{sep}done={done}")

    def can_open(role: Optional[str], target: str) -> bool:
        """Whether the role may GET the page at `target` (a path from safe_next)."""
        try:
            route = app.router.get(urlparse(target).path, "GET", None)[0]
        except Exception:  # no such page
            return False
        return roles.allowed(role, roles.route_name(route.name))

    def same_origin(request: Request) -> bool:
        origin = request.headers.get("origin")
        if not origin or origin == "null":
            return origin is None  # "null" is what sandboxed/cross-site contexts send
        return urlparse(origin).netloc == request.host

    # ------------------------------------------------------------------- middleware

    @app.on_request
    async def require_login(request: Request) -> Optional[HTTPResponse]:
        request.ctx.session = None
        if request.path.startswith("/static/") or request.path in PUBLIC_PATHS:
            return None
        token = request.cookies.get(cookie_name(settings, SESSION_COOKIE))
        session = auth.get_session(db, token)
        if session is None:
            target = request.path + (f"?{request.query_string}" if request.query_string
                                     and request.method == "GET" else "")
            return response.redirect("/login?" + urlencode({"next": target}))
        request.ctx.session = session
        name = roles.route_name(getattr(request.route, "name", None))
        if not roles.allowed(session.role, name):
            audit.record(db, session.username, "forbidden", request.path)
            return response.html(env.get_template("error.html").render(
                session=session, csrf_token=session.csrf_token, path=request.path, done=None,
                title="Not allowed",
                message=f"Your role ({session.role}) does not include this page or action. "
                        "Ask an administrator if you need it."), status=403)
        if request.method not in ("GET", "HEAD"):
            form = request.form or {}
            if not same_origin(request) or not auth.tokens_match(
                    session.csrf_token, form.get("csrf_token")):
                audit.record(db, session.username, "csrf_rejected", request.path)
                return response.html(env.get_template("error.html").render(
                    session=session, csrf_token=session.csrf_token, path=request.path, done=None,
                    title="Request refused",
                    message="This form was not sent from the console (missing or wrong CSRF "
                            "token). Reload the page and try again."), status=403)
        return None

    @app.on_response
    async def security_headers(request: Request, resp: HTTPResponse) -> None:
        for key, value in SECURITY_HEADERS.items():
            resp.headers.setdefault(key, value)
        if not request.path.startswith("/static/"):
            resp.headers["Cache-Control"] = "no-store"

    # ------------------------------------------------------------------- login

    @app.get("/healthz")
    async def healthz(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    def login_page(request: Request, status: int = 200, error: str = "",
                   username: str = "") -> HTTPResponse:
        # Reuse the browser's current token: another tab or a stray request (favicon) that
        # lands on /login must not invalidate the form already on screen.
        token = request.cookies.get(cookie_name(settings, LOGIN_CSRF_COOKIE)) or ""
        if not (32 <= len(token) <= 64) or not token.replace("-", "").replace("_", "").isalnum():
            token = secrets.token_urlsafe(32)
        resp = response.html(env.get_template("login.html").render(
            session=None, csrf_token=token, path="/login", error=error, username=username,
            next=safe_next(request.args.get("next") or (request.form or {}).get("next")),
            done=DONE_MESSAGES.get(request.args.get("done") or "")), status=status)
        set_cookie(settings, resp, cookie_name(settings, LOGIN_CSRF_COOKIE), token, 3600)
        return resp

    @app.get("/login")
    async def login_form(request: Request) -> HTTPResponse:
        if auth.get_session(db, request.cookies.get(cookie_name(settings, SESSION_COOKIE))):
            return response.redirect(safe_next(request.args.get("next")))
        return login_page(request)

    @app.post("/login")
    async def login(request: Request) -> HTTPResponse:
        form = request.form or {}
        expected = request.cookies.get(cookie_name(settings, LOGIN_CSRF_COOKIE))
        if not same_origin(request) or not auth.tokens_match(expected, form.get("csrf_token")):
            return login_page(request, 403, "The login form expired or was not sent from this "
                                            "site. Please try again.")
        username = (form.get("username") or "").strip()[:64]
        client = auth.client_key(request.ip)
        try:
            user_id = auth.authenticate(db, username, form.get("password") or "", client)
        except auth.AuthError:
            audit.record(db, auth.account_name(db, username) or UNKNOWN_USER, "login_locked")
            await asyncio.sleep(settings.failure_delay_seconds)
            return login_page(request, 429, "Too many failed attempts. Login is locked for a "
                                            "while; try again later.", username)
        if user_id is None:
            audit.record(db, auth.account_name(db, username) or UNKNOWN_USER, "login_failed")
            await asyncio.sleep(settings.failure_delay_seconds)
            return login_page(request, 401, "Wrong username or password.", username)
        token = auth.start_session(db, user_id)
        audit.record(db, username.lower(), "login")
        session = auth.get_session(db, token)
        target = safe_next(form.get("next"))
        if not can_open(session.role if session else None, target):
            target = roles.HOME.get(session.role if session else "", "/conversations")
        resp = response.redirect(target)
        set_cookie(settings, resp, cookie_name(settings, SESSION_COOKIE), token,
                   int(settings.session_hours * 3600))
        clear_cookie(settings, resp, cookie_name(settings, LOGIN_CSRF_COOKIE))
        return resp

    @app.post("/logout")
    async def logout(request: Request) -> HTTPResponse:
        auth.end_session(db, request.cookies.get(cookie_name(settings, SESSION_COOKIE)))
        audit.record(db, actor(request), "logout")
        resp = response.redirect("/login?done=loggedout")
        clear_cookie(settings, resp, cookie_name(settings, SESSION_COOKIE))
        return resp

    # ------------------------------------------------------------------- conversations

    @app.get("/")
    async def home(request: Request) -> HTTPResponse:
        return response.redirect(roles.HOME.get(request.ctx.session.role, "/conversations"))

    @app.get("/conversations")
    async def conversation_list(request: Request) -> HTTPResponse:
        filters = Filters.from_args(dict(request.args))
        try:
            page = max(1, int(request.args.get("page", "1")))
        except ValueError:
            page = 1
        rows, total = list_conversations(db, filters, page, settings.page_size)
        topics, intents = known_values(db)
        pages = max(1, -(-total // settings.page_size))
        return render(request, "conversations.html", rows=rows, total=total, page=page,
                      pages=pages, filters=filters, query=filters.as_query(), topics=topics,
                      intents=sorted(set(intents) | set(domain_intents())))

    @app.get("/transcript")
    async def transcript_view(request: Request) -> HTTPResponse:
        sender = request.args.get("sender") or ""
        data = transcript(db, sender)
        if data is None:
            return render(request, "error.html", 404, title="Not found",
                          message="There is no conversation with that id (it may have been "
                                  "deleted or purged).")
        audit.record(db, actor(request), "view_transcript", sender)
        return render(request, "transcript.html", t=data, intents=domain_intents(),
                      needs_new=notes.NEEDS_NEW_ANSWER)

    @app.post("/annotate")
    async def annotate(request: Request) -> HTTPResponse:
        form = request.form
        sender = form.get("sender") or ""
        try:
            event_id = int(form.get("event_id") or "")
        except ValueError:
            event_id = -1
        message = user_message(db, sender, event_id)
        back = "/transcript?" + urlencode({"sender": sender})
        if message is None:
            return redirect_done(back, "not_found")
        intent = form.get("intent") or ""
        if intent != notes.NEEDS_NEW_ANSWER and intent not in domain_intents():
            return redirect_done(back, "bad_intent")
        personal = personal_values(db, sender)
        annotation_id = notes.annotate(db, sender, event_id, message["text"], message["intent"],
                                       intent, form.get("note") or "", actor(request), personal)
        audit.record(db, actor(request), "annotate", sender, annotation=annotation_id,
                     event_id=event_id, intent=intent, predicted=message["intent"])
        return redirect_done(back, "annotated")

    @app.post("/review")
    async def review(request: Request) -> HTTPResponse:
        form = request.form
        sender = form.get("sender") or ""
        back = "/transcript?" + urlencode({"sender": sender})
        if transcript(db, sender) is None:
            return redirect_done("/conversations", "not_found")
        with db.console.begin() as conn:
            conn.execute(reviews.delete().where(reviews.c.sender_id == sender))
            if form.get("action") != "unmark":
                conn.execute(reviews.insert().values(sender_id=sender, reviewed_by=actor(request),
                                                     reviewed_at=time.time()))
        done = "unreviewed" if form.get("action") == "unmark" else "reviewed"
        audit.record(db, actor(request), f"mark_{done}", sender)
        return redirect_done(back, done)

    @app.post("/delete")
    async def delete(request: Request) -> HTTPResponse:
        form = request.form
        sender = form.get("sender") or ""
        if form.get("confirm") != "yes":
            return redirect_done("/transcript?" + urlencode({"sender": sender}), "confirm")
        retention.delete_conversation(db, sender, actor(request),
                                      form.get("reason") or "visitor request")
        return redirect_done("/conversations", "deleted")

    # ------------------------------------------------------------------- annotations/export

    @app.get("/annotations")
    async def annotations_view(request: Request) -> HTTPResponse:
        return render(request, "annotations.html", pending=notes.pending(db),
                      recent=notes.recent(db, 50), exports=notes.list_exports(db),
                      needs_new=notes.NEEDS_NEW_ANSWER)

    @app.post("/annotations/export")
    async def export(request: Request) -> HTTPResponse:
        result = notes.export_pending(db, actor(request), domain_intents())
        if result is None:
            return redirect_done("/annotations", "nothing_to_export")
        audit.record(db, actor(request), "export_annotations", result["filename"],
                     export_id=result["id"], examples=result["n_examples"],
                     annotations=result["n_annotations"])
        return _download(result["filename"], result["content"])

    @app.get("/annotations/exports/<export_id:int>")
    async def export_download(request: Request, export_id: int) -> HTTPResponse:
        item = notes.get_export(db, export_id)
        if item is None:
            return render(request, "error.html", 404, title="Not found",
                          message="No such export.")
        audit.record(db, actor(request), "download_export", item["filename"], export_id=export_id)
        return _download(item["filename"], item["content"])

    # ------------------------------------------------------------------- charts

    @app.get("/charts")
    async def charts_view(request: Request) -> HTTPResponse:
        today = dt.datetime.now(tz).date()
        filters = Filters.from_args(dict(request.args))
        date_to = filters.date_to or today
        date_from = filters.date_from or (date_to - dt.timedelta(days=29))
        if date_from > date_to:
            date_from, date_to = date_to, date_from
        date_from = max(date_from, date_to - dt.timedelta(days=365))
        data = charts.stats(db, date_from, date_to)
        return render(request, "charts.html", svg=charts.render_all(data), data=data,
                      date_from=date_from, date_to=date_to)

    # ------------------------------------------------------------------- bookings

    @app.get("/bookings")
    async def bookings_view(request: Request) -> HTTPResponse:
        filters = Filters.from_args(dict(request.args))
        if "date_from" not in request.args:  # default: from a week ago on
            filters.date_from = dt.datetime.now(tz).date() - dt.timedelta(days=7)
        status = request.args.get("status") or ""
        rows, error = bookings.list_bookings(filters.date_from, filters.date_to, status, tz)
        if rows:
            audit.record(db, actor(request), "view_bookings", None, count=len(rows))
        return render(request, "bookings.html", rows=rows, error=error, filters=filters,
                      booking_status=status, statuses=bookings.STATUSES, actions=bookings.ACTIONS)

    @app.post("/bookings/update")
    async def booking_update(request: Request) -> HTTPResponse:
        form = request.form
        reference, action = form.get("reference") or "", form.get("action") or ""
        ok = bookings.update(reference, action)
        if ok:
            audit.record(db, actor(request), f"booking_{action}", reference)
        return redirect_done("/bookings", "booking_updated" if ok else "not_found")

    # ------------------------------------------------------------------- retention, audit

    @app.get("/retention")
    async def retention_view(request: Request) -> HTTPResponse:
        return render(request, "retention.html", days=settings.retention_days,
                      last=audit.entries(db, 1, 5, "retention_purge")[0])

    @app.post("/retention/purge")
    async def purge(request: Request) -> HTTPResponse:
        form = request.form
        try:
            days = int(form.get("days") or settings.retention_days)
        except ValueError:
            days = settings.retention_days
        if form.get("confirm") != "yes" or days < 1:
            return redirect_done("/retention", "confirm")
        retention.purge(db, days, actor(request))
        return redirect_done("/retention", "purged")

    @app.get("/audit")
    async def audit_view(request: Request) -> HTTPResponse:
        try:
            page = max(1, int(request.args.get("page", "1")))
        except ValueError:
            page = 1
        action = request.args.get("action") or ""
        rows, total = audit.entries(db, page, 50, action)
        return render(request, "audit.html", rows=rows, total=total, page=page,
                      pages=max(1, -(-total // 50)), action=action, actions=audit.actions(db))

    app.blueprint(outbox.create_blueprint(render))  # outbox and local mail (console/outbox.py)
    app.blueprint(callbacks.create_blueprint(render))  # call-back requests (console/callbacks.py)
    return app


def _download(filename: str, content: str) -> HTTPResponse:
    return response.text(content, content_type="application/x-yaml; charset=utf-8",
                         headers={"Content-Disposition": f'attachment; filename="{filename}"'})


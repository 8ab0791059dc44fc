"""Login, logout, the home redirect and the health check."""

from __future__ import annotations

import asyncio
import secrets
from urllib.parse import urlparse

from sanic import Blueprint, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from console import audit, auth, roles
from console.blueprints.auth.guard import same_origin
from console.web import (
    DONE_MESSAGES,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    ConsoleContext,
    actor,
    ctx,
    safe_next,
)

# The audit actor of a failed login whose username names no account: what was typed may be a
# password, so it is not kept.
UNKNOWN_USER = "(unknown user)"


def can_open(request: Request, role: str | None, target: str) -> bool:
    """Whether the role may GET the page at `target` (a path from safe_next)."""
    try:
        route = request.app.router.get(urlparse(target).path, "GET", None)[0]
    except SanicException:  # no such page (or no GET on it)
        return False
    return roles.allowed(role, roles.route_name(route.name))


def login_page(request: Request, status: int = 200, error: str = "", username: str = "") -> HTTPResponse:
    c: ConsoleContext = ctx(request)
    # Reuse the browser's current token: another tab or a stray request (favicon) that
    # lands on /login must not invalidate the form already on screen.
    token = request.cookies.get(c.cookie_name(LOGIN_CSRF_COOKIE)) or ""
    if not (32 <= len(token) <= 64) or not token.replace("-", "").replace("_", "").isalnum():
        token = secrets.token_urlsafe(32)
    resp = response.html(
        c.env.get_template("login.html").render(
            session=None,
            csrf_token=token,
            path="/login",
            error=error,
            username=username,
            next=safe_next(request.args.get("next") or (request.form or {}).get("next")),
            done=DONE_MESSAGES.get(request.args.get("done") or ""),
        ),
        status=status,
    )
    c.set_cookie(resp, c.cookie_name(LOGIN_CSRF_COOKIE), token, 3600)
    return resp


def blueprint() -> Blueprint:
    bp = Blueprint("auth")

    @bp.get("/healthz")
    async def healthz(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @bp.get("/")
    async def home(request: Request) -> HTTPResponse:
        return response.redirect(roles.HOME.get(request.ctx.session.role, "/conversations"))

    @bp.get("/login")
    async def login_form(request: Request) -> HTTPResponse:
        c = ctx(request)
        if auth.get_session(c.db, request.cookies.get(c.cookie_name(SESSION_COOKIE))):
            return response.redirect(safe_next(request.args.get("next")))
        return login_page(request)

    @bp.post("/login")
    async def login(request: Request) -> HTTPResponse:
        c = ctx(request)
        form = request.form or {}
        expected = request.cookies.get(c.cookie_name(LOGIN_CSRF_COOKIE))
        if not same_origin(request) or not auth.tokens_match(expected, form.get("csrf_token")):
            return login_page(
                request, 403, "The login form expired or was not sent from this site. Please try again."
            )
        username = (form.get("username") or "").strip()[:64]
        client = auth.client_key(request.ip)
        try:
            user_id = auth.authenticate(c.db, username, form.get("password") or "", client)
        except auth.AuthError:
            audit.record(c.db, auth.account_name(c.db, username) or UNKNOWN_USER, "login_locked")
            await asyncio.sleep(c.settings.failure_delay_seconds)
            return login_page(
                request,
                429,
                "Too many failed attempts. Login is locked for a while; try again later.",
                username,
            )
        if user_id is None:
            audit.record(c.db, auth.account_name(c.db, username) or UNKNOWN_USER, "login_failed")
            await asyncio.sleep(c.settings.failure_delay_seconds)
            return login_page(request, 401, "Wrong username or password.", username)
        token = auth.start_session(c.db, user_id)
        audit.record(c.db, username.lower(), "login")
        session = auth.get_session(c.db, token)
        role = session.role if session else None
        target = safe_next(form.get("next"))
        if not can_open(request, role, target):
            target = roles.HOME.get(role or "", "/conversations")
        resp = response.redirect(target)
        c.set_cookie(resp, c.cookie_name(SESSION_COOKIE), token, int(c.settings.session_hours * 3600))
        c.clear_cookie(resp, c.cookie_name(LOGIN_CSRF_COOKIE))
        return resp

    @bp.post("/logout")
    async def logout(request: Request) -> HTTPResponse:
        c = ctx(request)
        auth.end_session(c.db, request.cookies.get(c.cookie_name(SESSION_COOKIE)))
        audit.record(c.db, actor(request), "logout")
        resp = response.redirect("/login?done=loggedout")
        c.clear_cookie(resp, c.cookie_name(SESSION_COOKIE))
        return resp

    return bp

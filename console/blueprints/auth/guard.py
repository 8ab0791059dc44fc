"""The app-wide request guard: a session for every page but the public ones, the role's
access to the route, and a same-origin CSRF-token check on every form post."""

from __future__ import annotations

from urllib.parse import urlencode, urlparse

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from console import audit, auth, roles
from console.web import SESSION_COOKIE, ctx

PUBLIC_PATHS = ("/login", "/healthz")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None  # "null" is what sandboxed/cross-site contexts send
    return urlparse(origin).netloc == request.host


def _refuse(request: Request, title: str, message: str) -> HTTPResponse:
    c, session = ctx(request), request.ctx.session
    return response.html(
        c.env.get_template("error.html").render(
            session=session,
            csrf_token=session.csrf_token,
            path=request.path,
            done=None,
            title=title,
            message=message,
        ),
        status=403,
    )


async def require_login(request: Request) -> HTTPResponse | None:
    request.ctx.session = None
    if request.path.startswith("/static/") or request.path in PUBLIC_PATHS:
        return None
    c = ctx(request)
    session = auth.get_session(c.db, request.cookies.get(c.cookie_name(SESSION_COOKIE)))
    if session is None:
        target = request.path + (
            f"?{request.query_string}" if request.query_string and request.method == "GET" else ""
        )
        return response.redirect("/login?" + urlencode({"next": target}))
    request.ctx.session = session
    name = roles.route_name(getattr(request.route, "name", None))
    if not roles.allowed(session.role, name):
        audit.record(c.db, session.username, "forbidden", request.path)
        return _refuse(
            request,
            "Not allowed",
            f"Your role ({session.role}) does not include this page or action. "
            "Ask an administrator if you need it.",
        )
    if request.method not in ("GET", "HEAD"):
        form = request.form or {}
        if not same_origin(request) or not auth.tokens_match(session.csrf_token, form.get("csrf_token")):
            audit.record(c.db, session.username, "csrf_rejected", request.path)
            return _refuse(
                request,
                "Request refused",
                "This form was not sent from the console (missing or wrong CSRF "
                "token). Reload the page and try again.",
            )
    return None


async def security_headers(request: Request, resp: HTTPResponse) -> None:
    for key, value in SECURITY_HEADERS.items():
        resp.headers.setdefault(key, value)
    if not request.path.startswith("/static/"):
        resp.headers["Cache-Control"] = "no-store"

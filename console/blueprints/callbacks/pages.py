"""Console page for call-back requests made in the chat (a Sanic Blueprint, registered by one
line in app.py): open requests first, with name, contact, best time; staff mark them done.
Names and contacts: schedulers and admins only (console/roles.py), viewing audit-logged."""

from __future__ import annotations

import logging

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from console import audit
from console.blueprints.notifications.pages import Render
from practice.notifications.callbacks import CallbackStore
from practice.notifications.tables import DONE, OPEN

logger = logging.getLogger(__name__)


def callback_store() -> CallbackStore:
    from console.bookings import eraser  # opens (and migrates) the bookings' database

    return CallbackStore(eraser().engine)


def create_blueprint(render: Render) -> Blueprint:
    bp = Blueprint("callbacks")

    @bp.get("/callbacks")
    async def callbacks_view(request: Request) -> HTTPResponse:
        status = request.args.get("status") or OPEN
        if status not in (OPEN, DONE):
            status = OPEN
        try:
            rows, error = callback_store().list(status), None
        except Exception as exc:  # the bookings' database is not reachable
            logger.error("call-back requests unavailable: %s", type(exc).__name__)
            rows, error = [], "The requests database is not available."
        audit.record(
            request.app.ctx.db, request.ctx.session.username, "view_callbacks", status, count=len(rows)
        )
        return render(request, "callbacks.html", rows=rows, shown=status, error=error)

    @bp.post("/callbacks/done")
    async def callback_done(request: Request) -> HTTPResponse:
        reference = ((request.form or {}).get("reference") or "")[:16]
        actor = request.ctx.session.username
        ok = bool(reference) and callback_store().mark_done(reference, actor)
        if ok:
            audit.record(request.app.ctx.db, actor, "callback_done", reference.upper())
        return redirect(f"/callbacks?done={'callback_done' if ok else 'not_found'}")

    return bp

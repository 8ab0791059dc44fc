"""Console pages for notifications (a Sanic Blueprint, registered by one line in app.py):

- /outbox: messages waiting, sent, dead (with "Send again" for a dead one) and cancelled;
- /outbox/<id>: one message as written (recipient, subject, body, invite);
- /mail, /mail/<name>: the local SMTP sink's messages (var/mail/*.eml, `make run`).

They show recipients' addresses, so they are for schedulers and admins (console/roles.py);
viewing is audit-logged like the bookings view. The outbox is read in the bookings' database
(BOOKING_DB_URL) through the same store the bookings view uses.
"""

from __future__ import annotations

import logging
from typing import Callable, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from console import audit
from practice.notifications.mailbox import list_mail, read_mail
from practice.notifications.outbox import Outbox
from practice.notifications.settings import NotificationSettings
from practice.notifications.tables import CANCELLED, DEAD, PENDING, SENDING, SENT

logger = logging.getLogger(__name__)
Render = Callable[..., HTTPResponse]
VIEWS = {"waiting": (PENDING, SENDING), "sent": (SENT,), "dead": (DEAD,), "cancelled": (CANCELLED,)}


def outbox_store() -> Outbox:
    from console.bookings import eraser  # opens (and migrates) the bookings' database

    return Outbox(eraser().engine)


def _settings() -> Optional[NotificationSettings]:
    try:
        return NotificationSettings.load()
    except (OSError, ValueError):
        return None


def create_blueprint(render: Render) -> Blueprint:
    bp = Blueprint("notifications")

    def actor(request: Request) -> str:
        return request.ctx.session.username

    @bp.get("/outbox")
    async def outbox_view(request: Request) -> HTTPResponse:
        view = request.args.get("view") or "waiting"
        if view not in VIEWS:
            view = "waiting"
        try:
            outbox = outbox_store()
            rows, counts, error = outbox.list(VIEWS[view], limit=300), outbox.counts(), None
        except Exception as exc:  # the bookings' database is not reachable
            logger.error("outbox unavailable: %s", type(exc).__name__)
            rows, counts, error = [], {}, "The outbox database is not available."
        audit.record(request.app.ctx.db, actor(request), "view_outbox", view, count=len(rows))
        return render(
            request, "outbox.html", rows=rows, counts=counts, view=view, views=list(VIEWS), error=error
        )

    @bp.get("/outbox/<message_id:int>")
    async def outbox_message(request: Request, message_id: int) -> HTTPResponse:
        message = outbox_store().get(message_id)
        if message is None:
            return render(
                request,
                "error.html",
                404,
                title="Not found",
                message="No such message (it may have been purged).",
            )
        audit.record(request.app.ctx.db, actor(request), "view_outbox_message", str(message_id))
        return render(request, "outbox_message.html", m=message)

    @bp.post("/outbox/retry")
    async def outbox_retry(request: Request) -> HTTPResponse:
        try:
            message_id = int((request.form or {}).get("id") or "")
        except ValueError:
            message_id = -1
        ok = message_id > 0 and outbox_store().retry(message_id)
        if ok:
            audit.record(request.app.ctx.db, actor(request), "outbox_retry", str(message_id))
        return redirect(f"/outbox?view=dead&done={'outbox_retried' if ok else 'not_found'}")

    @bp.get("/mail")
    async def mail_view(request: Request) -> HTTPResponse:
        settings = _settings()
        directory = settings.mail_sink_dir if settings else None
        mails = list_mail(directory) if directory else []
        audit.record(request.app.ctx.db, actor(request), "view_mail", None, count=len(mails))
        return render(request, "mail.html", mails=mails, directory=str(directory or ""))

    @bp.get("/mail/<name:str>")
    async def mail_message(request: Request, name: str) -> HTTPResponse:
        settings = _settings()
        mail = read_mail(settings.mail_sink_dir, name) if settings else None
        if mail is None:
            return render(request, "error.html", 404, title="Not found", message="No such message.")
        audit.record(request.app.ctx.db, actor(request), "view_mail_message", name)
        return render(request, "mail_message.html", mail=mail)

    return bp

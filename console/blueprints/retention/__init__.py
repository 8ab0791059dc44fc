"""Deleting a conversation on a visitor's request and the retention purge."""

from __future__ import annotations

from urllib.parse import urlencode

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from console import audit, retention
from console.web import actor, ctx, redirect_done, render


def blueprint() -> Blueprint:
    bp = Blueprint("retention")

    @bp.post("/delete")
    async def delete(request: Request) -> HTTPResponse:
        form = request.form
        sender = form.get("sender") or ""
        if form.get("confirm") != "yes":
            return redirect_done("/transcript?" + urlencode({"sender": sender}), "confirm")
        retention.delete_conversation(
            ctx(request).db, sender, actor(request), form.get("reason") or "visitor request"
        )
        return redirect_done("/conversations", "deleted")

    @bp.get("/retention")
    async def retention_view(request: Request) -> HTTPResponse:
        c = ctx(request)
        return render(
            request,
            "retention.html",
            days=c.settings.retention_days,
            last=audit.entries(c.db, 1, 5, "retention_purge")[0],
        )

    @bp.post("/retention/purge")
    async def purge(request: Request) -> HTTPResponse:
        c = ctx(request)
        form = request.form
        try:
            days = int(form.get("days") or c.settings.retention_days)
        except ValueError:
            days = c.settings.retention_days
        if form.get("confirm") != "yes" or days < 1:
            return redirect_done("/retention", "confirm")
        retention.purge(c.db, days, actor(request))
        return redirect_done("/retention", "purged")

    return bp

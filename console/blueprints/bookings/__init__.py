"""The bookings (the only view with names and contact details) and their status updates."""

from __future__ import annotations

import datetime as dt

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from console import audit, bookings
from console.conversations import Filters
from console.web import actor, ctx, redirect_done, render


def blueprint() -> Blueprint:
    bp = Blueprint("bookings")

    @bp.get("/bookings")
    async def bookings_view(request: Request) -> HTTPResponse:
        c = ctx(request)
        filters = Filters.from_args(dict(request.args))
        if "date_from" not in request.args:  # default: from a week ago on
            filters.date_from = dt.datetime.now(c.tz).date() - dt.timedelta(days=7)
        status = request.args.get("status") or ""
        rows, error = bookings.list_bookings(filters.date_from, filters.date_to, status, c.tz)
        if rows:
            audit.record(c.db, actor(request), "view_bookings", None, count=len(rows))
        return render(
            request,
            "bookings.html",
            rows=rows,
            error=error,
            filters=filters,
            booking_status=status,
            statuses=bookings.STATUSES,
            actions=bookings.ACTIONS,
        )

    @bp.post("/bookings/update")
    async def booking_update(request: Request) -> HTTPResponse:
        form = request.form
        reference, action = form.get("reference") or "", form.get("action") or ""
        ok = bookings.update(reference, action)
        if ok:
            audit.record(ctx(request).db, actor(request), f"booking_{action}", reference)
        return redirect_done("/bookings", "booking_updated" if ok else "not_found")

    return bp

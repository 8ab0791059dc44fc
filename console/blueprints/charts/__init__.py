"""Charts over a date range: conversations, fallback rate, topics, confidence, bookings, and
per-topic helpfulness (thumbs up/down) with the helpful share and fallback rate per week."""

from __future__ import annotations

import datetime as dt

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from console import charts, helpfulness
from console.conversations import Filters
from console.web import ctx, render


def blueprint() -> Blueprint:
    bp = Blueprint("charts")

    @bp.get("/charts")
    async def charts_view(request: Request) -> HTTPResponse:
        c = ctx(request)
        today = dt.datetime.now(c.tz).date()
        filters = Filters.from_args(dict(request.args))
        date_to = filters.date_to or today
        date_from = filters.date_from or (date_to - dt.timedelta(days=29))
        if date_from > date_to:
            date_from, date_to = date_to, date_from
        date_from = max(date_from, date_to - dt.timedelta(days=365))
        data = charts.stats(c.db, date_from, date_to)
        helpful = helpfulness.stats(c.db, date_from, date_to, request.args.get("topic") or None)
        return render(
            request,
            "charts.html",
            svg=charts.render_all(data),
            data=data,
            helpful=helpful,
            helpful_svg=helpfulness.render(helpful),
            date_from=date_from,
            date_to=date_to,
        )

    return bp

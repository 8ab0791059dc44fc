"""The conversation list (filters, search), transcripts and review marks."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from console import annotations as notes
from console import audit
from console.conversations import Filters, known_values, list_conversations, transcript
from console.db import reviews
from console.web import actor, ctx, not_found, page_number, redirect_done, render


def blueprint() -> Blueprint:
    bp = Blueprint("conversations")

    @bp.get("/conversations")
    async def conversation_list(request: Request) -> HTTPResponse:
        c = ctx(request)
        filters = Filters.from_args(dict(request.args))
        page = page_number(request)
        rows, total = list_conversations(c.db, filters, page, c.settings.page_size)
        topics, intents = known_values(c.db)
        pages = max(1, -(-total // c.settings.page_size))
        return render(
            request,
            "conversations.html",
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            filters=filters,
            query=filters.as_query(),
            topics=topics,
            intents=sorted(set(intents) | set(c.domain_intents())),
        )

    @bp.get("/transcript")
    async def transcript_view(request: Request) -> HTTPResponse:
        c = ctx(request)
        sender = request.args.get("sender") or ""
        data = transcript(c.db, sender)
        if data is None:
            return not_found(
                request, "There is no conversation with that id (it may have been deleted or purged)."
            )
        audit.record(c.db, actor(request), "view_transcript", sender)
        return render(
            request, "transcript.html", t=data, intents=c.domain_intents(), needs_new=notes.NEEDS_NEW_ANSWER
        )

    @bp.post("/review")
    async def review(request: Request) -> HTTPResponse:
        c = ctx(request)
        form = request.form
        sender = form.get("sender") or ""
        back = "/transcript?" + urlencode({"sender": sender})
        if transcript(c.db, sender) is None:
            return redirect_done("/conversations", "not_found")
        with c.db.console.begin() as conn:
            conn.execute(reviews.delete().where(reviews.c.sender_id == sender))
            if form.get("action") != "unmark":
                conn.execute(
                    reviews.insert().values(
                        sender_id=sender, reviewed_by=actor(request), reviewed_at=time.time()
                    )
                )
        done = "unreviewed" if form.get("action") == "unmark" else "reviewed"
        audit.record(c.db, actor(request), f"mark_{done}", sender)
        return redirect_done(back, done)

    return bp

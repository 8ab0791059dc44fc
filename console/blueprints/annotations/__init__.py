"""Annotating a visitor message with the right intent, the annotation list and its export
as NLU YAML."""

from __future__ import annotations

from urllib.parse import urlencode

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from console import annotations as notes
from console import audit
from console.conversations import personal_values, user_message
from console.web import actor, ctx, download, not_found, redirect_done, render


def blueprint() -> Blueprint:
    bp = Blueprint("annotations")

    @bp.post("/annotate")
    async def annotate(request: Request) -> HTTPResponse:
        c = ctx(request)
        form = request.form
        sender = form.get("sender") or ""
        try:
            event_id = int(form.get("event_id") or "")
        except ValueError:
            event_id = -1
        message = user_message(c.db, sender, event_id)
        back = "/transcript?" + urlencode({"sender": sender})
        if message is None:
            return redirect_done(back, "not_found")
        intent = form.get("intent") or ""
        if intent != notes.NEEDS_NEW_ANSWER and intent not in c.domain_intents():
            return redirect_done(back, "bad_intent")
        personal = personal_values(c.db, sender)
        annotation_id = notes.annotate(
            c.db,
            sender,
            event_id,
            message["text"],
            message["intent"],
            intent,
            form.get("note") or "",
            actor(request),
            personal,
        )
        audit.record(
            c.db,
            actor(request),
            "annotate",
            sender,
            annotation=annotation_id,
            event_id=event_id,
            intent=intent,
            predicted=message["intent"],
        )
        return redirect_done(back, "annotated")

    @bp.get("/annotations")
    async def annotations_view(request: Request) -> HTTPResponse:
        db = ctx(request).db
        return render(
            request,
            "annotations.html",
            pending=notes.pending(db),
            recent=notes.recent(db, 50),
            exports=notes.list_exports(db),
            needs_new=notes.NEEDS_NEW_ANSWER,
        )

    @bp.post("/annotations/export")
    async def export(request: Request) -> HTTPResponse:
        c = ctx(request)
        result = notes.export_pending(c.db, actor(request), c.domain_intents())
        if result is None:
            return redirect_done("/annotations", "nothing_to_export")
        audit.record(
            c.db,
            actor(request),
            "export_annotations",
            result["filename"],
            export_id=result["id"],
            examples=result["n_examples"],
            annotations=result["n_annotations"],
        )
        return download(result["filename"], result["content"])

    @bp.get("/annotations/exports/<export_id:int>")
    async def export_download(request: Request, export_id: int) -> HTTPResponse:
        c = ctx(request)
        item = notes.get_export(c.db, export_id)
        if item is None:
            return not_found(request, "No such export.")
        audit.record(c.db, actor(request), "download_export", item["filename"], export_id=export_id)
        return download(item["filename"], item["content"])

    return bp

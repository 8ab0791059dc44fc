"""Answer editing with review: editors propose a topic's new wording (previewed as the visitor
would get it, with the clinic's settings and the sources), another staff member approves or
rejects it, and an approved change is exported as a validated patch to knowledge/topics.yml.
Every step is in the audit log."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from console import audit
from console.answer_edits import knowledge, patch, store, validate
from console.web import actor, ctx, download, not_found, redirect_done, render


def _form_entry(request: Request) -> dict:
    form = request.form
    return {
        "answer": (form.get("answer") or "").strip(),
        "detail": (form.get("detail") or "").strip() or None,
        "sources": [s for s in form.getlist("source") or [] if s],
    }


def _editor(
    request: Request,
    topic_id: str,
    entry: dict | None = None,
    errors: list[str] | None = None,
    note: str = "",
    status: int = 200,
) -> HTTPResponse:
    kb = knowledge.load()
    base = knowledge.raw_topics()[topic_id]
    entry = entry or {
        "answer": base["answer"],
        "detail": base.get("detail"),
        "sources": list(base.get("sources") or []),
    }
    preview = None
    if not errors:
        try:
            preview = knowledge.render(kb, topic_id, entry["answer"], entry["detail"], entry["sources"])
        except Exception as error:  # noqa: BLE001 - shown to the editor, nothing saved
            errors = [f"the text does not render: {error}"]
    return render(
        request,
        "answer_edit.html",
        status,
        topic_id=topic_id,
        base=base,
        entry=entry,
        preview=preview,
        errors=errors or [],
        note=note,
        all_sources=kb.sources,
        defers=knowledge.defers(topic_id),
    )


def blueprint() -> Blueprint:
    bp = Blueprint("answers")

    @bp.get("/answers")
    async def answers_list(request: Request) -> HTTPResponse:
        changes = store.listing(ctx(request).db)
        return render(
            request, "answers.html", topics=knowledge.raw_topics(), changes=changes, states=store.STATES
        )

    @bp.get("/answers/edit")
    async def answer_edit(request: Request) -> HTTPResponse:
        topic_id = request.args.get("topic") or ""
        if topic_id not in knowledge.raw_topics():
            return not_found(request, "There is no topic with that id.")
        return _editor(request, topic_id)

    @bp.post("/answers/propose")
    async def answer_propose(request: Request) -> HTTPResponse:
        c = ctx(request)
        topic_id = request.form.get("topic") or ""
        topics = knowledge.raw_topics()
        if topic_id not in topics:
            return not_found(request, "There is no topic with that id.")
        entry = _form_entry(request)
        note = request.form.get("note") or ""
        errors = validate.check_entry(knowledge.load(), topic_id, topics[topic_id], entry)
        if errors or request.form.get("action") != "propose":  # preview, or fix first
            return _editor(request, topic_id, entry, errors, note, 422 if errors else 200)
        change_id = store.propose(
            c.db,
            topic_id,
            entry["answer"],
            entry["detail"],
            entry["sources"],
            topics[topic_id],
            note,
            actor(request),
        )
        audit.record(c.db, actor(request), "answer_proposed", topic_id, change=change_id)
        return redirect_done(f"/answers/change/{change_id}", "proposed")

    @bp.get("/answers/change/<change_id:int>")
    async def change_view(request: Request, change_id: int) -> HTTPResponse:
        change = store.get(ctx(request).db, change_id)
        if change is None:
            return not_found(request, "No such change.")
        kb = knowledge.load()
        preview = knowledge.render(
            kb, change["topic_id"], change["answer"], change["detail"], change["sources"]
        )
        return render(
            request,
            "answer_change.html",
            change=change,
            preview=preview,
            defers=knowledge.defers(change["topic_id"]),
        )

    async def _decide(request: Request, change_id: int, approve: bool) -> HTTPResponse:
        c = ctx(request)
        back = f"/answers/change/{change_id}"
        try:
            change = store.decide(c.db, change_id, actor(request), approve)
        except store.ReviewError:
            audit.record(c.db, actor(request), "answer_decision_refused", str(change_id))
            return redirect_done(back, "not_allowed_to_decide")
        action = "answer_approved" if approve else "answer_rejected"
        audit.record(c.db, actor(request), action, change["topic_id"], change=change_id)
        return redirect_done(back, "approved" if approve else "rejected")

    @bp.post("/answers/change/<change_id:int>/approve")
    async def change_approve(request: Request, change_id: int) -> HTTPResponse:
        return await _decide(request, change_id, True)

    @bp.post("/answers/change/<change_id:int>/reject")
    async def change_reject(request: Request, change_id: int) -> HTTPResponse:
        return await _decide(request, change_id, False)

    @bp.post("/answers/change/<change_id:int>/export")
    async def change_export(request: Request, change_id: int) -> HTTPResponse:
        c = ctx(request)
        back = f"/answers/change/{change_id}"
        change = store.get(c.db, change_id)
        if change is None or change["status"] != "approved":
            return redirect_done(back, "not_approved")
        entry = {"answer": change["answer"], "detail": change["detail"], "sources": change["sources"]}
        try:
            text = patch.make_patch(change["topic_id"], entry)
        except patch.PatchError as error:
            audit.record(
                c.db,
                actor(request),
                "answer_export_refused",
                change["topic_id"],
                change=change_id,
                reason=str(error)[:200],
            )
            return render(
                request,
                "error.html",
                422,
                title="Export refused",
                message=f"The change does not pass the knowledge checks: {error}",
            )
        store.mark_exported(c.db, change_id, actor(request), text)
        audit.record(c.db, actor(request), "answer_exported", change["topic_id"], change=change_id)
        return download(_patch_name(change), text, "text/x-diff; charset=utf-8")

    @bp.get("/answers/change/<change_id:int>/patch")
    async def change_patch(request: Request, change_id: int) -> HTTPResponse:
        c = ctx(request)
        change = store.get(c.db, change_id)
        if change is None or not change["patch"]:
            return not_found(request, "No exported patch for that change.")
        audit.record(c.db, actor(request), "answer_patch_downloaded", change["topic_id"], change=change_id)
        return download(_patch_name(change), change["patch"], "text/x-diff; charset=utf-8")

    return bp


def _patch_name(change: dict) -> str:
    return f"answer_{change['topic_id'].replace('.', '_')}_{change['id']}.patch"

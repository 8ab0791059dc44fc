"""What we can't answer yet: visitor messages that got the fallback, a low-confidence intent,
a thumbs-down or a denied check-in, grouped into clusters of similar questions, with bulk
actions per cluster: annotate every message with an intent (into the annotation export), or
mark them as needing a new topic, with a note."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from console import annotations as notes
from console import audit
from console.conversations import personal_values, user_message
from console.gaps import collect, report
from console.web import ConsoleContext, actor, ctx, redirect_done, render

MAX_BULK = 500
DAY_CHOICES = (7, 14, 28, 90)


def _keys(request: Request) -> list[tuple[str, int]]:
    keys = []
    for value in (request.form.getlist("message") or [])[:MAX_BULK]:
        sender, _, event_id = str(value).rpartition("|")
        if sender and event_id.isdigit():
            keys.append((sender, int(event_id)))
    return keys


def _annotate_all(c: ConsoleContext, request: Request, intent: str, note: str) -> list[int]:
    done, personal_cache = [], {}
    for sender, event_id in _keys(request):
        message = user_message(c.db, sender, event_id)
        if message is None:
            continue
        if sender not in personal_cache:
            personal_cache[sender] = personal_values(c.db, sender)
        notes.annotate(
            c.db,
            sender,
            event_id,
            message["text"],
            message["intent"],
            intent,
            note,
            actor(request),
            personal_cache[sender],
        )
        done.append(event_id)
    return done


def blueprint() -> Blueprint:
    bp = Blueprint("gaps")

    @bp.get("/gaps")
    async def gaps_view(request: Request) -> HTTPResponse:
        c = ctx(request)
        try:
            days = int(request.args.get("days", "28"))
        except ValueError:
            days = 28
        days = days if days in DAY_CHOICES else 28
        messages = collect.unanswered(c.db, days)
        clusters = report.build(messages)
        return render(
            request,
            "gaps.html",
            clusters=clusters,
            n_messages=len(messages),
            days=days,
            day_choices=DAY_CHOICES,
            intents=c.domain_intents(),
            reason_labels=REASON_LABELS,
        )

    @bp.post("/gaps/annotate")
    async def gaps_annotate(request: Request) -> HTTPResponse:
        c = ctx(request)
        intent = request.form.get("intent") or ""
        if intent not in c.domain_intents():
            return redirect_done("/gaps", "bad_intent")
        done = _annotate_all(c, request, intent, request.form.get("note") or "")
        if not done:
            return redirect_done("/gaps", "nothing_selected")
        audit.record(c.db, actor(request), "bulk_annotate", intent, count=len(done), event_ids=done[:100])
        return redirect_done("/gaps", "bulk_annotated")

    @bp.post("/gaps/new-topic")
    async def gaps_new_topic(request: Request) -> HTTPResponse:
        c = ctx(request)
        note = (request.form.get("note") or "").strip()
        if not note:
            return redirect_done("/gaps", "note_needed")
        done = _annotate_all(c, request, notes.NEEDS_NEW_ANSWER, note)
        if not done:
            return redirect_done("/gaps", "nothing_selected")
        audit.record(
            c.db,
            actor(request),
            "new_topic_needed",
            None,
            count=len(done),
            event_ids=done[:100],
            note=note[:200],
        )
        return redirect_done("/gaps", "new_topic_marked")

    return bp


REASON_LABELS = {
    "fallback": "fallback",
    "low_confidence": "low confidence",
    "negative_feedback": "thumbs-down",
    "check_in_denied": "check-in denied",
}

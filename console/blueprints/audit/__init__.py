"""The audit log (who did what, when), filterable by action."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from console import audit
from console.web import ctx, page_number, render

PAGE_SIZE = 50


def blueprint() -> Blueprint:
    bp = Blueprint("audit")

    @bp.get("/audit")
    async def audit_view(request: Request) -> HTTPResponse:
        page = page_number(request)
        action = request.args.get("action") or ""
        db = ctx(request).db
        rows, total = audit.entries(db, page, PAGE_SIZE, action)
        return render(
            request,
            "audit.html",
            rows=rows,
            total=total,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            action=action,
            actions=audit.actions(db),
        )

    return bp

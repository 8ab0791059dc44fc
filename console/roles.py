"""Who may do what in the console: each route names the roles allowed on it (least privilege).

- reviewer: the conversation list and transcripts (contact details masked), annotating and
  review marks, the annotations list, what we can't answer yet (gaps), charts;
- scheduler: the bookings, call-back requests, the outbox and local mail (the views with
  names and contacts), charts;
- editor: answer wordings (propose, approve someone else's, export as a patch), charts;
- admin: everything, including deletion, the retention purge, exports and the audit log.

A route missing from ACCESS is refused for everyone (tests/console/test_roles.py checks that
every route of the app is listed).
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Optional

ROLES = ("reviewer", "scheduler", "editor", "admin")
DEFAULT_ROLE = "reviewer"

_ALL = frozenset(ROLES)
_REVIEW = frozenset({"reviewer", "admin"})
_SCHEDULE = frozenset({"scheduler", "admin"})
_ADMIN = frozenset({"admin"})
_EDIT = frozenset({"editor", "admin"})

# Route (handler) name -> roles allowed.
ACCESS: Dict[str, FrozenSet[str]] = {
    "home": _ALL,
    "logout": _ALL,
    "charts_view": _ALL,
    "conversation_list": _REVIEW,
    "transcript_view": _REVIEW,
    "annotate": _REVIEW,
    "review": _REVIEW,
    "annotations_view": _REVIEW,
    "gaps_view": _REVIEW,
    "gaps_annotate": _REVIEW,
    "gaps_new_topic": _REVIEW,
    "export": _ADMIN,
    "export_download": _ADMIN,
    "delete": _ADMIN,
    "bookings_view": _SCHEDULE,
    "booking_update": _SCHEDULE,
    # console/blueprints/notifications/pages.py: the messages carry names and addresses, like the bookings.
    "outbox_view": _SCHEDULE,
    "outbox_message": _SCHEDULE,
    "outbox_retry": _SCHEDULE,
    "mail_view": _SCHEDULE,
    "mail_message": _SCHEDULE,
    "callbacks_view": _SCHEDULE,  # console/blueprints/callbacks/pages.py
    "callback_done": _SCHEDULE,
    "retention_view": _ADMIN,
    "purge": _ADMIN,
    "audit_view": _ADMIN,
    # Answer editing with review (approval by someone else than the proposer: in the handler).
    "answers_list": _EDIT,
    "answer_edit": _EDIT,
    "answer_propose": _EDIT,
    "change_view": _EDIT,
    "change_approve": _EDIT,
    "change_reject": _EDIT,
    "change_export": _EDIT,
    "change_patch": _EDIT,
}
# Reachable without a session.
PUBLIC = frozenset({"login_form", "login", "healthz", "static"})

HOME = {
    "reviewer": "/conversations",
    "scheduler": "/bookings",
    "editor": "/answers",
    "admin": "/conversations",
}


def route_name(full_name: Optional[str]) -> str:
    """'staff_console.conversation_list' -> 'conversation_list'."""
    return (full_name or "").rsplit(".", 1)[-1]


def allowed(role: Optional[str], name: str) -> bool:
    return bool(role) and role in ACCESS.get(name, frozenset())


def check_role(role: str) -> str:
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise ValueError(f"roles are: {', '.join(ROLES)}")
    return role

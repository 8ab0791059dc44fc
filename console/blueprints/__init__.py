"""The console's areas, one Sanic blueprint each (with its own templates/ folder).

Handler names are the route names `console/roles.py` grants to roles; `all_blueprints()`
builds fresh blueprint objects for each app (tests create several apps in one process)."""

from __future__ import annotations

from importlib import import_module

from sanic import Blueprint

AREAS = (
    "auth",
    "conversations",
    "annotations",
    "bookings",
    "retention",
    "audit",
    "charts",
    "gaps",
    "answers",
    "notifications",
    "callbacks",
)


def all_blueprints() -> list[Blueprint]:
    return [import_module(f"console.blueprints.{area}").blueprint() for area in AREAS]

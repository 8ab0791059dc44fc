"""The outbox (messages waiting, sent, dead; send a dead one again) and the local mail sink's
messages (`make run`): pages.py."""

from __future__ import annotations

from sanic import Blueprint

from console.blueprints.notifications.pages import create_blueprint
from console.web import render


def blueprint() -> Blueprint:
    return create_blueprint(render)

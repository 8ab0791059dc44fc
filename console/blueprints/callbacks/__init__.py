"""Call-back requests taken in the chat: open and done, marked done by staff (pages.py)."""

from __future__ import annotations

from sanic import Blueprint

from console.blueprints.callbacks.pages import create_blueprint
from console.web import render


def blueprint() -> Blueprint:
    return create_blueprint(render)

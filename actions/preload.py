"""Loads at action-server start what the actions would otherwise load during a visitor's turn.

rasa_sdk imports every module of the `actions` package before the server answers /health, so
this runs once at start: the knowledge base and clinic.yml, the booking wording and
availability, the crisis lexicon (compiling it takes ~1.3 s, which the first visitor to answer
a booking question would otherwise wait for) and, for SQLite only, the bookings database
(~0.15 s on the first time question; a remote database is still opened on first use, so an
unreachable one never delays the start). ACTIONS_PRELOAD=0 skips it all; anything that fails
here is loaded on first use as before.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)


def preload() -> None:
    from practice.booking.service import booking_service
    from practice.booking.store import db_url_from_env
    from practice.knowledge.loader import knowledge_base
    from practice.safety.crisis_detector import get_detector

    knowledge_base()
    get_detector()
    service = booking_service()
    if not db_url_from_env().startswith("sqlite"):
        return
    try:
        service.open_slots()  # opens the bookings database and reads the booked slots once
    except Exception as error:  # the database may come up later; first use opens it then
        logger.info("bookings database not opened at start (%s); opened on first use", type(error).__name__)


if os.environ.get("ACTIONS_PRELOAD", "1") != "0":
    try:
        preload()
    except Exception:  # never keep the action server from starting
        logger.exception("preloading failed; the actions load what they need on first use")

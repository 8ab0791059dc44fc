"""Rasa's SQL tracker store with its load and save as SQL statements built once.

endpoints.yml / endpoints.prod.yml (the same settings as Rasa's `type: SQL`):

    tracker_store:
      type: rasa_ext.stores.sql_tracker_store.PreparedSQLTrackerStore
      dialect: postgresql
      url: ${TRACKER_DB_URL}

`SQLTrackerStore` loads and saves a tracker through the ORM: every stored event of the
session becomes an `SQLEvent` object, and each query is rebuilt and re-keyed for
SQLAlchemy's cache; load + save were ~37% of the server's CPU under load (py-spy, README
"Performance"). This store runs the same SQL (the events of the latest session by id; their
count before appending the new ones) as Core statements built once per store, reads only the
`data` column and inserts the new rows in one executemany, in one transaction as before. Same
table, same rows (tests/unit/test_sql_tracker_store.py compares them with Rasa's store).

Rasa falls back to an in-memory store, with only a warning, when the `type` cannot be
imported or its constructor raises AttributeError or ImportError: the statements are built on
first use, not in `__init__`, and tests/unit/test_sql_tracker_store.py checks that every
endpoints file the project uses yields this class.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)


class PreparedSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose queries are Core statements built once."""

    _statements: Optional[Dict[Text, Any]] = None

    def statements(self) -> Dict[Text, Any]:
        """The store's queries, built once: Core statements with a bound sender id."""
        if self._statements is None:
            table = self.SQLEvent.__table__
            sender = table.c.sender_id == sa.bindparam("sender_id")
            session_start = (
                sa.select(sa.func.max(table.c.timestamp))
                .where(sender, table.c.type_name == SessionStarted.type_name)
                .scalar_subquery()
            )
            this_session = sa.or_(table.c.timestamp >= session_start, session_start.is_(None))
            self._statements = {
                "all_sessions": sa.select(table.c.data).where(sender).order_by(table.c.id),
                "this_session": sa.select(table.c.data).where(sender, this_session).order_by(table.c.id),
                "count": sa.select(sa.func.count(table.c.id)).where(sender, this_session),
                "insert": table.insert(),
            }
        return self._statements

    async def _retrieve(
        self, sender_id: Text, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        key = "all_sessions" if fetch_events_from_all_sessions else "this_session"
        with self.session_scope() as session:
            rows = session.execute(self.statements()[key], {"sender_id": sender_id}).scalars().all()
        events = [json.loads(data) for data in rows]
        if self.domain and events:
            logger.debug(f"Recreating tracker from sender id '{sender_id}'")
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        logger.debug(
            f"Can't retrieve tracker matching sender id '{sender_id}' from SQL storage. "
            f"Returning `None` instead."
        )
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Appends the tracker's events beyond those of its session already stored."""
        await self.stream_events(tracker)
        statements = self.statements()
        with self.session_scope() as session:
            stored = session.execute(statements["count"], {"sender_id": tracker.sender_id}).scalar()
            rows = []
            for event in list(tracker.events)[stored:]:
                data = event.as_dict()
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": event.type_name,
                        "timestamp": data.get("timestamp"),
                        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        "action_name": data.get("name"),
                        "data": json.dumps(data),
                    }
                )
            if rows:
                session.execute(statements["insert"], rows)
            session.commit()
        logger.debug(f"Tracker with sender_id '{tracker.sender_id}' stored to database")

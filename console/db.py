"""Database access: Rasa's `events` table (read, and deleted from on request/purge) and the
console's own tables (created and migrated by Alembic: console/migrations). SQLite by default, PostgreSQL in production."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from console.settings import Settings
from practice import migrations
from practice.private_files import make_private

# Rasa's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent). Rasa creates and owns
# it; this definition is only used to query it and is never passed to create_all.
tracker_metadata = sa.MetaData()
events = sa.Table(
    "events",
    tracker_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)

metadata = sa.MetaData()
# The console's tables are created and migrated by Alembic (console/migrations), with a version
# table of their own: the bookings' schema may live in the same database.
VERSION_TABLE = "console_schema_version"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 7_004_511  # any constant, other than the bookings': serialises migrations

users = sa.Table(
    "console_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_login_at", sa.Float),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    # console/roles.py; accounts from before roles existed had every right: they become admin.
    sa.Column("role", sa.String(16), nullable=False, server_default="admin"),
)

sessions = sa.Table(
    "console_sessions",
    metadata,
    # sha256 of the cookie's random token: a leaked table does not give live sessions.
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("console_users.id"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("last_seen_at", sa.Float),  # for the idle timeout
)

login_attempts = sa.Table(
    "console_login_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, index=True),
    # A keyed hash of the client address, never the address itself.
    sa.Column("client", sa.String(64), nullable=False, index=True),
    sa.Column("ts", sa.Float, nullable=False, index=True),
    sa.Column("success", sa.Boolean, nullable=False),
)

annotations_table = sa.Table(
    "console_annotations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("event_id", sa.Integer, nullable=False, index=True),
    sa.Column("message_text", sa.Text, nullable=False),
    sa.Column("predicted_intent", sa.String(255)),
    sa.Column("intent", sa.String(255)),  # None when needs_new_answer
    sa.Column("needs_new_answer", sa.Boolean, nullable=False, default=False),
    sa.Column("note", sa.Text),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("export_id", sa.Integer, sa.ForeignKey("console_exports.id")),
)

exports = sa.Table(
    "console_exports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("n_examples", sa.Integer, nullable=False),
    sa.Column("content", sa.Text, nullable=False),
)

reviews = sa.Table(
    "console_reviews",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("reviewed_by", sa.String(64), nullable=False),
    sa.Column("reviewed_at", sa.Float, nullable=False),
)

audit_log = sa.Table(
    "console_audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ts", sa.Float, nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(255)),
    sa.Column("details", sa.Text),  # JSON; never message text or contact details
)

# Proposed answer wordings (console/answer_edits/): proposed by an editor, approved by another
# staff member, exported as a patch to knowledge/topics.yml.
answer_changes = sa.Table(
    "console_answer_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("topic_id", sa.String(64), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),  # pending approved rejected exported
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("sources", sa.Text, nullable=False),  # JSON list of source ids
    sa.Column("base_answer", sa.Text, nullable=False),  # the wording it replaces (for the diff)
    sa.Column("base_detail", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("proposed_by", sa.String(64), nullable=False),
    sa.Column("proposed_at", sa.Float, nullable=False),
    sa.Column("decided_by", sa.String(64)),
    sa.Column("decided_at", sa.Float),
    sa.Column("exported_by", sa.String(64)),
    sa.Column("exported_at", sa.Float),
    sa.Column("patch", sa.Text),
)

# One summary row per conversation (sender_id), rebuilt from `events` whenever that sender's
# events change (count or newest id differ), so filters and paging are plain SQL.
conversations = sa.Table(
    "console_conversations",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("n_events", sa.Integer, nullable=False),
    sa.Column("max_event_id", sa.Integer, nullable=False),
    sa.Column("first_ts", sa.Float),
    sa.Column("last_ts", sa.Float, index=True),
    sa.Column("n_user", sa.Integer, nullable=False, default=0),
    sa.Column("n_bot", sa.Integer, nullable=False, default=0),
    sa.Column("topics", sa.Text, nullable=False, default=""),  # "|a|b|" for LIKE '%|a|%'
    sa.Column("intents", sa.Text, nullable=False, default=""),  # same
    sa.Column("min_confidence", sa.Float),
    sa.Column("fallback", sa.Boolean, nullable=False, default=False),
    sa.Column("crisis", sa.Boolean, nullable=False, default=False),
    sa.Column("handoff", sa.Boolean, nullable=False, default=False),
    sa.Column("booking_started", sa.Boolean, nullable=False, default=False),
    sa.Column("booking_made", sa.Boolean, nullable=False, default=False),
    sa.Column("negative_feedback", sa.Boolean, nullable=False, default=False),
    sa.Column("first_message", sa.Text),  # raw; masked whenever shown
    sa.Column("search_text", sa.Text),  # lower-cased visitor text, for the text search
)


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Creates or migrates the console's tables with Alembic (console/migrations; idempotent)."""
    migrations.upgrade(engine, MIGRATIONS_DIR, _PG_MIGRATION_LOCK, revision)


def _make_engine(url: str) -> Engine:
    kwargs = {}
    if url.startswith("sqlite"):
        make_private(url)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    return sa.create_engine(url, future=True, **kwargs)


class Database:
    """The two engines (they are one database in the default profile)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tracker: Engine = _make_engine(settings.tracker_db_url)
        if settings.console_db_url == settings.tracker_db_url:
            self.console: Engine = self.tracker
        else:
            self.console = _make_engine(settings.console_db_url)
        upgrade_schema(self.console)
        self._events_exists: Optional[bool] = None

    def events_table_exists(self) -> bool:
        # Rasa creates `events` on its first start; until then the console shows nothing.
        if not self._events_exists:
            self._events_exists = sa.inspect(self.tracker).has_table("events")
        return bool(self._events_exists)

    def dispose(self) -> None:
        self.tracker.dispose()
        if self.console is not self.tracker:
            self.console.dispose()

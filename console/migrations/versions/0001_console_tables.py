"""The console's tables as of the first migration; existing databases are adopted.

Databases from before migrations (tables made by `create_all`) get the tables they lack and
the columns added after the first release (`role`, `last_seen_at`); new databases get all.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# A frozen copy of the definitions (console/db.py may change; this revision must not).
metadata = sa.MetaData()

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

# Columns added after the first release, added here to tables that predate them.
ADDED_COLUMNS = (
    ("console_users", sa.Column("role", sa.String(16), nullable=False, server_default="admin")),
    ("console_sessions", sa.Column("last_seen_at", sa.Float)),
)


def upgrade() -> None:
    bind = op.get_bind()
    metadata.create_all(bind, checkfirst=True)
    inspector = sa.inspect(bind)
    for table, column in ADDED_COLUMNS:
        if column.name not in {c["name"] for c in inspector.get_columns(table)}:
            with op.batch_alter_table(table) as batch:
                batch.add_column(column)


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), checkfirst=True)

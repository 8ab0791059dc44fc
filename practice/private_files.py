"""SQLite database files readable by their owner only.

The default profile keeps conversations, bookings and password hashes in one SQLite file
(var/assistant.db). Files are created with the process umask, often 022 (world-readable), so
the file and its folder get owner-only modes explicitly, whoever creates them first; the
launchers also set `umask 077` for the journal files SQLite creates beside it.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

FILE_MODE = 0o600
DIR_MODE = 0o700


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None (another database, or in memory)."""
    if not url.startswith("sqlite"):
        return None
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def make_private(url: str) -> None:
    """Creates the SQLite file (and its folder) owner-only, or tightens an existing one."""
    path = sqlite_path(url)
    if path is None:
        return
    if not path.parent.exists():
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
    if path.stat().st_mode & 0o777 != FILE_MODE:
        os.chmod(path, FILE_MODE)

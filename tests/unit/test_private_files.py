"""Owner-only files for what the assistant stores: the launchers' umask, the var/ folder and the
generated API token (scripts/env.sh), SQLite files whoever creates them (practice/private_files.py),
and the API token passed to Rasa without a command line (rasa_ext/runtime/main.py)."""

import os
import stat
import subprocess
from pathlib import Path

import pytest

from practice.booking.store import BookingStore
from practice.private_files import make_private
from rasa_ext.runtime.main import with_auth_token

ROOT = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_launchers_keep_var_and_the_token_private(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "RASA_AUTH_TOKEN"}
    # A var/ left world-readable by an older version is tightened too.
    (tmp_path / "var").mkdir(mode=0o755)
    os.chmod(tmp_path / "var", 0o755)
    out = subprocess.run(
        ["bash", "-c", f"source {ROOT}/scripts/env.sh && umask && touch var/new.db"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "0077"
    assert _mode(tmp_path / "var") == 0o700
    assert _mode(tmp_path / "var" / "rasa_auth_token") == 0o600
    assert _mode(tmp_path / "var" / "new.db") == 0o600


def test_sqlite_files_are_owner_only_whoever_creates_them(tmp_path):
    old = os.umask(0o022)
    try:
        BookingStore(f"sqlite:///{tmp_path / 'fresh' / 'assistant.db'}")
        existing = tmp_path / "existing.db"
        existing.write_bytes(b"")
        os.chmod(existing, 0o644)
        make_private(f"sqlite:///{existing}")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "fresh") == 0o700
    assert _mode(tmp_path / "fresh" / "assistant.db") == 0o600
    assert _mode(existing) == 0o600


def test_api_token_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("RASA_AUTH_TOKEN", "s3cret-token")
    monkeypatch.delenv("RASA_AUTH_TOKEN_FILE", raising=False)
    args = ["run", "--model", "m.tar.gz", "--enable-api"]
    assert with_auth_token(args) == args + ["--auth-token", "s3cret-token"]
    # Without the API there is nothing to add.
    assert with_auth_token(["run", "--model", "m.tar.gz"]) == ["run", "--model", "m.tar.gz"]
    token_file = tmp_path / "token"
    token_file.write_text("from-a-file\n")
    monkeypatch.setenv("RASA_AUTH_TOKEN_FILE", str(token_file))
    assert with_auth_token(args)[-1] == "from-a-file"


def test_api_token_on_the_command_line_is_refused(monkeypatch):
    monkeypatch.setenv("RASA_AUTH_TOKEN", "s3cret-token")
    with pytest.raises(SystemExit, match="not on the command line"):
        with_auth_token(["run", "--enable-api", "--auth-token", "s3cret-token"])
    monkeypatch.delenv("RASA_AUTH_TOKEN")
    monkeypatch.delenv("RASA_AUTH_TOKEN_FILE", raising=False)
    with pytest.raises(SystemExit, match="needs a token"):
        with_auth_token(["run", "--enable-api"])

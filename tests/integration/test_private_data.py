"""What a local user or another machine can see of a running assistant: not the API token
(on no process's command line), not the database (owner-only file), and with
RASA_INTERFACE=0.0.0.0 only the chat server and the demo page, never the action server (no
authentication) or the staff console (plain http)."""

import os
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import requests

from tests.integration.conftest import ASSISTANT_URL

ROOT = Path(__file__).resolve().parents[2]


def test_api_token_is_on_no_command_line():
    token = os.environ["RASA_AUTH_TOKEN"]
    # The running server got the token: its API answers with it and refuses without.
    assert requests.get(f"{ASSISTANT_URL}/status", timeout=30).status_code == 401
    assert requests.get(f"{ASSISTANT_URL}/status", params={"token": token}, timeout=30).status_code == 200
    seen = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if token.encode() in cmdline:
            seen.append(cmdline.replace(b"\0", b" ").decode(errors="replace")[:120])
    assert not seen, f"the API token is visible in ps: {seen}"


def test_database_file_is_owner_only():
    path = Path(os.environ["TRACKER_DB_PATH"])
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, oct(path.stat().st_mode)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int):
    """Local addresses with a listening TCP socket on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if fields[3] != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            if len(raw) == 4:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def test_exposing_rasa_keeps_actions_and_console_on_loopback(tmp_path):
    ports = {name: _free_port() for name in ("RASA_PORT", "ACTION_PORT", "WEB_PORT", "CONSOLE_PORT")}
    db = tmp_path / "assistant.db"
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        f"action_endpoint:\n  url: http://127.0.0.1:{ports['ACTION_PORT']}/webhook\n"
        f"tracker_store:\n  type: rasa_ext.stores.sql_tracker_store.PreparedSQLTrackerStore\n  dialect: sqlite\n  db: {db}\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("CONSOLE_HOST", "ACTION_INTERFACE")}
    env.update({k: str(v) for k, v in ports.items()})
    env.update(
        RASA_INTERFACE="0.0.0.0",
        RASA_ENDPOINTS=str(endpoints),
        BOOKING_DB_URL=f"sqlite:///{db}",
        TRACKER_DB_URL=f"sqlite:///{db}",
    )
    env.pop("TRACKER_DB_PATH", None)
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen(
        ["scripts/run.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (
            _listening(ports["ACTION_PORT"])
            and _listening(ports["CONSOLE_PORT"])
            and _listening(ports["WEB_PORT"])
        ):
            assert proc.poll() is None, (tmp_path / "run.log").read_text()
            time.sleep(0.5)
        assert _listening(ports["WEB_PORT"]) == {"0.0.0.0"}, "the demo page follows RASA_INTERFACE"
        assert _listening(ports["ACTION_PORT"]) == {"127.0.0.1"}, "the action server is exposed"
        assert _listening(ports["CONSOLE_PORT"]) == {"127.0.0.1"}, "the staff console is exposed"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()

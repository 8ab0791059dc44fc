"""Fixtures for the staff console tests: a tracker database filled by Rasa's own
SQLTrackerStore (tests/console/rasa_events.py) or by the live assistant, and the console
served for real (python -m console) on a free port, driven over HTTP."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.console import rasa_events

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery-staple"
USER = "alice"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def console_env(db_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("TRACKER_DB_URL", "CONSOLE_DB_URL", "CONSOLE_PASSWORD"):
        env.pop(key, None)
    env.update(
        {
            "TRACKER_DB_PATH": str(db_path),
            "BOOKING_DB_URL": f"sqlite:///{db_path}",
            "CONSOLE_COOKIE_SECURE": "0",
            "CONSOLE_FAILURE_DELAY": "0.05",
            "CONSOLE_MAX_FAILURES": "3",
            "CONSOLE_PAGE_SIZE": "25",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


def create_user(
    db_path: Path, name: str = USER, password: str = PASSWORD, role: str = "admin", **env: str
) -> None:
    subprocess.run(
        [sys.executable, "-m", "console.cli", "create-user", name, "--role", role],
        cwd=ROOT,
        env=console_env(db_path, CONSOLE_PASSWORD=password, **env),
        check=True,
        capture_output=True,
    )


class Console:
    """A running console server and a browser-like HTTP client for it."""

    def __init__(self, db_path: Path, **env: str) -> None:
        self.db_path = db_path
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(db_path.parent / f"console-{self.port}.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "console", "--port", str(self.port)],
            cwd=ROOT,
            env=console_env(db_path, **env),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if requests.get(self.base + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError(
                "console did not start: " + (db_path.parent / f"console-{self.port}.log").read_text()
            )
        self.http = requests.Session()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    def url(self, path: str) -> str:
        return self.base + path

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(self.url(path), **kw)

    def csrf(self, path: str = "/conversations") -> str:
        return csrf_of(self.get(path).text)

    def post(self, path: str, data: dict[str, str], csrf: str | None = "auto", **kw) -> requests.Response:
        data = dict(data)
        if csrf == "auto":
            data["csrf_token"] = self.csrf()
        elif csrf is not None:
            data["csrf_token"] = csrf
        headers = kw.pop("headers", {"Origin": self.base})
        return self.http.post(self.url(path), data=data, headers=headers, **kw)

    def login(self, user: str = USER, password: str = PASSWORD) -> requests.Response:
        token = csrf_of(self.get("/login").text)
        return self.post(
            "/login",
            {"username": user, "password": password, "next": "/conversations"},
            csrf=token,
            allow_redirects=False,
        )

    def senders(self, query: str = "") -> list[str]:
        response = self.get("/conversations" + (f"?{query}" if query else ""))
        assert response.status_code == 200, response.text
        return re.findall(r'<tr data-sender="([^"]+)"', response.text)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def filled_db(tmp_path: Path) -> Path:
    """A fresh tracker DB with the fixture conversations and a staff user."""
    db_path = tmp_path / "assistant.db"
    rasa_events.fill(str(db_path))
    create_user(db_path)
    return db_path


@pytest.fixture
def console(filled_db: Path) -> Iterator[Console]:
    server = Console(filled_db)
    yield server
    server.stop()


@pytest.fixture
def staff(console: Console) -> Console:
    """The console with a logged-in staff member."""
    assert console.login().status_code == 302
    return console


@pytest.fixture(scope="module")
def shared_db(tmp_path_factory) -> Path:
    db_path = tmp_path_factory.mktemp("console") / "assistant.db"
    rasa_events.fill(str(db_path))
    create_user(db_path)
    return db_path


@pytest.fixture(scope="module")
def shared_staff(shared_db: Path) -> Iterator[Console]:
    """One logged-in console per test module, for read-only tests."""
    server = Console(shared_db)
    assert server.login().status_code == 302
    yield server
    server.stop()

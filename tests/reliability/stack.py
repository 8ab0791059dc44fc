"""The production profile under test: scripts/run_prod.sh's parts started one by one, so the
tests can kill and restart each of them.

- PostgreSQL: a database of its own (reliability_<run>), created here and dropped afterwards,
  reached by the Rasa instances and the action server through tests/reliability/tcp_proxy.py
  (so the tests can cut it); the checks read it directly.
- Redis: db RELIABILITY_REDIS_DB (14) with key prefixes of this run only, deleted afterwards.
- Two Rasa instances, the action server and the load balancer on free ports; logs in
  logs/reliability-*.log.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = os.environ.get("RELIABILITY_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_HOST = os.environ.get("RELIABILITY_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("RELIABILITY_REDIS_PORT", "6379"))
REDIS_DB = int(os.environ.get("RELIABILITY_REDIS_DB", "14"))
INSTANCES = 2

# What the run did, printed at the end (conftest.py) and saved to results/reliability.json.
FIGURES: Counter = Counter()


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports."""
    for _ in range(200):
        base = random.randint(20000, 40000)
        if all(_port_free(base + i) for i in range(count)):
            return base
    raise RuntimeError("no free ports")


# The production profile refuses to start while clinic.yml holds placeholder contact details
# (practice/knowledge/clinic_placeholders.py), so the suite runs on a copy of it with test values (an
# address on the .test domain kept for testing, a phone number whose exchange, 010, can never
# be assigned), named by CLINIC_FILE: conftest.py sets it for the processes it starts and for
# its own knowledge base.
TEST_CONTACT = {
    "phone": "(503) 010-4242",
    "email": "care@clinic.test",
    "hours": "Monday to Friday, 9 am to 5 pm Pacific time",
}


def write_test_clinic(path: Path) -> Path:
    with open(ROOT / "clinic.yml", encoding="utf-8") as handle:
        clinic = yaml.safe_load(handle)
    clinic["contact"].update(TEST_CONTACT)
    path.write_text(yaml.safe_dump(clinic, sort_keys=False), encoding="utf-8")  # no # EXAMPLE marks
    return path


class Stack:
    def __init__(self) -> None:
        self.run = secrets.token_hex(4)
        self.db_name = f"reliability_{self.run}"
        base = free_ports(INSTANCES + 4)
        self.lb_port, self.action_port, self.proxy_port = base, base + 1, base + 2
        self.instance_base = base + 2  # instance i listens on instance_base + i
        self.token = secrets.token_hex(16)
        self.lock_prefix = f"rel{self.run}"
        self.rate_prefix = f"rel{self.run}rl"
        admin = sa.engine.make_url(ADMIN_URL)
        self.direct_url = admin.set(database=self.db_name)
        self.proxied_url = self.direct_url.set(host="127.0.0.1", port=self.proxy_port).update_query_dict(
            {"connect_timeout": "5"}
        )
        self.procs: dict[str, subprocess.Popen] = {}
        self._engine: sa.engine.Engine | None = None
        self.logs = ROOT / "logs"

    # ------------------------------------------------------------------ addresses

    @property
    def lb(self) -> str:
        return f"http://127.0.0.1:{self.lb_port}"

    @property
    def webhook(self) -> str:
        return f"{self.lb}/webhooks/rest/webhook"

    def instance(self, i: int) -> str:
        return f"http://127.0.0.1:{self.instance_base + i}"

    # ------------------------------------------------------------------ lifecycle

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            RASA_PORT=str(self.lb_port),
            ACTION_PORT=str(self.action_port),
            RASA_INSTANCES=str(INSTANCES),
            RASA_INSTANCE_BASE_PORT=str(self.instance_base),
            RASA_INTERFACE="127.0.0.1",
            RASA_AUTH_TOKEN=self.token,
            CORS_ORIGINS=f"http://127.0.0.1:{self.lb_port}",
            TRACKER_DB_URL=self.proxied_url.render_as_string(hide_password=False),
            BOOKING_DB_URL=self.proxied_url.render_as_string(hide_password=False),
            PROD_CREATE_DATABASE="0",
            REDIS_HOST=REDIS_HOST,
            REDIS_PORT=str(REDIS_PORT),
            REDIS_DB=str(REDIS_DB),
            REDIS_PASSWORD=os.environ.get("RELIABILITY_REDIS_PASSWORD", ""),
            REDIS_LOCK_PREFIX=self.lock_prefix,
            RATE_LIMIT_KEY_PREFIX=self.rate_prefix,
            REDIS_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
            RATE_LIMIT_PER_MINUTE="30",
            # All test traffic comes from 127.0.0.1; the per-address limit has unit tests.
            RATE_LIMIT_IP_PER_MINUTE="0",
            LOG_LEVEL="INFO",  # Rasa's default: the level whose logs must hold no PII
        )
        return env

    def create_database(self) -> None:
        """The run's own database, reached through the cuttable proxy."""
        admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{self.db_name}"'))
        finally:
            admin.dispose()
        direct = sa.engine.make_url(ADMIN_URL)
        self._spawn(
            "pgproxy",
            [
                sys.executable,
                str(ROOT / "tests/reliability/tcp_proxy.py"),
                str(self.proxy_port),
                direct.host or "127.0.0.1",
                str(direct.port or 5432),
            ],
        )
        self._wait(lambda: not _port_free(self.proxy_port), "the PostgreSQL proxy", 20)

    def start(self) -> None:
        self.create_database()
        setup = subprocess.run(
            ["scripts/run_prod.sh", "setup"],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert setup.returncode == 0, setup.stdout + setup.stderr
        self.start_part("actions")
        for i in range(1, INSTANCES + 1):
            self.start_part(f"rasa{i}")
        self.start_part("lb")
        self.wait_ready("actions", 240)
        for i in range(1, INSTANCES + 1):
            self.wait_ready(f"rasa{i}", 300)
        self.wait_ready("lb", 30)

    def start_part(self, name: str) -> None:
        args = ["rasa", name[4:]] if name.startswith("rasa") else [name]
        self._spawn(name, ["scripts/run_prod.sh", *args])

    def _spawn(self, name: str, command: list[str]) -> None:
        self.logs.mkdir(exist_ok=True)
        # A fresh log per run; a restarted part appends to its own.
        log = open(self.logs / f"reliability-{name}.log", "ab" if name in self.procs else "wb")
        self.procs[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def health_url(self, name: str) -> str:
        if name == "actions":
            return f"http://127.0.0.1:{self.action_port}/health"
        if name == "lb":
            return f"{self.lb}/webhooks/rest/"
        return f"{self.instance(int(name[4:]))}/webhooks/rest/"

    def is_up(self, name: str) -> bool:
        try:
            return requests.get(self.health_url(name), timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def wait_ready(self, name: str, seconds: float) -> None:
        proc = self.procs.get(name)

        def ready() -> bool:
            if proc is not None and proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}; see logs/reliability-{name}.log")
            return self.is_up(name)

        self._wait(ready, name, seconds)

    @staticmethod
    def _wait(check, what: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.5)
        raise AssertionError(f"{what} not ready after {seconds:.0f}s")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs[name]
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
        proc.wait(timeout=60)

    def alive(self, name: str) -> bool:
        return self.procs[name].poll() is None

    def cut_database(self) -> None:
        os.kill(self.procs["pgproxy"].pid, signal.SIGUSR1)

    def restore_database(self) -> None:
        os.kill(self.procs["pgproxy"].pid, signal.SIGUSR2)

    def stop(self) -> None:
        for _name, proc in list(self.procs.items()):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        if self._engine is not None:
            self._engine.dispose()
        admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
        try:
            with admin.connect() as conn:
                conn.execute(
                    sa.text(
                        "select pg_terminate_backend(pid) from pg_stat_activity "
                        "where datname = :n and pid <> pg_backend_pid()"
                    ),
                    {"n": self.db_name},
                )
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.db_name}"'))
        finally:
            admin.dispose()
        client = self.redis()
        for prefix in (self.lock_prefix, self.rate_prefix):
            keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)

    # ------------------------------------------------------------------ data

    def redis(self):
        import redis

        return redis.Redis(
            host=REDIS_HOST,
            port=REDIS_PORT,
            db=REDIS_DB,
            password=os.environ.get("RELIABILITY_REDIS_PASSWORD") or None,
        )

    @property
    def engine(self) -> sa.engine.Engine:
        if self._engine is None:
            self._engine = sa.create_engine(self.direct_url, future=True)
        return self._engine

    def events(self, sender: str) -> list[dict[str, Any]]:
        """The conversation's events as Rasa's SQL tracker store wrote them, in order."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text("select data from events where sender_id = :s order by id"), {"s": sender}
            ).all()
        return [json.loads(row[0]) for row in rows]

    def form_state(self, sender: str) -> tuple[str | None, str | None]:
        """(active form, requested slot) as the stored events leave them: what any instance
        reads (production instances have no HTTP API to ask)."""
        loop, requested = None, None
        for event in self.events(sender):
            if event.get("event") == "active_loop":
                loop = event.get("name")
            elif event.get("event") == "slot" and event.get("name") == "requested_slot":
                requested = event.get("value")
        return loop, requested


# ---------------------------------------------------------------------- turns


def customs(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r["custom"] for r in replies if isinstance(r.get("custom"), dict)]


def text_of(replies: list[dict[str, Any]]) -> str:
    return "\n\n".join((r.get("text") or "").strip() for r in replies if r.get("text"))


def turns_of(events: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """[(user text, [bot events after it, before the next user event])] in tracker order."""
    turns: list[tuple[str, list[dict[str, Any]]]] = []
    for event in events:
        if event.get("event") == "user":
            turns.append((event.get("text"), []))
        elif event.get("event") == "bot" and turns:
            turns[-1][1].append(event)
    return turns


def bot_events_match(bots: list[dict[str, Any]], replies: list[dict[str, Any]]) -> bool:
    """The REST replies of a turn are exactly the turn's BotUttered events (Rasa's REST output
    splits a text at blank lines and sends the custom payload as its own message)."""
    texts = "\n\n".join((b.get("text") or "").strip() for b in bots if b.get("text"))
    payloads = [(b.get("data") or {}).get("custom") for b in bots]
    payloads = [p for p in payloads if isinstance(p, dict)]
    return texts == text_of(replies) and payloads == customs(replies)

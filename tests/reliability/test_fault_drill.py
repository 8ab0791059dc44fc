"""The fault drill an operator would run: `scripts/run_prod.sh` started whole (what `make
run-prod` runs: every part under its supervisor, nginx in front), a visitor on the widget's
socket.io protocol, then the Rasa instance holding that visitor's socket killed (SIGKILL, a
crash). The next message is answered within 5 s in the same conversation, the killed instance
is serving again within 30 s (on a machine so busy that the profile's own cold start took
longer: within that), and no other process was restarted.

The visitor speaks the widget's protocol (web/widget/widget.js): socket.io with reconnection,
and on every (re)connect `session_request` with the session id it keeps, so a reconnect to
another instance resumes the same conversation."""

import asyncio
import os
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest
import socketio

from tests.reliability.stack import FIGURES, INSTANCES, Stack, free_ports


class WholeProfile(Stack):
    """run_prod.sh in its `make run-prod` form, on ports and a database of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.console_port = free_ports(1)
        self.smtp_port = free_ports(1)

    def env(self) -> dict[str, str]:
        env = super().env()
        env["CONSOLE_PORT"] = str(self.console_port)
        env["SMTP_PORT"] = str(self.smtp_port)  # the local mail sink run_prod starts (no SMTP_HOST)
        return env

    def start(self) -> None:
        self.create_database()
        started = time.monotonic()
        self._spawn("drill", ["scripts/run_prod.sh"])
        self.wait_ready("drill-lb", 600)
        for name in ["actions"] + [f"rasa{i}" for i in range(1, INSTANCES + 1)]:
            self.wait_ready(name, 300)
        self.cold_start_seconds = time.monotonic() - started

    def wait_ready(self, name: str, seconds: float) -> None:
        proc = self.procs["drill"]

        def ready() -> bool:
            if proc.poll() is not None:
                raise AssertionError(
                    f"run_prod.sh exited with {proc.returncode}; see logs/reliability-drill.log"
                )
            return self.is_up("lb" if name == "drill-lb" else name)

        self._wait(ready, name, seconds)


def _pids() -> dict[int, bytes]:
    found = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                found[int(proc.name)] = (proc / "cmdline").read_bytes()
            except OSError:
                pass
    return found


def _part_pids(profile: WholeProfile) -> dict[str, int]:
    """The pid of each serving process of the profile, found by its command line."""
    parts = {}
    for pid, cmdline in _pids().items():
        args = cmdline.split(b"\0")
        if b"rasa_ext.runtime.main" in args:
            port = int(args[args.index(b"--port") + 1])
            parts[f"rasa{port - profile.instance_base}"] = pid
        elif (
            b"actions" in args
            and b"--port" in args
            and args[args.index(b"--port") + 1] == str(profile.action_port).encode()
        ):
            parts["actions"] = pid
        elif b"console" in args and str(profile.console_port).encode() in args:
            parts["console"] = pid
        elif args[0].endswith(b"nginx") or b"nginx: master process" in args[0]:
            if f"lb-{profile.lb_port}".encode() in cmdline:
                parts["lb"] = pid
    return parts


def _instance_with_the_socket(profile: WholeProfile) -> int | None:
    """The instance nginx holds an open connection to: the visitor's pending long-poll (REST
    connections are not kept alive, and nothing else is talking to the profile)."""
    ports = {profile.instance_base + i: i for i in range(1, INSTANCES + 1)}
    held = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if fields[3] == "01" and remote_port in ports:  # 01: ESTABLISHED
                held.add(ports[remote_port])
    return held.pop() if len(held) == 1 else None


@pytest.fixture(scope="module")
def profile():
    whole = WholeProfile()
    try:
        whole.start()
    except Exception:
        whole.stop()
        raise
    yield whole
    whole.stop()


class WidgetVisitor:
    """The widget's side of the socket.io protocol."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session_id = uuid.uuid4().hex
        self.replies: asyncio.Queue = asyncio.Queue()
        self.confirmed = asyncio.Event()
        self.lost = asyncio.Event()
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=1, reconnection_delay_max=10)

        @self.sio.on("connect")
        async def on_connect():
            self.confirmed.clear()
            await self.sio.emit("session_request", {"session_id": self.session_id})

        @self.sio.on("disconnect")
        async def on_disconnect(*_args):
            self.confirmed.clear()
            self.lost.set()

        @self.sio.on("session_confirm")
        async def on_confirm(_session_id):
            self.confirmed.set()

        @self.sio.on("bot_uttered")
        async def on_bot(message):
            if isinstance(message, dict) and isinstance(message.get("custom"), dict):
                await self.replies.put(message["custom"])

    async def say(self, text: str, timeout: float) -> dict:
        await asyncio.wait_for(self.confirmed.wait(), timeout)
        await self.sio.emit("user_uttered", {"message": text, "session_id": self.session_id})
        return await asyncio.wait_for(self.replies.get(), timeout)


class RestartWatch:
    """Asks the killed instance whether it serves, every 0.5 s from the kill on, in a thread of
    its own: nothing the visitor does meanwhile (its next turn, its disconnect) delays the
    figure. Measured after the visitor's disconnect instead, the figure was never under 30 s:
    a socket.io client on long-polling waits for its pending poll before disconnect returns,
    and the engine.io server does not answer that poll after the client's close packet, so the
    poll ends at the client's own timeout (ping interval 25 s + 5 s) while the restarted
    instance has long been serving."""

    def __init__(self, profile: WholeProfile, name: str, killed_at: float, budget: float) -> None:
        self.profile, self.name, self.killed_at, self.budget = profile, name, killed_at, budget
        self.back_after: float | None = None
        self.thread = threading.Thread(target=self._watch, name=f"watch-{name}", daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while time.monotonic() - self.killed_at < self.budget:
            if self.profile.is_up(self.name):
                self.back_after = time.monotonic() - self.killed_at
                return
            time.sleep(0.5)

    def result(self) -> float | None:
        """Seconds from the kill to the first answer, or None if not back within the budget."""
        self.thread.join()
        return self.back_after


def test_a_killed_instance_is_survived_and_restarted(profile):
    # The killed instance must come back by itself within 30 s of the kill; on a machine so
    # busy that the whole profile's own cold start took longer, within that.
    budget = max(30.0, profile.cold_start_seconds)

    async def drill():
        visitor = WidgetVisitor(profile.lb)
        # Long-polling, the widget's first transport (this python-socketio's WebSocket client
        # needs a newer aiohttp than Rasa pins); the held poll shows which instance serves it.
        await visitor.sio.connect(
            profile.lb, socketio_path="socket.io", transports=["polling"], wait_timeout=30
        )
        try:
            first = await visitor.say("what is tms", 60)
            assert first["topic"] == "tms.overview"
            victim, deadline = None, time.monotonic() + 30
            while victim is None and time.monotonic() < deadline:
                victim = _instance_with_the_socket(profile)
                await asyncio.sleep(0.1)
            assert victim is not None, "could not tell which instance holds the socket"
            before = _part_pids(profile)
            assert set(before) >= {"actions", "lb", "console"} | {
                f"rasa{i}" for i in range(1, INSTANCES + 1)
            }, before
            os.kill(before[f"rasa{victim}"], signal.SIGKILL)
            killed_at = time.monotonic()
            watch = RestartWatch(profile, f"rasa{victim}", killed_at, budget)
            # The widget notices its socket closing; the visitor's next message follows.
            await asyncio.wait_for(visitor.lost.wait(), 5)
            second = await visitor.say("does tms hurt", 5 - (time.monotonic() - killed_at))
            answered_after = time.monotonic() - killed_at
            return visitor.session_id, victim, before, watch, second, answered_after
        finally:
            await visitor.sio.disconnect()  # waits out the unanswered poll (RestartWatch)

    session_id, victim, before, watch, second, answered_after = asyncio.run(drill())
    assert second["topic"].startswith("tms."), second
    assert answered_after < 5
    back_after = watch.result()
    assert back_after is not None, f"rasa{victim} not back within {budget:.0f} s (logs/reliability-drill.log)"
    after = _part_pids(profile)
    for name, pid in before.items():
        if name != f"rasa{victim}":
            assert after.get(name) == pid, f"{name} was restarted too"
    assert after[f"rasa{victim}"] != before[f"rasa{victim}"]
    # One conversation: both turns are in the same tracker.
    sent = [e["text"] for e in profile.events(session_id) if e.get("event") == "user"]
    assert sent == ["what is tms", "does tms hurt"], sent
    FIGURES["drill_answered_after_kill_seconds"] = round(answered_after, 2)
    FIGURES["drill_instance_back_after_seconds"] = round(back_after, 1)
    FIGURES["drill_cold_start_seconds"] = round(profile.cold_start_seconds, 1)

"""Hostile input: hypothesis generates malformed webhook bodies and messages (invalid JSON,
wrong types, huge, deeply nested, control characters, unicode edge cases, HTML/SQL/template
text) for the public entry point (the load balancer, REST) and for the widget's socket.io
channel. No 5xx, every 200 carries exactly one contract payload, the servers stay up, and valid
visitors interleaved with the fuzz are answered correctly."""

import asyncio
import json
import threading
import time
import uuid

import requests
import socketio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from practice import message_guard
from practice.knowledge.loader import knowledge_base
from tests.reliability.stack import FIGURES, INSTANCES, customs

REST_EXAMPLES = 2000
SOCKET_EXAMPLES = 300
CANARY_EVERY = 100
UNAVAILABLE = knowledge_base().phrases["unavailable"]

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "'; DROP TABLE events; --",
    "' OR '1'='1",
    '" OR 1=1 --',
    "' UNION SELECT reference, contact FROM bookings --",
    "{{ 7*7 }}",
    "${jndi:ldap://example.org/a}",
    "../../../../etc/passwd",
    "%00%0d%0a",
    "\u202eevil\u202c",
    "\ufeffwhat is tms",
    "e\u0301" * 40,
    "𝕿𝕸𝕾 𝖍𝖚𝖗𝖙?",
    "🧠" * 200,
    "\U0010ffff\U000e0001",
    "ｗｈａｔ ｉｓ ｔｍｓ",
    "Z̸̢̛̖a̷l̶g̵o̴" * 20,
    "\x00\x01\x1b[31m red",
    '/inform{"appointment_time": "2026-13-45T99:00:00Z"}',
    "/restart",
    "/session_start",
    '/book_evaluation{"x": [1, 2, {"y": null}]}',
    "/" + "a" * 500,
    "\r\n" * 300,
    "i want to kill myself <script>",
    "DROP TABLE bookings; i want to end my life",
]

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
huge = st.builds(
    lambda chunk, times: chunk * times,
    st.sampled_from(["x", "what is tms ", "é", "🙂", "<b>", "\u0000", "'; --"]),
    st.integers(min_value=1000, max_value=40000),
)
messages = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=80),  # C0/C1 control characters
    st.sampled_from(HOSTILE),
    st.builds(lambda a, b: a + " " + b, st.sampled_from(HOSTILE), st.text(max_size=60)),
    huge,
)
# Mostly fresh visitors (hypothesis repeats short strings, which the rate limit then answers).
senders = st.one_of(
    st.uuids().map(str), st.uuids().map(str), st.uuids().map(str), st.text(min_size=1, max_size=300)
)


def _dump(value) -> bytes:
    return json.dumps(value).encode()


well_typed = st.builds(lambda s, m: _dump({"sender": s, "message": m}), senders, messages)
bodies = st.one_of(
    # well-typed bodies with hostile messages: these reach Rasa (weighted: a third of the run)
    well_typed,
    well_typed,
    well_typed,
    st.builds(
        lambda s, m, x: _dump({"sender": s, "message": m, "metadata": x}),
        senders,
        messages,
        st.one_of(st.dictionaries(st.text(max_size=8), json_values, max_size=4), json_values),
    ),
    # wrong types
    st.builds(lambda s, m: _dump({"sender": s, "message": m}), json_values, json_values),
    json_values.map(_dump),
    # not JSON at all, or broken JSON
    st.binary(max_size=400),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.builds(lambda m, cut: _dump({"sender": "x", "message": m})[:cut], messages, st.integers(0, 60)),
    st.sampled_from(
        [
            b"",
            b"{",
            b"[",
            b"null",
            b"NaN",
            b'{"sender":}',
            b"\xff\xfe{}",
            b'{"sender": "a", "message": "\\ud800"}',
            b'{"sender": "\\u0000", "message": "hi"}',
            b'{"sender": "a", "message": "hi", "sender": ["b"]}',
            b'{"sender": 1e999, "message": "hi"}',
            b"[" * 50000 + b"]" * 50000,
            b'{"sender": "a", "message": "' + b"\\" * 10001 + b'"}',
        ]
    ),
    # over the load balancer's body limit
    st.just(b'{"sender": "big", "message": "' + b"x" * (2 << 20) + b'"}'),
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        None,
    ]
)
methods = st.sampled_from(["POST"] * 12 + ["GET", "PUT", "DELETE"])


class Counts:
    def __init__(self):
        self.inputs = self.canaries = self.statuses_2xx = self.statuses_4xx = self.reached = 0
        self.statuses = {}


def _slash_command(body: bytes) -> bool:
    try:
        message = json.loads(body).get("message")
    except Exception:
        return False
    return isinstance(message, str) and message_guard.clean(message).startswith("/")


def _canary(stack, topic="tms.overview"):
    sender = f"canary-{uuid.uuid4().hex}"
    response = requests.post(stack.webhook, json={"sender": sender, "message": "what is tms"}, timeout=120)
    assert response.status_code == 200, response.text
    payloads = customs(response.json())
    assert len(payloads) == 1 and payloads[0]["topic"] == topic, response.json()


def test_rest_fuzz(stack):
    counts = Counts()
    session = requests.Session()

    @settings(
        max_examples=REST_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(body=bodies, content_type=content_types, method=methods)
    def fuzz(body, content_type, method):
        headers = {"Content-Type": content_type} if content_type else {}
        response = session.request(method, stack.webhook, data=body, headers=headers, timeout=120)
        counts.inputs += 1
        counts.statuses[response.status_code] = counts.statuses.get(response.status_code, 0) + 1
        assert response.status_code < 500, (response.status_code, body[:300], response.text[:300])
        if response.status_code == 200:
            counts.statuses_2xx += 1
            replies = response.json()
            assert isinstance(replies, list) and len(customs(replies)) == 1, (body[:300], replies)
            assert any((r.get("text") or "").strip() for r in replies), "a reply without text"
            # Action server and database are up: "unavailable" would mean the input broke the turn.
            # (Slash commands such as "/restart" run Rasa actions that say nothing, and the
            # channel then adds that reply: not a broken turn.)
            if not _slash_command(body):
                assert not any(UNAVAILABLE in (r.get("text") or "") for r in replies), body[:300]
            counts.reached += 1
        else:
            counts.statuses_4xx += 1
            assert response.status_code in (400, 404, 405, 413, 429), (
                response.status_code,
                response.text[:300],
            )
        if counts.inputs % CANARY_EVERY == 0:
            _canary(stack)
            counts.canaries += 1

    started = time.monotonic()
    fuzz()
    for i in range(1, INSTANCES + 1):
        assert stack.alive(f"rasa{i}") and stack.is_up(f"rasa{i}"), f"instance {i} is down after the fuzz"
    _canary(stack)
    counts.canaries += 1
    assert counts.inputs >= REST_EXAMPLES
    FIGURES["fuzz_rest_inputs"] = counts.inputs
    FIGURES["fuzz_rest_answered_200"] = counts.statuses_2xx
    FIGURES["fuzz_rest_rejected_4xx"] = counts.statuses_4xx
    for status, count in counts.statuses.items():
        FIGURES[f"fuzz_rest_status_{status}"] = count
    FIGURES["fuzz_valid_turns_interleaved"] += counts.canaries
    FIGURES["fuzz_rest_seconds"] = round(time.monotonic() - started, 1)


class SocketVisitor:
    """A socket.io client (through the load balancer) on an event loop of its own."""

    def __init__(self, url):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.replies = []
        self.client = socketio.AsyncClient(reconnection=False)

        @self.client.on("bot_uttered")
        async def on_bot(data):
            self.replies.append(data)

        @self.client.on("session_confirm")
        async def on_confirm(data):
            self.session_id = data

        self.session_id = None
        # Long-polling: every request must reach the same instance (the load balancer's
        # stickiness). python-engineio's WebSocket client needs a newer aiohttp than Rasa's pin,
        # so the WebSocket path is tested with the raw protocol (test_widget_over_websocket).
        self.run(self.client.connect(url, socketio_path="socket.io", transports=["polling"]))

    def run(self, coroutine, timeout=60):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def emit(self, event, data):
        self.run(self.client.emit(event, data))

    def new_session(self):
        self.session_id = None
        wanted = uuid.uuid4().hex
        self.emit("session_request", {"session_id": wanted})
        deadline = time.monotonic() + 30
        while self.session_id != wanted and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.session_id == wanted
        return wanted

    def ask(self, text, timeout=120):
        start = len(self.replies)
        self.emit("user_uttered", {"message": text, "session_id": self.session_id})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            payloads = [r["custom"] for r in self.replies[start:] if isinstance(r, dict) and "custom" in r]
            if payloads:
                return payloads
            time.sleep(0.05)
        raise AssertionError(f"no reply to {text!r}")

    @property
    def connected(self):
        return self.client.connected

    def close(self):
        try:  # a long-poll in flight may hold the disconnect for up to the ping interval
            self.run(self.client.disconnect(), timeout=40)
        except Exception:
            pass
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)


socket_payloads = st.one_of(
    st.fixed_dictionaries({"message": messages}),  # session id missing
    st.fixed_dictionaries({"message": json_values, "session_id": st.text(max_size=70)}),
    json_values,  # not an object
    st.fixed_dictionaries({"message": messages, "own_session": st.just(True)}),  # hostile text
)
session_requests = st.one_of(
    json_values,
    st.fixed_dictionaries({"session_id": json_values}),
    st.fixed_dictionaries({"session_id": st.text(max_size=80)}),
)


def test_socketio_fuzz(stack):
    visitor = SocketVisitor(stack.lb)
    inputs = slash_commands = 0
    try:
        session = visitor.new_session()

        @settings(
            max_examples=SOCKET_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(payload=socket_payloads, request=st.one_of(st.none(), session_requests))
        def fuzz(payload, request):
            nonlocal inputs, slash_commands
            if request is not None:
                visitor.emit("session_request", request)
                inputs += 1
                visitor.new_session()  # back to a session of our own
            if isinstance(payload, dict) and payload.pop("own_session", False):
                payload = {**payload, "session_id": visitor.session_id}
                if _slash_command(json.dumps(payload).encode()):
                    slash_commands += 1
            visitor.emit("user_uttered", payload)
            inputs += 1
            assert visitor.connected, "the server dropped the socket"

        fuzz()
        time.sleep(2)
        assert visitor.connected
        broken = [r for r in visitor.replies if isinstance(r, dict) and UNAVAILABLE in (r.get("text") or "")]
        # Only a slash command ("/restart") may end without a payload of its own (see above).
        assert len(broken) <= slash_commands, f"{len(broken)} turns broken by the input"
        # The same socket, a fresh session (the fuzzed one may be over its rate limit).
        visitor.new_session()
        payloads = visitor.ask("what is tms")
        assert payloads[-1]["topic"] == "tms.overview", payloads
        assert session
    finally:
        visitor.close()
    _canary(stack)
    FIGURES["fuzz_socketio_inputs"] = inputs
    FIGURES["fuzz_valid_turns_interleaved"] += 2
    FIGURES["fuzz_inputs_total"] = FIGURES["fuzz_rest_inputs"] + inputs


def test_widget_over_websocket_through_the_load_balancer(stack):
    """The widget's transport after the upgrade: engine.io v4 over a WebSocket, spoken raw."""
    import aiohttp

    async def run():
        session_id = uuid.uuid4().hex
        url = f"ws://127.0.0.1:{stack.lb_port}/socket.io/?EIO=4&transport=websocket"
        async with aiohttp.ClientSession() as client:
            async with client.ws_connect(url, headers={"Origin": stack.lb}) as ws:

                async def receive(prefix):
                    while True:
                        message = await asyncio.wait_for(ws.receive_str(), 120)
                        if message == "2":  # engine.io ping
                            await ws.send_str("3")
                        elif message.startswith(prefix):
                            return message

                await receive("0{")  # engine.io open
                await ws.send_str("40")  # socket.io connect
                await receive("40")
                await ws.send_str("42" + json.dumps(["session_request", {"session_id": session_id}]))
                confirm = json.loads((await receive('42["session_confirm"'))[2:])
                assert confirm[1] == session_id
                await ws.send_str(
                    "42" + json.dumps(["user_uttered", {"message": "what is tms", "session_id": session_id}])
                )
                while True:
                    event = json.loads((await receive('42["bot_uttered"'))[2:])[1]
                    if "custom" in event:
                        return event

    event = asyncio.run(run())
    assert event["custom"]["topic"] == "tms.overview" and event["reply_to"]
    FIGURES["fuzz_valid_turns_interleaved"] += 1

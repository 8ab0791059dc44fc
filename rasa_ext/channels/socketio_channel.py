"""The website widget's channel: Rasa's socket.io channel, guarded like the REST channel.

Registered in credentials.yml as `rasa_ext.channels.socketio_channel.GuardedSocketIOInput` with the
settings of Rasa's `socketio:` channel. What it adds to Rasa's SocketIOInput:

- Every visitor message is screened and answered with exactly one contract payload per turn,
  by the same code as the REST channel (practice/message_guard.py): the turn is collected,
  checked with `ensure_contract`, then emitted. A crisis signal always gets the crisis reply.
- Visitors over the rate limit (rasa_ext/channels/rate_limit.py; per session id and per client
  address) get the `rate_limited` contract reply instead of a Rasa turn.
- Every emitted bot message carries `reply_to`: the id of the visitor message it answers (the
  `message_id` of the UserUttered event in the tracker), so feedback can point at a turn.
- The contract payload is emitted as `{"custom": {...}, "reply_to": ...}` (Rasa's own
  SocketIOOutput passes the custom dict as keyword arguments to `emit`, which fails).
- `session_request` joins the session's room (python-socketio 5.18's `enter_room` is a
  coroutine that Rasa 3.6 never awaits, so stock session persistence silently drops replies)
  and only accepts well-formed session ids; messages are answered for the socket's session.
- Browsers connect only from the configured origins: `cors_allowed_origins` in credentials.yml
  (a list, or a space/comma separated string) or else the `CORS_ORIGINS` environment
  variable (what `rasa run --cors` gets in scripts/run.sh). Without either, same origin only.
- `POST /webhooks/socketio/feedback` with `{"session_id", "message_id", "value": "up"|"down"}`
  stores the visitor's thumbs up/down in the conversation's tracker as a `SlotSet` of the
  `feedback` slot: `{"value", "message_id", "bot_ts", "topic"}` (staff filter on it). It counts
  against the rate limits like a message, and each answer takes at most
  MAX_FEEDBACK_PER_MESSAGE of them (429 after).
"""

from __future__ import annotations

import inspect
import logging
import os
import re
import uuid
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import rasa.core.channels.channel
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from practice import message_guard
from practice.client_key import with_client_key
from rasa_ext.channels import rate_limit
from rasa_ext.channels.rest_channel import crisis_response

logger = logging.getLogger(__name__)

FEEDBACK_SLOT = "feedback"
FEEDBACK_VALUES = ("up", "down")
MAX_FEEDBACK_BODY = 4096
# A visitor may change their mind about an answer; a script may not grow the tracker forever.
MAX_FEEDBACK_PER_MESSAGE = 5
# Session ids the widget may ask to resume: long enough not to be guessed or collide.
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# Message ids are generated here (uuid4 hex).
MESSAGE_ID = re.compile(r"^[0-9a-f]{32}$")


def parse_origins(value: Any) -> list[str]:
    """Origins from a list or a space/comma separated string, without trailing slashes."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else re.split(r"[\s,]+", str(value))
    return [str(item).strip().rstrip("/") for item in items if str(item).strip()]


def _same_origin(origin: str, host: str | None) -> bool:
    return bool(host) and origin.split("://", 1)[-1] == host


class GuardedSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output, one bubble per bot message, tagged with the turn it answers."""

    def __init__(self, sio: AsyncServer, bot_message_evt: str, reply_to: str | None = None):
        super().__init__(sio, bot_message_evt)
        self.reply_to = reply_to

    async def _send_message(self, socket_id: str, message: Any) -> None:
        if isinstance(message, dict):
            message = {**message, "reply_to": self.reply_to}
        await super()._send_message(socket_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        # Rasa splits on blank lines into separate messages; one answer stays one bubble here.
        await self._send_message(recipient_id, {"text": text.strip()})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        quick_replies = [
            {"content_type": "text", "title": b.get("title"), "payload": b.get("payload")} for b in buttons
        ]
        await self._send_message(recipient_id, {"text": (text or "").strip(), "quick_replies": quick_replies})

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class _TurnCollector(CollectingOutputChannel):
    """Collects a turn's bot messages; unlike Rasa's, keeps an answer's paragraphs together."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text.strip()))


class GuardedSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with the REST channel's guarantees (see module docstring)."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GuardedSocketIOInput:
        credentials = credentials or {}
        channel = super().from_credentials(credentials)
        origins = credentials.get("cors_allowed_origins")
        if origins is None:
            origins = os.environ.get("CORS_ORIGINS")
        channel.allowed_origins = parse_origins(origins)
        return channel

    def __init__(self, *args: Any, allowed_origins: list[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.allowed_origins: list[str] = list(allowed_origins or [])
        self._app: Sanic | None = None

    # -- helpers -------------------------------------------------------------------------

    def origin_allowed(self, origin: str | None, host: str | None) -> bool:
        """Browsers always send Origin; a missing one is a non-browser client (tests, curl)."""
        if not origin:
            return True
        origin = origin.rstrip("/")
        return "*" in self.allowed_origins or origin in self.allowed_origins or (_same_origin(origin, host))

    def get_output_channel(self) -> rasa.core.channels.channel.OutputChannel | None:
        if self.sio is None:
            return super().get_output_channel()
        return GuardedSocketIOOutput(self.sio, self.bot_message_evt)

    def _crisis_response(self, kind: str | None) -> dict[str, Any]:
        # rasa_ext.channels.rest_channel.crisis_response only reads request.app.ctx.agent.
        return crisis_response(SimpleNamespace(app=self._app), kind)  # type: ignore[arg-type]

    async def _turn(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sender_id: str,
        raw: Any,
        client: str | None = None,
    ) -> tuple:
        """Runs one visitor turn; returns (message id or None if Rasa never saw it, replies)."""
        if raw is not None and not isinstance(raw, str):
            raw = None
        text = message_guard.clean(raw)
        kind = message_guard.crisis_kind(text)
        if await rate_limit.limiter().retry_after(sender_id, client):
            return None, message_guard.rate_limited_reply(kind, self._crisis_response(kind))
        reason = message_guard.screen(text)
        if reason:
            return None, message_guard.screened_reply(reason, kind, self._crisis_response(kind))
        if message_guard.conversation_store_down(getattr(getattr(self._app, "ctx", None), "agent", None)):
            return None, message_guard.ensure_contract([], text, kind, self._crisis_response(kind))
        message_id = uuid.uuid4().hex
        collector = _TurnCollector()
        try:
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender_id,
                    input_channel=self.name(),
                    message_id=message_id,
                    metadata=with_client_key(None, client),
                )
            )
        except (CancelledError, Exception):
            # Message text is never logged: it may hold health details or contact data.
            logger.exception("socketio channel: handling a message failed")
        replies = message_guard.ensure_contract(collector.messages, text, kind, self._crisis_response(kind))
        return message_id, replies

    # -- the blueprint -------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        channel = self
        # cors_allowed_origins=[] turns off engine.io's own CORS headers, which would be
        # duplicated by `rasa run --cors` (sanic-cors); origins are checked on connect instead.
        # max_http_buffer_size: the same body cap as the REST channel, for polling and WebSocket.
        sio = AsyncServer(
            async_mode="sanic", cors_allowed_origins=[], max_http_buffer_size=message_guard.MAX_BODY_BYTES
        )

        class _Blueprint(SocketBlueprint):
            def register(self, app: Sanic, options: dict[str, Any]) -> None:
                channel._app = app
                super().register(app, options)

        webhook = _Blueprint(sio, self.socketio_path, "guarded_socketio_webhook", __name__)
        self.sio = sio

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/feedback", methods=["POST", "OPTIONS"])
        async def feedback(request: Request) -> HTTPResponse:
            if request.method == "OPTIONS":  # CORS preflight; `rasa run --cors` adds headers
                return response.empty(status=204)
            return await channel.store_feedback(request)

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if not self.origin_allowed(origin, environ.get("HTTP_HOST")):
                logger.warning("socketio: rejected a connection from origin %s", origin)
                return False
            if self.jwt_key:
                token = auth.get("token") if isinstance(auth, dict) else None
                payload = None
                if token:
                    payload = rasa.core.channels.channel.decode_bearer_token(
                        token, self.jwt_key, self.jwt_algorithm
                    )
                return bool(payload)
            return True

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str, *args: Any) -> None:
            logger.debug("socketio: %s disconnected", sid)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            if not (isinstance(requested, str) and SESSION_ID.match(requested)):
                requested = uuid.uuid4().hex
            session = await sio.get_session(sid, namespace=self.namespace)
            previous = session.get("session_id")
            if previous and previous != requested:
                await _maybe_await(sio.leave_room(sid, previous, namespace=self.namespace))
            if self.session_persistence:
                await _maybe_await(sio.enter_room(sid, requested, namespace=self.namespace))
            session["session_id"] = requested
            await sio.save_session(sid, session, namespace=self.namespace)
            await sio.emit("session_confirm", requested, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            if not isinstance(data, dict):
                return
            if self.session_persistence:
                session = await sio.get_session(sid, namespace=self.namespace)
                sender_id = session.get("session_id")
                if not sender_id or data.get("session_id") != sender_id:
                    # Same rule as Rasa: no session_request first, no answer. Replies go to
                    # the session's room, so a socket only speaks for the session it joined.
                    logger.warning("socketio: message without a confirmed session ignored")
                    return
            else:
                sender_id = sid
            message_id, replies = await self._turn(
                on_new_message, sender_id, data.get("message"), _client_address(sio, sid, self.namespace)
            )
            output = GuardedSocketIOOutput(sio, self.bot_message_evt, reply_to=message_id)
            for reply in replies:
                reply = {k: v for k, v in reply.items() if k != "recipient_id"}
                try:
                    await output.send_response(sender_id, reply)
                except Exception:
                    logger.exception("socketio channel: sending a reply failed")

        return webhook

    # -- feedback ------------------------------------------------------------------------

    async def store_feedback(self, request: Request) -> HTTPResponse:
        """Validates a thumbs up/down and appends it to the conversation as a SlotSet."""
        if not self.origin_allowed(request.headers.get("origin"), request.headers.get("host")):
            return _error("origin not allowed", 403)
        if len(request.body or b"") > MAX_FEEDBACK_BODY:
            return _error("body too large", 413)
        try:
            body = request.json
        except Exception:  # sanic raises InvalidUsage on malformed JSON
            return _error("body must be JSON")
        if not isinstance(body, dict):
            return _error("body must be a JSON object")
        session_id, message_id, value = (body.get("session_id"), body.get("message_id"), body.get("value"))
        if not isinstance(session_id, str) or not re.match(r"^[A-Za-z0-9_-]{1,128}$", session_id):
            return _error("'session_id' must be a session id")
        if not isinstance(message_id, str) or not MESSAGE_ID.match(message_id):
            return _error("'message_id' must be the reply_to of a bot message")
        if value not in FEEDBACK_VALUES:
            return _error("'value' must be 'up' or 'down'")
        # The same limits as messages (per session id and per client address).
        wait = await rate_limit.limiter().retry_after(
            f"feedback:{session_id}", rate_limit.client_address(request.ip, request.headers)
        )
        if wait:
            return response.json(
                {"error": "too many requests"}, status=429, headers={"Retry-After": str(wait)}
            )

        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or agent.tracker_store is None or agent.lock_store is None:
            return _error("assistant not ready", 503)
        try:
            async with agent.lock_store.lock(session_id):
                tracker = await agent.tracker_store.retrieve(session_id)
                if tracker is None:
                    return _error("unknown session", 404)
                answered = _answered_turn(tracker.events, message_id)
                if answered is None:
                    return _error("unknown message", 404)
                if _feedback_count(tracker.events, message_id) >= MAX_FEEDBACK_PER_MESSAGE:
                    return _error("feedback for this message was already stored", 429)
                event = SlotSet(FEEDBACK_SLOT, {"value": value, "message_id": message_id, **answered})
                tracker.update(event, agent.domain)
                await agent.tracker_store.save(tracker)
        except Exception:
            logger.exception("socketio channel: storing feedback failed")
            return _error("feedback could not be stored, please try again", 503)
        return response.json({"status": "stored", "value": value})


def _answered_turn(events: Any, message_id: str) -> dict[str, Any] | None:
    """The bot reply to the visitor message `message_id`: its timestamp and topic."""
    found = False
    reply: dict[str, Any] = {"bot_ts": None, "topic": None}
    for event in events:
        if isinstance(event, UserUttered):
            if found:
                break
            found = event.message_id == message_id
        elif found and isinstance(event, BotUttered):
            custom = (event.data or {}).get("custom")
            if reply["bot_ts"] is None or isinstance(custom, dict):
                reply["bot_ts"] = event.timestamp
            if isinstance(custom, dict):
                reply["topic"] = custom.get("topic")
                break
    return reply if found else None


def _feedback_count(events: Any, message_id: str) -> int:
    return sum(
        1
        for event in events
        if isinstance(event, SlotSet)
        and event.key == FEEDBACK_SLOT
        and isinstance(event.value, dict)
        and event.value.get("message_id") == message_id
    )


def _client_address(sio: AsyncServer, sid: str, namespace: str | None) -> str | None:
    """The visitor's address for the rate limit (rasa_ext/channels/rate_limit.py)."""
    try:
        environ = sio.get_environ(sid, namespace=namespace) or {}
    except Exception:
        return None
    request = environ.get("sanic.request")
    peer = getattr(request, "ip", None) or environ.get("REMOTE_ADDR")
    return rate_limit.client_address(peer, {"x-forwarded-for": environ.get("HTTP_X_FORWARDED_FOR", "")})


def _error(reason: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


async def _maybe_await(result: Any) -> None:
    """python-socketio made enter_room/leave_room coroutines in 5.x; accept both."""
    if inspect.isawaitable(result):
        await result

"""The public REST channel, guarded: every message gets a contract reply, no 5xx.

Registered in credentials.yml as `rasa_ext.channels.rest_channel.GuardedRestInput`; it keeps Rasa's
URL (/webhooks/rest/webhook) and request shape ({"sender": ..., "message": ...}).
A visitor over the rate limit (rasa_ext/channels/rate_limit.py) gets HTTP 429 with a `Retry-After`
header and the `rate_limited` contract reply (a crisis message still gets the crisis reply).
"""

from __future__ import annotations

import json
import logging
import re
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from practice import log_redaction, message_guard
from practice.client_key import with_client_key
from rasa_ext.channels import rate_limit
from rasa_ext.runtime import patches

log_redaction.install()  # no emails, phone numbers or SQL parameters in the logs

logger = logging.getLogger(__name__)

MAX_METADATA_CHARS = 4096
_SENDER_UNSTORABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")

CRISIS_RESPONSE = "utter_crisis"
EMERGENCY_RESPONSE = "utter_emergency"


def _bad_request(reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=400)


def crisis_response(request: Request, kind: str | None) -> dict[str, Any]:
    """The crisis reply as written in the model's domain (the one place it lives)."""
    name = EMERGENCY_RESPONSE if kind == "emergency" else CRISIS_RESPONSE
    agent = getattr(request.app.ctx, "agent", None)
    variants = agent.domain.responses.get(name) if agent and agent.domain else None
    if not variants:  # no model loaded: still never leave a visitor in crisis without 988
        return {
            "text": message_guard.knowledge_base().phrases["unavailable"],
            "custom": {
                "topic": "safety.crisis",
                "sources": [],
                "defer_to_clinician": True,
                "flags": ["crisis"],
            },
        }
    variant = variants[0]
    return {"text": variant.get("text"), "custom": variant.get("custom")}


async def limit_request_size(app: Any, _loop: Any = None) -> None:
    """Sanic refuses bodies over REQUEST_MAX_SIZE (413) before reading them; its default is
    100 MB. Each connection reads the setting when it opens, so setting it before the server
    starts covers every request, the REST webhook's and socket.io's polling alike."""
    app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE, message_guard.MAX_BODY_BYTES)


class GuardedRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("guarded_rest_webhook", __name__)

        # The model is loaded (before_server_start) by now: out of the collector's reach too,
        # when the entry point installed the runtime (rasa_ext/runtime/patches.py, `gc`).
        webhook.listener("after_server_start")(patches.freeze_loaded_model)
        webhook.listener("before_server_start")(limit_request_size)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if len(request.body or b"") > message_guard.MAX_BODY_BYTES:
                return response.json({"error": "body too large"}, status=413)
            try:
                body = request.json
            except Exception:  # sanic raises InvalidUsage on malformed JSON
                return _bad_request("body must be JSON")
            if not isinstance(body, dict):
                return _bad_request("body must be a JSON object")
            sender, raw = body.get("sender"), body.get("message")
            if not isinstance(sender, (str, int)) or isinstance(sender, bool) or not str(sender).strip():
                return _bad_request("'sender' must be a non-empty string")
            if raw is not None and not isinstance(raw, str):
                return _bad_request("'message' must be a string")
            metadata = body.get("metadata")
            if metadata is not None and (
                not isinstance(metadata, dict) or len(json.dumps(metadata)) > MAX_METADATA_CHARS
            ):  # Rasa stores it with the message; anything but a small object breaks the turn
                return _bad_request(
                    f"'metadata' must be a JSON object of at most {MAX_METADATA_CHARS} characters"
                )
            # Control characters and lone surrogates cannot be stored (PostgreSQL rejects NUL).
            sender = _SENDER_UNSTORABLE.sub("", str(sender)).strip()[:128]
            if not sender:
                return _bad_request("'sender' must be a non-empty string")
            text = message_guard.clean(raw)
            kind = message_guard.crisis_kind(text)
            wait = await rate_limit.limiter().retry_after(
                sender, rate_limit.client_address(request.ip, request.headers)
            )
            if wait:  # over the limit: a contract reply, 429 (a crisis still gets 988, 200)
                return response.json(
                    message_guard.rate_limited_reply(kind, crisis_response(request, kind)),
                    status=200 if kind else 429,
                    headers={"Retry-After": str(wait)},
                )
            reason = message_guard.screen(text)
            if reason:
                return response.json(
                    message_guard.screened_reply(reason, kind, crisis_response(request, kind))
                )
            return response.json(await self._handle(request, on_new_message, sender, text, kind))

        return webhook

    async def _handle(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sender: str,
        text: str,
        kind: str | None,
    ) -> list[dict[str, Any]]:
        if message_guard.conversation_store_down(getattr(request.app.ctx, "agent", None)):
            return message_guard.ensure_contract([], text, kind, crisis_response(request, kind))
        collector = CollectingOutputChannel()
        try:
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender,
                    input_channel=self.name(),
                    metadata=with_client_key(
                        self.get_metadata(request), rate_limit.client_address(request.ip, request.headers)
                    ),
                )
            )
        except (CancelledError, Exception):
            # Message text is never logged: it may hold health details or contact data.
            logger.exception("rest channel: handling a message failed")
        return message_guard.ensure_contract(collector.messages, text, kind, crisis_response(request, kind))

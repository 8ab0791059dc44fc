"""Fixtures for tests that talk to a running assistant (started by scripts/test_servers.sh)."""

import os
import uuid
from typing import Any

import pytest
import requests

ASSISTANT_URL = os.environ.get("ASSISTANT_URL", "http://127.0.0.1:5105")
WEBHOOK = f"{ASSISTANT_URL}/webhooks/rest/webhook"


class Visitor:
    """One visitor's conversation over the REST channel."""

    def __init__(self) -> None:
        self.sender = "test-" + uuid.uuid4().hex[:12]

    def post(self, body: Any, timeout: float = 60) -> requests.Response:
        return requests.post(WEBHOOK, json=body, timeout=timeout)

    def say(self, text: str) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
        """Returns (the one contract payload, all reply text, raw replies)."""
        response = self.post({"sender": self.sender, "message": text})
        assert response.status_code == 200, response.text
        replies = response.json()
        customs = [r["custom"] for r in replies if isinstance(r.get("custom"), dict)]
        assert len(customs) == 1, f"expected one contract payload for {text!r}, got {replies}"
        return customs[0], " ".join(r.get("text") or "" for r in replies), replies


@pytest.fixture
def visitor() -> Visitor:
    return Visitor()

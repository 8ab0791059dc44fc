"""Security defaults of the production profile: the rate limit holds across instances (Redis),
Rasa's HTTP API is off on the instances and not routed by the load balancer, the instances
listen on loopback only, CORS answers only the configured origins, long messages get the
clear too-long reply."""

import http.client
import socket
import time
import uuid

import pytest
import requests

from practice.knowledge.loader import knowledge_base
from practice.message_guard import MAX_MESSAGE_CHARS
from tests.reliability.stack import FIGURES, INSTANCES, customs, text_of


def _post(url, sender, text):
    return requests.post(url, json={"sender": sender, "message": text}, timeout=120)


def test_rate_limit_is_shared_by_the_instances(stack):
    if time.time() % 60 > 40:  # stay inside one 60 s window
        time.sleep(61 - time.time() % 60)
    sender = f"flood-{uuid.uuid4().hex}"
    # 30 messages allowed per minute: blank ones are answered without running Rasa. The load
    # balancer alternates instances, so per-process counters would allow 60.
    for _ in range(30):
        response = _post(stack.webhook, sender, "   ")
        assert response.status_code == 200
    response = _post(stack.webhook, sender, "what is tms")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    payloads = customs(response.json())
    assert len(payloads) == 1 and payloads[0]["flags"] == ["rate_limited"]
    assert knowledge_base().phrases["rate_limited"] in text_of(response.json())
    for i in range(1, INSTANCES + 1):  # the same on every instance
        assert _post(f"{stack.instance(i)}/webhooks/rest/webhook", sender, "hi").status_code == 429
    # A crisis is still answered with 988, rate limit or not.
    response = _post(stack.webhook, sender, "i want to kill myself")
    assert response.status_code == 200 and customs(response.json())[0]["topic"] == "safety.crisis"
    # Other visitors are not affected.
    response = _post(stack.webhook, f"other-{uuid.uuid4().hex}", "what is tms")
    assert response.status_code == 200 and customs(response.json())[0]["topic"] == "tms.overview"
    FIGURES["rate_limited_replies_checked"] += 2 + INSTANCES


API_PATHS = ("/conversations/nobody/tracker", "/model/parse", "/status", "/version", "/domain")


def test_instances_have_no_http_api(stack):
    # Production runs without --enable-api: even on an instance's own port, with a token.
    for i in range(1, INSTANCES + 1):
        for path in API_PATHS:
            response = requests.get(f"{stack.instance(i)}{path}", params={"token": stack.token}, timeout=10)
            assert response.status_code in (404, 405), (i, path, response.status_code)


# Paths that name Rasa's API once normalised, dressed as the chat channels' prefixes.
TRAVERSALS = [
    "/webhooks/../conversations/{id}/tracker",
    "/webhooks/%2e%2e/conversations/{id}/tracker",
    "/webhooks/%2E%2E/conversations/{id}/tracker",
    "/webhooks/rest/../../conversations/{id}/tracker",
    "/webhooks/rest/..%2f..%2fconversations/{id}/tracker",
    "/socket.io/../conversations/{id}/tracker",
    "/socket.io/%2e%2e/status",
    "/webhooks/./../model/parse",
    "//conversations/{id}/tracker",
    "/webhooks/..;/conversations/{id}/tracker",
]


def _raw_get(port: int, path: str) -> int:
    """GET with the path sent byte for byte (no client-side normalisation)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def test_http_api_is_not_routed_by_the_load_balancer(stack):
    sender = f"victim-{uuid.uuid4().hex[:8]}"
    assert _post(stack.webhook, sender, "what is tms").status_code == 200  # a tracker to steal
    for path in API_PATHS:
        response = requests.get(f"{stack.lb}{path}", params={"token": stack.token}, timeout=10)
        assert response.status_code == 404, path
    for template in TRAVERSALS:
        path = template.format(id=sender) + f"?token={stack.token}"
        assert _raw_get(stack.lb_port, path) == 404, path
    FIGURES["traversal_paths_refused"] += len(TRAVERSALS)


def _outside_address():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET: nothing is sent
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_instances_and_action_server_listen_on_loopback_only(stack):
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to test from")
    ports = [stack.instance_base + i for i in range(1, INSTANCES + 1)] + [stack.action_port, stack.lb_port]
    for port in ports:
        with socket.socket() as sock:
            sock.settimeout(2)
            assert sock.connect_ex((address, port)) != 0, f"port {port} is reachable on {address}"


def test_cors_only_for_configured_origins(stack):
    allowed = f"http://127.0.0.1:{stack.lb_port}"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    good = requests.options(stack.webhook, headers={"Origin": allowed, **preflight}, timeout=10)
    assert good.headers.get("Access-Control-Allow-Origin") == allowed
    bad = requests.options(stack.webhook, headers={"Origin": "https://evil.example", **preflight}, timeout=10)
    assert bad.headers.get("Access-Control-Allow-Origin") in (None, "")
    response = requests.post(
        stack.webhook,
        json={"sender": f"c-{uuid.uuid4().hex}", "message": "hi"},
        headers={"Origin": "https://evil.example"},
        timeout=60,
    )
    assert response.headers.get("Access-Control-Allow-Origin") in (None, "")


def test_message_size_limit_gets_a_clear_reply(stack):
    response = _post(stack.webhook, f"long-{uuid.uuid4().hex}", "x" * (MAX_MESSAGE_CHARS + 1))
    assert response.status_code == 200
    assert knowledge_base().phrases["too_long"] in text_of(response.json())
    response = requests.post(
        stack.webhook,
        data=b'{"sender": "a", "message": "' + b"x" * (2 << 20) + b'"}',
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413

"""Bad input gets a clear answer with a contract payload; the server never returns 5xx."""

import pytest


@pytest.mark.parametrize(
    "text",
    [
        "",
        "     ",
        "\u0000\u0001\u0002",
        "🙂🙂🙂",
        "<img src=x onerror=alert(1)>",
        "<script>alert('x')</script> what is tms",
        "'; DROP TABLE events; --",
        "¿Qué es la estimulación magnética transcraneal?",
        "x" * 100_000,
        "what is tms " * 10_000,
    ],
)
def test_bad_input_gets_one_contract_reply(visitor, text):
    payload, reply, _ = visitor.say(text)
    assert payload["topic"]
    assert reply.strip(), "the visitor always gets some text"


def test_crisis_inside_a_huge_message_still_wins(visitor):
    payload, reply, _ = visitor.say("tell me about tms. " * 3000 + " i want to kill myself")
    assert payload["topic"] == "safety.crisis" and "988" in reply


@pytest.mark.parametrize(
    "body",
    [
        "not json at all",
        [1, 2, 3],
        {"message": "hi"},
        {"sender": "", "message": "hi"},
        {"sender": "abc", "message": 42},
        {"sender": {"x": 1}, "message": "hi"},
        {"sender": "abc", "message": ["a"]},
        {"sender": "abc", "message": "hi", "metadata": [1, 2]},
        {"sender": "abc", "message": "hi", "metadata": {"x": "y" * 5000}},
        {"sender": "\u0000\u0001", "message": "hi"},
    ],
)
def test_malformed_bodies_get_a_clear_400(visitor, body):
    if isinstance(body, str):
        import requests

        from tests.integration.conftest import WEBHOOK

        response = requests.post(WEBHOOK, data=body, headers={"Content-Type": "application/json"})
    else:
        response = visitor.post(body)
    assert response.status_code == 400
    assert "error" in response.json()


def test_server_still_answers_after_bad_input(visitor):
    visitor.post({"sender": visitor.sender, "message": "\udcff" * 10})
    payload, _, _ = visitor.say("what is tms")
    assert payload["topic"] == "tms.overview"


def test_a_typed_restart_command_starts_over_with_a_contract_reply(visitor):
    visitor.say("I'd like to book an evaluation")
    payload, reply, _ = visitor.say("/restart")
    assert payload["topic"] == "chitchat.capabilities", payload
    assert "start over" in reply
    assert payload.get("requested_slot") is None  # the booking was reset, not resumed

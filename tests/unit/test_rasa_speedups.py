"""components/rasa_speedups.py: the action server's responses are checked as strictly as before."""
import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from components import rasa_speedups

GOOD = {
    "events": [{"event": "slot", "name": "last_topic", "value": "tms.overview", "timestamp": None}],
    "responses": [{"text": "hello", "custom": {"topic": "tms.overview", "sources": []}}],
}
BAD = [
    {"events": [{"event": "no_such_event"}]},
    {"events": "not a list"},
    {"responses": {"text": "not a list"}},
    {"events": [{"event": "slot", "name": 3}]},
]


def original(result):
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError as e:
        return e.message
    return None


@pytest.fixture(scope="module")
def action():
    rasa_speedups.install()
    rasa_speedups.install()  # idempotent
    assert RemoteAction._validate_action_result is rasa_speedups._validate_action_result
    return RemoteAction("action_answer", None)


def test_a_valid_response_passes(action):
    assert action._validate_action_result(GOOD) is True
    assert action._validate_action_result({}) is True


@pytest.mark.parametrize("bad", BAD)
def test_an_invalid_response_raises_the_same_error_as_before(action, bad):
    expected = original(bad)
    assert expected is not None
    with pytest.raises(jsonschema.ValidationError) as raised:
        action._validate_action_result(bad)
    assert raised.value.message.startswith(expected)
    assert "Failed to validate Action server response" in raised.value.message


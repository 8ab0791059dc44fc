"""Names typed at the booking name question are taken as names, end to end.

Some names read like other intents to the NLU ("Lee Moreno" as stop, "Emery Walsh" as an
emergency); rasa_ext/policies/booking_name_policy.py and name-shaped `inform` training examples keep
the booking going for them. A "stop" at the same question still ends the booking.
"""

import pytest

NAMES = [
    "Lee Moreno",
    "Avery Stone",
    "Harper Quinn",
    "Emery Walsh",
    "Will Price",
    "Hope Rivers",
    "grace long",
    "Chase Hunter",
    "Sunny Patel",
    "Mercy Adeyemi",
    "Rocky Nguyen",
    "Dusty Miller",
]


def _at_name_question(visitor):
    payload, _, _ = visitor.say("I'd like to book an evaluation")
    assert payload.get("requested_slot") == "full_name", payload


@pytest.mark.parametrize("name", NAMES)
def test_name_is_taken_and_the_booking_moves_on(visitor, name):
    _at_name_question(visitor)
    payload, reply, _ = visitor.say(name)
    assert payload.get("requested_slot") == "contact", (name, payload, reply)
    assert payload["topic"] == "booking.evaluation"


@pytest.mark.parametrize("text", ["stop", "never mind, cancel it"])
def test_stop_at_the_name_question_still_ends_the_booking(visitor, text):
    _at_name_question(visitor)
    payload, _, _ = visitor.say(text)
    assert payload.get("requested_slot") is None, payload

"""Every turn follows the response contract, for every kind of topic, via the live server."""

import pytest

INFO_PREFIXES = ("tms.", "meds.")

# Own phrasings (not the acceptance cases): one or two per topic family.
TOPIC_QUESTIONS = [
    ("how does transcranial magnetic stimulation actually work", "tms.overview"),
    ("how long is each tms appointment", "tms.procedure"),
    ("will tms make my scalp sore", "tms.side_effects"),
    ("is there a risk of seizures with tms", "tms.serious_risks"),
    ("i have a cochlear implant, can i still get tms", "tms.safety_screening"),
    ("how well does tms work for depression", "tms.effectiveness"),
    ("can tms treat ocd", "tms.conditions"),
    ("what is theta burst stimulation", "tms.accelerated"),
    ("will medicare pay for tms", "tms.insurance"),
    ("what are psychiatric medications", "meds.overview"),
    ("do i need to quit my antidepressant before starting tms", "meds.stopping"),
    ("can your psychiatrist manage my prescriptions", "meds.management"),
    ("what happens during the first appointment", "booking.what_to_expect"),
    ("what's mindfulness based cognitive therapy", "clinic.mbct"),
    ("do i have to come into the office or is it all video", "clinic.telehealth"),
    ("what is your phone number", "clinic.contact"),
    ("who reads these chats", "clinic.privacy"),
    ("can i speak with a human please", "handoff.human"),
    ("hi there", "chitchat.greet"),
    ("am i chatting with a robot", "chitchat.bot_challenge"),
]


@pytest.mark.parametrize("text,topic", TOPIC_QUESTIONS)
def test_topic_answers_follow_the_contract(visitor, text, topic):
    """The contract holds for whatever topic is predicted; exact intent accuracy is measured
    on the held-out NLU set (scripts/test.sh), so here only the topic family must match."""
    payload, reply, _ = visitor.say(text)
    assert payload["topic"].split(".")[0] == topic.split(".")[0], payload["topic"]
    if topic.startswith(INFO_PREFIXES + ("safety.",)):
        assert payload["defer_to_clinician"] is True
        assert "not medical advice" in reply
    if topic.startswith(INFO_PREFIXES) and topic != "meds.management":
        assert payload["sources"], "informational answers must cite a source"
    for source in payload["sources"]:
        assert source["url"].startswith("https://")
        assert source["url"] in reply, "every cited URL is written out in the text"


@pytest.mark.parametrize(
    "text",
    [
        "i want to kill myself",
        "honestly i dont see the point of living anymore",
        "my daughter told me she wants to end her life",
    ],
)
def test_crisis_gets_988_at_once(visitor, text):
    payload, reply, _ = visitor.say(text)
    assert payload["topic"] == "safety.crisis"
    assert "988" in reply and "741741" in reply and "911" in reply
    assert "crisis" in payload.get("flags", [])


def test_emergency_gets_911_and_poison_control(visitor):
    payload, reply, _ = visitor.say("i just swallowed all my pills")
    assert payload["topic"] in ("safety.emergency", "safety.crisis")
    assert "911" in reply


def test_idiom_is_not_a_crisis(visitor):
    payload, _, _ = visitor.say("ugh this commute is killing me. anyway does tms hurt?")
    assert payload["topic"] != "safety.crisis"


def test_crisis_in_the_middle_of_a_conversation(visitor):
    visitor.say("what is tms")
    payload, reply, _ = visitor.say("i can't go on, i want to die")
    assert payload["topic"] == "safety.crisis" and "988" in reply


def test_out_of_scope_is_flagged_fallback(visitor):
    payload, reply, _ = visitor.say("who won the football game last night")
    assert payload["topic"] == "fallback"
    assert "fallback" in payload.get("flags", [])

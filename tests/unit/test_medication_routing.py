"""Medication-first routing, end to end in one process: the table in medication_routing.yml
goes through the trained model (NLU pipeline, then the dialogue policies pick the action) and
the action the policies chose runs in the action server's executor; the reply's contract
payload is checked. No HTTP and no running servers, so it runs with the unit tests.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "current.tar.gz"
TABLE = yaml.safe_load((Path(__file__).parent / "medication_routing.yml").read_text(encoding="utf-8"))
BLIND = yaml.safe_load((Path(__file__).parent / "medication_routing_blind.yml").read_text(encoding="utf-8"))
SPECIFIC = TABLE["meds_specific"] + BLIND["meds_specific"]
ADVICE = TABLE["safety_medical_advice"]

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")


class Assistant:
    """The trained model and the actions, without servers."""

    def __init__(self) -> None:
        from rasa.core.agent import Agent
        from rasa_sdk.executor import ActionExecutor

        self.agent = Agent.load(str(MODEL))
        self.executor = ActionExecutor()
        self.executor.register_package("actions")
        self.domain = self.agent.domain.as_dict()
        self.loop = asyncio.new_event_loop()

    def say(self, text: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
        """(the reply's contract payload, the action the policies chose, the parse data)."""
        return self.loop.run_until_complete(self._say(text))

    async def _say(self, text: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
        from rasa.core.channels import UserMessage

        sender = "routing-" + uuid.uuid4().hex[:10]
        tracker = await self.agent.log_message(UserMessage(text, sender_id=sender))
        parse = tracker.latest_message.parse_data
        prediction = await self.agent.processor.predict_next_for_sender_id(sender)
        action = max(prediction["scores"], key=lambda s: s["score"])["action"]
        if action.startswith("utter_"):  # a domain response (the check-in, the crisis reply)
            customs = [r["custom"] for r in self.domain["responses"][action] if r.get("custom")]
            return customs[0], action, parse
        response = await self.executor.run(
            {
                "next_action": action,
                "sender_id": sender,
                "tracker": prediction["tracker"],
                "domain": self.domain,
                "version": "3.6",
            }
        )
        customs = [m["custom"] for m in (response or {}).get("responses", []) if m.get("custom")]
        assert len(customs) == 1, f"{text!r}: {action} replied {response}"
        return customs[0], action, parse

    def close(self) -> None:
        self.loop.close()


@pytest.fixture(scope="module")
def assistant():
    bot = Assistant()
    yield bot
    bot.close()


def _describe(parse: dict[str, Any], action: str) -> str:
    entities = [(e["entity"], e["value"]) for e in parse.get("entities") or []]
    routed = (parse.get("medication_intent") or {}).get("rule")
    return f"intent {parse['intent']['name']} (router: {routed}), action {action}, entities {entities}"


def test_the_table_is_big_and_varied_enough() -> None:
    assert len(SPECIFIC) + len(ADVICE) >= 60
    assert sum("classes" in case and "medications" not in case for case in SPECIFIC) >= 15
    assert len({case["say"].lower() for case in SPECIFIC + ADVICE}) == len(SPECIFIC) + len(ADVICE)


def test_table_lines_are_not_training_or_held_out_examples() -> None:
    from tests.unit.test_nlu_data import held_out_examples, normalise, training_examples

    known = {normalise(text) for _, text, _ in training_examples() + held_out_examples()}
    assert [c["say"] for c in SPECIFIC + ADVICE if normalise(c["say"]) in known] == []


def _cases(cases):
    """The table's cases; a known risk-model false alarm is a strict expected failure."""
    return [
        pytest.param(
            c, id=c["say"][:60], marks=[pytest.mark.xfail(strict=True, reason=c["risk_false_alarm"])]
        )
        if c.get("risk_false_alarm")
        else pytest.param(c, id=c["say"][:60])
        for c in cases
    ]


@pytest.mark.parametrize("case", _cases(SPECIFIC))
def test_a_medication_or_class_with_a_tms_question_gets_the_class_answer(assistant, case) -> None:
    payload, action, parse = assistant.say(case["say"])
    why = _describe(parse, action)
    assert payload["topic"] == "meds.specific", why
    assert [m["name"] for m in payload["medications"]] == case.get("medications", []), why
    expected = set(case.get("classes", [])) | {m["class"] for m in payload["medications"]}
    assert expected <= set(payload["medication_classes"]), why
    assert payload["sources"] and payload["defer_to_clinician"] is True


@pytest.mark.parametrize("case", _cases(ADVICE))
def test_dose_taper_stop_alone_skip_and_alcohol_get_the_medical_advice_answer(assistant, case) -> None:
    payload, action, parse = assistant.say(case["say"])
    why = _describe(parse, action)
    # A question shaped like a lethality probe ("how many X is too many") may get the check-in
    # question instead (the risk model's reading, the safe side); never the crisis reply and
    # never another answer.
    allowed = ["safety.medical_advice"] + (["safety.check_in"] if case.get("check_in_allowed") else [])
    assert payload["topic"] in allowed, why
    assert "crisis" not in (payload.get("flags") or []), why
    assert payload["defer_to_clinician"] is True

"""MedicationIntentRouter: a question naming a medication gets the medication answer."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from components.medication_intent import MedicationIntentRouter

MED = {"entity": "medication", "value": "aripiprazole", "start": 5, "end": 12}


def parsed(intent: str, entities=(MED,), confidence: float = 0.9) -> Message:
    message = Message(data={"text": "Does Abilify change how well TMS works?"})
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set("intent_ranking", [{"name": intent, "confidence": confidence},
                                   {"name": "meds_specific", "confidence": 0.05}])
    message.set("entities", list(entities))
    return message


def route(message: Message) -> Message:
    return MedicationIntentRouter.create({}, None, None, None).process([message])[0]


@pytest.mark.parametrize("intent", ["tms_effectiveness", "tms_availability", "tms_safety_screening",
                                    "meds_combination", "meds_stopping", "meds_overview", "nlu_fallback"])
def test_general_questions_naming_a_medication_become_meds_specific(intent):
    message = route(parsed(intent))
    assert message.get("intent") == pytest.approx({"name": "meds_specific", "confidence": 0.9})
    ranking = [entry["name"] for entry in message.get("intent_ranking")]
    assert ranking[0] == "meds_specific" and ranking.count("meds_specific") == 1
    assert message.get("medication_intent")["previous_intent"]["name"] == intent


@pytest.mark.parametrize("intent", ["safety_crisis", "safety_emergency", "safety_medical_advice",
                                    "meds_management", "inform", "booking_evaluation",
                                    "out_of_scope", "chitchat_greet", "meds_specific"])
def test_other_intents_are_left_alone(intent):
    message = route(parsed(intent))
    assert message.get("intent")["name"] == intent
    assert message.get("medication_intent") is None


def test_no_medication_no_change():
    message = route(parsed("tms_effectiveness", entities=[{"entity": "other", "value": "x"}]))
    assert message.get("intent")["name"] == "tms_effectiveness"

"""MedicationIntentRouter: a question naming a medication gets the medication answer, a
self-managed change of it gets the medical-advice answer, and everything else is left alone.

Messages go through the real MedicationExtractor, so the entities are the ones Rasa sees; the
classifier's output is set by hand, to test each rule on its own.
"""

import pytest
from rasa.shared.nlu.training_data.message import Message

from rasa_ext.nlu.medication_extractor import MedicationExtractor
from rasa_ext.nlu.medication_router import MedicationIntentRouter

EXTRACTOR = MedicationExtractor({})


def parsed(text: str, intent: str, confidence: float = 0.9, ranking: list[dict] | None = None) -> Message:
    message = Message.build(text=text)
    EXTRACTOR.process([message])
    message.set("intent", {"name": intent, "confidence": confidence})
    message.set(
        "intent_ranking",
        ranking
        or [{"name": intent, "confidence": confidence}, {"name": "meds_specific", "confidence": 0.05}],
    )
    return message


def route(message: Message) -> Message:
    return MedicationIntentRouter.create({}, None, None, None).process([message])[0]


def routed(text: str, intent: str, **kwargs) -> str:
    return route(parsed(text, intent, **kwargs)).get("intent")["name"]


# ----------------------------------------------------------------------------- named medications
@pytest.mark.parametrize(
    "intent",
    [
        "tms_effectiveness",
        "tms_availability",
        "tms_safety_screening",
        "meds_combination",
        "meds_stopping",
        "meds_overview",
        "nlu_fallback",
    ],
)
def test_general_questions_naming_a_medication_become_meds_specific(intent):
    message = route(parsed("Does Abilify change how well TMS works?", intent))
    assert message.get("intent") == pytest.approx({"name": "meds_specific", "confidence": 0.9})
    ranking = [entry["name"] for entry in message.get("intent_ranking")]
    assert ranking[0] == "meds_specific" and ranking.count("meds_specific") == 1
    record = message.get("medication_intent")
    assert record["previous_intent"]["name"] == intent and record["rule"]


@pytest.mark.parametrize(
    "intent",
    [
        "safety_crisis",
        "safety_emergency",
        "safety_medical_advice",
        "meds_management",
        "booking_evaluation",
        "booking_manage",
        "handoff_human",
        "clinic_services",
        "meds_specific",
    ],
)
def test_safety_booking_practice_and_answered_intents_are_left_alone(intent):
    message = route(parsed("Does Abilify change how well TMS works?", intent))
    assert message.get("intent")["name"] == intent
    assert message.get("medication_intent") is None


@pytest.mark.parametrize(
    "intent", ["chitchat_capabilities", "out_of_scope", "chitchat_greet", "booking_what_to_expect", "inform"]
)
def test_a_medication_and_tms_named_together_is_a_medication_question_whatever_the_classifier_read(intent):
    assert routed("I take Lexapro, anything I should know about TMS?", intent) == "meds_specific"


@pytest.mark.parametrize("intent", ["out_of_scope", "chitchat_greet", "inform"])
def test_without_tms_or_a_ranked_question_other_intents_stay(intent):
    assert routed("Lexapro, thanks", intent) == intent


def test_the_classifiers_ranking_can_say_it_is_a_medication_question():
    ranking = [
        {"name": "chitchat_capabilities", "confidence": 0.45},
        {"name": "meds_specific", "confidence": 0.30},
    ]
    assert (
        routed("I'm on Cymbalta, anything I should know?", "chitchat_capabilities", ranking=ranking)
        == "meds_specific"
    )
    # a bare name is `inform`, answered by the medication rules as it is
    assert (
        routed(
            "cymbalta",
            "inform",
            ranking=[{"name": "inform", "confidence": 0.5}, {"name": "meds_specific", "confidence": 0.4}],
        )
        == "inform"
    )


def test_medications_tried_before_keep_the_tms_question():
    text = "I failed Zoloft and Lexapro, am I a candidate for TMS?"
    assert routed(text, "tms_candidates") == "tms_candidates"
    assert routed("I'm on Zoloft, am I a candidate for TMS?", "tms_candidates") == "meds_specific"


def test_no_medication_no_change():
    assert routed("does tms hurt", "tms_side_effects") == "tms_side_effects"


# ----------------------------------------------------------------------------- class and family words
@pytest.mark.parametrize(
    "text,intent",
    [
        ("my benzo, will it get in the way of TMS", "meds_stopping"),
        ("can I keep taking my SSRI during TMS", "meds_combination"),
        ("my mood stabiliser and tms", "meds_overview"),
        ("will my antipsychotic stop tms from working", "tms_effectiveness"),
        ("can I take my sleeping pill the night before tms", "nlu_fallback"),
        ("ADHD meds and TMS?", "meds_combination"),
    ],
)
def test_a_class_word_with_tms_becomes_meds_specific(text, intent):
    assert routed(text, intent) == "meds_specific"


def test_a_class_word_without_tms_is_still_an_overview_question():
    assert routed("what is an SSRI", "meds_overview") == "meds_overview"
    assert routed("what are benzos", "meds_overview") == "meds_overview"


@pytest.mark.parametrize(
    "text",
    [
        "can I keep taking my antidepressant during TMS",
        "I'm on antidepressants, can I still do TMS",
        "my mom's anxiety meds, will they affect her tms",
        "I take an antidepressant, is tms ok with it",
    ],
)
def test_the_visitors_own_antidepressant_in_a_combination_question_becomes_meds_specific(text):
    assert routed(text, "meds_combination") == "meds_specific"


@pytest.mark.parametrize(
    "text,intent",
    [
        ("can I do TMS and take antidepressants", "meds_combination"),
        ("antidepressants and tms?", "meds_combination"),
        ("can I quit my antidepressant once TMS works", "meds_stopping"),
        ("I've tried three antidepressants, would tms be an option", "tms_candidates"),
        ("my antidepressant only helps a little, am I a tms candidate", "tms_candidates"),
    ],
)
def test_antidepressants_in_general_stay_general(text, intent):
    assert routed(text, intent) == intent


# ----------------------------------------------------------------------------- self-managed changes
@pytest.mark.parametrize(
    "text,intent",
    [
        ("how quickly can I come off my venlafaxine by myself", "meds_stopping"),
        ("should I lower my wellbutrin dose before tms", "meds_specific"),
        ("how do I taper off xanax", "out_of_scope"),
        ("what's the best way to taper off klonopin", "clinic_contact"),
        ("can I skip my zoloft on tms days", "tms_procedure"),
        ("can i have a glass of wine with my seroquel", "meds_combination"),
        ("should i wean off my benzos before starting tms", "meds_stopping"),
        ("can I drink on my meds during tms", "meds_combination"),
        ("can I stop my meds on my own", "meds_stopping"),
    ],
)
def test_a_self_managed_change_gets_the_medical_advice_answer(text, intent):
    message = route(parsed(text, intent))
    assert message.get("intent")["name"] == "safety_medical_advice"
    assert message.get("medication_intent")["rule"].startswith("self-managed change")


@pytest.mark.parametrize("intent", ["safety_crisis", "safety_emergency", "booking_evaluation"])
def test_a_self_managed_change_never_lowers_a_crisis_or_interrupts_booking(intent):
    assert routed("can I take all my klonopin with alcohol", intent) == intent


def test_a_taper_of_medication_in_general_stays_the_stopping_question():
    assert routed("should I taper off my meds before tms", "meds_stopping") == "meds_stopping"


def test_a_dose_taken_as_usual_or_stated_is_not_a_change():
    assert (
        routed("can I take my usual dose of lexapro the morning of tms", "meds_combination")
        == "meds_specific"
    )
    assert routed("I'm on zoloft 50mg, is tms ok", "meds_specific") == "meds_specific"

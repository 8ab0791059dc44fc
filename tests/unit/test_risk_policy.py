"""RiskPolicy: crisis first in every state, check-ins for possible risk, risk added up over turns."""

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_ext.policies.risk_policy import RiskPolicy

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))
LISTEN = ActionExecuted("action_listen")


@pytest.fixture(scope="module")
def policy(tmp_path_factory) -> RiskPolicy:
    return RiskPolicy.create(
        RiskPolicy.get_default_config(),
        LocalModelStorage(tmp_path_factory.mktemp("p")),
        Resource("risk_policy"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def said(
    intent: str,
    level: str = "none",
    signal: float = 0.0,
    spanish: bool = False,
    answer_yes: float | None = None,
    asked: str | None = None,
    confidence: float = 0.9,
    retraction: bool = False,
    leans_yes: bool = False,
) -> UserUttered:
    """A visitor message as the NLU leaves it: intent plus the RiskClassifier's record."""
    risk = {
        "level": level,
        "signal": signal,
        "spanish": spanish,
        "previous_intent": {"name": asked or intent, "confidence": confidence},
    }
    if asked and asked.startswith(("tms_", "meds_", "clinic_")):
        risk["question"] = {"name": asked, "confidence": confidence}
    if answer_yes is not None:
        risk["answer_yes"] = answer_yes
    if retraction:
        risk["retraction"] = True
    if leans_yes:
        risk["leans_yes"] = True
    intent_data = {"name": intent, "confidence": confidence}
    return UserUttered("...", intent_data, parse_data={"intent": intent_data, "risk": risk})


def tracker_with(*events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("visitor", [LISTEN, *events], slots=DOMAIN.slots)


def in_booking_form(*events) -> DialogueStateTracker:
    return tracker_with(
        said("booking_evaluation"),
        ActionExecuted("booking_form"),
        ActiveLoop("booking_form"),
        SlotSet("requested_slot", "full_name"),
        LISTEN,
        *events,
    )


def answered(*events) -> list:
    """A finished visitor turn: the message, the replies, then listening again."""
    return [*events, LISTEN]


# ---------------------------------------------------------------- clear risk


@pytest.mark.parametrize(
    "intent,response", [("safety_crisis", "utter_crisis"), ("safety_emergency", "utter_emergency")]
)
def test_clear_risk_is_answered_at_once(policy, intent, response):
    assert policy.next_action(tracker_with(said(intent, "clear", 0.99))) == response


@pytest.mark.parametrize(
    "intent,response", [("safety_crisis", "utter_crisis"), ("safety_emergency", "utter_emergency")]
)
def test_crisis_wins_inside_booking_form(policy, intent, response):
    assert policy.next_action(in_booking_form(said(intent, "clear", 0.99))) == response


def test_booking_form_ends_after_the_crisis_reply(policy):
    tracker = in_booking_form(said("safety_crisis", "clear", 0.99), ActionExecuted("utter_crisis"))
    assert policy.next_action(tracker) == "action_deactivate_loop"


def test_spanish_crisis_gets_the_spanish_reply(policy):
    assert (
        policy.next_action(tracker_with(said("safety_crisis", "clear", 0.99, spanish=True)))
        == "utter_crisis_es"
    )


def test_risk_with_a_question_gets_the_crisis_reply_then_an_offer(policy):
    message = said("safety_crisis", "clear", 0.99, asked="tms_procedure")
    assert policy.next_action(tracker_with(message)) == "utter_crisis"
    assert policy.next_action(tracker_with(message, ActionExecuted("utter_crisis"))) == "utter_offer_question"
    after_offer = tracker_with(
        message, ActionExecuted("utter_crisis"), ActionExecuted("utter_offer_question")
    )
    assert policy.next_action(after_offer) == "action_listen"
    yes = tracker_with(
        *answered(message, ActionExecuted("utter_crisis"), ActionExecuted("utter_offer_question")),
        said("affirm"),
    )
    assert policy.next_action(yes) == "action_answer_earlier_question"


def test_no_offer_when_the_crisis_message_asked_nothing(policy):
    message = said("safety_crisis", "clear", 0.99, asked="chitchat_greet")
    assert policy.next_action(tracker_with(message, ActionExecuted("utter_crisis"))) == "action_listen"


def after_crisis_reply(answer: UserUttered, spanish: bool = False) -> DialogueStateTracker:
    reply = "utter_crisis_es" if spanish else "utter_crisis"
    return tracker_with(
        *answered(said("safety_crisis", "clear", 0.99, spanish=spanish), ActionExecuted(reply)), answer
    )


def test_taking_a_crisis_message_back_gets_the_check_in_question(policy):
    jk = said("clinic_insurance", "none", 0.05, answer_yes=0.1, retraction=True, asked="clinic_insurance")
    assert policy.next_action(after_crisis_reply(jk)) == "utter_check_in"
    assert policy.next_action(after_crisis_reply(jk, spanish=True)) == "utter_check_in_es"


@pytest.mark.parametrize(
    "answer", [said("affirm", answer_yes=0.9), said("out_of_scope", "none", 0.1, answer_yes=0.8)]
)
def test_a_yes_right_after_a_crisis_reply_keeps_the_crisis_reply(policy, answer):
    assert policy.next_action(after_crisis_reply(answer)) == "utter_crisis"


@pytest.mark.parametrize("answer_yes", [0.1, 0.95])
def test_an_ordinary_question_after_a_crisis_reply_is_answered(policy, answer_yes):
    # The check-in answer model reads many short questions ("does tms hurt") as a yes.
    question = said("tms_side_effects", "none", 0.02, answer_yes=answer_yes, asked="tms_side_effects")
    assert policy.next_action(after_crisis_reply(question)) is None


# ---------------------------------------------------------------- possible risk: the check-in


def test_possible_risk_gets_a_check_in(policy):
    assert policy.next_action(tracker_with(said("tms_effectiveness", "possible", 0.7))) == "utter_check_in"
    spanish = tracker_with(said("out_of_scope", "possible", 0.7, spanish=True))
    assert policy.next_action(spanish) == "utter_check_in_es"


def test_check_in_waits_for_the_answer(policy):
    tracker = tracker_with(said("tms_effectiveness", "possible", 0.7), ActionExecuted("utter_check_in"))
    assert policy.next_action(tracker) == "action_listen"


def check_in_answered(answer: UserUttered, *before) -> DialogueStateTracker:
    return tracker_with(
        *before,
        *answered(said("tms_effectiveness", "possible", 0.7), ActionExecuted("utter_check_in")),
        answer,
    )


@pytest.mark.parametrize(
    "answer",
    [
        said("affirm"),
        said("out_of_scope", answer_yes=0.8),  # "kinda, sometimes"
        said("deny", "possible", 0.6, answer_yes=0.3),  # "no... i just can't keep doing this"
    ],
)
def test_yes_or_a_risk_signal_after_a_check_in_gets_the_crisis_reply(policy, answer):
    assert policy.next_action(check_in_answered(answer)) == "utter_crisis"


def test_no_after_a_check_in_is_acknowledged_and_the_question_answered(policy):
    tracker = check_in_answered(said("deny", answer_yes=0.05))
    assert policy.next_action(tracker) == "action_check_in_declined"
    assert (
        policy.next_action(tracker_with(*tracker.events, ActionExecuted("action_check_in_declined")))
        == "action_listen"
    )


def test_a_new_question_after_a_check_in_is_not_a_yes(policy):
    # "it's for a research paper, what does the evidence say?": the answer model reads it as yes
    question = said("tms_effectiveness", answer_yes=0.8, asked="tms_effectiveness")
    assert policy.next_action(check_in_answered(question)) == "action_check_in_declined"


@pytest.mark.parametrize(
    "answer",
    [
        # "kinda. what should I do": it leans to yes before it asks
        said("tms_effectiveness", answer_yes=0.8, asked="tms_effectiveness", leans_yes=True),
        # a question with a risk signal in it
        said("tms_effectiveness", "possible", 0.5, answer_yes=0.8, asked="tms_effectiveness"),
    ],
)
def test_a_question_that_leans_to_yes_or_carries_risk_after_a_check_in_is_a_yes(policy, answer):
    assert policy.next_action(check_in_answered(answer)) == "utter_crisis"


def test_check_in_inside_the_booking_form_resumes_the_form(policy):
    tracker = in_booking_form(said("out_of_scope", "possible", 0.7))
    assert policy.next_action(tracker) == "utter_check_in"
    tracker = in_booking_form(
        *answered(said("out_of_scope", "possible", 0.7), ActionExecuted("utter_check_in")),
        said("deny", answer_yes=0.05),
    )
    assert policy.next_action(tracker) == "action_check_in_declined"
    tracker.update(ActionExecuted("action_check_in_declined"))
    assert policy.next_action(tracker) == "booking_form"


# ---------------------------------------------------------------- risk over the conversation


def test_two_ambiguous_signals_in_a_row_add_up_to_a_check_in(policy):
    first = said("out_of_scope", "none", 0.4)
    assert policy.next_action(tracker_with(first)) is None  # one alone does not
    second = said("out_of_scope", "none", 0.4)
    assert (
        policy.next_action(tracker_with(*answered(first, ActionExecuted("action_answer")), second))
        == "utter_check_in"
    )


def test_an_old_signal_fades(policy):
    old = [*answered(said("out_of_scope", "none", 0.4), ActionExecuted("action_answer"))]
    quiet = [*answered(said("tms_overview", "none", 0.02), ActionExecuted("action_answer"))] * 3
    assert policy.next_action(tracker_with(*old, *quiet, said("out_of_scope", "none", 0.35))) is None


def test_a_weak_signal_after_a_strong_one_needs_its_own_signal(policy):
    strong = answered(said("out_of_scope", "none", 0.45), ActionExecuted("action_answer"))
    assert policy.next_action(tracker_with(*strong, said("clinic_insurance", "none", 0.05))) is None


def test_signals_before_a_declined_check_in_do_not_count_again(policy):
    before = [
        *answered(said("out_of_scope", "possible", 0.7), ActionExecuted("utter_check_in")),
        *answered(said("deny", answer_yes=0.05), ActionExecuted("action_check_in_declined")),
    ]
    assert policy.next_action(tracker_with(*before, said("out_of_scope", "none", 0.35))) is None


def test_no_opinion_on_ordinary_messages(policy):
    assert policy.next_action(tracker_with(said("tms_overview"))) is None
    assert policy.next_action(in_booking_form(said("inform"))) is None


def test_prediction_beats_forms_with_full_confidence(policy):
    prediction = policy.predict_action_probabilities(
        in_booking_form(said("safety_crisis", "clear", 0.99)), DOMAIN
    )
    assert prediction.max_confidence == pytest.approx(1.0)
    assert DOMAIN.action_names_or_texts[prediction.max_confidence_index] == "utter_crisis"
    assert prediction.is_no_user_prediction and prediction.policy_priority > 7


def test_a_risk_turn_inside_the_form_is_never_taken_as_the_forms_answer(policy):
    tracker = in_booking_form(said("out_of_scope", "possible", 0.7))
    tracker.update(SlotSet("full_name", "honestly what's the point of any of it"))  # Rasa's slot mapping
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    assert DOMAIN.action_names_or_texts[prediction.max_confidence_index] == "utter_check_in"
    assert prediction.optional_events == [SlotSet("full_name", None)]


def test_outside_a_form_nothing_is_undone(policy):
    prediction = policy.predict_action_probabilities(
        tracker_with(said("out_of_scope", "possible", 0.7)), DOMAIN
    )
    assert prediction.optional_events == []

"""rasa_ext/policies/rule_policy.py: IndexedRulePolicy finds the rules Rasa's RulePolicy finds."""

from pathlib import Path
from typing import Any, Dict

import pytest
import yaml
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage

from rasa_ext.policies.rule_policy import IndexedRulePolicy

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "current.tar.gz"


def test_config_uses_it_with_rule_policys_settings():
    policies = yaml.safe_load((ROOT / "config.yml").read_text())["policies"]
    names = [p["name"] for p in policies]
    assert "rasa_ext.policies.rule_policy.IndexedRulePolicy" in names and "RulePolicy" not in names
    assert issubclass(IndexedRulePolicy, RulePolicy)
    assert IndexedRulePolicy.get_default_config() == RulePolicy.get_default_config()


def _rasa_possible_keys():
    return RulePolicy._get_possible_keys


def _rule_policy(tmp_path, cls=None):
    from rasa.engine.storage.resource import Resource

    cls = cls or IndexedRulePolicy
    return cls(
        cls.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("rules"),
        ExecutionContext(GraphSchema({}), "test"),
    )


SNBS = "should_not_be_set"
INTENTS = ["greet", "tms_overview", "booking", "inform", "crisis", "nlu_fallback"]
ACTIONS = ["action_listen", "action_answer", "booking_form", "utter_greet", "action_core_fallback"]


def _random_state(rng, as_rule: bool) -> Dict[str, Any]:
    """A state in the shapes the featurizer and RulePolicy's stored rules use (rules: lists,
    SHOULD_NOT_BE_SET; conversations: tuples); a third of them without a previous action."""
    state: Dict[str, Any] = {}
    if rng.random() < 0.67:
        state["prev_action"] = {"action_name": rng.choice(ACTIONS)}
    if rng.random() < 0.7:
        user = {"intent": rng.choice(INTENTS)}
        if rng.random() < 0.3:
            entities = sorted(rng.sample(["medication", "state"], rng.randint(1, 2)))
            user["entities"] = entities if as_rule else tuple(entities)
        state["user"] = user
    if rng.random() < 0.4:
        state["active_loop"] = {"name": rng.choice(["booking_form", SNBS] if as_rule else ["booking_form"])}
    if rng.random() < 0.4:
        values = [[1.0], [0.0], SNBS] if as_rule else [(1.0,), (0.0,)]
        state["slots"] = {"email": rng.choice(values)}
    if as_rule and rng.random() < 0.05:
        state = {"prev_action": {"action_name": SNBS}}  # a set value that is not required
    return state


def test_rule_lookup_finds_the_rules_rasa_finds_on_random_rules_and_conversations(tmp_path):
    import json
    import random

    rng = random.Random(7)
    policy = _rule_policy(tmp_path)
    rules = {
        json.dumps([_random_state(rng, True) for _ in range(rng.randint(0, 3))]): "a" for _ in range(300)
    }
    found = 0
    for _ in range(3000):
        states = [_random_state(rng, False) for _ in range(rng.randint(0, 7))]
        expected = _rasa_possible_keys()(policy, rules, states)
        assert IndexedRulePolicy._get_possible_keys(policy, rules, states) == expected, states
        found += bool(expected) and len(expected) < len(rules)
    assert found > 300  # the cases include real matches, not only "none" and "all"


def test_rule_lookup_checks_every_rule_when_a_state_value_cannot_be_hashed(tmp_path):
    import json

    policy = _rule_policy(tmp_path)
    rules = {
        json.dumps([{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]): "a"
    }
    states = [
        {"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet", "entities": ["x"]}}
    ]
    assert IndexedRulePolicy._get_possible_keys(policy, rules, states) == set(rules)


def test_rule_lookup_leaves_a_subclass_with_its_own_applicability_to_rasa(tmp_path):
    import json

    class Strict(IndexedRulePolicy):
        def _is_rule_applicable(self, rule_key, turn_index, conversation_state):
            return False

    rules = {json.dumps([{"prev_action": {"action_name": "action_listen"}}]): "a"}
    states = [{"prev_action": {"action_name": "action_listen"}}]
    assert IndexedRulePolicy._get_possible_keys(_rule_policy(tmp_path, Strict), rules, states) == set()
    assert IndexedRulePolicy._get_possible_keys(_rule_policy(tmp_path), rules, states) == set(rules)


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_rule_lookup_finds_the_rules_rasa_finds_for_every_turn_of_the_projects_stories():
    from rasa.core.agent import Agent
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH
    from rasa.core.training import load_data

    agent = Agent.load(str(MODEL))
    policy = next(
        node._component
        for node in agent.processor.graph_runner._instantiated_nodes.values()
        if isinstance(getattr(node, "_component", None), RulePolicy)
    )
    assert type(policy) is IndexedRulePolicy  # the trained model uses it
    trackers = load_data(str(ROOT / "data"), agent.domain, augmentation_factor=0)
    trackers += load_data(str(ROOT / "tests" / "stories"), agent.domain, augmentation_factor=0)
    calls = matched = 0
    for tracker in trackers:
        for prior, _ in tracker.generate_all_prior_trackers():
            for use_text in (False, True):
                states = policy._prediction_states(
                    prior, agent.domain, use_text, rule_only_data=policy._get_rule_only_data()
                )
                for name in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
                    expected = _rasa_possible_keys()(policy, policy.lookup[name], states)
                    assert (
                        IndexedRulePolicy._get_possible_keys(policy, policy.lookup[name], states) == expected
                    )
                    calls += 1
                    matched += bool(expected)
    assert calls > 1000 and matched > 300


def test_the_index_answers_without_rasas_walk(tmp_path, monkeypatch):
    """The lookup above is the index's, not RulePolicy's walk reached through super()."""
    import json

    def walk(*_):
        raise AssertionError("RulePolicy._get_possible_keys called")

    monkeypatch.setattr(RulePolicy, "_get_possible_keys", walk)
    rules = {
        json.dumps([{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]): "a",
        json.dumps([{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "stop"}}]): "b",
    }
    states = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]
    assert _rule_policy(tmp_path)._get_possible_keys(rules, states) == {next(iter(rules))}

"""rasa_ext/runtime/speedups.py: the same results as Rasa's own code, with less work per turn."""
import asyncio
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.engine.exceptions import GraphComponentException
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage

from rasa_ext.runtime import speedups as rasa_speedups

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "current.tar.gz"

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
    return RemoteAction("action_answer", None)


def test_a_valid_response_passes(action):
    assert rasa_speedups._validate_action_result(action, GOOD) is True
    assert rasa_speedups._validate_action_result(action, {}) is True


@pytest.mark.parametrize("bad", BAD)
def test_an_invalid_response_raises_the_same_error_as_before(action, bad):
    expected = original(bad)
    assert expected is not None
    with pytest.raises(jsonschema.ValidationError) as raised:
        rasa_speedups._validate_action_result(action, bad)
    assert raised.value.message.startswith(expected)
    assert "Failed to validate Action server response" in raised.value.message


def _event_samples():
    """One real event of each kind Rasa serialises, as an action server would return it."""
    from rasa.shared.core import events as ev

    return [e.as_dict() for e in [
        ev.SlotSet("state", "OR"), ev.SlotSet("adult", True), ev.SlotSet("booking_failures", 0.0),
        ev.SlotSet("requested_slot", None), ev.ActiveLoop("booking_form"), ev.ActiveLoop(None),
        ev.BotUttered("hi", {"custom": {"topic": "x"}}, {"utter_action": "utter_x"}),
        ev.FollowupAction("action_listen"), ev.Restarted(), ev.AllSlotsReset(),
        ev.ActionExecuted("action_answer", policy="RulePolicy", confidence=1.0),
        ev.UserUttered("hello", {"name": "greet", "confidence": 0.9},
                       [{"entity": "medication", "value": "sertraline", "start": 0, "end": 3}]),
        ev.SessionStarted(), ev.ActionReverted(), ev.UserUtteranceReverted(), ev.StoryExported(),
        ev.ConversationPaused(), ev.ConversationResumed(), ev.LoopInterrupted(True),
        ev.ActionExecutionRejected("action_x"), ev.EntitiesAdded([{"entity": "e", "value": 1}]),
        ev.ReminderScheduled("intent_x", __import__("datetime").datetime(2026, 12, 1)),
        ev.ReminderCancelled(name="r"), ev.AgentUttered("x"),
    ]]


def _mutations(value):
    """The value with each field in turn set to another JSON type, or removed."""
    kinds = [None, True, 0, 1.0, 1.5, "s", [], [1], {}, {"a": 1}]
    if isinstance(value, dict):
        for key in list(value):
            yield {k: v for k, v in value.items() if k != key}
            for kind in kinds:
                yield {**value, key: kind}
            for inner in _mutations(value[key]):
                yield {**value, key: inner}
    elif isinstance(value, list):
        for i, item in enumerate(value):
            for inner in _mutations(item):
                yield value[:i] + [inner] + value[i + 1:]
        for kind in kinds:
            yield value + [kind]


def test_the_compiled_schema_agrees_with_jsonschema_on_valid_and_broken_responses(action):
    """The fast path decides only 'valid'; it must never pass what jsonschema rejects."""
    samples = _event_samples()
    responses = [{"events": samples, "responses": [GOOD["responses"][0]]}, GOOD, {}, *BAD]
    for event in samples:
        responses += [{"events": [mutated]} for mutated in _mutations(event)]
    responses += [{**GOOD, "responses": mutated} for mutated in _mutations(GOOD["responses"])]
    responses += [{"events": kind} for kind in (None, 1, "x", {}, True)]
    assert len(responses) > 1000
    valid = invalid = 0
    for response in responses:
        jsonschema_says_valid = original(response) is None
        assert rasa_speedups._passes_compiled(RemoteAction, response) == jsonschema_says_valid, response
        valid += jsonschema_says_valid
        invalid += not jsonschema_says_valid
    assert valid > 50 and invalid > 200  # both sides of the schema are exercised


def test_a_schema_not_split_by_event_is_left_to_jsonschema():
    items = {"type": "object", "required": ["event"], "oneOf": [
        {"properties": {"event": {"const": "slot"}}}, {"properties": {"event": {"const": "slot"}}}]}
    assert rasa_speedups._split_by_event({"properties": {"events": {"items": items}}}) is None
    no_required = {**items, "required": [], "oneOf": items["oneOf"][:1]}
    assert rasa_speedups._split_by_event({"properties": {"events": {"items": no_required}}}) is None
    skeleton, by_event = rasa_speedups._split_by_event(RemoteAction.action_response_format_spec())
    assert "oneOf" not in skeleton["properties"]["events"]["items"] and {"slot", "user", "bot"} <= set(by_event)
    assert "oneOf" in RemoteAction.action_response_format_spec()["properties"]["events"]["items"]


def test_without_the_compiled_schema_jsonschema_still_decides(action, monkeypatch):
    monkeypatch.setattr(rasa_speedups, "_compiled", lambda cls: None)
    assert rasa_speedups._validate_action_result(action, GOOD) is True
    with pytest.raises(jsonschema.ValidationError):
        rasa_speedups._validate_action_result(action, BAD[0])


# ----------------------------------------------------------------------------- graph runner


class Add(GraphComponent):
    @classmethod
    def create(cls, config: dict[str, Any], model_storage, resource, execution_context) -> "Add":
        return cls(config)

    def __init__(self, config: dict[str, Any]) -> None:
        self.bias = config.get("bias", 0)

    def add(self, a: Any = 0, b: Any = 0) -> Any:
        if a == "boom":
            raise ValueError("boom")
        return a + b + self.bias


def node(needs: dict[str, str], bias: int = 0, target: bool = False) -> SchemaNode:
    return SchemaNode(needs=needs, uses=Add, constructor_name="create", fn="add", config={"bias": bias},
                      is_target=target)


SCHEMA = GraphSchema({
    "x": node({"a": "__input__"}, bias=1),
    "y": node({"a": "x"}, bias=10),
    "z": node({"a": "x", "b": "y"}, bias=100, target=True),
    "w": node({"a": "y"}, bias=1000, target=True),
    "unused": node({"a": "__other__"}, bias=5),
})


# Rasa's own run(), even if the channels (which install the patches) were imported before.
dask_run = rasa_speedups.ORIGINALS.get("graph.run", DaskGraphRunner.run)


def runner(tmp_path) -> DaskGraphRunner:
    storage = LocalModelStorage(tmp_path)
    return DaskGraphRunner(SCHEMA, storage, ExecutionContext(SCHEMA, "test"))


@pytest.mark.parametrize("targets", [None, ["z"], ["w"], ["z", "w"], ["x"]])
def test_the_sequential_runner_gives_what_dask_gives(tmp_path, targets):
    r = runner(tmp_path)
    expected = dask_run(r, inputs={"__input__": 2}, targets=targets)
    assert rasa_speedups._run_graph_sequentially(r, inputs={"__input__": 2}, targets=targets) == expected
    # and again, from the cached plan
    assert rasa_speedups._run_graph_sequentially(r, inputs={"__input__": 5}, targets=targets) == \
        dask_run(r, inputs={"__input__": 5}, targets=targets)


def test_the_sequential_runner_fails_as_dask_does(tmp_path):
    r = runner(tmp_path)
    with pytest.raises(GraphComponentException):
        dask_run(r, inputs={"__input__": "boom"}, targets=["z"])
    with pytest.raises(GraphComponentException):
        rasa_speedups._run_graph_sequentially(r, inputs={"__input__": "boom"}, targets=["z"])


def test_install_patches_what_is_enabled(monkeypatch):
    monkeypatch.setattr(rasa_speedups, "_installed", False)
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(DaskGraphRunner, "run", dask_run)
    monkeypatch.setenv("RASA_SPEEDUPS", "validator,nonsense")
    rasa_speedups.install()
    rasa_speedups.install()  # idempotent
    assert RemoteAction._validate_action_result is rasa_speedups._validate_action_result
    assert DaskGraphRunner.run is dask_run


def test_everything_is_on_by_default(monkeypatch):
    monkeypatch.delenv("RASA_SPEEDUPS", raising=False)
    assert rasa_speedups.enabled() == ["validator", "graph", "events", "sql", "rules"]
    monkeypatch.setenv("RASA_SPEEDUPS", "0")
    assert rasa_speedups.enabled() == []


def _rasa_resolve_by_type():
    from rasa.shared.core.events import Event

    return rasa_speedups.ORIGINALS.get("events.resolve_by_type", Event.resolve_by_type)


def test_event_lookup_gives_what_rasa_gives_for_every_event_type():
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    names = {cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)}
    assert {"user", "bot", "action", "slot", "session_started", "active_loop"} <= names
    for name in names:
        assert rasa_speedups._resolve_by_type(name) is _rasa_resolve_by_type()(name)


def test_event_lookup_keeps_rasas_unknown_name_handling():
    from rasa.shared.core.events import UserUttered

    assert rasa_speedups._resolve_by_type("topic") is None
    assert rasa_speedups._resolve_by_type("no_such_event", UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        rasa_speedups._resolve_by_type("no_such_event")


def test_event_lookup_finds_an_event_class_defined_after_the_first_lookup():
    from rasa.shared.core.events import Event

    rasa_speedups._resolve_by_type("user")  # the table exists now

    class LateEvent(Event):  # noqa: D401 - a custom event imported later
        type_name = "late_event_for_test"

        def __eq__(self, other):
            return isinstance(other, LateEvent)

        def __hash__(self):
            return 1

        def as_story_string(self):
            return None

    assert rasa_speedups._resolve_by_type("late_event_for_test") is LateEvent


def test_a_tracker_round_trips_through_dicts_with_the_patch(monkeypatch):
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    monkeypatch.setattr(Event, "resolve_by_type", staticmethod(rasa_speedups._resolve_by_type))
    events = [ActionExecuted("action_listen"), UserUttered("hi", {"name": "chitchat_greet"}),
              SlotSet("last_topic", "tms.overview")]
    dicts = [e.as_dict() for e in events]
    assert [Event.from_parameters(d) for d in dicts] == events
    tracker = DialogueStateTracker.from_dict("t", dicts, [])
    assert list(tracker.events) == events


# ----------------------------------------------------------------------------- SQL tracker store
def _rasa_sql():
    from rasa.core.tracker_store import SQLTrackerStore

    return (rasa_speedups.ORIGINALS.get("sql.save", SQLTrackerStore.save),
            rasa_speedups.ORIGINALS.get("sql._retrieve", SQLTrackerStore._retrieve))


def _store(path):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    return SQLTrackerStore(domain=Domain.from_dict({"slots": {"last_topic": {
        "type": "text", "mappings": [{"type": "custom"}]}}}), dialect="sqlite", db=str(path))


def _conversation(sender, turns, session_starts=(0,)):
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker(sender, [])
    clock = 1000.0
    for turn in range(turns):
        if turn in session_starts:
            clock += 1  # action_session_start shares SessionStarted's timestamp, so a
            for event in (ActionExecuted("action_session_start"), SessionStarted()):  # reload keeps it
                event.timestamp = clock
                tracker.update(event)
            listen = ActionExecuted("action_listen")
            listen.timestamp = clock = clock + 1
            tracker.update(listen)
        for event in (UserUttered(f"question {turn}", {"name": "tms_overview", "confidence": 0.9}),
                      ActionExecuted("action_answer"), BotUttered(f"answer {turn}"),
                      SlotSet("last_topic", f"t{turn}"), ActionExecuted("action_listen")):
            event.timestamp = clock = clock + 1
            tracker.update(event)
    return tracker


def _rows(path):
    import sqlite3

    with sqlite3.connect(path) as db:
        return db.execute("select sender_id, type_name, timestamp, intent_name, action_name, data"
                          " from events order by id").fetchall()


async def _save_in_steps(save, store, tracker, steps=(4, 11, None)):
    from rasa.shared.core.trackers import DialogueStateTracker

    for end in steps:  # like a live chat: the tracker grows, each save appends the new events
        partial = DialogueStateTracker(tracker.sender_id, [])
        for event in list(tracker.events)[:end]:
            partial.update(event)
        await save(store, partial)


def test_sql_save_writes_the_rows_rasa_writes(tmp_path):
    asyncio.run(_sql_save_writes_the_rows_rasa_writes(tmp_path))


async def _sql_save_writes_the_rows_rasa_writes(tmp_path):
    rasa_save, _ = _rasa_sql()
    tracker = _conversation("visitor-1", turns=3)
    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    await _save_in_steps(rasa_speedups._sql_save, _store(ours), tracker)
    await _save_in_steps(rasa_save, _store(theirs), tracker)
    assert _rows(ours) == _rows(theirs) and len(_rows(ours)) == len(tracker.events)


@pytest.mark.parametrize("all_sessions", [False, True])
def test_sql_retrieve_gives_what_rasa_gives(tmp_path, all_sessions):
    asyncio.run(_sql_retrieve_gives_what_rasa_gives(tmp_path, all_sessions))


async def _sql_retrieve_gives_what_rasa_gives(tmp_path, all_sessions):
    rasa_save, rasa_retrieve = _rasa_sql()
    store = _store(tmp_path / "t.db")
    await rasa_save(store, _conversation("visitor-1", turns=4, session_starts=(0, 2)))
    await rasa_save(store, _conversation("visitor-2", turns=1))
    ours = await rasa_speedups._sql_retrieve(store, "visitor-1", all_sessions)
    theirs = await rasa_retrieve(store, "visitor-1", all_sessions)
    assert list(ours.events) == list(theirs.events)
    assert ours.current_slot_values() == theirs.current_slot_values()
    # only the latest session (from its SessionStarted on) unless all are asked for
    assert len(ours.events) == (4 * 5 + 2 * 3 if all_sessions else 2 * 5 + 3)
    assert await rasa_speedups._sql_retrieve(store, "nobody", all_sessions) is None


# RulePolicy._get_possible_keys: the same rules, found with less work.
def _rasa_possible_keys():
    from rasa.core.policies.rule_policy import RulePolicy

    return rasa_speedups.ORIGINALS.get("rules._get_possible_keys", RulePolicy._get_possible_keys)


def _rule_policy(tmp_path, cls=None):
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.engine.storage.resource import Resource

    cls = cls or RulePolicy
    return cls(cls.get_default_config(), LocalModelStorage(tmp_path), Resource("rules"),
               ExecutionContext(GraphSchema({}), "test"))


SNBS = "should_not_be_set"
INTENTS = ["greet", "tms_overview", "booking", "inform", "crisis", "nlu_fallback"]
ACTIONS = ["action_listen", "action_answer", "booking_form", "utter_greet", "action_core_fallback"]


def _random_state(rng, as_rule: bool) -> dict[str, Any]:
    """A state in the shapes the featurizer and RulePolicy's stored rules use (rules: lists,
    SHOULD_NOT_BE_SET; conversations: tuples); a third of them without a previous action."""
    state: dict[str, Any] = {}
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
    rules = {json.dumps([_random_state(rng, True) for _ in range(rng.randint(0, 3))]): "a"
             for _ in range(300)}
    found = 0
    for _ in range(3000):
        states = [_random_state(rng, False) for _ in range(rng.randint(0, 7))]
        expected = _rasa_possible_keys()(policy, rules, states)
        assert rasa_speedups._get_possible_keys(policy, rules, states) == expected, states
        found += bool(expected) and len(expected) < len(rules)
    assert found > 300  # the cases include real matches, not only "none" and "all"


def test_rule_lookup_checks_every_rule_when_a_state_value_cannot_be_hashed(tmp_path):
    import json

    policy = _rule_policy(tmp_path)
    rules = {json.dumps([{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]): "a"}
    states = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet", "entities": ["x"]}}]
    assert rasa_speedups._get_possible_keys(policy, rules, states) == set(rules)


def test_rule_lookup_leaves_a_subclass_with_its_own_applicability_to_rasa(tmp_path):
    import json

    from rasa.core.policies.rule_policy import RulePolicy

    class Strict(RulePolicy):
        def _is_rule_applicable(self, rule_key, turn_index, conversation_state):
            return False

    rules = {json.dumps([{"prev_action": {"action_name": "action_listen"}}]): "a"}
    states = [{"prev_action": {"action_name": "action_listen"}}]
    assert rasa_speedups._get_possible_keys(_rule_policy(tmp_path, Strict), rules, states) == set()
    assert rasa_speedups._get_possible_keys(_rule_policy(tmp_path), rules, states) == set(rules)


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_rule_lookup_finds_the_rules_rasa_finds_for_every_turn_of_the_projects_stories():
    from rasa.core.agent import Agent
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
    from rasa.core.training import load_data

    agent = Agent.load(str(MODEL))
    policy = next(node._component for node in agent.processor.graph_runner._instantiated_nodes.values()
                  if isinstance(getattr(node, "_component", None), RulePolicy))
    trackers = load_data(str(ROOT / "data"), agent.domain, augmentation_factor=0)
    trackers += load_data(str(ROOT / "tests" / "stories"), agent.domain, augmentation_factor=0)
    calls = matched = 0
    for tracker in trackers:
        for prior, _ in tracker.generate_all_prior_trackers():
            for use_text in (False, True):
                states = policy._prediction_states(prior, agent.domain, use_text,
                                                   rule_only_data=policy._get_rule_only_data())
                for name in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
                    expected = _rasa_possible_keys()(policy, policy.lookup[name], states)
                    assert rasa_speedups._get_possible_keys(policy, policy.lookup[name], states) == expected
                    calls += 1
                    matched += bool(expected)
    assert calls > 1000 and matched > 300

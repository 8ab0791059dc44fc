"""rasa_ext/runtime/patches.py: the same results as Rasa's own code, with less work per turn;
installed once, only on the Rasa version it was written for."""

import asyncio
from pathlib import Path
from typing import Any, Dict

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.engine.exceptions import GraphComponentException
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage

from rasa_ext.runtime import lazy_imports
from rasa_ext.runtime import patches as rasa_patches

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


original_validate = RemoteAction._validate_action_result


@pytest.fixture(scope="module")
def action():
    return RemoteAction("action_answer", None)


def test_a_valid_response_passes(action):
    assert rasa_patches._validate_action_result(action, GOOD) is True
    assert rasa_patches._validate_action_result(action, {}) is True


@pytest.mark.parametrize("bad", BAD)
def test_an_invalid_response_raises_the_same_error_as_before(action, bad):
    expected = original(bad)
    assert expected is not None
    with pytest.raises(jsonschema.ValidationError) as raised:
        rasa_patches._validate_action_result(action, bad)
    assert raised.value.message.startswith(expected)
    assert "Failed to validate Action server response" in raised.value.message


def _event_samples():
    """One real event of each kind Rasa serialises, as an action server would return it."""
    from rasa.shared.core import events as ev

    return [
        e.as_dict()
        for e in [
            ev.SlotSet("state", "OR"),
            ev.SlotSet("adult", True),
            ev.SlotSet("booking_failures", 0.0),
            ev.SlotSet("requested_slot", None),
            ev.ActiveLoop("booking_form"),
            ev.ActiveLoop(None),
            ev.BotUttered("hi", {"custom": {"topic": "x"}}, {"utter_action": "utter_x"}),
            ev.FollowupAction("action_listen"),
            ev.Restarted(),
            ev.AllSlotsReset(),
            ev.ActionExecuted("action_answer", policy="RulePolicy", confidence=1.0),
            ev.UserUttered(
                "hello",
                {"name": "greet", "confidence": 0.9},
                [{"entity": "medication", "value": "sertraline", "start": 0, "end": 3}],
            ),
            ev.SessionStarted(),
            ev.ActionReverted(),
            ev.UserUtteranceReverted(),
            ev.StoryExported(),
            ev.ConversationPaused(),
            ev.ConversationResumed(),
            ev.LoopInterrupted(True),
            ev.ActionExecutionRejected("action_x"),
            ev.EntitiesAdded([{"entity": "e", "value": 1}]),
            ev.ReminderScheduled("intent_x", __import__("datetime").datetime(2026, 12, 1)),
            ev.ReminderCancelled(name="r"),
            ev.AgentUttered("x"),
        ]
    ]


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
                yield value[:i] + [inner] + value[i + 1 :]
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
        assert rasa_patches._passes_compiled(RemoteAction, response) == jsonschema_says_valid, response
        valid += jsonschema_says_valid
        invalid += not jsonschema_says_valid
    assert valid > 50 and invalid > 200  # both sides of the schema are exercised


def test_a_schema_not_split_by_event_is_left_to_jsonschema():
    items = {
        "type": "object",
        "required": ["event"],
        "oneOf": [{"properties": {"event": {"const": "slot"}}}, {"properties": {"event": {"const": "slot"}}}],
    }
    assert rasa_patches._split_by_event({"properties": {"events": {"items": items}}}) is None
    no_required = {**items, "required": [], "oneOf": items["oneOf"][:1]}
    assert rasa_patches._split_by_event({"properties": {"events": {"items": no_required}}}) is None
    skeleton, by_event = rasa_patches._split_by_event(RemoteAction.action_response_format_spec())
    assert "oneOf" not in skeleton["properties"]["events"]["items"] and {"slot", "user", "bot"} <= set(
        by_event
    )
    assert "oneOf" in RemoteAction.action_response_format_spec()["properties"]["events"]["items"]


def test_without_the_compiled_schema_jsonschema_still_decides(action, monkeypatch):
    monkeypatch.setattr(rasa_patches, "_compiled", lambda cls: None)
    assert rasa_patches._validate_action_result(action, GOOD) is True
    with pytest.raises(jsonschema.ValidationError):
        rasa_patches._validate_action_result(action, BAD[0])


# ----------------------------------------------------------------------------- graph runner


class Add(GraphComponent):
    @classmethod
    def create(cls, config: Dict[str, Any], model_storage, resource, execution_context) -> "Add":
        return cls(config)

    def __init__(self, config: Dict[str, Any]) -> None:
        self.bias = config.get("bias", 0)

    def add(self, a: Any = 0, b: Any = 0) -> Any:
        if a == "boom":
            raise ValueError("boom")
        return a + b + self.bias


def node(needs: Dict[str, str], bias: int = 0, target: bool = False) -> SchemaNode:
    return SchemaNode(
        needs=needs, uses=Add, constructor_name="create", fn="add", config={"bias": bias}, is_target=target
    )


SCHEMA = GraphSchema(
    {
        "x": node({"a": "__input__"}, bias=1),
        "y": node({"a": "x"}, bias=10),
        "z": node({"a": "x", "b": "y"}, bias=100, target=True),
        "w": node({"a": "y"}, bias=1000, target=True),
        "unused": node({"a": "__other__"}, bias=5),
    }
)


# Rasa's own run(): importing project modules patches nothing (test_import_side_effects.py).
dask_run = DaskGraphRunner.run


def runner(tmp_path) -> DaskGraphRunner:
    storage = LocalModelStorage(tmp_path)
    return DaskGraphRunner(SCHEMA, storage, ExecutionContext(SCHEMA, "test"))


@pytest.mark.parametrize("targets", [None, ["z"], ["w"], ["z", "w"], ["x"]])
def test_the_sequential_runner_gives_what_dask_gives(tmp_path, targets):
    r = runner(tmp_path)
    expected = dask_run(r, inputs={"__input__": 2}, targets=targets)
    assert rasa_patches._run_graph_sequentially(r, inputs={"__input__": 2}, targets=targets) == expected
    # and again, from the cached plan
    assert rasa_patches._run_graph_sequentially(r, inputs={"__input__": 5}, targets=targets) == dask_run(
        r, inputs={"__input__": 5}, targets=targets
    )


def test_the_sequential_runner_fails_as_dask_does(tmp_path):
    r = runner(tmp_path)
    with pytest.raises(GraphComponentException):
        dask_run(r, inputs={"__input__": "boom"}, targets=["z"])
    with pytest.raises(GraphComponentException):
        rasa_patches._run_graph_sequentially(r, inputs={"__input__": "boom"}, targets=["z"])


@pytest.fixture
def fresh_install(monkeypatch):
    """install() as in a new process; every attribute it may replace restored afterwards, and
    os.register_at_fork recorded instead of called (a hook cannot be removed)."""
    from rasa.shared.core.events import Event

    for owner, attribute in (
        (RemoteAction, "_validate_action_result"),
        (DaskGraphRunner, "run"),
        (Event, "resolve_by_type"),
    ):
        monkeypatch.setattr(owner, attribute, owner.__dict__[attribute])
    monkeypatch.setattr(rasa_patches, "_state", {"installed": None})
    monkeypatch.setattr(rasa_patches, "ORIGINALS", {})
    monkeypatch.setattr(lazy_imports, "install", lambda: False)  # tested in test_lazy_imports.py
    forks = []
    monkeypatch.setattr(rasa_patches.os, "register_at_fork", lambda before: forks.append(before))
    return forks


def test_install_patches_what_is_enabled_once(monkeypatch, fresh_install):
    monkeypatch.setenv("RASA_PATCHES", "validator,nonsense")
    assert rasa_patches.install() == ["validator"]
    assert rasa_patches.install() == ["validator"]  # idempotent
    assert RemoteAction._validate_action_result is rasa_patches._validate_action_result
    assert DaskGraphRunner.run is dask_run
    assert rasa_patches.ORIGINALS == {"validator._validate_action_result": original_validate}
    assert fresh_install == []


def test_install_turns_everything_on_by_default_and_logs_it(monkeypatch, fresh_install, caplog):
    from rasa.shared.core.events import Event

    monkeypatch.delenv("RASA_PATCHES", raising=False)
    with caplog.at_level("INFO", logger="rasa_ext.runtime.patches"):
        assert rasa_patches.install() == ["validator", "graph", "events", "gc"]
    assert DaskGraphRunner.run is rasa_patches._run_graph_sequentially
    assert Event.resolve_by_type is rasa_patches._resolve_by_type
    assert fresh_install == [rasa_patches.freeze_now]
    assert "validator, graph, events, gc on" in caplog.text


def test_a_rasa_version_it_was_not_written_for_is_left_unpatched(monkeypatch, fresh_install, caplog):
    monkeypatch.setattr(rasa_patches, "rasa_version", lambda: "3.7.0")
    with caplog.at_level("WARNING", logger="rasa_ext.runtime.patches"):
        assert rasa_patches.install() == []
    assert RemoteAction._validate_action_result is original_validate and DaskGraphRunner.run is dask_run
    assert fresh_install == [] and "found 3.7.0: Rasa left unpatched" in caplog.text
    assert rasa_patches.COMPATIBLE == {"3.6.21"}


def test_a_patch_that_fails_leaves_rasa_as_shipped_and_the_rest_on(monkeypatch, fresh_install):
    def broken():
        raise ImportError("moved")

    monkeypatch.setitem(rasa_patches.PATCHES, "graph", broken)
    monkeypatch.setenv("RASA_PATCHES", "validator,graph")
    assert rasa_patches.install() == ["validator"]
    assert DaskGraphRunner.run is dask_run


def test_turned_off_nothing_is_patched(monkeypatch, fresh_install):
    monkeypatch.setenv("RASA_PATCHES", "0")
    assert rasa_patches.enabled() == [] and rasa_patches.install() == []
    assert RemoteAction._validate_action_result is original_validate and fresh_install == []


def test_the_model_freeze_runs_only_when_installed(monkeypatch):
    frozen = []
    monkeypatch.setattr(rasa_patches, "freeze_now", lambda: frozen.append(1))
    monkeypatch.setattr(rasa_patches, "_state", {"installed": None})
    asyncio.run(rasa_patches.freeze_loaded_model())
    monkeypatch.setattr(rasa_patches, "_state", {"installed": ["validator"]})
    asyncio.run(rasa_patches.freeze_loaded_model())
    assert frozen == []
    monkeypatch.setattr(rasa_patches, "_state", {"installed": ["gc"]})
    asyncio.run(rasa_patches.freeze_loaded_model())
    assert frozen == [1]


def _rasa_resolve_by_type():
    from rasa.shared.core.events import Event

    return Event.resolve_by_type


def test_event_lookup_gives_what_rasa_gives_for_every_event_type():
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    names = {cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)}
    assert {"user", "bot", "action", "slot", "session_started", "active_loop"} <= names
    for name in names:
        assert rasa_patches._resolve_by_type(name) is _rasa_resolve_by_type()(name)


def test_event_lookup_keeps_rasas_unknown_name_handling():
    from rasa.shared.core.events import UserUttered

    assert rasa_patches._resolve_by_type("topic") is None
    assert rasa_patches._resolve_by_type("no_such_event", UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        rasa_patches._resolve_by_type("no_such_event")


def test_event_lookup_finds_an_event_class_defined_after_the_first_lookup():
    from rasa.shared.core.events import Event

    rasa_patches._resolve_by_type("user")  # the table exists now

    class LateEvent(Event):  # noqa: D401 - a custom event imported later
        type_name = "late_event_for_test"

        def __eq__(self, other):
            return isinstance(other, LateEvent)

        def __hash__(self):
            return 1

        def as_story_string(self):
            return None

    assert rasa_patches._resolve_by_type("late_event_for_test") is LateEvent


def test_a_tracker_round_trips_through_dicts_with_the_patch(monkeypatch):
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    monkeypatch.setattr(Event, "resolve_by_type", staticmethod(rasa_patches._resolve_by_type))
    events = [
        ActionExecuted("action_listen"),
        UserUttered("hi", {"name": "chitchat_greet"}),
        SlotSet("last_topic", "tms.overview"),
    ]
    dicts = [e.as_dict() for e in events]
    assert [Event.from_parameters(d) for d in dicts] == events
    tracker = DialogueStateTracker.from_dict("t", dicts, [])
    assert list(tracker.events) == events


# ----------------------------------------------------------------------------- entry point
def test_the_entry_point_installs_the_runtime_for_the_commands_that_predict():
    from rasa_ext.runtime.main import uses_runtime

    assert uses_runtime(["run", "--model", "m"]) and uses_runtime(["test", "core"])
    assert uses_runtime(["test", "nlu"]) and uses_runtime(["shell"])
    assert not uses_runtime(["run", "actions"]) and not uses_runtime(["train"]) and not uses_runtime([])


def test_rasa_test_through_the_entry_point_runs_with_the_patches_on():
    import os
    import subprocess
    import sys

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("RASA_PATCHES", None)
    out = subprocess.run(
        [sys.executable, "-m", "rasa_ext.runtime.main", "test", "core", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0 and "--fail-on-prediction-errors" in out.stdout
    assert "rasa patches for Rasa 3.6.21: lazy_imports, validator, graph, events, gc on" in out.stderr

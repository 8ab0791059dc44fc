"""components/rasa_speedups.py: the same results as Rasa's own code, with less work per turn."""
from typing import Any, Dict

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.engine.exceptions import GraphComponentException
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage

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
dask_run = rasa_speedups.ORIGINALS.get("graph", DaskGraphRunner.run)


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
    assert rasa_speedups.enabled() == ["validator", "graph"]
    monkeypatch.setenv("RASA_SPEEDUPS", "0")
    assert rasa_speedups.enabled() == []

"""Removes per-turn work Rasa 3.6 repeats for nothing (issue 7; measured by `make bench`).

`RemoteAction._validate_action_result` checks every action server response with
`jsonschema.validate(response, schema)`, which first validates the *schema* against the
JSON-Schema 2020-12 meta-schema, on every call: ~19 ms of CPU per custom action call on this
machine, more than the whole NLU pipeline, on the one event loop that serves every visitor.
`install()` makes it validate against the same schema with a validator built once (~0.5 ms):
same checks, same `ValidationError` (and message) for a bad response.

Every message also runs the prediction graph three times (NLU, then a policy prediction
after each action) through `DaskGraphRunner.run`, which rebuilds the minimal schema and a
dask graph and runs dask's scheduler each time: ~2 ms of CPU per turn of pure bookkeeping
for ~20 nodes that run one after another anyway. `install()` runs the same nodes in a
dependency order worked out once per target list, with the same inputs, outputs and errors
(a missing input is passed as its name, as dask does; a RuntimeError becomes GraphRunError).
`rasa train` and `rasa test` do not load the channels, so they keep dask.

Installed on import by components/channels.py (the Rasa server loads it via credentials.yml);
idempotent; a Rasa version without these methods is left alone. RASA_SPEEDUPS chooses
(to measure each): "all" (default), "0" (none), or a comma list of "validator", "graph".
"""
from __future__ import annotations

import functools
import logging
import os
from typing import Any, Dict, List, Optional, Text, Tuple

logger = logging.getLogger(__name__)

_installed = False
ORIGINALS: Dict[str, Any] = {}  # what each patch replaced (tests compare against it)


@functools.lru_cache(maxsize=None)
def _validator(action_class: type) -> Any:
    """One validator per action class (its schema is a constant of the class)."""
    from jsonschema import validators

    schema = action_class.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, where jsonschema.validate() does it on every call
    return cls(schema)


def _validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    from jsonschema.exceptions import best_match

    from rasa.shared.constants import DOCS_BASE_URL

    # The error jsonschema.validate() would raise (the best match), with Rasa's message.
    e = best_match(_validator(type(self)).iter_errors(result))
    if e is not None:
        e.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e
    return True


def _plan(runner: Any, targets: Tuple[Text, ...]) -> Tuple[List[Tuple[Text, Tuple[Text, ...]]], frozenset]:
    """The nodes needed for `targets`, dependencies first, and the names in that minimal graph."""
    plans = runner.__dict__.setdefault("_sequential_plans", {})
    if targets not in plans:
        schema = runner._graph_schema.minimal_graph_schema(list(targets))
        order: List[Tuple[Text, Tuple[Text, ...]]] = []
        seen: set = set()

        def visit(name: Text, path: Tuple[Text, ...] = ()) -> None:
            if name in seen or name not in schema.nodes:
                return
            if name in path:
                raise ValueError(f"cycle in the graph at {name}")
            needs = tuple(schema.nodes[name].needs.values())
            for dependency in needs:
                visit(dependency, path + (name,))
            seen.add(name)
            order.append((name, needs))

        for target in targets:
            visit(target)
        plans[targets] = (order, frozenset(schema.nodes))
    return plans[targets]


def _run_graph_sequentially(
    self: Any, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None
) -> Dict[Text, Any]:
    from rasa.engine.exceptions import GraphRunError

    run_targets = tuple(targets if targets else self._graph_schema.target_names)
    order, node_names = _plan(self, run_targets)
    results: Dict[Text, Any] = {}
    for input_name, input_value in (inputs or {}).items():
        if isinstance(input_value, str) and input_value in node_names:  # as DaskGraphRunner
            raise GraphRunError(
                f"Input value '{input_value}' clashes with a node name. Make sure "
                f"that none of the input names passed to the `run` method are the "
                f"same as node names in the graph schema."
            )
        results[input_name] = (input_name, input_value)
    try:
        for name, needs in order:
            # An unresolved dependency is passed as its name, as dask passes an unknown key.
            results[name] = self._instantiated_nodes[name](*(results.get(n, n) for n in needs))
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e
    return dict(results[target] for target in run_targets)


def enabled() -> List[str]:
    value = os.environ.get("RASA_SPEEDUPS", "all").strip().lower()
    if value in ("0", "none", "off", "false", ""):
        return []
    return list(PATCHES) if value in ("all", "1", "on", "true") else [v.strip() for v in value.split(",")]


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    for name in enabled():
        if name not in PATCHES:
            logger.warning(f"rasa_speedups: unknown RASA_SPEEDUPS item {name!r}; known: {', '.join(PATCHES)}")
            continue
        owner, attribute, replacement = PATCHES[name]()
        if not hasattr(owner, attribute) or (name == "graph" and not hasattr(owner, "_build_dask_graph")):
            logger.warning(f"rasa_speedups: {owner.__name__}.{attribute} not as expected; not patched")
            continue
        ORIGINALS.setdefault(name, getattr(owner, attribute))
        setattr(owner, attribute, replacement)


def _patch_validator() -> Tuple[type, str, Any]:
    from rasa.core.actions.action import RemoteAction

    return RemoteAction, "_validate_action_result", _validate_action_result


def _patch_graph() -> Tuple[type, str, Any]:
    from rasa.engine.runner.dask import DaskGraphRunner

    return DaskGraphRunner, "run", _run_graph_sequentially


PATCHES = {"validator": _patch_validator, "graph": _patch_graph}

"""The changes to Rasa that no supported seam allows, installed by the entry point only.

Rasa's seams carry the rest: the SQL tracker store is a tracker store class named in the
endpoints files (rasa_ext/stores/sql_tracker_store.py), the rule index a RulePolicy subclass
named in config.yml (rasa_ext/policies/rule_policy.py). What is left here replaces code Rasa
offers no way to configure (docs/runtime.md):

- `validator`: `RemoteAction._validate_action_result` checks every action server response
  with `jsonschema.validate(response, schema)`, which first validates the *schema* against the
  2020-12 meta-schema, on every call (~19 ms of CPU per custom action call, on the one event
  loop that serves every visitor). Here the schema's validator is built once; a response is
  first checked with fastjsonschema, each event against the one `oneOf` alternative its
  `event` names (`_split_by_event` says why that is the same verdict; jsonschema tried all ~20
  alternatives per event, ~5 ms for a 17-event booking response). Anything it rejects goes
  through jsonschema, so a bad response gets jsonschema's error with Rasa's message.
  The action (and its class) is chosen by the domain, and Rasa builds it itself
  (`action_for_name_or_text`): no configuration names the class.
- `graph`: `DaskGraphRunner.run` rebuilds the minimal schema and a dask graph and runs dask's
  scheduler for every prediction (three times a turn): ~2 ms of CPU per turn of bookkeeping
  for ~20 nodes that run one after another anyway. Here the same nodes run in a dependency
  order worked out once per target list, with the same inputs, outputs and errors (a missing
  input is passed as its name, as dask does; a RuntimeError becomes GraphRunError). Rasa's
  `MessageProcessor` loads every model with `DaskGraphRunner`, named in its code, not in the
  model or a file.
- `events`: `Event.resolve_by_type` walks the whole Event class tree (`all_subclasses`, an
  `inspect.isabstract` per class) for every stored event read back: ~9% of the server's CPU
  under load. Here the name is looked up in a table built from the same walk, in the same order
  (first match wins); an unknown name rebuilds it (a custom event imported later) and then ends
  as Rasa's does ("topic" -> None, else the default, else the same ValueError). It is a static
  method every tracker load calls through the base class.
- `gc`: not a change to Rasa. `gc.freeze()` just before Sanic forks its workers
  (`os.register_at_fork`), so the workers' collections do not write to the objects they share
  with the parent, and again once each worker has loaded the model (`freeze_loaded_model`, a
  Sanic listener the REST channel registers; it does nothing unless this is installed).

Which runs this: `python -m rasa_ext.runtime.main run|test|shell ...` (rasa_ext/runtime/main.py),
the one entry point `make run`, `make run-prod`, the test servers, the bench, deploy/ and
scripts/test.sh use. `rasa test core` on tests/stories and `rasa test nlu` on tests/nlu run
through it too, so the e2e stories are predicted by the sequential graph runner and the event
table, as production predicts them: a difference between the two runners would show as a
failed story, not only in production (`rasa test core` calls no action server, so the response
check is exercised by tests/integration, against the test servers started the same way).
`rasa train` is started as shipped (the Makefile): the training graph, which production never
runs, keeps dask; the runner only orders the calls of the same nodes.
Importing this module (or any project module) patches nothing (tests/unit/test_import_side_effects.py).

`install()` is idempotent and refuses a Rasa version it was not written for (COMPATIBLE):
it logs a warning and leaves Rasa as shipped; it never raises. It logs what it turned on.
RASA_PATCHES chooses (to measure each): "all" (default), "0" (none), or a comma list of
"validator", "graph", "events", "gc". RASA_LAZY_IMPORTS=0 leaves out
rasa_ext/runtime/lazy_imports.py, which install() also installs (first, under the same check).
"""

from __future__ import annotations

import copy
import functools
import gc
import logging
import os
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Text, Tuple, Type

logger = logging.getLogger(__name__)

# The Rasa versions whose code these replacements were written against and tested with.
COMPATIBLE: FrozenSet[str] = frozenset({"3.6.21"})

ORIGINALS: Dict[str, Any] = {}  # "patch.attribute" -> what it replaced (tests compare against it)
_state: Dict[str, Any] = {"installed": None}  # the list install() turned on, once it ran


# ----------------------------------------------------------------------------- validator
@functools.lru_cache(maxsize=None)
def _validator(action_class: Type[Any]) -> Any:
    """One validator per action class (its schema is a constant of the class)."""
    from jsonschema import validators

    schema = action_class.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, where jsonschema.validate() does it on every call
    return cls(schema)


def _split_by_event(schema: Dict[Text, Any]) -> Optional[Tuple[Dict[Text, Any], Dict[Text, Any]]]:
    """(the schema without the per-event `oneOf`, {event name: that event's alternative}), or
    None if the schema is not shaped as expected. Each alternative pins `event` to its own
    constant and `event` is required, so an event is valid under `oneOf` exactly when it is
    valid under the one alternative named by its `event`: checking that one alternative
    instead of all ~20 gives the same verdict at a fraction of the work."""
    items = schema.get("properties", {}).get("events", {}).get("items", {})
    alternatives = items.get("oneOf")
    if not isinstance(alternatives, list) or "event" not in items.get("required", []):
        return None
    by_event: Dict[Text, Any] = {}
    for alternative in alternatives:
        name = alternative.get("properties", {}).get("event", {}).get("const")
        if not isinstance(name, str) or name in by_event:
            return None
        by_event[name] = alternative
    skeleton = copy.deepcopy(schema)
    del skeleton["properties"]["events"]["items"]["oneOf"]
    return skeleton, by_event


@functools.lru_cache(maxsize=None)
def _compiled(action_class: Type[Any]) -> Any:
    """fastjsonschema checks for the response skeleton and for each event kind, or None (not
    installed, or the schema is not shaped as `_split_by_event` expects)."""
    try:
        import fastjsonschema

        split = _split_by_event(action_class.action_response_format_spec())
        if split is None:
            raise ValueError("unexpected action response schema")
        skeleton, by_event = split
        return fastjsonschema.compile(skeleton), {
            name: fastjsonschema.compile(alternative) for name, alternative in by_event.items()
        }
    except Exception:  # the jsonschema path alone still checks everything
        logger.warning("rasa patches: no compiled schema; action responses use jsonschema only")
        return None


def _passes_compiled(action_class: type, result: Any) -> bool:
    compiled = _compiled(action_class)
    if compiled is None:
        return False
    skeleton, by_event = compiled
    try:
        skeleton(result)  # events (if any) is then a list of objects with a string `event`
        for event in result.get("events") or []:
            by_event[event["event"]](event)
    except Exception:  # invalid, an unknown event, or anything odd: jsonschema decides and explains
        return False
    return True


def _validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    action_class: type = type(self)
    if _passes_compiled(action_class, result):
        return True

    # The error jsonschema.validate() would raise (the best match), with Rasa's message.
    e = best_match(_validator(action_class).iter_errors(result))
    if e is not None:
        e.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e
    return True


# ----------------------------------------------------------------------------- graph
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


# ----------------------------------------------------------------------------- events
_EVENT_TYPES: Dict[Text, type] = {}


def _event_types() -> Dict[Text, type]:
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    table: Dict[Text, type] = {}
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        table.setdefault(cls.type_name, cls)
    return table


def _resolve_by_type(type_name: Text, default: Optional[type] = None) -> Optional[type]:
    cls = _EVENT_TYPES.get(type_name)
    if cls is None:
        _EVENT_TYPES.clear()
        _EVENT_TYPES.update(_event_types())
        cls = _EVENT_TYPES.get(type_name)
    if cls is not None:
        return cls
    # The rest of Rasa's Event.resolve_by_type, unchanged.
    if type_name == "topic":
        return None  # backwards compatibility to support old TopicSet evts
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


# ----------------------------------------------------------------------------- gc
def freeze_now() -> None:
    """Everything allocated so far out of the collector's walk (and its writes)."""
    gc.collect()
    gc.freeze()


async def freeze_loaded_model(*_: Any) -> None:
    """Sanic listener (after_server_start, registered by the REST channel): the domain, rules
    and classifier each worker has just loaded are long-lived objects that every full
    collection otherwise walks again under load (~7% of the server's CPU at 50 visitors,
    measured with gc.callbacks). Does nothing unless install() turned `gc` on."""
    if "gc" in (_state["installed"] or ()):
        freeze_now()


# ----------------------------------------------------------------------------- install
Target = Tuple[type, str, Any]  # (owner, attribute, replacement)


def _patch_validator() -> List[Target]:
    from rasa.core.actions.action import RemoteAction

    return [(RemoteAction, "_validate_action_result", _validate_action_result)]


def _patch_graph() -> List[Target]:
    from rasa.engine.runner.dask import DaskGraphRunner

    return [(DaskGraphRunner, "run", _run_graph_sequentially)]


def _patch_events() -> List[Target]:
    from rasa.shared.core.events import Event

    return [(Event, "resolve_by_type", staticmethod(_resolve_by_type))]


PATCHES: Dict[str, Callable[[], List[Target]]] = {
    "validator": _patch_validator,
    "graph": _patch_graph,
    "events": _patch_events,
}
ITEMS = (*PATCHES, "gc")


def enabled() -> List[str]:
    """The items RASA_PATCHES asks for (unknown ones are logged and skipped by install())."""
    value = os.environ.get("RASA_PATCHES", "all").strip().lower()
    if value in ("0", "none", "off", "false", ""):
        return []
    if value in ("all", "1", "on", "true"):
        return list(ITEMS)
    return [v.strip() for v in value.split(",") if v.strip()]


def rasa_version() -> str:
    import rasa

    return str(getattr(rasa, "__version__", "unknown"))


def _apply(name: str) -> bool:
    """One patch: all of its targets replaced, or none."""
    targets = PATCHES[name]()
    missing = [
        f"{owner.__name__}.{attribute}" for owner, attribute, _ in targets if not hasattr(owner, attribute)
    ]
    if missing:
        logger.warning(f"rasa patches: {name}: {', '.join(missing)} not found; not patched")
        return False
    for owner, attribute, replacement in targets:
        ORIGINALS.setdefault(f"{name}.{attribute}", owner.__dict__[attribute])
        setattr(owner, attribute, replacement)
    return True


def install() -> List[str]:
    """Installs what RASA_PATCHES asks for, once; returns what is on (empty on a Rasa version
    outside COMPATIBLE, which is left as shipped)."""
    if _state["installed"] is not None:
        return list(_state["installed"])
    _state["installed"] = []
    version = rasa_version()
    if version not in COMPATIBLE:
        logger.warning(
            f"rasa patches: written for Rasa {', '.join(sorted(COMPATIBLE))}, found {version}: "
            f"Rasa left unpatched (slower, same answers); docs/runtime.md"
        )
        return []
    from rasa_ext.runtime import lazy_imports

    on: List[str] = []
    try:
        if lazy_imports.install():
            on.append("lazy_imports")
    except Exception:  # as for a patch below: Rasa imports as shipped
        logger.exception("rasa patches: lazy_imports failed; not installed")
    for name in dict.fromkeys(enabled()):
        if name not in ITEMS:
            logger.warning(f"rasa patches: unknown RASA_PATCHES item {name!r}; known: {', '.join(ITEMS)}")
        elif name == "gc":
            os.register_at_fork(before=freeze_now)  # Sanic's workers are forked
            on.append(name)
        else:
            try:
                if _apply(name):
                    on.append(name)
            except Exception:  # never stop the server over a speed-up: Rasa's code stays
                logger.exception(f"rasa patches: {name} failed; not patched")
    _state["installed"] = on
    logger.info(f"rasa patches for Rasa {version}: {', '.join(on) or 'none'} on")
    return list(on)


def installed() -> List[str]:
    return list(_state["installed"] or [])

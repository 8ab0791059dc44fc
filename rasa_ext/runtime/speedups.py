"""Removes per-turn work Rasa 3.6 repeats for nothing (issue 7; measured by `make bench`).

`RemoteAction._validate_action_result` checks every action server response with
`jsonschema.validate(response, schema)`, which first validates the *schema* against the
JSON-Schema 2020-12 meta-schema, on every call: ~19 ms of CPU per custom action call on this
machine, more than the whole NLU pipeline, on the one event loop that serves every visitor.
`install()` makes it validate against the same schema with a validator built once (~0.5 ms):
same checks, same `ValidationError` (and message) for a bad response. A valid response (every
one, in practice) is first checked with fastjsonschema, each event against the one `oneOf`
alternative its `event` names (`_split_by_event` says why that is the same verdict): jsonschema
tried all ~20 alternatives per returned event, ~5 ms for a 17-event booking response; this
takes ~0.2 ms. Anything it rejects goes through jsonschema as before, so a bad response still
gets jsonschema's error.

Every message also runs the prediction graph three times (NLU, then a policy prediction
after each action) through `DaskGraphRunner.run`, which rebuilds the minimal schema and a
dask graph and runs dask's scheduler each time: ~2 ms of CPU per turn of pure bookkeeping
for ~20 nodes that run one after another anyway. `install()` runs the same nodes in a
dependency order worked out once per target list, with the same inputs, outputs and errors
(a missing input is passed as its name, as dask does; a RuntimeError becomes GraphRunError).
`rasa train` and `rasa test` do not load the channels, so they keep dask.

Loading a tracker turns each stored event back into an object with `Event.resolve_by_type`,
which walks the whole Event class tree (`all_subclasses`, with an `inspect.isabstract` per
class) for every event: ~9% of the server's CPU under load (py-spy, README). `install()`
looks the name up in a table built from the same walk, in the same order (first match wins);
an unknown name rebuilds the table (a custom event imported later) and then ends as Rasa's
own function does ("topic" -> None, else the default, else the same ValueError).

`SQLTrackerStore` loads and saves a tracker through the ORM: every stored event of the
session becomes an `SQLEvent` object, and each query is rebuilt and re-keyed for
SQLAlchemy's cache; load + save were ~37% of the server's CPU under load. `install()` runs the
same SQL (events of the latest session by id; their count before appending the new ones)
as Core statements built once per store, reading only the `data` column and inserting the
new rows in one executemany, in the same transaction as before. Same table, same rows.

`RulePolicy._get_possible_keys` finds the rules that match the conversation by testing every
rule (~300 here, each re-read from its JSON key and reversed) against the latest state, then
the survivors against each earlier state back to the start of the conversation, although no
rule is longer than 3 states: ~10% of the server's CPU under load. `install()` keeps each
rule's states parsed, tests against the latest state only the rules whose intent (or other
required value) that state holds, and stops once every surviving rule is shorter than the
turns seen; each test is Rasa's own `_does_rule_match_state`, so the same rules come back.

Installed on import by rasa_ext/channels/rest_channel.py (the Rasa server loads it via credentials.yml);
idempotent; a Rasa version without these methods is left alone. RASA_SPEEDUPS chooses
(to measure each): "all" (default), "0" (none), or a comma list of "validator", "graph",
"events", "sql", "rules".
"""
from __future__ import annotations

import functools
import json
import logging
import os
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER

logger = logging.getLogger(__name__)

_installed = False
ORIGINALS: Dict[str, Any] = {}  # "patch.attribute" -> what it replaced (tests compare against it)


@functools.lru_cache(maxsize=None)
def _validator(action_class: type) -> Any:
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
    import copy

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
def _compiled(action_class: type) -> Any:
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
        logger.warning("rasa_speedups: no compiled schema; action responses use jsonschema only")
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

    if _passes_compiled(type(self), result):
        return True

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


@functools.lru_cache(maxsize=None)
def _reversed_rule(rule_key: Text) -> Tuple[Dict[Text, Dict[Text, Any]], ...]:
    """A rule's states, latest first, lists as tuples (as `_does_rule_match_state` compares)."""
    return tuple(
        {kind: {name: tuple(v) if isinstance(v, list) else v for name, v in sub.items()}
         for kind, sub in state.items()}
        for state in reversed(json.loads(rule_key))
    )


def _anchor(rule_state: Dict[Text, Dict[Text, Any]]) -> Optional[Tuple[Text, Text, Any]]:
    """One (kind, name, value) a conversation state must hold for the rule state to match:
    `_does_rule_match_state` requires every set value other than SHOULD_NOT_BE_SET to be
    equal. The intent if there is one (the most selective), else the first such value."""
    required = [(kind, name, v) for kind, sub in rule_state.items() for name, v in sub.items()
                if v and v != SHOULD_NOT_BE_SET]
    intents = [item for item in required if item[0] == USER and item[1] == "intent"]
    return (intents or required or [None])[0]


@functools.lru_cache(maxsize=16)
def _rule_index(rule_keys: frozenset) -> Tuple[Dict[Any, list], list]:
    """Rules by the anchor of their latest state; rules with none (conversation starters,
    no set values) are candidates for every state."""
    by_anchor: Dict[Any, list] = {}
    anchorless = []
    for key in rule_keys:
        states = _reversed_rule(key)
        anchor = _anchor(states[0]) if states and states[0].get(PREVIOUS_ACTION) else None
        (by_anchor.setdefault(anchor, []) if anchor else anchorless).append((key, states))
    return by_anchor, anchorless


def _first_candidates(lookup: Dict[Text, Any], state: Dict[Text, Dict[Text, Any]]) -> list:
    by_anchor, anchorless = _rule_index(frozenset(lookup))
    candidates = list(anchorless)
    try:
        for kind, sub in state.items():
            for name, value in sub.items():
                candidates += by_anchor.get((kind, name, value), ())
    except TypeError:  # an unhashable value in the state: check every rule
        return [(key, _reversed_rule(key)) for key in lookup]
    return candidates


def _rule_state_applies(policy: Any, rule_state: Dict, current_previous: Any, state: Dict) -> bool:
    # RulePolicy._is_rule_applicable for a turn the rule reaches back to.
    rule_previous = rule_state.get(PREVIOUS_ACTION)
    if not rule_previous or not current_previous:
        return not rule_previous and not current_previous
    return policy._does_rule_match_state(rule_state, state)


def _get_possible_keys(self: Any, lookup: Dict[Text, Any], states: List[Dict]) -> set:
    from rasa.core.policies.rule_policy import RulePolicy

    if type(self)._is_rule_applicable is not RulePolicy._is_rule_applicable:
        rasas = ORIGINALS.get("rules._get_possible_keys", RulePolicy._get_possible_keys)
        return rasas(self, lookup, states)  # a subclass decides what applies
    candidates = None
    for depth, state in enumerate(reversed(states)):
        if candidates is None:
            candidates = _first_candidates(lookup, state)
        elif all(len(rule) <= depth for _, rule in candidates):
            break  # every rule left is shorter: it applies to all earlier turns
        previous = state.get(PREVIOUS_ACTION)
        candidates = [(key, rule) for key, rule in candidates
                      if len(rule) <= depth or _rule_state_applies(self, rule[depth], previous, state)]
    return set(lookup) if candidates is None else {key for key, _ in candidates}


def _sql_statements(store: Any) -> Dict[Text, Any]:
    """The store's queries, built once: Core statements with a bound sender id."""
    statements = store.__dict__.get("_speedup_statements")
    if statements is None:
        import sqlalchemy as sa
        from rasa.shared.core.events import SessionStarted

        table = store.SQLEvent.__table__
        sender = table.c.sender_id == sa.bindparam("sender_id")
        session_start = (
            sa.select(sa.func.max(table.c.timestamp))
            .where(sender, table.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        this_session = sa.or_(table.c.timestamp >= session_start, session_start.is_(None))
        statements = {
            "all_sessions": sa.select(table.c.data).where(sender).order_by(table.c.id),
            "this_session": sa.select(table.c.data).where(sender, this_session).order_by(table.c.id),
            "count": sa.select(sa.func.count(table.c.id)).where(sender, this_session),
            "insert": table.insert(),
        }
        store.__dict__["_speedup_statements"] = statements
    return statements


async def _sql_retrieve(self: Any, sender_id: Text, fetch_events_from_all_sessions: bool) -> Any:
    import json

    from rasa.shared.core.trackers import DialogueStateTracker

    key = "all_sessions" if fetch_events_from_all_sessions else "this_session"
    with self.session_scope() as session:
        rows = session.execute(_sql_statements(self)[key], {"sender_id": sender_id}).scalars().all()
    events = [json.loads(data) for data in rows]
    if self.domain and events:
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
    return None


async def _sql_save(self: Any, tracker: Any) -> None:
    import json

    from rasa.shared.nlu.constants import INTENT_NAME_KEY

    await self.stream_events(tracker)
    statements = _sql_statements(self)
    with self.session_scope() as session:
        stored = session.execute(statements["count"], {"sender_id": tracker.sender_id}).scalar()
        rows = []
        for event in list(tracker.events)[stored:]:
            data = event.as_dict()
            rows.append({
                "sender_id": tracker.sender_id,
                "type_name": event.type_name,
                "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "action_name": data.get("name"),
                "data": json.dumps(data),
            })
        if rows:
            session.execute(statements["insert"], rows)
        session.commit()


def freeze_imports() -> None:
    """Move everything imported so far (Rasa, TensorFlow, ...) out of the garbage collector's
    reach. The Rasa server imports all of it before Sanic forks its workers
    (`SANIC_WORKERS`); without this, each worker's collections write to those objects and
    copy the pages they share with the parent. RASA_FREEZE_IMPORTS=0 turns it off."""
    import gc

    if os.environ.get("RASA_FREEZE_IMPORTS", "1") != "0":
        gc.collect()
        gc.freeze()


async def freeze_loaded_model(*_: Any) -> None:
    """The same for the model each worker loads (Sanic listener, after_server_start): the
    domain, rules and classifier are long-lived objects that every full collection otherwise
    walks again under load (~7% of the server's CPU at 50 visitors, measured with
    gc.callbacks). Turned off with the same RASA_FREEZE_IMPORTS=0."""
    freeze_imports()


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
        targets = PATCHES[name]()
        missing = [f"{owner.__name__}.{attribute}" for owner, attribute, _ in targets
                   if not hasattr(owner, attribute)]
        if missing or (name == "graph" and not hasattr(targets[0][0], "_build_dask_graph")):
            logger.warning(f"rasa_speedups: {name}: {', '.join(missing) or 'graph runner'} not as expected; not patched")
            continue
        for owner, attribute, replacement in targets:  # all of a patch's targets, or none
            ORIGINALS.setdefault(f"{name}.{attribute}", getattr(owner, attribute))
            setattr(owner, attribute, replacement)


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


def _patch_sql() -> List[Target]:
    from rasa.core.tracker_store import SQLTrackerStore

    return [(SQLTrackerStore, "_retrieve", _sql_retrieve), (SQLTrackerStore, "save", _sql_save)]


def _patch_rules() -> List[Target]:
    from rasa.core.policies.rule_policy import RulePolicy

    return [(RulePolicy, "_get_possible_keys", _get_possible_keys)]


PATCHES = {
    "validator": _patch_validator,
    "graph": _patch_graph,
    "events": _patch_events,
    "sql": _patch_sql,
    "rules": _patch_rules,
}

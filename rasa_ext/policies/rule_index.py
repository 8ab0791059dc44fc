"""Rules indexed by their latest state, for IndexedRulePolicy (rasa_ext/policies/rule_policy.py).

RulePolicy stores each rule as a JSON key: its states, earliest first. Rasa's
`_get_possible_keys` re-reads and reverses every key (~300 here) against every state of the
conversation. Here each rule's states are parsed once (latest first, lists as tuples, as
`_does_rule_match_state` compares them), and the rules are indexed by one value their latest
state requires (`anchor`), so only the rules that can match the conversation's latest state
are tested at all.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER

RuleState = Dict[Text, Dict[Text, Any]]
Rule = Tuple[RuleState, ...]
Candidate = Tuple[Text, Rule]


@functools.lru_cache(maxsize=None)
def reversed_rule(rule_key: Text) -> Rule:
    """A rule's states, latest first, lists as tuples (as `_does_rule_match_state` compares)."""
    return tuple(
        {
            kind: {name: tuple(v) if isinstance(v, list) else v for name, v in sub.items()}
            for kind, sub in state.items()
        }
        for state in reversed(json.loads(rule_key))
    )


def anchor(rule_state: RuleState) -> Optional[Tuple[Text, Text, Any]]:
    """One (kind, name, value) a conversation state must hold for the rule state to match:
    `_does_rule_match_state` requires every set value other than SHOULD_NOT_BE_SET to be
    equal. The intent if there is one (the most selective), else the first such value."""
    required = [
        (kind, name, v)
        for kind, sub in rule_state.items()
        for name, v in sub.items()
        if v and v != SHOULD_NOT_BE_SET
    ]
    intents = [item for item in required if item[0] == USER and item[1] == "intent"]
    candidates = intents or required
    return candidates[0] if candidates else None


@functools.lru_cache(maxsize=16)
def rule_index(rule_keys: frozenset) -> Tuple[Dict[Any, List[Candidate]], List[Candidate]]:
    """Rules by the anchor of their latest state; rules with none (conversation starters,
    no set values) are candidates for every state."""
    by_anchor: Dict[Any, List[Candidate]] = {}
    anchorless: List[Candidate] = []
    for key in rule_keys:
        states = reversed_rule(key)
        rule_anchor = anchor(states[0]) if states and states[0].get(PREVIOUS_ACTION) else None
        (by_anchor.setdefault(rule_anchor, []) if rule_anchor else anchorless).append((key, states))
    return by_anchor, anchorless


def first_candidates(lookup: Dict[Text, Any], state: RuleState) -> List[Candidate]:
    """The rules whose latest state may match `state` (a superset of those that do)."""
    by_anchor, anchorless = rule_index(frozenset(lookup))
    candidates = list(anchorless)
    try:
        for kind, sub in state.items():
            for name, value in sub.items():
                candidates += by_anchor.get((kind, name, value), ())
    except TypeError:  # an unhashable value in the state: check every rule
        return [(key, reversed_rule(key)) for key in lookup]
    return candidates

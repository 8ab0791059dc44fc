"""RulePolicy with its rules indexed: the same rules found, with less work per turn.

config.yml names it instead of `RulePolicy` (same settings):

    - name: rasa_ext.policies.rule_policy.IndexedRulePolicy

`RulePolicy._get_possible_keys` finds the rules that match the conversation by testing every
rule (~300 here, each re-read from its JSON key and reversed) against the latest state, then
the survivors against each earlier state back to the start of the conversation, although no
rule is longer than 3 states: ~10% of the server's CPU under load (README "Performance").
Here each rule's states stay parsed (rasa_ext/policies/rule_index.py), only the rules whose
intent (or other required value) the latest state holds are tested against it, and the walk
stops once every surviving rule is shorter than the turns seen. Each test is Rasa's own
`_does_rule_match_state`, so the same rules come back (tests/unit/test_rule_policy.py checks
it against Rasa's method on random rules and on every turn of the project's stories).

Everything else is RulePolicy's: training, persistence, rule-only data (Rasa finds the rule
policy by `issubclass`), predictions. A subclass that overrides `_is_rule_applicable` gets
Rasa's walk, which calls it. The policy name in predictions (and in stored `action` events)
is `policy_N_IndexedRulePolicy`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Text

from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import PREVIOUS_ACTION

from rasa_ext.policies.rule_index import Candidate, RuleState, first_candidates


def _rule_state_applies(
    policy: RulePolicy, rule_state: RuleState, current_previous: Any, state: RuleState
) -> bool:
    # RulePolicy._is_rule_applicable for a turn the rule reaches back to.
    rule_previous = rule_state.get(PREVIOUS_ACTION)
    if not rule_previous or not current_previous:
        return not rule_previous and not current_previous
    return policy._does_rule_match_state(rule_state, state)


def possible_keys(policy: RulePolicy, lookup: Dict[Text, Any], states: List[RuleState]) -> Set[Text]:
    """The keys of `lookup` Rasa's `_get_possible_keys` returns for `states`."""
    candidates: Optional[List[Candidate]] = None
    for depth, state in enumerate(reversed(states)):
        if candidates is None:
            candidates = first_candidates(lookup, state)
        elif all(len(rule) <= depth for _, rule in candidates):
            break  # every rule left is shorter: it applies to all earlier turns
        previous = state.get(PREVIOUS_ACTION)
        candidates = [
            (key, rule)
            for key, rule in candidates
            if len(rule) <= depth or _rule_state_applies(policy, rule[depth], previous, state)
        ]
    return set(lookup) if candidates is None else {key for key, _ in candidates}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class IndexedRulePolicy(RulePolicy):
    """RulePolicy whose rule lookup tests only the rules that can match."""

    def _get_possible_keys(self, lookup: Dict[Text, Any], states: List[RuleState]) -> Set[Text]:
        if type(self)._is_rule_applicable is not RulePolicy._is_rule_applicable:
            return super()._get_possible_keys(lookup, states)  # a subclass decides what applies
        return possible_keys(self, lookup, states)

"""Rasa's RulePolicy, reading only as much of the conversation as its rules can match.

To predict, Rasa's RulePolicy turns the whole conversation into states (one per
action: the user's intent or text, the previous action, slots, loop) and then
checks every rule against them, newest first. A rule of ``n`` states reads only
the newest ``n``: the older states are computed, compared and kept for nothing,
three times a message (text pass and intent pass after the visitor's message,
intent pass after the action). That was 8.6 % of the Rasa server's time at
saturation (``make profile``), and it grows with every turn of a conversation.

:class:`RecentRulePolicy` trains, stores and loads exactly as Rasa's. When it
predicts, it replays the conversation's events as Rasa does but makes states
only for the newest :attr:`~RecentRulePolicy.depth` actions, the length of its
longest rule. Every rule then sees the same states it saw in Rasa's policy;
Rasa's code accepts any rule once a conversation is longer than the rule, so
the older states never decide anything. One thing reads all the states: when
no rule matches the intent, Rasa names the prediction by the whole
conversation's states (the key of its "source"), so that case is predicted
again by Rasa's own reading, and the result is Rasa's, unchanged.

Two more things Rasa repeats are done once. The text pass and the intent pass
read the same conversation, so the intent pass takes the text pass's states.
And Rasa tries every rule against the newest state, while a rule can only
apply if the previous action and intent it names are the conversation's: the
rules are indexed by those two, and only the rules of the matching index
entries are tried, by Rasa's own test.

``tests/unit/test_rule_policy.py`` compares both policies on long
conversations, state by state and prediction by prediction, and the rules found
applicable on 2,000 random rule and state shapes;
``python -m benchmarks.rule_policy`` times them.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, NamedTuple, Optional, Set, Tuple

from rasa.core.policies.rule_policy import (
    RULES,
    RULES_FOR_LOOP_UNHAPPY_PATH,
    RulePolicy,
)
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME, INTENT

Signature = Tuple[Optional[str], Optional[str]]


def recent_states(
    tracker: DialogueStateTracker, domain: Domain, depth: int
) -> Tuple[List[State], bool]:
    """The newest ``depth`` states of a conversation, as Rasa makes every state.

    Rasa's ``Domain.states_for_tracker_history`` (without hiding rule-only turns,
    as for the RulePolicy): the events are replayed on a fresh copy of the
    tracker, and a state is read before each action and at the end. Here only
    the last ``depth`` of those readings are made.

    Args:
        tracker: the conversation.
        domain: the model's domain.
        depth: how many states, counted from the newest.

    Returns:
        The states, oldest first, and whether older states were left out.
    """
    events = tracker.applied_events()
    readings = 1 + sum(isinstance(event, ActionExecuted) for event in events)
    skipped = max(readings - depth, 0)
    replay = tracker.init_copy()
    states: List[State] = []
    seen = 0
    for event in events:
        if isinstance(event, ActionExecuted):
            if seen >= skipped:
                states.append(domain._clean_state(domain.get_active_state(replay)))
            seen += 1
        replay.update(event)
    states.append(domain._clean_state(domain.get_active_state(replay)))
    return states, skipped > 0


def _copied(state: State) -> State:
    """A copy of a state whose sub-states can be changed without changing it."""
    return {name: dict(sub_state) for name, sub_state in state.items()}


def _required(state: Optional[State], sub_state: str, feature: str) -> Optional[str]:
    """The value a rule's state requires of a feature, or None if it requires none."""
    value = ((state or {}).get(sub_state) or {}).get(feature)
    return value if value and value != SHOULD_NOT_BE_SET else None


def signature(state: Optional[State]) -> Signature:
    """The previous action and the intent a state sets, as far as they are set.

    A state without a previous action starts a conversation: Rasa compares
    nothing else of it (``RulePolicy._is_rule_applicable``), so it has none.
    """
    if not (state or {}).get(PREVIOUS_ACTION):
        return (None, None)
    return (
        _required(state, PREVIOUS_ACTION, ACTION_NAME),
        _required(state, USER, INTENT),
    )


class _Read(NamedTuple):
    """The states read from a conversation, and which conversation it was."""

    tracker: DialogueStateTracker
    events: int
    newest: Any
    domain: Domain
    states: Tuple[List[State], bool]

    def reads_as(self, other: _Read) -> bool:
        """The same tracker object, with the same events, and the same domain."""
        return (
            self.tracker is other.tracker
            and self.events == other.events
            and self.newest is other.newest
            and self.domain is other.domain
        )


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class RecentRulePolicy(RulePolicy):
    """RulePolicy that makes only the states its longest rule can read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """As Rasa's RulePolicy."""
        super().__init__(*args, **kwargs)
        self._recent_only = False
        self._left_out = False
        # what is derived from the lookups, with the lookups it was derived from
        # (kept: a lookup replaced in training is never taken for its successor)
        self._depth: Tuple[List[Tuple[Dict[str, Any], int]], int] = ([], 0)
        self._indexes: Dict[
            int, Tuple[Dict[str, Any], int, Dict[Signature, List[str]]]
        ] = {}
        # what the text pass read, for the intent pass right after it
        self._text_pass_read: Optional[_Read] = None

    def _rule_lookups(self) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        """The rules' lookups: rules, and the unhappy paths of loops."""
        return (
            self.lookup.get(RULES, {}),
            self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {}),
        )

    @property
    def depth(self) -> int:
        """The length, in states, of the longest rule (0 before training).

        Measured once for each set of rules (training fills them in steps).
        """
        lookups = self._rule_lookups()
        measured = self._depth[0]
        if len(measured) != len(lookups) or any(
            seen is not lookup or size != len(lookup)
            for (seen, size), lookup in zip(measured, lookups, strict=False)
        ):
            longest = max(
                (len(json.loads(key)) for lookup in lookups for key in lookup),
                default=0,
            )
            self._depth = ([(lookup, len(lookup)) for lookup in lookups], longest)
        return self._depth[1]

    def _index(self, lookup: Dict[str, Any]) -> Dict[Signature, List[str]]:
        """The lookup's rule keys by what their newest state requires.

        The previous action and the intent a rule's newest state names must be
        the conversation's newest state's, for Rasa to find the rule applicable.
        """
        made = self._indexes.get(id(lookup))
        if made is None or made[0] is not lookup or made[1] != len(lookup):
            index: Dict[Signature, List[str]] = {}
            for key in lookup:
                rule_states = self._rule_key_to_state(key)
                newest = rule_states[-1] if rule_states else None
                index.setdefault(signature(newest), []).append(key)
            made = (lookup, len(lookup), index)
            self._indexes[id(lookup)] = made
        return made[2]

    def _get_possible_keys(
        self, lookup: Dict[str, Any], states: List[State]
    ) -> Set[str]:
        """Rasa's applicable rules, trying first only those the newest state allows.

        The same set as Rasa's: a rule whose newest state names another previous
        action or intent than the conversation's newest state is not applicable.
        """
        if not states:
            return set(lookup)
        action, intent = signature(states[-1])
        index = self._index(lookup)
        candidates = [
            key
            for wanted in {
                (action, intent),
                (action, None),
                (None, intent),
                (None, None),
            }
            for key in index.get(wanted, ())
        ]
        possible = {
            key for key in candidates if self._is_rule_applicable(key, 0, states[-1])
        }
        for turn, state in enumerate(reversed(states[:-1]), start=1):
            if not possible:
                break
            possible = {
                key for key in possible if self._is_rule_applicable(key, turn, state)
            }
        return possible

    def _prediction_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: Optional[Dict[str, Any]] = None,
    ) -> List[State]:
        """Rasa's prediction states, only the newest ones while rules are matched."""
        if not self._recent_only:
            return super()._prediction_states(
                tracker, domain, use_text_for_last_user_input, rule_only_data
            )
        states, self._left_out = self._read_once(
            tracker, domain, use_text_for_last_user_input
        )
        # the rest of Rasa's reading (the featurizer's): text or intent last
        self.featurizer._choose_last_user_input([states], use_text_for_last_user_input)
        return states

    def _read_once(
        self, tracker: DialogueStateTracker, domain: Domain, text_pass: bool
    ) -> Tuple[List[State], bool]:
        """:func:`recent_states`, made once for the text pass and the intent pass.

        ``RulePolicy._predict`` runs the text pass and then the intent pass on
        the same tracker, with no event in between: the intent pass takes what
        the text pass made, if the tracker is the same object with the same
        events. Each pass gets its own copy, as the featurizer changes the
        newest user state.
        """
        read = _Read(
            tracker,
            len(tracker.events),
            tracker.events[-1] if tracker.events else None,
            domain,
            ([], False),
        )
        made, self._text_pass_read = self._text_pass_read, None
        if text_pass or made is None or not made.reads_as(read):
            made = read._replace(states=recent_states(tracker, domain, self.depth))
        if text_pass:
            self._text_pass_read = made
        states, left_out = made.states
        return [_copied(state) for state in states], left_out

    def _find_action_from_rules(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool,
    ) -> Tuple[Optional[str], Optional[str], bool]:
        """Rasa's rule matching on the newest states; on all of them if no rule matched.

        Rasa's result names the rule that matched, or, when none did, the key of
        all the states read. After the intent pass, that key decides whether the
        turn is hidden from the stories' policies (``hide_rule_turn``), so the
        intent pass is read again as Rasa reads it. The text pass's key is read
        only when a rule matched (``RulePolicy._predict``).
        """
        self._recent_only, self._left_out = True, False
        try:
            found = super()._find_action_from_rules(
                tracker, domain, use_text_for_last_user_input
            )
        finally:
            self._recent_only = False
        _, source, _ = found
        if (
            self._left_out
            and not use_text_for_last_user_input
            and not any(source in lookup for lookup in self._rule_lookups())
        ):
            return super()._find_action_from_rules(
                tracker, domain, use_text_for_last_user_input
            )
        return found

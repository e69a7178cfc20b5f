"""The recent-states RulePolicy predicts exactly what Rasa's RulePolicy predicts.

Both policies are trained on the project's domain, rules and stories. Then they
are driven through conversations as Rasa's processor drives a policy: the
visitor's message, the predicted action, the next prediction... They predict
after every event. The conversations are long (30 messages) and have every
intent of the domain. They also have an intent no rule knows, slot events, a
session restart and an undone message. The predictions must be equal in every
field, the recent states must be the tail of Rasa's states, and the rules
found applicable, from all the states or the newest, must be Rasa's.
"""

from __future__ import annotations

import json
import random
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import (
    ACTION_LISTEN_NAME,
    ACTION_SESSION_START_NAME,
    SHOULD_NOT_BE_SET,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from components.rule_policy import RecentRulePolicy, recent_states
from tests.support.rules import trained_rule_policies

Policies = Tuple[Domain, RulePolicy, RecentRulePolicy]


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> Policies:
    """Rasa's RulePolicy and ours, trained on the project's files (config.yml's)."""
    return trained_rule_policies(tmp_path_factory.mktemp("rules"))


def user(intent: str, text: str) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": 0.9})


def visitor_messages(domain: Domain, count: int, seed: int) -> Iterator[Event]:
    """What a visitor sends: every intent in turn, then at random; odd events too."""
    intents = list(domain.intents)
    rng = random.Random(seed)
    for i in range(count):
        intent = intents[i] if i < len(intents) else rng.choice(intents)
        if i == 7:
            yield user("an_intent_no_rule_knows", "???")
        elif i == 11:
            yield UserUtteranceReverted()
        elif i == 15:
            yield SlotSet("treatment", "thermage")
        elif i == 19:
            yield Restarted()
        elif i == 23:
            yield SessionStarted()
        yield user(intent, f"message {i} of {seed}")


def predictions(
    policy: RulePolicy, tracker: DialogueStateTracker, domain: Domain
) -> List[Any]:
    prediction = policy.predict_action_probabilities(tracker, domain)
    return [
        prediction.probabilities,
        prediction.policy_name is not None,
        prediction.events,
        prediction.optional_events,
        prediction.is_end_to_end_prediction,
        prediction.is_no_user_prediction,
        prediction.hide_rule_turn,
        prediction.action_metadata,
    ]


def assert_same_rules_applicable(
    rasa_policy: RulePolicy,
    recent_policy: RecentRulePolicy,
    tracker: DialogueStateTracker,
    domain: Domain,
) -> None:
    """Rasa's applicable rules and ours, for all the states and for the newest."""
    for use_text in (True, False):
        states = rasa_policy._prediction_states(tracker, domain, use_text)
        for lookup in recent_policy._rule_lookups():
            expected = rasa_policy._get_possible_keys(lookup, states)
            for read in (states, states[-recent_policy.depth :]):
                assert recent_policy._get_possible_keys(lookup, read) == expected


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_predictions_through_long_conversations(
    policies: Policies, seed: int
) -> None:
    domain, rasa_policy, recent_policy = policies
    tracker = DialogueStateTracker.from_events(
        f"visitor-{seed}",
        [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted()],
        domain.slots,
    )
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    compared = left_out = 0
    for event in visitor_messages(domain, 30, seed):
        tracker.update(event)
        if not isinstance(event, UserUttered):
            continue
        for _ in range(3):  # the processor predicts until action_listen
            expected = predictions(rasa_policy, tracker, domain)
            assert predictions(recent_policy, tracker, domain) == expected
            assert_same_rules_applicable(rasa_policy, recent_policy, tracker, domain)
            compared += 1
            left_out += recent_policy._left_out
            action = domain.action_names_or_texts[expected[0].index(max(expected[0]))]
            tracker.update(ActionExecuted(action))
            if action == ACTION_LISTEN_NAME:
                break
            tracker.update(BotUttered(f"reply to {event.text}"))
    assert compared > 60
    assert left_out > 0  # the newest states were read alone (the faster path)


def test_recent_states_are_the_tail_of_rasas(policies: Policies) -> None:
    domain, rasa_policy, recent_policy = policies
    tracker = DialogueStateTracker.from_events("tail", [], domain.slots)
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    for event in visitor_messages(domain, 12, 7):
        tracker.update(event)
        tracker.update(ActionExecuted("action_answer_question"))
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        full = tracker.past_states(domain)
        for depth in (1, 2, 3, 5, len(full), len(full) + 4):
            states, left_out = recent_states(tracker, domain, depth)
            assert states == full[-depth:]
            assert left_out == (depth < len(full))


def test_depth_is_the_longest_rule(policies: Policies) -> None:
    _, rasa_policy, recent_policy = policies
    # trained alike: the rules checked while training were matched alike too
    assert recent_policy.lookup == rasa_policy.lookup
    assert recent_policy.depth == max(
        len(RulePolicy._rule_key_to_state(key)) for key in rasa_policy.lookup["rules"]
    )
    assert 2 <= recent_policy.depth < 10


def random_state(rng: random.Random, rule: bool) -> Dict[str, Any]:
    """A state of a rule or of a conversation, of every shape Rasa's states take."""
    actions = ["action_listen", "action_answer_question", "utter_greet"]
    intents = ["ask_pain", "greet", "report_problem"]
    not_set = [SHOULD_NOT_BE_SET] if rule else []
    state: Dict[str, Any] = {}
    previous = rng.choice(
        [
            None,
            {"action_name": rng.choice(actions + not_set)},
            {"action_text": rng.choice(["hi", *not_set])},
            {"action_name": rng.choice(actions), "action_text": "hi"},
        ]
    )
    if previous is not None:
        state["prev_action"] = previous
    user = rng.choice(
        [
            None,
            {"intent": rng.choice(intents + not_set)},
            {"text": "hello"},
            {"intent": rng.choice(intents), "entities": ["treatment"]},
        ]
    )
    if user is not None:
        state["user"] = user
    if rng.random() < 0.2:
        state["slots"] = {"treatment": rng.choice([(1.0,), *not_set])}
    if rng.random() < 0.1:
        state["active_loop"] = {"name": rng.choice(["a_form", *not_set])}
    return state


def test_applicable_rules_of_every_shape_are_rasas(policies: Policies) -> None:
    """Rules with or without an intent or a previous action, negated features..."""
    _, rasa_policy, recent_policy = policies
    rng = random.Random(2024)
    lookup = {
        json.dumps([random_state(rng, True) for _ in range(rng.randint(1, 3))]): "x"
        for _ in range(400)
    }
    found = 0
    for _ in range(2000):
        states = [random_state(rng, False) for _ in range(rng.randint(1, 4))]
        expected = rasa_policy._get_possible_keys(lookup, states)
        assert recent_policy._get_possible_keys(lookup, states) == expected
        found += len(expected)
    assert found > 500  # rules of many shapes were found applicable


def test_the_intent_pass_reuses_only_the_same_conversations_reading(
    policies: Policies,
) -> None:
    """What the text pass read is reused only for the same tracker and events."""
    domain, _, recent_policy = policies
    tracker = DialogueStateTracker.from_events("reuse", [], domain.slots)
    for event in (ActionExecuted(ACTION_LISTEN_NAME), user("greet", "hi")):
        tracker.update(event)
    read = recent_policy._read_once(tracker, domain, text_pass=True)
    assert recent_policy._read_once(tracker, domain, text_pass=False) == read
    recent_policy._read_once(tracker, domain, text_pass=True)
    tracker.update(ActionExecuted("action_chitchat"))  # an event in between
    after = recent_policy._read_once(tracker, domain, text_pass=False)
    assert after == recent_states(tracker, domain, recent_policy.depth)
    assert after != read
    other = tracker.copy()  # another conversation with the same events
    recent_policy._read_once(tracker, domain, text_pass=True)
    other.update(user("ask_pain", "does it hurt?"))
    assert recent_policy._read_once(other, domain, text_pass=False) == recent_states(
        other, domain, recent_policy.depth
    )


def test_a_replaced_lookup_is_measured_and_indexed_again(policies: Policies) -> None:
    """Training replaces the lookups: what was derived from the old one is dropped."""
    _, _, recent_policy = policies
    rules = recent_policy.lookup["rules"]
    depth = recent_policy.depth
    first = max(rules, key=lambda key: len(json.loads(key)))
    longer = json.dumps(json.loads(first) * 2)  # the longest rule, twice as long
    replaced = {**{key: rules[key] for key in rules if key != first}, longer: "x"}
    assert len(replaced) == len(rules)
    try:
        recent_policy.lookup["rules"] = replaced
        assert recent_policy.depth == max(len(json.loads(key)) for key in replaced)
        assert recent_policy.depth > depth
        indexed = [
            key for keys in recent_policy._index(replaced).values() for key in keys
        ]
        assert sorted(indexed) == sorted(replaced)
    finally:
        recent_policy.lookup["rules"] = rules
    assert recent_policy.depth == depth

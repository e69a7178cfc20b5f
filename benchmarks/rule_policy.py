"""The RulePolicy's cost per prediction, by conversation length: Rasa's against ours.

Trains Rasa's RulePolicy and :class:`components.rule_policy.RecentRulePolicy` on
the project's files (``tests/support/rules.py``), builds conversations of 1, 6,
30 and 100 visitor messages as the assistant's tracker holds them
(``tests/support/events.py``), and times the prediction Rasa's processor asks
for after a visitor's message (the text pass, then the intent pass) and after
the answer (the intent pass). Rounds alternate the two policies. The predictions
are compared too: a difference stops the benchmark.

usage: python -m benchmarks.rule_policy [--rounds 3] [--repeat 300]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

from tests.support.events import session_start, turn
from tests.support.rules import trained_rule_policies

LENGTHS = (1, 6, 30, 100)


def conversations(domain: Domain, messages: int) -> List[DialogueStateTracker]:
    """The two moments a policy predicts at, after ``messages`` messages.

    Right after the visitor's last message, and right after its answer.
    """
    events = session_start()
    for i in range(messages):
        events += turn(f"message {i}")
    # the last turn up to the message: its answer, slot and listening cut off
    after_message = DialogueStateTracker.from_events("bench", events[:-4], domain.slots)
    after_answer = after_message.copy()
    after_answer.update(ActionExecuted("action_answer_question"))
    return [after_message, after_answer]


def per_prediction(
    policy: Any, trackers: List[Any], domain: Domain, repeat: int
) -> float:
    """Milliseconds per prediction, over ``repeat`` predictions at each moment."""
    start = time.perf_counter()
    for _ in range(repeat):
        for tracker in trackers:
            policy.predict_action_probabilities(tracker, domain)
    return (time.perf_counter() - start) / (repeat * len(trackers)) * 1000


def main() -> None:
    """Print ms per prediction for each policy and conversation length."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        domain, rasa_policy, recent_policy = trained_rule_policies(Path(folder))
    policies = {"Rasa's RulePolicy": rasa_policy, "RecentRulePolicy": recent_policy}
    print("ms per prediction (after the message, and after the answer), by round")
    for messages in LENGTHS:
        trackers = conversations(domain, messages)
        for tracker in trackers:
            same = [
                p.predict_action_probabilities(tracker, domain).probabilities
                for p in policies.values()
            ]
            if same[0] != same[1]:
                raise SystemExit(f"the policies disagree after {messages} messages")
        times: Dict[str, List[float]] = {name: [] for name in policies}
        for _ in range(args.rounds):
            for name, policy in policies.items():
                times[name].append(
                    per_prediction(policy, trackers, domain, args.repeat)
                )
        for name, values in times.items():
            rounds = "  ".join(f"{v:.3f}" for v in values)
            print(
                f"{messages:4d} messages  {name:18s} {rounds}   best {min(values):.3f}"
            )


if __name__ == "__main__":
    main()

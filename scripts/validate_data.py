"""Validate the training data and domain: `rasa data validate --fail-on-warnings`.

This runs the very checks of `rasa data validate --fail-on-warnings` (Rasa's
own Validator) and fails where it fails, with one difference: Rasa warns that
a response "is not used in any story or rule" when only a custom action sends
it. Every reply of this assistant is sent by a custom action (it must carry
the contract's `answer` metadata), so those responses are checked against the
actions' code instead: each must be sent by an action (no dead wording), and
each response an action names must exist in domain.yml.

usage: python scripts/validate_data.py
"""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path
from typing import List, Set

PROJECT_DIR = Path(__file__).resolve().parent.parent
_UNUSED_UTTERANCE = re.compile(
    r"The utterance '(utter_\w+)' is not used in any story or rule"
)
_RESPONSE_NAME = re.compile(r"[\"'](utter_\w+)[\"']")


def responses_sent_by_actions() -> Set[str]:
    """Response names written in the code that composes replies (core and actions)."""
    names: Set[str] = set()
    for package in ("actions", "medspa"):
        for path in (PROJECT_DIR / package).glob("*.py"):
            names.update(_RESPONSE_NAME.findall(path.read_text()))
    return names


def main() -> int:
    """Run the checks; print every problem; exit 1 on any."""
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    importer = TrainingDataImporter.load_from_config(
        config_path=str(PROJECT_DIR / "config.yml"),
        domain_path=str(PROJECT_DIR / "domain.yml"),
        training_data_paths=[str(PROJECT_DIR / "data")],
    )
    validator = Validator.from_importer(importer)
    results = {
        "domain": validator.verify_domain_validity(),
        "actions in stories and rules": validator.verify_actions_in_stories_rules(),
        "forms in stories and rules": validator.verify_forms_in_stories_rules(),
        "form slots": validator.verify_form_slots(),
        "slot mappings": validator.verify_slot_mappings(),
        "intents": validator.verify_intents_in_stories(ignore_warnings=False),
        "repeated examples": validator.verify_example_repetition_in_intents(
            ignore_warnings=False
        ),
        "story structure": validator.verify_story_structure(ignore_warnings=False),
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validator.verify_utterances_in_stories(ignore_warnings=False)
    sent = responses_sent_by_actions()
    domain_responses = set(validator.domain.responses)
    problems: List[str] = [
        f"check failed: {name}" for name, ok in results.items() if not ok
    ]
    for warning in caught:
        unused = _UNUSED_UTTERANCE.search(str(warning.message))
        if not (unused and unused.group(1) in sent):
            problems.append(f"utterances: {warning.message}")
    problems += [
        f"actions send {name!r}, which domain.yml does not define"
        for name in sorted(sent - domain_responses)
    ]
    print()
    for problem in problems:
        print(f"ERROR {problem}")
    print(
        f"Validated {len(validator.domain.intents)} intents, {len(domain_responses)} "
        f"responses: {len(domain_responses & sent)} sent by custom actions (expected, "
        f"not warnings), {len(problems)} problem(s)."
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Ids are defined once (``medspa.contract``); every copy of them is checked here.

The contract (``../shared/contract.md``) fixes the treatment, topic and kind
ids; ``medspa/contract.py`` holds them and the intents. ``domain.yml``,
``data/rules.yml``, the NLU data and the knowledge base must list the same
ids: a forgotten copy fails one of these tests, naming the file. No Rasa is
imported, so they run in a fraction of a second.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, List, Sequence, Set

import pytest
import yaml

from medspa import contract
from medspa.contract import INTENTS, KINDS, QUESTION_INTENTS, SMALL_TALK_INTENTS

PROJECT_DIR = Path(__file__).resolve().parents[2]
CONTRACT_MD = PROJECT_DIR.parent / "shared" / "contract.md"


def _yaml(relative: str) -> Dict:
    return yaml.safe_load((PROJECT_DIR / relative).read_text())


def _contract_table_ids(heading: str) -> List[str]:
    """The backticked ids in the first column of the table under ``heading``."""
    text = CONTRACT_MD.read_text()
    section = text.split(heading, 1)[1]
    ids: List[str] = []
    for line in section.splitlines()[1:]:
        if line.startswith("#"):
            break
        match = re.match(r"\|\s*`([a-z_]+)`\s*\|", line)
        if match:
            ids.append(match.group(1))
    return ids


@pytest.mark.parametrize(
    ("heading", "ids"),
    [
        ("## Treatments", contract.TREATMENT_IDS),
        ("## Topics", contract.TOPIC_IDS),
        ("## What every reply carries", KINDS),
    ],
)
def test_contract_ids_match_the_shared_contract(
    heading: str, ids: Sequence[str]
) -> None:
    assert _contract_table_ids(heading) == list(ids)


def test_domain_intents_are_the_contract_intents() -> None:
    assert _yaml("domain.yml")["intents"] == list(INTENTS)


def _nlu_intents() -> Set[str]:
    intents: Set[str] = set()
    for path in sorted((PROJECT_DIR / "data").rglob("*.yml")):
        for item in (yaml.safe_load(path.read_text()) or {}).get("nlu") or []:
            if "intent" in item:
                intents.add(item["intent"])
    return intents


def test_every_intent_has_training_examples_and_no_other_intent_does() -> None:
    assert _nlu_intents() == set(INTENTS)


def _rule_intents(action: str) -> List[str]:
    for rule in _yaml("data/rules.yml")["rules"]:
        steps = rule["steps"]
        if steps[-1].get("action") == action:
            first = steps[0]
            return (
                [s["intent"] for s in first["or"]]
                if "or" in first
                else [first["intent"]]
            )
    raise AssertionError(f"data/rules.yml has no rule ending in {action}")


@pytest.mark.parametrize(
    ("action", "intents"),
    [
        ("action_answer_question", (*contract.TOPIC_INTENTS, *QUESTION_INTENTS)),
        ("action_chitchat", SMALL_TALK_INTENTS),
        ("action_list_treatments", (contract.Intent.LIST_TREATMENTS,)),
        ("action_safety", (contract.Intent.REPORT_PROBLEM,)),
        ("action_handoff", (contract.Intent.HANDOFF,)),
    ],
)
def test_rules_send_each_intent_to_its_action(
    action: str, intents: Sequence[str]
) -> None:
    assert _rule_intents(action) == list(intents)


def test_every_intent_has_a_rule() -> None:
    ruled = {
        s["intent"]
        for rule in _yaml("data/rules.yml")["rules"]
        for step in rule["steps"][:1]
        for s in step.get("or", [step])
    }
    assert ruled == {*INTENTS, contract.Intent.NLU_FALLBACK}


def test_knowledge_base_lists_the_contract_ids_in_order() -> None:
    kb = _yaml("knowledge/treatments.yml")
    assert list(kb["topics"]) == list(contract.TOPIC_IDS)
    assert list(kb["treatments"]) == list(contract.TREATMENT_IDS)
    for treatment_id, treatment in kb["treatments"].items():
        assert list(treatment["topics"]) == list(contract.TOPIC_IDS), treatment_id


def _action_names() -> Set[str]:
    """``action_name`` values of the classes in actions/actions.py."""
    tree = ast.parse((PROJECT_DIR / "actions" / "actions.py").read_text())
    names: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "action_name" for t in node.targets
        ):
            if isinstance(node.value, ast.Constant) and node.value.value:
                names.add(node.value.value)
    return names


def test_domain_actions_are_the_custom_actions() -> None:
    assert set(_yaml("domain.yml")["actions"]) == _action_names()


def test_the_parse_keys_the_actions_read_are_those_the_components_set() -> None:
    # actions/ may not import components/ (test_architecture): checked here
    from actions import actions
    from components import safety_classifier, second_question

    assert actions.SAFETY_KEY == safety_classifier.SAFETY
    assert actions.OTHER_QUESTION == second_question.OTHER_QUESTION

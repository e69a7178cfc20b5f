"""The cue vocabulary: one data file, one matcher, names from the knowledge base."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from medspa.cues import CUES_PATH, CueError, Cues, default_cues
from medspa.knowledge_base import load_knowledge_base
from medspa.safety import SAFETY_CUES, Severity, assess
from medspa.settings import PROJECT_DIR

KB_PATH = PROJECT_DIR / "knowledge" / "treatments.yml"


@pytest.mark.parametrize(
    ("phrase", "text", "found"),
    [
        ("blister*", "my skin is blistering", True),
        ("blister*", "no problem", False),
        ("burn|burnt", "heartburn", False),
        ("burn|burnt", "it got burnt", True),
        ("hard|difficult [to] breath*", "it is hard to breathe", True),
        ("hard|difficult [to] breath*", "difficult breathing", True),
        ("hot|warm to [the] touch", "hot to touch", True),
        ("<number> days after", "3days after my laser", True),
        ("<number> days after", "a few days after", True),
        ("<number> days after", "days after", False),
        ("post treatment", "post-treatment redness", True),
        ("i'm", "I\u2019m worried", True),
        ("^ [and] what|how about", "and what about titan?", True),
        ("^ [and] what|how about", "so what about titan?", False),
        ("^ and [for|with] <word> [<punct>] $", "and for meso??", True),
        ("^ and [for|with] <word> [<punct>] $", "and for meso, does it hurt", False),
        ("no|not [<word>] $", "I do not ", True),
        ("no|not [<word>] $", "not the ", True),
        ("no|not [<word>] $", "not the big ", False),
        ("/", "thermage/titan", True),
        ("Fraxel burn*", "MY FRAXEL BURNS", True),
        ("<number> days after", "THREE DAYS AFTER", True),
    ],
)
def test_the_notation(phrase: str, text: str, found: bool) -> None:
    assert Cues({"kind": [phrase]}).has("kind", text) is found


def test_lower_cased_matching_gives_ignorecase_verdicts_on_real_questions() -> None:
    # each kind's expression is case-sensitive on a lower-cased text; the same
    # expression case-insensitive on the text as written must agree everywhere
    import re

    cues = default_cues()
    texts = [
        str(item["text"])
        for split in ("dev", "test")
        for item in yaml.safe_load(
            (PROJECT_DIR / "tests" / "realworld" / f"{split}.yml").read_text()
        )
    ]
    texts += [text.upper() for text in texts[:300]]
    assert len(texts) > 3000
    quotes = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
    digit_letter = re.compile(r"(?<=\d)(?=[^\W\d_])")
    hits = 0
    for kind in sorted(cues.kinds):
        folded = re.compile(cues._expressions[kind].pattern, re.IGNORECASE)
        found = [cues.has(kind, text) for text in texts]
        expected = [
            bool(folded.search(digit_letter.sub(" ", text.translate(quotes))))
            for text in texts
        ]
        assert found == expected, kind
        hits += sum(found)
    assert hits > 2000  # the comparison saw many cues, upper-cased ones too


def test_treatment_names_come_from_the_knowledge_base() -> None:
    kb = load_knowledge_base(KB_PATH)
    cues = Cues.from_file(CUES_PATH, kb)
    assert cues.has("hypothetical", "can morpheus8 cause burns?")
    assert not cues.has("hypothetical", "can novabeam cause burns?")
    novabeam = replace(
        kb.treatments["thermage"],
        synonyms=(*kb.treatments["thermage"].synonyms, "novabeam"),
    )
    renamed = replace(kb, treatments={**kb.treatments, "thermage": novabeam})
    with_novabeam = Cues.from_file(CUES_PATH, renamed)
    assert with_novabeam.has("hypothetical", "can novabeam cause burns?")
    text = "I had a session days ago, can novabeam cause burns"
    assert assess(text, with_novabeam) is None
    assert assess(text, cues) is Severity.PROBLEM


def test_every_kind_the_code_asks_for_is_in_the_file() -> None:
    asked = SAFETY_CUES | {
        "comparison",
        "follow_up",
        "negation",
        "prospective",
        "clinic_visit",
    }
    assert asked <= default_cues().kinds


def test_no_cue_list_is_left_in_safety_or_planning() -> None:
    for module in ("safety", "planning"):
        source = (PROJECT_DIR / "medspa" / f"{module}.py").read_text()
        assert "import re\n" not in source, module


def test_a_new_phrase_in_the_file_is_a_cue(tmp_path: Path) -> None:
    raw = yaml.safe_load(CUES_PATH.read_text())
    raw["symptom"].append("purple|grey skin")
    path = tmp_path / "cues.yml"
    path.write_text(yaml.safe_dump(raw))
    cues = Cues.from_file(path, load_knowledge_base(KB_PATH))
    text = "I had meso yesterday and now I have purple skin"
    assert assess(text) is None
    assert assess(text, cues) is Severity.PROBLEM


@pytest.mark.parametrize(
    "content",
    ["symptom: blister", "- a list", "symptom: [blister, '**']", "{"],
    ids=["not-a-list", "not-a-mapping", "empty-word", "not-yaml"],
)
def test_a_broken_file_is_refused_naming_it(tmp_path: Path, content: str) -> None:
    path = tmp_path / "cues.yml"
    path.write_text(content)
    with pytest.raises(CueError, match="cues.yml"):
        Cues.from_file(path, load_knowledge_base(KB_PATH))


def test_an_unknown_kind_is_an_error() -> None:
    with pytest.raises(KeyError):
        default_cues().has("sarcasm", "oh great")

"""The cue vocabulary (``knowledge/cues.yml``) compiled into one matcher.

Safety, planning and name matching ask one question of a text: "does it hold a
cue of this kind?" (a symptom, a comparison word, a negation before a name...).
The phrases live in the data file, in a small word-pattern notation described
at its top; this module compiles each kind's phrases once into one regular
expression and answers that question. Treatment names come from the knowledge
base, so no treatment list is kept here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import AbstractSet, Any, Dict, FrozenSet, Iterable, List, Mapping

import yaml

from medspa.knowledge_base import KnowledgeBase, load_knowledge_base
from medspa.settings import PROJECT_DIR, get_settings

CUES_PATH = PROJECT_DIR / "knowledge" / "cues.yml"

# between two words of a phrase (the words' own boundaries keep them apart)
_JOIN = r"[\s\-]*"
_NUMBERS = "a one two three four five six seven several few".split()
_PLACEHOLDERS = {
    "<word>": r"\w+",
    "<punct>": r"[^\w\s]+",
    "<number>": r"(?:\d+|" + "|".join(rf"\b{n}\b" for n in _NUMBERS) + ")",
}
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\W\d_])")


class CueError(ValueError):
    """The cue file is malformed: names the file, the kind and the phrase."""


def _alternative(word: str, placeholders: Mapping[str, str]) -> str:
    """One alternative of a word slot: a word, a word prefix or a placeholder."""
    if word in placeholders:
        return placeholders[word]
    prefix = word.endswith("*")
    word = word.rstrip("*")
    if not word:
        raise ValueError("empty word")
    pattern = re.escape(word.lower())  # texts are read lower-cased (normalise)
    if word[0].isalnum():
        pattern = r"\b" + pattern
    if prefix:
        return pattern + r"\w*"
    return pattern + (r"\b" if word[-1].isalnum() else "")


def compile_phrase(phrase: str, placeholders: Mapping[str, str]) -> str:
    """The regular expression of one phrase of the cue notation."""
    pattern = ""
    after_word = False  # a joiner is owed before the next word
    for slot in phrase.split():
        if slot == "^":
            pattern += r"^\W*"
            after_word = False
            continue
        if slot == "$":
            pattern += r"\s*$"
            after_word = False
            continue
        optional = slot.startswith("[") and slot.endswith("]")
        words = slot[1:-1] if optional else slot
        choice = "(?:" + "|".join(
            _alternative(w, placeholders) for w in words.split("|")
        )
        choice += ")"
        if not optional:
            pattern += (_JOIN if after_word else "") + choice
            after_word = True
        elif after_word:
            pattern += f"(?:{_JOIN}{choice})?"
        else:
            pattern += f"(?:{choice}{_JOIN})?"
    return pattern


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, a number apart from its unit ("3days").

    The expressions are compiled lower-case and case-sensitive: matching a
    lower-cased text takes about half the time of ``re.IGNORECASE`` (whose
    every character is folded as it is compared), with the same verdicts
    (``tests/unit/test_cues.py`` compares them on the real questions).
    """
    return _DIGIT_LETTER.sub(" ", text.translate(_QUOTES)).lower()


class Cues:
    """Every kind of cue, each compiled once into one expression."""

    def __init__(
        self,
        phrases: Mapping[str, Iterable[str]],
        treatment_words: Iterable[str] = (),
        source: str = "cues",
    ) -> None:
        """Compile the phrases of every kind.

        Args:
            phrases: kind -> phrases in the cue notation.
            treatment_words: words that stand for ``<treatment>``.
            source: where the phrases come from, for error messages.

        Raises:
            CueError: a phrase does not compile.

        """
        words = sorted({w.lower() for w in treatment_words if w}, key=len)
        placeholders = dict(_PLACEHOLDERS)
        placeholders["<treatment>"] = (
            "(?:" + "|".join(rf"\b{re.escape(w)}\b" for w in reversed(words)) + ")"
            if words
            else r"(?!)"
        )
        self._expressions: Dict[str, re.Pattern] = {}
        for kind, items in phrases.items():
            compiled: List[str] = []
            for phrase in items:
                try:
                    compiled.append(compile_phrase(str(phrase), placeholders))
                    re.compile(compiled[-1])
                except (ValueError, re.error) as error:
                    raise CueError(f"{source}: {kind}: {phrase!r}: {error}") from error
            self._expressions[kind] = re.compile(
                "|".join(f"(?:{c})" for c in compiled) or r"(?!)"
            )

    @property
    def kinds(self) -> FrozenSet[str]:
        """The kinds of cue known."""
        return frozenset(self._expressions)

    def has(self, kind: str, text: str) -> bool:
        """Whether ``text`` holds a cue of ``kind``.

        Raises:
            KeyError: the cue file has no such kind.

        """
        return bool(self._expressions[kind].search(normalise(text)))

    def found(self, text: str, kinds: AbstractSet[str]) -> FrozenSet[str]:
        """Which of ``kinds`` the text holds cues of."""
        text = normalise(text)
        return frozenset(k for k in kinds if self._expressions[k].search(text))

    @classmethod
    def from_file(cls, path: Path, kb: KnowledgeBase) -> Cues:
        """Read a cue file; ``<treatment>`` stands for the knowledge base's names.

        Raises:
            CueError: the file is missing, malformed or a phrase does not compile.

        """
        try:
            raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise CueError(f"{path}: {error}") from error
        if not isinstance(raw, dict) or not all(
            isinstance(v, list) and all(isinstance(p, str) for p in v)
            for v in raw.values()
        ):
            raise CueError(f"{path}: expected kinds, each a list of phrases")
        words = [
            synonym.split()[0]
            for treatment in kb.treatments.values()
            for synonym in (treatment.name.lower(), *treatment.synonyms)
            if synonym.split()
        ]
        return cls(raw, words, str(path))


@lru_cache(maxsize=1)
def default_cues() -> Cues:
    """The project's cue file, with the names of the configured knowledge base."""
    return Cues.from_file(
        CUES_PATH, load_knowledge_base(get_settings().knowledge_base_path)
    )

"""Find treatments, concerns and body areas in a visitor's own words.

Built from the knowledge base's synonyms, so a new brand name added there is
recognised without retraining. Matching works on squashed word windows, so
"micro needling", "micro-needling" and "microneedling" are one name, and
tolerates typos in longer names ("thermagee", "mesotheraphy") while never
bending an ordinary English word ("later" is not "laser").
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import AbstractSet, Dict, Iterable, List, Sequence, Tuple

from rapidfuzz.distance import Levenshtein

from medspa.cues import default_cues
from medspa.knowledge_base import KnowledgeBase

# Only the start of a very long message is searched: visitors name the
# treatment early, and the cost of matching must stay bounded.
MAX_CHARS = 2000
MAX_WINDOW = 5
# a generic word that may mean one of several treatments ("laser"), see
# _resolve_generic: one mention per treatment that lists it
GENERIC = "generic_treatment"
# a word, or a "+" read as the word it stands for in names ("Elite+" is "Elite Plus")
_WORD = re.compile(r"[a-z0-9]+|\+")
_SYMBOL_WORDS = {"+": "plus"}


@dataclass(frozen=True)
class Mention:
    """A name found in the text: its entity type, the id it means and where it is."""

    entity: str
    value: str
    start: int
    end: int
    text: str
    exact: bool


def _fold(text: str) -> str:
    """Lower-case and strip accents, keeping one character per character."""
    out = []
    for char in text[:MAX_CHARS].lower():
        base = unicodedata.normalize("NFKD", char)[:1]
        out.append(base if base.isascii() else char)
    return "".join(out)


def tokens(text: str) -> List[Tuple[str, int, int]]:
    """Words of ``text`` (folded) with their character offsets."""
    return [
        (_SYMBOL_WORDS.get(m.group(), m.group()), m.start(), m.end())
        for m in _WORD.finditer(_fold(text))
    ]


def _allowed_typos(length: int) -> int:
    if length < 7:
        return 0
    if length < 11:
        return 1
    if length < 16:
        return 2
    return 3


@dataclass(frozen=True)
class _Name:
    entity: str
    value: str
    squashed: str
    parts: Tuple[str, ...]

    @property
    def words(self) -> int:
        return len(self.parts)


class Matcher:
    """Finds mentions of the knowledge base's vocabulary in free text."""

    def __init__(
        self,
        vocabulary: Iterable[Tuple[str, str, str]],
        common_words: AbstractSet[str] = frozenset(),
    ) -> None:
        """Build a matcher.

        Args:
            vocabulary: (entity type, id, synonym) triples.
            common_words: ordinary words never read as a misspelt name.

        """
        self._exact: Dict[str, _Name] = {}
        self._names: List[_Name] = []
        # every treatment a generic word may mean ("laser": two of them)
        self._generic: Dict[str, List[str]] = {}
        self._common = common_words
        for entity, value, synonym in vocabulary:
            words = [w for w, _, _ in tokens(synonym)]
            if not words:
                continue
            name = _Name(entity, value, "".join(words), tuple(words))
            if entity == GENERIC:
                meanings = self._generic.setdefault(name.squashed, [])
                if value in meanings:
                    continue
                meanings.append(value)
                if len(meanings) > 1:
                    continue  # one name per word: its other meanings are added
            self._exact.setdefault(name.squashed, name)
            self._names.append(name)
        # typo candidates by (first letter, length, words in the window), in
        # vocabulary order: a window is compared only with the names it may be a
        # misspelling of (a one-word name may be split in two: see _shape_fits)
        self._typo_candidates: Dict[Tuple[str, int, int], List[_Name]] = {}
        for name in self._names:
            size, limit = len(name.squashed), _allowed_typos(len(name.squashed))
            shapes = (1, 2) if name.words == 1 else (name.words,)
            for length in range(size - limit, size + limit + 1) if limit else ():
                for window_words in shapes:
                    key = (name.squashed[0], length, window_words)
                    self._typo_candidates.setdefault(key, []).append(name)
        self._max_window = min(
            MAX_WINDOW, max((n.words for n in self._names), default=1) + 1
        )

    def fingerprint(self) -> str:
        """A digest of the names matched, the same whatever the answers say."""
        names = sorted((n.entity, n.value, " ".join(n.parts)) for n in self._names)
        return hashlib.sha256(json.dumps(names).encode()).hexdigest()

    @classmethod
    def from_knowledge_base(
        cls, kb: KnowledgeBase, common_words: AbstractSet[str] = frozenset()
    ) -> Matcher:
        """A matcher for the named things of a knowledge base.

        Entity types: ``treatment``, ``concern``, ``area`` and
        ``other_treatment`` (a treatment the clinic's articles don't cover).
        """
        vocabulary: List[Tuple[str, str, str]] = []
        for treatment in kb.treatments.values():
            vocabulary += [
                ("treatment", treatment.id, s)
                for s in (treatment.name, *treatment.synonyms)
            ]
            vocabulary += [(GENERIC, treatment.id, s) for s in treatment.generic]
        for entity, terms in (
            ("concern", kb.concerns),
            ("area", kb.areas),
            ("other_treatment", kb.not_offered),
        ):
            for term in terms.values():
                vocabulary += [
                    (entity, term.id, s) for s in (term.name, *term.synonyms)
                ]
        return cls(vocabulary, common_words)

    def _fuzzy(self, window: Sequence[str], squashed: str) -> Tuple[_Name, int] | None:
        """The closest name within its typo budget, if the window may be a typo.

        A typo keeps the first letter and the number of words (or splits a
        one-word name in two: "micro needeling"), and an ordinary English
        word is never read as a misspelt name.
        """
        if len(window) == 1 and window[0] in self._common:
            return None
        best: Tuple[_Name, int] | None = None
        key = (squashed[0], len(squashed), len(window))
        for name in self._typo_candidates.get(key, ()):
            limit = _allowed_typos(len(name.squashed))
            if not self._shape_fits(window, name):
                continue
            distance = Levenshtein.distance(squashed, name.squashed, score_cutoff=limit)
            if distance <= limit and (best is None or distance < best[1]):
                best = (name, distance)
        return best

    def _shape_fits(self, window: Sequence[str], name: _Name) -> bool:
        """Whether the window's words may be a misspelling of the name's words.

        A one-word name may be split in two, starting with its own first part
        and not ending in an ordinary word ("micro needeling", but "skin type"
        is no "skintyte"); otherwise the words pair up one to one, and no
        ordinary word is bent into a name's word ("skin tightening safe" is not
        a misspelt "skin tightening laser").
        """
        if name.words == 1 and len(window) == 2:
            first, second = window
            return (
                len(first) < len(name.squashed)
                and name.squashed.startswith(first)
                and second not in self._common  # "skin type" is no "skintyte"
            )
        if len(window) != name.words:
            return False
        if name.words == 1:
            return True
        for word, part in zip(window, name.parts, strict=True):
            if word == part:
                continue
            if word in self._common or word[0] != part[0]:
                return False
            limit = max(1, _allowed_typos(len(part))) if len(part) > 3 else 0
            if Levenshtein.distance(word, part, score_cutoff=limit) > limit:
                return False
        return True

    def _meanings(self, name: _Name) -> List[str]:
        """The ids a name stands for: every treatment a generic word may mean."""
        if name.entity == GENERIC:
            return self._generic.get(name.squashed, [name.value])
        return [name.value]

    def find(self, text: str) -> List[Mention]:
        """Non-overlapping mentions in ``text``: longest first, then exact before fuzzy.

        A longer name wins over one inside it ("radiofrequncy microneedling" is
        RF microneedling, not microneedling).
        """
        words = tokens(text)
        candidates: List[Tuple[int, bool, int, int, Mention, _Name]] = []
        for i in range(len(words)):
            for size in range(1, self._max_window + 1):
                if i + size > len(words):
                    break
                window = [w for w, _, _ in words[i : i + size]]
                squashed = "".join(window)
                name = self._exact.get(squashed)
                distance = 0
                if name is None:
                    found = self._fuzzy(window, squashed)
                    if found is None:
                        continue
                    name, distance = found
                start, end = words[i][1], words[i + size - 1][2]
                mention = Mention(
                    name.entity, name.value, start, end, text[start:end], distance == 0
                )
                candidates.append(
                    (-(end - start), distance > 0, distance, start, mention, name)
                )
        chosen: List[Tuple[Mention, _Name]] = []
        for *_, mention, name in sorted(candidates, key=lambda c: c[:4]):
            if all(mention.end <= m.start or mention.start >= m.end for m, _ in chosen):
                chosen.append((mention, name))
        return _resolve_generic(
            _resolve_devices(
                text,
                [
                    replace(mention, value=value)
                    for mention, name in sorted(chosen, key=lambda c: c[0].start)
                    for value in self._meanings(name)
                ],
            )
        )


def _resolve_devices(text: str, mentions: List[Mention]) -> List[Mention]:
    """A kind of treatment named right after a device not offered describes it.

    "Fotona laser skin tightening" is Fotona, not laser skin tightening: the
    treatment's name is dropped when it is a ``device_kind`` cue and nothing but
    spaces or hyphens stands between it and the device before it.
    """
    cues = default_cues()
    kept: List[Mention] = []
    for mention in mentions:
        device = kept[-1] if kept else None
        if (
            mention.entity in ("treatment", GENERIC)
            and device is not None
            and device.entity == "other_treatment"
            and not text[device.end : mention.start].strip(" -")
            and cues.has("device_kind", mention.text)
        ):
            continue
        kept.append(mention)
    return kept


def _resolve_generic(mentions: List[Mention]) -> List[Mention]:
    """Generic words ("laser") stay generic: they name no treatment by themselves.

    A procedure the clinic doesn't offer named too ("IPL laser", "CO2 ... the
    laser") is what the generic word means: it is then dropped. So is a bare
    brand whose variant not offered is named ("Fraxel CO2 ... the Fraxel").
    Otherwise the planner decides what a generic word means: the treatment the
    conversation is about, else the visitor is asked which one.
    """
    variants = {_words_of(m)[:1] for m in mentions if m.entity == "other_treatment"}
    if variants:
        return [
            m
            for m in mentions
            if m.entity != GENERIC
            and not (m.entity == "treatment" and _words_of(m) in variants)
        ]
    return mentions


def _words_of(mention: Mention) -> Tuple[str, ...]:
    return tuple(w for w, _, _ in tokens(mention.text))


def masked(text: str, mentions: Iterable[Mention], entity: str, word: str) -> str:
    """The text with every mention of an ``entity`` replaced by ``word``.

    "What is Morpheus8 downtime?" reads "What is treatment downtime?": the
    intent classifier learns what is asked, not which treatment it is asked of
    (the names are the entity extractor's business).
    """
    for mention in sorted(mentions, key=lambda m: m.start, reverse=True):
        if mention.entity == entity:
            text = text[: mention.start] + word + text[mention.end :]
    return text


def negated(text: str, start: int) -> bool:
    """Whether the name at ``start`` is ruled out by the words just before it.

    "I don't want Botox", "alternatives to fillers", "without surgery".
    """
    return default_cues().has("negation", text[max(0, start - 40) : start])


def unique_values(mentions: Iterable[Mention], entity: str) -> List[str]:
    """The distinct ids of one entity type, in order of first mention."""
    values: List[str] = []
    for mention in mentions:
        if mention.entity == entity and mention.value not in values:
            values.append(mention.value)
    return values


def english_words() -> frozenset:
    """Ordinary English word forms: spaCy's English lemma lookup table."""
    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lemma_lookup.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as table:
        forms = json.load(table)
    return frozenset(w.lower() for pair in forms.items() for w in pair if w.isalpha())

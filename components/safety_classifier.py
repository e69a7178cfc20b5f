"""A Rasa NLU component that asks one question: does the visitor report a problem?

"Is this a report of something wrong after a treatment (or an emergency)?" is
decided apart from the intent, by a binary logistic regression built for
recall, so that a report told inside a long story ("I had Morpheus8 a month
ago ... now I have dents, is this normal?") is not outvoted by the story's
FAQ words. It is trained at ``rasa train`` time on the ``report_problem``
examples as reports and every other example (and each window of a long one)
as questions, on:

* character and word n-grams (hashed: nothing to store but the weights);
* the sentence embedding (MiniLM, shared with the featurizer);
* the cue vocabulary of ``knowledge/cues.yml`` (symptom, past, first person...).

A long message is read a window of two sentences at a time (and as a whole),
so the story neither dilutes a report nor pushes it past the encoder's length
limit. The message is encoded once, whole (in runs of the encoder's length
limit); a window's embedding is the mean of its word pieces' contextual vectors
in that reading, so a window costs no encoding of its own. Each window is
read after the message's first sentence, a post's title: "I'm afraid after I
get Fraxel my skin will be burned", alone a report, is read as the worry it is
under "Is Fraxel safe for Asian skin?". The message is a report when the whole
reaches ``threshold`` or a window reaches ``window_threshold`` (a window, out
of the rest of the story, needs more).
The message gets a ``safety`` entry, ``{"score": ..., "report": ...}`` (the
score is the highest of the whole and its windows), which the actions read
(``medspa.planning.safety_plan``). The model is stored as plain arrays.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import HashingVectorizer

from components.example_weights import example_weights
from components.hashed_ngrams import CachedHashing
from components.question_focus import FOCUS_READ
from components.sentence_encoder import Encoding, model_encoder
from components.sentence_featurizer import sentence_embedding, whole_encoding
from components.stored_arrays import ArrayModelComponent
from medspa.contract import Intent
from medspa.cues import default_cues
from medspa.safety import SAFETY_CUES
from medspa.sentences import Span, located_windows, sentence_spans

logger = logging.getLogger(__name__)

SAFETY = "safety"
"""The message attribute (and parse-data key) the component sets."""

_CUE_KINDS = sorted(SAFETY_CUES)


def _hashers() -> List[CachedHashing]:
    """Stateless n-gram featurizers: words (1-2) and characters (2-5).

    scikit-learn's ``HashingVectorizer``, each n-gram's column hashed once
    (:class:`CachedHashing`: the same features).
    """
    common = {"alternate_sign": False, "norm": "l2", "lowercase": True}
    return [
        CachedHashing(
            HashingVectorizer(ngram_range=(1, 2), n_features=2**16, **common)
        ),
        CachedHashing(
            HashingVectorizer(
                analyzer="char_wb", ngram_range=(2, 5), n_features=2**17, **common
            )
        ),
    ]


_HASHERS = _hashers()


class Window(NamedTuple):
    """A window of a long message: its text, and where that text is in the message."""

    text: str
    spans: List[Span]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class SafetyClassifier(ArrayModelComponent):
    """Binary report-or-question classifier; sets ``safety`` on every message."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Regularisation, thresholds, weights of the dense and cue blocks."""
        return {
            "report_intent": Intent.REPORT_PROBLEM,
            "C": 10.0,
            "threshold": 0.6,
            "window_threshold": 0.7,
            "dense_weight": 1.0,
            "cue_weight": 0.5,
            "window_sentences": 2,
            "max_windows": 16,
            "max_iter": 5000,
            "random_seed": 2024,
            "real_weight": 1.0,
        }

    ARRAYS = "safety.npz"
    META = "safety.json"

    # -- features -----------------------------------------------------------------

    def _blocks(
        self, texts: Sequence[str], embeddings: Sequence[np.ndarray]
    ) -> List[Any]:
        """The feature blocks of every text (one row each): n-grams, embedding, cues."""
        return [
            *(h.transform(texts) for h in _HASHERS),
            *self._dense_blocks(texts, embeddings),
        ]

    def _dense_blocks(
        self, texts: Sequence[str], embeddings: Sequence[np.ndarray]
    ) -> List[np.ndarray]:
        """The blocks after the n-grams: the embedding, the cues found."""
        cues = default_cues()
        found = [cues.found(t, SAFETY_CUES) for t in texts]  # each text read once
        cue_rows = np.array(
            [[k in kinds for k in _CUE_KINDS] for kinds in found], dtype=np.float64
        )
        return [
            np.vstack(embeddings) * self.config["dense_weight"],
            cue_rows * self.config["cue_weight"],
        ]

    def _features(
        self, texts: Sequence[str], embeddings: Sequence[np.ndarray]
    ) -> scipy.sparse.csr_matrix:
        """One row per text: n-gram blocks, the embedding, the cues found."""
        return scipy.sparse.hstack(
            [scipy.sparse.csr_matrix(b) for b in self._blocks(texts, embeddings)],
            format="csr",
        )

    # -- training -------------------------------------------------------------------

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the regression: report examples against every other example."""
        from sklearn.linear_model import LogisticRegression

        examples = [
            e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)
        ]
        labels = [e.get(INTENT) == self.config["report_intent"] for e in examples]
        if not any(labels) or all(labels):
            logger.debug("No reports and questions: %s untrained.", type(self).__name__)
            return self._resource
        texts = [e.get(TEXT) for e in examples]
        embeddings = [self._embedding(e) for e in examples]
        # a long message is scored by its windows too (``verdict``), so the windows
        # of a question are taught as questions: a story of past treatments
        # around a question does not read as a report. (A report's windows are
        # not all reports: its story is left out.)
        weights = list(example_weights(examples, self.config["real_weight"]))
        questions = [
            (t, w)
            for t, w, report in zip(texts, weights, labels, strict=True)
            if not report
        ]
        for text, weight in questions:
            parts = self._windows(text)
            texts += [p.text for p in parts]
            embeddings += self._embeddings_of(text, parts)[1:]
            labels += [False] * len(parts)
            weights += [weight] * len(parts)
        regression = LogisticRegression(
            C=self.config["C"],
            class_weight="balanced",
            max_iter=self.config["max_iter"],
            random_state=self.config["random_seed"],
        ).fit(self._features(texts, embeddings), labels, sample_weight=weights)
        self.model = {
            "coef": regression.coef_[0].astype(np.float64),
            "intercept": regression.intercept_.astype(np.float64),
        }
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Store the weights (npz) and the feature layout (JSON)."""
        if self.model is not None:
            self.store(self.model, {"cue_kinds": _CUE_KINDS})

    @classmethod
    def model_from(
        cls, arrays: Dict[str, np.ndarray], meta: Dict[str, Any]
    ) -> Dict[str, Any]:
        """The stored weights, if trained on today's cue kinds.

        Raises:
            ValueError: the model was trained with other kinds of cue.

        """
        if meta.get("cue_kinds") != _CUE_KINDS:
            raise ValueError(
                f"{cls.__name__}: the model was trained on other cue kinds "
                f"({meta.get('cue_kinds')}); retrain it (make train)"
            )
        return dict(arrays)

    # -- prediction ---------------------------------------------------------------

    @staticmethod
    def _embed(text: str) -> np.ndarray:
        return model_encoder().encode(text).sentence.astype(np.float64)

    @staticmethod
    def _encode_all(text: str) -> Encoding:
        return model_encoder().encode_all(text)

    def _embedding(self, message: Message) -> np.ndarray:
        """The sentence embedding of the message's whole text.

        The featurizer's, when it read the whole text; a long post's
        featurizer read only its focus (``QuestionFocus``), so its whole text
        is encoded here: a report told in the story is in the whole.
        """
        if message.get(FOCUS_READ):
            return self._embed(message.get(TEXT) or "")
        return sentence_embedding(message)

    def _embeddings(self, message: Message, parts: List[Window]) -> List[np.ndarray]:
        """The whole text's embedding, then its windows'."""
        if not parts:
            return [self._embedding(message)]
        return self._embeddings_of(
            message.get(TEXT) or "", parts, whole_encoding(message)
        )

    def _embeddings_of(
        self, text: str, parts: List[Window], encoding: Optional[Encoding] = None
    ) -> List[np.ndarray]:
        """The text's embedding, then each window's, from one reading of the text.

        A window's embedding is the mean of the contextual vectors of its word
        pieces in the whole text's encoding (:meth:`SentenceEncoder.span_vectors`):
        a long post is read once, not once more per window; ``encoding``, the
        featurizer's reading of the whole text where it read all of it, is not
        read again.
        """
        encoding = encoding or self._encode_all(text)
        pooled = model_encoder().span_vectors(encoding, [p.spans for p in parts])
        return [
            encoding.sentence.astype(np.float64),
            *pooled.astype(np.float64),
        ]

    def scores(self, texts: Sequence[str], embeddings: Sequence[np.ndarray]) -> Any:
        """The probability that each text reports a problem."""
        assert self.model is not None
        # block by block: the same product as ``_features(...) @ coef`` without
        # stacking the blocks into one matrix first (nor making the n-grams' one)
        coef, logits, offset = self.model["coef"], np.zeros(len(texts)), 0
        for hasher in _HASHERS:
            width = hasher.vectorizer.n_features
            logits += hasher.dot(texts, coef[offset : offset + width])
            offset += width
        for block in self._dense_blocks(texts, embeddings):
            logits += block @ coef[offset : offset + block.shape[1]]
            offset += block.shape[1]
        return 1.0 / (1.0 + np.exp(-(logits + self.model["intercept"][0])))

    def score(self, message: Message) -> float:
        """The message's report score: the highest of the whole and its windows."""
        return self.verdict(message)[0]

    def verdict(self, message: Message) -> Tuple[float, bool]:
        """The message's score, and whether it reads as a report.

        A report when the whole text reaches ``threshold`` or one of its
        windows reaches ``window_threshold``.
        """
        text = message.get(TEXT) or ""
        parts = self._windows(text)
        found = self.scores(
            [text, *(p.text for p in parts)], self._embeddings(message, parts)
        )
        whole, window = float(found[0]), float(np.max(found[1:], initial=0.0))
        report = (
            whole >= self.config["threshold"]
            or window >= self.config["window_threshold"]
        )
        return max(whole, window), report

    def _windows(self, text: str) -> List[Window]:
        """A long message's windows, each after its first sentence; none if short.

        A window is read after the message's first sentence (a post's title:
        "Will Fraxel make me darker?", "Sculptra lumps?") unless it starts
        with it: a sentence that reads like a report alone ("my skin will be
        red and burned") is read in the post's context.
        """
        size, limit = self.config["window_sentences"], self.config["max_windows"]
        found = sentence_spans(text)
        parts = located_windows(text, size, limit, found)
        if len(parts) <= 1:
            return []
        title = found[0]
        first = text[title[0] : title[1]]
        return [
            Window(part, [span])
            if part.startswith(first)
            else Window(f"{first} {part}", [title, span])
            for part, span in parts
        ]

    def process(self, messages: List[Message]) -> List[Message]:
        """Set ``safety`` (score, report) on every message with text."""
        if self.model is None:
            return messages
        for message in messages:
            text = message.get(TEXT) or ""
            if not text.strip() or text.startswith("/"):
                continue  # nothing to read, or a button's payload
            score, report = self.verdict(message)
            message.set(SAFETY, {"score": score, "report": report}, add_to_output=True)
        return messages

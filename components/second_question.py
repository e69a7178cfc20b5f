"""Read the second question of a long post, so the assistant can offer to answer it.

A real post often asks one thing in its title and another in its body: "Is
Fraxel painful? I had it once years ago ... How long is the downtime?". The
intent classifier reads the title (:class:`components.question_focus.QuestionFocus`)
and the assistant answers it; this component reads the body's question
(:func:`medspa.sentences.other_question`) for its topic, so the reply can offer
the other answer with a button. It is a multinomial logistic regression on the
sentence embedding (MiniLM, shared with the featurizer), trained at
``rasa train`` time on the topic questions' examples. Only a long post with a
title question and a body question costs an encoding more.

The message gets ``other_question``: ``{"intent", "confidence", "text"}``,
which the actions read (``medspa.planning.offer_plan``), when the regression is
at least ``threshold`` sure.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.kb_entity_extractor import knowledge_base_matcher
from components.question_focus import TREATMENT_WORD
from components.sentence_encoder import model_encoder
from components.sentence_featurizer import sentence_embedding
from components.stored_arrays import ArrayModelComponent
from medspa.contract import TOPIC_INTENTS
from medspa.sentences import FOCUS_MIN_CHARS, other_question
from medspa.text_matching import masked

logger = logging.getLogger(__name__)

OTHER_QUESTION = "other_question"
"""The message attribute (and parse-data key) the component sets."""


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class SecondQuestion(ArrayModelComponent):
    """The topic of a long post's body question; sets ``other_question``."""

    ARRAYS = "second_question.npz"
    META = "second_question.json"

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Regularisation, the confidence needed, the shortest long post."""
        return {
            "C": 10.0,
            "threshold": 0.5,
            "min_chars": FOCUS_MIN_CHARS,
            "max_iter": 2000,
            "random_seed": 2024,
        }

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the regression on the embeddings of the topic questions' examples."""
        from sklearn.linear_model import LogisticRegression

        examples = [
            e
            for e in training_data.intent_examples
            if e.get(INTENT) in TOPIC_INTENTS and e.get(TEXT)
        ]
        if len({e.get(INTENT) for e in examples}) < 2:
            logger.debug("Fewer than two topics: %s untrained.", type(self).__name__)
            return self._resource
        embeddings = np.vstack([self._embedding(e) for e in examples])
        labels = [e.get(INTENT) for e in examples]
        # the embeddings are of the texts as the featurizers read them: names
        # masked or not (QuestionFocus), as a post's other question must be
        word = next(
            (str(e.get(TREATMENT_WORD)) for e in examples if e.get(TREATMENT_WORD)), ""
        )
        regression = LogisticRegression(
            C=self.config["C"],
            max_iter=self.config["max_iter"],
            random_state=self.config["random_seed"],
        ).fit(embeddings, labels)
        self.model = {
            "coef": regression.coef_.astype(np.float64),
            "intercept": regression.intercept_.astype(np.float64),
            "intents": [str(c) for c in regression.classes_],
            "treatment_word": word,
        }
        self.store(
            {"coef": self.model["coef"], "intercept": self.model["intercept"]},
            {"intents": self.model["intents"], "treatment_word": word},
        )
        return self._resource

    @staticmethod
    def _embedding(message: Message) -> np.ndarray:
        return sentence_embedding(message)

    def classify(self, text: str) -> Optional[Dict[str, Any]]:
        """The topic intent of ``text`` with its confidence, if sure enough."""
        assert self.model is not None
        word = self.model.get("treatment_word") or ""
        read = text
        if word:  # read as the training examples were (QuestionFocus)
            read = masked(text, knowledge_base_matcher().find(text), "treatment", word)
        embedding = model_encoder().encode(read).sentence
        logits = (
            self.model["coef"] @ embedding.astype(np.float64) + self.model["intercept"]
        )
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        best = int(np.argmax(probabilities))
        if probabilities[best] < self.config["threshold"]:
            return None
        return {
            "intent": self.model["intents"][best],
            "confidence": float(probabilities[best]),
            "text": text,
        }

    def process(self, messages: List[Message]) -> List[Message]:
        """Set ``other_question`` on a long post whose body asks a question."""
        if self.model is None:
            return messages
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue
            asked = other_question(text, self.config["min_chars"])
            found = self.classify(asked) if asked else None
            if found is not None:
                message.set(OTHER_QUESTION, found, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to the training data."""
        return training_data

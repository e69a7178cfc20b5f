"""Fine-tuning the sentence encoder (components/encoder_tuning.py).

The batch forward pass is checked against the numpy reference; tuning runs on
the real weights cut to their first layer (the same code, a sixth of the
time), on questions of two intents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components import sentence_featurizer
from components.encoder_tuning import (
    TuningConfig,
    batches,
    embed_batch,
    padded,
    tune,
)
from components.safety_classifier import SafetyClassifier
from components.sentence_encoder import (
    SentenceEncoder,
    model_encoder,
    shared_encoder,
    use_model_encoder,
)
from components.sentence_featurizer import TUNED, SentenceEmbeddingFeaturizer

LASTS = [
    "how long does it last",
    "is it permanent",
    "how long do the results last",
    "will the effect wear off",
    "how many years does it last",
    "does it last forever",
]
TAKES = [
    "how long does it take",
    "how long is the appointment",
    "how many minutes is a session",
    "how long will i be at the clinic",
    "how much time does the procedure take",
    "how long is one treatment",
]


@pytest.fixture(scope="module")
def reference() -> SentenceEncoder:
    return SentenceEncoder.load(runtime="numpy")


def ids(encoder: SentenceEncoder, text: str) -> List[int]:
    tokenizer = encoder.tokenizer
    return [
        tokenizer.cls_id,
        *(p.id for p in tokenizer.tokenize(text)),
        tokenizer.sep_id,
    ]


def one_layer(weights: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    return {
        k: v
        for k, v in weights.items()
        if not k.startswith("encoder.layer.") or k.startswith("encoder.layer.0.")
        if not k.startswith("pooler.")
    }


def embeddings(
    weights: Dict[str, np.ndarray], encoder: SentenceEncoder, texts: List[str]
) -> np.ndarray:
    batch, mask = padded([ids(encoder, t) for t in texts])
    return np.asarray(embed_batch(weights, batch, mask, layers=1, heads=encoder.heads))


def separation(vectors: np.ndarray, split: int) -> float:
    """Mean cosine within the two groups less the mean cosine across them."""
    sims = vectors @ vectors.T
    a, b = slice(0, split), slice(split, None)
    within = [
        sims[a, a][np.triu_indices(split, 1)],
        sims[b, b][np.triu_indices(len(vectors) - split, 1)],
    ]
    return float(np.concatenate(within).mean() - sims[a, b].mean())


def tuned_one_layer(reference: SentenceEncoder, seed: int = 7) -> Dict[str, np.ndarray]:
    texts = LASTS + TAKES
    return tune(
        one_layer(reference.w),
        [ids(reference, t) for t in texts],
        [0] * len(LASTS) + [1] * len(TAKES),
        [1.0] * len(texts),
        layers=1,
        heads=reference.heads,
        config=TuningConfig(
            epochs=10, batch_size=4, warmup_steps=2, learning_rate=3e-4, seed=seed
        ),
    )


def test_the_batch_forward_pass_is_the_reference(reference: SentenceEncoder) -> None:
    """Padding changes nothing: each row equals the numpy encoder's embedding."""
    texts = ["is it ouchy?", "how long does the redness last after microneedling?"]
    batch, mask = padded([ids(reference, t) for t in texts])
    assert batch.shape[1] % 8 == 0 and mask.sum() < batch.size  # padded
    weights = {k: v for k, v in reference.w.items() if not k.startswith("pooler.")}
    got = np.asarray(
        embed_batch(weights, batch, mask, reference.layers, reference.heads)
    )
    for row, text in zip(got, texts, strict=True):
        np.testing.assert_allclose(row, reference.encode(text).sentence, atol=2e-5)


def test_tuning_brings_each_intents_questions_together(
    reference: SentenceEncoder,
) -> None:
    """After tuning, the two intents' questions are further apart than before."""
    texts = LASTS + TAKES
    before = separation(
        embeddings(one_layer(reference.w), reference, texts), len(LASTS)
    )
    tuned = tuned_one_layer(reference)
    after = separation(embeddings(tuned, reference, texts), len(LASTS))
    assert after > before + 0.05
    assert set(tuned) == set(one_layer(reference.w))
    assert all(v.dtype == np.float32 for v in tuned.values())


def test_tuning_is_the_same_for_the_same_seed(reference: SentenceEncoder) -> None:
    first, again = tuned_one_layer(reference), tuned_one_layer(reference)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    other = tuned_one_layer(reference, seed=8)
    assert any(not np.array_equal(first[k], other[k]) for k in first)


def test_tuning_needs_two_intents(reference: SentenceEncoder) -> None:
    with pytest.raises(ValueError, match="two classes"):
        tune(one_layer(reference.w), [[1, 2]], [0], [1.0], 1, 12, TuningConfig())


def test_batches_cover_every_example_once() -> None:
    lengths = list(np.random.default_rng(0).integers(3, 60, size=301))
    drawn = batches(lengths, 32, np.random.default_rng(1))
    assert sorted(np.concatenate(drawn).tolist()) == list(range(301))
    assert all(len(b) <= 32 for b in drawn)


def test_padded_marks_the_pieces() -> None:
    batch, mask = padded([[101, 7, 102], [101, 102]], multiple=4)
    assert batch.tolist() == [[101, 7, 102, 0], [101, 102, 0, 0]]
    assert mask.tolist() == [[1, 1, 1, 0], [1, 1, 0, 0]]


# -- the featurizer keeps its tuned encoder in the model ------------------------------


def featurizer_in(
    storage: LocalModelStorage, config: Dict[str, object]
) -> Tuple[SentenceEmbeddingFeaturizer, Resource]:
    resource = Resource("encoder")
    config = {**SentenceEmbeddingFeaturizer.get_default_config(), **config}
    return (
        SentenceEmbeddingFeaturizer.create(
            config, storage, resource, ExecutionContext(GraphSchema({}), "encoder")
        ),
        resource,
    )


def load(storage: LocalModelStorage, resource: Resource) -> SentenceEmbeddingFeaturizer:
    return SentenceEmbeddingFeaturizer.load(
        SentenceEmbeddingFeaturizer.get_default_config(),
        storage,
        resource,
        ExecutionContext(GraphSchema({}), "encoder"),
    )


def training_data() -> TrainingData:
    return TrainingData(
        [Message(data={TEXT: t, INTENT: "ask_results_duration"}) for t in LASTS]
        + [Message(data={TEXT: t, INTENT: "ask_procedure_time"}) for t in TAKES]
    )


def test_an_untuned_featurizer_reads_with_the_installed_encoder(
    tmp_path: Path,
) -> None:
    storage = LocalModelStorage(tmp_path)
    featurizer, resource = featurizer_in(storage, {"tune_epochs": 0})
    featurizer.train(training_data())
    loaded = load(storage, resource)
    assert loaded.encoder is shared_encoder() is model_encoder()


def test_the_tuned_encoder_is_trained_kept_and_read_by_every_component(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: SentenceEncoder
) -> None:
    """Training tunes on the examples' intents; loading gives the tuned encoder.

    The tuning itself is replaced here by a recorded change of one tensor (the
    tests above tune for real); what is checked is what the featurizer hands
    it and what it does with the result.
    """
    seen: Dict[str, object] = {}

    def fake_tune(weights, sequences, labels, example_weights, layers, heads, config):  # type: ignore[no-untyped-def]
        seen.update(
            labels=list(labels), epochs=config.epochs, layers=layers, n=len(sequences)
        )
        changed = dict(weights)
        name = "encoder.layer.5.intermediate.dense.weight"
        changed[name] = changed[name] * 1.5
        return changed

    monkeypatch.setattr("components.encoder_tuning.tune", fake_tune)
    storage = LocalModelStorage(tmp_path)
    try:
        featurizer, resource = featurizer_in(storage, {"tune_epochs": 2})
        featurizer.train(training_data())
        assert seen == {"labels": [1] * 6 + [0] * 6, "epochs": 2, "layers": 6, "n": 12}
        use_model_encoder(None)
        loaded = load(storage, resource)
        assert model_encoder() is loaded.encoder is not shared_encoder()
        assert loaded.encoder.digest != shared_encoder().digest
        text = "how long does it last"
        assert not np.allclose(
            loaded.encoder.encode(text).sentence, shared_encoder().encode(text).sentence
        )
        # the safety classifier reads the long posts' text with the same encoder
        np.testing.assert_allclose(
            SafetyClassifier._embed(text), loaded.encoder.encode(text).sentence
        )
        with storage.read_from(resource) as folder:
            assert (folder / TUNED).exists()
    finally:
        use_model_encoder(None)
    assert sentence_featurizer.model_encoder() is shared_encoder()

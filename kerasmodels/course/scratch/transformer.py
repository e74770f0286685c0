"""The Transformer block in NumPy, and a tiny GPT-style character language model in Keras.

One encoder layer (Vaswani et al., "Attention Is All You Need", post-norm as in the paper and
in `keras_hub.layers.TransformerEncoder`'s default) is

    x = LayerNorm(x + MultiHeadAttention(x, x))
    x = LayerNorm(x + Dense(ReLU(Dense(x))))

`encoder_layer` computes it from a dictionary of NumPy weights; `copy_into` puts the same
weights into a Keras layer so that a lesson can check the two number for number. The second
half builds, trains on and samples from a decoder-only (causal) language model over
characters: the smallest "generative pre-training" there is.

Example:

```python
import numpy as np
from kerasmodels.course.scratch import transformer
pe = transformer.positional_encoding(length=50, depth=16)
pe.shape                               # (50, 16)
```
"""

import numpy as np

from kerasmodels.course.scratch import attention


def positional_encoding(length, depth, max_wavelength=10000):
    """Sinusoidal position encoding (位置编码), interleaved as in `keras_hub.layers.SinePositionEncoding`.

    PE[p, 2i] = sin(p / max_wavelength^(2i/depth)), PE[p, 2i+1] = cos(p / max_wavelength^(2i/depth)).

    Returns:
        array (length, depth).
    """
    positions = np.arange(length)[:, None]
    timescales = max_wavelength ** (-(2 * (np.arange(depth) // 2)) / depth)
    angles = positions * timescales[None, :]
    return np.where(np.arange(depth) % 2 == 0, np.sin(angles), np.cos(angles))


def layer_norm(x, gamma, beta, epsilon=1e-5):
    """Layer normalisation (层归一化): normalise each position's vector over its features, then scale and shift."""
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


def init_encoder_weights(rng, d_model, num_heads, intermediate_dim):
    """Random weights for one encoder layer, named as in `keras_hub.layers.TransformerEncoder`."""
    head_dim = d_model // num_heads

    def normal(*shape):
        return rng.normal(scale=1 / np.sqrt(shape[0]), size=shape)

    weights = {}
    for name in ("query", "key", "value"):
        weights[f"self_attention_layer/{name}/kernel"] = normal(d_model, num_heads, head_dim)
        weights[f"self_attention_layer/{name}/bias"] = rng.normal(scale=0.1, size=(num_heads, head_dim))
    weights["self_attention_layer/attention_output/kernel"] = normal(num_heads, head_dim, d_model) / np.sqrt(head_dim)
    weights["self_attention_layer/attention_output/bias"] = rng.normal(scale=0.1, size=d_model)
    for norm in ("self_attention_layer_norm", "feedforward_layer_norm"):
        weights[f"{norm}/gamma"] = 1 + rng.normal(scale=0.1, size=d_model)
        weights[f"{norm}/beta"] = rng.normal(scale=0.1, size=d_model)
    weights["feedforward_intermediate_dense/kernel"] = normal(d_model, intermediate_dim)
    weights["feedforward_intermediate_dense/bias"] = rng.normal(scale=0.1, size=intermediate_dim)
    weights["feedforward_output_dense/kernel"] = normal(intermediate_dim, d_model)
    weights["feedforward_output_dense/bias"] = rng.normal(scale=0.1, size=d_model)
    return weights


def copy_into(layer, weights):
    """Assign NumPy `weights` (named as `init_encoder_weights` names them) to a built Keras layer."""
    for variable in layer.weights:
        name = variable.path.split("/", 1)[1]  # drop the layer's own name
        if name not in weights:
            raise KeyError(f"no weight named {name!r}; have {sorted(weights)}")
        variable.assign(np.asarray(weights[name], dtype=variable.dtype))


def multi_head_self_attention(x, weights, prefix="self_attention_layer", mask=None):
    """Multi-head self-attention of x (batch, T, d_model) with NumPy weights; returns (output, weights)."""

    def project(name):
        out = np.einsum("btd,dhk->bhtk", x, weights[f"{prefix}/{name}/kernel"])
        return out + weights[f"{prefix}/{name}/bias"][None, :, None, :]

    heads, scores = attention.scaled_dot_product_attention(project("query"), project("key"), project("value"),
                                                           mask=mask)
    output = np.einsum("bhtk,hkd->btd", heads, weights[f"{prefix}/attention_output/kernel"])
    return output + weights[f"{prefix}/attention_output/bias"], scores


def feed_forward(x, weights):
    """The position-wise feed-forward network (前馈网络): Dense(ReLU(Dense(x))), the same at every position."""
    hidden = np.maximum(0.0, x @ weights["feedforward_intermediate_dense/kernel"]
                        + weights["feedforward_intermediate_dense/bias"])
    return hidden @ weights["feedforward_output_dense/kernel"] + weights["feedforward_output_dense/bias"]


def encoder_layer(x, weights, epsilon=1e-5, mask=None):
    """One post-norm Transformer encoder layer in NumPy: attention and feed-forward, each with a residual and a norm."""
    x = np.asarray(x, dtype=np.float64)
    attended, _ = multi_head_self_attention(x, weights, mask=mask)
    x = layer_norm(x + attended, weights["self_attention_layer_norm/gamma"],
                   weights["self_attention_layer_norm/beta"], epsilon)  # residual connection (残差连接), then norm
    return layer_norm(x + feed_forward(x, weights), weights["feedforward_layer_norm/gamma"],
                      weights["feedforward_layer_norm/beta"], epsilon)


# ---------------------------------------------------------------------------------------------
# A character-level decoder-only language model.


class CharVocabulary:
    """Characters <-> ids; id 0 stands for any character not seen when the vocabulary was built."""

    def __init__(self, texts):
        self.characters = ["\N{REPLACEMENT CHARACTER}"] + sorted(set("".join(texts)))
        self.index = {c: i for i, c in enumerate(self.characters)}

    def __len__(self):
        return len(self.characters)

    def encode(self, text):
        return np.array([self.index.get(c, 0) for c in text], dtype="int32")

    def decode(self, ids):
        return "".join(self.characters[int(i)] for i in ids)


def windows(ids, length, stride):
    """(inputs, targets) pairs of `length` ids cut from one long id array; targets are inputs shifted by one."""
    starts = np.arange(0, len(ids) - length - 1, stride)
    inputs = np.stack([ids[s:s + length] for s in starts])
    targets = np.stack([ids[s + 1:s + length + 1] for s in starts])
    return inputs, targets


def decoder_language_model(vocabulary_size, length, d_model=64, num_heads=4, intermediate_dim=128, num_layers=2):
    """A GPT-style model: token embedding + learned positions, causal decoder layers, next-token logits."""
    import keras
    import keras_hub

    token_ids = keras.Input((None,), dtype="int32", name="token_ids")
    x = keras_hub.layers.TokenAndPositionEmbedding(vocabulary_size, length, d_model, name="embedding")(token_ids)
    for i in range(num_layers):
        # Without an encoder sequence, TransformerDecoder is GPT's block: causal self-attention + feed-forward.
        x = keras_hub.layers.TransformerDecoder(intermediate_dim, num_heads, normalize_first=True,
                                                name=f"decoder_{i}")(x)
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
    logits = keras.layers.Dense(vocabulary_size, name="next_token_logits")(x)
    return keras.Model(token_ids, logits, name="char_gpt")


def _log_softmax(logits):
    logits = np.asarray(logits, dtype=np.float64)
    logits = logits - logits.max(axis=-1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))


def next_token_log_probs(model, ids):
    """log P(next token | ids[:, :t+1]) for every t: array (batch, T, vocabulary)."""
    return _log_softmax(model.predict_on_batch(np.asarray(ids, dtype="int32")))


def sample(model, prompt_ids, steps, temperature, rng, length):
    """Continue each row of `prompt_ids` (batch, T0) by `steps` tokens drawn from softmax(logits / temperature).

    `temperature` may be a number or one per row. The model always sees a window of `length`
    tokens (one compiled shape); positions after the text are filler that the causal mask hides.
    """
    ids = np.array(prompt_ids, dtype="int32")
    temperature = np.broadcast_to(np.asarray(temperature, dtype=np.float64), (len(ids),))[:, None]
    for _ in range(steps):
        window = ids[:, -length:]
        filled = window.shape[1]
        padded = np.pad(window, ((0, 0), (0, length - filled)))
        scaled = next_token_log_probs(model, padded)[:, filled - 1] / temperature
        probs = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
        probs /= probs.sum(axis=-1, keepdims=True)
        draws = (probs.cumsum(axis=-1) < rng.random((len(ids), 1))).sum(axis=-1)
        ids = np.concatenate([ids, np.minimum(draws, probs.shape[-1] - 1)[:, None].astype("int32")], axis=1)
    return ids


def continuation_log_probs(model, context_ids, continuations, length):
    """log P(continuation | context) for each continuation: the sum of its next-token log-probabilities.

    The context is cut to the last tokens that fit in the model's `length` positions.
    """
    rows, spans = [], []
    for continuation in continuations:
        keep = length - len(continuation)
        ids = np.concatenate([np.asarray(context_ids)[-keep:], continuation]).astype("int32")
        spans.append((len(ids) - len(continuation), continuation))
        rows.append(np.pad(ids, (0, length - len(ids))))
    log_probs = next_token_log_probs(model, np.stack(rows))
    return np.array([sum(log_probs[r, start - 1 + j, token] for j, token in enumerate(continuation))
                     for r, (start, continuation) in enumerate(spans)])

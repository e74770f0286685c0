"""Scaled dot-product attention and multi-head attention written in NumPy.

The Transformer's attention (Vaswani et al., "Attention Is All You Need") is

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V

Each query row scores every key, the scores become weights that sum to 1, and the
output is the weighted average of the value rows. `multi_head_attention` runs
several such heads on learned projections and reads its weights from a
`keras.layers.MultiHeadAttention`, so a lesson can check the hand-written version
against Keras number for number.

Example:

```python
import numpy as np
from kerasmodels.course.scratch.attention import scaled_dot_product_attention
q = k = v = np.eye(3)
output, weights = scaled_dot_product_attention(q, k, v)
weights.sum(axis=-1)   # array([1., 1., 1.])
```
"""

import numpy as np


def softmax(x, axis=-1):
    """Softmax along `axis`, shifted by the maximum so that large scores do not overflow."""
    x = np.asarray(x, dtype=np.float64)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def scaled_dot_product_attention(query, key, value, mask=None):
    """softmax(Q K^T / sqrt(d_k)) V for arrays with any leading batch axes.

    Args:
        query: array (..., T_q, d_k).
        key: array (..., T_k, d_k).
        value: array (..., T_k, d_v).
        mask: optional boolean array broadcastable to (..., T_q, T_k); False hides a key
            from a query (padding, or the future in a decoder).

    Returns:
        (output (..., T_q, d_v), weights (..., T_q, T_k)); every row of weights sums to 1.
    """
    query, key, value = (np.asarray(a, dtype=np.float64) for a in (query, key, value))
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"query and key must have the same last axis d_k; got query {query.shape} "
                         f"and key {key.shape}. Fix: project both to the same size first.")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"key and value must have one row per position; got key {key.shape} and "
                         f"value {value.shape}.")
    d_k = query.shape[-1]
    scores = query @ np.swapaxes(key, -1, -2) / np.sqrt(d_k)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any(axis=-1).all():
            raise ValueError("mask hides every key from some query; each query needs at least one visible key.")
        scores = np.where(mask, scores, -np.inf)
    weights = softmax(scores, axis=-1)
    return weights @ value, weights


def causal_mask(length):
    """Lower-triangular boolean mask (length, length): position i may attend to positions <= i."""
    return np.tril(np.ones((length, length), dtype=bool))


def multi_head_attention(query, value, layer, key=None):
    """The forward pass of a built `keras.layers.MultiHeadAttention`, recomputed in NumPy.

    Args:
        query: array (batch, T_q, d_model).
        value: array (batch, T_k, d_model).
        layer: a built keras MultiHeadAttention (use_bias either way) whose weights are used.
        key: optional array (batch, T_k, d_model); defaults to `value`, as in Keras.

    Returns:
        (output (batch, T_q, d_out), weights (batch, heads, T_q, T_k)).
    """
    key = value if key is None else key
    params = {w.path.split("/")[-2] + "/" + w.name: np.asarray(w.numpy(), dtype=np.float64)
              for w in layer.weights}

    def project(x, name):
        kernel = params[f"{name}/kernel"]  # (d_model, heads, head_dim)
        out = np.einsum("btd,dhk->bhtk", np.asarray(x, dtype=np.float64), kernel)
        bias = params.get(f"{name}/bias")
        return out if bias is None else out + bias[None, :, None, :]

    q, k, v = project(query, "query"), project(key, "key"), project(value, "value")
    heads, weights = scaled_dot_product_attention(q, k, v)  # (batch, heads, T_q, head_dim)
    output = np.einsum("bhtk,hkd->btd", heads, params["attention_output/kernel"])
    if "attention_output/bias" in params:
        output = output + params["attention_output/bias"]
    return output, weights

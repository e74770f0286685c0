"""Why did the model say that? Saliency, integrated gradients, occlusion and word attributions.

All methods explain one output (a class's logit or probability) of a Keras model for
one input, and return an attribution map with the input's shape (or per word):

- `saliency`: |∂ logit_c / ∂ x|, how sensitive the class score is to each pixel
  (Simonyan et al. 2013). Cheap, noisy, and only local.
- `integrated_gradients`: (x − x₀) ⊙ ∫₀¹ ∂f(x₀ + α(x − x₀))/∂x dα, a Riemann sum over
  `steps` points on the straight path from a baseline x₀ (Sundararajan et al. 2017).
  Satisfies *completeness*: the attributions add up to f(x) − f(x₀).
- `occlusion`: slide a grey patch over the image and record how much the class
  probability drops (Zeiler & Fergus 2014). Model-agnostic: needs only predictions.
- `word_occlusion`: the same idea for text: drop one word at a time and record how the
  positive probability changes (occlusion applied to words; LIME instead fits a
  weighted linear model to many random word subsets).
- `kernel_shap`: Shapley values (SHAP) of any function of M features by KernelSHAP
  (Lundberg & Lee 2017): a weighted least squares over coalitions of features, exact
  when all 2^M coalitions are enumerated. Model-agnostic: needs only predictions.

Gradients are taken on the active Keras backend (TensorFlow, JAX or PyTorch).

Example:

```python
from kerasmodels.course.topics import explain
maps = explain.integrated_gradients(model, x[:4], steps=32)  # model: logits; x: images
maps.shape == x[:4].shape   # True
```
"""

import math

import numpy as np


def input_gradients(model, x, class_index):
    """∂ logit[class_index[i]] / ∂ x[i] for a batch, as a NumPy array with x's shape.

    Args:
        model: a Keras model returning logits (N, classes).
        x: batch (N, ...) of float inputs.
        class_index: (N,) ints, the class explained for each input.
    """
    import keras

    x = np.asarray(x, dtype="float32")
    mask = np.eye(int(model.outputs[0].shape[-1]), dtype="float32")[np.asarray(class_index)]
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        inputs = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            score = tf.reduce_sum(model(inputs, training=False) * mask)
        return tape.gradient(score, inputs).numpy()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(lambda v: (model(v, training=False) * mask).sum())(x))
    if backend == "torch":
        import torch

        inputs = torch.tensor(x, requires_grad=True)
        (model(inputs, training=False) * torch.as_tensor(mask)).sum().backward()
        return inputs.grad.detach().cpu().numpy()
    raise ValueError(f"backend {backend!r}: input_gradients supports tensorflow, jax and torch")


def logits(model, x):
    return np.asarray(model.predict_on_batch(np.asarray(x, dtype="float32")))


def _classes(model, x, class_index):
    if class_index is None:
        return logits(model, x).argmax(axis=-1)
    return np.broadcast_to(np.asarray(class_index), (len(x),))


def saliency(model, x, class_index=None):
    """|∂ logit_c / ∂ x|, reduced over a trailing channel axis by the maximum (N, H, W)."""
    x = np.asarray(x, dtype="float32")
    grads = np.abs(input_gradients(model, x, _classes(model, x, class_index)))
    return grads.max(axis=-1) if grads.ndim == 4 else grads


def integrated_gradients(model, x, baseline=None, steps=32, class_index=None):
    """Integrated gradients of logit_c for each input (same shape as x), with the midpoint Riemann sum.

    Args:
        model: a Keras model returning logits.
        x: batch (N, ...).
        baseline: x₀, an array broadcastable to x; default all zeros (a black image).
        steps: points on the path; more steps, smaller completeness error.
        class_index: class explained (int or (N,)); default the predicted class.
    """
    x = np.asarray(x, dtype="float32")
    baseline = np.zeros_like(x) if baseline is None else np.broadcast_to(np.asarray(baseline, "float32"), x.shape)
    classes = _classes(model, x, class_index)
    total = np.zeros_like(x)
    for alpha in (np.arange(int(steps)) + 0.5) / int(steps):
        total += input_gradients(model, baseline + alpha * (x - baseline), classes)
    return (x - baseline) * total / int(steps)


def occlusion(model, x, patch=4, stride=2, fill=0.5, class_index=None, batch_size=256):
    """Drop in the class probability when a `patch`×`patch` square is replaced by `fill`, per pixel (N, H, W).

    Each pixel gets the mean drop over the patches covering it; positive = the evidence
    the model relied on.
    """
    import keras

    x = np.asarray(x, dtype="float32")
    classes = _classes(model, x, class_index)
    n, height, width = x.shape[:3]
    maps = np.zeros((n, height, width))
    for i in range(n):
        base = keras.ops.convert_to_numpy(keras.ops.softmax(logits(model, x[i:i + 1])))[0, classes[i]]
        corners = [(r, c) for r in range(0, height - patch + 1, stride) for c in range(0, width - patch + 1, stride)]
        variants = np.repeat(x[i:i + 1], len(corners), axis=0)
        for k, (r, c) in enumerate(corners):
            variants[k, r:r + patch, c:c + patch] = fill
        probs = np.concatenate([keras.ops.convert_to_numpy(keras.ops.softmax(logits(model, variants[s:s + batch_size])))
                                for s in range(0, len(variants), batch_size)])[:, classes[i]]
        drop, cover = np.zeros((height, width)), np.zeros((height, width))
        for (r, c), p in zip(corners, probs):
            drop[r:r + patch, c:c + patch] += base - p
            cover[r:r + patch, c:c + patch] += 1
        maps[i] = drop / np.maximum(cover, 1)
    return maps


def word_occlusion(predict_positive, text):
    """Leave-one-word-out attributions for a text classifier.

    Args:
        predict_positive: function from a list of strings to their probabilities of the
            explained class (N,).
        text: the sentence explained.

    Returns:
        (words, attributions): attribution of word i = p(text) − p(text without word i);
        positive words pushed the prediction up.
    """
    words = str(text).split()
    if not words:
        raise ValueError("text has no words to attribute")
    variants = [str(text)] + [" ".join(words[:i] + words[i + 1:]) for i in range(len(words))]
    probs = np.asarray(predict_positive(variants), dtype=np.float64).reshape(-1)
    return words, probs[0] - probs[1:]


def shapley_kernel_weight(num_features, coalition_size):
    """π(z) = (M − 1) / (C(M, |z|) · |z| · (M − |z|)), the weight KernelSHAP gives a coalition of |z| features.

    Infinite for the empty and the full coalition: KernelSHAP imposes those two as constraints instead.
    """
    M, s = int(num_features), np.asarray(coalition_size)
    with np.errstate(divide="ignore"):
        return (M - 1) / (np.vectorize(math.comb)(M, s) * s * (M - s))


def kernel_shap(predict, x, background, n_samples=None, seed=0):
    """Shapley values of `predict` at one input `x` by KernelSHAP, small and explicit.

    A coalition z ∈ {0, 1}^M keeps the features with z_i = 1 from x and takes the others
    from a background row b; its value is the average over the background rows,

        v(z) = mean_b predict(z ⊙ x + (1 − z) ⊙ b),   v(0) = E[f(background)],  v(1) = f(x).

    The Shapley values φ solve the weighted least squares (Lundberg & Lee 2017, Theorem 2)

        min_φ  Σ_z π(z) (v(z) − v(0) − z·φ)²   subject to  Σ_i φ_i = f(x) − E[f(background)]

    with the Shapley kernel π(z) = (M − 1) / (C(M, |z|) |z| (M − |z|)). The constraint is
    *efficiency*: the attributions add up to how far f(x) is from the average prediction.
    With all 2^M − 2 coalitions (neither empty nor full) the solution is exact; with
    `n_samples` coalitions drawn with probability ∝ π(z), it is an estimate.

    Args:
        predict: function from an array (N, M) to N numbers (or (N, 1)), the model explained.
        x: the input explained, M features.
        background: (B, M) rows whose values stand in for the features left out; its
            average prediction is the reference E[f(background)].
        n_samples: coalitions to sample; None (or at least 2^M − 2) enumerates them all.
        seed: for the sampled coalitions.

    Returns:
        (phi, expected_value): the M attributions and E[f(background)], with
        phi.sum() == f(x) − expected_value up to rounding.

    Example:

    ```python
    import numpy as np
    from kerasmodels.course.topics import explain
    predict = lambda rows: rows[:, 0] * rows[:, 1] + 2 * rows[:, 2]  # an interaction and a linear term
    background = np.zeros((1, 3))
    phi, expected = explain.kernel_shap(predict, np.array([1.0, 3.0, 1.0]), background)
    np.round(phi, 6)  # [1.5, 1.5, 2.]: the product's 3 is split evenly between features 0 and 1
    ```
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    background = np.atleast_2d(np.asarray(background, dtype=np.float64))
    M = len(x)
    if M < 2 or background.shape[1] != M:
        raise ValueError(f"need at least 2 features and a background with as many columns, got x {x.shape}, "
                         f"background {background.shape}")

    def f(rows):
        return np.asarray(predict(rows), dtype=np.float64).reshape(len(rows))

    f_x, expected_value = f(x[None])[0], f(background).mean()
    sizes = np.arange(1, M)
    if n_samples is None or n_samples >= 2**M - 2:  # every coalition once, weighted by π(z)
        codes = np.arange(1, 2**M - 1)
        z = (codes[:, None] >> np.arange(M)) & 1
        weights = shapley_kernel_weight(M, z.sum(1))
    else:  # |z| drawn with probability ∝ C(M, s) π(s), then a uniform subset of that size: weights all equal
        rng = np.random.default_rng(seed)
        size_probability = (M - 1) / (sizes * (M - sizes))
        drawn_sizes = rng.choice(sizes, size=int(n_samples), p=size_probability / size_probability.sum())
        z = np.zeros((int(n_samples), M), dtype=int)
        for row, size in zip(z, drawn_sizes):
            row[rng.choice(M, size=size, replace=False)] = 1
        weights = np.ones(int(n_samples))
    # v(z): each coalition completed by every background row, predictions averaged over the rows.
    hybrids = np.where(z[:, None, :] == 1, x, background[None, :, :])  # (K, B, M)
    v = f(hybrids.reshape(-1, M)).reshape(len(z), len(background)).mean(1)
    # Weighted least squares with the efficiency constraint, solved as one linear (KKT) system:
    #   [Zᵀ W Z  1] [φ]   [Zᵀ W (v − v0)]
    #   [1ᵀ      0] [λ] = [f(x) − v0    ]
    ZtW = z.T * weights
    kkt = np.block([[ZtW @ z, np.ones((M, 1))], [np.ones((1, M)), np.zeros((1, 1))]])
    rhs = np.concatenate([ZtW @ (v - expected_value), [f_x - expected_value]])
    phi = np.linalg.solve(kkt, rhs)[:M]
    return phi, expected_value


def overlay(ax, image, attribution, title=None, alpha=0.55, cmap="inferno"):
    """Draw `image` in grey with `attribution` on top (normalised to its 99th percentile)."""
    image = np.asarray(image)
    grey = image.mean(axis=-1) if image.ndim == 3 else image
    scale = np.percentile(np.abs(attribution), 99) or 1.0
    ax.imshow(grey, cmap="gray", vmin=0, vmax=1)
    ax.imshow(np.clip(attribution / scale, 0, 1), cmap=cmap, alpha=alpha, vmin=0, vmax=1)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)

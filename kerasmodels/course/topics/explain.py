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
  positive probability changes (the leave-one-out core of LIME-style explanations).

Gradients are taken on the active Keras backend (TensorFlow, JAX or PyTorch).

Example:

```python
from kerasmodels.course.topics import explain
maps = explain.integrated_gradients(model, x[:4], steps=32)  # model: logits; x: images
maps.shape == x[:4].shape   # True
```
"""

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

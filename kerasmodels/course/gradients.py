"""The gradient of a Keras model's loss on a batch, as NumPy arrays, on any backend.

Lessons that look at gradients themselves (lesson 07: does the gradient vanish in a deep stack?
lesson 18: what does a client's update reveal?) call this one helper.
"""

import numpy as np


def keras_gradients(model, x, y, loss=None):
    """Gradients of the mean loss over (x, y) w.r.t. `model.trainable_weights`, as NumPy arrays, on any backend.

    Args:
        model: a Keras model producing logits.
        x, y: a batch and its integer labels.
        loss: a Keras loss; default sparse categorical cross-entropy from logits.
    """
    import keras

    loss = loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    backend = keras.backend.backend()
    weights = model.trainable_weights
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            value = loss(y, model(x, training=False))
        return [np.asarray(g) for g in tape.gradient(value, weights)]
    if backend == "jax":
        import jax

        trainable = [w.value for w in weights]
        others = [w.value for w in model.non_trainable_weights]

        def loss_of(values):
            logits, _ = model.stateless_call(values, others, x, training=False)
            return loss(y, logits)

        return [np.asarray(g) for g in jax.grad(loss_of)(trainable)]
    if backend == "torch":
        import torch

        for w in weights:
            w.value.grad = None
        value = loss(torch.as_tensor(y), model(x, training=False))
        value.backward()
        return [w.value.grad.detach().cpu().numpy() for w in weights]
    raise ValueError(f"backend {backend!r}: keras_gradients supports tensorflow, jax and torch")

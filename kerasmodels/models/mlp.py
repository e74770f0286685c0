"""A multi-layer perceptron (fully connected network) that outputs logits."""

import math

import keras

from kerasmodels.models import _checks


def mlp(
    input_shape,
    num_classes,
    hidden_units=(64, 64),
    activation="relu",
    dropout=0.0,
    l2=0.0,
    batch_norm=False,
    name=None,
    max_bytes=None,
):
    """Build a multi-layer perceptron classifier that outputs logits.

    Mirrors the network of article 001 §5.2 (784 → 64 → 64 → output, ReLU), with
    that section's mistake corrected: the document puts one sigmoid unit on
    MNIST's ten classes. Here the output layer has `num_classes` units and no
    activation (logits); pair it with `compile_model`, which picks the matching
    loss, and use `probabilities` to turn logits into probabilities.

    Inputs of any rank are flattened first, so MNIST images can be fed as
    (N, 28, 28) arrays without reshaping them to (N, 784).

    Args:
        input_shape: shape of one example without the batch axis, e.g.
            `(28, 28)` or `(784,)`.
        num_classes: number of classes. `1` means a binary problem with a
            single logit (use labels 0/1); `N >= 2` gives `N` logits.
        hidden_units: sizes of the hidden `Dense` layers, in order.
        activation: activation of the hidden layers (any Keras activation
            name, e.g. `"relu"`, `"gelu"`, `"tanh"`).
        dropout: rate of the `Dropout` after each hidden layer, in [0, 1).
        l2: L2 weight-decay factor on every kernel (0 turns it off).
        batch_norm: put `BatchNormalization` between each hidden `Dense` and
            its activation.
        name: name of the model (default `"mlp"`).
        max_bytes: refuse sizes whose estimated training memory (weights,
            gradients, Adam state, activations of a batch of 32) exceeds this;
            default `$KERASMODELS_MAX_MODEL_BYTES`, else 16 GiB.

    Returns:
        A `keras.Model` mapping `(batch, *input_shape)` float inputs to
        `(batch, num_classes)` logits.

    Example:

    ```python
    import numpy as np
    from kerasmodels.models import mlp, compile_model, probabilities

    x = np.random.rand(64, 28, 28).astype("float32")
    y = np.random.randint(0, 10, size=64)
    model = compile_model(mlp(input_shape=(28, 28), num_classes=10))
    model.fit(x, y, epochs=1, verbose=0)
    probabilities(model, x[:2]).shape  # (2, 10)
    ```
    """
    input_shape = _checks.input_shape_arg(input_shape, ranks=(1, 2, 3), example="(28, 28)")
    num_classes = _checks.num_classes_arg(num_classes)
    hidden_units = _checks.positive_int_tuple("hidden_units", hidden_units, allow_empty=True)
    dropout = _checks.rate("dropout", dropout)
    l2 = _checks.non_negative("l2", l2)
    batch_norm = _checks.boolean("batch_norm", batch_norm)
    widths = [math.prod(input_shape), *hidden_units, num_classes]
    _checks.check_model_size(
        "mlp",
        parameters=sum(a * b + b for a, b in zip(widths[:-1], widths[1:])),
        # Dense output, activation and (optionally) batch norm per hidden layer.
        activations_per_example=widths[0] + sum(hidden_units) * (3 if batch_norm else 2) + num_classes,
        max_bytes=max_bytes,
    )
    try:
        keras.activations.get(activation)
    except ValueError:
        raise ValueError(
            f"activation must be a Keras activation name such as 'relu', 'gelu' or "
            f"'tanh'; received {activation!r}."
        ) from None

    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.Flatten(name="flatten")(inputs) if len(input_shape) > 1 else inputs
    for i, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(
            units,
            # BatchNormalization's beta makes the Dense bias redundant.
            use_bias=not batch_norm,
            kernel_regularizer=regularizer,
            name=f"dense_{i}",
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(name=f"batch_norm_{i}")(x)
        x = keras.layers.Activation(activation, name=f"activation_{i}")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
    # float32 logits keep the loss stable under a mixed-precision policy.
    outputs = keras.layers.Dense(
        num_classes, kernel_regularizer=regularizer, dtype="float32", name="logits"
    )(x)
    return keras.Model(inputs, outputs, name=name or "mlp")

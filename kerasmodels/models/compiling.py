"""Compile a logits model with the loss and metrics that match its output."""

import keras
import numpy as np

from kerasmodels.models import _checks


def _output_units(model):
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"model must be a keras.Model, such as one built by kerasmodels.models.mlp; "
            f"received {type(model).__name__}."
        )
    outputs = getattr(model, "outputs", None)
    if not outputs:
        raise ValueError(
            f"model {model.name!r} has no known output shape; build it with keras.Input "
            f"(every kerasmodels factory does) before compiling it with compile_model."
        )
    if len(outputs) != 1:
        raise ValueError(
            f"compile_model handles models with one output; model {model.name!r} has "
            f"{len(outputs)}. Call model.compile(...) with one loss per output instead."
        )
    units = outputs[0].shape[-1]
    if units is None or len(outputs[0].shape) != 2:
        raise ValueError(
            f"compile_model expects logits of shape (batch, units); model {model.name!r} "
            f"outputs shape {tuple(outputs[0].shape)}."
        )
    return int(units)


def loss_and_metrics(units):
    """The loss and metrics that match a logits output with `units` units.

    One unit is a binary problem: `BinaryCrossentropy(from_logits=True)` and
    `BinaryAccuracy(threshold=0.0)` (a logit of 0 is probability 0.5).
    Otherwise `SparseCategoricalCrossentropy(from_logits=True)` and
    `SparseCategoricalAccuracy` named "accuracy" (integer labels 0..units-1).
    `compile_model` uses them; call this to compile a model yourself.

    Args:
        units: the number of logits the model outputs (1 for a binary problem).

    Returns:
        `(loss, metrics)`: a Keras loss and a list of Keras metrics, for `model.compile`.

    Example:

    ```python
    >>> loss, metrics = loss_and_metrics(10)
    >>> type(loss).__name__, [m.name for m in metrics]
    ('SparseCategoricalCrossentropy', ['accuracy'])
    >>> loss, metrics = loss_and_metrics(1)  # binary: one logit
    >>> type(loss).__name__, type(metrics[0]).__name__
    ('BinaryCrossentropy', 'BinaryAccuracy')
    ```
    """
    units = _checks.positive_int("units", units)
    if units == 1:
        return (
            keras.losses.BinaryCrossentropy(from_logits=True),
            [keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")],
        )
    return (
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        [keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )


def compile_model(
    model,
    optimizer="adam",
    learning_rate=None,
    metrics="auto",
    jit_compile="auto",
    steps_per_execution=1,
):
    """Compile a logits model with the loss and metrics that match its output.

    Every kerasmodels factory outputs logits. This helper reads the number of
    output units and picks the loss to match, so a one-unit output is never
    trained against ten-class labels (the mistake of article 001 §5.2) and a
    softmax is never applied twice:

    - 1 unit: `BinaryCrossentropy(from_logits=True)` +
      `BinaryAccuracy(threshold=0.0)` named "accuracy"; labels 0/1.
    - N >= 2 units: `SparseCategoricalCrossentropy(from_logits=True)` +
      `SparseCategoricalAccuracy` named "accuracy"; integer labels 0..N-1.

    Args:
        model: a `keras.Model` with one output of shape `(batch, units)`.
        optimizer: an optimizer name (`"adam"`, `"adamw"`, `"sgd"`, ...) or a
            `keras.optimizers.Optimizer` instance.
        learning_rate: a float or a `keras.optimizers.schedules`
            schedule; only with an optimizer name (`None` keeps the
            optimizer's default).
        metrics: `"auto"` for the matching accuracy, or a list of metrics
            passed on unchanged.
        jit_compile: passed to `model.compile`. `"auto"` lets Keras decide:
            XLA on accelerators, off on CPU-only TensorFlow (where it halves
            the speed of conv nets); JAX always compiles.
        steps_per_execution: batches per compiled call (larger values cut
            per-step overhead for small models).

    Returns:
        The same model, compiled.

    Example:

    ```python
    from kerasmodels.models import mlp, compile_model

    model = compile_model(mlp((8, 8), num_classes=10), learning_rate=1e-3)
    model.loss  # SparseCategoricalCrossentropy(from_logits=True)
    ```
    """
    units = _output_units(model)
    loss, auto_metrics = loss_and_metrics(units)
    if isinstance(optimizer, str):
        try:
            config = {"class_name": optimizer, "config": {}}
            if learning_rate is not None:
                config["config"]["learning_rate"] = learning_rate
            optimizer = keras.optimizers.get(config)
        except ValueError:
            raise ValueError(
                f"optimizer must be a Keras optimizer name such as 'adam', 'adamw', 'sgd' "
                f"or 'rmsprop', or an optimizer instance; received {optimizer!r}."
            ) from None
    elif isinstance(optimizer, keras.optimizers.Optimizer):
        if learning_rate is not None:
            raise ValueError(
                f"learning_rate={learning_rate!r} cannot be applied to an optimizer instance "
                f"({type(optimizer).__name__}); set it when creating the optimizer, or pass "
                f"the optimizer by name, e.g. optimizer='adam', learning_rate=1e-3."
            )
    else:
        raise TypeError(
            f"optimizer must be an optimizer name such as 'adam' or a "
            f"keras.optimizers.Optimizer; received {optimizer!r}."
        )
    if isinstance(metrics, str) and metrics == "auto":
        metrics = auto_metrics
    elif metrics is None:
        metrics = []
    elif not isinstance(metrics, (list, tuple)):
        raise TypeError(
            f"metrics must be 'auto', None or a list of metrics; received {metrics!r}."
        )
    if jit_compile not in ("auto", True, False):
        raise ValueError(f"jit_compile must be 'auto', True or False; received {jit_compile!r}.")
    steps_per_execution = _checks.positive_int("steps_per_execution", steps_per_execution)
    model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=list(metrics),
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    _build_optimizer_now(model)
    return model


def _build_optimizer_now(model):
    """Create the optimizer's variables now, where TensorFlow would otherwise trace the train step twice.

    Without a distribution strategy Keras's TensorFlow trainer builds the optimizer inside the first
    traced train step, and a `tf.function` that creates variables on its first call is traced again:
    the first step pays two traces (lesson 13 measured 22 s of CPU down to 10 s for MiniLM). The same
    variables, built earlier, so training is unchanged. JAX and torch build before tracing already.
    Metrics given as strings ("accuracy") and a multi-output model's per-output loss trackers are
    still created in the first step (so the first step is still traced twice; `build_before_fit`
    creates those before `fit` as well); the default metrics here are objects.
    """
    if model.built and not model.optimizer.built and _first_step_creates_variables(model):
        model.optimizer.build(model.trainable_variables)


def _first_step_creates_variables(model):
    """Whether `fit` would create variables inside its first traced step: TensorFlow without a strategy.

    Under a strategy Keras builds everything before tracing, in the strategy's scope; JAX and torch
    always build before tracing.
    """
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return not (tf.distribute.has_strategy() or getattr(model, "_distribute_strategy", None) is not None)


def build_before_fit(model, x, y):
    """Create the first training step's variables now, so TensorFlow traces that step once.

    Keras's TensorFlow trainer (without a distribution strategy) creates these variables inside the
    first traced training step: the optimizer's, a multi-output model's per-output loss trackers,
    the metrics `compile` received as strings ("accuracy") and, for a model not built yet, its
    weights. A `tf.function` that creates variables on its first call is traced a second time, so
    the first `fit` step pays two traces (a second or more per model on a 2-core CPU). This creates
    the same variables from a few examples; `fit` resets the metrics, so training and its logs are
    unchanged. `compile_model`
    already builds the optimizer; this also covers models compiled with `model.compile` directly.
    It does nothing on JAX and torch (their trainers build before tracing) or under a strategy.

    Args:
        model: a compiled `keras.Model`, built or not.
        x: a few training inputs (two examples are enough), structured as one batch's inputs (an
            array, a list, or a dict of arrays for named inputs), also when `fit` receives a dataset.
        y: their targets, structured as one batch's targets (a dict for named outputs).

    Returns:
        The same model.

    Example:

    ```python
    import keras
    import numpy as np
    from kerasmodels.models import build_before_fit, mlp

    x = np.random.rand(64, 8, 8).astype("float32")
    y = np.random.randint(0, 10, size=64)
    model = mlp((8, 8), num_classes=10)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    build_before_fit(model, x[:2], y[:2]).fit(x, y, epochs=1, verbose=0)
    ```
    """
    if getattr(model, "optimizer", None) is None:
        raise ValueError(
            "build_before_fit needs a compiled model; call model.compile(...) or compile_model(model) first.")
    if not _first_step_creates_variables(model):
        return model
    y_pred = model(x)  # builds an unbuilt model; inference mode: no dropout, moving statistics untouched
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    model.compute_loss(x, y, y_pred)
    model.compute_metrics(x, y, y_pred, sample_weight=None)
    return model


def probabilities(model, x, batch_size=None):
    """Class probabilities from a logits model.

    Applies a sigmoid to one-unit outputs (probability of class 1) and a
    softmax otherwise.

    Args:
        model: a `keras.Model` that outputs logits (every kerasmodels factory).
        x: inputs accepted by `model.predict`.
        batch_size: passed to `model.predict`.

    Returns:
        A float32 NumPy array of shape `(batch, units)`; rows sum to 1 when
        `units >= 2`.

    Example:

    ```python
    import numpy as np
    from kerasmodels.models import mlp, probabilities

    model = mlp((8, 8), num_classes=10)
    probabilities(model, np.zeros((2, 8, 8), "float32")).sum(axis=1)  # [1., 1.]
    ```
    """
    units = _output_units(model)
    logits = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    if units == 1:
        probs = 1.0 / (1.0 + np.exp(-logits))
    else:
        shifted = logits - logits.max(axis=-1, keepdims=True)
        exp = np.exp(shifted)
        probs = exp / exp.sum(axis=-1, keepdims=True)
    return probs.astype(np.float32)

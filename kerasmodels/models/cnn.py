"""Convolutional image classifiers that output logits: the source articles' networks and a fast default."""

import warnings

import keras

from kerasmodels import _presets
from kerasmodels.models import _checks

# Declared once (kerasmodels._presets); kerasmodels.registry lists them with the kind's recipe.
PRESETS = _presets.CNN_PRESETS

# Old preset names that still work, with a DeprecationWarning naming the new one.
DEPRECATED_PRESETS = _presets.CNN_DEPRECATED_PRESETS

AUGMENTATIONS = ("flip", "light", "standard")

# The default recipe, tuned for time-to-accuracy on small images (see `cnn`).
DEFAULT_FILTERS = (16, 32, 64)
DEFAULT_DENSE_UNITS = (128,)
DEFAULT_DROPOUT = 0.1
DEFAULT_KERNEL_SIZE = 3


def augmentation_layers(augmentation):
    """The Keras preprocessing layers of an augmentation preset or list.

    Presets (all active in training only, identity at inference):

    - `"flip"`: random horizontal flips. For natural images (CIFAR-10,
      `shapes`); never for digits, where a flipped 2 is no longer a 2.
    - `"light"`: random shifts of up to 10% and rotations of up to ±10°.
      Safe for digits and handwriting.
    - `"standard"`: `"flip"` + `"light"` + random zoom of up to ±10%. For
      natural images.

    Args:
        augmentation: `None`, a preset name, or a list of Keras layers.

    Returns:
        A list of Keras layers (empty for `None`).

    Example:

    ```python
    >>> [layer.name for layer in augmentation_layers("standard")]
    ['random_flip', 'random_translation', 'random_rotation', 'random_zoom']
    >>> augmentation_layers(None)
    []
    ```
    """
    if augmentation is None:
        return []
    if isinstance(augmentation, str):
        layers = keras.layers
        if augmentation == "flip":
            return [layers.RandomFlip("horizontal", name="random_flip")]
        if augmentation == "light":
            return [
                layers.RandomTranslation(0.1, 0.1, fill_mode="constant", name="random_translation"),
                layers.RandomRotation(10 / 360, fill_mode="constant", name="random_rotation"),
            ]
        if augmentation == "standard":
            return [
                layers.RandomFlip("horizontal", name="random_flip"),
                layers.RandomTranslation(0.1, 0.1, fill_mode="reflect", name="random_translation"),
                layers.RandomRotation(10 / 360, fill_mode="reflect", name="random_rotation"),
                layers.RandomZoom(0.1, fill_mode="reflect", name="random_zoom"),
            ]
        names = ", ".join(repr(a) for a in AUGMENTATIONS)
        raise ValueError(
            f"augmentation must be None, one of {names}, or a list of Keras "
            f"preprocessing layers; received {augmentation!r}."
        )
    if isinstance(augmentation, keras.layers.Layer):
        augmentation = [augmentation]
    if isinstance(augmentation, (list, tuple)) and all(
        isinstance(layer, keras.layers.Layer) for layer in augmentation
    ):
        return list(augmentation)
    raise TypeError(
        f"augmentation must be None, one of {AUGMENTATIONS}, or a list of Keras "
        f"preprocessing layers such as [keras.layers.RandomFlip('horizontal')]; "
        f"received {augmentation!r}."
    )


def _output_size(size, plan):
    """Spatial size after `plan`, or None as soon as a step would leave less than 1 pixel."""
    for op, k in plan:
        size = size - k + 1 if op == "valid_conv" else size // k
        if size < 1:
            return None
    return size


def _min_size(plan):
    size = 1
    while _output_size(size, plan) is None:
        size += 1
    return size


def _check_image_size(input_shape, plan, what):
    height, width = input_shape[0], input_shape[1]
    if _output_size(height, plan) is None or _output_size(width, plan) is None:
        minimum = _min_size(plan)
        raise ValueError(
            f"input_shape {input_shape!r} is too small for {what}: its convolutions and "
            f"poolings need images of at least {minimum}x{minimum} pixels. Resize the "
            f"images (keras.layers.Resizing) or pick a network with fewer pooling stages "
            f"(e.g. fewer `filters`)."
        )


def _size_estimate(input_shape, steps, dense_units, num_classes, per_conv=2):
    """(parameters, activations per example) of conv/pool `steps`, then dense layers.

    `steps`: ("conv", filters, kernel, padding) or ("pool", size); `per_conv`: tensors of
    the conv's output size it keeps (conv, activation, batch norm).
    """
    height, width = input_shape[0], input_shape[1]
    channels = input_shape[2] if len(input_shape) == 3 else 1
    parameters, activations = 0, height * width * channels
    for step in steps:
        if step[0] == "conv":
            _, filters, kernel, padding = step
            if padding == "valid":
                height, width = height - kernel + 1, width - kernel + 1
            parameters += kernel * kernel * channels * filters + filters
            channels = filters
            activations += height * width * channels * per_conv
        else:
            height, width = height // step[1], width // step[1]
            activations += height * width * channels
    features = max(height, 1) * max(width, 1) * channels
    for units in (*dense_units, num_classes):
        parameters += features * units + units
        activations += units
        features = units
    return parameters, activations


def _article002_network(x, num_classes):
    # article 002 §5.2.3, layer for layer; its softmax output becomes logits.
    layers = keras.layers
    x = layers.Conv2D(32, (3, 3), activation="relu", name="conv2d_1")(x)
    x = layers.MaxPooling2D((2, 2), name="max_pooling2d_1")(x)
    x = layers.Conv2D(64, (3, 3), activation="relu", name="conv2d_2")(x)
    x = layers.MaxPooling2D((2, 2), name="max_pooling2d_2")(x)
    x = layers.Conv2D(64, (3, 3), activation="relu", name="conv2d_3")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(64, activation="relu", name="dense_1")(x)
    return layers.Dense(num_classes, dtype="float32", name="logits")(x)


_ARTICLE002_PLAN = [("valid_conv", 3), ("pool", 2), ("valid_conv", 3), ("pool", 2), ("valid_conv", 3)]


def _lenet_network(x, num_classes):
    # article 000 §5.2.2 (PyTorch `Net`): transforms.Normalize(0.5, 0.5) maps [0, 1]
    # pixels to [-1, 1]; here that step is part of the model.
    layers = keras.layers
    x = layers.Rescaling(2.0, offset=-1.0, name="normalize")(x)
    x = layers.Conv2D(6, 5, activation="relu", name="conv1")(x)
    x = layers.MaxPooling2D(2, 2, name="pool1")(x)
    x = layers.Conv2D(16, 5, activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, 2, name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(120, activation="relu", name="fc1")(x)
    x = layers.Dense(84, activation="relu", name="fc2")(x)
    return layers.Dense(num_classes, dtype="float32", name="fc3")(x)


_LENET_PLAN = [("valid_conv", 5), ("pool", 2), ("valid_conv", 5), ("pool", 2)]


def _default_network(x, num_classes, filters, kernel_size, dense_units, dropout, batch_norm):
    layers = keras.layers
    for i, width in enumerate(filters, start=1):
        # BatchNormalization's beta makes the convolution bias redundant.
        x = layers.Conv2D(
            width, kernel_size, padding="same", use_bias=not batch_norm, name=f"conv_{i}"
        )(x)
        if batch_norm:
            # momentum 0.9 (Keras default 0.99): the inference statistics settle
            # within ~50 steps, which matters for recipes of a few hundred steps.
            x = layers.BatchNormalization(momentum=0.9, name=f"batch_norm_{i}")(x)
        x = layers.ReLU(name=f"relu_{i}")(x)
        x = layers.MaxPooling2D(2, name=f"pool_{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    for i, units in enumerate(dense_units, start=1):
        if dropout > 0:
            x = layers.Dropout(dropout, name=f"dropout_{i}")(x)
        x = layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
    if dropout > 0:
        x = layers.Dropout(dropout, name="dropout_logits")(x)
    return layers.Dense(num_classes, dtype="float32", name="logits")(x)


def cnn(
    input_shape,
    num_classes,
    preset=None,
    filters=None,
    kernel_size=None,
    dense_units=None,
    dropout=None,
    batch_norm=None,
    augmentation=None,
    name=None,
    max_bytes=None,
):
    """Build a convolutional image classifier that outputs logits.

    Three networks:

    - `preset="article002"`: the MNIST CNN of article 002 §5.2, layer for layer
      (Conv 32 → MaxPool → Conv 64 → MaxPool → Conv 64 → Dense 64 → output;
      3x3 kernels, "valid" padding, ReLU). 93,322 parameters for 28x28x1
      inputs and 10 classes. Its old name `preset="seed"` still works and
      warns (DeprecationWarning).
    - `preset="lenet"`: the CIFAR-10 network of article 000 §5.2, ported from
      PyTorch (Conv 6@5x5 → MaxPool → Conv 16@5x5 → MaxPool → Dense 120 →
      Dense 84 → output). The article's `transforms.Normalize(0.5, 0.5)` is
      the model's first layer, so it takes pixels in [0, 1]. 62,006
      parameters for 32x32x3 inputs and 10 classes.
    - `preset=None` (default): a recipe tuned for time-to-accuracy on CPU.
      Each entry of `filters` is a stage Conv 3x3 ("same") → ReLU →
      MaxPool 2x2 (with `batch_norm=True`: Conv → BatchNorm → ReLU → pool);
      then Dropout → Dense(`dense_units`, ReLU) → Dropout → output. The
      defaults are `filters=(16, 32, 64)`, `kernel_size=3`,
      `dense_units=(128,)`, `dropout=0.1`, `batch_norm=False`: about 2M
      multiply-adds per 28x28 image (article 002's network: 2.8M).

    Recommended training recipe for the default network (measured with
    `bench/bench_accuracy.py`; numbers in docs/benchmarks.md): batch size
    128, Adam with `warmup_cosine` (linear warm-up to 3e-3 over the first
    10% of the steps, then cosine decay to 0) over 3 epochs:

    ```python
    import math

    from kerasmodels.models import compile_model, warmup_cosine

    steps = 3 * math.ceil(len(x_train) / 128)
    compile_model(model, learning_rate=warmup_cosine(3e-3, steps))
    model.fit(x_train, y_train, batch_size=128, epochs=3)
    ```

    On MNIST with 2 CPU cores this first reaches 99.0% test accuracy after
    about 2 epochs, 3.3x sooner in wall time than the article 002 §5.2 recipe
    (its network, Adam defaults, batch 32, 5 epochs), and 5.5x sooner with
    the `mixed_bfloat16` policy on a CPU with bfloat16 support
    (`keras.mixed_precision.set_global_policy("mixed_bfloat16")`; the
    logits stay float32). In float32 on a CPU without bfloat16 (most laptops)
    a higher peak over fewer epochs gets there sooner: `warmup_cosine(5e-3,
    steps)` over 2 epochs reached 99.0% after a median 1.5 epochs, 6.5x
    sooner than keras-io's "Simple MNIST convnet" recipe and 4.2x sooner
    than article 002's (one run, 2 cores emulating an AVX2-only CPU), and
    ended near 99.1% (`accelerate.recipe("cnn", acc=setup)` gives the
    recipe for the precision `setup()` chose). Why the default is fast: a larger
    batch cuts per-step overhead, the schedule allows a higher peak rate, and
    BatchNormalization is off because on CPU it made training steps about 4x
    slower than the convolutions themselves (it is still available with
    `batch_norm=True`). Leave XLA off for conv nets on CPU (it halves their
    speed there); `compile_model(..., jit_compile="auto")` does that on
    TensorFlow.

    A 2-D `input_shape` such as `(28, 28)` gets its channel axis inside the
    model (a `Reshape` to `(28, 28, 1)`), so (N, 28, 28) arrays can be fed
    directly; this avoids the mistake of article 002 §5.2, which declares
    28x28x1 inputs but feeds 28x28 arrays. Images are channels-last.

    Args:
        input_shape: `(height, width)` or `(height, width, channels)`,
            without the batch axis.
        num_classes: number of classes; `1` means binary with one logit.
        preset: `None`, `"article002"` or `"lenet"` (the source articles
            are listed in docs/sources.md). A preset fixes the
            architecture, so `filters`, `kernel_size`, `dense_units`,
            `dropout` and `batch_norm` must then be left unset.
        filters: default network only: the widths of the convolution
            stages; each stage halves the image size.
        kernel_size: default network only: the convolution kernel size.
        dense_units: default network only: sizes of the hidden `Dense`
            layers between the convolutions and the output (`()` for none).
        dropout: default network only: dropout rate before each `Dense`.
        batch_norm: default network only: use `BatchNormalization` after
            each convolution.
        augmentation: `None`, a preset name (`"flip"`, `"light"`,
            `"standard"`; see `augmentation_layers`) or a list of Keras
            preprocessing layers. Active during training only.
        name: name of the model (default `"cnn"`, `"cnn_article002"`,
            `"cnn_lenet"`).
        max_bytes: refuse sizes whose estimated training memory (weights,
            gradients, Adam state, activations of a batch of 32) exceeds this;
            default `$KERASMODELS_MAX_MODEL_BYTES`, else 16 GiB.

    Returns:
        A `keras.Model` mapping `(batch, *input_shape)` float images in
        [0, 1] to `(batch, num_classes)` logits.

    Example:

    ```python
    import numpy as np
    from kerasmodels.models import cnn, compile_model

    x = np.random.rand(64, 28, 28).astype("float32")
    y = np.random.randint(0, 10, size=64)
    model = compile_model(cnn(input_shape=(28, 28), num_classes=10, preset="article002"))
    model.fit(x, y, epochs=1, verbose=0)
    model.predict(x[:2], verbose=0).shape  # (2, 10) logits
    ```
    """
    input_shape = _checks.input_shape_arg(input_shape, ranks=(2, 3), example="(28, 28) or (32, 32, 3)")
    num_classes = _checks.num_classes_arg(num_classes)
    aug_layers = augmentation_layers(augmentation)
    architecture = {
        "filters": filters,
        "kernel_size": kernel_size,
        "dense_units": dense_units,
        "dropout": dropout,
        "batch_norm": batch_norm,
    }
    if preset in DEPRECATED_PRESETS:
        new = DEPRECATED_PRESETS[preset]
        warnings.warn(f"cnn(preset={preset!r}) is deprecated; use preset={new!r} (the same network).",
                      DeprecationWarning, stacklevel=2)
        preset = new
    if preset is not None:
        if preset not in PRESETS:
            raise _checks.unknown_preset(preset, (None,) + PRESETS)
        given = [f"{k}={v!r}" for k, v in architecture.items() if v is not None]
        if given:
            raise ValueError(
                f"preset={preset!r} fixes the architecture of article "
                f"{'002' if preset == 'article002' else '000'} §5.2, so {', '.join(given)} cannot "
                f"be applied. Leave them unset, or use preset=None to build the "
                f"configurable default network."
            )
        plan = _ARTICLE002_PLAN if preset == "article002" else _LENET_PLAN
        _check_image_size(input_shape, plan, f"preset={preset!r}")
    else:
        filters = _checks.positive_int_tuple(
            "filters", DEFAULT_FILTERS if filters is None else filters
        )
        kernel_size = _checks.positive_int(
            "kernel_size", DEFAULT_KERNEL_SIZE if kernel_size is None else kernel_size
        )
        dense_units = _checks.positive_int_tuple(
            "dense_units", DEFAULT_DENSE_UNITS if dense_units is None else dense_units,
            allow_empty=True,
        )
        dropout = _checks.rate("dropout", DEFAULT_DROPOUT if dropout is None else dropout)
        batch_norm = _checks.boolean("batch_norm", False if batch_norm is None else batch_norm)
        plan = [("pool", 2)] * len(filters)
        _check_image_size(input_shape, plan, f"{len(filters)} pooling stages (filters={filters!r})")
    if preset == "article002":
        steps = [("conv", 32, 3, "valid"), ("pool", 2), ("conv", 64, 3, "valid"), ("pool", 2),
                 ("conv", 64, 3, "valid")]
        size = _size_estimate(input_shape, steps, (64,), num_classes)
    elif preset == "lenet":
        steps = [("conv", 6, 5, "valid"), ("pool", 2), ("conv", 16, 5, "valid"), ("pool", 2)]
        size = _size_estimate(input_shape, steps, (120, 84), num_classes)
    else:
        steps = []
        for width in filters:
            steps += [("conv", width, kernel_size, "same"), ("pool", 2)]
        size = _size_estimate(input_shape, steps, dense_units, num_classes, per_conv=3 if batch_norm else 2)
    _checks.check_model_size("cnn", *size, max_bytes=max_bytes)

    inputs = keras.Input(shape=input_shape, name="images")
    x = inputs
    if len(input_shape) == 2:
        x = keras.layers.Reshape(input_shape + (1,), name="add_channel_axis")(x)
    if aug_layers:
        x = keras.Sequential(aug_layers, name="augmentation")(x)
    if preset == "article002":
        outputs = _article002_network(x, num_classes)
    elif preset == "lenet":
        outputs = _lenet_network(x, num_classes)
    else:
        outputs = _default_network(
            x, num_classes, filters, kernel_size, dense_units, dropout, batch_norm
        )
    default_name = "cnn" if preset is None else f"cnn_{preset}"
    return keras.Model(inputs, outputs, name=name or default_name)

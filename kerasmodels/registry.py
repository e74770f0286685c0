"""The model kinds and data sets that `kerasmodels train` knows, declared once.

Each `ModelKind` holds its factory, its presets (and the old names that still
work), its input modality, whether it trains with several workers, its
training recipe (`Recipe`) and a small stand-in model for timing precisions.
Each `DataSet` holds its modality. The command line's choices, `train.train`,
the workers, `accelerate` and the benchmark scripts read this registry and
nothing else, so a new kind or preset is one `register_model_kind` call (the
spirit of keras-hub's registered presets).

Importing this module imports neither Keras nor TensorFlow: the factories are
imported when a model is built.

Example:

```python
from kerasmodels import registry

cnn = registry.model_kind("cnn")
cnn.presets                             # ('article002', 'lenet')
cnn.recipe().batch_size                 # 128 (the CPU recipe)
registry.datasets_for("bert")           # ('reviews', 'rt_polarity')
```
"""

import inspect
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from kerasmodels import _presets
from kerasmodels.errors import InvalidArgumentError

__all__ = [
    "DATASETS", "IMAGE", "MODEL_KINDS", "TEXT", "DataSet", "HardwareRules", "ModelKind", "Recipe", "dataset",
    "dataset_names",
    "datasets_for", "model_kind", "model_kind_names", "register_dataset", "register_model_kind",
]

#: The two input modalities, `"image"` and `"text"`, of `ModelKind`s and `DataSet`s.
#: A kind trains only on the data sets of its own modality (`datasets_for`). Pass these names rather
#: than the strings, e.g. `dataset_names(registry.TEXT)`.
IMAGE, TEXT = "image", "text"


@dataclass
class Recipe:
    """How to train a factory model: batch size, optimizer and learning-rate schedule, epochs.

    `ModelKind.recipe()` gives the recommended one for a kind, preset and hardware; `train`
    uses it unless `epochs`, `batch_size` or `learning_rate` say otherwise.

    Args:
        batch_size: the global batch size for `fit()`.
        peak_learning_rate: the peak of `warmup_cosine` (None: the optimizer's default rate, constant).
        epochs: epochs the schedule is laid out over.
        optimizer: "adam" or "adamw".
        weight_decay: AdamW's weight decay (None for Adam).
        ema_momentum: AdamW's weight averaging (None: off).
        source: where the recipe comes from, and what was measured.

    Example:

    ```python
    >>> recipe = Recipe(batch_size=64, peak_learning_rate=1e-3, epochs=2)
    >>> optimizer = recipe.make_optimizer(train_examples=1000)  # 2 * 16 steps of warm-up + cosine
    >>> type(optimizer).__name__, recipe.as_dict()["schedule"]
    ('Adam', 'warmup_cosine')
    ```
    """

    batch_size: int
    peak_learning_rate: float | None
    epochs: int
    optimizer: str = "adam"
    weight_decay: float | None = None
    ema_momentum: float | None = None
    source: str = ""

    def make_optimizer(self, train_examples, epochs=None, learning_rate=None):
        """The optimizer, its schedule laid out over `epochs` (default the recipe's) of `train_examples`.

        Args:
            train_examples: training examples per epoch (the schedule counts steps).
            epochs: epochs to lay the schedule over (default `self.epochs`).
            learning_rate: a constant rate that replaces the schedule.

        Returns:
            A `keras.optimizers.Adam` or `AdamW`.
        """
        import keras

        from kerasmodels.models import warmup_cosine

        epochs = epochs or self.epochs
        steps = epochs * -(-int(train_examples) // self.batch_size)
        if learning_rate is not None:
            rate = learning_rate
        elif self.peak_learning_rate:
            rate = warmup_cosine(self.peak_learning_rate, max(steps, 2))
        else:
            rate = None
        kwargs = {} if rate is None else {"learning_rate": rate}
        if self.optimizer == "adamw":
            if self.weight_decay is not None:
                kwargs["weight_decay"] = self.weight_decay
            if self.ema_momentum:
                kwargs.update(use_ema=True, ema_momentum=self.ema_momentum)
            return keras.optimizers.AdamW(**kwargs)
        return keras.optimizers.Adam(**kwargs)

    def as_dict(self):
        """The recipe as plain data (for a run's summary JSON)."""
        return {"batch_size": self.batch_size, "peak_learning_rate": self.peak_learning_rate,
                "epochs": self.epochs, "optimizer": self.optimizer, "weight_decay": self.weight_decay,
                "ema_momentum": self.ema_momentum, "schedule": "warmup_cosine" if self.peak_learning_rate
                else "constant (optimizer default)", "source": self.source}


@dataclass(frozen=True)
class DataSet:
    """A data set `train` can use: its `kerasmodels.data` name and what its inputs are (IMAGE or TEXT).

    Args:
        name: the name `kerasmodels.data.load()` takes.
        modality: `IMAGE` or `TEXT`: which model kinds train on it.

    Example:

    ```python
    >>> dataset("mnist")
    DataSet(name='mnist', modality='image')
    >>> dataset("mnist").modality == IMAGE
    True
    ```
    """

    name: str
    modality: str


#: `steps_per_execution` for small MLPs (on a CPU: 1.8x measured) and for small CNNs on an accelerator.
MLP_STEPS_PER_EXECUTION = GPU_CNN_STEPS_PER_EXECUTION = 16

_AMX = ("mixed_bfloat16", "CPU with AMX bfloat16 units (amx_bf16): mixed_bfloat16 trained a small CNN ~1.8x "
        "faster than float32 on this class of CPU")


@dataclass(frozen=True)
class HardwareRules:
    """What `accelerate.setup()` chooses for one kind of model where the choice depends on the model.

    Each rule is a pair `(value, reason)`; `setup()` prints the reason, which names the measurement
    behind the choice. The rules that depend on the hardware alone (a GPU's generation, a CPU without
    bfloat16 instructions, JAX always compiling) stay in `accelerate`. The defaults are the rules for
    a model of no registered kind (`setup(model_kind=None)`).

    Args:
        precision_avx512_bf16: the precision on a CPU with avx512_bf16 but no AMX (TensorFlow).
        precision_amx: the precision on a CPU with AMX bfloat16 units (TensorFlow).
        jit: `jit_compile` on a CPU with TensorFlow.
        jit_bfloat16: `jit_compile` on a CPU with TensorFlow in mixed_bfloat16 (None: as `jit`).
        steps_per_execution: `steps_per_execution` on a CPU (reason None: the default, not printed).
        accelerator_steps_per_execution: `steps_per_execution` on a GPU or TPU.

    Example:

    ```python
    >>> model_kind("mlp").hardware.steps_per_execution[0]
    16
    >>> HardwareRules().jit[0], model_kind("bert").hardware.jit[0]
    (False, True)
    ```
    """

    precision_avx512_bf16: tuple = (
        "float32", "CPU with avx512_bf16 but no AMX: bfloat16 helps convolutions and keras-hub's BERT there but "
        "slowed a transformer block built from raw ops 2.4x in our measurements, so float32 "
        "(setup(measure=True) times both)")
    precision_amx: tuple = _AMX
    jit: tuple = (False, "XLA off on CPU (pass model_kind='bert' for transformers, where it helps)")
    jit_bfloat16: tuple | None = None
    steps_per_execution: tuple = (1, None)
    accelerator_steps_per_execution: tuple = (1, None)


@dataclass(frozen=True)
class ModelKind:
    """One kind of factory model, with everything `train`, the CLI and the benchmarks need to know.

    Args:
        name: the kind's name ("mlp", "cnn", "bert").
        modality: the inputs it takes, IMAGE or TEXT.
        factory: `factory(preset, input_shape, num_classes, sequence_length, **kwargs)` -> a Keras model.
        rule: `rule(preset, device_kind, replicas)` -> its `Recipe` on that hardware; a rule may
            also take `precision=` (the dtype policy training uses) to choose by it.
        stand_in: `stand_in()` -> (a small model of this kind's shape of work, its input shape),
            for timing precisions (`flops.benchmark_precisions`).
        presets: the preset names its factory takes.
        default_preset: the preset used when none is given (None: the factory's default network).
        deprecated_presets: old preset name -> new one (still work, with a DeprecationWarning).
        local_presets: whether a local folder is a preset too (BERT checkpoints).
        multi_worker: whether it trains with `--workers`/`--hosts`.
        summary: one line for help texts.
        hardware: its `HardwareRules` (precision, XLA, steps_per_execution where they depend on the model).

    Example:

    ```python
    >>> cnn = model_kind("cnn")
    >>> cnn.presets, cnn.modality, cnn.multi_worker
    (('article002', 'lenet'), 'image', True)
    >>> cnn.recipe().batch_size, cnn.recipe(device_kind="GPU").batch_size
    (128, 512)
    >>> cnn.build(input_shape=(28, 28), num_classes=10).output_shape
    (None, 10)
    ```
    """

    name: str
    modality: str
    factory: object
    rule: object
    stand_in: object
    presets: tuple = ()
    default_preset: str | None = None
    deprecated_presets: dict = field(default_factory=dict)
    local_presets: bool = False
    multi_worker: bool = True
    summary: str = ""
    hardware: HardwareRules = field(default_factory=HardwareRules)

    def canonical_preset(self, preset, warn=True):
        """`preset` with an old name replaced by the new one (a DeprecationWarning naming it when `warn`)."""
        new = self.deprecated_presets.get(preset)
        if new is None:
            return preset
        if warn:
            warnings.warn(f"--preset {preset} is deprecated; use --preset {new} (the same network).",
                          DeprecationWarning, stacklevel=3)
        return new

    def check_preset(self, preset):
        """Raise `InvalidArgumentError` (one line, with the presets) unless `preset` is None or one of ours."""
        if preset is None or preset in self.presets or preset in self.deprecated_presets:
            return
        if self.local_presets and Path(str(preset)).expanduser().is_dir():
            return
        known = ", ".join(self.presets) or "none"
        extra = f" (or the path of a local {self.name.upper()} folder)" if self.local_presets else ""
        raise InvalidArgumentError(f"{self.name} has no preset {preset!r}; presets: {known}{extra}")

    def build(self, preset=None, input_shape=None, num_classes=2, sequence_length=64, **kwargs):
        """A fresh model of this kind (under the current dtype policy and strategy scope).

        Args:
            preset: one of `presets` (an old name works, with a DeprecationWarning), or None.
            input_shape: one example's shape (image kinds).
            num_classes: output units.
            sequence_length: tokens per example (text kinds).
            **kwargs: passed to the factory.
        """
        self.check_preset(preset)
        preset = self.canonical_preset(preset)
        return self.factory(preset, input_shape, num_classes, sequence_length, **kwargs)

    def recipe(self, preset=None, device_kind="CPU", replicas=1, precision=None):
        """The recommended `Recipe` with `preset`, on `replicas` devices of `device_kind` ("CPU", "GPU", "TPU").

        `precision` is the dtype policy training will use ("float32", "mixed_bfloat16", ...; None:
        not known): a rule that takes a `precision` argument may choose by it (the default cnn() on
        a CPU without bfloat16 does).
        """
        preset = self.canonical_preset(preset, warn=False)
        if precision is not None and "precision" in inspect.signature(self.rule).parameters:
            return self.rule(preset, device_kind, int(replicas), precision=precision)
        return self.rule(preset, device_kind, int(replicas))

    def datasets(self):
        """The names of the registered data sets this kind trains on (same modality)."""
        return dataset_names(self.modality)


#: The registered model kinds, a dict from each name to its `ModelKind`, in registration order.
#: The package registers "mlp", "cnn" and "bert". Read it through `model_kind(name)` and
#: `model_kind_names()`; add to it with `register_model_kind`.
MODEL_KINDS = {}
#: The data sets `train` knows, a dict from each name to its `DataSet`, in registration order.
#: The package registers "digits", "mnist", "shapes", "cifar10", "reviews" and "rt_polarity". Read it
#: through `dataset(name)` and `dataset_names()`; add to it with `register_dataset`.
DATASETS = {}


def register_model_kind(kind):
    """Add (or replace) a `ModelKind`; returns it.

    The kind is then a choice of `kerasmodels train --model`, of `train.train` and of the
    benchmarks, under `kind.name`.

    Args:
        kind: the `ModelKind` to register (one of the same name is replaced).

    Returns:
        `kind`.

    Raises:
        InvalidArgumentError: `kind` is not a `ModelKind`.

    Example:

    ```python
    >>> import kerasmodels as km
    >>> tiny = ModelKind(
    ...     "tiny_mlp", IMAGE,
    ...     factory=lambda preset, input_shape, num_classes, sequence_length, **kw:
    ...         km.models.mlp(input_shape=input_shape, num_classes=num_classes, hidden_units=(16,)),
    ...     rule=lambda preset, device_kind, replicas: Recipe(32 * replicas, 1e-3, 2),
    ...     stand_in=None, summary="a one-layer MLP")
    >>> register_model_kind(tiny).name
    'tiny_mlp'
    >>> model_kind("tiny_mlp").build(input_shape=(8, 8), num_classes=10).count_params()
    1210
    >>> del MODEL_KINDS["tiny_mlp"]  # leave the registry as it was
    ```
    """
    if not isinstance(kind, ModelKind):
        raise InvalidArgumentError(f"register_model_kind({kind!r}): pass a registry.ModelKind.")
    MODEL_KINDS[kind.name] = kind
    return kind


def register_dataset(data_set):
    """Add (or replace) a `DataSet`; returns it.

    The name must be one `kerasmodels.data.load()` can load; its modality decides which model
    kinds may train on it.

    Args:
        data_set: the `DataSet` to register (one of the same name is replaced).

    Returns:
        `data_set`.

    Raises:
        InvalidArgumentError: `data_set` is not a `DataSet` of modality `IMAGE` or `TEXT`.

    Example:

    ```python
    >>> register_dataset(DataSet("my_digits", IMAGE))
    DataSet(name='my_digits', modality='image')
    >>> "my_digits" in datasets_for("mlp")
    True
    >>> del DATASETS["my_digits"]  # leave the registry as it was
    ```
    """
    if not isinstance(data_set, DataSet) or data_set.modality not in (IMAGE, TEXT):
        raise InvalidArgumentError(f"register_dataset({data_set!r}): pass a registry.DataSet of modality "
                                   f"{IMAGE!r} or {TEXT!r}.")
    DATASETS[data_set.name] = data_set
    return data_set


def model_kind_names(multi_worker=None):
    """The registered kinds' names, in registration order (`multi_worker=True`: those that train with workers).

    Args:
        multi_worker: None for every kind; True for those that train with `--workers`/`--hosts`;
            False for those that do not.

    Returns:
        A tuple of names.

    Example:

    ```python
    >>> model_kind_names()
    ('mlp', 'cnn', 'bert')
    >>> model_kind_names(multi_worker=True)
    ('mlp', 'cnn')
    ```
    """
    return tuple(name for name, kind in MODEL_KINDS.items() if multi_worker is None or kind.multi_worker == multi_worker)


def model_kind(name):
    """The `ModelKind` called `name`; `InvalidArgumentError` (one line, with the choices) otherwise.

    Args:
        name: a registered kind's name, e.g. "cnn".

    Returns:
        The `ModelKind`.

    Raises:
        InvalidArgumentError: no kind has that name (the message lists the choices).

    Example:

    ```python
    >>> model_kind("bert").default_preset
    'minilm-l6'
    >>> model_kind("rnn")
    Traceback (most recent call last):
    ...
    kerasmodels.errors.InvalidArgumentError: unknown model 'rnn'; choose one of: mlp, cnn, bert
    ```
    """
    if name not in MODEL_KINDS:
        raise InvalidArgumentError(f"unknown model {name!r}; choose one of: {', '.join(MODEL_KINDS)}")
    return MODEL_KINDS[name]


def dataset_names(modality=None):
    """The registered data sets' names (of one modality, IMAGE or TEXT, if given).

    Args:
        modality: `IMAGE`, `TEXT`, or None for all.

    Returns:
        A tuple of names, in registration order.

    Example:

    ```python
    >>> dataset_names(TEXT)
    ('reviews', 'rt_polarity')
    >>> len(dataset_names())
    6
    ```
    """
    return tuple(name for name, data_set in DATASETS.items() if modality is None or data_set.modality == modality)


def dataset(name):
    """The registered `DataSet` called `name`, or None.

    Args:
        name: a data set name, e.g. "mnist".

    Returns:
        The `DataSet`, or None if `train` does not know that name.

    Example:

    ```python
    >>> dataset("reviews").modality
    'text'
    >>> dataset("imagenet") is None
    True
    ```
    """
    return DATASETS.get(name)


def datasets_for(kind):
    """The data sets model kind `kind` (a name or a `ModelKind`) trains on.

    Args:
        kind: a kind's name ("mlp", "cnn", "bert") or a `ModelKind`.

    Returns:
        A tuple of data set names (those of the kind's modality).

    Raises:
        InvalidArgumentError: `kind` is a name no kind has.

    Example:

    ```python
    >>> datasets_for("bert")
    ('reviews', 'rt_polarity')
    >>> datasets_for(model_kind("cnn"))
    ('digits', 'mnist', 'shapes', 'cifar10')
    ```
    """
    return (kind if isinstance(kind, ModelKind) else model_kind(kind)).datasets()


# --- the package's kinds ---------------------------------------------------------------------------------

def _mlp(preset, input_shape, num_classes, sequence_length, **kwargs):
    from kerasmodels import models

    return models.mlp(input_shape=input_shape, num_classes=num_classes, **kwargs)


def _cnn(preset, input_shape, num_classes, sequence_length, **kwargs):
    from kerasmodels import models

    return models.cnn(input_shape=input_shape, num_classes=num_classes, preset=preset, **kwargs)


def _bert(preset, input_shape, num_classes, sequence_length, **kwargs):
    from kerasmodels import models

    return models.bert_classifier(num_classes, preset=preset or "minilm-l6", sequence_length=sequence_length,
                                  **kwargs)


# The default cnn() on an accelerator: 4x the CPU batch with the peak rate scaled by sqrt(4), the
# usual rule for Adam, over 5 epochs. On a GPU a 128-image step of this small network is dominated
# by per-step overhead, so fewer, larger steps: on MNIST (CPU, mixed_bfloat16, seed 0) it first
# reached 99.0% after 3.75 epochs = 367 steps (the CPU recipe: ~2 epochs = ~780 steps) and ended
# at 99.28%; with 3 epochs it peaked at 98.97%. Its wall time on a GPU is not measured yet
# (bench/gpu_check.py measures it).
GPU_CNN_BATCH, GPU_CNN_PEAK, GPU_CNN_EPOCHS = 512, 6e-3, 5


def _mlp_recipe(preset, device_kind, replicas):
    return Recipe(128 * replicas, 3e-3, 15, source=(
        "mlp(): batch 128, Adam, warmup_cosine peak 3e-3, 15 epochs (97.76% on MNIST, docs/benchmarks.md)"))


# The default cnn() trained in float32 on a CPU (no bfloat16 instructions: most laptops), tuned for
# time to 99.0% MNIST test accuracy under bench/avx2_only.sh (2-core AMD EPYC with oneDNN capped at
# AVX2, docs/benchmarks.md): peak 5e-3 over 2 epochs first reached 99.0% after a median 582 steps
# (1.5 epochs; seeds 0-2: 582, 485, 679), the bfloat16-era recipe (3e-3 over 3 epochs) after 776-873.
FLOAT32_CPU_CNN_PEAK, FLOAT32_CPU_CNN_EPOCHS = 5e-3, 2


def _cnn_recipe(preset, device_kind, replicas, precision=None):
    if preset is not None:
        return Recipe(32 * replicas, None, 5, source=f"cnn(preset={preset!r}): the recipe of article 002 §5.2, "
                      "Adam with its default rate, batch 32, 5 epochs")
    if device_kind != "CPU":
        return Recipe(GPU_CNN_BATCH * replicas, GPU_CNN_PEAK, GPU_CNN_EPOCHS, source=(
            f"cnn() on {device_kind}: batch {GPU_CNN_BATCH} per device, Adam, warmup_cosine peak "
            f"{GPU_CNN_PEAK:g} (the CPU recipe's 3e-3 scaled by sqrt(4)), {GPU_CNN_EPOCHS} epochs; on MNIST "
            "it reached 99.0% in 367 steps (measured on a CPU), its speed on a GPU is not measured yet"))
    if precision == "float32":
        return Recipe(128 * replicas, FLOAT32_CPU_CNN_PEAK, FLOAT32_CPU_CNN_EPOCHS, source=(
            f"cnn() in float32 on a CPU: batch 128, Adam, warmup_cosine peak {FLOAT32_CPU_CNN_PEAK:g}, "
            f"{FLOAT32_CPU_CNN_EPOCHS} epochs, tuned for time to 99.0% on MNIST where float32 steps are the "
            "cost (6.5x sooner than keras-io's mnist_convnet recipe, emulated AVX2, docs/benchmarks.md); "
            "with bfloat16 the 3-epoch recipe"))
    return Recipe(128 * replicas, 3e-3, 3, source=(
        "cnn(): batch 128, Adam, warmup_cosine peak 3e-3, 3 epochs (99.13% on MNIST, docs/benchmarks.md)"))


def _bert_recipe(preset, device_kind, replicas):
    if preset == "tiny":
        return Recipe(32 * replicas, 1e-3, 4, optimizer="adamw", weight_decay=0.01, source=(
            "bert_classifier('tiny'): AdamW, warmup_cosine peak 1e-3, batch 32, 4 epochs (docs/benchmarks.md)"))
    return Recipe(32 * replicas, 5e-5, 3, optimizer="adamw", weight_decay=0.01, ema_momentum=0.99, source=(
        "bert_classifier('minilm-l6'): AdamW (weight decay 0.01, EMA 0.99), warmup_cosine peak 5e-5, "
        "batch 32, 3 epochs (docs/benchmarks.md)"))


def _sequential_stand_in(shape, body):
    import keras

    return keras.Sequential([keras.Input(shape), *body, keras.layers.Dense(10, dtype="float32")]), shape


def _mlp_stand_in():
    import keras

    return _sequential_stand_in((784,), [keras.layers.Dense(256, activation="relu"),
                                         keras.layers.Dense(256, activation="relu")])


def _cnn_stand_in():
    import keras

    return _sequential_stand_in((32, 32, 3), [
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.GlobalAveragePooling2D()])


def _bert_stand_in():
    import keras

    inputs = keras.Input((64, 128))
    x = keras.layers.MultiHeadAttention(4, 32)(inputs, inputs)
    x = keras.layers.Dense(512, activation="gelu")(x)
    x = keras.layers.Dense(128)(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    outputs = keras.layers.Dense(10, dtype="float32")(x)
    return keras.Model(inputs, outputs), (64, 128)


_MLP_FLOAT32 = ("float32", "a small MLP is bound by per-step overhead, not arithmetic: bfloat16 does not speed "
                "it up (measured slower), so float32")
_MLP_STEPS = (MLP_STEPS_PER_EXECUTION, (
    f"steps_per_execution={MLP_STEPS_PER_EXECUTION}: a small MLP is bound by the per-step overhead of fit(), "
    f"which is then paid once per {MLP_STEPS_PER_EXECUTION} steps (1.8x measured on CPU)"))
register_model_kind(ModelKind(
    "mlp", IMAGE, _mlp, _mlp_recipe, _mlp_stand_in, summary="a multilayer perceptron (models.mlp)",
    hardware=HardwareRules(
        precision_avx512_bf16=_MLP_FLOAT32, precision_amx=_MLP_FLOAT32,
        jit=(False, "XLA off: a small MLP does too little work per step for XLA to matter"),
        steps_per_execution=_MLP_STEPS, accelerator_steps_per_execution=_MLP_STEPS)))
register_model_kind(ModelKind(
    "cnn", IMAGE, _cnn, _cnn_recipe, _cnn_stand_in, presets=_presets.CNN_PRESETS,
    deprecated_presets=_presets.CNN_DEPRECATED_PRESETS,
    summary="a convolutional network (models.cnn): article002 = article 002 §5.2's MNIST CNN, lenet = article 000's",
    hardware=HardwareRules(
        precision_avx512_bf16=("mixed_bfloat16", (
            "CPU with avx512_bf16 (no AMX): mixed_bfloat16 trained a small CNN 1.1-2.1x faster than float32 "
            "(benchmark_precisions, 3 runs on an AMD EPYC, docs/hardware.md)")),
        jit=(False, "XLA off: on CPU it made conv nets slower (about half as fast on a 2-core Xeon, docs/hardware.md)"),
        accelerator_steps_per_execution=(GPU_CNN_STEPS_PER_EXECUTION, (
            f"steps_per_execution={GPU_CNN_STEPS_PER_EXECUTION}: on an accelerator a small CNN's step takes less "
            "time than fit()'s Python work per step, which is then paid once per "
            f"{GPU_CNN_STEPS_PER_EXECUTION} steps (as for MLPs on CPU; not yet measured on a GPU)")))))
register_model_kind(ModelKind(
    "bert", TEXT, _bert, _bert_recipe, _bert_stand_in, presets=_presets.BERT_PRESETS, default_preset="minilm-l6",
    local_presets=True, multi_worker=False, summary="a BERT text classifier (models.bert_classifier)",
    hardware=HardwareRules(
        precision_avx512_bf16=("mixed_bfloat16", (
            "CPU with avx512_bf16 (no AMX): mixed_bfloat16 trained bert_classifier('minilm-l6') 1.51x faster "
            "than float32 (median of 3 rounds on an AMD EPYC, docs/benchmarks.md)")),
        jit=(True, "XLA on: in float32 it trains a transformer in the same wall time on 2 cores using two thirds "
                   "of the CPU time (1.2-1.5x reported on other CPUs)"),
        jit_bfloat16=(False, "XLA off: with mixed_bfloat16 on CPU it made BERT slower (0.57x of mixed_bfloat16 "
                             "alone, median of 3 rounds)"))))

for _name, _modality in (("digits", IMAGE), ("mnist", IMAGE), ("shapes", IMAGE), ("cifar10", IMAGE),
                         ("reviews", TEXT), ("rt_polarity", TEXT)):
    register_dataset(DataSet(_name, _modality))
del _name, _modality

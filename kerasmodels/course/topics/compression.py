"""Making trained models small (模型压缩): magnitude pruning, int8 quantization, distillation.

Three ideas, three tools:

- **Pruning** (剪枝): set the weights with the smallest magnitude to zero
  (`prune_by_magnitude`) and keep them at zero while fine-tuning
  (`KeepPruned`). Zeros make a file compress well; they make a dense
  matrix product no faster.
- **Quantization** (量化): store each weight as an 8-bit integer times a
  float scale (`quantize_symmetric`), four times smaller than float32.
  Keras does it with `model.quantize("int8")`; `to_tflite` converts a model
  to TensorFlow Lite with dynamic-range or full-integer quantization, and
  `TFLiteClassifier` runs the result.
- **Distillation** (知识蒸馏): a small student learns from a large
  teacher's softened outputs (`Distiller`).

Helpers measure what matters: `kernel_sparsity`, `weight_bytes`,
`saved_size` (stored weights, raw and gzipped) and `latency`.

Everything except the TensorFlow Lite functions runs on any Keras backend.

Example:

```python
import numpy as np
import keras
from kerasmodels.course.topics import compression

model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(2)])
masks = compression.prune_by_magnitude(model, 0.5)
compression.kernel_sparsity(model)          # 0.5
q, scale = compression.quantize_symmetric(np.array([0.5, -1.0, 0.25]))
compression.dequantize(q, scale)            # close to the original
```
"""

import gzip
import os
import tempfile
import time

import keras
import numpy as np
from keras import ops

from kerasmodels.paths import atomic_write_bytes


def prunable_layers(model):
    """The layers whose `kernel` pruning applies to (Dense, convolutions, ...), in model order."""
    found = []
    for layer in _all_layers(model):
        kernel = getattr(layer, "kernel", None)
        if kernel is not None and len(kernel.shape) >= 2 and kernel.dtype.startswith("float"):
            found.append(layer)
    return found


PRUNING_SCOPES = ("global", "layer")


def magnitude_masks(model, sparsity, scope="global"):
    """Masks that drop the `sparsity` fraction of smallest-magnitude kernel weights.

    Args:
        model: a built Keras model.
        sparsity: fraction of weights set to zero, in [0, 1).
        scope: "global" ranks all kernels' weights together, so each layer loses the share of
            its weights that falls below one common threshold (layers whose weights are
            smaller lose more); "layer" removes the same fraction from every kernel.

    Returns:
        {layer name: float32 mask of the kernel's shape}, 1 = kept, 0 = pruned.
    """
    if not isinstance(sparsity, (int, float)) or not 0 <= sparsity < 1:
        raise ValueError(f"sparsity={sparsity!r}: expected a fraction in [0, 1), e.g. sparsity=0.8 "
                         "to remove 80% of the weights")
    if scope not in PRUNING_SCOPES:
        raise ValueError(f"scope={scope!r}: expected one of {PRUNING_SCOPES}")
    layers = prunable_layers(model)
    if not layers:
        raise ValueError(f"model {model.name!r} has no layer with a float kernel (Dense, Conv) to prune")
    magnitudes = [np.abs(ops.convert_to_numpy(layer.kernel)).ravel() for layer in layers]
    groups = [np.concatenate(magnitudes)] if scope == "global" else magnitudes
    flat_masks = []
    for weights in groups:
        num_pruned = int(round(sparsity * weights.size))
        mask = np.ones(weights.size, dtype="float32")
        # A stable sort breaks ties between equal magnitudes the same way on every run.
        mask[np.argsort(weights, kind="stable")[:num_pruned]] = 0.0
        flat_masks.append(mask)
    if scope == "global":
        flat_masks = np.split(flat_masks[0], np.cumsum([m.size for m in magnitudes])[:-1])
    return {layer.name: mask.reshape(layer.kernel.shape) for layer, mask in zip(layers, flat_masks)}


def apply_masks(model, masks):
    """Multiply every masked kernel by its mask (in place)."""
    layers = {layer.name: layer for layer in prunable_layers(model)}
    for name, mask in masks.items():
        if name not in layers:
            raise ValueError(f"apply_masks: the model has no prunable layer {name!r}; it has {sorted(layers)}")
        kernel = layers[name].kernel
        kernel.assign(ops.convert_to_numpy(kernel) * mask)


def prune_by_magnitude(model, sparsity, scope="global"):
    """Zero the smallest-magnitude `sparsity` fraction of the kernel weights, in place; return the masks.

    See `magnitude_masks` for `scope`.

    Example:

    ```python
    masks = prune_by_magnitude(model, 0.8)
    model.fit(x, y, callbacks=[KeepPruned(masks)])  # fine-tune, pruned weights stay 0
    ```
    """
    masks = magnitude_masks(model, sparsity, scope)
    apply_masks(model, masks)
    return masks


class KeepPruned(keras.callbacks.Callback):
    """Re-applies pruning masks after every training batch, so pruned weights stay zero while fine-tuning.

    Args:
        masks: the dict returned by `prune_by_magnitude` or `magnitude_masks`.
    """

    def __init__(self, masks):
        super().__init__()
        self.masks = masks
        self._pairs = None

    def on_train_begin(self, logs=None):
        apply_masks(self.model, self.masks)
        layers = {layer.name: layer for layer in prunable_layers(self.model)}
        self._pairs = [(layers[name].kernel, ops.convert_to_tensor(mask, dtype=layers[name].kernel.dtype))
                       for name, mask in self.masks.items()]

    def on_train_batch_end(self, batch, logs=None):
        # On JAX, fit() keeps the weights outside the variables during an epoch; reading
        # `self.model` writes them back first, and the next step starts from the masked values.
        self.model  # noqa: B018
        for kernel, mask in self._pairs:
            kernel.assign(kernel * mask)


def kernel_sparsity(model):
    """Fraction of exactly-zero weights over all prunable kernels of `model`."""
    total = zeros = 0
    for layer in prunable_layers(model):
        kernel = ops.convert_to_numpy(layer.kernel)
        total += kernel.size
        zeros += int(np.count_nonzero(kernel == 0))
    return zeros / total if total else 0.0


def layer_sparsity(model):
    """Per prunable layer: {layer name: (fraction of its kernel exactly zero, kernel size)}, in layer order."""
    result = {}
    for layer in prunable_layers(model):
        kernel = ops.convert_to_numpy(layer.kernel)
        result[layer.name] = (float(np.count_nonzero(kernel == 0)) / kernel.size, int(kernel.size))
    return result


def quantize_symmetric(weights, bits=8, axis=None):
    """Symmetric linear quantization: weights ≈ q * scale with q an integer in [-(2^(b-1) - 1), 2^(b-1) - 1].

    Args:
        weights: a float array.
        bits: bits per integer (2-8).
        axis: None for one scale for the whole tensor, or the axis that keeps one scale
            per slice (e.g. -1: one scale per output channel of a kernel).

    Returns:
        (q, scale): q as int8, scale as float32 (a scalar, or an array broadcastable to weights).
    """
    if not isinstance(bits, int) or not 2 <= bits <= 8:
        raise ValueError(f"bits={bits!r}: expected an integer from 2 to 8")
    weights = np.asarray(weights, dtype="float32")
    levels = 2 ** (bits - 1) - 1
    if axis is None:
        max_abs = np.max(np.abs(weights)) if weights.size else 0.0
    else:
        reduce = tuple(i for i in range(weights.ndim) if i != axis % weights.ndim)
        max_abs = np.max(np.abs(weights), axis=reduce, keepdims=True)
    scale = np.where(max_abs > 0, max_abs / levels, 1.0).astype("float32")
    q = np.clip(np.round(weights / scale), -levels, levels).astype("int8")
    return q, scale


def dequantize(q, scale):
    """Back from integers to floats: q * scale."""
    return np.asarray(q, dtype="float32") * np.asarray(scale, dtype="float32")


def weight_bytes(model):
    """Bytes of all the model's weights as stored in memory (int8 weights count 1 byte each)."""
    total = 0
    for variable in model.weights:
        total += int(np.prod(variable.shape)) * np.dtype(variable.dtype).itemsize
    return total


def saved_size(model):
    """Bytes needed to store the model's weights, raw and gzip-compressed.

    The raw size is every weight array in its stored dtype, back to back (what a weights
    file holds, without a file format's overhead or an optimizer's state); the gzip size
    shows what a compressor makes of it, e.g. of the zeros left by pruning.

    Returns:
        {"bytes": raw size, "gzip_bytes": size after gzip -9}.
    """
    data = b"".join(np.ascontiguousarray(ops.convert_to_numpy(v)).tobytes() for v in model.weights)
    return {"bytes": len(data), "gzip_bytes": len(gzip.compress(data, compresslevel=9, mtime=0))}


def latency(predict, x, repeats=20, warmup=3):
    """Best wall time in seconds of `predict(x)` over `repeats` calls, after `warmup` calls.

    The minimum, not the mean: on a shared machine every other process can only add time,
    so the fastest run is the most reproducible estimate of what the model itself costs.

    Args:
        predict: a callable, e.g. `model.predict_on_batch` or `TFLiteClassifier.predict`.
        x: its input.
        repeats: timed calls.
        warmup: untimed calls first (compilation, memory allocation).
    """
    if repeats < 1:
        raise ValueError(f"repeats={repeats!r}: expected at least 1")
    for _ in range(warmup):
        ops.convert_to_numpy(predict(x))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        ops.convert_to_numpy(predict(x))
        best = min(best, time.perf_counter() - start)
    return best


def latencies(predicts, x, rounds=20, warmup=3, clock=time.perf_counter):
    """Best wall time in seconds of each callable in `predicts` on `x`, timed in turns.

    One call of each per round, `rounds` rounds, every other round in reverse order: a burst of
    background load then slows every model alike instead of whichever happened to be timed
    during it, so the models can be compared with each other. The minimum over rounds, as in
    `latency`.

    Args:
        predicts: {name: callable}, e.g. {"teacher": teacher.predict_on_batch, ...}.
        x: the input every callable gets.
        rounds: timed calls of each.
        warmup: untimed calls of each first.
        clock: `time.perf_counter` (wall time, what a user waits) or `time.process_time`
            (CPU time of this process, all threads: the work done, which other programs on a
            busy machine inflate much less).

    Returns:
        {name: seconds}, in the order of `predicts`.
    """
    if rounds < 1:
        raise ValueError(f"rounds={rounds!r}: expected at least 1")
    for predict in predicts.values():
        for _ in range(warmup):
            ops.convert_to_numpy(predict(x))
    best = dict.fromkeys(predicts, float("inf"))
    for turn in range(rounds):
        # Every other round in reverse order: no model is always the one timed right after another.
        for name, predict in list(predicts.items())[:: 1 if turn % 2 == 0 else -1]:
            start = clock()
            ops.convert_to_numpy(predict(x))
            best[name] = min(best[name], clock() - start)
    return best


@keras.saving.register_keras_serializable(package="kerasmodels")
class Distiller(keras.Model):
    """Knowledge distillation: train `student` on the labels and on `teacher`'s softened outputs.

    Loss = alpha · CE(labels, student) + (1 - alpha) · T² · KL(softmax(teacher / T) ‖ softmax(student / T)).
    The temperature T > 1 softens both distributions so the student also learns how the
    teacher ranks the wrong classes ("a 7 looks more like a 1 than like a 0"); the factor
    T² keeps that term's gradients comparable as T changes (Hinton et al., 2015). The
    teacher is frozen. Both models output logits. Calling the Distiller calls the student.

    Args:
        student: the small model being trained.
        teacher: the trained large model.
        temperature: T, the softening temperature.
        alpha: weight of the ordinary label loss, in [0, 1].

    Example:

    ```python
    from kerasmodels.models import compile_model, mlp

    teacher = compile_model(mlp((8, 8), 10, hidden_units=(64, 64)))
    teacher.fit(x, y, epochs=3, verbose=0)
    student = mlp((8, 8), 10, hidden_units=(16,))
    distiller = Distiller(student, teacher, temperature=2.0, alpha=0.5)
    distiller.compile(optimizer="adam", metrics=["accuracy"])
    distiller.fit(x, y, epochs=3, verbose=0)
    ```
    """

    def __init__(self, student, teacher, temperature=2.0, alpha=0.5, **kwargs):
        super().__init__(**kwargs)
        if temperature <= 0:
            raise ValueError(f"Distiller: temperature={temperature!r} must be positive; 2 to 10 are usual")
        if not 0 <= alpha <= 1:
            raise ValueError(f"Distiller: alpha={alpha!r} must be in [0, 1] (weight of the label loss)")
        self.student = student
        self.teacher = teacher
        self.teacher.trainable = False
        self.temperature = float(temperature)
        self.alpha = float(alpha)
        self.label_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def call(self, x, training=False):
        return self.student(x, training=training)

    def compile(self, optimizer="adam", metrics=None, **kwargs):
        if "loss" in kwargs:
            raise ValueError("Distiller.compile: the loss is fixed (labels + teacher); leave out loss=")
        super().compile(optimizer=optimizer, metrics=metrics, **kwargs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        teacher_logits = self.teacher(x, training=False)
        t = self.temperature
        soft_teacher = ops.softmax(teacher_logits / t, axis=-1)
        log_soft_student = ops.log_softmax(y_pred / t, axis=-1)
        log_soft_teacher = ops.log_softmax(teacher_logits / t, axis=-1)
        kl = ops.mean(ops.sum(soft_teacher * (log_soft_teacher - log_soft_student), axis=-1))
        return self.alpha * self.label_loss(y, y_pred) + (1.0 - self.alpha) * t * t * kl

    def get_config(self):
        config = super().get_config()
        config.update({
            "student": keras.saving.serialize_keras_object(self.student),
            "teacher": keras.saving.serialize_keras_object(self.teacher),
            "temperature": self.temperature,
            "alpha": self.alpha,
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["student"] = keras.saving.deserialize_keras_object(config["student"])
        config["teacher"] = keras.saving.deserialize_keras_object(config["teacher"])
        return cls(**config)


TFLITE_QUANTIZATIONS = (None, "dynamic", "int8")


def to_tflite(model, quantization=None, representative_data=None, path=None):
    """Convert a Keras model to TensorFlow Lite through a SavedModel (TensorFlow only).

    Args:
        model: a Keras model with a fixed input shape.
        quantization: None (float32), "dynamic" (int8 weights, float activations: no data
            needed) or "int8" (weights and activations int8, int8 input and output: needs
            `representative_data` to calibrate the activations' ranges).
        representative_data: array of a few hundred typical inputs, for "int8".
        path: optional `.tflite` file to write (atomically).

    Returns:
        The `.tflite` flatbuffer as bytes.
    """
    import tensorflow as tf

    if quantization not in TFLITE_QUANTIZATIONS:
        raise ValueError(f"to_tflite: quantization={quantization!r}; use one of {TFLITE_QUANTIZATIONS}")
    if quantization == "int8" and representative_data is None:
        raise ValueError("to_tflite: quantization='int8' needs representative_data=x_train[:200] to measure the "
                         "range of every activation")
    with tempfile.TemporaryDirectory() as tmp:
        saved_model = os.path.join(tmp, "saved_model")
        _quietly(model.export, saved_model, format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
        if quantization:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantization == "int8":
            samples = np.asarray(representative_data, dtype="float32")

            def representative_dataset():
                for i in range(len(samples)):
                    yield [samples[i : i + 1]]

            converter.representative_dataset = representative_dataset
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
        flatbuffer = _quietly(converter.convert)
    if path:
        atomic_write_bytes(path, flatbuffer)
    return flatbuffer


class TFLiteClassifier:
    """Runs a `.tflite` model on NumPy batches, quantizing int8 inputs and dequantizing outputs.

    Args:
        flatbuffer: the bytes returned by `to_tflite` (or read from a .tflite file).
        num_threads: CPU threads the interpreter may use.
    """

    def __init__(self, flatbuffer, num_threads=None):
        import tensorflow as tf

        self.flatbuffer = bytes(flatbuffer)
        self.interpreter = _quietly(tf.lite.Interpreter, model_content=self.flatbuffer, num_threads=num_threads)
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self._batch = None

    @property
    def size_bytes(self):
        return len(self.flatbuffer)

    def predict(self, x):
        """Output (logits) for the batch `x` as float32."""
        x = np.asarray(x, dtype="float32")
        if self._batch != len(x):
            shape = [len(x)] + list(self.input["shape"][1:])
            self.interpreter.resize_tensor_input(self.input["index"], shape)
            _quietly(self.interpreter.allocate_tensors)
            self._batch = len(x)
        scale, zero_point = self.input["quantization"]
        if self.input["dtype"] == np.int8:
            x = np.clip(np.round(x / scale + zero_point), -128, 127).astype(np.int8)
        self.interpreter.set_tensor(self.input["index"], x)
        self.interpreter.invoke()
        out = self.interpreter.get_tensor(self.output["index"])
        scale, zero_point = self.output["quantization"]
        if self.output["dtype"] == np.int8:
            out = (out.astype("float32") - zero_point) * scale
        return out.astype("float32")


def _quietly(fn, *args, **kwargs):
    # The exporter, converter and interpreter print pages of Python and C++ logs that hide a
    # lesson's output; errors still arrive as Python exceptions with their messages.
    import logging
    import sys
    import warnings

    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    tf_logger.setLevel(logging.ERROR)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved + [devnull]:
            os.close(fd)
        tf_logger.setLevel(level)


def _all_layers(model):
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.Model) or hasattr(layer, "layers"):
            layers.extend(_all_layers(layer))
        else:
            layers.append(layer)
    return layers

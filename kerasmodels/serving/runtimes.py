"""The three ways a trained model reaches a server: a `.keras` file, a SavedModel, an ONNX file.

A *runtime* is what `Predictor` calls to get outputs; it knows the model's name, its one
input (name, shape without the batch axis, dtype) and whether the last layer already
applies softmax/sigmoid. `load_runtime(path)` picks one from the path:

| path | runtime | needs |
|---|---|---|
| `model.keras` | `KerasRuntime` (Keras 3, any backend) | keras |
| a folder with `saved_model.pb` (`model.export(path)`) | `SavedModelRuntime` | tensorflow |
| `model.onnx` (`model.export(path, format="onnx")`) | `OnnxRuntime` (an onnxruntime `InferenceSession`) | onnxruntime |

Exporting to ONNX from the TensorFlow backend needs `tf2onnx` and `onnx` at export time
only; serving an `.onnx` file needs only `onnxruntime` (no TensorFlow in the server).

Example:

```python
import numpy as np
from kerasmodels.models import mlp
from kerasmodels.serving.runtimes import load_runtime

mlp((4,), 3).save("tiny.keras")
runtime = load_runtime("tiny.keras")
runtime.input_shape, runtime.input_dtype          # ((4,), 'float32')
runtime.predict(np.zeros((2, 4), "float32")).shape  # (2, 3)
```
"""

from pathlib import Path

import numpy as np

from kerasmodels.errors import DamagedFileError, KerasmodelsError

PROBABILITY_OPS = ("softmax", "sigmoid")


class KerasRuntime:
    """A loaded Keras model (tensor input, or raw strings for a keras-hub text classifier)."""

    platform = "keras"

    def __init__(self, model):
        self.model = model
        self.name = model.name
        if getattr(model, "preprocessor", None) is not None:
            self.input_name, self.input_shape, self.input_dtype = "text", (), "string"
        else:
            inputs = getattr(model, "inputs", None)
            if not inputs or len(inputs) != 1:
                raise KerasmodelsError(
                    f"model {model.name!r} has {len(inputs) if inputs else 0} inputs; the service serves models with "
                    "exactly one input (an image or feature tensor) or text classifiers with a preprocessor")
            spec = inputs[0]
            self.input_name = getattr(spec, "name", None) or "input"
            self.input_shape, self.input_dtype = tuple(spec.shape[1:]), str(spec.dtype)
        activation = getattr(model, "activation", None)
        if activation is None and getattr(model, "layers", None):
            activation = getattr(model.layers[-1], "activation", None)
        name = getattr(activation, "__name__", str(activation))
        self.outputs = "probabilities" if name in PROBABILITY_OPS else "logits"

    def predict(self, batch):
        if self.input_dtype == "string" and getattr(self.model, "preprocessor", None) is None:
            batch = np.asarray(batch, dtype=str)  # a plain Keras string input wants an array, not a list
        return np.asarray(self.model.predict_on_batch(batch))


class OnnxRuntime:
    """An `.onnx` file run by onnxruntime on the CPU: no TensorFlow, no Keras needed to serve."""

    platform = "onnxruntime_onnx"

    def __init__(self, path, threads=None):
        try:
            import onnxruntime
        except ImportError:
            raise KerasmodelsError(f"{path} is an ONNX model; serving it needs onnxruntime: pip install onnxruntime")
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = int(threads)
        try:
            self.model = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own exception types for bad files
            raise KerasmodelsError(f"onnxruntime cannot load {path}: {str(error).splitlines()[0][:300]}")
        inputs = self.model.get_inputs()
        if len(inputs) != 1:
            raise KerasmodelsError(_several_inputs(path, [i.name for i in inputs]))
        spec = inputs[0]
        self.name = Path(path).stem
        self.input_name = spec.name
        self.input_shape = tuple(d if isinstance(d, int) else None for d in spec.shape[1:])
        self.input_dtype = {"tensor(float)": "float32", "tensor(double)": "float64", "tensor(float16)": "float16",
                            "tensor(int64)": "int64", "tensor(int32)": "int32",
                            "tensor(string)": "string"}.get(spec.type, spec.type)
        self._numpy_dtype = None if self.input_dtype == "string" else np.dtype(self.input_dtype)
        self.outputs = _onnx_last_op_outputs(path)

    def predict(self, batch):
        batch = np.asarray(batch, dtype=object if self._numpy_dtype is None else self._numpy_dtype)
        return np.asarray(self.model.run(None, {self.input_name: batch})[0])


def _several_inputs(path, names):
    text = {"token_ids", "padding_mask"} <= set(names)
    return (f"{path} takes {len(names)} inputs {names}; the service serves models with exactly one"
            + ("; this is a text classifier exported without its tokenizer (the export holds the network from "
               "token ids on, not the keras-hub preprocessor): serve the .keras file, which tokenizes raw strings"
               if text else ""))


def _onnx_last_op_outputs(path):
    """'probabilities' when the graph's output comes from Softmax/Sigmoid (read with the onnx package if present)."""
    try:
        import onnx
    except ImportError:
        return "logits"
    graph = onnx.load(str(path), load_external_data=False).graph
    producers = {out: node for node in graph.node for out in node.output}
    node = producers.get(graph.output[0].name)
    while node is not None and node.op_type == "Identity":
        node = producers.get(node.input[0])
    return "probabilities" if node is not None and node.op_type.lower() in PROBABILITY_OPS else "logits"


class SavedModelRuntime:
    """A TensorFlow SavedModel folder, as written by `model.export(path)`, called through its `serve` endpoint."""

    platform = "tensorflow_savedmodel"

    def __init__(self, path):
        import tensorflow as tf

        self.model = tf.saved_model.load(str(path))
        serve = getattr(self.model, "serve", None)  # the endpoint model.export() writes
        functions = list(getattr(serve, "concrete_functions", []))
        function = functions[0] if functions else self.model.signatures.get("serving_default")
        if function is None:
            raise KerasmodelsError(f"{path} has no 'serve' endpoint or 'serving_default' signature to call")
        specs = [spec for spec in tf.nest.flatten(function.structured_input_signature)
                 if isinstance(spec, tf.TensorSpec)]
        if len(specs) != 1:
            raise KerasmodelsError(_several_inputs(path, [spec.name for spec in specs]))
        spec = specs[0]
        self._function = function
        self._tf = tf
        self.name = Path(path).name
        self.input_name = spec.name or "input"
        self.input_shape = tuple(spec.shape[1:])
        self.input_dtype = "string" if spec.dtype == tf.string else spec.dtype.name
        self.outputs = _saved_model_outputs(function)

    def predict(self, batch):
        dtype = self._tf.string if self.input_dtype == "string" else self.input_dtype
        result = self._function(self._tf.constant(batch, dtype=dtype))
        if isinstance(result, dict):
            result = next(iter(result.values()))
        return np.asarray(result)


def _saved_model_outputs(function):
    """'probabilities' when the serving graph ends in Softmax/Sigmoid (behind Identity ops)."""
    op = function.outputs[0].op
    while op.type == "Identity" and op.inputs:
        op = op.inputs[0].op
    return "probabilities" if op.type.lower() in PROBABILITY_OPS else "logits"


def is_runtime(obj):
    return isinstance(obj, (KerasRuntime, OnnxRuntime, SavedModelRuntime))


def load_runtime(path):
    """The runtime for a `.keras` file, a SavedModel folder or an `.onnx` file."""
    path = Path(path).expanduser()
    if path.suffix == ".onnx":
        if not path.is_file():
            raise KerasmodelsError(f"{path} does not exist; export one with model.export(path, format='onnx')")
        return OnnxRuntime(path)
    if path.is_dir():
        if not (path / "saved_model.pb").is_file():
            raise KerasmodelsError(f"{path} is a folder without saved_model.pb: not a SavedModel "
                                   "(write one with model.export(path))")
        try:
            return SavedModelRuntime(path)
        except KerasmodelsError:
            raise
        except Exception as error:  # TensorFlow's loader raises protobuf, OpError and OS errors for bad folders
            cause = " ".join(str(error).split())[:300] or type(error).__name__
            raise DamagedFileError(
                f"SavedModel folder {str(path)!r} cannot be loaded ({type(error).__name__}: {cause}); "
                "it is damaged or incomplete (a SavedModel needs saved_model.pb and its variables/ folder). "
                "Fix: export the model again with model.export(path).") from error
    from kerasmodels.models import load_model

    return KerasRuntime(load_model(path))  # checks the file and explains what is wrong with it

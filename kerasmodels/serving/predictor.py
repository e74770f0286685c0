"""Request validation and prediction for a served model, independent of any HTTP framework.

`Predictor(model)` reads what the model takes (a numeric tensor, e.g. an image, or raw
strings for a keras-hub text classifier), checks every instance of a request against it
(shape, dtype, finite values, range, batch size, string length) and raises
`RequestError(status, code, message)` for anything wrong, so that any server can turn it
into a 4xx answer. `model` is a Keras model or a runtime from
`kerasmodels.serving.runtimes` (SavedModel, ONNX). `probabilities` returns one row of
class probabilities per instance; `kerasmodels.serving.protocols` turns requests and
answers of the standard protocols into and out of these calls.

Example:

```python
from kerasmodels.models import mlp
from kerasmodels.serving.predictor import Predictor, RequestError

predictor = Predictor(mlp((4,), 3))
batch = predictor.validate_instances([[0.1, 0.2, 0.3, 0.4]])
predictor.probabilities(batch).shape             # (1, 3)
try:
    predictor.validate_instances([[0.1, 0.2]])
except RequestError as error:
    print(error.status, error.message)          # 400 each instance must have shape (4,) ...
```
"""

import json
import threading

import numpy as np

from kerasmodels.serving import drift
from kerasmodels.serving.runtimes import KerasRuntime, is_runtime

DEFAULT_MAX_BODY_BYTES = 2_000_000
DEFAULT_MAX_BATCH = 64
DEFAULT_MAX_TEXT_CHARS = 5_000
DEFAULT_MAX_REQUEST_CHARS = 20_000
DEFAULT_QUEUE_TIMEOUT_S = 5.0


class RequestError(Exception):
    """A client mistake (or a busy service): answered with `status` and a JSON error, never a traceback.

    Raised by `Predictor` (and the server's request handling) when a request cannot be answered:
    a wrong shape or type, too many instances, a busy model. The server turns it into an HTTP
    answer with that status and `{"error": message, "code": code}`.

    Args:
        status: the HTTP status to answer with (400 bad request, 413 too large, 503 busy, ...).
        code: a short machine-readable name of the mistake, e.g. "wrong_shape".
        message: one sentence for the client: what is wrong and how to fix it.

    Example:

    ```python
    >>> from kerasmodels.models import mlp
    >>> try:
    ...     Predictor(mlp((4,), 3)).validate_instances([[1, 2, 3]])
    ... except RequestError as error:
    ...     print(error.status, error.code, "-", error.message)
    400 wrong_shape - each instance must have shape (4,); got (3,).
    ```
    """

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = int(status), code, message


def reject_json_constant(name):
    raise RequestError(400, "non_finite_number",
                       f"the body contains {name}, which is not a number; send finite numbers only")


def parse_json(body):
    """The decoded JSON of a request body (bytes), or a RequestError naming what is wrong with it."""
    if not body.strip():
        raise RequestError(400, "empty_body", 'the body is empty; send JSON like {"instances": [...]}')
    try:
        return json.loads(body.decode("utf-8"), parse_constant=reject_json_constant)
    except UnicodeDecodeError:
        raise RequestError(400, "not_utf8", "the body is not UTF-8 text")
    except json.JSONDecodeError as error:
        raise RequestError(400, "not_json", f"the body is not valid JSON: {error.msg} at line {error.lineno}, "
                                            f"column {error.colno}")
    except RecursionError:
        raise RequestError(400, "too_deep", "the JSON is nested too deeply")
    except ValueError:  # an integer of more than 4,300 digits: Python refuses to convert it (it would take long)
        raise RequestError(400, "number_too_long", "the body contains an integer of thousands of digits; "
                                                   "send numbers of ordinary size")


def _shape_text(shape):
    return "(" + ", ".join("any" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


class Predictor:
    """Validates instances for one loaded model and turns its outputs into probabilities.

    Args:
        model: a loaded Keras model, or a runtime (`kerasmodels.serving.runtimes`).
        class_names: optional names of the classes, in output order.
        max_batch: most instances per request.
        max_text_chars: longest accepted string (text models).
        max_request_chars: most characters in all strings of one request (text models), so that
            one request cannot hold the model for seconds while others wait.
        value_range: (low, high) accepted for numeric inputs; "auto" means (0, 1)
            for image-shaped inputs (rank 2 or 3 per instance) and no check otherwise;
            None disables the check.
        outputs: "logits", "probabilities" or "auto" (read from the last activation).
        queue_timeout_s: how long a request waits for the model while another one uses it;
            after that it is answered 503 (busy, retry) instead of waiting without end.

    Raises:
        ValueError: `max_batch` below 1, or `outputs` not one of the three.

    Example:

    ```python
    >>> from kerasmodels.models import mlp
    >>> predictor = Predictor(mlp((4,), 3), class_names=["cat", "dog", "fox"])
    >>> batch = predictor.validate_instances([[0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 0.0, 1.0]])
    >>> probabilities = predictor.probabilities(batch)  # softmax of the model's logits
    >>> probabilities.shape, bool(abs(probabilities.sum(axis=1) - 1).max() < 1e-9)
    ((2, 3), True)
    >>> predictor.metadata()["output"]["class_names"]
    ['cat', 'dog', 'fox']
    ```
    """

    def __init__(self, model, class_names=None, max_batch=DEFAULT_MAX_BATCH,
                 max_text_chars=DEFAULT_MAX_TEXT_CHARS, value_range="auto", outputs="auto",
                 max_request_chars=DEFAULT_MAX_REQUEST_CHARS, queue_timeout_s=DEFAULT_QUEUE_TIMEOUT_S):
        self.runtime = model if is_runtime(model) else KerasRuntime(model)
        self.model = self.runtime.model
        self.name = self.runtime.name
        self.max_batch = int(max_batch)
        self.max_text_chars = int(max_text_chars)
        self.max_request_chars = int(max_request_chars)
        self.queue_timeout_s = float(queue_timeout_s)
        if self.max_batch < 1:
            raise ValueError(f"max_batch={max_batch!r}: must be at least 1")
        self.input_name, self.input_shape, self.input_dtype = (
            self.runtime.input_name, self.runtime.input_shape, self.runtime.input_dtype)
        self.kind = "text" if self.input_dtype == "string" else "tensor"
        if value_range == "auto":
            value_range = (0.0, 1.0) if self.kind == "tensor" and len(self.input_shape) in (2, 3) else None
        if value_range is not None:
            low, high = value_range
            value_range = (float(low), float(high))
        self.value_range = value_range
        if outputs == "auto":
            outputs = self.runtime.outputs
        if outputs not in ("logits", "probabilities"):
            raise ValueError(f"outputs={outputs!r}: use 'logits', 'probabilities' or 'auto'")
        self.outputs = outputs
        self.class_names = list(class_names) if class_names is not None else None
        self.feature_names = drift.TEXT_FEATURES if self.kind == "text" else drift.IMAGE_FEATURES
        self._lock = threading.Lock()
        self.num_classes = len(self.class_names) if self.class_names else None

    # -- validation ----------------------------------------------------------------------------

    def validate_instances(self, instances, where='"instances"'):
        """The batch to predict from a list of instances, or a RequestError saying what is wrong."""
        if not isinstance(instances, list):
            raise RequestError(400, "instances_not_a_list",
                               f"{where} must be a list of instances; got {type(instances).__name__}")
        if not instances:
            raise RequestError(400, "empty_instances", f"{where} is empty: send at least one instance")
        if len(instances) > self.max_batch:
            raise RequestError(413, "too_many_instances",
                               f"{where} has {len(instances)} items; at most {self.max_batch} per request. "
                               "Split the batch into several requests")
        return self._validate_texts(instances) if self.kind == "text" else self._validate_tensors(instances)

    def _validate_texts(self, instances):
        for i, text in enumerate(instances):
            if not isinstance(text, str):
                raise RequestError(400, "wrong_type",
                                   f"instance {i} is {type(text).__name__}; this text model takes strings")
            if not text.strip():
                raise RequestError(400, "empty_text", f"instance {i} is an empty string; send some text")
            if len(text) > self.max_text_chars:
                raise RequestError(413, "text_too_long",
                                   f"instance {i} has {len(text)} characters; at most {self.max_text_chars}")
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise RequestError(400, "invalid_unicode", f"instance {i} is not valid Unicode (lone surrogate)")
        total = sum(len(text) for text in instances)
        if total > self.max_request_chars:
            raise RequestError(413, "request_too_long",
                               f"the texts have {total} characters in all; at most {self.max_request_chars} per "
                               "request. Send fewer texts per request")
        return list(instances)

    def _validate_tensors(self, instances):
        expected = _shape_text(self.input_shape)
        try:
            batch = np.asarray(instances)
        except (ValueError, OverflowError):
            raise RequestError(400, "ragged_instances",
                               f"instances must be nested lists of numbers of the same shape {expected}; "
                               "these are ragged (rows of different lengths) or mix lists and numbers")
        if batch.dtype.kind == "b":
            raise RequestError(400, "wrong_dtype", "instances contain true/false; send numbers")
        if batch.dtype.kind not in "iuf":
            found = {"U": "strings", "S": "bytes", "O": "mixed or oversized values"}.get(batch.dtype.kind,
                                                                                       str(batch.dtype))
            raise RequestError(400, "wrong_dtype",
                               f"instances contain {found}; this model takes numbers ({self.input_dtype}) "
                               f"with shape {expected}")
        got = batch.shape[1:]
        if len(got) != len(self.input_shape) or any(e is not None and e != g for e, g in zip(self.input_shape, got)):
            hint = ""
            if len(got) + 1 == len(self.input_shape) and self.input_shape[-1] == 1:
                hint = " The channel axis is missing: wrap every pixel in a list, e.g. x[..., None] in NumPy."
            raise RequestError(400, "wrong_shape",
                               f"each instance must have shape {expected}; got {_shape_text(got)}.{hint}")
        batch = batch.astype(np.float64)
        if not np.all(np.isfinite(batch)):
            raise RequestError(400, "non_finite_number", "instances contain NaN or infinite values")
        if self.value_range is not None:
            low, high = self.value_range
            if batch.min() < low or batch.max() > high:
                raise RequestError(400, "out_of_range",
                                   f"values must lie in [{low:g}, {high:g}]; got min {batch.min():g}, "
                                   f"max {batch.max():g}. Scale pixels to [0, 1], e.g. x / 255")
        return batch.astype(self.input_dtype if self.input_dtype.startswith("float") else np.float32)

    # -- prediction ----------------------------------------------------------------------------

    def features(self, batch):
        """Per-instance summaries (N, 3) watched for drift."""
        return drift.text_features(batch) if self.kind == "text" else drift.image_features(batch)

    def probabilities(self, batch):
        """(N, classes) probabilities for a validated batch."""
        # One prediction at a time (the model's state is shared), and a bounded wait for it: a
        # request queued behind slow ones is told to retry instead of waiting without end.
        if not self._lock.acquire(timeout=self.queue_timeout_s):
            raise RequestError(503, "busy", f"the model has been busy for {self.queue_timeout_s:g} s with other "
                                            "requests; retry later")
        try:
            raw = self.runtime.predict(batch)
        finally:
            self._lock.release()
        raw = np.asarray(raw, dtype=np.float64)
        raw = raw.reshape(len(raw), -1)
        if raw.shape[1] == 1:
            p = raw[:, 0] if self.outputs == "probabilities" else 1.0 / (1.0 + np.exp(-raw[:, 0]))
            probs = np.stack([1.0 - p, p], axis=1)
        elif self.outputs == "probabilities":
            probs = raw
        else:
            shifted = np.exp(raw - raw.max(axis=1, keepdims=True))
            probs = shifted / shifted.sum(axis=1, keepdims=True)
        self.num_classes = probs.shape[1]
        return probs

    def example(self):
        """A valid instance (used to warm the model up and shown in /metadata)."""
        if self.kind == "text":
            return "a warm-up sentence"
        shape = tuple(1 if d is None else d for d in self.input_shape)
        low = self.value_range[0] if self.value_range else 0.0
        return np.full(shape, low, dtype=np.float32)

    def metadata(self):
        return {
            "model": self.name,
            "platform": self.runtime.platform,
            "kind": self.kind,
            "input": {"name": self.input_name, "shape": list(self.input_shape), "dtype": self.input_dtype,
                      "value_range": list(self.value_range) if self.value_range else None,
                      "max_text_chars": self.max_text_chars if self.kind == "text" else None},
            "output": {"model_outputs": self.outputs, "num_classes": self.num_classes,
                       "class_names": self.class_names,
                       "returns": "per instance: the probability of each class"},
            "limits": {"max_batch": self.max_batch,
                       "max_request_chars": self.max_request_chars if self.kind == "text" else None},
            "drift_features": list(self.feature_names),
        }

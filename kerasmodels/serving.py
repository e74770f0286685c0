"""A small, defensive HTTP prediction service for a saved Keras model.

`kerasmodels serve MODEL.keras` (or `serve(...)` from Python) loads a `.keras` file
and answers JSON over HTTP, using only the standard library's
`http.server.ThreadingHTTPServer`:

| method and path  | answer |
|---|---|
| `GET /health`    | `{"status": "ok"}` once the model is loaded and warmed up |
| `GET /metadata`  | model name, kind (image/tensor or text), input shape and dtype, outputs, limits |
| `POST /predict`  | `{"instances": [...]}` → `{"predictions": [{"class": k, "probabilities": [...]}, ...]}` |
| `GET /metrics`   | request counts by status, latency percentiles, throughput, input drift |

Two kinds of models are understood:

- *tensor* models with one numeric input, e.g. `kerasmodels.models.cnn`: every
  instance is a nested list with the model's input shape (without the batch axis);
  values must be finite numbers, and for images in [0, 1].
- *text* models that take raw strings, e.g. a keras-hub `BertTextClassifier` with its
  preprocessor (`kerasmodels.models.bert_classifier`): every instance is a non-empty
  string of at most `max_text_chars` characters.

Models may output logits (all kerasmodels factories do) or probabilities; the service
applies sigmoid/softmax only to logits.

Every bad request gets a 4xx JSON answer naming the problem, `{"error": {"code":
..., "message": ...}}`, never a traceback: a body larger than `max_body_bytes` is
refused with 413 from its Content-Length before it is read; missing length 411; not
JSON, NaN/Infinity, wrong shape, wrong type, out of range, empty or too many
instances 400 (too many: 413); unknown paths 404; wrong methods 405. The server binds
to 127.0.0.1 by default, so only this machine can reach it.

Example:

```python
import json, urllib.request
from kerasmodels.serving import make_server

import numpy as np

with make_server("cnn.keras") as server:  # port 0: a free port, served in a background thread
    body = json.dumps({"instances": np.zeros((1, 28, 28)).tolist()}).encode()
    request = urllib.request.Request(server.url + "/predict", data=body,
                                     headers={"Content-Type": "application/json"})
    print(json.load(urllib.request.urlopen(request)))
```
"""

import collections
import json
import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from kerasmodels import drift
from kerasmodels.errors import KerasmodelsError

DEFAULT_MAX_BODY_BYTES = 2_000_000
DEFAULT_MAX_BATCH = 64
DEFAULT_MAX_TEXT_CHARS = 5_000
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class RequestError(Exception):
    """A client mistake: answered with `status` and a JSON error, never a traceback."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = int(status), code, message


def _reject_constant(name):
    raise RequestError(400, "non_finite_number",
                       f"the body contains {name}, which is not a number; send finite numbers only")


def _shape_text(shape):
    return "(" + ", ".join("any" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


class Predictor:
    """Validates instances for one loaded model and turns its outputs into probabilities.

    Args:
        model: a loaded Keras model.
        class_names: optional names of the classes, in output order.
        max_batch: most instances per request.
        max_text_chars: longest accepted string (text models).
        value_range: (low, high) accepted for numeric inputs; "auto" means (0, 1)
            for image-shaped inputs (rank 2 or 3 per instance) and no check otherwise;
            None disables the check.
        outputs: "logits", "probabilities" or "auto" (read from the last activation).
    """

    def __init__(self, model, class_names=None, max_batch=DEFAULT_MAX_BATCH,
                 max_text_chars=DEFAULT_MAX_TEXT_CHARS, value_range="auto", outputs="auto"):
        self.model = model
        self.max_batch = int(max_batch)
        self.max_text_chars = int(max_text_chars)
        if self.max_batch < 1:
            raise ValueError(f"max_batch={max_batch!r}: must be at least 1")
        if getattr(model, "preprocessor", None) is not None:
            self.kind = "text"
            self.input_shape, self.input_dtype = (), "string"
        else:
            inputs = getattr(model, "inputs", None)
            if not inputs or len(inputs) != 1:
                raise KerasmodelsError(
                    f"model {model.name!r} has {len(inputs) if inputs else 0} inputs; the service serves models with "
                    "exactly one input (an image or feature tensor) or text classifiers with a preprocessor"
                )
            spec = inputs[0]
            self.input_shape = tuple(spec.shape[1:])
            self.input_dtype = str(spec.dtype)
            self.kind = "text" if self.input_dtype == "string" else "tensor"
        if value_range == "auto":
            value_range = (0.0, 1.0) if self.kind == "tensor" and len(self.input_shape) in (2, 3) else None
        if value_range is not None:
            low, high = value_range
            value_range = (float(low), float(high))
        self.value_range = value_range
        if outputs == "auto":
            activation = getattr(model, "activation", None)
            if activation is None and model.layers:
                activation = getattr(model.layers[-1], "activation", None)
            name = getattr(activation, "__name__", str(activation))
            outputs = "probabilities" if name in ("softmax", "sigmoid") else "logits"
        if outputs not in ("logits", "probabilities"):
            raise ValueError(f"outputs={outputs!r}: use 'logits', 'probabilities' or 'auto'")
        self.outputs = outputs
        self.class_names = list(class_names) if class_names is not None else None
        self.feature_names = drift.TEXT_FEATURES if self.kind == "text" else drift.IMAGE_FEATURES
        self._lock = threading.Lock()
        self.num_classes = None

    # -- validation ----------------------------------------------------------------------------

    def validate(self, payload):
        """The batch to predict from a decoded JSON payload, or a RequestError saying what is wrong."""
        if not isinstance(payload, dict) or "instances" not in payload:
            raise RequestError(400, "missing_instances",
                               'the body must be a JSON object like {"instances": [...]}; '
                               f"got {type(payload).__name__}" + (
                                   f" with keys {sorted(payload)[:5]}" if isinstance(payload, dict) else ""))
        instances = payload["instances"]
        if not isinstance(instances, list):
            raise RequestError(400, "instances_not_a_list",
                               f'"instances" must be a list of instances; got {type(instances).__name__}')
        if not instances:
            raise RequestError(400, "empty_instances", '"instances" is empty: send at least one instance')
        if len(instances) > self.max_batch:
            raise RequestError(413, "too_many_instances",
                               f'"instances" has {len(instances)} items; at most {self.max_batch} per request. '
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
        if self.kind == "text" and getattr(self.model, "preprocessor", None) is None:
            batch = np.asarray(batch, dtype=str)  # a plain Keras string input wants an array, not a list
        with self._lock:  # one prediction at a time: the model's state is shared by all threads
            raw = self.model.predict_on_batch(batch)
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

    def predict(self, batch):
        """JSON-ready predictions and the probabilities array."""
        probs = self.probabilities(batch)
        classes = probs.argmax(axis=1)
        predictions = []
        for k, p in zip(classes, probs):
            item = {"class": int(k), "probabilities": [round(float(v), 6) for v in p]}
            if self.class_names is not None and k < len(self.class_names):
                item["label"] = str(self.class_names[k])
            predictions.append(item)
        return predictions, probs

    def example(self):
        """A valid instance (used to warm the model up and shown in /metadata)."""
        if self.kind == "text":
            return "a warm-up sentence"
        shape = tuple(1 if d is None else d for d in self.input_shape)
        low = self.value_range[0] if self.value_range else 0.0
        return np.full(shape, low, dtype=np.float32)

    def metadata(self):
        return {
            "model": self.model.name,
            "kind": self.kind,
            "input": {"shape": [d for d in self.input_shape], "dtype": self.input_dtype,
                      "value_range": list(self.value_range) if self.value_range else None,
                      "max_text_chars": self.max_text_chars if self.kind == "text" else None},
            "output": {"model_outputs": self.outputs, "num_classes": self.num_classes,
                       "class_names": self.class_names,
                       "returns": "per instance: class (argmax) and probabilities"},
            "limits": {"max_batch": self.max_batch},
            "drift_features": list(self.feature_names),
        }


class ServiceStats:
    """Request counters and a bounded window of latencies, shared by the handler threads."""

    def __init__(self, window=10_000):
        self._lock = threading.Lock()
        self._latencies = collections.deque(maxlen=window)
        self.by_status = collections.Counter()
        self.by_path = collections.Counter()
        self.instances = 0
        self.started = time.time()

    def record(self, path, status, seconds, instances=0):
        with self._lock:
            self.by_status[str(status)] += 1
            self.by_path[path] += 1
            self.instances += instances
            if path == "/predict" and status == 200:
                self._latencies.append(seconds)

    def snapshot(self):
        with self._lock:
            latencies = np.asarray(self._latencies) * 1000.0
            total = sum(self.by_status.values())
            out = {"requests": {"total": total, "by_status": dict(self.by_status), "by_path": dict(self.by_path)},
                   "instances_predicted": self.instances, "uptime_s": round(time.time() - self.started, 2)}
        if latencies.size:
            out["predict_latency_ms"] = {
                "count": int(latencies.size), "mean": round(float(latencies.mean()), 3),
                **{f"p{q}": round(float(np.percentile(latencies, q)), 3) for q in (50, 90, 99)},
                "max": round(float(latencies.max()), 3)}
        return out


class _Handler(BaseHTTPRequestHandler):
    server_version = "kerasmodels-serve/1"
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.0"  # garbled request lines still get status line and headers
    timeout = 15  # seconds a client may take to send its request: a slow client cannot hold a thread forever

    def setup(self):
        super().setup()
        # Answers are written as headers then body; without TCP_NODELAY, Nagle's algorithm and the
        # client's delayed ACK add about 40 ms to every response.
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        if self.server.log_requests:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def send_error(self, code, message=None, explain=None):
        """Errors raised by http.server itself (bad request line, oversized headers) also answer JSON."""
        self.close_connection = True
        self._send_json(code, {"error": {"code": HTTPStatus(code).phrase.lower().replace(" ", "_"),
                                         "message": message or HTTPStatus(code).description}})

    def _send_json(self, status, payload):
        body = json.dumps(payload).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client left; nothing to answer
            self.close_connection = True

    def _answer(self, handler):
        started = time.perf_counter()
        path = urlsplit(self.path).path.rstrip("/") or "/"
        status, instances = 500, 0
        try:
            status, payload, instances = handler(path)
        except RequestError as error:
            status, payload = error.status, {"error": {"code": error.code, "message": error.message}}
        except Exception as error:  # a bug or a model failure: log it here, answer without a traceback
            sys.stderr.write(f"kerasmodels serve: internal error on {self.command} {path}: "
                             f"{type(error).__name__}: {error}\n")
            status, payload = 500, {"error": {"code": "internal_error",
                                              "message": "the model failed on this request; see the server log"}}
        self._send_json(status, payload)
        self.server.stats.record(path, status, time.perf_counter() - started, instances)
        self._discard_unread_body()

    def _discard_unread_body(self, limit=16 * 2**20, seconds=2.0):
        """After refusing an oversized body, swallow (never store) what the client still sends, briefly.

        Closing a socket with unread data makes the kernel send a reset, and the client may then
        lose the 413 answer it was about to read. Reading and dropping at most `limit` bytes for
        at most `seconds` lets the answer arrive without letting a client hold the thread.
        """
        remaining = min(getattr(self, "_unread", 0), limit)
        self._unread = 0
        deadline = time.monotonic() + seconds
        try:
            self.connection.settimeout(0.2)
            while remaining > 0 and time.monotonic() < deadline:
                chunk = self.rfile.read1(min(remaining, 65536)) if hasattr(self.rfile, "read1") else b""
                if not chunk:
                    break
                remaining -= len(chunk)
        except OSError:
            pass

    def do_GET(self):  # noqa: N802 - http.server's naming
        self._answer(self._get)

    def do_HEAD(self):  # noqa: N802
        self._answer(self._get)

    def do_POST(self):  # noqa: N802
        self._answer(self._post)

    def _method_not_allowed(self):
        self.close_connection = True  # a body may follow that is never read
        self._answer(self._reject_method)

    def _reject_method(self, path):
        raise RequestError(405, "method_not_allowed", f"{self.command} is not supported; use GET /health, /metadata, "
                                                      "/metrics or POST /predict")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _method_not_allowed  # noqa: N815

    def _get(self, path):
        server = self.server
        if path == "/health":
            return 200, {"status": "ok", "model": server.predictor.model.name}, 0
        if path == "/metadata":
            return 200, server.predictor.metadata(), 0
        if path == "/metrics":
            return 200, {**server.stats.snapshot(), "drift": server.drift.report()}, 0
        if path == "/predict":
            raise RequestError(405, "method_not_allowed", 'use POST /predict with a JSON body {"instances": [...]}')
        raise RequestError(404, "not_found", f"no endpoint {path!r}; endpoints: GET /health, /metadata, /metrics, "
                                             "POST /predict")

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise RequestError(411, "length_required", "chunked bodies are not accepted; send a Content-Length")
        length = self.headers.get("Content-Length")
        if length is None:
            self.close_connection = True
            raise RequestError(411, "length_required", "the request has no Content-Length header")
        try:
            length = int(length)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            raise RequestError(400, "bad_content_length", f"Content-Length {self.headers.get('Content-Length')!r} "
                                                          "is not a non-negative integer")
        if length > self.server.max_body_bytes:
            self.close_connection = True  # the body is never read: the connection cannot be reused
            self._unread = length
            raise RequestError(413, "body_too_large",
                               f"the body has {length} bytes; at most {self.server.max_body_bytes}. "
                               "Send fewer instances per request")
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            self.close_connection = True
            raise RequestError(400, "incomplete_body", f"expected {length} bytes, received {len(body)}")
        return body

    def _post(self, path):
        if path != "/predict":
            self.close_connection = True
            if path in ("/health", "/metadata", "/metrics"):
                raise RequestError(405, "method_not_allowed", f"use GET {path}")
            raise RequestError(404, "not_found", f"no endpoint {path!r}; POST goes to /predict")
        body = self._read_body()
        content_type = self.headers.get("Content-Type", "application/json").split(";")[0].strip().lower()
        if content_type not in ("application/json", "text/json", ""):
            raise RequestError(415, "unsupported_media_type",
                               f"Content-Type {content_type!r}: send application/json")
        if not body.strip():
            raise RequestError(400, "empty_body", 'the body is empty; send JSON like {"instances": [...]}')
        try:
            payload = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
        except UnicodeDecodeError:
            raise RequestError(400, "not_utf8", "the body is not UTF-8 text")
        except json.JSONDecodeError as error:
            raise RequestError(400, "not_json", f"the body is not valid JSON: {error.msg} at line {error.lineno}, "
                                                f"column {error.colno}")
        except RecursionError:
            raise RequestError(400, "too_deep", "the JSON is nested too deeply")
        predictor = self.server.predictor
        batch = predictor.validate(payload)
        predictions, probs = predictor.predict(batch)
        features = predictor.features(batch)
        self.server.drift.update(np.concatenate([features, probs.max(axis=1, keepdims=True)], axis=1))
        return 200, {"predictions": predictions, "model": predictor.model.name}, len(predictions)


class PredictionServer(ThreadingHTTPServer):
    """The HTTP server; `make_server` builds one. Use `start()`/`stop()` or `with` for a background thread.

    Attributes:
        predictor: the `Predictor` (model, validation, output handling).
        stats: `ServiceStats`.
        drift: `kerasmodels.drift.DriftMonitor` over the input summaries and the model's confidence.
        url: "http://host:port".
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, predictor, max_body_bytes, drift_monitor, log_requests=False):
        self.predictor = predictor
        self.max_body_bytes = int(max_body_bytes)
        self.stats = ServiceStats()
        self.drift = drift_monitor
        self.log_requests = log_requests
        self._thread = None
        super().__init__(address, _Handler)

    @property
    def url(self):
        host, port = self.server_address[:2]
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}"

    def start(self):
        """Serve in a daemon thread and return self (for notebooks and tests)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                            name="kerasmodels-serve", daemon=True)
            self._thread.start()
        return self

    def stop(self):
        """Stop serving and close the socket."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def load_model(model_path):
    """Load a `.keras` file (keras-hub classes registered first), with a clear error when it is not one."""
    path = Path(model_path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"model file {str(model_path)!r} does not exist; pass the path of a saved .keras "
                                "file, e.g. from model.save('model.keras')")
    if path.suffix != ".keras":
        raise KerasmodelsError(f"model file {str(model_path)!r} is not a .keras file; save the model with "
                               "model.save('model.keras') (SavedModel folders and .h5 files are not served)")
    from kerasmodels.models import loading

    return loading.load_model(path)  # registers keras-hub's and kerasmodels' classes first


def make_server(model_path, host="127.0.0.1", port=0, max_body_bytes=DEFAULT_MAX_BODY_BYTES,
                max_batch=DEFAULT_MAX_BATCH, *, model=None, class_names=None, max_text_chars=DEFAULT_MAX_TEXT_CHARS,
                value_range="auto", outputs="auto", reference=None, drift_warmup=200, drift_window=500, drift_bins=10,
                warmup=True, log_requests=False):
    """Build (but do not start) the prediction server for a saved model.

    Args:
        model_path: path of a `.keras` file (ignored when `model` is given).
        host: address to bind; "127.0.0.1" (default) accepts only this machine.
        port: TCP port; 0 picks a free one (see `server.url`).
        max_body_bytes: larger bodies are refused (413) before they are read.
        max_batch: most instances per request (more: 413).
        model: an already loaded Keras model to serve instead of `model_path`.
        class_names: optional class names returned as "label".
        max_text_chars: longest string accepted by a text model.
        value_range: accepted range of numeric inputs; "auto": [0, 1] for images.
        outputs: "logits", "probabilities" or "auto".
        reference: optional instances (images or strings) the drift monitor compares
            against; without it the first `drift_warmup` instances served are the reference.
        drift_warmup, drift_window, drift_bins: sizes of the drift monitor's reference and
            recent window, and its PSI bins (see `kerasmodels.drift`: small windows need few bins).
        warmup: run one prediction before serving, so the first request is not slow.
        log_requests: print one line per request on stderr.

    Returns:
        A `PredictionServer`; call `.start()` (background) or `.serve_forever()`.
    """
    if int(max_body_bytes) < 64:
        raise ValueError(f"max_body_bytes={max_body_bytes!r}: must be at least 64 bytes")
    model = model if model is not None else load_model(model_path)
    predictor = Predictor(model, class_names=class_names, max_batch=max_batch, max_text_chars=max_text_chars,
                          value_range=value_range, outputs=outputs)
    if warmup:
        example = predictor.example()
        predictor.probabilities([example] if predictor.kind == "text" else example[None])
    names = list(predictor.feature_names) + ["confidence"]
    monitor = drift.DriftMonitor(names, warmup=drift_warmup, window=drift_window, bins=drift_bins)
    if reference is not None:
        rows = []
        for start in range(0, len(reference), predictor.max_batch):
            chunk = predictor.validate({"instances": list(reference[start:start + predictor.max_batch])})
            probs = predictor.probabilities(chunk)
            rows.append(np.concatenate([predictor.features(chunk), probs.max(axis=1, keepdims=True)], axis=1))
        monitor.set_reference(np.concatenate(rows))
    try:
        return PredictionServer((host, int(port)), predictor, max_body_bytes, monitor, log_requests=log_requests)
    except OSError as error:
        raise KerasmodelsError(f"cannot listen on {host}:{port}: {error.strerror or error}. "
                               "Pick another --port, or 0 for any free port") from None


def serve(model_path, host="127.0.0.1", port=8000, max_body_bytes=DEFAULT_MAX_BODY_BYTES, **kwargs):
    """Serve `model_path` until interrupted (Ctrl-C). Keyword arguments as in `make_server`.

    Example (a terminal):

        kerasmodels serve runs/cnn.keras --port 8000
        curl -s localhost:8000/metadata
    """
    server = make_server(model_path, host=host, port=port, max_body_bytes=max_body_bytes,
                         log_requests=kwargs.pop("log_requests", True), **kwargs)
    if host not in LOOPBACK_HOSTS:
        print(f"WARNING: listening on {host}: other machines can reach this service. It has no authentication.",
              file=sys.stderr)
    meta = server.predictor.metadata()
    print(f"serving {meta['model']} ({meta['kind']}, input {meta['input']['shape']} {meta['input']['dtype']}) "
          f"at {server.url}  endpoints: GET /health /metadata /metrics, POST /predict. Ctrl-C stops.", flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


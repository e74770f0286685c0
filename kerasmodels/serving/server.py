"""A small, defensive HTTP prediction service for a saved Keras model.

`kerasmodels serve MODEL.keras` (or `serve(...)` from Python) loads a `.keras` file
and answers JSON over HTTP, using only the standard library's
`http.server.ThreadingHTTPServer`; request validation and prediction are in
`kerasmodels.serving.predictor`:

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
import json
import urllib.request

import numpy as np

from kerasmodels.models import cnn
from kerasmodels.serving import make_server

cnn((28, 28), 10).save("cnn.keras")
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
from urllib.parse import urlsplit

import numpy as np

from kerasmodels.errors import KerasmodelsError
from kerasmodels.models import load_model
from kerasmodels.serving import drift
from kerasmodels.serving.predictor import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_TEXT_CHARS,
    Predictor,
    RequestError,
    reject_json_constant,
)

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


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
            payload = json.loads(body.decode("utf-8"), parse_constant=reject_json_constant)
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
        drift: `kerasmodels.serving.drift.DriftMonitor` over the input summaries and the model's confidence.
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
            recent window, and its PSI bins (see `kerasmodels.serving.drift`: small windows need few bins).
        warmup: run one prediction before serving, so the first request is not slow.
        log_requests: print one line per request on stderr.

    Returns:
        A `PredictionServer`; call `.start()` (background) or `.serve_forever()`.
    """
    if int(max_body_bytes) < 64:
        raise ValueError(f"max_body_bytes={max_body_bytes!r}: must be at least 64 bytes")
    model = model if model is not None else load_model(model_path)  # checks the file, registers classes
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


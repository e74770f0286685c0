"""The HTTP prediction service: standard protocols on Starlette and uvicorn.

`kerasmodels serve MODEL` (or `serve(...)` / `make_server(...)` from Python) serves a
`.keras` file, a SavedModel folder or an `.onnx` file (run by onnxruntime). The HTTP
layer is Starlette on uvicorn, the ASGI server much of the Python ecosystem deploys
with; request validation and the protocols are plain functions in
`kerasmodels.serving.predictor` and `kerasmodels.serving.protocols`.

| method and path | answer |
|---|---|
| `GET /` | a page: draw a digit (or type a text) and see the probabilities |
| `GET /v1/models/NAME` | TF Serving / KServe v1 model status |
| `POST /v1/models/NAME:predict` | `{"instances": [...]}` → `{"predictions": [[p, ...], ...]}` (or `inputs` → `outputs`) |
| `GET /v2/health/live`, `/v2/health/ready` | Open Inference Protocol v2 (KServe v2, Triton) health |
| `GET /v2/models/NAME`, `/v2/models/NAME/ready` | v2 model metadata (typed input and output tensors), readiness |
| `POST /v2/models/NAME/infer` | v2 inference, JSON or the binary tensor extension |
| `GET /metrics` | Prometheus text: requests by route and status, latency histogram, drift gauges |
| `POST /predict`, `GET /health`, `/metadata`, `/drift` | short aliases; `/drift` is the drift report as JSON |

Every bad request gets a 4xx JSON answer `{"error": "<message>", "code": "<name>"}`,
never a traceback. What defends the service, and against what:

- uvicorn's h11 parser frames requests strictly: `Content-Length: +353` or `35_3`,
  conflicting duplicate lengths, and garbage request lines get 400; a body sent with a
  GET is read as that request's body, never answered as a second request (smuggling).
- `BodyLimit` (ASGI middleware) refuses a body larger than `max_body_bytes` with 413
  from its Content-Length before reading it, and counts the bytes of chunked bodies as
  they stream; a body that stops arriving gets 408 after `body_timeout_s` for the *whole*
  body (not per read, so trickling a byte a second does not help).
- A connection must deliver its request headers within `header_timeout_s` (slowloris),
  and idle keep-alive connections close after `keep_alive_s`.
- `backlog` (2048) queues bursts of new connections instead of resetting them;
  `limit_concurrency` (1000) answers 503 beyond that many open connections (uvicorn serves
  them all from one thread, so the limit is about memory and file descriptors).
- One prediction runs at a time; a request that waits longer than `queue_timeout_s` for
  the model gets 503 (retry), and text requests are capped in total characters, so one
  client cannot hold the model for seconds while all others wait.

Example:

```python
import json
import urllib.request

from kerasmodels.models import cnn
from kerasmodels.serving import make_server

cnn((28, 28), 10).save("cnn.keras")
with make_server("cnn.keras") as server:  # port 0: a free port, served in a background thread
    body = json.dumps({"instances": [[[0.0] * 28] * 28]}).encode()
    request = urllib.request.Request(server.url + "/v1/models/cnn:predict", data=body,
                                     headers={"Content-Type": "application/json"})
    print(json.load(urllib.request.urlopen(request))["predictions"][0])  # 10 probabilities
```
"""

import asyncio
import copy
import json
import logging
import socket
import sys
import threading
import time

import h11
import numpy as np
import prometheus_client
import uvicorn
from prometheus_client.core import GaugeMetricFamily
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Match, Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from kerasmodels.errors import InvalidArgumentError, KerasmodelsError
from kerasmodels.serving import drift, page, protocols
from kerasmodels.serving.predictor import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_REQUEST_CHARS,
    DEFAULT_MAX_TEXT_CHARS,
    DEFAULT_QUEUE_TIMEOUT_S,
    Predictor,
    RequestError,
    parse_json,
)
from kerasmodels.serving.runtimes import KerasRuntime, is_runtime, load_runtime

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
UNMATCHED_ROUTE = "<unmatched>"  # every unknown path counts under this one label: /metrics cannot grow without bound
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
DRAIN_BYTES = 16 * 2**20  # after a 413, at most this much of the refused body is read (and dropped)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _json_error(status, code, message, headers=None):
    return JSONResponse({"error": message, "code": code}, status_code=status, headers=headers)


async def _send_json_error(send, status, code, message, receive=None, drain_bytes=0, drain_s=2.0):
    """An error answered straight from ASGI middleware; the connection closes after it.

    With `receive`, the answer is written at once, then up to `drain_bytes` of the body the client
    is still sending are read and dropped for at most `drain_s` before the connection closes:
    closing a socket with unread data sends a reset, and the client, still writing its body,
    would lose the answer.
    """
    body = json.dumps({"error": message, "code": code}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body, "more_body": receive is not None})
    if receive is None:
        return
    deadline = time.monotonic() + drain_s
    try:
        while drain_bytes > 0 and time.monotonic() < deadline:
            message = await asyncio.wait_for(receive(), deadline - time.monotonic())
            drain_bytes -= len(message.get("body", b""))
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                break
    except asyncio.TimeoutError:
        pass
    await send({"type": "http.response.body", "body": b"", "more_body": False})


class BodyLimit:
    """ASGI middleware: bodies of at most `max_bytes`, arriving whole within `timeout_s`.

    A declared Content-Length above the limit is refused (413) before a byte of the body is
    read; a chunked body is counted as it streams and refused as soon as it passes the limit.
    The app then receives the whole body at once.
    """

    def __init__(self, app, max_bytes, timeout_s):
        self.app, self.max_bytes, self.timeout_s = app, int(max_bytes), float(timeout_s)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        too_large = (f"the body is larger than {self.max_bytes} bytes, the most this service accepts. "
                     "Send fewer instances per request")
        length = dict(scope["headers"]).get(b"content-length")  # h11 has checked it is digits only
        if length is not None and int(length) > self.max_bytes:
            return await _send_json_error(send, 413, "body_too_large", f"Content-Length is {int(length)}: {too_large}",
                                          receive, drain_bytes=min(int(length), DRAIN_BYTES))
        chunks, size = [], 0
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(deadline - time.monotonic(), 0.001))
            except asyncio.TimeoutError:
                return await _send_json_error(send, 408, "body_timeout",
                                              f"the body did not arrive within {self.timeout_s:g} s")
            if message["type"] == "http.disconnect":
                return None
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                return await _send_json_error(send, 413, "body_too_large", too_large, receive, drain_bytes=DRAIN_BYTES)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay():
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the client to disconnect

        await self.app(scope, replay, send)


class Metrics:
    """Prometheus metrics of one server, in its own CollectorRegistry (several servers may share a process)."""

    def __init__(self, monitor):
        self.registry = prometheus_client.CollectorRegistry()
        self.requests = prometheus_client.Counter(
            "kerasmodels_requests", "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"], registry=self.registry)
        self.latency = prometheus_client.Histogram(
            "kerasmodels_request_duration_seconds", "time from request to the end of the answer, by route template",
            ["route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.instances = prometheus_client.Counter(
            "kerasmodels_instances_predicted", "instances the model predicted", registry=self.registry)
        self.registry.register(_DriftCollector(monitor))


class _DriftCollector:
    """The drift report as gauges, computed when Prometheus scrapes."""

    def __init__(self, monitor):
        self.monitor = monitor

    def collect(self):
        report = self.monitor.report()
        psi = GaugeMetricFamily("kerasmodels_drift_psi", "population stability index of each input feature "
                                "(recent window vs reference; > 0.25: drift)", labels=["feature"])
        for name, values in report["features"].items():
            psi.add_metric([name], values["psi"])
        yield psi
        yield GaugeMetricFamily("kerasmodels_drift_max_psi", "largest PSI over the features (NaN until judged)",
                                value=report.get("max_psi", float("nan")))
        yield GaugeMetricFamily("kerasmodels_drift_window_size", "recent rows compared with the reference",
                                value=report["window_size"])


class RequestMetrics:
    """ASGI middleware: counts every answer (also those of the middleware inside it) by route template."""

    def __init__(self, app, routes, metrics):
        self.app, self.routes, self.metrics = app, routes, metrics

    def _template(self, scope):
        partial = UNMATCHED_ROUTE  # the path matches but not the method (a 405): counted under that route
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return route.path
            if match is Match.PARTIAL and partial == UNMATCHED_ROUTE:
                partial = route.path
        return partial

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500

        async def record_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = self._template(scope)
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)


class _Endpoints:
    """The route handlers; each answers JSON, and a RequestError becomes its 4xx answer."""

    def __init__(self, predictor, monitor, metrics, log_requests):
        self.predictor, self.monitor, self.metrics, self.log_requests = predictor, monitor, metrics, log_requests

    def _check_name(self, request):
        name = request.path_params["name"]
        if name != self.predictor.name:
            raise RequestError(404, "unknown_model", f"no model {name[:100]!r}; this server serves "
                                                     f"{self.predictor.name!r}")

    def _observe(self, batch, probs):
        features = self.predictor.features(batch)
        self.monitor.update(np.concatenate([features, probs.max(axis=1, keepdims=True)], axis=1))
        self.metrics.instances.inc(len(probs))

    async def _answer(self, work, *args):
        try:
            return await run_in_threadpool(work, *args)
        except RequestError as error:
            headers = {"Retry-After": "1"} if error.status == 503 else None
            return _json_error(error.status, error.code, error.message, headers)
        except Exception as error:  # a bug or a model failure: one log line, an answer without a traceback
            sys.stderr.write(f"kerasmodels serve: internal error: {type(error).__name__}: {error}\n")
            return _json_error(500, "internal_error", "the model failed on this request; see the server log")

    @staticmethod
    def _json_body(request, body, any_content_type=False):
        """The body parsed as JSON; `any_content_type`: whatever Content-Type says, as TF Serving does.

        TF Serving's documented call, `curl -d '{"instances": ...}' .../v1/models/NAME:predict`,
        sends `application/x-www-form-urlencoded` (curl's default for -d); TF Serving reads the body
        as JSON all the same, so the v1 endpoints do too. A body that is not JSON is still a 400.
        """
        content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        if not any_content_type and content_type not in ("application/json", "text/json", ""):
            raise RequestError(415, "unsupported_media_type", f"Content-Type {content_type!r}: send application/json")
        return parse_json(body)

    # -- pages and short aliases --

    async def index(self, request):
        return HTMLResponse(page.render(self.predictor))

    async def health(self, request):
        return JSONResponse({"status": "ok", "model": self.predictor.name})

    async def metadata(self, request):
        return JSONResponse(self.predictor.metadata())

    async def drift_report(self, request):
        return JSONResponse(self.monitor.report())

    async def prometheus(self, request):
        return Response(prometheus_client.generate_latest(self.metrics.registry),
                        media_type=prometheus_client.CONTENT_TYPE_LATEST)

    # -- TF Serving REST / KServe v1 --

    async def _about_model(self, request, describe):
        def work():
            self._check_name(request)
            return JSONResponse(describe(self.predictor))

        return await self._answer(work)

    async def v1_status(self, request):
        if request.path_params["name"].endswith(":predict"):  # GET on the predict route, matched as a name
            return _json_error(405, "method_not_allowed", f"GET is not supported on {request.url.path[:200]}; "
                                                          "allowed: POST", headers={"Allow": "POST"})
        return await self._about_model(request, protocols.v1_model_status)

    async def v1_predict(self, request):
        body = await request.body()

        def work():
            if "name" in request.path_params:
                self._check_name(request)
            answer, batch, probs = protocols.v1_predict(self.predictor,
                                                        self._json_body(request, body, any_content_type=True))
            self._observe(batch, probs)
            return JSONResponse(answer)

        return await self._answer(work)

    # -- Open Inference Protocol v2 --

    async def v2_server(self, request):
        return JSONResponse(protocols.v2_server_metadata())

    async def v2_live(self, request):
        return JSONResponse({"live": True})

    async def v2_ready(self, request):
        return JSONResponse({"ready": True})

    async def v2_model(self, request):
        return await self._about_model(request, protocols.v2_model_metadata)

    async def v2_model_ready(self, request):
        return await self._about_model(request, lambda predictor: {"name": predictor.name, "ready": True})

    async def v2_infer(self, request):
        body = await request.body()

        def work():
            self._check_name(request)
            header_length = request.headers.get("inference-header-content-length")
            if header_length is None:
                header, binary = self._json_body(request, body), b""
            else:  # the binary tensor extension: JSON header, then raw tensor bytes
                # ASCII digits only ("²".isdigit() is True) and few of them (int() of 5,000 digits raises).
                if not (header_length.isascii() and header_length.isdigit() and len(header_length) <= 12
                        and int(header_length) <= len(body)):
                    raise RequestError(400, "bad_header_length", f"Inference-Header-Content-Length "
                                                                 f"{header_length[:30]!r} does not fit the body")
                header, binary = parse_json(body[:int(header_length)]), body[int(header_length):]
            answer, batch, probs = protocols.v2_infer(self.predictor, header, binary)
            self._observe(batch, probs)
            return JSONResponse(answer)

        return await self._answer(work)


def _routes(endpoints):
    return [
        Route("/", endpoints.index, methods=["GET"]),
        Route("/health", endpoints.health, methods=["GET"]),
        Route("/metadata", endpoints.metadata, methods=["GET"]),
        Route("/drift", endpoints.drift_report, methods=["GET"]),
        Route("/metrics", endpoints.prometheus, methods=["GET"]),
        Route("/predict", endpoints.v1_predict, methods=["POST"]),
        Route("/v1/models/{name}", endpoints.v1_status, methods=["GET"]),
        Route("/v1/models/{name}/metadata", endpoints.v2_model, methods=["GET"]),
        Route("/v1/models/{name}:predict", endpoints.v1_predict, methods=["POST"]),
        Route("/v2", endpoints.v2_server, methods=["GET"]),
        Route("/v2/health/live", endpoints.v2_live, methods=["GET"]),
        Route("/v2/health/ready", endpoints.v2_ready, methods=["GET"]),
        Route("/v2/models/{name}", endpoints.v2_model, methods=["GET"]),
        Route("/v2/models/{name}/ready", endpoints.v2_model_ready, methods=["GET"]),
        Route("/v2/models/{name}/infer", endpoints.v2_infer, methods=["POST"]),
    ]


async def _http_error(request, error):
    """404 and 405 from the router, as JSON that says where to go."""
    if error.status_code == 404:
        return _json_error(404, "not_found", f"no endpoint {request.url.path[:200]!r}; see GET / for the page, "
                                             "/v1/models/NAME:predict, /v2/models/NAME/infer, /metrics")
    if error.status_code == 405:
        return _json_error(405, "method_not_allowed", f"{request.method} is not supported on {request.url.path[:200]}"
                                                      f"; allowed: {(error.headers or {}).get('Allow', '')}",
                           headers=error.headers)
    return _json_error(error.status_code, "http_error", str(error.detail))


def build_app(predictor, monitor, max_body_bytes=DEFAULT_MAX_BODY_BYTES, body_timeout_s=10.0, log_requests=False):
    """The ASGI app (Starlette with the body-limit and metrics middleware) and its `Metrics`."""
    metrics = Metrics(monitor)
    routes = _routes(_Endpoints(predictor, monitor, metrics, log_requests))
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    return RequestMetrics(BodyLimit(app, max_body_bytes, body_timeout_s), routes, metrics), metrics


class HardenedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for request headers, and JSON for malformed requests.

    uvicorn times out idle keep-alive connections but not a client that sends its request
    headers a byte at a time (slowloris): each such connection stays open and counts
    against `limit_concurrency`. Here the headers must be complete within `header_timeout_s`.
    """

    header_timeout_s = 10.0

    def connection_made(self, transport):
        super().connection_made(transport)
        self._header_deadline = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def data_received(self, data):
        if self._header_deadline is None and (self.cycle is None or self.cycle.response_complete):
            self._header_deadline = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)
        super().data_received(data)
        if self.cycle is not None and not self.cycle.response_complete:  # the headers are in: a request started
            self._cancel_header_deadline()

    def _cancel_header_deadline(self):
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self):
        self._header_deadline = None
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            self.transport.close()

    def connection_lost(self, exc):
        self._cancel_header_deadline()
        super().connection_lost(exc)

    def send_400_response(self, msg):
        body = json.dumps({"error": f"{msg} The request line or headers are malformed (HTTP/1.1 framing is "
                                    "checked strictly)", "code": "bad_http"}).encode()
        start = h11.Response(status_code=400, reason=b"Bad Request",
                             headers=[(b"content-type", b"application/json"), (b"connection", b"close"),
                                      (b"content-length", str(len(body)).encode())])
        for event in (start, h11.Data(data=body), h11.EndOfMessage()):
            try:
                self.transport.write(self.conn.send(event))
            except h11.LocalProtocolError:  # h11 is in an error state already: write the bytes ourselves
                self.transport.write(b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
                                     b"connection: close\r\ncontent-length: " + str(len(body)).encode()
                                     + b"\r\n\r\n" + body)
                break
        self.transport.close()


class PredictionServer:
    """A uvicorn server of one model; `make_server` builds one. `start()`/`stop()` or `with` for a background thread.

    Build it with `make_server`, which prepares every argument below; `serve_forever()` serves
    in the calling thread instead.

    Args:
        sock: the bound listening socket.
        app: the Starlette application (the routes).
        metrics: the `Metrics` of this server.
        predictor: the `Predictor` of the model.
        monitor: the drift monitor (`kerasmodels.serving.drift.DriftMonitor`).
        config: the `uvicorn.Config`.

    Attributes:
        predictor: the `Predictor` (model, validation, output handling).
        drift: `kerasmodels.serving.drift.DriftMonitor` over the input summaries and the model's confidence.
        metrics: `Metrics` (its `registry` is what /metrics shows).
        config: the `uvicorn.Config`, with the settings listed in this module's docstring.
        url: "http://host:port".

    Example:

    ```python
    >>> import pathlib, tempfile, urllib.request
    >>> from kerasmodels.models import mlp
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.keras"
    >>> mlp((4,), 3).save(path)
    >>> server = make_server(path).start()  # a free port, served from a background thread
    >>> server.url
    'http://127.0.0.1:...'
    >>> urllib.request.urlopen(server.url + "/v2/health/ready").status
    200
    >>> server.stop()
    ```
    """

    def __init__(self, sock, app, metrics, predictor, monitor, config):
        self.socket, self.app, self.metrics = sock, app, metrics
        self.predictor, self.drift, self.config = predictor, monitor, config
        self._server = uvicorn.Server(config)
        self._thread = None

    @property
    def server_address(self):
        return self.socket.getsockname()[:2]

    @property
    def url(self):
        host, port = self.server_address
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}"

    def start(self, timeout_s=30):
        """Serve in a daemon thread and return self once the server accepts connections."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self.socket]},
                                            name="kerasmodels-serve", daemon=True)
            self._thread.start()
            deadline = time.monotonic() + timeout_s
            while not self._server.started:
                if not self._thread.is_alive() or time.monotonic() > deadline:
                    raise KerasmodelsError(f"the server at {self.url} did not start")
                time.sleep(0.01)
        return self

    def serve_forever(self):
        """Serve in this thread until Ctrl-C (uvicorn handles the signal and finishes open requests)."""
        self._server.run(sockets=[self.socket])

    def stop(self):
        """Stop serving and close the socket."""
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._thread = None
        self.socket.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# uvicorn's logging, with its access lines on stderr (uvicorn's default is stdout), where `serve --help`
# says they go and where they do not mix with what a script reads from stdout.
_LOG_CONFIG = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
_LOG_CONFIG["handlers"]["access"]["stream"] = "ext://sys.stderr"


def _bind(host, port, backlog):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY only on accepted sockets whose proto says TCP.
    # Without it, Nagle holds the response body (written after its headers) until the client's delayed ACK:
    # about 40 ms added to every request on a kept-alive connection.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, int(port)))
    except OSError as error:
        sock.close()
        raise KerasmodelsError(f"cannot listen on {host}:{port}: {error.strerror or error}. "
                               "Pick another --port, or 0 for any free port") from None
    sock.listen(backlog)  # connections queue from now on, even before uvicorn's loop runs
    return sock


def make_server(model_path, host="127.0.0.1", port=0, max_body_bytes=DEFAULT_MAX_BODY_BYTES,
                max_batch=DEFAULT_MAX_BATCH, *, model=None, class_names=None, max_text_chars=DEFAULT_MAX_TEXT_CHARS,
                max_request_chars=DEFAULT_MAX_REQUEST_CHARS, value_range="auto", outputs="auto", reference=None,
                drift_warmup=200, drift_window=500, drift_bins=10, warmup=True, log_requests=False,
                backlog=2048, limit_concurrency=1000, keep_alive_s=5, header_timeout_s=10.0, body_timeout_s=10.0,
                queue_timeout_s=DEFAULT_QUEUE_TIMEOUT_S):
    """Build (but do not start) the prediction server for a saved model.

    Args:
        model_path: a `.keras` file, a SavedModel folder or an `.onnx` file (ignored when `model` is given).
        host: address to bind; "127.0.0.1" (default) accepts only this machine.
        port: TCP port; 0 picks a free one (see `server.url`).
        max_body_bytes: larger bodies are refused (413), from Content-Length before they are read.
        max_batch: most instances per request (more: 413).
        model: an already loaded Keras model (or runtime) to serve instead of `model_path`.
        class_names: optional class names (metadata and the page's bars).
        max_text_chars, max_request_chars: longest string, and most characters per request (text models).
        value_range: accepted range of numeric inputs; "auto": [0, 1] for images.
        outputs: "logits", "probabilities" or "auto".
        reference: optional instances (images or strings) the drift monitor compares
            against; without it the first `drift_warmup` instances served are the reference.
        drift_warmup, drift_window, drift_bins: sizes of the drift monitor's reference and
            recent window, and its PSI bins (see `kerasmodels.serving.drift`: small windows need few bins).
        warmup: run one prediction before serving, so the first request is not slow.
        log_requests: uvicorn's access log, one line per request on stderr.
        backlog: connections the kernel queues before accepting them (bursts wait instead of being reset).
        limit_concurrency: open connections at once (also those waiting for the model); beyond, uvicorn
            answers 503 (plain text). Keep it well above the clients you expect: a burst of 100 clients
            against a limit of 100 gets 503s while the first requests are still being answered.
        keep_alive_s: idle keep-alive connections are closed after this long.
        header_timeout_s: a request's headers must arrive within this long (slowloris).
        body_timeout_s: the whole body must arrive within this long (408 otherwise).
        queue_timeout_s: a request waiting longer for the model is answered 503.

    Returns:
        A `PredictionServer`; call `.start()` (background) or `.serve_forever()`.

    Example:

    ```python
    >>> import json, pathlib, tempfile, urllib.request
    >>> from kerasmodels.models import mlp
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.keras"
    >>> mlp((4,), 3).save(path)
    >>> with make_server(path, class_names=["cat", "dog", "fox"]) as server:
    ...     request = urllib.request.Request(
    ...         server.url + "/v1/models/mlp:predict", headers={"Content-Type": "application/json"},
    ...         data=json.dumps({"instances": [[0.1, 0.2, 0.3, 0.4]]}).encode())
    ...     answer = json.load(urllib.request.urlopen(request))
    >>> len(answer["predictions"][0]), round(sum(answer["predictions"][0]), 3)  # 3 class probabilities
    (3, 1.0)
    ```
    """
    if int(max_body_bytes) < 64:
        raise InvalidArgumentError(f"max_body_bytes={max_body_bytes!r} is too small: no request fits; "
                                   "use at least 64 bytes (--max-body-bytes 64)")
    runtime = load_runtime(model_path) if model is None else model if is_runtime(model) else KerasRuntime(model)
    predictor = Predictor(runtime, class_names=class_names, max_batch=max_batch, max_text_chars=max_text_chars,
                          max_request_chars=max_request_chars, value_range=value_range, outputs=outputs,
                          queue_timeout_s=queue_timeout_s)
    if warmup:
        example = predictor.example()
        predictor.probabilities([example] if predictor.kind == "text" else example[None])
    names = list(predictor.feature_names) + ["confidence"]
    monitor = drift.DriftMonitor(names, warmup=drift_warmup, window=drift_window, bins=drift_bins)
    if reference is not None:
        rows = []
        for start in range(0, len(reference), predictor.max_batch):
            chunk = predictor.validate_instances(list(reference[start:start + predictor.max_batch]))
            probs = predictor.probabilities(chunk)
            rows.append(np.concatenate([predictor.features(chunk), probs.max(axis=1, keepdims=True)], axis=1))
        monitor.set_reference(np.concatenate(rows))
    app, metrics = build_app(predictor, monitor, max_body_bytes=max_body_bytes, body_timeout_s=body_timeout_s,
                             log_requests=log_requests)
    protocol = type("HardenedH11Protocol", (HardenedH11Protocol,), {"header_timeout_s": float(header_timeout_s)})
    config = uvicorn.Config(app, http=protocol, ws="none", lifespan="off", backlog=int(backlog),
                            limit_concurrency=int(limit_concurrency), timeout_keep_alive=keep_alive_s,
                            log_level="warning" if log_requests else "error", access_log=log_requests,
                            log_config=_LOG_CONFIG, server_header=False)
    if log_requests:
        # uvicorn logs each request at INFO on "uvicorn.access"; the WARNING level above (which keeps
        # uvicorn's start-up chatter quiet) would drop them, so that one logger is opened to INFO.
        logging.getLogger("uvicorn.access").setLevel(logging.INFO)
    sock = _bind(host, port, int(backlog))
    return PredictionServer(sock, app, metrics, predictor, monitor, config)


def serve(model_path, host="127.0.0.1", port=8000, max_body_bytes=DEFAULT_MAX_BODY_BYTES, **kwargs):
    """Serve `model_path` (.keras, SavedModel folder or .onnx) until interrupted (Ctrl-C).

    Prints one line saying where it serves, then serves in this thread; `kerasmodels serve`
    calls it. Use `make_server` to serve from a background thread instead.

    Args:
        model_path: a `.keras` file, a SavedModel folder or an `.onnx` file.
        host: address to bind; "127.0.0.1" (default) accepts only this machine (another host
            prints a warning: the service has no authentication).
        port: TCP port (0: a free one, printed).
        max_body_bytes: larger request bodies are refused (413).
        **kwargs: the other arguments of `make_server`; `log_requests` defaults to True here.

    Returns:
        0 once the server has stopped (the command's exit status).

    Example (a terminal):

        kerasmodels serve runs/cnn.keras --port 8000
        curl -s localhost:8000/v2/models/cnn

    Example:

    ```python
    >>> import pathlib, tempfile
    >>> from unittest import mock
    >>> from kerasmodels.models import mlp
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.keras"
    >>> mlp((4,), 3).save(path)
    >>> with mock.patch.object(PredictionServer, "serve_forever"):  # here: return at once, not at Ctrl-C
    ...     serve(path, port=0)
    serving mlp (tensor, input [4] float32, keras) at http://127.0.0.1:...  page: GET /  predict: ... Ctrl-C stops.
    0
    ```
    """
    kwargs.setdefault("log_requests", True)
    server = make_server(model_path, host=host, port=port, max_body_bytes=max_body_bytes, **kwargs)
    if host not in LOOPBACK_HOSTS:
        print(f"WARNING: listening on {host}: other machines can reach this service. It has no authentication.",
              file=sys.stderr)
    meta = server.predictor.metadata()
    name = meta["model"]
    print(f"serving {name} ({meta['kind']}, input {meta['input']['shape']} {meta['input']['dtype']}, "
          f"{meta['platform']}) at {server.url}  page: GET /  predict: POST /v1/models/{name}:predict or "
          f"/v2/models/{name}/infer  metrics: GET /metrics. Ctrl-C stops.", flush=True)
    server.serve_forever()
    return 0

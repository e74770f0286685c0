"""A bounded HTTP load tester: latency percentiles and throughput of a prediction service.

`run_load_test` sends a fixed number of requests from a few concurrent workers
(each keeps one HTTP/1.1 connection open) and reports what users of the service
would feel: the median latency (p50), the tail (p90, p99) and the requests and
instances served per second.

It is deliberately bounded: at most `MAX_REQUESTS` requests and `MAX_CONCURRENCY`
workers, and only loopback addresses unless `allow_remote=True`, because a load
test aimed at a machine you do not run is an attack, not a measurement.

Its sockets set TCP_NODELAY, so a request's latency is the service's, not Nagle's algorithm
waiting for a delayed ACK (a floor of about 40 ms per request on a kept-alive connection
when either side leaves Nagle on).

Example:

```python
from kerasmodels.course.topics.loadtest import run_load_test
from kerasmodels.models import mlp
from kerasmodels.serving import make_server

mlp((8,), 3).save("tiny.keras")
with make_server("tiny.keras") as server:
    report = run_load_test(server.url + "/predict", [{"instances": [[0.0] * 8]}], requests=100, concurrency=4)
print(report)
```
"""

import http.client
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np

MAX_REQUESTS = 10_000
MAX_CONCURRENCY = 64
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class LoadTestReport:
    """What a load test measured.

    Attributes:
        requests: requests sent.
        concurrency: concurrent workers.
        duration_s: wall time from the first request to the last answer.
        latencies_ms: latency of every answered request, in the order they finished.
        status_counts: {HTTP status: count}; "error" counts connection failures.
        instances: instances sent in successful (2xx) requests.
    """

    requests: int
    concurrency: int
    duration_s: float
    latencies_ms: np.ndarray
    status_counts: dict = field(default_factory=dict)
    instances: int = 0

    @property
    def succeeded(self):
        return sum(n for s, n in self.status_counts.items() if isinstance(s, int) and 200 <= s < 300)

    @property
    def throughput_rps(self):
        """Successful requests per second."""
        return self.succeeded / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def instances_per_s(self):
        return self.instances / self.duration_s if self.duration_s > 0 else 0.0

    def percentile(self, q):
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms.size else float("nan")

    def as_dict(self):
        return {
            "requests": self.requests, "concurrency": self.concurrency, "succeeded": self.succeeded,
            "status_counts": {str(k): v for k, v in self.status_counts.items()},
            "duration_s": round(self.duration_s, 3), "throughput_rps": round(self.throughput_rps, 2),
            "instances_per_s": round(self.instances_per_s, 2),
            **{f"p{q}_ms": round(self.percentile(q), 3) for q in (50, 90, 99)},
        }

    def __str__(self):
        return (f"{self.requests} requests, {self.concurrency} concurrent: {self.succeeded} ok in "
                f"{self.duration_s:.2f} s = {self.throughput_rps:.1f} req/s ({self.instances_per_s:.1f} instances/s); "
                f"latency p50 {self.percentile(50):.1f} ms, p90 {self.percentile(90):.1f} ms, "
                f"p99 {self.percentile(99):.1f} ms; status {dict(self.status_counts)}")


def _count_instances(payload):
    if isinstance(payload, dict) and isinstance(payload.get("instances"), list):
        return len(payload["instances"])
    return 0


def run_load_test(url, payloads, requests=200, concurrency=4, timeout=30.0, allow_remote=False):
    """POST `requests` JSON payloads (cycled from `payloads`) to `url` from `concurrency` workers.

    Args:
        url: e.g. "http://127.0.0.1:8000/predict".
        payloads: a list of JSON-serialisable bodies (dicts) or raw `bytes`, used in turn.
        requests: how many requests in total (1..MAX_REQUESTS).
        concurrency: how many workers send at the same time (1..MAX_CONCURRENCY).
        timeout: seconds to wait for one answer.
        allow_remote: permit a host other than loopback.

    Returns:
        A `LoadTestReport`.
    """
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"url={url!r}: expected http://HOST:PORT/PATH, e.g. http://127.0.0.1:8000/predict")
    if parts.hostname not in LOOPBACK and not allow_remote:
        raise ValueError(f"url={url!r} is not on this machine; load tests go to 127.0.0.1 unless "
                         "allow_remote=True (only against a service you run)")
    if not 1 <= int(requests) <= MAX_REQUESTS:
        raise ValueError(f"requests={requests!r}: must be between 1 and {MAX_REQUESTS}")
    if not 1 <= int(concurrency) <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency={concurrency!r}: must be between 1 and {MAX_CONCURRENCY}")
    if not payloads:
        raise ValueError("payloads is empty: give at least one request body")
    bodies = [(p if isinstance(p, bytes) else json.dumps(p).encode("utf-8"), _count_instances(p)) for p in payloads]
    requests, concurrency = int(requests), min(int(concurrency), int(requests))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lock = threading.Lock()
    next_index = [0]
    latencies, statuses, instances = [], {}, [0]

    def worker():
        connection = None
        while True:
            with lock:
                index = next_index[0]
                if index >= requests:
                    break
                next_index[0] += 1
            body, count = bodies[index % len(bodies)]
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
                    connection.connect()
                    # http.client sends the headers and the body in two writes: without TCP_NODELAY, Nagle
                    # would hold the body until the server's delayed ACK (~40 ms). CPython 3.11's connect()
                    # sets it already; set it here so the measurement does not depend on the Python.
                    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                status = "error"
                if connection is not None:
                    connection.close()
                connection = None
            elapsed = (time.perf_counter() - started) * 1000.0
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status != "error":
                    latencies.append(elapsed)
                if isinstance(status, int) and 200 <= status < 300:
                    instances[0] += count
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=worker, name=f"loadtest-{i}", daemon=True) for i in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.perf_counter() - started
    return LoadTestReport(requests, concurrency, duration, np.asarray(latencies), statuses, instances[0])

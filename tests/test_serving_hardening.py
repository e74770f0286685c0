"""Hostile clients: every attack gets a clear JSON 4xx/503 or a closed connection, and the service keeps answering.

Each test is one attack that broke the earlier hand-written `http.server` service, and the
server setting that defends against it (see kerasmodels/serving/server.py).
"""

import concurrent.futures
import http.client
import json
import socket
import threading
import time

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasmodels import serving  # noqa: E402
from kerasmodels.serving.runtimes import KerasRuntime  # noqa: E402

MAX_BODY = 2_000
GOOD = json.dumps({"instances": [[0.1, 0.2, 0.3, 0.4]]}).encode()


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,), name="features"), keras.layers.Dense(3)], name="tiny")


@pytest.fixture(scope="module")
def server(model):
    with serving.make_server(None, model=model, max_body_bytes=MAX_BODY, header_timeout_s=1.0, body_timeout_s=1.0,
                             limit_concurrency=400) as server:
        yield server


def raw(server, data, timeout=10):
    """Every byte the server sends back for `data` until it closes the connection or goes quiet for 1 s."""
    with socket.create_connection(server.server_address, timeout=timeout) as sock:
        sock.sendall(data)
        sock.settimeout(1.0)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return received


def status_and_json(response):
    head, body = response.split(b"\r\n\r\n", 1)
    assert b"content-type: application/json" in head.lower(), head
    return int(head.split()[1]), json.loads(body)


def post(server, body, path="/v1/models/tiny:predict"):
    connection = http.client.HTTPConnection(*server.server_address, timeout=30)
    connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()
    return response.status, answer, response


def test_a_good_request_still_works(server):
    status, answer, _ = post(server, GOOD)
    assert status == 200 and len(answer["predictions"][0]) == 3


def test_oversized_body_is_refused_from_its_length_before_it_is_read(server):
    started = time.perf_counter()
    response = raw(server, b"POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           b"Content-Length: 50000000\r\n\r\n")  # announces 50 MB, sends none of it
    assert status_and_json(response)[1]["code"] == "body_too_large"
    assert status_and_json(response)[0] == 413 and time.perf_counter() - started < 3


def test_oversized_body_that_is_sent_anyway_still_gets_its_413(server):
    # The client writes all 3 MB before it reads; the server answers, then reads and drops the body
    # (up to 16 MiB) instead of closing on unread data, which would reset the connection.
    for _ in range(3):
        status, answer, _ = post(server, b"[" + b"0," * 1_500_000 + b"0]")
        assert (status, answer["code"]) == (413, "body_too_large")


def test_chunked_bodies_are_counted_as_they_stream(server):
    def chunked(payload, size=500):
        pieces = [payload[i:i + size] for i in range(0, len(payload), size)]
        return b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in pieces) + b"0\r\n\r\n"

    head = b"POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" \
           b"Transfer-Encoding: chunked\r\n\r\n"
    status, answer = status_and_json(raw(server, head + chunked(GOOD)))
    assert status == 200 and len(answer["predictions"]) == 1
    status, answer = status_and_json(raw(server, head + chunked(b" " * 5_000 + GOOD)))
    assert (status, answer["code"]) == (413, "body_too_large")


@pytest.mark.parametrize("length", [b"+20", b"2_0", b"-5", b"lots", b"20\r\nContent-Length: 21", b"0x14"],
                         ids=["plus sign", "underscore", "negative", "word", "conflicting duplicate", "hex"])
def test_content_length_is_framed_strictly(server, length):
    response = raw(server, b"POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           b"Content-Length: " + length + b"\r\n\r\n" + b"x" * 21)
    status, answer = status_and_json(response)
    assert (status, answer["code"]) == (400, "bad_http")


def test_garbage_request_line_gets_a_json_400(server):
    status, answer = status_and_json(raw(server, b"GARBAGE\r\n\r\n"))
    assert status == 400 and "malformed" in answer["error"]


def test_a_request_hidden_in_a_get_body_is_not_answered(server):
    # Request smuggling: the GET's body is a second request. It must be read as the body, never run.
    hidden = b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n"
    response = raw(server, b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: " + str(len(hidden)).encode()
                           + b"\r\n\r\n" + hidden)
    assert response.count(b"HTTP/1.1 ") == 1 and b'"status":"ok"' in response


def test_a_body_that_stops_arriving_gets_408_for_the_whole_body(server):
    # Trickling a byte every 0.3 s resets a per-read timeout forever; the deadline is for the whole body.
    with socket.create_connection(server.server_address, timeout=10) as sock:
        sock.sendall(b"POST /v1/models/tiny:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n")
        started = time.perf_counter()
        received = b""
        sock.settimeout(0.3)
        while time.perf_counter() - started < 5 and b"\r\n\r\n" not in received:
            try:
                sock.sendall(b" ")
                received += sock.recv(65536)
            except TimeoutError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                break
        elapsed = time.perf_counter() - started
    status, answer = status_and_json(received)
    assert (status, answer["code"]) == (408, "body_timeout") and elapsed < 3


def test_slow_headers_are_cut_off(server):
    # Slowloris: headers a few bytes at a time. The connection is closed after header_timeout_s (1 s here).
    with socket.create_connection(server.server_address, timeout=10) as sock:
        started = time.perf_counter()
        closed = False
        try:
            for _ in range(20):
                sock.sendall(b"X-a: b\r\n" if _ else b"GET /health HTTP/1.1\r\n")
                time.sleep(0.25)
                sock.settimeout(0.01)
                try:
                    if sock.recv(1) == b"":
                        closed = True
                        break
                except TimeoutError:
                    pass
        except (BrokenPipeError, ConnectionResetError):
            closed = True
    assert closed and time.perf_counter() - started < 3


def test_a_burst_of_concurrent_clients_is_queued_not_reset(server):
    # 200 clients connecting at once: the listen backlog (2048) queues them; Python's default of 5 reset many.
    barrier = threading.Barrier(200)

    def client(_):
        barrier.wait()
        connection = http.client.HTTPConnection(*server.server_address, timeout=30)
        connection.request("GET", "/v2/health/live")
        status = connection.getresponse().status
        connection.close()
        return status

    with concurrent.futures.ThreadPoolExecutor(200) as pool:
        statuses = list(pool.map(client, range(200)))
    assert statuses == [200] * 200


def test_connections_beyond_limit_concurrency_get_503(model):
    with serving.make_server(None, model=model, limit_concurrency=4, warmup=False) as limited:
        idle = [socket.create_connection(limited.server_address) for _ in range(4)]
        try:
            time.sleep(0.2)
            connection = http.client.HTTPConnection(*limited.server_address, timeout=10)
            connection.request("GET", "/v2/health/live")
            assert connection.getresponse().status == 503
        finally:
            for sock in idle:
                sock.close()


class SlowRuntime(KerasRuntime):
    def predict(self, batch):
        time.sleep(1.5)
        return super().predict(batch)


def test_a_slow_request_makes_others_retry_instead_of_wait(model):
    # One client's slow request holds the model; the next one gets 503 with Retry-After after queue_timeout_s.
    with serving.make_server(None, model=SlowRuntime(model), queue_timeout_s=0.3, warmup=False) as slow:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            first = pool.submit(post, slow, GOOD)
            time.sleep(0.3)
            started = time.perf_counter()
            status, answer, response = post(slow, GOOD)
            waited = time.perf_counter() - started
            assert first.result()[0] == 200
    assert (status, answer["code"]) == (503, "busy") and response.getheader("Retry-After") == "1"
    assert waited < 1.0


def test_the_service_still_answers_after_the_attacks(server):
    status, answer, _ = post(server, GOOD)
    assert status == 200
    np.testing.assert_allclose(sum(answer["predictions"][0]), 1.0, atol=1e-5)

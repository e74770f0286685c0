"""The prediction service answers good requests correctly and every bad one with a clear 4xx, over loopback only.

The standard protocols (TF Serving / KServe v1, Open Inference Protocol v2 with a client we did not
write), Prometheus metrics and the hardening against hostile clients are in test_serving_protocols.py
and test_serving_hardening.py; ONNX and SavedModel in test_serving_export.py; the page in test_serving_page.py.
"""

import http.client
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasmodels import serving  # noqa: E402
from kerasmodels.course.topics import loadtest  # noqa: E402
from kerasmodels.errors import KerasmodelsError  # noqa: E402
from kerasmodels.serving import drift  # noqa: E402

IMAGE_SHAPE = (28, 28, 1)


@pytest.fixture(scope="module")
def image_model_path(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input(IMAGE_SHAPE), keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.MaxPooling2D(4),
         keras.layers.Flatten(), keras.layers.Dense(10)],
        name="tiny_cnn",
    )
    path = tmp_path_factory.mktemp("models") / "tiny_cnn.keras"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def image_server(image_model_path):
    server = serving.make_server(image_model_path, max_body_bytes=200_000, max_batch=8, drift_warmup=20,
                                 drift_window=100, class_names=[f"digit {i}" for i in range(10)])
    with server:
        yield server


@pytest.fixture(scope="module")
def text_server(tmp_path_factory):
    pytest.importorskip("keras_hub")
    from kerasmodels import models

    keras.utils.set_random_seed(0)
    classifier = models.bert_classifier(2, preset="tiny", sequence_length=16)  # the package's text factory
    path = tmp_path_factory.mktemp("models") / "tiny_bert.keras"
    classifier.save(path)
    with serving.make_server(path, max_text_chars=200, max_request_chars=600, max_batch=4,
                             class_names=["negative", "positive"]) as server:
        yield server


def request(server, method, path, body=None, headers=None):
    """(status, decoded JSON) of one request over loopback."""
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    connection.request(method, path, body=body, headers=headers or {"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    assert response.getheader("Content-Type") == "application/json", data[:200]
    return response.status, json.loads(data)


PREDICT = "/v1/models/tiny_cnn:predict"


def images(n, value=0.5):
    return np.full((n,) + IMAGE_SHAPE, value, dtype=np.float32)


def softmax(logits):
    expected = np.exp(logits - logits.max(1, keepdims=True))
    return expected / expected.sum(1, keepdims=True)


def test_health_and_metadata_describe_the_model(image_server):
    assert image_server.server_address[0] == "127.0.0.1"  # loopback by default
    assert request(image_server, "GET", "/health") == (200, {"status": "ok", "model": "tiny_cnn"})
    status, meta = request(image_server, "GET", "/metadata")
    assert status == 200
    assert meta["kind"] == "tensor" and meta["input"]["shape"] == [28, 28, 1] and meta["platform"] == "keras"
    assert meta["input"]["dtype"] == "float32" and meta["input"]["value_range"] == [0.0, 1.0]
    assert meta["output"]["model_outputs"] == "logits" and meta["limits"]["max_batch"] == 8
    assert meta["output"]["class_names"][3] == "digit 3" and meta["output"]["num_classes"] == 10


@pytest.mark.parametrize("path", [PREDICT, "/predict"])
def test_predictions_are_the_softmax_of_the_models_logits(image_server, path):
    rng = np.random.default_rng(0)
    batch = rng.random((3,) + IMAGE_SHAPE).astype(np.float32)
    status, answer = request(image_server, "POST", path, {"instances": batch.tolist()})
    assert status == 200 and set(answer) == {"predictions"}
    expected = softmax(image_server.predictor.model.predict_on_batch(batch))
    np.testing.assert_allclose(np.array(answer["predictions"]), expected, atol=1e-5)


BAD_IMAGE_BODIES = {
    "not JSON": (b"this is not json", 400, "not_json"),
    "empty body": (b"", 400, "empty_body"),
    "a list, not an object": (b"[1, 2, 3]", 400, "missing_instances"),
    "no instances key": (b'{"images": []}', 400, "missing_instances"),
    "both instances and inputs": (b'{"instances": [], "inputs": []}', 400, "missing_instances"),
    "inputs naming another input": (b'{"inputs": {"pixels": []}}', 400, "unknown_input"),
    "instances not a list": (b'{"instances": 5}', 400, "instances_not_a_list"),
    "empty instances": (b'{"instances": []}', 400, "empty_instances"),
    "missing channel axis": (json.dumps({"instances": np.zeros((1, 28, 28)).tolist()}).encode(), 400, "wrong_shape"),
    "wrong image size": (json.dumps({"instances": np.zeros((1, 32, 32, 1)).tolist()}).encode(), 400, "wrong_shape"),
    "a flat vector": (json.dumps({"instances": [[0.0] * 784]}).encode(), 400, "wrong_shape"),
    "strings": (json.dumps({"instances": np.full((1, 28, 28, 1), "0.5").tolist()}).encode(), 400, "wrong_dtype"),
    "booleans": (json.dumps({"instances": np.zeros((1, 28, 28, 1), bool).tolist()}).encode(), 400, "wrong_dtype"),
    "ragged rows": (json.dumps({"instances": [[[[0.0]] * 28] * 27 + [[[0.0]] * 27]]}).encode(), 400, "ragged_instances"),
    "nulls": (json.dumps({"instances": [[[[None]] * 28] * 28]}).encode(), 400, "wrong_dtype"),
    "NaN literal": (b'{"instances": [' + json.dumps(np.zeros((28, 28, 1)).tolist()).encode().replace(b"0.0", b"NaN", 1)
                    + b"]}", 400, "non_finite_number"),
    "Infinity literal": (b'{"instances": [[Infinity]]}', 400, "non_finite_number"),
    "overflowing number": (b'{"instances": [' + json.dumps(np.zeros((28, 28, 1)).tolist()).encode()
                           .replace(b"0.0", b"1e400", 1) + b"]}", 400, "non_finite_number"),
    "huge integer": (b'{"instances": [' + json.dumps(np.zeros((28, 28, 1)).tolist()).encode()
                     .replace(b"0.0", b"1" + b"0" * 400, 1) + b"]}", 400, None),
    "5000-digit integer": (b'{"instances": [' + b"1" * 5000 + b"]}", 400, "number_too_long"),
    "pixels 0-255": (json.dumps({"instances": np.full((1, 28, 28, 1), 255.0).tolist()}).encode(), 400, "out_of_range"),
    "too many instances": (json.dumps({"instances": np.zeros((9, 28, 28, 1)).tolist()}).encode(), 413,
                           "too_many_instances"),
    "not UTF-8": (b'{"instances": "\xff\xfe"}', 400, "not_utf8"),
    "nested too deep": (b'{"instances": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", 400, None),
}


@pytest.mark.parametrize("name", list(BAD_IMAGE_BODIES))
def test_bad_image_requests_get_a_clear_4xx(image_server, name):
    body, expected_status, expected_code = BAD_IMAGE_BODIES[name]
    status, answer = request(image_server, "POST", PREDICT, body)
    assert status == expected_status, answer
    assert set(answer) == {"error", "code"} and len(answer["error"]) > 15  # the v1/v2 error shape, plus a code
    assert "Traceback" not in answer["error"]
    if expected_code:
        assert answer["code"] == expected_code, answer


def test_error_messages_say_how_to_fix(image_server):
    _, answer = request(image_server, "POST", PREDICT, {"instances": np.zeros((1, 28, 28)).tolist()})
    assert "(28, 28, 1)" in answer["error"] and "channel" in answer["error"]
    _, answer = request(image_server, "POST", PREDICT, {"instances": np.full((1, 28, 28, 1), 255).tolist()})
    assert "/ 255" in answer["error"]


def test_wrong_paths_methods_and_media_types(image_server):
    assert request(image_server, "GET", "/nothing")[0] == 404
    assert request(image_server, "GET", "/predict")[0] == 405
    assert request(image_server, "POST", "/health", b"{}")[0] == 405
    assert request(image_server, "DELETE", PREDICT)[0] == 405
    assert request(image_server, "POST", "/v1/models/other_model:predict", b"{}")[1]["code"] == "unknown_model"
    # v1 reads the body as JSON whatever Content-Type says, as TF Serving does (curl -d sends a form type) ...
    status, answer = request(image_server, "POST", PREDICT, b"x=1", {"Content-Type": "text/plain"})
    assert status == 400 and answer["code"] != "unsupported_media_type", answer
    # ... while the v2 protocol, whose clients send application/json, keeps its 415.
    status, answer = request(image_server, "POST", "/v2/models/tiny_cnn/infer", b"x=1", {"Content-Type": "text/plain"})
    assert (status, answer["code"]) == (415, "unsupported_media_type")


def test_service_survives_bad_requests_and_keeps_answering(image_server):
    for body, _, _ in BAD_IMAGE_BODIES.values():
        request(image_server, "POST", PREDICT, body)
    status, answer = request(image_server, "POST", PREDICT, {"instances": images(2).tolist()})
    assert status == 200 and len(answer["predictions"]) == 2
    status, report = request(image_server, "GET", "/drift")
    assert status == 200 and report["status"] in ("warming up", "collecting", "stable", "watch", "drift")


def test_load_test_reports_percentiles_and_throughput(image_server):
    payloads = [{"instances": images(1, v).tolist()} for v in (0.2, 0.4, 0.6)]
    report = loadtest.run_load_test(image_server.url + PREDICT, payloads, requests=30, concurrency=3)
    assert report.status_counts == {200: 30} and report.succeeded == 30
    assert report.instances == 30 and report.throughput_rps > 0
    assert 0 < report.percentile(50) <= report.percentile(90) <= report.percentile(99)
    assert set(report.as_dict()) >= {"p50_ms", "p90_ms", "p99_ms", "throughput_rps"}


def test_no_tcp_stall_on_a_kept_alive_connection(image_server):
    """Every request on a kept-alive connection costs milliseconds, not the ~40 ms of Nagle + delayed ACK.

    A server socket without TCP_NODELAY holds the response body (written after its headers) until the
    client acknowledges the headers, and Linux delays that ACK by 40 ms: a floor under every request's
    latency that does not grow with load (lesson 19 once measured it as the model's latency).
    """
    connection = http.client.HTTPConnection("127.0.0.1", image_server.server_address[1], timeout=30)
    seconds = []
    for _ in range(25):
        started = time.perf_counter()
        connection.request("GET", "/v2/health/live")
        connection.getresponse().read()
        seconds.append(time.perf_counter() - started)
    connection.close()
    # The stall is a floor under *every* request, so even the fastest shows it; the fastest is also
    # what a busy machine (other processes on the cores) disturbs least.
    assert min(seconds) < 0.02, f"fastest of 25 GETs on one connection took {min(seconds) * 1000:.1f} ms"
    report = loadtest.run_load_test(image_server.url + PREDICT, [{"instances": images(1).tolist()}], requests=25,
                                    concurrency=1)
    assert report.succeeded == 25 and report.percentile(10) < 20, str(report)


def test_load_tester_is_bounded_and_loopback_only():
    with pytest.raises(ValueError, match="not on this machine"):
        loadtest.run_load_test("http://example.com/predict", [{}], requests=1)
    with pytest.raises(ValueError, match="between 1 and"):
        loadtest.run_load_test("http://127.0.0.1:9/predict", [{}], requests=loadtest.MAX_REQUESTS + 1)
    with pytest.raises(ValueError, match="between 1 and"):
        loadtest.run_load_test("http://127.0.0.1:9/predict", [{}], requests=1, concurrency=0)


def test_text_service_accepts_strings_and_rejects_everything_else(text_server):
    status, meta = request(text_server, "GET", "/metadata")
    assert meta["kind"] == "text" and meta["input"]["dtype"] == "string"
    status, answer = request(text_server, "POST", "/predict", {"instances": ["a good film", "awful"]})
    assert status == 200
    for probabilities in answer["predictions"]:
        assert len(probabilities) == 2 and abs(sum(probabilities) - 1) < 1e-5
    bad = {
        "numbers": ({"instances": [1, 2]}, 400, "wrong_type"),
        "nested lists": ({"instances": [["good"]]}, 400, "wrong_type"),
        "null": ({"instances": [None]}, 400, "wrong_type"),
        "empty string": ({"instances": ["   "]}, 400, "empty_text"),
        "too long": ({"instances": ["good " * 100]}, 413, "text_too_long"),
        "too many": ({"instances": ["good"] * 5}, 413, "too_many_instances"),
        "too many characters in all": ({"instances": ["good " * 39] * 4}, 413, "request_too_long"),
        "lone surrogate": (b'{"instances": ["\\ud800 good"]}', 400, "invalid_unicode"),
    }
    for name, (body, expected_status, code) in bad.items():
        status, answer = request(text_server, "POST", "/predict", body)
        assert (status, answer["code"]) == (expected_status, code), name
    assert request(text_server, "GET", "/health")[0] == 200


def test_psi_and_ks_separate_same_from_shifted_distributions():
    rng = np.random.default_rng(0)
    reference = rng.normal(0, 1, 2000)
    assert drift.population_stability_index(reference, rng.normal(0, 1, 2000)) < 0.05
    assert drift.population_stability_index(reference, rng.normal(1, 1, 2000)) > 0.25
    assert drift.ks_statistic(reference, reference) == 0.0
    assert drift.ks_statistic(np.zeros(10), np.ones(10)) == 1.0
    with pytest.raises(ValueError, match="NaN"):
        drift.population_stability_index([0.0, np.nan], [0.0])


def test_drift_monitor_warms_up_then_flags_a_shift():
    rng = np.random.default_rng(1)
    monitor = drift.DriftMonitor(["x"], warmup=1000, window=1000, min_current=50)
    monitor.update(rng.normal(0, 1, (600, 1)))
    assert monitor.report()["status"] == "warming up"
    monitor.update(rng.normal(0, 1, (420, 1)))
    assert monitor.report()["status"] == "collecting"
    monitor.update(rng.normal(0, 1, (980, 1)))
    assert monitor.report()["status"] == "stable"
    monitor.update(rng.normal(3, 1, (1000, 1)))
    report = monitor.report()
    assert report["status"] == "drift" and report["features"]["x"]["psi"] > 0.25
    with pytest.raises(ValueError, match="expected"):
        monitor.update(np.zeros((3, 2)))


def test_service_with_reference_detects_brighter_inputs(image_model_path):
    rng = np.random.default_rng(2)
    reference = rng.uniform(0.0, 0.3, (256,) + IMAGE_SHAPE).astype(np.float32)
    with serving.make_server(image_model_path, max_batch=64, reference=reference, drift_window=128,
                             drift_bins=4) as server:
        for _ in range(2):
            request(server, "POST", "/predict", {"instances": rng.uniform(0.0, 0.3, (64,) + IMAGE_SHAPE).tolist()})
        assert request(server, "GET", "/drift")[1]["status"] == "stable"
        for _ in range(2):
            request(server, "POST", "/predict", {"instances": rng.uniform(0.5, 1.0, (64,) + IMAGE_SHAPE).tolist()})
        report = request(server, "GET", "/drift")[1]
        assert report["status"] == "drift" and report["features"]["mean brightness"]["psi"] > 0.25


def test_make_server_explains_a_missing_or_wrong_model_file(tmp_path):
    with pytest.raises(KerasmodelsError, match="does not exist"):
        serving.make_server(tmp_path / "missing.keras")
    other = tmp_path / "model.h5"
    other.write_bytes(b"x")
    with pytest.raises(Exception, match="not a .keras file"):
        serving.make_server(other)


@pytest.mark.slow  # the server process imports TensorFlow
def test_cli_serve_binds_loopback_and_answers(image_model_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "kerasmodels", "serve", str(image_model_path), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        line = process.stdout.readline()
        assert "http://127.0.0.1:" in line, line
        port = int(line.split("http://127.0.0.1:")[1].split()[0])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/health")
        assert connection.getresponse().status == 200
    finally:
        process.terminate()
        process.wait(timeout=30)

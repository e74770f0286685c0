"""The service speaks the standard protocols, checked with clients and parsers this project did not write.

- Open Inference Protocol v2 (KServe v2, Triton) through NVIDIA's `tritonclient.http`, in JSON and
  with the binary tensor extension (the client's default).
- TensorFlow Serving REST / KServe v1: `instances` and `inputs`, model status.
- `/metrics` parsed by `prometheus_client`'s own text parser: route templates, bounded labels.
"""

import http.client
import json
import uuid

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasmodels import serving  # noqa: E402

IMAGE_SHAPE = (28, 28, 1)


@pytest.fixture(scope="module")
def image_server(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input(IMAGE_SHAPE, name="pixels"), keras.layers.Conv2D(4, 3, activation="relu"),
         keras.layers.MaxPooling2D(4), keras.layers.Flatten(), keras.layers.Dense(10)],
        name="tiny_cnn",
    )
    path = tmp_path_factory.mktemp("models") / "tiny_cnn.keras"
    model.save(path)
    with serving.make_server(path, max_batch=8, max_body_bytes=200_000) as server:
        yield server


def call(server, method, path, body=None):
    connection = http.client.HTTPConnection(*server.server_address, timeout=30)
    connection.request(method, path, body=json.dumps(body) if isinstance(body, dict) else body,
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, response.getheader("Content-Type"), data


def expected_probabilities(server, batch):
    logits = server.predictor.model.predict_on_batch(batch)
    shifted = np.exp(logits - logits.max(1, keepdims=True))
    return shifted / shifted.sum(1, keepdims=True)


@pytest.fixture(scope="module")
def triton(image_server):
    httpclient = pytest.importorskip("tritonclient.http", reason='pip install "tritonclient[http]"')
    client = httpclient.InferenceServerClient(url=image_server.url.removeprefix("http://"))
    yield httpclient, client
    client.close()


def test_tritonclient_health_and_metadata(triton):
    httpclient, client = triton
    assert client.is_server_live() and client.is_server_ready()
    assert client.is_model_ready("tiny_cnn")
    assert not client.is_model_ready("no_such_model")
    metadata = client.get_model_metadata("tiny_cnn")
    assert metadata["inputs"] == [{"name": "pixels", "datatype": "FP32", "shape": [-1, 28, 28, 1]}]
    assert metadata["outputs"] == [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]}]
    assert client.get_server_metadata()["name"] == "kerasmodels"


@pytest.mark.parametrize("binary", [True, False], ids=["binary tensor extension", "JSON"])
def test_tritonclient_infer_matches_the_model(image_server, triton, binary):
    httpclient, client = triton
    batch = np.random.default_rng(0).random((3,) + IMAGE_SHAPE).astype(np.float32)
    tensor = httpclient.InferInput("pixels", list(batch.shape), "FP32")
    tensor.set_data_from_numpy(batch, binary_data=binary)
    request_id = str(uuid.uuid4())
    result = client.infer("tiny_cnn", [tensor], request_id=request_id,
                          outputs=[httpclient.InferRequestedOutput("probabilities", binary_data=False)])
    probabilities = result.as_numpy("probabilities")
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities, expected_probabilities(image_server, batch), atol=1e-5)
    assert result.get_response()["id"] == request_id


def test_tritonclient_sees_clear_errors(triton):
    from tritonclient.utils import InferenceServerException

    httpclient, client = triton
    wrong_name = httpclient.InferInput("image", [1, 28, 28, 1], "FP32")
    wrong_name.set_data_from_numpy(np.zeros((1, 28, 28, 1), np.float32))
    with pytest.raises(InferenceServerException, match="'pixels'"):
        client.infer("tiny_cnn", [wrong_name])
    wrong_shape = httpclient.InferInput("pixels", [1, 28, 28], "FP32")
    wrong_shape.set_data_from_numpy(np.zeros((1, 28, 28), np.float32))
    with pytest.raises(InferenceServerException, match="channel"):
        client.infer("tiny_cnn", [wrong_shape])
    too_bright = httpclient.InferInput("pixels", [1, 28, 28, 1], "FP32")
    too_bright.set_data_from_numpy(np.full((1, 28, 28, 1), 255, np.float32))
    with pytest.raises(InferenceServerException, match="/ 255"):
        client.infer("tiny_cnn", [too_bright])


BAD_V2 = {
    "no inputs": ({"outputs": []}, "missing_inputs"),
    "two inputs": ({"inputs": [{}, {}]}, "wrong_number_of_inputs"),
    "unknown datatype": ({"inputs": [{"name": "pixels", "shape": [1], "datatype": "FP128", "data": [0]}]},
                         "bad_datatype"),
    "strings for an image": ({"inputs": [{"name": "pixels", "shape": [1], "datatype": "BYTES", "data": ["a"]}]},
                             "wrong_dtype"),
    "shape and data disagree": ({"inputs": [{"name": "pixels", "shape": [2, 28, 28, 1], "datatype": "FP32",
                                             "data": [0.0] * 784}]}, "shape_mismatch"),
    "a huge declared shape": ({"inputs": [{"name": "pixels", "shape": [10**12, 10**12], "datatype": "FP32",
                                           "data": [0.0]}]}, "shape_mismatch"),
    "negative size": ({"inputs": [{"name": "pixels", "shape": [-1, 28], "datatype": "FP32", "data": []}]},
                      "bad_shape"),
    "binary size without binary part": ({"inputs": [{"name": "pixels", "shape": [1, 28, 28, 1], "datatype": "FP32",
                                                     "parameters": {"binary_data_size": 3136}}]}, "bad_binary_data"),
    "unknown output": ({"inputs": [{"name": "pixels", "shape": [1, 28, 28, 1], "datatype": "FP32",
                                    "data": [0.0] * 784}], "outputs": [{"name": "logits"}]}, "unknown_output"),
}


@pytest.mark.parametrize("name", list(BAD_V2))
def test_bad_v2_requests_get_a_clear_400(image_server, name):
    body, code = BAD_V2[name]
    status, content_type, data = call(image_server, "POST", "/v2/models/tiny_cnn/infer", body)
    answer = json.loads(data)
    assert (status, content_type, answer["code"]) == (400, "application/json", code), answer
    assert isinstance(answer["error"], str) and len(answer["error"]) > 15


def test_tf_serving_rest_instances_and_inputs(image_server):
    batch = np.random.default_rng(1).random((2,) + IMAGE_SHAPE).astype(np.float32)
    expected = expected_probabilities(image_server, batch)
    status, _, data = call(image_server, "GET", "/v1/models/tiny_cnn")
    assert status == 200 and json.loads(data)["model_version_status"][0]["state"] == "AVAILABLE"
    for body, key in [({"instances": batch.tolist()}, "predictions"),                      # row format
                      ({"instances": [{"pixels": x} for x in batch.tolist()]}, "predictions"),  # named rows
                      ({"inputs": batch.tolist()}, "outputs"),                             # columnar format
                      ({"inputs": {"pixels": batch.tolist()}, "signature_name": "serving_default"}, "outputs")]:
        status, _, data = call(image_server, "POST", "/v1/models/tiny_cnn:predict", body)
        assert status == 200, data
        np.testing.assert_allclose(np.array(json.loads(data)[key]), expected, atol=1e-5)


def test_metrics_are_prometheus_text_with_bounded_labels(image_server):
    from prometheus_client.parser import text_string_to_metric_families

    def scrape():
        status, content_type, data = call(image_server, "GET", "/metrics")
        assert status == 200 and content_type.startswith("text/plain")
        return {family.name: family for family in text_string_to_metric_families(data.decode())}, len(data)

    call(image_server, "POST", "/v1/models/tiny_cnn:predict", {"instances": np.zeros((1,) + IMAGE_SHAPE).tolist()})
    call(image_server, "POST", "/v1/models/tiny_cnn:predict", b"not json")
    call(image_server, "DELETE", "/v1/models/tiny_cnn:predict")  # wrong method: counted under the route, 405
    call(image_server, "GET", "/random/first")  # the unmatched label's series exist from the first 404 on
    scrape()
    _, size_before = scrape()
    for i in range(200):  # random unknown paths all count under one label
        call(image_server, "GET", f"/random/{uuid.uuid4().hex}/{i}")
    families, size_after = scrape()
    samples = [s for s in families["kerasmodels_requests"].samples if s.name == "kerasmodels_requests_total"]
    count = {(s.labels["method"], s.labels["route"], s.labels["status"]): s.value for s in samples}
    assert count[("POST", "/v1/models/{name}:predict", "200")] >= 1
    assert count[("POST", "/v1/models/{name}:predict", "400")] >= 1
    assert any(key[0] == "DELETE" and key[1].startswith("/v1/models/{name}") and key[2] == "405" for key in count)
    assert count[("GET", "<unmatched>", "404")] >= 200
    assert not any("random" in route for _, route, _ in count)
    assert size_after - size_before < 100  # the 404 counter's value grew, not the label set
    latency = {s.labels.get("le"): s.value for s in families["kerasmodels_request_duration_seconds"].samples
               if s.name.endswith("_bucket") and s.labels["route"] == "/v1/models/{name}:predict"}
    assert latency["+Inf"] >= 3 and latency["0.001"] <= latency["0.1"] <= latency["+Inf"]
    assert "kerasmodels_drift_max_psi" in families and "kerasmodels_instances_predicted" in families


def test_two_servers_in_one_process_keep_their_own_metrics(image_server, tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="other")
    with serving.make_server(None, model=model) as other:
        call(other, "POST", "/v1/models/other:predict", {"instances": [[0.0, 1.0, 2.0]]})
        text = call(other, "GET", "/metrics")[2].decode()
    assert 'route="/v1/models/{name}:predict",status="200"} 1.0' in text
    assert image_server.metrics.registry is not other.metrics.registry

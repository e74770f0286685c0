"""Export and serve: a `.keras` model exported as a SavedModel and as ONNX answers like the Keras model.

ONNX export from the TensorFlow backend needs tf2onnx and onnx (export time only); serving an
`.onnx` file needs onnxruntime only. A keras-hub text classifier exports its network (token ids in),
not its tokenizer, so the service refuses that export with a message saying to serve the .keras file.
"""

import json
import urllib.request

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasmodels import models, serving  # noqa: E402
from kerasmodels.errors import KerasmodelsError  # noqa: E402


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = models.cnn((28, 28), 10)
    folder = tmp_path_factory.mktemp("export")
    model.save(folder / "cnn.keras")
    model.predict_on_batch(np.zeros((1, 28, 28), np.float32))  # ONNX export needs a model that has been called
    return model, folder


def infer_v2(server, batch):
    name = server.predictor.name
    body = {"inputs": [{"name": server.predictor.input_name, "shape": list(batch.shape), "datatype": "FP32",
                        "data": batch.reshape(-1).tolist()}]}
    request = urllib.request.Request(f"{server.url}/v2/models/{name}/infer", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    answer = json.load(urllib.request.urlopen(request, timeout=30))
    output = answer["outputs"][0]
    return np.array(output["data"]).reshape(output["shape"])


def served_probabilities(path, batch):
    with serving.make_server(path) as server:
        meta = server.predictor.metadata()
        return infer_v2(server, batch), meta


def keras_probabilities(model, batch):
    logits = np.asarray(model.predict_on_batch(batch), np.float64)
    shifted = np.exp(logits - logits.max(1, keepdims=True))
    return shifted / shifted.sum(1, keepdims=True)


def test_saved_model_serves_the_same_predictions(cnn):
    model, folder = cnn
    model.export(folder / "cnn_saved_model", format="tf_saved_model")
    batch = np.random.default_rng(0).random((4, 28, 28)).astype(np.float32)
    got, meta = served_probabilities(folder / "cnn_saved_model", batch)
    assert meta["platform"] == "tensorflow_savedmodel" and meta["input"]["shape"] == [28, 28]
    assert meta["output"]["model_outputs"] == "logits"
    np.testing.assert_allclose(got, keras_probabilities(model, batch), atol=1e-5)


def test_onnx_model_serves_the_same_predictions_with_onnxruntime(cnn):
    pytest.importorskip("tf2onnx", reason="ONNX export from TensorFlow needs: pip install tf2onnx onnx")
    pytest.importorskip("onnxruntime", reason="serving ONNX needs: pip install onnxruntime")
    model, folder = cnn
    model.export(folder / "cnn.onnx", format="onnx")
    batch = np.random.default_rng(1).random((4, 28, 28)).astype(np.float32)
    got, meta = served_probabilities(folder / "cnn.onnx", batch)
    assert meta["platform"] == "onnxruntime_onnx" and meta["input"]["shape"] == [28, 28]
    assert meta["output"]["model_outputs"] == "logits" and meta["kind"] == "tensor"
    np.testing.assert_allclose(got, keras_probabilities(model, batch), atol=1e-5)


def test_a_softmax_output_is_recognised_in_exports(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")], name="probs")
    model.predict_on_batch(np.zeros((1, 4), np.float32))
    model.export(tmp_path / "probs_saved_model", format="tf_saved_model", verbose=False)
    assert serving.runtimes.load_runtime(tmp_path / "probs_saved_model").outputs == "probabilities"
    pytest.importorskip("tf2onnx")
    pytest.importorskip("onnx")
    model.export(tmp_path / "probs.onnx", format="onnx")
    runtime = serving.runtimes.load_runtime(tmp_path / "probs.onnx")
    assert runtime.outputs == "probabilities"


def test_missing_or_wrong_export_is_explained(tmp_path):
    with pytest.raises(KerasmodelsError, match="does not exist"):
        serving.make_server(tmp_path / "missing.onnx")
    (tmp_path / "not_saved_model").mkdir()
    with pytest.raises(KerasmodelsError, match="saved_model.pb"):
        serving.make_server(tmp_path / "not_saved_model")
    (tmp_path / "broken.onnx").write_bytes(b"not a protobuf")
    pytest.importorskip("onnxruntime")
    with pytest.raises(KerasmodelsError, match="onnxruntime cannot load"):
        serving.make_server(tmp_path / "broken.onnx")


@pytest.mark.slow
def test_a_text_classifier_export_lacks_its_tokenizer(tmp_path):
    pytest.importorskip("keras_hub")
    pytest.importorskip("tf2onnx")
    keras.utils.set_random_seed(0)
    classifier = models.bert_classifier(2, preset="tiny", sequence_length=16)
    classifier.predict_on_batch(np.array(["a good film"]))
    classifier.export(tmp_path / "bert.onnx", format="onnx")
    with pytest.raises(KerasmodelsError, match="without its tokenizer"):
        serving.make_server(tmp_path / "bert.onnx")

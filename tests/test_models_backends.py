"""The factories build, train, save and load on every installed Keras backend.

The backend is fixed when Keras is imported, so each backend runs in its own
subprocess with KERAS_BACKEND set.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import os, sys, tempfile
    import numpy as np
    import keras
    assert keras.backend.backend() == os.environ["KERAS_BACKEND"], keras.backend.backend()
    from kerasmodels.models import bert_classifier, cnn, compile_model, mlp, probabilities

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 0.2, size=(64, 18, 18)).astype("float32")
    y = rng.integers(0, 2, size=64).astype("int32")
    x[y == 1, :9] += 0.8  # class 1: bright top half
    keras.utils.set_random_seed(0)
    tmp = tempfile.mkdtemp()
    builders = {
        "mlp": lambda: mlp((18, 18), 2),
        "cnn-article002": lambda: cnn((18, 18), 2, preset="article002"),  # the smallest size it accepts
        "cnn-default": lambda: cnn((18, 18), 1, filters=(8, 16), augmentation="light"),
    }
    for name, build in builders.items():
        model = compile_model(build(), learning_rate=3e-3)
        before = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
        model.fit(x, y, epochs=4, batch_size=16, verbose=0)
        after = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
        assert after < before, (name, before, after)
        path = os.path.join(tmp, name + ".keras")
        model.save(path)
        loaded = keras.saving.load_model(path)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                                   rtol=1e-5, atol=1e-5)
        p = probabilities(model, x[:3])
        assert p.shape[0] == 3 and np.all((p >= 0) & (p <= 1))
        print("ok", name, round(before, 3), round(after, 3))

    vocab = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]", "a", "good", "bad", "film"]
    texts = np.array(["a good film", "a bad film"] * 4)
    labels = np.array([1, 0] * 4)
    model = bert_classifier(2, preset="tiny", sequence_length=8, vocabulary=vocab, lora_rank=2)
    compile_model(model, learning_rate=1e-3)
    model.fit(texts, labels, epochs=1, batch_size=4, verbose=0)
    path = os.path.join(tmp, "bert.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(texts, verbose=0), model.predict(texts, verbose=0),
                               rtol=1e-5, atol=1e-5)
    print("ok bert-tiny")
    """
)


def _run(backend):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_factories_train_save_and_load_on_backend(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install 'kerasmodels-course[{backend}]'); "
                    f"the {backend} backend is not checked here")
    result = _run(backend)
    assert result.returncode == 0, result.stderr[-4000:]
    for name in ("mlp", "cnn-article002", "cnn-default", "bert-tiny"):
        assert f"ok {name}" in result.stdout, result.stdout

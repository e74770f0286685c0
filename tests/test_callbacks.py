"""kerasmodels.callbacks on the default backend, in this process: every callback's output."""

import json
import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from kerasmodels import callbacks as kcb  # noqa: E402
from kerasmodels import flops  # noqa: E402
from kerasmodels.errors import KerasmodelsError  # noqa: E402

EPOCHS = 3


def tiny_data(n=128, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    return x, y


def tiny_model(seed=0, lr=1e-2, optimizer=None):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(2)]
    )
    model.compile(
        optimizer=optimizer or keras.optimizers.Adam(lr),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


# ---------------------------------------------------------------- count_flops


def test_count_flops_dense_matches_hand_count():
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(128), keras.layers.Dense(10)])
    assert flops.count_flops(model) == 2 * 784 * 128 + 2 * 128 * 10


def test_count_flops_conv_pool_and_dense():
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 3),  # -> 26x26x8
            keras.layers.MaxPooling2D(),  # -> 13x13x8
            keras.layers.Conv2D(16, 3, padding="same"),  # -> 13x13x16
            keras.layers.GlobalAveragePooling2D(),  # -> 16
            keras.layers.Dense(10),
        ]
    )
    conv1 = 2 * 3 * 3 * 1 * 8 * 26 * 26
    pool = 2 * 2 * 13 * 13 * 8
    conv2 = 2 * 3 * 3 * 8 * 16 * 13 * 13
    gap = 13 * 13 * 16
    dense = 2 * 16 * 10
    detail = flops.count_flops(model, detail=True)
    assert detail.total == conv1 + pool + conv2 + gap + dense
    assert detail.uncounted == []
    assert detail.training_per_example == 3 * detail.total


def test_count_flops_depthwise_and_conv1d():
    model = keras.Sequential(
        [
            keras.Input((10, 10, 4)),
            keras.layers.DepthwiseConv2D(3, depth_multiplier=2),  # -> 8x8x8
            keras.layers.Reshape((64, 8)),
            keras.layers.Conv1D(5, 4),  # -> 61x5
        ]
    )
    assert flops.count_flops(model) == 2 * 9 * 8 * 8 * 8 + 2 * 4 * 8 * 5 * 61


def test_count_flops_attention_grows_with_sequence_length_squared():
    heads, key_dim, width, vocab = 2, 8, 16, 50
    tokens = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(vocab, width)(tokens)
    x = keras.layers.MultiHeadAttention(heads, key_dim)(x, x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    model = keras.Model(tokens, keras.layers.Dense(3)(x))

    def hand(t):
        projections = 4 * 2 * t * width * heads * key_dim  # q, k, v and output EinsumDense
        attention = 2 * 2 * heads * t * t * key_dim  # QK^T and AV
        return projections + attention + t * width + 2 * width * 3

    assert flops.count_flops(model, sequence_length=10) == hand(10)
    assert flops.count_flops(model, sequence_length=20) == hand(20)
    with pytest.raises(ValueError, match="sequence_length"):
        flops.count_flops(model)


def test_count_flops_walks_nested_models_and_reports_uncounted_layers():
    inner = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)], name="inner")
    outer = keras.Sequential([keras.Input((6,)), inner, keras.layers.Dense(2)])
    assert flops.count_flops(outer) == 2 * 6 * 4 + 2 * 4 * 2
    rnn = keras.Sequential([keras.Input((5, 3)), keras.layers.SimpleRNN(4), keras.layers.LayerNormalization(),
                            keras.layers.Dense(1)])
    detail = flops.count_flops(rnn, detail=True)
    assert detail.total == 2 * 4 * 1
    assert len(detail.uncounted) == 1 and "simple_rnn" in detail.uncounted[0]  # normalisation counts 0 by convention


def test_count_flops_rejects_unbuilt_models_and_non_models():
    with pytest.raises(ValueError, match="model.build"):
        flops.count_flops(keras.Sequential([keras.layers.Dense(2)]))
    with pytest.raises(TypeError, match="keras.Model"):
        flops.count_flops("model")


def test_peak_flops_from_gpu_table_and_cpu_measurement():
    peak, source = flops.peak_flops("bfloat16", "NVIDIA A100-SXM4-40GB")
    assert peak == 312e12 and "A100" in source
    assert flops.peak_flops("float16", "Tesla T4")[0] == 65e12
    # V100 has no bfloat16 units: its float32 peak is what bfloat16 code gets.
    assert flops.peak_flops("bfloat16", {"name": "Tesla V100-SXM2-16GB"})[0] == 15.7e12
    assert flops.peak_flops("float32", "Mystery GPU 9000")[0] is None
    measured = flops.measure_cpu_peak("float32", size=256, repeats=3)
    assert 1e8 < measured < 1e14  # a CPU does between 0.1 GFLOP/s and 100 TFLOP/s


# ---------------------------------------------------------------- reports


def test_device_report_prints_one_short_block(capsys):
    model = tiny_model()
    report = kcb.DeviceReport(batch_size=32)
    x, y = tiny_data()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[report])
    out = capsys.readouterr().out
    assert report.info["backend"] == keras.backend.backend()
    assert report.info["replicas"] == 1
    assert report.info["per_replica_batch_size"] == 32
    assert report.info["precision"] == "float32"
    assert report.info["jit_compile"] in (True, False)
    lines = [line for line in out.splitlines() if line.startswith("[device]")]
    assert 3 <= len(lines) <= 6
    assert "global 32, per replica 32" in out and "precision float32" in out
    with pytest.raises(ValueError, match="batch_size"):
        kcb.DeviceReport(batch_size=0)


def test_throughput_measures_rates_and_mfu(capsys):
    model = tiny_model()
    x, y = tiny_data(256)
    speed = kcb.Throughput(batch_size=32, peak_flops=1e9)
    model.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[speed])
    assert len(speed.history) == 2
    flops = 2 * 8 * 16 + 2 * 16 * 2
    assert speed.flops_per_example == flops
    last = speed.history[-1]
    assert last["samples_per_sec"] > 0
    assert 0 < last["step_time_p50_ms"] <= last["step_time_p95_ms"]
    assert last["flops_per_sec"] == pytest.approx(3 * flops * last["samples_per_sec"])
    assert last["mfu"] == pytest.approx(last["flops_per_sec"] / 1e9)
    assert speed.compile_seconds is not None and "compile_seconds" in speed.history[0]
    out = capsys.readouterr().out
    assert out.count("[speed]") == 2 and "samples/s" in out and "MFU" in out


def test_throughput_without_batch_size_reports_steps_and_tokens_when_given(capsys):
    model = tiny_model()
    x, y = tiny_data(96)
    speed = kcb.Throughput(flops_per_example=None)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[speed])
    assert "steps_per_sec" in speed.history[0] and "samples_per_sec" not in speed.history[0]
    assert "pass batch_size=" in capsys.readouterr().out
    text = kcb.Throughput(batch_size=32, tokens_per_example=16, flops_per_example=None, verbose=0)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[text])
    assert text.history[0]["tokens_per_sec"] == pytest.approx(16 * text.history[0]["samples_per_sec"])


def test_memory_monitor_reports_process_rss(capsys):
    model = tiny_model()
    x, y = tiny_data()
    memory = kcb.MemoryMonitor()
    model.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=[memory])
    assert len(memory.history) == 2
    assert memory.history[-1]["peak_rss_bytes"] > 50 * 2**20  # Keras alone needs more than 50 MiB
    assert "peak_memory_bytes" not in memory.history[-1]  # no accelerator on this machine
    assert capsys.readouterr().out.count("[memory] epoch") == 2


# ---------------------------------------------------------------- LivePlot


def test_live_plot_saves_png_each_epoch_in_a_script(tmp_path):
    model = tiny_model()
    x, y = tiny_data()
    path = tmp_path / "curves.png"
    plot = kcb.LivePlot(path)
    model.fit(x, y, batch_size=32, epochs=EPOCHS, validation_split=0.25, verbose=0, callbacks=[plot])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(plot.history) == {"loss", "val_loss", "accuracy", "val_accuracy"}
    assert all(len(series) == EPOCHS for series in plot.history.values())
    assert len(plot.figure.axes) == 2
    with pytest.raises(ValueError, match=".png"):
        kcb.LivePlot("curves.jpg")


def test_live_plot_updates_one_display_in_a_notebook(monkeypatch):
    import IPython.display

    shown = []

    class Handle:
        def update(self, obj):
            shown.append(("update", obj))

    def fake_display(obj, display_id=False):
        shown.append(("display", obj))
        return Handle()

    monkeypatch.setattr(IPython.display, "display", fake_display)
    model = tiny_model()
    x, y = tiny_data()
    model.fit(x, y, batch_size=32, epochs=EPOCHS, verbose=0, callbacks=[kcb.LivePlot(notebook=True)])
    assert [kind for kind, _ in shown] == ["display"] + ["update"] * (EPOCHS - 1)
    assert all(obj.data[:4] == b"\x89PNG" for _, obj in shown)


# ---------------------------------------------------------------- NaNGuard


def diverging_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, name="first"), keras.layers.Dense(1, name="second")]
    )
    model.compile(optimizer=keras.optimizers.SGD(1e6), loss="mse")
    return model


def test_nan_guard_stops_a_diverging_run_and_names_the_layer(capsys):
    x = np.random.default_rng(0).standard_normal((256, 8)).astype("float32") * 100
    y = x.sum(axis=1, keepdims=True)
    guard = kcb.NaNGuard()
    history = diverging_model().fit(x, y, batch_size=16, epochs=5, verbose=0, callbacks=[guard])
    report = guard.report
    assert report is not None and not math.isfinite(report["loss"])
    assert report["epoch"] == 1 and len(history.history["loss"]) == 1  # stopped in the first epoch
    assert report["layer"] == "sequential/first" or report["layer"].endswith("first")
    out = capsys.readouterr().out
    assert "lower the learning rate (now 1e+06)" in out
    assert "gradient clipping" in out


def test_nan_guard_catches_a_nan_label_in_the_batch_it_arrives():
    x = np.random.default_rng(0).standard_normal((64, 8)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    y[21] = np.nan  # in the second batch of 16
    model = diverging_model()
    model.optimizer.learning_rate = 1e-3
    guard = kcb.NaNGuard(verbose=0)
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0, callbacks=[guard])
    assert guard.report["epoch"] == 1 and guard.report["batch"] == 2
    assert guard.report["layer"].endswith("first")  # NaN gradients reach every layer; the first is named
    assert any("check the data" in fix for fix in guard.report["fixes"])


def test_nan_guard_can_raise():
    x = np.random.default_rng(0).standard_normal((64, 8)).astype("float32") * 100
    with pytest.raises(FloatingPointError, match="likely fix"):
        diverging_model().fit(x, x.sum(1, keepdims=True), batch_size=16, epochs=3, verbose=0,
                              callbacks=[kcb.NaNGuard(raise_error=True)])


# ---------------------------------------------------------------- LRFinder


def test_lr_finder_sweeps_suggests_and_restores_the_model(capsys):
    model = tiny_model(lr=1e-3)
    x, y = tiny_data(512)
    before = [w.copy() for w in model.get_weights()]
    finder = kcb.LRFinder(min_lr=1e-5, max_lr=10.0, steps=40)
    suggestion = finder.run(model, x, y, batch_size=16)
    assert 1e-5 <= suggestion <= 10.0
    assert len(finder.rates) == len(finder.losses) >= 20
    assert finder.rates == sorted(finder.rates)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(1e-3)
    fig = finder.plot()
    assert fig.axes[0].get_xscale() == "log"
    assert "suggested learning rate" in capsys.readouterr().out


def test_lr_finder_validates_arguments():
    with pytest.raises(ValueError, match="min_lr"):
        kcb.LRFinder(min_lr=1.0, max_lr=0.1)
    with pytest.raises(ValueError, match="steps"):
        kcb.LRFinder(steps=2)
    with pytest.raises(ValueError, match="no sweep yet"):
        kcb.LRFinder().plot()


# ---------------------------------------------------------------- MetricsLogger


def test_metrics_logger_writes_csv_and_json_per_epoch(tmp_path):
    model = tiny_model()
    x, y = tiny_data()
    speed = kcb.Throughput(batch_size=32, verbose=0)
    logger = kcb.MetricsLogger(tmp_path, sources=[speed])
    model.fit(x, y, batch_size=32, epochs=EPOCHS, validation_split=0.25, verbose=0,
              callbacks=[speed, logger])
    rows = kcb.read_metrics(tmp_path / "metrics.json")
    assert [row["epoch"] for row in rows] == [1, 2, 3]
    assert {"loss", "val_loss", "accuracy", "learning_rate", "samples_per_sec"} <= set(rows[0])
    csv_lines = (tmp_path / "metrics.csv").read_text().splitlines()
    assert csv_lines[0].startswith("epoch,") and len(csv_lines) == 1 + EPOCHS
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporaries
    with pytest.raises(TypeError, match="epoch_stats"):
        kcb.MetricsLogger(tmp_path, sources=[object()])


# ---------------------------------------------------------------- ResumableTraining


class Interrupt(keras.callbacks.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise KeyboardInterrupt("simulated disconnect")


def test_resumable_training_resumes_to_the_same_epoch_count(tmp_path, capsys):
    x, y = tiny_data()
    total = 5
    resumable = kcb.ResumableTraining(tmp_path / "ckpt")
    logger = kcb.MetricsLogger(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        tiny_model().fit(x, y, epochs=total, validation_split=0.25, verbose=0,
                         callbacks=[resumable, logger, Interrupt(3)])
    assert kcb.read_state(tmp_path / "ckpt")["epoch"] == 3
    # The identical call on a fresh process-state model picks up at epoch 3.
    model = tiny_model()
    history = model.fit(x, y, epochs=total, validation_split=0.25, verbose=0,
                        callbacks=[kcb.ResumableTraining(tmp_path / "ckpt"), kcb.MetricsLogger(tmp_path)])
    assert len(history.history["loss"]) == total - 3
    assert "[resume] restored epoch 3/5" in capsys.readouterr().out
    assert kcb.read_state(tmp_path / "ckpt")["epoch"] == total
    assert [row["epoch"] for row in kcb.read_metrics(tmp_path / "metrics.json")] == [1, 2, 3, 4, 5]
    best = keras.models.load_model(tmp_path / "ckpt" / "best.keras")
    assert best.predict(x[:4], verbose=0).shape == (4, 2)
    # Called again, a finished run trains no further but restores the trained weights.
    again = tiny_model()
    history = again.fit(x, y, epochs=total, validation_split=0.25, verbose=0,
                        callbacks=[kcb.ResumableTraining(tmp_path / "ckpt")])
    assert history.history == {} or all(len(v) == 0 for v in history.history.values())
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_allclose(a, b)


def test_resumable_training_restores_optimizer_state(tmp_path):
    x, y = tiny_data()
    model = tiny_model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[kcb.ResumableTraining(tmp_path)])
    restored = tiny_model()
    restored.fit(x, y, epochs=2, verbose=0, callbacks=[kcb.ResumableTraining(tmp_path)])
    assert int(restored.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) > 0
    for a, b in zip(model.optimizer.variables, restored.optimizer.variables):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


def test_resumable_training_never_exposes_a_half_written_state(tmp_path, monkeypatch):
    """A kill during a save (simulated: the final rename never happens) leaves the previous state."""
    from kerasmodels.callbacks import resumable

    x, y = tiny_data()
    real_replace = os.replace
    calls = {"n": 0}

    def dying_replace(src, dst):
        calls["n"] += 1
        if calls["n"] > 2:  # epoch 1 writes best.keras and the state; die in epoch 2
            raise SystemExit("killed during save")
        real_replace(src, dst)

    monkeypatch.setattr(resumable.os, "replace", dying_replace)
    with pytest.raises(SystemExit):
        tiny_model().fit(x, y, epochs=4, verbose=0, callbacks=[kcb.ResumableTraining(tmp_path)])
    monkeypatch.setattr(resumable.os, "replace", real_replace)
    assert kcb.read_state(tmp_path)["epoch"] == 1
    history = tiny_model().fit(x, y, epochs=4, verbose=0, callbacks=[kcb.ResumableTraining(tmp_path)])
    assert len(history.history["loss"]) == 3
    assert not list(tmp_path.glob(".tmp-*"))


def test_resumable_training_refuses_another_models_state(tmp_path):
    x, y = tiny_data()
    tiny_model().fit(x, y, epochs=1, verbose=0, callbacks=[kcb.ResumableTraining(tmp_path)])
    other = keras.Sequential([keras.Input((8,)), keras.layers.Dense(3)])
    other.compile("adam", "mse")
    with pytest.raises(KerasmodelsError, match="different model"):
        other.fit(x, np.zeros((len(x), 3)), epochs=2, verbose=0, callbacks=[kcb.ResumableTraining(tmp_path)])


def test_resumable_training_keeps_the_last_good_state_on_nan(tmp_path):
    x = np.random.default_rng(0).standard_normal((64, 8)).astype("float32") * 100
    model = diverging_model()
    model.fit(x, x.sum(1, keepdims=True), batch_size=16, epochs=3, verbose=0,
              callbacks=[kcb.NaNGuard(verbose=0), kcb.ResumableTraining(tmp_path, verbose=0)])
    assert kcb.read_state(tmp_path) is None  # the only epoch ended in NaN: nothing saved


# ---------------------------------------------------------------- default_callbacks


def test_default_callbacks_with_a_directory(tmp_path, capsys):
    callbacks = kcb.default_callbacks(tmp_path, batch_size=32, live_plot=True)
    kinds = [type(c).__name__ for c in callbacks]
    assert kinds == ["ResumableTraining", "DeviceReport", "Throughput", "MemoryMonitor", "NaNGuard",
                     "MetricsLogger", "LivePlot"]
    x, y = tiny_data()
    tiny_model().fit(x, y, batch_size=32, epochs=2, validation_split=0.25, verbose=0, callbacks=callbacks)
    assert (tmp_path / "curves.png").exists() and (tmp_path / "checkpoints" / "best.keras").exists()
    rows = json.loads((tmp_path / "metrics.json").read_text())["epochs"]
    assert {"samples_per_sec", "peak_rss_bytes", "val_loss"} <= set(rows[-1])
    out = capsys.readouterr().out
    assert len(out.splitlines()) <= 12  # short enough to project to a class


def test_default_callbacks_without_a_directory_write_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    callbacks = kcb.default_callbacks(live_plot=False, verbose=0)
    assert [type(c).__name__ for c in callbacks] == ["DeviceReport", "Throughput", "MemoryMonitor", "NaNGuard"]
    x, y = tiny_data()
    tiny_model().fit(x, y, epochs=1, verbose=0, callbacks=callbacks)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="live_plot"):
        kcb.default_callbacks(live_plot="yes")


def test_default_callbacks_pass_a_known_peak_to_throughput_and_measure_nothing(monkeypatch):
    def no_measuring(*args, **kwargs):
        raise AssertionError("a given peak must not be measured")

    monkeypatch.setattr(flops, "measure_cpu_peak", no_measuring)
    callbacks = kcb.default_callbacks(batch_size=32, live_plot=False, verbose=0, peak_flops=1e12)
    [throughput] = [c for c in callbacks if isinstance(c, kcb.Throughput)]
    x, y = tiny_data()
    tiny_model().fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=callbacks)
    assert (throughput.peak, throughput.peak_source) == (1e12, "given")
    assert 0 < throughput.history[-1]["mfu"] < 1
    with pytest.raises(ValueError, match="peak_flops"):
        kcb.default_callbacks(peak_flops="measured")

"""`kerasmodels.train` trains with what `accelerate.setup()` picks and the model's recipe (issue 18).

The hardware is faked by replacing `hardware.describe()`: the training itself runs on this CPU.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402
from _bfloat16 import needs_tensorflow_bfloat16  # noqa: E402

from kerasmodels import accelerate, hardware  # noqa: E402
from kerasmodels.errors import InvalidArgumentError  # noqa: E402
from kerasmodels.train import train  # noqa: E402


def described(flags=(), gpus=()):
    return {
        "versions": hardware.versions(), "backend": keras.backend.backend(),
        "cpu": {"model": "fake CPU", "cores": 2, "flags": list(flags)},
        "accelerators": [{"name": name, "kind": "GPU", "memory_bytes": 80 * 2**30, "compute_capability": cc}
                         for name, cc in gpus],
    }


def fake_hardware(monkeypatch, info):
    monkeypatch.setattr(hardware, "describe", lambda with_devices=True: dict(info))


def test_recipes_keep_the_measured_cpu_recipe_and_scale_the_cnn_batch_on_gpus():
    cpu = accelerate.recipe("cnn")
    assert (cpu.batch_size, cpu.peak_learning_rate, cpu.epochs) == (128, 3e-3, 3)
    on_cpu = accelerate.setup(model_kind="cnn", hardware=described(["avx512_bf16"]))
    assert accelerate.recipe("cnn", acc=on_cpu) == cpu
    h100 = accelerate.setup(model_kind="cnn", hardware=described(gpus=[("NVIDIA H100 80GB HBM3", (9, 0))]))
    gpu = accelerate.recipe("cnn", acc=h100)
    assert (gpu.batch_size, gpu.peak_learning_rate, gpu.epochs) == (512, 6e-3, 5)
    assert "not measured" in gpu.source
    four = accelerate.setup(model_kind="cnn", hardware=described(gpus=[("NVIDIA A100", (8, 0))] * 4))
    assert accelerate.recipe("cnn", acc=four).batch_size == 4 * 512  # 512 per device
    assert accelerate.recipe("cnn", preset="seed").peak_learning_rate is None  # the document's own recipe
    assert (accelerate.recipe("mlp").epochs, accelerate.recipe("bert").optimizer) == (15, "adamw")
    assert accelerate.recipe("bert", preset="tiny").peak_learning_rate == 1e-3
    with pytest.raises(ValueError, match="model_kind='resnet'"):
        accelerate.recipe("resnet")


def test_the_default_cnn_gets_its_float32_recipe_on_a_cpu_without_bfloat16():
    laptop = accelerate.setup(model_kind="cnn", hardware=described(["avx2", "fma"]))
    assert laptop.precision == "float32"
    recipe = accelerate.recipe("cnn", acc=laptop)
    assert (recipe.batch_size, recipe.peak_learning_rate, recipe.epochs) == (128, 5e-3, 2)
    assert "float32" in recipe.source and "time to 99.0%" in recipe.source
    # The presets keep their article's recipe, other kinds and GPUs are untouched by precision.
    assert accelerate.recipe("cnn", preset="article002", acc=laptop).peak_learning_rate is None
    assert accelerate.recipe("mlp", acc=laptop) == accelerate.recipe("mlp")
    h100 = accelerate.setup(model_kind="cnn", precision="float32", hardware=described(gpus=[("NVIDIA H100", (9, 0))]))
    assert accelerate.recipe("cnn", acc=h100).batch_size == 512


def test_a_registered_rule_without_precision_still_works():
    from kerasmodels import registry

    cnn = registry.model_kind("cnn")
    kind = registry.ModelKind("old_style", cnn.modality, cnn.factory, lambda preset, device_kind, replicas:
                              registry.Recipe(64 * replicas, 1e-3, 1), cnn.stand_in)
    assert kind.recipe(precision="float32", replicas=2).batch_size == 128


@pytest.mark.slow
@needs_tensorflow_bfloat16  # the faked bfloat16 CPU makes train() use mixed_bfloat16 on this one
@pytest.mark.parametrize("flags, gpus", [
    (["amx_bf16", "avx512_bf16"], ()),  # AMX CPU: mixed_bfloat16, XLA off
    ((), [("NVIDIA H100 80GB HBM3", (9, 0))]),  # H100: mixed_bfloat16, XLA, steps_per_execution, batch 512
])
def test_train_uses_what_setup_picks(monkeypatch, tmp_path, flags, gpus):
    info = described(flags, gpus)
    expected = accelerate.setup(model_kind="cnn", hardware=info)
    fake_hardware(monkeypatch, info)
    before = keras.mixed_precision.global_policy().name
    summary = train("cnn", "digits", epochs=1, limit=600, out_dir=tmp_path, verbose=0)
    chosen = summary["accelerate"]
    assert chosen["precision"] == expected.precision == "mixed_bfloat16"
    assert (chosen["jit_compile"], chosen["steps_per_execution"]) == (expected.jit_compile,
                                                                     expected.steps_per_execution)
    assert chosen["applied"] is True and chosen["reasons"][0] == expected.reasons[0]
    assert summary["batch_size"] == accelerate.recipe("cnn", acc=expected).batch_size
    assert summary["recipe"]["schedule"] == "warmup_cosine"
    model = keras.saving.load_model(summary["model_path"])
    convolutions = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert convolutions and all(layer.dtype_policy.name == "mixed_bfloat16" for layer in convolutions)
    assert keras.mixed_precision.global_policy().name == before  # the process's policy is put back


@pytest.mark.slow
def test_precision_float32_and_no_accelerate_opt_out(monkeypatch, tmp_path):
    fake_hardware(monkeypatch, described(["amx_bf16", "avx512_bf16"]))
    forced = train("mlp", "digits", epochs=1, limit=300, out_dir=tmp_path / "f32", verbose=0, precision="float32")
    assert forced["accelerate"]["precision"] == "float32" and "as requested" in forced["accelerate"]["reasons"][0]
    assert forced["accelerate"]["steps_per_execution"] == 16  # the rest of the setup stays
    plain = train("mlp", "digits", epochs=1, limit=300, out_dir=tmp_path / "plain", verbose=0, accelerate=False)
    assert plain["accelerate"] is None and plain["recipe"]["peak_learning_rate"] == 3e-3
    with pytest.raises(InvalidArgumentError, match="--precision"):
        train("mlp", "digits", precision="fp8")


@pytest.mark.slow
def test_a_tiny_cnn_on_digits_still_learns(tmp_path):
    summary = train("cnn", "digits", epochs=5, out_dir=tmp_path, verbose=0)
    expected = accelerate.recipe("cnn", acc=accelerate.setup(model_kind="cnn", apply=False))  # by precision
    assert summary["recipe"]["peak_learning_rate"] == expected.peak_learning_rate and summary["batch_size"] == 128
    assert summary["test"]["accuracy"] > 0.8  # 10 classes: chance is 0.1

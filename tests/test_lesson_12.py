"""Lesson 12: LoRA by hand equals enable_lora, the cost table's ordering, embeddings with no training."""

import numpy as np


def test_lora_by_hand_matches_keras_dense():
    import keras

    rng = np.random.default_rng(0)
    layer = keras.layers.Dense(5)
    x = rng.normal(size=(3, 7)).astype("float32")
    layer(x)
    layer.enable_lora(rank=3, lora_alpha=6.0)
    layer.lora_kernel_b.assign(rng.normal(size=(3, 5)).astype("float32"))
    expected = x @ (layer._kernel.numpy() + 2.0 * layer.lora_kernel_a.numpy() @ layer.lora_kernel_b.numpy()) + layer.bias.numpy()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), expected, rtol=1e-5, atol=1e-5)
    assert {w.path.split("/")[-1] for w in layer.trainable_weights} == {"bias", "lora_kernel_a", "lora_kernel_b"}


def test_lesson_12_facts(executed_lessons):
    from conftest import notebook_text_outputs

    result = executed_lessons(12)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    assert m["LoRA by hand vs keras enable_lora: max difference"] < 1e-5
    assert m["right after enable_lora (B = 0): max change of the output"] < 1e-6
    # The cost table: full > LoRA > head in trainable weights, and in time per step.
    trainable = {name: m[f"{name}: trainable parameters"] for name in ("full fine-tune", "head only", "LoRA, rank 4")}
    per_step = {name: m[f"{name}: seconds per step"] for name in trainable}
    assert trainable["full fine-tune"] > trainable["LoRA, rank 4"] > trainable["head only"] == 770
    assert per_step["full fine-tune"] > per_step["head only"]
    assert per_step["LoRA, rank 4"] > per_step["head only"]
    # AdaLoRA illustration: the adaptive allocation follows the needed ranks and loses less.
    assert [m[f"adaptive (AdaLoRA idea): rank of matrix {k}"] for k in range(4)] == [2, 2, 4, 8]
    assert m["adaptive (AdaLoRA idea): total squared error"] < m["uniform LoRA: total squared error"] / 5
    # Mean-pooled MiniLM embeddings, unit length, and k-NN above chance with no training.
    assert m["sentence embeddings: max |norm - 1|"] < 5e-4
    assert m["nearest neighbours on MiniLM embeddings (k=9, no training): test accuracy"] > 0.55
    text = notebook_text_outputs(result)  # the graders' feedback to the learner's first attempts
    for exercise in ("12.lora_parameters", "12.lora_dense", "12.mean_pooling"):
        assert f"[NOT YET] {exercise}" in text

"""Lesson 13: LoRA by hand equals enable_lora, adapters inside a frozen encoder, the cost table, no-training uses."""

import numpy as np
import pytest

METHODS = ("full_fine_tune", "head_only", "lora_rank_4", "adapters_r_16")  # the metric keys of the four methods


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


def _tiny_backbone():
    import keras_hub

    return keras_hub.models.BertBackbone(vocabulary_size=12, num_layers=2, num_heads=2, hidden_dim=8,
                                         intermediate_dim=16, max_sequence_length=8)


def _tiny_inputs(batch=1):
    return {"token_ids": np.tile([[1, 5, 6, 7, 2, 0]], (batch, 1)), "segment_ids": np.zeros((batch, 6), "int32"),
            "padding_mask": np.tile([[1, 1, 1, 1, 1, 0]], (batch, 1))}


def test_adapters_start_as_the_identity_and_train_only_adapters_and_layer_norms():
    import keras

    from kerasmodels.course.topics import adapters

    backbone = _tiny_backbone()
    x = _tiny_inputs()
    before = keras.ops.convert_to_numpy(backbone(x)["sequence_output"])
    inserted = adapters.add_adapters(backbone, bottleneck_dim=4)
    assert len(inserted) == 2
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(backbone(x)["sequence_output"]), before)
    trainable = {w.path.split("/")[-1] for w in backbone.trainable_weights}
    assert trainable == {"gamma", "beta", "kernel", "bias"}
    assert all("adapter" in w.path for w in backbone.trainable_weights if w.path.endswith(("kernel", "bias")))
    adapter_weights = sum(a.count_params() for a in inserted)
    assert adapter_weights == 2 * (2 * 8 * 4 + 4 + 8)
    # A trained (non-zero) up-projection changes the encoder's output: the adapter is on the path.
    inserted[0].up.kernel.assign(np.random.default_rng(0).normal(size=(4, 8)).astype("float32"))
    assert np.abs(keras.ops.convert_to_numpy(backbone(x)["sequence_output"]) - before).max() > 1e-4

    # One compiled training step moves the adapters and layer norms and nothing else (a down-projection
    # whose up-projection is still zero gets no gradient yet, as LoRA's A while B = 0).
    inputs = backbone.input
    logits = keras.layers.Dense(2)(keras.ops.mean(backbone(inputs)["sequence_output"], axis=1))
    model = keras.Model(inputs, logits)
    model.compile(keras.optimizers.Adam(1e-2), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    snapshot = {id(w): w.numpy().copy() for w in backbone.weights}
    model.fit(_tiny_inputs(4), np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    moved = {id(w) for w in backbone.weights if not np.array_equal(w.numpy(), snapshot[id(w)])}
    assert moved and moved <= {id(w) for w in backbone.trainable_weights}
    assert {id(a.up.kernel) for a in inserted} <= moved


def test_bottleneck_adapter_config_round_trip():
    from kerasmodels.course.topics import adapters

    layer = adapters.BottleneckAdapter(3, activation="relu", name="a")
    clone = adapters.BottleneckAdapter.from_config(layer.get_config())
    assert (clone.bottleneck_dim, clone.name, clone.activation.__name__) == (3, "a", "relu")
    x = np.random.default_rng(1).normal(size=(2, 4, 6)).astype("float32")
    assert clone(x).shape == (2, 4, 6) and clone.count_params() == 2 * 6 * 3 + 3 + 6


def test_lesson_13_facts(executed_lessons):
    result = executed_lessons(13)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    assert m["lora_hand_vs_keras_max_diff"] < 1e-5
    assert m["enable_lora_b0_max_change"] < 1e-6
    # Keras's Dense.enable_lora leaves the bias trainable: 2 * (16 + 12) factors + 12 bias; frozen bias: 56.
    assert m["dense_lora_trainable"] == 2 * (16 + 12) + 12
    assert m["dense_lora_frozen_bias_trainable"] == 2 * (16 + 12)
    # Saving writes the merged kernel, but load_model rebuilds the (zeroed) LoRA factors: 16 * 12 + 12 + 56
    # weights instead of 204; the merged weights in a Dense built without enable_lora give the LoRA output.
    assert m["lora_reloaded_load_model_weights"] == 16 * 12 + 12 + 2 * (16 + 12)
    assert m["merged_lora_in_plain_dense_max_diff"] < 1e-5
    # Adapters: the layer matches the formula, starts as the identity, and so does MiniLM with six of them.
    assert m["adapter_hand_vs_package_max_diff"] < 1e-5
    assert m["adapter_init_max_change"] == 0
    assert m["adapter_weights_d384_r16"] == 2 * 384 * 16 + 16 + 384
    assert m["add_adapters_max_logit_change"] < 1e-6
    assert m["adapters_inserted"] == 6
    # Full fine-tuning trains every weight but the unused [CLS] pooler (a 384 x 384 dense layer with bias).
    assert m["full_fine_tune_frozen_weights"] == 384 * 384 + 384 == 147_840
    assert m["adapters_r_16_trainable_params"] == (6 * m["adapter_weights_d384_r16"]
                                                         + m["adapters_r16_layer_norm_weights"] + 770)
    # The cost table: every method trained for the same number of steps; full > LoRA > adapters > head in
    # trainable weights (adapters and LoRA under 1 % of the model); head-only is the fastest step.
    trainable = {name: m[f"{name}_trainable_params"] for name in METHODS}
    per_step = {name: m[f"{name}_cpu_s_per_step"] for name in METHODS}
    assert len({m[f"{name}_train_steps"] for name in METHODS}) == 1
    assert trainable["full_fine_tune"] > trainable["lora_rank_4"] > trainable["adapters_r_16"] > trainable["head_only"] == 770
    assert trainable["lora_rank_4"] < 0.01 * trainable["full_fine_tune"]
    # bert_classifier re-freezes the query/value biases enable_lora leaves trainable: only the factors and the head.
    assert m["lora_rank4_head_trainable"] == trainable["head_only"]
    assert per_step["full_fine_tune"] > per_step["head_only"]
    assert per_step["lora_rank_4"] > per_step["head_only"]
    assert per_step["adapters_r_16"] > per_step["head_only"]
    # AdaLoRA illustration: the budget of 16 goes where it is needed (at least the true ranks 1, 2, 4, 8)
    # and loses much less than 4 each.
    adaptive = [m[f"adaptive_adalora_idea_rank_matrix_{k}"] for k in range(1, 5)]
    assert sum(adaptive) == 16 and all(rank >= need for rank, need in zip(adaptive, [1, 2, 4, 8]))
    # The prose: the 16th triplet is noise (singular value about 0.1, true ones 1 to 3) and goes to matrix 1 here.
    assert 0.05 < m["adaptive_16th_singular_value"] < 0.2
    assert adaptive == [2, 2, 4, 8]
    assert m["adaptive_adalora_idea_total_squared_err"] < m["uniform_lora_total_squared_err"] / 5
    # Mean-pooled MiniLM embeddings with no training: unit length; k (chosen on validation) is one of the
    # candidates; the k-NN vote's 95% interval includes chance; the centroid beats chance, and the vote in a
    # paired test; the two label prompts (no labels at all) land above chance.
    chance = m["chance_larger_class_share"]
    knn = m["knn_minilm_test_acc"]
    centroid = m["centroid_test_acc"]
    half_width = m["test_acc_interval_half_width_70"]
    assert m["sentence_embedding_max_norm_err"] < 5e-4
    # Quick mode embeds at 24 tokens; the prose: that cuts 16 to 28 % of the reviews, depending on the split.
    cut = [m[f"{split}_share_cut"] for split in ("training_bank", "validation", "test")]
    assert round(100 * min(cut)) == 16 and round(100 * max(cut)) == 28
    assert m["knn_k_chosen"] in (1, 3, 5, 9, 15, 25, 35, 51, 75)
    assert knn - 1.96 * np.sqrt(knn * (1 - knn) / 128) < chance
    assert centroid > chance + half_width
    assert m["centroid_minus_knn_reviews"] / 128 > half_width
    # The chosen k is inside the grid, and the centroid's advantage holds in a paired test.
    assert m["knn_k_chosen"] < m["knn_max_k_grid"]
    assert m["centroid_minus_knn_paired_low"] > 0
    # ... but only against the k that validation chose (25) and some others: against k = 9 and 15, which
    # validation cannot tell apart from 25, the paired interval includes zero (the prose names these two).
    ks = (1, 3, 5, 9, 15, 25, 35, 51, 75)
    includes_zero = [k for k in ks if m[f"centroid_minus_{k}nn_paired_low"] <= 0]
    assert m["knn_k_chosen"] == 25 and includes_zero == [9, 15]
    assert chance < m["zero_shot_test_acc"]
    # Quick mode: the two label prompts are only borderline better than chance. The normal-approximation
    # interval clears it by a fraction of a point; the exact (Clopper-Pearson) interval includes chance;
    # the exact binomial test is just above 5% two-sided, below 5% one-sided. The prompts get about as many reviews right as the
    # neighbour vote (a few reviews either way).
    assert 0 < m["zero_shot_interval_low_minus_chance"] < 0.01
    assert m["zero_shot_exact_low_minus_chance"] < 0
    assert 0.05 < m["zero_shot_binomial_p"] < 0.1  # "a little above 5%"
    assert m["zero_shot_binomial_p_one_sided"] < 0.05
    assert m["zero_shot_minus_knn_reviews"] == 2  # the prose: 2 more, far inside the noise
    # The exercises' first attempts are wrong on purpose: the learner sees the graders' feedback.
    for exercise in ("lora_parameters", "lora_dense", "mean_pooling", "adapter_parameters"):  # 13.lora_parameters, ...
        assert m[f"exercise_13_{exercise}_passes"] == 0


def test_paired_difference_uses_the_disagreements():
    from kerasmodels.course.scratch.metrics import paired_difference

    a = np.array([1, 1, 1, 0] * 50, bool)
    b = np.array([1, 0, 1, 0] * 50, bool)  # A right on 50 more of 200, never worse
    difference, low, high = paired_difference(a, b)
    assert difference == 0.25 and low < 0.25 < high
    assert np.isclose(high - difference, 1.96 * np.sqrt((0.25 - 0.25**2) / 200))
    assert paired_difference(a, a) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="same examples"):
        paired_difference(a, b[:-1])

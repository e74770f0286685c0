"""Lesson 12: WordPiece by hand matches keras-hub, MLM masking and loss, the 003 §5.2 errata demonstrations."""

from pathlib import Path

import numpy as np
import pytest

from kerasmodels.course.scratch import text


def test_wordpiece_greedy_longest_match():
    vocab = {"[UNK]", "un", "##aff", "##able", "a", "##b", "ab", "##c"}
    assert text.wordpiece("unaffable", vocab) == ["un", "##aff", "##able"]
    assert text.wordpiece("abc", vocab) == ["ab", "##c"]  # longest first, not a + ##b + ##c
    assert text.wordpiece("unx", vocab) == ["[UNK]"]  # no partial split
    assert text.wordpiece("a" * 101, vocab | {"##" + "a"}) == ["[UNK]"]  # too long
    with pytest.raises(TypeError, match="word must be a str"):
        text.wordpiece(3, vocab)


def test_wordpiece_matches_keras_hub_tokenizer():
    import keras
    import keras_hub

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "play", "##ing", "##ed", "film", "##s", "un", "##real", "real"]
    tokenizer = keras_hub.tokenizers.WordPieceTokenizer(vocabulary=vocab, lowercase=True)
    for word in ["playing", "films", "unreal", "real", "played", "xyz", "filmed"]:
        ids = keras.ops.convert_to_numpy(tokenizer(word)).tolist()
        assert text.wordpiece(word, vocab) == [vocab[i] for i in ids], word


def test_mean_pool_ignores_padding():
    rng = np.random.default_rng(0)
    outputs = rng.normal(size=(2, 4, 3)).astype("float32")
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    pooled = np.asarray(text.mean_pool(outputs, mask))
    np.testing.assert_allclose(pooled[0], outputs[0, :2].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(pooled[1], outputs[1].mean(axis=0), rtol=1e-6)


def test_nearest_neighbour_predict():
    bank = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9], [0.2, 1.0]])
    labels = np.array([0, 0, 1, 1, 1])
    queries = np.array([[1.0, 0.05], [0.05, 1.0]])
    assert text.nearest_neighbour_predict(bank, labels, queries, k=1).tolist() == [0, 1]
    assert text.nearest_neighbour_predict(bank, labels, queries, k=3).tolist() == [0, 1]
    # k = 2 with one vote each: the more similar neighbour's class wins.
    assert text.nearest_neighbour_predict(bank, labels, np.array([[1.0, 0.6]]), k=2).tolist() == [0]
    with pytest.raises(ValueError, match="k must be"):
        text.nearest_neighbour_predict(bank, labels, queries, k=6)
    with pytest.raises(ValueError, match="same width"):
        text.nearest_neighbour_predict(bank, labels, np.ones((1, 3)))


def test_lesson_12_facts(executed_lessons):
    from conftest import notebook_text_outputs

    result = executed_lessons(12)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    assert m["wordpiece_hand_agrees_share"] == 1.0
    assert {"mlm_loss", "pretrained_vs_scratch"} <= {Path(p).stem for p in result.figures}
    # MaskedLMMaskGenerator: ~15 % selected, ~80/10/10 split (on ~2,000 selected tokens).
    assert 0.12 < m["mlm_share_selected"] < 0.18
    assert 0.75 < m["mlm_selected_masked"] < 0.85
    assert 0.06 < m["mlm_selected_random"] < 0.14
    assert 0.06 < m["mlm_selected_unchanged"] < 0.14
    # The masked-LM loss falls far below uniform guessing within the quick run, to about the token-frequency
    # predictor's loss and not clearly below it (the prose says so for quick mode).
    assert m["mlm_steps"] == 42  # the prose: one pass over 1,344 of the 1,360 reviews, whole batches of 32
    mlm = m["mlm_loss_last_10_steps"]
    assert mlm < m["mlm_loss_uniform_ln_v"] - 0.5
    assert mlm > m["mlm_loss_token_frequency"] - 0.15
    # Quick mode: after one pass the tiny MLM guesses ',' for every masked slot, not the most frequent token.
    assert m["mlm_probe_distinct_guesses"] == 1
    assert m["mlm_probe_share_comma"] == 1.0
    assert m["mlm_probe_share_most_frequent"] == 0
    # The from-scratch comparison differs in more than pre-training: ~40x the parameters, a few hundred WordPieces.
    assert 35 < m["minilm_over_tiny_bert_params"] < 45
    assert 100 <= m["tiny_bert_vocabulary"] < 1000
    # Errata 003 §5.2: characters, list.to, the mask, broadcasting, sigmoid vs softmax, label-blind accuracy.
    assert m["art_loop_longest_batch_chars"] == 1
    assert m["encode_result_has_to"] == 0
    assert m["padding_mask_mismatches"] == 0
    assert m["cls_padded_right_mask_max_diff"] < 1e-4
    assert m["cls_padded_the_articles_mask_max_diff"] > 1e-2
    # (4): (N, 1) labels are harmless in Keras's sparse CE, wrong in hand-written element-wise code.
    assert abs(m["sparse_ce_n1_minus_n_labels"]) < 1e-6
    assert abs(m["broadcast_table_acc"] - 0.5) < 0.02  # balanced labels: ~0.5 whatever the model
    # The table's mean is p̂p + (1-p̂)(1-p): it pairs every prediction with every label.
    assert abs(m["broadcast_table_acc"] - m["broadcast_table_expected_agreement"]) < 1e-9
    assert m["real_test_acc_minilm"] > 0.6
    assert abs(m["hand_bce_n1_labels"] - m["hand_bce_n_labels"]) > 0.05
    assert m["art_formula_true_minus_flipped"] == 0
    # (7): the loss averages divide by the file names' lengths.
    assert m["len_train_data"] == 14
    assert m["len_test_data"] == 13
    # Errata 003 §2.1: BERT-base has about 110 million parameters, not tens of billions.
    assert 105e6 < m["bert_base_params_keras_hub"] < 115e6
    # "数百亿" (2e10 to 9e10) is about 180 to 820 times BERT-base, as the erratum says.
    assert round(m["tens_of_billions_over_bert_base_low"], -1) == 180
    assert round(m["tens_of_billions_over_bert_base_high"], -1) == 820
    # ... and 59 to 265 times BERT-large's published 340 million.
    assert round(m["tens_of_billions_over_bert_large_low"]) == 59
    assert round(m["tens_of_billions_over_bert_large_high"]) == 265
    text_out = notebook_text_outputs(result)  # the graders' feedback to the learner's first attempts
    for exercise in ("12.wordpiece", "12.masked_lm_loss", "12.accuracy"):
        assert f"[NOT YET] {exercise}" in text_out


def test_masked_lm_loss_check_rejects_an_unstable_log_softmax():
    from kerasmodels.course import exercises
    from kerasmodels.course.exercises.lesson12 import _mlm_cases

    huge = [logits for name, logits, _, _ in _mlm_cases() if "huge" in name]
    with np.errstate(over="ignore"):
        assert huge and np.isinf(np.exp(huge[0])).any()  # the case really overflows float64

    def unstable(logits, mask_ids, mask_weights):  # right weighting, log-softmax without subtracting the max
        log_probs = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
        picked = np.take_along_axis(log_probs, mask_ids[..., None], axis=-1)[..., 0]
        return -np.sum(picked * mask_weights) / np.sum(mask_weights)

    with np.errstate(over="ignore", invalid="ignore"):
        result = exercises.check("12.masked_lm_loss", unstable, quiet=True)
    assert not result.passed and "huge logits" in result.message

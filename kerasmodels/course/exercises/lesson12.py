"""Exercises of lesson 12: WordPiece by hand, the masked-LM loss, accuracy from two-class logits."""

import numpy as np

from kerasmodels.course.exercises._core import exercise, expect_close, expect_equal
from kerasmodels.course.scratch.text import wordpiece

WORDPIECE_VOCAB = ["[UNK]", "un", "aff", "##aff", "##able", "a", "##b", "ab", "##c", "play", "##ing", "##s",
                   "film", "##y", "u", "##n"]
WORDPIECE_CASES = [
    ("a whole word in the vocabulary", "film"),
    ("prefix + continuation pieces", "unaffable"),
    ("the continuation 'ing' must be written '##ing'", "playing"),
    ("longest match first: 'ab' before 'a' + '##b'", "abc"),
    ("no valid split: the whole word is [UNK], not a partial split", "unxx"),
    ("an unknown first character", "zebra"),
    ("several short continuations", "films"),
]


@exercise("12.wordpiece", "WordPiece: greedy longest-match-first split of one word",
          hint="a piece that continues a word is written differently in the vocabulary from one that starts it",
          formula="from the current position take the LONGEST piece in the vocabulary; after the first piece, "
               "pieces are looked up with the '##' prefix ('##ing'); if nothing matches, return ['[UNK]'] "
               "for the whole word.")
def check_wordpiece(fn):
    for name, word in WORDPIECE_CASES:
        got = fn(word, set(WORDPIECE_VOCAB))
        expect_equal(f"{name}: wordpiece({word!r})", list(got) if isinstance(got, (list, tuple)) else got,
                     wordpiece(word, WORDPIECE_VOCAB))


def _log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _mlm_cases():
    rng = np.random.default_rng(11)
    cases = []
    for name, batch, masks, vocab, used in [
        ("every slot used (all weights 1)", 2, 3, 7, None),
        ("some unused slots (weight 0) must not count", 3, 4, 10, [[1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 0]]),
        ("a single masked token", 1, 5, 6, [[0, 0, 1, 0, 0]]),
        ("huge logits: exp overflows even in float64 (use a stable log-softmax)", 2, 2, 5, None),
    ]:
        scale = 1000.0 if "huge" in name else 2.0  # exp(z) is inf in float64 above z = 709.8
        logits = rng.normal(size=(batch, masks, vocab)) * scale
        ids = rng.integers(0, vocab, size=(batch, masks))
        weights = np.ones((batch, masks)) if used is None else np.asarray(used, dtype=float)
        cases.append((name, logits, ids, weights))
    return cases


def masked_lm_loss_reference(logits, mask_ids, mask_weights):
    picked = np.take_along_axis(_log_softmax(np.asarray(logits, float)), np.asarray(mask_ids)[..., None], axis=-1)[..., 0]
    return -np.sum(picked * mask_weights) / np.sum(mask_weights)


@exercise("12.masked_lm_loss", "masked-LM cross-entropy averaged over the real masked positions",
          hint="unused mask slots (weight 0) must count neither in the sum nor in the number you divide by; "
               "and np.exp overflows for large logits, so shift them by their maximum first",
          formula="loss = -sum(w * log p(true token)) / sum(w): divide by the number of REAL masked positions "
               "(the sum of the weights), not by batch x slots; compute log-softmax stably (subtract the max).")
def check_masked_lm_loss(fn):
    for name, logits, ids, weights in _mlm_cases():
        expect_close(name, fn(logits, ids, weights), masked_lm_loss_reference(logits, ids, weights), rtol=1e-6)


def _accuracy_cases():
    rng = np.random.default_rng(12)
    logits = rng.normal(size=(8, 2))
    labels = np.argmax(logits, axis=1)
    labels[[1, 4, 6]] = 1 - labels[[1, 4, 6]]  # 5 of 8 right
    return [
        ("labels of shape (N,)", logits, labels),
        ("labels of shape (N, 1) (no broadcasting to (N, N))", logits, labels[:, None]),
        ("flipped labels give 1 - accuracy", logits, 1 - labels),
        ("all right", logits, np.argmax(logits, axis=1)),
        ("both logits negative: softmax still picks the larger", np.array([[-3.0, -1.0], [-0.5, -4.0]]), np.array([1, 0])),
    ]


@exercise("12.accuracy", "accuracy from two-class logits",
          hint="accuracy compares predicted classes with the labels; watch the shapes you compare",
          formula="the predicted class is argmax over the two logits; compare it with the labels flattened to shape "
               "(N,) (np.ravel), then take the mean of the matches.")
def check_accuracy(fn):
    for name, logits, labels in _accuracy_cases():
        expected = float(np.mean(np.argmax(logits, axis=1) == np.ravel(labels)))
        expect_close(name, fn(logits, labels), expected)

"""Solutions to lesson 12's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def wordpiece_tokens(word, vocabulary):
    tokens, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocabulary:
                break
            end -= 1
        if end == start:
            return ["[UNK]"]
        tokens.append(piece)
        start = end
    return tokens


def masked_lm_loss(logits, mask_ids, mask_weights):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, mask_ids[..., None], axis=-1)[..., 0]
    return -np.sum(picked * mask_weights) / np.sum(mask_weights)


def accuracy_from_logits(logits, labels):
    return float(np.mean(np.argmax(logits, axis=1) == np.ravel(labels)))


def _wordpiece_without_hashes(word, vocabulary):
    tokens, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start and word[start:end] not in vocabulary:
            end -= 1
        if end == start:
            return ["[UNK]"]
        tokens.append(word[start:end])
        start = end
    return tokens


def _loss_over_all_slots(logits, mask_ids, mask_weights):
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    picked = np.take_along_axis(log_probs, mask_ids[..., None], axis=-1)[..., 0]
    return -np.mean(picked * mask_weights)


def _accuracy_broadcasting(logits, labels):
    return float(np.mean(np.argmax(logits, axis=1) == labels))


SOLUTIONS = {
    "12.wordpiece": wordpiece_tokens,
    "12.masked_lm_loss": masked_lm_loss,
    "12.accuracy": accuracy_from_logits,
}

WRONG_ANSWERS = {
    "12.wordpiece": _wordpiece_without_hashes,
    "12.masked_lm_loss": _loss_over_all_slots,
    "12.accuracy": _accuracy_broadcasting,
}

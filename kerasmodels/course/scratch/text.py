"""Text tools for the BERT lessons: WordPiece by hand, sentence embeddings, nearest neighbours.

- `wordpiece(word, vocabulary)`: BERT's WordPiece split of one word, greedy
  longest-match-first, written out so it can be read and checked against
  `keras_hub.tokenizers.WordPieceTokenizer`.
- `mean_pool(sequence_output, padding_mask)`: the average of the token
  vectors that are not padding, the sentence embedding of
  sentence-transformers models such as all-MiniLM-L6-v2.
- `sentence_embeddings(backbone, preprocessor, texts)`: mean-pooled,
  L2-normalised embeddings of raw strings from a keras-hub BERT backbone.
- `nearest_neighbour_predict(...)`: k-nearest-neighbour classification by
  cosine similarity, no training at all.

Example:

```python
from kerasmodels.course.scratch import text

vocab = ["[UNK]", "un", "##believ", "##able", "believ"]
text.wordpiece("unbelievable", vocab)   # ['un', '##believ', '##able']
```
"""

import numpy as np

MAX_WORD_CHARS = 100  # keras-hub's and Google BERT's limit: longer words become [UNK]


def wordpiece(word, vocabulary, unknown_token="[UNK]", suffix_indicator="##", max_chars=MAX_WORD_CHARS):
    """Split one word into WordPiece tokens, greedy longest-match-first.

    From the start of the word, take the longest prefix that is in the
    vocabulary; continue from where it ended, now looking for pieces written
    with the suffix indicator (`"##ing"`). If at some point no piece matches,
    the whole word becomes `unknown_token` (BERT does not keep partial splits).
    WordPiece is a deterministic tokenizer: it learns nothing while a model
    trains (its vocabulary is counted once, before pre-training).

    Args:
        word: one word, already lower-cased and split from punctuation (BERT's
            "basic tokenizer" does that first).
        vocabulary: the tokens, as a list or set of str.
        unknown_token: what a word with no valid split becomes.
        suffix_indicator: the prefix that marks a piece continuing a word.
        max_chars: words longer than this become `unknown_token`.

    Returns:
        A list of tokens.

    Example:

    ```python
    wordpiece("playing", ["play", "##ing", "[UNK]"])   # ['play', '##ing']
    wordpiece("xyz", ["play", "[UNK]"])                # ['[UNK]']
    ```
    """
    if not isinstance(word, str):
        raise TypeError(f"word must be a str; received {type(word).__name__} {word!r}.")
    vocabulary = vocabulary if isinstance(vocabulary, (set, frozenset, dict)) else set(vocabulary)
    if len(word) > max_chars:
        return [unknown_token]
    tokens, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else suffix_indicator + word[start:end]
            if piece in vocabulary:
                break
            end -= 1
        if end == start:  # no piece of any length matches here
            return [unknown_token]
        tokens.append(piece)
        start = end
    return tokens


def mean_pool(sequence_output, padding_mask):
    """Average the token vectors of each sequence, ignoring padding.

    Args:
        sequence_output: `(batch, tokens, hidden)` token vectors.
        padding_mask: `(batch, tokens)`, true (or 1) for real tokens.

    Returns:
        `(batch, hidden)`: for each sequence, the sum of its real tokens'
        vectors divided by their number.
    """
    import keras  # here, so that the NumPy helpers (and the exercises) stay cheap to import

    mask = keras.ops.cast(keras.ops.expand_dims(padding_mask, -1), sequence_output.dtype)
    total = keras.ops.sum(sequence_output * mask, axis=1)
    count = keras.ops.maximum(keras.ops.sum(mask, axis=1), 1.0)
    return total / count


def sentence_embeddings(backbone, preprocessor, texts, batch_size=64, normalize=True):
    """Mean-pooled sentence embeddings of raw strings from a keras-hub BERT backbone.

    This is how sentence-transformers turns all-MiniLM-L6-v2 into sentence
    vectors: run the encoder, average the vectors of the real tokens, and
    (for cosine similarity) scale each to length 1.

    Args:
        backbone: a `keras_hub.models.BertBackbone` (e.g. `model.backbone`
            of a `bert_classifier`).
        preprocessor: the matching preprocessor that maps strings to
            `token_ids`, `segment_ids` and `padding_mask` (e.g.
            `model.preprocessor`).
        texts: a sequence of str.
        batch_size: examples per forward pass.
        normalize: scale every embedding to unit L2 norm.

    Returns:
        A float32 NumPy array `(len(texts), hidden_dim)`.
    """
    import keras

    texts = np.asarray(texts, dtype=object)
    if texts.ndim != 1 or not all(isinstance(t, str) for t in texts):
        raise TypeError(
            f"texts must be a 1-D sequence of str, e.g. the x of kerasmodels.data.load('reviews'); "
            f"received an array of shape {texts.shape}."
        )
    inputs = {name: keras.Input(shape=(None,), dtype="int32", name=name)
              for name in ("token_ids", "segment_ids", "padding_mask")}
    pooled = mean_pool(backbone(inputs)["sequence_output"], inputs["padding_mask"])
    encoder = keras.Model(inputs, pooled, name="mean_pooled_encoder")
    features = preprocessor(texts)
    features = {name: keras.ops.convert_to_numpy(features[name]).astype("int32") for name in inputs}
    embeddings = encoder.predict(features, batch_size=batch_size, verbose=0).astype("float32")
    if normalize:
        embeddings /= np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    return embeddings


def nearest_neighbour_predict(train_embeddings, train_labels, query_embeddings, k=5):
    """Label each query by a vote of its `k` most cosine-similar training examples.

    Ties between classes go to the class whose neighbours are more similar in
    total. No parameter is trained: all the knowledge is in the embeddings.

    Args:
        train_embeddings: `(n, d)` embeddings of labelled examples.
        train_labels: `(n,)` integer labels.
        query_embeddings: `(m, d)` embeddings to classify.
        k: number of neighbours, 1 <= k <= n.

    Returns:
        `(m,)` int32 predicted labels.
    """
    train_embeddings = np.asarray(train_embeddings, dtype=np.float64)
    query_embeddings = np.asarray(query_embeddings, dtype=np.float64)
    train_labels = np.asarray(train_labels).astype(np.int64)
    if train_embeddings.ndim != 2 or query_embeddings.ndim != 2 or train_embeddings.shape[1] != query_embeddings.shape[1]:
        raise ValueError(
            f"train_embeddings and query_embeddings must be 2-D with the same width; received shapes "
            f"{train_embeddings.shape} and {query_embeddings.shape}."
        )
    if train_labels.shape != (len(train_embeddings),):
        raise ValueError(
            f"train_labels must have shape ({len(train_embeddings)},), one label per training embedding; "
            f"received shape {train_labels.shape}."
        )
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= len(train_embeddings):
        raise ValueError(f"k must be an integer from 1 to {len(train_embeddings)} (the training size); received {k!r}.")

    def unit(a):
        return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)

    similarity = unit(query_embeddings) @ unit(train_embeddings).T
    nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
    classes = np.unique(train_labels)
    votes = np.stack([(train_labels[nearest] == c).sum(axis=1) for c in classes], axis=1)
    weight = np.stack([np.where(train_labels[nearest] == c, np.take_along_axis(similarity, nearest, 1), 0).sum(axis=1)
                       for c in classes], axis=1)
    # Votes first; the similarity total (< k) only breaks ties.
    score = votes * (k + 1.0) + weight
    return classes[np.argmax(score, axis=1)].astype(np.int32)

"""Which vector should a classifier read from a frozen all-MiniLM-L6-v2? A linear probe on rt_polarity.

The pretrained encoder stays frozen; each candidate sentence vector feeds a logistic regression
(scikit-learn) fitted on the training split and scored on the test split:

- `mean`: the average of the token vectors over the real tokens (how sentence-transformers
  trained all-MiniLM-L6-v2, and what `bert_classifier(pooling="auto")` uses for MiniLM);
- `cls`: the `[CLS]` token's vector;
- `pooler`: the `[CLS]` vector after BERT's pooler (dense + tanh), what keras-hub's
  `BertTextClassifier` and Hugging Face's `BertForSequenceClassification` classify.

The probe is deterministic (no training randomness beyond the solver), so one run is enough;
the embeddings take about 2.5 minutes on 2 idle cores for the full data.

Raw results: bench/results/bert_pooling.json (`--name`).

Usage: python bench/bench_bert_pooling.py [--limit N] [--test-limit N] [--sequence-length 64] [--data-dir DIR]
"""

import argparse
import time

import numpy as np
from common import DEFAULT_RT_POLARITY, build, command_line, save, table


def sentence_vectors(model, texts, batch_size=256):
    """The three candidate vectors of every text, from the classifier's frozen backbone."""
    import keras

    from kerasmodels.course.scratch import text

    vectors = {"mean": [], "cls": [], "pooler": []}
    for start in range(0, len(texts), batch_size):
        features = model.preprocessor(np.asarray(texts[start:start + batch_size], dtype=object))
        outputs = model.backbone(features)
        mean = text.mean_pool(outputs["sequence_output"], features["padding_mask"])
        vectors["mean"].append(keras.ops.convert_to_numpy(mean))
        vectors["cls"].append(keras.ops.convert_to_numpy(outputs["sequence_output"])[:, 0])
        vectors["pooler"].append(keras.ops.convert_to_numpy(outputs["pooled_output"]))
    return {name: np.concatenate(parts) for name, parts in vectors.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="training sentences (default: all 8,530)")
    parser.add_argument("--test-limit", type=int, default=None, help="test sentences (default: all 1,066)")
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--data-dir", default=DEFAULT_RT_POLARITY, help="folder of rt-polarity.pos/.neg")
    parser.add_argument("--name", default="bert_pooling",
                        help="results file bench/results/NAME.json (a path if NAME has a folder)")
    args = parser.parse_args(argv)

    from sklearn.linear_model import LogisticRegression

    import kerasmodels as km

    x_train, y_train = km.data.load("rt_polarity", split="train", data_dir=args.data_dir, limit=args.limit)
    x_test, y_test = km.data.load("rt_polarity", split="test", data_dir=args.data_dir, limit=args.test_limit)
    model = build("bert", sequence_length=args.sequence_length, pooling="cls")
    start = time.perf_counter()
    train, test = sentence_vectors(model, x_train), sentence_vectors(model, x_test)
    seconds = time.perf_counter() - start
    accuracy = {}
    for name in train:
        probe = LogisticRegression(max_iter=3000).fit(train[name], y_train)
        accuracy[name] = float(probe.score(test[name], y_test))
    rows = [(name, f"{accuracy[name]:.2%}") for name in sorted(accuracy, key=accuracy.get, reverse=True)]
    print(table(rows, ("sentence vector", "test accuracy (linear probe, frozen MiniLM)")))
    print(f"{len(y_train)} training / {len(y_test)} test sentences; embeddings took {seconds:.0f} s")
    payload = {"command": command_line("bench_bert_pooling.py", argv), "train_examples": len(y_train),
               "test_examples": len(y_test), "sequence_length": args.sequence_length,
               "test_accuracy": accuracy, "embedding_seconds": seconds}
    print(f"raw results: {save(args.name, payload)}")
    return payload


if __name__ == "__main__":
    main()

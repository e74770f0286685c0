"""Lesson 17 §4's separate run: how much of the loan model's group gap the postcode carries, over seeds.

Quick mode's loan data (`fairness.make_loans(6000, seed=0)`, the first two thirds for training) and
its model (`mlp((4,), 1, hidden_units=(16,))`, learning rate 0.01, batch 64, 6 epochs), trained
with seeds 0-7. For each: the selection-rate and TPR gaps (group A minus B) on the test third
minus the true repayment rule's, the share of decisions that change when every applicant's postcode
is flipped, and the selection-rate gap when everybody gets one postcode (each of the two).

Raw results: bench/results/lesson17_postcode_seeds.json (`--name`).

Usage: python bench/lesson17_postcode_seeds.py [--seeds 8] [--name NAME]
"""

import argparse
import time

from common import command_line, save, table


def gaps(fairness, y, decisions, groups):
    metrics = fairness.group_metrics(y, decisions, groups, dict(enumerate(fairness.GROUP_NAMES)))
    return {k: metrics["group A"][k] - metrics["group B"][k] for k in ("selection rate", "TPR")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--name", default="lesson17_postcode_seeds")
    args = parser.parse_args(argv)

    import keras
    import numpy as np

    import kerasmodels as km
    from kerasmodels.course.topics import fairness

    started = time.process_time()
    loans = fairness.make_loans(6000, seed=0)
    n = len(loans["y"]) * 2 // 3
    x, y, g = loans["x"], loans["y"], loans["group"]
    score = (2.2 * (loans["log_income"] - 10.4) - 4.0 * (loans["debt"] - 0.3)
             + 0.08 * (loans["years"] - 6) + 0.6)  # the true repayment rule of make_loans
    rule = gaps(fairness, y[n:], (score[n:] >= 0).astype(int), g[n:])
    postcodes = np.unique(x[:, 3])
    runs = []
    for seed in range(args.seeds):
        keras.utils.set_random_seed(seed)
        model = km.models.compile_model(km.models.mlp((4,), 1, hidden_units=(16,)), learning_rate=0.01)
        model.fit(x[:n], y[:n], epochs=6, batch_size=64, verbose=0)

        def decide(features, model=model):
            logits = keras.ops.convert_to_numpy(model.predict(features, verbose=0))[:, 0]
            return (logits >= 0).astype(int)  # sigmoid(logit) >= 0.5

        own = decide(x[n:])
        model_gaps = gaps(fairness, y[n:], own, g[n:])
        flipped = x[n:].copy()
        flipped[:, 3] = np.where(flipped[:, 3] == postcodes[0], postcodes[1], postcodes[0])
        one_postcode = []
        for value in postcodes:
            same = x[n:].copy()
            same[:, 3] = value
            one_postcode.append(gaps(fairness, y[n:], decide(same), g[n:])["selection rate"])
        runs.append({"seed": seed, "selection_gap": model_gaps["selection rate"],
                     "selection_gap_minus_rule": model_gaps["selection rate"] - rule["selection rate"],
                     "tpr_gap_minus_rule": model_gaps["TPR"] - rule["TPR"],
                     "decisions_changed_by_flip": float(np.mean(decide(flipped) != own)),
                     "one_postcode_selection_gaps": one_postcode})
    print(table([(r["seed"], f"{r['selection_gap']:.3f}", f"{r['selection_gap_minus_rule']:+.3f}",
                  f"{r['tpr_gap_minus_rule']:+.3f}", f"{r['decisions_changed_by_flip']:.1%}",
                  " / ".join(f"{v:.3f}" for v in r["one_postcode_selection_gaps"])) for r in runs],
                ["seed", "selection gap", "minus rule", "TPR gap minus rule", "flip changes", "one postcode"]))
    path = save(args.name, {"command": command_line("lesson17_postcode_seeds.py", argv), "rule_gaps": rule,
                            "runs": runs, "cpu_seconds": round(time.process_time() - started, 1)})
    print(f"saved {path}")


if __name__ == "__main__":
    main()

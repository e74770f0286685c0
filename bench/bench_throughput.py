"""Training throughput of the MLP, CNN and BERT factories as a fraction of this machine's peak.

For every factory and round, a fresh process runs every setting (float32 / mixed_bfloat16, XLA
on / off) one after the other; the global dtype policy is set before each model is built (layers
read it when they are created) and `jit_compile` is a compile argument. For each setting it:

1. measures this CPU's matmul peak in float32 and in bfloat16 (a 2048x2048 matmul with
   `keras.ops`, the best of several, as in `measure_cpu_peak`) right before training, so the
   peak and the training see the same machine load;
2. builds the factory, counts its forward FLOPs per example with `count_flops`;
3. trains on synthetic data (a few warm-up steps that include compilation, then `--steps`
   timed steps) and takes the median step time.

Achieved training FLOP/s = 3 x forward FLOPs x samples/s (the convention of
`kerasmodels.flops`); MFU = achieved / peak of the setting's compute dtype. Settings
alternate within each process (A B C D, then B C D A in the next round, ...) so that machine noise
hits them alike, and the report
gives medians over `--repeats` and speed-ups relative to float32 measured in the same run. It
also records what `accelerate.setup()` chooses (rules, and `measure=True` where asked) so the
choice can be checked against the measurement.

Factories (synthetic inputs of the real shapes):

- mlp: `mlp((28, 28), 10)` (784-64-64-10, article 001 §5.2), batch 128.
- cnn: `cnn((28, 28), 10)` (the default recipe), batch 128.
- cnn_seed: `cnn((28, 28), 10, preset="article002")` (article 002 §5.2), batch 128.
- bert: `bert_classifier(2, "minilm-l6", sequence_length=64)` on strings longer than 64
  tokens (so every example fills the sequence), batch 32, AdamW.

Raw results: bench/results/throughput.json (`--name`).

Usage: python bench/bench_throughput.py [--repeats 2] [--steps 10] [--factories mlp,cnn,cnn_seed,bert]
       [--settings float32,mixed_bfloat16,float32+jit,mixed_bfloat16+jit] [--setup-measure] [--name NAME]
"""

import argparse
import json
import os
import sys

from common import (
    FACTORIES,
    build,
    command_line,
    emit,
    in_this_process,
    median,
    model_kind,
    run_worker,
    save,
    synthetic_batch,
    table,
    timed_fit,
)

from kerasmodels import registry

# The default selection (every kind and preset of kerasmodels.registry is a factory: common.FACTORIES).
# Each kind's default network, and article 002's CNN (the name earlier results use).
DEFAULT_FACTORIES = (*registry.model_kind_names(), "cnn_seed")
SETTINGS = ("float32", "mixed_bfloat16", "float32+jit", "mixed_bfloat16+jit")
BERT_SEQUENCE_LENGTH = 64


def batch_size(factory):
    """The batch of the kind's CPU recipe with its default network (mlp, cnn 128; bert 32), for every preset."""
    return model_kind(factory).recipe().batch_size


def is_text(factory):
    return model_kind(factory).modality == registry.TEXT


def _parse_setting(setting):
    policy, _, jit = setting.partition("+")
    return policy, jit == "jit"


def matmul_peak(dtype, size, repeats=6):
    """Best FLOP/s of a `size` x `size` matmul in `dtype` over `repeats` timings (after a warm-up).

    The best, not the median: a peak is what the machine can do, and on a shared machine the
    slower timings measure the other tenants.
    """
    from kerasmodels.flops import measure_cpu_peak

    return measure_cpu_peak(dtype, size=size, repeats=repeats, statistic="best")


def run_one(factory, setting, steps, warmup_steps, peak_size, setup_measure):
    import keras

    import kerasmodels as km
    from kerasmodels.flops import TRAINING_FLOPS_FACTOR, count_flops

    policy, jit = _parse_setting(setting)
    peaks = {dtype: matmul_peak(dtype, peak_size) for dtype in ("float32", "bfloat16")}
    choice = km.accelerate.setup(model_kind=model_kind(factory).name, apply=False)
    chosen = {"precision": choice.precision, "jit_compile": choice.jit_compile,
              "steps_per_execution": choice.steps_per_execution}
    if setup_measure:
        measured = km.accelerate.setup(model_kind=model_kind(factory).name, apply=False, measure=True)
        chosen["measure_true_precision"] = measured.precision
        chosen["measure_true_reason"] = measured.reasons[0]
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(0)
    model = build(factory, sequence_length=BERT_SEQUENCE_LENGTH)
    flops = count_flops(model, sequence_length=BERT_SEQUENCE_LENGTH if is_text(factory) else None)
    batch = batch_size(factory)
    if is_text(factory):
        optimizer = keras.optimizers.AdamW(5e-5, weight_decay=0.01)
    else:
        optimizer = keras.optimizers.Adam(1e-3)
    km.models.compile_model(model, optimizer=optimizer, jit_compile=jit)
    x, y = synthetic_batch(factory, batch * (warmup_steps + steps))
    timing = timed_fit(model, x, y, batch, warmup_steps)
    step_seconds = timing["step_seconds"]
    samples_per_sec = batch / step_seconds
    achieved = TRAINING_FLOPS_FACTOR * flops * samples_per_sec
    compute_dtype = "bfloat16" if "bfloat16" in policy else "float32"
    return {
        "factory": factory, "setting": setting, "policy": policy, "jit_compile": jit,
        "batch_size": batch, "steps": steps, "forward_flops_per_example": flops,
        "step_seconds": step_seconds, "samples_per_sec": samples_per_sec,
        "achieved_flops_per_sec": achieved, "peak_flops_per_sec": peaks,
        "mfu": achieved / peaks[compute_dtype], "mfu_vs_float32_peak": achieved / peaks["float32"],
        "first_fit_seconds": timing["first_fit_seconds"], "cores_used": timing["cores_used"],
        "setup_choice": chosen,
    }


def _setting_of(choice):
    return choice["precision"] + ("+jit" if choice["jit_compile"] else "")


def run_settings(factory, settings, args, measure_setup):
    """Every setting of `factory` one after the other in this process (the worker of one round)."""
    steps = max(4, args.steps // 4) if is_text(factory) else args.steps
    return [run_one(factory, setting, steps, args.warmup_steps, args.peak_size, measure_setup and i == 0)
            for i, setting in enumerate(settings)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10, help="timed steps (BERT: a quarter, at least 4)")
    parser.add_argument("--warmup-steps", type=int, default=3)
    parser.add_argument("--factories", default=",".join(DEFAULT_FACTORIES))
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--peak-size", type=int, default=2048, help="matmul size for the peak")
    parser.add_argument("--setup-measure", action="store_true",
                        help="also record what accelerate.setup(measure=True) picks (first repeat)")
    parser.add_argument("--in-process", action="store_true",
                        help="run every round in this process, not a fresh one per factory (quick checks)")
    parser.add_argument("--name", default="throughput",
                        help="results file bench/results/NAME.json (a path if NAME has a folder)")
    parser.add_argument("--report", metavar="JSON", help="only print the tables of a saved results file")
    parser.add_argument("--one", nargs=2, metavar=("FACTORY", "SETTINGS"), help=argparse.SUPPRESS)
    parser.add_argument("--measure-setup", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.report:
        saved = json.loads(open(args.report, encoding="utf-8").read())
        runs = saved["runs"]
        factories = list(dict.fromkeys(r["factory"] for r in runs))
        settings = [s for s in SETTINGS if any(r["setting"] == s for r in runs)]
        print(report(runs, factories, settings)[0])
        return saved
    factories = [f for f in args.factories.split(",") if f]
    settings = [s for s in args.settings.split(",") if s]
    for name, values, allowed in (("--factories", factories, FACTORIES), ("--settings", settings, SETTINGS)):
        unknown = [v for v in values if v not in allowed]
        if unknown or not values:
            parser.error(f"{name} {','.join(values)!r}: use a comma-separated subset of {','.join(allowed)}")
    if args.one:
        for result in run_settings(args.one[0], args.one[1].split(","), args, args.measure_setup):
            emit(result)
        return None

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    runs = []
    for repeat in range(args.repeats):
        for factory in factories:
            # One process per factory and round; the settings run in it one after the other, in
            # an order rotated every round so that no setting always goes first.
            order = settings[repeat % len(settings):] + settings[:repeat % len(settings)]
            measure_setup = args.setup_measure and repeat == 0
            if args.in_process:
                results = in_this_process(run_settings, factory, order, args, measure_setup)
            else:
                argv_one = [sys.executable, __file__, "--one", factory, ",".join(order), "--steps", str(args.steps),
                            "--warmup-steps", str(args.warmup_steps), "--peak-size", str(args.peak_size)]
                results = run_worker(argv_one + (["--measure-setup"] if measure_setup else []), factory, env=env)
            for result in results:
                result["repeat"] = repeat
                runs.append(result)
                print(f"repeat {repeat} {factory:8s} {result['setting']:20s} {result['samples_per_sec']:9.1f} "
                      f"samples/s MFU {result['mfu']:.1%} cores used {result['cores_used']:.2f}", flush=True)

    text, summary, peaks = report(runs, factories, settings)
    print(text)
    payload = {"repeats": args.repeats, "steps": args.steps, "in_process": args.in_process, "peaks": peaks,
               "summary": summary, "runs": runs, "command": command_line("bench_throughput.py", argv)}
    print(f"raw results: {save(args.name, payload)}")
    return payload


def _number(value):
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def report(runs, factories, settings):
    """Markdown tables, a summary dict and the median peaks from the raw runs."""
    peaks = {d: median([r["peak_flops_per_sec"][d] for r in runs]) for d in ("float32", "bfloat16")}
    rows, summary = [], {}
    for factory in factories:
        mine = [r for r in runs if r["factory"] == factory]
        base = {r["repeat"]: r for r in mine if r["setting"] == settings[0]}
        best = None
        for setting in settings:
            these = [r for r in mine if r["setting"] == setting]
            # Ratios to the first setting within each round, then the median: same-run ratios.
            # Per CPU-second too: on a shared machine a process gets a varying share of the cores,
            # and samples per CPU-second of the process does not depend on that share.
            entry = {
                "samples_per_sec": median([r["samples_per_sec"] for r in these]),
                "ratio": median([r["samples_per_sec"] / base[r["repeat"]]["samples_per_sec"] for r in these]),
                "samples_per_cpu_second": median([r["samples_per_sec"] / r["cores_used"] for r in these]),
                "cpu_ratio": median([(r["samples_per_sec"] / r["cores_used"])
                                     / (base[r["repeat"]]["samples_per_sec"] / base[r["repeat"]]["cores_used"])
                                     for r in these]),
                "mfu": median([r["mfu"] for r in these]),
                "achieved_gflops": median([r["achieved_flops_per_sec"] for r in these]) / 1e9,
                "first_fit_seconds": median([r["first_fit_seconds"] for r in these]),
                "cores_used": median([r["cores_used"] for r in these]),
            }
            summary[f"{factory}/{setting}"] = entry
            if best is None or entry["ratio"] > summary[f"{factory}/{best}"]["ratio"]:
                best = setting
            rows.append((factory, setting, these[0]["batch_size"], _number(entry["samples_per_sec"]),
                         f"{entry['ratio']:.2f}x", _number(entry["samples_per_cpu_second"]),
                         f"{entry['cpu_ratio']:.2f}x", f"{entry['achieved_gflops']:.1f}", f"{entry['mfu']:.1%}",
                         f"{entry['first_fit_seconds']:.1f}", f"{entry['cores_used']:.2f}"))
        # The rule in force when the last round ran (accelerate.py may change between runs).
        choice = mine[-1]["setup_choice"]
        measured = [r["setup_choice"]["measure_true_precision"] for r in mine
                    if "measure_true_precision" in r["setup_choice"]]
        summary[factory] = {"fastest": best, "setup_choice": choice, "setup_setting": _setting_of(choice),
                            "setup_measure_true_precision": measured[-1] if measured else None,
                            "forward_flops_per_example": mine[0]["forward_flops_per_example"]}
    lines = [f"peak (median over runs of the best matmul): float32 {peaks['float32'] / 1e9:.0f} GFLOP/s, "
             f"bfloat16 {peaks['bfloat16'] / 1e9:.0f} GFLOP/s",
             table(rows, ("factory", "setting", "batch", "samples/s", f"vs {settings[0]}", "samples/CPU-s",
                          f"vs {settings[0]} per CPU-s", "GFLOP/s", "MFU", "first fit s", "cores used"))]
    check_rows = []
    for factory in factories:
        info = summary[factory]
        picked = info["setup_setting"]
        picked_entry = summary.get(f"{factory}/{picked}")
        best_entry = summary[f"{factory}/{info['fastest']}"]
        verdict = ("not measured" if picked_entry is None
                   else "yes" if picked == info["fastest"]
                   else f"no ({best_entry['ratio'] / picked_entry['ratio']:.2f}x slower)")
        check_rows.append((factory, f"{info['forward_flops_per_example']:,}", picked, info["fastest"], verdict,
                           info["setup_measure_true_precision"] or "-"))
    lines.append(table(check_rows, ("factory", "forward FLOPs/example", "setup() picks", "fastest (same-run ratio)",
                                    "setup() right?", "setup(measure=True) precision")))
    return "\n".join(lines), summary, peaks


if __name__ == "__main__":
    main()

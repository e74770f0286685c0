# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Hardware and scale
#     articles: ["002 §9.2", "001 Q2", "002 §7.2.2", "003 Q3"]
#     quick_seconds: 77
#     full_seconds: 336
#     description: FLOPs, throughput, MFU and memory with the package's callbacks; float32 vs mixed precision vs XLA measured on your machine; data-parallel training on two devices and with two worker processes (MultiWorkerMirroredStrategy / JAX multi-process); a profiler trace for TensorBoard.
# ---

# %% [markdown]
# # 14 · Hardware and scale
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 002 §9.2 (mixed precision, 混合精度训练), article 001 Q2 (distributed training with
# TensorFlow's MirroredStrategy, 分布式训练), article 002 §7.2.2 (TensorBoard for debugging and
# performance analysis, 性能分析) and article 003 Q3 (distributed training offered as a way to avoid
# wasting compute).
#
# **After this lesson you can** count a model's FLOPs and compute its model FLOP utilisation (MFU),
# measure throughput and memory while training, decide with measurements (not folklore) whether
# mixed precision and XLA help on *your* hardware, train one model data-parallel on several
# devices and prove it computes the same thing, and record a profile that TensorBoard can open.
#
# **Prerequisites:** lesson 06 (a Keras model, `fit`), lesson 07 (the CNN).
#
# **Run time:** on TensorFlow on a 2-core CPU (AMD EPYC), quick mode used about 77 s of CPU time
# (`time kerasmodels run 14`; four Python processes start, each importing the backend). Wall time
# depends on the machine's load: that run took 5 minutes with other jobs keeping the load average
# near 11. Full mode took 336 s (5.6 minutes) of wall time on the same machine with TensorFlow,
# with other jobs running (load average about 5; its CPU time was not measured). An earlier version
# of this lesson needed about 73 s of CPU time in quick mode on JAX. On a GPU the precision table is
# the interesting part: rerun it there.

# %%
import json
import math
import re
import shutil
import subprocess
import sys
import textwrap
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import kerasmodels as km
from kerasmodels import course

lesson = course.setup_lesson(14)

# %% [markdown]
# ## 1. How much work is one example? FLOPs by hand and by the package
# A convolution with a $k \times k$ kernel, $C_\text{in}$ input and $C_\text{out}$ output channels
# producing an $H \times W$ map does $k^2 C_\text{in} C_\text{out} H W$ multiply-adds, i.e.
# **$2 k^2 C_\text{in} C_\text{out} H W$ FLOPs** (floating-point operations); a dense layer with
# $n$ inputs and $m$ outputs does $2nm$. Training costs about **3×** the forward pass in FLOPs (the
# backward pass computes gradients for both activations and weights; section 5 shows that in
# time it can cost more). We count the MNIST CNN of article 002
# §5.2 (lesson 07; `preset="article002"` builds it) by hand, layer by layer, and compare with `count_flops`:

# %%
model = km.models.cnn(input_shape=(28, 28), num_classes=10, preset="article002")
by_hand = {}
for layer in model.layers:
    if isinstance(layer, keras.layers.Conv2D):
        k, _, c_in, c_out = layer.kernel.shape
        h, w = layer.output.shape[1:3]
        by_hand[layer.name] = 2 * k * k * c_in * c_out * h * w
    elif isinstance(layer, keras.layers.Dense):
        by_hand[layer.name] = 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
counted = km.flops.count_flops(model, detail=True)
for name, flops in by_hand.items():
    package = next(v for k, v in counted.per_layer.items() if k.endswith(name))
    print(f"{name:10s} by hand {flops:>10,d}   count_flops {package:>10,d}")
print(f"total forward FLOPs per image: by hand {sum(by_hand.values()):,d}, count_flops {counted.total:,d} "
      "(pooling's comparisons included)")
lesson.metric("layers_counted_hand", len(by_hand), "layers counted by hand")
lesson.metric("layers_hand_eq_count_flops", sum(flops == next(v for k, v in counted.per_layer.items() if k.endswith(name))
                  for name, flops in by_hand.items()),
              "layers where by hand = count_flops")
lesson.metric("conv2d_1_forward_flops_hand", by_hand["conv2d_1"], "conv2d_1 forward FLOPs by hand", fmt=",.0f")

# %% [markdown]
# ## 2. How fast could this machine go? Peak FLOP/s and MFU
# **MFU** (model FLOP utilisation) is the share of the hardware's peak that your training achieves:
#
# $$\text{MFU} = \frac{3 \times \text{forward FLOPs per example} \times \text{examples per second}}
#   {\text{peak FLOP/s}}.$$
#
# The standard definition (PaLM, Chowdhery et al. 2022) divides by the **theoretical peak**: cores
# × FLOPs per cycle × clock, from the data sheet. The package's `km.flops.peak_flops` knows the
# data-sheet peaks of common GPUs (`km.flops.GPU_PEAK_TFLOPS`, per arithmetic: float32, TF32,
# bfloat16, float16; full mode's float16 row gets the float16 peak); on a machine with several GPUs we take one GPU's peak, since section 3 calls `fit()`
# without a distribution strategy and Keras then trains on one device. For a CPU it has no data sheet, so it *measures* the fastest large matrix product
# the backend runs (`km.flops.measure_cpu_peak`: here 2048 × 2048, the best of several runs, since
# other programs can only slow a run down). That number is a **matmul speed**, a lower bound of
# the true peak: an MFU computed from it overstates the real MFU, and training that runs faster
# than it suggests the measurement was low, or that the convolution kernels are as fast as this
# matmul or faster (section 3). On a CPU we measure float32 and bfloat16 only, so
# full mode's float16 row shows "n/a" for MFU there.

# %%
accelerators = km.hardware.accelerators(keras.backend.backend())
peaks, peak_sources = {}, {}
for dtype in ("float32", "bfloat16") + lesson.pick((), ("float16",)):  # float16: full mode's mixed_float16 row
    if accelerators:  # one GPU's data-sheet peak: section 3's fit() has no distribution strategy, so one device trains
        peaks[dtype], peak_sources[dtype] = km.flops.peak_flops(dtype, accelerators[0].name)
    elif dtype == "float16":  # never divide by another dtype's peak: no MFU for float16 on a CPU
        peaks[dtype], peak_sources[dtype] = None, "not measured on a CPU: its MFU shows n/a"
    else:
        peaks[dtype] = km.flops.measure_cpu_peak(dtype, size=2048, repeats=lesson.pick(3, 10), warmup=1)
        peak_sources[dtype] = f"matmul speed: best {dtype} 2048x2048 matmul measured on this CPU"
    shown = "unknown" if peaks[dtype] is None else f"{peaks[dtype] / 1e9:9,.1f} GFLOP/s"
    print(f"{dtype:9s} {shown}   ({peak_sources[dtype]})")
peak_is_measured = not accelerators
show_memory = bool(accelerators) and keras.backend.backend() != "jax"  # see section 3: only a resettable device peak

# %% [markdown]
# ## 3. Throughput and memory while training, with the package's callbacks
# `DeviceReport` says what the hardware is doing when training starts; `Throughput` measures
# samples per second, step times and MFU (leaving out each run's first step, which includes tracing
# and compilation); `MemoryMonitor` records peak memory: the device's on a GPU, the whole process's
# resident memory (RSS) on a CPU. On a CPU that RSS holds every model of this notebook and the
# backend's runtime, and grows with the order of the runs, so it cannot compare configurations.
# JAX cannot reset a GPU's peak either (it is the peak since the process started), so a later row
# would show at least an earlier row's peak. The table shows memory only on TensorFlow on a GPU,
# where `MemoryMonitor` resets the peak before each run; elsewhere it leaves it out, and we count
# the bytes that precision changes instead. We train the same CNN in float32 with and without XLA compilation
# (`jit_compile`) and in mixed precision, in rounds, and keep each configuration's best round, so
# that a moment of load from another program does not decide the comparison. On TensorFlow, full
# mode adds mixed precision with XLA (the slowest to compile) and float16; on JAX it adds float16
# (`mixed_float16`). A CPU without float16 arithmetic (AVX512-FP16, absent on the 2-core AMD EPYC of
# our runs) converts every float16 value and adds loss scaling's work, so that row runs far slower
# than float32 there (0.13x in our full run: TensorFlow, that CPU): float16 is a GPU choice. On JAX, Keras compiles the training step with XLA by default (and in every
# row here; `jit_compile=False` there runs every operation eagerly, a debugging mode), so the JAX
# table compares the precisions only.

# %%
x_train, y_train = km.data.load("mnist", split="train", limit=lesson.pick(1024, 10240))
batch_size = 128
on_jax = keras.backend.backend() == "jax"
if on_jax:  # (precision policy, jit_compile)
    configurations = [("float32", True), ("mixed_bfloat16", True)] + lesson.pick([], [("mixed_float16", True)])
else:
    configurations = [("float32", False), ("float32", True), ("mixed_bfloat16", False)]
    configurations += lesson.pick([], [("mixed_bfloat16", True), ("mixed_float16", False)])
candidates = {}
for policy, jit in configurations:
    keras.mixed_precision.set_global_policy(policy)  # read when the layers are built
    candidates[(policy, jit)] = km.models.compile_model(
        km.models.cnn(input_shape=(28, 28), num_classes=10, preset="article002"), jit_compile=jit)
keras.mixed_precision.set_global_policy("float32")

results = {config: {"samples/s": 0.0} for config in configurations}
rounds_per_row = lesson.pick(2, 3)
for round_number in range(rounds_per_row):
    for (policy, jit), candidate in candidates.items():
        compute_dtype = keras.mixed_precision.Policy(policy).compute_dtype
        speed = km.callbacks.Throughput(batch_size=batch_size, peak_flops=peaks[compute_dtype], verbose=0)
        memory = km.callbacks.MemoryMonitor(verbose=0)
        callbacks = [speed, memory]
        if round_number == 0 and (policy, jit) == configurations[0]:
            callbacks.append(km.callbacks.DeviceReport(batch_size=batch_size))
        history = candidate.fit(x_train, y_train, batch_size=batch_size, epochs=1, verbose=0, callbacks=callbacks)
        r, stats = results[(policy, jit)], speed.history[-1]
        r.setdefault("rounds", []).append(stats["samples_per_sec"])  # each round's speed, for the per-round comparison below
        if round_number == 0:
            r["first step s"] = speed.compile_seconds
        if stats["samples_per_sec"] > r["samples/s"]:
            # Throughput leaves the MFU out when the model beat the peak we gave it (then the peak is wrong).
            r.update({"samples/s": stats["samples_per_sec"], "MFU": stats.get("mfu")})
        peak_memory = memory.history[-1].get("peak_memory_bytes", memory.history[-1]["peak_rss_bytes"])
        r["memory MiB"] = max(r.get("memory MiB", 0), peak_memory / 2**20)
        r["loss"] = history.history["loss"][-1]
reference_model = candidates[configurations[0]]  # float32, kept for the profile in section 5

print(f"{'precision':15s} {'XLA':5s} {'samples/s':>10s} {'GFLOP/s':>8s} {'MFU':>7s} {'first step':>11s}"
      + (f" {'memory':>9s}" if show_memory else ""))
for (policy, jit), r in results.items():
    mfu = "n/a" if r["MFU"] is None else f"{r['MFU']:.1%}"
    achieved = 3 * counted.total * r["samples/s"] / 1e9  # training FLOP/s: 3 x forward
    print(f"{policy:15s} {str(jit):5s} {r['samples/s']:10,.0f} {achieved:8.1f} {mfu:>7s} {r['first step s']:9.2f} s"
          + (f" {r['memory MiB']:5.0f} MiB" if show_memory else ""))
if peak_is_measured:
    print("MFU here = training FLOP/s / the matmul speed of section 2 (an upper bound of the true MFU)")
    # A sanity check of section 2's matmul speeds: AVX512-BF16 does at most about 2x float32's FLOPs per instruction,
    # and a small CNN does not come near a CPU's true peak, so a larger ratio or a CPU MFU above 80 % flags a matmul
    # speed that is no true peak: measured low (a loaded machine) or no faster than the convolution kernels.
    peak_ratio = peaks["bfloat16"] / peaks["float32"]
    cpu_mfus = [r["MFU"] for (policy, _), r in results.items() if policy in ("float32", "mixed_bfloat16")]
    mfu_missing = sum(mfu is None for mfu in cpu_mfus)  # n/a: training beat the matmul speed
    largest_cpu_mfu = max((mfu for mfu in cpu_mfus if mfu is not None), default=None)
    peak_suspect = peak_ratio > 2 or mfu_missing > 0 or (largest_cpu_mfu or 0) > 0.8
    # Which matmul speed is suspect: float32's when the ratio is above 2, a row's own dtype when its MFU is.
    suspects = {"float32"} if peak_ratio > 2 else set()
    suspects |= {keras.mixed_precision.Policy(policy).compute_dtype for (policy, _), r in results.items()
                 if policy in ("float32", "mixed_bfloat16") and (r["MFU"] is None or r["MFU"] > 0.8)}
    # 3 x forward (the package's convention) counts the first layer's input gradient, which is never computed
    # (the input needs no gradient): it overstates this CNN's training FLOPs by this share.
    overcount = lesson.metric("three_x_forward_overcount_share", by_hand["conv2d_1"] / (3 * counted.total),
                              "3 x forward overcount: first layer's input gradient, share", fmt=".1%")
    print(f"3 x forward overstates training FLOPs by {overcount:.1%} here: the first layer's input gradient "
          "is never computed, so an MFU a few % past 100 % (n/a) is within the counting error")
    print(f"matmul speeds of section 2: bfloat16 / float32 = {peak_ratio:.2f}x"
          + (f"; largest CPU MFU above: {largest_cpu_mfu:.1%}" if largest_cpu_mfu is not None else ""))
    if peak_suspect:
        print(f"WARNING: section 2's {' and '.join(sorted(suspects))} matmul "
              f"{'speeds are' if len(suspects) > 1 else 'speed is'} probably no true peak (bfloat16 / float32 "
              "above 2x points at float32's, a CPU MFU above 80 % or n/a at its row's dtype): measured low on a "
              "loaded machine (a rerun tells), or a library kernel slower than the hardware allows (float32's "
              "matmul kernel below its peak; for an MFU, a matmul no faster than the convolution kernels), which "
              "a rerun does not change; either way the MFU against the hardware's true peak is lower")
    lesson.metric("cpu_matmul_bf16_over_f32", peak_ratio, "CPU matmul speed, bfloat16 / float32", fmt=".2f")
    if largest_cpu_mfu is not None:
        lesson.metric("max_cpu_mfu_table", largest_cpu_mfu, "largest CPU MFU in the table", fmt=".1%")
    lesson.metric("cpu_mfu_rows_na", mfu_missing, "CPU MFU rows shown n/a")
    lesson.metric("cpu_peak_low_warning", peak_suspect, "CPU peak probably measured low (warning printed)")
if not show_memory:
    print("memory left out: " + ("JAX's device peak cannot be reset between rows" if accelerators
                                 else "on a CPU it is the whole process's RSS"))
lesson.metric("memory_column_shown", show_memory, "memory column shown")
baseline = results[configurations[0]]["samples/s"]
lesson.metric("float32_train_gflop_per_s", 3 * counted.total * baseline / 1e9, "float32 training GFLOP/s", fmt=".1f")
lesson.metric("float32_train_samples_per_s", baseline, "float32 training throughput (samples/s)", headline=True, fmt=",.0f")
if results[configurations[0]]["MFU"] is not None:
    lesson.metric("float32_mfu", results[configurations[0]]["MFU"], "float32 MFU", fmt=".1%")
lesson.metric("precision_xla_configurations", sum(r["samples/s"] > 0 for r in results.values()),
              "precision/XLA configurations measured")


def row_name(config):
    return f"{config[0]} {'with' if config[1] else 'without'} XLA"


def direction(rounds, reference_rounds):
    """'faster' or 'slower' only when the two rows' per-round ranges do not overlap, else 'unclear'."""
    if min(rounds) > max(reference_rounds):
        return "faster"
    return "slower" if max(rounds) < min(reference_rounds) else "unclear"


# How often two equally fast rows would still show ranges that do not overlap (a weak test with few rounds).
by_chance = 2 * math.factorial(rounds_per_row) ** 2 / math.factorial(2 * rounds_per_row)
caveat = (f" (with {rounds_per_row} rounds each, two equally fast rows would fail to overlap, "
          f"in one direction or the other, 1 time in {round(1 / by_chance)})")
lesson.metric("equal_rows_no_overlap_one_in", round(1 / by_chance),
              "equally fast rows' rounds fail to overlap by chance: 1 time in")


for config, r in results.items():
    print(f"{row_name(config)}, samples/s per round: " + ", ".join(f"{speed:,.0f}" for speed in r["rounds"]))
    lesson.metric(f"{config[0]}_{'xla' if config[1] else 'no_xla'}_min_round", min(r["rounds"]),
                  f"{row_name(config)}: slowest round (samples/s)", fmt=",.0f")
    lesson.metric(f"{config[0]}_{'xla' if config[1] else 'no_xla'}_max_round", max(r["rounds"]),
                  f"{row_name(config)}: fastest round (samples/s)", fmt=",.0f")

def compare_rows(label, rounds, reference_rounds, prefix, every, every_reference, subject):
    """Record `label`'s speed-up over float32 (best rounds) and its direction; print both in a sentence."""
    ratio = max(rounds) / max(reference_rounds)  # best rounds, as in the bar chart
    verdict = direction(rounds, reference_rounds)
    lesson.metric(f"{lesson.key_part(label)}_speedup", ratio, f"{label} speed-up over float32", fmt=".2f")
    lesson.metric(f"{lesson.key_part(label)}_slower_every_round", verdict == "slower",
                  f"{label} slower than float32 in every round (ranges do not overlap)")
    lesson.metric(f"{lesson.key_part(label)}_faster_every_round", verdict == "faster",
                  f"{label} faster than float32 in every round (ranges do not overlap)")
    said = ("the two rows' rounds overlap, so which is faster is not settled in this run: rerun"
            if verdict == "unclear" else
            f"{every} was {verdict} than {every_reference}, so {subject} {verdict} here{caveat}")
    print(f"{prefix}: {ratio:.2f}x the speed of float32{'' if label == 'mixed_bfloat16' else ' without it'} "
          f"(best rounds); {said}")
    return ratio, verdict


bf16_speedup, bf16_direction = compare_rows(
    "mixed_bfloat16", results[("mixed_bfloat16", on_jax)]["rounds"], results[configurations[0]]["rounds"],
    "mixed_bfloat16", "every mixed_bfloat16 round", "every float32 round", "it is")
if not on_jax:
    xla_ratio, xla_direction = compare_rows(
        "XLA", results[("float32", True)]["rounds"], results[("float32", False)]["rounds"],
        "float32 with XLA, first step left out", "every XLA round", "every round without XLA", "XLA's steps are")


# What precision changes in memory, counted: the outputs of every layer for one batch (what the backward
# pass keeps), in each policy's compute dtype; the weights stay float32 in both.
def activation_bytes(network):
    total = 0
    for layer in network.layers:
        if isinstance(layer, (keras.layers.InputLayer, keras.layers.Reshape, keras.layers.Flatten)):
            continue  # the input is the data itself; Reshape and Flatten are views of their input
        dtype = keras.backend.standardize_dtype(layer.output.dtype)
        total += batch_size * int(np.prod(layer.output.shape[1:])) * (2 if dtype in ("bfloat16", "float16") else 4)
    return total


float32_bytes = activation_bytes(candidates[configurations[0]])
mixed_bytes = activation_bytes(candidates[("mixed_bfloat16", on_jax)])
weight_bytes = sum(int(np.prod(w.shape)) * 4 for w in candidates[configurations[0]].weights)
print(f"layer outputs for a batch of {batch_size}: float32 {float32_bytes / 2**20:.2f} MiB, "
      f"mixed_bfloat16 {mixed_bytes / 2**20:.2f} MiB ({mixed_bytes / float32_bytes:.2f}x; the logits "
      f"stay float32); weights {weight_bytes / 2**20:.2f} MiB in both")
lesson.metric("activation_bytes_bf16_over_f32", mixed_bytes / float32_bytes,
              "activation bytes per batch, mixed_bfloat16 / float32", fmt=".2f")

# %%
labels = [f"{policy}\n{'XLA' if jit else 'no XLA'}" for policy, jit in results]
speeds = [r["samples/s"] for r in results.values()]
fig, ax = plt.subplots(figsize=(9, 4))
bars = ax.bar(labels, speeds, color=["tab:blue" if p == "float32" else "tab:orange" for p, _ in results])
# Bar: the best round; black line: from the slowest to the fastest round. A ratio whose rounds overlap the
# float32 row's is marked "not settled".
ax.errorbar(labels, speeds, yerr=[[r["samples/s"] - min(r["rounds"]) for r in results.values()], [0] * len(speeds)],
            fmt="none", ecolor="black", capsize=6)
reference_rounds = results[configurations[0]]["rounds"]
for bar, (config, r) in zip(bars, results.items()):
    settled = config == configurations[0] or direction(r["rounds"], reference_rounds) != "unclear"
    ax.annotate(f"{r['samples/s']:,.0f}\n({r['samples/s'] / baseline:.2f}x{'' if settled else ', not settled'})",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=10)
ax.set_ylabel("training samples per second")
ax.set_ylim(0, max(speeds) * 1.3)
ax.set_title(f"Article 002's CNN on MNIST, batch {batch_size}: what helps on this machine")
ax.set_xlabel(f"bar: the fastest of {rounds_per_row} rounds; black line: down to the slowest round")
ax.grid(axis="y", alpha=0.3)
lesson.savefig(fig, "precision_and_xla")

# %% [markdown]
# Read the table as a measurement of *this* machine at *this* moment. The GFLOP/s column is the
# training's arithmetic rate (3 × forward FLOPs × samples/s). On a GPU the MFU column divides it
# by the data sheet's peak. On a CPU it divides by section 2's matmul speed, so it is an upper
# bound of the true MFU; "n/a" (except for full mode's float16 row, see section 2) means the
# training's counted FLOP/s beat that matmul speed: `Throughput` then reports no MFU rather than one
# above 100 %. That suggests, but does not prove, a matmul speed below what training can reach: 3 ×
# forward overstates this CNN's training FLOPs by a few % (printed under the table: the first
# layer's input gradient is never computed, as the input needs no gradient), so a row only just
# past 100 % is within that counting error. A CPU MFU near 100 % or n/a has two possible causes:
# another program was busy while section 2 measured the matmul, or this library's convolution
# kernels for that dtype are simply as fast as its 2048 × 2048 matrix product, or faster. Either way it does
# not say that a small CNN used the hardware well: against the CPU's true peak (which no data sheet
# gives us here) the MFU is lower. The line under the
# table checks this: it prints section 2's bfloat16 / float32 matmul ratio and prints a WARNING when
# that ratio is above 2 (more than AVX512-BF16's arithmetic gives, see below) or a CPU MFU is above
# 80 % or n/a, naming both causes. The
# warning names the suspect dtype: float32's when the ratio is above 2, the row's own dtype when its
# MFU is above 80 % or n/a. Rerun before comparing MFUs: a matmul speed measured low on a loaded
# machine changes from run to run; a library kernel that falls short of the hardware does not (a
# ratio that stays above 2 even in the run with the fastest float32 matmul, as in our runs (2.18x in
# a quick run; the full run's 3.63x also had float32 measured low), points at the float32 matmul
# kernel as well as at load; bfloat16 and float32 run different kernels). The speed ratios
# between rows are what to take away, with one check: 16-bit arithmetic can speed a row up by
# roughly at most the hardware's arithmetic ratio (AVX512-BF16 does twice float32's FLOPs per
# instruction, so about 2× on such a CPU), a rule of thumb for code limited by arithmetic or by
# memory bandwidth. A larger ratio needs another cause: half-size tensors that fit in the L2 or L3
# cache where the float32 ones do not, different kernels (another convolution algorithm or memory
# layout), or a float32 row slowed by another program. Rerun before you believe it.
# The throughput column already leaves out each run's first step, where XLA compiles, so the XLA
# row is XLA's steady-state speed. The lines under the table print each row's speed in every
# round, then the ratio of mixed_bfloat16 to float32 and (on TensorFlow) of float32 with XLA to
# without it, and say "slower" (or "faster") only when the two rows' ranges of round speeds do not
# overlap: every round of one row slower (or faster) than every round of the other. Overlapping
# ranges leave the direction not settled in this run: rerun before reading one into it. This is a
# weak test with quick mode's two rounds per row: if the two rows were equally fast, their
# 2 + 2 timings would be in random order, and the two ranges would fail to overlap, in one direction
# or the other, by chance 1 time in 3 (2 × 2!·2!/4! of the orders). Full mode's three rounds per row
# make it 1 time in 10 (2 × 3!·3!/6!). (In our
# earlier quick runs on a 2-core AMD EPYC, TensorFlow's XLA ratio ranged from 0.13 to 0.94 from run
# to run.) On JAX every row is compiled, so there is no such ratio.
#
# Mixed precision halves the bytes of most layer outputs (the count printed above), which is its
# memory saving; the weights, their updates and the optimizer's state stay float32.
#
# Compare with what `km.accelerate.setup` would choose here without measuring (its rules come from
# measurements on typical machines; `measure=True` times the choice on yours instead):

# %%
rule = km.accelerate.setup(model_kind="cnn", apply=False)
print(rule)


def rule_verdict(rule_picks_it, measured_direction, also=""):
    """'agrees'/'DISAGREES' only when the run settled the direction (the rounds do not overlap), with the chance
    that equally fast rows look that way; a DISAGREES adds what to do before overruling the rule."""
    if measured_direction == "unclear":
        return "cannot tell from this run whether it is right (the two rows' rounds overlap)"
    if rule_picks_it == (measured_direction == "faster"):
        return f"agrees with the measurement{caveat}"
    return (f"DISAGREES with the measurement{caveat}: rerun{lesson.pick(' (full mode has 3 rounds)', '')}{also} "
            "before you overrule the rule")


precision_verdict = rule_verdict(rule.precision == "mixed_bfloat16", bf16_direction,
                                 " or let setup(measure=True) time both precisions")
print(f"its precision rule picks {rule.precision}; this run measured mixed_bfloat16 at {bf16_speedup:.2f}x the "
      f"speed of float32 (best rounds), so here the rule {precision_verdict}")
lesson.metric("setup_picks_mixed_bf16", rule.precision == "mixed_bfloat16", "setup's precision rule picks mixed_bfloat16")
lesson.metric("setup_precision_agrees", precision_verdict.startswith("agrees"),
              "setup's precision rule agrees with this run's bfloat16 measurement")
lesson.metric("setup_precision_disagrees", precision_verdict.startswith("DISAGREES"),
              "setup's precision rule disagrees with this run's bfloat16 measurement")
if not on_jax:
    xla_verdict = rule_verdict(rule.jit_compile, xla_direction)
    print(f"its XLA rule turns XLA {'on' if rule.jit_compile else 'off'}; this run measured float32 with XLA at "
          f"{xla_ratio:.2f}x the speed of float32 without it (best rounds), so here the rule {xla_verdict}")
    lesson.metric("setup_turns_xla_on", rule.jit_compile, "setup's XLA rule turns XLA on")
    lesson.metric("setup_xla_agrees", xla_verdict.startswith("agrees"), "setup's XLA rule agrees with this run's XLA measurement")
    lesson.metric("setup_xla_disagrees", xla_verdict.startswith("DISAGREES"),
                  "setup's XLA rule disagrees with this run's XLA measurement")

# %% [markdown]
# Its precision rule is a prior from other runs; the line under `print(rule)` compares it with this
# run's measurement, and says "agrees" or "DISAGREES" only when the mixed_bfloat16 and float32 rows'
# rounds do not overlap (else that this run cannot tell), and adds how often two equally fast rows
# would fail to overlap, in one direction or the other, by chance (1 time in 3 with quick mode's two
# rounds). So a DISAGREES from one
# quick run is not yet a reason to overrule a rule built from benchmark runs: rerun, or let
# `setup(measure=True)` time both precisions before choosing. Where the disagreement holds, the
# measurement on your machine decides.
#
# On a CPU with `avx512_bf16` but no AMX (our AMD EPYC), the precision rule quotes
# `benchmark_precisions` runs ("1.1-2.1x faster"), not this lesson.
#
# Its rule for XLA on TensorFlow ("XLA off: on CPU it made conv nets slower (about half as fast on
# a 2-core Xeon, docs/hardware.md)") comes from a measurement on another machine; the ratio
# printed under the table is this run's, on this machine at its load, and may be far from one
# half. With TensorFlow, the last line above judges the XLA rule against that ratio in the same way,
# by the two float32 rows' rounds (on JAX every row is compiled, so there is no XLA choice to
# compare).

# %% [markdown]
# > **Errata (article 002 §9.2)**: "混合精度训练：将浮点数运算转换为半精度浮点数运算，提高训练速度和降低内存消耗"
# > ("mixed precision training converts floating-point operations to half precision, raising
# > speed and lowering memory use").
# >
# > That describes *half*-precision training, and it often fails: small updates vanish and small
# > gradients underflow (training entirely in 16 bits does work with extra care, such as
# > stochastic rounding or Kahan-compensated weight updates). *Mixed* precision computes the big products in 16 bits
# > but keeps the weights and their updates in float32. Keras does not keep the output layer's
# > softmax in float32 by itself: under a mixed policy a `Dense(..., activation="softmax")`
# > computes and outputs 16 bits. The rule is to build the last layer (or its activation) with
# > `dtype="float32"`, as `kerasmodels/models/cnn.py` does for its `logits` layer; the cell below
# > shows both. Keras's losses compute in float32. Two reasons for float32, in code: a float16 number has only 10
# > mantissa bits, so small updates to a weight of 1 vanish; and its smallest positive value is
# > about $6 \times 10^{-8}$, so small gradients underflow to zero, which is why float16 training
# > multiplies the loss by a large **loss scale** before the backward pass and divides the
# > gradients by it afterwards. And the speed-up is a property of the hardware: the table above
# > shows what 16-bit compute does on this machine.

# %%
weight = np.float16(1.0)
print(f"float16: 1 + 1e-4 = {weight + np.float16(1e-4)}   (float32: {np.float32(1.0) + np.float32(1e-4)})")
gradient = 1e-8
print(f"float16 gradient 1e-8 -> {np.float16(gradient)};  with loss scale 2**15: "
      f"{np.float16(gradient * 2**15)} -> unscaled in float32: {np.float32(np.float16(gradient * 2**15)) / 2**15:.3e}")

keras.mixed_precision.set_global_policy("mixed_bfloat16")
layer = keras.layers.Dense(4)
out = layer(np.ones((1, 3), dtype="float32"))
softmax_16 = keras.layers.Dense(4, activation="softmax")(np.ones((1, 3), dtype="float32"))
softmax_32 = keras.layers.Dense(4, activation="softmax", dtype="float32")(np.ones((1, 3), dtype="float32"))
mixed_cnn = km.models.cnn(input_shape=(28, 28), num_classes=10, preset="article002")
keras.mixed_precision.set_global_policy("mixed_float16")
fp16_model = km.models.compile_model(km.models.mlp(input_shape=(4,), num_classes=2, hidden_units=(8,)))
keras.mixed_precision.set_global_policy("float32")
print(f"mixed_bfloat16 Dense: weights stored as {layer.kernel.dtype}, computes and outputs {out.dtype}")
print(f"mixed_bfloat16 Dense(softmax): outputs {softmax_16.dtype}; with dtype='float32': {softmax_32.dtype}; "
      f"the package CNN's logits layer computes in {mixed_cnn.get_layer('logits').compute_dtype}")
print(f"mixed_float16 model: Keras wrapped the optimizer in {type(fp16_model.optimizer).__name__}")
lesson.metric("float16_one_plus_1e_4", weight + np.float16(1e-4), "float16: 1 + 1e-4")
lesson.metric("float16_grad_1e_8", np.float16(gradient), "float16 gradient 1e-8")
lesson.metric("grad_1e_8_after_loss_scaling", np.float32(np.float16(gradient * 2**15)) / 2**15,
              "gradient 1e-8 after loss scaling and unscaling",
              fmt=".3e")
lesson.metric("mixed_bf16_dense_float32_weights", layer.kernel.dtype == "float32", "mixed_bfloat16 Dense keeps float32 weights")
lesson.metric("mixed_bf16_dense_computes_bf16", keras.backend.standardize_dtype(out.dtype) == "bfloat16",
              "mixed_bfloat16 Dense computes in bfloat16")
lesson.metric("mixed_bf16_softmax_outputs_bf16", keras.backend.standardize_dtype(softmax_16.dtype) == "bfloat16",
              "mixed_bfloat16 Dense(softmax) outputs bfloat16")
lesson.metric("softmax_float32_dtype_outputs_float32", keras.backend.standardize_dtype(softmax_32.dtype) == "float32",
              "Dense(softmax, dtype='float32') outputs float32")
lesson.metric("package_cnn_logits_float32", mixed_cnn.get_layer("logits").compute_dtype == "float32",
              "package CNN logits compute in float32 under mixed_bfloat16")
lesson.metric("mixed_float16_loss_scaling", isinstance(fp16_model.optimizer, keras.mixed_precision.LossScaleOptimizer),
              "mixed_float16 adds loss scaling")

# %% [markdown]
# ## 4. Data parallelism: one model, several devices
# **Data parallelism** (数据并行) keeps a copy (replica) of the model on every device, splits each
# global batch between them, and **all-reduces** the gradients (averages them across devices)
# before every update, so all replicas apply the same update and stay identical. In TensorFlow this
# is `tf.distribute.MirroredStrategy`; `km.accelerate.setup(devices=n)` creates it (or
# `keras.distribution.DataParallel` on JAX).
#
# > **Errata (article 001 Q2)**: "将数据分片，并行训练多个模型副本" ("shard the data and train several
# > model replicas in parallel") can be read as several independent models. It is one model: the
# > replicas never diverge, because their gradients are averaged at every step. The check below
# > proves it: four steps on two devices with half of each batch give the same weights as four
# > steps on one device with whole batches. The same sentence names "PyTorch 的 Data Parallel"
# > (`torch.nn.DataParallel`); PyTorch's documentation recommends `DistributedDataParallel`
# > instead, even on a single machine.
#
# > **Errata (article 003 Q3)**: "分布式训练：使用分布式训练技术，将模型并行部署到多台机器上，提高训练效率"
# > ("distributed training: deploy the model in parallel on several machines to raise training
# > efficiency"), offered as a way to 避免计算资源浪费 ("avoid wasting compute"). Distributed training
# > shortens the *wall time* when it adds machines, but it costs *more* total device time than one
# > device (the same FLOPs, plus communication and waiting): every step adds an all-reduce, and the
# > devices wait for it (for this lesson's small
# > model, sending the gradients is too small to see in the two-worker measurement below; it grows
# > with the model and with slower links). And 将模型并行部署 ("deploy the model in parallel") is ambiguous:
# > distributed training covers data parallelism (数据并行, this section: one model, a replica per
# > device, the data split between them) and model parallelism or sharding (splitting one model's
# > layers, tensors or optimizer state across devices, needed when a model does not fit on one
# > device; Keras 3 has `keras.distribution.ModelParallel` beside `DataParallel`). It is not
# > deployment (serving, lesson 19).
#
# Without a second GPU we split this CPU into two *logical* devices: on TensorFlow with
# `tf.config.set_logical_device_configuration`, on JAX with the XLA flag
# `--xla_force_host_platform_device_count=2`. Both backends fix their device list when they start,
# and this notebook's backend is already running, so the experiment runs as a separate script,
# exactly as a training script on a multi-GPU machine would.

# %%
script = textwrap.dedent(f"""
    import json, os
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # JAX: two CPU devices. JAX reads XLA_FLAGS once, when it starts, so this comes before any import.
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2").strip()
    import kerasmodels as km
    backend = km.hardware.backend_name()
    if backend == "tensorflow":
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        # Must happen before TensorFlow initialises: two logical devices on one CPU.
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import contextlib
    import keras
    import numpy as np

    x, y = km.data.load("mnist", split="train", limit=512)
    jit = backend == "jax"  # JAX compiles its steps with XLA; TensorFlow's XLA made this CNN slower on CPU in our runs
    keras.utils.set_random_seed({lesson.seed})
    initial = km.models.cnn(input_shape=(28, 28), num_classes=10, preset="article002").get_weights()

    def train(scope):
        with scope:
            model = km.models.compile_model(km.models.cnn(input_shape=(28, 28), num_classes=10, preset="article002"),
                                            optimizer="adam", jit_compile=jit)  # Adam, as the recipe below
        model.set_weights(initial)
        # Four identical steps from identical weights: the updates must agree (over many steps
        # rounding differences would grow, as in any chaotic system, and prove nothing).
        history = model.fit(x, y, batch_size=128, epochs=1, shuffle=False, verbose=0,
                            callbacks=[km.callbacks.DeviceReport(batch_size=128)])
        return model.get_weights(), history.history["loss"][0]

    acc = km.accelerate.setup(devices=2, model_kind="cnn", precision="float32", jit=jit)
    print(acc)
    mirrored, mirrored_loss = train(acc.scope())
    if backend == "tensorflow":
        one_device = tf.distribute.OneDeviceStrategy("/cpu:0").scope()
    else:
        keras.distribution.set_distribution(None)  # back to one device
        one_device = contextlib.nullcontext()
    single, single_loss = train(one_device)
    difference = max(float(np.max(np.abs(a - b))) for a, b in zip(mirrored, single))
    print("RESULT", json.dumps({{"replicas": acc.replicas, "max_weight_difference": difference,
                                "relative_loss_difference": abs(mirrored_loss - single_loss) / single_loss}}))
""")
script_path = lesson.output_dir / "data_parallel_demo.py"
script_path.parent.mkdir(parents=True, exist_ok=True)
script_path.write_text(script)
run = subprocess.run([sys.executable, str(script_path)], capture_output=True, text=True, timeout=600)
lines = run.stdout.splitlines()
print("\n".join(line for line in lines if not line.startswith("RESULT")))
if run.returncode != 0:
    raise RuntimeError("the data-parallel script failed:\n" + run.stderr[-3000:])
parallel = json.loads(next(line for line in lines if line.startswith("RESULT"))[len("RESULT "):])
lesson.metric("data_parallel_replicas", parallel["replicas"], "data-parallel replicas")
lesson.metric("replicas_vs_one_device_max_weight_diff", parallel["max_weight_difference"],
              "max |weights(2 replicas) - weights(1 device)| after 4 steps",
              fmt=".2e")
lesson.metric("replicas_vs_one_device_rel_loss_diff", parallel["relative_loss_difference"],
              "relative loss difference, 2 replicas in one process vs 1 device",
              fmt=".1e")

# %% [markdown]
# The weights agree to float32 rounding (the two halves' gradients are summed in a different
# order), and so does the mean training loss of the four steps (its relative difference is printed
# last). We do not time this run: two logical devices share the same two cores, so its speed would
# say more about how the backend schedules work on a CPU than about data parallelism (the time of a
# data-parallel step is measured below, with two processes). On two GPUs the same script runs each
# half-batch on its own GPU. The only things to adapt are the ones the script
# shows: build and compile the model inside `acc.scope()`, and give `fit()` the *global* batch size
# (`acc.global_batch_size(per_replica)`), since each replica gets `global / replicas` examples.
#
# **Several machines.** Every machine runs the same script; the launch tells each one the cluster
# and its place in it. TensorFlow reads `TF_CONFIG` (the workers' addresses and this task's index)
# in `tf.distribute.MultiWorkerMirroredStrategy`; on JAX, `keras.distribution.initialize` (which
# calls `jax.distributed.initialize`) reads the coordinator's address, the process count and this
# process's id, then `keras.distribution.DataParallel` spans the devices of every process.
# `km.distributed.setup()` does either, and `kerasmodels train cnn --data mnist --workers 2` tries
# it on one machine: two worker processes talking over 127.0.0.1, exactly as two machines would
# talk over the network. (`--hosts host1:12345,host2:12345` prints the command for each machine.)
# Only the chief (worker 0) writes the run's files; `fit()` gets the *global* batch, which the
# runtime splits between the workers.
#
# We train article 002's CNN on the same data and the same global batches with one process and with
# two workers, both in float32 (`--precision float32`; left to `setup()`, a CPU with AVX512-BF16 would
# get mixed bfloat16, whose rounding alone is larger than the gap we look for), as in the
# two-replica script above, and compare the loss curves and the time per training step (the median
# of each epoch's steps; quick mode has 4 steps per epoch).

# %%
mw_limit, mw_epochs = lesson.pick(512, 4096), lesson.pick(2, 3)
# --eval-limit: validation and test on as many images as training, so quick mode stays quick.
mw_args = ["cnn", "--data", "mnist", "--preset", "article002", "--limit", str(mw_limit), "--eval-limit", str(mw_limit),
           "--epochs", str(mw_epochs), "--batch-size", "128", "--precision", "float32", "--quiet"]
for folder in ("one-worker", "two-workers"):  # a fresh run each time (the runs would resume otherwise)
    shutil.rmtree(lesson.output_dir / folder, ignore_errors=True)
started = time.perf_counter()
km.distributed.launch_local(km.distributed.worker_command(mw_args + ["--out", str(lesson.output_dir / "two-workers")]),
                            workers=2, log_dir=lesson.output_dir / "two-workers" / "logs", timeout=600)
two_seconds = time.perf_counter() - started
# What each worker process runs (`python -m kerasmodels.train ...`), here in this one process.
one = km.train.train("cnn", "mnist", epochs=mw_epochs, batch_size=128, limit=mw_limit, eval_limit=mw_limit,
                     preset="article002", out_dir=lesson.output_dir / "one-worker", seed=lesson.seed,
                     precision="float32", verbose=0, multi_worker=True)
two = json.loads((lesson.output_dir / "two-workers" / "metrics.json").read_text())
keras.mixed_precision.set_global_policy("float32")
for name, run_summary in (("1 process", one), ("2 workers", two)):
    print(f"{name:9s}: {run_summary['replicas']} replica(s), global batch {run_summary['global_batch_size']} "
          f"({run_summary['per_replica_batch_size']} per replica), loss per epoch "
          + ", ".join(f"{v:.4f}" for v in run_summary["loss"])
          + ", median step per epoch " + ", ".join(f"{v:.1f}" for v in run_summary["step_time_p50_ms"]) + " ms")
precisions = sorted({one["accelerate"]["precision"], two["accelerate"]["precision"]})
print("precision of both runs:", ", ".join(precisions))
lesson.metric("workers_train_float32", precisions == ["float32"], "1 process and 2 workers train in float32")
step_ratios = [b / a for a, b in zip(one["step_time_p50_ms"], two["step_time_p50_ms"])]
print("time per step, 2 workers / 1 process, per epoch: " + ", ".join(f"{r:.2f}" for r in step_ratios))
print(f"the two-worker run took {two_seconds:.0f} s in all, starting two Python processes included")
loss_gap = max(abs(a - b) / b for a, b in zip(two["loss"], one["loss"]))
print(f"largest relative loss difference: {loss_gap:.1e}, "
      f"{'above' if loss_gap > 1e-6 else 'within'} float32 rounding (taken as 1e-6 for a mean of a few batch losses)")
lesson.metric("workers_max_rel_loss_diff", loss_gap, "2 workers: max relative loss difference from 1 process", fmt=".1e")
lesson.metric("workers_loss_gap_above_rounding", loss_gap > 1e-6, "2 workers: loss gap above float32 rounding")
lesson.metric("step_ms_1_process_last_epoch", one["step_time_p50_ms"][-1], "time per step, 1 process, last epoch (ms)", fmt=".1f")
lesson.metric("step_ms_2_workers_last_epoch", two["step_time_p50_ms"][-1], "time per step, 2 workers, last epoch (ms)", fmt=".1f")
lesson.metric("step_ratio_last_epoch", two["step_time_p50_ms"][-1] / one["step_time_p50_ms"][-1],
              "time per step, 2 workers / 1 process, last epoch",
              fmt=".2f")
lesson.metric("step_ratio_min", min(step_ratios), "time per step, 2 workers / 1 process, smallest over epochs", fmt=".2f")
lesson.metric("step_ratio_max", max(step_ratios), "time per step, 2 workers / 1 process, largest over epochs", fmt=".2f")
# What the all-reduce sends: one float32 gradient per trainable parameter. A ring all-reduce sends 2(N - 1)/N times
# that per worker and step, once for N = 2; at 1 GB/s (about a 10-gigabit link) that takes gradient_bytes / 1e6 ms.
parameters = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
gradient_bytes = 4 * parameters
send_ms = gradient_bytes / 1e6
send_share = send_ms / one["step_time_p50_ms"][-1]
ratio_spread = max(step_ratios) - min(step_ratios)
print(f"all-reduced per step: {parameters:,d} parameters x 4 B = {gradient_bytes / 1024:.0f} KiB of gradients; sent once "
      f"at 1 GB/s that takes {send_ms:.2f} ms, {send_share:.1%} of the 1-process step ({one['step_time_p50_ms'][-1]:.1f} "
      f"ms), while the per-epoch ratio moved by {ratio_spread:.2f} ({ratio_spread:.0%} of a step)")
print("so the all-reduce's cost is " + ("below this run's noise: the figure cannot show it" if send_share < ratio_spread
                                        else "not below this run's epoch-to-epoch spread here"))
lesson.metric("grad_bytes_all_reduced", gradient_bytes, "gradient bytes all-reduced per step", fmt=",.0f")
lesson.metric("all_reduce_1gbps_over_step", send_share, "all-reduce at 1 GB/s / 1-process step time", fmt=".1%")
lesson.metric("all_reduce_below_spread", send_share < ratio_spread, "all-reduce below the step-ratio spread")
lesson.metric("workers_epochs_completed", two["epochs_completed"], "2 workers: epochs completed")

fig, (ax_loss, ax_time) = plt.subplots(1, 2, figsize=(10, 3.5))
for label, run_summary, style in (("1 process", one, "o-"), ("2 workers", two, "s--")):
    epochs_axis = range(1, len(run_summary["loss"]) + 1)
    ax_loss.plot(epochs_axis, run_summary["loss"], style, label=label)
ax_loss.set_xticks(range(1, len(one["loss"]) + 1))
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("training loss")
ax_loss.set_title("Same global batches: the same curve")
ax_loss.legend()
bar_width = 0.38
for offset, (label, run_summary, color, hatch) in zip(
        (-bar_width / 2, bar_width / 2), (("1 process", one, "tab:blue", None), ("2 workers", two, "tab:orange", "//"))):
    # Hatching tells the two series apart without colour (projectors, colour-blind readers).
    ax_time.bar(np.arange(1, len(run_summary["step_time_p50_ms"]) + 1) + offset, run_summary["step_time_p50_ms"],
                bar_width, color=color, hatch=hatch, edgecolor="black", label=label)
ax_time.set_xticks(range(1, len(one["step_time_p50_ms"]) + 1))
ax_time.set_xlabel(f"epoch ({one['steps_per_epoch']} steps each)")
ax_time.set_ylabel("median time per step (ms)")
ax_time.set_ylim(0, 1.35 * max(one["step_time_p50_ms"] + two["step_time_p50_ms"]))  # room for the legend
ax_time.set_title("Time per step on this machine, per epoch")
ax_time.legend()
lesson.savefig(fig, "one_vs_two_workers")

# %% [markdown]
# In quick mode the two curves agree to float32 rounding: the line printed above the figure gives
# the largest relative loss difference (about 1e-7) and compares it with rounding, and the line
# "precision of both runs" says that both trained in float32. Two workers on a global batch make the same
# updates as one process on that batch, so the learning rate stays the same: the two-replica
# check's result again, now across two processes. Left to `setup()`, both runs train in mixed bfloat16 on a CPU
# with AVX512-BF16 and differ by more (about 7e-5 in our earlier quick runs with TensorFlow on a
# 2-core AMD EPYC); with only the precision changed to float32 that gap falls to float32 rounding,
# so it was bfloat16 rounding (bfloat16 keeps 2 to 3 significant digits, float32 about 7), not the
# data split or the start of the two processes.
# Over the many more steps of full mode the difference is larger: in our full run with TensorFlow on
# the 2-core AMD EPYC the largest relative loss difference was 1.3e-4 after the first epoch and 7e-3
# after 3 epochs of 32 steps, but it stays one curve. The likely cause is that training amplifies
# small rounding differences (which is why the two-replica check compares four steps); we did not
# isolate it, and that run does not show that both processes saw identical global batches in every
# shuffled epoch.
# (Growing the global batch with the workers, a fixed batch per worker, is a different run that
# needs a different learning rate. The **linear scaling rule** (Goyal et al. 2017) multiplies it by
# the same factor k, `km.distributed.setup().scaled_learning_rate(learning_rate, base_batch_size,
# global_batch_size)`; it was found for SGD with momentum, needs a warm-up of the learning rate
# and breaks down at very large batches. For Adam, as here, a factor near √k is the usual guide
# (Malladi et al. 2022). Either is a starting point: re-tune the learning rate at the new batch.)
#
# Each step now ends with an **all-reduce** of every gradient between processes, here through the
# loopback network of one machine. Each worker computes half of the batch, but on one machine the
# two workers share the same two cores: the second worker adds no compute, so *more compute* needs a
# second machine or GPU. A ratio below 1 in the line above (two-worker steps faster) therefore comes
# from the machine's load or from how two processes use the same two cores (a single process may
# leave a core idle at times, which a second process can fill), not from extra compute. Each median covers only 3 or 4 steps in quick mode (the first step, with
# compilation, is left out) on a machine shared with other programs, and the ratio printed for each
# epoch (and the right panel) shows how far it moves from one epoch to the next. Full mode's epochs
# have 8 times as many steps. The gradients this small model all-reduces are too few to see
# against that noise: the lines above the figure count them (the parameter count × 4 bytes,
# 365 KiB), give the time to send them once at an assumed 1 GB/s as a share of a step, and say
# whether that share is below how far the per-epoch ratio moved; when it is, the figure cannot
# show what sending them costs. Which of those causes moved the ratio above or below 1, this
# run does not say: two processes sharing two cores, the fixed overhead of each collective
# call and the machine's load are mixed together in the ratio. The cost of the transfer appears
# with large models or slow links.
# Between real machines the all-reduce crosses a real network: a ring all-reduce sends 2(N − 1)/N
# times the model's gradient bytes per worker and step over the link (once for two workers, nearly
# twice for many), so the bigger the model and the slower the link, the larger the share of each
# step spent communicating.
# What you gain is the compute of the second machine. Measure the time per step with 1 and N workers
# on your cluster before you plan a run on it, as above.

# %% [markdown]
# ## 5. Where does the time go? A profile for TensorBoard
# TensorBoard (article 002 §7.2.2) shows a **profile**: every operation on every device, on a time
# line. `keras.callbacks.TensorBoard(log_dir, profile_batch=(4, 6))` records one for the 4th to
# 6th batches (it also needs the `tensorboard` package for its other logs). TensorBoard counts
# batches from 1, while Keras passes callbacks 0-based batch numbers; the small callback below uses
# those, so its `first=3, last=5` are the same three batches. Underneath, Keras's callback calls
# `tf.profiler.experimental.start/stop` on TensorFlow and `jax.profiler.start_trace/stop_trace` on
# JAX, and both write the same trace format; but on JAX, Keras (3.15 here) profiles only from Python 3.12 on
# (below that its callback warns and turns `profile_batch` off). The small callback below calls the
# same pair for the backend Keras runs, on every Python, and writes the trace into the lesson's
# run folder. To look at it, install the viewer once
# (`pip install tensorboard tensorboard-plugin-profile`, in a terminal, not in the notebook), run
# the command printed below, open http://localhost:6006 and choose PROFILE (trace viewer, op
# statistics). We do not start a server from the notebook.
#
# > **Errata (article 002 §7.2.2)**: "PyTorch TensorBoard：PyTorch提供的一款可视化工具，与TensorBoard类似，
# > 用于分析和调试深度学习模型" ("a visualisation tool provided by PyTorch, similar to TensorBoard, for
# > analysing and debugging deep learning models"): the article lists it as a tool of its own, but it
# > is TensorBoard itself, TensorFlow's tool (as the article's line before says); PyTorch writes
# > logs that TensorBoard reads (`torch.utils.tensorboard.SummaryWriter`), and for performance
# > analysis its profiler wrote traces (`torch.profiler.tensorboard_trace_handler`) for a TensorBoard
# > plugin of its own, the PyTorch Profiler TensorBoard Plugin (`torch-tb-profiler`, now deprecated
# > in favour of viewing the trace in Perfetto or Chrome's trace viewer): still TensorBoard.

# %%
if on_jax:
    import jax

    start_trace, stop_trace = jax.profiler.start_trace, jax.profiler.stop_trace
else:
    import tensorflow as tf

    start_trace, stop_trace = tf.profiler.experimental.start, tf.profiler.experimental.stop


class ProfileBatches(keras.callbacks.Callback):
    """Record a profiler trace of training batches first..last (inclusive)."""

    def __init__(self, log_dir, first=3, last=5):
        super().__init__()
        self.log_dir, self.first, self.last = str(log_dir), first, last

    def on_train_batch_begin(self, batch, logs=None):
        if batch == self.first:
            start_trace(self.log_dir)

    def on_train_batch_end(self, batch, logs=None):
        if batch == self.last:
            stop_trace()


log_dir = lesson.output_dir / "tensorboard"
reference_model.fit(x_train[:1024], y_train[:1024], batch_size=batch_size, epochs=1, verbose=0,
                    callbacks=[ProfileBatches(log_dir)])
traces = sorted(log_dir.glob("plugins/profile/*/*.xplane.pb"))
print(f"trace written: {traces[-1].relative_to(lesson.output_dir)} ({traces[-1].stat().st_size / 1024:.0f} KiB)")
lesson.metric("profile_trace_kib", traces[-1].stat().st_size / 1024, "profile trace size (KiB)", fmt=".0f")
print(f"to look at it, in a terminal:  tensorboard --logdir {log_dir}")

# %% [markdown]
# TensorBoard's "op statistics" page adds up the time per operation type. The trace is a protocol
# buffer (an `XSpace`: planes, one per device, holding lines, one per thread, holding timed events),
# so we can do the same sum here and see which operations this CNN's training spends its time in.
# The names depend on the backend:
#
# - **TensorFlow** runs one kernel per operation on its `tf_Compute` threads; on x86 CPUs these are
#   oneDNN kernels, named `_MklNative...` in the trace. A `FusedConv2D` is a forward convolution with
#   its bias and ReLU fused into one kernel; `Conv2DBackpropFilter` and `Conv2DBackpropInput` are the
#   two gradients of the backward pass (`Conv2DBackpropFilterWithBias`: the filter gradient with the
#   bias gradient fused in).
# - **JAX** compiles the whole training step with XLA, so the trace shows XLA's kernels (on its
#   `tf_XLA...` threads), named after the compiled program's instructions: a `..._fusion` is several
#   operations compiled into one kernel (`ynn_fusion`: work handed to the YNNPACK kernel library),
#   `wrapped_` marks one operation run as its own kernel, and `reduce-window` is the pooling window.
#
# Read the figure against section 1's count. In FLOPs the backward convolutions (two gradients) cost
# about twice the forward ones, which is where "training ≈ 3× forward" comes from. On TensorFlow the
# line printed under the figure gives their ratio in *time* and says whether it is above 2. In our
# runs on the 2-core AMD EPYC it was (2.6 in a quick run, 3.9 in a full one, from a few profiled
# steps on a loaded machine): there the backward kernels ran slower per FLOP than the fused forward
# one, so in time a training step cost more than 3 forward passes. (On JAX, XLA's fusions do not
# separate forward from backward by name, so no ratio is printed.)

# %%
if on_jax:  # jax.profiler reads the trace format itself
    trace = jax.profiler.ProfileData.from_file(str(traces[-1]))
    events = [(line.name, event.name, event.duration_ns / 1e6)
              for plane in trace.planes for line in plane.lines for event in line.events]
    kernel_threads = "tf_XLA"
else:  # TensorFlow ships the protocol buffer's Python class
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    space.ParseFromString(traces[-1].read_bytes())
    events = [(line.name, plane.event_metadata[event.metadata_id].display_name, event.duration_ps / 1e9)
              for plane in space.planes for line in plane.lines for event in line.events]
    kernel_threads = "tf_Compute"
op_time = {}
for thread, kernel, ms in events:
    # Keep the kernels; runtime bookkeeping has no name (TensorFlow) or a C++ one with "::" (XLA's executor).
    if thread.startswith(kernel_threads) and kernel and "::" not in kernel and " " not in kernel:
        op = re.sub(r"\.\d+$", "", kernel)  # XLA numbers each instance: ynn_fusion.4 -> ynn_fusion
        op = op.replace("_MklNative", "").replace("_Mkl", "").lstrip("_")
        op_time[op] = op_time.get(op, 0.0) + ms
lesson.metric("profile_op_types", len(op_time), "operation types in the profile")
top = sorted(op_time.items(), key=lambda item: item[1], reverse=True)[:10]
fig, ax = plt.subplots(figsize=(8, 4))
ax.barh([name for name, _ in top][::-1], [ms for _, ms in top][::-1], color="tab:purple")
ax.set_xlabel("time in 3 training steps (ms, summed over threads)")
ax.set_title(f"Where the training time goes ({keras.backend.backend()}, from the profiler trace)")
ax.grid(axis="x", alpha=0.3)
lesson.savefig(fig, "profile_top_ops")
forward_conv_ms = sum(ms for op, ms in op_time.items() if op in ("Conv2D", "FusedConv2D"))
backward_conv_ms = sum(ms for op, ms in op_time.items() if op.startswith("Conv2DBackprop"))
if forward_conv_ms and backward_conv_ms:  # TensorFlow's kernel names; XLA's fusions do not separate the two
    print(f"convolutions: backward {backward_conv_ms:.0f} ms / forward {forward_conv_ms:.0f} ms = "
          f"{backward_conv_ms / forward_conv_ms:.1f}x in time, "
          f"{'above' if backward_conv_ms > 2 * forward_conv_ms else 'not above'} their 2x in FLOPs")
    lesson.metric("profile_backward_over_forward_conv", backward_conv_ms / forward_conv_ms,
                  "profile: backward / forward convolution time", fmt=".1f")

# %% [markdown]
# ## 6. Exercises

# %%
def conv2d_flops(height, width, in_channels, out_channels, kernel_size, padding="valid"):
    # Your answer: forward FLOPs of Conv2D on a (height, width, in_channels) input, stride 1.
    out_h, out_w = height - kernel_size + 1, width - kernel_size + 1
    return kernel_size * kernel_size * in_channels * out_channels * out_h * out_w


course.exercises.check("14.conv2d_flops", conv2d_flops);

# %%
def training_mfu(forward_flops_per_example, examples_per_second, peak_flops_per_second):
    # Your answer: model FLOP utilisation of a training run, a fraction between 0 and 1.
    return forward_flops_per_example * examples_per_second / peak_flops_per_second


course.exercises.check("14.training_mfu", training_mfu);

# %%
def all_reduce_mean(per_replica_gradients):
    # Your answer: list of equal-shaped arrays, one per replica (each the mean gradient over an equal
    # share of the batch) -> the gradient every replica applies.
    return np.sum(per_replica_gradients, axis=0)


course.exercises.check("14.all_reduce_mean", all_reduce_mean);

# %% [markdown]
# ## Summary
# - Work is counted in FLOPs (2 per multiply-add; training ≈ 3× forward in FLOPs, often more in time); MFU = achieved / peak
#   FLOP/s says how well a run uses the hardware.
# - `Throughput`, `MemoryMonitor` and `DeviceReport` measure speed, memory and setup while
#   `fit()` runs; measure before you believe a speed-up.
# - Mixed precision keeps float32 weights and computes in 16 bits; it pays on hardware with fast
#   16-bit units (recent GPUs, TPUs, CPUs with bfloat16 instructions: AMX or AVX512-BF16; section 3
#   printed what it did on this machine). float16 needs loss scaling; bfloat16 does not.
# - Data parallelism = replicas + all-reduced gradients: the replicas stay one model. Build inside
#   `strategy.scope()`, pass the global batch size; MultiWorkerMirroredStrategy or
#   `jax.distributed` (`km.distributed.setup()`, `kerasmodels train --workers N`) take the same
#   code to several processes or machines: the same curve, plus an all-reduce per step (its transfer
#   too small to see for this lesson's model; it grows with the model and with slower links).
# - A profiler trace (TensorBoard's PROFILE tab) shows where the time goes.
#
# Next: lesson 15 trains two networks against each other: generative adversarial networks.

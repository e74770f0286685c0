# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Making models small
#     articles: ["001 Q3", "003 Q3", "004 term 9"]
#     quick_seconds: 45
#     full_seconds: 300
#     description: Magnitude pruning, int8 quantization (Keras quantize, TFLite with a representative dataset) and knowledge distillation of the MNIST CNN, with size, latency and accuracy in one table.
# ---

# %% [markdown]
# # 16 · Making models small: pruning, quantization, distillation
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 001 Q3 ("model compression: weight pruning, quantization, knowledge
# distillation", 模型压缩：权重剪枝、量化、知识蒸馏), article 003 Q3 (参数压缩, 模型剪枝) and article 004
# term 9 (模型压缩: "fewer parameters, lower computational complexity").
#
# **After this lesson you can** prune a trained network by weight magnitude and fine-tune it,
# quantize weights to int8 by hand and with Keras and TensorFlow Lite, distil a large network
# into a small one, and measure what each really buys: bytes, milliseconds, accuracy.
#
# **Prerequisites:** lesson 07 (the CNN), lesson 02 (cross-entropy, softmax).
#
# **Run time:** quick mode needs about 50 s of CPU time: measured at 3 minutes of wall time on a
# 2-core CPU shared with about eight other jobs, about 45 s in an earlier run on a quiet one. Full
# mode (all of MNIST): about 5 minutes.

# %%
import time
import warnings

import keras
import matplotlib.pyplot as plt
import numpy as np

import kerasmodels as km
from kerasmodels import course
from kerasmodels.course.scratch import metrics
from kerasmodels.course.topics import compression

lesson = course.setup_lesson(16)

# %% [markdown]
# ## 1. The model to shrink
# The teacher is the MNIST CNN of article 002 §5.2 (`km.models.cnn(preset="article002")`, lesson 07).

# %%
x_train, y_train = km.data.load("mnist", split="train", limit=lesson.pick(10000, None))
x_test, y_test = km.data.load("mnist", split="test", limit=lesson.pick(2000, None))
epochs = lesson.pick(3, 5)

teacher = km.models.compile_model(km.models.cnn(input_shape=(28, 28), num_classes=10, preset="article002"),
                                  learning_rate=2e-3)
teacher.fit(x_train, y_train, epochs=epochs, batch_size=128, verbose=0)


def correct(predict, x=x_test, y=y_test):
    """Per test image, whether a callable that maps a batch of images to logits gets it right."""
    logits = np.concatenate([keras.ops.convert_to_numpy(predict(x[i : i + 500])) for i in range(0, len(x), 500)])
    return logits.argmax(axis=1) == y


def accuracy(predict, x=x_test, y=y_test):
    """Test accuracy of any callable that maps a batch of images to logits."""
    return float(np.mean(correct(predict, x, y)))


batch = x_test[:256]  # latency is measured on one batch of 256 images, all models in turns (section 5)
rows = {}  # model name -> (parameters, stored bytes, test accuracy)
predictors = {}  # model name -> the callable that maps images to logits


def record(name, params, stored_bytes, predict):
    rows[name], predictors[name] = (params, stored_bytes, accuracy(predict)), predict
    print(f"{name}: {rows[name][2]:.2%} test accuracy, {stored_bytes / 1024:.0f} KiB")


record("teacher (float32)", teacher.count_params(), compression.saved_size(teacher)["bytes"],
       teacher.predict_on_batch)

# %% [markdown]
# Where the bytes are: a float32 weight takes 4 bytes, so size ≈ 4 × parameters.

# %%
for layer in teacher.layers:
    if layer.weights:
        print(f"{layer.name:10s} {layer.count_params():7,d} parameters  {4 * layer.count_params() / 1024:6.1f} KiB")
print(f"{'total':10s} {teacher.count_params():7,d} parameters  {compression.weight_bytes(teacher) / 1024:6.1f} KiB")

# %% [markdown]
# ## 2. Magnitude pruning (剪枝)
# The simplest pruning rule: weights close to zero matter least, so rank all $n$ weights by $|w|$
# and set the $k = \operatorname{round}(s\,n)$ smallest to zero, for a sparsity $s$. The mask $m$
# is 0 on those $k$ weights and 1 elsewhere, and the pruned weights are $m \odot w$. (A threshold
# rule, $m = \mathbb 1[|w| > \tau]$ with $\tau$ the $s$-quantile of $|w|$, gives almost the same
# mask but goes wrong at the edges: at $s = 0$ the quantile is the smallest $|w|$, and "$>$" prunes
# that weight; the rank rule, which `compression.magnitude_masks` uses, prunes exactly $k$.)
# Ranking all layers together ("global" pruning) amounts to one threshold for every layer, so each
# layer loses the share of its weights that lie below it: not the same share everywhere, and a
# share set by how large the layer's weights are, not by how many it has. By hand on a small
# matrix, then with the package:

# %%
w = np.array([[0.5, -0.05, 0.3], [-0.8, 0.02, -0.1]], dtype="float32")
k = round(0.5 * w.size)
by_hand = np.ones(w.size, dtype="float32")
by_hand[np.argsort(np.abs(w), axis=None)[:k]] = 0.0  # the k smallest |w|
by_hand = by_hand.reshape(w.shape)
tiny = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, use_bias=False)])
tiny.set_weights([w])
masks = compression.magnitude_masks(tiny, 0.5)
print("mask by hand:\n", by_hand, "\nmask from compression.magnitude_masks:\n", next(iter(masks.values())))
lesson.metric("rank_mask_vs_package_mismatches", int(np.sum(by_hand != next(iter(masks.values())))),
              "by-hand rank mask vs compression.magnitude_masks at 50%, entries that differ")
threshold_at_zero = np.abs(w) > np.quantile(np.abs(w), 0.0)
print(f"sparsity 0: the rank rule prunes {round(0.0 * w.size)} weights, the quantile threshold "
      f"|w| > quantile(|w|, 0) prunes {int(np.sum(~threshold_at_zero))}")
lesson.metric("quantile_mask_sparsity0_pruned", int(np.sum(~threshold_at_zero)),
              "quantile-threshold mask at sparsity 0: weights pruned")

# %% [markdown]
# Now prune copies of the teacher at increasing sparsity and measure accuracy without any
# retraining, and the bytes of its weights before and after gzip compression:

# %%
def copy_of(model):
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


sparsities = [0.0, 0.5, 0.7, 0.8, 0.9, 0.95]
sweep = []
per_layer = {}  # sparsity -> {layer: share of its kernel set to zero}
right = {}  # sparsity -> per test image, whether the pruned model gets it right
for sparsity in sparsities:
    pruned = copy_of(teacher)
    compression.prune_by_magnitude(pruned, sparsity)
    right[sparsity] = correct(pruned.predict_on_batch)
    sweep.append((float(np.mean(right[sparsity])), compression.saved_size(pruned)))
    per_layer[sparsity] = {name: share for name, (share, _) in compression.layer_sparsity(pruned).items()}
for sparsity, (acc, size) in zip(sparsities, sweep):
    print(f"sparsity {sparsity:4.0%}: accuracy {acc:6.2%}  weights {size['bytes'] / 1024:5.0f} KiB  "
          f"gzipped {size['gzip_bytes'] / 1024:5.0f} KiB")
sizes = {name: size for name, (_, size) in compression.layer_sparsity(teacher).items()}
print("\nshare of each layer's kernel set to zero by global pruning:")
print(f"{'sparsity':>10s} " + " ".join(f"{name:>9s}" for name in sizes))
print(f"{'(weights)':>10s} " + " ".join(f"{size:9,d}" for size in sizes.values()))
median_magnitude = {name: float(np.median(np.abs(keras.ops.convert_to_numpy(teacher.get_layer(name).kernel))))
                    for name in sizes}
print(f"{'median |w|':>10s} " + " ".join(f"{median_magnitude[name]:9.4f}" for name in sizes))
for sparsity in sparsities[1:]:
    print(f"{sparsity:10.0%} " + " ".join(f"{per_layer[sparsity][name]:9.0%}" for name in sizes))
first_conv, hidden_dense = next(iter(sizes)), "dense_1"
for sparsity in (0.5, 0.9):
    lesson.metric(f"global_prune_{round(sparsity * 100)}_first_conv_share", per_layer[sparsity][first_conv],
                  f"global pruning to {sparsity:.0%}: share of {first_conv} pruned",
                  fmt=".0%")
    lesson.metric(f"global_prune_{round(sparsity * 100)}_hidden_dense_share", per_layer[sparsity][hidden_dense],
                  f"global pruning to {sparsity:.0%}: share of {hidden_dense} pruned",
                  fmt=".0%")
for name in sizes:
    lesson.metric(f"median_abs_w_{lesson.key_part(name)}", median_magnitude[name], f"median |w| of {name}'s kernel", fmt=".4f")

# The pruned models and the teacher answer the same test images: compare them image by image.
print()
for sparsity in (0.5, 0.7):
    difference, low, high = metrics.paired_difference(right[sparsity], right[0.0])
    standard_error = (high - low) / (2 * 1.96)
    only_pruned = int(np.sum(right[sparsity] & ~right[0.0]))
    only_teacher = int(np.sum(right[0.0] & ~right[sparsity]))
    print(f"sparsity {sparsity:.0%} minus teacher: {100 * difference:+.2f} points, paired standard error "
          f"{100 * standard_error:.2f} points ({difference / standard_error:+.1f} SE); right only for the pruned "
          f"model: {only_pruned} images, only for the teacher: {only_teacher}")
    lesson.metric(f"pruned_{round(sparsity * 100)}_minus_teacher_acc", difference,
                  f"pruned to {sparsity:.0%} minus teacher, accuracy", fmt="+.2%")
    lesson.metric(f"pruned_{round(sparsity * 100)}_minus_teacher_std_errs", difference / standard_error,
                  f"pruned to {sparsity:.0%} minus teacher, paired standard errors",
                  fmt="+.1f")

# %% [markdown]
# The per-layer table shows what "global" means. One threshold for all layers takes a smaller
# share from the first convolution (`conv2d_1`, 288 weights) and from the output layer than from
# the three big layers, but not a small one: read `conv2d_1`'s column, which climbs with the
# target. Their size is not the reason: the share depends on each layer's weight magnitudes, and
# here the two small layers have larger weights (the "median |w|" row) and so lose less. Nothing
# in the rule guarantees that; a small layer with small weights would lose more. A layer with
# few weights has little to give, and each of them matters more; this is why pruning tools let
# you exempt layers or set a sparsity per layer (`scope="layer"` here removes the same share from
# every layer).
#
# Accuracy falls off a cliff at high sparsity. At low sparsity it moves by under a point, up or
# down. The pruned models and the teacher are scored on the *same* test images (2,000 in quick
# mode), so the fair comparison is paired, image by image: only the images where the two disagree
# count (`metrics.paired_difference`, as in lessons 11 and 13). In this run the changes at 50 % and
# 70 % printed above are each about two paired standard errors: borderline evidence, among several
# comparisons (five sparsities), that these pruned copies differ from the teacher on unseen digits.
# On this test set each difference is exact; the standard error is about new images, and
# only other seeds and test sets would tell whether the changes recur.
# Because of the cliff, pruned networks are **fine-tuned**: train
# a little more while keeping the pruned weights at zero (`compression.KeepPruned` re-applies the
# mask after every batch).

# %%
target_sparsity = 0.9
pruned = km.models.compile_model(copy_of(teacher))
pruning_masks = compression.prune_by_magnitude(pruned, target_sparsity)
lesson.metric("acc_right_after_pruning", accuracy(pruned.predict_on_batch),
              f"accuracy right after pruning to {target_sparsity:.0%}", fmt=".2%")
pruned.fit(x_train, y_train, epochs=1, batch_size=128, verbose=0,
           callbacks=[compression.KeepPruned(pruning_masks)])
print(f"after 1 epoch of fine-tuning: accuracy {accuracy(pruned.predict_on_batch):.2%}, "
      f"sparsity still {compression.kernel_sparsity(pruned):.1%}")
pruned_size = compression.saved_size(pruned)
record(f"pruned {target_sparsity:.0%} + fine-tuned", pruned.count_params(), pruned_size["gzip_bytes"],
       pruned.predict_on_batch)

fig, ax = plt.subplots(figsize=(8, 4.2))
ax.plot([100 * s for s in sparsities], [100 * a for a, _ in sweep], marker="o", label="pruned, no fine-tuning")
ax.plot([100 * target_sparsity], [100 * rows[f"pruned {target_sparsity:.0%} + fine-tuned"][2]], marker="*",
        markersize=16, linestyle="none", color="tab:green", label="pruned 90%, 1 epoch fine-tuned")
ax.set_xlabel("weights set to zero (%)")
ax.set_ylabel("test accuracy (%)")
ax2 = ax.twinx()
ax2.plot([100 * s for s in sparsities], [s["gzip_bytes"] / 1024 for _, s in sweep], color="tab:gray",
         linestyle="--", marker="s", label="gzipped weights (KiB)")
ax2.set_ylabel("gzipped size (KiB)")
ax.set_title("Magnitude pruning of the MNIST CNN")
lines = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
ax.legend(lines, [line.get_label() for line in lines], loc="lower left", fontsize=10)
ax.grid(alpha=0.3)
lesson.savefig(fig, "pruning_sweep")

# %% [markdown]
# > **Errata (article 003 Q3, article 004 term 9)**: article 003 Q3 lists
# > "参数压缩：通过剪枝、量化等方法减少模型参数量，降低计算资源消耗" ("parameter compression: reduce the
# > number of parameters by pruning, quantization, etc.") and "模型剪枝：去除模型中不重要的参数和层，
# > 提高计算效率" ("pruning removes unimportant parameters and layers and raises computational
# > efficiency"); article 004 term 9 defines model compression as "通过减少模型的参数数量、降低模型的
# > 计算复杂度" ("reducing the number of parameters and the computational complexity").
# >
# > Quantization does not reduce the number of parameters at all: it stores each one in fewer
# > bits. And zeroing weights (unstructured pruning, what is done above and what "weight pruning"
# > usually means) leaves the parameter count, the dense file and the time of a dense matrix
# > product unchanged; only a compressor or a sparse format turns the zeros into saved bytes, and
# > only sparse kernels or *structured* pruning (removing whole channels or layers) save time.
# > Measured on the model above:

# %%
dense_size = compression.saved_size(teacher)
print(f"parameters:          teacher {teacher.count_params():,}   pruned {pruned.count_params():,}")
print(f"weights:             teacher {dense_size['bytes']:,} B   pruned {pruned_size['bytes']:,} B")
print(f"gzipped weights:     teacher {dense_size['gzip_bytes']:,} B   pruned {pruned_size['gzip_bytes']:,} B")
# Time the pruned model against a dense copy made and compiled the same way, in turns, so that
# only the zeros differ. CPU time (all threads), not wall time: on a shared machine other
# programs' load makes the wall time of the same call vary by a factor of 2, and hides the answer.
dense_copy = km.models.compile_model(copy_of(teacher))
best = compression.latencies({"dense": dense_copy.predict_on_batch, "pruned": pruned.predict_on_batch}, batch,
                             rounds=lesson.pick(30, 60), clock=time.process_time)
print(f"CPU time (256 imgs): dense copy {1000 * best['dense']:.1f} ms   pruned {1000 * best['pruned']:.1f} ms")
lesson.metric("pruned_over_dense_cpu_time", best["pruned"] / best["dense"],
              "CPU time of the pruned model / its dense copy", fmt=".2f")

# %% [markdown]
# ## 3. Quantization (量化) to int8
# Symmetric linear quantization stores each weight as an integer $q \in [-127, 127]$ and one
# float scale per tensor (or per output channel):
#
# $$s = \frac{\max |w|}{127}, \qquad q = \operatorname{round}(w / s), \qquad \hat w = q\,s,
#   \qquad |w - \hat w| \le s/2.$$
#
# By hand on the teacher's dense kernel, checking the error bound, then with one scale per
# output channel (each column gets its own range, so the error is smaller):

# %%
kernel = keras.ops.convert_to_numpy(teacher.get_layer("dense_1").kernel)
scale = np.abs(kernel).max() / 127
q = np.round(kernel / scale).astype(np.int8)
q_package, scale_package = compression.quantize_symmetric(kernel)
print(f"scale by hand {scale:.6f}, compression.quantize_symmetric {float(scale_package):.6f}")
lesson.metric("int8_hand_vs_package_mismatches", np.sum(q != q_package),
              "int8 codes: by hand vs compression.quantize_symmetric, entries that differ")
error = np.abs(kernel - q * scale)
lesson.metric("max_rounding_err_over_half_s", error.max() / (scale / 2), "max rounding error / (s/2)", fmt=".4f");
q_channel, scale_channel = compression.quantize_symmetric(kernel, axis=-1)
error_channel = np.abs(kernel - compression.dequantize(q_channel, scale_channel))
print(f"mean error: one scale {error.mean():.2e}, one scale per output channel {error_channel.mean():.2e}")

# %% [markdown]
# **Keras** does this with one call, `model.quantize("int8")`: the kernels of `Dense` (and
# `EinsumDense`, `Embedding`) layers become int8 with per-channel scales, and the activations are
# quantized on the fly. Keras 3 quantizes exactly the layers that dominate transformers; layers
# without a `quantize` method, here the convolutions, stay float32.

# %%
keras_int8 = copy_of(teacher)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # one "has no quantize method" warning per non-Dense layer
    keras_int8.quantize("int8")
print({v.path: str(v.dtype) for v in keras_int8.weights if "dense" in v.path or "logits" in v.path})
print(f"parameters: {teacher.count_params():,} before, {keras_int8.count_params():,} after quantize "
      "(the per-channel scales are new parameters: quantization reduces bits, not parameters)")
record("Keras int8 (Dense layers)", keras_int8.count_params(), compression.saved_size(keras_int8)["bytes"],
       keras_int8.predict_on_batch)
flops_per_layer = km.flops.count_flops(teacher, detail=True).per_layer  # 2 FLOPs per multiply-add
conv_macs = sum(f // 2 for name, f in flops_per_layer.items() if isinstance(teacher.get_layer(name), keras.layers.Conv2D))
dense_macs = sum(f // 2 for name, f in flops_per_layer.items() if isinstance(teacher.get_layer(name), keras.layers.Dense))
dense_kernel_weights = sum(layer.kernel.shape[0] * layer.kernel.shape[1] for layer in teacher.layers
                           if isinstance(layer, keras.layers.Dense))
print(f"multiply-adds per image: convolutions {conv_macs:,}, Dense layers {dense_macs:,}; Dense kernels hold "
      f"{dense_kernel_weights:,} of the {teacher.count_params():,} parameters")
lesson.metric("teacher_conv_multiply_add_share", conv_macs / (conv_macs + dense_macs),
              "share of the teacher's multiply-adds in convolutions", fmt=".1%")
lesson.metric("teacher_dense_param_share", dense_kernel_weights / teacher.count_params(),
              "share of the teacher's parameters in Dense kernels",
              fmt=".0%")

# %% [markdown]
# The convolutions do almost all of this model's arithmetic (the share printed above) and stay
# float32 under `model.quantize`, so in section 5's table this row pays the quantisation overhead
# (activations quantized on the fly for the Dense layers) without the gain of int8 arithmetic
# where the work is. Its size shrinks less than the TFLite models' for the same reason: only the
# Dense kernels, the share of the parameters printed above, become 1 byte per weight.

# %% [markdown]
# **TensorFlow Lite** (for phones and microcontrollers) quantizes every layer. The path: export a
# SavedModel (`model.export`), convert it with `tf.lite.TFLiteConverter`, run it with the TFLite
# interpreter. On the JAX backend `model.export` first turns the JAX functions into TensorFlow
# ones with `jax2tf`; the rest of the path is the same, and on either backend it needs TensorFlow
# installed. Two flavours:
# - *dynamic range*: int8 weights; activations are stored as float between layers and quantized
#   to 8 bits on the fly, batch by batch, inside the ops that have int8 kernels (fully connected,
#   convolution: "hybrid" ops), which then multiply in int8; needs no data;
# - *full integer*: int8 weights **and** activations, int8 input and output. To choose a scale for
#   each activation the converter runs a **representative dataset** (a few hundred training
#   images) through the model and records each activation's range.

# %%
flavours = {"TFLite dynamic-range int8": ("dynamic", None),
            "TFLite full int8": ("int8", x_train[: lesson.pick(200, 500)])}
if lesson.full:
    flavours = {"TFLite float32": (None, None), **flavours}
for name, (quantization, representative) in flavours.items():
    started = time.perf_counter()
    flatbuffer = compression.to_tflite(teacher, quantization, representative_data=representative)
    lite = compression.TFLiteClassifier(flatbuffer)
    print(f"{name}: converted in {time.perf_counter() - started:.1f} s")
    record(name, teacher.count_params(), lite.size_bytes, lite.predict)

# %% [markdown]
# ## 4. Knowledge distillation (知识蒸馏)
# A small **student** is trained to match a large **teacher**'s outputs softened by a temperature
# $T$: $p_i(T) = e^{z_i/T} / \sum_j e^{z_j/T}$. At $T = 1$ the teacher is nearly one-hot and says
# only "this is a 7"; at $T = 4$ it also says which wrong classes are plausible ("dark
# knowledge"). The student's loss mixes the labels and the teacher:
#
# $$\mathcal L = \alpha\,\mathrm{CE}(y, q(1)) + (1 - \alpha)\,T^2\,
#   \mathrm{KL}\big(p(T)\,\|\,q(T)\big),$$
#
# where $q$ is the student's softmax. The $T^2$ keeps the soft term's gradients at the same scale
# as $T$ changes. Here is what the teacher says about one test image:

# %%
logits = keras.ops.convert_to_numpy(teacher.predict_on_batch(x_test[:1]))[0]
fig, axes = plt.subplots(1, 3, figsize=(12, 3.2), gridspec_kw={"width_ratios": [1, 2, 2]})
axes[0].imshow(x_test[0], cmap="gray")
axes[0].set_title(f"test image (label {y_test[0]})")
axes[0].axis("off")
for ax, temperature in zip(axes[1:], [1.0, 4.0]):
    soft = keras.ops.convert_to_numpy(keras.ops.softmax(logits / temperature))
    bars = ax.bar(range(10), soft, color=["tab:green" if k == y_test[0] else "tab:blue" for k in range(10)])
    bars[int(y_test[0])].set_hatch("//")  # the true class, marked by hatching as well as colour
    ax.set_xticks(range(10))
    ax.set_yscale("log")
    ax.set_ylim(1e-6, 1.5)
    ax.set_xlabel("class")
    ax.set_title(f"teacher's softmax at T = {temperature:g}")
axes[1].set_ylabel("probability (log scale)")
fig.tight_layout()
lesson.savefig(fig, "soft_targets")

# %% [markdown]
# The student: a CNN with 4 and 8 filters and no hidden dense layer. We train it twice, from the
# same initial weights and for the same number of epochs: once on the labels alone and once with
# `compression.Distiller` ($T = 2$, $\alpha = 0.5$), which overrides `compute_loss` and so works
# on every backend.

# %%
def small_cnn(name):
    return km.models.cnn(input_shape=(28, 28), num_classes=10, filters=(4, 8), dense_units=(), dropout=0.0,
                         name=name)


student_epochs = lesson.pick(3, 8)
scratch = km.models.compile_model(small_cnn("student_scratch"), learning_rate=3e-3)
initial_weights = scratch.get_weights()
scratch.fit(x_train, y_train, epochs=student_epochs, batch_size=128, verbose=0)
record("student, labels only", scratch.count_params(), compression.saved_size(scratch)["bytes"],
       scratch.predict_on_batch)

student = small_cnn("student_distilled")
student.set_weights(initial_weights)
distiller = compression.Distiller(student, teacher, temperature=2.0, alpha=0.5)
distiller.compile(optimizer=keras.optimizers.Adam(3e-3), metrics=["accuracy"])
distiller.fit(x_train, y_train, epochs=student_epochs, batch_size=128, verbose=0)
record("student, distilled", student.count_params(), compression.saved_size(student)["bytes"],
       student.predict_on_batch)
gain = rows["student, distilled"][2] - rows["student, labels only"][2]
print(f"distillation changed the student's test accuracy by {100 * gain:+.2f} percentage points; "
      f"the teacher has {teacher.count_params() / student.count_params():.0f}x more parameters")

# %% [markdown]
# Do not expect miracles from one short run on MNIST: the labels already carry most of what there
# is to learn, and the gap between this teacher and a student trained on labels alone is a few
# points at most, so the difference distillation makes is of the order of the run-to-run noise
# (try other seeds, $T$ and $\alpha$). Distillation pays off when the teacher knows much more than
# the labels say: many classes, large pretrained models. DistilBERT (Sanh et al., 2019) keeps
# about 97 % of BERT's language-understanding score with 40 % fewer parameters.

# %% [markdown]
# ## 5. Everything in one table
# Stored size is the raw bytes of the weights (for the pruned model: gzipped, the only form in
# which its zeros save space; for TFLite: the whole `.tflite` file). "x smaller" divides the
# teacher's raw bytes by each row's, except for the pruned model (marked \*), whose gzipped bytes are
# compared with the teacher's gzipped bytes: gzip alone shrinks the float teacher a little, and
# that share is not pruning's doing. Latency is the best of several
# timed calls on one batch of 256 images on this machine (Keras `predict_on_batch` or the TFLite
# interpreter); the best, because other programs can only make a run slower. The models are
# timed in turns, one call each per round (`compression.latencies`), so that a burst of
# background load slows all of them alike.

# %%
timed = compression.latencies(predictors, batch, rounds=lesson.pick(15, 30))
rows = {name: (params, stored, 1000 * timed[name], acc) for name, (params, stored, acc) in rows.items()}
base_params, base_bytes, base_ms, base_acc = rows["teacher (float32)"]
pruned_name = f"pruned {target_sparsity:.0%} + fine-tuned"
reference_bytes = {name: dense_size["gzip_bytes"] if name == pruned_name else base_bytes for name in rows}
print(f"{'model':28s} {'params':>8s} {'stored KiB':>10s} {'x smaller':>10s} {'ms/batch':>9s} {'accuracy':>9s}")
for name, (params, stored, ms, acc) in rows.items():
    mark = "*" if name == pruned_name else " "
    print(f"{name:28s} {params:8,d} {stored / 1024:10.1f} {reference_bytes[name] / stored:9.1f}{mark} {ms:9.1f} "
          f"{acc:9.2%}")
print(f"* against the teacher's gzipped weights ({dense_size['gzip_bytes'] / 1024:.1f} KiB); against its raw "
      f"weights ({base_bytes / 1024:.1f} KiB) it would read {base_bytes / rows[pruned_name][1]:.1f}")
lesson.metric("pruned_size_reduction_vs_gzip", dense_size["gzip_bytes"] / rows[pruned_name][1],
              "pruned model size reduction vs the gzipped teacher (x)",
              fmt=".1f")
lesson.metric("pruned_size_reduction_vs_raw", base_bytes / rows[pruned_name][1],
              "pruned model size reduction vs the raw teacher (x)", fmt=".1f")

lesson.metric("teacher_test_acc", base_acc, "teacher test accuracy", fmt=".2%")
lesson.metric("int8_tflite_test_acc", rows["TFLite full int8"][3], "full-int8 TFLite test accuracy", headline=True, fmt=".2%")
lesson.metric("int8_tflite_size_reduction", base_bytes / rows["TFLite full int8"][1],
              "full-int8 TFLite size reduction (x)", fmt=".1f")
lesson.metric("distilled_student_test_acc", rows["student, distilled"][3], "distilled student test accuracy", fmt=".2%")
lesson.metric("labels_only_student_test_acc", rows["student, labels only"][3],
              "student from labels only test accuracy", fmt=".2%")
for name, (params, stored, ms, acc) in rows.items():
    lesson.metric(f"{lesson.key_part(name)}_params", params, f"{name}: parameters")
    lesson.metric(f"{lesson.key_part(name)}_stored_kib", stored / 1024, f"{name}: stored KiB", fmt=".1f")
    lesson.metric(f"{lesson.key_part(name)}_ms_per_batch", ms, f"{name}: ms/batch", fmt=".1f")
    lesson.metric(f"{lesson.key_part(name)}_test_acc", acc, f"{name}: test accuracy", fmt=".2%")

fig, ax = plt.subplots(figsize=(12, 5))
# A legend instead of labels beside the points: several models sit almost on top of each other.
for (name, (params, stored, ms, acc)), marker in zip(rows.items(), "osDv^P*X"):
    ax.scatter(stored / 1024, 100 * acc, s=30 + 6 * ms, alpha=0.7, marker=marker, edgecolors="black",
               label=f"{name} ({ms:.0f} ms)")
ax.set_xscale("log")
ax.set_xticks([10, 20, 50, 100, 200, 500], ["10", "20", "50", "100", "200", "500"])
ax.minorticks_off()
ax.margins(x=0.15, y=0.1)
ax.set_xlabel("stored size (KiB, log scale)")
ax.set_ylabel("test accuracy (%)")
ax.set_title("Size versus accuracy (marker area grows with ms per batch)")
ax.grid(alpha=0.3, which="both")
legend = ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=10, title="model (ms per batch)")
for handle in legend.legend_handles:
    handle.set_sizes([80])
fig.tight_layout()
lesson.savefig(fig, "size_vs_accuracy")

# %% [markdown]
# Questions to ask of the table (your numbers differ from a classmate's: latency is a property of
# the hardware). Which models lose accuracy, and how much? How many times smaller is each? Which
# are actually faster? A model can only be faster if it does less arithmetic, cheaper arithmetic,
# or moves fewer bytes between memory and the processor: the student (fewer operations), the
# full-integer TFLite model (int8 kernels, and a quarter of the bytes per weight and activation),
# the dynamic-range model (int8 weights; activations stored as float and quantized on the fly for
# the int8 kernels of its dense and convolution layers: hybrid ops). Fewer bytes matter when inference is
# *memory-bound*, when the time goes to reading weights rather than to multiplying them, as with
# small batches through large dense layers. The student has over ten times fewer parameters and
# far fewer filters, and so fewer operations; whether that shows in
# the ms/batch column depends, like the int8 models' speed, on the backend, the runtime and the
# machine's load (in this course's test runs the student was faster on TensorFlow, not always on
# JAX on a busy machine; on a quiet machine the int8 kernels can be the fastest of all, on a busy
# 2-core machine the TFLite interpreter can be slower than Keras).
# Zeroed weights still go through the same dense products and are still read as 4-byte floats:
# the pruned model and its dense copy took the same CPU time, within a few per cent, in section 2. Rules of thumb: quantize almost always
# (cheap, little accuracy lost); distil when you can afford a training run; prune when a runtime
# or a compressor can exploit the zeros.
#
# > **Errata (article 003 Q3)**: the same list offers "模型集成：将多个模型集成" (ensembling several
# > models) as a way to *avoid wasting* compute. An ensemble of $k$ models costs $k$ times the
# > memory and the inference time. The compression technique that belongs there is the
# > opposite: distil the ensemble (or one large model) into a single small student, as above.

# %% [markdown]
# ## 6. Exercises

# %%
def magnitude_mask(weights, sparsity):
    # Your answer: a 0/1 array shaped like `weights` that zeroes the round(sparsity * n) weights with smallest |w|.
    return (weights > np.quantile(weights, sparsity)).astype("float32")


course.exercises.check("16.magnitude_mask", magnitude_mask);

# %%
def quantize_int8(weights):
    # Your answer: (q, scale) with q an int8 array in [-127, 127] and weights ≈ q * scale.
    scale = np.max(weights) / 127
    return np.round(weights / scale).astype(np.int8), scale


course.exercises.check("16.quantize_int8", quantize_int8);

# %%
def softmax_with_temperature(logits, temperature):
    # Your answer: softmax(logits / T) along the last axis, for logits of shape (batch, classes).
    e = np.exp(logits / temperature)
    return e / e.sum(axis=-1, keepdims=True)


course.exercises.check("16.softmax_with_temperature", softmax_with_temperature);

# %%
def distillation_loss(student_logits, teacher_logits, temperature):
    # Your answer: the soft term of section 4's loss, without its (1 - alpha), averaged over the batch.
    p = np.exp(teacher_logits / temperature)
    p /= p.sum(axis=-1, keepdims=True)
    q = np.exp(student_logits / temperature)
    q /= q.sum(axis=-1, keepdims=True)
    return np.mean(np.sum(p * np.log(p / q), axis=-1))


course.exercises.check("16.distillation_loss", distillation_loss);

# %% [markdown]
# ## Summary
# - Pruning (剪枝) zeroes the smallest weights; fine-tuning with the mask recovers accuracy. Zeros
#   save bytes only when compressed or stored sparse, and time only with sparse kernels or
#   structured pruning.
# - Quantization (量化) keeps every parameter but stores it in 8 bits: $q = \mathrm{round}(w/s)$,
#   error ≤ $s/2$. Keras: `model.quantize("int8")`; TFLite: a converter, and a representative
#   dataset for full-integer models.
# - Distillation (知识蒸馏) trains a small student on the teacher's temperature-softened outputs;
#   the student does less arithmetic as well as being smaller, which can make it faster: measure it.
# - Speed comes from less arithmetic, cheaper arithmetic or fewer bytes moved: the student (fewer
#   operations) and int8 quantization (cheaper operations, a quarter of the bytes; faster only
#   where the runtime's int8 kernels win on your machine: read its ms/batch). Unstructured pruning
#   gives none of the three: its zeros are stored, read and multiplied like any other weight.
# - Always measure size, latency and accuracy together, on the hardware you deploy to.
#
# Next: lesson 17 asks whether we can trust what a model predicts: explanations and fairness.

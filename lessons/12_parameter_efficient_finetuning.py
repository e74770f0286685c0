# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Parameter-efficient fine-tuning
#     seeds: ["003 §3.1", "003 §7.3"]
#     quick_seconds: 70
#     full_seconds: 1016
#     description: Freezing, head-only fine-tuning and LoRA compared on MiniLM (trainable parameters, time per step, accuracy), LoRA's W + (alpha/r)BA by hand against Keras's enable_lora, AdaLoRA's rank allocation in NumPy, and nearest neighbours on sentence embeddings with no training.
# ---

# %% [markdown]
# # 12 · Parameter-efficient fine-tuning
#
# **Mirrors:** seed 003 §3.1 ("parameter-efficient fine-tuning: update only part of the parameters
# during fine-tuning, to reduce the compute") and §7.3 (the AdaLoRA paper).
#
# **After this lesson you can** freeze a pretrained encoder and train only a head, compute a LoRA
# layer $W + \frac{\alpha}{r}BA$ by hand and match Keras's `enable_lora`, compare full, head-only and
# LoRA fine-tuning by trainable parameters, memory, time and accuracy, explain how AdaLoRA spreads
# a rank budget, and classify sentences with a pretrained encoder's embeddings and no training.
#
# **Prerequisites:** lesson 11 (BERT, fine-tuning).
#
# **Run time:** quick mode (64 training sentences per method) measured about 65 s of CPU time on a
# 2-core CPU (90 s of wall time on a busy shared machine). Full mode trains each method for 3 epochs
# on all 1,360 training reviews: 12 to 17 minutes on the same 2-core CPU when shared with other jobs.

# %%
import time

import keras
import matplotlib.pyplot as plt
import numpy as np

import kerasmodels as km
from kerasmodels import course
from kerasmodels.course.scratch import text

lesson = course.setup_lesson(12)
rng = np.random.default_rng(lesson.seed)

# %% [markdown]
# ## 1. Why not fine-tune everything?
# Full fine-tuning (lesson 11) updates every weight. Training with Adam keeps, for every trainable
# weight, its gradient and two moment estimates: three more numbers per weight, and a full copy of
# the model per task. For MiniLM (22.7 M weights) that is fine; for a 7-billion-weight language model
# it is 84 GB of float32 state before the activations. **Parameter-efficient fine-tuning**
# (参数高效微调) trains a small set of weights and leaves the rest frozen.
#
# **Freezing** (冻结) a layer, `layer.trainable = False`, removes its weights from
# `model.trainable_weights`: no gradient, no optimizer state, no change. `bert_classifier` offers
# three settings; here is what each trains.

# %%
variants = {
    "full fine-tune": dict(),
    "head only": dict(train_backbone=False),
    "LoRA, rank 4": dict(lora_rank=4),
}
seq_len = lesson.pick(32, 64)
models = {name: km.models.bert_classifier(2, preset="minilm-l6", sequence_length=seq_len, **kw) for name, kw in variants.items()}
trainable = {name: sum(int(np.prod(w.shape)) for w in m.trainable_weights) for name, m in models.items()}
total = models["full fine-tune"].count_params()
for name, m in models.items():
    groups = sorted({w.path.split("/")[-1] for w in m.trainable_weights})
    print(f"{name:15s} trains {trainable[name]:>10,} of {total:,} weights ({trainable[name] / total:7.3%}): "
          f"{', '.join(groups) if len(groups) <= 4 else str(len(groups)) + ' kinds of weights'}")

# %% [markdown]
# ## 2. LoRA by hand (低秩适配)
# LoRA (Hu et al., 2021) keeps a pretrained weight matrix $W$ frozen and learns a **low-rank update**:
#
# $$W' = W + \frac{\alpha}{r} B A, \qquad B \in \mathbb{R}^{d_\text{out}\times r},\;
#   A \in \mathbb{R}^{r\times d_\text{in}},\; r \ll \min(d_\text{in}, d_\text{out}).$$
#
# It trains $r(d_\text{in} + d_\text{out})$ numbers instead of $d_\text{in} d_\text{out}$. $B$ starts at
# zero, so training starts exactly from the pretrained model; $\alpha/r$ scales the update so the
# learning rate need not change with $r$. Keras stores a Dense kernel as $(d_\text{in}, d_\text{out})$
# and computes $xW$, so its factors are the transposes: `lora_kernel_a` $= A^\top$ with shape
# $(d_\text{in}, r)$ and `lora_kernel_b` $= B^\top$ with shape $(r, d_\text{out})$. One layer, by hand:

# %%
d_in, d_out, r, alpha = 16, 12, 2, 8.0
dense = keras.layers.Dense(d_out)
x = rng.normal(size=(5, d_in)).astype("float32")
before = keras.ops.convert_to_numpy(dense(x))
dense.enable_lora(rank=r, lora_alpha=alpha)
lesson.metric("right after enable_lora (B = 0): max change of the output",
              np.abs(keras.ops.convert_to_numpy(dense(x)) - before).max(), fmt=".1e")
print("trainable:", [(w.path.split("/")[-1], tuple(w.shape)) for w in dense.trainable_weights],
      "| frozen:", [w.path.split("/")[-1] for w in dense.non_trainable_weights])
dense.lora_kernel_b.assign(rng.normal(size=(r, d_out)).astype("float32"))  # as if training had moved B

W, b = dense._kernel.numpy(), dense.bias.numpy()
A_t, B_t = dense.lora_kernel_a.numpy(), dense.lora_kernel_b.numpy()
by_hand = x @ (W + (alpha / r) * A_t @ B_t) + b
lora_error = np.abs(by_hand - keras.ops.convert_to_numpy(dense(x))).max()
lesson.metric("LoRA by hand vs keras enable_lora: max difference", lora_error, fmt=".1e")
print(f"LoRA trains {r * (d_in + d_out)} numbers instead of {d_in * d_out}; the update has rank "
      f"{np.linalg.matrix_rank(A_t @ B_t)}")

# %% [markdown]
# After training, $W + \frac{\alpha}{r}BA$ can be **merged** into one matrix: the fine-tuned model then
# costs exactly as much at inference as the original (Keras does this when it saves a LoRA model).
# `bert_classifier(lora_rank=4)` calls `backbone.enable_lora(4)`, which adds LoRA to the query and
# value projections of every attention layer, as the LoRA paper did. One detail differs: those
# projections are `EinsumDense` layers with kernels of shape (384, heads, head size), and Keras
# factorises along the *last* axis only, so each head gets its own $A$ and all heads share $B$:

# %%
lora_factors = [w for w in models["LoRA, rank 4"].trainable_weights if "lora_kernel" in w.path]
query_a, query_b = lora_factors[0], lora_factors[1]
per_projection = int(np.prod(query_a.shape) + np.prod(query_b.shape))
print(f"{len(lora_factors)} LoRA factors; {query_a.path}: {tuple(query_a.shape)}, {query_b.path.split('/')[-1]}: "
      f"{tuple(query_b.shape)}")
print(f"per projection: {per_projection:,} numbers (the paper's rank-4 LoRA of a 384 x 384 matrix: {4 * (384 + 384):,})")

# %% [markdown]
# Seen as a 384 × 384 matrix, that update has rank up to 12 heads × 4 = 48, not 4: more capacity,
# more numbers, the same idea.
#
# ## 3. Full, head-only and LoRA fine-tuning on the same data
# Each model trains on the same sentences with the same batches. We time every training step: the
# first includes building (tracing) the training graph, so the table reports the median of the
# later steps. The learning rates are the usual ones: small for full fine-tuning, larger when only
# a few weights move.

# %%
x_train, y_train = km.data.load("reviews", split="train", limit=lesson.pick(64, None))
x_test, y_test = km.data.load("reviews", split="test", limit=lesson.pick(128, None))
batch_size, epochs = lesson.pick(16, 32), lesson.pick(1, 3)
# Quick mode takes only a handful of steps, so every rate is larger there.
learning_rates = {"full fine-tune": lesson.pick(3e-4, 5e-5), "head only": lesson.pick(1e-2, 1e-3),
                  "LoRA, rank 4": lesson.pick(3e-3, 1e-3)}


class StepTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_train_batch_begin(self, batch, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


rows = {}


def train_and_measure(name):
    model = models[name]
    km.models.compile_model(model, optimizer="adamw", learning_rate=learning_rates[name])
    timer = StepTimer()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, callbacks=[timer], verbose=0)
    logits = keras.ops.convert_to_numpy(model.predict(x_test, batch_size=64, verbose=0))
    rows[name] = {"trainable": trainable[name], "adam_mb": 2 * 4 * trainable[name] / 1e6,
                  "first_step": timer.seconds[0], "per_step": float(np.median(timer.seconds[1:])),
                  "accuracy": float(np.mean(logits.argmax(axis=1) == y_test))}
    lesson.metric(f"{name}: test accuracy", rows[name]["accuracy"], fmt=".1%")


# %% [markdown]
# One cell per method: full fine-tuning, then head-only, then LoRA.

# %%
train_and_measure("full fine-tune")

# %%
train_and_measure("head only")

# %%
train_and_measure("LoRA, rank 4")

# %%
print(f"{len(x_train)} training sentences, batch {batch_size}, {epochs} epoch(s); test on {len(x_test)}\n")
print(f"{'method':15s} {'trainable':>11s} {'Adam state':>11s} {'1st step (tracing)':>19s} {'s/step':>7s} "
      f"{'s/epoch':>8s} {'accuracy':>9s}")
steps_per_epoch = int(np.ceil(len(x_train) / batch_size))
for name, row in rows.items():
    print(f"{name:15s} {row['trainable']:>11,} {row['adam_mb']:>8.2f} MB {row['first_step']:>17.1f} s "
          f"{row['per_step']:>7.2f} {row['per_step'] * steps_per_epoch:>8.1f} {row['accuracy']:>9.1%}")
for name, row in rows.items():
    lesson.metric(f"{name}: trainable parameters", row["trainable"], fmt=",.0f")
    lesson.metric(f"{name}: seconds per step", row["per_step"], fmt=".2f")

# %% [markdown]
# Read the columns from left to right. The head trains 770 numbers and LoRA about 1 % of the model,
# so their optimizer state is tiny. Time per step shrinks less than the parameter count: head-only
# still runs the whole encoder forward (but no backward pass through it), LoRA still back-propagates
# through every layer to reach its factors (but computes no gradient for the big matrices). In
# quick mode a handful of steps cannot move the accuracy far from chance; full mode trains long
# enough to compare the methods on accuracy. (Our full-mode run on a 2-core CPU measured 86.2 % for
# full fine-tuning, 85.5 % for LoRA and 71.8 % for the head alone, on the 400 test reviews.)

# %%
names = list(rows)
colors = ["tab:blue", "tab:gray", "tab:orange"]
fig, axes = plt.subplots(1, 3, figsize=(14, 4.3))
panels = [("trainable parameters (log scale)", [rows[n]["trainable"] for n in names], "{:,.0f}"),
          ("seconds per training step", [rows[n]["per_step"] for n in names], "{:.2f} s"),
          ("test accuracy", [rows[n]["accuracy"] for n in names], "{:.1%}")]
for ax, (title, values, fmt) in zip(axes, panels):
    bars = ax.bar([n.replace(", ", "\n") for n in names], values, color=colors, width=0.6)
    ax.bar_label(bars, labels=[fmt.format(v) for v in values], fontsize=11)
    ax.set_title(title)
    ax.margins(y=0.2)
axes[0].set_yscale("log")
axes[2].set_ylim(0, 1.1)
axes[2].axhline(0.5, color="tab:red", ls="--", lw=1, label="chance")
axes[2].legend(loc="lower right")
fig.suptitle(f"Three ways to fine-tune MiniLM on the same {len(x_train)} reviews, "
             f"{epochs} epoch{'s' if epochs > 1 else ''}")
fig.tight_layout()
lesson.savefig(fig, "full_head_lora")

# %% [markdown]
# ## 4. AdaLoRA: spend the rank where it matters
# Plain LoRA gives every adapted matrix the same rank $r$. But some matrices need a richer update
# than others. **AdaLoRA** (Zhang et al., 2023; seed 003 §7.3) writes each update in an SVD-like form
#
# $$\Delta W = P\,\Lambda\,Q, \qquad \Lambda = \mathrm{diag}(\lambda_1, \dots, \lambda_r),$$
#
# with $P$ and $Q$ pushed towards orthogonal columns/rows by a penalty
# $\lVert P^\top P - I\rVert_F^2 + \lVert QQ^\top - I\rVert_F^2$. Each triplet $(P_{:,i}, \lambda_i, Q_{i,:})$
# gets an **importance score** (a smoothed sensitivity $|\lambda_i\,\partial L/\partial\lambda_i|$);
# during training the least important triplets across *all* matrices are switched off
# ($\lambda_i \leftarrow 0$) until a global rank budget is met. Matrices that matter keep more rank.
#
# A NumPy illustration: four matrices whose ideal updates have ranks 1, 2, 4 and 8 (think of four
# layers that need different amounts of change), and a budget of 16 rank-one triplets. Uniform LoRA
# gives each rank 4. The adaptive version scores every singular triplet of every matrix; with exact
# SVDs, removing triplet $i$ adds exactly $\lambda_i^2$ to the squared error, so $\lambda_i^2$ is its
# importance, and it keeps the 16 best.

# %%
true_ranks, size, budget = [1, 2, 4, 8], 32, 16
targets = []
for k in true_ranks:
    u, _ = np.linalg.qr(rng.normal(size=(size, k)))
    v, _ = np.linalg.qr(rng.normal(size=(size, k)))
    targets.append(u @ np.diag(np.linspace(3.0, 1.0, k)) @ v.T + 0.01 * rng.normal(size=(size, size)))
svds = [np.linalg.svd(t) for t in targets]


def error_with_ranks(ranks):
    return [float(np.sum(s[rank:] ** 2) / np.sum(s**2)) for (_, s, _), rank in zip(svds, ranks)]


uniform = [budget // len(targets)] * len(targets)
importance = [(s[i] ** 2, m) for m, (_, s, _) in enumerate(svds) for i in range(len(s))]
kept = sorted(importance, reverse=True)[:budget]
adaptive = [sum(1 for _, m in kept if m == k) for k in range(len(targets))]
for label, ranks in [("uniform LoRA", uniform), ("adaptive (AdaLoRA idea)", adaptive)]:
    errors = error_with_ranks(ranks)
    print(f"{label:24s} ranks {ranks} -> relative error per matrix {np.round(errors, 3).tolist()}")
    lesson.metric(f"{label}: total squared error", np.sum([e * np.sum(s**2) for e, (_, s, _) in zip(errors, svds)]),
                  fmt=".2f")
    for k, rank in enumerate(ranks):
        lesson.metric(f"{label}: rank of matrix {k}", rank)

fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
positions = np.arange(len(targets))
for offset, (label, ranks, color) in enumerate([("uniform LoRA", uniform, "tab:gray"),
                                                ("adaptive (AdaLoRA idea)", adaptive, "tab:orange")]):
    axes[0].bar(positions + (offset - 0.5) * 0.38, ranks, width=0.38, color=color, label=label)
    axes[1].bar(positions + (offset - 0.5) * 0.38, error_with_ranks(ranks), width=0.38, color=color, label=label)
for ax, ylabel in zip(axes, ["rank given", "relative error of the update"]):
    ax.set_xticks(positions, [f"matrix {k + 1}\n(needs rank {t})" for k, t in enumerate(true_ranks)])
    ax.set_ylabel(ylabel)
    ax.legend()
axes[0].set_title(f"The same budget of {budget} ranks, spent two ways")
axes[1].set_title("What each matrix loses")
fig.tight_layout()
lesson.savefig(fig, "adalora_budget")

# %% [markdown]
# ## 5. No training at all: nearest neighbours on sentence embeddings
# A pretrained encoder can be used **as is**. sentence-transformers turns all-MiniLM-L6-v2 into a
# sentence embedding by **mean pooling**: the average of the output vectors of the real tokens,
# scaled to length 1 (`kerasmodels.course.scratch.text.sentence_embeddings`, read it). Similar sentences get
# similar vectors, so a test review can take the majority label of its $k$ most similar training
# reviews (cosine similarity). Nothing is trained; the labelled examples act like the examples in
# a prompt (prompt learning, 提示学习 in seed 003 §3.1: steering a pretrained model with the
# form of its input instead of new weights). We reuse the frozen encoder of the head-only model, which is the pretrained one.

# %%
frozen = models["head only"]
x_bank, y_bank = km.data.load("reviews", split="train", limit=lesson.pick(256, None))
start = time.perf_counter()
bank = text.sentence_embeddings(frozen.backbone, frozen.preprocessor, x_bank)
queries = text.sentence_embeddings(frozen.backbone, frozen.preprocessor, x_test)
print(f"embedded {len(x_bank) + len(x_test)} sentences in {time.perf_counter() - start:.1f} s; "
      f"shape {bank.shape}")
lesson.metric("sentence embeddings: max |norm - 1|", np.abs(np.linalg.norm(bank, axis=1) - 1).max(), fmt=".1e")
ks = [1, 3, 5, 9, 15, 25]  # k = 9 is fixed in advance: picking k by test accuracy would tune on the test set
knn_accuracy = {k: float(np.mean(text.nearest_neighbour_predict(bank, y_bank, queries, k=k) == y_test)) for k in ks}
for k, acc in knn_accuracy.items():
    print(f"k = {k:2d}: test accuracy {acc:.1%}")
lesson.metric("nearest neighbours on MiniLM embeddings (k=9, no training): test accuracy", knn_accuracy[9],
              headline=True, fmt=".1%")

# Two more ways to use the encoder with (almost) no labels: the nearest class centroid, and
# "prompts": one sentence describing each class, with no labelled example at all.
centroids = np.stack([bank[y_bank == c].mean(axis=0) for c in (0, 1)])
centroid_accuracy = np.mean(np.argmax(queries @ (centroids / np.linalg.norm(centroids, axis=1, keepdims=True)).T, axis=1) == y_test)
prompts = np.array(["A negative review: it was bad, disappointing, a waste of money.",
                    "A positive review: it was great, excellent, I loved it."])
anchors = text.sentence_embeddings(frozen.backbone, frozen.preprocessor, prompts)
zero_shot_accuracy = np.mean(np.argmax(queries @ anchors.T, axis=1) == y_test)
print(f"nearest class centroid: {centroid_accuracy:.1%} | two descriptive prompts, no labelled data: {zero_shot_accuracy:.1%}")

nearest = np.argmax(queries @ bank.T, axis=1)
for i in range(3):
    print(f"\nquery ({'+' if y_test[i] else '-'}): {x_test[i]}\nnearest ({'+' if y_bank[nearest[i]] else '-'}): {x_bank[nearest[i]]}")

# %% [markdown]
# A picture of the embedding space: the two main directions (principal components) of the training
# embeddings, coloured by their label.

# %%
centred = bank - bank.mean(axis=0)
_, _, components = np.linalg.svd(centred, full_matrices=False)
xy = centred @ components[:2].T
fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [1.2, 1]})
# Two marker shapes as well as two colours, for readers who cannot tell red from green.
for label, color, marker, name in [(0, "tab:red", "x", "negative"), (1, "tab:green", "o", "positive")]:
    axes[0].scatter(*xy[y_bank == label].T, s=14, alpha=0.7, color=color, marker=marker, label=name)
axes[0].set(xlabel="principal component 1", ylabel="principal component 2",
            title="MiniLM sentence embeddings of training reviews")
axes[0].legend()
axes[1].plot(ks, [knn_accuracy[k] for k in ks], marker="o", lw=2)
axes[1].axhline(0.5, color="tab:red", ls="--", lw=1, label="chance")
axes[1].set(xlabel="k (neighbours that vote)", ylabel="test accuracy", ylim=(0.4, 1.0),
            title=f"k-nearest neighbours, {len(x_bank)} labelled reviews, no training")
axes[1].legend()
axes[1].grid(alpha=0.3)
fig.tight_layout()
lesson.savefig(fig, "embeddings_knn")

# %% [markdown]
# The two classes are not separated along the two largest directions: an encoder trained to match
# paraphrases places sentences mainly by *what they are about* (films, hotels, gadgets), and
# sentiment is a weaker signal, which is why the neighbour vote is well above chance but far from
# perfect. A trained head, LoRA or a full fine-tune sharpens exactly that signal. With few labelled
# reviews, averaging each class into one centroid is steadier than a vote of 9 neighbours, and one
# descriptive sentence per class (the prompt-style use) depends on its wording: compare the printed
# accuracies, and try your own prompts.
#
# ## 6. Exercises
# **6.1 LoRA's trainable parameters** for one dense layer with `d_in` inputs, `d_out` outputs and
# rank `rank`. This attempt counts the frozen matrix too:

# %%
def lora_parameters(d_in, d_out, rank):
    return d_in * d_out + rank * (d_in + d_out)


course.exercises.check("12.lora_parameters", lora_parameters);

# %% [markdown]
# **6.2 A LoRA dense layer's output** in Keras's layout: `x` `(batch, d_in)`, `kernel` `(d_in, d_out)`,
# `bias` `(d_out,)`, `lora_a` `(d_in, rank)`, `lora_b` `(rank, d_out)`. This attempt forgets a factor:

# %%
def lora_dense(x, kernel, bias, lora_a, lora_b, alpha, rank):
    return x @ (kernel + lora_a @ lora_b) + bias


course.exercises.check("12.lora_dense", lora_dense);

# %% [markdown]
# **6.3 Mean pooling.** Average the token vectors `(batch, tokens, hidden)` of the real tokens only
# (`padding_mask` `(batch, tokens)`, true for real tokens). This attempt averages the padding in:

# %%
def mean_pooling(sequence_output, padding_mask):
    return np.mean(sequence_output, axis=1)


course.exercises.check("12.mean_pooling", mean_pooling);

# %% [markdown]
# ## Summary
# - Freezing removes weights from training: no gradients, no optimizer state. Head-only training
#   trains ~1 k numbers; the encoder still runs forward on every step.
# - LoRA learns $W + \frac{\alpha}{r}BA$ with $B = 0$ at the start, training $r(d_\text{in}+d_\text{out})$ numbers
#   per matrix; after training it merges into $W$ at no inference cost.
# - AdaLoRA writes the update as $P\Lambda Q$ and moves a global rank budget to the matrices whose
#   singular triplets matter most.
# - A pretrained sentence encoder with mean pooling plus nearest neighbours classifies with no
#   training at all.
#
# Next: lesson 13 looks at the hardware that makes all of this faster: GPUs, mixed precision, XLA
# and data parallelism.

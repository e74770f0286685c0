# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Parameter-efficient fine-tuning
#     articles: ["003 §3.1", "003 §7.3"]
#     quick_seconds: 55
#     full_seconds: 563
#     description: Freezing, head-only fine-tuning, LoRA and bottleneck adapters compared on MiniLM (trainable parameters, time per step, accuracy), LoRA's W + (alpha/r)BA by hand against Keras's enable_lora, an adapter by hand and inside a frozen keras-hub encoder, AdaLoRA's rank allocation in NumPy, and sentence embeddings with no training (nearest neighbours, zero-shot label prompts).
# ---

# %% [markdown]
# # 13 · Parameter-efficient fine-tuning
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 003 §3.1 ("parameter-efficient fine-tuning: update only part of the parameters
# during fine-tuning, to reduce the compute") and §7.3 (the AdaLoRA paper).
#
# **After this lesson you can** freeze a pretrained encoder and train only a head, compute a LoRA
# layer $W + \frac{\alpha}{r}BA$ by hand and match Keras's `enable_lora`, put bottleneck adapters
# inside a frozen encoder, compare full, head-only, LoRA and adapter fine-tuning by trainable
# parameters, memory, time and accuracy, explain how AdaLoRA spreads a rank budget, and classify
# sentences with a pretrained encoder's embeddings and no training (neighbours, label prompts).
#
# **Prerequisites:** lesson 12 (BERT, fine-tuning).
#
# **Run time:** quick mode (64 training sentences, 4 steps per method) took 53 s of wall time in a
# tour on a 2-core AMD EPYC emulating an AVX2-only laptop CPU (`bench/avx2_only.sh`: TensorFlow's
# oneDNN kernels capped at AVX2; this lesson trains in float32 everywhere), idle, 2026-12-07;
# another run that day used 69 s of CPU time (130 s of wall time with the load average near 5). Full mode
# trains each method for 3 epochs (128 steps) on all 1,360 training reviews: 9.4 minutes of wall
# time (7.7 minutes of CPU time) on a shared 2-core CPU; 16.7 minutes of wall time in a later
# full run (TensorFlow, 2-core AMD EPYC, other jobs keeping the load average near 5). Both full runs
# are older than the quick-mode tracing savings of this version (expect slightly less).

# %%
import pathlib
import tempfile
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
import scipy.stats

import kerasmodels as km
from kerasmodels import course
from kerasmodels.course.scratch import metrics, text
from kerasmodels.course.topics import adapters

lesson = course.setup_lesson(13)
rng = np.random.default_rng(lesson.seed)

# %% [markdown]
# ## 1. Why not fine-tune everything?
# Full fine-tuning (lesson 12) updates every weight (here every weight but the unused `[CLS]` pooler's
# 147,840, counted below). Training with Adam keeps, for every trainable
# weight, its gradient and two moment estimates: three more numbers per weight, and a full copy of
# the model per task. For MiniLM (22.7 M weights) that is fine; for a 7-billion-weight language model
# it is 84 GB of float32 state before the activations. **Parameter-efficient fine-tuning**
# (参数高效微调) trains a small set of weights and leaves the rest frozen.
#
# **Freezing** (冻结) a layer, `layer.trainable = False`, removes its weights from
# `model.trainable_weights`: no gradient, no optimizer state, no change. `bert_classifier` offers
# three settings; here is what each trains (section 3 adds a fourth, adapters).

# %%
variants = {
    "full fine-tune": dict(),
    "head only": dict(train_backbone=False),
    "LoRA, rank 4": dict(lora_rank=4),
}
seq_len = lesson.pick(24, 64)
models = {name: km.models.bert_classifier(2, preset="minilm-l6", sequence_length=seq_len, **kw) for name, kw in variants.items()}
trainable = {name: sum(int(np.prod(w.shape)) for w in m.trainable_weights) for name, m in models.items()}
total = models["full fine-tune"].count_params()
for name, m in models.items():
    groups = sorted({w.path.split("/")[-1] for w in m.trainable_weights})
    print(f"{name:15s} trains {trainable[name]:>10,} of {total:,} weights ({trainable[name] / total:7.3%}): "
          f"{', '.join(groups) if len(groups) <= 4 else str(len(groups)) + ' kinds of weights'}")
lesson.metric("full_fine_tune_frozen_weights", total - trainable["full fine-tune"],
              "full fine-tune: weights left frozen (the unused [CLS] pooler)",
              fmt=",.0f");

# %% [markdown]
# ## 2. LoRA by hand (低秩适配)
# LoRA (Hu et al., 2021) keeps a pretrained weight matrix $W$ frozen and learns a **low-rank update**:
#
# $$W' = W + \frac{\alpha}{r} B A, \qquad B \in \mathbb{R}^{d_\text{out}\times r},\;
#   A \in \mathbb{R}^{r\times d_\text{in}},\; r \ll \min(d_\text{in}, d_\text{out}).$$
#
# In the paper it trains $r(d_\text{in} + d_\text{out})$ numbers instead of $d_\text{in} d_\text{out}$
# (the bias too stays frozen). Keras's `Dense.enable_lora` freezes only the kernel: the bias stays
# trainable (the cell prints it), which adds $d_\text{out}$ numbers; set `dense.bias.trainable = False`
# to match the paper. $B$ starts at
# zero, so training starts exactly from the pretrained model; $\alpha/r$ scales the update, which
# reduces the need to retune the learning rate when $r$ changes (the paper's motivation; rsLoRA,
# Kalajdzievski 2023, later argued for $\alpha/\sqrt{r}$). Keras stores a Dense kernel as $(d_\text{in}, d_\text{out})$
# and computes $xW$, so its factors are the transposes: `lora_kernel_a` $= A^\top$ with shape
# $(d_\text{in}, r)$ and `lora_kernel_b` $= B^\top$ with shape $(r, d_\text{out})$. One layer, by hand:

# %%
d_in, d_out, r, alpha = 16, 12, 2, 8.0
dense = keras.layers.Dense(d_out)
x = rng.normal(size=(5, d_in)).astype("float32")
before = keras.ops.convert_to_numpy(dense(x))
dense.enable_lora(rank=r, lora_alpha=alpha)
lesson.metric("enable_lora_b0_max_change", np.abs(keras.ops.convert_to_numpy(dense(x)) - before).max(),
              "right after enable_lora (B = 0): max change of the output", fmt=".1e")
print("trainable:", [(w.path.split("/")[-1], tuple(w.shape)) for w in dense.trainable_weights],
      "| frozen:", [w.path.split("/")[-1] for w in dense.non_trainable_weights])
dense.lora_kernel_b.assign(rng.normal(size=(r, d_out)).astype("float32"))  # as if training had moved B

W, b = dense._kernel.numpy(), dense.bias.numpy()
A_t, B_t = dense.lora_kernel_a.numpy(), dense.lora_kernel_b.numpy()
by_hand = x @ (W + (alpha / r) * A_t @ B_t) + b
lora_error = np.abs(by_hand - keras.ops.convert_to_numpy(dense(x))).max()
lesson.metric("lora_hand_vs_keras_max_diff", lora_error, "LoRA by hand vs keras enable_lora: max difference", fmt=".1e")
keras_trains = sum(int(np.prod(w.shape)) for w in dense.trainable_weights)
print(f"LoRA's factors are {r * (d_in + d_out)} numbers instead of {d_in * d_out}; with the bias Keras trains "
      f"{keras_trains}; the update has rank {np.linalg.matrix_rank(A_t @ B_t)}")
lesson.metric("dense_lora_trainable", keras_trains, "Dense.enable_lora: trainable numbers (factors + bias)")
dense.bias.trainable = False
lesson.metric("dense_lora_frozen_bias_trainable", sum(int(np.prod(w.shape)) for w in dense.trainable_weights),
              "Dense.enable_lora with bias.trainable = False: trainable numbers");

# %% [markdown]
# After training, $W + \frac{\alpha}{r}BA$ can be **merged** into one matrix: the fine-tuned model then
# costs exactly as much at inference as the original. Keras writes the merged kernel when it saves a
# LoRA model, but the layer's config keeps `lora_rank`, so `keras.models.load_model` rebuilds the LoRA
# branch with zeroed factors and still computes it. To pay nothing extra, load the saved weights into
# the same model built without `enable_lora` (the cell prints both weight counts):

# %%
def one_dense_model(layer):
    inputs = keras.Input((d_in,))
    return keras.Model(inputs, layer(inputs))


lora_model = one_dense_model(dense)  # the LoRA layer of the cell above, B as if trained
with tempfile.TemporaryDirectory() as tmp:
    saved = pathlib.Path(tmp) / "lora.keras"
    lora_model.save(saved)  # stores W + (alpha/r) A B as the kernel
    reloaded = keras.models.load_model(saved)
    plain = one_dense_model(keras.layers.Dense(d_out))  # no enable_lora
    plain.load_weights(saved)
print(f"load_model: lora_enabled={reloaded.layers[-1].lora_enabled}, {reloaded.count_params()} weights | "
      f"built without enable_lora: lora_enabled={plain.layers[-1].lora_enabled}, {plain.count_params()} weights")
lesson.metric("lora_reloaded_load_model_weights", reloaded.count_params(),
              "LoRA model saved and reloaded with load_model: weights")
lesson.metric("merged_lora_in_plain_dense_max_diff",
              np.abs(keras.ops.convert_to_numpy(plain(x)) - keras.ops.convert_to_numpy(dense(x))).max(),
              "merged LoRA weights loaded into a plain Dense: max difference from the LoRA output", fmt=".1e")

# %% [markdown]
# `bert_classifier(lora_rank=4)` calls `backbone.enable_lora(4)`, which adds LoRA to the query and
# value projections of every attention layer, as the LoRA paper did, and then freezes the query and
# value biases that `enable_lora` leaves trainable: only the LoRA factors and the 770-weight head
# train (the cell prints the count outside the factors). `backbone.enable_lora(rank)` passes no $\alpha$,
# and `EinsumDense.enable_lora` then sets $\alpha = r$: the scale $\alpha/r$ is 1 at every rank, not the
# fixed $\alpha$ of §2. To keep $\alpha$ fixed while changing $r$, call
# `layer.enable_lora(rank, lora_alpha=...)` on each query and value layer yourself. One detail differs: those
# projections are `EinsumDense` layers with kernels of shape (384, heads, head size), and Keras
# factorises along the *last* axis only, so each head gets its own $A$ and all heads share $B$:

# %%
lora_factors = [w for w in models["LoRA, rank 4"].trainable_weights if "lora_kernel" in w.path]
query_a, query_b = lora_factors[0], lora_factors[1]
per_projection = int(np.prod(query_a.shape) + np.prod(query_b.shape))
print(f"{len(lora_factors)} LoRA factors; {query_a.path}: {tuple(query_a.shape)}, {query_b.path.split('/')[-1]}: "
      f"{tuple(query_b.shape)}")
print(f"per projection: {per_projection:,} numbers (the paper's rank-4 LoRA of a 384 x 384 matrix: {4 * (384 + 384):,})")
lesson.metric("lora_rank4_head_trainable", trainable["LoRA, rank 4"] - sum(int(np.prod(w.shape)) for w in lora_factors),
              "LoRA, rank 4: trainable numbers outside the LoRA factors (the head)")

# %% [markdown]
# Seen as a 384 × 384 matrix, that update has rank up to 12 heads × 4 = 48, not 4: more capacity,
# more numbers, the same idea.
#
# ## 3. Adapters (适配器): a small block inside every encoder layer
# LoRA changes existing weight matrices. **Adapters** (Houlsby et al., 2019) leave them alone and
# add a new layer: a residual **bottleneck** that projects the $d$-dimensional token vector $h$ down
# to $r \ll d$ numbers, applies a nonlinearity $f$ and projects back up:
#
# $$\text{adapter}(h) = h + f(h W_\text{down} + b_\text{down})\, W_\text{up} + b_\text{up}, \qquad
#   W_\text{down} \in \mathbb{R}^{d\times r},\; W_\text{up} \in \mathbb{R}^{r\times d}.$$
#
# That is $2dr + r + d$ numbers per adapter. $W_\text{up}$ and $b_\text{up}$ start at zero, so the
# adapter starts as the identity and the model as the pretrained one (LoRA's $B = 0$ again).
# `kerasmodels.course.topics.adapters.BottleneckAdapter` is that layer; by hand first, with the
# up-projection set to random values as if training had moved it:

# %%
hidden, bottleneck = 384, 16
adapter = adapters.BottleneckAdapter(bottleneck)
h = rng.normal(size=(2, 5, hidden)).astype("float32")
lesson.metric("adapter_init_max_change", np.abs(keras.ops.convert_to_numpy(adapter(h)) - h).max(),
              "adapter at initialisation: max |adapter(h) - h|", fmt=".1e")
adapter.up.kernel.assign(0.1 * rng.normal(size=(bottleneck, hidden)).astype("float32"))
W_down, b_down = adapter.down.kernel.numpy(), adapter.down.bias.numpy()
W_up, b_up = adapter.up.kernel.numpy(), adapter.up.bias.numpy()
adapter_by_hand = h + keras.ops.convert_to_numpy(keras.activations.gelu(h @ W_down + b_down)) @ W_up + b_up
lesson.metric("adapter_hand_vs_package_max_diff", np.abs(adapter_by_hand - keras.ops.convert_to_numpy(adapter(h))).max(),
              "adapter by hand vs BottleneckAdapter: max difference", fmt=".1e")
lesson.metric("adapter_weights_d384_r16", adapter.count_params(), "weights of one adapter (d = 384, r = 16)", fmt=",.0f")
print(f"2dr + r + d = {2 * hidden * bottleneck + bottleneck + hidden:,}")

# %% [markdown]
# Houlsby et al. put one adapter after the attention block and one after the feed-forward block of
# every layer; we keep only the adapter after the feed-forward block (as Pfeiffer et al. 2021 do, though
# they place it after that block's layer norm). In keras-hub's
# `TransformerEncoder` (post-layer-norm, like BERT) the feed-forward block ends with
# $\text{LayerNorm}(x + \text{dropout}(\text{FFN}(x)))$, and the adapter goes right after the FFN's
# output projection, before the residual addition. The encoder has no hook for an extra layer, so
# `adapters.add_adapters` replaces that projection, in each of MiniLM's 6 layers, by
# `Sequential([projection, adapter])` (read the module; Keras's own `enable_lora` also adds state
# to layers that are already built). It also freezes every pretrained weight except the layer norms' scale and
# shift: **trainable = adapters + layer norms + head**. The model's outputs must not change:

# %%
models["adapters, r = 16"] = km.models.bert_classifier(2, preset="minilm-l6", sequence_length=seq_len)
probe = models["adapters, r = 16"].preprocessor(np.array(["A gripping story.", "Broke after a week."]))
logits_before = keras.ops.convert_to_numpy(models["adapters, r = 16"](probe, training=False))
inserted = adapters.add_adapters(models["adapters, r = 16"].backbone, bottleneck_dim=bottleneck)
logits_after = keras.ops.convert_to_numpy(models["adapters, r = 16"](probe, training=False))
lesson.metric("add_adapters_max_logit_change", np.abs(logits_after - logits_before).max(),
              "right after add_adapters: max change of the logits",
              fmt=".1e")
trainable["adapters, r = 16"] = sum(int(np.prod(w.shape)) for w in models["adapters, r = 16"].trainable_weights)
layer_norm = sum(int(np.prod(w.shape)) for w in models["adapters, r = 16"].trainable_weights
                 if w.path.endswith(("gamma", "beta")))
lesson.metric("adapters_inserted", len(inserted), "adapters inserted")
lesson.metric("adapters_r16_layer_norm_weights", layer_norm, "adapters, r = 16: layer-norm weights trained", fmt=",.0f")
print(f"adapters, r = 16 trains {trainable['adapters, r = 16']:,} of {total:,} weights "
      f"({trainable['adapters, r = 16'] / total:.3%}): {len(inserted)} adapters x "
      f"{inserted[0].count_params():,} + {layer_norm:,} layer-norm weights + the head's {trainable['head only']:,}")

# %% [markdown]
# ## 4. Four ways to fine-tune, on the same data
# Each model trains on the same sentences in the same batches, for the same number of steps. The four
# models share one tokenizer and sequence length, so we tokenise once and give them token ids (a
# keras-hub task with `preprocessor = None` skips its own preprocessing). We measure the CPU time of
# every training step (`time.process_time`, all threads of this process): on a machine shared with
# other jobs a step's wall-clock time swings with their load, its CPU time much less. The first
# step includes building (tracing) the training graph, so the table reports the median of the later
# steps. The learning rates are the usual ones: small for full fine-tuning, larger when
# only a few weights move.

# %%
x_train, y_train = km.data.load("reviews", split="train", limit=lesson.pick(64, None))
x_test, y_test = km.data.load("reviews", split="test", limit=lesson.pick(128, None))
chance = max(np.mean(y_test), 1 - np.mean(y_test))  # chance: the share of the larger class (section 6 uses it too)
batch_size, epochs = lesson.pick(16, 32), lesson.pick(1, 3)
preprocessor = models["full fine-tune"].preprocessor
# One order for every method, reshuffled each epoch; fit(shuffle=False) keeps it, so all four see the same batches.
order = np.concatenate([rng.permutation(len(x_train)) for _ in range(epochs)])
train_tokens = {k: keras.ops.convert_to_numpy(v)[order] for k, v in preprocessor(x_train).items()}
test_tokens = {k: keras.ops.convert_to_numpy(v) for k, v in preprocessor(x_test).items()}
# Quick mode takes only a handful of steps, so every rate is larger there.
learning_rates = {"full fine-tune": lesson.pick(3e-4, 5e-5), "head only": lesson.pick(1e-2, 1e-3),
                  "LoRA, rank 4": lesson.pick(3e-3, 1e-3), "adapters, r = 16": lesson.pick(3e-3, 1e-3)}


class StepTimer(keras.callbacks.Callback):
    """CPU seconds of every training step."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_train_batch_begin(self, batch, logs=None):
        self.start = time.process_time()

    def on_train_batch_end(self, batch, logs=None):
        self.seconds.append(time.process_time() - self.start)


rows = {}


def train_and_measure(name):
    model = models[name]
    model.preprocessor = None  # it takes the token ids above
    # compile_model also creates AdamW's moment variables now: on TensorFlow, variables created inside
    # the first traced step make it trace that step twice (with a plain model.compile, call
    # km.models.build_before_fit(model, {k: v[:2] for k, v in train_tokens.items()}, y_train[order][:2]),
    # which also creates the variables of metrics given as strings).
    km.models.compile_model(model, optimizer="adamw", learning_rate=learning_rates[name])
    timer = StepTimer()
    model.fit(train_tokens, y_train[order], batch_size=batch_size, epochs=1, shuffle=False,
              callbacks=[timer], verbose=0)
    logits = keras.ops.convert_to_numpy(model(test_tokens, training=False))
    rows[name] = {"trainable": trainable[name], "adam_mb": 2 * 4 * trainable[name] / 1e6,
                  "steps": len(timer.seconds), "first_step": timer.seconds[0],
                  "per_step": float(np.median(timer.seconds[1:])),
                  "accuracy": float(np.mean(logits.argmax(axis=1) == y_test))}
    lesson.metric(f"{lesson.key_part(name)}_test_acc", rows[name]["accuracy"], f"{name}: test accuracy", fmt=".1%")


# %% [markdown]
# One cell per method: full fine-tuning, head-only, LoRA, adapters.

# %%
train_and_measure("full fine-tune")

# %%
train_and_measure("head only")

# %%
train_and_measure("LoRA, rank 4")

# %%
train_and_measure("adapters, r = 16")

# %%
print(f"{len(x_train)} training sentences, batch {batch_size}, {epochs} epoch(s) = {int(np.ceil(len(order) / batch_size))} "
      f"steps per method; test on {len(x_test)}\n")
print(f"{'method':16s} {'trainable':>11s} {'Adam moments':>12s} {'1st step (tracing)':>19s} {'s/step':>7s} "
      f"{'s/epoch':>8s} {'accuracy':>9s}   (CPU seconds)")
steps_per_epoch = int(np.ceil(len(x_train) / batch_size))
for name, row in rows.items():
    print(f"{name:16s} {row['trainable']:>11,} {row['adam_mb']:>9.2f} MB {row['first_step']:>17.1f} s "
          f"{row['per_step']:>7.2f} {row['per_step'] * steps_per_epoch:>8.1f} {row['accuracy']:>9.1%}")
for name, row in rows.items():
    lesson.metric(f"{lesson.key_part(name)}_trainable_params", row["trainable"], f"{name}: trainable parameters", fmt=",.0f")
    lesson.metric(f"{lesson.key_part(name)}_cpu_s_per_step", row["per_step"], f"{name}: CPU seconds per step", fmt=".2f")
    lesson.metric(f"{lesson.key_part(name)}_train_steps", row["steps"], f"{name}: training steps")

# %% [markdown]
# Read the columns from left to right. The head trains 770 numbers, adapters and LoRA under 1 % of
# the model, so their optimizer state is tiny. ("Adam moments" counts Adam's two moment estimates,
# 2 × 4 bytes per trainable weight; the gradient of §1 adds 4 bytes more while a step runs.) Time per step shrinks less than the parameter count:
# head-only still runs the whole encoder forward (but no backward pass through it); LoRA and the
# adapters still back-propagate through every layer to reach their weights (the adapters down to the
# embeddings' layer norm), but compute no gradient for the big matrices. Unlike LoRA, adapters
# cannot be merged into $W$ after training: they stay as extra layers and cost a little time at
# inference too. Four steps in quick mode say little about accuracy; full mode trains long enough
# to compare the methods on it. (Our full-mode run of this lesson, TensorFlow on a 2-core AMD EPYC,
# seed 0, 128 steps per method, measured 89.0 % for full fine-tuning, 86.0 % for LoRA, 85.5 % for
# the adapters and 72.0 % for the head alone, on the 400 test reviews; one run, so each has a 95%
# interval of about ±3 to 4 points (±4.4 for head-only) and only head-only is clearly below the rest.)

# %%
names = list(rows)
colors = ["tab:blue", "tab:gray", "tab:orange", "tab:green"]
fig, axes = plt.subplots(1, 3, figsize=(15, 4.3))
panels = [("trainable parameters (log scale)", [rows[n]["trainable"] for n in names], "{:,.0f}"),
          ("CPU seconds per training step", [rows[n]["per_step"] for n in names], "{:.2f} s"),
          ("test accuracy", [rows[n]["accuracy"] for n in names], "{:.1%}")]
for ax, (title, values, fmt) in zip(axes, panels):
    bars = ax.bar([n.replace(", ", "\n") for n in names], values, color=colors, width=0.6)
    ax.bar_label(bars, labels=[fmt.format(v) for v in values], fontsize=11)
    ax.set_title(title)
    ax.margins(y=0.2)
axes[0].set_yscale("log")
axes[2].set_ylim(0, 1.1)
axes[2].axhline(chance, color="tab:red", ls="--", lw=1, label=f"chance (larger class, {chance:.1%})")
axes[2].legend(loc="upper left")
fig.suptitle(f"Four ways to fine-tune MiniLM on the same {len(x_train)} reviews, "
             f"{epochs} epoch{'s' if epochs > 1 else ''}")
fig.tight_layout()
lesson.savefig(fig, "full_head_lora_adapters")

# %% [markdown]
# ## 5. AdaLoRA: spend the rank where it matters
# Plain LoRA gives every adapted matrix the same rank $r$. But some matrices need a richer update
# than others. **AdaLoRA** (Zhang et al., 2023; article 003 §7.3) writes each update in an SVD-like form
#
# $$\Delta W = P\,\Lambda\,Q, \qquad \Lambda = \mathrm{diag}(\lambda_1, \dots, \lambda_r),$$
#
# with $P$ and $Q$ pushed towards orthogonal columns/rows by a penalty
# $\lVert P^\top P - I\rVert_F^2 + \lVert QQ^\top - I\rVert_F^2$. Each triplet $(P_{:,i}, \lambda_i, Q_{i,:})$
# gets an **importance score**: in the paper (§3.2) the score of $\lambda_i$ plus the mean score of
# the entries of $P_{:,i}$ and of $Q_{i,:}$, each entry's score being its sensitivity
# $|w\,\partial L/\partial w|$, smoothed over steps, times the uncertainty of that sensitivity
# (simplified here to "how much the loss depends on the triplet");
# during training the least important triplets across *all* matrices are switched off
# ($\lambda_i \leftarrow 0$) until a global rank budget is met (the paper's §3.3). Matrices that matter keep more rank.
#
# > **Errata (article 003 §7.3)** The article's reading list names the paper "AdaLoRA: Adaptive Low-Rank
# > Adaptation for Parameter-Efficient Fine-Tuning"; its title is "AdaLoRA: Adaptive Budget Allocation
# > for Parameter-Efficient Fine-Tuning" (Zhang et al., 2023). (Lesson 11 corrects the same list's
# > entry for the Transformer paper.)
#
# A NumPy illustration: four matrices whose ideal updates have ranks 1, 2, 4 and 8 (think of four
# layers that need different amounts of change), and a budget of 16 rank-one triplets. Uniform LoRA
# gives each rank 4. The adaptive version scores every singular triplet of every matrix; with exact
# SVDs, removing triplet $i$ adds exactly $\lambda_i^2$ to the squared error, so $\lambda_i^2$ is its
# importance, and it keeps the 16 best. The true ranks add up to 15, so the 16th triplet kept is a noise one
# (singular value about 0.1, printed below) and goes to whichever matrix has the largest noise triplet:
# matrix 1 in this run, which therefore gets rank 2, not 1. Here the loss is the reconstruction error of a known target, so
# $\lambda_i^2$ is exactly the triplet's effect on it; in real fine-tuning the ideal update is unknown,
# and the paper (§3.2) rejects ranking by $|\lambda_i|$ alone in favour of the gradient-based
# sensitivity score above.

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
lesson.metric("adaptive_16th_singular_value", np.sqrt(kept[-1][0]),
              "adaptive: singular value of the 16th triplet kept (beyond the true ranks)",
              fmt=".2f")
for label, ranks in [("uniform LoRA", uniform), ("adaptive (AdaLoRA idea)", adaptive)]:
    errors = error_with_ranks(ranks)
    print(f"{label:24s} ranks {ranks} -> relative squared error per matrix {np.round(errors, 3).tolist()}")
    lesson.metric(f"{lesson.key_part(label)}_total_squared_err", np.sum([e * np.sum(s**2) for e, (_, s, _) in zip(errors, svds)]),
                  f"{label}: total squared error",
                  fmt=".2f")
    for k, rank in enumerate(ranks):
        lesson.metric(f"{lesson.key_part(label)}_rank_matrix_{k + 1}", rank, f"{label}: rank of matrix {k + 1}")

fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
positions = np.arange(len(targets))
for offset, (label, ranks, color) in enumerate([("uniform LoRA", uniform, "tab:gray"),
                                                ("adaptive (AdaLoRA idea)", adaptive, "tab:orange")]):
    axes[0].bar(positions + (offset - 0.5) * 0.38, ranks, width=0.38, color=color, label=label)
    axes[1].bar(positions + (offset - 0.5) * 0.38, error_with_ranks(ranks), width=0.38, color=color, label=label)
for ax, ylabel in zip(axes, ["rank given", "relative squared error\n(share of $\\|\\Delta W\\|_F^2$ lost)"]):
    ax.set_xticks(positions, [f"matrix {k + 1}\n(needs rank {t})" for k, t in enumerate(true_ranks)])
    ax.set_ylabel(ylabel)
    ax.legend()
axes[0].set_title(f"The same budget of {budget} ranks, spent two ways")
axes[1].set_title("What each matrix loses")
fig.tight_layout()
lesson.savefig(fig, "adalora_budget")

# %% [markdown]
# ## 6. No training at all: nearest neighbours on sentence embeddings
# A pretrained encoder can be used **as is**. sentence-transformers turns all-MiniLM-L6-v2 into a
# sentence embedding by **mean pooling**: the average of the output vectors of the real tokens,
# scaled to length 1 (`kerasmodels.course.scratch.text.sentence_embeddings`, read it). Similar sentences get
# similar vectors, so a test review can take the majority label of its $k$ most similar training
# reviews (cosine similarity). Nothing is trained; the labelled examples act like the examples in
# a prompt. How many neighbours vote, $k$, is chosen on **validation** reviews, never on the test
# reviews (choosing it by test accuracy would tune on the test set). We reuse the frozen encoder of
# the head-only model, which is the pretrained one, and embed everything this section needs in one
# call (training, validation and test reviews, and two label prompts, below). It reads them through §4's
# preprocessor, which cuts every review to `seq_len` tokens, [CLS] and [SEP] included: 24 in quick mode,
# which shortens 16 to 28 % of the reviews, depending on the split (printed below), where
# sentence-transformers reads up to 256 word pieces.

# %%
frozen = models["head only"]
x_bank, y_bank = km.data.load("reviews", split="train", limit=lesson.pick(256, None))
x_val, y_val = km.data.load("reviews", split="validation", limit=lesson.pick(96, None))
label_prompts = np.array(["This review is negative.", "This review is positive."])  # class 0, class 1
start = time.perf_counter()
everything = np.concatenate([x_bank, x_val, x_test, label_prompts])
# Quick mode: one batch for all, a single traced forward pass (a smaller last batch would be traced again).
embedded = text.sentence_embeddings(frozen.backbone, preprocessor, everything,
                                    batch_size=lesson.pick(len(everything), 64))
bank, validation, queries, anchors = np.split(embedded, np.cumsum([len(x_bank), len(x_val), len(x_test)]))
print(f"embedded {len(embedded)} sentences in {time.perf_counter() - start:.1f} s; shape {embedded.shape}")
for split, reviews in [("training bank", x_bank), ("validation", x_val), ("test", x_test)]:
    cut = np.mean([len(tokens) + 2 > seq_len for tokens in preprocessor.tokenizer(reviews)])  # + [CLS], [SEP]
    lesson.metric(f"{lesson.key_part(split)}_share_cut", cut, f"{split} reviews cut at {seq_len} tokens: share", fmt=".0%")
    print(f"{split}: {cut:.0%} of {len(reviews)} reviews are longer than {seq_len} tokens and are cut")
lesson.metric("sentence_embedding_max_norm_err", np.abs(np.linalg.norm(embedded, axis=1) - 1).max(),
              "sentence embeddings: max |norm - 1|", fmt=".1e")
ks = [1, 3, 5, 9, 15, 25, 35, 51, 75]
val_accuracy = {k: float(np.mean(text.nearest_neighbour_predict(bank, y_bank, validation, k=k) == y_val)) for k in ks}
best_k = max(ks, key=lambda k: (val_accuracy[k], -k))  # the best on validation; a tie goes to the smaller k
knn_right_by_k = {k: text.nearest_neighbour_predict(bank, y_bank, queries, k=k) == y_test for k in ks}
knn_accuracy = {k: float(np.mean(knn_right_by_k[k])) for k in ks}
for k in ks:
    print(f"k = {k:2d}: validation accuracy {val_accuracy[k]:.1%} ({len(x_val)} reviews)"
          f"{'  <- chosen' if k == best_k else ''}  | test accuracy {knn_accuracy[k]:.1%}")
lesson.metric("knn_k_chosen", best_k, "k chosen on validation")
lesson.metric("knn_max_k_grid", max(ks), "largest k of the grid")
knn = lesson.metric("knn_minilm_test_acc", knn_accuracy[best_k],
                    "nearest neighbours on MiniLM embeddings (k chosen on validation, no training): test accuracy", headline=True, fmt=".1%")
centroids = np.stack([bank[y_bank == c].mean(axis=0) for c in (0, 1)])
centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
centroid_right = np.argmax(queries @ centroids.T, axis=1) == y_test
centroid_accuracy = lesson.metric("centroid_test_acc", np.mean(centroid_right),
                                  "nearest class centroid: test accuracy", fmt=".1%")
knn_right = knn_right_by_k[best_k]


def count_and_interval(accuracy, n=len(x_test)):
    """'90 of 128 (62% to 78%)': the count and a 95% interval (normal approximation) of an accuracy."""
    half = 1.96 * np.sqrt(accuracy * (1 - accuracy) / n)
    return f"{round(accuracy * n)} of {n} ({accuracy - half:.0%} to {accuracy + half:.0%})"

nearest = np.argmax(queries @ bank.T, axis=1)
for i in range(3):
    print(f"\nquery ({'+' if y_test[i] else '-'}): {x_test[i]}\nnearest ({'+' if y_bank[nearest[i]] else '-'}): {x_bank[nearest[i]]}")

# %% [markdown]
# **Prompt-style use, with no labelled example at all** (提示学习, prompt learning in article 003 §3.1:
# steering a pretrained model with the form of its input instead of new weights). Write one sentence
# per class, "This review is negative." and "This review is positive.", embed them like any review,
# and give each test review the class of the prompt it is closer to: **zero-shot classification**
# (零样本分类). The baseline to beat is chance, the share of the larger class in the test set. This is
# only an embedding-similarity analogue of prompting. The PEFT forms of prompting *train* vectors in
# front of a frozen model: **prompt tuning** (Lester et al., 2021) trains a few input vectors ("soft
# prompts"); **prefix tuning** (Li & Liang, 2021) trains such vectors in front of every layer's keys
# and values.

# %%
zero_shot = np.argmax(queries @ anchors.T, axis=1)
zero_shot_accuracy = lesson.metric("zero_shot_test_acc", np.mean(zero_shot == y_test),
                                   "zero-shot label prompts (no labelled data): test accuracy", fmt=".1%")
lesson.metric("chance_larger_class_share", chance, "chance: share of the larger class in the test set", fmt=".1%")
print(f"\n{len(x_test)} test reviews, right answers and 95% intervals:\n  chance (the larger class, a fixed "
      f"share, no interval): {round(chance * len(x_test))} of {len(x_test)} ({chance:.1%})\n"
      f"  two label prompts, no labels: {count_and_interval(zero_shot_accuracy)}\n"
      f"  {len(x_bank)} labelled reviews, {best_k} nearest neighbours: {count_and_interval(knn)}\n"
      f"  {len(x_bank)} labelled reviews, nearest centroid: {count_and_interval(centroid_accuracy)}")
lesson.metric("centroid_minus_knn_reviews", round((centroid_accuracy - knn) * len(x_test)),
              "nearest centroid minus k-NN: test reviews")
zero_shot_low = zero_shot_accuracy - 1.96 * np.sqrt(zero_shot_accuracy * (1 - zero_shot_accuracy) / len(x_test))
lesson.metric("zero_shot_interval_low_minus_chance", zero_shot_low - chance,
              "zero-shot: 95% interval low minus chance", fmt="+.1%")
# The same count with no normal approximation: the exact binomial test against chance and its exact
# (Clopper-Pearson) interval. scipy comes with scikit-learn.
zero_shot_test = scipy.stats.binomtest(round(zero_shot_accuracy * len(x_test)), len(x_test), chance)
# One-sided: the question is only whether the prompts do *better* than chance.
zero_shot_greater = scipy.stats.binomtest(round(zero_shot_accuracy * len(x_test)), len(x_test), chance,
                                          alternative="greater")
exact_low = zero_shot_test.proportion_ci(confidence_level=0.95, method="exact").low
print(f"  two label prompts, exact: 95% interval from {exact_low:.1%} (normal approximation: {zero_shot_low:.1%}), "
      f"chance {chance:.1%}; binomial test p = {zero_shot_test.pvalue:.3f} two-sided, "
      f"{zero_shot_greater.pvalue:.3f} one-sided (better than chance)")
lesson.metric("zero_shot_exact_low_minus_chance", exact_low - chance,
              "zero-shot: exact (Clopper-Pearson) 95% interval low minus chance", fmt="+.1%")
lesson.metric("zero_shot_binomial_p", zero_shot_test.pvalue,
              "zero-shot: exact binomial test against chance, two-sided p", fmt=".3f")
lesson.metric("zero_shot_binomial_p_one_sided", zero_shot_greater.pvalue,
              "zero-shot: exact binomial test against chance, one-sided p", fmt=".3f")
zero_shot_minus_knn = lesson.metric("zero_shot_minus_knn_reviews", round((zero_shot_accuracy - knn) * len(x_test)),
                                    "zero-shot minus k-NN: test reviews")
print(f"  two label prompts minus the {best_k}-NN vote: {zero_shot_minus_knn:+.0f} reviews right")
# The same test reviews: a paired comparison, from the reviews where the two disagree.
difference, low, high = metrics.paired_difference(centroid_right, knn_right)
print(f"  centroid minus {best_k}-NN on the same reviews: {difference:+.1%} (95% interval {low:+.1%} to {high:+.1%}); "
      f"the centroid alone right on {int(np.sum(centroid_right & ~knn_right))}, the vote alone on "
      f"{int(np.sum(knn_right & ~centroid_right))}")
lesson.metric("centroid_minus_knn_paired_low", low, "nearest centroid minus k-NN, paired: 95% interval low", fmt="+.1%")
lesson.metric("centroid_minus_knn_paired_high", high, "nearest centroid minus k-NN, paired: 95% interval high", fmt="+.1%")
# The same paired test against every k of the grid: validation cannot tell several of them apart.
print("  centroid minus the k-NN vote, paired 95% interval, for each k of the grid:")
for k in ks:
    _, k_low, k_high = metrics.paired_difference(centroid_right, knn_right_by_k[k])
    print(f"    k = {k:2d}: {k_low:+.1%} to {k_high:+.1%}{'  includes zero' if k_low <= 0 <= k_high else ''}")
    lesson.metric(f"centroid_minus_{k}nn_paired_low", k_low, f"centroid minus {k}-NN, paired: 95% interval low", fmt="+.1%")
lesson.metric("test_acc_interval_half_width_70", 1.96 * np.sqrt(0.7 * 0.3 / len(x_test)),
              "test accuracy: 95% interval half-width at 70%", fmt=".1%")

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
axes[1].plot(ks, [val_accuracy[k] for k in ks], marker="s", lw=2, label=f"validation ({len(x_val)} reviews)")
axes[1].plot(ks, [knn_accuracy[k] for k in ks], marker="o", lw=2, label=f"test ({len(x_test)} reviews)")
axes[1].axvline(best_k, color="gray", ls=":", lw=1.5, label=f"k = {best_k}, chosen on validation")
axes[1].axhline(chance, color="tab:red", ls="--", lw=1, label=f"chance (larger class, {chance:.1%})")
axes[1].set(xlabel="k (neighbours that vote)", ylabel="accuracy", ylim=(0.4, 1.0),
            title=f"k-nearest neighbours, {len(x_bank)} labelled reviews, no training")
axes[1].legend()
axes[1].grid(alpha=0.3)
fig.tight_layout()
lesson.savefig(fig, "embeddings_knn")

# %% [markdown]
# The two classes are not separated along the two largest directions. An encoder trained to pair
# related sentences (questions with answers, titles with bodies, paraphrases) probably places sentences
# mainly by *what they are about* (the reviews were written
# in batches by topic: films, books, restaurants, hotels, gadgets, ...), with sentiment a weaker signal; the data carry
# no topic labels, so the figure cannot show the topics. A trained head reads that signal out of the frozen
# embeddings; adapters, LoRA or a full fine-tune can also sharpen it. Read the counts and intervals printed above, not the bare percentages: 128 test
# reviews give each accuracy a 95% interval of about ±8 points. In this quick run the neighbour vote,
# with $k$ chosen on validation, is not distinguishable from chance (its interval includes it); the
# test curve in the figure jumps by more than 10 points between neighbouring values of $k$, which
# is why $k$ must not be read off it. The grid reaches $k = 75$, so the chosen $k$ is not at its edge
# (validation accuracy falls again for larger $k$). But 96 validation reviews give about ±9 points
# too: the validation curve is as noisy as the test curve, so the chosen $k$ is one of several that
# validation cannot tell apart. Averaging each class into one centroid does better than the vote
# with the $k$ chosen on validation ($k = 25$): the two intervals overlap, but both methods answer
# the *same* 128 reviews, so the fair test is paired, from the reviews where they disagree (as in
# lesson 11), and its 95% interval of the difference (printed above) excludes zero. Against
# $k = 9$ or $k = 15$, which validation cannot tell apart from 25, the paired interval includes
# zero (printed above for every $k$ of the grid): the centroid beats the vote that validation
# chose, not every vote it could have chosen. The two label prompts use no labelled review at all,
# and on 128 reviews they are only borderline better than chance: the lower end of their normal-approximation
# 95% interval clears chance by a fraction of a point, the exact (Clopper-Pearson) interval includes
# it, and the exact binomial test gives p a little above 5% two-sided but below 5% one-sided (all printed
# above). One-sided fits the question (better than chance?), but it buys its smaller p by ignoring the
# other direction, so read this as weak evidence, not a settled gain. In this quick run they also get
# about as many reviews right as the neighbour vote over 256 labelled reviews (2 more, printed
# above, far inside the noise). Try your own wording of the two prompts.
#
# A **cloze prompt** ("The film was [MASK].", the model fills the blank) would be the other
# prompt-style use of a BERT, but the all-MiniLM-L6-v2 pack has no masked-language-model head: it
# was trained for sentence embeddings. Lesson 11 prompts a small character decoder with cloze
# questions, measures it against controls and finds that what the prompt adds is within the noise;
# nor is the model measurably better than word frequency alone (in lesson 11's quick run the paired
# 95% interval of the difference, -6 to +10 points against a same-frequency wrong word, allows either).
#
# ## 7. Exercises
# **7.1 LoRA's trainable factors** for one dense layer with `d_in` inputs, `d_out` outputs and
# rank `rank`: the two factors only, as in the paper (not the bias that Keras leaves trainable, §2).
# This attempt counts the frozen matrix too:

# %%
def lora_parameters(d_in, d_out, rank):
    return d_in * d_out + rank * (d_in + d_out)


first_attempts = {"13.lora_parameters": course.exercises.check("13.lora_parameters", lora_parameters)}

# %% [markdown]
# **7.2 A LoRA dense layer's output** in Keras's layout: `x` `(batch, d_in)`, `kernel` `(d_in, d_out)`,
# `bias` `(d_out,)`, `lora_a` `(d_in, rank)`, `lora_b` `(rank, d_out)`. This attempt forgets a scaling factor (not one of the matrices):

# %%
def lora_dense(x, kernel, bias, lora_a, lora_b, alpha, rank):
    return x @ (kernel + lora_a @ lora_b) + bias


first_attempts["13.lora_dense"] = course.exercises.check("13.lora_dense", lora_dense)

# %% [markdown]
# **7.3 Mean pooling.** Average the token vectors `(batch, tokens, hidden)` of the real tokens only
# (`padding_mask` `(batch, tokens)`, true for real tokens). This attempt averages the padding in:

# %%
def mean_pooling(sequence_output, padding_mask):
    return np.mean(sequence_output, axis=1)


first_attempts["13.mean_pooling"] = course.exercises.check("13.mean_pooling", mean_pooling)

# %% [markdown]
# **7.4 An adapter's weights** for token vectors of width `hidden` and a bottleneck of width
# `bottleneck` (section 3). This attempt counts the two projection matrices only:

# %%
def adapter_parameters(hidden, bottleneck):
    return 2 * hidden * bottleneck


first_attempts["13.adapter_parameters"] = course.exercises.check("13.adapter_parameters", adapter_parameters)
for exercise_id, result in first_attempts.items():
    lesson.metric(f"exercise_{lesson.key_part(exercise_id)}_passes", bool(result), f"exercise {exercise_id} passes as written")

# %% [markdown]
# ## Summary
# - Freezing removes weights from training: no gradients, no optimizer state. Head-only training
#   trains 770 numbers (2 × 384 + 2); the encoder still runs forward on every step.
# - LoRA learns $W + \frac{\alpha}{r}BA$ with $B = 0$ at the start, training $r(d_\text{in}+d_\text{out})$ numbers
#   per matrix (in the paper; Keras's per-head factors on `EinsumDense` train more, §2); after
#   training it merges into $W$ at no inference cost (Keras saves the merged kernel; load it into a
#   model built without `enable_lora`, since `load_model` keeps a zeroed LoRA branch).
# - Adapters add a residual bottleneck $h + f(hW_\text{down})W_\text{up}$ inside every encoder layer,
#   the identity at the start ($W_\text{up} = 0$); with the layer norms and the head they train under
#   1 % of MiniLM, but stay as extra layers at inference.
# - AdaLoRA writes the update as $P\Lambda Q$ and moves a global rank budget to the matrices whose
#   singular triplets matter most.
# - A pretrained sentence encoder with mean pooling classifies with no training at all: nearest
#   neighbours or the class centroids of labelled examples, or, with no labels, the nearer of two
#   label prompts. Choose its settings ($k$) on validation data, and give test accuracies with
#   their counts or intervals: on 128 reviews a few points are noise.
#
# Next: lesson 14 looks at the hardware that makes all of this faster: GPUs, mixed precision, XLA
# and data parallelism.

# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Training that generalises
#     articles: ["003 §4.1", "001 Q3", "002 §9.2", "000 §3.2.2", "000 §9.2"]
#     quick_seconds: 55
#     full_seconds: 420
#     description: Over- and under-fitting made visible, then L2, dropout, batch normalisation, augmentation, learning-rate schedules and early stopping, each in a controlled experiment on the same small data, and a hyper-parameter search by grid and by KerasTuner's random search.
# ---

# %% [markdown]
# # 08 · Training that generalises
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 003 §4.1 (L2 regularisation and dropout "to prevent over-fitting"), article 001 Q3
# and article 002 §9.2 (data augmentation, batch normalisation, learning-rate schedules: exponential
# decay, cosine annealing), article 000 §3.2.2 and §9.2 (hyper-parameters: learning rate, batch size, epochs).
#
# **After this lesson you can** recognise over-fitting (过拟合) and under-fitting (欠拟合) in
# training curves, compute an L2 penalty, a dropout mask, a batch normalisation and a learning-rate
# schedule by hand, judge each remedy by a controlled experiment rather than by its reputation, and
# search hyper-parameters with a grid or with KerasTuner.
#
# **Prerequisites:** lessons 05 (optimizers) and 06 (a first Keras model).
#
# **Run time:** quick mode took 44 s of wall time in a tour on a 2-core AMD EPYC emulating an
# AVX2-only laptop CPU (`bench/avx2_only.sh`, TensorFlow, lightly loaded, 2026-12-07; 49 s in an
# idle tour later) and 53 s of CPU time (52.9 s of wall time) in another emulated run of that day.
# Full mode (twice the data, three times the epochs) was not measured; the estimate of about
# 7 minutes of CPU time dates from before this version's quick-mode savings (fewer traces, cheaper
# validation), so expect less.

# %%
import gc

import keras
import keras_tuner
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

import kerasmodels as km
from kerasmodels import course

lesson = course.setup_lesson(8)

# %% [markdown]
# ## 1. A controlled experiment
# To see what a technique does, change **only** that technique. Every variant below trains on the
# same small training set (a few hundred 8×8 digits, so that over-fitting happens quickly), for the
# same epochs, with the same batches in the same order, and is judged on the same validation set.
# The trick that makes this cheap: all variants are branches of **one** Keras model with one loss
# each. The branches share no weights, so training them together is the same as training them one
# by one, and it costs one `fit`.
#
# Augmentation is the one remedy that changes the *data*, so its branch gets an input of its own:
# before every epoch, `AugmentedEpochs` makes a fresh, randomly shifted and rotated copy of the
# training set outside the model, and feeds it beside the originals, batch for batch. (As random
# layers inside the model, the image transforms would run in every compiled training step, which on
# the JAX backend is many times slower; keras-io's *Image classification from scratch* likewise
# recommends augmenting in the data pipeline when training on a CPU.)

# %%
x_train, y_train = km.data.load("digits", split="train", limit=lesson.pick(200, 400))
x_val, y_val = km.data.load("digits", split="validation")
EPOCHS = lesson.pick(40, 120)
steps_per_epoch = int(np.ceil(len(x_train) / 32))  # batches of 32
print(f"training on {len(x_train)} images, validating on {len(x_val)}, {EPOCHS} epochs")

# interpolation="nearest": the default, bilinear, would blur every augmented 8x8 image (section 3).
augmenter = keras.Sequential([
    keras.layers.RandomTranslation(0.125, 0.125, fill_mode="constant", interpolation="nearest", seed=1),  # +-1 px
    keras.layers.RandomRotation(0.03, fill_mode="constant", interpolation="nearest", seed=2),  # +-11 degrees
])


class AugmentedEpochs(keras.utils.PyDataset):
    """Batches of (original, augmented) images, reshuffled and freshly augmented every epoch."""

    def __init__(self, x, y, output_names, batch_size, seed):
        super().__init__()
        self.x, self.y, self.output_names, self.batch_size = x, y, output_names, batch_size
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        inputs = {"image": self.x[rows], "augmented_image": self.augmented[rows]}
        return inputs, {name: self.y[rows] for name in self.output_names}

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.x))
        self.augmented = keras.ops.convert_to_numpy(augmenter(self.x[..., None], training=True))[..., 0]


def branch(x, name, hidden=(256, 256), l2=0.0, dropout=0.0, batch_norm=False):
    """One variant: an MLP on its input, with exactly one remedy switched on."""
    x = keras.layers.Flatten()(x)
    for units in hidden:
        regularizer = keras.regularizers.L2(l2) if l2 else None
        x = keras.layers.Dense(units, kernel_regularizer=regularizer)(x)
        if batch_norm:
            # momentum 0.9, not Keras's default 0.99: with 7 steps per epoch the default's moving
            # averages would still remember their initial values after 10 epochs (section 3).
            x = keras.layers.BatchNormalization(momentum=0.9)(x)
        x = keras.layers.ReLU()(x)
        if dropout:
            x = keras.layers.Dropout(dropout)(x)
    return keras.layers.Dense(10, name=name)(x)


def output_name(variant):
    return variant.replace(" ", "_") + "_logits"


variants = {
    "baseline": {},
    "bigger": {"hidden": (1024, 1024)},
    "too small": {"hidden": (3,)},
    "L2": {"l2": 1e-3},
    "dropout": {"dropout": 0.5},
    "batch norm": {"batch_norm": True},
    "augmentation": {},  # the baseline's network on the augmented input
}
inputs = {"image": keras.Input((8, 8), name="image"), "augmented_image": keras.Input((8, 8), name="augmented_image")}
outputs = {output_name(name): branch(inputs["augmented_image" if name == "augmentation" else "image"],
                                     output_name(name), **kw) for name, kw in variants.items()}
experiment = keras.Model(inputs, outputs)
experiment.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss={k: keras.losses.SparseCategoricalCrossentropy(from_logits=True) for k in outputs},
    metrics={k: ["accuracy"] for k in outputs},
)


def unaugmented(x):
    """The same images on both inputs: augmentation is for training only."""
    return {"image": x, "augmented_image": x}


# A speed detail, not a remedy: the first training step's variables are created now, so TensorFlow traces that
# step once instead of twice (`km.models.build_before_fit`); training is the same.
km.models.build_before_fit(experiment, unaugmented(x_train[:2]), {k: y_train[:2] for k in outputs})

# validation_batch_size=len(x_val): the whole validation set in one step, which is cheaper and makes each output's
# validation loss the exact mean over its images (on TensorFlow, where the traced batch size is unknown, Keras
# averages each output's batch means, so a last, smaller batch counts as much as a full one; the table's
# per-output training loss is averaged that way too).
history = experiment.fit(AugmentedEpochs(x_train, y_train, list(outputs), batch_size=32, seed=lesson.seed),
                         epochs=EPOCHS, shuffle=False, verbose=0, validation_batch_size=len(x_val),
                         validation_data=(unaugmented(x_val), {k: y_val for k in outputs})).history


def curve(variant, metric, validation=False):
    key = output_name(variant)
    return np.array(history[f"{'val_' if validation else ''}{key}_{metric}"])


# %% [markdown]
# ## 2. Over- and under-fitting in the curves
# Each panel shows one variant (colour) against the baseline (grey); solid lines are training loss,
# dashed lines validation loss. **Over-fitting** (过拟合) means the network fits its training
# images much better than new ones: it memorises them. Textbooks measure it by the gap between
# training and validation loss (Goodfellow et al., *Deep Learning*, §5.2, state it for training and
# test *error*: the gap is "too large"; here we measure the gap in loss).
# Its unambiguous sign, and the one early stopping watches for (it stops after `patience` epochs
# without improvement, a plateau included; section 5), is a validation loss that *rises* while
# the training loss keeps falling: the network's confident mistakes on new images cost more with
# every epoch. Look at the panels:
#
# - The **baseline** (two layers of 256 units) drives its training loss towards zero while its
#   validation loss falls, then levels off (the table below prints its minimum and its final
#   value). The gap between the two curves (the *generalisation gap*, measured as a difference, as
#   Goodfellow et al. do for errors: final validation loss minus final training loss, printed below the
#   table as "baseline generalisation gap") is large: the training loss is near zero, so nearly all
#   of the validation loss is gap. That is over-fitting in the textbook sense. But the validation
#   loss does not rise (its final value is within a hundredth of its minimum; the table prints
#   both), so stopping earlier would have gained at most that much.
# - The **bigger** network (two layers of 1024 units, same data, same epochs) over-fits: its
#   validation loss reaches its minimum early and then climbs while its training loss keeps
#   falling. The rise is small on the log axis; the second figure shows it on a linear one. It is over-fitting in
#   the *loss*: the network grows more confident, and its confident mistakes cost more. The
#   over-fitting has not yet reached the accuracy: the final validation accuracies are within a
#   point (the table prints both).
# - The **too small** network (3 hidden units) **under-fits** (欠拟合): both losses stay high. In
#   this budget (7 batches × 40 epochs in quick mode, 280 Adam steps) that is slow optimisation as
#   much as limited capacity: its curves are still falling at the last epoch (the table's minimum
#   validation loss is at the last epoch). Outside this notebook, standalone runs of the same
#   architecture (freshly initialised) for 400 epochs (quick mode's 200 training images, Adam at
#   1e-3, batches of 32, TensorFlow on a 2-core CPU, seeds 0, 1, 2) reached 76 %, 55 % and 42 % validation
#   accuracy, each far above its own accuracy at epoch 40 (31 %, 27 %, 23 %), and the seed alone
#   moved the result by over 30 points. This notebook's branch gets yet another start (it is built
#   inside the multi-output model, so it draws different starting weights from a standalone seed-0
#   run, and it sees its own batch order) and reached only 14.8 % validation accuracy at epoch 40
#   (the table; quick mode, TensorFlow), below all three standalone epoch-40 figures: the same
#   sensitivity to the seed (initial weights and batch order). This run shows only that, under the budget that suits the baseline, three
#   units are far behind.
#
# The remedies in the other panels (L2, dropout, batch norm, augmentation) are each added to the
# **baseline** network, not to the bigger one. The baseline shows a gap but no rise, so there is no
# rising curve for them to prevent here: the experiment measures what each does to the gap and to
# the validation accuracy.
#
# (A branch's training loss is its cross-entropy only: Keras adds the L2 penalty to the model's
# *total* loss, not to the output's own loss, as section 3 shows. Dropout and augmentation are
# active only in training, so their training loss is measured on harder inputs. Batch norm's
# training loss is measured in training mode too: each batch is normalised with its own statistics,
# not with the moving averages the validation images get, and the last batch of every epoch has
# only 8 images (200 = 6 × 32 + 8); the lines printed under the table also measure it in inference
# mode.)

# %%
colors = ["black", "tab:brown", "tab:purple", "tab:blue", "tab:orange", "tab:green", "tab:red"]
fig, axes = plt.subplots(2, 4, figsize=(19, 8.5), sharex=True, sharey=True)
epochs = np.arange(1, EPOCHS + 1)
for ax, name, color in zip(axes.flat, variants, colors):
    if name != "baseline":
        ax.plot(epochs, curve("baseline", "loss"), color="gray", lw=1, alpha=0.6, label="baseline train")
        ax.plot(epochs, curve("baseline", "loss", True), color="gray", lw=1, ls="--", alpha=0.6,
                label="baseline validation")
    ax.plot(epochs, curve(name, "loss"), color=color, lw=2, label=f"{name} train")
    ax.plot(epochs, curve(name, "loss", True), color=color, lw=2, ls="--", label=f"{name} validation")
    best = curve(name, "accuracy", True).max()
    ax.set_title(f"{name}: best-epoch validation accuracy {best:.1%}", fontsize=12)
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=11, loc="lower left")
axes.flat[-1].axis("off")
for ax in axes[1]:
    ax.set_xlabel("epoch")
axes[0, -1].xaxis.set_tick_params(labelbottom=True)
axes[0, -1].set_xlabel("epoch")
for ax in axes[:, 0]:
    ax.set_ylabel("cross-entropy loss (log scale)")
fig.suptitle(f"One change at a time: {len(x_train)} training digits, same batches, same epochs")
fig.tight_layout()
lesson.savefig(fig, "regularisation_experiment");

# %%
fig, ax = plt.subplots(figsize=(8, 4.5))
zoom_from = 5  # skip the first epochs, whose losses would squash the interesting range
for name, color, style in [("baseline", "black", "-"), ("bigger", "tab:brown", "--")]:  # colour and line style
    val_loss = curve(name, "loss", True)
    ax.plot(epochs[zoom_from:], val_loss[zoom_from:], color=color, lw=2, ls=style, label=f"{name} validation loss")
    ax.plot(np.argmin(val_loss) + 1, val_loss.min(), "o", color=color, ms=8)
ax.xaxis.set_major_locator(MaxNLocator(integer=True))
ax.set(xlabel="epoch", ylabel="validation cross-entropy loss (linear scale)",
       title="Zoom: the bigger network's validation loss climbs from its minimum (dots)")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()
lesson.savefig(fig, "overfitting_zoom");

# %%
print(f"{'variant':12s} {'final train loss':>16s} {'min val loss (epoch)':>21s} {'final val loss':>14s} "
      f"{'final val accuracy':>19s}")
for name in variants:
    val_loss = curve(name, "loss", True)
    print(f"{name:12s} {curve(name, 'loss')[-1]:16.3f} {val_loss.min():14.3f} ({np.argmin(val_loss) + 1:3d}) "
          f"{val_loss[-1]:14.3f} {curve(name, 'accuracy', True)[-1]:19.1%}")
for name in ("baseline", "bigger", "too small"):
    val_loss = curve(name, "loss", True)
    lesson.metric(f"{lesson.key_part(name)}_min_val_loss", val_loss.min(), f"{name}: minimum validation loss", fmt=".3f")
    lesson.metric(f"{lesson.key_part(name)}_min_val_loss_epoch", np.argmin(val_loss) + 1,
                  f"{name}: epoch of the minimum validation loss", fmt=".0f")
    lesson.metric(f"{lesson.key_part(name)}_final_val_loss", val_loss[-1], f"{name}: final validation loss", fmt=".3f")
    lesson.metric(f"{lesson.key_part(name)}_final_train_loss", curve(name, "loss")[-1], f"{name}: final training loss", fmt=".4f")
lesson.metric("bigger_val_loss_rise_from_min", curve("bigger", "loss", True)[-1] - curve("bigger", "loss", True).min(),
              "bigger network over-fits: rise of validation loss from its minimum", headline=True, fmt=".3f")
lesson.metric("baseline_generalisation_gap", curve("baseline", "loss", True)[-1] - curve("baseline", "loss")[-1],
              "baseline generalisation gap: final validation loss minus training loss", fmt=".3f")
for name in variants:
    lesson.metric(f"{lesson.key_part(name)}_final_val_acc", curve(name, "accuracy", True)[-1],
                  f"{name}: final validation accuracy", fmt=".1%")
for name in ("L2", "dropout"):
    lesson.metric(f"{lesson.key_part(name)}_final_val_loss", curve(name, "loss", True)[-1],
                  f"{name}: final validation loss", fmt=".3f")
lesson.metric("augmentation_final_train_loss", curve("augmentation", "loss")[-1], "augmentation: final training loss", fmt=".3f")
lesson.metric("too_small_train_loss_last_change", np.diff(curve("too small", "loss"))[-1],
              "too small: training loss, last epoch minus the one before",
              fmt=".4f")
lesson.metric("regularised_min_train_loss_over_baseline",
              min(curve(name, "loss")[-1] for name in ("L2", "dropout", "augmentation")) / curve("baseline", "loss")[-1],
              "L2, dropout, augmentation: smallest final training loss / baseline's", fmt=".2f")
lesson.metric("batch_norm_over_baseline_train_loss_ep5", curve("batch norm", "loss")[4] / curve("baseline", "loss")[4],
              "batch norm / baseline: training loss at epoch 5", fmt=".2f")
lesson.metric("batch_norm_min_val_loss_minus_best_other",
              curve("batch norm", "loss", True).min() - min(curve(name, "loss", True).min() for name in variants
                                                          if name != "batch norm"),
              "batch norm: minimum validation loss minus the lowest other variant's", fmt=".3f")
# The training images again, after training, in inference mode (batch norm with its moving averages, no dropout).
inference_logs = experiment.evaluate(unaugmented(x_train), {k: y_train for k in outputs}, batch_size=len(x_train),
                                     verbose=0, return_dict=True)
for name in ("baseline", "batch norm"):
    print(f"{name}: training loss after training, inference mode {inference_logs[f'{output_name(name)}_loss']:.4f} "
          f"(last epoch in training mode, the table's: {curve(name, 'loss')[-1]:.4f})")
    lesson.metric(f"{lesson.key_part(name)}_inference_train_loss", inference_logs[f"{output_name(name)}_loss"],
                  f"{name}: training loss after training, inference mode", fmt=".4f")
# How much of each digit a shift or rotation cuts off: these 8x8 digits fill their frame.
touches = {row: np.mean(x_train[:, index, :].max(axis=1) > 0) for row, index in (("top", 0), ("bottom", -1))}
augmented_copy = keras.Sequential.from_config(augmenter.get_config())(x_train[..., None], training=True)
ink_lost = 1 - keras.ops.convert_to_numpy(augmented_copy)[..., 0].sum(axis=(1, 2)) / x_train.sum(axis=(1, 2))
print(f"training digits with ink in the top row: {touches['top']:.0%}, in the bottom row: {touches['bottom']:.0%}; "
      f"augmented copies that lose more than 5% of their ink: {np.mean(ink_lost > 0.05):.0%}")
lesson.metric("train_digits_ink_top_row", touches["top"], "training digits with ink in the top row", fmt=".0%")
lesson.metric("train_digits_ink_bottom_row", touches["bottom"], "training digits with ink in the bottom row", fmt=".0%")
lesson.metric("augmented_copies_losing_5pct_ink", np.mean(ink_lost > 0.05),
              "augmented copies losing more than 5% of their ink", fmt=".0%")
above = int(np.sum(curve("batch norm", "loss", True) > curve("baseline", "loss", True)))
print(f"epochs in which batch norm's validation loss is above the baseline's: {above} of {EPOCHS}")
lesson.metric("bn_epochs_val_loss_above_baseline", above,
              "epochs with batch norm's validation loss above the baseline's", fmt=".0f")

# %% [markdown]
# Read the table before believing any remedy. L2, dropout and augmentation keep their training
# loss further from zero: each ends at least 2.57 times the baseline's (quick mode, TensorFlow; the
# printed "smallest final training loss / baseline's"), which is what they are for. Whether that
# buys validation accuracy on *this* data and budget is what the experiment measures, and with a
# few hundred validation images a difference of one or two points is within the noise. In this run
# none of them beat the baseline: L2 and dropout ended with a higher validation loss and no higher
# validation accuracy than the baseline's (the table), although article 003 §4.1 offers both to
# "防止过拟合" (prevent over-fitting). On this data and budget the baseline's gap did not cost it.
# **Batch norm** is different: it is mainly an aid to *optimisation*, making training faster
# (Ioffe and Szegedy, 2015; article 002 §9.2 says "提高模型训练稳定性", it makes training more
# stable). Ioffe and Szegedy also reported a regularising effect ("in some cases eliminating the need
# for Dropout"); later work (Santurkar et al., 2018) traces its main benefit to a smoother
# optimisation landscape, and this single run can neither confirm nor rule out a regularising
# effect. In the figure its training loss falls much
# faster than the baseline's (at epoch 5 it is 0.16 times the baseline's, printed as "batch norm /
# baseline: training loss at epoch 5"). Later its curve is jagged and ends above the baseline's
# (the table), but that curve is the training-mode loss, with each batch's own statistics,
# including the 8-image last batch of every epoch. Measured on the same training images in
# inference mode, with the moving averages the validation images get, batch norm's final training
# loss is 0.0020, below the baseline's 0.0071 (printed above; quick mode, TensorFlow): it does not
# fit the training data worse. Its validation loss ends lowest in the table (0.199 at the last epoch,
# against the baseline's 0.236), but its validation curve is jagged too: it lies above the
# baseline's for many epochs in the middle of training (the printed count under the table) and comes
# out lowest only near the end. So one run's last epoch is no evidence that it generalises better; its
# validation accuracy is not the highest either. Part of the jaggedness of its training curve is the
# training-mode measurement, but not all of it: its validation curve, measured in inference mode,
# also wobbles, so the model itself (its weights, and the moving statistics that lag them) changes
# from epoch to epoch. In quick mode augmentation ends with a lower
# validation accuracy (and a higher validation loss) than the baseline, with a training loss far above
# the baseline's. This run mixes two causes and does not
# separate them: every epoch shows the branch new versions, which 40 epochs may not be enough to
# fit; and these digits fill their 8×8 frame (every training digit of this run has ink in the top
# row and in the bottom row, printed above), so a one-pixel shift or a rotation cuts ink off (the printed
# share of augmented copies losing more than 5 % of their ink): the branch trains on cropped digits
# that validation never shows. Padding the images, or shifting only sideways, would remove the second
# cause.
# (The augmentation uses nearest-neighbour interpolation, so the shifted and rotated images stay as
# sharp as the originals; with the default, bilinear, interpolation every augmented 8×8 image is
# blurred, and the branch would train on blurred images and be validated on sharp ones, a second
# change mixed into the experiment.)
#
# > **Errata (article 002 §9.2)** Article 002 lists data augmentation, batch normalisation and
# > learning-rate schedules under "如何优化大模型的训练效率" (how to make training large models
# > efficient). Its bullet names the right effect, "提高模型泛化能力" (improves the model's ability
# > to generalise), but files it under training efficiency, which augmentation worsens: it costs
# > training time and fit (its branch's training loss in the table, though cropped digits add to
# > that here). Its description of
# > batch normalisation, "将每个批次的激活值归一化到相同范围" (normalises each batch's activations
# > to the same range), is also loose: batch norm standardises each *feature* separately to mean 0
# > and variance 1 over the batch, then applies the learned $\gamma$ and $\beta$ (section 3), so
# > no fixed range is imposed.

# %% [markdown]
# ## 3. What each remedy computes
# **L2 regularisation** (L2正则) adds the penalty $\lambda \sum_i w_i^2$ to the loss, so the gradient
# gains $2\lambda w$. With plain SGD that term shrinks every weight by the factor $1 - 2\alpha\lambda$
# per step, which is why L2 is often called "weight decay". With Adam, as in this experiment, the two
# differ: the $2\lambda w$ term is divided by $\sqrt{\hat v}$ like the rest of the gradient, so weights
# with large gradients are hardly pulled in. *Decoupled* weight decay shrinks the weights directly,
# $w \leftarrow w - \alpha\lambda w$, outside Adam's scaling: that is AdamW (lesson 05), and this
# difference is the reason it exists. (**L1 regularisation** adds $\lambda \sum_i |w_i|$ instead,
# which favours sparse solutions: at its optimum weights can be exactly zero, more of them the larger
# $\lambda$, though gradient
# training, such as Keras's `L1` with SGD or Adam, leaves them hovering near zero, not at it.) Here we
# use the L2 penalty. Keras keeps it in `model.losses`; by hand:

# %%
dense_l2 = [layer for layer in experiment.layers if isinstance(layer, keras.layers.Dense) and layer.kernel_regularizer]
penalty_by_hand = sum(1e-3 * np.sum(layer.kernel.numpy() ** 2) for layer in dense_l2)
penalty_keras = float(sum(keras.ops.convert_to_numpy(loss) for loss in experiment.losses))
print(f"L2 penalty by hand {penalty_by_hand:.6f}, keras model.losses {penalty_keras:.6f}")
lesson.metric("l2_penalty_hand_vs_keras_diff", abs(penalty_by_hand - penalty_keras),
              "L2 penalty by hand vs keras: absolute difference", fmt=".1e");

# %% [markdown]
# Where does the penalty go? `evaluate` reports the model's total loss and each output's own loss.
# The outputs' losses are the seven cross-entropies alone; the total is their sum **plus** the penalty:

# %%
logs = experiment.evaluate(unaugmented(x_train), {k: y_train for k in outputs}, batch_size=len(x_train), verbose=0,
                           return_dict=True)
outputs_sum = sum(logs[f"{k}_loss"] for k in outputs)
print(f"total loss {logs['loss']:.6f} = sum of the {len(outputs)} output losses {outputs_sum:.6f} "
      f"+ L2 penalty {penalty_keras:.6f}")
lesson.metric("evaluate_total_loss", logs["loss"], "evaluate: total loss", fmt=".6f")
lesson.metric("evaluate_sum_output_losses", outputs_sum, "evaluate: sum of the output losses", fmt=".6f")
lesson.metric("evaluate_l2_penalty", penalty_keras, "evaluate: L2 penalty (model.losses)", fmt=".6f")
lesson.metric("evaluate_l2_branch_loss", logs[f"{output_name('L2')}_loss"], "evaluate: L2 branch's own loss", fmt=".6f");

# %% [markdown]
# **Dropout** sets each activation to zero with probability $p$ during training and multiplies the
# survivors by $1/(1-p)$ ("inverted dropout"), so the expected value is unchanged and nothing needs
# rescaling at inference, where the layer does nothing:

# %%
dropout = keras.layers.Dropout(0.5, seed=lesson.seed)
ones = np.ones((1, 10_000), dtype="float32")
dropped = keras.ops.convert_to_numpy(dropout(ones, training=True))
inference_change = np.abs(keras.ops.convert_to_numpy(dropout(ones, training=False)) - ones).max()
print(f"training: {np.mean(dropped == 0):.1%} zeroed, survivors = {np.unique(dropped[dropped > 0])}, "
      f"mean {dropped.mean():.3f}; inference: largest change {inference_change}")
lesson.metric("dropout_train_fraction_zeroed", np.mean(dropped == 0), "dropout in training: fraction zeroed", fmt=".1%")
lesson.metric("dropout_inference_max_change", inference_change, "dropout at inference: largest change", fmt=".1e");

# %% [markdown]
# **Batch normalisation** (批量归一化) standardises every feature over the batch, then rescales it with
# learned $\gamma, \beta$: $y = \gamma\hat x + \beta$ with $\hat x = (x-\mu_B)/\sqrt{\sigma_B^2+\epsilon}$. At inference
# it uses running averages of $\mu$ and $\sigma^2$ instead of the batch's, updated after every
# training step as $\mu_{\text{moving}} \leftarrow m\,\mu_{\text{moving}} + (1-m)\,\mu_B$ with
# momentum $m$. They start at $\mu = 0$, $\sigma^2 = 1$, so after $k$ steps a share $m^k$ of the
# moving average is still that starting value. Keras's default is $m = 0.99$; in quick mode our
# experiment takes only 7 steps per epoch, so with the default the validation images (which use the moving
# averages) would be normalised with statistics still half made of the starting values after 10
# epochs. That is why section 1 sets $m = 0.9$:

# %%
for momentum in (0.99, 0.9):
    share = momentum ** (10 * steps_per_epoch)
    print(f"momentum {momentum}: after 10 epochs of {steps_per_epoch} steps, {share:.2%} of the moving "
          "statistics is still the starting value")
    lesson.metric(f"batch_norm_momentum_{lesson.key_part(momentum)}_share_left", share,
                  f"batch norm momentum {momentum}: share of the starting value after 10 epochs", fmt=".2%")

# %% [markdown]
# By hand against Keras, on one batch in training mode:

# %%
batch = np.random.default_rng(lesson.seed).normal(3.0, 2.0, size=(32, 4)).astype("float32")
bn = keras.layers.BatchNormalization(epsilon=1e-3)
bn.build(batch.shape)
bn.gamma.assign(np.array([1.0, 2.0, 0.5, 1.0], "float32"))
bn.beta.assign(np.array([0.0, 1.0, -1.0, 0.5], "float32"))
keras_bn = keras.ops.convert_to_numpy(bn(batch, training=True))
hand_bn = bn.gamma.numpy() * (batch - batch.mean(0)) / np.sqrt(batch.var(0) + 1e-3) + bn.beta.numpy()
lesson.metric("batch_norm_hand_vs_keras_max_diff", np.abs(keras_bn - hand_bn).max(),
              "batch norm by hand vs keras: max difference", fmt=".1e");

# %% [markdown]
# **Data augmentation** (数据增强) shows the network a slightly different version of each image in
# every epoch: here shifts of up to one pixel and small rotations. It must keep the label true: a
# horizontally flipped 2 is no longer a 2, so no flips for digits (article 001 Q3 lists
# "随机裁剪、旋转、翻转", random crops, rotations and flips: flips suit natural images, not digits, and
# section 2 shows what cropping does to these 8×8 ones). Eight augmented versions of one
# training digit (nearest-neighbour interpolation: each pixel is
# copied from one source pixel, not blended):

# %%
versions = np.concatenate([x_train[:1, :, :, None]] + [
    keras.ops.convert_to_numpy(augmenter(x_train[:1, :, :, None], training=True)) for _ in range(8)])
fig = course.plots.image_grid(versions, labels=[int(y_train[0])] * 9, ncols=9, size=1.4,
                          title="data augmentation: the original (left) and 8 random versions")
lesson.savefig(fig, "augmented_digits")
# Nearest-neighbour interpolation keeps the images sharp: at least as many blank (exactly 0) pixels as
# the originals (the constant fill at the borders adds some), where bilinear interpolation would smear
# ink into most of them.
augmented_once = keras.ops.convert_to_numpy(augmenter(x_train[..., None], training=True))[..., 0]
print(f"share of exactly-0 pixels: originals {np.mean(x_train == 0):.1%}, augmented {np.mean(augmented_once == 0):.1%}")
lesson.metric("share_blank_pixels_originals", np.mean(x_train == 0), "share of blank pixels: originals", fmt=".1%")
lesson.metric("share_blank_pixels_augmented", np.mean(augmented_once == 0), "share of blank pixels: augmented", fmt=".1%");

# %% [markdown]
# ## 4. Learning-rate schedules
# Hyper-parameters (超参数, article 000 §9.2; its §3.2.2 calls the same settings "参数", its word for the
# learned weights too) are the settings training does not learn: learning rate,
# batch size, epochs, and the regularisation strengths above. The learning rate matters most, and
# it need not be constant: a learning-rate schedule (学习率调度) changes it as training proceeds. Two
# schedules from article 002 §9.2, exponential decay (指数衰减) and cosine annealing (余弦退火), for
# step $t$ out of $T$:
#
# $$\text{exponential: } \eta_t = \eta_0\, r^{t/T_d}, \qquad
#   \text{cosine: } \eta_t = \eta_0\left(\alpha + (1-\alpha)\,\tfrac12\left(1+\cos\tfrac{\pi t}{T}\right)\right).$$
#
# In the exponential schedule the rate falls continuously, so that after every $T_d$ steps it has been
# multiplied by the decay rate $r$ (Keras's `decay_rate` and `decay_steps`; `staircase=True` would
# make it a step function); below, $T_d = T$ and $r = 0.05$, so by step $T$ the rate has
# fallen to 5 % of $\eta_0$. In the cosine schedule $\alpha$ is the final rate as a fraction of $\eta_0$; below,
# $\alpha = 0$.
#
# First by hand against `keras.optimizers.schedules`, then three trainings of the baseline network
# that differ only in the schedule (half of section 1's epochs in quick mode, to save time).

# %%
SCHEDULE_EPOCHS = lesson.pick(EPOCHS // 2, EPOCHS)
total_steps = SCHEDULE_EPOCHS * steps_per_epoch
eta0 = 0.03
schedules = {
    "constant": lambda step: eta0,
    "exponential": keras.optimizers.schedules.ExponentialDecay(eta0, decay_steps=total_steps, decay_rate=0.05),
    "cosine": keras.optimizers.schedules.CosineDecay(eta0, decay_steps=total_steps, alpha=0.0),
}
steps = np.arange(total_steps)
by_hand = {"constant": np.full(total_steps, eta0), "exponential": eta0 * 0.05 ** (steps / total_steps),
           "cosine": eta0 * 0.5 * (1 + np.cos(np.pi * steps / total_steps))}
# Keras's schedules accept a whole array of steps at once (the constant one is a plain function).
keras_values = {name: np.broadcast_to(keras.ops.convert_to_numpy(s(steps)), steps.shape).astype(float)
                for name, s in schedules.items()}
worst = max(np.abs(by_hand[n] - keras_values[n]).max() / eta0 for n in schedules)
lesson.metric("schedules_hand_vs_keras_max_rel_diff", worst, "schedules by hand vs keras: max relative difference", fmt=".1e")

schedule_histories = {}
for name, schedule in schedules.items():
    keras.utils.set_random_seed(lesson.seed)  # same initial weights for every schedule
    model = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(256, activation="relu"),
                              keras.layers.Dense(256, activation="relu"), keras.layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.SGD(schedule if name != "constant" else eta0, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    km.models.build_before_fit(model, x_train[:2], y_train[:2])
    schedule_histories[name] = model.fit(x_train, y_train, epochs=SCHEDULE_EPOCHS, batch_size=32,
                                         validation_data=(x_val, y_val), validation_batch_size=len(x_val),
                                         verbose=0).history

fig, (ax_lr, ax_loss) = plt.subplots(1, 2, figsize=(13, 4.5))
markers = {"constant": "o", "exponential": "s", "cosine": "^"}  # a marker per schedule, not colour alone
for name in schedules:
    ax_lr.plot(steps / steps_per_epoch, keras_values[name], lw=2, marker=markers[name],
               markevery=2 * steps_per_epoch, label=name)
    ax_loss.plot(epochs[:SCHEDULE_EPOCHS], schedule_histories[name]["loss"], lw=2, marker=markers[name],
                 markevery=2, label=f"{name} train")
    ax_loss.plot(epochs[:SCHEDULE_EPOCHS], schedule_histories[name]["val_loss"], lw=2, ls="--",
                 marker=markers[name], markevery=2, markerfacecolor="white",
                 color=ax_loss.lines[-1].get_color(), label=f"{name} validation")
ax_lr.set(xlabel="epoch", ylabel="learning rate", title="Schedules (SGD with momentum 0.9)")
ax_loss.set(xlabel="epoch", ylabel="loss (log scale)", yscale="log", title="Training with each schedule")
for ax in (ax_lr, ax_loss):
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
fig.tight_layout()
lesson.savefig(fig, "learning_rate_schedules")
for name, h in schedule_histories.items():
    print(f"{name:12s} final train loss {h['loss'][-1]:.4f}, validation accuracy {h['val_accuracy'][-1]:.1%}")
    lesson.metric(f"schedule_{lesson.key_part(name)}_final_train_loss", h["loss"][-1],
                  f"schedule {name}: final training loss", fmt=".4f")
    lesson.metric(f"schedule_{lesson.key_part(name)}_final_val_acc", h["val_accuracy"][-1],
                  f"schedule {name}: final validation accuracy", fmt=".1%")
final_accuracies = [h["val_accuracy"][-1] for h in schedule_histories.values()]
final_losses = [h["loss"][-1] for h in schedule_histories.values()]
lesson.metric("schedules_final_val_acc_spread", max(final_accuracies) - min(final_accuracies),
              "schedules: spread of final validation accuracy",
              fmt=".1%")
lesson.metric("schedules_final_train_loss_max_over_min", max(final_losses) / min(final_losses),
              "schedules: largest / smallest final training loss", fmt=".1f")
# The total step each schedule takes: the sum of its learning rates, relative to the constant rate's.
for name in ("exponential", "cosine"):
    lesson.metric(f"schedule_{lesson.key_part(name)}_summed_lr_ratio", by_hand[name].sum() / by_hand["constant"].sum(),
                  f"schedule {name}: summed learning rate / constant's",
                  fmt=".2f")
    lesson.metric(f"schedule_{lesson.key_part(name)}_mean_lr", by_hand[name].mean(),
                  f"schedule {name}: mean learning rate", fmt=".4f")  # the control's rates

# %% [markdown]
# Read the printout: in this run (quick mode) the *constant* rate ends with the lowest training loss,
# cosine next, exponential last, several times higher; the validation accuracy ends in the same order
# but within two points across the three, about the noise of 359 validation images. The likely
# reason is the set-up, not a flaw of schedules: all three start at the same $\eta_0 = 0.03$, a rate
# at which the constant schedule still trains well, and over only 20 epochs the decaying ones lower
# it early, so they take less total step (the sum of their learning rates is half the constant's for
# cosine, about a third for exponential) and under-train. A control run outside this notebook
# supports that reading (quick mode's 200 training images, 20 epochs, TensorFlow, a 2-core CPU, seeds
# 0 and 1): a *constant* rate equal to each schedule's mean rate ends close to that schedule.
# $\eta = 0.0151$ (cosine's mean) ended with training loss 0.084 / 0.088 and validation accuracy
# 92.2 % / 92.8 %, cosine itself 0.066 / 0.067 and 92.2 % / 92.5 %; $\eta = 0.0096$ (exponential's
# mean) ended with 0.178 / 0.188 and 91.4 % / 91.1 %, exponential itself 0.165 / 0.173 and
# 91.4 % / 91.1 %. The total step, not the shape of the decay, accounts for most of the
# difference, though not all: at equal total step both decaying schedules still ended with a
# slightly lower training loss on both seeds (cosine 0.066 / 0.067 against 0.084 / 0.088,
# exponential 0.165 / 0.173 against 0.178 / 0.188), with validation accuracy within one image of
# 359 (0.3 points or less).
# A schedule pays off when $\eta_0$ is high enough that a constant rate stalls or bounces around a
# minimum, so that decaying it lets the loss settle, or when $\eta_0$ is tuned for each schedule
# separately; that is how cosine annealing (Loshchilov & Hutter, *SGDR*, 2017) and warm-up followed
# by decay (Goyal et al., *Accurate, Large Minibatch SGD*, 2017) were shown to help. This run did not test either case.

# %% [markdown]
# ## 5. Early stopping
# In section 2 the baseline's validation loss hardly improved over the last epochs, and the bigger
# network's validation loss got worse (its accuracy not yet): training on costs time and, trained
# longer, can cost accuracy on new images. **Early
# stopping** (早停) watches the validation loss and stops after `patience` epochs without improvement.
# It restores the weights of the best epoch only when asked: Keras's `EarlyStopping` has
# `restore_best_weights=False` by default, and then the model keeps its last weights, `patience`
# epochs past the best one. The code below passes `restore_best_weights=True`. The validation set now takes part in training decisions, so the
# honest final number comes from the test set (lesson 09).

# %%
keras.utils.set_random_seed(lesson.seed)
stopped = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(256, activation="relu"),
                            keras.layers.Dense(256, activation="relu"), keras.layers.Dense(10)])
stopped.compile(optimizer=keras.optimizers.Adam(1e-3),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
km.models.build_before_fit(stopped, x_train[:2], y_train[:2])
stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
early = stopped.fit(x_train, y_train, epochs=EPOCHS, batch_size=32, validation_data=(x_val, y_val),
                    validation_batch_size=len(x_val), callbacks=[stopper], verbose=0).history
best_epoch = int(np.argmin(early["val_loss"])) + 1
x_test, y_test = km.data.load("digits", split="test")
_, early_test_accuracy = stopped.evaluate(x_test, y_test, batch_size=len(x_test), verbose=0)
print(f"stopped after {len(early['loss'])} of {EPOCHS} epochs; best epoch {best_epoch} restored "
      f"(validation loss {min(early['val_loss']):.3f})")
lesson.metric("early_stopping_epochs_trained", len(early["loss"]), "early stopping: epochs trained", fmt=".0f")
lesson.metric("early_stopping_test_acc", early_test_accuracy, "early stopping: test accuracy", fmt=".1%");

# %% [markdown]
# ## 6. Hyper-parameter search
# How strong should L2 and dropout be? Section 1 tried one value of each. A **hyper-parameter
# search** (超参数搜索) trains several settings and keeps the one with the best validation score. A
# **grid search** trains every combination of a few values: here 3 L2 factors × 3 dropout rates,
# 9 trainings, again as branches of one model. **Random search** draws each setting at random from
# a *range*: here the L2 factor log-uniformly between $10^{-4}$ and $10^{-2}$ (every factor of ten
# equally likely, `hp.Float(..., sampling="log")`) and the dropout rate uniformly between 0 and 0.5,
# the same box the grid covers. Every draw is a new value of *every* hyper-parameter, so $n$ trials
# try $n$ distinct values of each, where a grid of $n$ trainings tries only about $\sqrt n$ of each
# (with two hyper-parameters). (Drawing from the grid's own values with `hp.Choice` could only
# subsample the grid.) KerasTuner, the Keras ecosystem's tuner, runs the search: a function builds
# the model from `hp`, whose calls declare the search space, and the tuner draws a setting, trains
# it, and scores the trial by its best epoch's validation accuracy. The grid's settings are scored
# the same way. Every training gets a short budget (an eighth of section 1's epochs in quick mode,
# a quarter in full mode): searches often rank settings on a short budget, which favours those that
# learn fast.

# %%
L2_FACTORS = [1e-4, 1e-3, 1e-2]
DROPOUT_RATES = [0.0, 0.25, 0.5]
grid = [(l2, rate) for l2 in L2_FACTORS for rate in DROPOUT_RATES]
SEARCH_EPOCHS = lesson.pick(EPOCHS // 8, EPOCHS // 4)


def setting_name(l2, rate):
    return f"l2_{l2:g}_dropout_{rate:g}".replace(".", "_").replace("-", "m")


keras.utils.set_random_seed(lesson.seed)
grid_inputs = keras.Input((8, 8))
grid_outputs = {setting_name(l2, rate): branch(grid_inputs, setting_name(l2, rate), l2=l2, dropout=rate)
                for l2, rate in grid}
grid_model = keras.Model(grid_inputs, grid_outputs)
grid_model.compile(optimizer=keras.optimizers.Adam(1e-3),
                   loss={k: keras.losses.SparseCategoricalCrossentropy(from_logits=True) for k in grid_outputs},
                   metrics={k: ["accuracy"] for k in grid_outputs})
km.models.build_before_fit(grid_model, x_train[:2], {k: y_train[:2] for k in grid_outputs})
grid_history = grid_model.fit(x_train, {k: y_train for k in grid_outputs}, epochs=SEARCH_EPOCHS, batch_size=32,
                              validation_data=(x_val, {k: y_val for k in grid_outputs}),
                              validation_batch_size=len(x_val), verbose=0).history
grid_scores = {setting: max(grid_history[f"val_{setting_name(*setting)}_accuracy"]) for setting in grid}


def build_model(hp):
    inputs = keras.Input((8, 8))
    logits = branch(inputs, "logits", l2=hp.Float("l2", 1e-4, 1e-2, sampling="log"),
                    dropout=hp.Float("dropout", 0.0, 0.5))
    model = keras.Model(inputs, logits)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    km.models.build_before_fit(model, x_train[:2], y_train[:2])
    return model


tuner = keras_tuner.RandomSearch(build_model, objective="val_accuracy", max_trials=3, seed=lesson.seed,
                                 directory=lesson.output_dir / "keras_tuner", project_name="l2_and_dropout",
                                 overwrite=True)
# Before every trial KerasTuner runs two full garbage collections, which scan every object alive
# (TensorFlow's, and this notebook's models and traced graphs): together seconds in this notebook.
# gc.freeze() exempts the objects alive now.
gc.freeze()
try:
    tuner.search(x_train, y_train, epochs=SEARCH_EPOCHS, batch_size=32, validation_data=(x_val, y_val),
                 validation_batch_size=len(x_val), verbose=0)
finally:
    gc.unfreeze()
random_scores = {(trial.hyperparameters["l2"], trial.hyperparameters["dropout"]): trial.score
                 for trial in tuner.oracle.trials.values()}

fig, ax = plt.subplots(figsize=(9, 6))
everything = list(grid_scores.values()) + list(random_scores.values())
style = {"cmap": "viridis", "vmin": min(everything), "vmax": max(everything), "edgecolors": "black", "zorder": 3}
ax.scatter(*zip(*grid_scores), c=list(grid_scores.values()), marker="s", s=560, label="grid", **style)
# Small circles with a white rim on top of large squares: a random setting that lands on a grid square
# leaves the square's colour visible around it.
points = ax.scatter(*zip(*random_scores), c=list(random_scores.values()), marker="o", s=140, linewidths=2,
                    label="random search", **{**style, "edgecolors": "white", "zorder": 4})
# Grid labels above their squares, random-search labels below their circles (clear of any square
# under the circle), so that a circle next to a square does not print its label over the square's.
for (l2, rate), score in grid_scores.items():
    ax.annotate(f"{score:.1%}", (l2, rate), xytext=(0, 16), textcoords="offset points", ha="center", va="bottom",
                fontsize=10)
for (l2, rate), score in random_scores.items():
    ax.annotate(f"{score:.1%}", (l2, rate), xytext=(0, -16), textcoords="offset points", ha="center", va="top",
                fontsize=10, fontweight="bold")
fig.colorbar(points, label="best validation accuracy", format=lambda value, _: f"{value:.0%}")
ax.set(xscale="log", xlim=(5e-5, 2e-2), ylim=(-0.12, 0.62), xlabel="L2 factor (log scale)", ylabel="dropout rate",
       title=f"{SEARCH_EPOCHS} epochs each: grid search ({len(grid)} trainings, squares), "
             f"random search ({len(random_scores)}, circles)")
ax.grid(alpha=0.3)
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=10)
fig.tight_layout()
lesson.savefig(fig, "hyperparameter_search")

grid_best, random_best = max(grid_scores, key=grid_scores.get), max(random_scores, key=random_scores.get)
print(f"grid search:   best (L2, dropout) = ({grid_best[0]:.2g}, {grid_best[1]:.2f}), "
      f"validation accuracy {grid_scores[grid_best]:.1%}")
for (l2, rate), score in random_scores.items():
    print(f"random search: (L2, dropout) = ({l2:.2g}, {rate:.2f}), validation accuracy {score:.1%}")


def spacings(draw, point):
    """How far a random draw lies from a grid point, in grid spacings (a factor of ten in L2, 0.25 in dropout)."""
    return max(abs(np.log10(draw[0] / point[0])) / np.log10(L2_FACTORS[1] / L2_FACTORS[0]),
               abs(draw[1] - point[1]) / (DROPOUT_RATES[1] - DROPOUT_RATES[0]))


near_draw, near_point = min(((draw, point) for draw in random_scores for point in grid), key=lambda pair: spacings(*pair))
print(f"nearest to the grid: draw ({near_draw[0]:.2g}, {near_draw[1]:.2f}) lies {spacings(near_draw, near_point):.2f} "
      f"grid spacings from grid point ({near_point[0]:g}, {near_point[1]:g}); validation accuracy "
      f"{random_scores[near_draw]:.1%}, the square's {grid_scores[near_point]:.1%}")
lesson.metric("grid_search_trainings", len(grid_scores), "grid search: trainings", fmt=".0f")
lesson.metric("random_search_trainings", len(random_scores), "random search: trainings", fmt=".0f")
for name, settings in [("grid search", grid_scores), ("random search", random_scores)]:
    lesson.metric(f"{lesson.key_part(name)}_distinct_l2_factors", len({l2 for l2, _ in settings}),
                  f"{name}: distinct L2 factors tried", fmt=".0f")
    lesson.metric(f"{lesson.key_part(name)}_distinct_dropout_rates", len({rate for _, rate in settings}),
                  f"{name}: distinct dropout rates tried", fmt=".0f")
lesson.metric("random_search_settings_on_grid", len(set(random_scores) & set(grid_scores)),
              "random search: settings that are on the grid", fmt=".0f")
lesson.metric("random_search_nearest_grid_distance", spacings(near_draw, near_point),
              "random search: nearest draw's distance to a grid point, in grid spacings",
              fmt=".2f")
lesson.metric("grid_search_best_val_acc", grid_scores[grid_best], "grid search: best validation accuracy", fmt=".1%")
lesson.metric("random_search_best_val_acc", random_scores[random_best], "random search: best validation accuracy", fmt=".1%")
lesson.metric("grid_search_best_dropout", grid_best[1], "grid search: dropout rate of the best setting", fmt=".2f")
lesson.metric("random_search_best_dropout", random_best[1], "random search: dropout rate of the best setting", fmt=".2f");

# %% [markdown]
# Random search's three trainings tried three L2 factors and three dropout rates, none of them on
# the grid: as many distinct values of each hyper-parameter as the grid's nine trainings (the
# metrics above count them). In this run, though, one draw landed almost on a grid point, less than
# a tenth of a grid spacing away (the printout names both, with their scores): with three draws,
# near-repeats of a grid setting happen. The two searches also had unequal budgets, 9 trainings
# against 3, so this run does not compare them fairly (the case for random search, Bergstra and
# Bengio, 2012, is made at equal budget); with so few trials, which one finds the better setting
# is partly luck as well. A grid's cost multiplies with every
# hyper-parameter added (three values each of five hyper-parameters are 243 trainings); random
# search costs what you give it, and every extra draw tries new values of all hyper-parameters at
# once, which is why it is preferred when there are many and only a few matter. One caution: the
# winner was chosen *by* its validation score, which is therefore optimistic: the honest number is
# the test set's (lesson 09).

# %% [markdown]
# ## 7. Exercises
# **7.1 The L2 penalty** of a list of kernels with factor `l2`. This attempt computes a different
# (also useful) penalty; which one?

# %%
def l2_penalty(kernels, l2):
    return l2 * sum(np.sum(np.abs(k)) for k in kernels)


first_attempts = {"08.l2_penalty": course.exercises.check("08.l2_penalty", l2_penalty)}

# %% [markdown]
# **7.2 Cosine decay** of the learning rate at `step`, reaching `initial * alpha` at `decay_steps`
# and staying there.

# %%
def cosine_decay(step, initial, decay_steps, alpha):
    return initial * np.cos(np.pi * step / decay_steps)


first_attempts["08.cosine_decay"] = course.exercises.check("08.cosine_decay", cosine_decay)

# %% [markdown]
# **7.3 Batch normalisation** in training mode for a batch `x` of shape (batch, features).

# %%
def batch_norm(x, gamma, beta, eps):
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


first_attempts["08.batch_norm"] = course.exercises.check("08.batch_norm", batch_norm)
lesson.metric("exercises_passing_written", sum(map(bool, first_attempts.values())), "exercises passing as written", fmt=".0f");

# %% [markdown]
# ## Summary
# - Over-fitting: the model fits its training data much better than new data (a large gap between
#   training and validation loss); its unambiguous sign is a validation loss that rises while the
#   training loss keeps falling. Under-fitting: both stay high. The training curve alone reveals
#   under-fitting; only the validation curve reveals over-fitting.
# - L2 adds $\lambda\sum w^2$; dropout zeroes activations with probability $p$ and scales survivors by
#   $1/(1-p)$; batch norm standardises each feature over the batch; augmentation creates
#   label-preserving variations. Judge each with a controlled experiment: same data, same batches,
#   one change.
# - Learning-rate schedules (exponential, cosine) lower the rate as training proceeds; early stopping
#   stops when the validation loss stops improving, and keeps the best epoch's weights only with
#   `restore_best_weights=True` (off by default in Keras).
# - A grid search trains every combination; random search (`keras_tuner.RandomSearch`) trains as
#   many as you can afford. Both choose by validation score, so confirm the winner on the test set.
#
# Next: lesson 09 measures models properly: precision, recall, ROC curves and honest test sets.

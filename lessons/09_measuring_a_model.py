# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Measuring a model
#     articles: ["002 §9.3", "001 §3.2", "001 §5.2"]
#     quick_seconds: 21
#     full_seconds: 40
#     description: Confusion matrix, accuracy, precision, recall, F1, ROC and AUC by hand and with keras.metrics; why accuracy misleads on imbalanced data; the precision-recall curve; stratified k-fold cross-validation; scaling without leaks; error analysis; validation versus test.
# ---

# %% [markdown]
# # 09 · Measuring a model
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 002 §9.3 (accuracy, precision, recall, F1, ROC, AUC), article 001 §3.2 and §5.2
# (evaluating on validation data).
#
# **After this lesson you can** compute a confusion matrix, accuracy, precision, recall, F1, a ROC
# curve and its AUC from their definitions, check them against `keras.metrics`, explain why a
# 90 %-accurate model can be useless on imbalanced data, read a precision-recall curve, run a
# stratified k-fold cross-validation, scale features without leaking the test set, analyse errors,
# and keep a test set honest by choosing everything on a validation set.
#
# **Prerequisites:** lesson 06 (compile, fit, evaluate).
#
# **Run time:** quick mode measured 21 s of CPU time (one run, TensorFlow, 2-core CPU, user + system
# time of `kerasmodels run`; its wall time, 34 s on a machine shared with other jobs, depends on the
# load). Full mode (twice the epochs for the two Keras models) was not measured; expect well under a
# minute (an estimate: the data set is the same small one in both modes).

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
from sklearn import metrics as sk_metrics
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import MinMaxScaler, StandardScaler

import kerasmodels as km
from kerasmodels import course
from kerasmodels.course.scratch import metrics as ms

lesson = course.setup_lesson(9)

# %% [markdown]
# ## 1. Three splits, three jobs
# Article 001 §3.2 lists "evaluate the model on validation data (验证数据)" as a step of building a
# model. There are three sets, each with one job:
#
# | split | Chinese | job |
# |---|---|---|
# | training set | 训练集 | fit the weights |
# | validation set | 验证集 | choose everything else: epochs, thresholds, architectures, hyper-parameters |
# | test set | 测试集 | measure once, at the very end, the number you report |
#
# The `digits` set comes already split, stratified (every class keeps its share in every split).

# %%
x_train, y_train = km.data.load("digits", split="train")
x_val, y_val = km.data.load("digits", split="validation")
x_test, y_test = km.data.load("digits", split="test")
for name, y in [("train", y_train), ("validation", y_val), ("test", y_test)]:
    print(f"{name:10s} {len(y):5d} images; share of the digit 8: {np.mean(y == 8):.1%}")

# %% [markdown]
# ## 2. A detector for a rare class
# Our first task is binary: **is this digit an 8?** Only about one image in ten is an 8, so the
# classes are *imbalanced* (类别不平衡). The model is logistic regression: one dense unit on the
# 64 pixels, outputting a **logit** $z$; the probability of "8" is $\sigma(z) = 1/(1+e^{-z})$.

# %%
TARGET = 8
b_train, b_val, b_test = [(y == TARGET).astype(np.int32) for y in (y_train, y_val, y_test)]

detector = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(1)])
detector.compile(optimizer=keras.optimizers.Adam(0.02),
                 loss=keras.losses.BinaryCrossentropy(from_logits=True))
detector.fit(x_train, b_train, epochs=lesson.pick(15, 30), batch_size=64, verbose=0)
p_val = keras.ops.convert_to_numpy(keras.ops.sigmoid(detector.predict(x_val, verbose=0)[:, 0]))
p_test = keras.ops.convert_to_numpy(keras.ops.sigmoid(detector.predict(x_test, verbose=0)[:, 0]))
print("first five validation probabilities of '8':", np.round(p_val[:5], 3), "labels:", b_val[:5])

# %% [markdown]
# ## 3. The confusion matrix (混淆矩阵) and four numbers
# Predict "8" when the probability is at least a **threshold** $t = 0.5$. Every example then falls
# into one of four cells:
#
# | | predicted 8 | predicted not 8 |
# |---|---|---|
# | **is an 8** | true positive (TP) | false negative (FN) |
# | **is not an 8** | false positive (FP) | true negative (TN) |
#
# $$\text{accuracy (准确率)} = \frac{TP+TN}{TP+FP+FN+TN},\qquad
#   \text{precision (精确率)} = \frac{TP}{TP+FP},\qquad
#   \text{recall (召回率)} = \frac{TP}{TP+FN},\qquad
#   F_1 = \frac{2PR}{P+R} = \frac{2TP}{2TP+FP+FN}.$$
#
# Precision asks "when the model says 8, how often is it right?"; recall asks "of the real 8s,
# how many does it find?". We compute them by hand, then ask `keras.metrics` and compare.

# %%
pred_val = (p_val >= 0.5).astype(np.int32)
counts = ms.binary_counts(b_val, pred_val)
print(counts)
by_hand = {
    "accuracy": ms.accuracy(b_val, pred_val),
    "precision": ms.precision(b_val, pred_val),
    "recall": ms.recall(b_val, pred_val),
    "F1": ms.f1_score(b_val, pred_val),
}
keras_metrics = {
    "accuracy": keras.metrics.BinaryAccuracy(threshold=0.5),
    "precision": keras.metrics.Precision(thresholds=0.5),
    "recall": keras.metrics.Recall(thresholds=0.5),
    "F1": keras.metrics.F1Score(threshold=0.5),
}
worst = 0.0
print(f"{'metric':10s} {'by hand':>8s} {'keras':>8s}")
for name, metric in keras_metrics.items():
    metric.update_state(b_val[:, None].astype("float32"), p_val[:, None])
    from_keras = float(np.squeeze(keras.ops.convert_to_numpy(metric.result())))
    worst = max(worst, abs(from_keras - by_hand[name]))
    print(f"{name:10s} {by_hand[name]:8.4f} {from_keras:8.4f}")
lesson.metric("hand_vs_keras_metrics_max_diff", worst, "largest difference hand vs keras.metrics", fmt=".1e")

# %% [markdown]
# > **Errata (article 002 §9.3)** Article 002 defines recall (召回率) as "among the samples the model
# > predicts as positive, the proportion that are actually positive" — word for word the same as
# > its definition of precision two lines above. That is precision, $TP/(TP+FP)$. Recall divides by
# > the examples that **are** positive: $TP/(TP+FN)$. The two answer different questions and can be
# > far apart: a detector that says "8" only when it is sure has high precision and low recall.
# > Below, article 002's formula gives exactly precision, and both differ from Keras's `Recall`
# > at both thresholds; lowering the threshold trades precision for recall.

# %%
for threshold in (0.5, 0.2):
    pred = (p_val >= threshold).astype(np.int32)
    c = ms.binary_counts(b_val, pred)
    article_002_recall = c.tp / max(c.tp + c.fp, 1)  # article 002's definition
    keras_recall = keras.metrics.Recall(thresholds=threshold)
    keras_recall.update_state(b_val, p_val)
    print(f"threshold {threshold}: article 002 'recall' = {article_002_recall:.3f} (= precision "
          f"{ms.precision(b_val, pred):.3f}); true recall = {ms.recall(b_val, pred):.3f}; "
          f"keras Recall = {float(keras_recall.result()):.3f}")
    lesson.metric(f"threshold_{lesson.key_part(threshold)}_recall_minus_precision", article_002_recall - ms.precision(b_val, pred),
                  f"threshold {threshold}: article 002 'recall' minus precision")
    lesson.metric(f"threshold_{lesson.key_part(threshold)}_recall_minus_keras", article_002_recall - float(keras_recall.result()),
                  f"threshold {threshold}: article 002 'recall' minus keras Recall")

# %% [markdown]
# ## 4. When accuracy misleads
# A "detector" that **always** answers "not an 8" needs no training. On data where nine images in
# ten are not 8s, its accuracy is about 90 %. Precision, recall and F1 expose it at once.

# %%
never_8 = np.zeros_like(b_val)
rows = {"trained detector": pred_val, "always 'not 8'": never_8}
print(f"{'':18s} {'accuracy':>9s} {'precision':>9s} {'recall':>7s} {'F1':>6s}")
for name, pred in rows.items():
    print(f"{name:18s} {ms.accuracy(b_val, pred):9.3f} {ms.precision(b_val, pred):9.3f} "
          f"{ms.recall(b_val, pred):7.3f} {ms.f1_score(b_val, pred):6.3f}")
lesson.metric("always_not8_acc", ms.accuracy(b_val, never_8), "accuracy of always answering 'not 8'", fmt=".1%")
lesson.metric("always_not8_precision_recall_f1_sum", ms.precision(b_val, never_8) + ms.recall(b_val, never_8) + ms.f1_score(b_val, never_8),
              "precision + recall + F1 of always answering 'not 8'");

# %% [markdown]
# ## 5. Thresholds, the ROC curve and AUC
# The threshold 0.5 is a choice. Lowering it finds more 8s (recall up) and raises more false alarms
# (precision down). The **ROC curve** (ROC曲线) draws, for every threshold, the true-positive rate
# $TPR = TP/(TP+FN)$ (recall) against the false-positive rate $FPR = FP/(FP+TN)$. Its area, the
# **AUC**, summarises the whole curve with one number that does not depend on a threshold, and
# has a plain meaning:
#
# $$\text{AUC} = P(\text{score of a random positive} > \text{score of a random negative}),$$
#
# counting ties as one half. We compute it three ways: the trapezoids under our hand-made curve,
# the pair-counting formula, and `keras.metrics.AUC`.

# %%
fpr, tpr, thresholds = ms.roc_curve(b_val, p_val)
auc_trapezoid = ms.auc(fpr, tpr)
auc_pairs = ms.roc_auc(b_val, p_val)
keras_auc = keras.metrics.AUC(num_thresholds=2001)
keras_auc.update_state(b_val, p_val)
print(f"AUC: trapezoids {auc_trapezoid:.5f} | pairs {auc_pairs:.5f} | keras.metrics.AUC {float(keras_auc.result()):.5f}")
lesson.metric("val_auc", auc_pairs, "validation AUC", fmt=".4f")

grid = np.linspace(0.01, 0.99, 99)
curves = {"precision": [], "recall": [], "F1": []}
for t in grid:
    pred = (p_val >= t).astype(np.int32)
    # With no image flagged precision is 0/0, undefined: NaN, so the line stops (ms.precision, like keras, says 0).
    curves["precision"].append(ms.precision(b_val, pred) if pred.any() else np.nan)
    curves["recall"].append(ms.recall(b_val, pred))
    curves["F1"].append(ms.f1_score(b_val, pred))
best_threshold = float(grid[int(np.argmax(curves["F1"]))])
undefined = np.isnan(curves["precision"])
print(f"thresholds at which no image is flagged (precision undefined): {undefined.sum()}"
      + (f", from t = {grid[undefined].min():.2f}" if undefined.any() else ""))
lesson.metric("thresholds_with_none_flagged", undefined.sum(),
              "thresholds with no image flagged (precision undefined)", fmt=".0f")

fig, (ax_roc, ax_t) = plt.subplots(1, 2, figsize=(11, 5.2))
ax_roc.plot(fpr, tpr, lw=2, label=f"detector (AUC = {auc_pairs:.3f})")
ax_roc.plot([0, 1], [0, 1], "k--", label="guessing (AUC = 0.5)")
ax_roc.set(xlabel="false-positive rate FP / (FP + TN)", ylabel="true-positive rate (recall)",
           title="ROC curve, 'is it an 8?' (validation)")
ax_roc.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, fontsize=9)
for name, values in curves.items():
    ax_t.plot(grid, values, lw=2, label=name)
ax_t.axvline(best_threshold, color="gray", ls=":", label=f"best F1 at t = {best_threshold:.2f}")
ax_t.set(xlabel="threshold t on the probability", ylabel="value", title="Choosing a threshold (validation)")
ax_t.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, fontsize=9)
for ax in (ax_roc, ax_t):
    ax.grid(alpha=0.3)
fig.tight_layout()
lesson.savefig(fig, "roc_and_thresholds")

# %% [markdown]
# In the right panel the precision line stops where the threshold is so high that no image is
# flagged (printed above): precision is then 0/0, undefined, and is not plotted; `keras.metrics`
# and our `ms.precision` report 0 there by convention.
#
# The threshold was **chosen on the validation set**. Only now do we touch the test set, once, with
# that threshold.

# %%
pred_test = (p_test >= best_threshold).astype(np.int32)
lesson.metric("is8_test_f1", ms.f1_score(b_test, pred_test), "'is it an 8?' test F1 (threshold chosen on validation)",
              headline=True, fmt=".3f")
lesson.metric("is8_test_auc", ms.roc_auc(b_test, p_test), "'is it an 8?' test AUC", fmt=".4f")

# %% [markdown]
# ### The precision-recall curve, and when to prefer it
# The **precision-recall curve** (PR曲线) draws precision against recall for every threshold; its
# summary is the **average precision** $AP = \sum_n (R_n - R_{n-1}) P_n$ over the thresholds.
# The ROC curve's two rates are each computed *within one class* (TPR among positives, FPR among
# negatives), so the ROC curve does not see how rare the positives are. Precision does: it is the
# share of alarms that are right. Repeat every negative ten times (positives become about ten times
# rarer, as in fraud or disease screening) and compare:

# %%

def average_precision(y_true, scores):
    order = np.argsort(-scores, kind="stable")
    hits = y_true[order]
    precision_at, recall_at = np.cumsum(hits) / np.arange(1, len(hits) + 1), np.cumsum(hits) / hits.sum()
    last_of_ties = np.r_[scores[order][1:] != scores[order][:-1], True]  # one point per distinct threshold
    precision_at, recall_at = precision_at[last_of_ties], recall_at[last_of_ties]
    return float(np.sum(np.diff(np.r_[0.0, recall_at]) * precision_at))


rare_labels = np.r_[b_val, np.repeat(b_val[b_val == 0], 9)]
rare_scores = np.r_[p_val, np.repeat(p_val[b_val == 0], 9)]
ap, ap_rare = average_precision(b_val, p_val), average_precision(rare_labels, rare_scores)
lesson.metric("avg_precision_hand_vs_sklearn_diff", abs(ap - sk_metrics.average_precision_score(b_val, p_val)),
              "average precision by hand vs scikit-learn: difference", fmt=".1e")
lesson.metric("val_avg_precision", ap, "validation average precision", fmt=".3f")
lesson.metric("val_avg_precision_negatives_x10", ap_rare, "validation average precision, negatives repeated 10x", fmt=".3f")
lesson.metric("val_roc_auc_negatives_x10", ms.roc_auc(rare_labels, rare_scores),
              "validation ROC AUC, negatives repeated 10x", fmt=".4f")

fig, ax = plt.subplots(figsize=(6.5, 4.5))
for labels, scores, name in [(b_val, p_val, f"8s are 1 in {len(b_val) / b_val.sum():.0f} (AP = {ap:.3f})"),
                             (rare_labels, rare_scores,
                              f"8s are 1 in {len(rare_labels) / rare_labels.sum():.0f} (AP = {ap_rare:.3f})")]:
    precision_curve, recall_curve, _ = sk_metrics.precision_recall_curve(labels, scores)
    ax.step(recall_curve, precision_curve, where="post", lw=2, label=name)
ax.set(xlabel="recall", ylabel="precision", title="Precision-recall curve, 'is it an 8?' (validation)")
ax.legend(loc="lower left")
ax.grid(alpha=0.3)
lesson.savefig(fig, "precision_recall")

# %% [markdown]
# The ROC AUC is *exactly* the same with ten times more negatives (compare the two AUCs above),
# while the average precision drops: at the same threshold ten times more false alarms come with
# each true 8. When positives are rare and false alarms cost something, read the PR curve.
#
# ### k-fold cross-validation (k折交叉验证)
# One validation split gives one number, and with 35 eights in it that number is noisy. **k-fold
# cross-validation** splits the data into $k$ folds, trains $k$ times on $k-1$ folds and
# validates on the one left out, and reports the mean and the spread. **Stratified** folds keep
# each class's share in every fold, which matters for a rare class. (The model here is
# scikit-learn's `LogisticRegression`, fitted in milliseconds: the same form as our one-unit
# detector, a weighted sum of the 64 pixels through a sigmoid, but not the same training. By
# default it minimises $\tfrac12\lVert w\rVert^2 + C\sum_{i=1}^{n} \ell_i$ with $C = 1$, where $\ell_i$
# is example $i$'s cross-entropy, *summed*, not averaged, over the $n$ training examples: per
# example the penalty weighs $\lVert w\rVert^2/(2Cn)$, small with $n$ in the hundreds. It solves to
# convergence, where the Keras detector had no penalty and stopped after a few epochs of Adam. The
# numbers below are this model's, not the detector's.)

# %%
x_pool = np.concatenate([x_train, x_val]).reshape(-1, 64)
b_pool = np.concatenate([b_train, b_val])
fold_f1, fold_share = [], {"KFold": [], "StratifiedKFold": []}
for name, splitter in [("KFold", KFold(5)), ("StratifiedKFold", StratifiedKFold(5, shuffle=True, random_state=0))]:
    for train_rows, val_rows in splitter.split(x_pool, b_pool):
        fold_share[name].append(b_pool[val_rows].mean())
        if name == "StratifiedKFold":
            fold_model = LogisticRegression(max_iter=2000).fit(x_pool[train_rows], b_pool[train_rows])
            fold_f1.append(ms.f1_score(b_pool[val_rows], fold_model.predict(x_pool[val_rows])))
    print(f"{name:16s} share of 8s per validation fold: {np.round(fold_share[name], 3)}")
print("F1 per stratified fold:", np.round(fold_f1, 3))
lesson.metric("kfold5_f1_mean", np.mean(fold_f1), "5-fold F1, mean", fmt=".3f")
lesson.metric("kfold5_f1_std", np.std(fold_f1), "5-fold F1, standard deviation", fmt=".3f")
for name, shares in fold_share.items():
    lesson.metric(f"{lesson.key_part(name)}_max_fold_share_gap", np.max(np.abs(np.array(shares) - b_pool.mean())),
                  f"{name}: largest gap between a fold's share of 8s and the overall share", fmt=".4f")

# %% [markdown]
# The F1 moves from fold to fold by the standard deviation recorded above: a single split could
# have reported any of those numbers. The stratified folds hold the share of 8s to within a
# fraction of a percent; the plain folds let it wander more.
#
# ### Preprocessing: standardisation, normalisation, and the leak
# **Standardisation** (标准化) rescales each feature to mean 0 and standard deviation 1,
# $x' = (x-\mu)/\sigma$; **normalisation** (归一化, min-max) rescales it to $[0, 1]$,
# $x' = (x - \min)/(\max - \min)$. Either way the statistics ($\mu, \sigma, \min, \max$)
# are learned from data, so they must come from the **training split only** and then be applied
# unchanged to validation and test data, exactly as the model's weights are. Fitting them on all
# the data lets the test set shape the transform. A scaler is one affine map per feature, applied
# to both splits alike, so fitting it on all the data does not remove a shift between them; but the
# test images enter its $\mu$ and $\sigma$. Where a feature barely varies in training (a corner
# pixel that is almost always 0), a shifted test set inflates its $\sigma$, and the shift, measured
# in those inflated units, shrinks: the leak hides the shift exactly in the rarely used pixels,
# where it looked largest. Suppose the test images come from a scanner with a grey background,
# every pixel 0.2 brighter:

# %%
flat_train, flat_test = x_train.reshape(-1, 64), x_test.reshape(-1, 64)
standardised = StandardScaler().fit(flat_train).transform(flat_train)
normalised = MinMaxScaler().fit(flat_train).transform(flat_train)
print(f"standardised: mean {standardised.mean():.3f}, std of a used pixel {standardised[:, 27].std():.3f}; "
      f"normalised: min {normalised.min():.1f}, max {normalised.max():.1f}")
shifted_test = flat_test + 0.2
honest = StandardScaler().fit(flat_train)
leaky = StandardScaler().fit(np.concatenate([flat_train, shifted_test]))
leak_scores = {}
for name, scaler in [("fitted on training only", honest), ("fitted on training + test", leaky)]:
    model = LogisticRegression(max_iter=300).fit(scaler.transform(flat_train), y_train)
    leak_scores[name] = model.score(scaler.transform(shifted_test), y_test)
    # The shift the model meets: per pixel, test mean minus training mean, in the scaler's units.
    gap = scaler.transform(shifted_test).mean(axis=0) - scaler.transform(flat_train).mean(axis=0)
    print(f"scaler {name:26s}: shift per pixel in standard deviations, median {np.median(gap):.2f}, "
          f"largest {gap.max():.1f}; accuracy on the grey-background test images {leak_scores[name]:.1%}")
    lesson.metric(f"scaler_{'leaky' if 'test' in name else 'honest'}_grey_acc", leak_scores[name],
                  f"grey-background test images, scaler {name}: 10-class accuracy", fmt=".1%")
    lesson.metric(f"scaler_{'leaky' if 'test' in name else 'honest'}_median_shift", np.median(gap),
                  f"scaler {name}: median shift per pixel (standard deviations)", fmt=".2f")
    lesson.metric(f"scaler_{'leaky' if 'test' in name else 'honest'}_max_shift", gap.max(),
                  f"scaler {name}: largest shift per pixel (standard deviations)", fmt=".1f")
# Two controls: the same leak on test images from the same scanner (no shift), and no scaler at all.
for name, scaler in [("fitted on training only", honest),
                     ("fitted on training + test", StandardScaler().fit(np.concatenate([flat_train, flat_test])))]:
    model = LogisticRegression(max_iter=300).fit(scaler.transform(flat_train), y_train)
    unshifted_score = model.score(scaler.transform(flat_test), y_test)
    print(f"scaler {name:26s}: accuracy on the ordinary (unshifted) test images {unshifted_score:.1%}")
    lesson.metric(f"scaler_{'leaky' if 'test' in name else 'honest'}_unshifted_acc", unshifted_score,
                  f"unshifted test images, scaler {name}: 10-class accuracy", fmt=".1%")
raw_model = LogisticRegression(max_iter=300).fit(flat_train, y_train)
raw_scores = {"unshifted": raw_model.score(flat_test, y_test), "grey-background": raw_model.score(shifted_test, y_test)}
print(f"no scaler (pixels as loaded, in [0, 1]): accuracy on the unshifted test images {raw_scores['unshifted']:.1%}, "
      f"on the grey-background ones {raw_scores['grey-background']:.1%}")
for name, score in raw_scores.items():
    lesson.metric(f"no_scaler_{lesson.key_part(name)}_acc", score, f"{name} test images, no scaler: 10-class accuracy", fmt=".1%")

# %% [markdown]
# The shift survives both scalers: the median pixel moves by a similar number of standard
# deviations either way. What the leak changes is the tail: fitted on training only, the largest
# shift (a pixel that is nearly constant in training) is dozens of standard deviations, and the
# model's weight on that pixel turns it into a large wrong vote; fitted with the test images, no
# pixel moves by more than a few. The leaky scaler therefore reports a far higher test accuracy
# (the numbers above), because it took the shifted images' statistics into account; a deployed
# model sees new images one at a time and cannot. The honest number is the one to expect.
#
# The two controls (the last lines printed) put this in proportion. On test images from the same
# scanner (no shift) the leak barely moves the score, the two accuracies are within a point; it is
# still a leak, since the test images helped build the transform, but here it is not measurable.
# And the same model on the pixels as loaded (gray level / 16, in $[0, 1]$), with no scaler, keeps
# nearly all its accuracy on the grey images. The collapse of the honest number is therefore the fragility of standardising each pixel
# on its own: a pixel that is nearly constant in training gets a tiny $\sigma$, and a small change
# to it becomes a huge input. That is one reason images are usually scaled by a single constant
# (`digits` by 16, 8-bit images by 255) rather than per pixel.
#
# Splits themselves should be **stratified** (as `digits` and `reviews` are, and as
# `train_test_split(..., stratify=y)` does) so that a rare class is not missing from one of them.

# %% [markdown]
# ## 6. Ten classes: the full confusion matrix
# With $K$ classes the confusion matrix is $K \times K$: row $i$, column $j$ counts images of digit
# $i$ predicted as $j$. The diagonal holds the correct answers; each class has its own precision
# (its column) and recall (its row). Averaging the per-class F1 gives the **macro** F1 (every
# class counts the same); pooling all counts first gives the **micro** F1 (equal to accuracy when
# every example gets exactly one label).

# %%
classifier = keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(10)])
classifier.compile(optimizer=keras.optimizers.Adam(0.02),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
classifier.fit(x_train, y_train, epochs=lesson.pick(15, 30), batch_size=64, verbose=0)
logits_test = classifier.predict(x_test, verbose=0)
pred10 = np.argmax(logits_test, axis=1)
matrix = ms.confusion_matrix(y_test, pred10, num_classes=10)
report = ms.per_class_report(matrix)
fig = course.plots.confusion_matrix(matrix, title="digits test set: true (rows) vs predicted (columns)")
lesson.savefig(fig, "confusion_matrix_digits")

# %%
one_hot = keras.ops.convert_to_numpy(keras.ops.one_hot(y_test, 10))
probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(logits_test))
keras_precision_8 = keras.metrics.Precision(class_id=TARGET)
keras_precision_8.update_state(one_hot, (probabilities == probabilities.max(axis=1, keepdims=True)))
keras_macro = keras.metrics.F1Score(average="macro")
keras_macro.update_state(one_hot, (probabilities == probabilities.max(axis=1, keepdims=True)).astype("float32"))
print(f"precision of class 8: by hand {report['precision'][TARGET]:.4f}, keras {float(keras_precision_8.result()):.4f}")
print(f"macro F1: by hand {report['f1'].mean():.4f}, keras {float(keras_macro.result()):.4f}")
print(f"micro F1 = accuracy: {ms.accuracy(y_test, pred10):.4f}")
weakest = int(np.argmin(report["recall"]))
print(f"hardest digit to find: {weakest} (recall {report['recall'][weakest]:.2f})")
lesson.metric("ten_class_test_acc", ms.accuracy(y_test, pred10), "10-class test accuracy", fmt=".1%")

# %% [markdown]
# ### Error analysis (错误分析)
# Counts favour big classes; dividing each row by its total gives, per true digit, the share sent
# to each prediction (the diagonal is the recall). The largest off-diagonal cells are the mistakes
# to look at first, and looking at the images themselves says whether the labels, the data or the
# model is to blame. With about 35 test images per digit a single error is already 3 %, so a cell
# holding one image is noise, tied with every other one-image cell. A cell with two is hardly better
# evidence: with $E$ errors thrown at random into the 90 off-diagonal cells, the chance that some
# cell gets two or more is the birthday problem's, $1 - \prod_{k=0}^{E-1} (90 - k)/90$, printed
# below for this run's $E$ (with this run's dozen errors, about one in two). The pairs with two or
# more errors (shown with their images) are where to look first, not proven confusions; singling
# one out needs many more predictions, e.g. cross-validated predictions on all 1,797 images, each
# made by a model that did not train on it (section 5's k-fold loop, with a 10-class model).

# %%
row_normalised = matrix / matrix.sum(axis=1, keepdims=True)
off_diagonal = row_normalised - np.diag(np.diag(row_normalised))
worst_pairs = [tuple(int(i) for i in np.unravel_index(k, off_diagonal.shape))
               for k in np.argsort(-off_diagonal, axis=None, kind="stable")[:3]]
worst_pairs = [pair for pair in worst_pairs if matrix[pair] >= 2] or worst_pairs[:1]
errors_off_diagonal = matrix - np.diag(np.diag(matrix))
print(f"confused pairs with 2 or more errors: {int(np.sum(errors_off_diagonal >= 2))}; "
      f"with exactly 1: {int(np.sum(errors_off_diagonal == 1))}")
for true_d, pred_d in worst_pairs:
    print(f"  true {true_d} predicted as {pred_d}: {matrix[true_d, pred_d]} of {matrix[true_d].sum()} images")
lesson.metric("confused_pairs_2_or_more", int(np.sum(errors_off_diagonal >= 2)),
              "confused pairs with 2 or more errors", fmt=".0f")
lesson.metric("confused_pairs_exactly_1", int(np.sum(errors_off_diagonal == 1)), "confused pairs with exactly 1 error", fmt=".0f")
# Birthday problem: the chance that E errors spread uniformly over the 90 off-diagonal cells put 2+ in some cell.
n_errors = int(errors_off_diagonal.sum())
chance_of_a_double = 1 - np.prod((90 - np.arange(n_errors)) / 90)
print(f"{n_errors} errors at random over 90 cells: P(some cell gets 2 or more) = {chance_of_a_double:.2f}")
lesson.metric("off_diagonal_errs", n_errors, "off-diagonal errors", fmt=".0f")
lesson.metric("chance_random_errors_pile_up", chance_of_a_double,
              "chance that random errors put 2 or more in some cell", fmt=".2f")
lesson.metric("row_normalised_max_row_sum_err", np.abs(row_normalised.sum(axis=1) - 1).max(),
              "row-normalised confusion matrix: max |row sum - 1|",
              fmt=".1e")
true_digit, predicted_digit = worst_pairs[0]
lesson.metric("most_confused_pair_share", off_diagonal[worst_pairs[0]],
              "most confused pair: share of the true digit sent to the wrong one",
              fmt=".1%")

# The image panel is sized to the pairs shown: one row of up to three thumbnails per pair.
examples_per_pair = [np.flatnonzero((y_test == t) & (pred10 == p))[:3] for t, p in worst_pairs]
n_rows, n_cols = len(worst_pairs), max(len(examples) for examples in examples_per_pair)
thumb = min(1.6, 3.9 / n_rows)  # inches per thumbnail: as large as the rows beside the matrix allow
panel = max(n_cols * thumb, 2.6)  # wide enough for the row titles
fig = plt.figure(figsize=(7.4 + panel, 5.6))
outer = fig.add_gridspec(1, 2, width_ratios=[6.0, panel], wspace=0.4)
ax = fig.add_subplot(outer[0, 0])
image = ax.imshow(row_normalised, cmap="Blues", vmin=0, vmax=1)
for i, j in np.argwhere(matrix > 0):
    ax.text(j, i, f"{row_normalised[i, j]:.2f}".lstrip("0"), ha="center", va="center", fontsize=10,
            color="white" if row_normalised[i, j] > 0.5 else "black")
ax.set(xticks=range(10), yticks=range(10), xlabel="predicted digit", ylabel="true digit",
       title="Confusion matrix, each row divided by its total")
fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03, label="share of the row")
spare = max(4.4 - n_rows * (thumb + 0.45), 0.01) / 2  # centre the rows vertically
thumb_grid = outer[0, 1].subgridspec(n_rows + 2, n_cols, height_ratios=[spare] + [thumb + 0.45] * n_rows + [spare])
for row, ((true_d, pred_d), examples) in enumerate(zip(worst_pairs, examples_per_pair)):
    for col in range(n_cols):
        cell = fig.add_subplot(thumb_grid[row + 1, col])
        cell.axis("off")
        if col < len(examples):
            cell.imshow(x_test[examples[col]], cmap="gray_r")
        if col == 0:
            cell.set_title(f"true {true_d}, said {pred_d} ({matrix[true_d, pred_d]} images)", fontsize=12, loc="left")
fig.suptitle("Error analysis: where the mistakes are, and what they look like")
lesson.savefig(fig, "error_analysis")

# %% [markdown]
# > **Errata (article 001 §5.2, with §3.2)** Article 001's MNIST example trains with
# > `validation_data=(x_test, y_test)` and then calls `model.evaluate(x_test, y_test)`, calling the
# > result the model's generalisation. When the test set also serves as validation set, every
# > choice you make by looking at it (when to stop, which run to keep, which threshold) leaks into
# > the reported number, and that number becomes optimistic. Keep a separate validation split for
# > choices (`validation_split=0.1` or a held-out set, as `digits` provides) and evaluate on the test
# > set once.
# >
# > How large can the leak be? Take 200 "models" that answer completely at random (true accuracy
# > 50 % on a balanced yes/no question), pick the best on a 100-example validation set, then
# > measure that winner on a fresh test set.

# %%
rng = np.random.default_rng(lesson.seed)
truth_val, truth_test = rng.integers(0, 2, 100), rng.integers(0, 2, 100)
guesses_val, guesses_test = rng.integers(0, 2, (200, 100)), rng.integers(0, 2, (200, 100))
val_scores = (guesses_val == truth_val).mean(axis=1)
winner = int(np.argmax(val_scores))
winner_test = float((guesses_test[winner] == truth_test).mean())
print(f"best of 200 coin-flippers on validation: {val_scores[winner]:.0%}; the same model on test: {winner_test:.0%}")

fig, ax = plt.subplots(figsize=(7, 4.8))
# Bin edges half-way between attainable scores (multiples of 1 %), so that no score sits on an edge.
ax.hist(val_scores, bins=np.arange(0.295, 0.765, 0.02), color="tab:blue", alpha=0.8,
        label="validation accuracy of 200 random models")
ax.axvline(val_scores[winner], color="tab:red", lw=2, label=f"chosen on validation: {val_scores[winner]:.0%}")
ax.axvline(winner_test, color="tab:green", lw=2, ls="--", label=f"same model on test: {winner_test:.0%}")
ax.set(xlabel="accuracy", ylabel="number of models", title="Choosing on a set makes its score optimistic")
ax.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
fig.tight_layout()
lesson.savefig(fig, "selection_bias")
lesson.metric("selection_bias_best_val_acc", val_scores[winner],
              "selection bias: best random model's validation accuracy", fmt=".0%")
lesson.metric("selection_bias_test_acc", winner_test, "selection bias: the same model's test accuracy", fmt=".0%")

# %% [markdown]
# The winner's test score is what a coin-flipper gets: on 100 fresh examples a model that guesses
# scores 50 % with a standard deviation of $\sqrt{0.5 \cdot 0.5 / 100} = 5$ points, and the test
# score printed above lies within about two of those of 50 %. Its validation score was pure luck of
# the draw, selected.

# %% [markdown]
# ## 7. Exercises
# Each stub below is a plausible first attempt; run the check, read the feedback, fix it.
#
# **7.1 Recall.** This first attempt copies article 002's definition:

# %%
def recall(y_true, y_pred):
    tp = np.sum((y_true == 1) & (y_pred == 1))
    fp = np.sum((y_true == 0) & (y_pred == 1))
    return tp / (tp + fp) if tp + fp else 0.0


course.exercises.check("09.recall", recall);

# %% [markdown]
# **7.2 F1.** Why the *harmonic* mean? Try the ordinary average first and see which case fails.

# %%
def f1(y_true, y_pred):
    tp = np.sum((y_true == 1) & (y_pred == 1))
    precision = tp / max(np.sum(y_pred == 1), 1)
    recall = tp / max(np.sum(y_true == 1), 1)
    return (precision + recall) / 2


course.exercises.check("09.f1", f1);

# %% [markdown]
# **7.3 ROC AUC from pairs.** Write the AUC as the fraction of (positive, negative) pairs that the
# scores put in the right order. This attempt forgets something about ties.

# %%
def roc_auc(y_true, scores):
    positives, negatives = scores[y_true == 1], scores[y_true == 0]
    return (positives[:, None] > negatives[None, :]).mean()


course.exercises.check("09.roc_auc", roc_auc);

# %% [markdown]
# ## Summary
# - The confusion matrix holds every count; accuracy, precision $TP/(TP+FP)$, recall $TP/(TP+FN)$
#   and $F_1$ are ratios of its cells. Article 002 §9.3 prints precision's definition for recall.
# - On imbalanced classes accuracy rewards doing nothing: report precision, recall, F1 (or AUC).
# - The ROC curve shows every threshold at once; its AUC is the chance that a positive outscores a
#   negative. Thresholds are chosen on validation data. When positives are rare, the
#   precision-recall curve (average precision) shows what the ROC curve hides.
# - Stratified k-fold cross-validation gives a mean and a spread instead of one noisy number.
# - Scalers (standardisation, min-max normalisation) are fitted on the training split only.
# - Error analysis: a row-normalised confusion matrix, then look at the most confused images.
# - Train on the training set, choose on the validation set, report the test set once: a set you
#   chose on is no longer a measurement.
#
# Next: lesson 10 moves from images to sequences: embeddings, recurrent networks and attention.

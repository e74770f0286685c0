# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: "Trust: explanation and fairness"
#     articles: ["000 §9.3", "001 Q4", "003 Q5"]
#     quick_seconds: 22
#     full_seconds: 183
#     description: Saliency, integrated gradients and occlusion on a CNN, word attributions on a text classifier (leave-one-out, and Shapley values by a small KernelSHAP checked against the shap package), and a fairness check across groups with per-group metrics and disparity measures.
# ---

# %% [markdown]
# # 17 · Trust: explanation and fairness
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 000 §9.3 (transparency and fairness, 透明性和公平性), article 001 Q4
# (explainability 解释性: visualisation, LIME, SHAP), article 003 Q5 (fairness evaluation 公平性评估).
#
# **After this lesson you can** show which pixels a CNN used for a decision with saliency maps,
# integrated gradients and occlusion, and check that the attributions add up; say which words
# moved a text classifier, with leave-one-out and with Shapley values computed by a KernelSHAP you
# can read (checked against the `shap` package); and audit a classifier for fairness across groups with per-group
# metrics and disparity measures, knowing which fairness criteria cannot all hold at once.
#
# **Prerequisites:** lesson 07 (CNNs), lesson 09 (precision, recall, true/false positive rates).
#
# **Run time:** quick mode measured 22 s of CPU time (one run, TensorFlow, 2-core AMD EPYC CPU,
# user + system time of `kerasmodels run 17`; its wall time, 27 s on a machine shared with other
# jobs, depends on the load). Full mode (all of MNIST) was not re-measured; an earlier run took
# about 3 minutes of wall time (machine and load not recorded).

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
import shap
from scipy.stats import spearmanr

import kerasmodels as km
from kerasmodels import course
from kerasmodels.course.topics import explain, fairness

lesson = course.setup_lesson(17)
rng = np.random.default_rng(lesson.seed)

# %% [markdown]
# ## 1. A CNN to explain
# We train the package's CNN on MNIST (a subset in quick mode) and explain its decisions on
# test digits. Explanations describe *this* model, right or wrong, not the truth about digits.

# %%
x_train, y_train = km.data.load("mnist", split="train", limit=lesson.pick(3000, None))
x_test, y_test = km.data.load("mnist", split="test", limit=lesson.pick(500, None))
cnn = km.models.cnn((28, 28), 10)
km.models.compile_model(cnn)
cnn.fit(x_train, y_train, epochs=lesson.pick(2, 5), batch_size=128, verbose=0)
cnn_accuracy = cnn.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"]
lesson.metric("cnn_test_acc", cnn_accuracy, "CNN test accuracy", fmt=".1%");

# %% [markdown]
# ## 2. Saliency, integrated gradients, occlusion
# **Saliency** (显著性图) is the size of the gradient of the class score $f_c$ (its logit) with
# respect to each pixel, $\left|\partial f_c / \partial x\right|$: which pixels would change the
# score most if nudged. It is local and noisy.
#
# **Integrated gradients** (积分梯度) accumulate the gradient along the straight path from a
# baseline $x_0$ (a black image) to the input:
#
# $$\mathrm{IG}_i(x) = (x_i - x_{0,i}) \int_0^1 \frac{\partial f_c\big(x_0 + \alpha (x - x_0)\big)}{\partial x_i}\, d\alpha ,$$
#
# computed with a Riemann sum of $m$ steps. By the fundamental theorem of calculus the
# attributions satisfy **completeness**: $\sum_i \mathrm{IG}_i = f_c(x) - f_c(x_0)$. That gives
# us a check: compute both sides and compare.

# %%
explained = x_test[:6]
predicted = explain.logits(cnn, explained).argmax(1)
ig = explain.integrated_gradients(cnn, explained, steps=lesson.pick(32, 128))
gap = explain.logits(cnn, explained)[np.arange(6), predicted] - explain.logits(cnn, np.zeros_like(explained))[
    np.arange(6), predicted]
completeness_error = np.max(np.abs(ig.reshape(6, -1).sum(1) - gap) / np.abs(gap))
print("sum of IG attributions:", np.round(ig.reshape(6, -1).sum(1), 3))
print("f(x) - f(baseline):    ", np.round(gap, 3))
lesson.metric("ig_completeness_rel_err", completeness_error, "IG completeness relative error", headline=True, fmt=".2%")
lesson.metric("max_ig_background_pixel", float(np.max(np.abs(ig[explained == 0]))),
              "largest |IG| on a background pixel (x = 0)", fmt=".1e");

# %% [markdown]
# **Occlusion** (遮挡) needs no gradients at all: cover a 4×4 patch with black (MNIST's
# background, so the patch removes ink), see how much the probability of the predicted class
# drops, slide the patch over the image. Large drops mark
# the evidence the model relies on.

# %%
sal = explain.saliency(cnn, explained)
occ = explain.occlusion(cnn, explained, patch=4, stride=2, fill=0.0)
fig, axes = plt.subplots(4, 6, figsize=(12, 8.4))
for i in range(6):
    axes[0, i].imshow(explained[i], cmap="gray")
    axes[0, i].set_title(f"predicted {predicted[i]} (true {y_test[i]})", fontsize=10)
    axes[0, i].axis("off")
    explain.overlay(axes[1, i], explained[i], sal[i])
    explain.overlay(axes[2, i], explained[i], np.maximum(ig[i], 0))
    explain.overlay(axes[3, i], explained[i], np.maximum(occ[i], 0))
for row, label in enumerate(["input", "saliency |∂f/∂x|", "integrated gradients (+)", "occlusion drop (+)"]):
    axes[row, 0].text(-4, 14, label, rotation=90, va="center", ha="right", fontsize=11)
fig.suptitle("Which pixels made the CNN say its class? Three answers\n"
             "(each map scaled to its own 99th percentile: compare where, not how bright, across maps)", fontsize=13)
fig.tight_layout()
lesson.savefig(fig, "image_attributions")
plt.show()

# %% [markdown]
# Each heat map is scaled to its own 99th percentile (`explain.overlay`), so read where a map is
# bright, not how bright it is compared with another map.
#
# Saliency lights up pixels around the stroke too (where adding ink would change the score).
# Integrated gradients credit only the ink that is there, and that is forced by construction:
# with a black baseline the factor $x_i - x_{0,i}$ is 0 on every background pixel, so IG there is
# exactly 0 whatever the model does with it (the largest |IG| on a background pixel is recorded
# above). Occlusion is coarse (patch-sized) but measures an actual change of the output.
#
# Does removing the pixels an explanation ranks highest hurt the model more than removing others?
# That is a **deletion test**, a sanity check that an explanation is faithful. Its control needs
# care: only about a fifth of an MNIST image is ink, so deleting 5 % of the pixels at random
# removes only a few ink pixels, while IG's top 5 % are all ink (IG is 0 elsewhere). Setting
# a black pixel to black changes nothing, so that comparison would only show that ink matters. The
# fair control deletes the same number of ink pixels, chosen at random. We also rank the pixels
# by saliency, by the signed gradient $\partial f_c / \partial x$ that saliency takes the absolute
# value of, and by occlusion.

# %%
def delete_top(images, scores, fraction):
    flat = images.reshape(len(images), -1).copy()
    k = int(fraction * flat.shape[1])
    order = np.argsort(-scores.reshape(len(images), -1), axis=1)[:, :k]
    np.put_along_axis(flat, order, 0.0, axis=1)
    return flat.reshape(images.shape)


probe = x_test[:lesson.pick(100, 500)]
probe_class = explain.logits(cnn, probe).argmax(1)
probe_ig = explain.integrated_gradients(cnn, probe, steps=8)
probe_gradient = explain.input_gradients(cnn, probe, probe_class)  # saliency is its absolute value
ink = probe > 0
print(f"ink: {ink.mean():.1%} of the pixels, {ink.reshape(len(probe), -1).sum(1).mean():.0f} per digit on average; "
      f"5% of the image = {int(0.05 * ink[0].size)} pixels")
rankings = {
    "integrated gradients": probe_ig,
    "saliency": np.abs(probe_gradient),
    "signed gradient": probe_gradient,
    "occlusion": explain.occlusion(cnn, probe, patch=4, stride=2, fill=0.0),
    "random ink pixels": ink + 0.5 * rng.random(probe.shape),  # every ink pixel first, in random order
    "random pixels": rng.random(probe.shape),
}
removed, unchanged = {}, {}
for name, scores in rankings.items():
    deleted = delete_top(probe, scores, 0.05)
    ink_removed = np.mean(np.sum((ink & (deleted == 0)).reshape(len(probe), -1), axis=1))
    kept = np.mean(explain.logits(cnn, deleted).argmax(1) == probe_class)
    print(f"delete top 5% by {name:21s}: {ink_removed:4.1f} ink pixels per digit removed, "
          f"prediction unchanged for {kept:.0%} of {len(probe)} digits")
    lesson.metric(f"deletion_unchanged_{lesson.key_part(name)}", kept, f"deletion test, prediction unchanged: {name}", fmt=".0%")
    lesson.metric(f"deletion_removed_{lesson.key_part(name)}", ink_removed,
                  f"deletion test, ink pixels removed per digit: {name}", fmt=".1f")
    removed[name], unchanged[name] = ink_removed, kept
fewer = "fewer" if removed["occlusion"] < removed["saliency"] else "no fewer"
print(f"occlusion's top 5% removes {fewer} ink pixels than saliency's ({removed['occlusion']:.1f} against "
      f"{removed['saliency']:.1f} per digit) and leaves {unchanged['occlusion']:.0%} of the predictions unchanged "
      f"against {unchanged['saliency']:.0%}")
saliency_ink = (delete_top(probe, rankings["saliency"], 0.05) == 0) & ink  # the ink pixels saliency's top 5% removes
negative_share = np.mean(probe_gradient[saliency_ink] < 0)
print(f"of the ink pixels saliency's top 5% removes, {negative_share:.0%} have a negative gradient "
      f"(removing ink there raises the class score, to first order)")
lesson.metric("saliency_removed_negative_grad_share", negative_share,
              "share of saliency's removed ink pixels with a negative gradient", fmt=".0%")

# %% [markdown]
# Against the fair control, removing the ink pixels that integrated gradients rank highest
# changes far more predictions than removing as many ink pixels at random: IG found the ink that
# matters, not just ink. Occlusion's ranking, which measures removal directly, also changes many
# predictions; saliency's changes fewer, though still more than the control. Not because it
# removes less ink: occlusion's top 5 % removes even fewer ink pixels per digit than saliency's
# (both fewer than the control; the counts are printed above), yet changes more predictions. The
# cause is saliency's absolute value, which drops the gradient's sign: its top pixels include ink
# with a large *negative* gradient (their share is printed above), where removing ink raises the
# class score, to first order. Ranking by the signed gradient, the same single local gradient,
# changes about as many predictions as integrated gradients.
#
# A second check (Adebayo et al. 2018, "Sanity Checks for Saliency Maps"): recompute the map on an
# untrained copy of the CNN. A map that explains the *model* must change when the learned weights
# are replaced by random ones. In that paper, Guided Backprop (a gradient that passes back only
# positive values through each ReLU) and Guided GradCAM (Guided Backprop multiplied by a coarse
# class-activation map) stayed nearly unchanged when the weights were randomised, while plain
# gradient maps changed; so a plausible-looking map proves nothing by itself. Here we run the test on this lesson's CNN. No training is needed: we give the CNN freshly initialised weights (Keras's
# defaults: Glorot-uniform kernels, zero biases), take one gradient, and put the trained weights
# back. Spearman's rank correlation compares the maps pixel by pixel (1: same ranking).

# %%
trained_weights = cnn.get_weights()
cnn.set_weights([keras.ops.convert_to_numpy(keras.initializers.GlorotUniform(seed=k)(v.shape)) if v.ndim > 1
                 else np.zeros_like(v) for k, v in enumerate(trained_weights)])
sal_untrained = explain.saliency(cnn, explained, class_index=predicted)  # same class as the trained model's
cnn.set_weights(trained_weights)


def rank_correlations(maps, others):
    return np.array([spearmanr(a.ravel(), b.ravel())[0] for a, b in zip(maps, others)])


trained_vs_untrained = rank_correlations(sal, sal_untrained)
print("rank correlation, saliency of the trained vs the untrained CNN:", np.round(trained_vs_untrained, 2))
print("rank correlation with the image itself: trained", np.round(rank_correlations(sal, explained), 2),
      "untrained", np.round(rank_correlations(sal_untrained, explained), 2))
lesson.metric("saliency_corr_trained_vs_untrained", trained_vs_untrained.mean(),
              "saliency rank correlation, trained vs untrained CNN (mean of 6 digits)",
              fmt=".2f")
lesson.metric("saliency_corr_image_trained", rank_correlations(sal, explained).mean(),
              "saliency rank correlation with the image, trained CNN (mean)",
              fmt=".2f")
lesson.metric("saliency_corr_image_untrained", rank_correlations(sal_untrained, explained).mean(),
              "saliency rank correlation with the image, untrained CNN (mean)", fmt=".2f");

# %% [markdown]
# For this model, under this lesson's measure (Spearman rank correlation of the |gradient| maps, one
# of the paper's measures beside Spearman without the absolute value, SSIM and HOG similarity; the
# paper also randomises layer by layer, cascading from the top, where this lesson randomises every
# layer at once, the cascade's last step), the map changes, but far from completely: the rank correlation
# between the trained and the untrained CNN's saliency maps is well below 1 and well above 0 (0.61
# in the quick run on TensorFlow; printed above). And the untrained CNN's map follows the digit about as closely as
# the trained one's (their rank correlations with the image, printed above, are within 0.15 of
# each other). Much of a saliency map's shape comes from the input passing through a ReLU
# network, whatever its weights; only the part that changes with training is evidence about what
# this model learned. (Integrated gradients carry the factor $x_i - x_{0,i}$, which by itself
# shapes every map like the digit, so the same caution applies to them.)
#
# ## 3. Which words moved the text classifier?
# A small text classifier (a vocabulary layer, word embeddings averaged, one logit for
# "positive") on the `reviews` set. Its logit is linear in the averaged embeddings,
# $f = b + w^\top \frac{1}{n}\sum_t e_t$, so each word's exact contribution, relative to a zero
# embedding, is $w^\top e_t / n$. We compute those by hand, then ask a model-agnostic method and compare:
# **leave one word out** (occlusion applied to words: delete a word, record how much the
# prediction drops). It needs only predictions. LIME (Ribeiro et al., 2016) is a different,
# also model-agnostic idea: it samples many random perturbations of the input (words dropped at
# random), weights each by its closeness to the original, and fits a small linear model to the
# predictions; the surrogate's coefficients are the explanation.
#
# The vocabulary layer turns strings into token ids before the model sees them (as keras-io's
# text examples do): strings exist only in TensorFlow, so a model that takes token ids trains on
# every Keras backend, JAX included.

# %%
texts, labels = km.data.load("reviews", split="train")
test_texts, test_labels = km.data.load("reviews", split="test")
vectorize = keras.layers.TextVectorization(max_tokens=4000, output_sequence_length=48)
vectorize.adapt(texts)


def token_ids(batch):
    return keras.ops.convert_to_numpy(vectorize(np.asarray(batch, dtype=object)))


embed = keras.layers.Embedding(4000, 16, mask_zero=True)
head = keras.layers.Dense(1)
ids_in = keras.Input(shape=(48,), dtype="int32")
text_model = keras.Model(ids_in, head(keras.layers.GlobalAveragePooling1D()(embed(ids_in))))
text_model.compile(optimizer=keras.optimizers.Adam(0.01),
                   loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
text_model.fit(token_ids(texts), labels, epochs=lesson.pick(10, 30), batch_size=32, verbose=0)
text_accuracy = text_model.evaluate(token_ids(test_texts), test_labels, verbose=0, return_dict=True)["accuracy"]
lesson.metric("text_classifier_test_acc", text_accuracy, "text classifier test accuracy", fmt=".1%");

# %%
sentence = str(test_texts[np.argmax([len(t.split()) < 16 for t in test_texts])])
ids = token_ids([sentence])[0]
ids = ids[ids > 0]
vocabulary = vectorize.get_vocabulary()
with_endings = sum("endings" in t.lower() for t in texts)  # a substring search: no review contains it at all
print(f"vocabulary: {len(vocabulary)} entries ('' for padding, [UNK], and every distinct word of the "
      f"{len(texts)} training reviews; max_tokens=4000 is only a cap); training reviews containing 'endings': "
      f"{with_endings}")
lesson.metric("vocabulary_entries", len(vocabulary), "vocabulary entries", fmt=".0f")
lesson.metric("train_reviews_containing_endings", with_endings, "training reviews containing 'endings'", fmt=".0f")
w, b = [np.asarray(v) for v in head.get_weights()]
contributions = embed.get_weights()[0][ids] @ w[:, 0] / len(ids)
logit = float(keras.ops.convert_to_numpy(text_model.predict_on_batch(token_ids([sentence])))[0, 0])
print(f"{sentence!r}\nlogit {logit:.4f} = bias {b[0]:.4f} + sum of word contributions {contributions.sum():.4f}")
lesson.metric("word_contributions_sum_err", abs(b[0] + contributions.sum() - logit), "word contributions sum error", fmt=".1e")
order = np.argsort(-np.abs(contributions))
print("words by |contribution| (logit units): "
      + ", ".join(f"{vocabulary[ids[i]]} {contributions[i]:+.2f}" for i in order))
# Words of this sentence with no sentiment of their own ("none" and "work" carry its meaning).
no_sentiment = {"the", "film", "has", "three", "endings", "and", "of", "them"}
top_five = [str(vocabulary[ids[i]]) for i in order[:5]]
print(f"words without sentiment among the 5 largest: {[t for t in top_five if t in no_sentiment]}")
lesson.metric("no_sentiment_among_top5_words", sum(t in no_sentiment for t in top_five),
              "words without sentiment among the 5 largest |contributions|")
lesson.metric("strongest_negative_word_has_no_sentiment", int(vocabulary[ids[np.argmin(contributions)]] in no_sentiment),
              "strongest negative word has no sentiment")
# Do those words lean to one label in the training reviews? Each top word's share of positive reviews among the
# training reviews that contain it (no review is longer than the 48 tokens the model reads).
train_ids = token_ids(texts)
print(f"training reviews: {len(texts)}, positive: {np.mean(labels):.0%}")
leaning = 0  # top words without sentiment whose reviews are more than 10 points off the set's positive share
for i in order[:5]:
    with_word = np.any(train_ids == ids[i], axis=1)
    word = str(vocabulary[ids[i]])
    leaning += word in no_sentiment and abs(np.mean(labels[with_word]) - np.mean(labels)) > 0.1
    print(f"  {word!r:10s} contribution {contributions[i]:+.2f}: in {with_word.sum():3d} training reviews, "
          f"{np.mean(labels[with_word]):.0%} of them positive")
    if i == np.argmin(contributions):
        lesson.metric("strongest_negative_word_reviews", with_word.sum(),
                      "strongest negative word: training reviews containing it", fmt=".0f")
        lesson.metric("strongest_negative_word_positive_share", np.mean(labels[with_word]),
                      "strongest negative word: share of positive training reviews containing it", fmt=".0%")
lesson.metric("share_positive_train_reviews", np.mean(labels), "share of positive training reviews", fmt=".0%")
lesson.metric("top5_no_sentiment_off_share", leaning,
              "top-5 words without sentiment more than 10 points off that share", fmt=".0f")


def positive_probability(batch):
    return keras.ops.convert_to_numpy(keras.ops.sigmoid(text_model.predict_on_batch(token_ids(batch))))[:, 0]


words, leave_one_out = explain.word_occlusion(positive_probability, sentence)
if len(words) == len(ids):  # one token per word here, so the two methods can be compared word by word
    print(f"same sign for {np.mean(np.sign(contributions) == np.sign(leave_one_out)):.0%} of the words")

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 0.42 * len(ids) + 1.5), sharey=False)
tokens = [vocabulary[i] for i in ids]
for ax, values, labels_, title, xlabel in [
        (axes[0], contributions, tokens, "exact contribution to the logit", r"$w^\top e_t\,/\,n$ (logit units)"),
        (axes[1], leave_one_out, words, "leave one out", "P(text) − P(text without the word)")]:
    # Sign by colour and by hatching (negative bars hatched), for readers who cannot tell red from green.
    ax.barh(range(len(values))[::-1], values, color=["tab:green" if v > 0 else "tab:red" for v in values],
            hatch=["" if v > 0 else "//" for v in values])
    ax.set_yticks(range(len(values))[::-1], labels_)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
fig.suptitle(f"Why P(positive) = {positive_probability([sentence])[0]:.2f}?", fontsize=13)
fig.tight_layout()
lesson.savefig(fig, "word_attributions")
plt.show()

# %% [markdown]
# The left panel lists the tokens the model sees, the right one the words of the text: a word
# outside the vocabulary is `[UNK]` on the left. The vocabulary has 3,027 entries (printed above),
# every word of the training reviews (`max_tokens=4000` is only a cap); "endings" never occurs
# there, so it is `[UNK]`.
#
# The two mostly agree on the words that matter most, but not exactly: removing a word also
# changes $n$, the number of words averaged, so leave-one-out mixes a word's own effect with
# the effect of the sentence getting shorter. Model-agnostic explanations approximate; check
# them against an exact decomposition where one exists.
#
# Then read what the explanation says about the model. The words printed above in order of
# |contribution| include words with no sentiment of their own among the largest (they are listed
# under them): in the quick run on TensorFlow, "film" pushes hardest towards negative, "three"
# also pushes negative, and "and" and "them" push towards positive; "none", a word with
# sentiment, is among them too. Did "film" come mostly with negative reviews? No: the counts
# printed under the list show it in about a hundred of the 1,360 training reviews, about half of
# them positive, like the training set as a whole. Of the words without sentiment only "three"
# leans clearly to one label there (more than 10 points off the set's share). An attribution
# tells what the model uses, not why: a tiny model trained on 1,360 reviews, right on about three
# test reviews in four (its accuracy is printed above), has learned weights that are not a
# word-by-word sentiment score. Finding such surprises is what an explanation is for; explaining
# them needs other experiments.
#
# ### SHAP: Shapley values (沙普利值) of the words
# **SHAP** (SHapley Additive exPlanations, Lundberg & Lee 2017) treats the $M$ words as players
# in a game whose payout is the prediction. A coalition $z \in \{0,1\}^M$ keeps the words with
# $z_i = 1$ and replaces the others by background values; $v(z)$ is the prediction averaged over
# the background rows. Word $i$'s **Shapley value** is its marginal contribution averaged over
# every order in which the words could join:
#
# $$\phi_i = \sum_{S \subseteq \{1..M\} \setminus \{i\}} \frac{|S|!\,(M-|S|-1)!}{M!}\,\big(v(S \cup \{i\}) - v(S)\big).$$
#
# **KernelSHAP** gets the same numbers from a weighted least squares over coalitions, with the
# Shapley kernel $\pi(z) = \frac{M-1}{\binom{M}{|z|}\,|z|\,(M-|z|)}$ and the **efficiency**
# constraint that the attributions add up to the gap from the average prediction:
#
# $$\min_\phi \sum_z \pi(z)\big(v(z) - v(\mathbf{0}) - z^\top\phi\big)^2 \quad\text{s.t.}\quad \sum_i \phi_i = f(x) - \mathbb{E}[f(\text{background})].$$
#
# With all $2^M - 2$ coalitions it is exact (the empty and the full coalition have infinite
# weight: they enter as $v(\mathbf{0})$ and the constraint); for large $M$ one samples coalitions. `explain.kernel_shap` is that, in about 30 lines.
#
# Here the features are the sentence's token ids, and the background is one row of `[UNK]`, the
# token the vocabulary layer gives a word it does not know: a word outside the coalition becomes
# `[UNK]`, so the sentence keeps its length $n$. (Deleting it, as leave-one-out did above, would
# leave the empty coalition with no words to average.) We explain $P(\text{positive})$ with our
# function and with `shap.KernelExplainer` on the same numpy predict function and background,
# asking it to enumerate every coalition without its L1 feature selection.

# %%
def padded(rows):
    rows = np.asarray(rows).round().astype("int32")  # shap passes float rows
    return np.pad(rows, ((0, 0), (0, 48 - rows.shape[1])))  # id 0 = padding, masked


def logit_of_ids(rows):  # a direct call: batches of every size, no retraced predict function
    return keras.ops.convert_to_numpy(text_model(padded(rows), training=False))[:, 0].astype("float64")


def positive_probability_of_ids(rows):
    return 1 / (1 + np.exp(-logit_of_ids(rows)))


unknown_id = vocabulary.index("[UNK]")
all_unknown = np.full((1, len(ids)), unknown_id)  # the background: one row of [UNK]
assert len(ids) <= 12, "enumerating 2^M coalitions is for a short sentence"
our_shap, expected_p = explain.kernel_shap(positive_probability_of_ids, ids, all_unknown)
explainer = shap.KernelExplainer(positive_probability_of_ids, all_unknown.astype("float64"))
package_shap = explainer.shap_values(ids[None].astype("float64"), nsamples=2 ** len(ids) - 2, l1_reg=False,
                                     silent=True)[0]
p_sentence = positive_probability_of_ids(ids[None])[0]
shap_difference = np.max(np.abs(our_shap - package_shap))
efficiency_error = abs(our_shap.sum() - (p_sentence - expected_p))
print(f"M = {len(ids)} words, {2 ** len(ids) - 2} coalitions; P(sentence) = {p_sentence:.4f}, "
      f"E[f(background)] = P(all [UNK]) = {expected_p:.4f} (shap: {float(np.ravel(explainer.expected_value)[0]):.4f})")
print(f"sum of SHAP values {our_shap.sum():.4f} = P(sentence) - P(all [UNK]) = {p_sentence - expected_p:.4f}")
lesson.metric("kernel_shap_vs_shap_max_diff", shap_difference, "KernelSHAP vs shap.KernelExplainer max difference", fmt=".1e")
lesson.metric("shap_efficiency_err", efficiency_error, "SHAP efficiency error", fmt=".1e");

# %% [markdown]
# Leave-one-out with the same background, $f(x) - f(x \text{ with word } i \to \texttt{[UNK]})$,
# changes one word against the full sentence only; SHAP averages over all coalitions. On the
# logit, a sum of one term per word, the two should coincide with the exact contributions
# $w^\top(e_t - e_{\texttt{[UNK]}})/n$. On the probability, the sigmoid couples the words.

# %%
one_word_unknown = np.where(np.eye(len(ids), dtype=bool), unknown_id, ids)  # row i: word i -> [UNK]
loo_p = p_sentence - positive_probability_of_ids(one_word_unknown)
loo_logit = logit_of_ids(ids[None])[0] - logit_of_ids(one_word_unknown)
logit_shap, _ = explain.kernel_shap(logit_of_ids, ids, all_unknown)
embeddings = embed.get_weights()[0]
row_norms = np.linalg.norm(embeddings, axis=1)
unknown_norm, word_norm = row_norms[unknown_id], np.median(row_norms[2:len(vocabulary)])  # 0: padding, 1: [UNK]
unused_norm = np.median(row_norms[len(vocabulary):])  # ids no token maps to: never updated, still at initialisation
sigmoid_bias = 1 / (1 + np.exp(-b[0]))
print(f"embedding row norms: [UNK] {unknown_norm:.2f}, median of the vocabulary's words {word_norm:.2f}, median of "
      f"the unused ids {unused_norm:.2f}; P(all [UNK]) {expected_p:.4f} vs sigmoid(bias) {sigmoid_bias:.4f}")
lesson.metric("unk_embedding_norm", unknown_norm, "embedding row norm of [UNK]", fmt=".2f")
lesson.metric("median_vocab_embedding_norm", word_norm, "median embedding row norm, vocabulary words", fmt=".2f")
lesson.metric("median_unused_embedding_norm", unused_norm, "median embedding row norm, unused ids", fmt=".2f")
lesson.metric("sigmoid_text_bias", sigmoid_bias, "sigmoid of the text classifier's bias", fmt=".4f")
exact_vs_unknown = (embeddings[ids] - embeddings[unknown_id]) @ w[:, 0] / len(ids)
logit_shap_error, logit_loo_error = np.max(np.abs(logit_shap - exact_vs_unknown)), np.max(np.abs(loo_logit - exact_vs_unknown))
print(f"logit: max |SHAP - exact| {logit_shap_error:.1e}, max |leave-one-out - exact| {logit_loo_error:.1e}")
loo_gap = abs(loo_p.sum() - (p_sentence - expected_p))
print(f"P(positive): max |SHAP - leave-one-out| {np.max(np.abs(our_shap - loo_p)):.4f}; leave-one-out sums to "
      f"{loo_p.sum():.4f}, not {p_sentence - expected_p:.4f}")
known = ids != unknown_id  # a word already [UNK] gets 0 from both: replacing it changes nothing
larger_share = np.mean(np.abs(our_shap[known]) > np.abs(loo_p[known]))
print(f"|SHAP| > |leave-one-out| for {larger_share:.0%} of the {known.sum()} words the vocabulary knows; "
      f"sigmoid slope P(1 - P) {p_sentence * (1 - p_sentence):.3f} at the sentence, "
      f"{expected_p * (1 - expected_p):.3f} at all [UNK]")
lesson.metric("logit_shap_vs_exact_max_diff", logit_shap_error, "logit SHAP vs exact contributions max difference", fmt=".1e")
lesson.metric("logit_loo_vs_exact_max_diff", logit_loo_error,
              "logit leave-one-out vs exact contributions max difference", fmt=".1e")
lesson.metric("prob_shap_vs_loo_max_diff", np.max(np.abs(our_shap - loo_p)),
              "probability SHAP vs leave-one-out max difference", fmt=".4f")
lesson.metric("loo_efficiency_err", loo_gap, "leave-one-out efficiency error", fmt=".4f")
lesson.metric("p_positive_sentence", p_sentence, "P(positive) of the explained sentence", fmt=".4f")
lesson.metric("p_positive_all_unk", expected_p, "P(positive) of the all-[UNK] background", fmt=".4f")
lesson.metric("share_shap_above_loo", larger_share, "share of known words with |SHAP| > |leave-one-out|", fmt=".0%")
lesson.metric("unknown_words_in_sentence", int((~known).sum()), "words of the sentence the vocabulary does not know")
lesson.metric("max_attribution_unk_word", float(np.max(np.abs(np.r_[our_shap[~known], loo_p[~known]]), initial=0.0)),
              "largest |SHAP| or |leave-one-out| of an [UNK] word", fmt=".1e");

# %%
fig, ax = plt.subplots(figsize=(9, 0.55 * len(ids) + 1.6))
bar_rows = np.arange(len(ids))[::-1]
for offset, values, label, style in [
        (0.27, our_shap, "ours: explain.kernel_shap", dict(color="tab:blue")),
        (0.0, package_shap, "shap.KernelExplainer", dict(color="tab:orange", hatch="..")),
        (-0.27, loo_p, "leave-one-out (word -> [UNK])", dict(color="0.6", hatch="//"))]:
    ax.barh(bar_rows + offset, values, height=0.27, label=label, edgecolor="black", linewidth=0.5, **style)
ax.set_yticks(bar_rows, tokens)
ax.axvline(0, color="black", linewidth=0.8)
ax.set_xlabel("attribution to P(positive)")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=3, fontsize=10)
ax.set_title(f"SHAP values add up to P(sentence) − P(all [UNK]) = {p_sentence - expected_p:+.3f}; "
             f"leave-one-out to {loo_p.sum():+.3f}", fontsize=11)
fig.suptitle(f"Shapley values of the words: ours vs shap (max difference {shap_difference:.0e})", fontsize=13)
fig.tight_layout()
lesson.savefig(fig, "shap_word_attributions")
plt.show()

# %% [markdown]
# Our KernelSHAP and `shap.KernelExplainer` agree to rounding, and the values add up to
# P(sentence) − P(all `[UNK]`): the efficiency constraint holds. A word the vocabulary does not
# know is `[UNK]` already; replacing it changes nothing, so both give it 0.
#
# On the logit, SHAP and leave-one-out both recover the exact contributions
# $w^\top(e_t - e_{\texttt{[UNK]}})/n$ up to float32 rounding: when the output is a sum of one
# term per word, a word adds the same amount to every coalition, so averaging over coalitions
# changes nothing. These are the contributions $w^\top e_t / n$ above, each shifted by
# $w^\top e_{\texttt{[UNK]}}/n$: an additive decomposition is defined relative to a reference (a
# zero embedding there, `[UNK]` here), like IG's baseline and SHAP's background. The two references
# are close here: `[UNK]` never occurs in the training reviews (the vocabulary holds all their words),
# so its embedding row keeps its small initial value (its norm is about that of the unused ids'
# rows, far below the words' median), and
# P(all `[UNK]`) is within a few points of sigmoid(bias), the prediction for a zero embedding (all
# printed above). On $P(\text{positive})$ SHAP and leave-one-out differ. The sentence sits where the sigmoid is
# flatter than at P(all `[UNK]`) (the slopes $P(1-P)$ printed above), and leave-one-out measures
# each word only there; SHAP averages the word's effect over all coalitions, many of them nearer
# P(all `[UNK]`). Here every word the vocabulary knows gets a larger attribution, in absolute
# value, from SHAP than from leave-one-out, and leave-one-out's values do not add up to the gap.
#
# > **Errata (article 001 Q4)** "使用可视化工具，如 TensorBoard、MOMENTUM 等" ("use visualisation tools
# > such as TensorBoard, MOMENTUM"). There is no explanation tool called MOMENTUM: momentum is an
# > optimizer term (lesson 05). And TensorBoard shows training curves, graphs and internal
# > activations (histograms, the embedding projector), but it computes no attributions (its
# > What-If Tool plugin could only display attributions the model itself supplied): it does not
# > say *why* a prediction was made. The methods that answer that
# > question are the ones in this lesson:
# > gradients (saliency, integrated gradients), perturbations (occlusion, leave-one-out, LIME),
# > and Shapley values (SHAP, computed above), and each should pass a check such as
# > completeness, efficiency or deletion.
#
# ## 4. Fairness across groups
# A bank wants a model to approve loans. We construct the data so we know the truth: applicants
# from two groups, A (70 %) and B (30 %). Everybody repays by the *same* rule of income, debt
# ratio and years employed, but group B earns less on average (a historical disadvantage), so
# its base rate of repaying is lower. The model never sees the group column. It sees income,
# which differs between the groups, and a postcode area that matches the group 85 % of the time,
# a **proxy** (代理变量) from which a model could recover the group. In this data the postcode
# plays no part in the repayment rule: given income, debt and years it says nothing about
# repaying, and we measure below how much the model uses it.

# %%
loans = fairness.make_loans(lesson.pick(6000, 30000), seed=lesson.seed)
n_train = len(loans["y"]) * 2 // 3
x_loans, y_loans, group = loans["x"], loans["y"], loans["group"]
credit = km.models.mlp((4,), 1, hidden_units=(16,))
km.models.compile_model(credit, learning_rate=0.01)
credit.fit(x_loans[:n_train], y_loans[:n_train], epochs=lesson.pick(6, 20), batch_size=64, verbose=0)
scores = keras.ops.convert_to_numpy(keras.ops.sigmoid(credit.predict(x_loans[n_train:], verbose=0)))[:, 0]
y_true, g_test = y_loans[n_train:], group[n_train:]
approve = (scores >= 0.5).astype(int)
names = dict(enumerate(fairness.GROUP_NAMES))
before = fairness.group_metrics(y_true, approve, g_test, names)
print(fairness.format_table(before))
dpd = fairness.demographic_parity_difference(approve, g_test)
dir_ = fairness.disparate_impact_ratio(approve, g_test)
eod = fairness.equal_opportunity_difference(y_true, approve, g_test)
print(f"demographic parity difference {dpd:.3f}, disparate impact ratio {dir_:.2f} "
      f"({'fails' if dir_ < 0.8 else 'passes'} the four-fifths rule), equal opportunity difference {eod:.3f}")
lesson.metric("disparate_impact_ratio", dir_, "disparate impact ratio", fmt=".2f")
lesson.metric("equal_opportunity_diff", eod, "equal opportunity difference", fmt=".3f")
for group_name in before:
    for rate in ("selection rate", "TPR", "FPR"):
        lesson.metric(f"one_threshold_{lesson.key_part(rate)}_{lesson.key_part(group_name)}", before[group_name][rate],
                      f"one threshold: {rate}, {group_name}", fmt=".3f")

# Where does the gap come from? 1. The postcode: flip it (standardised column 3 takes two values)
# and count changed decisions; then give everybody the same postcode.
postcode_values = np.unique(x_loans[:, 3])
x_flipped = x_loans[n_train:].copy()
x_flipped[:, 3] = np.where(x_flipped[:, 3] == postcode_values[0], postcode_values[1], postcode_values[0])


def decisions(features):
    return (keras.ops.convert_to_numpy(keras.ops.sigmoid(credit.predict(features, verbose=0)))[:, 0] >= 0.5).astype(int)


changed = np.mean(decisions(x_flipped) != approve)
print(f"\nflipping every applicant's postcode changes {changed:.1%} of the decisions")
lesson.metric("postcode_flip_changed_share", changed, "share of decisions changed by flipping the postcode", fmt=".1%")
selection_gap = before["group A"]["selection rate"] - before["group B"]["selection rate"]
one_postcode_gaps = []
for value, area in zip(postcode_values, ("A", "B")):
    same_postcode = x_loans[n_train:].copy()
    same_postcode[:, 3] = value
    rates = fairness.group_metrics(y_true, decisions(same_postcode), g_test, names)
    gap = rates["group A"]["selection rate"] - rates["group B"]["selection rate"]
    print(f"everybody in postcode area {area}: selection-rate gap A - B {gap:.3f} (with their own postcodes "
          f"{selection_gap:.3f})")
    lesson.metric(f"selection_gap_postcode_{lesson.key_part(area)}", gap,
                  f"selection-rate gap with every postcode set to area {area}", fmt=".3f")
    one_postcode_gaps.append(gap)
lesson.metric("selection_gap_one_threshold", selection_gap, "selection-rate gap, one threshold", fmt=".3f")
direction = ("widens the gap, either one" if min(one_postcode_gaps) > selection_gap
             else "narrows the gap, either one" if max(one_postcode_gaps) < selection_gap
             else "widens the gap with one area and narrows it with the other")
print(f"one postcode for everybody {direction}")
# 2. Income: the true repayment rule itself (approve when the true probability of repaying >= 0.5).
true_score = (2.2 * (loans["log_income"] - 10.4) - 4.0 * (loans["debt"] - 0.3) + 0.08 * (loans["years"] - 6)
              + 0.6)  # the rule inside fairness.make_loans, in log-odds
true_rule = fairness.group_metrics(y_true, (true_score[n_train:] >= 0).astype(int), g_test, names)
print("the true repayment rule, threshold 0.5:")
print(fairness.format_table(true_rule))
for group_name in true_rule:
    for rate in ("selection rate", "TPR"):
        lesson.metric(f"true_rule_{lesson.key_part(rate)}_{lesson.key_part(group_name)}", true_rule[group_name][rate],
                      f"true rule: {rate}, {group_name}", fmt=".3f")
for rate in ("selection rate", "TPR"):
    model_gap = before["group A"][rate] - before["group B"][rate]
    rule_gap = true_rule["group A"][rate] - true_rule["group B"][rate]
    print(f"{rate} gap A - B: model {model_gap:.3f}, true rule {rule_gap:.3f}")
    lesson.metric(f"{lesson.key_part(rate)}_gap_model_minus_true", model_gap - rule_gap,
                  f"{rate} gap A - B, model minus true rule", fmt=".3f");

# %% [markdown]
# The disparate impact ratio printed above is the lowest group selection rate over the highest.
# Its 0.8 cut-off, the "four-fifths rule", is a rule of thumb from US employment selection (the
# EEOC's Uniform Guidelines on Employee Selection Procedures, 1978), not a legal test for credit.
#
# Leaving the group column out ("fairness through unawareness") did not make the outcomes equal
# across groups, although the group is never an input. Group B is approved less often, and
# *among people who would repay*, B is approved less often too (lower TPR): the model's false
# rejections fall more on B. Its false approvals fall more on A (higher FPR): more of A's
# non-repayers are approved.
#
# Most of the gap comes from income. Even the true repayment rule, applied with the same 0.5
# threshold, approves B less often and has a lower TPR for B: B's repayers earn less on average,
# so more of them have a repayment probability below 0.5. And with one postcode for everybody,
# either one, the model's selection-rate gap stays near the true rule's (printed above). How much
# the postcode adds to the gap or removes from it depends on the run: in this one, flipping it
# changes a few percent of the decisions and one postcode for everybody, either one, widens the gap
# by a few points (quick run on TensorFlow; the direction is printed above), so here the model's
# use of the postcode narrowed the gap; in other initialisations one postcode for everybody shrinks the gap by
# up to about a fifth (a separate run, not this notebook: random seeds 0-7, quick mode's 6,000
# loans and 6 epochs, TensorFlow on this 2-core CPU, `bench/lesson17_postcode_seeds.py`; it shrank
# in 4 of the 8 runs, the most from 0.340 to 0.274, and the model's gap minus the true rule's
# ranged from -0.03 to +0.07). Income here
# is a legitimate feature, part of the rule by which everybody repays, not a proxy leaking the
# group. A group gap in outcomes does not need a proxy; a feature that differs between the groups
# and matters for the outcome is enough. Whether such a gap is acceptable is a question for the
# fairness criterion you choose (below), not for the features. (A proxy does matter when the group
# itself, not income, drove the labels, for example in decisions made by biased people.)
#
# One repair (Hardt et al. 2016, **equal opportunity**): choose a threshold per group so that
# both groups get the same true positive rate. Thresholds are fitted, like weights, so they are
# fitted on applicants we do not audit: here the training applicants (a separate validation split
# would be cleaner still, since the model has seen these), with group A's TPR there as the target.
# The audit is on the test applicants, as before.

# %%
train_scores = keras.ops.convert_to_numpy(keras.ops.sigmoid(credit.predict(x_loans[:n_train], verbose=0)))[:, 0]
y_fit, g_fit = y_loans[:n_train], group[:n_train]
target_tpr = fairness.group_metrics(y_fit, (train_scores >= 0.5).astype(int), g_fit, names)["group A"]["TPR"]
thresholds = fairness.equal_opportunity_thresholds(train_scores, y_fit, g_fit, target_tpr=target_tpr)
approve_eo = (scores >= np.vectorize(thresholds.get)(g_test)).astype(int)
after = fairness.group_metrics(y_true, approve_eo, g_test, names)
print("thresholds (fitted on the training applicants):", {names[g]: round(t, 3) for g, t in thresholds.items()})
print(fairness.format_table(after))
eod_after = fairness.equal_opportunity_difference(y_true, approve_eo, g_test)
# For comparison: thresholds fitted on the test applicants themselves, then scored on them (in-sample).
in_sample = fairness.equal_opportunity_thresholds(scores, y_true, g_test, target_tpr=before["group A"]["TPR"])
eod_in_sample = fairness.equal_opportunity_difference(y_true, (scores >= np.vectorize(in_sample.get)(g_test)).astype(int),
                                                      g_test)
print(f"equal opportunity difference on the test applicants: one threshold {eod:.3f} -> "
      f"{eod_after:.3f} with the fitted thresholds (fitted on the test applicants themselves: {eod_in_sample:.3f})")
lesson.metric("equal_opportunity_diff_train_fit", eod_after,
              "equal opportunity difference, thresholds fitted on the training applicants", fmt=".3f")
lesson.metric("equal_opportunity_diff_in_sample", eod_in_sample,
              "equal opportunity difference, thresholds fitted in-sample", fmt=".3f")
repayers_b = round(before["group B"]["n"] * before["group B"]["base rate"])
tpr_b = after["group B"]["TPR"]
print(f"group B's TPR {tpr_b:.3f} rests on {repayers_b} repayers: standard error "
      f"sqrt(TPR (1 - TPR) / {repayers_b}) = {np.sqrt(tpr_b * (1 - tpr_b) / repayers_b):.3f}")
lesson.metric("test_group_b_repaid", repayers_b, "test applicants in group B who repaid", fmt=".0f")
lesson.metric("std_err_group_b_tpr_repaired", np.sqrt(tpr_b * (1 - tpr_b) / repayers_b),
              "standard error of group B's TPR after the repair", fmt=".3f")
print(f"group B, one threshold -> fitted thresholds: FPR {before['group B']['FPR']:.3f} -> {after['group B']['FPR']:.3f}, "
      f"accuracy {before['group B']['accuracy']:.3f} -> {after['group B']['accuracy']:.3f}")
lesson.metric("repaired_fpr_group_b", after["group B"]["FPR"], "after the repair: FPR, group B", fmt=".3f")
lesson.metric("one_threshold_acc_group_b", before["group B"]["accuracy"], "one threshold: accuracy, group B", fmt=".3f")
lesson.metric("repaired_acc_group_b", after["group B"]["accuracy"], "after the repair: accuracy, group B", fmt=".3f")

# %%
metrics_shown = ["selection rate", "TPR", "FPR", "precision"]
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
for ax, table, title in [(axes[0], before, "one threshold (0.5)"),
                         (axes[1], after, "equal-opportunity thresholds (fitted on training)")]:
    for k, name in enumerate(table):
        ax.bar(np.arange(4) + 0.38 * k - 0.19, [table[name][m] for m in metrics_shown], width=0.38, label=name,
               hatch="//" if k else "", edgecolor="black", linewidth=0.5)
    ax.set_xticks(range(4), metrics_shown)
    ax.set_title(title)
    ax.set_ylim(0, 1)
    ax.grid(axis="y", alpha=0.3)
axes[0].set_ylabel("rate")
axes[0].legend()
fig.suptitle("Loan model audited by group: equalising TPR leaves other gaps", fontsize=13)
fig.tight_layout()
lesson.savefig(fig, "fairness_by_group")
plt.show()

# %% [markdown]
# On the test applicants the fitted thresholds shrink the equal-opportunity gap to a fraction of
# the one-threshold gap, but not to exactly 0: they were fitted on other applicants, and group B's
# TPR rests on the few hundred repayers among its test applicants (quick mode), so its standard
# error (printed above) is a couple of points. The in-sample number is near 0 by construction (the
# thresholds were chosen to make it so) and is no evidence that the repair works; report the
# held-out one.
#
# The repair has costs. It uses the group at decision time: the model never sees the group
# column, but the thresholds do, so two applicants with the same score can get different
# decisions because of their group. That is explicit group-based treatment, which
# anti-discrimination law restricts in some domains, lending among them (in the US the Equal
# Credit Opportunity Act forbids credit decisions based on race, sex and other protected
# attributes). And B's lower threshold approves more of B's non-repayers too: in the quick run
# on TensorFlow group B's FPR rose from 0.265 to 0.507 and its accuracy fell from 0.729 to 0.688
# (printed above).

# %% [markdown]
# > **Errata (article 003 Q5)** "公平性评估：……确保模型在各种数据分布上的表现一致" ("fairness
# > evaluation ensures the model performs consistently on every data distribution"). That is
# > impossible in general: when the groups' base rates differ, a classifier cannot have equal
# > precision *and* equal TPR *and* equal FPR across them unless it is degenerate: PPV = 1 (no
# > false positives) or TPR = 0 in every group (Chouldechova 2017; Kleinberg et al. 2016 prove the analogue
# > for risk scores: calibration within groups and balance for both classes cannot all hold,
# > except with perfect prediction).
# > Chouldechova's identity shows why. For any classifier, in any group
# > with base rate $p$, arithmetic on the confusion matrix gives
# >
# > $$\mathrm{FPR} = \frac{p}{1-p}\cdot\frac{1-\mathrm{PPV}}{\mathrm{PPV}}\cdot\mathrm{TPR},$$
# >
# > with PPV the precision. (With PPV = 1 the right side is 0 for any $p$; with TPR = 0 there are
# > no true positives, PPV is 0 or undefined and the identity does not fix the FPR: those are the
# > exceptions.)
# > The repair made the TPRs nearly equal. If the PPVs were equal too (and below 1), the FPRs
# > would differ by the ratio of the groups' $p/(1-p)$; if the FPRs were equal (and not 0), the PPVs would
# > have to differ instead. With unequal base rates, one of them must give. The cell below checks
# > the identity on both rows of the table after the repair. (The selection rate, demographic
# > parity, is another criterion, not part of this identity.) A fairness check must name the
# > criterion it chose, and why, and report the others.

# %%
identity_error = 0.0
for group_name, row in after.items():
    p = row["base rate"]
    implied_fpr = p / (1 - p) * (1 - row["precision"]) / row["precision"] * row["TPR"]
    identity_error = max(identity_error, abs(implied_fpr - row["FPR"]))
    print(f"{group_name}: p/(1-p) = {p / (1 - p):.2f}, TPR {row['TPR']:.3f}, PPV {row['precision']:.3f} -> "
          f"FPR by the identity {implied_fpr:.3f}, measured {row['FPR']:.3f}")
gap_precision = abs(after["group A"]["precision"] - after["group B"]["precision"])
gap_fpr = abs(after["group A"]["FPR"] - after["group B"]["FPR"])
print(f"after equalising TPR: precision gap {gap_precision:.3f}, FPR gap {gap_fpr:.3f}, "
      f"base rates {after['group A']['base rate']:.2f} vs {after['group B']['base rate']:.2f}")
lesson.metric("chouldechova_max_err_repaired", identity_error, "Chouldechova identity, largest error after the repair", fmt=".1e")
lesson.metric("repaired_tpr_gap", abs(after["group A"]["TPR"] - after["group B"]["TPR"]), "after the repair: TPR gap", fmt=".3f")
lesson.metric("repaired_precision_gap", gap_precision, "after the repair: precision gap", fmt=".3f")
lesson.metric("repaired_fpr_gap", gap_fpr, "after the repair: FPR gap", fmt=".3f")

# %% [markdown]
# Article 000 §9.3 also asks for **algorithmic transparency** (算法透明性: publishing the model's
# architecture, training data and evaluation metrics); its documentation side has standard forms.
# A **model card** (Mitchell et al. 2019, "Model Cards for Model Reporting") states a model's
# intended use, its training and evaluation data and its metrics broken down by group, as in the
# audit above; a **datasheet** (Gebru et al. 2018, "Datasheets for Datasets"; Communications of
# the ACM 2021) records why and how a data set was collected, what it contains and what it
# should and should not be used for.
#
# ## 5. Exercises
# First, demographic parity: the largest minus the smallest selection rate over *all* groups.
# This attempt works for two groups only.

# %%
def demographic_parity_difference(y_pred, groups):
    y_pred, groups = np.asarray(y_pred), np.asarray(groups)
    return abs(y_pred[groups == 0].mean() - y_pred[groups == 1].mean())


course.exercises.check("17.demographic_parity_difference", demographic_parity_difference);

# %% [markdown]
# Equal opportunity compares true positive rates: the approval rate among the people with
# `y_true == 1`, per group (largest minus smallest).

# %%
def equal_opportunity_difference(y_true, y_pred, groups):
    y_pred, groups = np.asarray(y_pred), np.asarray(groups)
    rates = [y_pred[groups == g].mean() for g in np.unique(groups)]
    return max(rates) - min(rates)


course.exercises.check("17.equal_opportunity_difference", equal_opportunity_difference);

# %% [markdown]
# Finally, integrated gradients from a gradient function: average `grad_fn` at $m$ points along
# the path, $x_0 + \alpha_k (x - x_0)$, and multiply by $x - x_0$. The midpoints
# $\alpha_k = \frac{k + 1/2}{m}$, $k = 0..m-1$, are what `explain.integrated_gradients` uses: for a
# smooth $f$, such as the checker's cases, their error is $O(1/m^2)$ against $O(1/m)$ for the
# endpoint sums; through a ReLU network's kinks the path gradient jumps, and both are $O(1/m)$. The right Riemann sum
# $\alpha_k = k/m$, $k = 1..m$, of the IG paper (Sundararajan et al. 2017) and the mean over
# `np.linspace(0, 1, m)` are accepted too. The attempt below is "gradient × input",
# which equals IG only when the gradient is the same all along the path (for example, a linear
# function).

# %%
def integrated_gradients(grad_fn, x, baseline, steps):
    return (x - baseline) * grad_fn(x)


course.exercises.check("17.integrated_gradients", integrated_gradients);

# %% [markdown]
# ## Summary
# - Saliency $|\partial f_c/\partial x|$ is cheap and local; integrated gradients add up to
#   $f(x) - f(x_0)$ (completeness), a check you can run; occlusion needs only predictions.
# - Test an explanation: completeness, deletion tests, the model-randomisation check (a map that
#   barely changes on an untrained copy is not about the model), or an exact decomposition where
#   the model allows one (the averaged-embedding text model).
# - SHAP values are Shapley values: a feature's marginal contribution averaged over coalitions.
#   KernelSHAP finds them by a weighted least squares with the efficiency constraint
#   $\sum_i \phi_i = f(x) - \mathbb{E}[f(\text{background})]$, exactly when all $2^M - 2$ coalitions
#   are enumerated (the empty and full ones enter as constraints); ours matched `shap.KernelExplainer`. On an output that is a sum of per-word
#   terms SHAP equals leave-one-out with the word replaced by `[UNK]`; through the sigmoid they
#   differ, and only SHAP adds up.
# - Fairness is audited per group: selection rate (demographic parity), TPR (equal
#   opportunity), TPR and FPR (equalised odds), precision (predictive parity). Dropping the
#   group column does not make outcomes equal across groups: a feature that differs between groups
#   and matters for the outcome gives them different outcomes (here mostly income: with one
#   postcode for everybody the gap stayed near the true rule's; how much the postcode proxy added
#   or removed varied between runs); test which feature drives a gap before blaming a proxy.
# - With different base rates these criteria conflict; choose one, say why, report the rest.
#
# Next: lesson 18 asks what a model and its training reveal about the people in the data.

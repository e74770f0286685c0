# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Privacy
#     articles: ["001 Q5", "003 Q4", "004 term 10"]
#     quick_seconds: 49
#     full_seconds: 800
#     description: Why removing names is not anonymisation, DP-SGD by hand with its privacy-utility curve, and federated averaging over non-IID clients.
# ---

# %% [markdown]
# # 18 · Privacy
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 001 Q5 and 003 Q4 (anonymisation 匿名化 / 数据脱敏, differential privacy
# 差分隐私), article 004 term 10 (federated learning 联邦学习).
#
# **After this lesson you can** show why a table without names can still identify people;
# state what differential privacy promises and train a model with DP-SGD by hand (per-example
# clipping and noise), reading off its privacy cost ε; simulate federated averaging over
# clients whose data differ (non-IID); and explain why neither "adding noise" nor "training
# federated" protects anyone by itself.
#
# **Prerequisites:** lessons 02–03 (gradients, softmax cross-entropy), lesson 06 (a Keras MLP).
#
# **Run time:** quick (the `digits` set) needs about 16 s of CPU time: measured at 49 s of wall
# time on a 2-core CPU shared with about eight other jobs. Full (MNIST): about 13 min of wall time,
# measured once on a 2-core CPU shared with other jobs, on an earlier version of this lesson with
# the same full-mode settings (23 November 2026); not re-measured since.

# %%
import math
from statistics import NormalDist

import matplotlib.pyplot as plt
import numpy as np

import kerasmodels as km
from kerasmodels import course
from kerasmodels.course.topics import privacy

lesson = course.setup_lesson(18)
rng = np.random.default_rng(lesson.seed)

# %% [markdown]
# ## 1. Removing names is not anonymisation
# Article 001 Q5 recommends "anonymisation (匿名化处理) to lower the risk of leaks". The usual way
# is to delete the direct identifiers (name, ID number) and keep the rest. But the rest holds
# **quasi-identifiers** (准标识符): ZIP code, birth date and sex together are unique for most
# people (Sweeney found about 87 % of US residents unique on these three). Anyone holding a
# second table with names and the same columns, a voter list for example, can *link* the two.
#
# A table is **k-anonymous** when every combination of quasi-identifiers is shared by at least
# $k$ records. Let us build a synthetic town of 5,000 people, release its hospital records
# without names, and measure $k$ and the share of people a linkage attack re-identifies.

# %%
n_people = 5000
town = {
    # 50 five-digit ZIP codes in five 3-digit areas (801xx .. 805xx, ten codes each)
    "zip": rng.choice((np.arange(801, 806)[:, None] * 100 + np.arange(10, 20)).ravel(), n_people),
    "birth": rng.integers(0, 365 * 60, n_people),                     # day of birth within 60 years
    "sex": rng.integers(0, 2, n_people),
}
generalisations = {
    "ZIP, birth date, sex": lambda t: zip(t["zip"], t["birth"], t["sex"]),
    "ZIP, birth year, sex": lambda t: zip(t["zip"], t["birth"] // 365, t["sex"]),
    "ZIP[:3], birth date, sex": lambda t: zip(t["zip"] // 100, t["birth"], t["sex"]),
    "ZIP[:3], birth year, sex": lambda t: zip(t["zip"] // 100, t["birth"] // 365, t["sex"]),
    "ZIP[:3], decade, sex": lambda t: zip(t["zip"] // 100, t["birth"] // 3650, t["sex"]),
    "decade only": lambda t: zip(t["birth"] // 3650),
}
rows = []
for name, view in generalisations.items():
    records = list(view(town))
    rows.append((name, privacy.unique_share(records), privacy.k_anonymity(records)))
    print(f"{name:26s} re-identified by linkage: {rows[-1][1]:6.1%}   k = {rows[-1][2]}")
lesson.metric("share_unique_zip_birth_date_sex", rows[0][1], "share unique on ZIP, birth date, sex", fmt=".1%")
lesson.metric("share_unique_zip_birth_year_sex", rows[1][1], "share unique on ZIP, birth year, sex", fmt=".1%")
lesson.metric("share_unique_zip3_birth_date_sex", rows[2][1], "share unique on ZIP[:3], birth date, sex", fmt=".1%")
lesson.metric("share_unique_zip3_birth_year_sex", rows[3][1], "share unique on ZIP[:3], birth year, sex", fmt=".1%")
lesson.metric("zip3_areas", len(np.unique(town["zip"] // 100)), "ZIP areas (3-digit prefixes) in the town");

# %%
fig, ax = plt.subplots(figsize=(9, 4.5))
ax.barh([r[0] for r in rows][::-1], [100 * r[1] for r in rows][::-1], color="tab:red")
for i, (_, share, k) in enumerate(rows[::-1]):
    ax.text(100 * share + 1, i, f"{share:.1%}, k={k}", va="center")
ax.set_xlabel("people re-identified by linking with a named list (%)")
ax.set_xlim(0, 115)
ax.set_title("Coarser quasi-identifiers protect more people, and say less")
lesson.savefig(fig, "anonymity")
plt.show()

# %% [markdown]
# Cutting the ZIP code to its first three digits (five areas of about 1,000 people each here)
# protects almost no one while the full birth date stays: 97.2 % are still unique on
# "ZIP[:3], birth date, sex". Only when the birth date is coarsened as well does the share fall,
# from 43.7 % with the full ZIP and the birth year to 0.0 % with ZIP[:3] and the birth year. No
# single column anonymises: it is the combination that must be coarse.
#
# Generalising the columns raises $k$, but each step destroys information a researcher
# wanted, and $k$-anonymity still leaks when every record in a group shares the same diagnosis.
# It also only protects against the attacker you imagined. We need a promise about *any*
# attacker: differential privacy.
#
# ## 2. Differential privacy
# A randomised algorithm $M$ is $(\varepsilon, \delta)$-**differentially private** when for any
# two data sets $D, D'$ that differ in one person and any set of outputs $S$,
#
# $$P[M(D) \in S] \le e^{\varepsilon}\, P[M(D') \in S] + \delta .$$
#
# The distribution of the output barely changes whether *you* are in the data or not, so
# nothing an attacker does with the output can tell much about whether you were in it.
# The simplest mechanism releases a count with Laplace noise of scale $\Delta/\varepsilon$,
# where the **sensitivity** $\Delta$ is the most one person can change the answer ($\Delta = 1$
# for a count). The noise is calibrated to the sensitivity: that is the whole trick.

# %%
true_count = 412                  # e.g. people in the data with a diagnosis
epsilon = 0.5
scale = 1.0 / epsilon             # sensitivity 1 (a count) divided by epsilon


def laplace_cdf(x, centre):
    z = (x - centre) / scale
    return np.where(z < 0, 0.5 * np.exp(np.minimum(z, 0)), 1 - 0.5 * np.exp(-np.maximum(z, 0)))


# Exact probability that the released count falls in each bin [k - 0.5, k + 0.5), with and without you.
edges = np.arange(380.5, 444.5, 1.0)
p_with = np.diff(laplace_cdf(edges, true_count))
p_without = np.diff(laplace_cdf(edges, true_count - 1))
exact_ratio = np.max(np.maximum(p_with, p_without) / np.minimum(p_with, p_without))
print(f"largest exact ratio of output probabilities: {exact_ratio:.4f}; the guarantee e^eps = {np.exp(epsilon):.4f}")
lesson.metric("laplace_max_exact_ratio", exact_ratio, "largest exact probability ratio, Laplace count", fmt=".4f")
lesson.metric("laplace_e_epsilon", np.exp(epsilon), "e^epsilon of the Laplace count", fmt=".4f")

# Which released counts give the largest ratio? Rounded to k, the release lands in [k - 0.5, k + 0.5).
exact_per_bin = np.maximum(p_with, p_without) / np.minimum(p_with, p_without)
counts = edges[:-1] + 0.5
inside = ~np.isclose(exact_per_bin, np.exp(epsilon), rtol=1e-6)   # far bins: round-off of tiny probabilities
print(f"exact ratio e^eps for every count except {', '.join(f'{k:.0f}' for k in counts[inside])}, "
      f"where it is {exact_per_bin[inside].max():.4f}")
lesson.metric("laplace_min_exact_ratio", exact_per_bin.min(), "smallest exact probability ratio, Laplace count", fmt=".4f")

# %% [markdown]
# For a released count (rounded to a whole number) of at most 410 or at least 413, the two
# probabilities differ by exactly the factor $e^{\varepsilon}$: both bins lie in Laplace tails with
# the same slope. The bins of 411 and 412 straddle the two true counts, and there the ratio is
# smaller (1.4437). The largest exact ratio *is* $e^\varepsilon$, never more.
#
# An auditor without the formula would estimate the ratio from samples. Each bin's estimate carries
# sampling error, and *the largest of many noisy estimates* is biased upwards: picking the maximum
# of $m$ bins gives the error $m$ chances to come out high. A 95 % interval around that maximum
# must therefore hold for all $m$ bins at once (a *simultaneous* interval). The Bonferroni rule
# gives one: use the $1 - 0.05/(2m)$ normal quantile instead of 1.96.

# %%
n_samples = 200_000
with_you = privacy.laplace_count(true_count, epsilon, rng, size=n_samples)
without_you = privacy.laplace_count(true_count - 1, epsilon, rng, size=n_samples)
h1, _ = np.histogram(with_you, edges)
h0, _ = np.histogram(without_you, edges)
well_sampled = (h1 > 1000) & (h0 > 1000)
m = int(well_sampled.sum())
log_ratio = np.abs(np.log(h1[well_sampled] / h0[well_sampled]))
log_error = np.sqrt(1 / h1[well_sampled] + 1 / h0[well_sampled])   # standard error of a log count ratio
z_one, z_all = 1.96, NormalDist().inv_cdf(1 - 0.05 / (2 * m))
miss = np.abs(log_ratio - np.log(exact_per_bin[well_sampled]))   # distance from each bin's exact ratio
worst = np.argmax(log_ratio)
print(f"{n_samples:,} releases with you and {n_samples:,} without; {m} bins with over 1,000 of each")
print(f"largest sampled ratio {np.exp(log_ratio[worst]):.3f} (count {counts[well_sampled][worst]:.0f}); "
      f"e^eps = {np.exp(epsilon):.4f}")
for label, z in [(f"one-bin 95% interval (z = {z_one})", z_one), (f"simultaneous 95% interval (z = {z_all:.2f})", z_all)]:
    print(f"  {label:38s} {np.exp(log_ratio[worst] - z * log_error[worst]):.3f} to "
          f"{np.exp(log_ratio[worst] + z * log_error[worst]):.3f};  holds its bin's exact ratio in "
          f"{np.sum(miss <= z * log_error)} of {m} bins")
print(f"typical error of the released count: {np.mean(np.abs(with_you - true_count)):.1f} people")
lesson.metric("max_sampled_ratio", np.exp(log_ratio[worst]), "largest sampled probability ratio", fmt=".3f")
lesson.metric("max_sampled_ratio_low", np.exp(log_ratio[worst] - z_all * log_error[worst]),
              "largest sampled ratio: simultaneous 95% interval, low end", fmt=".3f")
lesson.metric("max_sampled_ratio_high", np.exp(log_ratio[worst] + z_all * log_error[worst]),
              "largest sampled ratio: simultaneous 95% interval, high end", fmt=".3f")
lesson.metric("bins_simultaneous_miss", int(np.sum(miss > z_all * log_error)),
              "bins whose simultaneous interval misses the exact ratio")
lesson.metric("bins_one_bin_miss", int(np.sum(miss > z_one * log_error)), "bins whose one-bin interval misses the exact ratio")
# How often would at least one of m one-bin intervals miss, if each missed 5 % of the time independently?
lesson.metric("chance_some_one_bin_miss", 1 - 0.95**m, "chance that some one-bin interval misses, 1 - 0.95^m", fmt=".0%")

# %% [markdown]
# The largest sampled ratio comes out above $e^{0.5} = 1.6487$, although no bin's exact ratio
# exceeds it: that is the upward bias of a maximum. Its simultaneous interval contains $e^{0.5}$,
# and every bin's simultaneous interval contains that bin's exact ratio. In this run at least one
# of the one-bin intervals misses (the count is printed). That is neither a surprise nor a
# certainty: each one-bin interval misses one time in twenty, so with $m$ bins at least one misses
# in about $1 - 0.95^m$ of all runs (printed above; about half for this run's bins, if the bins
# missed independently), while the simultaneous intervals all hold in at least 95 % of runs. An auditor
# who reads a sampled maximum above $e^\varepsilon$ as a broken guarantee, without a simultaneous
# interval, would accuse a correct mechanism. More samples shrink every interval, but the maximum
# stays biased upwards while it is a maximum of noisy estimates.

# %% [markdown]
# ## 3. DP-SGD by hand
# Training touches every example many times. DP-SGD (Abadi et al. 2016) makes each step a
# Gaussian mechanism with bounded sensitivity:
#
# 1. sample a batch: each example joins with probability $q$ (Poisson sampling);
# 2. compute **per-example** gradients $g_i$ (not just the batch mean);
# 3. **clip** each: $\bar g_i = g_i \cdot \min(1, C / \lVert g_i \rVert_2)$, so one person moves the sum by at most $C$;
# 4. add noise: $\tilde g = \frac{1}{qN}\left(\sum_i \bar g_i + \mathcal N(0, \sigma^2 C^2 I)\right)$;
# 5. step: $\theta \leftarrow \theta - \alpha \tilde g$.
#
# A *privacy accountant* adds up what all the steps leak; here the Rényi-DP accountant of the
# subsampled Gaussian mechanism turns $(q, \sigma, \text{steps}, \delta)$ into $\varepsilon$.
#
# The model is softmax regression, logits $= xW + b$, whose per-example gradient has a closed
# form: $\partial L_i / \partial W = x_i \otimes (p_i - y_i)$. First, compute it by hand and let
# Keras check it: the mean of the per-example gradients must equal Keras's batch gradient.

# %%
import keras

dataset = lesson.pick("digits", "mnist")
x_train, y_train = km.data.load(dataset, split="train")
x_test, y_test = km.data.load(dataset, split="test")
x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
features, classes = x_train.shape[1], 10
print(f"{dataset}: {x_train.shape[0]} training examples of {features} features")

W = rng.normal(0, 0.1, (features, classes))
b = np.zeros(classes)
batch_x, batch_y = x_train[:32], y_train[:32]
grad_W, grad_b = privacy.softmax_per_example_gradients(W, b, batch_x, batch_y)
print("per-example gradients:", grad_W.shape, grad_b.shape)

regression = keras.Sequential([keras.Input((features,)), keras.layers.Dense(classes)])
regression.set_weights([W.astype("float32"), b.astype("float32")])
keras_W, keras_b = privacy.keras_gradients(regression, batch_x, batch_y)
difference = max(np.abs(grad_W.mean(0) - keras_W).max(), np.abs(grad_b.mean(0) - keras_b).max())
lesson.metric("max_err_hand_vs_keras_grad", difference, "max |by hand - Keras| gradient", fmt=".1e");

# %% [markdown]
# Clipping bounds what one example can do. Here are the norms of these 32 per-example gradients
# before and after clipping to $C = 1$:

# %%
flat = np.concatenate([grad_W.reshape(32, -1), grad_b], axis=1)
clipped = privacy.clip_per_example(flat, clip_norm=1.0)
print("norms before:", np.round(np.linalg.norm(flat, axis=1)[:8], 2), "...")
print("norms after: ", np.round(np.linalg.norm(clipped, axis=1)[:8], 2), "...")

# %% [markdown]
# > **Errata (article 003 Q4)** "差分隐私：在数据使用过程中加入噪声，保护数据隐私" ("differential
# > privacy: add noise while using the data"). Adding noise is not enough: the noise must be
# > calibrated to a *bounded* sensitivity, which in training means clipping each example's
# > gradient first. Without clipping one unusual example (here a mislabelled, saturated image)
# > moves the summed gradient by its full norm, far more than noise of standard deviation
# > $\sigma C$ hides, so an attacker can tell whether it was in the batch. With clipping it moves
# > the sum by at most $C$.

# %%
outlier_x = np.ones((1, features))          # an unusual record: every pixel on
outlier_y = np.array([(y_train[0] + 1) % 10])  # and a label that does not fit it
trained = privacy.dp_sgd_softmax(x_train, y_train, classes, noise_multiplier=0, clip_norm=None,
                                 sampling_rate=0.05, epochs=3, seed=lesson.seed)
gw, gb = privacy.softmax_per_example_gradients(trained["weights"], trained["bias"], outlier_x, outlier_y)
outlier_grad = np.concatenate([gw.reshape(1, -1), gb], axis=1)
sigma, C = 1.0, 1.0
shift_unclipped = np.linalg.norm(outlier_grad)
shift_clipped = np.linalg.norm(privacy.clip_per_example(outlier_grad, C))
print(f"noise std along any direction: sigma*C = {sigma * C:.1f}")
print(f"noise only, no clipping: the outlier moves the sum by {shift_unclipped:.1f} "
      f"= {shift_unclipped / (sigma * C):.0f} noise standard deviations")
print(f"clip, then noise:        the outlier moves the sum by {shift_clipped:.1f} "
      f"= {shift_clipped / (sigma * C):.0f} standard deviation")
# An attacker who sees one noisy sum and guesses "in" when it lies beyond half the shift
# (the best test for two equally likely Gaussians) is right with probability Phi(shift / 2 sigma C).
guess_rate = {name: 0.5 * (1 + math.erf(shift / (2 * sigma * C) / math.sqrt(2)))
              for name, shift in [("unclipped", shift_unclipped), ("clipped", shift_clipped)]}
print(f"best membership guess from one step: {guess_rate['unclipped']:.1%} right without clipping, "
      f"{guess_rate['clipped']:.1%} right with clipping (50% = coin toss)")
lesson.metric("membership_acc_clipped", guess_rate["clipped"], "membership guess accuracy, one step, clipped", fmt=".1%")
lesson.metric("membership_acc_unclipped", guess_rate["unclipped"], "membership guess accuracy, one step, unclipped", fmt=".1%");

# %% [markdown]
# Clipping does not *hide* the outlier: a one-standard-deviation shift still lets the best attacker
# guess its membership right about 69 % of the time from a single step, against a coin toss's
# 50 %. What clipping buys is a *bound*: no example can do better than that, however unusual, so the
# accountant below can add the leaks of all the steps into one $\varepsilon$. More noise (larger
# $\sigma$) shrinks the shift in units of noise, and with it the attacker's edge.

# %% [markdown]
# ### The privacy-utility curve
# More noise, smaller $\varepsilon$ (more privacy), lower accuracy. We train the same model with
# several noise multipliers $\sigma$ (same $q$, steps, $C$), and once without privacy.

# %%
q, epochs, delta = lesson.pick((0.05, 20, 1e-5), (0.005, 5, 1e-5))
sigmas = [0.6, 0.8, 1.0, 1.5, 2.5, 4.0, 8.0]
baseline = privacy.dp_sgd_softmax(x_train, y_train, classes, 0, clip_norm=None, sampling_rate=q, epochs=epochs,
                                  seed=lesson.seed)
baseline_acc = privacy.accuracy_softmax(baseline["weights"], baseline["bias"], x_test, y_test)
curve = []
for s in sigmas:
    run = privacy.dp_sgd_softmax(x_train, y_train, classes, s, clip_norm=1.0, sampling_rate=q, epochs=epochs,
                                 seed=lesson.seed)
    eps = privacy.dp_sgd_epsilon(q, s, run["steps"], delta)
    curve.append((s, eps, privacy.accuracy_softmax(run["weights"], run["bias"], x_test, y_test)))
    print(f"sigma {s:4.1f}: epsilon {eps:7.2f} at delta {delta:g}, test accuracy {curve[-1][2]:.1%}")
print(f"no privacy (epsilon = infinity): test accuracy {baseline_acc:.1%}")
lesson.metric("non_private_test_acc", baseline_acc, "non-private test accuracy", fmt=".1%")
chosen = min(curve, key=lambda c: abs(c[1] - 2.0))
lesson.metric("dp_sgd_test_acc", chosen[2], f"DP-SGD test accuracy at epsilon {chosen[1]:.1f}", headline=True, fmt=".1%");

# %%
fig, ax = plt.subplots(figsize=(8, 4.5))
ax.plot([c[1] for c in curve], [100 * c[2] for c in curve], "o-", label="DP-SGD (clip C=1)")
for s, eps, acc in curve:
    ax.annotate(f"σ={s:g}", (eps, 100 * acc), textcoords="offset points", xytext=(4, -12), fontsize=10)
ax.axhline(100 * baseline_acc, color="gray", linestyle="--", label="no privacy (ε = ∞)")
ax.set_xscale("log")
ax.margins(x=0.08, y=0.12)  # room for the last "σ=..." label inside the axes
ax.set_xlabel("privacy cost ε (log scale; smaller = more private)")
ax.set_ylabel("test accuracy (%)")
ax.set_title(f"Privacy-utility trade-off: softmax regression on {dataset}, δ = {delta:g}")
ax.legend()
ax.grid(alpha=0.3)
lesson.savefig(fig, "privacy_utility")
plt.show()

# %% [markdown]
# ## 4. Federated averaging
# In **federated learning** (联邦学习) the data stay on the clients (phones, hospitals); only
# model weights travel. FedAvg (McMahan et al. 2017) repeats: the server sends the global weights
# $w$ to the clients; client $k$ trains a few local epochs on its $n_k$ examples, giving $w_k$;
# the server sets $w \leftarrow \sum_k \frac{n_k}{n} w_k$.
#
# Real clients are **non-IID**: each phone sees its owner's data, not a fair sample. We simulate
# five clients twice, once with a random (IID) share each and once where each client holds
# mostly two digit classes: `privacy.split_clients` sorts the examples by label and cuts them into
# ten equal shards, two per client (McMahan et al. 2017), and a shard boundary need not fall on a
# class boundary, so a client can also hold a few examples of a third or fourth class.

# %%
num_clients, rounds = 5, lesson.pick(10, 20)
limit = lesson.pick(None, 10000)
fx, fy = x_train[:limit], y_train[:limit]
splits = {"IID": privacy.split_clients(fy, num_clients, iid=True, seed=lesson.seed),
          "non-IID (mostly 2 classes each)": privacy.split_clients(fy, num_clients, iid=False, seed=lesson.seed)}
fed_curves = {}
for name, parts in splits.items():
    keras.utils.set_random_seed(lesson.seed)
    model = km.models.mlp((features,), classes, hidden_units=(32,))
    km.models.compile_model(model, optimizer="sgd", learning_rate=0.3, jit_compile=False)
    clients = [(fx[p], fy[p]) for p in parts]
    fed_curves[name] = privacy.federated_averaging(model, clients, rounds=rounds, local_epochs=1, batch_size=32,
                                                   eval_data=(x_test, y_test), seed=lesson.seed)["accuracy"]
    print(f"{name:26s} accuracy after {rounds} rounds: {fed_curves[name][-1]:.1%}")
lesson.metric("fedavg_iid_test_acc", fed_curves["IID"][-1], "FedAvg IID test accuracy", fmt=".1%")
lesson.metric("fedavg_non_iid_test_acc", fed_curves["non-IID (mostly 2 classes each)"][-1],
              "FedAvg non-IID test accuracy", fmt=".1%")
client_counts = [np.sort(np.bincount(fy[p], minlength=classes))[::-1] for p in splits["non-IID (mostly 2 classes each)"]]
top_two = min(c[:2].sum() / c.sum() for c in client_counts)
most_classes = max(int(np.sum(c > 0)) for c in client_counts)
print(f"non-IID clients: at least {top_two:.1%} of each client's examples in its two largest classes; "
      f"at most {most_classes} classes on one client")
lesson.metric("non_iid_min_top2_class_share", top_two,
              "non-IID: smallest share of a client's examples in its two largest classes", fmt=".1%")
lesson.metric("non_iid_max_classes_one_client", most_classes, "non-IID: most classes held by one client");

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
counts = np.array([np.bincount(fy[p], minlength=classes) for p in splits["non-IID (mostly 2 classes each)"]])
im = axes[0].imshow(counts, cmap="Blues", aspect="auto")
axes[0].set_xlabel("digit class")
axes[0].set_ylabel("client")
axes[0].set_xticks(range(classes))
axes[0].set_title("non-IID split: examples per client and class")
fig.colorbar(im, ax=axes[0], label="examples")
for (name, acc), style in zip(fed_curves.items(), ["o-", "s--"]):  # marker and line style per split, not colour alone
    axes[1].plot(range(1, rounds + 1), 100 * np.array(acc), style, label=name)
axes[1].set_xlabel("communication round")
axes[1].set_ylabel("global model test accuracy (%)")
axes[1].set_title("FedAvg, 5 clients, 1 local epoch per round")
axes[1].legend()
axes[1].grid(alpha=0.3)
fig.tight_layout()
lesson.savefig(fig, "fedavg")
plt.show()

# %% [markdown]
# After the same number of rounds, the global model trained on non-IID clients is less accurate
# than the one trained on IID clients. The usual explanation is *client drift*: each client trains
# only on the classes it holds, its update pushes the other classes' scores down, and the average
# of such pulls in different directions moves more slowly towards a model good at all classes.
#
# > **Errata (article 004 term 10, article 003 Q4)** "联邦学习……同时保护参与方的数据隐私" ("federated
# > learning protects the participants' data privacy"). Keeping data on the device is not the
# > same as keeping it private: the updates are computed from the data and can give it back.
# > For a dense layer $y = xW + b$, one example's gradient is $\partial L/\partial W = x \otimes
# > \partial L/\partial y$ and $\partial L/\partial b = \partial L/\partial y$, so dividing a
# > column of the first by the matching entry of the second returns the input $x$ *exactly*
# > (the cell below does it). That trick needs the gradient of *one* example: a FedAvg client of
# > section 4 sends its weights after a local epoch of many 32-example batches, and no ratio of
# > those gives an image back. It is no safeguard: optimisation-based attacks search for inputs
# > whose gradients reproduce the shared update, and recover recognisable training images from
# > batch gradients and from updates of several local steps (Zhu et al. 2019, "Deep Leakage from
# > Gradients"; Geiping et al. 2020, "Inverting Gradients"). To earn the word
# > "private", federated learning adds two things. Differential privacy on the updates: usually
# > DP-FedAvg (McMahan et al. 2018: each client's update is clipped to a norm bound and Gaussian
# > noise is added to their sum at the server, a guarantee per client), or DP-SGD on every client (a guarantee per
# > example). And **secure aggregation** (安全聚合, Bonawitz et al. 2017): a cryptographic protocol
# > that lets the server learn only the sum of the clients' updates, never one client's.

# %%
victim_x, victim_y = x_test[:1], y_test[:1]
# what a client would send if it shared the gradient of one example (FedSGD with batch size 1): [kernel, bias, ...]
grads = privacy.keras_gradients(model, victim_x, victim_y)
recovered = privacy.invert_dense_gradient(grads[0], grads[1])
inversion_error = np.abs(recovered - victim_x[0]).max()
lesson.metric("grad_inversion_max_pixel_err", inversion_error, "gradient inversion max pixel error", fmt=".1e")
side = int(np.sqrt(features))
fig = course.plots.image_grid(np.stack([victim_x[0].reshape(side, side), recovered.reshape(side, side)]),
                          labels=[0, 1], class_names=["client's image", "rebuilt from gradient"], ncols=2,
                          size=2.6, title="What one shared gradient gives away")
lesson.savefig(fig, "gradient_inversion")
plt.show()

# %% [markdown]
# ## 5. Exercises
# First, the $k$ of a released table: the size of its smallest group of identical
# quasi-identifier rows. The attempt below counts something else: fix it.

# %%
def k_anonymity(rows):
    # rows: a list of tuples of quasi-identifiers, one per person.
    return len(set(rows))


course.exercises.check("18.k_anonymity", k_anonymity);

# %% [markdown]
# Next, the heart of DP-SGD: clip every example's gradient (a row of `gradients`) to L2 norm at
# most `clip_norm`, leaving smaller ones unchanged. This attempt clips the whole batch at once.

# %%
def clip_per_example(gradients, clip_norm):
    norm = np.linalg.norm(gradients)
    return gradients * min(1.0, clip_norm / norm)


course.exercises.check("18.clip_per_example", clip_per_example);

# %% [markdown]
# Finally, FedAvg's server step: average the clients' weights (each a list of arrays),
# weighted by how many examples each client trained on.

# %%
def fedavg(client_weights, client_sizes):
    return [np.mean([w[i] for w in client_weights], axis=0) for i in range(len(client_weights[0]))]


course.exercises.check("18.fedavg", fedavg);

# %% [markdown]
# ## Summary
# - Deleting names leaves quasi-identifiers; if a record is unique on them ($k = 1$), linking
#   with any named list re-identifies it. Generalising raises $k$ and lowers usefulness.
# - Differential privacy bounds how much any one person changes the output distribution
#   ($e^\varepsilon$, plus $\delta$); noise must be scaled to a bounded sensitivity.
# - DP-SGD = Poisson-sampled batches, per-example clipping to $C$, Gaussian noise $\sigma C$, and an
#   accountant for $\varepsilon$. More noise: smaller $\varepsilon$, lower accuracy.
# - FedAvg keeps raw data on clients and averages weights by $n_k/n$; non-IID clients slow it
#   down, and the updates themselves leak data unless protected.
#
# Next: lesson 19 takes a trained model to production: export, serving, latency and monitoring.

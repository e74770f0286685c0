# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: The maths toolkit
#     articles: ["002 §4.1", "002 §4.2.1", "002 §4.3", "002 §4.4"]
#     quick_seconds: 25
#     full_seconds: 25
#     description: Matrix product and transpose, gradients, Bernoulli, binomial, normal and Poisson, Bayes' theorem with a worked example, and what gradient descent updates.
# ---

# %% [markdown]
# # 04 · The maths toolkit
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 002 §4.1 (matrices, product, transpose), §4.2.1 (gradients), §4.3 (probability
# distributions, Bayes' theorem) and §4.4 (a worked example of gradient descent).
#
# **After this lesson you can** multiply and transpose matrices by hand and check the result with
# Keras; compute and draw a gradient; tell the Bernoulli from the binomial distribution and
# sample the normal and Poisson ones; use
# Bayes' theorem on a real question; and say exactly what gradient descent changes.
#
# **Prerequisites:** lessons 01–03.
#
# **Run time:** about 25 s on a 2-core CPU, quick and full mode alike.

# %%
import math

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

from kerasmodels import course
from kerasmodels.course.scratch import numpy_nn

lesson = course.setup_lesson(4)
rng = np.random.default_rng(lesson.seed)

# %% [markdown]
# ## 1. Matrix product
# For $A$ of shape $(m, n)$ and $B$ of shape $(n, p)$, the product (矩阵乘法) $C = AB$ has shape
# $(m, p)$ and $C_{ij} = \sum_k A_{ik}B_{kj}$: row $i$ of $A$ against column $j$ of $B$. A dense
# layer is one such product ($XW$, lesson 01). Three loops by hand, then NumPy's `@`, then Keras:

# %%
A = rng.integers(-3, 4, size=(2, 3)).astype(float)
B = rng.integers(-3, 4, size=(3, 2)).astype(float)
C_hand = np.zeros((2, 2))
for i in range(2):
    for j in range(2):
        for k in range(3):
            C_hand[i, j] += A[i, k] * B[k, j]
C_keras = ops.convert_to_numpy(ops.matmul(A, B))
print("A =\n", A, "\nB =\n", B, "\nAB by hand =\n", C_hand)
lesson.metric("matmul_hand_vs_numpy_max_diff", np.abs(C_hand - A @ B).max(), "AB by hand vs A @ B: max difference", fmt=".1e")
lesson.metric("matmul_hand_vs_keras_max_diff", np.abs(C_hand - C_keras).max(),
              "AB by hand vs keras.ops.matmul: max difference", fmt=".1e");

# %% [markdown]
# Article 002 §4.1.2 writes the product as `C = A * B`. In NumPy and Keras `*` is the **element-wise**
# product, a different operation. It needs equal or *broadcastable* shapes: shapes are compared from
# the last dimension, a missing leading dimension counts as 1, and a dimension of size 1 is stretched
# to match, so `(3,)` acts as `(1, 3)` and `(3, 1) * (1, 3)` gives `(3, 3)`. A wrong `*` therefore often
# runs without an error and silently gives another shape:

# %%
S = np.array([[1.0, 2.0], [3.0, 4.0]])
print("S @ S =\n", S @ S, "\nS * S (element-wise) =\n", S * S)
column, row = np.ones((3, 1)), np.arange(3.0)
print(f"(3, 1) * (3,) runs without an error and gives shape {(column * row).shape}, not 3 numbers")
lesson.metric("broadcast_3x1_times_3_entries", (column * row).size, "entries of a (3, 1) * (3,) product (broadcast)", fmt=".0f");

# %% [markdown]
# ## 2. Transpose
# The transpose (转置) swaps rows and columns: $(A^{\top})_{ij} = A_{ji}$, so the first **row** of
# $A$ becomes the first **column** of $A^{\top}$. Lesson 03 needed it for every gradient
# ($\partial J/\partial W = a^{\top}\delta$).
#
# > **Errata (article 002 §4.1.2)**: the article prints
# > $\begin{bmatrix} a_{11} & a_{12} \\ a_{21} & a_{22} \end{bmatrix}^T =
# >  \begin{bmatrix} a_{21} & a_{11} \\ a_{22} & a_{12} \end{bmatrix}$.
# >
# > That matrix is $A$ **rotated** a quarter turn clockwise, not transposed. The transpose is
# > $\begin{bmatrix} a_{11} & a_{21} \\ a_{12} & a_{22} \end{bmatrix}$: the diagonal stays put. The
# > code shows both on symbolic entries and tests the rule every transpose obeys,
# > $(AB)^{\top} = B^{\top}A^{\top}$, which the rotation breaks.

# %%
symbols = np.array([["a11", "a12"], ["a21", "a22"]])
print("transpose (.T):\n", symbols.T)
print("article 002's matrix = rotate clockwise (np.rot90(A, -1)):\n", np.rot90(symbols, -1))

P, Q = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
rotate = lambda M: np.rot90(M, -1)  # noqa: E731
lesson.metric("max_err_transpose_of_product", np.abs((P @ Q).T - Q.T @ P.T).max(), "max |(PQ)^T - Q^T P^T|", fmt=".1e")
lesson.metric("max_err_rotation_of_product", np.abs(rotate(P @ Q) - rotate(Q) @ rotate(P)).max(),
              "max |rot(PQ) - rot(Q) rot(P)|", fmt=".2f");

# %% [markdown]
# ## 3. Gradients
# The gradient (梯度) of $f(x, y)$ is the vector of its partial derivatives,
# $\nabla f = (\partial f/\partial x, \partial f/\partial y)$ (article 002 §4.2.1). It points in the
# direction of steepest **ascent**, perpendicular to the contour lines; gradient descent walks the
# opposite way. Take $f(x, y) = x^2 + xy + 2y^2$; by hand $\nabla f = (2x + y,\; x + 4y)$.

# %%
def f(v):
    return v[0] ** 2 + v[0] * v[1] + 2 * v[1] ** 2


def grad_f(v):
    return np.array([2 * v[0] + v[1], v[0] + 4 * v[1]])


point = np.array([1.0, -2.0])
finite = np.array([(f(point + e) - f(point - e)) / 2e-6 for e in np.eye(2) * 1e-6])
_, auto = numpy_nn.autodiff_gradients(lambda t: f(t["v"]), {"v": point})
print(f"at {point}: by hand {grad_f(point)}, finite differences {finite.round(6)}, autodiff {auto['v']}")

# %%
g = np.linspace(-2, 2, 120)
gx, gy = np.meshgrid(g, g)
arrows = np.linspace(-1.8, 1.8, 10)
ax_, ay_ = np.meshgrid(arrows, arrows)
u, v = grad_f(np.stack([ax_, ay_]))
fig, ax = plt.subplots(figsize=(6.2, 5.5))
levels = [0.1, 0.5, 1, 2, 3, 5, 7]
contour = ax.contour(gx, gy, f(np.stack([gx, gy])), levels=levels,
                     colors=plt.cm.viridis(np.linspace(0, 0.8, len(levels))))  # no pale yellow end
scale = 25  # an arrow is |grad f| / 25 long, in the units of x and y
ax.quiver(ax_, ay_, u, v, color="black", alpha=0.7, angles="xy", scale_units="xy", scale=scale)


def clear_of_arrows(level):
    """The point of the contour f = level farthest from every arrow: where its label goes."""
    angle = np.linspace(0, 2 * np.pi, 360)
    direction = np.stack([np.cos(angle), np.sin(angle)])
    candidates = (direction * np.sqrt(level / f(direction))).T  # f(r d) = r^2 f(d) = level
    candidates = candidates[np.abs(candidates).max(axis=1) < 1.85]  # inside the frame
    start = np.stack([ax_.ravel(), ay_.ravel()], axis=1)
    shaft = np.stack([u.ravel(), v.ravel()], axis=1) / scale
    along = np.clip(np.einsum("pad,ad->pa", candidates[:, None] - start, shaft) / np.sum(shaft**2, axis=1), 0, 1)
    gap = np.linalg.norm(candidates[:, None] - start - along[..., None] * shaft, axis=2).min(axis=1)
    return candidates[np.argmax(gap)]


labels = ax.clabel(contour, fontsize=9, fmt="%g", manual=[clear_of_arrows(level) for level in levels])
for label in labels:  # above the arrows, on a white patch
    label.set_zorder(5)
    label.set_bbox(dict(facecolor="white", edgecolor="none", alpha=0.85, pad=0.5))
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_aspect("equal")
ax.set_title(r"$f(x,y) = x^2 + xy + 2y^2$ and its gradient $\nabla f$" "\n(arrows point uphill, across the contours)")
lesson.savefig(fig, "gradient_field")
plt.show()

# %% [markdown]
# This $f$ is a bowl with its minimum at $(0, 0)$: gradient descent walks against the arrows,
# downhill and perpendicular to the contours. On this tilted, elongated bowl that is *not* straight at
# the minimum: at $(1.8, -1.8)$, $-\nabla f = (-1.8, 5.4)$ while the minimum lies in the direction
# $(-1.8, 1.8)$, an angle of about 27° (computed below), so the path bends on its way in. The arrows
# are longest where the bowl is steepest.

# %%
corner = np.array([1.8, -1.8])
downhill, to_minimum = -grad_f(corner), -corner
cosine = downhill @ to_minimum / (np.linalg.norm(downhill) * np.linalg.norm(to_minimum))
lesson.metric("angle_neg_grad_to_minimum_deg", math.degrees(math.acos(cosine)),
              "angle between -grad f and the direction to the minimum at (1.8, -1.8), degrees", fmt=".1f");

# %% [markdown]
# ## 4. Bernoulli and binomial distributions
# A **Bernoulli** distribution (伯努利分布) describes *one* yes/no trial that succeeds with
# probability $p$: $P(X=k) = p^k(1-p)^{1-k}$ for $k \in \{0, 1\}$. The **binomial** distribution
# (二项分布) counts the successes in $n$ independent Bernoulli trials:
# $P(K=k) = \binom{n}{k}p^k(1-p)^{n-k}$ for $k = 0..n$.
#
# > **Errata (article 002 §4.3.1)**: "伯努利分布……$P(X = k) = C_n^k p^k (1-p)^{n-k}$".
# >
# > That is the binomial distribution. Bernoulli is its special case $n = 1$, where $C_1^k = 1$ and
# > $k$ can only be 0 or 1. The simulation sums $n$ Bernoulli draws and finds the binomial
# > probabilities; a single draw takes only two values.

# %%
n, p = 10, 0.3
draws = rng.random(size=(lesson.pick(quick=20000, full=200000), n)) < p  # Bernoulli(p) trials
counts = draws.sum(axis=1)
binomial = np.array([math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)])
simulated = np.bincount(counts, minlength=n + 1) / len(counts)
print(f"one trial takes values {np.unique(draws[:, 0].astype(int))}; P(1) = {draws[:, 0].mean():.3f} (p = {p})")
lesson.metric("binomial_max_err_simulated", np.max(np.abs(simulated - binomial)),
              f"largest |simulated - binomial formula| over k = 0..{n}",
              fmt=".4f")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [1, 2.2]})
left.bar([0, 1], [1 - p, p], color=["tab:gray", "tab:blue"])
left.set_xticks([0, 1], ["0 (failure)", "1 (success)"])
left.set_title(f"Bernoulli(p = {p}): one trial")
left.set_ylabel("probability")
ks = np.arange(n + 1)
right.bar(ks - 0.2, simulated, width=0.4, label=f"simulated: sums of {n} Bernoulli trials (left bars)")
right.bar(ks + 0.2, binomial, width=0.4, hatch="//", edgecolor="white",
          label=r"formula $\binom{n}{k}p^k(1-p)^{n-k}$ (right bars, hatched)")
right.set_xticks(ks)
right.set_xlabel("k = number of successes")
right.set_title(f"Binomial(n = {n}, p = {p}): successes in {n} trials")
right.set_ylim(0, 1.35 * max(simulated.max(), binomial.max()))  # room above the bars for the legend
right.legend(fontsize=9)
for ax in (left, right):
    ax.grid(axis="y", alpha=0.3)
lesson.savefig(fig, "bernoulli_binomial")
plt.show()

# %% [markdown]
# The link to lesson 02: binary cross-entropy is minus the log of the Bernoulli probability of the
# observed label, $-\log\big(p^y(1-p)^{1-y}\big) = -[y\log p + (1-y)\log(1-p)]$.
#
# ### Two more: the normal and the Poisson distributions
# The **normal** (Gaussian) distribution (正态分布) has the density
# $f(x) = \frac{1}{\sigma\sqrt{2\pi}}\exp\!\big(-\frac{(x-\mu)^2}{2\sigma^2}\big)$; it is where sums of
# many small independent effects end up (the central limit theorem), and it models noise: for
# Gaussian noise, minus the log-likelihood is the MSE up to a scale and a constant. (Article 002
# §4.3.1 prints $P(X \le x) = \Phi(x) = \frac{1}{\sqrt{2\pi}\sigma}\int_{-\infty}^{x} e^{-(t-\mu)^2/2\sigma^2}dt$: it gives
# the *cumulative* distribution function (CDF), the integral of this density, rather than the density,
# and labels it correctly as $P(X \le x)$; but $\Phi$ names the *standard* normal's CDF, so for
# $N(\mu, \sigma^2)$ it should read $\Phi\big((x-\mu)/\sigma\big)$.) Keras's
# `HeNormal` and `GlorotNormal` initialisers draw from a *truncated* normal: cut at $2\sigma$ (a draw
# beyond is drawn again), with $\sigma$ enlarged so the spread still comes out as asked;
# `keras.initializers.RandomNormal` draws from the normal itself. A `Dense` layer's default,
# `GlorotUniform`, draws from a *uniform* distribution; what matters is the spread, which lesson 01
# §4 measures.
# The **Poisson** distribution (泊松分布) counts rare events in a fixed interval, at rate $\lambda$:
# $P(K=k) = \lambda^k e^{-\lambda}/k!$; it is the binomial's limit for many trials with a small
# $p$ and $np = \lambda$. We sample both and compare with the formulas, and compare Binomial(1000,
# 0.003) with Poisson(3).

# %%
samples = lesson.pick(quick=20000, full=200000)
mu, sigma, lam = 2.0, 0.5, 3.0
normal_draws = rng.normal(mu, sigma, size=samples)
bin_edges = np.linspace(mu - 4 * sigma, mu + 4 * sigma, 41)
histogram, _ = np.histogram(normal_draws, bins=bin_edges, density=True)
centres = (bin_edges[:-1] + bin_edges[1:]) / 2
normal_density = np.exp(-((centres - mu) ** 2) / (2 * sigma**2)) / (sigma * math.sqrt(2 * math.pi))
poisson_draws = rng.poisson(lam, size=samples)
kmax = 12
poisson = np.array([lam**k * math.exp(-lam) / math.factorial(k) for k in range(kmax + 1)])
poisson_simulated = np.bincount(poisson_draws, minlength=kmax + 1)[: kmax + 1] / samples
many_trials = np.array([math.comb(1000, k) * 0.003**k * 0.997 ** (1000 - k) for k in range(kmax + 1)])
lesson.metric("normal_max_err_histogram", np.max(np.abs(histogram - normal_density)),
              "normal: largest |histogram density - formula|", fmt=".3f")
lesson.metric("normal_share_within_one_sigma", np.mean(np.abs(normal_draws - mu) < sigma),
              "normal: share of draws within one sigma of the mean",
              fmt=".1%")
lesson.metric("poisson_max_err_simulated", np.max(np.abs(poisson_simulated - poisson)),
              f"Poisson: largest |simulated - formula| over k = 0..{kmax}", fmt=".4f")
lesson.metric("poisson_mean_minus_variance", abs(poisson_draws.mean() - poisson_draws.var()),
              "Poisson: mean and variance of the draws, |difference|", fmt=".3f")
lesson.metric("binomial_vs_poisson_max_diff", np.max(np.abs(many_trials - poisson)),
              "largest |Binomial(1000, 0.003) - Poisson(3)| over k", fmt=".4f")

# Keras's normal initialisers on a 1000 x 100 kernel: HeNormal's draws stop at 2 sigma, RandomNormal's do not.
target = math.sqrt(2 / 1000)  # the spread He initialisation asks for (fan_in = 1000)
he = ops.convert_to_numpy(keras.initializers.HeNormal(seed=lesson.seed)((1000, 100)))
plain = ops.convert_to_numpy(keras.initializers.RandomNormal(stddev=target, seed=lesson.seed)((1000, 100)))
lesson.metric("he_normal_std_over_formula", he.std() / target, "HeNormal: std of the draws / sqrt(2 / fan_in)", fmt=".3f")
lesson.metric("he_normal_max_draw_over_std", np.abs(he).max() / he.std(),
              "HeNormal: largest |draw| / std of the draws", fmt=".2f")
lesson.metric("random_normal_max_draw_over_std", np.abs(plain).max() / plain.std(),
              "RandomNormal: largest |draw| / std of the draws", fmt=".2f")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
left.bar(centres, histogram, width=bin_edges[1] - bin_edges[0], color="tab:blue", alpha=0.6,
         label=f"{samples:,} draws (histogram)")
left.plot(centres, normal_density, color="black", lw=2, label="formula")
left.set(title=f"Normal(mu = {mu}, sigma = {sigma})", xlabel="x", ylabel="density")
left.set_ylim(0, 1.35 * normal_density.max())  # room above the peak for the legend
left.legend(fontsize=9, loc="upper left")
ks = np.arange(kmax + 1)
right.bar(ks - 0.2, poisson_simulated, width=0.4, label=f"{samples:,} draws (left bars)")
right.bar(ks + 0.2, poisson, width=0.4, hatch="//", edgecolor="white",
          label=r"formula $\lambda^k e^{-\lambda}/k!$ (right bars, hatched)")
right.plot(ks, many_trials, "k.", ms=9, label="Binomial(1000, 0.003)")
right.set(title=f"Poisson(lambda = {lam:g})", xlabel="k = number of events", ylabel="probability")
right.set_xticks(ks)
right.set_ylim(0, 1.45 * max(poisson_simulated.max(), poisson.max()))  # room above the bars for the legend
right.legend(fontsize=9, loc="upper right")
for ax in (left, right):
    ax.grid(axis="y", alpha=0.3)
lesson.savefig(fig, "normal_poisson")
plt.show()

# %% [markdown]
# About 68% of normal draws fall within one $\sigma$ of the mean; a Poisson's mean and variance
# are both $\lambda$; and 1000 trials at $p = 0.003$ are, to within the difference recorded above,
# Poisson(3). Of 100,000 `HeNormal` draws, the spread is the one asked for and none lies beyond
# about 2.27 of their standard deviations ($2/0.88$: the cut at $2\sigma$, where $\sigma$ was enlarged by
# $1/0.88$ to make up for the cut tails); `RandomNormal`'s largest draw lies beyond 4.
#
# ## 5. Bayes' theorem, worked
# Bayes' theorem (贝叶斯定理) turns $P(B\mid A)$ around into $P(A\mid B)$:
#
# $$P(A\mid B) = \frac{P(B\mid A)\,P(A)}{P(B)},\qquad P(B) = P(B\mid A)P(A) + P(B\mid \bar A)P(\bar A).$$
#
# A test for a condition that 1 % of people have detects 90 % of real cases (its *sensitivity*,
# $P(B\mid A)$) and wrongly flags 5 % of healthy people (its *false-positive rate*, $P(B\mid\bar A)$).
# Note that the false-positive rate is not the miss rate $1 - 0.90 = 10\,\%$: the two describe
# different groups of people. You test positive: how likely are you to have it? With
# $A$ = "has the condition", $B$ = "tests positive":

# %%
prior, sensitivity, false_positive_rate = 0.01, 0.90, 0.05
p_positive = sensitivity * prior + false_positive_rate * (1 - prior)
posterior = sensitivity * prior / p_positive
print(f"P(positive) = {p_positive:.4f}")
lesson.metric("p_condition_given_positive", posterior, "P(condition | positive test)", headline=True, fmt=".1%")

# Check by simulating a population.
people = lesson.pick(quick=200_000, full=2_000_000)
has = rng.random(people) < prior
positive = np.where(has, rng.random(people) < sensitivity, rng.random(people) < false_positive_rate)
print(f"simulated {people:,} people: {positive.sum():,} test positive")
lesson.metric("simulated_share_positives_with_condition", has[positive].mean(),
              "simulated: share of the positives who have the condition", fmt=".1%");

# %% [markdown]
# Only about one positive in six and a half is real (the posterior above), although the test
# catches 90 % of cases and clears 95 % of healthy people: the healthy majority produces more false
# alarms than the 1 % produce true ones. Per 10,000 people:

# %%
per = 10_000
true_pos, false_pos = sensitivity * prior * per, false_positive_rate * (1 - prior) * per
fig, ax = plt.subplots(figsize=(7.5, 3))
ax.barh(["tested positive"], [true_pos], color="tab:red")
ax.barh(["tested positive"], [false_pos], left=[true_pos], color="lightgray", hatch="//", edgecolor="gray")
# Each segment's label and count above it: the red one from its left edge (it is narrow), the grey one centred.
ax.text(0, 0.45, f"have the condition\n{true_pos:.0f}", ha="left", va="bottom", fontsize=11, color="tab:red")
ax.text(true_pos + false_pos / 2, 0.45, f"healthy\n{false_pos:.0f}", ha="center", va="bottom", fontsize=11)
ax.set_ylim(-0.5, 1.3)  # room above the bar for the labels
ax.set_yticks([])
ax.set_xlabel(f"people who test positive, out of {per:,}")
ax.set_title(f"Who tests positive? P(condition | positive) = {posterior:.1%}")
lesson.savefig(fig, "bayes_natural_frequencies")
plt.show()

# %% [markdown]
# ## 6. What gradient descent updates
# > **Errata (article 002 §4.4)**: with $L(p, y) = \frac12(p-y)^2$ the article "updates parameters"
# > by $p_{new} = p_{old} - \alpha\nabla L(p_{old}, y)$, changing the predicted probability $p$ itself.
# >
# > $p$ is an **output** of the model, not a parameter. Gradient descent changes the parameters
# > $\theta$ that produce $p = \sigma(wx + b)$, using the chain rule
# > $\partial L/\partial w = (p - y)\,\sigma'(z)\,x$. Nudging $p$ towards $y$ learns nothing: there is
# > no model left to apply to a new input, and one shared $p$ over many examples just drifts to the
# > average label. The code trains both on a one-feature problem and tests them on new points.
# >
# > We keep the article's squared-error loss to mirror it; for a sigmoid classifier the usual choice
# > is binary cross-entropy, whose gradient $(p - y)\,x$ has no $\sigma'(z)$ factor to vanish (lesson 02).

# %%
x_train, x_test = rng.normal(size=200), rng.normal(size=200)
y_train, y_test = (x_train > 0.3).astype(float), (x_test > 0.3).astype(float)

w, b, alpha = 0.0, 0.0, 2.0
for _ in range(500):
    prob = numpy_nn.sigmoid(w * x_train + b)
    delta = (prob - y_train) * prob * (1 - prob)  # dL/dz for L = 1/2 (p - y)^2
    w, b = w - alpha * np.mean(delta * x_train), b - alpha * np.mean(delta)
accuracy_parameters = np.mean((numpy_nn.sigmoid(w * x_test + b) > 0.5) == y_test)

p_shared = 0.5
for _ in range(500):
    p_shared = p_shared - 0.1 * np.mean(p_shared - y_train)  # article 002 §4.4's update, over the training set
accuracy_p = np.mean((np.full_like(x_test, p_shared) > 0.5) == y_test)
print(f"updating w and b:  w = {w:.2f}, b = {b:.2f}, test accuracy {accuracy_parameters:.1%}")
print(f"updating p itself: p = {p_shared:.3f} (the fraction of 1-labels, {y_train.mean():.3f}), "
      f"test accuracy {accuracy_p:.1%}")
lesson.metric("test_acc_params_updated", accuracy_parameters, "test accuracy, parameters updated", fmt=".1%")
lesson.metric("test_acc_p_updated_art002", accuracy_p, "test accuracy, p updated (article 002 §4.4)", fmt=".1%");

# %% [markdown]
# ## 7. Exercises
# **7.1** Transpose a matrix given as a list of rows, without NumPy. The first attempt copies article 002 §4.1.2.

# %%
def transpose(rows):
    # Your answer: a list of rows, the transpose of `rows`.
    return [list(reversed(column)) for column in zip(*rows)]


first_attempts = {"04.transpose": course.exercises.check("04.transpose", transpose)}

# %% [markdown]
# **7.2** The probability of exactly `k` successes in `n` independent trials that each succeed with
# probability `p` (hint: `math.comb`).

# %%
def binomial_pmf(n, k, p):
    # Your answer: one number.
    return p**k * (1 - p) ** (1 - k)


first_attempts["04.binomial_pmf"] = course.exercises.check("04.binomial_pmf", binomial_pmf)

# %% [markdown]
# **7.3** The probability of having a condition after a positive test, from the prevalence
# (`prior`), the test's `sensitivity` P(positive | condition) and its `false_positive_rate`
# P(positive | no condition).

# %%
def bayes_posterior(prior, sensitivity, false_positive_rate):
    # Your answer: P(condition | positive).
    return sensitivity


first_attempts["04.bayes_posterior"] = course.exercises.check("04.bayes_posterior", bayes_posterior)
lesson.metric("exercises_passing_written", sum(map(bool, first_attempts.values())), "exercises passing as written", fmt=".0f");

# %% [markdown]
# ## Summary
# - $C = AB$ needs inner sizes to match, $C_{ij} = \sum_k A_{ik}B_{kj}$; in code it is `@`, not `*`.
# - The transpose mirrors across the diagonal ($A^{\top}_{ij} = A_{ji}$); $(AB)^{\top} = B^{\top}A^{\top}$.
# - The gradient is a vector pointing uphill, perpendicular to the contours.
# - Bernoulli: one trial. Binomial: successes in $n$ trials, $\binom nk p^k(1-p)^{n-k}$. Normal:
#   sums of many small effects. Poisson: counts of rare events, $\lambda^k e^{-\lambda}/k!$.
# - Bayes: $P(A\mid B) = P(B\mid A)P(A)/P(B)$; a rare condition makes most positives false.
# - Gradient descent updates the parameters, never the predictions.
#
# Next: lesson 05 improves on plain gradient descent: momentum, adaptive learning rates, Adam.

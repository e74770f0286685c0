# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Neurons and activations
#     articles: ["001 §4.2", "000 §4.1", "000 §4.2", "004 §2.1.2"]
#     quick_seconds: 20
#     full_seconds: 20
#     description: One neuron by hand and in Keras; sigmoid, tanh and ReLU with their derivatives, checked three ways.
# ---

# %% [markdown]
# # 01 · Neurons and activations
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 001 §4.2 (the neuron model), article 000 §4.1–4.2 and article 004 §2.1.2 (sigmoid, tanh, ReLU).
#
# **After this lesson you can** compute a neuron's output by hand and get the same number from
# `keras.layers.Dense`; write sigmoid, tanh and ReLU and their derivatives; check a derivative
# numerically and with automatic differentiation; and explain why a network needs a
# *non-linear* activation and which weight initialisation suits which activation.
#
# **Prerequisites:** lesson 00; NumPy arrays; the derivative of a function of one variable.
#
# **Run time:** about 20 s on a 2-core CPU, quick and full mode alike (nothing is trained).

# %%
import matplotlib.pyplot as plt
import numpy as np

from kerasmodels import course
from kerasmodels.course.scratch import numpy_nn

lesson = course.setup_lesson(1)

# %% [markdown]
# ## 1. One neuron
# A neuron (神经元) weights each input $x_j$ by $w_j$, adds a bias (偏置) $b$ and passes the sum
# through an activation function (激活函数) $\sigma$ (article 001 §4.2):
#
# $$y = \sigma\Big(\sum_{j=1}^{n} w_j x_j + b\Big) = \sigma(\mathbf{x}\cdot\mathbf{w} + b).$$
#
# With the sigmoid $\sigma(z) = 1/(1+e^{-z})$, let us compute one neuron by hand for three inputs.

# %%
x = np.array([1.0, 2.0, -1.0])
w = np.array([0.5, -0.25, 1.0])
b = 0.1
z = sum(w_j * x_j for w_j, x_j in zip(w, x)) + b  # the weighted sum, written out
y_by_hand = 1 / (1 + np.exp(-z))
print(f"z = 0.5*1 + (-0.25)*2 + 1*(-1) + 0.1 = {z:.2f}")
print(f"y = sigmoid(z) = {y_by_hand:.6f}")

# %% [markdown]
# Keras's `Dense` layer is a row of such neurons. Give a one-unit `Dense` layer the same weights
# and bias, and it must give the same number:

# %%
import keras

dense = keras.layers.Dense(1, activation="sigmoid")
dense.build((None, 3))
dense.set_weights([w.reshape(3, 1), np.array([b])])
y_keras = float(keras.ops.convert_to_numpy(dense(x.reshape(1, 3).astype("float32")))[0, 0])
print(f"Keras Dense: {y_keras:.6f}   by hand: {y_by_hand:.6f}")
lesson.metric("one_unit_dense_vs_hand_diff", abs(y_keras - y_by_hand), "one-unit Dense vs by hand: difference", fmt=".1e");

# %% [markdown]
# For a whole batch at once, put one example per row of a matrix $X$; then $\mathbf{y} =
# \sigma(X\mathbf{w} + b)$ is one matrix product. With two inputs we can *see* what a neuron
# does: it draws a straight line $w_1x_1 + w_2x_2 + b = 0$ through the plane and answers
# "how far on the positive side?" with a number between 0 and 1.

# %%
grid = np.linspace(-4, 4, 201)
x1, x2 = np.meshgrid(grid, grid)
points = np.stack([x1.ravel(), x2.ravel()], axis=1)
w2, b2 = np.array([1.5, -1.0]), 0.5
y_grid = numpy_nn.sigmoid(points @ w2 + b2).reshape(x1.shape)

fig, ax = plt.subplots(figsize=(6, 5))
image = ax.contourf(x1, x2, y_grid, levels=20, cmap="RdBu_r")
ax.contour(x1, x2, y_grid, levels=[0.5], colors="black", linewidths=2)
ax.annotate("", xy=(1.5, -1.0), xytext=(0, 0), arrowprops=dict(arrowstyle="->", lw=2))  # w = (1.5, -1.0)
ax.text(1.6, -1.3, "w", fontsize=14)
fig.colorbar(image, ax=ax, label="neuron output y")
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
ax.set_title(r"$y = \sigma(1.5\,x_1 - 1.0\,x_2 + 0.5)$; black line: $y = 0.5$")
lesson.savefig(fig, "neuron_output")
plt.show()

# %% [markdown]
# ## 2. Three activation functions and their derivatives
# Training needs the slope of every activation (lesson 03 multiplies these slopes together).
#
# | name | $\sigma(z)$ | $\sigma'(z)$ |
# |---|---|---|
# | sigmoid | $\dfrac{1}{1+e^{-z}}$ | $\sigma(z)\,(1-\sigma(z))$ |
# | tanh | $\dfrac{e^{z}-e^{-z}}{e^{z}+e^{-z}}$ | $1-\tanh^2(z)$ |
# | ReLU | $\max(0, z)$ | $1$ if $z>0$, else $0$ |
#
# Sigmoid squashes into $(0, 1)$, tanh into $(-1, 1)$ (centred on 0), ReLU passes positive values
# unchanged. The package module `kerasmodels.course.scratch.numpy_nn` holds these six functions; here they are:

# %%
z = np.linspace(-5, 5, 401)
styles = {"sigmoid": ("tab:blue", "-", "o"), "tanh": ("tab:orange", "--", "s"), "relu": ("tab:green", "-.", "^")}
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
for name, (color, style, marker) in styles.items():
    f, df = numpy_nn.ACTIVATIONS[name]
    line = dict(color=color, ls=style, marker=marker, markevery=50, lw=2)
    left.plot(z, f(z), label=name, **line)
    pieces = [z < 0, z > 0] if name == "relu" else [np.isfinite(z)]  # ReLU' jumps at 0: two pieces
    for i, piece in enumerate(pieces):
        right.plot(z[piece], df(z[piece]), label=name if i == 0 else None, **line)
left.set_title("activation $\\sigma(z)$")
right.set_title("derivative $\\sigma'(z)$")
left.set_ylabel("$\\sigma(z)$")
right.set_ylabel("$\\sigma'(z)$")
for ax in (left, right):
    ax.axhline(0, color="gray", lw=0.8)
    ax.axvline(0, color="gray", lw=0.8)
    ax.set_xlabel("z")
    ax.grid(alpha=0.3)
    ax.legend()
left.set_ylim(-1.2, 2.5)
right.axhline(0.25, color="tab:blue", ls=":", lw=1)
right.text(1.6, 0.36, "sigmoid' never\nexceeds 0.25\n(dotted line)", color="tab:blue", fontsize=10)
lesson.savefig(fig, "activations")
plt.show()

# %% [markdown]
# ## 3. Checking a derivative three ways
# A formula for a derivative is easy to get wrong. Two independent checks:
#
# 1. **Finite differences**: $\sigma'(z) \approx \dfrac{\sigma(z+\varepsilon) - \sigma(z-\varepsilon)}{2\varepsilon}$.
#    Its truncation error shrinks like $\varepsilon^2$ ($10^{-12}$ for $\varepsilon = 10^{-6}$), but
#    subtracting two nearly equal float64 numbers adds a rounding error of about
#    $10^{-16}/\varepsilon$; with $\varepsilon = 10^{-6}$ that rounding, about $10^{-10}$, dominates.
# 2. **Automatic differentiation** (自动微分): the backend (here through `keras.ops`) records the
#    computation and applies the chain rule to it, exact up to floating-point rounding. Our inputs
#    are float64; JAX computes in float32 unless 64-bit types are switched on, so
#    `numpy_nn.autodiff_gradients` switches them on for float64 inputs. On TensorFlow all three agree
#    with the formula to float64 rounding; on JAX sigmoid and ReLU do too, but Keras's `ops.tanh`
#    casts float64 to float32 there, so its row shows about $2.5\times10^{-7}$ (a JAX run on the
#    2-core CPU, either mode). Because each output depends only on its own input,
#    the gradient of $\sum_i \sigma(z_i)$ with respect to $z_i$ is $\sigma'(z_i)$.
#
# We avoid $z = 0$ for ReLU, where it has no derivative (frameworks use 0 there).

# %%
from keras import ops

z_check = np.linspace(-4, 4, 40)  # 40 points, none exactly 0
keras_functions = {"sigmoid": ops.sigmoid, "tanh": ops.tanh, "relu": ops.relu}
eps = 1e-6
rows = []
for name, keras_fn in keras_functions.items():
    f, df = numpy_nn.ACTIVATIONS[name]
    formula = df(z_check)
    finite = (f(z_check + eps) - f(z_check - eps)) / (2 * eps)
    _, auto = numpy_nn.autodiff_gradients(lambda p, g=keras_fn: ops.sum(g(p["z"])), {"z": z_check})
    rows.append((name, np.max(np.abs(formula - finite)), np.max(np.abs(formula - auto["z"]))))
print(f"{'activation':10s} {'|formula - finite diff|':>24s} {'|formula - autodiff|':>22s}")
for name, finite_error, auto_error in rows:
    print(f"{name:10s} {finite_error:24.1e} {auto_error:22.1e}")
lesson.metric("max_err_formula_vs_finite_diff", max(r[1] for r in rows), "max |formula - finite difference|", fmt=".1e")
lesson.metric("max_err_formula_vs_autodiff", max(r[2] for r in rows), "max |formula - autodiff|", headline=True, fmt=".1e");

# %% [markdown]
# Finite differences agree with the formulas to about $10^{-10}$ (the rounding error above),
# autodiff (on TensorFlow, the default backend) to float64 rounding, about $10^{-16}$: the
# formulas in the table are right.
#
# ## 4. Stacking layers
# **Why the size of $\sigma'$ matters.** Lesson 03 shows that the gradient reaching an early layer
# is a product with two factors per layer above it: the activation's slopes $\sigma'(z_l)$ **and**
# the layer's weight matrix $W_l^\top$. Sigmoid's slope is at most 0.25, but that bounds the
# activation factors only:
#
# $$\Big\|\frac{\partial J}{\partial \mathbf{x}}\Big\| \;\le\; \prod_{l=1}^{L} \big(0.25\,\|W_l\|\big)\;
#   \Big\|\frac{\partial J}{\partial \mathbf{a}_L}\Big\| ,$$
#
# where $\|W\|$ is the most that $W$ can stretch a vector (its spectral norm). With small weights the
# product shrinks geometrically, the *vanishing gradient* (梯度消失); with large weights it can grow,
# the *exploding gradient* (梯度爆炸). Ten sigmoid layers of 16 units, with biases chosen so that every
# unit sits at $z = 0$, where $\sigma' = 0.25$ is largest, and random weights of two sizes:

# %%
rng = np.random.default_rng(lesson.seed)
width, depth = 16, 10
x_input = rng.normal(size=width)
for size, scale in [("small", 1.0), ("large", 8.0)]:
    weights = [rng.normal(scale=scale / np.sqrt(width), size=(width, width)) for _ in range(depth)]
    a, zs = x_input, []
    for W in weights:
        b = -(a @ W)  # puts every unit of this layer at z = 0
        zs.append(a @ W + b)
        a = numpy_nn.sigmoid(zs[-1])
    gradient = np.ones(width) / np.sqrt(width)  # a gradient of norm 1 arriving at the last layer
    for W, z in zip(reversed(weights), reversed(zs)):
        gradient = (gradient * numpy_nn.sigmoid_derivative(z)) @ W.T  # back through sigma', then W
    bound = np.prod([0.25 * np.linalg.norm(W, 2) for W in weights])
    print(f"{size} weights: typical ||W|| {np.mean([np.linalg.norm(W, 2) for W in weights]):.1f}")
    lesson.metric(f"sigmoid_grad_norm_10_layers_{size}", np.linalg.norm(gradient),
                  f"gradient norm after 10 sigmoid layers, {size} weights", fmt=".2e")
    lesson.metric(f"bound_prod_quarter_w_norm_{size}", bound, f"bound prod(0.25 ||W_l||), {size} weights", fmt=".2e")
print(f"0.25**10 = {0.25**10:.1e}: the activation factors alone")

# %% [markdown]
# Both stay under their bound. With small weights the gradient all but vanishes; with weights eight
# times larger it *grows* through the same ten layers, far above $0.25^{10}$. (Large weights also
# push sigmoid units into their flat tails, where $\sigma'$ is far below 0.25, so in practice they
# often make gradients vanish instead.) The cure is to keep the per-layer factor near 1, and that
# takes the weights' scale and the activation **together**.
#
# **Which initialisation suits which activation.** A `Dense` layer's weights start random; Keras's
# default initialiser (权重初始化) is Glorot (also called Xavier) *uniform*, with variance
# $2/(\text{fan-in} + \text{fan-out})$. For our 16-to-16 layers that is a standard deviation of
# $\sqrt{2/32} = 0.25$, the same spread as the "small" weights above. Glorot chose this scale so that a layer
# neither grows nor shrinks the signal when the activation's slope is about 1 near 0, as tanh's is.
# Sigmoid's slope is at most 0.25, so each layer still shrinks the gradient about four times. ReLU
# passes half of its inputs with slope 1 and zeroes the rest, which halves the variance in each layer;
# He initialisation makes up for that with variance $2/\text{fan-in}$, $\sqrt2$ times Glorot's spread
# here (in general He's spread is $\sqrt{(\text{fan-in}+\text{fan-out})/\text{fan-in}}$ times Glorot's).
# The code draws the weights with Keras's own initialisers, a fresh matrix for every layer (a Keras
# initialiser with a fixed integer seed returns the same matrix on every call, so each layer gets
# its own seed), biases 0 as in a fresh `Dense` layer, sends a batch of 256 inputs through ten
# 16-unit layers and a gradient of norm 1 back, for 20 random draws (seeds) of each pairing. A
# fifth pairing tries an old remedy for sigmoid, Glorot's range multiplied by 4 (as in the Theano
# tutorials that followed Glorot and Bengio, 2010), to make up for sigmoid's slope of 0.25:

# %%
fresh = keras.layers.Dense(width)
fresh.build((None, width))
fresh_std = np.std(keras.ops.convert_to_numpy(fresh.kernel))
print(f"a fresh Dense({width}) on {width} inputs: {type(fresh.kernel_initializer).__name__}, "
      f"weights' standard deviation {fresh_std:.3f}")
lesson.metric("std_fresh_dense16_kernel", fresh_std, "std of a fresh Dense(16) kernel on 16 inputs", fmt=".3f")

pairings = {"Glorot + sigmoid": ("GlorotUniform", 1, "sigmoid"), "4 × Glorot + sigmoid": ("GlorotUniform", 4, "sigmoid"),
            "Glorot + tanh": ("GlorotUniform", 1, "tanh"), "Glorot + ReLU": ("GlorotUniform", 1, "relu"),
            "He + ReLU": ("HeUniform", 1, "relu")}
seeds = range(20)


def gradient_profile(initializer_name, factor, activation, seed):
    """Gradient norms layer by layer (1 at the output) and each layer's pre-activations z, for one seed."""
    f, df = numpy_nn.ACTIVATIONS[activation]
    initializer = getattr(keras.initializers, initializer_name)
    weights = [factor * keras.ops.convert_to_numpy(initializer(seed=seed * depth + layer)((width, width))).astype(float)
               for layer in range(depth)]  # one seed per layer: a fresh matrix each
    data = np.random.default_rng(seed)
    a, zs = data.normal(size=(256, width)), []
    for W in weights:
        zs.append(a @ W)
        a = f(zs[-1])
    gradient = data.normal(size=(256, width))
    gradient /= np.sqrt(np.mean(np.sum(gradient**2, axis=1)))  # root-mean-square norm 1 per example
    norms = [1.0]
    for W, z in zip(reversed(weights), reversed(zs)):
        gradient = (gradient * df(z)) @ W.T
        norms.append(np.sqrt(np.mean(np.sum(gradient**2, axis=1))))
    return norms, zs


profiles = {}  # pairing -> (seed, layers passed back) gradient norms
for name, (initializer_name, factor, activation) in pairings.items():
    profiles[name] = np.array([gradient_profile(initializer_name, factor, activation, seed)[0] for seed in seeds])
    final = profiles[name][:, -1]
    lesson.metric(f"grad_norm_median_{lesson.key_part(name)}", np.median(final),
                  f"median gradient norm after 10 layers, {name}", fmt=".2e")
    lesson.metric(f"factor_median_{lesson.key_part(name)}", np.median(final) ** (1 / depth),
                  f"median factor per layer, {name}", fmt=".2f")
    lesson.metric(f"grad_norm_min_{lesson.key_part(name)}", final.min(),
                  f"smallest gradient norm after 10 layers over 20 seeds, {name}", fmt=".2e")
    lesson.metric(f"grad_norm_max_{lesson.key_part(name)}", final.max(),
                  f"largest gradient norm after 10 layers over 20 seeds, {name}", fmt=".2e")
ratio = profiles["He + ReLU"][:, -1] / profiles["Glorot + ReLU"][:, -1]
print(f"He / Glorot with ReLU, seed by seed: from {ratio.min():.4f} to {ratio.max():.4f}; sqrt(2)**10 = {2**5}")
lesson.metric("he_over_glorot_grad_relu_min", ratio.min(), "He / Glorot gradient with ReLU, smallest over seeds", fmt=".2f")
lesson.metric("he_over_glorot_grad_relu_max", ratio.max(), "He / Glorot gradient with ReLU, largest over seeds", fmt=".2f")

fig, ax = plt.subplots(figsize=(8, 4.8))
for (name, runs), style in zip(profiles.items(), ["o-", "v:", "s--", "^-.", "D-"]):
    layers = np.arange(depth + 1)
    line, = ax.semilogy(layers, np.median(runs, axis=0), style, lw=2, label=name)
    ax.fill_between(layers, runs.min(axis=0), runs.max(axis=0), color=line.get_color(), alpha=0.15)
ax.set_xlabel("layers the gradient has passed back through")
ax.set_ylabel("gradient norm (1 at the output; log scale)")
ax.set_title("Gradient through ten 16-unit layers: median and range of 20 seeds")
ax.grid(alpha=0.3)
ax.legend(loc="lower left")
lesson.savefig(fig, "initialisation_gradients")
plt.show()

# %% [markdown]
# Keras's default is the right scale for tanh and the wrong one for sigmoid (numbers from
# TensorFlow's draws; JAX draws other random numbers, so its values differ somewhat): with
# the same Glorot weights, the median gradient after ten sigmoid layers is about $4\times10^{-7}$
# (every seed below $10^{-6}$), while ten tanh layers keep it near 0.3 (every seed between 0.15 and
# 0.4). Four times larger weights lift sigmoid's median more than ten thousand times, to about
# $6\times10^{-3}$, yet it still vanishes (about 0.6 per layer). Would a still larger scale do? The
# same 20 seeds with larger factors; besides the gradient, the share of pre-activations in sigmoid's
# flat tails (slope $\sigma'(z) < 0.05$, a fifth of its maximum, that is $|z| > 2.9$; over all ten
# layers, 256 inputs and 20 seeds) and the units' mean output:

# %%
print(f"{'sigmoid, weights':18s} {'median norm':>12s} {'per layer':>10s} {'share with slope < 0.05':>24s} {'mean output':>12s}")
for factor in (1, 4, 8, 12):
    results = [gradient_profile("GlorotUniform", factor, "sigmoid", seed) for seed in seeds]
    final = np.array([norms[-1] for norms, _ in results])
    z_all = np.concatenate([np.ravel(zs) for _, zs in results])
    saturated = np.mean(numpy_nn.sigmoid_derivative(z_all) < 0.05)
    mean_output = np.mean(numpy_nn.sigmoid(z_all))
    print(f"{factor:2d} × Glorot        {np.median(final):12.2e} {np.median(final) ** (1 / depth):10.2f} "
          f"{saturated:24.1%} {mean_output:12.2f}")
    lesson.metric(f"sigmoid_glorot_x{factor}_median_grad_norm", np.median(final),
                  f"sigmoid, {factor} × Glorot: median gradient norm after 10 layers", fmt=".2e")
    lesson.metric(f"sigmoid_glorot_x{factor}_median_factor", np.median(final) ** (1 / depth),
                  f"sigmoid, {factor} × Glorot: median factor per layer", fmt=".2f")
    lesson.metric(f"sigmoid_glorot_x{factor}_share_flat", saturated,
                  f"sigmoid, {factor} × Glorot: share of pre-activations with slope < 0.05", fmt=".1%")
    lesson.metric(f"sigmoid_glorot_x{factor}_mean_output", mean_output,
                  f"sigmoid, {factor} × Glorot: mean unit output", fmt=".2f")

# %% [markdown]
# At this depth a large enough scale does keep the gradient's norm: with 8 × Glorot the median after ten layers is
# about 0.15 (about 0.83 per layer), with 12 × Glorot about 1.2 (about 1.02 per layer, TensorFlow's
# draws again). It gets there by multiplying large weights with small slopes: at 12 × Glorot about
# 73 % of the pre-activations sit in the flat tails (about 24 % at 4 ×, under 0.1 % at 1 ×), where a
# unit's output barely responds to its input; and at every scale the units' outputs average 0.50,
# never centred on zero, so each layer hands the next a shifted input. The usual remedy avoids both
# costs: tanh or ReLU in the hidden layers, sigmoid only at an output that must be a probability.
# (Géron's *Hands-On Machine Learning*, ch. 11, lists Glorot for
# sigmoid as well; Glorot and Bengio's derivation assumes a slope of about 1 near 0, which holds for
# tanh, not for sigmoid.)
#
# For ReLU the two initialisers draw the same random numbers, He's $\sqrt2$ times larger, and ReLU
# passes scale straight through, so every seed's gradient is exactly $\sqrt2^{10} = 32$ times
# larger with He: a median of about 0.7 against about 0.02 with Glorot.
#
# So at this depth Glorot + tanh and He + ReLU both keep the gradient alive. He + ReLU keeps more of
# it in the median (per-layer factor about 0.96 against tanh's 0.88, so tanh loses about 12 % per layer), but
# with only 16 units one draw of weights differs a lot from the next: He + ReLU's 20 seeds range from
# about 0.36 to 1.5, tanh's from 0.18 to 0.38, so the two ranges touch. ReLU with He initialisation
# became the usual choice for deep networks partly for this reason, ReLU's slope is exactly 1
# wherever it is active, so it does not flatten out like tanh's, and partly because it is cheap to
# compute; article 000 §4.3 says it speeds up convergence ("提高模型的收敛速度").

# %% [markdown]
# > **Errata (article 001 §4.2)**: "每个神经元可以表示为一个线性函数" ("each neuron can be
# > represented as a linear function"), followed by $y = \sigma(\sum w x + b)$.
# >
# > A neuron is a linear (strictly, *affine*) map **followed by a non-linear activation**, and the
# > non-linearity is the point: without it, two stacked layers $x W_1 W_2$ are the single linear
# > layer $x (W_1W_2)$, and a network of any depth can only draw straight lines. The code below
# > builds two linear layers, collapses them into one and shows the outputs are identical; with a
# > ReLU in between no single matrix reproduces them.

# %%
rng = np.random.default_rng(lesson.seed)
W1, W2 = rng.normal(size=(2, 8)), rng.normal(size=(8, 1))
x_batch = rng.normal(size=(200, 2))
two_linear = x_batch @ W1 @ W2
one_linear = x_batch @ (W1 @ W2)
print(f"two linear layers vs one merged layer: max difference {np.max(np.abs(two_linear - one_linear)):.1e}")

with_relu = numpy_nn.relu(x_batch @ W1) @ W2
best_single, *_ = np.linalg.lstsq(x_batch, with_relu, rcond=None)  # the best one-matrix fit
residual = np.max(np.abs(x_batch @ best_single - with_relu))
print(f"with a ReLU in between: the best single matrix still misses by up to {residual:.2f}")

# %% [markdown]
# ## 5. Exercises
# Each check tries your function on several named cases and tells you which one failed.
#
# **5.1** Write one sigmoid neuron for a batch: `x` has one example per row, `w` one weight per
# column, `b` is a number. The first attempt below has a common mistake; run it, read the
# feedback, fix it.

# %%
def neuron(x, w, b):
    # Your answer: sigmoid of (weighted sum of the inputs + bias), one output per row of x.
    return (1 / (1 + np.exp(-(x * w)))).sum(axis=1) + b


first_attempts = {"01.neuron": course.exercises.check("01.neuron", neuron)}

# %% [markdown]
# **5.2** The derivative of the sigmoid, without calling `numpy_nn`.

# %%
def sigmoid_derivative(z):
    # Your answer: sigma'(z) for an array z.
    return z * (1 - z)


first_attempts["01.sigmoid_derivative"] = course.exercises.check("01.sigmoid_derivative", sigmoid_derivative)

# %% [markdown]
# **5.3** The derivative of ReLU, using the frameworks' convention at exactly $z = 0$.

# %%
def relu_derivative(z):
    # Your answer: an array of 0.0 and 1.0 with the shape of z.
    return (z >= 0).astype(float)


first_attempts["01.relu_derivative"] = course.exercises.check("01.relu_derivative", relu_derivative)
lesson.metric("exercises_passing_written", sum(map(bool, first_attempts.values())), "exercises passing as written", fmt=".0f");

# %% [markdown]
# ## Summary
# - A neuron computes $y = \sigma(\mathbf{x}\cdot\mathbf{w} + b)$; a `Dense` layer is many neurons
#   sharing the input, computed as one matrix product $\sigma(XW + \mathbf{b})$.
# - Sigmoid $\sigma' = \sigma(1-\sigma) \le 0.25$; tanh $' = 1-\tanh^2 \le 1$; ReLU$'$ is 0 or 1.
# - A gradient through $L$ layers is bounded by $\prod_l(\sigma'_{\max}\|W_l\|)$: small weights make it
#   vanish, large ones can make it explode; the slope bound alone decides neither.
# - Initialisation must suit the activation: Keras's default (Glorot) suits tanh and lets sigmoid's
#   gradient vanish; a 12 times larger scale keeps its norm but puts most units in the flat tails
#   (better: keep sigmoid for outputs); ReLU needs He's variance $2/\text{fan-in}$
#   ($\sqrt2$ times Glorot's spread when fan-in = fan-out).
# - Check any derivative with finite differences (float64, $\varepsilon = 10^{-6}$: agreement to
#   ~1e-10) and with autodiff (agreement to float64 rounding where the backend computes in float64).
# - The activation must be non-linear, or stacked layers collapse into one linear map.
#
# Next: lesson 02 measures how wrong a neuron is (a *loss*) and moves its weights downhill.

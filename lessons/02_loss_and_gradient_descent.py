# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Loss and gradient descent
#     articles: ["000 §4.1", "000 §4.2", "000 §4.3", "001 §4.3", "002 §4.2.2", "003 §4.2"]
#     quick_seconds: 30
#     full_seconds: 30
#     description: MSE and cross-entropy by hand and in Keras; gradient descent on linear regression derived correctly, with its path on the loss surface and the effect of the learning rate.
# ---

# %% [markdown]
# # 02 · Loss and gradient descent
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 000 §4.1–§4.3 (loss, gradient descent, the linear-regression example),
# article 002 §4.2.2 (MSE and cross-entropy), article 003 §4.2 (binary and categorical cross-entropy);
# it also corrects article 001 §4.3's definition of MSE.
#
# **After this lesson you can** compute MSE, binary and categorical cross-entropy by hand and match
# `keras.losses`; derive the gradient of a loss; run gradient descent $\theta \leftarrow \theta -
# \alpha\nabla L$ and see its path on the loss surface; and recognise a learning rate that is too
# small or too large.
#
# **Prerequisites:** lesson 01 (a neuron, derivatives).
#
# **Run time:** about 30 s on a 2-core CPU, quick and full mode alike.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

from kerasmodels import course
from kerasmodels.course.scratch import numpy_nn

lesson = course.setup_lesson(2)

# %% [markdown]
# ## 1. Losses: how wrong is a prediction?
# A loss function (损失函数) turns predictions and true values into one number to make small.
#
# - **Mean squared error** (均方误差, MSE) for numbers: $\mathrm{MSE} = \frac{1}{n}\sum_i (y_i - \hat y_i)^2$
#   (article 002 §4.2.2). Article 000 §4.2 writes $\frac12 (y-\hat y)^2$: the $\frac12$ only cancels the 2
#   of the derivative; Keras's `MeanSquaredError` has no $\frac12$.
# - **Binary cross-entropy** (二元交叉熵) for a probability $p$ of the class 1 and a label $y\in\{0,1\}$:
#   $-[y\log p + (1-y)\log(1-p)]$, averaged over examples (article 003 §4.2).
# - **Categorical cross-entropy** (交叉熵) for $C$ classes, probabilities $p_1..p_C$ and a one-hot label:
#   $-\sum_c y_c \log p_c$, that is $-\log(\text{probability given to the true class})$.
#
# Given probabilities, Keras clips them to $[10^{-7}, 1-10^{-7}]$ before the log, so a probability of
# exactly 0 for the true class costs $-\log 10^{-7} \approx 16.1$, not infinity. Given the raw
# scores before the sigmoid or softmax (the *logits*, 对数几率), `from_logits=True` makes Keras apply
# the sigmoid or softmax inside the loss in a numerically stable form, with no clipping; that is why
# models often end in a plain `Dense` layer and use it (lesson 00 does). (On TensorFlow, Keras quietly
# recovers the logits when the probabilities come from a Keras sigmoid or softmax layer, so no clipping
# happens there either: below, label 1 with $p = \sigma(-40)$ from a sigmoid layer costs the exact
# 40.00 on TensorFlow; on JAX (a run on the same 2-core CPU) it costs the clipped 16.12. `from_logits=True` makes this
# explicit and works on every backend.) By hand first, then Keras:

# %%
y_true = np.array([3.0, -0.5, 2.0, 7.0])
y_pred = np.array([2.5, 0.0, 2.0, 8.0])
mse_hand = np.mean((y_true - y_pred) ** 2)
mse_keras = float(keras.losses.MeanSquaredError()(y_true, y_pred))

labels = np.array([1.0, 0.0, 1.0, 0.0])
p = np.array([0.9, 0.2, 0.6, 0.4])
bce_hand = -np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p))
bce_keras = float(keras.losses.BinaryCrossentropy()(labels, p))

classes = np.array([0, 2])  # true class of each example
probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
cce_hand = -np.mean(np.log(probs[np.arange(2), classes]))
cce_keras = float(keras.losses.SparseCategoricalCrossentropy()(classes, probs))

for name, hand, by_keras in [("MSE", mse_hand, mse_keras), ("binary CE", bce_hand, bce_keras),
                             ("categorical CE", cce_hand, cce_keras)]:
    print(f"{name:15s} by hand {hand:.6f}   Keras {by_keras:.6f}   difference {abs(hand - by_keras):.1e}")
lesson.metric("max_err_hand_loss_vs_keras", max(abs(mse_hand - mse_keras), abs(bce_hand - bce_keras), abs(cce_hand - cce_keras)),
              "max |hand loss - keras.losses|", fmt=".1e")

logits = np.log(p / (1 - p))  # the scores whose sigmoid is p
bce_from_logits = float(keras.losses.BinaryCrossentropy(from_logits=True)(labels, logits))
clipped = float(keras.losses.BinaryCrossentropy()(np.array([1.0]), np.array([0.0])))  # label 1, p = 0
print(f"binary CE from the logits: {bce_from_logits:.6f} (from the probabilities: {bce_keras:.6f})")
print(f"label 1, p = 0: Keras gives {clipped:.2f} = -log(1e-7) = {-np.log(1e-7):.2f}, not infinity (p is clipped)")
lesson.metric("bce_logits_vs_probs_diff", abs(bce_from_logits - bce_keras),
              "|binary CE from logits - from probabilities|", fmt=".1e")
lesson.metric("keras_bce_label1_p0_clipped", clipped, "Keras binary CE for label 1 and p = 0 (clipped)", fmt=".2f")
from_layer = float(keras.losses.BinaryCrossentropy()(  # p = sigmoid(-40) from a Keras layer; the exact loss is 40
    np.array([[1.0]]), keras.layers.Activation("sigmoid")(np.array([[-40.0]]))))
print(f"label 1, p = sigmoid(-40) from a Keras sigmoid layer, on {keras.backend.backend()}: {from_layer:.2f}")
lesson.metric("keras_bce_label1_sigmoid_minus40", from_layer,
              "Keras binary CE for label 1, p = sigmoid(-40) from a sigmoid layer", fmt=".2f")
lesson.metric("backend_is_tensorflow", keras.backend.backend() == "tensorflow",
              "backend is TensorFlow (1) or not (0)", fmt=".0f");

# %% [markdown]
# > **Errata (article 001 §4.3)**: "以均方误差（MSE）为例……其定义如下：
# > $J = \frac{1}{2} \sum_{i=1}^{n} (y_i - \hat{y_i})^2$".
# >
# > That is half the **sum** of squared errors, not their mean: the mean squared error divides the
# > sum by $n$, this formula by 2. The two agree only for $n = 2$, and their ratio $n/2$ grows with
# > the number of examples. On the four examples above, and on the same four repeated ten times
# > (40 examples with exactly the same errors):

# %%
for repeats in (1, 10):
    errors = np.tile(y_true - y_pred, repeats)
    half_sum = 0.5 * np.sum(errors**2)
    print(f"n = {errors.size:2d}: MSE = {np.mean(errors**2):.3f}   article 001's 1/2 * sum = {half_sum:.3f}")
    lesson.metric(f"art001_half_sse_over_mse_x{repeats}", half_sum / np.mean(errors**2),
                  f"article 001's 1/2 sum of squares / MSE, n = {errors.size}",
                  fmt=".1f")

# %% [markdown]
# > **Errata (article 002 §4.2.2)**: "给定预测概率分布p和真实分布t，CE损失函数为：
# > $CE = -\frac{1}{n} \sum_{i=1}^{n} t_i \log p_i$".
# >
# > One index does two jobs. $t_i$ and $p_i$ are entries of *one* distribution, so $i$ runs over the
# > classes; $\frac1n$ (as in the MSE line just before it) averages over the $n$ examples. Written
# > out with both indices, example $i$ and class $c$:
# > $CE = -\frac{1}{n}\sum_{i=1}^{n}\sum_{c=1}^{C} t_{ic}\log p_{ic}$. Read literally, with $i$ the
# > class, the formula divides one example's cross-entropy by the number of classes:

# %%
one_hot = np.eye(3)[classes]  # (2 examples, 3 classes)
cce_two_indices = -np.mean(np.sum(one_hot * np.log(probs), axis=1))  # mean over examples of sum over classes
literal = -np.mean(one_hot[0] * np.log(probs[0]))  # example 1 only, 1/n with n = the 3 classes
print(f"example 1: cross-entropy {-np.log(probs[0, 0]):.4f}, the formula read literally {literal:.4f}")
lesson.metric("ce_with_both_indices_vs_keras_diff", abs(cce_two_indices - cce_keras),
              "CE with both indices vs keras: difference", fmt=".1e")
lesson.metric("ce_example1_over_art002_literal", -np.log(probs[0, 0]) / literal,
              "CE of example 1 / article 002's formula read literally", fmt=".3f");

# %% [markdown]
# Why cross-entropy for probabilities rather than squared error? Look at the loss of one
# example with label 1 as its predicted probability $p$ falls: squared error never exceeds 1, while
# cross-entropy grows without bound. What training feels, though, is the **gradient**. With a sigmoid
# output $p = \sigma(z)$ and $\sigma'(z) = p(1-p)$, the chain rule gives, for label $y$,
#
# $$\frac{\partial}{\partial z}(p-y)^2 = 2(p-y)\,p(1-p), \qquad
#   \frac{\partial}{\partial z}\big(-y\log p-(1-y)\log(1-p)\big) = p-y .$$
#
# When the model is confidently wrong ($y = 1$, $p \to 0$) the factor $p(1-p)$ makes the squared
# error's gradient vanish, so it barely learns from its worst mistakes; cross-entropy's gradient
# stays near $-1$. The right panel shows both sizes; at $p = 0.01$ they are 0.99 and 0.0196, fifty
# times apart.

# %%
p_grid = np.linspace(0.001, 0.999, 400)
fig, (ax, ax_grad) = plt.subplots(1, 2, figsize=(12, 4))
ax.plot(p_grid, -np.log(p_grid), lw=2, label=r"cross-entropy $-\log p$")
ax.plot(p_grid, (1 - p_grid) ** 2, "--", lw=2, label=r"squared error $(1-p)^2$")
ax.set_ylabel("loss")
ax.set_ylim(0, 5)
ax.set_title("Loss of one example whose label is 1")
ax_grad.plot(p_grid, 1 - p_grid, lw=2, label=r"cross-entropy: $|p-1|$")
ax_grad.plot(p_grid, 2 * (1 - p_grid) * p_grid * (1 - p_grid), "--", lw=2,
             label=r"squared error: $2(1-p)\,p(1-p)$")
ax_grad.set_ylabel(r"gradient size $|\partial L/\partial z|$ (sigmoid output)")
ax_grad.set_title("Gradient with respect to the logit $z$, label 1")
for axis in (ax, ax_grad):
    axis.set_xlabel("predicted probability $p$ of the true class (label 1)")
    axis.grid(alpha=0.3)
    axis.legend()
lesson.savefig(fig, "losses")
plt.show()
p_wrong = 0.01  # confidently wrong
lesson.metric(f"dl_dz_cross_entropy_p_{lesson.key_part(p_wrong)}", 1 - p_wrong,
              f"|dL/dz| at p = {p_wrong}, cross-entropy", fmt=".3g")
lesson.metric(f"dl_dz_squared_error_p_{lesson.key_part(p_wrong)}", 2 * (1 - p_wrong) ** 2 * p_wrong,
              f"|dL/dz| at p = {p_wrong}, squared error", fmt=".3g");

# %% [markdown]
# ## 2. Gradient descent on linear regression
# Article 000 §4.3 fits $\hat y = \theta_0 + \theta_1 x$. Over $n$ examples, with the $\frac12$ convention,
#
# $$L(\theta_0,\theta_1) = \frac{1}{2n}\sum_{i=1}^{n}(y_i - \theta_0 - \theta_1 x_i)^2 .$$
#
# The chain rule (链式法则) gives, with the residual $r_i = y_i - \theta_0 - \theta_1x_i$,
#
# $$\frac{\partial L}{\partial\theta_0} = -\frac1n\sum_i r_i, \qquad
#   \frac{\partial L}{\partial\theta_1} = -\frac1n\sum_i r_i\,x_i ,$$
#
# and the gradient (梯度) is the **vector** $\nabla_\theta L = \big(\partial L/\partial\theta_0,\;
# \partial L/\partial\theta_1\big)$. Gradient descent (梯度下降) steps against it with learning rate
# (学习率) $\alpha$: $\theta \leftarrow \theta - \alpha\nabla_\theta L$, that is
# $\theta_0 \leftarrow \theta_0 + \frac{\alpha}{n}\sum r_i$ and $\theta_1 \leftarrow \theta_1 + \frac{\alpha}{n}\sum r_i x_i$.

# %%
rng = np.random.default_rng(lesson.seed)
x = rng.uniform(-1, 3, size=50)
y = 1.0 + 2.0 * x + rng.normal(scale=0.5, size=50)  # true line: theta0 = 1, theta1 = 2


def loss(theta):
    return 0.5 * np.mean((y - theta[0] - theta[1] * x) ** 2)


def gradient(theta):
    r = y - theta[0] - theta[1] * x
    return np.array([-np.mean(r), -np.mean(r * x)])


theta_test = np.array([-1.0, 0.5])
finite = np.array([(loss(theta_test + e) - loss(theta_test - e)) / 2e-6 for e in np.eye(2) * 1e-6])
_, auto = numpy_nn.autodiff_gradients(  # ops.sum / n, not ops.mean: see below
    lambda t: 0.5 * ops.sum(ops.square(y - t["theta"][0] - t["theta"][1] * x)) / len(x), {"theta": theta_test})
print("our gradient    ", gradient(theta_test))
print("finite difference", finite)
print("autodiff        ", auto["theta"])
lesson.metric("max_err_grad_vs_finite_diff", np.abs(gradient(theta_test) - finite).max(),
              "max |our gradient - finite difference|", fmt=".1e")
lesson.metric("loss_test_point", loss(theta_test), "loss at the test point", fmt=".2f")
lesson.metric("max_err_grad_vs_autodiff", np.abs(gradient(theta_test) - auto["theta"]).max(),
              "max |our gradient - autodiff|", fmt=".1e");

# %% [markdown]
# The three agree: autodiff with our formula to float64 rounding, finite differences to about
# $10^{-9}$ (lesson 01 §3 explains why: the loss here is about 8.5, so the rounding error is about
# $8.5\times10^{-16}/\varepsilon \approx 10^{-9}$ for $\varepsilon = 10^{-6}$), on TensorFlow and JAX alike. The autodiff loss divides
# `ops.sum` by $n$ instead of calling `ops.mean` because on JAX Keras computes `ops.mean` in float32
# even for float64 inputs; with it the JAX row differs from ours by about $10^{-7}$ (a JAX run on the
# 2-core CPU). Now descend from $\theta = (-1, 0.5)$ and compare the end point with the exact
# least-squares solution (from `np.linalg.lstsq`).

# %%
def descend(theta, alpha, steps, grad=gradient):
    path = [np.array(theta, dtype=float)]
    for _ in range(steps):
        path.append(path[-1] - alpha * grad(path[-1]))
    return np.array(path)


path = descend(theta_test, alpha=0.3, steps=200)
theta_exact, *_ = np.linalg.lstsq(np.stack([np.ones_like(x), x], axis=1), y, rcond=None)
print(f"gradient descent: theta = {path[-1].round(4)}, loss {loss(path[-1]):.5f}")
print(f"least squares:    theta = {theta_exact.round(4)}, loss {loss(theta_exact):.5f}")
lesson.metric("theta_gd_vs_least_squares", np.linalg.norm(path[-1] - theta_exact), "|theta_GD - theta_least_squares|",
              headline=True, fmt=".1e");

# %% [markdown]
# Keras does the same with a one-unit `Dense` layer, plain `SGD` and the MSE loss. Keras's MSE has
# no $\frac12$, so its gradient is twice ours: learning rate $\alpha/2$ takes the same steps, up to
# float32 rounding (Keras's weights are float32: the two end points differ by about $4\times10^{-7}$).
# (Feeding the 50 points 200 times over as one epoch of 200 full batches is 200 full-batch steps,
# without the per-epoch overhead of `epochs=200`.)

# %%
model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
model.layers[0].set_weights([np.array([[theta_test[1]]]), np.array([theta_test[0]])])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.3 / 2), loss="mse")
model.fit(np.tile(x, 200)[:, None], np.tile(y, 200), batch_size=len(x), epochs=1, verbose=0, shuffle=False)
kernel, bias = model.layers[0].get_weights()
print(f"Keras: theta = [{bias[0]:.4f} {kernel[0, 0]:.4f}]   our 200 steps: {path[-1].round(4)}")
lesson.metric("theta_keras_vs_ours_200_steps", np.abs(np.array([bias[0], kernel[0, 0]]) - path[-1]).max(),
              "|theta_Keras - theta_ours| after 200 steps", fmt=".1e");

# %% [markdown]
# The loss surface $L(\theta_0, \theta_1)$ is a bowl; each step goes downhill, perpendicular to the
# contour lines, in big steps where it is steep and small steps near the bottom.

# %%
def loss_surface(theta1_top):
    """The loss on a grid of theta0 in [-2, 3.5] and theta1 in [-0.5, theta1_top]."""
    t0, t1 = np.meshgrid(np.linspace(-2, 3.5, 200), np.linspace(-0.5, theta1_top, 200))
    return t0, t1, 0.5 * np.mean((y[:, None, None] - t0 - t1 * x[:, None, None]) ** 2, axis=0)


t0, t1, surface = loss_surface(3.5)
levels = np.geomspace(0.12, 20, 14)[:-1]  # 0.12 to 13
level_colors = plt.cm.viridis(np.linspace(0, 0.8, len(levels)))  # no pale yellow end
fig, ax = plt.subplots(figsize=(7, 5))
contours = ax.contour(t0, t1, surface, levels=levels, colors=level_colors)
ax.clabel(contours, fontsize=8, fmt="%.2g")
ax.plot(path[:, 0], path[:, 1], "o-", color="tab:red", ms=3, label=r"gradient descent, $\alpha = 0.3$")
ax.plot(*theta_exact, "k*", ms=14, label="least-squares minimum")
ax.set_xlabel(r"$\theta_0$ (intercept)")
ax.set_ylabel(r"$\theta_1$ (slope)")
ax.set_title("Loss surface of linear regression and the path taken")
ax.legend(loc="lower right")
lesson.savefig(fig, "gradient_descent_path")
plt.show()

# %% [markdown]
# > **Errata (article 000 §4.3)**: the article writes
# > $\nabla_{\theta_0}L = y - \theta_0 - \theta_1 x$, $\nabla_{\theta_1}L = -(y - \theta_0 - \theta_1x)$,
# > $\nabla_\theta L = \nabla_{\theta_0}L + \nabla_{\theta_1}L$ and
# > $\theta_{t+1} = \theta_t - \alpha(y - \theta_0 - \theta_1x)$.
# >
# > Three mistakes: (1) $\partial L/\partial\theta_0 = -(y-\theta_0-\theta_1x)$: the sign is wrong;
# > (2) $\partial L/\partial\theta_1 = -(y-\theta_0-\theta_1x)\,x$: the factor $x$ is missing;
# > (3) the gradient is the vector of the two partial derivatives, not their sum, and each parameter
# > moves by its own component. The update the article prints moves both parameters by the
# > wrong-signed mean residual $\bar r$ ($\theta_1$ without its factor $x$ too), so each step turns
# > $\bar r$ into $\bar r\,\big(1 + \alpha(1 + \bar x)\big)$. On this data (mean $\bar x \approx 1.1$,
# > $\alpha = 0.3$) that multiplies the mean residual by about 1.6 per step, so the loss climbs instead
# > of descending; on other data (with $\bar x < -1$) the same rule can instead stop at a wrong line,
# > one with $\bar r = 0$ but the wrong slope. The code runs each version.

# %%
def gradient_article_sum(theta):
    r = np.mean(y - theta[0] - theta[1] * x)
    return r + (-r)  # "grad theta0 + grad theta1" with article 000's components: one number


def gradient_article_update(theta):
    r = np.mean(y - theta[0] - theta[1] * x)
    return np.array([r, r])  # theta <- theta - alpha * (y - theta0 - theta1 x), for both parameters


summed = gradient_article_sum(theta_test)
print(f"article 000's summed gradient at {theta_test}: {summed} (one number, not a vector of two: no direction)")
lesson.metric("art000_summed_grad", summed, "article 000's summed gradient", fmt=".1f")
for name, grad in [("correct gradient", gradient), ("article 000's update", gradient_article_update)]:
    end = descend(theta_test, 0.3, 30, grad)[-1]
    print(f"{name:20s} after 30 steps: theta = {end.round(3)}")
    lesson.metric(f"{lesson.key_part(name)}_loss_30_steps", loss(end), f"{name}: loss after 30 steps", fmt=".3g")
lesson.metric("loss_start", loss(theta_test), "loss at the start", fmt=".3g")
article_path = descend(theta_test, 0.3, 30, gradient_article_update)
mean_residuals = np.array([np.mean(y - t[0] - t[1] * x) for t in article_path])
print(f"mean x = {x.mean():.3f}; article 000's update multiplies the mean residual by "
      f"{mean_residuals[1] / mean_residuals[0]:.3f} per step; 1 + alpha (1 + mean x) = {1 + 0.3 * (1 + x.mean()):.3f}")
lesson.metric("mean_x_data", x.mean(), "mean x of the data", fmt=".3f")
lesson.metric("art000_update_residual_ratio_max", np.max(mean_residuals[1:] / mean_residuals[:-1]),
              "article 000's update: mean residual after a step / before (largest over 30 steps)", fmt=".3f")
lesson.metric("art000_update_residual_ratio_min", np.min(mean_residuals[1:] / mean_residuals[:-1]),
              "article 000's update: mean residual after a step / before (smallest over 30 steps)", fmt=".3f")
lesson.metric("one_plus_alpha_one_plus_mean_x", 1 + 0.3 * (1 + x.mean()), "1 + alpha (1 + mean x), alpha = 0.3", fmt=".3f");

# %% [markdown]
# With article 000's components the "sum" is always $r - r = 0$, and on this data its update rule
# walks uphill: the mean residual grows by the factor $1 + \alpha(1 + \bar x)$ printed above at every
# step, and the loss grows instead of shrinking.
#
# ## 3. Choosing the learning rate
# The loss is quadratic, with Hessian (the matrix of second derivatives)
# $H = \frac1n\begin{pmatrix} n & \sum x_i\\ \sum x_i & \sum x_i^2\end{pmatrix}$, so one step turns the
# error $\theta - \theta^*$ into $(I - \alpha H)(\theta - \theta^*)$: along each eigenvector of $H$, with
# eigenvalue $\lambda_i$, the error is multiplied by $1 - \alpha\lambda_i$ per step. The step is
# stable only if $|1 - \alpha\lambda_{\max}| < 1$, that is $\alpha < 2/\lambda_{\max}$, with
# $\lambda_{\max}$ the largest eigenvalue. Below that limit a small $\alpha$ crawls, a good one
# converges quickly, one close to the limit zig-zags across the valley (its factor is near $-1$);
# above it, every step overshoots further, by the factor $|1 - \alpha\lambda_{\max}|$ (1.05 × 2 − 1
# = 1.10 for the rate below), and the loss explodes.

# %%
hessian = np.array([[1.0, x.mean()], [x.mean(), np.mean(x**2)]])
alpha_limit = 2 / np.linalg.eigvalsh(hessian).max()
print(f"largest stable learning rate: 2 / lambda_max = {alpha_limit:.3f}")
rates = {"too small": 0.02, "good": 0.3, "near the limit": 0.95 * alpha_limit, "too large": 1.05 * alpha_limit}
steps = lesson.pick(quick=40, full=40)
fig, (ax_path, ax_loss) = plt.subplots(1, 2, figsize=(12, 4.5))
ax_path.contour(*loss_surface(4.4), levels=levels, colors=level_colors, alpha=0.6)  # the zig-zag reaches 4.2
for (name, alpha), style in zip(rates.items(), ["o-", "s--", "^-.", "x:"]):
    run = descend(theta_test, alpha, steps)
    losses = [loss(t) for t in run]
    label = f"{name} (α = {alpha:.2f})"
    shown = 6 if alpha > alpha_limit else 16  # a diverging path leaves the picture after a few steps
    ax_path.plot(run[:shown, 0], run[:shown, 1], style, ms=5, lw=1.4, label=label)
    ax_loss.semilogy(losses, style, ms=4, markevery=4, lw=2, label=label)
    lesson.metric(f"{lesson.key_part(name)}_final_loss", losses[-1], f"{name}: loss after {steps} steps", fmt=".3g")
    if alpha > alpha_limit:
        errors = np.linalg.norm(run - theta_exact, axis=1)
        print(f"{name}: |theta - theta*| grows by {errors[-1] / errors[-2]:.4f} per step; "
              f"|1 - alpha lambda_max| = {abs(1 - alpha * 2 / alpha_limit):.4f}")
        lesson.metric(f"{lesson.key_part(name)}_theta_err_ratio", errors[-1] / errors[-2],
                      f"{name}: |theta - theta*| after the last step / before", fmt=".4f")
        lesson.metric(f"{lesson.key_part(name)}_contraction", abs(1 - alpha * 2 / alpha_limit),
                      f"{name}: |1 - alpha lambda_max|", fmt=".4f")
ax_path.set_xlim(-2, 3.5)
ax_path.set_ylim(-0.5, 4.4)
ax_path.set_xlabel(r"$\theta_0$")
ax_path.set_ylabel(r"$\theta_1$")
ax_path.set_title("the first 15 steps (5 when diverging)")
ax_path.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)  # below: off the paths
ax_loss.set_xlabel("step")
ax_loss.set_ylabel("loss (log scale)")
ax_loss.set_title("loss per step")
ax_loss.grid(alpha=0.3)
ax_loss.legend(fontsize=9)
lesson.savefig(fig, "learning_rates")
plt.show()

# %% [markdown]
# ## 4. Exercises
# **4.1** The gradient of the linear-regression loss $L = \frac{1}{2n}\sum(y - \theta_0 - \theta_1x)^2$.
# The first attempt below copies article 000 §4.3; fix it.

# %%
def linreg_gradient(theta0, theta1, x, y):
    # Your answer: (dL/dtheta0, dL/dtheta1) as two numbers.
    r = np.mean(y - theta0 - theta1 * x)
    return r, -r


first_attempts = {"02.linreg_gradient": course.exercises.check("02.linreg_gradient", linreg_gradient)}

# %% [markdown]
# **4.2** Binary cross-entropy, averaged over examples, for labels `y` in {0, 1} and probabilities `p`.

# %%
def binary_cross_entropy(y, p):
    # Your answer: one number.
    return -np.mean(y * np.log(p))


first_attempts["02.binary_cross_entropy"] = course.exercises.check("02.binary_cross_entropy", binary_cross_entropy)

# %% [markdown]
# **4.3** Categorical cross-entropy, averaged over examples, for integer labels `y` (shape `(n,)`)
# and a probability matrix `p` (shape `(n, C)`, rows sum to 1).

# %%
def categorical_cross_entropy(y, p):
    # Your answer: one number.
    return -np.mean(np.log(p[:, 0]))


first_attempts["02.categorical_cross_entropy"] = course.exercises.check("02.categorical_cross_entropy", categorical_cross_entropy)
lesson.metric("exercises_passing_written", sum(map(bool, first_attempts.values())), "exercises passing as written", fmt=".0f");

# %% [markdown]
# ## Summary
# - MSE for numbers, binary cross-entropy for one probability, categorical cross-entropy for $C$;
#   cross-entropy punishes confident mistakes without bound.
# - MSE is the *mean* of the squared errors; $\frac12\sum$ (article 001 §4.3) is $n/2$ times larger
#   and grows with the number of examples.
# - The gradient is a vector of partial derivatives; for linear regression
#   $\nabla L = -\frac1n\big(\sum r_i, \sum r_i x_i\big)$. Check it with finite differences or autodiff.
# - Gradient descent $\theta \leftarrow \theta - \alpha\nabla L$: too small crawls, too large
#   ($\alpha > 2/\lambda_{\max}$ here) diverges.
#
# Next: lesson 03 computes the gradient of a whole multilayer network, layer by layer (backpropagation).

# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Backpropagation by hand
#     articles: ["001 §4.4"]
#     quick_seconds: 25
#     full_seconds: 30
#     description: Forward and backward pass of a three-layer MLP in NumPy, one layer at a time; a float64 gradient check and the same gradients from autodiff.
# ---

# %% [markdown]
# # 03 · Backpropagation by hand
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 001 §4.4 (the backpropagation example of a three-layer perceptron).
#
# **After this lesson you can** write the forward and the backward pass of a multilayer
# perceptron (多层感知机, MLP) in NumPy; derive each layer's error term $\delta$ with the chain rule;
# prove your gradients right with a finite-difference check in float64; and get the same numbers
# from the framework's automatic differentiation.
#
# **Prerequisites:** lessons 01 (activations and their derivatives) and 02 (loss, gradient descent);
# matrix products.
#
# **Run time:** about 25 s quick and 30 s full on a 2-core CPU.

# %%
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

from kerasmodels import course
from kerasmodels.course.scratch import numpy_nn

lesson = course.setup_lesson(3)

# %% [markdown]
# ## 1. The network and its forward pass
# Article 001 §4.4 uses three layers with sigmoid activations and the squared-error loss. With one
# example per row of $X$, and calling the input $a_0 = X$ so that every layer reads the activations
# of the one before it:
#
# $$z_1 = a_0W_1 + b_1,\; a_1 = \sigma(z_1),\quad z_2 = a_1W_2 + b_2,\; a_2 = \sigma(z_2),\quad
#   z_3 = a_2W_3 + b_3,\; y = \sigma(z_3),\qquad J = \tfrac12\sum (y - t)^2 .$$
#
# We take 4 inputs, hidden layers of 5 and 3 units and 2 outputs, so $W_1$ is $4\times5$, $W_2$
# $5\times3$, $W_3$ $3\times2$. The forward pass (前向传播) must keep every $z$ and $a$: the
# backward pass needs them.

# %%
net = numpy_nn.MLP((4, 5, 3, 2), activation="sigmoid", output_activation="sigmoid", seed=lesson.seed)
W1, b1, W2, b2, W3, b3 = (net.params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
rng = np.random.default_rng(lesson.seed)
X = rng.normal(size=(6, 4))  # a batch of 6 examples
T = rng.uniform(size=(6, 2))  # their targets

a0 = X  # the input is the activation of "layer 0"
z1 = a0 @ W1 + b1
a1 = numpy_nn.sigmoid(z1)
z2 = a1 @ W2 + b2
a2 = numpy_nn.sigmoid(z2)
z3 = a2 @ W3 + b3
y = numpy_nn.sigmoid(z3)
J = 0.5 * np.sum((y - T) ** 2)
print("shapes: X", X.shape, " a1", a1.shape, " a2", a2.shape, " y", y.shape)
print(f"loss J = {J:.6f}   (the package's MLP.loss gives {net.loss(X, T):.6f})")

# %% [markdown]
# ## 2. The computation graph
# Backpropagation (反向传播) walks this graph from right to left. Each box passes back
# $\partial J/\partial(\text{its output})$, multiplied by its own local derivative: that is the
# chain rule (链式法则). The red labels are what flows backwards: the arrow that leaves a box carries
# $\partial J/\partial(\text{that box's input})$, the value of the box it points to.

# %%
def draw_graph():
    nodes = ["a₀ = X", "z₁ = a₀W₁+b₁", "a₁ = σ(z₁)", "z₂ = a₁W₂+b₂", "a₂ = σ(z₂)", "z₃ = a₂W₃+b₃", "y = σ(z₃)",
             "J = ½Σ(y−t)²"]
    # back[i] labels the arrow from box i to box i-1: dJ/d(value of box i-1), box i's input.
    back = ["", "δ₁W₁ᵀ", "δ₁", "δ₂W₂ᵀ", "δ₂", "δ₃W₃ᵀ", "δ₃", "y − t"]
    fig, ax = plt.subplots(figsize=(14, 3.4))
    for i, label in enumerate(nodes):
        x0 = i * 1.75
        color = "#dbe9f6" if label.startswith(("z", "J")) else "#fde7c7"
        ax.add_patch(FancyBboxPatch((x0, 0), 1.4, 0.8, boxstyle="round,pad=0.05", fc=color, ec="black"))
        ax.text(x0 + 0.7, 0.4, label, ha="center", va="center", fontsize=10.5)
        if i:
            ax.annotate("", xy=(x0 - 0.02, 0.55), xytext=(x0 - 0.33, 0.55), arrowprops=dict(arrowstyle="->", lw=1.6))
            ax.annotate("", xy=(x0 - 0.33, 0.25), xytext=(x0 - 0.02, 0.25),
                        arrowprops=dict(arrowstyle="->", lw=1.6, color="tab:red"))
            ax.text(x0 - 0.18, -0.25, back[i], ha="center", va="top", color="tab:red", fontsize=11)
    for n, layer in ((1, 1), (2, 3), (3, 5)):
        below, this = "₀₁₂₃"[n - 1], "₀₁₂₃"[n]
        ax.text(layer * 1.75 + 0.7, 1.2, f"W{this}, b{this}\n∂J/∂W{this} = a{below}ᵀδ{this}", ha="center",
                va="bottom", fontsize=10, color="tab:green")
    ax.text(0, -0.85, "black: forward pass (values)    red: backward pass, ∂J/∂(the value of the box the"
            " arrow points to); δ = ∂J/∂z", fontsize=10)
    ax.set_xlim(-0.2, len(nodes) * 1.75)
    ax.set_ylim(-1.0, 1.9)
    ax.axis("off")
    ax.set_title("Computation graph of the three-layer MLP of article 001 §4.4")
    return fig


fig = draw_graph()
lesson.savefig(fig, "computation_graph")
plt.show()

# %% [markdown]
# ## 3. The backward pass, one layer at a time
# After each layer we compare with central finite differences (lesson 01), so a mistake shows up
# where it is made.
#
# **Layer 3 (output).** $\dfrac{\partial J}{\partial y} = y - t$ and $y = \sigma(z_3)$, so
# $\delta_3 = \dfrac{\partial J}{\partial z_3} = (y - t)\odot\sigma'(z_3)$ ($\odot$: element-wise).
# Since $z_3 = a_2W_3 + b_3$: $\dfrac{\partial J}{\partial W_3} = a_2^{\top}\delta_3$ (a $3\times2$
# matrix, like $W_3$) and $\dfrac{\partial J}{\partial b_3} = \sum_{\text{batch}}\delta_3$.

# %%
def check(name, ours):
    numeric = numpy_nn.numerical_gradient(lambda: net.loss(X, T), net.params[name])
    error = numpy_nn.relative_error(ours, numeric)
    print(f"dJ/d{name}: shape {ours.shape}, relative error vs finite differences {error:.1e}")
    return error


delta3 = (y - T) * numpy_nn.sigmoid_derivative(z3)
dW3, db3 = a2.T @ delta3, delta3.sum(axis=0)
errors = [check("W3", dW3), check("b3", db3)]

# %% [markdown]
# **Layer 2.** $z_3$ depends on $a_2$ through $W_3$: $\dfrac{\partial J}{\partial a_2} = \delta_3W_3^{\top}$;
# then through the sigmoid, $\delta_2 = (\delta_3W_3^{\top})\odot\sigma'(z_2)$, and
# $\dfrac{\partial J}{\partial W_2} = a_1^{\top}\delta_2$, $\dfrac{\partial J}{\partial b_2} = \sum\delta_2$.

# %%
delta2 = (delta3 @ W3.T) * numpy_nn.sigmoid_derivative(z2)
dW2, db2 = a1.T @ delta2, delta2.sum(axis=0)
errors += [check("W2", dW2), check("b2", db2)]

# %% [markdown]
# **Layer 1.** The same step once more: $\delta_1 = (\delta_2W_2^{\top})\odot\sigma'(z_1)$,
# $\dfrac{\partial J}{\partial W_1} = a_0^{\top}\delta_1 = X^{\top}\delta_1$, $\dfrac{\partial J}{\partial b_1} = \sum\delta_1$.

# %%
delta1 = (delta2 @ W2.T) * numpy_nn.sigmoid_derivative(z1)
dW1, db1 = a0.T @ delta1, delta1.sum(axis=0)
errors += [check("W1", dW1), check("b1", db1)]
lesson.metric("max_rel_err_backprop_vs_finite_diff", max(errors),
              "max relative gradient error (backprop vs finite differences)", headline=True, fmt=".1e");

# %% [markdown]
# Every relative error is far below $10^{-6}$ (in float64, finite differences with
# $\varepsilon = 10^{-6}$ are good to about $10^{-9}$). The rule is always the same, which is why it
# fits in a loop: `numpy_nn.MLP.backward` is exactly these lines for any number of layers.

# %%
_, package_grads = net.gradients(X, T)
ours = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}
print("largest difference from MLP.backward:", max(np.max(np.abs(ours[k] - package_grads[k])) for k in ours))

# %% [markdown]
# ## 4. The same gradients from automatic differentiation
# A framework never asks us for $\delta$s: it records the forward pass and applies the chain rule
# itself. `MLP.ops_loss` writes the same $J$ with `keras.ops`, and `numpy_nn.keras_gradients` asks the
# backend (TensorFlow's `GradientTape` here; `jax.value_and_grad` on JAX) for its gradients. Our
# arrays are float64; JAX computes in float32 unless its 64-bit mode is on, so the helper switches
# it on for this call, and on both backends the two agree to float64 rounding.

# %%
J_keras, auto_grads = numpy_nn.keras_gradients(net, X, T)
auto_error = max(numpy_nn.relative_error(ours[k], auto_grads[k]) for k in ours)
print(f"loss: ours {J:.12f}, Keras {J_keras:.12f}")
lesson.metric("max_rel_err_vs_keras_autodiff", auto_error, "max relative error vs Keras autodiff", fmt=".1e");

# %% [markdown]
# > **Errata (article 001 §4.4)**: the article gives $\delta_2 = (a_2w_3 + b_3)'\,\delta_3$,
# > $\delta_1 = (a_1w_2 + b_2)'\,\delta_2$ and $\dfrac{\partial J}{\partial w_{31}} = \delta_3a_1$, and
# > stops without the gradients of $W_1$ and $W_2$.
# >
# > - The error is sent back **through the weights and then through the activation**:
# >   $\delta_2 = (\delta_3W_3^{\top})\odot\sigma'(z_2)$. "The derivative of $a_2w_3+b_3$" does not say
# >   with respect to what. Read as a derivative with respect to $a_2$ (the literal reading, and the
# >   first attempt of exercise 6.2), it leaves out $\sigma'(z_2)$; only the Jacobian with respect to
# >   $z_2$, applied as $\delta_3W_3^{\top}$ and then $\odot\,\sigma'(z_2)$, gives the right rule, and
# >   the article names neither that variable nor that order.
# > - Layer 3's weights multiply $a_2$, never $a_1$, so no gradient of $W_3$ involves $a_1$:
# >   $\partial J/\partial W_3 = a_2^{\top}\delta_3$. ($a_1^{\top}\delta_3$ is even the wrong shape,
# >   $5\times2$ for a $3\times2$ matrix.)
# > - The missing ones: $\partial J/\partial W_2 = a_1^{\top}\delta_2$ and $\partial J/\partial W_1 = a_0^{\top}\delta_1 = X^{\top}\delta_1$.
# > - Smaller slips in the same section: $\partial J/\partial w_{32} = \delta_3a_2$ has its factors the
# >   wrong way round for row vectors (one example per row): it is $a_2^{\top}\delta_3$;
# >   $\partial J/\partial b = \delta$ holds for one example, and for a batch it is the sum of $\delta$
# >   over the examples; and $J = \frac12\sum_i(y_i - y)^2$ uses $y_i$ for the target and $y$ for the
# >   output, which is why we write $t$ for the target.
# >
# > The code measures what the tempting readings get wrong.

# %%
numeric_dW2 = numpy_nn.numerical_gradient(lambda: net.loss(X, T), net.params["W2"])
delta2_no_slope = delta3 @ W3.T  # sends delta3 back through W3 but forgets sigma'(z2)
print(f"delta2 without sigma'(z2): dW2 relative error vs finite differences "
      f"{numpy_nn.relative_error(a1.T @ delta2_no_slope, numeric_dW2):.2f}")
print(f"delta2 = (delta3 W3^T) * sigma'(z2): dW2 relative error {numpy_nn.relative_error(a1.T @ delta2, numeric_dW2):.1e}")
print(f"dJ/dW3 from a1: shape {(a1.T @ delta3).shape}, but W3 has shape {W3.shape}")
print(f"delta3 {delta3.shape} times a2 {a2.shape} does not chain; a2^T delta3 has shape {(a2.T @ delta3).shape}, like W3")
print(f"delta3 has shape {delta3.shape}, b3 has shape {b3.shape}: dJ/db3 is delta3 summed over the batch")

# %% [markdown]
# ## 5. Using the gradients: a NumPy network learns
# With correct gradients, plain gradient descent trains the network. Here a 2-8-8-1 network
# learns to tell points inside a circle from points outside it, a problem no single neuron
# (a straight line, lesson 01) can solve.

# %%
points = rng.uniform(-1, 1, size=(200, 2))
inside = (np.sum(points**2, axis=1) < 0.5).astype(float)[:, None]
circle_net = numpy_nn.MLP((2, 8, 8, 1), activation="tanh", output_activation="sigmoid", seed=lesson.seed)


def largest_curvature(net, eps=1e-5):
    """lambda_max of the Hessian of J/n at net's weights: finite differences of our backprop gradient."""
    probe = numpy_nn.MLP(net.layer_sizes, activation=net.activation, output_activation=net.output_activation)
    probe.params = {name: array.copy() for name, array in net.params.items()}

    def mean_gradient():
        return np.concatenate([g.ravel() for g in probe.gradients(points, inside)[1].values()]) / len(points)

    columns = []
    for array in probe.params.values():
        for index in np.ndindex(array.shape):  # 105 parameters: 210 gradients, well under a second
            array[index] += eps
            plus = mean_gradient()
            array[index] -= 2 * eps
            minus = mean_gradient()
            array[index] += eps
            columns.append((plus - minus) / (2 * eps))
    hessian = np.array(columns)
    return np.linalg.eigvalsh((hessian + hessian.T) / 2).max()


steps = lesson.pick(quick=1500, full=4000)
alpha = 1.0  # the step on the mean loss J/n (learning rate 1/n on J, which sums over the examples)
history, curvature = [], {}  # curvature: step -> lambda_max * alpha, every 50 steps from step 500 to 1450
for step in range(steps):
    if 500 <= step < 1500 and step % 50 == 0:
        curvature[step] = largest_curvature(circle_net) * alpha
    loss, grads = circle_net.gradients(points, inside)
    circle_net.apply_gradients(grads, learning_rate=1.0 / len(points))  # J sums over examples: scale by 1/n
    history.append(loss / len(points))
accuracy = np.mean((circle_net.predict(points) > 0.5) == inside)
lesson.metric("circle_train_acc", accuracy, "circle training accuracy", fmt=".1%")
rising = np.flatnonzero(np.diff(history) > 0) + 1  # steps whose loss is above the step before
if rising.size:
    print(f"the loss rose at {rising.size} steps, between step {rising[0]} and step {rising[-1]}")
    lesson.metric("share_rises_two_steps_apart", np.mean(np.diff(rising) == 2),
                  "share of those rises two steps after the last (a zig-zag)", fmt=".0%")
    lesson.metric("first_step_where_loss_rose", rising[0], "first step where the loss rose", fmt=".0f")
    lesson.metric("last_step_where_loss_rose", rising[-1], "last step where the loss rose", fmt=".0f")
    lesson.metric("loss_bump_top_over_before", max(history[rising[0]:rising[-1] + 1]) / history[rising[0] - 1],
                  "loss at the top of the bump / loss before it", fmt=".2f")
    lesson.metric("loss_end_over_before_bump", history[-1] / history[rising[0] - 1],
                  "loss at the end / loss before the bump", fmt=".2f")
    print("lambda_max * alpha (the step is stable below 2):")
    print("  ".join(f"{s}: {c:.3f}" for s, c in curvature.items()))
    before = {s: c for s, c in curvature.items() if s <= rising[0]}
    after = {s: c for s, c in curvature.items() if s >= rising[-1] + 50}
    lesson.metric("lambda_alpha_step_500", curvature[500], "lambda_max * alpha at step 500", fmt=".3f")
    lesson.metric("first_step_lambda_alpha_above_2", min(s for s, c in before.items() if c > 2),
                  "first sampled step with lambda_max * alpha > 2",
                  fmt=".0f")
    lesson.metric("lambda_alpha_first_step_above_2", curvature[min(s for s, c in before.items() if c > 2)],
                  "lambda_max * alpha at the first sampled step above 2", fmt=".3f")
    lesson.metric("lambda_alpha_max_before_bump", max(before.values()),
                  "lambda_max * alpha, largest sampled before the bump", fmt=".3f")
    lesson.metric("lambda_alpha_min_650_to_bump", min(c for s, c in before.items() if s >= 650),
                  "lambda_max * alpha, smallest sampled from step 650 to the bump", fmt=".3f")
    lesson.metric("lambda_alpha_max_after_bump", max(after.values()),
                  "lambda_max * alpha, largest sampled from 50 steps after the bump", fmt=".3f")

# Control: the same network from the same start at half the learning rate, for twice as many steps
# (so it gets the same total step budget, learning rate x steps): does its loss ever rise?
calm_net = numpy_nn.MLP((2, 8, 8, 1), activation="tanh", output_activation="sigmoid", seed=lesson.seed)
calm_history = []
for step in range(2 * steps):
    loss, grads = calm_net.gradients(points, inside)
    calm_net.apply_gradients(grads, learning_rate=0.5 / len(points))
    calm_history.append(loss / len(points))
calm_rises = int(np.sum(np.diff(calm_history) > 0))
print(f"half the learning rate, {2 * steps} steps: the loss rose at {calm_rises} steps; "
      f"final loss {calm_history[-1]:.4f} (full rate: {history[-1]:.4f})")
lesson.metric("loss_rises_half_rate", calm_rises,
              "steps where the loss rose, half the learning rate for twice the steps", fmt=".0f")

grid = np.linspace(-1, 1, 150)
g1, g2 = np.meshgrid(grid, grid)
probability = circle_net.predict(np.stack([g1.ravel(), g2.ravel()], axis=1)).reshape(g1.shape)
fig, (ax_loss, ax_map) = plt.subplots(1, 2, figsize=(11, 4.3))
ax_loss.plot(history, lw=2)
ax_loss.set_xlabel("gradient-descent step")
ax_loss.set_ylabel("J per example")
ax_loss.set_title("training loss of the NumPy MLP")
ax_loss.grid(alpha=0.3)
image = ax_map.contourf(g1, g2, probability, levels=20, cmap="RdBu_r", vmin=0, vmax=1)
is_in = inside[:, 0] == 1
ax_map.scatter(*points[is_in].T, c="gold", edgecolor="black", s=22, label="inside")
ax_map.scatter(*points[~is_in].T, c="white", edgecolor="black", s=22, label="outside")
ax_map.add_patch(plt.Circle((0, 0), np.sqrt(0.5), fill=False, ls="--", lw=2, label="true circle"))
ax_map.legend(loc="upper left", bbox_to_anchor=(0, -0.12), ncol=3, fontsize=9, framealpha=0.9)
fig.colorbar(image, ax=ax_map, label="predicted probability of 'inside'")
ax_map.set_aspect("equal")
ax_map.set_title(f"what it learned (training accuracy {accuracy:.1%})")
lesson.savefig(fig, "numpy_mlp_training")
plt.show()

# %% [markdown]
# The loss falls steadily except for one bump, between steps about 1040 and 1140 (the same in quick
# and full mode): it climbs by about 40 %, and for most of the bump (about 60 % of its rising steps)
# it zig-zags, going up every other step. That is lesson 02's step **above** its limit, briefly. The
# step on the mean loss is $\alpha = 1$, and lesson 02's limit asks for $\lambda_{\max} < 2/\alpha = 2$;
# unlike lesson 02's fixed bowl, this loss's largest curvature $\lambda_{\max}$ (the Hessian's largest
# eigenvalue, here from finite differences of our gradient, every 50 steps, printed above) changes as
# the weights move. $\lambda_{\max}\alpha$ is 1.825 at step 500, passes 2 by step 650 (2.004) and stays
# above it until the bump begins (at most 2.101). Above the limit an overshoot grows by the factor
# $|1 - \alpha\lambda_{\max}|$ per step (lesson 02), here at most about 1.1, so it can grow unseen for
# a long time: the loss first rises about 400 steps after $\lambda_{\max}\alpha$ passes 2. From 50
# steps after the bump on, $\lambda_{\max}\alpha$ stays below 2 (at most 1.974) and the loss keeps
# descending; by the end of the quick run it is well below where the bump began. The control run
# supports the step length as the cause: the same network from the same start, at half the learning
# rate for twice as many steps (so it gets the same total step budget, learning rate $\times$ steps;
# its limit $2/\alpha$ is 4), never sees its loss rise (0 rising steps, printed above; quick and full
# mode).

# %% [markdown]
# ## 6. Exercises
# **6.1** The output layer's error term $\delta_L = \partial J/\partial z_L$ for sigmoid outputs and
# $J = \frac12\sum(y-t)^2$, given predictions `y`, targets `t` and pre-activations `z`.

# %%
def output_delta(y, t, z):
    # Your answer: an array shaped like y.
    return y - t


course.exercises.check("03.output_delta", output_delta);

# %% [markdown]
# **6.2** Send an error term one layer back: given $\delta_{l+1}$ (`delta_next`, shape
# `(batch, units_next)`), the weights $W_{l+1}$ (`W_next`, shape `(units, units_next)`) and $z_l$
# (`z`, shape `(batch, units)`) of sigmoid units, return $\delta_l$. The first attempt is one
# reading of article 001 §4.4's $\delta_2$.

# %%
def hidden_delta(delta_next, W_next, z):
    # Your answer: an array shaped like z.
    return delta_next @ W_next.T


course.exercises.check("03.hidden_delta", hidden_delta);

# %% [markdown]
# **6.3** The gradient of a layer's weights from its input activations `a_prev` (shape
# `(batch, units_in)`) and its error term `delta` (shape `(batch, units_out)`).

# %%
def weight_gradient(a_prev, delta):
    # Your answer: an array shaped like W, (units_in, units_out).
    return delta.T @ a_prev


course.exercises.check("03.weight_gradient", weight_gradient);

# %% [markdown]
# ## Summary
# - Forward: keep every $z_l$ and $a_l$. Backward: $\delta_L = (y-t)\odot\sigma'(z_L)$,
#   $\delta_l = (\delta_{l+1}W_{l+1}^{\top})\odot\sigma'(z_l)$, $\partial J/\partial W_l = a_{l-1}^{\top}\delta_l$,
#   $\partial J/\partial b_l = \sum_{\text{batch}}\delta_l$.
# - A gradient's shape equals its parameter's shape: a quick first check.
# - Check gradients with finite differences in float64 (relative error far below $10^{-6}$) and
#   against autodiff; frameworks do exactly this chain rule for us.
#
# Next: lesson 04 collects the maths these lessons use: matrices, gradients, probability and Bayes.

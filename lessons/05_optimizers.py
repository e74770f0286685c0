# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Optimizers
#     seeds: ["004 §2.2", "000 §9.2"]
#     quick_seconds: 40
#     full_seconds: 95
#     description: SGD, Momentum, Adagrad, RMSprop, Adam and AdamW written from scratch, checked step by step against keras.optimizers, and drawn on one loss surface.
# ---

# %% [markdown]
# # 05 · Optimizers
#
# **Mirrors:** seed 004 §2.2 (SGD and its variants Momentum, Adagrad, RMSprop, Adam) and seed 000
# §9.2 ("choose a suitable optimizer such as Adam or AdamW").
#
# **After this lesson you can** write each of the six optimizers' update rules in a few lines of
# NumPy, reproduce `keras.optimizers` to the last digit (and know the small details where Keras
# differs from the textbook), and explain from their paths on a loss surface what momentum and
# adaptive learning rates buy.
#
# **Prerequisites:** lesson 02 (gradient descent, learning rate).
#
# **Run time:** about 40 s quick and 95 s full on a 2-core CPU (full trains longer in section 5).

# %%
import inspect

import keras
import matplotlib.pyplot as plt
import numpy as np

import kerasmodels as km
from kerasmodels import course
from kerasmodels.course.scratch import optimizers as opt

lesson = course.setup_lesson(5)

# %% [markdown]
# ## 1. The problem: a ravine
# Plain gradient descent (lesson 02) takes the same learning rate in every direction. On a loss
# shaped like a long narrow valley that is a bad deal:
#
# $$f(w_1, w_2) = 0.05\,w_1^2 + w_2^2 .$$
#
# Across the valley ($w_2$) the curvature is 2, along it ($w_1$) only 0.1. A learning rate small
# enough not to bounce across the valley ($\alpha < 2/2 = 1$) crawls along it: each step shrinks
# $w_1$ by only the factor $1 - 0.1\alpha$.

# %%
surface = opt.SURFACES["ravine"]
start = np.array([-4.5, 2.0])
print("f at the start:", surface.value(start), "  gradient there:", surface.gradient(start))

# %% [markdown]
# ## 2. Six update rules, exactly as Keras implements them
# With gradient $g_t$ at step $t$ and learning rate $\alpha$ (optimizer, 优化器):
#
# | optimizer | state | update (Keras 3's form) |
# |---|---|---|
# | SGD (随机梯度下降) | none | $w \leftarrow w - \alpha g$ |
# | Momentum (动量) | $m$, starts at 0 | $m \leftarrow \mu m - \alpha g$; $\;w \leftarrow w + m$ |
# | Adagrad | $A$, starts at **0.1** | $A \leftarrow A + g^2$; $\;w \leftarrow w - \alpha g / \sqrt{A + \epsilon}$ |
# | RMSprop | $v$ | $v \leftarrow \rho v + (1-\rho) g^2$; $\;w \leftarrow w - \alpha g / \sqrt{v + \epsilon}$ |
# | Adam | $m, v$ | $m \leftarrow \beta_1 m + (1-\beta_1) g$; $v \leftarrow \beta_2 v + (1-\beta_2) g^2$; $\;w \leftarrow w - \alpha_t\, m / (\sqrt v + \epsilon)$, $\;\alpha_t = \alpha\sqrt{1-\beta_2^t}/(1-\beta_1^t)$ |
# | AdamW | as Adam | $w \leftarrow w - \alpha\lambda w$ (decoupled weight decay), then the Adam step |
#
# Squares, roots and divisions are element-wise: Adagrad, RMSprop and Adam give **each parameter
# its own step size**, large where gradients have been small and small where they have been large.
# Momentum lets steps that agree accumulate and steps that alternate cancel.
#
# Details where Keras differs from many textbooks (read in `keras/src/optimizers/*.py`): Adagrad's
# accumulator starts at 0.1, not 0; Adagrad and RMSprop put $\epsilon$ *inside* the square root;
# Adam folds both bias corrections into $\alpha_t$ and adds $\epsilon$ to the *uncorrected*
# $\sqrt v$; AdamW shrinks the weights before the Adam step instead of adding $\lambda w$ to the
# gradient. The package module `kerasmodels.course.scratch.optimizers` has one small class per rule;
# here are two of them:

# %%
print(inspect.getsource(opt.Momentum._update))
print(inspect.getsource(opt.Adam._adam_step))

# %% [markdown]
# ## 3. Checking every rule against `keras.optimizers`, step by step
# `compare_with_keras` runs a scratch optimizer and its Keras twin (`keras_equivalent()`, same
# hyper-parameters) from the same start, feeding both the same gradient at every step, on float64
# weights, and records both paths.

# %%
steps = lesson.pick(quick=60, full=150)
comparisons = [opt.compare_with_keras(o, surface.gradient, start, steps=steps) for o in opt.default_optimizers()]
print(f"{'optimizer':10s} {'max |scratch - Keras|':>22s}   settings")
for o, c in zip(opt.default_optimizers(), comparisons):
    settings = ", ".join(f"{k}={v}" for k, v in o.get_config().items())
    print(f"{c.name:10s} {c.max_abs_difference:22.1e}   {settings}")
worst = max(c.max_abs_difference for c in comparisons)
lesson.metric(f"max |scratch - keras.optimizers| over 6 optimizers x {steps} steps", worst, headline=True, fmt=".1e");

# %% [markdown]
# They agree to the last bit or within $10^{-12}$. Getting there needed one more detail: Keras keeps
# the learning rate in a float32 variable and turns Python floats such as $\mu$, $\beta_1$,
# $\beta_2$ and $\lambda$ into float32 tensors before casting them to the weights' dtype, so on
# float64 weights $\alpha = 0.1$ acts as `float32(0.1)` = 0.10000000149…; the scratch classes round
# the same numbers the same way. How much do the textbook forms differ? The first Adagrad step
# shows it most clearly:

# %%
g0 = surface.gradient(start)
keras_first = opt.Adagrad(1.0).step(start, g0) - start
textbook_first = -1.0 * g0 / (np.sqrt(g0**2) + 1e-7)  # accumulator from 0, epsilon outside the root
print("first Adagrad step, Keras (accumulator 0.1):", keras_first.round(4))
print("first Adagrad step, textbook (accumulator 0):", textbook_first.round(4), "= -lr * sign(g)")

# %% [markdown]
# ## 4. Six paths on one loss surface
# Same start, the hyper-parameters printed above.

# %%
w1, w2 = np.meshgrid(np.linspace(-5, 1.5, 300), np.linspace(-2.5, 2.5, 300))
fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(14, 5), gridspec_kw={"width_ratios": [1.5, 1]})
ax.contour(w1, w2, surface.value(np.stack([w1, w2], axis=-1)), levels=np.geomspace(0.01, 8, 12),
           cmap="Greys", linewidths=1)
markers = ["o", "s", "^", "D", "v", "P"]
for c, marker in zip(comparisons, markers):
    ax.plot(c.scratch[:, 0], c.scratch[:, 1], marker=marker, ms=3, lw=1.5, markevery=3, label=c.name)
    ax_loss.semilogy(surface.value(c.scratch) + 1e-12, lw=2, label=c.name)
ax.plot(*start, "ko", ms=8)
ax.annotate("start", start, xytext=(-4.9, 2.25), fontsize=11)
ax.plot(*surface.minimum, "k*", ms=15)
ax.set_xlabel("$w_1$ (along the valley: curvature 0.1)")
ax.set_ylabel("$w_2$ (across: curvature 2)")
ax.set_title(f"Paths of six optimizers, {steps} steps each")
ax.legend(loc="lower right")
ax_loss.set_xlabel("step")
ax_loss.set_ylabel("loss f(w) (log scale)")
ax_loss.set_title("loss per step")
ax_loss.grid(alpha=0.3)
ax_loss.legend(fontsize=9)
lesson.savefig(fig, "optimizer_paths")
plt.show()

# %% [markdown]
# What to see: SGD drops quickly into the valley and then crawls along it. Momentum builds up speed
# along the valley (and overshoots, then swings back). Adagrad, RMSprop and Adam rescale each
# coordinate, so they head for the minimum almost diagonally; Adagrad's steps shrink for ever as its
# accumulator grows, RMSprop and Adam forget old gradients. AdamW follows Adam but is also pulled
# towards zero by the weight decay (here the minimum is at zero, so it helps).
#
# ## 5. The same optimizers on a real network
# Paths on a 2-D surface are only a picture. Here the Keras optimizers train the same small MLP on
# the `digits` images (8×8 pixels, always available offline), from the same initial weights. An
# optimizer's job is to make the training loss small, so we watch the training curves.

# %%
x_train, y_train = km.data.load("digits", split="train")
epochs = lesson.pick(quick=6, full=30)
settings = {
    "SGD": keras.optimizers.SGD(0.1),
    "Momentum": keras.optimizers.SGD(0.05, momentum=0.9),
    "Adagrad": keras.optimizers.Adagrad(0.05),
    "RMSprop": keras.optimizers.RMSprop(0.003),
    "Adam": keras.optimizers.Adam(0.003),
    "AdamW": keras.optimizers.AdamW(0.003, weight_decay=0.004),
}
first = km.models.mlp(input_shape=(8, 8), num_classes=10, hidden_units=(64,))
initial_weights = first.get_weights()
histories = {}
for name, keras_optimizer in settings.items():
    model = km.models.mlp(input_shape=(8, 8), num_classes=10, hidden_units=(64,))
    model.set_weights(initial_weights)
    km.models.compile_model(model, optimizer=keras_optimizer)
    histories[name] = model.fit(x_train, y_train, epochs=epochs, batch_size=64, verbose=0).history
    print(f"{name:9s} after {epochs} epochs: training loss {histories[name]['loss'][-1]:.3f}, "
          f"training accuracy {histories[name]['accuracy'][-1]:.1%}")
fig = course.plots.training_curves(histories, metrics=("loss", "accuracy"),
                               title=f"Six optimizers training the same MLP on digits ({epochs} epochs)")
lesson.savefig(fig, "optimizers_on_digits")
plt.show()

# %% [markdown]
# No optimizer wins everywhere, and each has a learning rate it likes (the ones above are
# reasonable choices, not tuned). AdamW's curve lies almost on Adam's: its decay shrinks each
# weight by only $\alpha\lambda = 0.003 \times 0.004$ per step, which takes many epochs to show; its
# point is better generalisation on long runs (lesson 08), not speed. Adam and AdamW are popular
# because they work reasonably well without much tuning, which is why seed 000 §9.2 recommends them.
#
# ## 6. Exercises
# **6.1** One step of SGD with momentum in Keras's form. Return `(w_new, m_new)`. The first
# attempt has a sign error: it walks uphill.

# %%
def momentum_step(w, g, m, learning_rate, momentum):
    # Your answer: (new weights, new momentum buffer).
    m = momentum * m + learning_rate * g
    return w + m, m


course.exercises.check("05.momentum_step", momentum_step);

# %% [markdown]
# **6.2** One step of RMSprop (no momentum) in Keras's form. Return `(w_new, v_new)`.

# %%
def rmsprop_step(w, g, v, learning_rate, rho=0.9, epsilon=1e-7):
    # Your answer: (new weights, new moving average of g**2).
    v = rho * v + g**2
    return w - learning_rate * g / np.sqrt(v + epsilon), v


course.exercises.check("05.rmsprop_step", rmsprop_step);

# %% [markdown]
# **6.3** One step of Adam at step number `t` (1 for the first step). Return `(w_new, m_new, v_new)`.
# Keras's form or the textbook form with bias-corrected $\hat m$, $\hat v$ both pass.

# %%
def adam_step(w, g, m, v, t, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    # Your answer: (new weights, new first moment, new second moment).
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    return w - learning_rate * m / (np.sqrt(v) + epsilon), m, v


course.exercises.check("05.adam_step", adam_step);

# %% [markdown]
# ## Summary
# - SGD: one step size for all. Momentum: accumulate consistent directions. Adagrad / RMSprop:
#   per-parameter step sizes from (all / recent) squared gradients. Adam: momentum + RMSprop + bias
#   correction. AdamW: Adam with weight decay applied directly to the weights.
# - A from-scratch optimizer matches Keras only with Keras's exact formulas: accumulator 0.1,
#   $\epsilon$ placement, bias corrections folded into $\alpha_t$, decoupled decay, float32 hyper-parameters.
# - Paths on a ravine show why adaptive methods help on badly scaled problems.
# - No optimizer wins everywhere, and each needs its own learning rate.
#
# Next: lesson 06 puts it together: a first real Keras model on MNIST.

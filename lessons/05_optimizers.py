# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Optimizers
#     articles: ["004 §2.2", "000 §9.2"]
#     quick_seconds: 22
#     full_seconds: 95
#     description: SGD, Momentum, Adagrad, RMSprop, Adam and AdamW written from scratch, checked step by step against keras.optimizers, and drawn on one loss surface.
# ---

# %% [markdown]
# # 05 · Optimizers
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 004 §2.2 (SGD and its variants Momentum, Adagrad, RMSprop, Adam) and article 000
# §9.2 ("choose a suitable optimizer such as Adam or AdamW").
#
# **After this lesson you can** write each of the six optimizers' update rules in a few lines of
# NumPy, reproduce `keras.optimizers` to the last digit (and know the small details where Keras
# differs from the textbook), and explain from their paths on a loss surface what momentum and
# adaptive learning rates buy.
#
# **Prerequisites:** lesson 02 (gradient descent, learning rate).
#
# **Run time:** quick mode measured 22 s of CPU time (one run, TensorFlow, 2-core AMD EPYC CPU,
# user + system time of `kerasmodels run 5`; its wall time, 58 s on a machine shared with other
# jobs, depends on the load). Full mode (longer training in sections 3-4 and 6) was not re-measured;
# an earlier run took about 95 s on a 2-core CPU (load not recorded).

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
# Across the valley ($w_2$) the curvature (second derivative) is $h = 2$, along it ($w_1$) only 0.1. A gradient
# descent step multiplies $w_2$ by $1 - 2\alpha$ and $w_1$ by $1 - 0.1\alpha$. For $\alpha < 1/h = 0.5$
# the factor across is positive and $w_2$ slides into the valley without changing sign; for
# $0.5 < \alpha < 2/h = 1$ it is negative, so $w_2$ **bounces** from side to side while it
# still shrinks; above $\alpha = 1$ the bounces grow and descent diverges. Any $\alpha$ that
# converges at all ($\alpha < 1$) multiplies $w_1$ by $1 - 0.1\alpha > 0.9$ per step, so each step removes
# less than 10 % of $w_1$: it crawls along the valley.

# %%
surface = opt.SURFACES["ravine"]
start = np.array([-4.5, 2.0])
print("f at the start:", surface.value(start), "  gradient there:", surface.gradient(start))
for alpha in (0.4, 0.75, 1.05):
    path = opt.trajectory(opt.SGD(alpha), surface.gradient, start, 10)
    sign_changes = int(np.sum(np.diff(np.sign(path[:, 1])) != 0))
    print(f"alpha = {alpha}: each step multiplies w2 by 1 - 2*alpha = {1 - 2 * alpha:+.2f}")
    lesson.metric(f"gd_alpha_{lesson.key_part(alpha)}_w2_sign_changes", sign_changes,
                  f"GD alpha={alpha}: sign changes of w2 in 10 steps", fmt=".0f")
    lesson.metric(f"gd_alpha_{lesson.key_part(alpha)}_w2_abs_10_steps", abs(path[-1, 1]),
                  f"GD alpha={alpha}: |w2| after 10 steps", fmt=".3g")

# %% [markdown]
# ## 2. Six update rules, exactly as Keras implements them
# With gradient $g_t$ at step $t$ and learning rate $\alpha$ (optimizer, 优化器):
#
# | optimizer | state | update (Keras 3's form) |
# |---|---|---|
# | GD (梯度下降) | none | $w \leftarrow w - \alpha g$ |
# | Momentum (动量) | $m$, starts at 0 | $m \leftarrow \mu m - \alpha g$; $\;w \leftarrow w + m$ |
# | Adagrad | $A$, starts at **0.1** | $A \leftarrow A + g^2$; $\;w \leftarrow w - \alpha g / \sqrt{A + \epsilon}$ |
# | RMSprop | $v$ | $v \leftarrow \rho v + (1-\rho) g^2$; $\;w \leftarrow w - \alpha g / \sqrt{v + \epsilon}$ |
# | Adam | $m, v$ | $m \leftarrow \beta_1 m + (1-\beta_1) g$; $v \leftarrow \beta_2 v + (1-\beta_2) g^2$; $\;w \leftarrow w - \alpha_t\, m / (\sqrt v + \epsilon)$, $\;\alpha_t = \alpha\sqrt{1-\beta_2^t}/(1-\beta_1^t)$ |
# | AdamW | as Adam | $w \leftarrow w - \alpha\lambda w$ (decoupled weight decay), then the Adam step |
#
# AdamW's decay is written as Keras (and PyTorch) apply it: multiplied by the learning rate $\alpha$.
# The paper (Loshchilov and Hutter) multiplies $\lambda w$ by the schedule's multiplier $\eta_t$ instead,
# not by $\alpha$. In Keras 3 *every* optimizer's `weight_decay=` argument is applied this decoupled way
# (`w - w * weight_decay * learning_rate` before the step), so `keras.optimizers.Adam(weight_decay=λ)`
# already behaves like AdamW; L2 regularisation, "Adam + L2" below, is a `kernel_regularizer` on the layers
# (mind its factor 2: see "Why AdamW decouples the decay" below).
#
# Keras calls the first rule `SGD` (stochastic gradient descent, 随机梯度下降) because `fit` feeds it
# the gradient of a random mini-batch (section 5); on the surface below every step sees the exact
# gradient, so it is plain gradient descent, GD. Squares, roots and divisions are element-wise: Adagrad, RMSprop and Adam give **each parameter
# its own step size**, large where gradients have been small and small where they have been large.
# Momentum lets steps that agree accumulate and steps that alternate cancel.
#
# **Momentum's long-run step.** With a constant gradient $g$ the buffer settles where
# $m = \mu m - \alpha g$, i.e. $m = -\frac{\alpha}{1-\mu}\,g$: each step then moves
# $\frac{\alpha}{1-\mu}$ times the gradient, an **effective learning rate** ten times $\alpha$ for
# $\mu = 0.9$. Comparing SGD and momentum at the same $\alpha$ therefore compares step sizes as much
# as momentum; section 6 compares them at the same $\alpha/(1-\mu)$. Checked on a constant gradient:

# %%
momentum = opt.Momentum(0.05, momentum=0.9)
w = np.zeros(1)
for _ in range(200):  # a constant gradient of 1
    w_before, w = w, momentum.step(w, np.ones(1))
print(f"Momentum(0.05, 0.9), step 200 of a constant gradient 1: moves {w_before[0] - w[0]:.4f}; "
      f"alpha / (1 - mu) = {0.05 / (1 - 0.9):.4f}")
lesson.metric("momentum_step200_over_terminal_step", (w_before[0] - w[0]) / (0.05 / (1 - 0.9)),
              "Momentum(0.05, 0.9): step 200 on a constant gradient / (alpha / (1 - mu))", fmt=".4f");

# %% [markdown]
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
# **Why Adam corrects its moments.** $m$ and $v$ start at 0, so early on they are pulled towards 0.
# After the first step, with gradient $g$:
#
# $$m_1 = (1-\beta_1)\,g, \qquad v_1 = (1-\beta_2)\,g^2, \qquad
#   \frac{m_1}{\sqrt{v_1}} = \frac{1-\beta_1}{\sqrt{1-\beta_2}}\,\operatorname{sign}(g).$$
#
# The corrected moments $\hat m_1 = m_1/(1-\beta_1) = g$ and $\hat v_1 = v_1/(1-\beta_2) = g^2$ give a
# first step of exactly $\alpha$ (times the sign of $g$). Without the correction the step is
# $(1-\beta_1)/\sqrt{1-\beta_2}$ times that: $v$'s bias is the larger one ($1-\beta_2 = 0.001$, and
# its square root 0.0316, against $1-\beta_1 = 0.1$), so the uncorrected step is too **large**. With a
# constant gradient the factor after $t$ steps is $(1-\beta_1^t)/\sqrt{1-\beta_2^t}$:

# %%
beta_1, beta_2, g = 0.9, 0.999, 1.0
m_1, v_1 = (1 - beta_1) * g, (1 - beta_2) * g**2
uncorrected = m_1 / np.sqrt(v_1)
corrected = (m_1 / (1 - beta_1)) / np.sqrt(v_1 / (1 - beta_2))
keras_form_step = start[:1] - opt.Adam(1.0).step(start[:1], np.array([g]))  # Keras's Adam, learning rate 1
print(f"first step / learning rate: uncorrected {uncorrected:.4f}, corrected {corrected:.4f}, "
      f"Keras's Adam {keras_form_step[0]:.4f}")
t = np.arange(1, 1001)
factor = (1 - beta_1**t) / np.sqrt(1 - beta_2**t)
print(f"uncorrected / corrected step with a constant gradient: t=1 {factor[0]:.2f}, largest {factor.max():.2f} "
      f"at t={t[factor.argmax()]}, t=100 {factor[99]:.2f}, t=1000 {factor[-1]:.2f}")
lesson.metric("adam_step1_uncorrected_over_corrected", uncorrected / corrected,
              "Adam first step: uncorrected / corrected", fmt=".3f")
lesson.metric("adam_first_step_keras_over_lr", keras_form_step[0], "Adam first step of Keras's form / learning rate", fmt=".4f")
lesson.metric("adam_uncorrected_over_corrected_max", factor.max(),
              "Adam uncorrected / corrected, largest over 1000 steps", fmt=".2f")
lesson.metric("adam_uncorrected_over_corrected_argmax", t[factor.argmax()],
              "Adam uncorrected / corrected: step of the largest", fmt=".0f");

# %% [markdown]
# **Why AdamW decouples the decay** (Loshchilov and Hutter, "Decoupled Weight Decay Regularization",
# 2019). L2 regularisation adds $\lambda w$ to the gradient (the gradient of a penalty $\frac{\lambda}{2}\lVert w\rVert^2$;
# Keras's `keras.regularizers.L2(l2)` adds $l2\sum w^2$, whose gradient is $2\,l2\,w$, so this is `L2(λ/2)`
# and `L2(λ)` decays twice as hard, lesson 08 §3); in Adam that term is then divided by
# $\sqrt{\hat v}$ like the rest of the gradient, so a weight whose gradients are large is barely
# decayed and one whose gradients are small is decayed hard. AdamW's $w \leftarrow w - \alpha\lambda w$
# bypasses the division: every weight shrinks at the same rate. Two weights, both starting at 1, with
# noisy gradients of sizes 0.01 and 10 (the same noise for every run), 500 steps at $\alpha = 0.01$,
# $\lambda = 0.1$; each number is the weight with decay divided by the weight without it:

# %%
noise = np.random.default_rng(lesson.seed).normal(size=(500, 2)) * np.array([0.01, 10.0])


def decay_demo(kind, decay=0.1):
    o = opt.AdamW(0.01, weight_decay=decay) if kind == "AdamW" else opt.Adam(0.01)
    w = np.ones(2)
    for g in noise:
        w = o.step(w, g + (decay * w if kind == "Adam + L2" else 0.0))
    return w


no_decay = decay_demo("Adam", decay=0.0)
for kind in ("Adam + L2", "AdamW"):
    kept = decay_demo(kind) / no_decay
    print(f"{kind:9s}: kept {kept[0]:.3f} of the small-gradient weight, {kept[1]:.3f} of the large-gradient one")
    lesson.metric(f"{lesson.key_part(kind)}_weight_kept_grad_0_01", kept[0],
                  f"{kind}: weight kept by the decay, gradients of size 0.01", fmt=".3f")
    lesson.metric(f"{lesson.key_part(kind)}_weight_kept_grad_10", kept[1],
                  f"{kind}: weight kept by the decay, gradients of size 10", fmt=".3f")

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
lesson.metric("max_err_scratch_vs_keras_optimizers", worst,
              f"max |scratch - keras.optimizers| over 6 optimizers x {steps} steps", headline=True, fmt=".1e");

# %% [markdown]
# They agree to the last bit or within $10^{-12}$. Getting there needed one more detail: Keras keeps
# the learning rate in a float32 variable and turns Python floats such as $\mu$, $\lambda$ and
# $\beta_1$, $\beta_2$ (in $\beta^t$ only; $1-\beta_1$, $1-\beta_2$ and $\rho$ stay float64) into
# float32 tensors before casting them to the weights' dtype, so on
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
names = [{"SGD": "GD"}.get(c.name, c.name) for c in comparisons]  # exact gradients: plain GD
for c, name, marker in zip(comparisons, names, markers):
    ax.plot(c.scratch[:, 0], c.scratch[:, 1], marker=marker, ms=3, lw=1.5, markevery=3, label=name)
    ax_loss.semilogy(surface.value(c.scratch) + 1e-12, lw=2, marker=marker, ms=4, markevery=6,
                     ls="--" if name == "AdamW" else "-", label=name)  # dashed: AdamW would hide Adam
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
final_losses = {name: surface.value(c.scratch[-1]) for name, c in zip(names, comparisons)}
for name, c in zip(names, comparisons):
    lesson.metric(f"{lesson.key_part(name)}_ravine_final_loss", final_losses[name], f"{name} final loss on the ravine", fmt=".2e")
    lesson.metric(f"{lesson.key_part(name)}_ravine_min_w2", c.scratch[:, 1].min(),
                  f"{name} smallest w2 on the ravine", fmt="+.2f")  # overshoot across
    lesson.metric(f"{lesson.key_part(name)}_ravine_max_w1", c.scratch[:, 0].max(),
                  f"{name} largest w1 on the ravine", fmt="+.2f")  # overshoot along
gradients_seen = np.array([surface.gradient(w) for w in comparisons[2].scratch[:-1]])  # Adagrad's path
accumulator = np.float32(0.1) + np.sum(gradients_seen**2, axis=0)
effective = 1.0 / np.sqrt(accumulator + 1e-7)  # Adagrad's learning rate 1.0 / sqrt(A + eps)
print(f"Adagrad after {steps} steps: accumulator {accumulator.round(2)}, effective learning rates "
      f"{effective.round(2)} (along, across); GD's is 0.4 in both directions")
lesson.metric("adagrad_lr_along_valley_end", effective[0],
              "Adagrad: effective learning rate along the valley at the end", fmt=".2f")
lesson.metric("adagrad_lr_across_valley_end", effective[1],
              "Adagrad: effective learning rate across the valley at the end", fmt=".2f")
after_10 = np.float32(0.1) + np.sum(gradients_seen[:10] ** 2, axis=0)
lesson.metric("adagrad_accumulator_share_10_steps", after_10[0] / accumulator[0],
              "Adagrad: share of the final accumulator reached after 10 steps, along the valley", fmt=".2f")
runner_up = sorted(final_losses.values())[1]
print(f"lowest final loss: {min(final_losses, key=final_losses.get)}, "
      f"{runner_up / min(final_losses.values()):.0f}x below the runner-up")
adam_path = comparisons[names.index("Adam")].scratch  # Adam(0.3): how its steps compare with the gradient
adam_steps = np.abs(np.diff(adam_path, axis=0)) / 0.3  # |step| / alpha, per coordinate
adam_gradients = np.abs([surface.gradient(w) for w in adam_path[:-1]])
print(f"Adam: |step| / alpha at step 1 {adam_steps[0].round(2)}, step 6 {adam_steps[5].round(2)}; step 18: "
      f"|gradient| along the valley {adam_gradients[17, 0]:.3f}, |step| along {adam_steps[17, 0] * 0.3:.2f}; "
      f"largest |step| / alpha over steps 41-60 {adam_steps[40:60].max():.2f}")
lesson.metric("adam_min_step_over_alpha_first_5", adam_steps[:5].min(),
              "Adam: smallest |step| / alpha over the first 5 steps", fmt=".2f")
lesson.metric("adam_grad_along_valley_step18", adam_gradients[17, 0], "Adam: |gradient| along the valley at step 18", fmt=".3f")
lesson.metric("adam_step_along_valley_step18", adam_steps[17, 0] * 0.3, "Adam: |step| along the valley at step 18", fmt=".2f")
lesson.metric("adam_max_step_over_alpha_steps_41_60", adam_steps[40:60].max(),
              "Adam: largest |step| / alpha over steps 41-60", fmt=".2f")
rmsprop = opt.RMSprop(0.1)
rms_path, rms_rate = [start], []  # 150 steps: full mode's length, in both modes
for _ in range(150):
    rms_path.append(rmsprop.step(rms_path[-1], surface.gradient(rms_path[-1])))
    rms_rate.append(rmsprop.lr / np.sqrt(rmsprop.state["velocity"] + rmsprop.epsilon))  # used at this step
rms_path, rms_rate = np.array(rms_path), np.array(rms_rate)  # rms_rate[k - 1]: the rate of step k
rms_loss = surface.value(rms_path)
unstable_from = 1 + np.argmax(rms_rate > 2 / np.array([0.1, 2.0]), axis=0)  # first step with rate > 2 / curvature
print(f"RMSprop, 150 steps: loss at step 60 {rms_loss[60]:.1e}, lowest {rms_loss.min():.1e} at step "
      f"{rms_loss.argmin()}, final {rms_loss[-1]:.1e}; smallest w2 {rms_path[:, 1].min():+.2f}, "
      f"largest w1 {rms_path[:, 0].max():+.2f}")
print(f"RMSprop effective learning rate at step 60: {rms_rate[59].round(2)} (along, across); it first exceeds "
      f"2 / curvature (20 along, 1 across) at steps {unstable_from}; smallest w2 at step "
      f"{rms_path[:, 1].argmin()}, largest w1 at step {rms_path[:, 0].argmax()}")
lesson.metric("rmsprop150_loss_step60", rms_loss[60], "RMSprop 150 steps: loss at step 60", fmt=".1e")
lesson.metric("rmsprop150_min_loss", rms_loss.min(), "RMSprop 150 steps: lowest loss on the ravine", fmt=".1e")
lesson.metric("rmsprop150_argmin_loss", rms_loss.argmin(), "RMSprop 150 steps: step of the lowest loss", fmt=".0f")
lesson.metric("rmsprop150_final_loss", rms_loss[-1], "RMSprop 150 steps: final loss on the ravine", fmt=".1e")
lesson.metric("rmsprop150_min_w2", rms_path[:, 1].min(), "RMSprop 150 steps: smallest w2", fmt="+.2f")
lesson.metric("rmsprop150_max_w1", rms_path[:, 0].max(), "RMSprop 150 steps: largest w1", fmt="+.2f")
lesson.metric("rmsprop150_argmin_w2", rms_path[:, 1].argmin(), "RMSprop 150 steps: step of the smallest w2", fmt=".0f")
lesson.metric("rmsprop150_argmax_w1", rms_path[:, 0].argmax(), "RMSprop 150 steps: step of the largest w1", fmt=".0f")
lesson.metric("rmsprop_lr_along_valley_step60", rms_rate[59, 0],
              "RMSprop: effective learning rate along the valley at step 60", fmt=".2f")
lesson.metric("rmsprop_lr_across_valley_step60", rms_rate[59, 1],
              "RMSprop: effective learning rate across the valley at step 60", fmt=".2f")
lesson.metric("rmsprop_first_step_along_rate_above_20", unstable_from[0],
              "RMSprop: first step whose rate along the valley exceeds 2/0.1 = 20", fmt=".0f")
lesson.metric("rmsprop_first_step_across_rate_above_1", unstable_from[1],
              "RMSprop: first step whose rate across the valley exceeds 2/2 = 1", fmt=".0f");

# %% [markdown]
# What to see (the printout above has the numbers): GD drops into the valley in a few steps
# ($w_2$ never changes sign at $\alpha = 0.4 < 1/h$) and then crawls along it. Momentum
# overshoots *across* the valley ($w_2$ swings well below 0) before its velocity turns along it.
# In quick mode (60 steps) Adagrad and RMSprop rescale each coordinate and head for the minimum nearly
# straight (their smallest $w_2$ rounds to 0.00). Adam and AdamW rescale too: their first steps are
# nearly sign-like, about $\alpha = 0.3$ in each coordinate (at least $0.9\alpha$ over the first 5
# steps), and their momentum ($\beta_1 = 0.9$) carries them across the valley ($w_2$ down to about
# $-0.7$ and $-0.6$, not far short of Momentum) and *along* it ($w_1$ goes past 0): at step 18
# Adam's gradient along the valley is 0.004, yet its step along it is 0.17. Then they swing back,
# so their loss curves oscillate. Their steps do shrink later ($\hat v$, with $\beta_2 = 0.999$, still
# remembers the large early gradients): over steps 41-60 Adam's largest step is about $0.2\alpha$.
# AdamW's decay pulls the weights towards 0, which here is the minimum.
#
# RMSprop does not stay there, for another reason. Its $v$ averages only recent $g^2$ ($\rho = 0.9$):
# once the gradient is nearly 0, $v$ just decays by 0.9 per step, so the effective learning rate
# $\alpha/\sqrt{v+\epsilon}$ *grows* by $1/\sqrt{0.9} \approx 1.05$ per step ($\epsilon = 10^{-7}$ would cap it
# only at $\alpha/\sqrt{\epsilon} \approx 316$). Section 1's limit holds in each direction: a rate $\eta$ above
# $2/h$ multiplies what is left of that coordinate by $|1 - h\eta| > 1$ at every step.
# The last printouts run RMSprop for 150 steps (full mode's length, recorded in both modes). At step 60
# its rates are about 1.8 along the valley and 0.67 across; across ($h = 2$) the rate passes 1 at
# step 68, along ($h = 0.1$) it passes 20 at step 106. The loss still falls to about
# $3 \times 10^{-21}$ at step 89, because the leftover $w_2$ is tiny by then and takes a number of
# steps to grow; then it is thrown out to $w_2 = -0.23$ at step 101. The large gradient
# refills $v$ and pulls the rate back down, until $v$ decays again. Along the valley the same happens
# later: $w_1$ is thrown out to $+0.15$ at step 139. RMSprop ends at $4 \times 10^{-3}$,
# higher than at step 60. Without a decaying learning rate (lesson 08) it does not settle.
#
# Adagrad ends with by far the lowest loss, and not because its steps shrink: its accumulator
# settles within about ten steps (the gradient soon becomes small), and what remains is a fixed
# learning rate per coordinate, large along the flat direction and small across the steep one (the
# printout). Along the valley it is well above GD's 0.4, so each step removes a larger share of
# $w_1$; across it it stays below $1/h$, so $w_2$ does not bounce. The rescaling evens out
# the two curvatures, which is what a ravine needs. These are six hand-picked learning rates on one surface: the ranking
# says what these settings do here, not which optimizer is better in general.
#
# ## 5. Stochastic gradient descent: mini-batches
# A network's loss is an average over many examples. **Stochastic** (mini-batch) gradient descent
# (随机梯度下降) estimates the gradient from a random mini-batch of $B$ examples at each step: far
# cheaper than the full average, but noisy. Linear regression with 1,000 examples shows both sides:
# paths with small batches wander, and near the minimum they never settle, but keep jittering
# around it. The spread of that jitter grows with the learning rate $\alpha$ and shrinks with the
# batch size $B$ (its variance is roughly proportional to $\alpha/B$), which is why a larger batch
# usually goes with a larger learning rate.

# %%
rng = np.random.default_rng(lesson.seed)
features = rng.normal(size=(1000, 2))
targets = features @ np.array([2.0, -1.0]) + rng.normal(scale=1.0, size=1000)
w_best = np.linalg.lstsq(features, targets, rcond=None)[0]


def minibatch_descent(alpha, batch_size, steps, w=(-1.0, 2.0), seed=0):
    draw = np.random.default_rng(seed)
    path = [np.array(w)]
    for _ in range(steps):
        batch = draw.choice(len(features), size=batch_size, replace=False)
        residual = features[batch] @ path[-1] - targets[batch]
        path.append(path[-1] - alpha * features[batch].T @ residual / batch_size)  # gradient of 1/2 mean r^2
    return np.array(path)


spread = {}
for alpha in (0.01, 0.04):
    for batch_size in (1, 4, 16, 64):
        tail = minibatch_descent(alpha, batch_size, 3000)[1000:]  # after the first 1,000 steps
        spread[alpha, batch_size] = np.sqrt(np.mean(np.sum((tail - w_best) ** 2, axis=1)))
        lesson.metric(f"sgd_rms_distance_{lesson.key_part(alpha)}_b{batch_size}", spread[alpha, batch_size],
                      f"SGD RMS distance from the minimum, alpha={alpha}, B={batch_size}", fmt=".4f")
gd_tail = minibatch_descent(0.04, len(features), 1000)[500:]
lesson.metric("gd_rms_distance_alpha_0_04", np.sqrt(np.mean(np.sum((gd_tail - w_best) ** 2, axis=1))),
              "GD RMS distance from the minimum, alpha=0.04",
              fmt=".1e")

fig, (ax_path, ax_spread) = plt.subplots(1, 2, figsize=(13, 4.8))
a, b = np.meshgrid(np.linspace(-1.3, 2.6, 200), np.linspace(-1.6, 2.2, 200))
grid = np.stack([a.ravel(), b.ravel()], axis=1)
grid_loss = 0.5 * np.mean((features @ grid.T - targets[:, None]) ** 2, axis=0).reshape(a.shape)
ax_path.contour(a, b, grid_loss, levels=12, cmap="Greys", linewidths=1)
for batch_size, style in [(1, "-"), (16, "-"), (len(features), "--")]:
    path = minibatch_descent(0.04, batch_size, 150)
    label = "GD (all 1,000)" if batch_size == len(features) else f"SGD, B = {batch_size}"
    ax_path.plot(path[:, 0], path[:, 1], style, lw=1.3, label=label)
ax_path.plot(*w_best, "k*", ms=14, label="minimum")
ax_path.set(xlabel="$w_1$", ylabel="$w_2$", title="150 steps, α = 0.04")
ax_path.legend()
for alpha, marker in [(0.01, "o"), (0.04, "s")]:
    sizes = [1, 4, 16, 64]
    ax_spread.loglog(sizes, [spread[alpha, s] for s in sizes], marker=marker, lw=2, label=f"α = {alpha}")
ax_spread.set(xlabel="batch size B", ylabel="RMS distance from the minimum",
              title="jitter: RMS distance over steps 1,000–3,000")
ax_spread.set_xticks([1, 4, 16, 64], ["1", "4", "16", "64"])
ax_spread.grid(alpha=0.3, which="both")
ax_spread.legend()
lesson.savefig(fig, "minibatch_sgd")
plt.show()

# %% [markdown]
# Full-batch GD settles exactly on the minimum; every mini-batch run keeps jittering. Quadrupling
# the batch size roughly halves the jitter, and quadrupling the learning rate roughly doubles it:
# $\alpha = 0.01, B = 4$ and $\alpha = 0.04, B = 16$ (the same $\alpha/B$) end up about equally close
# (the recorded distances above and the right panel). A smaller learning rate late in training (lesson 08's
# schedules) or a larger batch both calm the noise; some noise is cheap and, on real networks, often
# harmless or even helpful.
#
# ## 6. The same optimizers on a real network
# Paths on a 2-D surface are only a picture. Here the Keras optimizers train the same small MLP on
# the `digits` images (8×8 pixels, always available offline), from the same initial weights. An
# optimizer's job is to make the training loss small, so we watch the training curves. Here `fit`
# feeds mini-batches of 64, so `keras.optimizers.SGD` really is stochastic. Momentum gets
# $\alpha = 0.01$ with $\mu = 0.9$: the same long-run step, $0.01/(1-0.9) = 0.1$, as SGD's 0.1.

# %%
x_train, y_train = km.data.load("digits", split="train")
epochs = lesson.pick(quick=6, full=30)
settings = {
    "SGD": keras.optimizers.SGD(0.1),
    "Momentum": keras.optimizers.SGD(0.01, momentum=0.9),
    "Adagrad": keras.optimizers.Adagrad(0.05),
    "RMSprop": keras.optimizers.RMSprop(0.003),
    "Adam": keras.optimizers.Adam(0.003),
    "AdamW": keras.optimizers.AdamW(0.003, weight_decay=0.004),
}
initial_weights = km.models.mlp(input_shape=(8, 8), num_classes=10, hidden_units=(64,)).get_weights()


def train_mlp(keras_optimizer, weights=initial_weights):
    model = km.models.mlp(input_shape=(8, 8), num_classes=10, hidden_units=(64,))
    model.set_weights(weights)
    km.models.compile_model(model, optimizer=keras_optimizer)
    return model.fit(x_train, y_train, epochs=epochs, batch_size=64, verbose=0).history


histories = {}
for name, keras_optimizer in settings.items():
    histories[name] = train_mlp(keras_optimizer)
    print(f"{name:9s} after {epochs} epochs: training loss {histories[name]['loss'][-1]:.3f}, "
          f"training accuracy {histories[name]['accuracy'][-1]:.1%}")
fig = course.plots.training_curves(histories, metrics=("loss", "accuracy"),
                               title=f"Six optimizers training the same MLP on digits ({epochs} epochs)",
                               ylabels={"loss": "cross-entropy", "accuracy": "accuracy (fraction)"})
for ax_digits in fig.axes[:2]:  # markers as on the ravine; AdamW's curve lies on Adam's: Adam wide, AdamW dashed
    for line, marker in zip(ax_digits.lines, markers):
        line.set(marker=marker, markersize=5)
        if line.get_label().startswith("Adam "):
            line.set(linewidth=5, alpha=0.5)
        elif line.get_label().startswith("AdamW"):
            line.set(linestyle="--", linewidth=1.8)
fig.axes[0].legend(fontsize=9)
fig.axes[1].legend(fontsize=9)
lesson.savefig(fig, "optimizers_on_digits")
plt.show()

# %% [markdown]
# Is momentum or step size doing the work? Two more runs from the same initial weights, both with a
# long-run step of 0.5: plain SGD at 0.5, and momentum at $\alpha = 0.05$, $\mu = 0.9$
# (a common setting: next to SGD at 0.1, it takes five times larger steps).

# %%
histories["SGD, 0.5"] = train_mlp(keras.optimizers.SGD(0.5))
histories["Momentum, 0.05 / 0.9"] = train_mlp(keras.optimizers.SGD(0.05, momentum=0.9))
four = {"SGD": (0.1, 0.0), "Momentum": (0.01, 0.9), "SGD, 0.5": (0.5, 0.0),
        "Momentum, 0.05 / 0.9": (0.05, 0.9)}  # name: (learning rate, momentum)
keras.utils.set_random_seed(lesson.seed + 1)  # a second seed: other initial weights, other batch order
other_weights = km.models.mlp(input_shape=(8, 8), num_classes=10, hidden_units=(64,)).get_weights()
seed_changes = []
for name, (learning_rate, mu) in four.items():
    effective = round(learning_rate / (1 - mu), 2)  # the long-run step
    loss = histories[name]["loss"][-1]
    loss_2 = train_mlp(keras.optimizers.SGD(learning_rate, momentum=mu), weights=other_weights)["loss"][-1]
    seed_changes.append(abs(loss_2 - loss))
    print(f"{name:21s} long-run step {effective}: training loss after {epochs} epochs {loss:.3f} "
          f"(second seed {loss_2:.3f})")
    lesson.metric(f"digits_mlp_{lesson.key_part(name)}_train_loss", loss,
                  f"digits MLP, {name} (long-run step {effective}): training loss after {epochs} epochs",
                  fmt=".3f")
lesson.metric("digits_mlp_max_loss_change_second_seed", max(seed_changes),
              f"digits MLP: largest change of these four losses with a second seed ({epochs} epochs)", fmt=".3f");

# %% [markdown]
# In quick mode (6 epochs) the step size decides: a long-run step of 0.5 ends at a far lower loss
# than a long-run step of 0.1, with or without momentum, while at the same long-run step momentum
# and plain SGD differ by less than a fifth of that gap (the recorded losses above). A second seed
# (other initial weights, other batch order) moves each of the four losses by much less than that
# gap (the largest change is recorded above). At 0.1 momentum is even a little behind: its buffer
# needs about $1/(1-\mu) = 10$ steps to build up.
# So "momentum beats SGD" from SGD(0.1) against SGD(0.05, momentum=0.9) would be mostly a
# five-times-larger step.
#
# The ravine of section 4 has the same trap: its Momentum(0.1, 0.8) has a long-run step of
# $0.1/(1-0.8) = 0.5$, larger than GD's 0.4. Back on the ravine, same start and number of steps, GD at
# 0.5 and at 0.9 (still below section 1's limit of 1), and both methods tuned for curvatures 2 and 0.1:
# GD at $\alpha = 2/(2+0.1)$, and momentum ("heavy ball") at
# $\alpha = 4/(\sqrt2+\sqrt{0.1})^2$, $\mu = \big((\sqrt2-\sqrt{0.1})/(\sqrt2+\sqrt{0.1})\big)^2$, the textbook
# optimum for a quadratic:

# %%
root_big, root_small = np.sqrt(2.0), np.sqrt(0.1)  # square roots of the two curvatures
ravine_runs = {
    "GD, 0.4 (section 4)": opt.SGD(0.4),
    "GD, 0.5": opt.SGD(0.5),
    "Momentum(0.1, 0.8) (section 4)": opt.Momentum(0.1, momentum=0.8),
    "GD, 0.9": opt.SGD(0.9),
    "GD tuned, 2/2.1": opt.SGD(2 / 2.1),
    "Momentum tuned, 1.34 / 0.40": opt.Momentum(4 / (root_big + root_small) ** 2,
                                                momentum=((root_big - root_small) / (root_big + root_small)) ** 2),
}
for name, o in ravine_runs.items():
    final = surface.value(opt.trajectory(o, surface.gradient, start, steps)[-1])
    lesson.metric(f"ravine_loss_{lesson.key_part(name)}", final, f"ravine, {steps} steps: final loss of {name}",
                  fmt=".1e")  # printed as it is recorded
tuned_end = opt.trajectory(opt.SGD(2 / 2.1), surface.gradient, start, steps)[-1]
lesson.metric("ravine_gd_tuned_w2_share_of_loss", tuned_end[1] ** 2 / surface.value(tuned_end),
              f"ravine, {steps} steps: share of GD tuned's final loss that is w2^2 (across the valley)", fmt=".2f");

# %% [markdown]
# At the same long-run step 0.5, momentum ends about five times lower than GD (quick mode, 60 steps;
# the recorded losses above). But GD at 0.9 ends more than 30 times lower than section 4's momentum
# run, so section 4's ranking of GD and Momentum says more about their step sizes than about
# momentum. Tuned against tuned, momentum's gain is large: near the minimum its distance to it shrinks
# by about $(\sqrt{20}-1)/(\sqrt{20}+1) \approx 0.63$ per step against GD's $19/21 \approx 0.90$ (20 is the
# ratio of the two curvatures), and after 60 steps its loss is more than $10^{14}$ times below the
# best GD run's. "Tuned" here means the best *worst-case* rate: GD at $\alpha = 2/2.1$ shrinks both
# coordinates by the same factor, $19/21 \approx 0.905$ per step, and no $\alpha$ does better in both directions. From
# this start it still ends above GD at 0.9 after 60 steps: across the valley GD at 0.9 shrinks the large
# starting $w_2 = 2$ by 0.8 per step instead of 0.905, and most of tuned GD's final loss is that
# leftover $w_2$ (its share, $w_2^2 / f$, is recorded above: about 0.8).
#
# No optimizer wins everywhere, and each has a learning rate it likes (the ones above are
# reasonable choices, not tuned). AdamW's curve lies almost on Adam's: its decay shrinks each
# weight by only $\alpha\lambda = 0.003 \times 0.004$ per step, which takes many epochs to show; its
# point is better generalisation on long runs, not speed (lesson 08 §3 explains the decoupled decay
# again but trains with an L2 penalty; the effect is measured in the AdamW paper, not in this course).
# Article 000 §9.2 recommends Adam and AdamW "以提高模型收敛速度" (to make the model converge
# faster). That fits Adam, which often
# converges fast without much tuning of its learning rate; for AdamW the reason is the other one:
# its decoupled decay (section 2) is about generalisation, and here it converges no faster than Adam.
#
# ## 7. Exercises
# **7.1** One step of SGD with momentum in Keras's form. Return `(w_new, m_new)`. The first
# attempt does not pass yet: read which case fails.

# %%
def momentum_step(w, g, m, learning_rate, momentum):
    # Your answer: (new weights, new momentum buffer).
    m = momentum * m + learning_rate * g
    return w + m, m


course.exercises.check("05.momentum_step", momentum_step);

# %% [markdown]
# **7.2** One step of RMSprop (no momentum) in Keras's form. Return `(w_new, v_new)`.

# %%
def rmsprop_step(w, g, v, learning_rate, rho=0.9, epsilon=1e-7):
    # Your answer: (new weights, new moving average of g**2).
    v = rho * v + g**2
    return w - learning_rate * g / np.sqrt(v + epsilon), v


course.exercises.check("05.rmsprop_step", rmsprop_step);

# %% [markdown]
# **7.3** One step of Adam at step number `t` (1 for the first step). Return `(w_new, m_new, v_new)`.
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
# - GD: one step size for all; it bounces across a valley of curvature $h$ above $\alpha = 1/h$ and
#   diverges above $2/h$. SGD uses mini-batches: cheaper steps, noise that grows with $\alpha/B$.
# - Momentum: accumulate consistent directions; its long-run step is $\alpha/(1-\mu)$, so compare it
#   with SGD at the same $\alpha/(1-\mu)$, not the same $\alpha$; tuned against tuned on the ravine it
#   converges far faster than GD. Adagrad / RMSprop:
#   per-parameter step sizes from (all / recent) squared gradients. Adam: momentum + RMSprop + bias
#   correction. AdamW: Adam with weight decay applied directly to the weights, so that weights with
#   large gradients are decayed as much as the others (in Adam + L2 the decay is divided by $\sqrt{\hat v}$).
# - A from-scratch optimizer matches Keras only with Keras's exact formulas: accumulator 0.1,
#   $\epsilon$ placement, bias corrections folded into $\alpha_t$, decoupled decay, float32 hyper-parameters.
# - Paths on a ravine show what per-coordinate step sizes do on a badly scaled problem: Adagrad's evens
#   out the two curvatures and ends lowest by far, while Adam's momentum carries it past the minimum
#   and RMSprop needs a decaying learning rate to settle (these settings, this surface). Adam's bias
#   correction makes its first steps smaller, not larger: uncorrected they are $(1-\beta_1)/\sqrt{1-\beta_2}
#   \approx 3.2$ times too large at the first step, and up to about 6.6 times around step 12.
# - RMSprop's effective learning rate $\alpha/\sqrt{v+\epsilon}$ grows once the gradient is tiny ($v$ forgets
#   the old gradients); on the ravine it passes $2/h$ and throws the weights back out, so without a
#   decaying learning rate it does not settle at the minimum.
# - No optimizer wins everywhere, and each needs its own learning rate.
#
# Next: lesson 06 puts it together: a first real Keras model on MNIST.

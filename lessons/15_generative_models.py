# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Generative models
#     articles: ["004 §2.4.3", "004 term 5"]
#     quick_seconds: 40
#     full_seconds: 600
#     description: A GAN on MNIST with a custom train_step; the optimal discriminator, the non-saturating loss, and mode collapse measured with a classifier.
# ---

# %% [markdown]
# # 15 · Generative models: a GAN on MNIST
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 004 §2.4.3 (生成对抗网络 GAN: its structure and its training process) and
# 004 term 5 ("two networks, a generator and a discriminator, trained adversarially").
#
# **After this lesson you can** write the GAN game as a formula and as two losses, compute the
# best possible discriminator by hand, explain why generators are trained with $-\log D(G(z))$,
# train a GAN with a custom `train_step` in Keras, and measure mode collapse instead of guessing it.
#
# **Prerequisites:** lesson 02 (cross-entropy), lesson 03 (gradients), lesson 06 (training a Keras model).
#
# **Run time:** quick mode needs about 40 s of CPU time (measured: 39 s, user plus system, on a
# 2-core CPU shared with other jobs; wall time there ranged from 38 s to 3 minutes with the load).
# Full mode (all 50,000 images, 30 epochs): up to 10 minutes.

# %%
import inspect

import keras
import matplotlib.pyplot as plt
import numpy as np

import kerasmodels as km
from kerasmodels import course
from kerasmodels.course.scratch import numpy_nn
from kerasmodels.course.topics import gan

lesson = course.setup_lesson(15)
rng = np.random.default_rng(lesson.seed)

# %% [markdown]
# ## 1. The game
# A **generator** (生成器) $G$ turns random noise $z \sim \mathcal N(0, I)$ into an image. A
# **discriminator** (判别器) $D$ looks at an image and outputs the probability that it is real.
# They play a two-player minimax game (对抗训练, adversarial training):
#
# $$\min_G \max_D \; V(D, G) = \mathbb{E}_{x \sim p_\text{data}}\big[\log D(x)\big]
#   + \mathbb{E}_{z \sim p_z}\big[\log\big(1 - D(G(z))\big)\big].$$
#
# $D$ maximises $V$: that is exactly minimising binary cross-entropy with label 1 for real images
# and label 0 for generated ones. Our networks output a **logit** $\ell$ and $D = \sigma(\ell)$;
# since $-\log\sigma(\ell) = \operatorname{softplus}(-\ell)$ and $-\log(1-\sigma(\ell)) =
# \operatorname{softplus}(\ell)$, the loss never takes $\log 0$. Compute it by hand, let Keras
# do it, and compare with the package's `gan.discriminator_loss`:

# %%
real_logits = np.array([2.0, 0.5, -1.0, 4.0], dtype="float32")
fake_logits = np.array([-3.0, 0.0, 1.5, -0.5], dtype="float32")


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


by_hand = -np.mean(np.log(sigmoid(real_logits))) - np.mean(np.log(1 - sigmoid(fake_logits)))
bce = keras.losses.BinaryCrossentropy(from_logits=True)
by_keras = bce(np.ones(4), real_logits) + bce(np.zeros(4), fake_logits)
by_package = gan.discriminator_loss(real_logits, fake_logits)
print(f"by hand {by_hand:.6f} | keras BinaryCrossentropy {float(by_keras):.6f} | "
      f"gan.discriminator_loss {float(by_package):.6f}")
lesson.metric("d_loss_hand_vs_keras_max_diff", max(abs(by_hand - float(by_keras)), abs(by_hand - float(by_package))),
              "discriminator loss: max |by hand - Keras or package|", fmt=".1e");

# %% [markdown]
# ## 2. The best discriminator
# For a fixed generator with density $p_g$, the integrand $p_\text{data}(x)\log D(x) + p_g(x)\log(1-D(x))$
# is maximised point by point at
#
# $$D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}.$$
#
# Plugged back in, $V(D^*, G) = -\log 4 + 2\,\mathrm{JSD}(p_\text{data}\,\|\,p_g)$: the generator
# minimises the Jensen–Shannon divergence, which is 0 only when $p_g = p_\text{data}$, where
# $D^* = \tfrac12$ everywhere. Let us check this on one-dimensional data: real samples from
# $\mathcal N(1.5, 0.5^2)$, a poor generator's samples from $\mathcal N(-0.5, 1)$. The log-ratio of
# two Gaussians is quadratic in $x$, so a logistic regression on $(x, x^2)$ can represent $D^*$
# exactly; we train one with Keras and compare it with the formula.

# %%
def gaussian(x, mean, std):
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))


n = 20000
real_1d = rng.normal(1.5, 0.5, n)
fake_1d = rng.normal(-0.5, 1.0, n)
samples = np.concatenate([real_1d, fake_1d])
features = np.stack([samples, samples**2], axis=1).astype("float32")
labels = np.concatenate([np.ones(n), np.zeros(n)]).astype("float32")

judge = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
judge.compile(optimizer=keras.optimizers.Adam(0.1), loss=keras.losses.BinaryCrossentropy(from_logits=True))
judge.fit(features, labels, epochs=15, batch_size=512, shuffle=True, verbose=0)

grid = np.linspace(-3, 3.5, 400)
p_data, p_g = gaussian(grid, 1.5, 0.5), gaussian(grid, -0.5, 1.0)
d_star = p_data / (p_data + p_g)
d_learned = sigmoid(judge.predict(np.stack([grid, grid**2], 1).astype("float32"), verbose=0)[:, 0])
# Compare where there is data to learn from; far in the tails neither density has samples.
seen = (p_data + p_g) / 2 > 0.02
lesson.metric("learned_d_vs_optimal_max_diff", np.max(np.abs(d_learned - d_star)[seen]),
              "max |learned D - D*| where data lies", fmt=".3f")
weights, bias = judge.get_weights()
print(f"learned log-odds: {bias[0]:.2f} {weights[0, 0]:+.2f} x {weights[1, 0]:+.2f} x^2")
(m1, s1), (m2, s2) = (1.5, 0.5), (-0.5, 1.0)  # log p_data/p_g of two Gaussians, expanded in powers of x
exact = (np.log(s2 / s1) - m1**2 / (2 * s1**2) + m2**2 / (2 * s2**2), m1 / s1**2 - m2 / s2**2,
         -1 / (2 * s1**2) + 1 / (2 * s2**2))
print(f"exact log-odds:   {exact[0]:.2f} {exact[1]:+.2f} x {exact[2]:+.2f} x^2")

wide = np.linspace(-10, 10, 20001)  # the integrals need the whole real line
dx = wide[1] - wide[0]
pd_wide, pg_wide = gaussian(wide, 1.5, 0.5), gaussian(wide, -0.5, 1.0)
d_wide = pd_wide / (pd_wide + pg_wide)
value = np.sum(pd_wide * np.log(d_wide + 1e-300) + pg_wide * np.log(1 - d_wide + 1e-300)) * dx
mixture = (pd_wide + pg_wide) / 2
kl = lambda p, q: np.sum(p * np.log((p + 1e-300) / (q + 1e-300))) * dx  # noqa: E731
jsd = 0.5 * kl(pd_wide, mixture) + 0.5 * kl(pg_wide, mixture)
print(f"V(D*, G) = {value:.4f};  -log 4 + 2 JSD = {-np.log(4) + 2 * jsd:.4f}")
lesson.metric("v_d_star_g", value, "V(D*, G)", fmt=".4f")
lesson.metric("minus_log4_plus_2_jsd", -np.log(4) + 2 * jsd, "-log 4 + 2 JSD", fmt=".4f");

fig, ax = plt.subplots(figsize=(8, 4))
ax.fill_between(grid, p_data, alpha=0.3, color="tab:blue", label="$p_{data}$ (real)")
ax.fill_between(grid, p_g, alpha=0.3, color="tab:orange", label="$p_g$ (generated)")
ax.plot(grid, d_star, color="black", linewidth=2, label="$D^*(x)$ from the formula")
ax.plot(grid, d_learned, color="tab:red", linestyle="--", linewidth=2, label="D trained with Keras")
ax.set_xlabel("x")
ax.set_ylabel("density / probability 'real'")
ax.set_title("The optimal discriminator $D^* = p_{data} / (p_{data} + p_g)$")
ax.legend(loc="center left", fontsize=10)
ax.grid(alpha=0.3)
lesson.savefig(fig, "optimal_discriminator")

# %% [markdown]
# ## 3. Why the generator does not minimise $\log(1 - D(G(z)))$
# Goodfellow et al. (2014, §3) point out that early in training, while $G$'s images are poor,
# $D$ *can* reject them with high confidence, $D(G(z)) \approx 0$. With $D = \sigma(\ell)$, the
# minimax generator loss $\log(1-\sigma(\ell))$ has derivative $-\sigma(\ell) = -D$ with respect
# to the logit: almost zero exactly when $G$ most needs a signal. The **non-saturating** loss
# $-\log D(G(z))$ has the same fixed point but derivative $-(1 - D)$: large when $D$ rejects
# $G$'s images. We compute both derivatives with the backend's autodiff
# (`numpy_nn.autodiff_gradients`: `tf.GradientTape` on TensorFlow, `jax.grad` on JAX) and check
# them against these formulas. Whether a given run ever enters the shaded zone is a measurement,
# not a law: section 4's curve of $d_\text{fake}$ shows whether ours did.

# %%
d_values = np.linspace(0.001, 0.999, 200)
logits = np.log(d_values / (1 - d_values)).astype("float32")
derivatives = {}
for kind in gan.GENERATOR_LOSSES:
    # mean × N: the gradient of the sum holds each element's own derivative
    _, grads = numpy_nn.autodiff_gradients(lambda p, kind=kind: gan.generator_loss(p["logit"], kind) * len(d_values),
                                           {"logit": logits})
    derivatives[kind] = grads["logit"]
lesson.metric("non_saturating_autodiff_vs_formula", np.max(np.abs(derivatives["non_saturating"] + (1 - d_values))),
              "non-saturating loss: max |autodiff - formula|", fmt=".2e")
lesson.metric("minimax_autodiff_vs_formula", np.max(np.abs(derivatives["minimax"] + d_values)),
              "minimax loss: max |autodiff - formula|", fmt=".2e")

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(d_values, np.abs(derivatives["minimax"]), linewidth=2, label="minimax: log(1 - D(G(z)))")
ax.plot(d_values, np.abs(derivatives["non_saturating"]), linewidth=2, linestyle="--",
        label="non-saturating: -log D(G(z))")
ax.axvspan(0, 0.1, color="gray", alpha=0.15)
ax.text(0.05, 0.5, "D rejects confidently", rotation=90, ha="center", va="center", fontsize=10)
ax.set_xlabel("D(G(z)): how real the discriminator finds a generated image")
ax.set_ylabel("|gradient| w.r.t. D's logit")
ax.set_title("The generator's learning signal")
ax.legend(fontsize=10)
ax.grid(alpha=0.3)
lesson.savefig(fig, "generator_gradients")

# %% [markdown]
# ## 4. A GAN on MNIST, trained by `fit()`
# Real images are scaled from $[0, 1]$ to $[-1, 1]$ to match the generator's `tanh` output. Both
# networks are small fully connected models from `kerasmodels.course.topics.gan`. The class `gan.GAN` overrides
# `train_step`, the function `fit()` calls for every batch. Gradients with respect to two separate
# sets of weights are backend-specific in Keras 3, so the step is written once per backend; here is
# the one this notebook runs on:

# %%
backend = keras.backend.backend()
print(f"Keras backend: {backend}\n")
print(inspect.getsource(gan.GAN.jax_train_step if backend == "jax" else gan.GAN.tensorflow_train_step))

# %% [markdown]
# One batch = one discriminator step (real images and fresh fakes), then one generator step
# through the frozen judge. Each network has its own Adam optimizer with $\beta_1 = 0.5$ instead of
# Keras's default 0.9, as in DCGAN (Radford et al. 2015), whose authors report an empirical finding:
# with 0.9 training oscillated and was unstable, 0.5 stabilised it. A common explanation, a
# heuristic rather than a result, is that momentum keeps pushing in a direction chosen against an
# opponent that has since changed.
# On TensorFlow the step records the forward pass on a `tf.GradientTape` and the optimizers update
# the variables in place. On JAX nothing is updated in place: `fit()` hands the step the current
# weights, optimizer and metric states, the step differentiates pure functions of the weights
# (`stateless_call` inside `jax.value_and_grad`, with `stateless_apply` for the optimizers) and
# returns the new states. Same algorithm, two styles; the models themselves are backend-neutral.

# %%
latent_dim = 64
num_images = lesson.pick(15000, 50000)
epochs = lesson.pick(4, 30)
learning_rate = lesson.pick(1e-3, 2e-4)
x_real, _ = km.data.load("mnist", split="train", limit=num_images)
x_real = x_real * 2.0 - 1.0

generator = gan.mlp_generator(latent_dim, (28, 28), hidden_units=(256, 512))
discriminator = gan.mlp_discriminator((28, 28), hidden_units=(256, 128))
model = gan.GAN(generator, discriminator, seed=lesson.seed)
model.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
              g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5))
print(f"generator: {generator.count_params():,} parameters; discriminator: {discriminator.count_params():,}")

fixed_noise = rng.normal(size=(10, latent_dim)).astype("float32")
untrained_samples = model.generate(noise=fixed_noise)  # the same ten z, before any training step
sample_grid = gan.SampleGrid(fixed_noise)
history = model.fit(x_real, epochs=epochs, batch_size=64, callbacks=[sample_grid], verbose=2)

# %% [markdown]
# The same ten noise vectors after each epoch: each column is one $z$, watched as $G$ learns. The
# spread printed under the figure is the pixel standard deviation across the ten samples, averaged
# over pixels: near 0 means ten different $z$ gave one image. We also measure it for the untrained
# generator, on the same ten $z$ before the first step. In this run, after one epoch the generator
# maps every $z$ to nearly the same average digit: epoch 1's spread (printed below) is below the
# untrained generator's, so training first *removed* much of the dependence on $z$ that the
# random weights had. That is a temporary, early collapse, and this run escaped it: the printout
# names the first epoch whose spread is back above the untrained generator's. By the last epoch
# the spread is of the order of the real digits' (it also counts pixel noise that real digits lack,
# so it is a rough measure; section 5 measures diversity properly).

# %%
shown = np.unique(np.linspace(0, epochs - 1, min(epochs, 8)).astype(int))
fig = course.plots.image_rows([sample_grid.samples[e] for e in shown], [f"epoch {e + 1}" for e in shown],
                          title="Generator samples for the same 10 noise vectors")
lesson.savefig(fig, "samples_per_epoch")
spread = [float(np.mean(np.std(samples, axis=0))) for samples in sample_grid.samples]
print("spread across the 10 samples, per epoch:", " ".join(f"{v:.3f}" for v in spread))
real_spread = float(np.mean(np.std((x_real[:10] + 1) / 2, axis=0)))
untrained_spread = float(np.mean(np.std(untrained_samples, axis=0)))
print(f"spread across 10 real training digits:   {real_spread:.3f}")
print(f"spread before training (untrained G):    {untrained_spread:.3f}")
escaped = [e + 1 for e, v in enumerate(spread) if v > untrained_spread]  # 0 below: never escaped
lesson.metric("spread_untrained", untrained_spread, "sample spread, untrained generator", fmt=".3f")
lesson.metric("first_epoch_spread_above_untrained", escaped[0] if escaped else 0,
              "first epoch with spread above the untrained generator's", fmt=".0f")
lesson.metric("spread_epoch1", spread[0], "sample spread, epoch 1", fmt=".3f")
lesson.metric("spread_last_epoch", spread[-1], "sample spread, last epoch", fmt=".3f")
lesson.metric("spread_real_digits", real_spread, "sample spread, 10 real digits", fmt=".3f")

# %% [markdown]
# A GAN's losses do not fall like a classifier's: each network's loss is measured against an
# opponent that keeps improving. At the game's equilibrium $D$ outputs $\tfrac12$ everywhere, the
# discriminator loss is $2\log 2 \approx 1.39$ and the generator loss $\log 2 \approx 0.69$. What
# to watch instead: $D$'s mean output on real ($d_\text{real}$) and generated ($d_\text{fake}$)
# images; when $d_\text{fake}$ stays near 0, $D$ has won: the situation of section 3, where only
# the non-saturating loss still gives $G$ a strong signal.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
epochs_axis = np.arange(1, epochs + 1)
axes[0].plot(epochs_axis, history.history["d_loss"], marker="o", label="discriminator")
axes[0].plot(epochs_axis, history.history["g_loss"], marker="s", linestyle="--", label="generator")
axes[0].axhline(2 * np.log(2), color="tab:blue", linestyle=":", label="equilibrium D loss (2 log 2)")
axes[0].axhline(np.log(2), color="tab:orange", linestyle=":", label="equilibrium G loss (log 2)")
axes[0].set_title("Losses")
axes[0].set_ylabel("loss, mean over the epoch (nats)")
axes[1].plot(epochs_axis, history.history["d_real"], marker="o", label="mean D(x), real")
axes[1].plot(epochs_axis, history.history["d_fake"], marker="s", linestyle="--", label="mean D(G(z)), generated")
axes[1].axhline(0.5, color="gray", linestyle=":", label="equilibrium 0.5")
axes[1].axhspan(0, 0.1, color="gray", alpha=0.15, label="D rejects confidently (section 3)")
axes[1].set_ylim(0, 1)
axes[1].set_title("Discriminator outputs")
axes[1].set_ylabel("mean D output (probability 'real')")
for ax in axes:
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
fig.tight_layout()
lesson.savefig(fig, "gan_training_curves")
lowest_d_fake = float(np.min(history.history["d_fake"]))
print("epoch-mean D(G(z)):", " ".join(f"{v:.3f}" for v in history.history["d_fake"]),
      f"| lowest {lowest_d_fake:.3f}")
lesson.metric("min_epoch_mean_d_g_z", lowest_d_fake, "lowest epoch-mean D(G(z))", fmt=".3f")

# %% [markdown]
# In this run the epoch means of $D(G(z))$ printed above stay far above the shaded zone: over
# whole epochs, $D$ never rejected the generated images confidently (a mean cannot rule out a few
# batches inside an epoch). Section 3's vanishing gradient is a risk the non-saturating loss guards
# against, not something this run showed.

# %% [markdown]
# ## 5. Mode collapse and realism, measured
# **Mode collapse** (模式崩溃) is the generator producing only a few kinds of images (say, only 1s
# and 7s) because those currently fool $D$; when $D$ catches up, $G$ hops to another mode instead
# of covering all of them. Looking at ten samples does not tell you whether it happened. A
# measurement does: train an ordinary MNIST classifier, label many generated digits with it, and
# compare the class histogram with the real one.
#
# - **diversity**: the entropy $H = -\sum_k p_k \log_2 p_k$ of the predicted-class histogram, in
#   bits. Ten equally frequent classes give $\log_2 10 \approx 3.32$ bits; total collapse onto one
#   digit gives 0.
# - **realism**: how far the generated images lie from real ones in the classifier's own features
#   (its 128 hidden units). Fit a Gaussian (mean $\mu$, covariance $\Sigma$) to the features of each
#   set and take the **Fréchet distance** $d^2 = \lVert\mu_r - \mu_g\rVert^2 + \operatorname{Tr}
#   \big(\Sigma_r + \Sigma_g - 2(\Sigma_r\Sigma_g)^{1/2}\big)$ (`gan.frechet_distance`). This is
#   the formula of FID (Heusel et al. 2017), which uses the features of a large ImageNet network;
#   ours are a small MNIST classifier's, so our numbers are comparable only with each other.
#
# Every measure gets two controls: a second set of *real* test digits (what a perfect generator
# would score) and *pure noise* (what a useless one would). A measure that noise beats measures
# nothing.

# %%
x_train, y_train = km.data.load("mnist", split="train", limit=lesson.pick(10000, 50000))
x_test, y_test = km.data.load("mnist", split="test", limit=2000)
classifier = km.models.mlp(input_shape=(28, 28), num_classes=10, hidden_units=(128,))
classifier.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                   metrics=["accuracy"])
classifier.fit(x_train, y_train, epochs=lesson.pick(3, 10), batch_size=128, verbose=0)
lesson.metric("classifier_test_acc", classifier.evaluate(x_test, y_test, verbose=0)[1], "classifier test accuracy", fmt=".1%")
hidden_features = keras.Model(classifier.inputs, classifier.layers[-2].output)  # the 128 ReLU units


def class_histogram(images):
    probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(classifier.predict(images, verbose=0)))
    predicted = probabilities.argmax(axis=1)
    return np.bincount(predicted, minlength=10) / len(predicted), probabilities.max(axis=1)


def entropy_bits(frequencies):
    frequencies = frequencies[frequencies > 0]
    return float(-np.sum(frequencies * np.log2(frequencies)))


image_sets = {
    "real test digits (another 1,000)": x_test[1000:2000],
    "generated digits": model.generate(1000),
    "pure noise": np.random.default_rng(lesson.seed).uniform(0, 1, (1000, 28, 28)).astype("float32"),
}
reference = hidden_features.predict(x_test[:1000], verbose=0)
real_hist, _ = class_histogram(x_test[:1000])
scores, confidences = {}, {}
print(f"{'1,000 images each':34s} {'Fréchet distance':>16s} {'class entropy':>13s} {'confidence >= 0.9':>17s}")
for name, images in image_sets.items():
    histogram, confidences[name] = class_histogram(images)
    scores[name] = (gan.frechet_distance(reference, hidden_features.predict(images, verbose=0)),
                    entropy_bits(histogram), float(np.mean(confidences[name] >= 0.9)), histogram)
    print(f"{name:34s} {scores[name][0]:16.1f} {scores[name][1]:8.2f} bits {scores[name][2]:17.1%}")
print(f"(distances to the features of the first 1,000 test digits; "
      f"class entropy of those: {entropy_bits(real_hist):.2f} bits, maximum {np.log2(10):.2f})")
generated_hist = scores["generated digits"][3]
for name, label in [("real test digits (another 1,000)", "real"), ("generated digits", "generated"),
                    ("pure noise", "noise")]:
    lesson.metric(f"frechet_{lesson.key_part(label)}", scores[name][0],
                  f"Fréchet distance in classifier features, {label}", headline=label == "generated",
                  fmt=".1f")
    lesson.metric(f"class_entropy_bits_{lesson.key_part(label)}", scores[name][1], f"class entropy (bits), {label}", fmt=".2f")
    lesson.metric(f"share_confident_{lesson.key_part(label)}", scores[name][2],
                  f"share classified with confidence >= 0.9, {label}", fmt=".1%")
_, blank_confidence = class_histogram(np.zeros((1, 28, 28), "float32"))
lesson.metric("confidence_blank_image", blank_confidence[0], "classifier confidence on a blank image", fmt=".1%")

# The histogram's own control: the classes this classifier gives images that look like no digit.
noise_hist = scores["pure noise"][3]
noise_classes = [int(k) for k in np.flatnonzero(noise_hist >= 0.05)]
lesson.metric("noise_classes", len(noise_classes), "number of classes pure noise is sent to (>= 5 % of it)", fmt=".0f")
confident_hists = {}
for name, images in image_sets.items():  # the same sets, keeping only the images classified with confidence >= 0.9
    confident_hists[name], _ = class_histogram(images[confidences[name] >= 0.9])
print(f"\nclasses pure noise is sent to (>= 5 % of it): {noise_classes}, {noise_hist[noise_classes].sum():.0%} of it")
print(f"{'share of each class':38s}" + "".join(f"{k:>6d}" for k in range(10)) + "   in those classes")
rows = [("real test digits", real_hist), ("generated digits", generated_hist), ("pure noise", noise_hist)]
rows += [(f"{name.split(' (')[0]}, confidence >= 0.9 ({np.sum(confidences[name] >= 0.9)})", confident_hists[name])
         for name in image_sets]
for label, hist in rows:
    print(f"{label:38s}" + "".join(f"{v:6.0%}" for v in hist) + f"{hist[noise_classes].sum():12.0%}")
for label, hist in [("real", real_hist), ("generated", generated_hist),
                    ("real, confidence >= 0.9", confident_hists["real test digits (another 1,000)"]),
                    ("generated, confidence >= 0.9", confident_hists["generated digits"]),
                    ("noise, confidence >= 0.9", confident_hists["pure noise"])]:
    lesson.metric(f"noise_share_{lesson.key_part(label)}", hist[noise_classes].sum(),
                  f"share in the classes noise is sent to, {label}", fmt=".0%")
rarest = int(np.argmin(generated_hist / real_hist))
lesson.metric("rarest_class", rarest, "the class made most rarely, relative to the real digits", fmt=".0f")
lesson.metric("generated_share_rarest_class", generated_hist[rarest], "rarest class: its share of the generated digits", fmt=".1%")
lesson.metric("real_share_rarest_class", real_hist[rarest], "rarest class: its share of the real digits", fmt=".1%")
lesson.metric("min_generated_over_real_class_share", generated_hist[rarest] / real_hist[rarest],
              "rarest class: generated share / real share", fmt=".2f")
# If the samples piling up in the noise classes only diluted the other classes, each of those would keep
# (share of generated digits outside the noise classes) / (share of real digits outside them) of its real share.
lesson.metric("dilution_only_share_ratio", (1 - generated_hist[noise_classes].sum()) / (1 - real_hist[noise_classes].sum()),
              "if the noise classes only diluted the others, each other class would get this fraction of its real share",
              fmt=".2f")
ratio = generated_hist[rarest] / real_hist[rarest]
if ratio == 0:
    print(f"so in this run class {rarest} is missing entirely from the generated digits")
elif ratio < 0.25:
    print(f"so in this run class {rarest} is made, but thinly: under a quarter of its real share")
else:
    print(f"so in this run even the rarest class, {rarest}, gets a quarter of its real share or more")


def runner_up_share(images, k):
    """Share of `images` for which class k gets the classifier's second-highest probability."""
    probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(classifier.predict(images, verbose=0)))
    return float(np.mean(np.argsort(-probabilities, axis=1)[:, 1] == k)), probabilities


# Not made, or made but not recognised? 1. Section 4's sample grid (last epoch), classified column by column.
_, grid_probabilities = runner_up_share(sample_grid.samples[-1], rarest)
grid_rank = 1 + np.sum(grid_probabilities > grid_probabilities[:, [rarest]], axis=1)  # 1: it is the predicted class
print(f"\nsection 4's sample grid, epoch {epochs}, columns 1 to 10:")
print(f"{'  predicted class':24s}" + "".join(f"{k:>6d}" for k in grid_probabilities.argmax(1)))
print(f"{f'  P(class {rarest})':24s}" + "".join(f"{p:6.2f}" for p in grid_probabilities[:, rarest]))
print(f"{f'  rank of class {rarest}':24s}" + "".join(f"{r:>6d}" for r in grid_rank))
lesson.metric("grid_columns_rarest_class", np.sum(grid_rank == 1),
              "sample grid, last epoch: columns classified as the rarest class", fmt=".0f")
lesson.metric("grid_columns_rarest_second", np.sum(grid_rank == 2),
              "sample grid, last epoch: columns with the rarest class second", fmt=".0f")
# 2. All 1,000 generated digits: how often is the rarest class the classifier's second choice?
runner_up = {label: runner_up_share(image_sets[name], rarest)[0]
             for label, name in [("generated", "generated digits"), ("real", "real test digits (another 1,000)")]}
print(f"class {rarest} is the classifier's second choice for {runner_up['generated']:.1%} of the generated digits "
      f"({runner_up['real']:.1%} of the real ones)")
print(f"rule: 'near' if class {rarest} is second for at least {0.25 * runner_up['real']:.1%} of the generated digits "
      f"(a quarter of the real digits' {runner_up['real']:.1%})")
if runner_up["generated"] >= runner_up["real"]:
    print(f"so to this classifier the generated digits are near class {rarest} as often as real digits, or more")
elif runner_up["generated"] >= 0.25 * runner_up["real"]:
    print(f"so to this classifier the generated digits are sometimes near class {rarest}, less often than real digits")
else:
    print(f"so to this classifier the generated digits are hardly ever near class {rarest}")
for label, share in runner_up.items():
    lesson.metric(f"share_rarest_second_{lesson.key_part(label)}", share,
                  f"share with the rarest class second, {label}", fmt=".1%")

fig, ax = plt.subplots(figsize=(9, 4))
ax.bar(np.arange(10) - 0.27, real_hist, width=0.27, label="real test digits")
ax.bar(np.arange(10), generated_hist, width=0.27, hatch="//", edgecolor="black", linewidth=0.5,
       label="generated digits")
ax.bar(np.arange(10) + 0.27, noise_hist, width=0.27, color="lightgray", edgecolor="black", linewidth=0.5,
       label="pure noise (control)")
ax.set_xticks(range(10))
ax.set_xlabel("class predicted by the MNIST classifier")
top = 1.4 * max(real_hist.max(), generated_hist.max())
ax.set_ylim(0, top)
for k in np.flatnonzero(noise_hist > top):  # noise's tallest bars are cut: their height is written on them
    ax.text(k + 0.27, 0.96 * top, f"{noise_hist[k]:.0%}", ha="center", va="top", fontsize=9,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
ax.set_ylabel("share of 1,000 images")
ax.set_title("Which digits does the generator make? (noise: the control)")
ax.legend(loc="upper right", fontsize=9)
ax.grid(axis="y", alpha=0.3)
lesson.savefig(fig, "mode_coverage")

# %% [markdown]
# Read the table row by row. Two sets of 1,000 real digits are not at distance 0: the first row
# is the floor that sampling alone gives. Pure noise is the ceiling, far above everything else.
# The generated digits lie between them, at a small fraction of noise's distance, and that is
# this lesson's headline number: lower is better, and the gap to the floor is what is still to
# be won. Their class entropy is below the real digits' but far above noise's, which is almost
# all one class: the generator makes many different digits, though not equally often (the
# histogram shows how unequally; which digits it favours is harder to read, as we will see).
#
# The last column is what a "quality" measure based on the classifier's confidence would report,
# and it fails its control: pure noise passes the ≥ 0.9 bar *more often* than the generated
# digits, and a blank image gets a low confidence. A softmax classifier must spread probability 1
# over ten digits whatever it is shown, with no "none of these" answer, and nothing in its
# training teaches it to doubt images unlike any digit. How sure it is depends on how an image
# excites its weights, not on whether it is a digit. A measure that noise beats measures nothing;
# a distance between feature *distributions* (FID, and the Fréchet distance above) compares the
# whole set with real data, and here it ranks noise last, as it should. Look at the samples as well.
#
# Read the histogram next to its control. Two runs are quoted here, both TensorFlow in quick mode on
# this course's 2-core AMD EPYC: as it is, with AVX-512 ("the AVX-512 run"), and with its kernels
# capped at AVX2, as on most laptops (emulated AVX2, `bench/avx2_only.sh`; "the AVX2 run"). The same
# code and seed round float32 sums in another order there, and the GAN ends elsewhere. Your own CPU
# may give other numbers again; the lines printed above are yours.
#
# This classifier sends images that look like no digit to one or two classes (the noise bars; the
# classes are printed above), so generated digits piling up in *those* classes cannot be read as a
# mode the generator leans on: they may be noisy samples. In the AVX-512 run those classes hold 40 %
# of the generated digits against 21 % of the real ones (the "in those classes" column), in the
# AVX2 run 50 %. Keeping only the images classified with confidence ≥ 0.9 does not settle it: noise
# passes that bar too, in its own classes. Telling a favoured mode from noisy samples needs more
# checks: look at the samples of each class, or use a classifier trained to answer "none of these".
#
# The histogram is clearer about what is missing. In both runs quoted here the rarest class gets
# under a quarter of its real share (0.00 and 0.23): in the AVX-512 run class 4 got 0.0 % of the
# 1,000 generated digits against 10.0 % of the real ones; in the AVX2 run class 8 got 2.2 % against
# 9.4 %, thin but not missing. Dilution does not explain that. Noisy samples piling up in the noise
# classes only dilute the others: 60 % of the generated digits lie outside them in the AVX-512 run
# (50 % in the AVX2 run) against 79 % of the real ones, so dilution alone would leave each other
# class about 0.77 of its real share (0.63 in the AVX2 run; both from the unrounded shares; yours is
# printed above), far above 0.00 and 0.23. A class this rare is a mode the generator draws rarely or
# not at all, or too badly to be recognised.
#
# The last lines printed above test what the classifier can say: they classify section 4's ten
# last-epoch samples and count how often the rarest class is the classifier's *second* choice.
# In both runs it calls none of the ten the rarest class. In the AVX-512 run 4 is second for none
# of the ten and for almost none of the generated digits (0.2 %, against 6.8 % of the real ones):
# to this classifier they are not even near a 4. Yet to the eye a few of that run's grid samples look
# like rough 4s (for example its columns 7 and 8 of the last row, classified 0 and 7; the grid in section 4
# is your run's). In the AVX2 run 8 is second for three
# of the ten columns and for 8.6 % of the generated digits (20.2 % of the real ones): some are near
# an 8. Either way, a thin or empty bar is not proof of a dropped mode: a generator that draws none
# of the rarest class and one that draws it too roughly for this classifier (which misreads about
# one real digit in ten, its accuracy printed above) give the same histogram, and four quick epochs
# cannot tell them apart: look at
# the samples too. Note the entropies and distances, then run full mode (more data, more epochs, a
# smaller learning rate) and compare again. When a GAN collapses in your own projects, the usual
# remedies are a lower learning rate,
# one-sided label smoothing (real labels 0.9, fake labels kept at 0), minibatch discrimination
# (let $D$ see statistics of a whole batch) or feature matching (train $G$ to match the mean of
# $D$'s intermediate features on real images), a Wasserstein loss with gradient penalty (WGAN-GP),
# spectral normalisation, or a conditional GAN that is told which digit to draw.

# %% [markdown]
# ## 6. Exercises
# First the discriminator loss. The attempt below is the formula as written, and it works for
# moderate logits; the check also tries a discriminator that is very sure of itself.

# %%
def discriminator_loss(real_logits, fake_logits):
    # Your answer: mean(-log D(x)) + mean(-log(1 - D(G(z)))) with D = sigmoid(logit); NumPy arrays in, a float out.
    d_real = 1 / (1 + np.exp(-real_logits))
    d_fake = 1 / (1 + np.exp(-fake_logits))
    return -np.mean(np.log(d_real)) - np.mean(np.log(1 - d_fake))


course.exercises.check("15.discriminator_loss", discriminator_loss);

# %% [markdown]
# Rewrite it with `np.logaddexp(0, v)` $= \log(1 + e^{v}) = \operatorname{softplus}(v)$. Next, the
# generator's loss that keeps its gradient alive:

# %%
def generator_loss(fake_logits):
    # Your answer: the non-saturating generator loss, mean(-log D(G(z))), computed stably.
    return np.mean(-np.logaddexp(0, fake_logits))


course.exercises.check("15.generator_loss", generator_loss);

# %%
def optimal_discriminator(p_data, p_g):
    # Your answer: D*(x) for arrays of the two densities at the same points x.
    return p_data / p_g


course.exercises.check("15.optimal_discriminator", optimal_discriminator);

# %%
def class_entropy(predicted_labels, num_classes=10):
    # Your answer: entropy in bits of the histogram of predicted class labels (ints 0..num_classes-1).
    frequencies = np.bincount(predicted_labels, minlength=num_classes) / len(predicted_labels)
    return -np.sum(frequencies * np.log(frequencies))


course.exercises.check("15.class_entropy", class_entropy);

# %% [markdown]
# ## Summary
# - A GAN is a game: $D$ minimises binary cross-entropy (real = 1, generated = 0); $G$ tries to make
#   $D$ say "real". Work with logits and softplus, never $\log(\sigma(\cdot))$.
# - For a fixed $G$ the best judge is $D^* = p_\text{data}/(p_\text{data}+p_g)$; at the equilibrium
#   $p_g = p_\text{data}$ and $D^* = \tfrac12$.
# - Train $G$ with the non-saturating loss $-\log D(G(z))$: same fixed point, gradient that does not vanish.
# - In Keras, a custom `train_step` gives two alternating updates and keeps everything `fit()` offers.
# - GAN losses do not tell you how good the samples are. Measure diversity (mode collapse) with a
#   classifier's class histogram and realism with a distance between feature distributions (the
#   Fréchet distance, as in FID), each beside the scores of real data and of pure noise: a
#   classifier's confidence alone rates noise above the generated digits.
#
# Next: lesson 16 makes trained models small: pruning, int8 quantization and distillation.

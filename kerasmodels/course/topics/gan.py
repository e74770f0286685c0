"""A generative adversarial network (GAN, 生成对抗网络) trained with `fit()`.

A GAN is two networks playing a game. The generator G maps random noise z to
an image; the discriminator D maps an image to one logit, "how real does this
look". D learns to tell real images from G's; G learns to make D call its
images real. `GAN` overrides `train_step` so that every batch does one
discriminator update and then one generator update, and `fit()` keeps giving
callbacks, progress bars and histories.

Backends: the losses and the two networks use `keras.ops` and Keras layers
only. The alternating training step needs gradients with respect to two
separate sets of weights, which Keras 3 exposes per backend; it is written
twice: for TensorFlow with `tf.GradientTape` (variables updated in place) and
for JAX with `stateless_call` and `jax.value_and_grad` (the step receives the
weights, optimizer and metric states and returns their new values). On
PyTorch `GAN.compile` raises an error that says so; generating images with a
trained generator works everywhere.

Example:

```python
import numpy as np
import keras
from kerasmodels.course.topics import gan

generator = gan.mlp_generator(latent_dim=16, image_shape=(8, 8), hidden_units=(32,))
discriminator = gan.mlp_discriminator(image_shape=(8, 8), hidden_units=(32,))
model = gan.GAN(generator, discriminator)
model.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
              g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
images = np.random.rand(256, 8, 8).astype("float32") * 2 - 1  # GAN images live in [-1, 1]
history = model.fit(images, epochs=1, batch_size=64, verbose=0)
samples = model.generate(4)  # (4, 8, 8) in [0, 1]
```
"""

import keras
import numpy as np
from keras import ops

GENERATOR_LOSSES = ("non_saturating", "minimax")
# The backends GAN.train_step is written for.
TRAINING_BACKENDS = ("tensorflow", "jax")


def discriminator_loss(real_logits, fake_logits):
    """Binary cross-entropy of the discriminator: real images are class 1, generated ones class 0.

    With D(x) = sigmoid(logit), -log D(x) = softplus(-logit) and -log(1 - D(x)) = softplus(logit);
    written with softplus it never takes the log of 0.

    Args:
        real_logits: the discriminator's logits on real images.
        fake_logits: its logits on generated images.

    Returns:
        mean(-log D(x)) + mean(-log(1 - D(G(z)))), a scalar.
    """
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def generator_loss(fake_logits, kind="non_saturating"):
    """The generator's loss on the discriminator's logits for generated images.

    Args:
        fake_logits: the discriminator's logits on G(z).
        kind: "non_saturating" minimises -log D(G(z)) (what everybody trains with);
            "minimax" minimises log(1 - D(G(z))), the game as written in the original
            paper, whose gradient vanishes while D confidently rejects G's images.

    Returns:
        A scalar.
    """
    if kind == "non_saturating":
        return ops.mean(ops.softplus(-fake_logits))
    if kind == "minimax":
        return -ops.mean(ops.softplus(fake_logits))
    raise ValueError(f"generator_loss: kind={kind!r} is not a generator loss; use one of {GENERATOR_LOSSES}")


def mlp_generator(latent_dim, image_shape, hidden_units=(256, 512), name="generator"):
    """A fully connected generator: noise (latent_dim,) → image `image_shape` in [-1, 1] (tanh).

    Args:
        latent_dim: length of the noise vector z.
        image_shape: shape of one generated image, e.g. (28, 28).
        hidden_units: widths of the hidden Dense layers (LeakyReLU activations).
        name: the model's name.
    """
    _check_positive_int("latent_dim", latent_dim)
    image_shape = _check_shape("image_shape", image_shape)
    z = keras.Input(shape=(latent_dim,), name="noise")
    h = z
    for units in hidden_units:
        h = keras.layers.Dense(units)(h)
        h = keras.layers.LeakyReLU(negative_slope=0.2)(h)
    h = keras.layers.Dense(int(np.prod(image_shape)), activation="tanh")(h)
    image = keras.layers.Reshape(image_shape, name="image")(h)
    return keras.Model(z, image, name=name)


def mlp_discriminator(image_shape, hidden_units=(512, 256), dropout=0.0, name="discriminator"):
    """A fully connected discriminator: image → one logit (no sigmoid; the losses take logits).

    Args:
        image_shape: shape of one image, e.g. (28, 28).
        hidden_units: widths of the hidden Dense layers (LeakyReLU activations).
        dropout: dropout rate after each hidden layer.
        name: the model's name.
    """
    image_shape = _check_shape("image_shape", image_shape)
    image = keras.Input(shape=image_shape, name="image")
    h = keras.layers.Flatten()(image)
    for units in hidden_units:
        h = keras.layers.Dense(units)(h)
        h = keras.layers.LeakyReLU(negative_slope=0.2)(h)
        if dropout:
            h = keras.layers.Dropout(dropout)(h)
    logit = keras.layers.Dense(1, name="logit")(h)
    return keras.Model(image, logit, name=name)


@keras.saving.register_keras_serializable(package="kerasmodels")
class GAN(keras.Model):
    """A generator and a discriminator trained against each other by `fit()`.

    `fit(x)` takes real images scaled to the generator's output range ([-1, 1] for a
    tanh generator); labels, if given, are ignored. Each batch: one step of the
    discriminator on real and generated images, then one step of the generator
    through the (fixed) discriminator. Logged metrics: `d_loss`, `g_loss`, and
    `d_real`, `d_fake`: the mean probability D gives real and generated images.

    Args:
        generator: a model from noise (latent_dim,) to an image.
        discriminator: a model from an image to one logit.
        latent_dim: length of the noise; by default read from the generator's input.
        generator_loss: "non_saturating" (default) or "minimax" (see `generator_loss`).
        seed: seed of the noise drawn during training.

    Example:

    ```python
    model = GAN(mlp_generator(16, (8, 8)), mlp_discriminator((8, 8)))
    ```
    """

    def __init__(self, generator, discriminator, latent_dim=None, generator_loss="non_saturating", seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        if generator_loss not in GENERATOR_LOSSES:
            raise ValueError(f"GAN: generator_loss={generator_loss!r} is not known; use one of {GENERATOR_LOSSES}")
        inferred = generator.input_shape[-1] if getattr(generator, "inputs", None) else None
        if latent_dim is None:
            if inferred is None:
                raise ValueError("GAN: cannot read latent_dim from a generator without an Input; pass latent_dim=")
            latent_dim = inferred
        if inferred is not None and inferred != latent_dim:
            raise ValueError(f"GAN: latent_dim={latent_dim} but the generator takes noise of length {inferred}; "
                             "leave latent_dim out or make them agree")
        if getattr(discriminator, "inputs", None) and getattr(generator, "inputs", None):
            made, judged = tuple(generator.output_shape[1:]), tuple(discriminator.input_shape[1:])
            if made != judged:
                raise ValueError(f"GAN: the generator makes images of shape {made} but the discriminator takes "
                                 f"{judged}; build both for the same image_shape")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.generator_loss = generator_loss
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        # Both networks are built models, so this one is too: fit() must not build it by calling it on images.
        self.built = True

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]

    def compile(self, d_optimizer="adam", g_optimizer="adam", **kwargs):
        """Attach one optimizer per network.

        Args:
            d_optimizer: the discriminator's optimizer (instance or name).
            g_optimizer: the generator's optimizer (instance or name); must be a
                different object from d_optimizer, since each keeps its own state.
        """
        backend = keras.backend.backend()
        if backend not in TRAINING_BACKENDS:
            raise RuntimeError(
                f"GAN.fit has a training step for {' and '.join(TRAINING_BACKENDS)}; this Keras runs on {backend!r}. "
                "Fix: set KERAS_BACKEND=jax or KERAS_BACKEND=tensorflow before importing Keras. The trained "
                "generator itself runs on any backend."
            )
        d_optimizer = keras.optimizers.get(d_optimizer)
        g_optimizer = keras.optimizers.get(g_optimizer)
        if d_optimizer is g_optimizer:
            raise ValueError("GAN.compile: d_optimizer and g_optimizer are the same object; give each network "
                             "its own optimizer, e.g. two keras.optimizers.Adam(2e-4, beta_1=0.5)")
        super().compile(optimizer=None, **kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        # Keras's trainers read `model.optimizer`: whether it is built and, on JAX, which
        # variables to pass through the compiled step. Both networks' optimizers are built now.
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)
        self.optimizer = _OptimizerPair(d_optimizer, g_optimizer)

    def build(self, input_shape=None):
        # fit() would otherwise build through call(); both networks are already built.
        self.built = True

    def call(self, noise, training=False):
        """Generate images from noise (batch, latent_dim)."""
        return self.generator(noise, training=training)

    def generate(self, num_images=None, noise=None):
        """Images as a NumPy array in [0, 1] (for plotting), from `num_images` fresh draws or given `noise`."""
        if noise is None:
            if num_images is None:
                raise ValueError("GAN.generate: pass num_images=N or noise=array of shape (N, latent_dim)")
            noise = keras.random.normal((int(num_images), self.latent_dim), seed=self.seed_generator)
        images = ops.convert_to_numpy(self.generator(noise, training=False))
        return np.clip((images + 1.0) / 2.0, 0.0, 1.0)

    def train_step(self, *args):
        # fit() calls train_step(data) on TensorFlow and train_step(state, data) on JAX.
        if keras.backend.backend() == "jax":
            return self.jax_train_step(*args)
        return self.tensorflow_train_step(*args)

    def tensorflow_train_step(self, data):
        """One discriminator update, then one generator update; variables change in place."""
        import tensorflow as tf

        real = data[0] if isinstance(data, (tuple, list)) else data
        batch_size = ops.shape(real)[0]

        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            fake = self.generator(noise, training=True)
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = discriminator_loss(real_logits, fake_logits)
        d_weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_weights), d_weights))

        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            # Only the generator's weights are updated: D is the fixed judge in this half-step.
            judged = self.discriminator(self.generator(noise, training=True), training=True)
            g_loss = generator_loss(judged, self.generator_loss)
        g_weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_weights), g_weights))

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(ops.mean(ops.sigmoid(real_logits)))
        self.d_fake_tracker.update_state(ops.mean(ops.sigmoid(fake_logits)))
        return {m.name: m.result() for m in self.metrics}

    def jax_train_step(self, state, data):
        """The same two updates as pure functions of the state: (logs, new state), nothing changed in place."""
        import jax

        trainable, non_trainable, optimizer_state, metrics_state = state
        real = data[0] if isinstance(data, (tuple, list)) else data
        batch_size = ops.shape(real)[0]
        g_net, d_net = self.generator, self.discriminator
        g_train = _values_of(g_net.trainable_variables, self.trainable_variables, trainable)
        d_train = _values_of(d_net.trainable_variables, self.trainable_variables, trainable)
        g_fixed = _values_of(g_net.non_trainable_variables, self.non_trainable_variables, non_trainable)
        d_fixed = _values_of(d_net.non_trainable_variables, self.non_trainable_variables, non_trainable)
        d_opt_state = optimizer_state[: len(self.d_optimizer.variables)]
        g_opt_state = optimizer_state[len(self.d_optimizer.variables):]

        # The noise seed is state too: draw it inside a scope that records the seed's new value.
        seed_state = self.seed_generator.state
        seed_value = _values_of([seed_state], self.non_trainable_variables, non_trainable)[0]
        with keras.StatelessScope(state_mapping=[(seed_state, seed_value)]) as scope:
            noise_d = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
            noise_g = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        seed_value = scope.get_current_value(seed_state)

        def d_loss_fn(d_train, d_fixed, g_fixed):
            fake, g_fixed = g_net.stateless_call(g_train, g_fixed, noise_d, training=True)
            real_logits, d_fixed = d_net.stateless_call(d_train, d_fixed, real, training=True)
            fake_logits, d_fixed = d_net.stateless_call(d_train, d_fixed, fake, training=True)
            return discriminator_loss(real_logits, fake_logits), (real_logits, fake_logits, d_fixed, g_fixed)

        (d_loss, (real_logits, fake_logits, d_fixed, g_fixed)), d_grads = jax.value_and_grad(
            d_loss_fn, has_aux=True)(d_train, d_fixed, g_fixed)
        d_train, d_opt_state = self.d_optimizer.stateless_apply(d_opt_state, d_grads, d_train)

        def g_loss_fn(g_train, g_fixed, d_fixed):
            # Only the generator's weights are differentiated: D is the fixed judge in this half-step.
            fake, g_fixed = g_net.stateless_call(g_train, g_fixed, noise_g, training=True)
            judged, d_fixed = d_net.stateless_call(d_train, d_fixed, fake, training=True)
            return generator_loss(judged, self.generator_loss), (g_fixed, d_fixed)

        (g_loss, (g_fixed, d_fixed)), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(g_train, g_fixed, d_fixed)
        g_train, g_opt_state = self.g_optimizer.stateless_apply(g_opt_state, g_grads, g_train)

        logs, new_metrics_state, start = {}, [], 0
        values = (d_loss, g_loss, ops.mean(ops.sigmoid(real_logits)), ops.mean(ops.sigmoid(fake_logits)))
        for metric, value in zip(self.metrics, values):
            this_state = metrics_state[start : start + len(metric.variables)]
            start += len(metric.variables)
            this_state = metric.stateless_update_state(this_state, value)
            logs[metric.name] = metric.stateless_result(this_state)
            new_metrics_state += list(this_state)

        trainable = _replace(self.trainable_variables, trainable, g_net.trainable_variables, g_train)
        trainable = _replace(self.trainable_variables, trainable, d_net.trainable_variables, d_train)
        non_trainable = _replace(self.non_trainable_variables, non_trainable, g_net.non_trainable_variables, g_fixed)
        non_trainable = _replace(self.non_trainable_variables, non_trainable, d_net.non_trainable_variables, d_fixed)
        non_trainable = _replace(self.non_trainable_variables, non_trainable, [seed_state], [seed_value])
        return logs, (trainable, non_trainable, list(d_opt_state) + list(g_opt_state), new_metrics_state)

    def get_config(self):
        config = super().get_config()
        config.update({
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
            "generator_loss": self.generator_loss,
            "seed": self.seed,
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = keras.saving.deserialize_keras_object(config["discriminator"])
        return cls(**config)


def frechet_distance(features_a, features_b):
    """Fréchet distance between Gaussians fitted to two sets of feature vectors (the formula of FID).

    d² = |μ_a - μ_b|² + Tr(Σ_a + Σ_b - 2 (Σ_a Σ_b)^½). FID applies it to Inception-v3 features of real
    and generated images; any network's features will do for a comparison within one lesson. Two
    finite samples of the same distribution give a small positive value, not 0: compare with that floor.

    Args:
        features_a: array (N, D), one feature vector per row.
        features_b: array (M, D) with the same D.

    Returns:
        The squared distance d², a float ≥ 0 (0 for identical sets).
    """
    a, b = np.asarray(features_a, dtype="float64"), np.asarray(features_b, dtype="float64")
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(f"frechet_distance: expected two arrays (N, D) and (M, D) with N, M >= 2 and the same D, "
                         f"got shapes {a.shape} and {b.shape}")
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False).reshape(a.shape[1], -1), np.cov(b, rowvar=False).reshape(b.shape[1], -1)
    # Tr (Σ_a Σ_b)^½ = Σ sqrt(eigenvalues of Σ_a^½ Σ_b Σ_a^½), a symmetric matrix: no complex round-off.
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    return float(max(np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * cross, 0.0))


class SampleGrid(keras.callbacks.Callback):
    """Keeps the generator's images for the same fixed noise after every epoch.

    Drawing the same z each epoch shows how each sample evolves, and makes mode
    collapse visible: different z turning into the same image.

    Args:
        noise: array (N, latent_dim) of fixed noise.

    Attributes:
        samples: list of arrays (N, *image_shape) in [0, 1], one per finished epoch.
    """

    def __init__(self, noise):
        super().__init__()
        self.noise = np.asarray(noise, dtype="float32")
        if self.noise.ndim != 2:
            raise ValueError(f"SampleGrid: noise must have shape (N, latent_dim), got {self.noise.shape}")
        self.samples = []

    def on_epoch_end(self, epoch, logs=None):
        self.samples.append(self.model.generate(noise=self.noise))


class _OptimizerPair:
    """The two optimizers seen as the one `model.optimizer` Keras's trainers expect.

    The trainers ask whether it is built and, on JAX, for its variables: the state
    they pass into the compiled step and write back after each epoch.
    """

    built = True

    def __init__(self, d_optimizer, g_optimizer):
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    @property
    def variables(self):
        return list(self.d_optimizer.variables) + list(self.g_optimizer.variables)


def _values_of(wanted, variables, values):
    """The values (from a JAX state list `values`, parallel to `variables`) of the variables in `wanted`."""
    position = {id(v): i for i, v in enumerate(variables)}
    return [values[position[id(v)]] for v in wanted]


def _replace(variables, values, changed, new_values):
    """`values` (parallel to `variables`) with the entries of the variables in `changed` set to `new_values`."""
    position = {id(v): i for i, v in enumerate(variables)}
    values = list(values)
    for v, value in zip(changed, new_values):
        values[position[id(v)]] = value
    return values


def _check_positive_int(name, value):
    if not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}={value!r}: expected a positive integer, e.g. {name}=64")


def _check_shape(name, shape):
    try:
        shape = tuple(int(d) for d in shape)
    except TypeError:
        raise ValueError(f"{name}={shape!r}: expected a tuple of positive integers such as (28, 28)") from None
    if not shape or min(shape) < 1:
        raise ValueError(f"{name}={shape!r}: expected a tuple of positive integers such as (28, 28)")
    return shape

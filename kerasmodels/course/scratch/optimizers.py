"""Six optimizers written from scratch in NumPy, with exactly the update rules of keras.optimizers.

Each class holds its own state (velocities, accumulators, moments) and updates a
NumPy parameter array with `step(w, gradient)`. `keras_equivalent()` builds the
keras.optimizers object with the same hyper-parameters, and `compare_with_keras`
runs both on the same problem step by step, so a lesson can show they agree.

Keras's formulas differ in small ways from the textbook ones (all read from
keras/src/optimizers/*.py, Keras 3):

- SGD with momentum keeps m <- mu*m - lr*g and adds it: w <- w + m.
- Adagrad starts its accumulator at 0.1, not 0, and puts epsilon inside the root:
  w <- w - lr*g / sqrt(acc + eps).
- RMSprop also puts epsilon inside the root; with momentum it keeps a velocity of
  the scaled steps: mom <- mu*mom + lr*g/sqrt(v + eps); w <- w - mom.
- Adam folds the bias corrections into the step size,
  alpha_t = lr*sqrt(1 - beta2^t)/(1 - beta1^t), and adds epsilon to the
  uncorrected sqrt(v): Keras's eps plays the role of the textbook's
  eps*sqrt(1 - beta2^t), a difference visible only while v is tiny.
- AdamW first shrinks the weights, w <- w - lr*wd*w (decoupled weight decay,
  not added to the gradient), then takes the Adam step with the gradient
  computed before the shrink.
- Keras stores the learning rate as a float32 variable, and `ops.cast` turns
  the Python floats momentum, beta_1 and beta_2 (in beta^t), weight_decay and
  Adagrad's initial accumulator value
  into float32 tensors before casting them to the weights' dtype. On float64
  weights lr=0.1 therefore acts as float32(0.1) = 0.10000000149...; the scratch
  versions round the same numbers the same way, so both agree to about 1e-12
  instead of 1e-5.

Example:

```python
import numpy as np
from kerasmodels.course.scratch import optimizers as opt
surface = opt.SURFACES["ravine"]
result = opt.compare_with_keras(opt.Adam(0.1), surface.gradient, np.array([-4.0, 2.0]), steps=50)
assert result.max_abs_difference < 1e-6
```
"""

from dataclasses import dataclass

import numpy as np


def _float32_rounded(value):
    # The number Keras actually uses for a hyper-parameter it passes through float32.
    return float(np.float32(value))


class ScratchOptimizer:
    """Base class: `step(w, gradient)` returns the updated parameters and advances the state."""

    name = "optimizer"

    def __init__(self, learning_rate):
        if not np.isfinite(learning_rate) or learning_rate <= 0:
            raise ValueError(
                f"learning_rate={learning_rate!r}: use a positive finite number such as 0.01"
            )
        self.learning_rate = learning_rate
        self.iterations = 0
        self.state = {}

    @property
    def lr(self):
        return _float32_rounded(self.learning_rate)

    def _slot(self, name, like, initial=0.0):
        if name not in self.state:
            self.state[name] = np.full_like(np.asarray(like, dtype=np.float64), initial)
        return self.state[name]

    def step(self, w, gradient):
        w = np.asarray(w, dtype=np.float64)
        gradient = np.asarray(gradient, dtype=np.float64)
        if w.shape != gradient.shape:
            raise ValueError(f"gradient has shape {gradient.shape} but the parameters have shape {w.shape}")
        new_w = self._update(w, gradient)
        self.iterations += 1
        return new_w

    def _update(self, w, g):
        raise TypeError(f"{type(self).__name__} does not define an update rule; subclass one of SGD, Adam, ...")

    def keras_equivalent(self):
        """The keras.optimizers object with the same update rule and hyper-parameters."""
        raise TypeError(f"{type(self).__name__} has no Keras equivalent")

    def get_config(self):
        return {"learning_rate": self.learning_rate}

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class SGD(ScratchOptimizer):
    """Plain gradient descent: w <- w - lr * g."""

    name = "SGD"

    def _update(self, w, g):
        return w - self.lr * g

    def keras_equivalent(self):
        import keras

        return keras.optimizers.SGD(learning_rate=self.learning_rate)


class Momentum(ScratchOptimizer):
    """SGD with momentum (Keras form): m <- mu*m - lr*g;  w <- w + m.

    Args:
        learning_rate: step size.
        momentum: mu in [0, 1), the fraction of the previous step kept.
    """

    name = "Momentum"

    def __init__(self, learning_rate, momentum=0.9):
        super().__init__(learning_rate)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum={momentum!r}: use a number in [0, 1), e.g. 0.9")
        self.momentum = momentum

    def _update(self, w, g):
        m = self._slot("m", w)
        m[...] = _float32_rounded(self.momentum) * m - self.lr * g
        return w + m

    def keras_equivalent(self):
        import keras

        return keras.optimizers.SGD(learning_rate=self.learning_rate, momentum=self.momentum)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum}


class Adagrad(ScratchOptimizer):
    """acc <- acc + g^2 (acc starts at 0.1);  w <- w - lr*g / sqrt(acc + eps)."""

    name = "Adagrad"

    def __init__(self, learning_rate, initial_accumulator_value=0.1, epsilon=1e-7):
        super().__init__(learning_rate)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _update(self, w, g):
        acc = self._slot("accumulator", w, _float32_rounded(self.initial_accumulator_value))
        acc += g**2
        return w - self.lr * g / np.sqrt(acc + self.epsilon)

    def keras_equivalent(self):
        import keras

        return keras.optimizers.Adagrad(learning_rate=self.learning_rate,
                                        initial_accumulator_value=self.initial_accumulator_value,
                                        epsilon=self.epsilon)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class RMSprop(ScratchOptimizer):
    """v <- rho*v + (1-rho)*g^2;  step = lr*g / sqrt(v + eps);  with momentum mu: mom <- mu*mom + step."""

    name = "RMSprop"

    def __init__(self, learning_rate, rho=0.9, momentum=0.0, epsilon=1e-7):
        super().__init__(learning_rate)
        self.rho, self.momentum, self.epsilon = rho, momentum, epsilon

    def _update(self, w, g):
        v = self._slot("velocity", w)
        v[...] = self.rho * v + (1 - self.rho) * g**2
        increment = self.lr * g / np.sqrt(v + self.epsilon)
        if self.momentum > 0:
            mom = self._slot("momentum", w)
            mom[...] = self.momentum * mom + increment
            increment = mom
        return w - increment

    def keras_equivalent(self):
        import keras

        return keras.optimizers.RMSprop(learning_rate=self.learning_rate, rho=self.rho,
                                        momentum=self.momentum, epsilon=self.epsilon)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon}


class Adam(ScratchOptimizer):
    """m <- beta1*m + (1-beta1)*g;  v <- beta2*v + (1-beta2)*g^2;
    w <- w - alpha_t * m / (sqrt(v) + eps)  with  alpha_t = lr*sqrt(1-beta2^t)/(1-beta1^t)."""

    name = "Adam"

    def __init__(self, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _adam_step(self, w, g):
        t = self.iterations + 1
        m = self._slot("m", w)
        v = self._slot("v", w)
        m[...] = m + (g - m) * (1 - self.beta_1)
        v[...] = v + (g**2 - v) * (1 - self.beta_2)
        beta_1_power = _float32_rounded(self.beta_1) ** t
        beta_2_power = _float32_rounded(self.beta_2) ** t
        alpha = self.lr * np.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        return w - alpha * m / (np.sqrt(v) + self.epsilon)

    def _update(self, w, g):
        return self._adam_step(w, g)

    def keras_equivalent(self):
        import keras

        return keras.optimizers.Adam(learning_rate=self.learning_rate, beta_1=self.beta_1,
                                     beta_2=self.beta_2, epsilon=self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class AdamW(Adam):
    """Adam with decoupled weight decay: w <- w - lr*wd*w, then the Adam step with the unchanged gradient."""

    name = "AdamW"

    def __init__(self, learning_rate, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate, beta_1, beta_2, epsilon)
        if weight_decay < 0:
            raise ValueError(f"weight_decay={weight_decay!r}: use a number >= 0, e.g. 0.004")
        self.weight_decay = weight_decay

    def _update(self, w, g):
        w = w - w * _float32_rounded(self.weight_decay) * self.lr
        return self._adam_step(w, g)

    def keras_equivalent(self):
        import keras

        return keras.optimizers.AdamW(learning_rate=self.learning_rate, weight_decay=self.weight_decay,
                                      beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)

    def get_config(self):
        return {**super().get_config(), "weight_decay": self.weight_decay}


@dataclass
class Surface:
    """A 2-D loss surface with its gradient, for drawing optimizer trajectories.

    Attributes:
        name: short name.
        value: f(w) for w of shape (..., 2) (vectorised, for contour plots).
        gradient: grad f(w) for w of shape (2,).
        minimum: where f is smallest.
        extent: (xmin, xmax, ymin, ymax) worth plotting.
    """

    name: str
    value: object
    gradient: object
    minimum: tuple
    extent: tuple


def _ravine_value(w):
    w = np.asarray(w, dtype=np.float64)
    return 0.05 * w[..., 0] ** 2 + 1.0 * w[..., 1] ** 2


def _ravine_gradient(w):
    w = np.asarray(w, dtype=np.float64)
    return np.array([0.1 * w[0], 2.0 * w[1]])


def _rosenbrock_value(w):
    w = np.asarray(w, dtype=np.float64)
    return (1 - w[..., 0]) ** 2 + 10.0 * (w[..., 1] - w[..., 0] ** 2) ** 2


def _rosenbrock_gradient(w):
    x, y = np.asarray(w, dtype=np.float64)
    return np.array([-2 * (1 - x) - 40.0 * x * (y - x**2), 20.0 * (y - x**2)])


SURFACES = {
    # A long narrow valley: curvature 20x larger across (y) than along (x) it.
    "ravine": Surface("ravine", _ravine_value, _ravine_gradient, (0.0, 0.0), (-5.0, 1.5, -2.5, 2.5)),
    # A curved valley (Rosenbrock with a=1, b=10): easy to find, slow to follow.
    "rosenbrock": Surface("rosenbrock", _rosenbrock_value, _rosenbrock_gradient, (1.0, 1.0), (-2.0, 2.0, -1.0, 3.0)),
}


def trajectory(optimizer, gradient_fn, start, steps):
    """Points visited by a scratch optimizer: array (steps + 1, *start.shape), starting at `start`."""
    w = np.array(start, dtype=np.float64)
    points = [w.copy()]
    for _ in range(int(steps)):
        w = optimizer.step(w, gradient_fn(w))
        points.append(w.copy())
    return np.stack(points)


def keras_trajectory(keras_optimizer, gradient_fn, start, steps):
    """Points visited by a keras.optimizers object fed the same gradients, on a float64 variable."""
    import keras

    variable = keras.Variable(np.array(start, dtype=np.float64), dtype="float64", name="w")
    points = [np.array(start, dtype=np.float64)]
    for _ in range(int(steps)):
        gradient = gradient_fn(points[-1])
        keras_optimizer.apply_gradients([(keras.ops.convert_to_tensor(gradient, dtype="float64"), variable)])
        points.append(np.array(variable.numpy(), dtype=np.float64))
    return np.stack(points)


@dataclass
class Comparison:
    """Scratch and Keras trajectories of one optimizer on one problem."""

    name: str
    scratch: np.ndarray
    keras: np.ndarray

    @property
    def max_abs_difference(self):
        return float(np.max(np.abs(self.scratch - self.keras)))

    @property
    def max_relative_difference(self):
        scale = np.maximum(np.abs(self.keras), 1e-12)
        return float(np.max(np.abs(self.scratch - self.keras) / np.maximum(scale, 1.0)))


def compare_with_keras(optimizer, gradient_fn, start, steps=50):
    """Run `optimizer` and its `keras_equivalent()` from `start` for `steps` steps on the same gradients.

    Returns:
        A `Comparison` with both trajectories and their largest difference.
    """
    if optimizer.iterations:
        raise ValueError(f"{optimizer!r} has already taken {optimizer.iterations} steps; pass a fresh optimizer")
    scratch = trajectory(optimizer, gradient_fn, start, steps)
    reference = keras_trajectory(type(optimizer)(**optimizer.get_config()).keras_equivalent(),
                                 gradient_fn, start, steps)
    return Comparison(optimizer.name, scratch, reference)


def default_optimizers():
    """One of each optimizer with hyper-parameters that suit the `ravine` surface."""
    return [
        SGD(0.4),
        Momentum(0.1, momentum=0.8),
        Adagrad(1.0),
        RMSprop(0.1),
        Adam(0.3),
        AdamW(0.3, weight_decay=0.1),
    ]

"""A tiny multilayer perceptron in NumPy, with its forward and backward pass written out.

Lessons 01-03 use it to show what a framework does for us: activations and their
derivatives, the forward pass that stores every z and a, the backward pass that
turns the output error into one delta per layer, and two independent checks of
the gradients (finite differences and the backend's automatic differentiation).

The network follows article 001 §4.4, with row-vector inputs (one example per row):

    z_l = a_{l-1} W_l + b_l,   a_l = f(z_l),   a_0 = x,   y = a_L
    J = 1/2 * sum((y - t)^2)

and the backward pass

    delta_L = (y - t) * f'(z_L)
    delta_l = (delta_{l+1} W_{l+1}^T) * f'(z_l)
    dJ/dW_l = a_{l-1}^T delta_l,    dJ/db_l = sum over the batch of delta_l

Example:

```python
import numpy as np
from kerasmodels.course.scratch import numpy_nn
net = numpy_nn.MLP((3, 4, 4, 2), seed=0)
x = np.random.default_rng(0).normal(size=(5, 3))
t = np.random.default_rng(1).uniform(size=(5, 2))
loss, grads = net.gradients(x, t)
errors = numpy_nn.gradient_check(net, x, t)
assert max(errors.values()) < 1e-6
```
"""

import numpy as np


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), computed without overflow for large |z|."""
    z = np.asarray(z)
    z = z.astype(np.result_type(z.dtype, np.float32))  # integers become float64, float32 stays
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(z):
    """sigma'(z) = sigma(z) * (1 - sigma(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    return np.tanh(z)


def tanh_derivative(z):
    """tanh'(z) = 1 - tanh(z)^2."""
    return 1.0 - np.tanh(z) ** 2


def relu(z):
    return np.maximum(z, 0.0)


def relu_derivative(z):
    """1 where z > 0, else 0 (at z = 0 frameworks, like this function, use 0)."""
    z = np.asarray(z)
    return (z > 0).astype(np.result_type(z.dtype, np.float32))


def identity(z):
    return np.asarray(z)


def identity_derivative(z):
    return np.ones_like(np.asarray(z, dtype=np.float64))


ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
    "linear": (identity, identity_derivative),
}


def get_activation(name):
    """(function, derivative) for an activation name in ACTIVATIONS."""
    if name not in ACTIVATIONS:
        raise ValueError(
            f"activation={name!r} is not known; use one of {sorted(ACTIVATIONS)}, "
            "e.g. activation='sigmoid'"
        )
    return ACTIVATIONS[name]


class MLP:
    """A fully connected network with explicit forward and backward passes (float64 by default).

    Args:
        layer_sizes: (inputs, hidden_1, ..., outputs); (4, 5, 3, 2) is the three-layer network
            of article 001 §4.4 with weight matrices W1 (4x5), W2 (5x3), W3 (3x2).
        activation: activation of the hidden layers, a name in ACTIVATIONS.
        output_activation: activation of the last layer (article 001 uses "sigmoid").
        seed: seed of the weight initialisation.
        dtype: float64 keeps finite-difference checks accurate to 1e-10.

    Parameters are held in `params`, a dict {"W1": ..., "b1": ..., "W2": ...}.

    Example:

    ```python
    net = MLP((2, 3, 1), seed=0)
    y, cache = net.forward(np.ones((4, 2)))
    ```
    """

    def __init__(self, layer_sizes=(4, 5, 3, 2), activation="sigmoid", output_activation="sigmoid",
                 seed=0, dtype=np.float64):
        layer_sizes = tuple(int(n) for n in layer_sizes)
        if len(layer_sizes) < 2 or min(layer_sizes) < 1:
            raise ValueError(
                f"layer_sizes={layer_sizes!r}: give at least (inputs, outputs), all positive, "
                "e.g. layer_sizes=(4, 5, 3, 2)"
            )
        self.layer_sizes = layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.seed = seed
        self.dtype = dtype
        self._hidden = get_activation(activation)
        self._output = get_activation(output_activation)
        rng = np.random.default_rng(seed)
        self.params = {}
        for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
            # Glorot-style scale keeps sigmoid units away from their flat tails at the start.
            scale = np.sqrt(2.0 / (fan_in + fan_out))
            self.params[f"W{layer}"] = (rng.normal(size=(fan_in, fan_out)) * scale).astype(dtype)
            self.params[f"b{layer}"] = (rng.normal(size=(fan_out,)) * 0.1).astype(dtype)

    @property
    def num_layers(self):
        return len(self.layer_sizes) - 1

    def _activation(self, layer):
        return self._output if layer == self.num_layers else self._hidden

    def _check_input(self, x):
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 2 or x.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"x has shape {x.shape}; this network expects (batch, {self.layer_sizes[0]}). "
                "Put one example per row, e.g. x.reshape(-1, "
                f"{self.layer_sizes[0]})"
            )
        return x

    def forward(self, x, params=None):
        """Run the network; returns (y, cache) where cache holds every z_l and a_l (a_0 = x)."""
        params = self.params if params is None else params
        a = self._check_input(x)
        cache = {"a0": a}
        for layer in range(1, self.num_layers + 1):
            z = a @ params[f"W{layer}"] + params[f"b{layer}"]
            a = self._activation(layer)[0](z)
            cache[f"z{layer}"], cache[f"a{layer}"] = z, a
        return a, cache

    def predict(self, x):
        return self.forward(x)[0]

    def loss(self, x, t, params=None):
        """J = 1/2 * sum((y - t)^2), summed over the batch and the outputs as in article 001 §4.4."""
        y, _ = self.forward(x, params)
        return 0.5 * float(np.sum((y - np.asarray(t, dtype=self.dtype)) ** 2))

    def backward(self, cache, t):
        """Gradients of J from a forward pass's cache: a dict {"W1": dJ/dW1, "b1": dJ/db1, ...}.

        Also stores the deltas (dJ/dz_l) in `cache["delta<l>"]`, so they can be shown.
        """
        L = self.num_layers
        y = cache[f"a{L}"]
        t = np.asarray(t, dtype=self.dtype)
        if t.shape != y.shape:
            raise ValueError(f"targets t have shape {t.shape}, the outputs have shape {y.shape}; give one "
                             "target row per example")
        grads = {}
        delta = (y - t) * self._activation(L)[1](cache[f"z{L}"])
        for layer in range(L, 0, -1):
            cache[f"delta{layer}"] = delta
            grads[f"W{layer}"] = cache[f"a{layer - 1}"].T @ delta
            grads[f"b{layer}"] = delta.sum(axis=0)
            if layer > 1:
                delta = (delta @ self.params[f"W{layer}"].T) * self._activation(layer - 1)[1](cache[f"z{layer - 1}"])
        return {name: grads[name] for name in self.params}

    def gradients(self, x, t):
        """(J, gradients) for a batch: one forward and one backward pass."""
        y, cache = self.forward(x)
        loss = 0.5 * float(np.sum((y - np.asarray(t, dtype=self.dtype)) ** 2))
        return loss, self.backward(cache, t)

    def apply_gradients(self, grads, learning_rate):
        """One gradient-descent step: theta <- theta - learning_rate * dJ/dtheta."""
        for name, grad in grads.items():
            self.params[name] = self.params[name] - learning_rate * grad

    def ops_loss(self, params, x, t):
        """The same J written with keras.ops, for the backend's automatic differentiation.

        Args:
            params: dict of backend tensors with the names of `self.params`.
            x, t: inputs and targets (arrays or tensors).
        """
        from keras import ops

        names = {"sigmoid": ops.sigmoid, "tanh": ops.tanh, "relu": ops.relu, "linear": lambda z: z}
        a = ops.convert_to_tensor(np.asarray(x, dtype=self.dtype))
        for layer in range(1, self.num_layers + 1):
            z = ops.matmul(a, params[f"W{layer}"]) + params[f"b{layer}"]
            name = self.output_activation if layer == self.num_layers else self.activation
            a = names[name](z)
        t = ops.convert_to_tensor(np.asarray(t, dtype=self.dtype))
        return 0.5 * ops.sum(ops.square(a - t))

    def get_config(self):
        return {
            "layer_sizes": self.layer_sizes,
            "activation": self.activation,
            "output_activation": self.output_activation,
            "seed": self.seed,
        }


def numerical_gradient(f, array, epsilon=1e-6):
    """Central finite differences (f(w + eps) - f(w - eps)) / (2 eps), one entry of `array` at a time.

    Args:
        f: a function of no arguments that reads `array` (modified in place, then restored).
        array: a float64 NumPy array.
        epsilon: the step; 1e-6 balances truncation error (eps^2) and rounding error (1e-16 / eps).
    """
    if array.dtype != np.float64:
        raise TypeError(
            f"numerical_gradient needs a float64 array, got {array.dtype}: in float32 rounding "
            "errors swamp the difference quotient. Fix: array.astype(np.float64)"
        )
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + epsilon
        plus = f()
        array[index] = original - epsilon
        minus = f()
        array[index] = original
        grad[index] = (plus - minus) / (2 * epsilon)
    return grad


def relative_error(a, b):
    """||a - b|| / (||a|| + ||b||): 0 when equal, about 1 when unrelated, scale free."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denominator == 0 else float(np.linalg.norm(a - b) / denominator)


def numerical_gradients(net, x, t, epsilon=1e-6):
    """Finite-difference gradients of `net.loss(x, t)` for every parameter of an MLP."""
    return {name: numerical_gradient(lambda: net.loss(x, t), net.params[name], epsilon)
            for name in net.params}


def gradient_check(net, x, t, epsilon=1e-6):
    """{parameter name: relative error between backprop and finite differences}."""
    _, analytic = net.gradients(x, t)
    numeric = numerical_gradients(net, x, t, epsilon)
    return {name: relative_error(analytic[name], numeric[name]) for name in net.params}


def autodiff_gradients(fn, params):
    """Gradients of a scalar `fn(tensors)` by the Keras backend's automatic differentiation.

    Keras 3 has no backend-neutral `gradient` op, so this dispatches to
    tf.GradientTape, jax.grad or torch.autograd. JAX computes in float32 unless 64-bit
    types are enabled, so when any parameter is float64 the JAX call runs inside
    `jax.enable_x64(True)`: float64 in, float64 gradients out, on every backend. (Some
    keras.ops, e.g. `ops.tanh` and `ops.mean`, still compute in float32 on JAX: Keras casts
    float64 to float32 there whatever JAX's mode.)

    Args:
        fn: takes a dict of backend tensors (same keys as `params`) and returns a scalar tensor.
        params: dict of NumPy arrays at which to differentiate.

    Returns:
        (value, dict of NumPy gradients).
    """
    import keras

    backend = keras.backend.backend()
    names = list(params)
    if backend == "tensorflow":
        import tensorflow as tf

        tensors = {name: tf.Variable(params[name]) for name in names}
        with tf.GradientTape() as tape:
            value = fn(tensors)
        grads = tape.gradient(value, [tensors[name] for name in names])
        return float(value), {name: np.asarray(g) for name, g in zip(names, grads)}
    if backend == "jax":
        import contextlib

        import jax

        wants_x64 = any(np.asarray(params[name]).dtype == np.float64 for name in names)
        if not wants_x64:
            context = contextlib.nullcontext()
        elif hasattr(jax, "enable_x64"):  # jax >= 0.7 (a config context manager)
            context = jax.enable_x64(True)
        else:  # older jax
            from jax.experimental import enable_x64

            context = enable_x64()
        with context:
            value, grads = jax.value_and_grad(fn)({name: jax.numpy.asarray(params[name]) for name in names})
            return float(value), {name: np.asarray(grads[name]) for name in names}
    if backend == "torch":
        import torch

        tensors = {name: torch.tensor(params[name], requires_grad=True) for name in names}
        value = fn(tensors)
        value.backward()
        return float(value.detach()), {name: tensors[name].grad.numpy() for name in names}
    raise ValueError(f"autodiff_gradients supports the tensorflow, jax and torch backends, not {backend!r}")


def keras_gradients(net, x, t):
    """(J, gradients) of an MLP computed by the backend's autodiff instead of `backward`."""
    return autodiff_gradients(lambda params: net.ops_loss(params, x, t), net.params)

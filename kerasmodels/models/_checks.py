"""Argument checks shared by the model factories.

Every message names the argument, the value received, what is accepted and
how to fix it, so that a learner's mistake never surfaces as a deep
TensorFlow stack trace.
"""

import numbers
import os

from kerasmodels.errors import InvalidArgumentError, InvalidArgumentTypeError, ModelTooLargeError


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(name, value):
    """Return `value` as an int, or raise if it is not an integer >= 1."""
    if not _is_int(value):
        raise InvalidArgumentTypeError(
            f"{name} must be a positive integer; received {value!r} "
            f"(type {type(value).__name__}). Pass e.g. {name}=64."
        )
    if value < 1:
        raise InvalidArgumentError(
            f"{name} must be a positive integer (>= 1); received {value!r}. "
            f"Sizes and counts cannot be zero or negative."
        )
    return int(value)


def positive_int_tuple(name, values, allow_empty=False):
    """Return `values` (an int or a sequence of ints) as a tuple of ints >= 1."""
    if _is_int(values):
        values = (values,)
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InvalidArgumentTypeError(
            f"{name} must be a tuple of positive integers such as (64, 64); "
            f"received {values!r} (type {type(values).__name__})."
        )
    values = tuple(values)
    if not values and not allow_empty:
        raise InvalidArgumentError(
            f"{name} must contain at least one positive integer; received {values!r}."
        )
    for item in values:
        if not _is_int(item) or item < 1:
            raise InvalidArgumentError(
                f"{name} must contain positive integers only, such as (64, 64); "
                f"received {values!r}, whose item {item!r} is not a positive integer."
            )
    return tuple(int(v) for v in values)


def num_classes_arg(num_classes):
    """Check `num_classes`; 1 means a binary problem with one logit."""
    if not _is_int(num_classes):
        raise InvalidArgumentTypeError(
            f"num_classes must be an integer >= 1 (1 = binary with one logit, "
            f"N >= 2 = N classes); received {num_classes!r} "
            f"(type {type(num_classes).__name__})."
        )
    if num_classes < 1:
        raise InvalidArgumentError(
            f"num_classes must be >= 1 (1 = binary with one logit, N >= 2 = N classes); "
            f"received {num_classes!r}."
        )
    return int(num_classes)


def rate(name, value):
    """A dropout-like rate in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidArgumentTypeError(f"{name} must be a float in [0, 1); received {value!r}.")
    if not 0.0 <= float(value) < 1.0:
        raise InvalidArgumentError(
            f"{name} must be in [0, 1) (the fraction of units dropped); received {value!r}."
        )
    return float(value)


def non_negative(name, value):
    """A non-negative float, e.g. a regularisation factor."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidArgumentTypeError(f"{name} must be a non-negative float; received {value!r}.")
    if float(value) < 0.0:
        raise InvalidArgumentError(f"{name} must be >= 0 (0 turns it off); received {value!r}.")
    return float(value)


def boolean(name, value):
    if not isinstance(value, bool):
        raise InvalidArgumentTypeError(f"{name} must be True or False; received {value!r}.")
    return value


def input_shape_arg(input_shape, ranks, example):
    """Check an input shape (without the batch axis) against the accepted ranks."""
    if _is_int(input_shape):
        input_shape = (input_shape,)
    if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__iter__"):
        raise InvalidArgumentTypeError(
            f"input_shape must be a tuple of positive integers without the batch axis, "
            f"such as {example}; received {input_shape!r}."
        )
    input_shape = tuple(input_shape)
    if len(input_shape) not in ranks:
        accepted = " or ".join(str(r) for r in sorted(ranks))
        raise InvalidArgumentError(
            f"input_shape must have {accepted} dimensions (without the batch axis), "
            f"such as {example}; received {input_shape!r} with {len(input_shape)}. "
            f"Leave out the batch size: for x of shape (N, 28, 28) pass input_shape=x.shape[1:]."
        )
    for size in input_shape:
        if not _is_int(size) or size < 1:
            raise InvalidArgumentError(
                f"input_shape must contain positive integers, such as {example}; "
                f"received {input_shape!r}. Every axis needs a known size."
            )
    return tuple(int(s) for s in input_shape)


def unknown_preset(value, known, extra=""):
    names = ", ".join(repr(k) for k in known)
    return InvalidArgumentError(f"preset must be one of {names}{extra}; received {value!r}.")


# Memory guard: a size typo (hidden_units=(10**9,)) should be one clear line, not an
# out-of-memory traceback minutes later.
MAX_BYTES_ENV = "KERASMODELS_MAX_MODEL_BYTES"
DEFAULT_MAX_BYTES = 16 * 2**30
# float32 weight + its gradient + Adam's two moments.
BYTES_PER_PARAMETER = 16
# Activations are estimated for one batch of this many examples (forward values kept for backprop).
REFERENCE_BATCH = 32
BYTES_PER_ACTIVATION = 4


def max_bytes_arg(max_bytes):
    """The memory limit: `max_bytes`, else $KERASMODELS_MAX_MODEL_BYTES, else 16 GiB."""
    if max_bytes is None:
        text = os.environ.get(MAX_BYTES_ENV, "").strip()
        if not text:
            return DEFAULT_MAX_BYTES
        try:
            max_bytes = int(float(text))
        except ValueError:
            raise InvalidArgumentError(
                f"${MAX_BYTES_ENV}={text!r} is not a number of bytes; set it to e.g. 34359738368 (32 GiB)."
            ) from None
    if not _is_int(max_bytes) or max_bytes < 1:
        raise InvalidArgumentError(f"max_bytes must be a positive number of bytes; received {max_bytes!r}.")
    return int(max_bytes)


def _gib(value):
    return f"{value / 2**30:,.1f} GiB"


def check_model_size(factory, parameters, activations_per_example, max_bytes=None):
    """Refuse a model whose estimated training memory exceeds the limit.

    Args:
        factory: the factory's name, for the message.
        parameters: number of weights.
        activations_per_example: float values a forward pass keeps per example.
        max_bytes: the limit (see `max_bytes_arg`).

    Returns:
        The estimate in bytes.

    Raises:
        ModelTooLargeError: with the estimate, the limit and how to raise it.
    """
    limit = max_bytes_arg(max_bytes)
    weights = int(parameters) * BYTES_PER_PARAMETER
    activations = int(activations_per_example) * BYTES_PER_ACTIVATION * REFERENCE_BATCH
    estimate = weights + activations
    if estimate > limit:
        raise ModelTooLargeError(
            f"{factory}: these sizes need about {_gib(estimate)} to train ({int(parameters):,} parameters "
            f"-> {_gib(weights)} with gradients and Adam state; activations of a batch of {REFERENCE_BATCH} "
            f"-> {_gib(activations)}), over the limit of {_gib(limit)}. Fix: use smaller sizes, or raise "
            f"the limit with max_bytes=... or ${MAX_BYTES_ENV} if this machine really has the memory."
        )
    return estimate

"""Argument checks shared by the model factories.

Every message names the argument, the value received, what is accepted and
how to fix it, so that a learner's mistake never surfaces as a deep
TensorFlow stack trace.
"""

import numbers

from kerasmodels.errors import InvalidArgumentError, InvalidArgumentTypeError


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

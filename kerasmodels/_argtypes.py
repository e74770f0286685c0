"""argparse types shared by the command line and the training workers (one definition of each)."""

import argparse

# Counts (epochs, batch sizes, limits) end up in int32/int64 tensors and loops; beyond this they overflow.
MAX_COUNT = 2**31 - 1


def positive_int(text):
    """A positive integer from the command line (at most `MAX_COUNT`), or argparse's one-line error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be a positive integer")
    if value > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{value} is too large (at most {MAX_COUNT:,})")
    return value


def non_negative_int(text):
    """0 or a positive integer."""
    return 0 if text.strip() == "0" else positive_int(text)

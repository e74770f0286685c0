"""Errors a user can fix. The CLI prints these as one line, without a traceback.

Any other exception reaching the CLI is treated as a bug of kerasmodels: it is
reported as an internal error (exit status 1), with the traceback under `--debug`.
"""

__all__ = ["DamagedFileError", "InvalidArgumentError", "InvalidArgumentTypeError", "KerasmodelsError",
           "MissingDataError", "ModelTooLargeError"]


class KerasmodelsError(Exception):
    """A mistake the user can fix; the message says what is wrong and how to fix it."""


class InvalidArgumentError(KerasmodelsError, ValueError):
    """An argument has a value that cannot work (still a `ValueError` for callers that catch that)."""


class InvalidArgumentTypeError(KerasmodelsError, TypeError):
    """An argument has the wrong type (still a `TypeError` for callers that catch that)."""


class MissingDataError(KerasmodelsError, FileNotFoundError):
    """A data set or data pack is not on this machine.

    The message names the data set and gives the exact command that fixes it.
    """


class DamagedFileError(KerasmodelsError):
    """A file kerasmodels reads (a checkpoint, a saved model, a log) is truncated or corrupt.

    The message names the file, what is wrong with it and how to recover.
    """


class ModelTooLargeError(InvalidArgumentError):
    """A model factory was asked for sizes whose memory estimate exceeds the limit."""

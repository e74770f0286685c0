"""Errors a user can fix. The CLI prints these as one line, without a traceback.

Any other exception reaching the CLI is treated as a bug of kerasmodels: it is
reported as an internal error (exit status 1), with the traceback under `--debug`.
"""

__all__ = ["DamagedFileError", "InvalidArgumentError", "InvalidArgumentTypeError", "KerasmodelsError",
           "MissingDataError", "ModelTooLargeError"]


class KerasmodelsError(Exception):
    """A mistake the user can fix; the message says what is wrong and how to fix it.

    The base class of every error below. kerasmodels raises it (through a subclass) when
    an argument, a file or a data set is wrong in a way the user can fix; the `kerasmodels`
    command prints its message as one line, without a traceback. Catch it to handle every
    such mistake at once.

    Example:

    ```python
    >>> import kerasmodels as km
    >>> try:
    ...     km.data.load("digits", split="tain")
    ... except KerasmodelsError as error:
    ...     print(type(error).__name__, "-", str(error).split(". ")[0])
    InvalidArgumentError - split='tain' is not a split of data set 'digits'
    ```
    """


class InvalidArgumentError(KerasmodelsError, ValueError):
    """An argument has a value that cannot work (still a `ValueError` for callers that catch that).

    Raised when a value has the right type but cannot work: an unknown data set, split,
    model kind or preset, a negative size, a rate outside [0, 1).

    Example:

    ```python
    >>> import kerasmodels as km
    >>> try:
    ...     km.data.load("digits", limit=0)
    ... except InvalidArgumentError as error:
    ...     print(isinstance(error, ValueError), "Fix: e.g. limit=1000." in str(error))
    True True
    ```
    """


class InvalidArgumentTypeError(KerasmodelsError, TypeError):
    """An argument has the wrong type (still a `TypeError` for callers that catch that).

    Raised when an argument is not of a type that can work, e.g. a string where a count is
    expected.

    Example:

    ```python
    >>> import kerasmodels as km
    >>> try:
    ...     km.data.load("digits", limit="10")
    ... except InvalidArgumentTypeError as error:
    ...     print(isinstance(error, TypeError), error)
    True limit must be a positive integer or None, got str '10'. Fix: e.g. limit=1000.
    ```
    """


class MissingDataError(KerasmodelsError, FileNotFoundError):
    """A data set or data pack is not on this machine.

    Raised by `kerasmodels.data.load` and `kerasmodels.data.path` (and the commands that
    read data) when the files are missing; still a `FileNotFoundError`. The message names
    the data set and gives the exact command or setting that fixes it.

    Example:

    ```python
    >>> import tempfile
    >>> import kerasmodels as km
    >>> try:  # an empty folder does not hold the rt_polarity files
    ...     km.data.path("rt_polarity", data_dir=tempfile.mkdtemp())
    ... except MissingDataError as error:
    ...     print(isinstance(error, FileNotFoundError), "Fix:" in str(error))
    True True
    ```
    """


class DamagedFileError(KerasmodelsError):
    """A file kerasmodels reads (a checkpoint, a saved model, a log) is truncated or corrupt.

    Raised when a file exists but cannot be read back, e.g. a `metrics.json` cut short by a
    full disk. The message names the file, what is wrong with it and how to recover.

    Example:

    ```python
    >>> import pathlib, tempfile
    >>> from kerasmodels.callbacks import read_metrics
    >>> log = pathlib.Path(tempfile.mkdtemp()) / "metrics.json"
    >>> _ = log.write_text('[{"epoch": 1')  # truncated
    >>> try:
    ...     read_metrics(log)
    ... except DamagedFileError as error:
    ...     print("is damaged" in str(error), "Fix:" in str(error))
    True True
    ```
    """


class ModelTooLargeError(InvalidArgumentError):
    """A model factory was asked for sizes whose memory estimate exceeds the limit.

    Raised by the model factories (`kerasmodels.models.mlp`, `cnn`, ...) before any weight is
    allocated, when the estimated training memory (weights, gradients, Adam state and a
    batch's activations) exceeds `max_bytes` (default `$KERASMODELS_MAX_MODEL_BYTES`, else
    16 GiB). Still an `InvalidArgumentError` and a `ValueError`.

    Example:

    ```python
    >>> from kerasmodels.models import mlp
    >>> try:
    ...     mlp(input_shape=(784,), num_classes=10, hidden_units=(100_000, 100_000))
    ... except ModelTooLargeError as error:
    ...     print(str(error).split(",")[0])
    mlp: these sizes need about 150.2 GiB to train (10
    ```
    """

"""Load any saved kerasmodels model in a new Python process."""

import importlib
import importlib.metadata
import importlib.util
import zipfile
from pathlib import Path

from kerasmodels.errors import DamagedFileError, KerasmodelsError

# Keras's deserialization messages end with the whole config; the cause is before or after it.
_MESSAGE_LIMIT = 400

# keras-hub's BERT classes and ours; optional, since keras-hub is only needed for BERT.
BERT_MODULES = ("keras_hub", "kerasmodels.models.bert_mean_pooled")
# Packages that save models of their own classes (the course's Distiller and GAN) register
# a hook under this entry-point group; the API never imports them by name.
SAVEABLES_GROUP = "kerasmodels.saveables"


def register_classes():
    """Import the modules that register the saveable classes a `.keras` file may name.

    `keras.saving.load_model` finds a custom class only once its module is
    imported; a fresh process that saved nothing yet has not imported them.
    keras-hub is optional here: without it, the BERT classes are skipped.
    Then every hook under the `kerasmodels.saveables` entry point runs.
    """
    if importlib.util.find_spec("keras_hub") is not None:
        for module in BERT_MODULES:
            importlib.import_module(module)
    for entry_point in importlib.metadata.entry_points(group=SAVEABLES_GROUP):
        entry_point.load()()


def _cause(error):
    """Keras's multi-line loading message reduced to its cause, on one line."""
    text = str(error)
    if "Exception encountered:" in text:
        text = text.rsplit("Exception encountered:", 1)[1]
    for marker in ("Full object config", "config={"):
        text = text.split(marker, 1)[0]
    text = " ".join(text.split()).rstrip(" .:") or type(error).__name__
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "..."


# What a .keras archive may hold once unpacked. Keras reads config.json and metadata.json whole
# into memory, so those are small; weights compress poorly (random floats), so a member that
# unpacks to far more than the file's size is a zip bomb, not a model.
MAX_JSON_MEMBER_BYTES = 64 * 2**20
MAX_EXPANSION = 50  # total unpacked bytes per byte of file ...
EXPANSION_ALLOWANCE = 64 * 2**20  # ... beyond this many (small files compress a lot: JSON, zeros)


def _check_archive(path):
    """A .keras file is a zip archive: say so when it is truncated, damaged or a zip bomb.

    Sizes are checked from the archive's directory before anything is unpacked, so a small file
    that would unpack to gigabytes is refused in milliseconds and without the memory.
    """
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_member_sizes(path, size, members)
            bad_member = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise DamagedFileError(
            f"model file {str(path)!r} is damaged ({size} bytes, not a complete .keras zip archive: {error}); "
            "it was probably truncated while being written or copied. Fix: save or copy the model again."
        ) from error
    if bad_member is not None:
        raise DamagedFileError(
            f"model file {str(path)!r} is damaged (its member {bad_member!r} fails its checksum). "
            "Fix: save or copy the model again.")
    if "config.json" not in {member.filename for member in members}:
        raise DamagedFileError(
            f"model file {str(path)!r} has no config.json, so it is not a Keras 3 .keras file "
            f"(it holds {', '.join(m.filename for m in members[:5]) or 'nothing'}). "
            "Fix: save the model with model.save('model.keras').")


def _check_member_sizes(path, size, members):
    unpacked = sum(member.file_size for member in members)
    for member in members:
        if member.filename.endswith(".json") and member.file_size > MAX_JSON_MEMBER_BYTES:
            raise DamagedFileError(
                f"model file {str(path)!r} is refused: its {member.filename} unpacks to "
                f"{member.file_size / 2**20:.0f} MiB (a model's is well under "
                f"{MAX_JSON_MEMBER_BYTES // 2**20} MiB); it is not a model kerasmodels saved. "
                "Fix: load only .keras files from sources you trust, or save the model again.")
    if unpacked > MAX_EXPANSION * size + EXPANSION_ALLOWANCE:
        raise DamagedFileError(
            f"model file {str(path)!r} is refused: its {size / 2**20:.1f} MiB unpack to "
            f"{unpacked / 2**20:.0f} MiB, more than a model's weights compress (a zip bomb?). "
            "Fix: load only .keras files from sources you trust, or save the model again.")


def load_model(path, **kwargs):
    """`keras.saving.load_model`, with every kerasmodels class registered first.

    A model built by `bert_classifier` (a `MeanPooledBertClassifier`), or one of
    the course's `Distiller` or `GAN`, names a class that Keras finds only after
    its module is imported; this does the imports, then loads in safe mode.

    Args:
        path: a `.keras` file.
        **kwargs: passed to `keras.saving.load_model` (e.g. `compile=False`).

    Returns:
        The loaded model.

    Raises:
        KerasmodelsError: the file does not exist, is not a `.keras` file, or Keras refuses it
            (e.g. a Python lambda in safe mode); the message is one line with the cause.
        DamagedFileError: the file is truncated or corrupt.

    Example:

    ```python
    from kerasmodels.models import load_model, mlp

    mlp((8, 8), 10).save("mlp.keras")
    load_model("mlp.keras").output_shape  # (None, 10)
    ```
    """
    import keras

    path = Path(path).expanduser()
    if not path.is_file():
        raise KerasmodelsError(f"model file {str(path)!r} does not exist; pass the path of a saved .keras "
                               "file, e.g. from model.save('model.keras')")
    if path.suffix != ".keras":
        raise KerasmodelsError(f"model file {str(path)!r} is not a .keras file; save the model with "
                               "model.save('model.keras') (SavedModel folders and .h5 files are not loaded)")
    _check_archive(path)
    register_classes()
    try:
        return keras.saving.load_model(path, **kwargs)
    except (ValueError, TypeError) as error:
        raise KerasmodelsError(f"model file {str(path)!r} cannot be loaded: {_cause(error)}") from error
    except (OSError, KeyError, EOFError) as error:
        # h5py raises OSError for a weights file that is not HDF5; a missing member is a KeyError.
        raise DamagedFileError(
            f"model file {str(path)!r} is damaged: {type(error).__name__}: {_cause(error)}. "
            "Fix: save or copy the model again.") from error

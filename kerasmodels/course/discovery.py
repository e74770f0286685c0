"""Where the lessons are, and what each one is: `LessonSpec`, `discover()`, `find()`.

A lesson's source of truth is `lessons/NN_slug.py` in jupytext "percent" format. Its YAML
header carries a `kerasmodels:` block (title, the source-article sections it mirrors, run
times) that `kerasmodels lessons` lists. A wheel carries the lessons and notebooks in
`kerasmodels/course/_lessons/` (see setup.py), so this works from a pip install as from a
checkout; `KERASMODELS_LESSONS` points at another lessons/ folder.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from kerasmodels.errors import KerasmodelsError

__all__ = ["LESSON_FILE", "PACKAGED_ROOT", "PACKAGE_DIR", "LessonSpec", "discover", "find", "lessons_dir",
           "notebooks_dir", "project_root"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]


# Where a wheel keeps its copy of lessons/ and notebooks/ (setup.py puts them there).
PACKAGED_ROOT = Path(__file__).resolve().parent / "_lessons"


def project_root():
    """The folder that holds lessons/ and notebooks/: the checkout, or the copy inside an installed wheel."""
    env = os.environ.get("KERASMODELS_LESSONS")
    if env:
        return Path(env).expanduser().resolve().parent
    for candidate in (PACKAGE_DIR.parent, Path.cwd(), PACKAGED_ROOT):
        if (candidate / "lessons").is_dir():
            return candidate
    raise KerasmodelsError(
        "cannot find the lessons/ folder (an installed kerasmodels-course carries it; this one does not). "
        "Reinstall the package, run kerasmodels from the project checkout, "
        "or set KERASMODELS_LESSONS=/path/to/kerasmodels/lessons"
    )


def lessons_dir():
    env = os.environ.get("KERASMODELS_LESSONS")
    return Path(env).expanduser().resolve() if env else project_root() / "lessons"


def notebooks_dir():
    return project_root() / "notebooks"


LESSON_FILE = re.compile(r"^(\d\d)_([a-z0-9_]+)\.py$")


@dataclass
class LessonSpec:
    number: int
    slug: str
    title: str
    source: Path
    articles: list = field(default_factory=list)
    quick_seconds: float | None = None
    full_seconds: float | None = None
    description: str = ""

    @property
    def name(self):
        return f"{self.number:02d}_{self.slug}"

    @property
    def notebook(self):
        return notebooks_dir() / f"{self.name}.ipynb"


def _read_source(path):
    import jupytext

    return jupytext.read(path, fmt="py:percent")


def _header_metadata(path):
    """The `kerasmodels:` block of a lesson's jupytext YAML header, read without parsing the notebook.

    Same answer as `_read_source(path).metadata["kerasmodels"]` (a test compares them), about 50x faster:
    importing jupytext pulls in nbformat and jsonschema, which cost `kerasmodels lessons` a second.
    """
    import yaml

    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "# ---":
        return {}
    header = []
    for line in lines[1:]:
        if line.strip() == "# ---":
            break
        header.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
    else:
        return {}  # no closing marker: not a jupytext header
    meta = yaml.safe_load("\n".join(header)) or {}
    return (meta.get("jupyter") or {}).get("kerasmodels") or {}


def discover(directory=None):
    """All lessons in `directory` (default: the checkout's lessons/), sorted by number."""
    directory = Path(directory) if directory else lessons_dir()
    specs = []
    for path in sorted(directory.glob("[0-9][0-9]_*.py")):
        match = LESSON_FILE.match(path.name)
        if not match:
            continue
        meta = _header_metadata(path)
        specs.append(
            LessonSpec(
                number=int(match.group(1)),
                slug=match.group(2),
                title=meta.get("title", match.group(2).replace("_", " ").capitalize()),
                source=path,
                articles=list(meta.get("articles", [])),
                quick_seconds=meta.get("quick_seconds"),
                full_seconds=meta.get("full_seconds"),
                description=meta.get("description", ""),
            )
        )
    return specs


def find(lesson, specs=None):
    """The lesson named by number ("7", "07") or by name ("07_cnn", "cnn")."""
    specs = specs if specs is not None else discover()
    key = str(lesson).strip().lower()
    for spec in specs:
        if key.isdigit() and int(key) == spec.number:
            return spec
        if key in (spec.name, spec.slug):
            return spec
    known = ", ".join(spec.name for spec in specs)
    raise KerasmodelsError(f"no lesson {lesson!r}; known lessons: {known}")

"""Find, sync and execute the numbered lessons: one import for everything the course runner does.

The work is done in modules that each do one job; this module re-exports their names
(every name it had when it did all of it), so `from kerasmodels.course import runner` keeps
working for lessons, tests and scripts:

- `course.discovery`: where the lessons are and what each is (`LessonSpec`, `discover`, `find`).
- `course.notebooks`: notebooks/ generated from lessons/, with the Colab/Kaggle cells, the
  index notebook, and `sync`.
- `course.execution`: `run_lesson` executes one lesson headlessly with nbclient (`RunResult`).
- `course.contract`: the environment variables and the metrics file name through which a running
  lesson (`course.lesson`) and `run_lesson` talk, defined once for both.
- `course.verification`: per lesson and Keras backend, whether its current source passed here.
- `course.rendering`: executed notebooks as offline HTML pages (maths as MathML), figure captions.
- `course.report`: `tour` runs them all; `format_table` and the HTML report a teacher can project.

Neither page loads anything from the network. A wheel carries the lessons and notebooks in
`kerasmodels/course/_lessons/` (see setup.py), so all of this works from a pip install as from
a checkout.

Example:

```python
from kerasmodels.course import runner
for spec in runner.discover():
    print(spec.number, spec.title)
```
"""

from kerasmodels.course.discovery import (
    LESSON_FILE,
    PACKAGE_DIR,
    PACKAGED_ROOT,
    LessonSpec,
    _read_source,
    discover,
    find,
    lessons_dir,
    notebooks_dir,
    project_root,
)
from kerasmodels.course.execution import (
    QUICK_CELL_TIMEOUT_S,
    RunResult,
    _cell_error,
    _environment,
    _interrupt_noted,
    _stopped_by_signal,
    figures_in_order,
    native_stderr_silenced,
    run_lesson,
)
from kerasmodels.course.notebooks import (
    HOSTED_SETUP_MARK,
    INDEX_LINKS_MARK,
    INDEX_NOTEBOOK,
    _cells_sha256,
    _edited_by_hand,
    _generated_notebooks,
    _hosted_metadata,
    _hosted_setup_markdown,
    _minutes,
    _stamp,
    hosted_setup_code,
    index_links_code,
    index_notebook,
    notebook_from_source,
    notebook_text,
    sync,
)
from kerasmodels.course.rendering import (
    _OFFLINE_TEMPLATE,
    _REPORT_CSS,
    SOURCES_PAGE,
    _local_sources_links,
    _sources_html,
    figure_title,
    render_html,
    write_sources_page,
)
from kerasmodels.course.report import _machine_summary, format_table, tour, write_report
from kerasmodels.course.verification import (
    _locked,
    _read_verification,
    record_verification,
    source_sha256,
    verification,
    verification_path,
)
from kerasmodels.errors import KerasmodelsError
from kerasmodels.paths import atomic_write_text, cache_dir, runs_dir

__all__ = [
    "HOSTED_SETUP_MARK", "INDEX_LINKS_MARK", "INDEX_NOTEBOOK", "LESSON_FILE", "PACKAGED_ROOT", "PACKAGE_DIR",
    "QUICK_CELL_TIMEOUT_S", "SOURCES_PAGE", "LessonSpec", "RunResult", "discover", "figure_title",
    "figures_in_order", "find", "format_table", "hosted_setup_code", "index_links_code", "index_notebook",
    "lessons_dir", "native_stderr_silenced", "notebook_from_source", "notebook_text", "notebooks_dir",
    "project_root", "record_verification", "render_html", "run_lesson", "source_sha256", "sync", "tour",
    "verification", "verification_path", "write_report", "write_sources_page",
]

# Names this module held before it was split, kept for code that reached them here (not API).
_KEPT = (_OFFLINE_TEMPLATE, _REPORT_CSS, _cell_error, _cells_sha256, _edited_by_hand, _environment,
         _generated_notebooks, _hosted_metadata, _hosted_setup_markdown, _interrupt_noted, _local_sources_links,
         _locked, _machine_summary, _minutes, _read_source, _read_verification, _sources_html, _stamp,
         _stopped_by_signal, KerasmodelsError, atomic_write_text, cache_dir, runs_dir)

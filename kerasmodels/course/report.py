"""The tour: every lesson run in turn, a table for the terminal and an HTML report to project.

The report is one self-contained page rendered from a Jinja2 template (figures embedded, maths as
MathML) that loads nothing from the network.
"""

import base64
import functools
import os
import time
from pathlib import Path

from kerasmodels import hardware
from kerasmodels._console import step_line, table
from kerasmodels.course.discovery import discover
from kerasmodels.course.execution import native_stderr_silenced, print_cell_progress, run_lesson
from kerasmodels.course.rendering import _REPORT_CSS, _local_sources_links, _sources_html, figure_title, html_template
from kerasmodels.errors import InvalidArgumentError
from kerasmodels.paths import atomic_write_text, runs_dir

__all__ = ["format_table", "tour", "write_report"]


# The report page. Autoescaped: values are escaped unless they are HTML made here (captions and the
# source articles as MathML). `lessons` holds per result: result, headline, articles, links, figures.
_REPORT_TEMPLATE = """<!doctype html><html lang='en'><head><meta charset='utf-8'>\
<title>kerasmodels tour, {{ date }}</title><style>{{ css|safe }}</style></head><body>
<h1>kerasmodels tour</h1>
<p class='meta'>{{ time }} · {{ mode }} mode<br>{{ versions }}<br>Keras backend: {{ backend }} · {{ device }}</p>
<p>{{ passed }} of {{ total }} lessons passed in {{ seconds }} s.</p>
<table><tr><th>#</th><th>lesson</th><th>status</th><th>seconds</th><th>headline</th></tr>
{%- for item in lessons %}{% set r = item.result %}
<tr><td>{{ "%02d"|format(r.lesson.number) }}</td><td><a href='#{{ r.lesson.name }}'>{{ r.lesson.title }}</a></td>\
<td class='{{ r.status }}'>{{ r.status }}</td><td>{{ "%.1f"|format(r.seconds) }}</td><td>{{ item.headline }}</td></tr>
{%- endfor %}
</table>
{%- for item in lessons %}{% set r = item.result %}
<h2 id='{{ r.lesson.name }}'>{{ "%02d"|format(r.lesson.number) }} · {{ r.lesson.title }}</h2>\
<p><a href='#sources'>Mirrors</a>: {{ item.articles }}. \
{% for href, label in item.links %}{% if not loop.first %} · {% endif %}<a href='{{ href }}'>{{ label }}</a>{% endfor %}</p>
{%- if r.error %}
<p class='failed'>{{ r.error }}</p>
{%- endif %}
{%- for figure in item.figures %}
<figure><img alt='{{ figure.alt }}' src='data:image/png;base64,{{ figure.data }}'>\
<figcaption>Figure {{ r.lesson.number }}.{{ figure.number }}: {{ figure.caption }}</figcaption></figure>
{%- endfor %}
{%- endfor %}
<section id='sources'><h2>Source articles</h2>{{ sources }}</section>
</body></html>"""


def tour(specs=None, mode="quick", out_dir=None, progress=True, jobs=1):
    """Run every lesson; return (results, report path).

    Args:
        specs: the lessons (default: all of them, `discover()`).
        mode: "quick" or "full".
        out_dir: the run folder (default: runs/tour-<time>).
        progress: print a line per lesson (and, when lessons run one at a time, per cell).
        jobs: lessons run at once, each in its own kernel. On average a quick lesson keeps about one
            core busy (imports, tracing and plotting run on one), so 2 on a 2-core CPU finish the tour
            sooner; each lesson's seconds then include the other's load, and so do the wall-clock
            times lessons measure (e.g. lesson 14's training speeds, lesson 19's latencies);
            CPU-time measurements are affected less. Two kernels may also need twice the memory, and on a
            GPU each would claim most of its memory: keep 1 there.

    Returns:
        (results in lesson order, path of the HTML report).
    """
    specs = specs if specs is not None else discover()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InvalidArgumentError(f"jobs must be a positive integer; received {jobs!r}. Pass e.g. jobs=2.")
    if out_dir is None:
        out_dir = runs_dir() / f"tour-{time.strftime('%Y%m%d-%H%M%S')}"
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        if jobs > 1 and len(specs) > 1:
            results = _run_at_once(specs, mode, out_dir, jobs, progress, started)
        else:
            results = []
            for index, spec in enumerate(specs, start=1):
                on_cell = None
                if progress:  # the same lines as `kerasmodels run`, each lesson's cells indented under it
                    print(step_line(time.perf_counter() - started, index, len(specs), spec.name, what="lesson"),
                          flush=True)
                    on_cell = functools.partial(print_cell_progress, indent="  ")
                results.append(run_lesson(spec, mode=mode, run_dir=out_dir / spec.name, progress=on_cell))
    except KeyboardInterrupt:
        print(f"tour interrupted: the lessons that finished are in {out_dir}", flush=True)
        raise
    report = write_report(results, out_dir / "report.html")
    return results, report


def _run_at_once(specs, mode, out_dir, jobs, progress, started):
    """`jobs` lessons at a time, each `run_lesson` in a worker process (its own environment and signals)."""
    import multiprocessing
    import signal
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    # Longest first (the headers' measured seconds), so the tour does not end waiting on one long lesson.
    order = sorted(specs, key=lambda spec: -((spec.full_seconds if mode == "full" else spec.quick_seconds) or 0))
    finished = {}
    # Workers ignore Ctrl-C between lessons (no traceback from an idle one); `run_lesson` handles it during one.
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN))
    queued, running = iter(order), set()

    def start_next():
        # One lesson per free worker, never more: the pool passes what it is given on to its workers at
        # once (one more than it has workers), and from then on it can no longer be cancelled.
        spec = next(queued, None)
        if spec is not None:
            running.add(pool.submit(run_lesson, spec, mode=mode, run_dir=out_dir / spec.name))

    try:
        for _ in range(jobs):
            start_next()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                running.remove(future)
                result = future.result()
                finished[result.lesson.name] = result
                if progress:
                    print(step_line(time.perf_counter() - started, len(finished), len(specs),
                                    f"{result.lesson.name} {result.status} ({result.seconds:.0f} s)",
                                    what="lesson done"), flush=True)
                start_next()
    except BaseException:
        # Any exception, Ctrl-C included: no further lesson starts; the finished ones keep their run folders.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return [finished[spec.name] for spec in specs]


def format_table(results):
    """The results as the terminal table (kerasmodels._console's style), then a line per failed lesson."""
    rows = []
    for r in results:
        headline = r.headline
        rows.append((r.lesson.name, r.status, f"{r.seconds:.1f}", f"{headline[0]} = {headline[1]}" if headline else "-"))
    lines = [table(rows, header=("lesson", "status", "seconds", "headline"), right=(2,))]
    for r in results:
        if r.status != "passed":
            lines.append(f"FAILED {r.lesson.name}: {r.error}")
    return "\n".join(lines)


def _machine_summary(info):
    """(versions line, device line) for the report header."""
    import kerasmodels

    v = info["versions"]
    versions = (
        f"kerasmodels {kerasmodels.__version__} · "
        f"Python {v['python']} · Keras {v['keras'] or '-'} · TensorFlow {v['tensorflow'] or '-'} · "
        f"keras-hub {v['keras-hub'] or '-'}"
    )
    if info["accelerators"]:
        device = ", ".join(f"{a['kind']} {a['name']}" for a in info["accelerators"])
    else:
        device = f"CPU only: {info['cpu']['model']} ({info['cpu']['cores']} cores)"
    return versions, device


def write_report(results, path, info=None):
    """An HTML page a teacher can project: the machine, the results table, every lesson's figures.

    One self-contained file (figures embedded, maths as MathML) that loads nothing from the network;
    each lesson links to its executed notebook rendered as HTML, and the page ends with the five
    source articles the lessons mirror (course.sources).

    Args:
        results: `RunResult`s from `run_lesson` or `tour`.
        path: where to write the page.
        info: `hardware.describe()` of the machine that ran them (default: this one).
    """
    from markupsafe import Markup

    from kerasmodels.course import mathml

    path = Path(path)
    if info is None:
        with native_stderr_silenced():
            info = hardware.describe(with_devices=True)
    versions, device = _machine_summary(info)
    lessons = []
    for r in results:
        headline = r.headline
        links = [(Path(os.path.relpath(target, path.parent)).as_posix(), label)
                 for target, label in ((r.html_path, "executed notebook"), (r.notebook_path, ".ipynb"))
                 if target.exists()]
        figures = []
        for number, figure in enumerate(r.figures, start=1):
            caption = figure_title(figure)
            figures.append({"number": number, "alt": caption, "caption": Markup(mathml.text_to_html(caption)),
                            "data": base64.b64encode(figure.read_bytes()).decode("ascii")})
        lessons.append({"result": r, "headline": f"{headline[0]} = {headline[1]}" if headline else "-",
                        "articles": ", ".join(f"article {a}" for a in r.lesson.articles) or "-",
                        "links": links, "figures": figures})
    page = html_template(_REPORT_TEMPLATE).render(
        css=_REPORT_CSS + mathml.CSS,
        date=time.strftime("%Y-%m-%d"),
        time=time.strftime("%Y-%m-%d %H:%M"),
        mode=", ".join(sorted({r.mode for r in results})) or "-",
        versions=versions,
        backend=info["backend"],
        device=device,
        passed=sum(r.status == "passed" for r in results),
        total=len(results),
        seconds=f"{sum(r.seconds for r in results):.0f}",
        lessons=lessons,
        sources=Markup(_sources_html(heading_level=3)),
    )
    return atomic_write_text(path, _local_sources_links(page, "#sources"))

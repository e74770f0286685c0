"""The course's subcommands of the `kerasmodels` command line: lessons, run, tour, notebooks.

Registered under the `kerasmodels.commands` entry point, so the command line
(part of the supported API) gains them without importing the course.
"""

import json
import time

from kerasmodels._argtypes import positive_int
from kerasmodels._console import table
from kerasmodels.course import runner, site, sources
from kerasmodels.course.execution import print_cell_progress
from kerasmodels.course.lesson import default_mode
from kerasmodels.errors import KerasmodelsError


def _cmd_lessons(args):
    specs = runner.discover()
    verified = {s.name: runner.verification(s) for s in specs}
    if args.json:
        print(json.dumps([
            {"number": s.number, "name": s.name, "title": s.title, "articles": s.articles,
             "quick_seconds": s.quick_seconds, "full_seconds": s.full_seconds, "verified": verified[s.name]}
            for s in specs
        ], indent=2))
        return 0
    rows = [("#", "lesson", "quick", "full", "verified on", "mirrors")]
    for s in specs:
        rows.append((f"{s.number:02d}", s.title, _duration(s.quick_seconds), _duration(s.full_seconds),
                     _verified(verified[s.name]), ", ".join(f"article {a}" for a in s.articles) or "-"))
    print(table(rows[1:], header=rows[0], right=(2, 3)))  # run times align right so that their units line up
    print("quick: small data, a few epochs; full: the real run (minutes on a 2-core CPU, less with a GPU).")
    print("verified on: the Keras backends on which the lesson, as it reads now, last ran on this machine, in "
          f"quick mode unless marked (kerasmodels run, tour or the tests; record: {runner.verification_path()}).")
    print("mirrors: the sections of the five source articles each lesson follows (article 002 §5.2: article 002, "
          f"section 5.2); the articles are listed in docs/sources.md, {sources.PAGE_URL}")
    return 0


def _verified(records):
    """'jax, tensorflow (full)' for passed runs; a backend whose last run failed says so; '-' when never run."""
    if not records:
        return "-"
    cells = []
    for backend, r in records.items():
        cell = backend if r["status"] == "passed" else f"{backend} FAILED"
        cells.append(cell + (f" ({r['mode']})" if r["mode"] != "quick" else ""))
    return ", ".join(cells)


def _duration(seconds):
    if not seconds:
        return "-"
    return f"~{seconds / 60:.0f} min" if seconds >= 120 else f"~{seconds:g} s"


def _mode(args):
    if args.full:
        return "full"
    if args.quick:
        return "quick"
    with runner.native_stderr_silenced():  # a GPU check may import TensorFlow, which logs to fd 2
        return default_mode()


def _cmd_run(args):
    spec = runner.find(args.lesson)
    mode = _mode(args)
    print(f"running {spec.name} ({mode} mode)...", flush=True)
    result = runner.run_lesson(spec, mode=mode, run_dir=args.out, progress=None if args.no_progress else _print_cell)
    print(runner.format_table([result]))
    print(f"executed notebook: {result.html_path} (and .ipynb)")
    return 0 if result.status == "passed" else 1


def _print_cell(number, total, source, seconds):
    """One line per code cell as it starts: a full-mode lesson can run for half an hour."""
    print_cell_progress(number, total, source, seconds)


def _cmd_tour(args):
    specs = runner.discover()
    if args.only:
        specs = [runner.find(key, specs) for key in args.only.split(",")]
    mode = _mode(args)
    at_once = f", {args.jobs} at a time" if args.jobs > 1 and len(specs) > 1 else ""
    print(f"touring {len(specs)} lessons in {mode} mode{at_once}", flush=True)
    started = time.perf_counter()
    results, report = runner.tour(specs, mode=mode, out_dir=args.out, progress=not args.no_progress, jobs=args.jobs)
    print(runner.format_table(results))
    print(f"total: {sum(r.seconds for r in results):.0f} s of lessons in {time.perf_counter() - started:.0f} s; "
          f"report: {report}")
    return 0 if all(r.status == "passed" for r in results) else 1


def _cmd_notebooks(args):
    stale = runner.sync(check=args.notebooks_command == "check", force=args.force)
    if args.notebooks_command == "check":
        if stale:
            raise KerasmodelsError(
                "notebooks out of sync with lessons/: " + ", ".join(p.stem for p in stale)
                + ". Fix: kerasmodels notebooks sync"
            )
        print("notebooks are in sync")
        return 0
    print(f"regenerated {len(stale)} notebook(s)" + (": " + ", ".join(p.stem for p in stale) if stale else ""))
    return 0


def add(sub):
    """Add the course's subcommands to the `kerasmodels` parser's subparsers."""
    if "lessons" in sub.choices:
        # Added already: an environment upgraded from the old distribution name `kerasmodels`
        # can hold both dist-infos, each declaring this entry point.
        return
    p = sub.add_parser("lessons", help="list the numbered lessons")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_lessons)

    for name, func, helptext in (("run", _cmd_run, "execute one lesson headlessly"),
                                 ("tour", _cmd_tour, "run every lesson and write a report")):
        p = sub.add_parser(name, help=helptext)
        if name == "run":
            p.add_argument("lesson", help="number (7, 07) or name (07_cnn)")
            p.add_argument("--no-progress", action="store_true", help="do not print a line per cell")
        else:
            p.add_argument("--only", help="comma-separated lessons, e.g. 0,1,2")
            p.add_argument("--no-progress", action="store_true")
            p.add_argument("--jobs", type=positive_int, default=1, metavar="N",
                           help="lessons run at once (default 1); 2 on a 2-core CPU finishes sooner, with each "
                                "lesson's seconds and measured times taken beside another lesson; keep 1 on "
                                "a GPU (each lesson would claim most of its memory)")
        mode = p.add_mutually_exclusive_group()
        mode.add_argument("--quick", action="store_true", help="small data, few epochs (default without GPU)")
        mode.add_argument("--full", action="store_true", help="the full run (default with a GPU)")
        p.add_argument("--out", help="run directory (default: ./runs/<name>-<time>)")
        p.set_defaults(func=func)

    p = sub.add_parser("notebooks", help="regenerate or check notebooks/ (developers)")
    p.add_argument("notebooks_command", choices=["sync", "check"])
    p.add_argument("--force", action="store_true", help="sync: overwrite notebooks edited by hand")
    p.set_defaults(func=_cmd_notebooks)

    site.add(sub)  # kerasmodels docs build: the course website (course/site.py)

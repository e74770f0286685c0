"""The `kerasmodels` command line.

    kerasmodels info                      versions, backend, devices, data packs, caches
    kerasmodels data list|install|path    offline data sets and packs
    kerasmodels lessons                   the numbered lessons
    kerasmodels run LESSON [--full]       execute one lesson headlessly
    kerasmodels tour [--full]             run every lesson and write a report
    kerasmodels train {mlp,cnn,bert} --data NAME
    kerasmodels serve MODEL.keras         HTTP prediction service on 127.0.0.1
    kerasmodels notebooks sync|check      regenerate notebooks/ from lessons/ (developers)

A user's mistake prints one line and exits with status 2; `--debug` shows the traceback.
"""

import argparse
import json
import os
import sys

from kerasmodels.errors import KerasmodelsError

EXIT_USAGE = 2


def _cmd_info(args):
    from kerasmodels import hardware, paths
    from kerasmodels.data import packs

    info = hardware.describe(with_devices=True)
    info["data_packs"] = packs.installed_packs()
    info["cache_dir"] = str(paths.cache_dir())
    info["runs_dir"] = str(paths.runs_dir())
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    print(hardware.format_report(info))
    for name, version in info["data_packs"].items():
        print(f"data pack {name}: {version or 'not installed (kerasmodels data install)'}")
    print(f"cache: {info['cache_dir']}")
    print(f"runs:  {info['runs_dir']}")
    return 0


def _cmd_data(args):
    from kerasmodels import data
    from kerasmodels.data import packs

    if args.data_command == "list":
        rows = data.list_datasets()
        if args.json:
            print(json.dumps([r.as_dict() for r in rows], indent=2, default=str))
            return 0
        for r in rows:
            print(f"{r.name:12s} {'ready' if r.available else 'missing':8s} {r.summary}")
        return 0
    if args.data_command == "install":
        packs.install_packs(quiet=args.quiet)
        print("data packs installed:", ", ".join(f"{k} {v}" for k, v in packs.installed_packs().items()))
        return 0
    if args.data_command == "path":
        print(data.path(args.name))
        return 0
    raise KerasmodelsError("usage: kerasmodels data {list,install,path NAME}")


def _cmd_lessons(args):
    from kerasmodels import runner

    specs = runner.discover()
    if args.json:
        print(json.dumps([
            {"number": s.number, "name": s.name, "title": s.title, "seeds": s.seeds,
             "quick_seconds": s.quick_seconds, "full_seconds": s.full_seconds} for s in specs
        ], indent=2))
        return 0
    for s in specs:
        times = f"quick ~{s.quick_seconds:g} s" if s.quick_seconds else ""
        if s.full_seconds:
            times += f", full ~{s.full_seconds / 60:.0f} min" if s.full_seconds >= 120 else f", full ~{s.full_seconds:g} s"
        seeds = ", ".join(s.seeds) if s.seeds else "-"
        print(f"{s.number:02d}  {s.title:45s} seeds: {seeds:30s} {times}")
    return 0


def _mode(args):
    if args.full:
        return "full"
    if args.quick:
        return "quick"
    from kerasmodels.lesson import default_mode

    return default_mode()


def _cmd_run(args):
    from kerasmodels import runner

    spec = runner.find(args.lesson)
    mode = _mode(args)
    print(f"running {spec.name} ({mode} mode)...", flush=True)
    result = runner.run_lesson(spec, mode=mode, run_dir=args.out)
    print(runner.format_table([result]))
    print(f"executed notebook: {result.notebook_path}")
    return 0 if result.status == "passed" else 1


def _cmd_tour(args):
    from kerasmodels import runner

    specs = runner.discover()
    if args.only:
        specs = [runner.find(key, specs) for key in args.only.split(",")]
    mode = _mode(args)
    print(f"touring {len(specs)} lessons in {mode} mode", flush=True)
    results, report = runner.tour(specs, mode=mode, out_dir=args.out, progress=not args.no_progress)
    print(runner.format_table(results))
    print(f"total: {sum(r.seconds for r in results):.0f} s; report: {report}")
    return 0 if all(r.status == "passed" for r in results) else 1


def _cmd_train(args):
    from kerasmodels.train import train

    summary = train(
        args.model, args.data, epochs=args.epochs, batch_size=args.batch_size, limit=args.limit,
        out_dir=args.out, preset=args.preset, learning_rate=args.learning_rate,
        data_dir=args.data_dir, resume=not args.no_resume, seed=args.seed,
        sequence_length=args.sequence_length,
    )
    print(json.dumps(summary, indent=2))
    return 0


def _cmd_serve(args):
    from kerasmodels.serving import serve

    serve(args.model, host=args.host, port=args.port, max_body_bytes=args.max_body_bytes)
    return 0


def _cmd_notebooks(args):
    from kerasmodels import runner

    stale = runner.sync(check=args.notebooks_command == "check")
    if args.notebooks_command == "check":
        if stale:
            raise KerasmodelsError(
                "notebooks out of sync with lessons/: " + ", ".join(s.name for s in stale)
                + ". Fix: kerasmodels notebooks sync"
            )
        print("notebooks are in sync")
        return 0
    print(f"regenerated {len(stale)} notebook(s)" + (": " + ", ".join(s.name for s in stale) if stale else ""))
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="kerasmodels", description="Keras 3 teaching package.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("info", help="versions, backend, devices, data packs, caches")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("data", help="offline data sets and packs")
    dsub = p.add_subparsers(dest="data_command", required=True)
    q = dsub.add_parser("list", help="data sets and whether they are ready")
    q.add_argument("--json", action="store_true")
    q = dsub.add_parser("install", help="install the offline data packs (pinned, hashed)")
    q.add_argument("--quiet", action="store_true")
    q = dsub.add_parser("path", help="where a data set lives")
    q.add_argument("name")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser("lessons", help="list the numbered lessons")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_lessons)

    for name, func, helptext in (("run", _cmd_run, "execute one lesson headlessly"),
                                 ("tour", _cmd_tour, "run every lesson and write a report")):
        p = sub.add_parser(name, help=helptext)
        if name == "run":
            p.add_argument("lesson", help="number (7, 07) or name (07_cnn)")
        else:
            p.add_argument("--only", help="comma-separated lessons, e.g. 0,1,2")
            p.add_argument("--no-progress", action="store_true")
        mode = p.add_mutually_exclusive_group()
        mode.add_argument("--quick", action="store_true", help="small data, few epochs (default without GPU)")
        mode.add_argument("--full", action="store_true", help="the full run (default with a GPU)")
        p.add_argument("--out", help="run directory (default: ./runs/<name>-<time>)")
        p.set_defaults(func=func)

    p = sub.add_parser("train", help="train a factory model on a named data set")
    p.add_argument("model", choices=["mlp", "cnn", "bert"])
    p.add_argument("--data", required=True, help="data set name (kerasmodels data list)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--learning-rate", type=float, default=None)
    p.add_argument("--limit", type=int, default=None, help="use only the first N training examples")
    p.add_argument("--preset", default=None, help="cnn: seed|lenet; bert: minilm-l6|tiny")
    p.add_argument("--data-dir", default=None, help="folder of a data set read from disk (rt_polarity)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sequence-length", type=int, default=64, help="tokens per text example (bert)")
    p.add_argument("--no-resume", action="store_true", help="start afresh even if a backup exists")
    p.add_argument("--out", default=None, help="output folder (default: ./runs/train-<model>-<data>)")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("serve", help="serve a saved .keras model over HTTP (127.0.0.1 by default)")
    p.add_argument("model", help="path to a .keras file")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--max-body-bytes", type=int, default=2_000_000, help="largest request body accepted")
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("notebooks", help="regenerate or check notebooks/ (developers)")
    p.add_argument("notebooks_command", choices=["sync", "check"])
    p.set_defaults(func=_cmd_notebooks)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        return args.func(args)
    except (KerasmodelsError, ValueError, TypeError, KeyError, FileNotFoundError) as error:
        if args.debug:
            raise
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"kerasmodels: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("kerasmodels: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())

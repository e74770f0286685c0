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
import importlib.metadata
import json
import os
import sys

from kerasmodels.errors import KerasmodelsError

EXIT_USAGE = 2
# Packages that add subcommands (the course: lessons, run, tour, notebooks) register a
# function `add(subparsers)` under this entry-point group.
COMMANDS_GROUP = "kerasmodels.commands"


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

    for entry_point in importlib.metadata.entry_points(group=COMMANDS_GROUP):
        entry_point.load()(sub)
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

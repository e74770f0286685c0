"""Start-up cost: `python -c "import kerasmodels"` versus `python -c "import keras"`.

Target (issue 9): importing kerasmodels costs at most 1.2x importing keras. kerasmodels imports
its heavy parts lazily, so `import kerasmodels` alone should cost almost nothing; the fair
comparison for a user is also "import kerasmodels, then use a model", which pays keras once.

Raw results: bench/results/startup.json (`--name`).

Usage: python bench/bench_startup.py [--repeats 7]
"""

import argparse
import sys

from common import command_line, interleaved, median, save, table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--name", default="startup",
                        help="results file bench/results/NAME.json (a path if NAME has a folder)")
    args = parser.parse_args(argv)
    py = sys.executable
    commands = {
        "import keras": [py, "-c", "import keras"],
        "import kerasmodels": [py, "-c", "import kerasmodels"],
        "import kerasmodels; kerasmodels.models": [py, "-c", "import kerasmodels; kerasmodels.models"],
    }
    times = interleaved(commands, args.repeats)
    base = median(times["import keras"])
    rows = [(name, f"{median(t):.2f}", f"{median(t) / base:.2f}x") for name, t in times.items()]
    print(table(rows, ("command", "median s", "vs import keras")))
    payload = {"repeats": args.repeats, "seconds": times, "command": command_line("bench_startup.py", argv)}
    print(f"raw results: {save(args.name, payload)}")
    return payload


if __name__ == "__main__":
    main()

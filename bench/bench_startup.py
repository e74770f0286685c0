"""Start-up cost: `python -c "import kerasmodels"` versus `python -c "import keras"`.

Target (issue 9): importing kerasmodels costs at most 1.2x importing keras. kerasmodels imports
its heavy parts lazily, so `import kerasmodels` alone should cost almost nothing; the fair
comparison for a user is also "import kerasmodels, then use a model", which pays keras once.

Usage: python bench/bench_startup.py [--repeats 7]
"""

import argparse
import sys

from common import interleaved, median, save, table


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
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
    save("startup", {"repeats": args.repeats, "seconds": times})


if __name__ == "__main__":
    main()

"""Start-up time of `tongchou --help`: N runs of a fresh interpreter per source tree, wall and CPU (user+sys).

    .venv/bin/python bench/startup.py --runs 10 [TREE ...]     # default: this tree
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HELP = "import sys; sys.argv = ['tongchou', '--help']\nfrom tongchou.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass"


def measure(tree: Path, runs: int) -> tuple[float, float]:
    """Mean wall seconds and mean CPU seconds (user + sys of the child) of one `tongchou --help`."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "COLUMNS": "120"}
    subprocess.run([sys.executable, "-c", HELP], env=env, check=True, stdout=subprocess.DEVNULL)  # warm the caches
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for _ in range(runs):
        subprocess.run([sys.executable, "-c", HELP], env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall / runs, cpu / runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("trees", nargs="*", type=Path, default=[Path(__file__).resolve().parents[1]])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    for tree in args.trees:
        wall, cpu = measure(tree, args.runs)
        print(f"startup: tree={tree} runs={args.runs} wall_s={wall:.3f} cpu_s={cpu:.3f}")


if __name__ == "__main__":
    main()

"""Benchmark of `tongchou generate`: the default region (50 000 insured) and 1 000 000 insured.

    .venv/bin/python bench/generate.py                          # 50 000 then 1 000 000
    .venv/bin/python bench/generate.py --insured 200000         # one size
    .venv/bin/python bench/generate.py --keep /tmp/regions      # keep the output directories

Each run writes every output file (fixture.yaml, claims.parquet, fee_detail.parquet,
visits.jsonl, planted.json, calibration.json and the Parquet side tables) into a
temporary directory; the default size also settles every claim with the real
engine, larger ones (above 200 000 insured) leave settlement to the replay and the
services, as `tongchou generate` does by default. Prints the seconds of each stage
and, for each size, a line

    generate: insured=N claims=M seconds=S

the last line being the last size.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from rich.console import Console

from tongchou.generate.pipeline import GenerateOptions, generate

DEFAULT_SIZES = (50_000, 1_000_000)


def run(insured: int, seed: int, out: Path, console: Console) -> dict:
    summary = generate(GenerateOptions(out=out, insured=insured, seed=seed, progress=console.is_terminal), console)
    for stage, seconds in summary["stages"].items():
        console.print(f"  {stage}: {seconds} s")
    sizes = sum(f.stat().st_size for f in out.iterdir())
    console.print(f"  settled: {summary['settled']}, fee lines: {summary['fee_lines']}, "
                  f"output: {sizes / 1e6:.1f} MB, calibration within tolerance: {summary['calibration_within']}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--insured", type=int, action="append", help="insured persons (repeatable)")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--keep", type=Path, help="keep the outputs under this directory")
    args = parser.parse_args()
    console = Console(stderr=True)
    for insured in args.insured or DEFAULT_SIZES:
        base = args.keep or Path(tempfile.mkdtemp(prefix="tongchou-generate-"))
        out = base / f"region-{insured}"
        try:
            summary = run(insured, args.seed, out, console)
        finally:
            if args.keep is None:
                shutil.rmtree(base, ignore_errors=True)
        print(f"generate: insured={summary['insured']} claims={summary['claims']} seconds={summary['seconds']}",
              flush=True)


if __name__ == "__main__":
    main()

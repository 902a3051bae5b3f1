"""`tongchou generate`: the synthetic region (register with `app.command("generate")(generate_command)`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from tongchou.generate.fixture import DEFAULT_PERSON_CAP
from tongchou.generate.pipeline import GenerateOptions, generate

err = Console(stderr=True)


def generate_command(
    out: Path = typer.Option(..., "--out", file_okay=False, help="output directory (created if missing)"),
    insured: int = typer.Option(50_000, "--insured", min=100, help="insured persons of the region"),
    seed: int = typer.Option(2018, "--seed", help="random seed: the same seed gives the same files"),
    year: int = typer.Option(2018, "--year", help="the year of activity (the demo policies are for 2018)"),
    settle: Optional[bool] = typer.Option(
        None, "--settle/--no-settle",
        help="settle every claim with the real engine (default: only up to 200,000 insured)"),
    csv: bool = typer.Option(False, "--csv", help="also write claims.csv"),
    person_cap: int = typer.Option(DEFAULT_PERSON_CAP, "--fixture-persons",
                                   help="at most this many persons in fixture.yaml (all are in persons.parquet)"),
    policy_dir: Optional[Path] = typer.Option(None, "--policy-dir", help="where the 绍兴 example policies are"),
    batches_xlsx: bool = typer.Option(False, "--batches-xlsx",
                                      help="also write the bureau's batches (batches/) as XLSX, beside the CSV"),
) -> None:
    """生成合成统筹区（绍兴市六区县）：参保人、机构、目录、一年的就诊与费用明细，按篇8校准。"""
    options = GenerateOptions(out=out, insured=insured, seed=seed, year=year, settle=settle, csv=csv,
                              person_cap=person_cap, policy_dir=policy_dir, progress=err.is_terminal,
                              batches_xlsx=batches_xlsx)
    try:
        summary = generate(options, err)
    except (FileNotFoundError, LookupError) as exc:
        err.print(f"[red]generate failed[/red] {exc}")
        raise typer.Exit(2) from None
    err.print(f"generated {summary['insured']} insured, {summary['claims']} claims, {summary['fee_lines']} fee lines "
              f"in {summary['seconds']} s; settled: {summary['settled']}; planted cases: {summary['planted_cases']}; "
              f"calibration within tolerance: {summary['calibration_within']} → {out}")

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
    out: Path = typer.Option(..., "--out", file_okay=False, help="输出目录（不存在则创建）"),
    insured: int = typer.Option(50_000, "--insured", min=100, help="统筹区参保人数"),
    seed: int = typer.Option(2018, "--seed", help="随机种子：种子相同，生成的文件相同"),
    year: int = typer.Option(2018, "--year", help="业务年度（演示政策为 2018 年度）"),
    settle: Optional[bool] = typer.Option(
        None, "--settle/--no-settle",
        help="用正式结算引擎结算全部就诊（默认：仅参保人数不超过 200,000 时结算）"),
    csv: bool = typer.Option(False, "--csv", help="同时输出 claims.csv"),
    person_cap: int = typer.Option(DEFAULT_PERSON_CAP, "--fixture-persons",
                                   help="fixture.yaml 中最多写入的参保人数（persons.parquet 中为全部参保人）"),
    policy_dir: Optional[Path] = typer.Option(None, "--policy-dir", help="绍兴示例政策所在目录"),
    batches_xlsx: bool = typer.Option(False, "--batches-xlsx",
                                      help="同时把医保局批量文件（batches/）输出为 XLSX，与 CSV 并存"),
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

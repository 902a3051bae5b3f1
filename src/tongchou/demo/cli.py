"""`tongchou demo`: build the demo region, run its year through the system, then serve it."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from tongchou.demo.pipeline import DemoOptions, DemoResult, run_demo
from tongchou.store.crypto import KEY_ENV, KEY_FILE_ENV

console = Console()


def demo_command(
    no_serve: bool = typer.Option(False, "--no-serve", help="只构建并输出摘要，不启动服务"),
    insured: int = typer.Option(30_000, "--insured", min=1_000, help="演示统筹区的参保人数"),
    out: Path = typer.Option(Path("var/demo"), "--out", help="统筹区数据、数据库和报告的输出目录"),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
) -> None:
    """演示：生成绍兴市合成统筹区，跑完一年的征缴、结算、清算、月结、报告与核验，然后启动控制台和机构接口。"""
    if not (os.environ.get(KEY_ENV) or os.environ.get(KEY_FILE_ENV)):
        console.print(f"[yellow]演示数据用公开的开发密钥加密；生产环境须设置 {KEY_ENV}（见 docs/security.md）。[/yellow]")
        warnings.filterwarnings("ignore", message=f"{KEY_ENV} is not set")
    result = run_demo(DemoOptions(out=out, insured=insured), console)
    _summary(result)
    if result.report is None or not result.report.ok:
        console.print("[red]账务核验（ledger verify）未通过[/red]")
        raise typer.Exit(1)
    if not no_serve:
        _serve(result, host, port)


def _summary(result: DemoResult) -> None:
    table = Table(title="演示摘要")
    table.add_column("项目")
    table.add_column("数值", justify="right")
    counts = result.counts
    refused = counts.get("refused", 0) + counts.get("live_refused", 0)
    rows = [("claims", "就诊/住院（生成）"), ("fee_lines", "费用明细行"), ("contribution_entries", "征缴凭证"),
            ("declarations", "缴费申报（12月，越城区5家单位，见控制台“用人单位”）"), ("collected", "税务征收对账入账"),
            ("settled", "批量结算"), ("live", "实时接口结算")]
    for key, label in rows:
        if key in counts:
            table.add_row(label, f"{counts[key]:,}")
    table.add_row("拒付（说明原因）", f"{refused:,}")
    table.add_row("  其中：批量结算拒付", f"{counts.get('refused', 0):,}")
    table.add_row("  其中：实时接口拒付", f"{counts.get('live_refused', 0):,}")
    if "findings" in counts:
        table.add_row("事后智能审核疑点（见控制台“稽核监管”）", f"{counts['findings']:,}")
    table.add_row("总耗时（秒）", f"{sum(result.seconds.values()):.1f}")
    console.print(table)
    if result.report is not None:
        for check in result.report.checks:
            mark = "[green]通过[/green]" if check.ok else "[red]未通过[/red]"
            console.print(f"  账务核验（ledger verify）{check.description}：{mark}")
    console.print(f"数据库: {result.db_url}\n报告: {result.region.parent / 'reports'}")


def _serve(result: DemoResult, host: str, port: int) -> None:
    from tongchou.demo.serve import serve

    serve(result.db_url, host, port, console)

"""`tongchou settle`: a file of claims in, one settlement (or error) a line out."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from tongchou.policy import cli as policy_cli
from tongchou.policy.cli import PolicyDir, console, load_registry_or_exit
from tongchou.policy.registry import default_policy_dir
from tongchou.settlement.calculator import Calculator
from tongchou.settlement.cases import run_cases

err = Console(stderr=True, highlight=False)


def settle_command(
    input: Path = typer.Option(..., "--input", help="就诊文件，每行一个 JSON 对象"),
    output: Optional[Path] = typer.Option(None, "--output", help="结算结果文件（默认：标准输出）"),
    policy_dir: Optional[Path] = typer.Option(None, "--policy-dir", help="政策目录（默认：随软件发布的政策）"),
) -> None:
    """按顺序结算一批就诊；年度累计按人、险种、年度结转。有任何一行被拒绝时退出码为 1（每行仍有输出）。"""
    if not input.is_file():
        err.print(f"[red]--input：文件不存在[/red] {input}")
        raise typer.Exit(2)
    registry = load_registry_or_exit(policy_dir)
    calculator = Calculator(registry)
    lines = input.read_text(encoding="utf-8").splitlines()
    sink = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
            task = progress.add_task("结算中", total=len(lines))
            for record in calculator.run(lines):
                sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                progress.advance(task)
    finally:
        if output:
            sink.close()
    err.print(f"已结算 {calculator.settled} 条，拒绝 {calculator.errors} 条")
    if calculator.errors:
        raise typer.Exit(1)


def policy_test_command(policy_id: Optional[str] = typer.Argument(None), policy_dir: Optional[Path] = PolicyDir) -> None:
    """运行每项政策旁的 YAML 用例。"""
    registry = load_registry_or_exit(policy_dir)
    results = run_cases(policy_dir or default_policy_dir(), registry, policy_id)
    table = Table(title="政策用例")
    for column in ("政策", "用例", "结果"):
        table.add_column(column)
    for result in results:
        table.add_row(result.policy_id, result.name, "[green]通过[/green]" if result.passed else "[red]失败[/red]")
    console.print(table)
    failed = [r for r in results if not r.passed]
    for result in failed:
        err.print(f"[red]✗ {result.policy_id} / {result.name}[/red]  ({result.source})")
        for failure in result.failures:
            err.print(f"    {failure}")
    console.print(f"通过 {len(results) - len(failed)} 个，失败 {len(failed)} 个")
    if failed or not results:
        raise typer.Exit(1)


# The policy group (`tongchou policy …`): policy's own commands, and `test`, which settles each policy's cases
# through the calculator — so the group is assembled here, above both, and `policy/` imports no settlement.
policy_app = typer.Typer(help=policy_cli.app.info.help, no_args_is_help=True)
policy_app.add_typer(policy_cli.app)
policy_app.command("test")(policy_test_command)

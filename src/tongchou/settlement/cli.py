"""`tongchou settle`: a file of claims in, one settlement (or error) a line out."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import Progress

from tongchou.policy.cli import load_registry_or_exit
from tongchou.settlement.calculator import Calculator

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

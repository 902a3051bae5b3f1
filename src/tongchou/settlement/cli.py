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

from tongchou.policy.cli import PolicyDir, console, load_registry_or_exit
from tongchou.policy.registry import default_policy_dir
from tongchou.settlement.calculator import Calculator
from tongchou.settlement.cases import run_cases

err = Console(stderr=True)


def settle_command(
    input: Path = typer.Option(..., "--input", exists=True, dir_okay=False, help="claims, one JSON object a line"),
    output: Optional[Path] = typer.Option(None, "--output", help="settlements (default: standard output)"),
    policy_dir: Optional[Path] = typer.Option(None, "--policy-dir", help="default: the shipped policies"),
) -> None:
    """Settle claims in order; year-to-date state carries per person, scheme and year."""
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
    err.print(f"settled {calculator.settled}, errors {calculator.errors}")


def policy_test_command(policy_id: Optional[str] = typer.Argument(None), policy_dir: Optional[Path] = PolicyDir) -> None:
    """Run the YAML cases kept beside each policy (`tongchou policy test`: the cases settle claims, so the
    command lives with settlement and joins the policy group in `tongchou.cli`)."""
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
    console.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed or not results:
        raise typer.Exit(1)

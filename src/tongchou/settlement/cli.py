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

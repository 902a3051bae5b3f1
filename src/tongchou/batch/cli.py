"""`tongchou simulate`: replay a claims table under one or more policies (docs/reference/contracts.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tongchou.policy.cli import load_registry_or_exit
from tongchou.policy.registry import Registry

err = Console(stderr=True)


def simulate_command(
    claims: Path = typer.Option(..., "--claims", help="claims table: .csv, .parquet or a directory of .parquet"),
    policy: List[str] = typer.Option(..., "--policy", help="policy id; repeat to compare (the first is the baseline)"),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb (default) or spark (local mode)"),
    output: Optional[Path] = typer.Option(None, "--output", help="replayed claims table, Parquet"),
    summary: Optional[Path] = typer.Option(None, "--summary", help="summary JSON (default: standard output)"),
    html: Optional[Path] = typer.Option(None, "--html", help="comparison page (default with 2+ policies and "
                                        "--summary: the summary's name with .html)"),
    policy_dir: Optional[Path] = typer.Option(None, "--policy-dir", help="default: the shipped policies"),
    memory_limit: Optional[str] = typer.Option(None, "--memory-limit", help="DuckDB memory limit, e.g. 8GB"),
    temp_dir: Optional[Path] = typer.Option(None, "--temp-dir", help="where DuckDB spills (default: system temp)"),
) -> None:
    """Replay every claim, in date order per person, under each policy named (whatever its dates)."""
    from tongchou.batch.html import AssetMissingError, render  # ibis loads only when the command runs
    from tongchou.batch.source import ClaimsInputError

    registry = load_registry_or_exit(policy_dir)
    try:
        result = run_simulation(registry, claims, policy, engine, output, memory_limit, temp_dir)
    except ClaimsInputError as exc:
        err.print(f"[red]error[/red] {exc}")
        raise typer.Exit(2) from None
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if summary:
        summary.parent.mkdir(parents=True, exist_ok=True)
        summary.write_text(text + "\n", encoding="utf-8")
    else:
        typer.echo(text)
    if html is None and summary is not None and len(policy) > 1:
        html = summary.with_suffix(".html")
    if html is not None:
        try:
            html.write_text(render(result), encoding="utf-8")
        except AssetMissingError as exc:
            err.print(f"[red]--html[/red] {exc}")
            raise typer.Exit(1) from None
    for pid, path in result["engine_path"].items():
        if path["claims"]:
            err.print(f"{pid}: {path['persons']} person-years / {path['claims']} claims settled through the engine")


def run_simulation(registry: Registry, claims: Path, policies: list[str], engine: str, output: Path | None,
                   memory_limit: str | None = None, temp_dir: Path | None = None) -> dict:
    """Replay, write the output table, and return the summary."""
    from ibis import union

    from tongchou.batch.output import claims_table, write_parquet
    from tongchou.batch.replay import Replayer, connect, open_claims, policy_of, validate
    from tongchou.batch.source import ClaimsInputError
    from tongchou.batch.summary import summarise

    if len(set(policies)) != len(policies):
        raise ClaimsInputError("--policy", "a policy is named twice")
    for pid in policies:
        policy_of(registry, pid)
    backend = connect(engine, temp_dir=temp_dir, memory_limit=memory_limit)
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                      transient=True, disable=not err.is_terminal) as progress:
            task = progress.add_task("读取并校验结算数据", total=None)

            def notify(message: str) -> None:
                progress.update(task, description=message)

            source = open_claims(backend, claims)
            validate(source)
            replayer = Replayer(backend, registry, source, notify)
            results = [replayer.run(pid) for pid in policies]
            if output is not None:
                notify("写出重放结果")
                tables = [claims_table(source.table, r.table) for r in results]
                write_parquet(tables[0] if len(tables) == 1 else union(*tables), output)
            notify("汇总")
            return summarise(results) | {"engine": engine, "claims_source": str(claims)}
    finally:
        backend.close()

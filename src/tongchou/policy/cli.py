"""`tongchou policy list|show|validate|test|schema`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from tongchou.policy.document import policies_markdown
from tongchou.policy.registry import PolicyError, Registry, load_policy_file
from tongchou.policy.schema import Policy

app = typer.Typer(help="政策（policies as data）：查看、校验、测试", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

PolicyDir = typer.Option(None, "--policy-dir", help="policy directory (default: the shipped policies)")


def load_registry_or_exit(policy_dir: Optional[Path]) -> Registry:
    """The policies of `policy_dir` (default: the shipped ones); a malformed file is reported and exits 2."""
    try:
        return Registry.load(policy_dir)
    except PolicyError as exc:
        err.print(f"[red]policy error[/red] {exc}")
        raise typer.Exit(2) from None


@app.command("list")
def list_policies(policy_dir: Optional[Path] = PolicyDir, as_json: bool = typer.Option(False, "--json")) -> None:
    """List the policies: id, region, scheme, versions."""
    registry = load_registry_or_exit(policy_dir)
    rows = [
        {"id": p.id, "name": p.name, "region": p.region, "scheme": p.scheme, "kind": p.kind, "example": p.example,
         "versions": [{"version": v.version, "from": str(v.effective_from), "to": str(v.effective_to)}
                      for v in p.versions]}
        for p in sorted(registry.policies.values(), key=lambda p: p.id)
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title="政策列表")
    for column in ("政策ID", "名称", "统筹区", "险种", "类型", "有效期"):
        table.add_column(column)
    for row in rows:
        kind = ("示例" if row["example"] else "") + ("险种叠加层" if row["kind"] == "layer" else "基本政策")
        dates = "; ".join(f"v{v['version']} {v['from']}~{v['to']}" for v in row["versions"])
        table.add_row(row["id"], row["name"], row["region"], row["scheme"], kind, dates)
    console.print(table)


@app.command("show")
def show(policy_id: str, policy_dir: Optional[Path] = PolicyDir) -> None:
    """Print a policy as JSON (amounts in yuan)."""
    registry = load_registry_or_exit(policy_dir)
    try:
        policy = registry.get(policy_id)
    except LookupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    typer.echo(json.dumps(policy.model_dump(mode="json", exclude_none=True), ensure_ascii=False, indent=2))


@app.command("validate")
def validate(files: list[Path] = typer.Argument(None, help="policy files (default: every shipped policy)"),
             policy_dir: Optional[Path] = PolicyDir) -> None:
    """Validate policy files; a malformed one is reported with its file, path and reason."""
    try:
        if files:
            for path in files:
                load_policy_file(path)
            count = len(files)
        else:
            count = len(Registry.load(policy_dir).policies)
    except PolicyError as exc:
        err.print(f"[red]invalid[/red] {exc.file}: {exc.path or '(top)'}: {exc.reason}")
        raise typer.Exit(1) from None
    console.print(f"[green]{count} 个政策文件校验通过[/green]")


@app.command("schema")
def schema(output: Optional[Path] = typer.Option(None, "--output")) -> None:
    """Write the JSON Schema of policy files."""
    text = json.dumps(Policy.model_json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)


@app.command("doc")
def doc(output: Optional[Path] = typer.Option(None, "--output"), policy_dir: Optional[Path] = PolicyDir) -> None:
    """Write every policy as Markdown, each number with its seed sentence."""
    text = policies_markdown(list(load_registry_or_exit(policy_dir).policies.values()))
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)

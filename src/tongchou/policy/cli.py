"""`tongchou policy list|show|validate|test|schema`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from tongchou.policy.document import policies_markdown
from tongchou.policy.registry import PolicyError, Registry, default_policy_dir, policy_files
from tongchou.policy.schema import Policy

app = typer.Typer(help="政策：查看、校验、测试", no_args_is_help=True)
console = Console()
err = Console(stderr=True, highlight=False)

PolicyDir = typer.Option(None, "--policy-dir", help="政策目录（默认：随软件发布的政策）")


def report_problems(exc: PolicyError) -> None:
    """Every problem on its own line: file, path inside it, reason."""
    for problem in exc.problems:
        err.print(f"[red]政策文件有误[/red] {problem.file}: {problem.path or '（顶层）'}: {problem.reason}",
                  markup=True, soft_wrap=True)


def load_registry_or_exit(policy_dir: Optional[Path]) -> Registry:
    """The policies of `policy_dir` (default: the shipped ones); malformed files are reported and exit 2."""
    if policy_dir is not None and not policy_dir.is_dir():
        err.print(f"[red]--policy-dir：目录不存在[/red] {policy_dir}")
        raise typer.Exit(2)
    try:
        return Registry.load(policy_dir)
    except PolicyError as exc:
        report_problems(exc)
        raise typer.Exit(2) from None


@app.command("list")
def list_policies(policy_dir: Optional[Path] = PolicyDir,
                  as_json: bool = typer.Option(False, "--json", help="以 JSON 输出（供程序读取）")) -> None:
    """列出政策：ID、名称、统筹区、险种、版本有效期（ID 完整显示，不截断）。"""
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
    table.add_column("政策ID", no_wrap=True, min_width=max((len(row["id"]) for row in rows), default=6))
    for column in ("名称", "统筹区", "险种", "类型", "有效期"):
        table.add_column(column, overflow="fold")
    for row in rows:
        kind = ("示例" if row["example"] else "") + ("险种叠加层" if row["kind"] == "layer" else "基本政策")
        dates = "; ".join(f"v{v['version']} {v['from']}~{v['to']}" for v in row["versions"])
        table.add_row(row["id"], row["name"], row["region"], row["scheme"], kind, dates)
    console.print(table)


@app.command("show")
def show(policy_id: str, policy_dir: Optional[Path] = PolicyDir) -> None:
    """以 JSON 输出一项政策（金额单位：元）。"""
    registry = load_registry_or_exit(policy_dir)
    try:
        policy = registry.get(policy_id)
    except LookupError as exc:
        err.print(f"[red]政策ID：{exc}[/red]")
        raise typer.Exit(2) from None
    typer.echo(json.dumps(policy.model_dump(mode="json", exclude_none=True), ensure_ascii=False, indent=2))


@app.command("validate")
def validate(files: list[Path] = typer.Argument(None, help="政策文件（默认：随软件发布的全部政策）"),
             policy_dir: Optional[Path] = PolicyDir) -> None:
    """校验政策文件：逐个报告每个文件的每处错误（文件、位置、原因）。"""
    if not files and policy_dir is not None and not policy_dir.is_dir():
        err.print(f"[red]--policy-dir：目录不存在[/red] {policy_dir}")
        raise typer.Exit(1)
    paths = list(files) if files else policy_files(policy_dir or default_policy_dir())
    try:
        Registry.checked(paths, compositions=not files)
    except PolicyError as exc:
        report_problems(exc)
        failed = len({problem.file for problem in exc.problems})
        err.print(f"[red]{failed} 个政策文件有误，共 {len(exc.problems)} 处错误[/red]")
        raise typer.Exit(1) from None
    console.print(f"[green]{len(paths)} 个政策文件校验通过[/green]")


@app.command("schema")
def schema(output: Optional[Path] = typer.Option(None, "--output")) -> None:
    """输出政策文件的 JSON Schema。"""
    text = json.dumps(Policy.model_json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)


@app.command("doc")
def doc(output: Optional[Path] = typer.Option(None, "--output"), policy_dir: Optional[Path] = PolicyDir) -> None:
    """以 Markdown 输出全部政策，每个数字附其依据原文。"""
    text = policies_markdown(list(load_registry_or_exit(policy_dir).policies.values()))
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)

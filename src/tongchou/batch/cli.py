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
    claims: Path = typer.Option(..., "--claims", help="就诊结算表：.csv、.parquet 或 .parquet 目录"),
    policy: List[str] = typer.Option(..., "--policy", help="政策编号；可重复以对比（第一个为基准）"),
    engine: str = typer.Option("duckdb", "--engine", help="计算引擎：duckdb（默认）或 spark（本地模式）"),
    output: Optional[Path] = typer.Option(None, "--output", help="重放后的就诊结算表（Parquet）"),
    summary: Optional[Path] = typer.Option(None, "--summary", help="汇总 JSON（默认：标准输出）"),
    html: Optional[Path] = typer.Option(None, "--html", help="对比网页（两项及以上政策且给出 "
                                        "--summary 时默认生成：汇总文件名改为 .html）"),
    policy_dir: Optional[Path] = typer.Option(None, "--policy-dir", help="政策目录（默认：随系统发布的政策）"),
    insutype: Optional[str] = typer.Option(None, "--insutype", help="只重放该险种的就诊"
                                           "（390 城乡居民医保，310 职工医保）；险种与政策不符的就诊"
                                           "将被拒绝"),
    memory_limit: Optional[str] = typer.Option(None, "--memory-limit", help="DuckDB 内存上限，如 8GB"),
    temp_dir: Optional[Path] = typer.Option(None, "--temp-dir", help="DuckDB 溢出写盘目录（默认：系统临时目录）"),
) -> None:
    """政策测算：在所列各项政策下重放全部就诊（按人按日期顺序，不论政策有效期）。"""
    from tongchou.batch.html import AssetMissingError, render  # ibis loads only when the command runs
    from tongchou.batch.source import ClaimsInputError

    registry = load_registry_or_exit(policy_dir)
    try:
        result = run_simulation(registry, claims, policy, engine, output, memory_limit, temp_dir, insutype=insutype)
    except ClaimsInputError as exc:
        err.print(f"[red]错误[/red] {exc}")
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
                   memory_limit: str | None = None, temp_dir: Path | None = None, *, insutype: str | None = None
                   ) -> dict:
    """Replay, write the output table, and return the summary. Claims are replayed only under policies of
    their own scheme: `insutype` keeps that scheme's claims; a claim of another scheme than a policy's is
    refused (`ClaimsInputError` naming the counts), never replayed under it."""
    from ibis import union

    from tongchou.batch.output import claims_table, write_parquet
    from tongchou.batch.replay import Replayer, connect, open_claims, policy_of, validate
    from tongchou.batch.source import ClaimsInputError
    from tongchou.batch.summary import summarise

    if len(set(policies)) != len(policies):
        raise ClaimsInputError("--policy", "同一政策指定了两次，请指定不同的政策进行比较")
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
            source = same_scheme(registry, source, policies, insutype)
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


def same_scheme(registry: Registry, source, policies: list[str], insutype: str | None):
    """The claims of `insutype` (all when None), once every claim's scheme is every policy's scheme."""
    from tongchou.batch.source import ClaimsInputError, Source
    from tongchou.codes import Insutype

    table = source.table if insutype is None else source.table.filter(source.table.insutype == insutype)
    rows = table.group_by("insutype").agg(n=table.count()).to_pyarrow().to_pylist()
    counts = {row["insutype"]: int(row["n"]) for row in rows}
    if not counts:
        raise ClaimsInputError("--insutype", f"结算数据中没有{Insutype.label_of(insutype)}（{insutype}）的结算")
    for pid in policies:
        policy = registry.get(pid)
        others = {code: n for code, n in counts.items() if code != policy.scheme}
        if others:
            found = "、".join(f"{n:,}笔{Insutype.label_of(code)}（{code}）" for code, n in sorted(others.items()))
            raise ClaimsInputError("--policy", (
                f"政策“{policy.name}”（{pid}）适用于{Insutype.label_of(policy.scheme)}（{policy.scheme}），"
                f"而结算数据中有{found}结算（共{sum(counts.values()):,}笔）：结算只能按本险种的政策重放，不予测算。"
                f"请用 --insutype {policy.scheme} 只取该险种的结算，或按险种分别测算"))
    return Source(table, source.columns, source.path)

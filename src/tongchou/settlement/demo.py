"""`tongchou demo`: until the synthetic region lands, settle the shipped example claims and show them."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from tongchou.policy.registry import Registry
from tongchou.settlement.calculator import Calculator

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "guanxian-2018-claims.jsonl"


def demo_command(claims: Path = typer.Option(EXAMPLES, "--claims", exists=True, dir_okay=False)) -> None:
    """Settle the example claims (冠县 2018) and print who pays what, with each explanation."""
    console = Console()
    calculator = Calculator(Registry.load())
    results = list(calculator.run(claims.read_text(encoding="utf-8").splitlines()))
    table = Table(title="示例结算（冠县2018年城乡居民医保）")
    for column in ("结算ID", "参保人", "医疗费总额", "政策范围内", "起付线", "统筹基金", "大病保险", "个人负担"):
        table.add_column(column, justify="right")
    for r in results:
        if "error" in r:
            table.add_row(str(r["setl_id"]), "", f"[red]{r['error']['message']}[/red]", "", "", "", "", "")
            continue
        table.add_row(r["setl_id"], r["ytd_after"] and r["setl_id"].split("-")[0], r["medfee_sumamt"],
                      r["inscp_scp_amt"], r["act_pay_dedc"], r["hifp_pay"], r["hifmi_pay"], r["psn_part_amt"])
    console.print(table)
    for r in results:
        if "error" not in r:
            console.print(f"\n[bold]{r['setl_id']}[/bold]")
            for step in r["explanation"]:
                console.print(f"  · {step['text']}")
    console.print(f"\nsettled {calculator.settled}, errors {calculator.errors}")
    if calculator.errors:
        raise typer.Exit(1)

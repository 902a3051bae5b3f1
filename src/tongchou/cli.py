"""The command line: a thin shell over the domain packages (Typer + rich)."""

from __future__ import annotations

import typer

from tongchou.funds.cli import report_app
from tongchou.policy.cli import app as policy_app
from tongchou.settlement.cli import settle_command
from tongchou.settlement.demo import demo_command

app = typer.Typer(
    name="tongchou",
    help="统筹 Tongchou — 基本医疗保险市级统筹核心系统",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(policy_app, name="policy")
app.command("settle")(settle_command)
app.command("demo")(demo_command)
# Domain command groups register below, one line each.
from tongchou.batch.cli import simulate_command; app.command("simulate")(simulate_command)  # noqa: E402,E702
from tongchou.store.cli import app as store_app  # noqa: E402  (db, load, ledger, export)
app.add_typer(store_app)
app.add_typer(report_app, name="report")
from tongchou.funds.manage_cli import app as funds_app  # noqa: E402
app.add_typer(funds_app, name="funds")
from tongchou.api.cli import institution_app, serve_command  # noqa: E402
app.command("serve")(serve_command)
app.add_typer(institution_app, name="institution")
from tongchou.clearing.cli import app as clearing_app  # noqa: E402
app.add_typer(clearing_app, name="clearing")
from tongchou.generate.cli import generate_command  # noqa: E402
app.command("generate")(generate_command)
from tongchou.clearing.store_cli import register as register_clearing_store  # noqa: E402
register_clearing_store(clearing_app)  # clearing run|approve|pay|year-end|plan against the store


def main() -> None:
    app()

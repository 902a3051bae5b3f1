"""The command line: a thin shell over the domain packages (Typer + rich)."""

from __future__ import annotations

import typer

from tongchou.access.keys_cli import app as keys_app
from tongchou.api.cli import ecert_app, institution_app, serve_command
from tongchou.audit.cli import app as audit_app
from tongchou.batch.cli import simulate_command
from tongchou.clearing.cli import app as clearing_app
from tongchou.demo.cli import demo_command
from tongchou.funds.cli import report_app
from tongchou.funds.manage_cli import app as funds_app
from tongchou.generate.cli import generate_command
from tongchou.policy.cli import app as policy_app
from tongchou.settlement.cli import settle_command
from tongchou.store.cli import app as store_app  # db, load, catalogue, ledger, export
from tongchou.supervision.cli import app as supervision_app
from tongchou.web.cli import app as console_app

app = typer.Typer(
    name="tongchou",
    help="统筹 Tongchou — 基本医疗保险市级统筹核心系统",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(policy_app, name="policy")
app.command("settle")(settle_command)
app.command("simulate")(simulate_command)
app.command("generate")(generate_command)
app.command("demo")(demo_command)
app.add_typer(store_app)
app.add_typer(report_app, name="report")
app.add_typer(funds_app, name="funds")
app.add_typer(clearing_app, name="clearing")
app.add_typer(supervision_app, name="supervision")
app.command("serve")(serve_command)
app.add_typer(institution_app, name="institution")
app.add_typer(ecert_app, name="ecert")
app.add_typer(console_app, name="console")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")


def main() -> None:
    app()

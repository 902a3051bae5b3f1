"""`tongchou report …`: the fund's reports on the command line (a thin shell over the core).

`tongchou report fund-operation` reads a claims table and a funding file and
writes the fund operation analysis (基金运行分析) as JSON, Markdown or HTML.
Bad input is reported on stderr naming the option or field, with exit
status 2, and nothing is written.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from tongchou.funds.claims_source import ClaimsTable
from tongchou.funds.indicators import with_warnings
from tongchou.funds.errors import ReportInputError
from tongchou.funds.funding import load_funding
from tongchou.funds.operation import RESIDENT, PeriodFigures, build_fund_operation_report, parse_period
from tongchou.funds.render_html import AssetMissingError, render_html
from tongchou.funds.render_json import render_json
from tongchou.funds.render_md import render_markdown

BAD_INPUT = 2
ENVIRONMENT_ERROR = 1

report_app = typer.Typer(help="基金报表 — reports on the pooled fund.", no_args_is_help=True, add_completion=False)
app = typer.Typer(help="统筹 Tongchou — fund reports.", no_args_is_help=True, add_completion=False)
app.add_typer(report_app, name="report")


class OutputFormat(str, Enum):
    json = "json"
    md = "md"
    html = "html"


RENDERERS = {OutputFormat.json: render_json, OutputFormat.md: render_markdown, OutputFormat.html: render_html}


def fund_operation_report(
    claims: Path,
    funding_path: Path,
    period_text: str,
    compare_text: str | None = None,
    compare_funding_path: Path | None = None,
    county: str | None = None,
) -> dict[str, Any]:
    """Read the inputs and compute the report (raises ReportInputError on bad input)."""
    period = parse_period(period_text, "--period")
    comparison_period = None if compare_text is None else parse_period(compare_text, "--compare")
    if compare_funding_path is not None and comparison_period is None:
        raise ReportInputError("--compare-funding", "needs --compare FROM:TO")
    funding, thresholds = load_funding(funding_path, "--funding")
    compare_funding = None
    if compare_funding_path is not None:
        compare_funding, _ = load_funding(compare_funding_path, "--compare-funding")
    county = None if county is None else county.strip()
    if county == "":
        raise ReportInputError("--county", "empty county code")
    if compare_funding is not None and compare_funding.insutype != funding.insutype:
        raise ReportInputError("--compare-funding insutype",
                               f"scheme {compare_funding.insutype} differs from --funding's {funding.insutype}")
    scheme = funding.insutype
    table = ClaimsTable(claims, "--claims")
    try:
        current = PeriodFigures(period, table.cells(period, county, scheme), funding)
        comparison = None
        if comparison_period is not None:
            comparison = PeriodFigures(comparison_period, table.cells(comparison_period, county, scheme),
                                       compare_funding)
    finally:
        table.close()
    report = build_fund_operation_report(current, comparison, county_admdvs=county, insutype=scheme)
    return with_warnings(report, thresholds)


def fund_operation_report_from_store(
    db: str | None,
    period_text: str,
    compare_text: str | None = None,
    county: str | None = None,
    funding_path: Path | None = None,
) -> dict[str, Any]:
    """Every scheme's report from the store's settlements and ledger (`funds.service`), under
    `by_scheme.<insutype>`; the top-level keys are those of the funding file's scheme (390 without one).
    A funding file, when given, supplies only the scheme, the warning thresholds and the name."""
    from tongchou.funds.indicators import WarningThresholds
    from tongchou.funds.service import fund_operation_from_store
    from tongchou.store.uow import Store

    period = parse_period(period_text, "--period")
    comparison_period = None if compare_text is None else parse_period(compare_text, "--compare")
    county = None if county is None else county.strip()
    if county == "":
        raise ReportInputError("--county", "empty county code")
    thresholds, name, scheme = WarningThresholds(), None, RESIDENT
    if funding_path is not None:
        file_funding, thresholds = load_funding(funding_path, "--funding")
        name, scheme = file_funding.name, file_funding.insutype
    store = Store.open(db)
    try:
        return store.read(lambda session: fund_operation_from_store(
            session, period, comparison_period, county, name, scheme, thresholds))
    finally:
        store.close()


def write_output(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")


def fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"tongchou report fund-operation: error: {message}", err=True)
    return typer.Exit(code)


HELP = {
    "claims": "Claims table: .csv with header, .parquet, or a directory of .parquet.",
    "funding": "Funding file (YAML): insured, per_capita, earmarked_per_capita.",
    "period": "FROM:TO, dates YYYY-MM-DD within one year (filter on enddate).",
    "compare": "Comparison period FROM:TO (e.g. the same period a year earlier).",
    "compare_funding": "Funding file of the comparison year.",
    "county": "Only claims of insured persons of this county (county_admdvs).",
    "format": "json, md or html.",
    "output": "Write here instead of stdout.",
}


@report_app.command("fund-operation")
def fund_operation_command(
    period: Annotated[str, typer.Option("--period", help=HELP["period"])],
    claims: Annotated[Path | None, typer.Option("--claims", help=HELP["claims"])] = None,
    funding: Annotated[Path | None, typer.Option("--funding", help=HELP["funding"])] = None,
    db: Annotated[str | None, typer.Option("--db", help="read the store instead of --claims: settlements as "
                                           "claims, funding (revenue, premiums, insured) from the ledger")] = None,
    compare: Annotated[str | None, typer.Option("--compare", help=HELP["compare"])] = None,
    compare_funding: Annotated[Path | None, typer.Option("--compare-funding", help=HELP["compare_funding"])] = None,
    county: Annotated[str | None, typer.Option("--county", help=HELP["county"])] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", help=HELP["format"])] = OutputFormat.json,
    output: Annotated[Path | None, typer.Option("--output", help=HELP["output"])] = None,
) -> None:
    """基金运行分析: the fund operation analysis of a region or county for a period."""
    try:
        if db is not None:
            if claims is not None:
                raise ReportInputError("--claims", "give --claims or --db, not both")
            report = fund_operation_report_from_store(db, period, compare, county, funding)
        else:
            if claims is None:
                raise ReportInputError("--claims", "missing (or give --db)")
            if funding is None:
                raise ReportInputError("--funding", "missing (required with --claims)")
            report = fund_operation_report(claims, funding, period, compare, compare_funding, county)
        text = RENDERERS[output_format](report)
    except ReportInputError as exc:
        raise fail(str(exc), BAD_INPUT) from None
    except AssetMissingError as exc:
        raise fail(str(exc), ENVIRONMENT_ERROR) from None
    try:
        write_output(text, output)
    except OSError as exc:
        raise fail(f"--output: cannot write {output}: {exc.strerror or exc}", BAD_INPUT) from None

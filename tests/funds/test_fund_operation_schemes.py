"""The report is one scheme's: the funding file names it (`insutype`, default 390), only that scheme's
claims are counted, an employee fund's personal-account share is left out of `usable`. Expected figures
are worked by hand from the rows written here."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from tongchou.funds.cli import app

runner = CliRunner()
HEADER = "setl_id,insutype,med_type,admin_tier,enddate,medfee_sumamt,hifp_pay"
ROWS = [  # (setl_id, insutype, med_type, tier, enddate, medfee, hifp_pay)
    ("R1", "390", "21", "county", "2018-02-01", "5000.00", "3000.00"),
    ("R2", "390", "11", "township", "2018-03-01", "100.00", "50.00"),
    ("E1", "310", "21", "city", "2018-02-10", "20000.00", "15000.00"),
    ("E2", "310", "11", "city", "2018-04-10", "300.00", "200.00"),
]


def table(path: Path, with_insutype: bool = True) -> Path:
    lines = [HEADER] + [",".join(row) for row in ROWS]
    if not with_insutype:
        lines = [",".join(cell for index, cell in enumerate(line.split(",")) if index != 1) for line in lines]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(claims: Path, funding: Path, *extra: str) -> dict:
    result = runner.invoke(app, ["report", "fund-operation", "--claims", str(claims), "--funding", str(funding),
                                 "--period", "2018-01-01:2018-06-30", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout, parse_float=Decimal)


def test_a_resident_funding_file_counts_only_resident_claims(tmp_path: Path) -> None:
    funding = tmp_path / "f.yaml"
    funding.write_text("insured: 100\nper_capita: {individual: 190, central_subsidy: 490}\n"
                       "earmarked_per_capita: {critical_illness: 30}\n", encoding="utf-8")
    report = run(table(tmp_path / "c.csv"), funding)
    assert report["insutype"] == "390"
    assert report["funding"]["usable"] == Decimal("65000.00")        # 100 × (190 + 490 − 30)
    assert report["fund_paid"]["all"] == Decimal("3050.00")          # R1 + R2, never E1, E2
    assert report["visits"]["all"]["count"] == 2
    assert report["spending_progress"] == Decimal("3050") / Decimal("65000")
    assert report["per_capita_fund_paid"] == Decimal("30.50")        # 3050 / 100 insured of the scheme


def test_an_employee_funding_file_leaves_the_personal_accounts_out_of_usable(tmp_path: Path) -> None:
    funding = tmp_path / "f.yaml"
    funding.write_text('insutype: "310"\nname: 绍兴市\ninsured: 50\ncontribution_base: 1000000\n'
                       "rates: {employer: 0.08, individual: 0.02}\npersonal_account: 15000\n", encoding="utf-8")
    report = run(table(tmp_path / "c.csv"), funding)
    assert report["insutype"] == "310"
    funding_keys = report["funding"]
    assert funding_keys["by_source"] == {"employer": Decimal("80000.00"), "individual": Decimal("20000.00")}
    assert funding_keys["total"] == Decimal("100000.00")
    assert funding_keys["earmarked_by_item"] == {"personal_account": Decimal("15000.00")}
    assert funding_keys["usable"] == Decimal("85000.00")
    assert funding_keys["per_capita"] == Decimal("2000.00")           # 100000 / 50
    assert report["fund_paid"]["all"] == Decimal("15200.00")         # E1 + E2 only
    assert report["spending_progress"] == Decimal("15200") / Decimal("85000")
    markdown = runner.invoke(app, ["report", "fund-operation", "--claims", str(tmp_path / "c.csv"), "--funding",
                                   str(funding), "--period", "2018-01-01:2018-06-30", "--format", "md"]).stdout
    assert markdown.startswith("# 绍兴市职工医保基金运行情况分析（2018年上半年）")
    assert "险种：职工基本医疗保险（310）" in markdown and "不进入统筹基金" in markdown


def test_a_table_without_insutype_is_the_funding_files_scheme(tmp_path: Path) -> None:
    funding = tmp_path / "f.yaml"
    funding.write_text("insured: 100\nper_capita: {individual: 100}\n", encoding="utf-8")
    report = run(table(tmp_path / "c.csv", with_insutype=False), funding)
    assert report["fund_paid"]["all"] == Decimal("18250.00")         # every row: the table is one scheme's


def test_schemes_are_never_compared_with_each_other(tmp_path: Path) -> None:
    resident, employee = tmp_path / "r.yaml", tmp_path / "e.yaml"
    resident.write_text("insured: 100\nper_capita: {individual: 100}\n", encoding="utf-8")
    employee.write_text('insutype: "310"\ninsured: 5\ncontribution_base: 1000\nrates: {employer: 0.1}\n',
                        encoding="utf-8")
    result = runner.invoke(app, ["report", "fund-operation", "--claims", str(table(tmp_path / "c.csv")),
                                 "--funding", str(resident), "--period", "2018-01-01:2018-06-30",
                                 "--compare", "2017-01-01:2017-06-30", "--compare-funding", str(employee)])
    assert result.exit_code == 2
    assert "--compare-funding insutype" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text('insutype: "320"\ninsured: 1\nper_capita: {a: 1}\n', encoding="utf-8")
    result = runner.invoke(app, ["report", "fund-operation", "--claims", str(tmp_path / "c.csv"), "--funding",
                                 str(bad), "--period", "2018-01-01:2018-06-30"])
    assert result.exit_code == 2 and "--funding insutype" in result.output
    mixed = tmp_path / "mixed.yaml"
    mixed.write_text('insutype: "310"\ninsured: 1\nper_capita: {a: 1}\n', encoding="utf-8")
    result = runner.invoke(app, ["report", "fund-operation", "--claims", str(tmp_path / "c.csv"), "--funding",
                                 str(mixed), "--period", "2018-01-01:2018-06-30"])
    assert result.exit_code == 2 and "--funding per_capita" in result.output  # a per-head key in a 310 file

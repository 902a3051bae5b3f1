"""The clearing command line: documents in three formats, errors naming the option with exit 2."""

import json

import duckdb
import pytest
from typer.testing import CliRunner

from tongchou.clearing.cli import app
from tongchou.clearing.synthetic import generation_sql

runner = CliRunner()


@pytest.fixture(scope="module")
def claims(rules, tmp_path_factory):
    folder = tmp_path_factory.mktemp("clearing-cli")
    path = folder / "claims.parquet"
    with duckdb.connect() as connection:
        connection.execute(f"COPY ({generation_sql(3000, rules.dip, institutions=5)}) TO '{path}' (FORMAT parquet)")
    (folder / "budgets.yaml").write_text(
        "institutions:\n  - {code: H33060000000, name: 示例医院, budget: '500000.00', score: 81}\n", encoding="utf-8")
    (folder / "enrolment.yaml").write_text(
        "institutions:\n  - {code: H33060000004, enrolled: {'2024-01': 1000, '2024-02': 1000}}\n", encoding="utf-8")
    (folder / "names.yaml").write_text(
        "institutions:\n  - {code: H33060000000, name: 示例市第一人民医院, hosp_lv: 3}\n", encoding="utf-8")
    return folder


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_statement_json_balances(claims):
    result = invoke("statement", "--claims", claims / "claims.parquet", "--institution", "H33060000000",
                    "--month", "2024-03", "--institutions", claims / "names.yaml")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert ["机构名称", "示例市第一人民医院"] in doc["meta"]
    data = doc["data"]
    cleared, reserve, payable = (int(data[k].replace(".", ""))
                                 for k in ("cleared_amount", "quality_reserve", "payable"))
    assert cleared - reserve == payable
    assert sum(int(e["amount"].replace(".", "")) for e in doc["entries"]) == payable


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_dip_renders(claims, fmt):
    result = invoke("dip", "--claims", claims / "claims.parquet", "--year", "2024", "--budget", "30000000",
                    "--institution", "H33060000002", "--format", fmt)
    assert result.exit_code == 0, result.output
    for label in ("分值", "点值", "系数", "清算差额", "月度预付"):
        assert label in result.stdout


def test_dip_json_liquidation_identity(claims):
    result = invoke("dip", "--claims", claims / "claims.parquet", "--year", "2024", "--budget", "30000000")
    doc = json.loads(result.stdout)
    for item in doc["data"]["institutions"]:
        final, prepaid, liquidation = (int(item[k].replace(".", "")) for k in ("final", "prepaid", "liquidation"))
        assert prepaid + liquidation == final


def test_global_budget_and_capitation(claims):
    result = invoke("global-budget", "--claims", claims / "claims.parquet", "--year", "2024",
                    "--budgets", claims / "budgets.yaml", "--institution", "H33060000000", "--format", "md")
    assert result.exit_code == 0, result.output
    assert "分段计算" in result.stdout and "示例医院" in result.stdout
    result = invoke("capitation", "--claims", claims / "claims.parquet", "--enrolment", claims / "enrolment.yaml")
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.stdout)["data"]["institutions"]
    assert item["person_months"] == 2000 and item["capitation"] == "16000.00"


@pytest.mark.parametrize(("args", "option"), [
    (["statement", "--claims", "missing.csv", "--institution", "H1", "--month", "2024-03"], "--claims"),
    (["statement", "--claims", "{c}", "--institution", "H1", "--month", "2024/03"], "--month"),
    (["dip", "--claims", "{c}", "--year", "2024", "--budget", "1.234"], "--budget"),
    (["dip", "--claims", "{c}", "--year", "2024", "--budget", "0"], "--budget"),
    (["dip", "--claims", "{c}", "--year", "2024", "--budget", "100", "--institution", "HX"], "--institution"),
    (["dip", "--claims", "{c}", "--year", "2024", "--budget", "100", "--rules", "{d}/budgets.yaml"], "--rules"),
    (["global-budget", "--claims", "{c}", "--year", "2024", "--budgets", "{d}/enrolment.yaml"], "--budgets"),
])
def test_errors_name_the_option(claims, args, option):
    args = [a.format(c=claims / "claims.parquet", d=claims) for a in args]
    result = invoke(*args)
    assert result.exit_code == 2
    assert f"error: {option}" in result.stderr

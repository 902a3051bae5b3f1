"""`tongchou report fund-operation` on the command line: formats, output file, errors."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tongchou.funds import documents as html_module
from tongchou.funds.cli import app, fund_operation_report

runner = CliRunner()


def args(claims: Path, funding: Path, *extra: str) -> list[str]:
    return ["report", "fund-operation", "--claims", str(claims), "--funding", str(funding),
            "--period", "2018-01-01:2018-06-30", *extra]


COMPARE = ("--compare", "2017-01-01:2017-06-30", "--county", "371525")


def test_json_on_stdout(pian8_csv: Path, funding_2018: Path) -> None:
    result = runner.invoke(app, args(pian8_csv, funding_2018, *COMPARE))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout, parse_float=Decimal)
    assert report["funding"]["usable"] == Decimal("207875200.00")
    assert report["visits"]["all"]["count"] == 102106
    assert report["change"]["visits"]["all"]["count"]["delta"] == 46151
    assert report["region"] == {"name": "冠县", "county_admdvs": "371525"}


def test_compare_funding_adds_funding_and_its_change(pian8_parquet: Path, funding_2018: Path,
                                                     funding_2017: Path) -> None:
    result = runner.invoke(app, args(pian8_parquet, funding_2018, *COMPARE, "--compare-funding", str(funding_2017)))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout, parse_float=Decimal)
    assert report["compare"]["funding"]["usable"] == Decimal(319608 * 550)
    change = report["change"]["funding"]["usable"]
    assert change["delta"] == Decimal("207875200.00") - Decimal(319608 * 550)
    assert report["compare"]["spending_progress"] == Decimal("86918700.00") / Decimal(319608 * 550)
    assert "projection" in report["change"]
    indicators = {w["indicator"] for w in report["warnings"]}
    assert "spending_vs_funding_growth" in indicators


def test_output_file(pian8_parquet: Path, funding_2018: Path, tmp_path: Path) -> None:
    output = tmp_path / "out" / "report.md"
    result = runner.invoke(app, args(pian8_parquet, funding_2018, *COMPARE, "--format", "md", "--output", str(output)))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert output.read_text(encoding="utf-8").startswith("# 冠县医保基金运行情况分析（2018年上半年）")


def test_markdown_reads_like_the_seed(pian8_parquet: Path, funding_2018: Path) -> None:
    result = runner.invoke(app, args(pian8_parquet, funding_2018, *COMPARE, "--format", "md"))
    text = result.stdout
    for heading in ("一、筹资情况", "二、就诊人次", "三、基金使用情况", "四、住院次均费用", "五、同比分析",
                    "六、全年基金支出预测", "七、预警"):
        assert f"## {heading}" in text
    for phrase in ("基金总量为22736.35万元", "实际可用总量为20787.52万元", "乡镇卫生院住院11649人次，占总住院人次的33.14%",
                   "省级及省外医疗机构合计3900人次", "基金支出14547.48万元，占可用基金总量的69.98%",
                   "乡镇卫生院住院次均费用1984.65元/人次", "基金支出增加5855.61万元，增长67.37%",
                   "为可用基金的139.96%", "| 总补偿人次 | 102106 |", "2017年同期"):
        assert phrase in text, phrase


def test_html_is_self_contained_with_charts(pian8_parquet: Path, funding_2018: Path, echarts_asset: Path) -> None:
    result = runner.invoke(app, args(pian8_parquet, funding_2018, *COMPARE, "--format", "html"))
    assert result.exit_code == 0, result.output
    page = result.stdout
    assert page.startswith("<!DOCTYPE html>")
    assert re.search(r"<script[^>]*\ssrc=", page) is None  # nothing loaded: no CDN, no file
    assert not re.search(r"<link[^>]+href=[\"']https?://", page)
    echarts = echarts_asset.read_text(encoding="utf-8")
    assert echarts[:2000].replace("</", "<\\/") in page  # ECharts inlined
    for heading in ("筹资情况", "就诊人次", "基金使用情况", "住院次均费用", "同比分析", "全年基金支出预测", "预警"):
        assert heading in page
    charts = html_module.chart_options(fund_operation_report(
        pian8_parquet, funding_2018, "2018-01-01:2018-06-30", "2017-01-01:2017-06-30", county="371525"))
    assert set(charts) == {"inpatient_by_tier", "fund_paid_by_type", "fund_paid_by_tier", "avg_medfee_by_tier",
                           "progress"}
    for chart_id, option in charts.items():
        assert option["title"]["text"] and option["title"]["subtext"].startswith("单位：")
        assert option["yAxis"]["name"]
        assert f'id="chart-{chart_id}"' in page


def test_html_fails_clearly_without_the_asset(pian8_parquet: Path, funding_2018: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "echarts.min.js"
    monkeypatch.setattr(html_module, "ECHARTS_PATH", missing)
    output = tmp_path / "r.html"
    result = runner.invoke(app, args(pian8_parquet, funding_2018, "--format", "html", "--output", str(output)))
    assert result.exit_code == 1
    assert "build-assets.sh" in result.stderr and str(missing) in result.stderr
    assert not output.exists()


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"--period": "2018-06-30:2018-01-01"}, "--period: FROM 2018-06-30 is after TO 2018-01-01"),
        ({"--period": "2018/01/01:2018/06/30"}, "--period: not a date"),
        ({"--compare": "2017-01-01"}, "--compare: expected FROM:TO"),
        ({"--claims": "nowhere.csv"}, "--claims: no such file"),
        ({"--funding": "nowhere.yaml"}, "--funding: no such file"),
        ({"--compare-funding": "FUNDING"}, "--compare-funding: needs --compare"),
        ({"--county": " "}, "--county: empty"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(pian8_parquet: Path, funding_2018: Path, tmp_path: Path,
                                              change: dict[str, str], fragment: str) -> None:
    options = {"--claims": str(pian8_parquet), "--funding": str(funding_2018), "--period": "2018-01-01:2018-06-30"}
    for option, value in change.items():
        options[option] = str(funding_2018) if value == "FUNDING" else value
    output = tmp_path / "report.json"
    command = ["report", "fund-operation", *[part for item in options.items() for part in item], "--output", str(output)]
    result = runner.invoke(app, command)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert not output.exists()
    assert result.stdout == ""


def test_malformed_funding_file(pian8_parquet: Path, tmp_path: Path) -> None:
    funding = tmp_path / "funding.yaml"
    funding.write_text("insured: 324805\nper_capita:\n  individual: 210.555\n", encoding="utf-8")
    result = runner.invoke(app, args(pian8_parquet, funding))
    assert result.exit_code == 2
    assert "--funding per_capita.individual: more than two decimals" in result.stderr


def test_missing_column(tmp_path: Path, funding_2018: Path) -> None:
    claims = tmp_path / "claims.csv"
    claims.write_text("enddate,admin_tier\n2018-01-05,county\n", encoding="utf-8")
    result = runner.invoke(app, args(claims, funding_2018))
    assert result.exit_code == 2
    assert "--claims column med_type: required column missing" in result.stderr


def test_unknown_format_is_refused(pian8_parquet: Path, funding_2018: Path) -> None:
    result = runner.invoke(app, args(pian8_parquet, funding_2018, "--format", "pdf"))
    assert result.exit_code == 2


def test_registered_in_the_main_command_line() -> None:
    try:
        from tongchou.cli import app as main_app
    except ImportError as error:  # another package of the command line not there yet
        pytest.skip(f"tongchou.cli does not import yet: {error}")
    result = runner.invoke(main_app, ["report", "fund-operation", "--help"])
    assert result.exit_code == 0
    assert "--compare-funding" in result.stdout

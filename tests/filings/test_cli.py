"""`tongchou filing …` and `tongchou person year-end` through the command line (SQLite): Chinese output, a
refusal naming its field with exit status 2, the year end run twice."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.store.support import cli_store
from tongchou.cli import COMMANDS, app

runner = CliRunner()


def said(result) -> str:
    """The output without the line breaks rich adds at the terminal's width."""
    return result.output.replace("\n", "")
SEEN = ["--seen", "近三年住院病历及相关检查单据", "--seen", "医保卡", "--seen", "居民身份证"]


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    return cli_store(tmp_path, monkeypatch, "guanxian.yaml", "changchun.yaml")


def test_filing_is_a_lazy_command_with_chinese_help():
    assert COMMANDS["filing"].target == "tongchou.filings.cli:app"
    result = runner.invoke(app, ["filing", "--help"])
    assert result.exit_code == 0 and "门诊慢特病申报" in result.output
    for command in ("apply", "approve", "reject", "list"):
        assert command in result.output


def test_apply_approve_and_list(db, tmp_path):
    scan = tmp_path / "record.pdf"
    scan.write_bytes(b"%PDF-1.4 hospital record")
    outside = runner.invoke(app, ["filing", "apply", "GX0002", "--disease", "冠心病", "--at", "H37152500002",
                                  "--by", "张卫生院", "--on", "2018-04-02", *SEEN, "--db", db])
    assert outside.exit_code == 2 and "received_on" in outside.output and "不在门诊慢特病申报期内" in said(outside)
    applied = runner.invoke(app, ["filing", "apply", "GX0002", "--disease", "冠心病", "--at", "H37152500002",
                                  "--by", "张卫生院", "--on", "2018-03-05", "--document",
                                  f"近三年住院病历及相关检查单据={scan}", "--seen", "医保卡", "--seen", "居民身份证",
                                  "--db", db])
    assert applied.exit_code == 0 and "已受理门诊慢特病申报，申请第1号" in said(applied)
    same = runner.invoke(app, ["filing", "approve", "1", "--by", "张卫生院", "--on", "2018-03-20", "--db", db])
    assert same.exit_code == 2 and "审批人不能是受理人本人" in said(same)
    approved = runner.invoke(app, ["filing", "approve", "1", "--by", "李县医保", "--on", "2018-03-20", "--db", db])
    assert approved.exit_code == 0 and "申请第1号已审批通过" in said(approved)
    listed = runner.invoke(app, ["filing", "list", "--psn-no", "GX0002", "--db", db])
    assert "【已审批通过】" in said(listed) and "有效期2018-03-20至2019-03-19" in said(listed)
    assert "共 1 件" in said(listed)


def test_year_end_twice(db, tmp_path):
    out = tmp_path / "renewals.csv"
    first = runner.invoke(app, ["person", "year-end", "2021", "--renewals", str(out), "--db", db])
    assert first.exit_code == 0, first.output
    assert "本次计息 3 户，利息合计 12.30 元" in said(first)  # 4.50 + 0.30 + 7.50
    assert out.read_text(encoding="utf-8").startswith("\ufeff个人编号,姓名,区县")
    second = runner.invoke(app, ["person", "year-end", "2021", "--db", db])
    assert second.exit_code == 0 and "本次计息 0 户，利息合计 0.00 元；此前已计息 3 户" in said(second)
    assert "新建 0 条" in said(second)
    verify = runner.invoke(app, ["ledger", "verify", "--db", db])
    assert verify.exit_code == 0, verify.output
    early = runner.invoke(app, ["person", "year-end", "2099", "--db", db])
    assert early.exit_code == 2 and "2099年尚未结束" in said(early)

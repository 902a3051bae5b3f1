"""`tongchou payment …` through the command line (SQLite): bank details, an account payout and a family payment,
a batch and its file, the bank's return file, a re-issue; Chinese output, refusals naming the field."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.store.support import cli_store
from tongchou.cli import COMMANDS, app
from tongchou.sheets import read_sheet

runner = CliRunner()


def text(result) -> str:
    return "".join(result.output.split())


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    return cli_store(tmp_path, monkeypatch, "changchun.yaml")


def run(*args: str):
    return runner.invoke(app, ["payment", *args])


def test_payment_is_a_lazy_command_with_chinese_help():
    assert COMMANDS["payment"].target == "tongchou.payments.cli:app"
    result = runner.invoke(app, ["payment", "--help"])
    assert result.exit_code == 0 and "代发" in result.output
    for command in ("bank-account", "batch", "file", "returns", "reissue", "payout", "family", "list"):
        assert command in result.output


def test_family_payout_batch_return_and_reissue(db, tmp_path):
    result = run("family", "CC0001", "--kind", "long_term_care", "--year", "2021", "--on", "2021-02-01", "--db", db)
    assert result.exit_code == 0, result.output
    assert "长期护理保险缴费：60.00元" in text(result) and "账户余额240.00元" in text(result)
    again = run("family", "CC0001", "--kind", "long_term_care", "--year", "2021", "--on", "2021-02-02", "--db", db)
    assert again.exit_code == 2 and "year" in again.output and "不能重复缴纳" in text(again)
    small = run("family", "CC0001", "--kind", "large_expense", "--year", "2021", "--review-above", "100",
                "--on", "2021-02-01", "--db", db)
    assert small.exit_code == 2 and "双人复核" in text(small)  # 120.00 above a 100.00 threshold: a reviewer needed
    refused = run("payout", "CC0005", "--reason", "emigration", "--review-above", "100", "--on", "2021-06-01",
                  "--db", db)
    assert refused.exit_code == 2 and "reviewed_by" in refused.output and "双人复核" in text(refused)
    result = run("bank-account", "CC0005", "--name", "无关人员", "--bank", "工行朝阳支行", "--account",
                 "6222020000111122223", "--on", "2021-06-01", "--db", db)
    assert result.exit_code == 0 and "6222***********2223" in text(result)
    result = run("payout", "CC0005", "--reason", "emigration", "--on", "2021-06-01", "--db", db)
    assert result.exit_code == 0, result.output
    assert "500.00元" in text(result)
    out = tmp_path / "batch.csv"
    result = run("batch", "--county", "220104", "--on", "2021-06-02", "--out", str(out), "--db", db)
    assert result.exit_code == 0, result.output
    assert "代发批次DF22010420210602001：1笔，合计500.00元" in text(result)
    rows = [r.values for r in read_sheet("batch.csv", out.read_bytes()).rows]
    assert rows[0]["账号"] == "6222020000111122223" and rows[0]["用途"] == "医保个人账户支取"
    back = tmp_path / "back.csv"
    back.write_text("批次号,序号,金额,结果代码\nDF22010420210602001,1,500.00,R02\nDF22010420210602001,2,1.00,00\n",
                    encoding="utf-8")
    result = run("returns", str(back), "--on", "2021-06-05", "--db", db)
    assert result.exit_code == 1 and "退回1笔" in text(result) and "第3行序号" in text(result)
    listed = run("list", "--state", "returned", "--db", db)
    assert "R02账户已销户" in text(listed)
    result = run("reissue", "1", "--name", "无关人员", "--bank", "建行朝阳支行", "--account", "6217000011112222333",
                 "--on", "2021-06-06", "--db", db)
    assert result.exit_code == 0, result.output
    assert "原代发1" in text(result)
    result = run("reissue", "1", "--name", "无关人员", "--bank", "建行朝阳支行", "--account", "6217000011112222333",
                 "--on", "2021-06-06", "--db", db)
    assert result.exit_code == 2 and "不能重复重发" in text(result)
    result = run("batch", "--county", "220104", "--on", "2021-06-07", "--db", db)
    assert result.exit_code == 0 and "1笔，合计500.00元" in text(result)
    verify = runner.invoke(app, ["ledger", "verify", "--db", db])
    assert verify.exit_code == 0, verify.output

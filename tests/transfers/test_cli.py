"""`tongchou transfer …` through the command line (SQLite): the certificate, out (twice: once), in from a
certificate file and from fields, refusals naming the field."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.store.support import cli_store
from tongchou.cli import COMMANDS, app

runner = CliRunner()


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    return cli_store(tmp_path, monkeypatch, "changchun.yaml")


def run(*args: str):
    return runner.invoke(app, ["transfer", *args])


def test_transfer_is_a_lazy_command_with_chinese_help():
    assert COMMANDS["transfer"].target == "tongchou.transfers.cli:app"
    result = run("--help")
    assert result.exit_code == 0 and "关系转移接续" in result.output
    for command in ("certificate", "out", "in"):
        assert command in result.output


def test_certificate_out_and_in(db, tmp_path):
    preview = run("certificate", "CC0001", "--on", "2021-06-30", "--db", db)
    assert preview.exit_code == 0, preview.output
    assert "基本医疗保险参保凭证" in preview.output and "预览" in preview.output and "300.00" in preview.output

    done = run("out", "CC0001", "--to-pool", "440100", "--pool-name", "广州市", "--on", "2021-06-30", "--db", db)
    assert done.exit_code == 0, done.output
    assert "已转出" in done.output and "300.00" in done.output and "广州市" in done.output
    again = run("out", "CC0001", "--to-pool", "440100", "--pool-name", "广州市", "--on", "2021-06-30", "--db", db)
    assert again.exit_code == 0 and "此前已办理，未重复转出" in again.output
    other = run("out", "CC0001", "--to-pool", "440100", "--pool-name", "广州市", "--on", "2021-07-31", "--db", db)
    assert other.exit_code == 2 and "psn_no" in other.output and "不能重复转出" in other.output

    issued = run("certificate", "CC0001", "--format", "json", "--db", db)
    assert issued.exit_code == 0, issued.output
    cert = json.loads(issued.output)["certificate"]
    assert cert["to_pool"]["code"] == "440100" and cert["account_balance"] == "300.00"

    # the same certificate as another pool (440100) would send it to us, for CC0003
    cert["from_pool"], cert["to_pool"] = {"code": "440100", "name": "广州市"}, {"code": "220100", "name": "长春市"}
    path = tmp_path / "pz.json"
    path.write_text(json.dumps(cert, ensure_ascii=False), encoding="utf-8")
    received = run("in", str(path), "--psn-no", "CC0003", "--start", "2021-07-01", "--db", db)
    assert received.exit_code == 0, received.output
    assert "已转入" in received.output and "300.00" in received.output
    twice = run("in", str(path), "--psn-no", "CC0003", "--start", "2021-07-01", "--db", db)
    assert twice.exit_code == 0 and "此前已办理，未重复转入" in twice.output


def test_in_from_fields_and_a_csv_and_refusals(db, tmp_path):
    fields = ["--from-pool", "440100", "--from-pool-name", "广州市", "--insutype", "390", "--total-months", "60",
              "--continuous-months", "60", "--ended-on", "2021-06-30"]
    bad = run("in", "--psn-no", "CC0003", *fields[:-2], "--ended-on", "2021-6-30", "--db", db)
    assert bad.exit_code == 2 and "ended_on" in bad.output and "YYYY-MM-DD" in bad.output
    ok = run("in", "--psn-no", "CC0003", *fields, "--db", db)
    assert ok.exit_code == 0, ok.output
    sheet = tmp_path / "pz.csv"
    sheet.write_text("转出统筹区代码,转出统筹区名称,险种,累计缴费月数,连续缴费月数,转出地参保截止日期,个人账户转移金额\n"
                     "440100,广州市,310,24,20,2021-05-31,88.00\n", encoding="utf-8-sig")
    employee = run("in", str(sheet), "--psn-no", "CC0003", "--db", db)
    # CC0003 is a resident from 2021-07-01: the employee cover from 2021-06-01 would overlap
    assert employee.exit_code == 2 and "start" in employee.output and "城乡居民医保" in employee.output

"""`tongchou person …` through the command line (SQLite): Chinese output, errors naming the field, the batch
with its errors file."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from tests.store.support import DATA, cli_store
from tongchou.cli import COMMANDS, app

runner = CliRunner()
A = "371525199001011239"  # worked by hand in test_rules.py
B = "11010519491231002X"


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    return cli_store(tmp_path, monkeypatch, "guanxian.yaml")


def run(*args: str):
    return runner.invoke(app, ["person", *args])


def test_person_is_a_lazy_command_with_chinese_help():
    assert COMMANDS["person"].target == "tongchou.persons.cli:app"
    result = runner.invoke(app, ["person", "--help"])
    assert result.exit_code == 0 and "参保人与家庭户" in result.output
    for command in ("register", "show", "change", "household", "death", "newborn", "import"):
        assert command in result.output


def test_load_warns_on_a_bad_check_digit_and_loads_anyway(tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("TONGCHOU_DATA_KEY", "a" * 43 + "=")
    result = runner.invoke(app, ["load", str(DATA / "guanxian.yaml"), "--db", f"sqlite:///{tmp_path / 'w.db'}"])
    assert result.exit_code == 0, result.output
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "persons.0.id_number（GX0001）：公民身份号码校验码错误（末位应为9，实为4）。" in warned


def test_register_show_change_and_death(db):
    result = run("register", "--id-number", A, "--name", "孙八", "--county", "371525", "--psn-type", "1501",
                 "--phone", "13912345678", "--address", "冠县清泉街道幸福路1号", "--db", db)
    assert result.exit_code == 0, result.output
    assert "个人编号 37152500000001" in result.output
    result = run("register", "--id-number", A, "--name", "又一次", "--county", "371525", "--psn-type", "1501",
                 "--db", db)
    assert result.exit_code == 2 and "id_number" in result.output and "37152500000001" in result.output
    assert run("change", "37152500000001", "--field", "phone", "--value", "13700001111", "--on", "2018-07-01",
               "--by", "王科员", "--db", db).exit_code == 0
    shown = run("show", "37152500000001", "--db", db).output
    assert "371525********1239" in shown and A not in shown and "137****1111" in shown
    assert "变更 2018-07-01 phone：139****5678 → 137****1111（王科员）" in shown
    result = run("death", "GX0001", "--date", "2018-05-05", "--db", db)
    assert result.exit_code == 0 and "终止参保记录 1 条" in result.output
    assert "死亡日期 2018-05-05" in run("show", "GX0001", "--db", db).output


def test_errors_name_the_field_in_chinese(db):
    result = run("register", "--id-number", "371525199001011234", "--name", "甲", "--county", "371525",
                 "--psn-type", "1501", "--db", db)
    assert result.exit_code == 2 and "id_number" in result.output and "校验码错误" in result.output
    result = run("death", "GX0001", "--date", "2018-13-01", "--db", db)
    assert result.exit_code == 2 and "date" in result.output and "YYYY-MM-DD" in result.output
    result = run("change", "GX0001", "--field", "county", "--value", "371599", "--db", db)
    assert result.exit_code == 2 and "只能变更" in result.output


def test_households_and_newborns(db):
    result = run("household", "create", "GX0001", "--on", "2018-01-01", "--db", db)
    assert result.exit_code == 0 and "HGX0001" in result.output
    assert run("household", "add", "HGX0001", "GX0003", "--relation", "配偶", "--db", db).exit_code == 0
    result = run("newborn", "--parent", "GX0001", "--name", "张小宝", "--birth-date", "2018-06-01", "--sex", "2",
                 "--db", db)
    assert result.exit_code == 0 and "37152500000001" in result.output
    shown = run("show", "37152500000001", "--db", db).output
    assert "家庭户 HGX0001" in shown and "GX0003" in shown and "配偶" in shown and "子女" in shown
    result = run("newborn", "--parent", "GX0003", "--name", "王小宝", "--birth-date", "2018-06-01", "--sex", "1",
                 "--db", db)
    assert result.exit_code == 2 and "parent" in result.output and "未参加本市医保" in result.output
    result = run("household", "remove", "HGX0001", "GX0001", "--db", db)
    assert result.exit_code == 2 and "户主须在其他2名成员迁出后" in result.output


def test_import_applies_good_rows_and_writes_the_bad_ones_back(db, tmp_path):
    source = tmp_path / "batch.csv"
    with source.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["公民身份号码", "姓名", "手机号码", "地址", "区县", "人员类别"])  # Chinese headers
        writer.writerow([A, "孙八", "13912345678", "冠县清泉街道1号", "371525", "1501"])
        writer.writerow(["371525199001011234", "", "139", "", "999999", "1501"])
        writer.writerow([B, "王芳", "", "", "371599", "1501"])
    result = run("import", str(source), "--db", db)
    assert result.exit_code == 1, result.output
    assert "已登记 2 人，错误 1 行" in result.output
    with (tmp_path / "batch.errors.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1 and rows[0]["行号"] == "3" and rows[0]["公民身份号码"] == "371525199001011234"
    error = rows[0]["错误"]
    for column in ("公民身份号码（id_number）", "姓名（name）", "手机号码（phone）", "区县（county）"):
        assert column in error
    assert "人员类别" not in error
    assert "37159900000001" in run("show", "37159900000001", "--db", db).output


def test_import_refuses_a_file_without_a_required_column(db, tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text("id_number,name\n" + A + ",孙八\n", encoding="utf-8")
    result = run("import", str(source), "--db", db)
    assert result.exit_code == 2 and "county" in result.output and "区县" in result.output


def test_import_reads_xlsx_and_writes_the_errors_back_as_xlsx(db, tmp_path):
    from openpyxl import Workbook, load_workbook
    book = Workbook()
    sheet = book.active
    sheet.append(["公民身份号码", "姓名", "区县", "人员类别"])
    sheet.append([A, "孙八", "371525", "1501"])
    sheet.append(["371525199001011235", "错号", "371525", "1501"])
    source = tmp_path / "batch.xlsx"
    book.save(source)
    result = run("import", str(source), "--db", db)
    assert result.exit_code == 1 and "已登记 1 人，错误 1 行" in result.output, result.output
    back = load_workbook(tmp_path / "batch.errors.xlsx").active
    rows = [[c.value for c in row] for row in back.iter_rows()]
    assert rows[0] == ["行号", "公民身份号码", "姓名", "区县", "人员类别", "错误"]
    assert rows[1][:3] == ["3", "371525199001011235", "错号"] and "校验码错误" in rows[1][5]


def test_import_refuses_a_broken_excel_file_in_chinese(db, tmp_path):
    excel = tmp_path / "batch.xlsx"
    excel.write_bytes(b"PK\x03\x04")
    result = run("import", str(excel), "--db", db)
    assert result.exit_code == 2 and "file" in result.output and "不是有效的Excel" in result.output

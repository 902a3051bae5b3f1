"""`tongchou employer …` on a SQLite store: Chinese output and errors naming the field, the batch's errors file."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from tests.employers.conftest import EMPLOYER, add_persons
from tests.store.support import DATA, SEED_POLICIES, TEST_CIPHER
from tongchou.cli import app
from tongchou.employers.terms import default_terms_dir
from tongchou.ledger.service import verify
from tongchou.policy.registry import default_policy_dir
from tongchou.region.fixture import load_file
from tongchou.store.uow import Store

RUNNER = CliRunner()


@pytest.fixture
def env(tmp_path, sqlite_template):
    target = tmp_path / "store.db"
    shutil.copy(sqlite_template, target)
    url = f"sqlite:///{target}"
    store = Store.open(url)
    load_file(store, DATA / "changchun.yaml", TEST_CIPHER)
    store.transaction(add_persons)
    store.close()
    policies = tmp_path / "policies"
    (policies / "employers").mkdir(parents=True)
    for name in SEED_POLICIES:
        shutil.copy(default_policy_dir() / name, policies / name)
    shutil.copy(default_terms_dir() / "changchun-employers.yaml", policies / "employers")
    return url, policies


def run(env, *args: str):
    url, policies = env
    takes_policies = args[0] in ("join", "declare", "arrears", "late-fee", "reconcile")
    extra = ["--policies", str(policies)] if takes_policies else []
    return RUNNER.invoke(app, ["employer", *args, "--db", url, *extra], env={"COLUMNS": "200"})


def test_register_join_declare_pay_late_and_verify(env, tmp_path):
    assert run(env, "register", EMPLOYER, "--name", "长春某机械厂", "--county", "220102").exit_code == 0
    joined = run(env, "join", EMPLOYER, "CC0101", "--on", "2021-01-01")
    assert joined.exit_code == 0 and "已增员" in joined.output
    batch = tmp_path / "march.csv"
    batch.write_text("employer,psn_no,month,wage\n"
                     f"{EMPLOYER},CC0101,2021-03,5000.00\n"
                     f"{EMPLOYER},CC0101,2021-13,5000.00\n", encoding="utf-8")
    declared = run(env, "declare", str(batch), "--on", "2021-03-05")
    assert declared.exit_code == 1 and "入库1行，错误1行" in declared.output
    errors = (tmp_path / "march.errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert errors[0] == "行号,employer,psn_no,month,wage,错误列,错误"  # 行号: the line in the file, the header is 1
    assert errors[1].startswith(f"3,{EMPLOYER},CC0101,2021-13,5000.00,month,费款所属期应写为")
    arrears = run(env, "arrears", "--as-of", "2021-04-14")
    assert arrears.exit_code == 0 and "2021-03" in arrears.output and "30" in arrears.output
    fee = run(env, "late-fee", EMPLOYER, "--as-of", "2021-04-14")
    assert fee.exit_code == 0 and "滞纳金6.75元" in fee.output and "不由职工个人承担" in fee.output
    paid = tmp_path / "tax.csv"
    paid.write_text("employer,psn_no,month,employer_part,individual_part,late_fee,paid_on\n"
                    f"{EMPLOYER},CC0101,2021-03,350.00,100.00,6.75,2021-04-14\n", encoding="utf-8")
    reconciled = run(env, "reconcile", str(paid), "--batch-no", "TAX-1", "--received-on", "2021-04-20")
    assert reconciled.exit_code == 0 and "入账1行，滞纳金6.75元，挂起0行" in reconciled.output
    shown = run(env, "show", EMPLOYER)
    assert shown.exit_code == 0 and "2021-04-14" in shown.output and "6.75" in shown.output
    left = run(env, "leave", EMPLOYER, "CC0101", "--on", "2021-06-30")
    assert left.exit_code == 0 and "已减员" in left.output
    store = Store.open(env[0])
    try:
        assert verify(store).ok
    finally:
        store.close()


def test_errors_are_chinese_and_name_the_field(env):
    bad = run(env, "register", "91220102MA0000000F", "--name", "某厂", "--county", "220102")
    assert bad.exit_code == 2 and "code" in bad.output and "第18位应为E" in bad.output
    missing = run(env, "join", EMPLOYER, "CC0101", "--on", "2021-01-01")
    assert missing.exit_code == 2 and "employer" in missing.output and "未登记" in missing.output
    day = run(env, "leave", EMPLOYER, "CC0101", "--on", "2021/06/30")
    assert day.exit_code == 2 and "--on" in day.output and "YYYY-MM-DD" in day.output


def test_an_xlsx_batch_with_chinese_headers_and_its_errors_file_in_xlsx(env, tmp_path):
    from openpyxl import Workbook, load_workbook

    assert run(env, "register", EMPLOYER, "--name", "长春某机械厂", "--county", "220102").exit_code == 0
    assert run(env, "join", EMPLOYER, "CC0101", "--on", "2021-01-01").exit_code == 0
    book = Workbook()
    sheet = book.active
    sheet.append(["统一社会信用代码", "个人编号", "费款所属期", "申报工资"])
    sheet.append([EMPLOYER, "CC0101", "2021-03", 5000])         # a number as Excel stores it
    sheet.append([EMPLOYER, "CC0101", "2021-04", "5000.123"])   # three decimals
    sheet.append([EMPLOYER, "CC0101", "2021-03", "6000"])       # the same month again
    batch = tmp_path / "april.xlsx"
    book.save(batch)
    declared = run(env, "declare", str(batch), "--on", "2021-04-05")
    assert declared.exit_code == 1 and "申报3行：入库1行，错误2行" in declared.output
    errors = load_workbook(tmp_path / "april.errors.xlsx").active
    rows = [[cell.value for cell in row] for row in errors.iter_rows()]
    assert rows[0] == ["行号", "统一社会信用代码", "个人编号", "费款所属期", "申报工资", "错误列", "错误"]
    assert rows[1][:6] == ["3", EMPLOYER, "CC0101", "2021-04", "5000.123", "申报工资"]
    assert rows[2][:6] == ["4", EMPLOYER, "CC0101", "2021-03", "6000", "费款所属期"] and "与第2行重复" in rows[2][6]
    paid = Workbook()
    paid.active.append(["employer", "psn_no", "month", "employer_part", "individual_part", "late_fee", "paid_on"])
    paid.active.append([EMPLOYER, "CC0101", "2021-03", 350, 100, 0, "2021-03-15"])
    paid.active.append([EMPLOYER, "CC0101", "2021-05", 350, 100, 0, "2021-05-15"])
    paid.save(tmp_path / "tax.xlsx")
    reconciled = run(env, "reconcile", str(tmp_path / "tax.xlsx"), "--batch-no", "TAX-X", "--received-on", "2021-04-20")
    assert reconciled.exit_code == 0 and "入账1行，滞纳金0.00元，挂起1行" in reconciled.output
    held = [[c.value for c in row] for row in load_workbook(tmp_path / "tax.held.xlsx").active.iter_rows()]
    assert held[1][0] == "3" and held[1][-2] == "month" and "未找到" in held[1][-1]

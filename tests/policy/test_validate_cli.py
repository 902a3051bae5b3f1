"""`tongchou policy validate` and `policy list` as a person runs them: every error, in Chinese, no traceback."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from typer.testing import CliRunner

from tongchou.cli import app

REPO = Path(__file__).resolve().parents[2]
GOOD = (REPO / "policies/xxdistrict-2021-resident.yaml").read_text(encoding="utf-8")


def run(*args: str, width: int = 80):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": str(width)})


def every_error_file(tmp_path: Path) -> Path:
    """One policy file holding each kind of error at once, in different parts of the file."""
    doc = yaml.safe_load(GOOD)
    version = doc["versions"][0]
    version["caps"][0]["amount"] = -120                          # negative cap
    version["benefits"][0]["ratio"] = 1.5                        # ratio above 1
    version["benefits"][1]["ratio"] = -0.2                       # ratio below 0
    version["published"] = "2018-02-30"                          # impossible date
    version["effective_to"] = "2020-12-31"                       # before effective_from 2021-01-01
    version["layers"] = [{"id": "big", "name": "大额", "field": "hifob_pay", "applies_to": ["*"], "variants": [
        {"parts": [{"base": "burden", "schedule": [{"above": 5000, "up_to": 1000, "rate": "0.5"}]}]}]}]  # lower > upper
    version["benefitz"] = []                                     # unknown key
    path = tmp_path / "every-error.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_validate_reports_every_error_of_the_file_with_file_path_and_reason(tmp_path):
    path = every_error_file(tmp_path)
    result = run("policy", "validate", str(path), width=400)
    assert result.exit_code == 1
    out = result.output
    assert "Traceback" not in out
    lines = [line for line in out.splitlines() if line.startswith("政策文件有误 ")]
    assert all(str(path) in line for line in lines)
    expected = {
        "versions.0.caps.0.amount": "金额不能为负数",
        "versions.0.benefits.0.ratio": "0 到 1 之间",
        "versions.0.benefits.1.ratio": "0 到 1 之间",
        "versions.0.published": "不是有效的日期",
        "versions.0.effective_to": "范围颠倒",
        "versions.0.layers.0.variants.0.parts.0.schedule.0.up_to": "范围颠倒",
        "versions.0.benefitz": "未知的键",
    }
    for where, reason in expected.items():
        assert any(f": {where}: " in line and reason in line for line in lines), (where, out)
    assert "1 个政策文件有误" in out


def test_validate_reports_every_file(tmp_path):
    first = every_error_file(tmp_path)
    second = tmp_path / "second.yaml"
    second.write_text(GOOD.replace("effective_from: 2021-01-01", "effective_from: 2021-13-01"), encoding="utf-8")
    result = run("policy", "validate", str(first), str(second), width=400)
    assert result.exit_code == 1
    assert f"{second}: versions.0.effective_from: 不是有效的日期" in result.output
    assert "2 个政策文件有误" in result.output


def test_a_good_file_passes(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = run("policy", "validate", str(path))
    assert result.exit_code == 0, result.output
    assert "校验通过" in result.output


def test_the_shipped_policies_pass():
    result = run("policy", "validate")
    assert result.exit_code == 0, result.output


def test_policy_list_prints_full_ids_on_a_narrow_terminal():
    result = run("policy", "list", width=80)
    assert result.exit_code == 0
    listed = run("policy", "list", "--json")
    ids = [row["id"] for row in json.loads(listed.output)]
    assert "xxdistrict-2020-resident-previous" in ids
    for policy_id in ids:
        assert re.search(rf"\b{re.escape(policy_id)}\b", result.output), (policy_id, result.output)
    assert "…" not in result.output.split("政策ID")[1].splitlines()[2]


def test_a_settlement_directory_that_does_not_exist_is_named(tmp_path):
    result = run("policy", "list", "--policy-dir", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "目录不存在" in result.output

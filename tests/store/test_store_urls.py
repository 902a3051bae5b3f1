"""contracts.md "Store URLs": a `--db` that names no store is refused in Chinese and nothing is created;
only `db upgrade` (and `load`, `demo`, which run it first) create a store."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from tests.store.support import DATA
from tongchou.cli import app

runner = CliRunner()
MISSING_COMMANDS = [
    ["export", "claims", "--output", "{tmp}/out.csv"],
    ["ledger", "verify"],
    ["audit", "verify"],
    ["keys", "status"],
    ["institution", "credentials", "list"],
    ["clearing", "approve", "--by", "clerk", "--month", "2018-06"],
    ["catalogue", "import", "{csv}"],
    ["supervision", "case", "list"],
]


def _args(args: list[str], tmp_path) -> list[str]:
    csv = tmp_path / "cat.csv"
    csv.write_text("code,name,category\n", encoding="utf-8")
    return [a.format(tmp=tmp_path, csv=csv) for a in args]


@pytest.mark.parametrize("args", MISSING_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_mistyped_sqlite_path_is_refused_and_not_created(args, tmp_path, monkeypatch):
    monkeypatch.setenv("TONGCHOU_DATA_KEY", "a" * 43 + "=")
    missing = tmp_path / "typo" / "tongchuo.db"
    url = f"sqlite:///{missing}"
    result = runner.invoke(app, [*_args(args, tmp_path), "--db", url])
    assert result.exit_code == 1, result.output
    assert "数据库不存在" in result.output and str(missing) in result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert not missing.exists() and not missing.parent.exists()


def test_the_default_store_is_not_created_either(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TONGCHOU_DB", raising=False)
    result = runner.invoke(app, ["ledger", "verify"])
    assert result.exit_code == 1
    assert "数据库不存在" in result.output
    assert os.listdir(tmp_path) == []


def test_an_existing_file_without_the_schema_is_refused(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["ledger", "verify", "--db", f"sqlite:///{empty}"])
    assert result.exit_code == 1
    assert "没有统筹的表结构" in result.output and "db upgrade" in result.output


def test_a_malformed_url_is_refused(tmp_path):
    result = runner.invoke(app, ["ledger", "verify", "--db", "not a url"])
    assert result.exit_code == 1
    assert "不是有效的数据库地址" in result.output


def test_an_unreachable_postgres_database_is_refused():
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/tongchou_does_not_exist_4711"
    result = runner.invoke(app, ["ledger", "verify", "--db", url])
    assert result.exit_code == 1
    assert "无法连接数据库" in result.output and "tongchou_does_not_exist_4711" in result.output


def test_db_upgrade_and_load_create_the_store(tmp_path, monkeypatch):
    monkeypatch.setenv("TONGCHOU_DATA_KEY", "a" * 43 + "=")
    created = tmp_path / "new" / "a.db"
    assert runner.invoke(app, ["db", "upgrade", "--db", f"sqlite:///{created}"]).exit_code == 0
    assert created.is_file()
    loaded = tmp_path / "b.db"
    result = runner.invoke(app, ["load", str(DATA / "guanxian.yaml"), "--db", f"sqlite:///{loaded}"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["ledger", "verify", "--db", f"sqlite:///{loaded}"]).exit_code == 0

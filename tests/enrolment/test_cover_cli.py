"""`tongchou cover …` through the command line (SQLite): Chinese output, refusals naming the field (exit 2)."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.persons.test_cli import db  # noqa: F401 — the fixture: 冠县 loaded into a SQLite store
from tongchou.cli import COMMANDS, app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["cover", *args])


def text(result) -> str:
    """The output without the spaces and line breaks that the console's wrapping puts in."""
    return "".join(result.output.split())


def test_cover_is_a_lazy_command_with_chinese_help():
    assert COMMANDS["cover"].target == "tongchou.enrolment.cli:app"
    result = runner.invoke(app, ["cover", "--help"])
    assert result.exit_code == 0 and "停保" in result.output
    for command in ("stop", "resume", "switch"):
        assert command in result.output


def test_stop_resume_and_switch(db):
    result = run("stop", "GX0001", "--insutype", "390", "--on", "2018-03-31", "--db", db)
    assert result.exit_code == 0, result.output
    assert "于2018-03-31终止" in text(result)
    result = run("resume", "GX0001", "--insutype", "390", "--on", "2018-05-15", "--db", db)
    assert result.exit_code == 0, result.output
    assert "满3个月，2018年8月15日起享受待遇" in text(result)
    result = run("switch", "GX0002", "--to", "310", "--on", "2018-06-01", "--db", db)
    assert result.exit_code == 0, result.output
    assert "于2018-05-31终止" in text(result) and "自2018-06-01起参保" in text(result)


def test_refusals_name_the_field_in_chinese(db):
    result = run("stop", "GX0001", "--insutype", "390", "--on", "2017-12-31", "--db", db)
    assert result.exit_code == 2 and "on" in result.output and "早于参保记录" in text(result)
    result = run("switch", "GX0001", "--to", "390", "--on", "2018-06-01", "--db", db)
    assert result.exit_code == 2 and "to" in result.output
    result = run("stop", "GX0001", "--insutype", "390", "--on", "2018-13-01", "--db", db)
    assert result.exit_code == 2 and "日期须为YYYY-MM-DD" in text(result)

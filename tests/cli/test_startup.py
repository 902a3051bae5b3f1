"""`tongchou --help` imports only the command line's own frame, never the heavy libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tongchou.cli import COMMANDS, app

SRC = Path(__file__).resolve().parents[2] / "src"
HEAVY = ("sqlalchemy", "fastapi", "duckdb", "ibis", "pandas", "pyspark")
RUNNER = """
import json, sys
from tongchou.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))
"""


def modules_after(*args: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-c", RUNNER, *args], capture_output=True, text=True, env=env, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_help_imports_no_heavy_library():
    loaded = modules_after("--help")
    assert "typer" in loaded  # the runner did run the command line
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_help_lists_every_command_in_chinese():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name, lazy in COMMANDS.items():
        assert name in result.output
        assert lazy.help in result.output


def test_every_listed_command_loads_and_has_help():
    runner = CliRunner()
    for name in COMMANDS:
        result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (name, result.output)
        assert "Usage" in result.output


def test_usage_errors_are_in_chinese():
    """Typer's vendored Click says "Missing option '--input'."; the user reads it in Chinese, naming the option."""
    done = subprocess.run([sys.executable, "-m", "tongchou.cli", "settle"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(SRC)}, timeout=120)
    assert done.returncode == 2
    assert "缺少选项 '--input'" in done.stderr and "Missing" not in done.stderr and "错误" in done.stderr
    unknown = subprocess.run([sys.executable, "-m", "tongchou.cli", "settle", "--bogus"], capture_output=True,
                             text=True, env={**os.environ, "PYTHONPATH": str(SRC)}, timeout=120)
    assert "没有选项：--bogus" in unknown.stderr

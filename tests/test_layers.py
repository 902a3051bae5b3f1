"""The layers, checked by a machine: the import-linter contracts in pyproject.toml (rule modules import no
SQLAlchemy, FastAPI, httpx, DuckDB or store; no cycles between the top-level packages) hold, and they do fail
when a rule module imports the store or a package closes a cycle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """`lint-imports` over the tree at `root` (its src/ first on the path, so that tree's package is read)."""
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")], cwd=root,
                          env=env, capture_output=True, text=True, timeout=300)


def copy_of_tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__", "*.min.js"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_a_rule_module_importing_the_store_breaks_the_contract(tmp_path):
    tree = copy_of_tree(tmp_path)
    append(tree / "src/tongchou/settlement/engine.py", "import tongchou.store.models  # noqa")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "Rule modules do no I/O" in result.stdout and "BROKEN" in result.stdout
    assert "tongchou.settlement.engine -> tongchou.store.models" in result.stdout


def test_a_cycle_between_packages_breaks_the_contract(tmp_path):
    tree = copy_of_tree(tmp_path)
    append(tree / "src/tongchou/policy/schema.py", "import tongchou.settlement.model  # noqa")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "No import cycles between the top-level packages BROKEN" in result.stdout

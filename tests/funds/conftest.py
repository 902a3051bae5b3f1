"""Fixtures of the fund report tests: seed 004 篇8 as a claims table (see pian8_claims.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from tests.funds.pian8_claims import FUNDING_2017, FUNDING_2018, pian8_groups, write_claims


@pytest.fixture(scope="session")
def pian8_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pian8")
    groups = pian8_groups()
    write_claims(groups, directory / "claims.csv")
    write_claims(groups, directory / "claims.parquet")
    (directory / "funding-2018.yaml").write_text(FUNDING_2018, encoding="utf-8")
    (directory / "funding-2017.yaml").write_text(FUNDING_2017, encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def pian8_csv(pian8_dir: Path) -> Path:
    return pian8_dir / "claims.csv"


@pytest.fixture(scope="session")
def pian8_parquet(pian8_dir: Path) -> Path:
    return pian8_dir / "claims.parquet"


@pytest.fixture(scope="session")
def funding_2018(pian8_dir: Path) -> Path:
    return pian8_dir / "funding-2018.yaml"


@pytest.fixture(scope="session")
def funding_2017(pian8_dir: Path) -> Path:
    return pian8_dir / "funding-2017.yaml"


@pytest.fixture(scope="session")
def echarts_asset() -> Path:
    """The ECharts file the HTML report inlines, built by scripts/build-assets.sh when missing."""
    from tongchou.funds.documents import ECHARTS_PATH

    if not ECHARTS_PATH.is_file():
        if shutil.which("npm") is None:
            pytest.fail(f"{ECHARTS_PATH} is missing and npm is not installed to build it (scripts/build-assets.sh)")
        repository = Path(__file__).resolve().parents[2]
        subprocess.run(["bash", "scripts/build-assets.sh"], cwd=repository, check=True)
    return ECHARTS_PATH

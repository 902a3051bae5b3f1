"""`make demo` installs what it needs (npm, for the report assets) before building the assets, as `make test` does."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_installs_its_system_packages_before_the_assets():
    planned = subprocess.run(["make", "-n", "-B", "demo"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    lines = planned.splitlines()
    deps = next(i for i, line in enumerate(lines) if "ensure-system.sh demo" in line)
    assets = next(i for i, line in enumerate(lines) if "build-assets.sh" in line)
    demo = next(i for i, line in enumerate(lines) if line.endswith("tongchou demo"))
    assert deps < assets < demo


def test_the_demo_profile_asks_for_npm():
    script = (ROOT / "scripts/ensure-system.sh").read_text(encoding="utf-8")
    before_profile = script.split('if [ "$profile" = test ]')[0]
    assert "need+=(npm)" in before_profile

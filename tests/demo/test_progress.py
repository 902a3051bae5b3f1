"""The demo's summary counts every refusal (bulk and live) and its long steps show progress off a terminal."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from tongchou.demo import cli as demo_cli
from tongchou.demo.pipeline import DemoResult, Steps, meter


def test_the_summary_counts_bulk_and_live_refusals(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.setattr(demo_cli, "console", Console(file=buffer, width=120))
    result = DemoResult("sqlite:///x.db", Path("region"), counts={"settled": 100, "refused": 2, "live": 57,
                                                                   "live_refused": 3})
    demo_cli._summary(result)
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip()
            for line in buffer.getvalue().splitlines() if line.count("│") == 3}
    assert rows["拒付（说明原因）"] == "5"
    assert rows["其中：批量结算拒付"] == "2" and rows["其中：实时接口拒付"] == "3"


def test_long_steps_report_progress_when_not_on_a_terminal():
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, force_terminal=False)
    steps = Steps(console, DemoResult("sqlite:///x.db", Path("region")))
    with steps.step("全年结算", own_progress=True):
        with meter(console, "结算", 1000) as advance:
            for _ in range(100):
                advance(10)
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "… 全年结算"
    assert [line for line in lines if "结算 " in line and "%" in line] == [
        f"  结算 {n * 100:,}/1,000（{n * 10}%）" for n in range(1, 11)]
    assert lines[-1].startswith("✓ 全年结算")

"""The fund operation report as Markdown, in Chinese, laid out from `report_view`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tongchou.funds.report_view import Table, build_view


_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?%?$")


def is_numeric_column(table: Table, index: int) -> bool:
    """Right-align a column whose every filled cell is a number, a percentage or '—'."""
    cells = [row[index] for row in table.rows if row[index] not in ("", "—")]
    return bool(cells) and all(_NUMBER.match(cell) for cell in cells)


def markdown_table(table: Table) -> list[str]:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    alignment = ["---:" if is_numeric_column(table, index) else "---" for index in range(len(table.header))]
    return [line(table.header), "| " + " | ".join(alignment) + " |", *(line(row) for row in table.rows)]


def schemes_in_order(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The report's own scheme first, then every other scheme of `by_scheme`, each a report of its own."""
    others = [r for insutype, r in report.get("by_scheme", {}).items() if insutype != report.get("insutype")]
    return [report, *others]


def render_markdown(report: Mapping[str, Any]) -> str:
    return "\n".join(render_one(scheme) for scheme in schemes_in_order(report))


def render_one(report: Mapping[str, Any]) -> str:
    view = build_view(report)
    lines = [f"# {view.title}", "", view.subtitle, ""]
    for section in view.sections:
        lines += [f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [paragraph, ""]
        for table in section.tables:
            lines += [*markdown_table(table), ""]
    return "\n".join(lines).rstrip() + "\n"

"""Render a clearing document (see `views`) as JSON, Markdown or a self-contained HTML page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).parent / "templates"


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(document: dict[str, Any]) -> str:
    lines = [f"# {document['title']}", ""]
    lines += [f"- {label}：{value}" for label, value in document["meta"]]
    for part in document["sections"]:
        lines += ["", f"## {part['title']}", ""]
        lines.append("| " + " | ".join(_cell(c) for c in part["columns"]) + " |")
        lines.append("|" + "|".join("---" for _ in part["columns"]) + "|")
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in part["rows"]]
        if part.get("note"):
            lines += ["", f"> {part['note']}"]
    lines += ["", "金额单位：元（保留两位小数）。", ""]
    return "\n".join(lines)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(document: dict[str, Any]) -> str:
    return _environment().get_template("clearing_statement.html.j2").render(doc=document)


RENDERERS = {"json": render_json, "md": render_markdown, "html": render_html}

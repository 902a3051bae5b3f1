"""One document model for every report and statement, with its Markdown, HTML and JSON renderings.

A package says what it reports by building a `Document` (in its `documents.py`); the three renderers
here lay it out, so a statement reads the same in the terminal, in a browser and to a program.
The HTML page is one self-contained file: ECharts (`src/tongchou/web/static/echarts.min.js`, built by
`scripts/build-assets.sh`) is inlined when the document has a chart, and nothing loads from the network.
Decimals are written to JSON as their own digits, never through float. See docs/documents.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any, Literal, Union

ECHARTS_PATH = Path(__file__).parent / "web" / "static" / "echarts.min.js"

NoticeLevel = Literal["info", "warning", "alert"]
NOTICE_LABELS: dict[str, str] = {"info": "", "warning": "注意", "alert": "预警"}


class AssetMissingError(RuntimeError):
    """A front-end asset the HTML page inlines has not been built."""


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class DocumentMeta:
    """What the document covers. Empty or None values are not shown; `fields` are further label/value
    pairs a reader needs (机构名称, 清算规则 …), shown after the standard ones in their order."""

    region: str = ""
    county: str | None = None
    period: str = ""
    generated_at: str | None = None
    source: str = ""
    scheme: str | None = None
    fields: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple((str(label), str(value)) for label, value in self.fields))

    def pairs(self) -> list[tuple[str, str]]:
        """The label/value lines a reader sees, in order."""
        standard = [("统筹区", self.region), ("区县", self.county), ("险种", self.scheme), ("期间", self.period)]
        closing = [("数据来源", self.source), ("生成时间", self.generated_at)]
        return ([(label, value) for label, value in standard if value] + list(self.fields)
                + [(label, value) for label, value in closing if value])


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    unit: str = ""


@dataclass(frozen=True)
class KeyFigures:
    figures: tuple[KeyFigure, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "figures", tuple(self.figures))


@dataclass(frozen=True)
class Table:
    """A table of text cells. `numeric` marks the right-aligned columns; left as None, a column is numeric
    when every filled cell is a number, a percentage or '—'."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(str(c) for c in self.columns))
        object.__setattr__(self, "rows", tuple(tuple(str(cell) for cell in row) for row in self.rows))
        if self.numeric is None:
            object.__setattr__(self, "numeric", tuple(_looks_numeric(self.rows, i) for i in range(len(self.columns))))
        else:
            object.__setattr__(self, "numeric", tuple(self.numeric))


@dataclass(frozen=True)
class Chart:
    """An ECharts chart: `option` is the ECharts option (Decimals allowed). Markdown leaves charts out; the
    figures they draw belong in a table beside them."""

    title: str
    option: Mapping[str, Any]
    height: int = 400


@dataclass(frozen=True)
class Notice:
    level: NoticeLevel
    text: str

    def __post_init__(self) -> None:
        if self.level not in NOTICE_LABELS:
            raise ValueError(f"unknown notice level {self.level!r}")


Block = Union[Paragraph, KeyFigures, Table, Chart, Notice]


@dataclass(frozen=True)
class Section:
    """A titled part of the document; an empty heading (a one-table statement) shows no title."""

    heading: str
    blocks: tuple[Block, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", tuple(self.blocks))


@dataclass(frozen=True)
class Document:
    """`payload` holds the same figures for programs; `to_json` writes each of its keys at the top level
    beside title, meta and sections (e.g. clearing's `data` and `entries`)."""

    title: str
    meta: DocumentMeta
    sections: tuple[Section, ...]
    subtitle: str = ""
    footer: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sections", tuple(self.sections))

    def charts(self) -> list[Chart]:
        return [block for section in self.sections for block in section.blocks if isinstance(block, Chart)]


_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?%?$")


def _looks_numeric(rows: Iterable[Sequence[str]], index: int) -> bool:
    cells = [row[index] for row in rows if index < len(row) and row[index] not in ("", "—")]
    return bool(cells) and all(_NUMBER.match(cell) for cell in cells)


# --------------------------------------------------------------------------- JSON


_DECIMAL_TOKEN = re.compile(r'"\\u0000([-0-9.]+)"')


def _decimal_token(value: Any) -> str:
    if isinstance(value, Decimal) and value.is_finite():
        return "\0" + format(value, "f")
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def json_text(value: Any, indent: int | None = 2) -> str:
    """JSON text in which a Decimal is written as a number with its own digits (no float on the way)."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, default=_decimal_token)
    return _DECIMAL_TOKEN.sub(lambda match: "0" if match.group(1) in ("-0", "-0.0") else match.group(1), text)


def block_json(block: Block) -> dict[str, Any]:
    if isinstance(block, Paragraph):
        return {"kind": "paragraph", "text": block.text}
    if isinstance(block, KeyFigures):
        return {"kind": "key_figures",
                "figures": [{"label": f.label, "value": f.value, "unit": f.unit} for f in block.figures]}
    if isinstance(block, Table):
        return {"kind": "table", "caption": block.caption, "columns": list(block.columns),
                "rows": [list(row) for row in block.rows], "numeric": list(block.numeric or ())}
    if isinstance(block, Chart):
        return {"kind": "chart", "title": block.title, "option": dict(block.option), "height": block.height}
    return {"kind": "notice", "level": block.level, "text": block.text}


def to_json(doc: Document) -> dict[str, Any]:
    """`meta` is the label/value lines a reader sees; `context` the same facts under English keys."""
    m = doc.meta
    result: dict[str, Any] = {
        "title": doc.title,
        "meta": [[label, value] for label, value in m.pairs()],
        "context": {"region": m.region or None, "county": m.county, "period": m.period or None,
                    "generated_at": m.generated_at, "source": m.source or None, "scheme": m.scheme},
        "sections": [{"title": s.heading, "blocks": [block_json(b) for b in s.blocks]} for s in doc.sections],
    }
    if doc.subtitle:
        result["subtitle"] = doc.subtitle
    if doc.footer:
        result["footer"] = doc.footer
    return {**result, **doc.payload}


STANDARD_KEYS = ("title", "meta", "context", "sections", "subtitle", "footer")
_CONTEXT_LABELS = {"统筹区", "区县", "险种", "期间", "数据来源", "生成时间"}


def _block_of(data: Mapping[str, Any]) -> Block:
    kind = data["kind"]
    if kind == "paragraph":
        return Paragraph(data["text"])
    if kind == "key_figures":
        return KeyFigures(tuple(KeyFigure(f["label"], f["value"], f.get("unit", "")) for f in data["figures"]))
    if kind == "table":
        return Table(data.get("caption", ""), data["columns"], data["rows"], data.get("numeric"))
    if kind == "chart":
        return Chart(data["title"], data["option"], int(data.get("height", 400)))
    if kind == "notice":
        return Notice(data["level"], data["text"])
    raise ValueError(f"unknown block kind {kind!r}")


def _section_of(data: Mapping[str, Any]) -> Section:
    if "blocks" in data:
        return Section(data["title"], tuple(_block_of(b) for b in data["blocks"]))
    # a section stored before this model: one titled table and an optional note
    table = Table("", data["columns"], data["rows"])
    return Section(data["title"], (table, Notice("info", data["note"])) if data.get("note") else (table,))


def from_json(data: Mapping[str, Any]) -> Document:
    """The document `to_json` wrote (e.g. kept in the store); keys beside the standard ones are the payload."""
    context = data.get("context") or {}
    fields = tuple((label, value) for label, value in data.get("meta", []) if label not in _CONTEXT_LABELS
                   or not context)
    meta = DocumentMeta(context.get("region") or "", context.get("county"), context.get("period") or "",
                        context.get("generated_at"), context.get("source") or "", context.get("scheme"), fields)
    return Document(data["title"], meta, tuple(_section_of(s) for s in data.get("sections", [])),
                    data.get("subtitle", ""), data.get("footer", ""),
                    {key: value for key, value in data.items() if key not in STANDARD_KEYS})


# --------------------------------------------------------------------------- Markdown


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(table: Table) -> list[str]:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(_md_cell(cell) for cell in cells) + " |"

    alignment = ["---:" if numeric else "---" for numeric in table.numeric or ()]
    caption = [f"**{table.caption}**", ""] if table.caption else []
    return [*caption, line(table.columns), "| " + " | ".join(alignment) + " |", *(line(row) for row in table.rows)]


def markdown_block(block: Block) -> list[str]:
    if isinstance(block, Paragraph):
        return [block.text]
    if isinstance(block, KeyFigures):
        return [f"- {f.label}：{f.value}{f.unit}" for f in block.figures]
    if isinstance(block, Table):
        return markdown_table(block)
    if isinstance(block, Chart):
        return []
    label = NOTICE_LABELS[block.level]
    return [f"> **{label}：**{block.text}" if label else f"> {block.text}"]


def to_markdown(doc: Document) -> str:
    lines = [f"# {doc.title}", ""]
    if doc.subtitle:
        lines += [doc.subtitle, ""]
    pairs = doc.meta.pairs()
    if pairs:
        lines += [*(f"- {label}：{value}" for label, value in pairs), ""]
    for section in doc.sections:
        if section.heading:
            lines += [f"## {section.heading}", ""]
        for block in section.blocks:
            rendered = markdown_block(block)
            if rendered:
                lines += [*rendered, ""]
    if doc.footer:
        lines += [doc.footer, ""]
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------- HTML


def load_echarts(path: Path | None = None) -> str:
    """The ECharts build to inline (ECHARTS_PATH unless told otherwise)."""
    path = path or ECHARTS_PATH
    if not path.is_file():
        raise AssetMissingError(
            f"the HTML page inlines ECharts but {path} is missing: run `bash scripts/build-assets.sh` "
            "(npm ci + copy from node_modules/echarts/dist) in the repository first"
        )
    return path.read_text(encoding="utf-8")


def inline_script(text: str) -> str:
    """Script text safe inside <script>…</script>: no closing tag can appear in it."""
    return text.replace("</", "<\\/")


STYLE = """
body { font-family: "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; margin: 0; background: #f5f6f8;
       color: #222; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { font-size: 24px; text-align: center; margin: 8px 0; }
.subtitle { text-align: center; color: #666; font-size: 13px; margin-bottom: 16px; }
dl.meta, dl.figures { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }
dl.meta dt, dl.figures dt { font-weight: bold; }
h2 { font-size: 18px; border-left: 4px solid #c23531; padding-left: 8px; margin-top: 32px; }
p { line-height: 1.9; }
table { border-collapse: collapse; width: 100%; margin: 12px 0 20px; font-size: 13px; }
caption { font-weight: bold; padding: 6px; }
th, td { border: 1px solid #ccc; padding: 5px 8px; text-align: left; }
th { background: #f0f2f5; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.chart { width: 100%; margin: 16px 0; }
.notice { padding: 6px 12px; border-left: 4px solid #999; color: #555; font-size: .9em; }
.notice-warning { border-color: #d48265; color: #8a4b2a; }
.notice-alert { border-color: #c23531; color: #c23531; font-weight: bold; }
footer { color: #888; font-size: 12px; margin-top: 32px; text-align: center; }
@media print { body { background: #fff; } main { padding: 0; } }
"""


NUMERIC_CLASS = ' class="num"'


def html_table(table: Table) -> str:
    numeric = table.numeric or ()

    def cells(tag: str, row: Sequence[str]) -> str:
        return "".join(f"<{tag}{NUMERIC_CLASS if index < len(numeric) and numeric[index] else ''}>"
                       f"{escape(cell)}</{tag}>" for index, cell in enumerate(row))

    caption = f"<caption>{escape(table.caption)}</caption>" if table.caption else ""
    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in table.rows)
    return f"<table>{caption}<thead><tr>{cells('th', table.columns)}</tr></thead><tbody>{body}</tbody></table>"


def html_block(block: Block, chart_ids: Mapping[int, str]) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, KeyFigures):
        items = "".join(f"<dt>{escape(f.label)}</dt><dd>{escape(f.value)}{escape(f.unit)}</dd>" for f in block.figures)
        return f'<dl class="figures">{items}</dl>'
    if isinstance(block, Table):
        return html_table(block)
    if isinstance(block, Chart):
        return (f'<div class="chart" id="{chart_ids[id(block)]}" style="height:{int(block.height)}px" role="img" '
                f'aria-label="{escape(block.title)}"></div>')
    label = NOTICE_LABELS[block.level]
    return f'<p class="notice notice-{block.level}">{escape(label + "：") if label else ""}{escape(block.text)}</p>'


def _chart_option(chart: Chart) -> dict[str, Any]:
    option = dict(chart.option)
    option.setdefault("title", {"text": chart.title, "left": "center"})
    return option


def _chart_script(charts: Sequence[Chart], chart_ids: Mapping[int, str]) -> str:
    options = ",\n".join(f'  "{chart_ids[id(c)]}": {json_text(_chart_option(c), indent=None)}' for c in charts)
    return ("(function () {\n var charts = {\n" + options + "\n };\n"
            " Object.keys(charts).forEach(function (id) {\n"
            "  var chart = echarts.init(document.getElementById(id));\n"
            "  chart.setOption(charts[id]);\n"
            "  window.addEventListener(\"resize\", function () { chart.resize(); });\n });\n})();")


def to_html(doc: Document, echarts_path: Path | None = None) -> str:
    """One self-contained page; ECharts is read (and must exist) only when the document has a chart."""
    charts = doc.charts()
    chart_ids = {id(chart): f"chart-{number}" for number, chart in enumerate(charts, start=1)}
    parts = [f"<h1>{escape(doc.title)}</h1>"]
    if doc.subtitle:
        parts.append(f'<div class="subtitle">{escape(doc.subtitle)}</div>')
    pairs = doc.meta.pairs()
    if pairs:
        parts.append('<dl class="meta">' + "".join(f"<dt>{escape(label)}</dt><dd>{escape(value)}</dd>"
                                                  for label, value in pairs) + "</dl>")
    for section in doc.sections:
        blocks = "\n".join(html_block(block, chart_ids) for block in section.blocks)
        heading = f"<h2>{escape(section.heading)}</h2>\n" if section.heading else ""
        parts.append(f"<section>\n{heading}{blocks}\n</section>")
    if doc.footer:
        parts.append(f"<footer>{escape(doc.footer)}</footer>")
    scripts = ""
    if charts:
        scripts = (f"<script>{inline_script(load_echarts(echarts_path))}</script>\n"
                   f"<script>{inline_script(_chart_script(charts, chart_ids))}</script>\n")
    data = inline_script(json_text(to_json(doc), indent=None))
    return ('<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(doc.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(parts) + "\n</main>\n"
            + f'<script type="application/json" id="document-data">{data}</script>\n'
            + scripts + "</body>\n</html>\n")


def to_json_text(doc: Document) -> str:
    return json_text(to_json(doc)) + "\n"


RENDERERS = {"md": to_markdown, "html": to_html, "json": to_json_text}
FORMATS = tuple(RENDERERS)


def render(doc: Document, fmt: str) -> str:
    """The document in one of FORMATS (md, html, json)."""
    return RENDERERS[fmt](doc)


# ---------------------------------------------------------------- chart axes readable at 1366×768

CHART_WIDTH = 520      # px: a chart in the two-column grid at 1366×768
CHAR_WIDTH = 13        # px: a CJK character of the axis font (12px)


def label_rotation(categories: list[str], width: int = CHART_WIDTH) -> int:
    """0 when the labels fit side by side, else the angle that lets them pass (30° or 45°)."""
    if not categories:
        return 0
    room = width / len(categories)
    longest = max(text_width(c) for c in categories)
    if longest <= room:
        return 0
    return 30 if longest <= room * 2 else 45


def text_width(text: str) -> int:
    return sum(CHAR_WIDTH if ord(ch) > 0x2E80 else CHAR_WIDTH // 2 + 1 for ch in text)


def category_axis(categories: list[str], *, horizontal: bool = False, width: int = CHART_WIDTH) -> dict[str, Any]:
    """Every label shown, turned when needed; on a horizontal chart the first category on top (reading order)."""
    rotate = 0 if horizontal else label_rotation(categories, width)
    return {"type": "category", "data": categories, "inverse": horizontal,
            "axisLabel": {"interval": 0, "rotate": rotate, "hideOverlap": False},
            "axisTick": {"alignWithLabel": True}}

"""Batch files as a bureau receives them: CSV or XLSX in, the refused rows back out in the same format.

`read_sheet(filename, content)` gives the header and the rows (each with its line number as a person sees it
in the file: the header is line 1) of

- a CSV in UTF-8 (with or without BOM) or, failing that, GB18030 — what Excel on a Chinese desktop saves;
- an XLSX workbook's first sheet (openpyxl, read-only, values not formulas).

Every cell is text, stripped: an XLSX number that is whole is written without ".0" (an ID number or a
credit code typed as a number would have lost digits already — those are refused by their own rule), a date
as YYYY-MM-DD. Fully blank rows are skipped. A file that is neither is refused naming the file (`file`).

`write_sheet(header, rows, fmt)` writes rows back as CSV (UTF-8 with BOM, so that Excel opens it) or XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Mapping, Sequence

from tongchou.errors import InvalidRequest

MAX_ROWS = 100_000
XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class SheetRow:
    line: int  # the row's number in the file, the header being 1
    values: dict[str, str]


@dataclass(frozen=True)
class Sheet:
    fmt: str  # "csv" or "xlsx"
    header: tuple[str, ...]
    rows: tuple[SheetRow, ...]


def sheet_format(filename: str, content: bytes) -> str:
    """"xlsx" or "csv", from the content first (a renamed file still reads), then the name."""
    if content.startswith(XLSX_MAGIC):
        return "xlsx"
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise InvalidRequest("file", f"文件“{filename}”不是有效的Excel（.xlsx）文件。")
    if filename.lower().endswith(".xls"):
        raise InvalidRequest("file", f"不支持旧版Excel（.xls）文件“{filename}”，请另存为.xlsx或CSV后上传。")
    return "csv"


def read_sheet(filename: str, content: bytes) -> Sheet:
    if not content.strip():
        raise InvalidRequest("file", f"文件“{filename or '（未命名）'}”是空的。")
    fmt = sheet_format(filename, content)
    grid = _xlsx_grid(filename, content) if fmt == "xlsx" else _csv_grid(filename, content)
    return _sheet(filename, fmt, grid)


def _csv_grid(filename: str, content: bytes) -> list[tuple[int, list[str]]]:
    text = _decode(filename, content)
    try:
        return [(number, row) for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)]
    except csv.Error as exc:
        raise InvalidRequest("file", f"文件“{filename}”不是有效的CSV：{exc}。") from None


def _decode(filename: str, content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidRequest("file", f"文件“{filename}”的编码无法识别，请保存为UTF-8或GB18030编码的CSV。")


def _xlsx_grid(filename: str, content: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # imported here: only batch uploads need it
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 — openpyxl raises many types for a damaged file; all mean the same here
        raise InvalidRequest("file", f"文件“{filename}”不是有效的Excel（.xlsx）文件。") from None
    try:
        sheet = book.worksheets[0]
        return [(number, [_cell_text(value) for value in row])
                for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        exact = Decimal(repr(value))
        return str(int(exact)) if exact == exact.to_integral_value() else format(exact.normalize(), "f")
    return str(value).strip()


def _sheet(filename: str, fmt: str, grid: list[tuple[int, list[str]]]) -> Sheet:
    lines = [(number, [cell.strip() for cell in cells]) for number, cells in grid]
    lines = [(number, cells) for number, cells in lines if any(cells)]
    if not lines:
        raise InvalidRequest("file", f"文件“{filename}”没有表头行。")
    header_line, header_cells = lines[0]
    header = _header(filename, header_cells)
    body = lines[1:]
    if len(body) > MAX_ROWS:
        raise InvalidRequest("file", f"文件“{filename}”有{len(body):,}行，一次最多导入{MAX_ROWS:,}行，请分批上传。")
    rows = tuple(SheetRow(number, {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header)})
                 for number, cells in body)
    return Sheet(fmt, header, rows)


def _header(filename: str, cells: list[str]) -> tuple[str, ...]:
    while cells and not cells[-1]:
        cells = cells[:-1]
    if any(not cell for cell in cells):
        raise InvalidRequest("file", f"文件“{filename}”的表头第{cells.index('') + 1}列为空。")
    seen = [cell for i, cell in enumerate(cells) if cell in cells[:i]]
    if seen:
        raise InvalidRequest("file", f"文件“{filename}”的表头“{seen[0]}”出现了两次。")
    return tuple(cells)


def column_map(header: Sequence[str], columns: Mapping[str, str], *, required: Iterable[str],
               filename: str = "") -> dict[str, str]:
    """Map each known column (code → Chinese label) to the header cell naming it by code or by label.
    A required column that is missing is refused naming it; unknown header cells are ignored."""
    found: dict[str, str] = {}
    for code, label in columns.items():
        for cell in header:
            if cell in (code, label):
                found[code] = cell
                break
    missing = [code for code in required if code not in found]
    if missing:
        names = "、".join(f"“{columns[code]}”（{code}）" for code in missing)
        raise InvalidRequest("file", f"批量文件{('“' + filename + '”') if filename else ''}缺少{names}列。")
    return found


def write_sheet(header: Sequence[str], rows: Iterable[Sequence[object]], fmt: str) -> bytes:
    """The rows under the header as CSV (UTF-8 with BOM) or XLSX; cells written as text."""
    if fmt == "xlsx":
        return _xlsx_bytes(header, rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([("" if cell is None else str(cell)) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def _xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    from openpyxl import Workbook
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    sheet.append(list(header))
    for row in rows:
        sheet.append(["" if cell is None else str(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def media_type(fmt: str) -> str:
    return ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
            else "text/csv; charset=utf-8")

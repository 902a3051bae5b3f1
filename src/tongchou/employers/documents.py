"""What the employers package reads and renders: the batch files (the declaration batch and the tax bureau's
collection batch, CSV or XLSX through `tongchou.sheets`, columns named by code or Chinese label), the errors
file of a batch in the format it came in, and the late-fee notice."""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from tongchou import sheets
from tongchou.enrolment.rules import date_text
from tongchou.money import fen_to_str, yuan_text

ERROR_COLUMNS = ("错误列", "错误")
DECLARATION_LABELS = {"employer": "统一社会信用代码", "psn_no": "个人编号", "month": "费款所属期", "wage": "申报工资"}
COLLECTION_LABELS = {"employer": "统一社会信用代码", "psn_no": "个人编号", "month": "费款所属期",
                     "employer_part": "单位缴费", "individual_part": "个人缴费", "late_fee": "滞纳金",
                     "paid_on": "缴费日期"}
COLLECTION_REQUIRED = ("employer", "psn_no", "month", "employer_part", "individual_part", "paid_on")
LABELS = {**DECLARATION_LABELS, **COLLECTION_LABELS}


def batch_rows(sheet: sheets.Sheet, labels: Mapping[str, str], required: Iterable[str],
               filename: str = "") -> tuple[dict[str, str], list[sheets.SheetRow]]:
    """(code → the header cell naming it, the rows keyed by code with their line in the file); a required
    column missing is refused naming it (`file`)."""
    found = sheets.column_map(sheet.header, labels, required=required, filename=filename)
    return found, [sheets.SheetRow(row.line, {code: row.values.get(cell, "") for code, cell in found.items()})
                   for row in sheet.rows]


def column_label(code: str, found: Mapping[str, str] | None = None) -> str:
    """The column a clerk sees: as the file names it, else its Chinese label."""
    return (found or {}).get(code) or LABELS.get(code, code or "—")


def errors_sheet(sheet: sheets.Sheet, found: Mapping[str, str], errors: Iterable) -> bytes:
    """The refused rows as received (every column of the file), each with 行号, the column at fault as the
    file names it and the reason, in the format the batch came in."""
    by_line = {row.line: row for row in sheet.rows}
    rows = []
    for error in errors:
        original = by_line.get(error.row)
        cells = [original.values.get(cell, "") for cell in sheet.header] if original else \
            [error.raw.get(cell, "") for cell in sheet.header]
        rows.append([error.row, *cells, column_label(error.column, found), error.message])
    return sheets.write_sheet(["行号", *sheet.header, *ERROR_COLUMNS], rows, sheet.fmt)


def late_fee_notice(employer: str, name: str, as_of, arrears: Sequence) -> str:
    """滞纳金计算单: each month in arrears, its days and fee, and the total the tax bureau collects."""
    lines = [f"用人单位滞纳金计算单：{name}（{employer}），计算至{date_text(as_of)}",
             "依据：《社会保险法》第八十六条，自欠缴之日起按日加收万分之五；滞纳金由单位承担，不由职工个人承担。"]
    for item in arrears:
        d = item.declaration
        lines.append(f"{d.month} 参保人{d.psn_no} 欠缴{fen_to_str(item.unpaid)}元 截止日{date_text(d.due_on)} "
                     f"欠缴{item.days}天 滞纳金{fen_to_str(item.late_fee)}元")
    total = sum(item.late_fee for item in arrears)
    unpaid = sum(item.unpaid for item in arrears)
    lines.append(f"合计：欠缴{yuan_text(unpaid)}，滞纳金{yuan_text(total)}。")
    return "\n".join(lines)

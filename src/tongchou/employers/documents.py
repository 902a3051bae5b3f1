"""What the employers package renders: the errors file of a declaration batch and the late-fee notice."""

from __future__ import annotations

import csv
import io
from typing import Iterable, Sequence

from tongchou.enrolment.rules import date_text
from tongchou.money import fen_to_str, yuan_text

ERROR_COLUMNS = ("错误列", "错误")


def errors_csv(columns: Sequence[str], errors: Iterable) -> str:
    """The bad rows as received, each with the column at fault and the reason: correct and send again."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["行号", *columns, *ERROR_COLUMNS])
    for error in errors:
        writer.writerow([error.row, *(error.raw.get(column, "") for column in columns), error.column, error.message])
    return out.getvalue()


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

"""What the filings package renders: the list of filings to renew at the year end (CSV with Chinese headers,
as a county branch opens it in Excel) and the lines of an application as the command line prints them."""

from __future__ import annotations

import csv
import io
from typing import Iterable

from tongchou.enrolment.rules import date_text
from tongchou.filings.rules import KINDS

RENEWAL_COLUMNS = ("个人编号", "姓名", "区县", "备案类型", "病种", "有效期起", "有效期止", "状态", "续办情况")


def renewal_status(view) -> str:
    """年底到期 / 已于2018年6月30日到期 / 将于次年1月20日到期（还有20天）."""
    r = view.renewal
    end = r.filing.valid_to
    if r.days_left == 0:
        return "年底到期"
    if r.lapsed:
        return f"已于{date_text(end)}到期"
    return f"将于次年{end.month}月{end.day}日到期（还有{r.days_left}天）"


def renewal_rows(views: Iterable) -> list[list[str]]:
    rows = []
    for v in views:
        f = v.renewal.filing
        rows.append([f.psn_no, v.name, v.county_name or v.county, KINDS.get(f.kind, f.kind), v.dise_name,
                     f.valid_from.isoformat(), f.valid_to.isoformat() if f.valid_to else "长期",
                     renewal_status(v), "已重新申报，待审批" if v.pending else "须到乡镇卫生院重新申报"])
    return rows


def renewal_csv(views: Iterable) -> str:
    """The renewal list as CSV (the caller adds the BOM so that Excel reads it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(RENEWAL_COLUMNS)
    writer.writerows(renewal_rows(views))
    return out.getvalue()


def application_line(a) -> str:
    decided = ""
    if a.state == "approved":
        decided = f"，{date_text(a.decided_on)}由{a.decided_by}审批通过，有效期{a.valid_from}至{a.valid_to}"
    elif a.state == "rejected":
        decided = f"，{date_text(a.decided_on)}由{a.decided_by}驳回：{a.reason}"
    return (f"第{a.id}号 {a.psn_no} {a.name} {a.dise_name} {a.window} {date_text(a.received_on)}于{a.received_at_name}"
            f"由{a.received_by}受理 【{a.state_label}】{decided}")

"""Reconciliation with an institution (3201 totals, 3202 details) and the files of 9101/9102.

The period is the settlement time (结算时间, the day the settlement was committed, Beijing time),
from `stmt_begndate` to `stmt_enddate` inclusive. A settlement counts while it is not cancelled
(撤销 or 冲正); with `refd_setl_flag` "1", 3201 counts the cancelled ones instead. `clr_type`
selects settlements by clearing category (11 outpatient, 21 inpatient, 41 pharmacy).

The detail file of 3202 (uploaded with 9101, base64 in `in`, plain or zipped — one file in the zip) is
CSV — comma or tab separated,
with or without a header — of `setl_id, mdtrt_id, psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay,
refd_setl_flag`, or a JSON array of objects with those keys. The result (downloaded with 9102)
is a CSV that lists every difference: settlements whose amounts differ, settlements the
institution has that the centre has not (and the other way round), and differing totals.
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongchou.api import answers
from tongchou.api.envelope import now_local
from tongchou.money import MoneyError, fen_to_str, to_fen
from tongchou.store import models as m
from tongchou.errors import InvalidRequest, NotFound

DETAIL_COLUMNS = ("setl_id", "mdtrt_id", "psn_no", "medfee_sumamt", "fund_pay_sumamt", "acct_pay", "refd_setl_flag")
DOWNLOAD_DAYS = 7
MAX_FILE_BYTES = 768 * 1024
LABELS = {"medfee_sumamt": "医疗费总额", "fund_pay_sumamt": "基金支付总额", "acct_pay": "个人账户支出",
          "cash_payamt": "现金支付金额", "fixmedins_setl_cnt": "结算笔数", "refd_setl_flag": "退费结算标志"}


@dataclass(frozen=True)
class Row:
    setl_id: str
    mdtrt_id: str
    psn_no: str
    medfee_sumamt: int
    fund_pay_sumamt: int
    acct_pay: int
    psn_cash_pay: int
    cancelled: bool


def _local_day(moment: dt.datetime) -> dt.date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(now_local().tzinfo).date()


def centre_rows(session: Session, code: str, begin: dt.date, end: dt.date, *, insutype: str | None = None,
                clr_type: str | None = None) -> list[Row]:
    if end < begin:
        raise InvalidRequest("stmt_enddate", "对账结束日期早于开始日期。")
    query = select(m.Settlement).where(m.Settlement.fixmedins_code == code)
    if insutype:
        query = query.where(m.Settlement.insutype == insutype)
    cancelled = set(session.execute(select(m.SettlementCancellation.setl_id).join(
        m.Settlement, m.Settlement.setl_id == m.SettlementCancellation.setl_id).where(
        m.Settlement.fixmedins_code == code)).scalars())
    rows = []
    for s in session.execute(query.order_by(m.Settlement.id)).scalars():
        if not begin <= _local_day(s.created_at) <= end:
            continue
        if clr_type and answers.clr_type(s.med_type) != clr_type:
            continue
        rows.append(Row(s.setl_id, s.mdtrt_id, s.psn_no, s.medfee_sumamt, s.fund_pay_sumamt, s.acct_pay,
                        s.psn_cash_pay, s.setl_id in cancelled))
    return rows


def _differences(sent: dict[str, int], ours: dict[str, int]) -> list[str]:
    return [f"{name}（{LABELS[name]}）机构 {_shown(name, sent[name])}，中心 {_shown(name, ours[name])}"
            for name in sent if sent[name] != ours[name]]


def _shown(name: str, value: int) -> str:
    return str(value) if name == "fixmedins_setl_cnt" else f"{fen_to_str(value)} 元"


# ---------------------------------------------------------------- 3201

def totals(session: Session, code: str, data: Any) -> dict[str, Any]:
    refunds = data.refd_setl_flag == "1"
    rows = [r for r in centre_rows(session, code, data.stmt_begndate, data.stmt_enddate, insutype=data.insutype,
                                   clr_type=data.clr_type) if r.cancelled == refunds]
    ours = {"medfee_sumamt": sum(r.medfee_sumamt for r in rows), "fund_pay_sumamt": sum(r.fund_pay_sumamt for r in rows),
            "acct_pay": sum(r.acct_pay for r in rows), "fixmedins_setl_cnt": len(rows)}
    sent = {"medfee_sumamt": data.medfee_sumamt, "fund_pay_sumamt": data.fund_pay_sumamt, "acct_pay": data.acct_pay,
            "fixmedins_setl_cnt": data.fixmedins_setl_cnt}
    differences = _differences(sent, ours)
    return {"setl_optins": data.setl_optins, "stmt_rslt": "1" if differences else "0",
            "stmt_rslt_dscr": ("对账不平：" + "；".join(differences))[:200] if differences else "对账一致"}


# ---------------------------------------------------------------- 9101 / 9102

def _file_no() -> str:
    return f"F{now_local():%Y%m%d%H%M%S}{uuid.uuid4().hex[:15]}"


def _deadline() -> dt.datetime:
    return (now_local() + dt.timedelta(days=DOWNLOAD_DAYS)).replace(tzinfo=None, microsecond=0)


def store_upload(session: Session, code: str, filename: str, content_b64: str) -> dict[str, Any]:
    try:
        content = base64.b64decode(content_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest("fsUploadIn.in", "文件内容应为 base64 编码。") from None
    if len(content) > MAX_FILE_BYTES:
        raise InvalidRequest("fsUploadIn.in", f"文件超过 {MAX_FILE_BYTES // 1024} KiB。")
    return save_file(session, code, filename, "upload", content)


def save_file(session: Session, code: str, filename: str, kind: str, content: bytes) -> dict[str, Any]:
    row = m.ApiFile(file_qury_no=_file_no(), fixmedins_code=code, filename=filename[:200], kind=kind,
                    content=content, dld_endtime=_deadline())
    session.add(row)
    session.flush()
    return {"file_qury_no": row.file_qury_no, "filename": row.filename, "dld_endtime": answers.dt_text(row.dld_endtime)}


def _own_file(session: Session, code: str, file_qury_no: str, field: str) -> m.ApiFile:
    row = session.get(m.ApiFile, file_qury_no)
    if row is None or row.fixmedins_code != code:  # another institution's file is simply not there
        raise NotFound(field, f"文件查询号{file_qury_no}不存在。")
    if row.dld_endtime < now_local().replace(tzinfo=None):
        raise NotFound(field, f"文件查询号{file_qury_no}已过下载截止时间。")
    return row


def download(session: Session, code: str, file_qury_no: str) -> dict[str, Any]:
    row = _own_file(session, code, file_qury_no, "file_qury_no")
    return {"file_qury_no": row.file_qury_no, "filename": row.filename,
            "dld_endtime": answers.dt_text(row.dld_endtime), "file": base64.b64encode(row.content).decode("ascii")}


# ---------------------------------------------------------------- 3202

ZIP_MAGIC = b"PK\x03\x04"
MAX_UNZIPPED_BYTES = 16 * 1024 * 1024


def unzipped(content: bytes) -> bytes:
    """A zipped detail file (9101 uploads are zip files in practice): its one file; else the content as is."""
    if not content.startswith(ZIP_MAGIC):
        return content
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if len(members) != 1:
                raise ValueError("zip 文件应只含一个明细文件")
            if members[0].file_size > MAX_UNZIPPED_BYTES:
                raise ValueError(f"解压后超过 {MAX_UNZIPPED_BYTES // 1024 // 1024} MiB")
            with archive.open(members[0]) as member:
                data = member.read(MAX_UNZIPPED_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError):
        raise ValueError("zip 文件已损坏或已加密") from None
    if len(data) > MAX_UNZIPPED_BYTES:
        raise ValueError(f"解压后超过 {MAX_UNZIPPED_BYTES // 1024 // 1024} MiB")
    return data


def parse_detail_file(content: bytes) -> list[dict[str, Any]]:
    """The rows of a detail file: CSV (comma or tab) or a JSON array, plain or as the one file of a zip."""
    text = unzipped(content).decode("utf-8-sig", errors="strict").strip()
    if not text:
        return []
    if text.startswith("["):
        rows = json.loads(text)
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError("JSON 明细文件应为对象数组")
        return [{k: str(v) if v is not None else "" for k, v in r.items()} for r in rows]
    delimiter = "\t" if "\t" in text.splitlines()[0] else ","
    reader = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if reader and reader[0] and reader[0][0].strip() == "setl_id":
        header, body = [h.strip() for h in reader[0]], reader[1:]
    else:
        header, body = list(DETAIL_COLUMNS), reader
    return [dict(zip(header, (c.strip() for c in cells))) for cells in body if any(c.strip() for c in cells)]


def details(session: Session, code: str, data: Any) -> dict[str, Any]:
    upload = _own_file(session, code, data.file_qury_no, "file_qury_no")
    try:
        sent = parse_detail_file(upload.content)
    except (ValueError, UnicodeDecodeError, csv.Error, RecursionError) as exc:
        raise InvalidRequest("file_qury_no", f"对账明细文件无法读取：{exc}") from None
    centre = {r.setl_id: r for r in centre_rows(session, code, data.stmt_begndate, data.stmt_enddate,
                                                clr_type=data.clr_type)}
    lines = _detail_lines(sent, centre) + _total_lines(data, centre.values())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("setl_id", "mdtrt_id", "psn_no", "stmt_rslt", "stmt_rslt_dscr"))
    writer.writerows(lines)
    result = save_file(session, code, f"stmt_result_{data.file_qury_no}.csv", "result", out.getvalue().encode("utf-8"))
    return result


def _amount(row: dict[str, Any], name: str, number: int) -> int:
    try:
        return to_fen(row.get(name) or "0")
    except MoneyError:
        raise InvalidRequest("file_qury_no", f"对账明细文件第{number}行 {name} 不是金额。") from None


def _detail_lines(sent: list[dict[str, Any]], centre: dict[str, Row]) -> list[tuple[str, ...]]:
    lines, seen = [], set()
    for number, row in enumerate(sent, start=1):
        setl_id = row.get("setl_id", "")
        seen.add(setl_id)
        ours = centre.get(setl_id)
        if ours is None:
            lines.append((setl_id, row.get("mdtrt_id", ""), row.get("psn_no", ""), "1", "中心无此结算记录（或不在对账期间）"))
            continue
        theirs = {name: _amount(row, name, number) for name in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")}
        mine = {"medfee_sumamt": ours.medfee_sumamt, "fund_pay_sumamt": ours.fund_pay_sumamt, "acct_pay": ours.acct_pay}
        problems = _differences(theirs, mine)
        flag = (row.get("refd_setl_flag") or "0").strip()
        if (flag == "1") != ours.cancelled:
            problems.append(f"refd_setl_flag（{LABELS['refd_setl_flag']}）机构 {flag}，中心 {'1' if ours.cancelled else '0'}")
        if problems:
            lines.append((setl_id, ours.mdtrt_id, ours.psn_no, "1", "；".join(problems)))
    for setl_id, ours in centre.items():
        if setl_id not in seen and not ours.cancelled:
            lines.append((setl_id, ours.mdtrt_id, ours.psn_no, "1", "机构明细中无此结算记录"))
    return lines


def _total_lines(data: Any, centre: Iterable[Row]) -> list[tuple[str, ...]]:
    active = [r for r in centre if not r.cancelled]
    ours = {"medfee_sumamt": sum(r.medfee_sumamt for r in active),
            "fund_pay_sumamt": sum(r.fund_pay_sumamt for r in active),
            "cash_payamt": sum(r.psn_cash_pay for r in active), "fixmedins_setl_cnt": len(active)}
    sent = {"medfee_sumamt": data.medfee_sumamt, "fund_pay_sumamt": data.fund_pay_sumamt,
            "cash_payamt": data.cash_payamt, "fixmedins_setl_cnt": data.fixmedins_setl_cnt}
    problems = _differences(sent, ours)
    return [("TOTAL", "", "", "1", "；".join(problems))] if problems else []

"""Bank payment files (代发) as pure rules: states, bank details, the batch file, the bank's return file.

A payment is money the funds owe a person — a manual reimbursement (零星报销) or an account payout
(个人账户支取) — paid through the bank's payroll service (代发) in a batch file. Its states:

    待发 pending ──(batched: the file is produced)──▶ 已发 sent ──(return file: 00)──▶ 成功 paid
                                                        └──(return file: a return code)──▶ 退回 returned

A returned payment is booked back (payable to the person again) and may be re-issued once, to corrected
bank details, as a new payment linked to it (`reissue_of`). Nothing here reads or writes a store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Iterable, Mapping, Sequence

from tongchou.errors import InvalidRequest
from tongchou.money import Fen, MoneyError, fen_to_str, to_fen

PENDING, SENT, PAID, RETURNED = "pending", "sent", "paid", "returned"
STATES = {PENDING: "待发", SENT: "已发", PAID: "成功", RETURNED: "退回"}

REIMBURSEMENT, ACCOUNT_PAYOUT = "reimbursement", "account_payout"
KINDS = {REIMBURSEMENT: "零星报销", ACCOUNT_PAYOUT: "个人账户支取"}

PAYOUT_REASONS = {  # why an account is paid out in cash, and to whom
    "death": "参保人死亡，余额由继承人领取",
    "emigration": "出国（境）定居，余额支付给本人",
}

SUCCESS = "00"
RETURN_CODES = {  # the bank's reasons for returning a payment, as Tongchou codes them
    "R01": "账号不存在",
    "R02": "账户已销户",
    "R03": "户名与账号不符",
    "R04": "账户冻结或止付",
    "R05": "账户状态异常（未激活、睡眠户）",
    "R99": "其他原因退回",
}
RESULT_CODES = {SUCCESS: "成功", **RETURN_CODES}

FILE_COLUMNS = ("批次号", "序号", "户名", "开户行", "账号", "金额", "用途", "业务编号")
RETURN_COLUMNS = {"batch_no": "批次号", "seq": "序号", "amount": "金额", "code": "结果代码", "note": "说明"}
TOTAL_MARK = "合计"

ACCOUNT_NO = re.compile(r"^\d{8,30}$")


# ---------------------------------------------------------------- bank details

@dataclass(frozen=True)
class BankDetails:
    payee_name: str  # 户名
    bank_name: str   # 开户行
    account_no: str  # 账号, digits only

    @property
    def masked(self) -> str:
        return mask_account(self.account_no)


def mask_account(account_no: str | None) -> str:
    """The first 4 and the last 4 digits: 6222021234567890123 → 6222***********0123."""
    if not account_no:
        return "—"
    if len(account_no) <= 8:
        return "*" * len(account_no)
    return account_no[:4] + "*" * (len(account_no) - 8) + account_no[-4:]


def bank_details(payee_name: str | None, bank_name: str | None, account_no: str | None) -> BankDetails:
    """Checked bank details; spaces and hyphens in the account number are dropped. Raises `InvalidRequest`
    naming the field (the first wrong one)."""
    name = (payee_name or "").strip()
    bank = (bank_name or "").strip()
    number = re.sub(r"[\s-]", "", account_no or "")
    if not name:
        raise InvalidRequest("payee_name", "户名不能为空。")
    if len(name) > 60:
        raise InvalidRequest("payee_name", "户名不能超过60个字符。")
    if not bank:
        raise InvalidRequest("bank_name", "开户行不能为空。")
    if len(bank) > 100:
        raise InvalidRequest("bank_name", "开户行不能超过100个字符。")
    if not number:
        raise InvalidRequest("account_no", "账号不能为空。")
    if not ACCOUNT_NO.match(number):
        raise InvalidRequest("account_no", "账号须为8至30位数字。")
    return BankDetails(name, bank, number)


# ---------------------------------------------------------------- the batch file

@dataclass(frozen=True)
class FileLine:
    """One payment as it goes into the batch file."""

    seq: int
    payee_name: str
    bank_name: str
    account_no: str
    amount: Fen
    purpose: str
    ref: str  # 业务编号: the settlement id of a reimbursement, the payout's number


def batch_total(lines: Iterable[FileLine]) -> tuple[int, Fen]:
    """(count, total in fen) of a batch."""
    lines = list(lines)
    return len(lines), sum(line.amount for line in lines)


def batch_rows(batch_no: str, lines: Sequence[FileLine]) -> list[tuple[str, ...]]:
    """The batch file's rows under `FILE_COLUMNS`, in 序号 order, then the 合计 row (count and total).
    Amounts in yuan with two decimals, no thousands separator; the account number in full."""
    ordered = sorted(lines, key=lambda line: line.seq)
    rows = [(batch_no, str(line.seq), line.payee_name, line.bank_name, line.account_no, fen_to_str(line.amount),
             line.purpose, line.ref) for line in ordered]
    count, total = batch_total(ordered)
    rows.append((batch_no, TOTAL_MARK, f"共{count}笔", "", "", fen_to_str(total), "", ""))
    return rows


def batch_number(county: str, day_text: str, ordinal: int) -> str:
    """DF + county + yyyymmdd + the day's batch ordinal (3 digits): DF37152520181231001."""
    return f"DF{county}{day_text}{ordinal:03d}"


# ---------------------------------------------------------------- the bank's return file

@dataclass(frozen=True)
class ReturnLine:
    line: int  # the line in the file (header = 1)
    batch_no: str
    seq: int
    amount: Fen
    code: str
    note: str

    @property
    def returned(self) -> bool:
        return self.code != SUCCESS


@dataclass(frozen=True)
class LineError:
    line: int
    column: str
    message: str


def return_line(line: int, values: Mapping[str, str]) -> ReturnLine:
    """A line of the return file (values by column code); `InvalidRequest` naming the column."""
    batch_no = (values.get("batch_no") or "").strip()
    if not batch_no:
        raise InvalidRequest("batch_no", "缺少批次号。")
    seq_text = (values.get("seq") or "").strip()
    if not seq_text.isdigit() or int(seq_text) < 1:
        raise InvalidRequest("seq", f"序号“{seq_text}”应为正整数。")
    amount_text = (values.get("amount") or "").strip().replace(",", "")
    try:
        if not amount_text or Decimal(amount_text) <= 0:
            raise InvalidOperation
        amount = to_fen(amount_text)
    except (InvalidOperation, MoneyError):
        raise InvalidRequest("amount", f"金额“{amount_text}”应为大于零的元金额，最多两位小数。") from None
    code = (values.get("code") or "").strip().upper()
    if code not in RESULT_CODES:
        codes = "、".join(f"{k}（{v}）" for k, v in RESULT_CODES.items())
        raise InvalidRequest("code", f"结果代码“{code}”不在代码表中，应为：{codes}。")
    return ReturnLine(line, batch_no, int(seq_text), amount, code, (values.get("note") or "").strip()[:200])


def match_return(line: ReturnLine, state: str, amount: Fen, return_code: str | None) -> str:
    """What a return line does to the payment it names: "paid", "returned", or "already" (the same result
    was booked before: skipped, never booked twice). `InvalidRequest` naming the column when it cannot apply."""
    if amount != line.amount:
        raise InvalidRequest("amount", f"金额{fen_to_str(line.amount)}与代发金额{fen_to_str(amount)}不符。")
    if state == PENDING:
        raise InvalidRequest("seq", "该笔尚未发出，不能处理回盘。")
    if state == SENT:
        return RETURNED if line.returned else PAID
    if state == PAID:
        if line.returned:
            raise InvalidRequest("code", "该笔已确认成功，不能再按退回处理；请与银行核实。")
        return "already"
    # returned
    if not line.returned:
        raise InvalidRequest("code", f"该笔已按“{RETURN_CODES.get(return_code or '', '退回')}”退回入账，"
                                     "不能再确认成功；请与银行核实。")
    return "already"

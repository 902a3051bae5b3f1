"""关系转移接续 (pure): the transfer of a person's insurance relationship out of the pool and into it.

- **Out (转出)**: the person must be registered, alive on the date, insured on it (an enrolment of either scheme
  covering the day) and not already transferred out since the last transfer in; the date is the last day
  covered here (every enrolment open on it ends on it, one beginning after it is cut to cover no day). The
  receiving pool is named by its 6-digit administrative division code (GB/T 2260: a province code 11–65, 71,
  81 or 82 in the first two digits) and its name, and is not this pool. The certificate (参保凭证) lists the
  person, the schemes with their periods and contributions by year (residents) or month (employees), the
  years recognised (total and continuous, `enrolment.years`) and the personal account balance paid out.
- **In (转入)**: from a certificate received — the sending pool, the scheme, the months recognised (total ≥
  continuous ≥ 0), the last day covered there, the account balance transferred (employees only) — the person
  (registered here) is enrolled from the first day here, which must come after the last day covered there.

Every refusal is a `RuleError(field, Chinese message)`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

from tongchou.codes import Insutype
from tongchou.enrolment.rules import RuleError, date_text, scheme_name
from tongchou.enrolment.years import years_text
from tongchou.money import Fen, MoneyError, fen_to_str, to_fen

PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50,
                       51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82})
CERTIFICATE_TITLE = "基本医疗保险参保凭证"
SCHEMES = (Insutype.EMPLOYEE, Insutype.RESIDENT)


# ---------------------------------------------------------------- the other pool

@dataclass(frozen=True)
class Pool:
    code: str
    name: str


def check_pool(code: str, name: str, own_pool: str, field: str = "to_pool") -> Pool:
    """The other pool: a 6-digit admdvs whose province exists, named, and not this pool."""
    code, name = (code or "").strip(), (name or "").strip()
    if len(code) != 6 or not code.isdigit():
        raise RuleError(field, f"统筹区代码“{code or '（空）'}”应为6位数字的行政区划代码。")
    if int(code[:2]) not in PROVINCES:
        raise RuleError(field, f"统筹区代码{code}的前两位{code[:2]}不是省级行政区划代码，未知的统筹区。")
    if code == own_pool:
        raise RuleError(field, f"统筹区{code}是本统筹区，不能办理跨统筹区转移（区县之间的转移请办理区县变更）。")
    if not name:
        raise RuleError(f"{field}_name", "统筹区名称不能为空。")
    if len(name) > 100:
        raise RuleError(f"{field}_name", "统筹区名称不能超过100个字。")
    return Pool(code, name)


# ---------------------------------------------------------------- out

@dataclass(frozen=True)
class CoverFact:
    id: int
    insutype: str
    start: dt.date
    end: dt.date | None


def check_transfer_out(psn_no: str, on: dt.date, covers: list[CoverFact], death_date: dt.date | None,
                       transferred_out_on: dt.date | None) -> list[CoverFact]:
    """The enrolments open on `on` (which end on it); refused naming the field otherwise."""
    if transferred_out_on is not None:
        raise RuleError("psn_no", f"参保人{psn_no}已于{date_text(transferred_out_on)}转出本统筹区，不能重复转出。")
    if death_date is not None and death_date <= on:
        raise RuleError("psn_no", f"参保人{psn_no}已于{date_text(death_date)}死亡，不能办理转出。")
    if not covers:
        raise RuleError("psn_no", f"参保人{psn_no}未在本统筹区参保，不能办理转出。")
    first = min(c.start for c in covers)
    if on < first:
        raise RuleError("on", f"转出日期{date_text(on)}早于参保开始日期{date_text(first)}。")
    open_on = [c for c in covers if c.start <= on and (c.end is None or c.end >= on)]
    if not open_on:
        last = max((c.end for c in covers if c.end is not None), default=None)
        raise RuleError("on", f"参保人{psn_no}在{date_text(on)}未参保（最近一次参保至{date_text(last) if last else '—'}），"
                              "不能以该日期转出。")
    return open_on


def cut_after(cover: CoverFact, on: dt.date) -> dt.date | None:
    """The new end of an enrolment when the person leaves the pool after `on` (None: unchanged): an enrolment
    open on the day ends on it; one beginning after it is cut to end the day before it begins (kept for the
    history, covering no day — refunding a year paid ahead is not done here)."""
    if cover.start > on:
        return cover.start - dt.timedelta(days=1)
    if cover.end is None or cover.end > on:
        return on
    return None


# ---------------------------------------------------------------- the certificate

@dataclass(frozen=True)
class Contribution:
    period: str     # "2021" (a resident year) or "2021-03" (an employee month)
    base: Fen | None
    amount: Fen     # what was collected (employee: both parts)
    paid_on: dt.date | None


@dataclass(frozen=True)
class SchemeRecord:
    insutype: str
    periods: tuple[tuple[dt.date, dt.date | None], ...]
    contributions: tuple[Contribution, ...]
    total_months: int
    continuous_months: int
    ended_on: dt.date | None  # the last day covered here in the scheme


@dataclass(frozen=True)
class Certificate:
    number: str
    issued_on: dt.date
    from_pool: Pool
    to_pool: Pool
    psn_no: str
    name: str
    id_masked: str
    sex: str | None
    birth_date: dt.date | None
    schemes: tuple[SchemeRecord, ...]
    account_balance: Fen
    transfer_date: dt.date  # the last day covered in the pool
    recognised_note: str = ""


def certificate_json(cert: Certificate) -> dict[str, Any]:
    """The certificate as stored and as sent to the receiving pool (amounts in yuan text, dates ISO)."""
    def day(value: dt.date | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "title": CERTIFICATE_TITLE, "number": cert.number, "issued_on": day(cert.issued_on),
        "from_pool": asdict(cert.from_pool), "to_pool": asdict(cert.to_pool),
        "person": {"psn_no": cert.psn_no, "name": cert.name, "id_number": cert.id_masked, "sex": cert.sex,
                   "birth_date": day(cert.birth_date)},
        "transfer_date": day(cert.transfer_date),
        "schemes": [{
            "insutype": s.insutype, "name": scheme_name(s.insutype),
            "periods": [{"start": day(a), "end": day(b)} for a, b in s.periods],
            "contributions": [{"period": c.period, "base": fen_to_str(c.base) if c.base is not None else None,
                               "amount": fen_to_str(c.amount), "paid_on": day(c.paid_on)} for c in s.contributions],
            "total_months": s.total_months, "continuous_months": s.continuous_months, "ended_on": day(s.ended_on),
        } for s in cert.schemes],
        "account_balance": fen_to_str(cert.account_balance),
        "recognised_note": cert.recognised_note,
    }


def certificate_number(pool: str, psn_no: str, on: dt.date) -> str:
    return f"PZ{pool}{on:%Y%m%d}{psn_no[-8:]}"


# ---------------------------------------------------------------- in

@dataclass(frozen=True)
class TransferIn:
    """What a received certificate says, checked: the scheme the person is enrolled into here."""

    from_pool: Pool
    insutype: str
    total_months: int
    continuous_months: int
    ended_on: dt.date      # the last day covered in the sending pool
    start: dt.date         # the first day covered here
    balance: Fen           # the account balance transferred (employees)
    received: bool         # the money has arrived (bank) or is receivable from the sending pool
    certificate_no: str = ""
    certificate: Mapping[str, Any] = field(default_factory=dict)

    @property
    def end(self) -> dt.date | None:
        """A resident is enrolled to the end of the year; an employee from the date on."""
        return dt.date(self.start.year, 12, 31) if self.insutype == Insutype.RESIDENT else None

    def note(self) -> str:
        return (f"由{self.from_pool.name}（{self.from_pool.code}）转入，参保凭证{self.certificate_no or '—'}，"
                f"认定缴费年限{years_text(self.total_months)}，其中连续{years_text(self.continuous_months)}。")


IN_FIELDS = {
    "from_pool": "转出统筹区代码", "from_pool_name": "转出统筹区名称", "insutype": "险种",
    "total_months": "累计缴费月数", "continuous_months": "连续缴费月数", "ended_on": "转出地参保截止日期",
    "start": "本统筹区参保开始日期", "balance": "个人账户转移金额", "certificate_no": "参保凭证编号",
    "received": "资金已到账",
}


def _int(value: Any, field: str, label: str) -> int:
    text = str(value if value is not None else "").strip()
    if not text.isdigit():
        raise RuleError(field, f"{label}须为不小于0的整数（月数），实为“{text or '（空）'}”。")
    return int(text)


def _date(value: Any, field: str, label: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RuleError(field, f"{label}应写为YYYY-MM-DD，实为“{text or '（空）'}”。") from None


def _yes(value: Any) -> bool:
    return str(value if value is not None else "").strip().lower() in ("1", "true", "yes", "是", "y", "on")


def transfer_in_terms(raw: Mapping[str, Any], own_pool: str) -> TransferIn:
    """A received certificate's fields (a clerk's form, a CSV row or the JSON certificate's), checked."""
    pool = check_pool(str(raw.get("from_pool") or ""), str(raw.get("from_pool_name") or ""), own_pool, "from_pool")
    insutype = str(raw.get("insutype") or "").strip()
    if insutype not in SCHEMES:
        raise RuleError("insutype", f"险种“{insutype or '（空）'}”应为310（职工医保）或390（城乡居民医保）。")
    total = _int(raw.get("total_months"), "total_months", IN_FIELDS["total_months"])
    continuous = _int(raw.get("continuous_months"), "continuous_months", IN_FIELDS["continuous_months"])
    if continuous > total:
        raise RuleError("continuous_months", f"连续缴费月数{continuous}大于累计缴费月数{total}。")
    ended_on = _date(raw.get("ended_on"), "ended_on", IN_FIELDS["ended_on"])
    start_raw = raw.get("start")
    start = (_date(start_raw, "start", IN_FIELDS["start"]) if str(start_raw or "").strip()
             else ended_on + dt.timedelta(days=1))
    if start <= ended_on:
        raise RuleError("start", f"本统筹区参保开始日期{date_text(start)}应晚于转出地参保截止日期{date_text(ended_on)}"
                                 "（同一天不能在两地参保）。")
    try:
        balance = to_fen(str(raw.get("balance") or "0").strip() or "0")
    except (MoneyError, ValueError):
        raise RuleError("balance", f"个人账户转移金额“{raw.get('balance')}”应为元，最多两位小数。") from None
    if balance < 0:
        raise RuleError("balance", "个人账户转移金额不能为负数。")
    if balance and insutype != Insutype.EMPLOYEE:
        raise RuleError("balance", "城乡居民医保没有个人账户，转移金额应为0。")
    number = str(raw.get("certificate_no") or "").strip()[:40]
    received = True if raw.get("received") is None else _yes(raw.get("received"))
    return TransferIn(pool, insutype, total, continuous, ended_on, start, balance, received, number,
                      dict(raw.get("certificate") or {}))


def fields_of_certificate(data: Mapping[str, Any], insutype: str | None = None) -> dict[str, Any]:
    """The transfer-in fields a certificate JSON (as `certificate_json` writes it) gives: the scheme asked for,
    else the one whose cover ended last."""
    schemes = list(data.get("schemes") or [])
    if not schemes:
        raise RuleError("file", "参保凭证中没有险种及缴费记录（schemes）。")
    chosen = [s for s in schemes if str(s.get("insutype")) == insutype] if insutype else \
        sorted(schemes, key=lambda s: str(s.get("ended_on") or ""))[-1:]
    if not chosen:
        raise RuleError("insutype", f"参保凭证中没有险种{insutype}的缴费记录。")
    scheme = chosen[0]
    pool = data.get("from_pool") or {}
    return {"from_pool": pool.get("code"), "from_pool_name": pool.get("name"), "insutype": scheme.get("insutype"),
            "total_months": scheme.get("total_months"), "continuous_months": scheme.get("continuous_months"),
            "ended_on": scheme.get("ended_on") or data.get("transfer_date"),
            "balance": data.get("account_balance") if str(scheme.get("insutype")) == Insutype.EMPLOYEE else "0",
            "certificate_no": data.get("number"), "certificate": dict(data)}


def parse_certificate_file(filename: str, content: bytes) -> dict[str, Any]:
    """A JSON certificate (the whole certificate) → its fields; a CSV/XLSX certificate is read by the caller
    with `sheets` (a header of the IN_FIELDS codes or labels and one row)."""
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RuleError("file", f"参保凭证文件“{filename}”不是有效的JSON：{exc}") from None
    if not isinstance(data, dict):
        raise RuleError("file", f"参保凭证文件“{filename}”应为一个JSON对象。")
    if isinstance(data.get("certificate"), dict):  # the JSON rendering of the certificate document
        data = data["certificate"]
    return fields_of_certificate(data, None)


"""零星报销 (manual reimbursement, seed 004 篇5): fees a person paid in full where direct settlement
failed are settled at the counter by the SAME engine, through the settlement service.

A receipt is paid once. Its key (`receipt_key`) is the electronic receipt's 票据代码 + 票据号码, or,
for a paper receipt, the institution and the invoice number; the request key is `manual:<receipt key>`
and the settlement id `MR` + a digest of it, so a resubmitted form (the same or altered) meets the
first one's key in the settlement service, and two clerks submitting at once meet the unique
indexes of `request_key` and `console_manual_claim.receipt_key`: one payment, the other told which.

Before anything is written the request is checked: sane amounts (`Limits`), no date in the future,
the stay within the person's enrolment in the scheme, a policy in force; a total above
`Limits.review_above` needs a second person's approval (双人复核: a user whose role has
`reimbursement.review` signs with their password; never the clerk). The settlement, the
`console_manual_claim` row and the audit record are written in one transaction, or nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tongchou.access.models import ManualClaim
from tongchou.codes import Insutype, MedType
from tongchou.settlement.service import SettleOutcome, SettlementService
from tongchou.settlement.request import FeeLine, SettleRequest
from tongchou.errors import Conflict
from tongchou.web.format import day, yuan
from tongchou.web.forms import Reader

CHANNEL = "manual"
MAX_LINES = 8
REASONS = {
    "offsite": "异地就医未能直接结算",
    "system": "医院或医保系统故障未能直接结算",
    "emergency": "急诊抢救未能直接结算",
    "not_filed": "就医时未办理备案，事后补办",
    "other": "其他原因",
}
MED_TYPES = MedType.options(MedType.GENERAL_OUTPATIENT, MedType.CHRONIC_OUTPATIENT, MedType.INPATIENT,
                            MedType.REFERRED_INPATIENT)
INSUTYPES = Insutype.options(Insutype.RESIDENT, Insutype.EMPLOYEE)
RECEIPT_PART = re.compile(r"^[0-9A-Z][0-9A-Z-]{0,29}$")
MAX_STAY_DAYS = 366
DUPLICATE_CONFLICTS = ("key_conflict", "already_settled", "visit_of_other_person")


@dataclass(frozen=True)
class Limits:
    """What the counter accepts (fen): a line and a receipt's total at most `max_total`; a total above
    `review_above` needs a reviewer. Configurable (`create_app(reimbursement_limits=…)`,
    `tongchou console serve --review-above`)."""

    review_above: int = 1_000_000          # 10,000.00 元
    max_total: int = 200_000_000           # 2,000,000.00 元: above any plausible single receipt


@dataclass(frozen=True)
class ManualRequest:
    psn_no: str
    insutype: str
    fixmedins_code: str
    med_type: str
    begndate: dt.date
    enddate: dt.date
    dise_code: str | None
    lines: tuple[FeeLine, ...]
    reason: str
    bill_code: str | None     # 电子票据：票据代码
    bill_no: str | None       # 电子票据：票据号码
    receipt_no: str | None    # 纸质票据（发票）号

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def receipt_key(self) -> str:
        if self.bill_code and self.bill_no:
            return f"E:{self.bill_code}:{self.bill_no}"
        return f"I:{self.fixmedins_code}:{self.receipt_no}"

    @property
    def receipt_text(self) -> str:
        if self.bill_code and self.bill_no:
            return f"电子票据代码{self.bill_code}、号码{self.bill_no}"
        return f"票据号{self.receipt_no}"

    @property
    def reference(self) -> str:
        """The settlement's id and visit number, the same for every submission of the receipt."""
        return hashlib.sha256(self.receipt_key.encode()).hexdigest()[:16].upper()


class AlreadyReimbursed(Exception):
    """The receipt was paid before (or by a concurrent submission): `setl_id` is that payment."""

    def __init__(self, setl_id: str, receipt_text: str):
        super().__init__(setl_id)
        self.setl_id = setl_id
        self.message = f"该票据（{receipt_text}）已报销，结算号{setl_id}，本次未再支付。"


def _receipt_part(r: Reader, name: str, label: str) -> str | None:
    value = r.text(name, label, required=False, max_length=30)
    if value is None:
        return None
    value = value.upper()
    if not RECEIPT_PART.match(value):
        r.errors[name] = f"{label}只能包含数字、字母和连字符。"
        return None
    return value


def read_form(form: Mapping[str, str], today: dt.date, limits: Limits = Limits()) -> ManualRequest:
    """The request from the form, or `FormErrors` naming each wrong field in Chinese."""
    r = Reader(form)
    psn_no = r.text("psn_no", "个人编号", max_length=32)
    insutype = r.choice("insutype", "险种", INSUTYPES)
    code = r.text("fixmedins_code", "就诊机构编码", max_length=32)
    med_type = r.choice("med_type", "医疗类别", MED_TYPES)
    begin = r.date("begndate", "就诊（入院）日期")
    end = r.date("enddate", "结束（出院）日期")
    r.order("begndate", "enddate", "结束（出院）日期不能早于就诊（入院）日期。", begin, end)
    for name, label, value in (("begndate", "就诊（入院）日期", begin), ("enddate", "结束（出院）日期", end)):
        if value is not None and value > today and name not in r.errors:
            r.errors[name] = f"{label}{day(value)}晚于今天（{day(today)}），不能报销尚未发生的费用。"
    if begin and end and (end - begin).days > MAX_STAY_DAYS and "enddate" not in r.errors:
        r.errors["enddate"] = f"就诊期间超过{MAX_STAY_DAYS}天，请按票据核对日期。"
    dise_code = r.text("dise_code", "病种或诊断", required=False)
    reason = r.choice("reason", "未能直接结算的原因", REASONS)
    bill_code = _receipt_part(r, "bill_code", "电子票据代码")
    bill_no = _receipt_part(r, "bill_no", "电子票据号码")
    receipt_no = _receipt_part(r, "receipt_no", "纸质票据号")
    if bool(bill_code) != bool(bill_no) and not {"bill_code", "bill_no"} & set(r.errors):
        missing = "bill_no" if bill_code else "bill_code"
        r.errors[missing] = "电子票据须同时填写票据代码和票据号码。"
    elif not (bill_code or receipt_no) and not {"bill_code", "bill_no", "receipt_no"} & set(r.errors):
        r.errors["bill_code"] = "请填写电子票据的票据代码和票据号码，或纸质票据号（同一张票据只能报销一次）。"
    lines = _lines(r, limits)
    r.done()
    return ManualRequest(psn_no, insutype, code, med_type, begin, end, dise_code, tuple(lines), reason,
                         bill_code, bill_no, receipt_no)


def _lines(r: Reader, limits: Limits) -> list[FeeLine]:
    lines = []
    for index in range(MAX_LINES):
        item = r.text(f"item_code_{index}", f"第{index + 1}行项目编码", required=False, max_length=50)
        name = f"item_amount_{index}"
        amount = r.yuan(name, f"第{index + 1}行金额", required=item is not None)
        if amount is not None and amount > limits.max_total:
            r.errors[name] = f"第{index + 1}行金额{yuan(amount)}元超过单张票据上限{yuan(limits.max_total)}元，请核对。"
            amount = None
        if item and amount:
            lines.append(FeeLine(code=item, amount=amount))
    if not lines and "item_code_0" not in r.errors and "item_amount_0" not in r.errors:
        r.errors["item_code_0"] = "请至少填写一行费用（项目编码和金额）。"
    total = sum(line.amount for line in lines)
    if total > limits.max_total and not any(k.startswith("item_amount_") for k in r.errors):
        r.errors["item_amount_0"] = f"合计{yuan(total)}元超过单张票据上限{yuan(limits.max_total)}元，请核对。"
    return lines


def needs_review(req: ManualRequest, limits: Limits) -> bool:
    return req.total > limits.review_above


# ---------------------------------------------------------------- checks against the store

def enrolment_error(req: ManualRequest, person_name: str, enrolments: list[Any]) -> dict[str, str]:
    """The stay must lie within one enrolment of the scheme (field → Chinese reason), else {}."""
    scheme = Insutype.label_of(req.insutype)
    mine = [e for e in enrolments if e.insutype == req.insutype]
    if not mine:
        return {"insutype": f"{person_name}没有参加{scheme}，不能按该险种报销。"}
    for e in mine:
        if e.start <= req.begndate and (e.end is None or req.enddate <= e.end):
            return {}
    periods = "、".join(f"{day(e.start)}至{day(e.end) if e.end else '今'}" for e in sorted(mine, key=lambda e: e.start))
    return {"begndate": f"就诊期间{day(req.begndate)}至{day(req.enddate)}不在{person_name}{scheme}的参保期内"
                        f"（参保期：{periods}），基金不予支付，不能报销。"}


def policy_error(registry, pool: str | None, req: ManualRequest) -> dict[str, str]:
    from tongchou.policy.registry import NoPolicy
    try:
        registry.resolve(pool, req.insutype, req.enddate)
    except NoPolicy:
        return {"enddate": f"{day(req.enddate)}本统筹区没有生效的{Insutype.label_of(req.insutype)}政策，无法按政策计算报销。"}
    return {}


def earlier_claim(session: Session, req: ManualRequest) -> ManualClaim | None:
    return session.execute(select(ManualClaim).where(ManualClaim.receipt_key == req.receipt_key)).scalar_one_or_none()


# ---------------------------------------------------------------- settling

def settle_request(req: ManualRequest) -> SettleRequest:
    ref = req.reference
    return SettleRequest(key=f"{CHANNEL}:{req.receipt_key}", psn_no=req.psn_no, insutype=req.insutype,
                         fixmedins_code=req.fixmedins_code, mdtrt_id=f"MR-{ref}", med_type=req.med_type,
                         begndate=req.begndate, enddate=req.enddate, items=req.lines, setl_id=f"MR{ref}",
                         dise_code=req.dise_code, acct_used=False)


def settle_manual(service: SettlementService, req: ManualRequest, county: str, entered_by: str, *,
                  reviewed_by: str | None = None, audit_actor=None, now=None) -> SettleOutcome:
    """Settle through the settlement service; the manual-claim row and (with `audit_actor`) the audit
    record are written in the same transaction. `AlreadyReimbursed` when the receipt was paid before
    or is being paid by a concurrent submission."""
    def record(session: Session, outcome: SettleOutcome) -> None:
        if outcome.replayed:  # the same form again: the first answer, nothing new to write
            raise AlreadyReimbursed(outcome.setl_id, req.receipt_text)
        session.add(ManualClaim(setl_id=outcome.setl_id, psn_no=req.psn_no, county=county, channel=CHANNEL,
                                reason=REASONS[req.reason], receipt_no=_receipt_no(req), receipt_key=req.receipt_key,
                                entered_by=entered_by, reviewed_by=reviewed_by))
        session.flush()  # the unique receipt key is checked here, inside the settlement's transaction
        if audit_actor is not None:
            from tongchou.audit.trail import REIMBURSE, append
            append(session, audit_actor, REIMBURSE, object_type="settlement", object_id=outcome.setl_id,
                   detail={"psn_no": req.psn_no, "reason": req.reason, "lines": len(req.lines),
                           "fixmedins_code": req.fixmedins_code, "receipt_key": req.receipt_key,
                           "total": yuan(req.total), "reviewed_by": reviewed_by}, **({"now": now} if now else {}))
    try:
        return service.settle(settle_request(req), after=record)
    except Conflict as exc:
        if exc.code not in DUPLICATE_CONFLICTS:
            raise
        raise AlreadyReimbursed(_paid_setl_id(service, req), req.receipt_text) from None
    except IntegrityError:  # a concurrent submission of the receipt committed first
        raise AlreadyReimbursed(_paid_setl_id(service, req), req.receipt_text) from None


def _receipt_no(req: ManualRequest) -> str:
    return f"{req.bill_code}-{req.bill_no}" if req.bill_code and req.bill_no else req.receipt_no


def _paid_setl_id(service: SettlementService, req: ManualRequest) -> str:
    def work(session: Session) -> str:
        claim = earlier_claim(session, req)
        return claim.setl_id if claim is not None else f"MR{req.reference}"
    return service.store.read(work)


# ---------------------------------------------------------------- what the fund paid, and why

@dataclass(frozen=True)
class Verdict:
    paid: bool
    headline: str
    reasons: tuple[str, ...]


def verdict(s, steps: list[dict]) -> Verdict:
    """What the fund paid for settlement `s` (a stored row) and why, from its amounts and explanation."""
    fund, psn = s.fund_pay_sumamt, s.psn_part_amt
    texts = {step.get("step"): step.get("text", "") for step in steps or []}
    if fund > 0:
        parts = [f"统筹基金{yuan(s.hifp_pay)}元"] + [f"{label}{yuan(v)}元" for label, v in (
            ("大病保险", s.hifmi_pay), ("医疗救助", s.maf_pay), ("大额医疗补助", s.hifob_pay), ("公务员医疗补助", s.cvlserv_pay))
            if v]
        return Verdict(True, f"基金支付{yuan(fund)}元（{'，'.join(parts)}），个人负担{yuan(psn)}元。",
                       tuple(t for k, t in texts.items() if k in ("benefit", "deductible", "pooled_fund", "cap") and t))
    return Verdict(False, f"基金不予支付：本次{yuan(s.medfee_sumamt)}元全部由个人负担。", (_why_nothing(s, steps),))


def _why_nothing(s, steps: list[dict]) -> str:
    by_kind: dict[str, list[str]] = {}
    for step in steps or []:
        by_kind.setdefault(step.get("step", ""), []).append(step.get("text", ""))
    if s.benefit_line is None and by_kind.get("benefit"):
        return by_kind["benefit"][-1]
    if s.inscp_scp_amt == 0:
        return "费用均不在医保支付范围内（符合政策范围金额为0元），基金不予支付。"
    if s.act_pay_dedc >= s.inscp_scp_amt:
        return (f"符合政策范围的费用{yuan(s.inscp_scp_amt)}元未超过起付线，本次计入起付线{yuan(s.act_pay_dedc)}元，"
                "基金不予支付。")
    caps = [t for t in by_kind.get("cap", []) if t]
    if caps:
        return caps[-1]
    return "；".join(t for k in ("deductible", "pooled_fund") for t in by_kind.get(k, []) if t) or "基金不予支付。"

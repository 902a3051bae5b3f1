"""零星报销 (manual reimbursement, seed 004 篇5): fees a person paid in full where direct settlement
failed are settled at the counter by the SAME engine, through the settlement service.

The request's key is `manual:<id>` and its settlement id `MR…`; in the same transaction a
`console_manual_claim` row records the channel (`manual`), the reason direct settlement failed,
the receipt number and who entered it. Nothing here computes a benefit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tongchou.access.models import ManualClaim
from tongchou.codes import Insutype, MedType
from tongchou.settlement.service import FeeLine, SettleOutcome, SettlementService, SettleRequest
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
    receipt_no: str | None


def read_form(form) -> ManualRequest:
    """The request from the form, or `FormErrors` naming each wrong field in Chinese."""
    r = Reader(form)
    psn_no = r.text("psn_no", "个人编号", max_length=32)
    insutype = r.choice("insutype", "险种", INSUTYPES)
    code = r.text("fixmedins_code", "就诊机构编码", max_length=32)
    med_type = r.choice("med_type", "医疗类别", MED_TYPES)
    begin = r.date("begndate", "就诊（入院）日期")
    end = r.date("enddate", "结束（出院）日期")
    r.order("begndate", "enddate", "结束（出院）日期不能早于就诊（入院）日期。", begin, end)
    dise_code = r.text("dise_code", "病种或诊断", required=False)
    reason = r.choice("reason", "未能直接结算的原因", REASONS)
    receipt = r.text("receipt_no", "票据号", required=False, max_length=64)
    lines = []
    for index in range(MAX_LINES):
        item = r.text(f"item_code_{index}", f"第{index + 1}行项目编码", required=False, max_length=50)
        amount = r.yuan(f"item_amount_{index}", f"第{index + 1}行金额", required=item is not None)
        if item and amount:
            lines.append(FeeLine(code=item, amount=amount))
    if not lines and "item_code_0" not in r.errors:
        r.errors["item_code_0"] = "请至少填写一行费用（项目编码和金额）。"
    r.done()
    return ManualRequest(psn_no, insutype, code, med_type, begin, end, dise_code, tuple(lines), reason, receipt)


def settle_request(req: ManualRequest) -> SettleRequest:
    ref = secrets.token_hex(8).upper()
    return SettleRequest(key=f"{CHANNEL}:{ref}", psn_no=req.psn_no, insutype=req.insutype,
                         fixmedins_code=req.fixmedins_code, mdtrt_id=f"MR-{ref}", med_type=req.med_type,
                         begndate=req.begndate, enddate=req.enddate, items=req.lines, setl_id=f"MR{ref}",
                         dise_code=req.dise_code, acct_used=False)


def settle_manual(service: SettlementService, req: ManualRequest, county: str, entered_by: str, *,
                  audit_actor=None, now=None) -> SettleOutcome:
    """Settle through the settlement service; the manual-claim row and (with `audit_actor`) the audit
    record are written in the same transaction."""
    def record(session: Session, outcome: SettleOutcome) -> None:
        session.add(ManualClaim(setl_id=outcome.setl_id, psn_no=req.psn_no, county=county, channel=CHANNEL,
                                reason=REASONS[req.reason], receipt_no=req.receipt_no, entered_by=entered_by))
        if audit_actor is not None:
            from tongchou.audit.trail import REIMBURSE, append
            append(session, audit_actor, REIMBURSE, object_type="settlement", object_id=outcome.setl_id,
                   detail={"psn_no": req.psn_no, "reason": req.reason, "lines": len(req.lines),
                           "fixmedins_code": req.fixmedins_code}, **({"now": now} if now else {}))
    return service.settle(settle_request(req), after=record)

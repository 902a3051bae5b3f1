"""Settlement of a visit: 2206/2207 outpatient (pre-)settlement, 2303/2304 inpatient, 2208/2305 cancellation.

Before any figure is computed, the request is checked against the visit it names: the visit's person holds the
certificate (`mdtrt_cert_no`), the regions are the person's and the institution's, the scheme allows the
personal account, the medical category is the visit's (2203's).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongchou.api import answers, identity, messages, wire
from tongchou.api.envelope import ApiError, now_local
from tongchou.api.tx_base import Call, Context, Reply, Transaction
from tongchou.codes import Insutype
from tongchou.money import fen_to_str
from tongchou.settlement.service import SettleOutcome
from tongchou.settlement.request import SettleRequest
from tongchou.store import models as m
from tongchou.errors import InvalidRequest, NotFound, Refused
from tongchou.visits import service as visits
from tongchou.visits.rules import INPATIENT, Billable, Forbidden, require_kind, require_open, setl_id_for, \
    settlement_end

SPLIT_FIELDS = {"fulamt_ownpay_amt": "全自费金额", "overlmt_selfpay": "超限价自费费用",
                "preselfpay_amt": "先行自付金额", "inscp_scp_amt": "符合政策范围金额"}


def pre_settle_outpatient(ctx: Context, call: Call) -> Reply:
    return _pre_settle(ctx, call, inpatient=False)


def settle_outpatient(ctx: Context, call: Call) -> Reply:
    return _settle(ctx, call, inpatient=False)


def pre_settle_inpatient(ctx: Context, call: Call) -> Reply:
    return _pre_settle(ctx, call, inpatient=True)


def settle_inpatient(ctx: Context, call: Call) -> Reply:
    return _settle(ctx, call, inpatient=True)


def _settle(ctx: Context, call: Call, *, inpatient: bool) -> Reply:
    data = call.input.data

    def work(session: Session) -> tuple[dict[str, Any], SettleOutcome]:
        visit, bill = _billable(ctx, session, call, inpatient)
        req = _request(call, data, visit, bill, inpatient)
        person = session.get(m.Person, req.psn_no)  # the service's own read of it hits the session's map
        outcome = ctx.settlements.settle_in(session, req)
        if outcome.replayed:  # the same message settled meanwhile in another worker: its answer counts
            raise messages.Raced(call.msgid)
        visits.mark_settled(session, bill.fee_ids, outcome.setl_id)
        if inpatient and data.mid_setl_flag != "1":
            visits.close_admission(session, visit.id, req.enddate)
        output = _settlement_output(ctx, person, call, req, outcome, outcome.setl_id, inpatient)
        ctx.record(session, call, output, outcome.setl_id)
        return output, outcome

    output, outcome = ctx.store.transaction(work)
    return Reply(output, _warnings(data, outcome))


def _pre_settle(ctx: Context, call: Call, inpatient: bool) -> Reply:
    """2206 / 2303: the settlement computed as of its date; nothing changes (a trial at any time of the stay)."""
    data = call.input.data
    visit, bill = ctx.store.read(lambda s: _billable(ctx, s, call, inpatient))
    req = _request(call, data, visit, bill, inpatient)
    outcome = ctx.settlements.pre_settle(req)
    output = ctx.store.read(lambda s: _settlement_output(ctx, s.get(m.Person, req.psn_no), call, req, outcome,
                                                         "", inpatient))
    ctx.store.transaction(lambda s: ctx.record(s, call, output, visit.mdtrt_id))
    return Reply(output, _warnings(data, outcome))


def _billable(ctx: Context, session: Session, call: Call, inpatient: bool) -> tuple[Any, Billable]:
    """The open visit and its unsettled lines, whose total must be the request's `medfee_sumamt`."""
    data = call.input.data
    visit = visits.visit_facts(session, call.code, data.mdtrt_id, data.psn_no)
    require_open(visit)
    require_kind(visit, INPATIENT if inpatient else "outpatient")
    _check_against_visit(ctx, session, call, visit)
    bill = visits.billable(session, visit, None if inpatient else data.chrg_bchno)
    check_total(data, bill)
    return visit, bill


def check_total(data: Any, bill: Billable) -> None:
    """The request's `medfee_sumamt` must be the total of the lines it settles."""
    if data.medfee_sumamt != bill.medfee_sumamt:
        raise ApiError(f"医疗费总额与已上传的费用明细不一致：请求 {fen_to_str(data.medfee_sumamt)} 元，"
                       f"明细合计 {fen_to_str(bill.medfee_sumamt)} 元。", "medfee_sumamt")


# ---------------------------------------------------------------- the request against its visit

def _check_against_visit(ctx: Context, session: Session, call: Call, visit: Any) -> None:
    data = call.input.data
    cert = identity.Certificate(data.mdtrt_cert_type, data.mdtrt_cert_no)
    matches = identity.certificate_matches(session, ctx.cipher, visit.psn_no, cert, code=call.code,
                                           mdtrt_id=visit.mdtrt_id)
    institution = session.get(m.Institution, call.code)
    check_visit_facts(call, visit, matches, _regions(session, visit.county),
                      _regions(session, institution.county) if institution else ())


def check_visit_facts(call: Call, visit: Any, certificate_matches: bool, insured: tuple[str, ...],
                      treated: tuple[str, ...]) -> None:
    """The request against its visit (module docstring), from the facts read: whether the certificate is the
    person's, the division codes of the person's county and of the institution's (`regions_of`)."""
    data = call.input.data
    if data.insutype != visit.insutype:
        raise InvalidRequest("insutype", f"险种类型与登记时（{visit.insutype}）不一致。")
    if not certificate_matches:
        raise InvalidRequest("mdtrt_cert_no", "就诊凭证不属于本次就诊的参保人。", "certificate_of_other_person")
    if call.envelope.insuplc_admdvs and call.envelope.insuplc_admdvs not in insured:
        raise InvalidRequest("insuplc_admdvs", f"参保地医保区划与本次就诊参保人的参保地（{'/'.join(insured)}）不一致。")
    if call.envelope.mdtrtarea_admvs not in treated:
        raise InvalidRequest("mdtrtarea_admvs", f"就医地医保区划与本机构所在地（{'/'.join(treated)}）不一致。")
    if data.acct_used_flag == "1" and visit.insutype == Insutype.RESIDENT:
        raise InvalidRequest("acct_used_flag", "城乡居民基本医疗保险没有个人账户，个人账户使用标志不能为1。")
    med_type = getattr(data, "med_type", None)
    if med_type is not None and visit.med_type and med_type != visit.med_type:
        raise InvalidRequest("med_type", f"医疗类别与就诊信息上传（2203）时的{visit.med_type}不一致。")


def regions_of(county: str, pool: str | None) -> tuple[str, ...]:
    """A county's division codes: its own and its pool's (None: a county the store does not have)."""
    return (county, pool) if pool is not None and pool != county else (county,)


def _regions(session: Session, county: str) -> tuple[str, ...]:
    """A county's division codes: its own and its pool's."""
    row = session.get(m.CountyRow, county)
    return regions_of(county, row.pool if row is not None else None)


# ---------------------------------------------------------------- request and answer

def _dscg_day(data: Any) -> dt.date | None:
    return getattr(data, "dscgTime", None)


def _request(call: Call, data: Any, visit: Any, bill: Billable, inpatient: bool) -> SettleRequest:
    begin = visit.begntime.date()
    interim = inpatient and data.mid_setl_flag == "1"
    part = str(bill.fee_ids[0]) if interim or (inpatient and bill.after_interim) else None
    if inpatient:
        end = settlement_end(visit, _dscg_day(data), call.envelope.inf_time.date(), interim, bill.last_day)
        if end < begin:
            raise InvalidRequest("dscgTime" if _dscg_day(data) else "inf_time", "结算的出院日期早于入院日期。")
        med_type = visit.med_type or "21"
    else:
        end = begin
        med_type = data.med_type
    return SettleRequest(
        key=call.key, psn_no=visit.psn_no, insutype=visit.insutype, fixmedins_code=call.code,
        mdtrt_id=visit.mdtrt_id, med_type=med_type, begndate=begin, enddate=end, items=bill.lines,
        chrg_bchno=None if inpatient else data.chrg_bchno, setl_id=setl_id_for(call.code, call.msgid),
        dise_code=visit.dise_codg, acct_used=data.acct_used_flag == "1", begntime=visit.begntime, part=part,
        diag_code=visit.diag_code, oprn_code=visit.oprn_code)


def _settlement_output(ctx: Context, person: m.Person, call: Call, req: SettleRequest, outcome: SettleOutcome,
                       setl_id: str, inpatient: bool) -> dict[str, Any]:
    pool_prop = outcome.pool_prop if setl_id else 0
    info = answers.setlinfo(
        setl_id=setl_id, mdtrt_id=req.mdtrt_id,
        person=answers.person_fields(person, ctx.certno(person), req.enddate), insutype=req.insutype,
        med_type=req.med_type, amounts=outcome.amounts, balc=outcome.balc, pool_prop=pool_prop,
        setl_time=now_local().replace(tzinfo=None), msgid=call.msgid,
        mdtrt_cert_type=call.input.data.mdtrt_cert_type, clr_optins=ctx.division, inpatient=inpatient)
    return {"setlinfo": info, "setldetail": answers.setldetail(req.insutype, outcome.amounts, outcome.explanation)}


def _warnings(data: Any, outcome: SettleOutcome) -> str | None:
    """The split differences, and what the service itself reports without refusing (warn_msg)."""
    notes = [_split_warning(data, outcome.amounts), getattr(outcome, "warn_msg", None)]
    return "；".join(note for note in notes if note) or None


def _split_warning(data: Any, amounts: dict[str, int]) -> str | None:
    """The split amounts a request carries are informative: differences are reported, ours count."""
    notes = []
    for name, label in SPLIT_FIELDS.items():
        sent = getattr(data, name, None)
        if sent is not None and sent != amounts.get(name, 0):
            notes.append(f"{name}（{label}）请求 {fen_to_str(sent)} 元，按目录计算为 {fen_to_str(amounts.get(name, 0))} 元")
    return ("以下金额以医保计算为准：" + "；".join(notes)) if notes else None


# ---------------------------------------------------------------- cancellation

def own_settlement(session: Session, code: str, data: Any) -> m.Settlement:
    """The institution's settlement named by setl_id, of the visit and person the request names."""
    row = session.execute(select(m.Settlement).where(m.Settlement.setl_id == data.setl_id)).scalar_one_or_none()
    if row is None:
        raise NotFound("setl_id", f"结算ID {data.setl_id} 不存在。")
    if row.fixmedins_code != code:
        raise Forbidden("setl_id")
    if row.mdtrt_id != data.mdtrt_id or row.psn_no != data.psn_no:
        raise InvalidRequest("setl_id", f"结算ID {data.setl_id} 与就诊ID、人员编号不符。")
    return row


def cancel_settlement(ctx: Context, call: Call) -> Reply:
    """2208 / 2305. A settlement cancelled already is refused (a retry of the same msgid replays its answer
    before reaching here)."""
    data: wire.SettlementRef = call.input.data
    row = ctx.store.read(lambda s: own_settlement(s, call.code, data))
    holder: dict[str, Any] = {}

    def after(session: Session, outcome: Any) -> None:
        if outcome.replayed:
            raise Refused("setl_id", f"结算ID {row.setl_id} 已撤销。", "cancelled")
        visits.mark_unsettled(session, row.setl_id)
        output = _cancellation_output(ctx, session, call, row)
        ctx.record(session, call, output, row.setl_id)
        holder["output"] = output
    ctx.settlements.cancel(row.setl_id, key=call.key, after=after)
    return Reply(holder["output"])


def _cancellation_output(ctx: Context, session: Session, call: Call, row: m.Settlement) -> dict[str, Any]:
    """The cancellation's settlement block and fund breakdown: the settlement's with every amount negated."""
    amounts = {name: getattr(row, name) for name in (*answers.AMOUNT_FIELDS, "acct_mulaid_pay")}
    person = session.get(m.Person, row.psn_no)
    info = answers.setlinfo(
        setl_id=row.setl_id, mdtrt_id=row.mdtrt_id,
        person=answers.person_fields(person, ctx.certno(person), row.enddate), insutype=row.insutype,
        med_type=row.med_type, amounts={name: -value for name, value in amounts.items()}, balc=row.balc,
        pool_prop=row.pool_prop, setl_time=now_local().replace(tzinfo=None), msgid=call.msgid,
        clr_optins=ctx.division, inpatient=call.infno == "2305")
    return {"setlinfo": info, "setldetail": answers.negated(answers.setldetail(row.insutype, amounts, row.explanation))}


TRANSACTIONS = {
    "2206": Transaction(wire.Input2206, pre_settle_outpatient),
    "2207": Transaction(wire.Input2207, settle_outpatient),
    "2208": Transaction(wire.Input2208, cancel_settlement),
    "2303": Transaction(wire.Input2303, pre_settle_inpatient),
    "2304": Transaction(wire.Input2304, settle_inpatient),
    "2305": Transaction(wire.Input2305, cancel_settlement),
}

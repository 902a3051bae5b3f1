"""Queries: 5203 settlement, 5204 its fee lines, 5206 a person's accumulations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongchou.api import answers, wire
from tongchou.api.envelope import now_local
from tongchou.api.jsonout import yuan
from tongchou.api.tx_base import Call, Context, Reply, Transaction
from tongchou.api.tx_settlement import own_settlement
from tongchou.codes import PsnType
from tongchou.store import models as m
from tongchou.errors import InvalidRequest
from tongchou.visits import service as visits
from tongchou.visits.rules import is_inpatient


def query_settlement(ctx: Context, call: Call) -> Reply:
    data: wire.SettlementQuery = call.input.data
    return ctx.write(call, lambda s: _query_output(ctx, s, own_settlement(s, call.code, data)))


def _query_output(ctx: Context, session: Session, row: m.Settlement) -> dict[str, Any]:
    person = session.get(m.Person, row.psn_no)
    institution = session.get(m.Institution, row.fixmedins_code)
    cancelled = session.execute(select(m.SettlementCancellation.id).where(
        m.SettlementCancellation.setl_id == row.setl_id)).first() is not None
    amounts = {name: getattr(row, name) for name in (*answers.AMOUNT_FIELDS, "acct_mulaid_pay")}
    visit = session.execute(select(m.ApiVisit).where(m.ApiVisit.fixmedins_code == row.fixmedins_code,
                                                     m.ApiVisit.mdtrt_id == row.mdtrt_id)).scalar_one_or_none()
    medins_setl_id = row.request_key.split("|", 1)[1] if "|" in row.request_key else row.request_key
    info = answers.setlinfo(
        setl_id=row.setl_id, mdtrt_id=row.mdtrt_id,
        person=answers.person_fields(person, ctx.certno(person), row.enddate), insutype=row.insutype,
        med_type=row.med_type, amounts=amounts, balc=row.balc, pool_prop=row.pool_prop,
        setl_time=_local(row.created_at), msgid=medins_setl_id, clr_optins=ctx.division,
        inpatient=is_inpatient(row.med_type))
    for name in ("psn_part_amt", "psn_cash_pay", "hosp_part_amt"):
        info.pop(name, None)
    info.update(
        emp_name="", fixmedins_code=row.fixmedins_code, fixmedins_name=institution.name if institution else "",
        cash_payamt=yuan(row.psn_cash_pay), refd_setl_flag="1" if cancelled else "0",
        dise_codg=row.dise_code or "", dise_name=(visit.dise_name if visit else "") or "", invono="",
        opter_name="", flxempe_flag="1" if person.psn_type == PsnType.FLEXIBLE_EMPLOYEE else "0", nwb_flag="0",
        insu_optins=row.county, pay_loc="2", hosp_lv=str(row.hosp_lv), fixmedins_poolarea=row.insuplc_admdvs,
        lmtpric_hosp_lv=str(row.hosp_lv), dedc_hosp_lv=str(row.hosp_lv), begndate=row.begndate.isoformat(),
        enddate=row.enddate.isoformat(), psn_pay=yuan(row.psn_part_amt), year=str(row.year), opter_id="",
        opt_time=answers.dt_text(_local(row.created_at)))
    return {"setlinfo": info, "setldetail": answers.setldetail(row.insutype, amounts, row.explanation)}


def query_fees(ctx: Context, call: Call) -> Reply:
    data: wire.SettlementQuery = call.input.data

    def work(session: Session) -> list[dict[str, Any]]:
        row = own_settlement(session, call.code, data)
        fees = session.execute(select(m.ApiFee).where(m.ApiFee.setl_id == row.setl_id)
                               .order_by(m.ApiFee.id)).scalars().all()
        return [_fee_query_record(row, fee) for fee in fees]
    return ctx.write(call, work)


def query_accumulation(ctx: Context, call: Call) -> Reply:
    """5206: the accumulations of the year of `cum_ym`; without it, of the year to date."""
    data: wire.AccumulationQuery = call.input.data

    def work(session: Session) -> dict[str, Any]:
        visits.person_or_refuse(session, data.psn_no)
        cum_ym = data.cum_ym or f"{ctx.settlements.today():%Y%m}"
        if len(cum_ym) != 6 or not cum_ym.isdigit() or not 1 <= int(cum_ym[4:]) <= 12:
            raise InvalidRequest("cum_ym", "累计年月应为 yyyyMM。")
        year = int(cum_ym[:4])
        rows = session.execute(select(m.YearStateRow).where(m.YearStateRow.psn_no == data.psn_no,
                                                            m.YearStateRow.year == year)
                               .order_by(m.YearStateRow.insutype)).scalars().all()
        cum = []
        for row in rows:
            cum += answers.cuminfo(row.insutype, year, cum_ym, row.state or {}, row.settlements)
        return {"cuminfo": cum}
    return ctx.write(call, work)


def _local(moment: dt.datetime | None) -> dt.datetime:
    if moment is None:
        return now_local().replace(tzinfo=None)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(now_local().tzinfo).replace(tzinfo=None)


def _fee_query_record(row: m.Settlement, fee: m.ApiFee) -> dict[str, Any]:
    detail, result = fee.detail or {}, answers.fee_record(fee.result or {})
    record = {"mdtrt_id": row.mdtrt_id, "setl_id": row.setl_id, "med_type": row.med_type,
              "rx_drord_no": detail.get("rxno") or detail.get("drord_no") or "",
              "hilist_code": fee.code, "hilist_name": "", "list_type": "", "medins_list_name": "",
              "prodname": "", "spec": "", "dosform_name": "", "hosp_prep_flag": "", "prodplac_type": "",
              "opter_id": "", "opter_name": "", "opt_time": None}
    for name in ("feedetl_sn", "fee_ocur_time", "sin_dos_dscr", "used_frqu_dscr", "prd_days", "medc_way_dscr",
                 "med_list_codg", "medins_list_codg", "bilg_dept_codg", "bilg_dept_name", "bilg_dr_codg",
                 "bilg_dr_name", "acord_dept_codg", "acord_dept_name", "orders_dr_code", "orders_dr_name",
                 "hosp_appr_flag", "tcmdrug_used_way", "etip_flag", "etip_hosp_code", "dscg_tkdrug_flag",
                 "matn_fee_flag", "memo"):
        record[name] = detail.get(name)
    record["fee_ocur_time"] = answers.dt_text(fee.fee_ocur_time)
    for name in ("cnt", "pric", "det_item_fee_sumamt", "pric_uplmt_amt", "selfpay_prop", "fulamt_ownpay_amt",
                 "overlmt_amt", "preselfpay_amt", "inscp_scp_amt", "chrgitm_lv", "med_chrgitm_type",
                 "lmt_used_flag", "bas_medn_flag", "hi_nego_drug_flag", "chld_medc_flag", "list_sp_item_flag",
                 "drt_reim_flag"):
        record[name] = result.get(name)
    record["memo"] = result.get("memo") or record.get("memo")
    return record


TRANSACTIONS = {
    "5203": Transaction(wire.Input5203, query_settlement),
    "5204": Transaction(wire.Input5204, query_fees),
    "5206": Transaction(wire.Input5206, query_accumulation),
}

"""The transactions: each maps a validated national input onto the services and builds its output.

No business rule lives here: visits and fee lines are `api.visits`, settlements are
`SettlementService`, reconciliation is `api.reconcile`. Each handler records its message (msgid)
with its answer in the transaction that does the work (`api.messages`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongchou.api import answers, hospital, identity, messages, personal, reconcile, visits, wire
from tongchou.api.envelope import ApiError, now_local
from tongchou.api.jsonout import yuan
from tongchou.ledger.book import personal_account_balance
from tongchou.money import fen_to_str
from tongchou.settlement.service import SettleOutcome, SettlementService, SettleRequest
from tongchou.store import models as m
from tongchou.store.crypto import DataCipher
from tongchou.store.errors import InvalidRequest, NotFound, Refused, ServiceError
from tongchou.store.uow import Store

SETTLEMENTS = frozenset({"2207", "2304"})
CANCELLATIONS = frozenset({"2208", "2305"})
REVERSIBLE = frozenset({"2207", "2208", "2304", "2305", "2401"})
SPLIT_FIELDS = {"fulamt_ownpay_amt": "全自费金额", "overlmt_selfpay": "超限价自费费用",
                "preselfpay_amt": "先行自付金额", "inscp_scp_amt": "符合政策范围金额"}


@dataclass(frozen=True)
class Call:
    """One authenticated, validated message."""

    code: str  # the institution (x-tif-paasid = fixmedins_code)
    msgid: str
    infno: str
    envelope: wire.Envelope
    input: Any  # the wire model of the infno
    input_hash: str
    received: dt.datetime

    @property
    def key(self) -> str:
        return f"{self.code}|{self.msgid}"


@dataclass
class Reply:
    output: Any
    warn: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Transactions:
    def __init__(self, store: Store, settlements: SettlementService, cipher: DataCipher, division: str,
                 lookup_quota: int = identity.DEFAULT_LOOKUP_QUOTA):
        self.store = store
        self.lookup_quota = lookup_quota
        self.settlements = settlements
        self.cipher = cipher
        self.division = division
        self.handlers: dict[str, Callable[[Call], Reply]] = {
            "9001": self.sign_in, "1101": self.person_info,
            "2201": self.register_outpatient, "2202": self.cancel_outpatient, "2203": self.outpatient_info,
            "2204": self.upload_outpatient_fees, "2205": self.cancel_outpatient_fees,
            "2206": self.pre_settle_outpatient, "2207": self.settle_outpatient, "2208": self.cancel_settlement,
            "2301": self.upload_inpatient_fees, "2302": self.cancel_inpatient_fees,
            "2303": self.pre_settle_inpatient, "2304": self.settle_inpatient, "2305": self.cancel_settlement,
            "2401": self.admit, "2402": self.discharge, "2404": self.cancel_admission,
            "2405": self.cancel_discharge, "2601": self.reverse,
            "3201": self.reconcile_totals, "3202": self.reconcile_details,
            "9101": self.upload_file, "9102": self.download_file,
            "5203": self.query_settlement, "5204": self.query_fees, "5206": self.query_accumulation,
            "1301": self.download_catalogue, "1302": self.download_catalogue, "1305": self.download_catalogue,
            "1306": self.download_catalogue, "3301": self.upload_mapping, "3302": self.cancel_mapping,
            "4101": self.upload_settlement_list, "4101A": self.upload_settlement_list,
        }

    def handle(self, call: Call) -> Reply:
        return self.handlers[call.infno](call)

    # -------------------------------------------------- plumbing

    def _write(self, call: Call, work: Callable[[Session], Any], subject: Callable[[Any], str | None] = lambda _: None
               ) -> Reply:
        """Run `work` and record the message with its output, in one transaction."""
        def run(session: Session) -> Any:
            output = work(session)
            messages.record(session, self.cipher, call.code, call.msgid, call.infno, call.input_hash, output, subject(output))
            return output
        return Reply(self.store.transaction(run))

    def _kept(self, node: Any) -> Any:
        """A node as sent, as it may be stored: without personal data in plain text (api.personal)."""
        if isinstance(node, list):
            return [self._kept(item) for item in node]
        return personal.redact(node.model_dump(mode="json") if hasattr(node, "model_dump") else node,
                               self.cipher.lookup_hash)

    def _certno(self, person: m.Person) -> str | None:
        return self.cipher.decrypt(person.id_number_enc, "person.id_number") if person.id_number_enc else None

    # -------------------------------------------------- 9001, 1101

    def sign_in(self, call: Call) -> Reply:
        moment = now_local()
        sign_no = f"{moment:%Y%m%d%H%M%S}{secrets.randbelow(10**16):016d}"
        return self._write(call, lambda _s: {"signinoutb": {"sign_time": answers.dt_text(moment.replace(tzinfo=None)),
                                                            "sign_no": sign_no}})

    def person_info(self, call: Call) -> Reply:
        """1101: identified by a certificate (api.identity), within the institution's daily look-up quota;
        every look-up in the audit trail, found or not."""
        query: wire.PersonQuery = call.input.data
        cert = identity.Certificate(query.mdtrt_cert_type, query.mdtrt_cert_no, query.card_sn, query.psn_name)

        def work(session: Session) -> tuple[dict[str, Any] | None, Exception | None]:
            if not identity.count_lookup(session, call.code, now_local().date(), self.lookup_quota):
                identity.audit_lookup(session, call.code, cert, "quota", None, call.msgid)
                return None, ApiError(identity.TOO_MANY)
            try:
                person = identity.find_person(session, self.cipher, cert)
            except ServiceError as refusal:
                identity.audit_lookup(session, call.code, cert, refusal.code, None, call.msgid)
                return None, refusal
            identity.audit_lookup(session, call.code, cert, "found", person.psn_no, call.msgid)
            output = self._person_output(session, person, query)
            messages.record(session, self.cipher, call.code, call.msgid, call.infno, call.input_hash, output)
            return output, None

        output, refusal = self.store.transaction(work)  # the count and the audit record commit, refused or not
        if refusal is not None:
            raise refusal
        return Reply(output)

    def _person_output(self, session: Session, person: m.Person, query: wire.PersonQuery) -> dict[str, Any]:
        on = (query.begntime or now_local().replace(tzinfo=None)).date()
        certno = self._certno(person)
        base = answers.person_fields(person, certno, on)
        if query.mdtrt_cert_type != identity.ECERT and certno:
            base["certno"] = certno  # the card holder's own certificate, as presented
        base["exp_content"] = ""
        return {"baseinfo": base, "insuinfo": self._insuinfo(session, person, on),
                "idetinfo": answers.idetinfo(person.assistance or [], f"{on:%Y-%m-%d} 00:00:00")}

    def _check_certificate(self, session: Session, call: Call, node: Any, mdtrt_id: str, *, opening: bool) -> None:
        cert = identity.Certificate(node.mdtrt_cert_type, node.mdtrt_cert_no, getattr(node, "card_sn", None))
        identity.check_certificate(session, self.cipher, node.psn_no, cert, code=call.code, mdtrt_id=mdtrt_id,
                                   opening=opening)

    def _insuinfo(self, session: Session, person: m.Person, on: dt.date) -> list[dict[str, Any]]:
        rows = session.execute(select(m.Enrolment).where(m.Enrolment.psn_no == person.psn_no)
                               .order_by(m.Enrolment.insutype, m.Enrolment.start)).scalars().all()
        latest: dict[str, m.Enrolment] = {}
        for row in rows:
            if row.start <= on or row.insutype not in latest:
                latest[row.insutype] = row
        employer = session.get(m.Employer, person.employer) if person.employer else None
        county = session.get(m.CountyRow, person.county)
        out = []
        for insutype, row in sorted(latest.items()):
            active = row.start <= on and (row.end is None or on <= row.end)
            balance = personal_account_balance(session, person.psn_no) if insutype == "310" else 0
            out.append({"balc": yuan(balance), "insutype": insutype, "psn_type": person.psn_type,
                        "psn_insu_stas": "1" if active else "2", "psn_insu_date": row.start.isoformat(),
                        "paus_insu_date": row.end.isoformat() if row.end and not active else None,
                        "cvlserv_flag": "1" if person.psn_type in answers.CIVIL_SERVANT_TYPES else "0",
                        "insuplc_admdvs": county.pool if county else person.county,
                        "emp_name": employer.name if employer else ""})
        return out

    # -------------------------------------------------- outpatient registration, info, fees

    def register_outpatient(self, call: Call) -> Reply:
        data: wire.Register = call.input.data
        def work(session: Session) -> dict[str, Any]:
            visit = visits.register(session, call.code, psn_no=data.psn_no, insutype=data.insutype,
                                    kind="outpatient", med_type=None, ipt_otp_no=data.ipt_otp_no,
                                    begntime=data.begntime, info=self._kept(data))
            self._check_certificate(session, call, data, visit.mdtrt_id, opening=True)
            return {"data": {"mdtrt_id": visit.mdtrt_id, "psn_no": visit.psn_no, "ipt_otp_no": visit.ipt_otp_no,
                             "exp_content": ""}}
        return self._write(call, work, lambda out: out["data"]["mdtrt_id"])

    def cancel_outpatient(self, call: Call) -> Reply:
        data: wire.CancelRegister = call.input.data
        def work(session: Session) -> dict[str, Any]:
            visit = visits.visit_of(session, call.code, data.mdtrt_id, data.psn_no, lock=True)
            if visit.ipt_otp_no != data.ipt_otp_no:
                raise InvalidRequest("ipt_otp_no", "门诊号与挂号时不一致。")
            visits.cancel_registration(session, visit)
            return {}
        return self._write(call, work)

    def outpatient_info(self, call: Call) -> Reply:
        info: wire.OutpatientVisit = call.input.mdtrtinfo
        def work(session: Session) -> dict[str, Any]:
            visit = visits.visit_of(session, call.code, info.mdtrt_id, info.psn_no, lock=True)
            visits.describe_outpatient(session, visit, med_type=info.med_type, begntime=info.begntime,
                                       dise_codg=info.dise_codg, dise_name=info.dise_name,
                                       diagnoses=self._kept(call.input.diseinfo), info=self._kept(info))
            return {}
        return self._write(call, work)

    def upload_outpatient_fees(self, call: Call) -> Reply:
        return self._upload(call, call.input.feedetail, outpatient=True)

    def upload_inpatient_fees(self, call: Call) -> Reply:
        return self._upload(call, call.input.feedetail, outpatient=False)

    def _upload(self, call: Call, lines: list[wire.FeeDetail], outpatient: bool) -> Reply:
        first = lines[0]
        for index, line in enumerate(lines):
            if line.mdtrt_id != first.mdtrt_id:
                raise ApiError("一次上传的费用明细应属于同一就诊ID。", f"feedetail[{index}].mdtrt_id")
            if line.psn_no != first.psn_no:
                raise ApiError("一次上传的费用明细应属于同一参保人。", f"feedetail[{index}].psn_no")
        def work(session: Session) -> dict[str, Any]:
            codes = hospital.catalogue_codes(session, call.code, ((line.med_list_codg, line.medins_list_codg,
                                                                   line.fee_ocur_time.date()) for line in lines))
            upload = [visits.UploadLine(
                feedetl_sn=line.feedetl_sn, code=code, cnt=line.cnt, pric=line.pric,
                amount=line.det_item_fee_sumamt, fee_ocur_time=line.fee_ocur_time,
                hosp_appr_flag=line.hosp_appr_flag, detail=self._kept(line),
                chrg_bchno=getattr(line, "chrg_bchno", None), init_feedetl_sn=line.init_feedetl_sn,
                dise_codg=getattr(line, "dise_codg", None)) for line, code in zip(lines, codes)]
            visit = visits.visit_facts(session, call.code, first.mdtrt_id, first.psn_no, lock=True)
            if (visit.kind == "outpatient") != outpatient:
                raise InvalidRequest("feedetail[0].mdtrt_id", f"就诊ID {visit.mdtrt_id} 不是"
                                     f"{'门诊' if outpatient else '住院'}就诊。")
            results = visits.upload_fees(session, visit, upload, self.settlements.references)
            return {"result": [answers.fee_record(r) for r in results]}
        return self._write(call, work)

    def cancel_outpatient_fees(self, call: Call) -> Reply:
        data: wire.CancelFees = call.input.data
        def work(session: Session) -> dict[str, Any]:
            visit = visits.visit_of(session, call.code, data.mdtrt_id, data.psn_no, lock=True)
            visits.cancel_fees(session, visit, chrg_bchno=data.chrg_bchno)
            return {}
        return self._write(call, work)

    def cancel_inpatient_fees(self, call: Call) -> Reply:
        rows = call.input.data if isinstance(call.input.data, list) else [call.input.data]
        def work(session: Session) -> dict[str, Any]:
            for row in rows:
                visit = visits.visit_of(session, call.code, row.mdtrt_id, row.psn_no, lock=True)
                visits.cancel_fees(session, visit, feedetl_sn=row.feedetl_sn)
            return {}
        return self._write(call, work)

    # -------------------------------------------------- admission

    def admit(self, call: Call) -> Reply:
        info: wire.Admission = call.input.mdtrtinfo
        def work(session: Session) -> dict[str, Any]:
            visit = visits.register(session, call.code, psn_no=info.psn_no, insutype=info.insutype, kind="inpatient",
                                    med_type=info.med_type, ipt_otp_no=info.ipt_no, begntime=info.begntime,
                                    info=self._kept(info), diagnoses=self._kept(call.input.diseinfo),
                                    dise_codg=info.dise_codg or info.dscg_maindiag_code,
                                    dise_name=info.dise_name or info.dscg_maindiag_name,
                                    diag_code=info.dscg_maindiag_code, oprn_code=info.oprn_oprt_code)
            self._check_certificate(session, call, info, visit.mdtrt_id, opening=True)
            return {"result": {"mdtrt_id": visit.mdtrt_id}}
        return self._write(call, work, lambda out: out["result"]["mdtrt_id"])

    def discharge(self, call: Call) -> Reply:
        info: wire.Discharge = call.input.dscginfo
        def work(session: Session) -> dict[str, Any]:
            visit = visits.visit_of(session, call.code, info.mdtrt_id, info.psn_no, lock=True)
            visits.discharge(visit, endtime=info.endtime, dise_codg=info.dise_codg, dise_name=info.dise_name,
                             oprn_code=info.oprn_oprt_code,
                             diagnoses=self._kept(call.input.diseinfo), info=self._kept(info))
            return {}
        return self._write(call, work)

    def cancel_admission(self, call: Call) -> Reply:
        data: wire.VisitRef = call.input.data
        def work(session: Session) -> dict[str, Any]:
            visit = visits.visit_of(session, call.code, data.mdtrt_id, data.psn_no, lock=True)
            if visit.kind != "inpatient":
                raise InvalidRequest("mdtrt_id", f"就诊ID {visit.mdtrt_id} 不是住院登记。")
            visits.cancel_registration(session, visit)
            return {}
        return self._write(call, work)

    def cancel_discharge(self, call: Call) -> Reply:
        data: wire.VisitRef = call.input.data
        def work(session: Session) -> dict[str, Any]:
            visits.cancel_discharge(session, visits.visit_of(session, call.code, data.mdtrt_id, data.psn_no, lock=True))
            return {}
        return self._write(call, work)

    # -------------------------------------------------- settlement

    def pre_settle_outpatient(self, call: Call) -> Reply:
        return self._settle(call, call.input.data, inpatient=False, commit=False)

    def settle_outpatient(self, call: Call) -> Reply:
        return self._settle(call, call.input.data, inpatient=False, commit=True)

    def pre_settle_inpatient(self, call: Call) -> Reply:
        return self._settle(call, call.input.data, inpatient=True, commit=False)

    def settle_inpatient(self, call: Call) -> Reply:
        return self._settle(call, call.input.data, inpatient=True, commit=True)

    def _settle(self, call: Call, data: Any, *, inpatient: bool, commit: bool) -> Reply:
        if not commit:
            return self._pre_settle(call, data, inpatient)

        def work(session: Session) -> tuple[dict[str, Any], SettleOutcome]:
            visit, bill = self._billable(session, call, data, inpatient)
            req = self._request(call, data, visit, bill, inpatient)
            person = session.get(m.Person, req.psn_no)  # the service's own read of it hits the session's map
            outcome = self.settlements.settle_in(session, req)
            if outcome.replayed:  # the same message settled meanwhile in another worker: its answer counts
                raise messages.Raced(call.msgid)
            visits.mark_settled(session, bill.fee_ids, outcome.setl_id)
            if inpatient and data.mid_setl_flag != "1":
                visits.close_admission(session, visit.id, req.enddate)
            output = self._settlement_output(person, call, req, outcome, outcome.setl_id, inpatient)
            messages.record(session, self.cipher, call.code, call.msgid, call.infno, call.input_hash, output,
                            outcome.setl_id)
            return output, outcome

        output, outcome = self.store.transaction(work)
        return Reply(output, _warnings(data, outcome))

    def _pre_settle(self, call: Call, data: Any, inpatient: bool) -> Reply:
        visit, bill = self.store.read(lambda s: self._billable(s, call, data, inpatient))
        req = self._request(call, data, visit, bill, inpatient)
        outcome = self.settlements.pre_settle(req)
        output = self.store.read(lambda s: self._settlement_output(s.get(m.Person, req.psn_no), call, req, outcome,
                                                                   None, inpatient))
        self.store.transaction(lambda s: messages.record(s, self.cipher, call.code, call.msgid, call.infno,
                                                         call.input_hash, output, visit.mdtrt_id))
        return Reply(output, _warnings(data, outcome))

    def _billable(self, session: Session, call: Call, data: Any, inpatient: bool
                  ) -> tuple[m.ApiVisit, visits.Billable]:
        """The open visit and its unsettled lines, whose total must be the request's `medfee_sumamt`."""
        visit = visits.visit_facts(session, call.code, data.mdtrt_id, data.psn_no)
        visits.require_open(visit)
        if (visit.kind == "inpatient") != inpatient:
            raise InvalidRequest("mdtrt_id", f"就诊ID {visit.mdtrt_id} 不是{'住院' if inpatient else '门诊'}就诊。")
        if data.insutype != visit.insutype:
            raise InvalidRequest("insutype", f"险种类型与登记时（{visit.insutype}）不一致。")
        bill = visits.billable(session, visit, None if inpatient else data.chrg_bchno)
        if data.medfee_sumamt != bill.medfee_sumamt:
            raise ApiError(f"医疗费总额与已上传的费用明细不一致：请求 {fen_to_str(data.medfee_sumamt)} 元，"
                           f"明细合计 {fen_to_str(bill.medfee_sumamt)} 元。", "medfee_sumamt")
        return visit, bill

    def _request(self, call: Call, data: Any, visit: m.ApiVisit, bill: visits.Billable, inpatient: bool
                 ) -> SettleRequest:
        begin = visit.begntime.date()
        interim = inpatient and data.mid_setl_flag == "1"
        part = str(bill.fee_ids[0]) if interim or (inpatient and bill.after_interim) else None
        if inpatient:
            end = bill.last_day if interim and visit.endtime is None else _discharge_day(visit, data)
            med_type = visit.med_type or "21"
        else:
            end = begin
            med_type = data.med_type
        return SettleRequest(
            key=call.key, psn_no=visit.psn_no, insutype=visit.insutype, fixmedins_code=call.code,
            mdtrt_id=visit.mdtrt_id, med_type=med_type, begndate=begin, enddate=end, items=bill.lines,
            chrg_bchno=None if inpatient else data.chrg_bchno, setl_id=visits.setl_id_for(call.code, call.msgid),
            dise_code=visit.dise_codg, acct_used=data.acct_used_flag == "1", begntime=visit.begntime, part=part,
            diag_code=visit.diag_code, oprn_code=visit.oprn_code)

    def _settlement_output(self, person: m.Person, call: Call, req: SettleRequest, outcome: SettleOutcome,
                           setl_id: str | None, inpatient: bool) -> dict[str, Any]:
        pool_prop = outcome.pool_prop if setl_id is not None else 0
        info = answers.setlinfo(
            setl_id=setl_id, mdtrt_id=req.mdtrt_id,
            person=answers.person_fields(person, self._certno(person), req.enddate), insutype=req.insutype,
            med_type=req.med_type, amounts=outcome.amounts, balc=outcome.balc, pool_prop=pool_prop,
            setl_time=now_local().replace(tzinfo=None), msgid=call.msgid,
            mdtrt_cert_type=getattr(call.input.data, "mdtrt_cert_type", None), clr_optins=self.division,
            inpatient=inpatient)
        return {"setlinfo": info, "setldetail": answers.setldetail(req.insutype, outcome.amounts, outcome.explanation)}

    def cancel_settlement(self, call: Call) -> Reply:
        data: wire.SettlementRef = call.input.data
        row = self.store.read(lambda s: self._own_settlement(s, call.code, data))
        def after(session: Session, _outcome: Any) -> None:
            visits.mark_unsettled(session, row.setl_id)
            output = self._cancellation_output(session, call, row)
            messages.record(session, self.cipher, call.code, call.msgid, call.infno, call.input_hash, output, row.setl_id)
            holder["output"] = output
        holder: dict[str, Any] = {}
        self.settlements.cancel(row.setl_id, key=call.key, after=after)
        return Reply(holder["output"])

    def _own_settlement(self, session: Session, code: str, data: Any) -> m.Settlement:
        row = session.execute(select(m.Settlement).where(m.Settlement.setl_id == data.setl_id)).scalar_one_or_none()
        if row is None:
            raise NotFound("setl_id", f"结算ID {data.setl_id} 不存在。")
        if row.fixmedins_code != code:
            raise visits.Forbidden("setl_id")
        if row.mdtrt_id != data.mdtrt_id or row.psn_no != data.psn_no:
            raise InvalidRequest("setl_id", f"结算ID {data.setl_id} 与就诊ID、人员编号不符。")
        return row

    def _cancellation_output(self, session: Session, call: Call, row: m.Settlement) -> dict[str, Any]:
        """The cancellation's settlement block: the settlement's amounts with the opposite sign."""
        amounts = {name: -getattr(row, name) for name in (*answers.AMOUNT_FIELDS, "acct_mulaid_pay")}
        person = session.get(m.Person, row.psn_no)
        info = answers.setlinfo(
            setl_id=row.setl_id, mdtrt_id=row.mdtrt_id,
            person=answers.person_fields(person, self._certno(person), row.enddate), insutype=row.insutype,
            med_type=row.med_type, amounts=amounts, balc=row.balc, pool_prop=row.pool_prop,
            setl_time=now_local().replace(tzinfo=None), msgid=call.msgid, clr_optins=self.division,
            inpatient=call.infno == "2305")
        return {"setlinfo": info, "setldetail": answers.setldetail(row.insutype, amounts, row.explanation)}

    # -------------------------------------------------- reversal

    def reverse(self, call: Call) -> Reply:
        data: wire.Reversal = call.input.data
        if data.oinfno not in REVERSIBLE:
            raise ApiError(f"交易{data.oinfno}不支持冲正（可冲正：{'、'.join(sorted(REVERSIBLE))}）。", "oinfno")
        if data.omsgid == call.msgid:
            raise ApiError("原发送方报文ID不能是本报文ID。", "omsgid")
        original = messages.lookup(self.store, self.cipher, call.code, data.omsgid)
        if original is not None and original.status != messages.REVERSED and original.infno != data.oinfno:
            raise ApiError(f"原报文{data.omsgid}的交易编号是{original.infno}，与 oinfno 不符。", "oinfno")
        if original is not None and original.status == messages.REVERSED:
            return self._write(call, lambda _s: {})
        if original is not None and data.oinfno in CANCELLATIONS:
            raise ApiError("原撤销交易已生效，不能冲正；如需恢复请重新结算。", "omsgid")

        def record(session: Session) -> dict[str, Any]:
            messages.mark_reversed(session, call.code, data.omsgid, data.oinfno)
            messages.record(session, self.cipher, call.code, call.msgid, call.infno, call.input_hash, {}, data.omsgid)
            return {}

        if data.oinfno in SETTLEMENTS:
            def after(session: Session, outcome: Any) -> None:
                if outcome.cancelled is not None:
                    visits.mark_unsettled(session, outcome.cancelled.setl_id)
                record(session)
            self.settlements.reverse(f"{call.code}|{data.omsgid}", after=after)
            return Reply({})
        if data.oinfno == "2401" and original is not None:
            def cancel_admission(session: Session) -> dict[str, Any]:
                visit = visits.visit_of(session, call.code, original.subject or "", lock=True)
                if visit.status != visits.CANCELLED:
                    visits.cancel_registration(session, visit)
                messages.mark_reversed(session, call.code, data.omsgid, data.oinfno)
                return {}
            return self._write(call, cancel_admission, lambda _o: data.omsgid)
        def mark_only(session: Session) -> dict[str, Any]:
            messages.mark_reversed(session, call.code, data.omsgid, data.oinfno)
            return {}
        return self._write(call, mark_only, lambda _o: data.omsgid)

    # -------------------------------------------------- reconciliation and files

    def reconcile_totals(self, call: Call) -> Reply:
        return self._write(call, lambda s: {"stmtinfo": reconcile.totals(s, call.code, call.input.data)})

    def reconcile_details(self, call: Call) -> Reply:
        return self._write(call, lambda s: {"fileinfo": reconcile.details(s, call.code, call.input.data)})

    def upload_file(self, call: Call) -> Reply:
        upload: wire.FileUpload = call.input.fsUploadIn
        if upload.fixmedins_code != call.code:
            raise visits.Forbidden("fixmedins_code")
        return self._write(call, lambda s: {"data": reconcile.store_upload(s, call.code, upload.filename,
                                                                           upload.in_)})

    def download_file(self, call: Call) -> Reply:
        request: wire.FileDownload = call.input.fsDownloadIn
        if request.fixmedins_code != call.code:
            raise visits.Forbidden("fixmedins_code")
        return self._write(call, lambda s: {"data": reconcile.download(s, call.code, request.file_qury_no)})

    # -------------------------------------------------- catalogue, item mappings, settlement lists

    def download_catalogue(self, call: Call) -> Reply:
        return self._write(call, lambda s: hospital.catalogue_file(s, call.code, call.infno, call.input.data.ver))

    def upload_mapping(self, call: Call) -> Reply:
        data = call.input.data
        return self._write(call, lambda s: hospital.upload_mapping(s, call.code, data, self._kept(data)))

    def cancel_mapping(self, call: Call) -> Reply:
        return self._write(call, lambda s: hospital.cancel_mapping(s, call.code, call.input.data))

    def upload_settlement_list(self, call: Call) -> Reply:
        node = call.input.setlinfo
        return self._write(call, lambda s: hospital.settlement_list(
            s, call.code, node, self._kept(call.input.diseinfo), self._kept(call.input.oprninfo),
            self._kept(node)), lambda _out: node.setl_id)

    # -------------------------------------------------- queries

    def query_settlement(self, call: Call) -> Reply:
        data: wire.SettlementQuery = call.input.data
        def work(session: Session) -> dict[str, Any]:
            row = self._own_settlement(session, call.code, data)
            return self._query_output(session, call, row)
        return self._write(call, work)

    def _query_output(self, session: Session, call: Call, row: m.Settlement) -> dict[str, Any]:
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
            person=answers.person_fields(person, self._certno(person), row.enddate), insutype=row.insutype,
            med_type=row.med_type, amounts=amounts, balc=row.balc, pool_prop=row.pool_prop,
            setl_time=_local(row.created_at), msgid=medins_setl_id, clr_optins=self.division,
            inpatient=visits.is_inpatient(row.med_type))
        for name in ("psn_part_amt", "psn_cash_pay", "hosp_part_amt"):
            info.pop(name, None)
        info.update(
            emp_name="", fixmedins_code=row.fixmedins_code, fixmedins_name=institution.name if institution else "",
            cash_payamt=yuan(row.psn_cash_pay), refd_setl_flag="1" if cancelled else "0",
            dise_codg=row.dise_code or "", dise_name=(visit.dise_name if visit else "") or "", invono="",
            opter_name="", flxempe_flag="1" if person.psn_type == "1103" else "0", nwb_flag="0",
            insu_optins=row.county, pay_loc="2", hosp_lv=str(row.hosp_lv), fixmedins_poolarea=row.insuplc_admdvs,
            lmtpric_hosp_lv=str(row.hosp_lv), dedc_hosp_lv=str(row.hosp_lv), begndate=row.begndate.isoformat(),
            enddate=row.enddate.isoformat(), psn_pay=yuan(row.psn_part_amt), year=str(row.year), opter_id="",
            opt_time=answers.dt_text(_local(row.created_at)))
        return {"setlinfo": info, "setldetail": answers.setldetail(row.insutype, amounts, row.explanation)}

    def query_fees(self, call: Call) -> Reply:
        data: wire.SettlementQuery = call.input.data
        def work(session: Session) -> list[dict[str, Any]]:
            row = self._own_settlement(session, call.code, data)
            fees = session.execute(select(m.ApiFee).where(m.ApiFee.setl_id == row.setl_id)
                                   .order_by(m.ApiFee.id)).scalars().all()
            return [_fee_query_record(row, fee) for fee in fees]
        return self._write(call, work)

    def query_accumulation(self, call: Call) -> Reply:
        data: wire.AccumulationQuery = call.input.data
        def work(session: Session) -> dict[str, Any]:
            visits.person_or_refuse(session, data.psn_no)
            cum_ym = data.cum_ym or f"{now_local():%Y%m}"
            if len(cum_ym) != 6 or not cum_ym.isdigit():
                raise InvalidRequest("cum_ym", "累计年月应为 yyyyMM。")
            year = int(cum_ym[:4])
            rows = session.execute(select(m.YearStateRow).where(m.YearStateRow.psn_no == data.psn_no,
                                                                m.YearStateRow.year == year)
                                   .order_by(m.YearStateRow.insutype)).scalars().all()
            cum = []
            for row in rows:
                cum += answers.cuminfo(row.insutype, year, cum_ym, row.state or {}, row.settlements)
            return {"cuminfo": cum}
        return self._write(call, work)


# ---------------------------------------------------------------- helpers

def _discharge_day(visit: m.ApiVisit, data: Any) -> dt.date:
    if visit.endtime is not None:
        return visit.endtime.date()
    if getattr(data, "dscgTime", None):
        try:
            return dt.date.fromisoformat(str(data.dscgTime)[:10])
        except ValueError:
            raise InvalidRequest("dscgTime", "出院时间应为日期 yyyy-MM-dd。") from None
    raise Refused("mdtrt_id", f"就诊ID {visit.mdtrt_id} 尚未办理出院（2402），不能住院结算。", "not_discharged")


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

"""The visit's registration and its end: 2201/2202/2203 outpatient, 2401/2402/2404/2405 inpatient.
Each handler translates the wire input into `tongchou.visits` terms and the visit back into the output."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tongchou.api import identity, wire
from tongchou.api.tx_base import Call, Context, Reply, Transaction
from tongchou.errors import InvalidRequest
from tongchou.visits import service as visits
from tongchou.visits.rules import INPATIENT, OUTPATIENT, Description, DischargeInfo, Registration


def _diagnoses(ctx: Context, call: Call) -> tuple[dict[str, Any], ...]:
    return tuple(ctx.kept(call.input.diseinfo))


def _opened_with(ctx: Context, session: Session, call: Call, node: Any, mdtrt_id: str) -> None:
    """The certificate that opens a visit must be the person's (an e-certificate is bound to the visit)."""
    cert = identity.Certificate(node.mdtrt_cert_type, node.mdtrt_cert_no)
    identity.check_certificate(session, ctx.cipher, node.psn_no, cert, code=call.code, mdtrt_id=mdtrt_id,
                               opening=True)


def registration_of(ctx: Context, call: Call) -> tuple[Registration, Any]:
    """2201 / 2401: the registration the call asks for, and the input node carrying its certificate."""
    if call.infno == "2201":
        data: wire.Register = call.input.data
        return Registration(psn_no=data.psn_no, insutype=data.insutype, kind=OUTPATIENT, ipt_otp_no=data.ipt_otp_no,
                            begntime=data.begntime, info=ctx.kept(data)), data
    info: wire.Admission = call.input.mdtrtinfo
    return Registration(
        psn_no=info.psn_no, insutype=info.insutype, kind=INPATIENT, med_type=info.med_type, ipt_otp_no=info.ipt_no,
        begntime=info.begntime, info=ctx.kept(info), diagnoses=_diagnoses(ctx, call),
        dise_codg=info.dise_codg or info.dscg_maindiag_code, dise_name=info.dise_name or info.dscg_maindiag_name,
        diag_code=info.dscg_maindiag_code, oprn_code=info.oprn_oprt_code), info


def registration_output(infno: str, visit: Any) -> dict[str, Any]:
    if infno == "2201":
        return {"data": {"mdtrt_id": visit.mdtrt_id, "psn_no": visit.psn_no, "ipt_otp_no": visit.ipt_otp_no,
                         "exp_content": ""}}
    return {"result": {"mdtrt_id": visit.mdtrt_id}}


def _register(ctx: Context, call: Call) -> Reply:
    registration, node = registration_of(ctx, call)

    def work(session: Session) -> dict[str, Any]:
        visit = visits.register(session, call.code, registration)
        _opened_with(ctx, session, call, node, visit.mdtrt_id)
        return registration_output(call.infno, visit)
    return ctx.write(call, work, lambda out: (out.get("data") or out["result"])["mdtrt_id"])


def register_outpatient(ctx: Context, call: Call) -> Reply:
    return _register(ctx, call)


def cancel_outpatient(ctx: Context, call: Call) -> Reply:
    data: wire.CancelRegister = call.input.data

    def work(session: Session) -> dict[str, Any]:
        visit = visits.visit_of(session, call.code, data.mdtrt_id, data.psn_no, lock=True)
        if visit.ipt_otp_no != data.ipt_otp_no:
            raise InvalidRequest("ipt_otp_no", "门诊号与挂号时不一致。")
        visits.cancel_registration(session, visit)
        return {}
    return ctx.write(call, work)


def outpatient_info(ctx: Context, call: Call) -> Reply:
    info: wire.OutpatientVisit = call.input.mdtrtinfo
    description = Description(med_type=info.med_type, begntime=info.begntime, dise_codg=info.dise_codg,
                              dise_name=info.dise_name, diagnoses=_diagnoses(ctx, call), info=ctx.kept(info))

    def work(session: Session) -> dict[str, Any]:
        visits.describe_outpatient(visits.visit_of(session, call.code, info.mdtrt_id, info.psn_no, lock=True),
                                   description)
        return {}
    return ctx.write(call, work)


def admit(ctx: Context, call: Call) -> Reply:
    return _register(ctx, call)


def discharge(ctx: Context, call: Call) -> Reply:
    info: wire.Discharge = call.input.dscginfo
    discharge_info = DischargeInfo(endtime=info.endtime, dise_codg=info.dise_codg, dise_name=info.dise_name,
                                   oprn_code=info.oprn_oprt_code, diagnoses=_diagnoses(ctx, call),
                                   info=ctx.kept(info))

    def work(session: Session) -> dict[str, Any]:
        visits.discharge(session, visits.visit_of(session, call.code, info.mdtrt_id, info.psn_no, lock=True),
                         discharge_info)
        return {}
    return ctx.write(call, work)


def cancel_admission(ctx: Context, call: Call) -> Reply:
    data: wire.VisitRef = call.input.data

    def work(session: Session) -> dict[str, Any]:
        visit = visits.visit_of(session, call.code, data.mdtrt_id, data.psn_no, lock=True)
        if visit.kind != INPATIENT:
            raise InvalidRequest("mdtrt_id", f"就诊ID {visit.mdtrt_id} 不是住院登记。")
        visits.cancel_registration(session, visit)
        return {}
    return ctx.write(call, work)


def cancel_discharge(ctx: Context, call: Call) -> Reply:
    data: wire.VisitRef = call.input.data

    def work(session: Session) -> dict[str, Any]:
        visits.cancel_discharge(session, visits.visit_of(session, call.code, data.mdtrt_id, data.psn_no, lock=True))
        return {}
    return ctx.write(call, work)


TRANSACTIONS = {
    "2201": Transaction(wire.Input2201, register_outpatient),
    "2202": Transaction(wire.Input2202, cancel_outpatient),
    "2203": Transaction(wire.Input2203, outpatient_info),
    "2401": Transaction(wire.Input2401, admit),
    "2402": Transaction(wire.Input2402, discharge),
    "2404": Transaction(wire.Input2404, cancel_admission),
    "2405": Transaction(wire.Input2405, cancel_discharge),
}

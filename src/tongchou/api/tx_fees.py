"""Fee detail lines: 2204/2205 outpatient, 2301/2302 inpatient."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tongchou.api import answers, hospital, wire
from tongchou.api.envelope import ApiError
from tongchou.api.tx_base import Call, Context, Reply, Transaction
from tongchou.errors import InvalidRequest
from tongchou.visits import service as visits
from tongchou.visits.rules import INPATIENT, UploadLine


def _upload_line(ctx: Context, line: wire.FeeDetail, code: str) -> UploadLine:
    return UploadLine(
        feedetl_sn=line.feedetl_sn, code=code, cnt=line.cnt, pric=line.pric,
        amount=line.det_item_fee_sumamt, fee_ocur_time=line.fee_ocur_time, hosp_appr_flag=line.hosp_appr_flag,
        detail=ctx.kept(line), chrg_bchno=getattr(line, "chrg_bchno", None),
        init_feedetl_sn=line.init_feedetl_sn, dise_codg=getattr(line, "dise_codg", None))


def same_visit(call: Call) -> Any:
    """The lines of one upload must be of one visit and person: the first line."""
    lines: list[wire.FeeDetail] = call.input.feedetail
    first = lines[0]
    for index, line in enumerate(lines):
        if line.mdtrt_id != first.mdtrt_id:
            raise ApiError("一次上传的费用明细应属于同一就诊ID。", f"feedetail[{index}].mdtrt_id")
        if line.psn_no != first.psn_no:
            raise ApiError("一次上传的费用明细应属于同一参保人。", f"feedetail[{index}].psn_no")
    return first


def catalogue_lines(call: Call) -> list[tuple[str, str, Any]]:
    """(med_list_codg, medins_list_codg, fee day) of each line, for `hospital.catalogue_codes`."""
    return [(line.med_list_codg, line.medins_list_codg, line.fee_ocur_time.date()) for line in call.input.feedetail]


def upload_lines(ctx: Context, call: Call, codes: list[str]) -> list[UploadLine]:
    return [_upload_line(ctx, line, code) for line, code in zip(call.input.feedetail, codes)]


def check_kind(visit: Any, outpatient: bool) -> None:
    if (visit.kind == INPATIENT) == outpatient:
        raise InvalidRequest("feedetail[0].mdtrt_id", f"就诊ID {visit.mdtrt_id} 不是"
                             f"{'门诊' if outpatient else '住院'}就诊。")


def upload_output(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"result": [answers.fee_record(r) for r in results]}


def _upload(ctx: Context, call: Call, outpatient: bool) -> Reply:
    first = same_visit(call)

    def work(session: Session) -> dict[str, Any]:
        codes = hospital.catalogue_codes(session, call.code, catalogue_lines(call))
        upload = upload_lines(ctx, call, codes)
        visit = visits.visit_facts(session, call.code, first.mdtrt_id, first.psn_no, lock=True)
        check_kind(visit, outpatient)
        results = visits.upload_fees(session, visit, upload, ctx.settlements.references, ctx.line_tolerance)
        return upload_output(results)
    return ctx.write(call, work)


def upload_outpatient_fees(ctx: Context, call: Call) -> Reply:
    return _upload(ctx, call, outpatient=True)


def upload_inpatient_fees(ctx: Context, call: Call) -> Reply:
    return _upload(ctx, call, outpatient=False)


def cancel_outpatient_fees(ctx: Context, call: Call) -> Reply:
    data: wire.CancelFees = call.input.data

    def work(session: Session) -> dict[str, Any]:
        visit = visits.visit_of(session, call.code, data.mdtrt_id, data.psn_no, lock=True)
        visits.cancel_fees(session, visit, chrg_bchno=data.chrg_bchno)
        return {}
    return ctx.write(call, work)


def cancel_inpatient_fees(ctx: Context, call: Call) -> Reply:
    rows = call.input.data if isinstance(call.input.data, list) else [call.input.data]

    def work(session: Session) -> dict[str, Any]:
        for row in rows:
            visit = visits.visit_of(session, call.code, row.mdtrt_id, row.psn_no, lock=True)
            visits.cancel_fees(session, visit, feedetl_sn=row.feedetl_sn)
        return {}
    return ctx.write(call, work)


TRANSACTIONS = {
    "2204": Transaction(wire.Input2204, upload_outpatient_fees),
    "2205": Transaction(wire.Input2205, cancel_outpatient_fees),
    "2301": Transaction(wire.Input2301, upload_inpatient_fees),
    "2302": Transaction(wire.Input2302, cancel_inpatient_fees),
}

"""关系转移接续 in the console: 转出 (form → the certificate page, printable) and 转入 (form), each multipart with
the documents received (档案: `web/attachments.py`), saved with the matter in its transaction. A form carries a
one-time key (`key`): submitted twice, the first transfer is shown again and nothing is written twice. Every
transfer and every view of a certificate is in the audit trail."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from tongchou.access.sessions import Current
from tongchou.enrolment.rules import RuleError
from tongchou.enrolment.years import years_text
from tongchou.errors import ServiceError
from tongchou.transfers.documents import certificate_document
from tongchou.transfers.rules import IN_FIELDS, fields_of_certificate, parse_certificate_file
from tongchou.transfers.service import TransferService
from tongchou.web.attachments import checked_upload
from tongchou.web.auth import audit, console_of, render, require, store_for
from tongchou.web.forms import FormErrors, Reader
from tongchou.web.routes_people import _echo, _person_or_404, form_field

router = APIRouter()
OUT_DOCUMENTS = ("转移接续申请表",)
IN_DOCUMENTS = ("参保凭证",)
TRANSFER_OUT, TRANSFER_IN, TRANSFER_VIEW = "transfer.out", "transfer.in", "transfer.view"
SCHEMES = {"310": "职工基本医疗保险（310）", "390": "城乡居民基本医疗保险（390）"}
RECEIVED = {"1": "已到账（记入银行存款）", "0": "未到账（记为应收其他统筹区转移款）"}


def service_for(request: Request, current: Current) -> TransferService:
    console = console_of(request)
    return TransferService(store_for(request, current), console.registry, console.cipher, console.today)


def _actor_name(current: Current) -> str:
    """Who handled it, as the certificate names them (the audit trail has the sign-in name)."""
    return (current.principal.display_name or current.principal.username)[:64]


# ---------------------------------------------------------------- 转出

def _out_page(request: Request, current: Current, person, values: dict, errors: dict, status_code: int = 200):
    service = service_for(request, current)
    today = console_of(request).today()
    preview = certificate_document(service.certificate(person.psn_no, today), preview=True)
    return render(request, current, "transfer_out.html", status_code, person=person, values=values, errors=errors,
                  kinds=OUT_DOCUMENTS, preview=preview)


@router.get("/persons/{psn_no}/transfer-out")
def transfer_out_form(request: Request, psn_no: str, current: Current = Depends(require("transfer.manage"))):
    person = _person_or_404(request, current, psn_no)
    today = console_of(request).today()
    return _out_page(request, current, person, {"on": today.isoformat(), "key": uuid.uuid4().hex}, {})


@router.post("/persons/{psn_no}/transfer-out")
async def transfer_out(request: Request, psn_no: str, current: Current = Depends(require("transfer.manage"))):
    fields, documents, errors = await checked_upload(request, current, OUT_DOCUMENTS)
    person = _person_or_404(request, current, psn_no, TRANSFER_OUT)
    reader = Reader(fields)
    to_pool = reader.text("to_pool", "转入统筹区代码", max_length=6)
    pool_name = reader.text("to_pool_name", "转入统筹区名称")
    on = reader.date("on", "转出日期")
    key = (fields.get("key") or "").strip()[:64] or uuid.uuid4().hex
    try:
        reader.done()
    except FormErrors as exc:
        errors = {**exc.errors, **errors}
    values = {**_echo(fields), "key": key}
    if errors:
        return _out_page(request, current, person, values, errors, 422)
    try:
        outcome = service_for(request, current).transfer_out(psn_no, to_pool, pool_name, on, key=key,
                                                             by=_actor_name(current), documents=documents)
    except ServiceError as exc:
        audit(request, current, TRANSFER_OUT, object_type="person", object_id=psn_no, outcome="refused",
              detail={"field": exc.field, "to_pool": to_pool})
        return _out_page(request, current, person, values, {form_field(exc.field, fields): exc.message}, 422)
    audit(request, current, TRANSFER_OUT, object_type="person", object_id=psn_no,
          detail={"transfer_id": outcome.transfer_id, "to_pool": to_pool, "on": on, "balance": outcome.balance,
                  "documents": len(documents), "replayed": outcome.replayed})
    return RedirectResponse(f"/transfers/{outcome.transfer_id}", status_code=303)


# ---------------------------------------------------------------- 转入

def _in_page(request: Request, current: Current, person, values: dict, errors: dict, status_code: int = 200):
    return render(request, current, "transfer_in.html", status_code, person=person, values=values, errors=errors,
                  kinds=IN_DOCUMENTS, schemes=SCHEMES, received=RECEIVED)


@router.get("/persons/{psn_no}/transfer-in")
def transfer_in_form(request: Request, psn_no: str, current: Current = Depends(require("transfer.manage"))):
    person = _person_or_404(request, current, psn_no)
    return _in_page(request, current, person, {"key": uuid.uuid4().hex, "received": "1", "balance": "0.00"}, {})


async def _certificate_fields(request: Request, errors: dict) -> dict:
    """The fields of a certificate data file (JSON as a pool issues it, or CSV/XLSX with one row), if sent."""
    form = await request.form()
    upload = form.get("certificate_file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return {}
    content = await upload.read()
    try:
        body = content.removeprefix(b"\xef\xbb\xbf").lstrip()
        if body[:1] == b"{":
            return parse_certificate_file(upload.filename, content)
        from tongchou.sheets import column_map, read_sheet
        sheet = read_sheet(upload.filename, content)
        found = column_map(sheet.header, IN_FIELDS, required=("from_pool", "insutype", "total_months",
                                                               "continuous_months", "ended_on"),
                           filename=upload.filename)
        if len(sheet.rows) != 1:
            raise RuleError("certificate_file", f"参保凭证数据文件应只有一行数据，实有{len(sheet.rows)}行。")
        return {code: sheet.rows[0].values.get(cell, "") for code, cell in found.items()}
    except RuleError as exc:
        errors["certificate_file"] = str(exc)
    except ServiceError as exc:
        errors["certificate_file"] = exc.message
    return {}


@router.post("/persons/{psn_no}/transfer-in")
async def transfer_in(request: Request, psn_no: str, current: Current = Depends(require("transfer.manage"))):
    fields, documents, errors = await checked_upload(request, current, IN_DOCUMENTS)
    person = _person_or_404(request, current, psn_no, TRANSFER_IN)
    from_file = await _certificate_fields(request, errors)
    raw = {name: (fields.get(name) or "").strip() for name in IN_FIELDS}
    for name, value in from_file.items():  # the file fills what the clerk left blank
        if name in IN_FIELDS and not raw.get(name) and value not in (None, ""):
            raw[name] = str(value)
    if from_file.get("certificate"):
        raw["certificate"] = from_file["certificate"]
    if from_file and from_file.get("insutype") and raw.get("insutype") != str(from_file["insutype"]):
        try:  # the clerk chose another scheme of the certificate
            picked = fields_of_certificate(from_file["certificate"], raw["insutype"]) if from_file.get(
                "certificate") else {}
            raw.update({k: str(v) for k, v in picked.items() if k in IN_FIELDS and v is not None and k != "start"})
        except RuleError as exc:
            errors[exc.field] = str(exc)
    key = (fields.get("key") or "").strip()[:64] or uuid.uuid4().hex
    values = {**_echo({k: v for k, v in raw.items() if isinstance(v, str)}), "key": key}
    if errors:
        return _in_page(request, current, person, values, errors, 422)
    try:
        outcome = service_for(request, current).transfer_in(psn_no, raw, key=key, by=_actor_name(current),
                                                            documents=documents)
    except ServiceError as exc:
        audit(request, current, TRANSFER_IN, object_type="person", object_id=psn_no, outcome="refused",
              detail={"field": exc.field, "from_pool": raw.get("from_pool")})
        field = exc.field if exc.field in IN_FIELDS or exc.field in ("certificate_file",) else "_"
        return _in_page(request, current, person, values, {field: exc.message}, 422)
    audit(request, current, TRANSFER_IN, object_type="person", object_id=psn_no,
          detail={"transfer_id": outcome.transfer_id, "from_pool": raw.get("from_pool"), "insutype": raw.get("insutype"),
                  "balance": outcome.balance, "documents": len(documents), "replayed": outcome.replayed})
    return RedirectResponse(f"/transfers/{outcome.transfer_id}", status_code=303)


# ---------------------------------------------------------------- the transfer and its certificate

@router.get("/transfers/{transfer_id}")
def transfer_page(request: Request, transfer_id: int, current: Current = Depends(require("person.view"))):
    service = service_for(request, current)
    try:
        view = service.get(transfer_id)
    except ServiceError:
        raise HTTPException(404) from None
    person = _person_or_404(request, current, view.psn_no, TRANSFER_VIEW)  # the person must be in the user's scope
    audit(request, current, TRANSFER_VIEW, object_type="person", object_id=view.psn_no,
          detail={"transfer_id": transfer_id, "direction": view.direction})
    document = certificate_document(view.certificate) if view.direction == "out" else None
    total, continuous = view.recognised_months or (0, 0)
    recognised = {"total": years_text(total), "continuous": years_text(continuous)}
    return render(request, current, "transfer.html", person=person, transfer=view, doc=document, schemes=SCHEMES,
                  recognised=recognised)

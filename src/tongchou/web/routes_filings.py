"""门诊慢特病申报 in the console: the application at the township health centre (with its documents, 档案), the
county branch's review queue (approve, or reject with a reason — never the one who received it), and the list
of filings to renew at the year end (CSV export).

Every read and change goes through `FilingService` on the store scoped to the user's county; each matter is in
the audit trail."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from tongchou.access.sessions import Current
from tongchou.dossier.service import DossierService
from tongchou.errors import ServiceError
from tongchou.filings.documents import renewal_csv, renewal_status
from tongchou.filings.rules import STATES
from tongchou.filings.service import MATTER, FilingService
from tongchou.web import queries
from tongchou.web.attachments import checked_upload
from tongchou.web.auth import audit, checked_form, console_of, render, require, store_for
from tongchou.web.forms import FormErrors, Reader

router = APIRouter()
FILING_APPLY, FILING_APPROVE, FILING_REJECT = "filing.apply", "filing.approve", "filing.reject"
FORM_FIELDS = ("dise_code", "received_at", "received_on")


def service_for(request: Request, current: Current) -> FilingService:
    console = console_of(request)
    return FilingService(store_for(request, current), console.registry, console.today)


def _person_or_404(request: Request, current: Current, psn_no: str):
    person = store_for(request, current).read(lambda s: queries.person(s, current.principal.county_scope, psn_no))
    if person is None:
        raise HTTPException(404)
    return person


def _apply_page(request: Request, current: Current, person, values: dict, errors: dict, status_code: int = 200):
    service = service_for(request, current)
    day = console_of(request).today()
    try:
        terms = service.terms(person.psn_no, day)
    except ServiceError as exc:
        return render(request, current, "filing_apply.html", status_code if status_code != 200 else 422,
                      person=person, terms=None, refusal=exc.message, values=values, errors=errors)
    return render(request, current, "filing_apply.html", status_code, person=person, terms=terms, refusal=None,
                  diseases=dict(terms.diseases), receivers=dict(terms.receivers), values=values, errors=errors,
                  receiver=current.principal.display_name)


@router.get("/persons/{psn_no}/filings/apply")
def apply_form(request: Request, psn_no: str, current: Current = Depends(require("filing.receive"))):
    person = _person_or_404(request, current, psn_no)
    return _apply_page(request, current, person, {"received_on": console_of(request).today().isoformat()}, {})


@router.post("/persons/{psn_no}/filings/apply")
async def apply(request: Request, psn_no: str, current: Current = Depends(require("filing.receive"))):
    person = _person_or_404(request, current, psn_no)
    service = service_for(request, current)
    try:
        required = service.terms(psn_no, console_of(request).today()).terms.documents
    except ServiceError:
        required = []
    fields, documents, upload_errors = await checked_upload(request, current, required)
    values = {k: v for k, v in fields.items() if k in FORM_FIELDS}
    r = Reader(fields)
    dise = r.text("dise_code", "病种")
    received_at = r.text("received_at", "受理机构")
    received_on = r.date("received_on", "受理日期")
    errors = {**r.errors, **upload_errors}
    if errors:
        return _apply_page(request, current, person, values, errors, 422)
    try:
        number = service.apply(psn_no, dise, received_at, received_on, current.principal.display_name,
                               documents=documents, user=current.principal.username)
    except ServiceError as exc:
        field = exc.field if exc.field in (*FORM_FIELDS, "documents") else "_"
        return _apply_page(request, current, person, values, {field: exc.message}, 422)
    audit(request, current, FILING_APPLY, object_type="person", object_id=psn_no,
          detail={"application": number, "dise_code": dise, "received_at": received_at,
                  "documents": [d.kind for d in documents]})
    return render(request, current, "done.html", title="门诊慢特病申报已受理",
                  message=f"{person.name}（{psn_no}）的门诊慢特病申报已受理（申请第{number}号），"
                          f"材料{len(documents)}份已存档，待县医保经办机构审批。",
                  back=f"/persons/{psn_no}")


@router.get("/filings")
def queue(request: Request, current: Current = Depends(require("person.view"))):
    """The county branch's review queue: pending applications with their documents; the decided ones below."""
    service = service_for(request, current)
    pending = service.applications(state="received")
    decided = [a for a in service.applications() if a.state != "received"][-20:][::-1]
    dossier = DossierService(store_for(request, current))
    documents = {a.id: dossier.of_matter(MATTER, f"filing_application:{a.id}") for a in pending}
    return render(request, current, "filings.html", pending=pending, decided=decided, documents=documents,
                  may_decide=current.principal.can("filing.approve"), states=STATES,
                  year=console_of(request).today().year, errors={})


async def _decide(request: Request, application: int, current: Current, approve: bool):
    form = await checked_form(request, current)
    service = service_for(request, current)
    today = console_of(request).today()
    try:
        if approve:
            filing = service.approve(application, current.principal.display_name, today,
                                     user=current.principal.username)
        else:
            reason = (form.get("reason") or "").strip()
            Reader({"reason": reason}).text("reason", "驳回理由", max_length=200)
            service.reject(application, current.principal.display_name, today, reason,
                           user=current.principal.username)
    except ServiceError as exc:
        return render(request, current, "done.html", 422, title="未能办理", message=exc.message, back="/filings")
    [view] = [a for a in service.applications() if a.id == application]
    audit(request, current, FILING_APPROVE if approve else FILING_REJECT, object_type="person",
          object_id=view.psn_no, detail={"application": application, "filing": filing if approve else None,
                                         "reason": view.reason})
    if approve:
        message = (f"申请第{application}号（{view.name}，{view.dise_name}）已审批通过，门诊慢特病备案已生效，有效期"
                   f"{view.valid_from.isoformat()}至{view.valid_to.isoformat()}。")
    else:
        message = f"申请第{application}号（{view.name}，{view.dise_name}）已驳回：{view.reason}"
    return render(request, current, "done.html", title="已审批" if approve else "已驳回", message=message,
                  back="/filings")


@router.post("/filings/{application}/approve")
async def approve(request: Request, application: int, current: Current = Depends(require("filing.approve"))):
    return await _decide(request, application, current, True)


@router.post("/filings/{application}/reject")
async def reject(request: Request, application: int, current: Current = Depends(require("filing.approve"))):
    return await _decide(request, application, current, False)


def _renewal_args(request: Request, year: str | None, within: str | None) -> tuple[int, int, dict]:
    today = console_of(request).today()
    values = {"year": year or str(today.year if today.month == 12 else today.year - 1), "within": within or "30"}
    r = Reader(values)
    chosen = r.year("year", "年度")
    days = r.text("within", "提前天数")
    if days is not None and (not days.isdigit() or int(days) > 366):
        r.errors["within"] = "提前天数应为0到366之间的整数。"
    try:
        r.done()
    except FormErrors as exc:
        raise HTTPException(422, "；".join(exc.errors.values())) from None
    return chosen, int(days), values


@router.get("/filings/renewals")
def renewals(request: Request, year: str | None = None, within: str | None = None,
             current: Current = Depends(require("person.view"))):
    chosen, days, values = _renewal_args(request, year, within)
    rows = service_for(request, current).renewals(chosen, days)
    return render(request, current, "renewals.html", rows=rows, year=chosen, within=days, values=values,
                  status=renewal_status, errors={}, year_end=dt.date(chosen, 12, 31))


@router.get("/filings/renewals.csv")
def renewals_csv(request: Request, year: str | None = None, within: str | None = None,
                 current: Current = Depends(require("person.view"))):
    chosen, days, _ = _renewal_args(request, year, within)
    rows = service_for(request, current).renewals(chosen, days)
    audit(request, current, "filing.renewals_export", object_type="filing", detail={"year": chosen, "rows": len(rows)})
    name = f"{chosen}年度备案续办清单.csv"
    return Response("\ufeff" + renewal_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                             "Cache-Control": "no-store"})

"""用人单位 (employers) in the console: the list, registration (单位登记), the employer's page, joining and
leaving employees (增员、减员), the monthly declaration batch (缴费申报), the tax bureau's collection batch
(征缴对账) and arrears with the late fee (欠费与滞纳金).

Every form is multipart and carries the documents received (档案, `web/attachments.py`), saved with the
matter in its own transaction; the store is the user's county-scoped one (`store_for`: row-level security on
PostgreSQL) and `EmployerService` checks the same county on every engine. Every change and every view of an
employer goes to the audit trail. A form submitted again does not apply its matter twice: registration,
joining, leaving and each declaration row are keyed (credit code; open employment; employer, person and
month) and a collection batch by its number, so a second submission is refused with the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace
from pathlib import PurePath

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from tongchou import sheets
from tongchou.access.sessions import Current
from tongchou.dossier.service import DossierService, Matter, record
from tongchou.employers import documents as batch
from tongchou.employers import rules as credit_code
from tongchou.enrolment.rules import RuleError
from tongchou.employers.service import Arrear, DeclarationView, EmployerService, normalized
from tongchou.errors import NotFound, ServiceError
from tongchou.web import batch_files, queries
from tongchou.web.attachments import checked_upload
from tongchou.web.auth import audit, console_of, render, require, store_for
from tongchou.web.forms import Reader

router = APIRouter()

# the documents each matter expects (档案): the first is required, the form offers two more for other material
DOCS = {
    "register": ("营业执照副本",),
    "join": ("劳动合同或录用通知",),
    "leave": ("解除或终止劳动关系证明",),
    "declare": ("缴费申报表（单位盖章）",),
}
MATTERS = {"register": ("employer.register", "单位登记"), "join": ("employer.join", "增员"),
           "leave": ("employer.leave", "减员"), "declare": ("employer.declare", "缴费申报")}
DONE = {"register": "单位登记已办理。", "join": "增员已办理，职工医保自增员日期起参保。",
        "leave": "减员已办理，职工医保参保于减员日期终止，个人账户保留。"}


def service_for(request: Request, current: Current) -> EmployerService:
    console = console_of(request)
    return EmployerService(store_for(request, current), console.registry, console.employer_terms)


def _today(request: Request) -> dt.date:
    return console_of(request).today()


def _counties(request: Request, current: Current) -> dict[str, str]:
    names = store_for(request, current).read(queries.county_names)
    scope = current.principal.county_scope
    return {code: name for code, name in names.items() if not scope or code == scope}


def _summary_or_404(request: Request, current: Current, code: str, action: str):
    try:
        return service_for(request, current).show(code)
    except NotFound:
        audit(request, current, action, object_type="employer", object_id=code[:64], outcome="not_found")
        raise HTTPException(404) from None


def _matter(kind: str, ref: str, code: str, county: str) -> Matter:
    matter_code, name = MATTERS[kind]
    return Matter(matter_code, name, ref[:64], "employer", code, county)


def _keep(request: Request, matter: str, view, documents: list, current: Current):
    """`after` hook of a service call: the documents received saved in the matter's transaction."""
    def after(session, result) -> None:
        ref = f"enrolment:{result}" if isinstance(result, int) else result.code
        record(session, _matter(matter, ref, view.code, view.county), documents, received_on=_today(request),
               received_by=current.principal.username)
    return after


def _field(name: str | None, mapping: dict[str, str]) -> str:
    return mapping.get(name or "", "_")


# ---------------------------------------------------------------- list and registration

@router.get("/employers")
def employers(request: Request, q: str = "", current: Current = Depends(require("employer.view"))):
    rows = service_for(request, current).search(q)
    audit(request, current, "employer.search", object_type="employer", detail={"q": q[:40], "results": len(rows)})
    names = store_for(request, current).read(queries.county_names)
    return render(request, current, "employers.html", q=q, rows=rows, county_names=names)


@router.get("/employers/new")
def register_form(request: Request, current: Current = Depends(require("employer.manage"))):
    counties = _counties(request, current)
    values = {"county": next(iter(counties))} if len(counties) == 1 else {}
    return render(request, current, "employer_register.html", values=values, errors={}, counties=counties,
                  kinds=DOCS["register"])


REGISTER_FIELDS = {"code": "code", "name": "name", "county": "county"}


@router.post("/employers")
async def register(request: Request, current: Current = Depends(require("employer.manage"))):
    fields, documents, errors = await checked_upload(request, current, DOCS["register"])
    counties = _counties(request, current)
    reader = Reader(fields)
    code = reader.text("code", "统一社会信用代码", max_length=40)
    name = reader.text("name", "单位名称", max_length=200)
    county = reader.choice("county", "所在区县", counties)
    if code and "code" not in reader.errors:  # the code's own rule now, so that every error shows at once
        try:
            credit_code.checked_credit_code(normalized(code))
        except RuleError as exc:
            reader.errors["code"] = str(exc)
    errors = {**reader.errors, **errors}

    def again(status: int, errors: dict):
        return render(request, current, "employer_register.html", status, values=fields, errors=errors,
                      counties=counties, kinds=DOCS["register"])
    if errors:
        return again(422, errors)
    try:
        view = service_for(request, current).register(
            code, name, county, after=lambda s, v: _keep(request, "register", v, documents, current)(s, v))
    except ServiceError as exc:
        audit(request, current, "employer.register", object_type="employer", object_id=normalized(code)[:64],
              outcome="refused", detail={"field": exc.field, "code": exc.code})
        return again(409 if exc.code == "already_registered" else 422,
                     {_field(exc.field, REGISTER_FIELDS): exc.message})
    audit(request, current, "employer.register", object_type="employer", object_id=view.code,
          detail={"name": view.name, "county": view.county, "documents": [d.kind for d in documents]})
    return RedirectResponse(f"/employers/{view.code}?done=register", status_code=303)


# ---------------------------------------------------------------- the arrears and the collections (before /{code})

@router.get("/employers/arrears")
def arrears_page(request: Request, as_of: str = "", code: str = "",
                 current: Current = Depends(require("employer.view"))):
    reader = Reader({"as_of": as_of or _today(request).isoformat()})
    day = reader.date("as_of", "计算日期")
    errors, items = dict(reader.errors), []
    if day is not None:
        try:
            items = service_for(request, current).arrears(day, code or None)
        except ServiceError as exc:
            errors = {"code": exc.message}
    groups = arrear_groups(items)
    audit(request, current, "employer.arrears", object_type="employer", object_id=(code or "*")[:64],
          detail={"as_of": as_of or None, "lines": len(items)})
    names = {e.code: e.name for e in service_for(request, current).search(limit=100_000)}
    return render(request, current, "employer_arrears.html", 200 if not errors else 422,
                  values={"as_of": as_of or _today(request).isoformat(), "code": code}, errors=errors,
                  groups=groups, names=names, as_of=day,
                  total_unpaid=sum(i.unpaid for i in items), total_fee=sum(i.late_fee for i in items))


@dataclass(frozen=True)
class ArrearGroup:
    employer: str
    items: list[Arrear]

    @property
    def unpaid(self) -> int:
        return sum(i.unpaid for i in self.items)

    @property
    def late_fee(self) -> int:
        return sum(i.late_fee for i in self.items)


def arrear_groups(items: list[Arrear]) -> list[ArrearGroup]:
    groups: dict[str, list[Arrear]] = {}
    for item in items:
        groups.setdefault(item.declaration.employer, []).append(item)
    return [ArrearGroup(code, rows) for code, rows in groups.items()]


@router.get("/employers/collections/new")
def collections_form(request: Request, current: Current = Depends(require("employer.reconcile"))):
    return render(request, current, "employer_collections.html", values={"received_on": _today(request).isoformat()},
                  errors={}, outcome=None)


COLLECTION_FIELDS = {"batch_no": "batch_no"}


@router.post("/employers/collections")
async def collections(request: Request, current: Current = Depends(require("employer.reconcile"))):
    fields, _documents, _ = await checked_upload(request, current)
    reader = Reader(fields)
    batch_no = reader.text("batch_no", "税务批次号", max_length=40)
    received_on = reader.date("received_on", "接收日期")
    upload = await _upload(request)
    sheet, found, rows, errors = _read_batch(upload, batch.COLLECTION_LABELS, batch.COLLECTION_REQUIRED)
    errors = {**reader.errors, **errors}

    def page(status: int, errors: dict, outcome=None, download=None):
        return render(request, current, "employer_collections.html", status, values=fields, errors=errors,
                      outcome=outcome, download=download, found=found,
                      column_label=lambda c: batch.column_label(c, found))
    if errors:
        return page(422, errors)
    try:
        outcome = service_for(request, current).reconcile(batch_no, received_on, rows)
    except ServiceError as exc:
        audit(request, current, "employer.reconcile", object_type="contribution_batch", object_id=batch_no,
              outcome="refused", detail={"field": exc.field, "code": exc.code})
        return page(409 if exc.code == "duplicate_batch" else 422, {_field(exc.field, COLLECTION_FIELDS): exc.message})
    download = None
    if outcome.held_rows:
        download = _keep_file(request, current, upload.filename, "挂起行", batch.errors_sheet(sheet, found, outcome.held_rows),
                              sheet.fmt)
    audit(request, current, "employer.reconcile", object_type="contribution_batch", object_id=batch_no,
          detail={"lines": len(rows), "accepted": outcome.accepted, "held": len(outcome.held_rows),
                  "collected": outcome.collected, "late_fees": outcome.late_fees})
    return page(200, {}, outcome, download)


@router.get("/employers/batch-files/{token}")
def batch_file(request: Request, token: str, current: Current = Depends(require("employer.view"))):
    found = batch_files.kept(request, current, token)
    audit(request, current, "employer.batch_file", object_type="batch_file", object_id=found.name[:64])
    return batch_files.download(found)


def _keep_file(request: Request, current: Current, filename: str | None, suffix: str, content: bytes, fmt: str) -> dict:
    """An errors file kept for its owner to download (`batch_files`)."""
    stem = PurePath(filename or "批量文件").stem or "批量文件"
    name = f"{stem}_{suffix}.{fmt}"
    token = batch_files.keep(request, current, name, content, fmt)
    return {"url": f"/employers/batch-files/{token}", "filename": name, "format": fmt.upper()}


async def _upload(request: Request) -> UploadFile | None:
    form = await request.form()  # already parsed by checked_upload (Starlette keeps it)
    value = form.get("batch")
    return value if isinstance(value, UploadFile) and value.filename else None


def _read_batch(upload: UploadFile | None, labels, required):
    """(sheet, columns found, rows, errors) of the uploaded batch file (`batch`)."""
    if upload is None:
        return None, {}, [], {"batch": "请选择批量文件（CSV或XLSX）。"}
    try:
        content = upload.file.read()
        sheet = sheets.read_sheet(upload.filename, content)
        found, rows = batch.batch_rows(sheet, labels, required, upload.filename)
    except ServiceError as exc:
        return None, {}, [], {"batch": exc.message}
    if not rows:
        return None, {}, [], {"batch": f"文件“{upload.filename}”只有表头，没有数据行。"}
    return sheet, found, rows, {}


# ---------------------------------------------------------------- the employer's page

@router.get("/employers/{code}")
def employer_page(request: Request, code: str, done: str = "", current: Current = Depends(require("employer.view"))):
    summary = _summary_or_404(request, current, code, "employer.view")
    today = _today(request)
    arrears = {(a.declaration.psn_no, a.declaration.month): a
               for a in service_for(request, current).arrears(today, summary.employer.code)}
    who = {u.username: u.display_name for u in console_of(request).users.list()}
    docs = [replace(d, received_by=who.get(d.received_by, d.received_by))  # the clerk by name, not by sign-in
            for d in DossierService(store_for(request, current)).of_subject("employer", summary.employer.code)]
    names = store_for(request, current).read(queries.county_names)
    person_names = {e.psn_no: e.name for e in summary.employments}
    audit(request, current, "employer.view", object_type="employer", object_id=summary.employer.code)
    return render(request, current, "employer.html", s=summary, e=summary.employer, today=today,
                  rows=declaration_rows(summary.declarations, arrears, today), months=month_rows(summary.declarations, arrears),
                  docs=docs, county_names=names, person_names=person_names, done=DONE.get(done))


@dataclass(frozen=True)
class DeclarationRow:
    d: DeclarationView
    status: str
    days: int
    late_fee: int | None  # paid with the collection, or accrued to today when in arrears

    @property
    def total(self) -> int:
        return self.d.employer_part + self.d.individual_part


def declaration_rows(declarations, arrears: dict, today: dt.date) -> list[DeclarationRow]:
    rows = []
    for d in declarations:
        arrear = arrears.get((d.psn_no, d.month))
        if d.collected_on is not None and d.collected_on <= today:
            rows.append(DeclarationRow(d, f"已征收（{d.collected_on.isoformat()}）", 0, d.late_fee))
        elif arrear is not None:
            rows.append(DeclarationRow(d, f"欠费{arrear.days}天", arrear.days, arrear.late_fee))
        else:
            rows.append(DeclarationRow(d, "未到截止日", 0, None))
    return rows


@dataclass(frozen=True)
class MonthRow:
    month: str
    people: int
    base: int
    employer_part: int
    individual_part: int
    due_on: dt.date
    collected: int
    arrears: int
    late_fee: int


def month_rows(declarations, arrears: dict) -> list[MonthRow]:
    """Per month: the declared base and parts, what was collected, what is in arrears today and the late fee
    (paid with collections, accrued to today on arrears)."""
    months: dict[str, list] = {}
    for d in declarations:
        months.setdefault(d.month, []).append(d)
    rows = []
    for month, items in sorted(months.items()):
        collected = [d for d in items if d.collected_on is not None and (d.psn_no, d.month) not in arrears]
        owing = [arrears[(d.psn_no, d.month)] for d in items if (d.psn_no, d.month) in arrears]
        rows.append(MonthRow(month, len(items), sum(d.base for d in items), sum(d.employer_part for d in items),
                             sum(d.individual_part for d in items), min(d.due_on for d in items),
                             sum(d.employer_part + d.individual_part for d in collected),
                             sum(a.unpaid for a in owing),
                             sum(d.late_fee or 0 for d in collected) + sum(a.late_fee for a in owing)))
    return rows


# ---------------------------------------------------------------- joining and leaving (增员、减员)

JOIN_FIELDS = {"psn_no": "psn_no", "start": "joined_on", "joined_on": "joined_on"}
LEAVE_FIELDS = {"psn_no": "psn_no", "left_on": "left_on"}


@router.get("/employers/{code}/join")
def join_form(request: Request, code: str, current: Current = Depends(require("employer.manage"))):
    summary = _summary_or_404(request, current, code, "employer.join")
    return render(request, current, "employer_join.html", e=summary.employer, errors={}, kinds=DOCS["join"],
                  values={"joined_on": _today(request).isoformat()})


@router.post("/employers/{code}/join")
async def join(request: Request, code: str, current: Current = Depends(require("employer.manage"))):
    fields, documents, errors = await checked_upload(request, current, DOCS["join"])
    summary = _summary_or_404(request, current, code, "employer.join")
    reader = Reader({k: normalized(v) for k, v in fields.items()})
    psn_no = reader.text("psn_no", "个人编号", max_length=32)
    joined_on = reader.date("joined_on", "增员日期")
    errors = {**reader.errors, **errors}

    def again(status: int, errors: dict):
        return render(request, current, "employer_join.html", status, e=summary.employer, values=fields, errors=errors,
                      kinds=DOCS["join"])
    if errors:
        return again(422, errors)
    try:
        enrolment_id = service_for(request, current).join(summary.employer.code, psn_no, joined_on,
                                                          after=_keep(request, "join", summary.employer, documents, current))
    except ServiceError as exc:
        audit(request, current, "employer.join", object_type="employer", object_id=summary.employer.code,
              outcome="refused", detail={"psn_no": psn_no, "field": exc.field, "code": exc.code})
        return again(409 if exc.code in ("already_employed", "already_enrolled", "insured_twice") else 422,
                     {_field(exc.field, JOIN_FIELDS): exc.message})
    audit(request, current, "employer.join", object_type="employer", object_id=summary.employer.code,
          detail={"psn_no": psn_no, "joined_on": joined_on, "enrolment_id": enrolment_id,
                  "documents": [d.kind for d in documents]})
    return RedirectResponse(f"/employers/{summary.employer.code}?done=join", status_code=303)


def _staff(summary) -> dict[str, str]:
    return {e.psn_no: f"{e.name}（{e.psn_no}）" for e in summary.employments if e.left_on is None}


@router.get("/employers/{code}/leave")
def leave_form(request: Request, code: str, current: Current = Depends(require("employer.manage"))):
    summary = _summary_or_404(request, current, code, "employer.leave")
    return render(request, current, "employer_leave.html", e=summary.employer, staff=_staff(summary), errors={},
                  kinds=DOCS["leave"], values={"left_on": _today(request).isoformat()})


@router.post("/employers/{code}/leave")
async def leave(request: Request, code: str, current: Current = Depends(require("employer.manage"))):
    fields, documents, errors = await checked_upload(request, current, DOCS["leave"])
    summary = _summary_or_404(request, current, code, "employer.leave")
    staff = _staff(summary)
    reader = Reader({k: normalized(v) for k, v in fields.items()})
    psn_no = reader.text("psn_no", "职工", max_length=32)
    left_on = reader.date("left_on", "减员日期")
    errors = {**reader.errors, **errors}

    def again(status: int, errors: dict):
        return render(request, current, "employer_leave.html", status, e=summary.employer, staff=staff, values=fields,
                      errors=errors, kinds=DOCS["leave"])
    if errors:
        return again(422, errors)
    try:
        enrolment_id = service_for(request, current).leave(summary.employer.code, psn_no, left_on,
                                                           after=_keep(request, "leave", summary.employer, documents, current))
    except ServiceError as exc:
        audit(request, current, "employer.leave", object_type="employer", object_id=summary.employer.code,
              outcome="refused", detail={"psn_no": psn_no, "field": exc.field, "code": exc.code})
        return again(409 if exc.code == "not_employed" else 422, {_field(exc.field, LEAVE_FIELDS): exc.message})
    audit(request, current, "employer.leave", object_type="employer", object_id=summary.employer.code,
          detail={"psn_no": psn_no, "left_on": left_on, "enrolment_id": enrolment_id,
                  "documents": [d.kind for d in documents]})
    return RedirectResponse(f"/employers/{summary.employer.code}?done=leave", status_code=303)


# ---------------------------------------------------------------- the declaration batch (缴费申报)

@router.get("/employers/{code}/declarations/new")
def declare_form(request: Request, code: str, current: Current = Depends(require("employer.manage"))):
    summary = _summary_or_404(request, current, code, "employer.declare")
    return render(request, current, "employer_declare.html", e=summary.employer, errors={}, kinds=DOCS["declare"],
                  values={"declared_on": _today(request).isoformat()}, outcome=None)


@router.post("/employers/{code}/declarations")
async def declare(request: Request, code: str, current: Current = Depends(require("employer.manage"))):
    fields, documents, errors = await checked_upload(request, current, DOCS["declare"])
    summary = _summary_or_404(request, current, code, "employer.declare")
    e = summary.employer
    reader = Reader({k: normalized(v) for k, v in fields.items()})
    declared_on = reader.date("declared_on", "申报日期")
    upload = await _upload(request)
    sheet, found, rows, batch_errors = _read_batch(upload, batch.DECLARATION_LABELS, batch.DECLARATION_LABELS)
    errors = {**reader.errors, **errors, **batch_errors}

    def page(status: int, errors: dict, outcome=None, download=None):
        return render(request, current, "employer_declare.html", status, e=e, values=fields, errors=errors,
                      kinds=DOCS["declare"], outcome=outcome, download=download,
                      column_label=lambda c: batch.column_label(c, found))
    if errors:
        return page(422, errors)
    outcome = service_for(request, current).declare_rows(rows, declared_on, employer=e.code)
    download = None
    if outcome.errors:
        download = _keep_file(request, current, upload.filename, "错误行",
                              batch.errors_sheet(sheet, found, outcome.errors), sheet.fmt)
    if outcome.applied:
        digest = hashlib.sha256(b"".join(str(r.values).encode() for r in rows)).hexdigest()[:12]
        months = sorted({d.month for d in outcome.applied})
        DossierService(store_for(request, current)).attach(
            _matter("declare", f"declarations:{months[0]}..{months[-1]}:{digest}", e.code, e.county), documents,
            received_on=_today(request), received_by=current.principal.username)
    audit(request, current, "employer.declare", object_type="employer", object_id=e.code,
          detail={"file": (upload.filename or "")[:80], "rows": len(rows), "applied": len(outcome.applied),
                  "refused": len(outcome.errors), "declared_on": declared_on,
                  "documents": [d.kind for d in documents] if outcome.applied else []})
    return page(200, {}, outcome, download)

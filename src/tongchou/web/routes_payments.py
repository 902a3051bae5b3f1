"""代发 (bank payment files) and the money matters of a person: the payment batches (list, create, download
the file, upload the bank's return file, re-issue a returned payment), the person's bank details for payments,
and the personal account paying for the family (个人账户家庭共济缴费).

Every route reads and writes through `PaymentService` bound to the user's county-scoped store; every change
and every download of a batch file (which carries account numbers in full) goes to the audit trail; a matter
moving money above the threshold needs a second person (`web/review.py`). Forms that receive documents carry
the `documents(kinds, errors)` macro and save them with the matter (`tongchou.dossier`).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from tongchou.access.sessions import Current
from tongchou.errors import NotFound, ServiceError
from tongchou.payments import family, rules
from tongchou.payments.review import ReviewRule
from tongchou.payments.service import PaymentService
from tongchou.store import models as m
from tongchou.web import queries, review
from tongchou.web.attachments import checked_upload
from tongchou.web.auth import audit, checked_form, checked_multipart, console_of, render, require, store_for
from tongchou.web.forms import Reader

router = APIRouter()
BANK_PROOF = "银行账户证明"
MAX_RETURN_BYTES = 5 * 1024 * 1024
HIDDEN = ("review_password", "account_no_full")


def service_for(request: Request, current: Current) -> PaymentService:
    console = console_of(request)
    return PaymentService(store_for(request, current), console.cipher, registry=console.registry,
                          review=ReviewRule(console.reimbursement_limits.review_above))


def _echo(form: dict) -> dict:
    return {k: v for k, v in form.items() if k not in HIDDEN and not k.startswith("doc_")}


def _field(exc: ServiceError, form: dict, default: str = "_") -> str:
    return exc.field if exc.field and exc.field in form else default


# ---------------------------------------------------------------- the batches page

def _payments_page(request: Request, current: Current, status_code: int = 200, **extra):
    payments = service_for(request, current)
    scope = current.principal.county_scope
    names = store_for(request, current).read(queries.county_names)
    pending = payments.payments(states=[rules.PENDING])
    returned = [p for p in payments.payments(states=[rules.RETURNED]) if p.reissued_as is None]
    owed = payments.owed()
    return render(request, current, "payments.html", status_code, pending=pending, returned=returned,
                  ready=[w for w in owed if w.bank], waiting=[w for w in owed if not w.bank], batches=payments.batches(), county_names=names,
                  choose_county=scope is None, counties=names, states=rules.STATES,
                  return_codes=rules.RESULT_CODES, review_above=review.rule_of(request).threshold,
                  errors=extra.pop("errors", {}), **extra)


@router.get("/payments")
def payments_page(request: Request, current: Current = Depends(require("payment.manage"))):
    return _payments_page(request, current)


@router.post("/payments/batches")
async def create_batch(request: Request, current: Current = Depends(require("payment.manage"))):
    form = await checked_form(request, current)
    console = console_of(request)
    county = current.principal.county_scope or (form.get("county") or "").strip() or None
    try:
        batch = service_for(request, current).create_batch(console.today(), current.principal.username, county)
    except ServiceError as exc:
        audit(request, current, "payment.batch", object_type="payment_batch", outcome="refused",
              detail={"reason": exc.code})
        return _payments_page(request, current, 422, errors={"batch": exc.message})
    audit(request, current, "payment.batch", object_type="payment_batch", object_id=batch.batch_no,
          detail={"count": batch.count, "total": batch.total})
    return RedirectResponse(f"/payments/batches/{batch.batch_no}?new=1", status_code=303)


@router.get("/payments/batches/{batch_no}")
def batch_page(request: Request, batch_no: str, new: int = 0,
               current: Current = Depends(require("payment.manage"))):
    try:
        batch = service_for(request, current).batch(batch_no)
    except NotFound:
        raise HTTPException(404) from None
    names = store_for(request, current).read(queries.county_names)
    return render(request, current, "payment_batch.html", batch=batch, new=bool(new), county_names=names,
                  by_state=batch.by_state(), states=rules.STATES)


@router.get("/payments/batches/{batch_no}/file")
def batch_file(request: Request, batch_no: str, current: Current = Depends(require("payment.manage"))):
    """The batch file for the bank: account numbers in full, so every download is in the audit trail."""
    try:
        name, content = service_for(request, current).batch_file(batch_no)
    except NotFound:
        raise HTTPException(404) from None
    audit(request, current, "payment.file", object_type="payment_batch", object_id=batch_no,
          detail={"bytes": len(content)})
    return Response(content, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                             "Cache-Control": "no-store"})


@router.post("/payments/returns")
async def upload_return(request: Request, current: Current = Depends(require("payment.manage"))):
    form = await checked_multipart(request, current, max_files=1, max_part_size=MAX_RETURN_BYTES)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _payments_page(request, current, 422, errors={"file": "请选择银行回盘文件（CSV或XLSX）。"})
    content = await upload.read()
    console = console_of(request)
    try:
        outcome = service_for(request, current).read_return(upload.filename, content, on=console.today(),
                                                             by=current.principal.username)
    except ServiceError as exc:
        return _payments_page(request, current, 422, errors={"file": exc.message})
    audit(request, current, "payment.return", object_type="payment_batch",
          object_id=",".join(sorted(outcome.batches))[:64],
          detail={"paid": outcome.paid, "returned": outcome.returned, "already": outcome.already,
                  "errors": len(outcome.errors)})
    return render(request, current, "payment_return.html", 422 if outcome.errors else 200, outcome=outcome,
                  filename=upload.filename)


# ---------------------------------------------------------------- re-issue

def _payment_or_404(request: Request, current: Current, payment_id: int):
    try:
        return service_for(request, current).payment(payment_id)
    except NotFound:
        raise HTTPException(404) from None


def _reissue_page(request: Request, current: Current, payment, values: dict, errors: dict, status_code: int = 200):
    return render(request, current, "payment_reissue.html", status_code, payment=payment, values=_echo(values),
                  errors=errors, kinds=[BANK_PROOF], review_above=review.rule_of(request).threshold,
                  needs_review=review.rule_of(request).needs_review(payment.amount))


@router.get("/payments/{payment_id}/reissue")
def reissue_form(request: Request, payment_id: int, current: Current = Depends(require("payment.manage"))):
    payment = _payment_or_404(request, current, payment_id)
    return _reissue_page(request, current, payment, {"payee_name": payment.payee_name}, {})


@router.post("/payments/{payment_id}/reissue")
async def reissue(request: Request, payment_id: int, current: Current = Depends(require("payment.manage"))):
    form, documents, errors = await checked_upload(request, current, required=[BANK_PROOF])
    payment = _payment_or_404(request, current, payment_id)
    r = Reader(form)
    r.text("payee_name", "户名", max_length=60)
    r.text("bank_name", "开户行", max_length=100)
    r.text("account_no", "账号", max_length=40)
    errors = {**r.errors, **errors}
    if errors:
        return _reissue_page(request, current, payment, form, errors, 422)
    reviewed_by, errors = review.reviewer_of(request, current, form, payment.county, "代发退回重发", payment.amount)
    if errors:
        return _reissue_page(request, current, payment, form, errors, 422)
    console = console_of(request)
    try:
        new = service_for(request, current).reissue(payment_id, form["payee_name"], form["bank_name"],
                                                    form["account_no"], on=console.today(),
                                                    entered_by=current.principal.username, reviewed_by=reviewed_by,
                                                    documents=documents)
    except ServiceError as exc:
        status = 409 if exc.code == "already_reissued" else 422
        return _reissue_page(request, current, payment, form, {_field(exc, form): exc.message}, status)
    audit(request, current, "payment.reissue", object_type="payment", object_id=str(new.id),
          detail={"reissue_of": payment_id, "psn_no": new.psn_no, "amount": new.amount, "reviewed_by": reviewed_by})
    return RedirectResponse(f"/payments?reissued={new.id}", status_code=303)


# ---------------------------------------------------------------- a person's bank details

def _person_or_404(request: Request, current: Current, psn_no: str):
    person = store_for(request, current).read(lambda s: queries.person(s, current.principal.county_scope, psn_no))
    if person is None:
        raise HTTPException(404)
    return person


def _bank_page(request: Request, current: Current, person, values: dict, errors: dict, status_code: int = 200):
    bank = service_for(request, current).bank_account(person.psn_no)
    return render(request, current, "bank_account.html", status_code, person=person, bank=bank,
                  values=_echo(values), errors=errors, kinds=[BANK_PROOF])


@router.get("/persons/{psn_no}/bank-account")
def bank_form(request: Request, psn_no: str, current: Current = Depends(require("payment.manage"))):
    person = _person_or_404(request, current, psn_no)
    return _bank_page(request, current, person, {"payee_name": person.name}, {})


@router.post("/persons/{psn_no}/bank-account")
async def bank_save(request: Request, psn_no: str, current: Current = Depends(require("payment.manage"))):
    form, documents, errors = await checked_upload(request, current, required=[BANK_PROOF])
    person = _person_or_404(request, current, psn_no)
    if errors:
        return _bank_page(request, current, person, form, errors, 422)
    console = console_of(request)
    try:
        saved = service_for(request, current).set_bank_account(
            psn_no, form.get("payee_name", ""), form.get("bank_name", ""), form.get("account_no", ""),
            on=console.today(), by=current.principal.username, documents=documents)
    except ServiceError as exc:
        return _bank_page(request, current, person, form, {_field(exc, form): exc.message}, 422)
    audit(request, current, "person.bank_account", object_type="person", object_id=psn_no,
          detail={"bank_name": saved.bank_name, "account": saved.account_masked})
    return render(request, current, "done.html", title="代发银行账户已登记",
                  message=f"{person.name}（{psn_no}）的代发银行账户已登记：{saved.bank_name}，账号{saved.account_masked}。",
                  back="/payments")


# ---------------------------------------------------------------- 家庭共济

def _family_options(request: Request, current: Current, person) -> dict:
    """The relatives (spouse, parents, children) and the balance of the person's account."""
    from tongchou.ledger.service import personal_account_balance

    def work(session):
        rows = session.execute(select(m.FamilyRelation, m.Person).join(
            m.Person, m.Person.psn_no == m.FamilyRelation.relative).where(
            m.FamilyRelation.psn_no == person.psn_no).order_by(m.FamilyRelation.id)).all()
        relatives = {rel.relative: f"{p.name}（{family.RELATIONS.get(rel.relation, rel.relation)}，{rel.relative}）"
                     for rel, p in rows}
        has_account = session.get(m.PersonalAccount, person.psn_no) is not None
        return relatives, has_account, personal_account_balance(session, person.psn_no)
    relatives, has_account, balance = store_for(request, current).read(work)
    return {"relatives": relatives, "has_account": has_account, "balance": balance}


def _family_page(request: Request, current: Current, person, values: dict, errors: dict, status_code: int = 200,
                 **extra):
    payments = service_for(request, current)
    options = _family_options(request, current, person)
    year = values.get("year") or str(console_of(request).today().year)
    amounts = {}
    if year.isdigit():
        for kind in (family.LARGE_EXPENSE, family.LONG_TERM_CARE):
            pool = store_for(request, current).read(lambda s: queries.pool_of_county(s, person.county))
            uses = payments.uses.get(pool)
            found = uses.amount(kind, int(year)) if uses else None
            amounts[kind] = found
    return render(request, current, "family_payment.html", status_code, person=person, values=_echo(values),
                  errors=errors, kinds=family.KINDS, amounts=amounts, year=year,
                  paid=payments.family_payments(person.psn_no), review_above=review.rule_of(request).threshold,
                  **options, **extra)


@router.get("/persons/{psn_no}/family-payment")
def family_form(request: Request, psn_no: str, year: str = "",
                current: Current = Depends(require("account.family"))):
    person = _person_or_404(request, current, psn_no)
    today = console_of(request).today()
    year = year if year.isdigit() and len(year) == 4 else str(today.year)
    return _family_page(request, current, person, {"year": year, "paid_on": today.isoformat(),
                                                   "kind": family.RESIDENT}, {})


@router.post("/persons/{psn_no}/family-payment")
async def family_pay(request: Request, psn_no: str, current: Current = Depends(require("account.family"))):
    form, documents, errors = await checked_upload(request, current)
    person = _person_or_404(request, current, psn_no)
    r = Reader(form)
    kind = r.choice("kind", "缴费项目", family.KINDS)
    year = r.year("year", "缴费年度")
    paid_on = r.date("paid_on", "缴费日期")
    relative = r.text("relative", "近亲属", required=kind == family.RESIDENT, max_length=32)
    errors = {**r.errors, **errors}
    if errors:
        return _family_page(request, current, person, form, errors, 422)
    payments = service_for(request, current)
    try:
        amount = payments.family_amount(psn_no, kind, year, paid_on, relative)
    except ServiceError as exc:
        return _family_page(request, current, person, form, {_field(exc, form): exc.message}, 422)
    reviewed_by, errors = review.reviewer_of(request, current, form, person.county, "个人账户家庭共济缴费", amount)
    if errors:
        return _family_page(request, current, person, form, errors, 422)
    try:
        out = payments.family_pay(psn_no, kind, year, on=paid_on, entered_by=current.principal.username,
                                  reviewed_by=reviewed_by, relative=relative if kind == family.RESIDENT else None,
                                  documents=documents)
    except ServiceError as exc:
        status = 409 if exc.code in ("already_paid", "already_enrolled") else 422
        return _family_page(request, current, person, form, {_field(exc, form): exc.message}, status)
    audit(request, current, "account.family", object_type="person", object_id=psn_no,
          detail={"kind": kind, "year": year, "for": out.beneficiary, "amount": out.amount,
                  "reviewed_by": reviewed_by})
    from tongchou.web.format import yuan
    whom = "本人" if out.beneficiary == psn_no else out.beneficiary
    return render(request, current, "done.html", title="个人账户家庭共济缴费已办理",
                  message=f"{person.name}（{psn_no}）的个人账户已为{whom}缴纳{year}年度"
                          f"{family.KINDS[kind].removeprefix('本人').removeprefix('为配偶、父母、子女缴纳')}"
                          f"{yuan(out.amount)}元，账户余额{yuan(out.balance_after)}元。",
                  back=f"/persons/{psn_no}")


# ---------------------------------------------------------------- 个人账户支取

PAYOUT_DOCUMENTS = {"death": ["死亡证明", "继承权证明"], "emigration": ["出国（境）定居证明"]}


def _payout_page(request: Request, current: Current, person, reason: str, values: dict, errors: dict,
                 status_code: int = 200):
    from tongchou.ledger.service import personal_account_balance
    balance = store_for(request, current).read(lambda s: personal_account_balance(s, person.psn_no))
    bank = service_for(request, current).bank_account(person.psn_no)
    return render(request, current, "account_payout.html", status_code, person=person, reason=reason,
                  reasons=rules.PAYOUT_REASONS, kinds=PAYOUT_DOCUMENTS[reason], values=_echo(values), errors=errors,
                  balance=balance, bank=bank, review_above=review.rule_of(request).threshold)


@router.get("/persons/{psn_no}/account-payout")
def payout_form(request: Request, psn_no: str, reason: str = "death",
                current: Current = Depends(require("payment.manage"))):
    person = _person_or_404(request, current, psn_no)
    reason = reason if reason in rules.PAYOUT_REASONS else "death"
    return _payout_page(request, current, person, reason, {}, {})


@router.post("/persons/{psn_no}/account-payout")
async def payout(request: Request, psn_no: str, current: Current = Depends(require("payment.manage"))):
    form, documents, errors = await checked_upload(request, current)
    reason = form.get("reason") if form.get("reason") in rules.PAYOUT_REASONS else "death"
    kinds = PAYOUT_DOCUMENTS[reason]
    received = {a.kind for a in documents}
    for index, kind in enumerate(kinds):
        if kind not in received and f"doc_{index}" not in errors:
            errors[f"doc_{index}"] = f"请上传{kind}。"
    person = _person_or_404(request, current, psn_no)
    if errors:
        return _payout_page(request, current, person, reason, form, errors, 422)
    payee = None
    if reason == "death" or any((form.get(k) or "").strip() for k in ("payee_name", "bank_name", "account_no")):
        try:
            payee = rules.bank_details(form.get("payee_name"), form.get("bank_name"), form.get("account_no"))
        except ServiceError as exc:
            return _payout_page(request, current, person, reason, form, {_field(exc, form): exc.message}, 422)
    from tongchou.ledger.service import personal_account_balance
    balance = store_for(request, current).read(lambda s: personal_account_balance(s, psn_no))
    reviewed_by, errors = review.reviewer_of(request, current, form, person.county, "个人账户支取", balance)
    if errors:
        return _payout_page(request, current, person, reason, form, errors, 422)
    try:
        made = service_for(request, current).account_payout(
            psn_no, reason, on=console_of(request).today(), entered_by=current.principal.username,
            reviewed_by=reviewed_by, payee=payee, documents=documents)
    except ServiceError as exc:
        status = 409 if exc.code == "nothing_to_pay" else 422
        return _payout_page(request, current, person, reason, form, {_field(exc, form): exc.message}, status)
    audit(request, current, "payment.payout", object_type="payment", object_id=str(made.id),
          detail={"psn_no": psn_no, "reason": reason, "amount": made.amount, "reviewed_by": reviewed_by})
    from tongchou.web.format import yuan
    return render(request, current, "done.html", title="个人账户支取已登记",
                  message=f"{person.name}（{psn_no}）的个人账户余额{yuan(made.amount)}元已转为应付（代发号{made.id}），"
                          f"将随下一个代发批次支付给{made.payee_name}（{made.bank_name}，{made.account_masked}）。",
                  back="/payments")

"""Persons: search, the person's file, a settlement and its explanation, enrolment and filing forms,
manual reimbursement (零星报销), and showing an ID number in full with a recorded reason.

Every read and change goes through the store scoped to the user's county (`store_for`; row-level
security on PostgreSQL) and the services bound to it; every view of a person's record, search, change
and unmasking is written to the audit trail (psn_no and masked values only)."""

from __future__ import annotations

import copy

import segno
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup

from tongchou.masking import mask_id_number, mask_phone, scrub
from tongchou.access.sessions import Current
from tongchou.api import identity
from tongchou.audit import trail
from tongchou.codes import Insutype, MedType
from tongchou.money import to_fen
from tongchou.dossier.service import DossierService
from tongchou.errors import ServiceError
from tongchou.filings.service import FilingService
from tongchou.persons.rules import CHANGEABLE, RELATIONS, half_width, is_resident
from tongchou.persons.service import PersonService
from tongchou.transfers.service import TransferService
from tongchou.web import policy_view, queries, reimbursement, review
from tongchou.web.auth import (
    actor_of, audit, checked_form, console_of, is_cross_county, is_htmx, person_counties, person_scope,
    person_store_for, render, require, store_for,
)
from tongchou.web.forms import FormErrors, Reader

router = APIRouter()
ID_NUMBER_LENGTHS = (15, 18)


def _looks_like_id_number(text: str) -> bool:
    body = text.upper()
    return len(body) in ID_NUMBER_LENGTHS and body[:-1].isdigit() and (body[-1].isdigit() or body[-1] == "X")


def services_for(request: Request, current: Current):
    """The settlement and enrolment services bound to the user's county-scoped store."""
    console = console_of(request)
    store = store_for(request, current)
    settlements, enrolments = copy.copy(console.settlements), copy.copy(console.enrolments)
    settlements.store = enrolments.store = store
    return settlements, enrolments


def find_persons(request: Request, current: Current, q: str) -> list:
    """By psn_no, by ID number (keyed hash; the number is never stored or logged), else by name prefix."""
    console = console_of(request)
    scope = person_scope(current)  # 全城通办: the pool (filtered to the user's pool below)
    counties = person_counties(request, current)
    text = half_width(q)
    if not text:
        return []
    kind = "id_number" if _looks_like_id_number(text) else None

    def work(session):
        nonlocal kind
        if kind == "id_number":
            digest = console.cipher.lookup_hash(text.upper(), "person.id_number")
            return queries.search_persons(session, scope, id_hash=digest)
        found = queries.search_persons(session, scope, psn_no=text)
        kind = "psn_no" if found else "name"
        return found or queries.search_persons(session, scope, name=text)
    found = [p for p in person_store_for(request, current).read(work) if counties is None or p.county in counties]
    detail = {"by": kind, "results": [p.psn_no for p in found]}
    other = sorted({p.psn_no for p in found if is_cross_county(current, p.county)})
    if other:
        detail.update(cross_county=True, other_county_results=other)
    audit(request, current, trail.PERSON_SEARCH, object_type="person", detail=detail)
    return found


def form_field(field: str | None, form: dict) -> str:
    """The form field a service error names (`items[2].code` → `item_code_2`), or `_` for the whole form."""
    if field and field.startswith("items[") and "]" in field:
        return f"item_code_{field[6:field.index(']')]}"
    return field if field and field in form else "_"


def masked_id(request: Request, person) -> str:
    return mask_id_number(console_of(request).cipher.decrypt(person.id_number_enc, "person.id_number"))


def _search_page(request: Request, current: Current, q: str):
    found = find_persons(request, current, q)
    rows = [{"person": p, "id_masked": masked_id(request, p)} for p in found]
    template = "_person_results.html" if is_htmx(request) else "persons.html"
    shown = mask_id_number(q.strip()) if _looks_like_id_number(q.strip()) else q  # never echo an ID number
    names = person_store_for(request, current).read(queries.county_names)
    return render(request, current, template, q=shown, rows=rows, searched=bool(q.strip()), county_names=names)


@router.get("/persons")
def persons(request: Request, q: str = "", current: Current = Depends(require("person.view"))):
    return _search_page(request, current, q)


@router.post("/persons/search")
async def persons_search(request: Request, current: Current = Depends(require("person.view"))):
    """The search form posts (an ID number must not end up in a URL, a history or a log)."""
    form = await checked_form(request, current)
    return _search_page(request, current, form.get("q", ""))


def _person_or_404(request: Request, current: Current, psn_no: str, action: str | None = None, *,
                   anycounty: bool = False):
    """The person if in the user's scope; else 404 (whether it exists elsewhere is not revealed) — an
    attempt outside the scope is recorded when `action` names what was tried. `anycounty`: a persons page or
    front-office matter, where 全城通办 reaches every county of the user's pool (`auth.person_counties`)."""
    if anycounty:
        counties = person_counties(request, current)
        person = person_store_for(request, current).read(lambda s: queries.person(s, person_scope(current), psn_no))
        if person is not None and counties is not None and person.county not in counties:
            person = None
    else:
        person = store_for(request, current).read(lambda s: queries.person(s, current.principal.county_scope, psn_no))
    if person is None:
        if action:
            audit(request, current, action, object_type="person", object_id=psn_no[:64], outcome="not_found")
        raise HTTPException(404)
    return person


@router.get("/persons/{psn_no}")
def person_page(request: Request, psn_no: str, current: Current = Depends(require("person.view"))):
    console = console_of(request)
    store = person_store_for(request, current)
    person = _person_or_404(request, current, psn_no, trail.PERSON_VIEW, anycounty=True)
    file = store.read(lambda s: queries.person_file(s, psn_no))
    names = store.read(queries.county_names)
    institutions = store.read(lambda s: queries.institution_names(s, {x.fixmedins_code for x in file.settlements}))
    phone = console.cipher.decrypt(person.phone_enc, "person.phone")
    filings = FilingService(store, console.registry, console.today)
    view = PersonService(store, console.cipher, console.today).show(psn_no)
    documents = DossierService(store).of_subject("person", psn_no)
    cross = is_cross_county(current, person.county)
    audit(request, current, trail.PERSON_VIEW, object_type="person", object_id=psn_no, person_county=person.county)
    return render(request, current, "person.html", person=person, file=file, id_masked=masked_id(request, person),
                  years=TransferService(store, console.registry, console.cipher, console.today).contribution_years(
                      psn_no, console.today()),
                  transfers=TransferService(store, console.registry, console.cipher, console.today).transfers_of(psn_no),
                  filings=filings.person_filings(psn_no, console.today()),
                  applications=filings.applications(psn_no=psn_no),
                  phone_masked=mask_phone(phone), county_names=names, institution_names=institutions,
                  today=console.today(), state_rows=_state_rows(file.year_states, state_names(console.registry)),
                  may_unmask=current.principal.can("person.unmask") and bool(person.id_number_enc or person.phone_enc),
                  unmask_reasons=UNMASK_REASONS, may_ecert=current.principal.can("person.ecert") and not cross,
                  view=view, documents=documents, cross=cross, relations=RELATIONS, change_fields=CHANGEABLE,
                  just_done=DONE_NOTES.get(request.query_params.get("done", "")),
                  resident=is_resident(person.psn_type))


DONE_NOTES = {"register": "参保登记已办理，个人编号已分配；请为其办理参保缴费。",
              "newborn": "新生儿登记已办理（出生当年免缴费，出生之日起享受待遇，须另行办理参保）。"}


@router.post("/persons/{psn_no}/ecert")
async def show_ecert(request: Request, psn_no: str, current: Current = Depends(require("person.ecert"))):
    """出示电子凭证: a new e-certificate token of the person as a QR code (presentable for 5 minutes, then bound
    to the visit it opens); its issue is recorded in the audit trail (never the token)."""
    await checked_form(request, current)
    person = _person_or_404(request, current, psn_no, identity.ECERT_ISSUE)
    console = console_of(request)
    token = store_for(request, current).transaction(
        lambda s: identity.issue_ecert_audited(s, console.cipher, psn_no, actor_of(request, current)))
    qr = segno.make(token, error="m").svg_inline(scale=5, title="医保电子凭证")
    response = render(request, current, "ecert.html", person=person, token=token, qr=Markup(qr),
                      minutes=identity.ECERT_MINUTES)
    response.headers["cache-control"] = "no-store"
    return response


UNMASK_REASONS = {
    "identity_check": "窗口核验参保人身份",
    "correction": "更正参保登记信息",
    "inquiry": "协助公安、法院等依法查询",
    "other": "其他（须在说明中写明）",
}


@router.post("/persons/{psn_no}/unmask")
async def unmask(request: Request, psn_no: str, current: Current = Depends(require("person.unmask"))):
    """The full ID number and phone, once a reason is given; the reason goes to the audit trail."""
    form = await checked_form(request, current)
    person = _person_or_404(request, current, psn_no, trail.PERSON_UNMASK, anycounty=True)
    reason = (form.get("reason") or "").strip()
    note = (form.get("note") or "").strip()[:200]
    if reason not in UNMASK_REASONS or (reason == "other" and len(note) < 4):
        audit(request, current, trail.PERSON_UNMASK, object_type="person", object_id=psn_no, outcome="refused",
              detail={"reason": reason[:40]}, person_county=person.county)
        return render(request, current, "error.html", 422, title="须登记查询事由", status=422,
                      message="查看完整证件号须选择查询事由（选择“其他”时须写明不少于4个字的说明）。")
    console = console_of(request)
    audit(request, current, trail.PERSON_UNMASK, object_type="person", object_id=psn_no,
          detail={"reason": reason, "note": note, "fields": ["id_number", "phone"]}, person_county=person.county)
    return render(request, current, "unmask.html", person=person, reason=UNMASK_REASONS[reason], note=note,
                  id_number=console.cipher.decrypt(person.id_number_enc, "person.id_number") or "—",
                  phone=console.cipher.decrypt(person.phone_enc, "person.phone") or "—")


STATE_LABELS = {"caps_used": "已计入年度限额", "dedc_used": "已付起付线", "layer_base": "分段补偿累计基数",
                "layer_paid": "分段补偿累计支付", "counters": "计数"}


COUNTER_LABELS = {"admissions": "住院次数", "visits": "就诊次数"}


def state_names(registry) -> dict[str, str]:
    """Cap, layer and deductible ids of every policy → their Chinese names (the accumulators are keyed by id)."""
    names: dict[str, str] = dict(COUNTER_LABELS)
    for policy in registry.policies.values():
        for version in policy.versions:
            names.update({cap.id: cap.name for cap in version.caps})
            names.update({layer.id: layer.name for layer in version.layers})
            for line in version.benefits:
                accumulator = getattr(line.deductible, "accumulator", None) if line.deductible else None
                if accumulator:
                    names.setdefault(accumulator, f"{line.name}起付线")
    return names


def _state_name(inner: str, names: dict[str, str]) -> str:
    """`critical_illness:0` → 大病保险（第1段）; an id no policy names stays as it is."""
    base, _, part = inner.partition(":")
    name = names.get(base, base)
    return f"{name}（第{int(part) + 1}段）" if part.isdigit() else name


def _state_rows(states, names: dict[str, str]) -> list[dict]:
    """The accumulators (YearState JSON: amounts as yuan strings) as (label, value, is_money) rows, money in fen."""
    rows = []
    for state in states:
        entries = []
        for key, value in sorted((state.state or {}).items()):
            if key == "admissions" and isinstance(value, dict):
                entries.append(("本年住院（次）", len(value), False))
            elif isinstance(value, dict) and key != "admissions":
                money = key != "counters"
                entries += [(f"{STATE_LABELS.get(key, key)}·{_state_name(inner, names)}",
                             to_fen(amount) if money else amount, money)
                            for inner, amount in sorted(value.items())]
        rows.append({"row": state, "entries": entries})
    return rows


@router.get("/settlements/{setl_id}")
def settlement_page(request: Request, setl_id: str, current: Current = Depends(require("person.view"))):
    store = store_for(request, current)
    file = store.read(lambda s: queries.settlement_file(s, current.principal.county_scope, setl_id))
    if file is None:
        audit(request, current, trail.SETTLEMENT_VIEW, object_type="settlement", object_id=setl_id[:64],
              outcome="not_found")
        raise HTTPException(404)
    items = store.read(lambda s: queries.catalogue_names(s, {f.code for f in file.fees}))
    audit(request, current, trail.SETTLEMENT_VIEW, object_type="settlement", object_id=setl_id,
          detail={"psn_no": file.settlement.psn_no})
    registry, s = console_of(request).registry, file.settlement
    return render(request, current, "settlement.html", file=file, s=s, item_names=items,
                  amount_fields=AMOUNT_ORDER, id_masked=masked_id(request, file.person),
                  verdict=reimbursement.verdict(s, s.explanation or []),
                  policy_name=policy_view.policy_name(registry, s.policy_id),
                  line_name=policy_view.benefit_line_name(registry, s.policy_id, s.policy_version, s.benefit_line),
                  steps=[policy_view.readable(step.get("text", ""), registry) for step in s.explanation or []])


AMOUNT_ORDER = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                "act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifob_pay", "hifmi_pay", "maf_pay", "hifes_pay", "oth_pay",
                "fund_pay_sumamt", "psn_part_amt", "acct_pay", "acct_mulaid_pay", "psn_cash_pay", "hosp_part_amt")


# ---------------------------------------------------------------- enrolment and filings

@router.get("/persons/{psn_no}/enrol")
def enrol_form(request: Request, psn_no: str, current: Current = Depends(require("person.enrol"))):
    person = _person_or_404(request, current, psn_no)
    today = console_of(request).today()
    return render(request, current, "enrol.html", person=person, values={"year": str(today.year),
                                                                          "paid_on": today.isoformat()}, errors={})


@router.post("/persons/{psn_no}/enrol")
async def enrol(request: Request, psn_no: str, current: Current = Depends(require("person.enrol"))):
    form = await checked_form(request, current)
    person = _person_or_404(request, current, psn_no, trail.PERSON_ENROL)
    reader = Reader(form)
    year, paid_on = reader.year("year", "参保年度"), reader.date("paid_on", "缴费日期")
    tier = reader.text("tier", "缴费档次", required=False, max_length=40)
    try:
        reader.done()
        outcome = services_for(request, current)[1].enrol_resident(psn_no, year, paid_on, tier=tier)
    except FormErrors as exc:
        return render(request, current, "enrol.html", 422, person=person, values=_echo(form), errors=exc.errors)
    except ServiceError as exc:
        return render(request, current, "enrol.html", 422, person=person, values=_echo(form),
                      errors={form_field(exc.field, form): exc.message})
    terms = outcome.terms
    audit(request, current, trail.PERSON_ENROL, object_type="person", object_id=psn_no,
          detail={"year": year, "paid_on": paid_on, "tier": tier, "benefit_start": terms.benefit_start})
    return render(request, current, "done.html", title="参保登记已办理",
                  message=f"{person.name}（{psn_no}）已参加{year}年度城乡居民医保，待遇享受起始日{terms.benefit_start.isoformat()}。",
                  back=f"/persons/{psn_no}")


FILING_KINDS = {"chronic": "门诊慢特病备案", "referral": "转诊备案"}


@router.get("/persons/{psn_no}/filings/new")
def filing_form(request: Request, psn_no: str, current: Current = Depends(require("person.file"))):
    person = _person_or_404(request, current, psn_no)
    today = console_of(request).today().isoformat()
    return render(request, current, "filing.html", person=person, kinds=FILING_KINDS,
                  values={"approved_on": today, "valid_from": today}, errors={})


@router.post("/persons/{psn_no}/filings")
async def file_filing(request: Request, psn_no: str, current: Current = Depends(require("person.file"))):
    form = await checked_form(request, current)
    person = _person_or_404(request, current, psn_no, trail.PERSON_FILE)
    r = Reader(form)
    kind = r.choice("kind", "备案类型", FILING_KINDS)
    approved, start = r.date("approved_on", "批准日期"), r.date("valid_from", "有效期起")
    end = r.date("valid_to", "有效期止", required=False)
    r.order("valid_from", "valid_to", "有效期止不能早于有效期起。", start, end)
    dise = r.text("dise_code", "病种", required=kind == "chronic")
    target = r.text("target", "转往机构", required=kind == "referral")
    try:
        r.done()
        filing_id = services_for(request, current)[1].file(psn_no, kind, approved, start, end, dise_code=dise,
                                                           target=target)
    except FormErrors as exc:
        return render(request, current, "filing.html", 422, person=person, kinds=FILING_KINDS, values=_echo(form),
                      errors=exc.errors)
    except ServiceError as exc:
        return render(request, current, "filing.html", 422, person=person, kinds=FILING_KINDS, values=_echo(form),
                      errors={form_field(exc.field, form): exc.message})
    audit(request, current, trail.PERSON_FILE, object_type="person", object_id=psn_no,
          detail={"kind": kind, "filing_id": filing_id, "valid_from": start, "valid_to": end})
    return RedirectResponse(f"/persons/{psn_no}", status_code=303)


# ---------------------------------------------------------------- manual reimbursement

HIDDEN_FIELDS = ("review_password",)  # never shown again, whatever happened


def _echo(form: dict) -> dict:
    """A submitted form to show again: an ID or phone number typed into any field comes back masked."""
    return {key: scrub(value) if isinstance(value, str) else value for key, value in form.items()
            if key not in HIDDEN_FIELDS}


def _reimburse_page(request: Request, current: Current, values: dict, errors: dict, status_code: int = 200,
                    **extra):
    console = console_of(request)
    scope = current.principal.county_scope
    institutions = store_for(request, current).read(lambda s: queries.institution_options(s, scope))
    limits = console.reimbursement_limits
    return render(request, current, "reimburse.html", status_code, values=_echo(values), errors=errors,
                  reasons=reimbursement.REASONS, med_types=reimbursement.MED_TYPES,
                  insutypes=reimbursement.INSUTYPES, lines=range(reimbursement.MAX_LINES), institutions=institutions,
                  review_above=limits.review_above, max_total=limits.max_total, **extra)


@router.get("/reimbursements/new")
def reimburse_form(request: Request, psn_no: str = "", current: Current = Depends(require("reimbursement.manual"))):
    today = console_of(request).today().isoformat()
    return _reimburse_page(request, current, {"psn_no": psn_no, "insutype": Insutype.RESIDENT.value, "med_type": MedType.INPATIENT.value,
                                              "begndate": today, "enddate": today}, {})


def _store_errors(request: Request, current: Current, req: reimbursement.ManualRequest, person) -> dict[str, str]:
    """What the store says against the request: the stay outside the enrolment, no policy in force."""
    console = console_of(request)

    def work(session):
        enrolments = queries.enrolments_of(session, req.psn_no)
        pool = queries.pool_of_county(session, person.county)
        return enrolments, pool
    enrolments, pool = store_for(request, current).read(work)
    return (reimbursement.enrolment_error(req, person.name, enrolments)
            or reimbursement.policy_error(console.registry, pool, req))


def _reviewer(request: Request, current: Current, form: dict, person) -> tuple[str | None, dict[str, str]]:
    """The reviewer who approved (双人复核, `web/review.py`: one rule for every matter moving money), or the error."""
    return review.reviewer_of(request, current, form, person.county, "零星报销")


@router.post("/reimbursements")
async def reimburse(request: Request, current: Current = Depends(require("reimbursement.manual"))):
    form = await checked_form(request, current)
    console = console_of(request)
    try:
        req = reimbursement.read_form(form, console.today(), console.reimbursement_limits)
    except FormErrors as exc:
        return _reimburse_page(request, current, form, exc.errors, 422)
    store = store_for(request, current)
    person = store.read(lambda s: queries.person(s, current.principal.county_scope, req.psn_no))
    if person is None:
        audit(request, current, trail.REIMBURSE, object_type="person", object_id=req.psn_no, outcome="not_found")
        return _reimburse_page(request, current, form, {"psn_no": f"参保人{req.psn_no}不存在或不在您的管辖范围内。"}, 422)
    earlier = store.read(lambda s: reimbursement.earlier_claim(s, req))
    if earlier is not None:
        return _already(request, current, form, reimbursement.AlreadyReimbursed(earlier.setl_id, req.receipt_text))
    errors = _store_errors(request, current, req, person)
    if errors:
        return _reimburse_page(request, current, form, errors, 422)
    reviewed_by = None
    if reimbursement.needs_review(req, console.reimbursement_limits):
        reviewed_by, errors = _reviewer(request, current, form, person)
        if errors:
            return _reimburse_page(request, current, form, errors, 422)
    try:
        outcome = reimbursement.settle_manual(services_for(request, current)[0], req, person.county,
                                              current.principal.username, reviewed_by=reviewed_by,
                                              audit_actor=actor_of(request, current), now=console.audit.now)
    except reimbursement.AlreadyReimbursed as exc:
        return _already(request, current, form, exc)
    except ServiceError as exc:
        return _reimburse_page(request, current, form, {form_field(exc.field, form): exc.message}, 422)
    return RedirectResponse(f"/settlements/{outcome.setl_id}?new=1", status_code=303)


def _already(request: Request, current: Current, form: dict, exc: reimbursement.AlreadyReimbursed):
    field = "bill_code" if (form.get("bill_code") or "").strip() else "receipt_no"
    return _reimburse_page(request, current, form, {field: exc.message}, 409, paid_setl_id=exc.setl_id)

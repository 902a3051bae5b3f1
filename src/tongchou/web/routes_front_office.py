"""Front-office matters of persons at the counter (docs/front-office.md): 参保登记, 信息变更, 死亡登记, 新生儿登记,
家庭户 (建户、入户、迁出), 停保、续保、险种转换, and 批量登记 from a CSV or XLSX file.

One page per matter; each form is multipart and carries the documents received (档案, `web.attachments`), which
are saved with the matter in its own transaction (the services' `also` hook: `dossier.service.record`), together
with the matter's audit event — the matter, its documents and its audit record commit or roll back together.

Scope: the persons and matters reach the user's county, or the whole pool for 全城通办 (`person.anycounty`,
`auth.person_store_for`); an access to a person of another county is audited with `cross_county: true`.

A resubmitted form (the same CSRF token twice, a double click) never applies a matter twice: each service refuses
the second application naming the first (an ID number already registered, a newborn of the same parent, name and
birth date already registered, a stop on the date the cover already ends, a resumption or a switch while
already insured, a death already recorded, a member already in a household, a value equal to the current one),
and the refusal is shown on the form, next to its field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from tongchou.access.sessions import Current
from tongchou.audit.trail import append
from tongchou.codes import Insutype, PsnType
from tongchou.dossier import service as dossier
from tongchou.dossier.rules import Attachment
from tongchou.enrolment.service import EnrolmentService
from tongchou.errors import InvalidRequest, ServiceError
from tongchou.persons import rules as person_rules
from tongchou.persons.service import PersonService, errors_file
from tongchou.sheets import read_sheet
from tongchou.store import models as m
from tongchou.web import batch_files, queries
from tongchou.web.attachments import checked_upload
from tongchou.web.auth import (
    actor_of, audit, checked_multipart, console_of, is_cross_county, person_counties, person_scope, person_store_for,
    render, require,
)
from tongchou.web.forms import Reader
from tongchou.web.routes_people import _echo

router = APIRouter()


@dataclass(frozen=True)
class Matter:
    code: str  # the audit action and the dossier's matter code
    name: str  # 参保登记
    documents: tuple[str, ...]  # the documents the matter expects (each required)
    permission: str  # the permission its page requires (roles.yaml)


MATTERS = {matter.code: matter for matter in (
    Matter("person.register", "参保登记", ("居民身份证或户口簿",), "person.register"),
    Matter("person.change", "信息变更", ("居民身份证或户口簿",), "person.change"),
    Matter("person.death", "死亡登记", ("死亡医学证明或火化证明",), "person.change"),
    Matter("person.newborn", "新生儿登记", ("出生医学证明",), "person.register"),
    Matter("household.create", "家庭户建户", ("户口簿",), "person.change"),
    Matter("household.add", "家庭户成员入户", ("户口簿",), "person.change"),
    Matter("household.remove", "家庭户成员迁出", ("户口簿或迁出证明",), "person.change"),
    Matter("cover.stop", "停保", ("停保申请表",), "cover.change"),
    Matter("cover.resume", "续保", ("续保申请表",), "cover.change"),
    Matter("cover.switch", "险种转换", ("险种转换申请表",), "cover.change"),
)}
SCHEMES = {Insutype.RESIDENT.value: Insutype.RESIDENT.label, Insutype.EMPLOYEE.value: Insutype.EMPLOYEE.label}
SEXES = {"1": "男", "2": "女"}
CHANGE_FIELDS = dict(person_rules.CHANGEABLE)
MEMBER_RELATIONS = {code: person_rules.RELATIONS[code] for code in person_rules.MEMBER_RELATIONS}


def psn_type_options() -> dict[str, str]:
    return {p.value: f"{p.label}（{p.value}）" for p in PsnType}


# ---------------------------------------------------------------- shared

def person_service(request: Request, current: Current) -> PersonService:
    console = console_of(request)
    return PersonService(person_store_for(request, current), console.cipher, console.today)


def enrolment_service(request: Request, current: Current) -> EnrolmentService:
    console = console_of(request)
    return EnrolmentService(person_store_for(request, current), console.registry)


def person_in_scope(request: Request, current: Current, psn_no: str, action: str) -> m.Person:
    """The person if within the user's person scope (their county, or the pool for 全城通办); else 404 with the
    attempt audited."""
    person = person_store_for(request, current).read(lambda s: queries.person(s, person_scope(current), psn_no))
    counties = person_counties(request, current)
    if person is None or (counties is not None and person.county not in counties):
        audit(request, current, action, object_type="person", object_id=psn_no[:64], outcome="not_found")
        raise HTTPException(404)
    return person


def counties_in_scope(request: Request, current: Current) -> dict[str, str]:
    names = person_store_for(request, current).read(queries.county_names)
    counties = person_counties(request, current)
    return {code: name for code, name in sorted(names.items()) if counties is None or code in counties}


def saving(request: Request, current: Current, matter: Matter, documents: Sequence[Attachment], *,
           subject: str | None, county: str, detail: dict | None = None,
           person_county: str | None = None) -> Callable[[Session, object], None]:
    """The services' `also` hook: the documents received and the matter's audit event, in its transaction.
    `subject`: whose matter (the person number; None: the matter's own record, e.g. a new person's number)."""
    console = console_of(request)
    actor = actor_of(request, current)
    cross = is_cross_county(current, person_county or county)

    def also(session: Session, ref: object) -> None:
        whose = subject or str(ref)
        reference = str(ref) if not isinstance(ref, int) else f"enrolment:{ref}"
        dossier.record(session, dossier.Matter(matter.code, matter.name, reference, "person", whose, county),
                       documents, received_on=console.today(), received_by=current.principal.username)
        facts = {**(detail or {}), "record": reference, "documents": [d.kind for d in documents]}
        if cross:
            facts.update(cross_county=True, person_county=person_county or county)
        append(session, actor, matter.code, object_type="person", object_id=whose, detail=facts, now=console.audit.now)
    return also


def error_on_form(exc: ServiceError, form: dict, fields: dict[str, str] | None = None) -> dict[str, str]:
    """The refusal next to the form field it names (a service field renamed by `fields`), else on the form."""
    name = (fields or {}).get(exc.field or "", exc.field)
    return {name if name and name in form else "_": exc.message}


def refused(request: Request, current: Current, matter: Matter, psn_no: str | None, errors: dict,
            person_county: str | None) -> None:
    audit(request, current, matter.code, object_type="person", object_id=(psn_no or "")[:64] or None,
          outcome="refused", detail={"fields": sorted(errors)[:10]}, person_county=person_county)


def done(request: Request, current: Current, title: str, message: str, back: str):
    return render(request, current, "done.html", title=title, message=message, back=back)


# ---------------------------------------------------------------- 参保登记

def _register_page(request: Request, current: Current, values: dict, errors: dict, status: int = 200):
    return render(request, current, "person_register.html", status, values=_echo(values), errors=errors,
                  counties=counties_in_scope(request, current), psn_types=psn_type_options(),
                  kinds=MATTERS["person.register"].documents)


@router.get("/persons/register")
def register_form(request: Request, current: Current = Depends(require("person.register"))):
    counties = counties_in_scope(request, current)
    return _register_page(request, current, {"county": current.principal.county or next(iter(counties), ""),
                                             "psn_type": PsnType.ADULT_RESIDENT.value}, {})


@router.post("/persons/register")
async def register(request: Request, current: Current = Depends(require("person.register"))):
    matter = MATTERS["person.register"]
    form, documents, errors = await checked_upload(request, current, matter.documents)
    counties = counties_in_scope(request, current)
    row = {k: (form.get(k) or "").strip() for k in person_rules.REGISTRATION_COLUMNS}
    if row["county"] and row["county"] not in counties:
        errors["county"] = f"您只能为{'、'.join(counties.values())}办理参保登记。"
    _registration, rule_errors = person_rules.check_registration(row, counties, console_of(request).today())
    for column, message in rule_errors:
        errors.setdefault(column, message)
    if errors:
        refused(request, current, matter, None, errors, row.get("county"))
        return _register_page(request, current, form, errors, 422)
    try:
        psn_no = person_service(request, current).register(row, also=saving(
            request, current, matter, documents, subject=None, county=row["county"],
            detail={"county": row["county"], "psn_type": row["psn_type"]}))
    except ServiceError as exc:
        errors = error_on_form(exc, form)
        refused(request, current, matter, None, errors, row.get("county"))
        return _register_page(request, current, form, errors, 409 if exc.code == "already_registered" else 422)
    return RedirectResponse(f"/persons/{psn_no}?done=register", status_code=303)


# ---------------------------------------------------------------- 信息变更

def _change_page(request, current, person, values, errors, status=200):
    view = person_service(request, current).show(person.psn_no)
    return render(request, current, "person_change.html", status, person=person, view=view, values=_echo(values),
                  errors=errors, fields=CHANGE_FIELDS, kinds=MATTERS["person.change"].documents)


@router.get("/persons/{psn_no}/change")
def change_form(request: Request, psn_no: str, current: Current = Depends(require("person.change"))):
    person = person_in_scope(request, current, psn_no, "person.change")
    return _change_page(request, current, person, {"field": "phone", "on": console_of(request).today().isoformat()},
                        {})


@router.post("/persons/{psn_no}/change")
async def change(request: Request, psn_no: str, current: Current = Depends(require("person.change"))):
    matter = MATTERS["person.change"]
    form, documents, errors = await checked_upload(request, current, matter.documents)
    person = person_in_scope(request, current, psn_no, matter.code)
    reader = Reader(form)
    field = reader.choice("field", "变更项目", CHANGE_FIELDS)
    value = reader.text("value", "新值", max_length=200)
    on = reader.date("on", "变更日期")
    errors = {**reader.errors, **errors}
    if on and on > console_of(request).today():
        errors.setdefault("on", "变更日期晚于今天。")
    if errors:
        refused(request, current, matter, psn_no, errors, person.county)
        return _change_page(request, current, person, form, errors, 422)
    try:
        person_service(request, current).change(psn_no, field, value, on, current.principal.username, also=saving(
            request, current, matter, documents, subject=psn_no, county=person.county, detail={"field": field}))
    except ServiceError as exc:
        errors = error_on_form(exc, form)
        refused(request, current, matter, psn_no, errors, person.county)
        return _change_page(request, current, person, form, errors, 422)
    return RedirectResponse(f"/persons/{psn_no}/change?done=1", status_code=303)


# ---------------------------------------------------------------- 死亡登记

def _death_page(request, current, person, values, errors, status=200):
    return render(request, current, "person_death.html", status, person=person, values=_echo(values), errors=errors,
                  kinds=MATTERS["person.death"].documents)


@router.get("/persons/{psn_no}/death")
def death_form(request: Request, psn_no: str, current: Current = Depends(require("person.change"))):
    person = person_in_scope(request, current, psn_no, "person.death")
    return _death_page(request, current, person, {}, {})


@router.post("/persons/{psn_no}/death")
async def death(request: Request, psn_no: str, current: Current = Depends(require("person.change"))):
    matter = MATTERS["person.death"]
    form, documents, errors = await checked_upload(request, current, matter.documents)
    person = person_in_scope(request, current, psn_no, matter.code)
    reader = Reader(form)
    day = reader.date("death_date", "死亡日期")
    errors = {**reader.errors, **errors}
    if errors:
        refused(request, current, matter, psn_no, errors, person.county)
        return _death_page(request, current, person, form, errors, 422)
    try:
        cut = person_service(request, current).record_death(psn_no, day, current.principal.username, also=saving(
            request, current, matter, documents, subject=psn_no, county=person.county,
            detail={"death_date": day.isoformat()}))
    except ServiceError as exc:
        errors = error_on_form(exc, form)
        refused(request, current, matter, psn_no, errors, person.county)
        return _death_page(request, current, person, form, errors, 422)
    ended = f"终止参保记录{len(cut)}条，" if cut else ""
    return done(request, current, "死亡登记已办理",
                f"已登记{person.name}（{psn_no}）于{day.year}年{day.month}月{day.day}日死亡，{ended}医保待遇自次日终止。",
                f"/persons/{psn_no}")


# ---------------------------------------------------------------- 新生儿登记

def _newborn_page(request, current, person, values, errors, status=200):
    return render(request, current, "person_newborn.html", status, person=person, values=_echo(values),
                  errors=errors, sexes=SEXES, kinds=MATTERS["person.newborn"].documents)


@router.get("/persons/{psn_no}/newborn")
def newborn_form(request: Request, psn_no: str, current: Current = Depends(require("person.register"))):
    person = person_in_scope(request, current, psn_no, "person.newborn")
    return _newborn_page(request, current, person, {}, {})


@router.post("/persons/{psn_no}/newborn")
async def newborn(request: Request, psn_no: str, current: Current = Depends(require("person.register"))):
    matter = MATTERS["person.newborn"]
    form, documents, errors = await checked_upload(request, current, matter.documents)
    parent = person_in_scope(request, current, psn_no, matter.code)
    reader = Reader(form)
    name = reader.text("name", "新生儿姓名", max_length=50)
    birth = reader.date("birth_date", "出生日期")
    sex = reader.choice("sex", "性别", SEXES)
    id_number = reader.text("id_number", "公民身份号码", required=False, max_length=30)
    errors = {**reader.errors, **errors}
    if id_number:
        try:
            person_rules.id_number_facts(id_number)
        except person_rules.PersonRuleError as exc:
            errors.setdefault("id_number", str(exc))
    if errors:
        refused(request, current, matter, psn_no, errors, parent.county)
        return _newborn_page(request, current, parent, form, errors, 422)
    try:
        child = person_service(request, current).register_newborn(
            psn_no, name, birth, sex, current.principal.username, id_number, also=saving(
                request, current, matter, documents, subject=None, county=parent.county,
                detail={"parent": psn_no, "birth_date": birth.isoformat()}))
    except ServiceError as exc:
        errors = error_on_form(exc, form, {"parent": "_"})
        refused(request, current, matter, psn_no, errors, parent.county)
        return _newborn_page(request, current, parent, form, errors, 409 if exc.code == "already_registered" else 422)
    return RedirectResponse(f"/persons/{child}?done=newborn", status_code=303)


# ---------------------------------------------------------------- 家庭户

def _household_page(request, current, person, values, errors, status=200, which: str | None = None):
    view = person_service(request, current).show(person.psn_no)
    return render(request, current, "household.html", status, person=person, view=view, values=_echo(values),
                  errors=errors, which=which, relations=MEMBER_RELATIONS, all_relations=person_rules.RELATIONS,
                  kinds_create=MATTERS["household.create"].documents, kinds_add=MATTERS["household.add"].documents,
                  kinds_remove=MATTERS["household.remove"].documents,
                  resident=person_rules.is_resident(person.psn_type))


@router.get("/persons/{psn_no}/household")
def household_page(request: Request, psn_no: str, current: Current = Depends(require("person.change"))):
    person = person_in_scope(request, current, psn_no, "household.view")
    return _household_page(request, current, person, {"on": console_of(request).today().isoformat()}, {})


@router.get("/persons/{psn_no}/household/{action}")
def household_form(request: Request, psn_no: str, action: str, current: Current = Depends(require("person.change"))):
    if action not in ("add", "remove"):
        raise HTTPException(404)
    person = person_in_scope(request, current, psn_no, "household.view")
    return _household_page(request, current, person, {"on": console_of(request).today().isoformat()}, {},
                           which=action)


@router.post("/persons/{psn_no}/household/{action}")
async def household(request: Request, psn_no: str, action: str,
                    current: Current = Depends(require("person.change"))):
    if action not in ("create", "add", "remove"):
        raise HTTPException(404)
    matter = MATTERS[f"household.{action}"]
    form, documents, errors = await checked_upload(request, current, matter.documents)
    person = person_in_scope(request, current, psn_no, matter.code)
    reader = Reader(form)
    on = reader.date("on", "日期")
    relation = reader.choice("relation", "与户主关系", MEMBER_RELATIONS) if action == "add" else None
    member = reader.text("member", "成员个人编号", max_length=30) if action != "create" else psn_no
    errors = {**reader.errors, **errors}
    service = person_service(request, current)
    view = service.show(psn_no)
    member_person = None
    if member and action != "create" and "member" not in errors:
        member_person = person_store_for(request, current).read(
            lambda s: queries.person(s, person_scope(current), member))
        counties = person_counties(request, current)
        if member_person is None or (counties is not None and member_person.county not in counties):
            member_person = None
            errors["member"] = f"参保人{member}不存在或不在您的管辖范围内。"
    if action != "create" and not view.household_no and action == "add":
        errors.setdefault("_", f"{person.name}尚未建立家庭户，请先建户。")
    if errors:
        refused(request, current, matter, psn_no, errors, person.county)
        return _household_page(request, current, person, form, errors, 422, which=action)
    whose = member or psn_no
    county = member_person.county if member_person else person.county
    also = saving(request, current, matter, documents, subject=whose, county=county,
                  detail={"household": view.household_no, "member": whose}, person_county=county)
    by = current.principal.username
    try:
        if action == "create":
            number = service.create_household(psn_no, on, by, also=also)
            message = f"已建立家庭户{number}，户主{person.name}（{psn_no}）。"
        elif action == "add":
            service.add_member(view.household_no, member, relation, on, by, also=also)
            message = f"{member_person.name}（{member}）已作为{MEMBER_RELATIONS[relation]}加入家庭户{view.household_no}。"
        else:
            service.remove_member(view.household_no or "", member, on, by, also=also)
            message = f"{member_person.name}（{member}）已迁出家庭户{view.household_no}。"
    except ServiceError as exc:
        errors = error_on_form(exc, form, {"psn_no": "member", "head": "_", "household_no": "_"})
        refused(request, current, matter, psn_no, errors, person.county)
        return _household_page(request, current, person, form, errors, 422, which=action)
    return done(request, current, f"{matter.name}已办理", message, f"/persons/{psn_no}/household")


# ---------------------------------------------------------------- 停保、续保、险种转换

COVER_TITLES = {"stop": "停保", "resume": "续保", "switch": "险种转换"}


def _cover_page(request, current, person, action, values, errors, status=200):
    enrolments = person_store_for(request, current).read(lambda s: queries.enrolments_of(s, person.psn_no))
    return render(request, current, "cover.html", status, person=person, action=action, title=COVER_TITLES[action],
                  values=_echo(values), errors=errors, schemes=SCHEMES, enrolments=enrolments,
                  kinds=MATTERS[f"cover.{action}"].documents)


@router.get("/persons/{psn_no}/cover/{action}")
def cover_form(request: Request, psn_no: str, action: str, current: Current = Depends(require("cover.change"))):
    if action not in COVER_TITLES:
        raise HTTPException(404)
    person = person_in_scope(request, current, psn_no, f"cover.{action}")
    today = console_of(request).today().isoformat()
    values = {"on": today, "insutype": Insutype.RESIDENT.value, "to": Insutype.EMPLOYEE.value}
    return _cover_page(request, current, person, action, values, {})


@router.post("/persons/{psn_no}/cover/{action}")
async def cover(request: Request, psn_no: str, action: str, current: Current = Depends(require("cover.change"))):
    if action not in COVER_TITLES:
        raise HTTPException(404)
    matter = MATTERS[f"cover.{action}"]
    form, documents, errors = await checked_upload(request, current, matter.documents)
    person = person_in_scope(request, current, psn_no, matter.code)
    reader = Reader(form)
    on = reader.date("on", {"stop": "停保日期", "resume": "续保日期", "switch": "转换日期"}[action])
    scheme = reader.choice("to" if action == "switch" else "insutype",
                           "转入险种" if action == "switch" else "险种", SCHEMES)
    errors = {**reader.errors, **errors}
    if errors:
        refused(request, current, matter, psn_no, errors, person.county)
        return _cover_page(request, current, person, action, form, errors, 422)
    service = enrolment_service(request, current)
    also = saving(request, current, matter, documents, subject=psn_no, county=person.county,
                  detail={"on": on.isoformat(), "insutype": scheme})
    when = f"{on.year}年{on.month}月{on.day}日"
    try:
        if action == "stop":
            enrolment_id = service.stop(psn_no, scheme, on, also=also)
            message = f"{person.name}（{psn_no}）的{SCHEMES[scheme]}（参保记录{enrolment_id}）已停保，{when}为最后参保日。"
        elif action == "resume":
            enrolment_id, terms = service.resume(psn_no, scheme, on, also=also)
            message = f"{person.name}（{psn_no}）已于{when}续保{SCHEMES[scheme]}（参保记录{enrolment_id}）。{terms.reason}"
        else:
            ended, opened = service.switch(psn_no, scheme, on, also=also)
            message = (f"{person.name}（{psn_no}）自{when}转入{SCHEMES[scheme]}（参保记录{opened}），"
                       f"原参保记录{ended}于前一日终止，参保连续。")
    except ServiceError as exc:
        errors = error_on_form(exc, form, {"psn_no": "_"})
        refused(request, current, matter, psn_no, errors, person.county)
        return _cover_page(request, current, person, action, form, errors, 422)
    return done(request, current, f"{matter.name}已办理", message, f"/persons/{psn_no}")


# ---------------------------------------------------------------- 批量登记

def _import_page(request, current, errors, status=200, **result):
    return render(request, current, "person_import.html", status, errors=errors,
                  counties=counties_in_scope(request, current), columns=person_rules.COLUMN_LABELS,
                  psn_types=psn_type_options(), **result)


@router.get("/persons/import")
def import_form(request: Request, current: Current = Depends(require("person.register"))):
    return _import_page(request, current, {})


@router.post("/persons/import")
async def import_batch(request: Request, current: Current = Depends(require("person.register"))):
    form = await checked_multipart(request, current, max_files=2, max_part_size=20 * 1024 * 1024)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _import_page(request, current, {"file": "请选择批量登记文件（CSV或Excel .xlsx）。"}, 422)
    filename = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:120]
    content = await upload.read()
    counties = list(counties_in_scope(request, current))
    try:
        sheet = read_sheet(filename, content)
        report = person_service(request, current).import_sheet(sheet, counties=counties)
    except InvalidRequest as exc:
        audit(request, current, "person.import", object_type="batch", object_id=filename, outcome="refused",
              detail={"file": exc.message})
        return _import_page(request, current, {"file": exc.message}, 422)
    token = None
    if report.refused:
        stem = filename.rsplit(".", 1)[0] or "批量登记"
        token = batch_files.keep(request, current, f"{stem}.errors.{sheet.fmt}",
                                 errors_file(report, sheet.header, sheet.fmt), sheet.fmt)
    audit(request, current, "person.import", object_type="batch", object_id=filename,
          detail={"rows": len(sheet.rows), "registered": [p for _, p in report.registered][:1000],
                  "refused_lines": [line for line, _, _ in report.refused][:1000], "format": sheet.fmt})
    refused_rows = [{"line": line, "errors": [(person_rules.COLUMN_LABELS.get(c, c), msg) for c, msg in errors]}
                    for line, _row, errors in report.refused]
    return _import_page(request, current, {}, filename=filename, total=len(sheet.rows),
                        registered=report.registered, refused_rows=refused_rows, token=token, fmt=sheet.fmt)


@router.get("/persons/import/errors/{token}")
def import_errors(request: Request, token: str, current: Current = Depends(require("person.register"))):
    found = batch_files.kept(request, current, token)
    audit(request, current, "person.import.errors", object_type="batch", object_id=found.name)
    return batch_files.download(found)



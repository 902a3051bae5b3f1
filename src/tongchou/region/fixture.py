"""`tongchou load FIXTURE.yaml`: set up a region (docs/reference/contracts.md "Fixture for `tongchou load`").

The fixture is validated whole before anything is written; an error names the path of the
field (e.g. `persons.0.birth_date`). Loading is one transaction and may be repeated: rows that
are already there (same key) are updated, enrolments, filings and opening balances that are
already there are not added again. The extended keys are documented in docs/store.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from tongchou.codes import Insutype
from tongchou.ledger.service import record_many
from tongchou.ledger.postings import opening_balance_entry
from tongchou.money import yaml_fen
from tongchou.persons.rules import id_number_warning
from tongchou.store import models as m
from tongchou.store.crypto import DataCipher, cipher_from_environment
from tongchou.store.uow import Store

FAR_PAST = dt.date(1900, 1, 1)
WARNINGS_SHOWN = 10
log = logging.getLogger(__name__)


class FixtureError(ValueError):
    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


def _code(value: object) -> object:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Code = Annotated[str, BeforeValidator(_code)]
Yuan = Annotated[int, BeforeValidator(yaml_fen)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Place(In):
    admdvs: Code = Field(pattern=r"^\d{6}$")
    name: str


class EmployerIn(In):
    code: Code
    name: str
    county: Code


class InsurerIn(In):
    code: Code
    name: str


class InstitutionIn(In):
    code: Code
    name: str
    hosp_lv: int = Field(ge=0, le=3)
    admin_tier: Literal["village", "township", "county", "city", "province", "outside"]
    county: Code
    secret: str | None = None
    signature: Literal["hmac", "gateway"] = "hmac"
    lookup_quota: int | None = Field(None, ge=0)
    agreement_status: Literal["active", "suspended", "exited"] = "active"
    agreement_from: dt.date | None = None
    agreement_to: dt.date | None = None


class CatalogueIn(In):
    code: Code
    name: str
    category: Literal["A", "B", "C"]
    selfpay_prop: Decimal | None = Field(None, ge=0, le=1)
    price_cap: Decimal | None = Field(None, ge=0)
    essential_drug: bool = False
    restriction: str | None = None
    effective_from: dt.date = FAR_PAST
    effective_to: dt.date | None = None

    @model_validator(mode="after")
    def _b_has_prop(self) -> CatalogueIn:
        if self.category == "B" and self.selfpay_prop is None:
            raise ValueError("a category B item needs selfpay_prop")
        return self


class EnrolmentIn(In):
    insutype: Code = Field(pattern=r"^(310|390)$")
    from_: dt.date = Field(alias="from")
    to: dt.date | None = None
    tier: str | None = None
    benefit_start: dt.date | None = None
    kind: Literal["on_time", "late", "newborn", "newborn_late", "transfer"] = "on_time"


class FilingIn(In):
    kind: Literal["chronic", "referral"]
    dise_code: Code | None = None
    target: str | None = None
    approved_on: dt.date | None = None
    from_: dt.date = Field(alias="from")
    to: dt.date | None = None


class RelationIn(In):
    psn_no: Code
    relation: Literal["spouse", "parent", "child"]


class PersonIn(In):
    psn_no: Code
    id_number: Code | None = None
    name: str
    sex: Code | None = None
    birth_date: dt.date | None = None
    county: Code
    psn_type: Code
    assistance: list[str] = Field(default_factory=list)
    phone: Code | None = None
    card_no: Code | None = None  # social security card number (社保卡号)
    card_sn: Code | None = None  # the card's identification code (卡识别码)
    employer: Code | None = None
    contribution_years: int = Field(0, ge=0)
    account_balance: Yuan | None = Field(None, description="employee personal account opening balance (yuan)")
    relatives: list[RelationIn] = Field(default_factory=list)
    enrolments: list[EnrolmentIn] = Field(default_factory=list)
    filings: list[FilingIn] = Field(default_factory=list)

    @field_validator("account_balance")
    @classmethod
    def _non_negative(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError("an account balance must not be negative")
        return value


class Fixture(In):
    region: Place
    counties: list[Place] = Field(default_factory=list)
    employers: list[EmployerIn] = Field(default_factory=list)
    insurers: list[InsurerIn] = Field(default_factory=list)
    institutions: list[InstitutionIn] = Field(default_factory=list)
    catalogue: list[CatalogueIn] = Field(default_factory=list)
    catalogue_csv: str | None = Field(None, description="a catalogue CSV file, relative to the fixture")
    persons: list[PersonIn] = Field(default_factory=list)
    persons_parquet: str | None = Field(None, description="a persons table (Parquet), relative to the fixture")

    @model_validator(mode="after")
    def _references(self) -> Fixture:
        counties = {c.admdvs for c in self.counties} | {self.region.admdvs}
        for kind, rows in (("institutions", self.institutions), ("persons", self.persons),
                           ("employers", self.employers)):
            for index, row in enumerate(rows):
                if row.county not in counties:
                    raise ValueError(f"{kind}.{index}.county: {row.county} is not a county of the fixture")
        known = {p.psn_no for p in self.persons}
        for index, person in enumerate(self.persons):
            for j, rel in enumerate(person.relatives):
                if rel.psn_no not in known:
                    raise ValueError(f"persons.{index}.relatives.{j}.psn_no: {rel.psn_no} is not a person of the fixture")
        return self


def parse_fixture(text: str, origin: str = "fixture") -> Fixture:
    try:
        raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml when present
    except yaml.YAMLError as exc:
        raise FixtureError("(file)", f"not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise FixtureError("(file)", f"{origin} must be a mapping")
    try:
        return Fixture.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"]) or "(top)"
        message = first["msg"].removeprefix("Value error, ")
        if ": " in message and not first["loc"]:
            path, message = message.split(": ", 1)
        raise FixtureError(path, message) from None


def read_catalogue_csv(path: Path) -> list[CatalogueIn]:
    """A catalogue CSV: code,name,category,selfpay_prop,price_cap,essential_drug,restriction,effective_from,
    effective_to (header row; empty cells are empty)."""
    items = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            clean = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
            clean = {k: v for k, v in clean.items() if v not in ("", None)}
            if "essential_drug" in clean:
                clean["essential_drug"] = clean["essential_drug"].lower() in ("1", "true", "y", "yes", "是")
            try:
                items.append(CatalogueIn.model_validate(clean))
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first["loc"]) or "row"
                raise FixtureError(f"{path.name}:{number}.{field}", first["msg"]) from None
    return items


# ---------------------------------------------------------------- writing

PERSON_TABLE_COLUMNS = ("psn_no", "name", "county", "psn_type", "insutype", "enrol_from")


def _blank(value: Any) -> Any:
    return None if value in ("", None) else value


def person_from_table_row(row: dict[str, Any]) -> dict[str, Any]:
    """One row of a persons table (one enrolment a row) as the fixture's person mapping."""
    enrolment = {"insutype": row["insutype"], "from": row["enrol_from"], "to": _blank(row.get("enrol_to")),
                 "tier": _blank(row.get("tier")), "benefit_start": _blank(row.get("benefit_start")),
                 "kind": _blank(row.get("enrol_kind")) or "on_time"}
    dise = _blank(row.get("chronic_dise_code"))
    filings = [{"kind": "chronic", "dise_code": dise, "from": row["enrol_from"], "to": _blank(row.get("enrol_to"))}
               ] if dise else []
    assistance = [a for a in (row.get("assistance") or "").split("|") if a]
    return {
        "psn_no": row["psn_no"], "id_number": _blank(row.get("id_number")), "name": row["name"],
        "sex": _blank(row.get("sex")), "birth_date": _blank(row.get("birth_date")), "county": row["county"],
        "psn_type": row["psn_type"], "assistance": assistance, "phone": _blank(row.get("phone")),
        "card_no": _blank(row.get("card_no")), "card_sn": _blank(row.get("card_sn")),
        "employer": _blank(row.get("employer")),
        "contribution_years": row.get("contribution_years", row.get("continuous_years")) or 0,
        "account_balance": _blank(row.get("account_balance")), "enrolments": [enrolment], "filings": filings,
    }


def read_persons_parquet(path: Path) -> list[PersonIn]:
    """A persons table: psn_no, name, id_number, sex, birth_date, county, psn_type, assistance ('|'-separated),
    phone, card_no, card_sn, employer, contribution_years, account_balance, insutype, tier, enrol_kind, enrol_from, enrol_to,
    benefit_start, chronic_dise_code — one enrolment per row."""
    import pyarrow.parquet as pq

    if not path.exists():
        raise FixtureError("persons_parquet", f"no such file: {path}")
    table = pq.read_table(path)
    missing = [c for c in PERSON_TABLE_COLUMNS if c not in table.column_names]
    if missing:
        raise FixtureError(f"persons_parquet.{missing[0]}", f"required column missing from {path.name}")
    persons = []
    for number, row in enumerate(table.to_pylist()):
        try:
            persons.append(PersonIn.model_validate(person_from_table_row(row)))
        except ValidationError as exc:
            first = exc.errors()[0]
            raise FixtureError(f"{path.name}:{number}.{'.'.join(str(p) for p in first['loc'])}", first["msg"]) from None
    return persons


def load_fixture(store: Store, fixture: Fixture, base_dir: Path | None = None,
                 cipher: DataCipher | None = None) -> dict[str, int]:
    cipher = cipher or cipher_from_environment()
    catalogue = list(fixture.catalogue)
    if fixture.catalogue_csv:
        catalogue += read_catalogue_csv((base_dir or Path(".")) / fixture.catalogue_csv)
    if fixture.persons_parquet:
        table_persons = read_persons_parquet((base_dir or Path(".")) / fixture.persons_parquet)
        _check_counties(fixture, table_persons)
        fixture = fixture.model_copy(update={"persons": [*fixture.persons, *table_persons]})
    warn_id_numbers(fixture.persons)
    return store.transaction(lambda session: _write(session, fixture, catalogue, cipher))


def id_number_warnings(persons: list[PersonIn]) -> list[str]:
    """The persons whose ID number registration would refuse (GB 11643 check character, birth date): loading
    only warns, since fixtures carry made-up numbers."""
    found = []
    for index, person in enumerate(persons):
        why = id_number_warning(person.id_number)
        if why:
            found.append(f"persons.{index}.id_number（{person.psn_no}）：{why}")
    return found


def warn_id_numbers(persons: list[PersonIn]) -> list[str]:
    found = id_number_warnings(persons)
    for text in found[:WARNINGS_SHOWN]:
        log.warning("%s", text)
    if len(found) > WARNINGS_SHOWN:
        log.warning("另有%d名参保人的公民身份号码未通过校验（仅警告，照常导入）。", len(found) - WARNINGS_SHOWN)
    return found


def import_catalogue(store: Store, items: list[CatalogueIn]) -> int:
    def work(session: Session) -> int:
        for item in items:
            _upsert_catalogue(session, item)
        return len(items)
    return store.transaction(work)


def _write(session: Session, fixture: Fixture, catalogue: list[CatalogueIn], cipher: DataCipher) -> dict[str, int]:
    session.merge(m.PoolRegion(admdvs=fixture.region.admdvs, name=fixture.region.name))
    session.flush()  # no ORM relationships: flush parents before children
    counties = fixture.counties or [fixture.region]
    for county in counties:
        session.merge(m.CountyRow(admdvs=county.admdvs, name=county.name, pool=fixture.region.admdvs))
    session.flush()
    for employer in fixture.employers:
        session.merge(m.Employer(code=employer.code, name=employer.name, county=employer.county))
    for insurer in fixture.insurers:
        session.merge(m.Insurer(code=insurer.code, name=insurer.name))
    session.flush()
    for inst in fixture.institutions:
        session.merge(m.Institution(
            code=inst.code, name=inst.name, hosp_lv=inst.hosp_lv, admin_tier=inst.admin_tier, county=inst.county,
            agreement_status=inst.agreement_status, agreement_from=inst.agreement_from, agreement_to=inst.agreement_to,
            secret_enc=cipher.encrypt(inst.secret, "institution.secret"), signature=inst.signature,
            lookup_quota=inst.lookup_quota))
    for item in catalogue:
        _upsert_catalogue(session, item)
    session.flush()
    _write_persons(session, fixture.persons, cipher)
    return {"counties": len(counties), "institutions": len(fixture.institutions), "catalogue": len(catalogue),
            "persons": len(fixture.persons)}


def _upsert_catalogue(session: Session, item: CatalogueIn) -> None:
    row = session.execute(select(m.CatalogueItem).where(
        m.CatalogueItem.code == item.code, m.CatalogueItem.effective_from == item.effective_from)).scalar_one_or_none()
    values = item.model_dump()
    if row is None:
        session.add(m.CatalogueItem(**values))
    else:
        for key, value in values.items():
            setattr(row, key, value)


CHUNK = 500


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _existing(session: Session, columns, key_column, keys: list[str]) -> set[tuple]:
    """Rows (as tuples of `columns`) whose `key_column` is one of `keys`, looked up in chunks."""
    found: set[tuple] = set()
    for chunk in _chunks(keys):
        found.update(tuple(row) for row in session.execute(select(*columns).where(key_column.in_(chunk))))
    return found


def _person_row(p: PersonIn, cipher: DataCipher) -> dict:
    return dict(
        psn_no=p.psn_no, name=p.name, id_number_enc=cipher.encrypt(p.id_number, "person.id_number"),
        id_number_hash=cipher.lookup_hash(p.id_number, "person.id_number"),
        phone_enc=cipher.encrypt(p.phone, "person.phone"), phone_hash=cipher.lookup_hash(p.phone, "person.phone"),
        card_no_enc=cipher.encrypt(p.card_no, "person.card_no"),
        card_no_hash=cipher.lookup_hash(p.card_no, "person.card_no"),
        card_sn_enc=cipher.encrypt(p.card_sn, "person.card_sn"),
        card_sn_hash=cipher.lookup_hash(p.card_sn, "person.card_sn"),
        sex=p.sex, birth_date=p.birth_date, county=p.county, psn_type=p.psn_type, assistance=list(p.assistance),
        employer=p.employer, contribution_years=p.contribution_years)


def _write_persons(session: Session, persons: list[PersonIn], cipher: DataCipher) -> None:
    """Persons and what hangs on them, in bulk; rows already there are kept (a person is updated)."""
    if not persons:
        return
    numbers = [p.psn_no for p in persons]
    known = {row[0] for row in _existing(session, (m.Person.psn_no,), m.Person.psn_no, numbers)}
    for p in persons:
        if p.psn_no in known:
            session.merge(m.Person(**_person_row(p, cipher)))
    fresh = [_person_row(p, cipher) for p in persons if p.psn_no not in known]
    if fresh:
        session.execute(insert(m.Person), fresh)
    session.flush()
    _write_enrolments(session, persons, numbers)
    _write_employments(session, persons)
    _write_filings(session, persons, numbers)
    _write_accounts(session, persons, numbers)
    _write_relations(session, persons)


def _write_enrolments(session: Session, persons: list[PersonIn], numbers: list[str]) -> None:
    have = _existing(session, (m.Enrolment.psn_no, m.Enrolment.insutype, m.Enrolment.start), m.Enrolment.psn_no, numbers)
    rows = [dict(psn_no=p.psn_no, insutype=e.insutype, county=p.county, tier=e.tier, start=e.from_, end=e.to,
                 benefit_start=e.benefit_start or e.from_, kind=e.kind)
            for p in persons for e in p.enrolments if (p.psn_no, e.insutype, e.from_) not in have]
    if rows:
        session.execute(insert(m.Enrolment), rows)


def _write_employments(session: Session, persons: list[PersonIn]) -> None:
    """增员 as a fixture records it: a person with an employer and an employee enrolment is that employer's
    employee for the enrolment's days (the employment the employer's declarations need)."""
    employees = {p.psn_no: p for p in persons if p.employer and any(e.insutype == Insutype.EMPLOYEE
                                                                       for e in p.enrolments)}
    if not employees:
        return
    numbers = list(employees)
    have = {row[0] for row in _existing(session, (m.Employment.enrolment_id,), m.Employment.psn_no, numbers)}
    rows = []
    for chunk in _chunks(numbers):
        for enrolment in session.execute(select(m.Enrolment.id, m.Enrolment.psn_no, m.Enrolment.start, m.Enrolment.end)
                                         .where(m.Enrolment.psn_no.in_(chunk),
                                                m.Enrolment.insutype == Insutype.EMPLOYEE)):
            if enrolment.id not in have:
                person = employees[enrolment.psn_no]
                rows.append(dict(employer=person.employer, psn_no=person.psn_no, county=person.county,
                                 joined_on=enrolment.start, left_on=enrolment.end, enrolment_id=enrolment.id))
    if rows:
        session.execute(insert(m.Employment), rows)


def _write_filings(session: Session, persons: list[PersonIn], numbers: list[str]) -> None:
    have = _existing(session, (m.Filing.psn_no, m.Filing.kind, m.Filing.dise_code, m.Filing.valid_from),
                     m.Filing.psn_no, numbers)
    rows = [dict(psn_no=p.psn_no, kind=f.kind, dise_code=f.dise_code, target=f.target,
                 approved_on=f.approved_on or f.from_, valid_from=f.from_, valid_to=f.to, county=p.county)
            for p in persons for f in p.filings if (p.psn_no, f.kind, f.dise_code, f.from_) not in have]
    if rows:
        session.execute(insert(m.Filing), rows)


def _write_accounts(session: Session, persons: list[PersonIn], numbers: list[str]) -> None:
    """Employee personal accounts, and their opening balances as ledger entries (one per person)."""
    have = {row[0] for row in _existing(session, (m.PersonalAccount.psn_no,), m.PersonalAccount.psn_no, numbers)}
    opened = set()
    for chunk in _chunks(numbers):  # an opening balance's cause is the person number
        opened.update(session.scalars(select(m.JournalEntry.cause_id).where(
            m.JournalEntry.cause_type == "opening_balance", m.JournalEntry.cause_id.in_(chunk))))
    accounts, entries = [], []
    for p in persons:
        employee = any(e.insutype == Insutype.EMPLOYEE for e in p.enrolments) or p.account_balance is not None
        if employee and p.psn_no not in have:
            accounts.append(dict(psn_no=p.psn_no, county=p.county,
                                 opened_on=min((e.from_ for e in p.enrolments), default=FAR_PAST)))
        if p.account_balance and p.psn_no not in opened:
            day = min((e.from_ for e in p.enrolments), default=dt.date.today())
            entries.append(opening_balance_entry(p.psn_no, p.county, day, p.psn_no, p.account_balance))
    if accounts:
        session.execute(insert(m.PersonalAccount), accounts)
    record_many(session, entries)


def _check_counties(fixture: Fixture, persons: list[PersonIn]) -> None:
    counties = {c.admdvs for c in fixture.counties} | {fixture.region.admdvs}
    for index, person in enumerate(persons):
        if person.county not in counties:
            raise FixtureError(f"persons_parquet.{index}.county", f"{person.county} is not a county of the fixture")


INVERSE = {"spouse": "spouse", "parent": "child", "child": "parent"}


def _write_relations(session: Session, persons: list[PersonIn]) -> None:
    """`relatives` of each person: each is written both ways (a parent's child is the child's parent)."""
    for p in persons:
        for rel in p.relatives:
            add_relation(session, p.psn_no, rel.psn_no, rel.relation)


def add_relation(session: Session, psn_no: str, relative: str, relation: str) -> None:
    for who, other, kind in ((psn_no, relative, relation), (relative, psn_no, INVERSE[relation])):
        exists = session.execute(select(m.FamilyRelation.id).where(
            m.FamilyRelation.psn_no == who, m.FamilyRelation.relative == other)).first()
        if not exists:
            county = session.get(m.Person, who).county
            session.add(m.FamilyRelation(psn_no=who, relative=other, relation=kind, county=county))
            session.flush()


def load_file(store: Store, path: Path, cipher: DataCipher | None = None) -> dict[str, int]:
    fixture = parse_fixture(path.read_text(encoding="utf-8"), str(path))
    return load_fixture(store, fixture, path.parent, cipher)


def as_dict(fixture: Fixture) -> dict[str, Any]:
    return fixture.model_dump(by_alias=True)

"""The data model (SQLAlchemy 2 typed ORM). Money columns are BIGINT fen; every county-owned row
has a `county` column (the county's 6-digit admdvs). Tables marked APPEND-ONLY refuse UPDATE and
DELETE by a database trigger (see the migrations); their corrections are new rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import (
    JSON, BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, MetaData,
    Numeric,
    String, Text, UniqueConstraint, func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only
Money = BigInteger  # integer fen
Code = String(32)
County = String(6)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

APPEND_ONLY_TABLES = ("settlement", "settlement_cancellation", "journal_entry", "posting")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def _created() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


# ---------------------------------------------------------------- organisation

class PoolRegion(Base):
    """统筹区: the city; policies resolve by its admdvs."""

    __tablename__ = "pool_region"
    admdvs: Mapped[str] = mapped_column(County, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class CountyRow(Base):
    """区县 (市本级 included): keeps a sub-ledger."""

    __tablename__ = "county"
    admdvs: Mapped[str] = mapped_column(County, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    pool: Mapped[str] = mapped_column(ForeignKey("pool_region.admdvs"))


class Employer(Base):
    __tablename__ = "employer"
    code: Mapped[str] = mapped_column(Code, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    county: Mapped[str] = mapped_column(ForeignKey("county.admdvs"))


class Employment(Base):
    """增减员: a person's employment by an employer, from joining to leaving, and the employee enrolment it opened."""

    __tablename__ = "employment"
    __table_args__ = (Index("ix_employment_employer", "employer", "psn_no"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    employer: Mapped[str] = mapped_column(ForeignKey("employer.code"))
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"), index=True)
    county: Mapped[str] = mapped_column(County)
    joined_on: Mapped[dt.date] = mapped_column(Date)
    left_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"))


class Declaration(Base):
    """缴费申报: an employer's declaration of an employee's base for a month, the two parts due, and what
    the tax bureau collected (collected_on empty: declared but unpaid)."""

    __tablename__ = "declaration"
    __table_args__ = (UniqueConstraint("employer", "psn_no", "month"),
                      CheckConstraint("base > 0 AND employer_part >= 0 AND individual_part >= 0", name="amounts"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    employer: Mapped[str] = mapped_column(ForeignKey("employer.code"))
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    county: Mapped[str] = mapped_column(County)
    wage: Mapped[int] = mapped_column(Money)
    base: Mapped[int] = mapped_column(Money)
    employer_part: Mapped[int] = mapped_column(Money)
    individual_part: Mapped[int] = mapped_column(Money)
    due_on: Mapped[dt.date] = mapped_column(Date)
    declared_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    collected_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    late_fee: Mapped[Optional[int]] = mapped_column(Money)
    collection_line_id: Mapped[Optional[int]] = mapped_column(ForeignKey("contribution_line.id"))
    created_at: Mapped[dt.datetime] = _created()


class Insurer(Base):
    """An insurer that runs a layer (critical illness) bought by the fund."""

    __tablename__ = "insurer"
    code: Mapped[str] = mapped_column(Code, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


# ---------------------------------------------------------------- persons

class Person(Base):
    """参保人. ID number and phone are encrypted; their keyed hashes find a person."""

    __tablename__ = "person"
    psn_no: Mapped[str] = mapped_column(Code, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    id_number_enc: Mapped[Optional[str]] = mapped_column(Text)
    id_number_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    phone_enc: Mapped[Optional[str]] = mapped_column(Text)
    phone_hash: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    card_no_enc: Mapped[Optional[str]] = mapped_column(Text)  # social security card number (社保卡号)
    card_no_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True, index=True)
    card_sn_enc: Mapped[Optional[str]] = mapped_column(Text)  # the card's identification code (卡识别码)
    card_sn_hash: Mapped[Optional[str]] = mapped_column(String(64))
    sex: Mapped[Optional[str]] = mapped_column(String(1))
    birth_date: Mapped[Optional[dt.date]] = mapped_column(Date)
    county: Mapped[str] = mapped_column(ForeignKey("county.admdvs"), index=True)
    psn_type: Mapped[str] = mapped_column(String(4))
    assistance: Mapped[list[Any]] = mapped_column(JSON, default=list)
    employer: Mapped[Optional[str]] = mapped_column(ForeignKey("employer.code"))
    contribution_years: Mapped[int] = mapped_column(Integer, default=0)
    address_enc: Mapped[Optional[str]] = mapped_column(Text)  # encrypted like the phone
    death_date: Mapped[Optional[dt.date]] = mapped_column(Date)  # the last day covered


class PersonChange(Base):
    """A change of a person's name, phone or address (APPEND-ONLY but for re-sealing the encrypted values on a
    key rotation): the old and new values encrypted, and masked for the history page."""

    __tablename__ = "person_change"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"), index=True)
    field: Mapped[str] = mapped_column(String(20))
    old_enc: Mapped[Optional[str]] = mapped_column(Text)
    new_enc: Mapped[Optional[str]] = mapped_column(Text)
    old_masked: Mapped[str] = mapped_column(String(200))
    new_masked: Mapped[str] = mapped_column(String(200))
    changed_on: Mapped[dt.date] = mapped_column(Date)
    changed_by: Mapped[str] = mapped_column(String(64))
    county: Mapped[str] = mapped_column(County)
    created_at: Mapped[dt.datetime] = _created()


class Household(Base):
    """户: a resident household under its head; `closed_on` when the last member left."""

    __tablename__ = "household"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    household_no: Mapped[str] = mapped_column(String(32), unique=True)
    head: Mapped[str] = mapped_column(ForeignKey("person.psn_no"))
    county: Mapped[str] = mapped_column(ForeignKey("county.admdvs"))
    created_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[Optional[dt.date]] = mapped_column(Date)


class HouseholdMember(Base):
    """A person's membership of a household with the relation to the head; `left_on` closes it (history kept).
    A person has at most one open membership."""

    __tablename__ = "household_member"
    __table_args__ = (CheckConstraint("relation IN ('head', 'spouse', 'child', 'parent', 'other')", name="relation"),
                      Index("ix_household_member_person", "psn_no", "left_on"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"))
    relation: Mapped[str] = mapped_column(String(10))
    joined_on: Mapped[dt.date] = mapped_column(Date)
    left_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    county: Mapped[str] = mapped_column(County)


class DossierDocument(Base):
    """档案: a document received for a front-office matter (APPEND-ONLY): what it is, the file and its digest,
    who received it and when; `matter_ref` is the matter's own record, `subject_*` whose matter it is."""

    __tablename__ = "dossier_document"
    __table_args__ = (Index("ix_dossier_document_subject", "subject_type", "subject_id"),
                      Index("ix_dossier_document_matter", "matter", "matter_ref"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    matter: Mapped[str] = mapped_column(String(40))
    matter_name: Mapped[str] = mapped_column(String(40))
    matter_ref: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[str] = mapped_column(String(32))
    county: Mapped[str] = mapped_column(County)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(120))
    media_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    received_on: Mapped[dt.date] = mapped_column(Date)
    received_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = _created()


class FamilyRelation(Base):
    """`relative` is the `relation` (spouse, parent, child) of `psn_no`."""

    __tablename__ = "family_relation"
    __table_args__ = (UniqueConstraint("psn_no", "relative"),
                      CheckConstraint("relation IN ('spouse', 'parent', 'child')", name="relation"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"))
    relative: Mapped[str] = mapped_column(ForeignKey("person.psn_no"))
    relation: Mapped[str] = mapped_column(String(10))
    county: Mapped[str] = mapped_column(County)


class Enrolment(Base):
    """A period of insurance in one scheme, with the date benefits start (waiting period)."""

    __tablename__ = "enrolment"
    __table_args__ = (Index("ix_enrolment_person", "psn_no", "insutype"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"))
    insutype: Mapped[str] = mapped_column(String(3))
    county: Mapped[str] = mapped_column(ForeignKey("county.admdvs"))
    tier: Mapped[Optional[str]] = mapped_column(String(40))
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[Optional[dt.date]] = mapped_column(Date)
    benefit_start: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20), default="on_time")
    paid_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    note: Mapped[Optional[str]] = mapped_column(Text)


class Transfer(Base):
    """关系转移接续 (APPEND-ONLY): a transfer of the insurance relationship out of the pool (the certificate issued,
    cover ended, the account balance paid out) or into it (the certificate received, years recognised, the balance
    received, the enrolment opened). `request_key` makes a resubmitted form a no-op."""

    __tablename__ = "transfer"
    __table_args__ = (CheckConstraint("direction IN ('out', 'in')", name="direction"),
                      CheckConstraint("balance >= 0", name="balance"),
                      Index("ix_transfer_person", "psn_no", "direction"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    direction: Mapped[str] = mapped_column(String(3))
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"))
    county: Mapped[str] = mapped_column(County)
    pool_code: Mapped[str] = mapped_column(String(6))  # the other pool: receiving (out) or sending (in)
    pool_name: Mapped[str] = mapped_column(String(100))
    transfer_date: Mapped[dt.date] = mapped_column(Date)  # out: the last day covered here; in: the first day covered here
    insutypes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    balance: Mapped[int] = mapped_column(Money)  # the personal account balance paid out / received
    certificate: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = _created()


class RecognisedYears(Base):
    """Contribution years recognised from outside the history (APPEND-ONLY): a transfer-in certificate's
    (per scheme: total and continuous months, ending on the last day covered in the other pool)."""

    __tablename__ = "recognised_years"
    __table_args__ = (CheckConstraint("total_months >= continuous_months AND continuous_months >= 0",
                                      name="months"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"), index=True)
    insutype: Mapped[str] = mapped_column(String(3))
    total_months: Mapped[int] = mapped_column(Integer)
    continuous_months: Mapped[int] = mapped_column(Integer)
    ended_on: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))
    transfer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("transfer.id"))
    county: Mapped[str] = mapped_column(County)


class Filing(Base):
    """门诊慢特病备案 (kind chronic) or 转诊备案 (kind referral), with its approval date."""

    __tablename__ = "filing"
    __table_args__ = (CheckConstraint("kind IN ('chronic', 'referral')", name="kind"),
                      Index("ix_filing_person", "psn_no", "kind"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"))
    kind: Mapped[str] = mapped_column(String(10))
    dise_code: Mapped[Optional[str]] = mapped_column(String(100))
    target: Mapped[Optional[str]] = mapped_column(String(100))  # referral: the institution referred to
    approved_on: Mapped[dt.date] = mapped_column(Date)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[Optional[dt.date]] = mapped_column(Date)
    county: Mapped[str] = mapped_column(County)


class FilingApplication(Base):
    """门诊慢特病申报: received at a township health centre inside a window (state received), then approved (the
    `filing` it wrote) or rejected with its reason by the county branch (migration 0017)."""

    __tablename__ = "filing_application"
    __table_args__ = (CheckConstraint("kind IN ('chronic', 'referral')", name="kind"),
                      CheckConstraint("state IN ('received', 'approved', 'rejected')", name="state"),
                      Index("ix_filing_application_person", "psn_no", "kind"),
                      Index("ix_filing_application_queue", "county", "state"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"))
    kind: Mapped[str] = mapped_column(String(10))
    insutype: Mapped[str] = mapped_column(String(3))
    dise_code: Mapped[str] = mapped_column(String(100))
    dise_name: Mapped[str] = mapped_column(String(100))
    county: Mapped[str] = mapped_column(County)
    window: Mapped[str] = mapped_column(String(40))
    received_on: Mapped[dt.date] = mapped_column(Date)
    received_at: Mapped[str] = mapped_column(ForeignKey("institution.code"))
    received_by: Mapped[str] = mapped_column(String(64))  # the name of who received it
    received_user: Mapped[Optional[str]] = mapped_column(String(64))  # their console user (None: command line)
    state: Mapped[str] = mapped_column(String(10))
    decided_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    decided_by: Mapped[Optional[str]] = mapped_column(String(64))
    decided_user: Mapped[Optional[str]] = mapped_column(String(64))
    reason: Mapped[Optional[str]] = mapped_column(Text)
    filing_id: Mapped[Optional[int]] = mapped_column(Id, ForeignKey("filing.id"))
    created_at: Mapped[dt.datetime] = _created()


# ---------------------------------------------------------------- contributions and accounts

class ContributionBatch(Base):
    """A batch of contributions (from the tax bureau, a counter, a fixture)."""

    __tablename__ = "contribution_batch"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    batch_no: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(20))
    received_on: Mapped[dt.date] = mapped_column(Date)
    county: Mapped[Optional[str]] = mapped_column(County)
    created_at: Mapped[dt.datetime] = _created()


class ContributionLine(Base):
    """One line of a batch. A wrong line is held with its reason, never dropped."""

    __tablename__ = "contribution_line"
    __table_args__ = (UniqueConstraint("batch_id", "line_no"),
                      CheckConstraint("status IN ('accepted', 'held')", name="status"),
                      CheckConstraint("amount >= 0", name="amount"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("contribution_batch.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    psn_no: Mapped[Optional[str]] = mapped_column(Code, index=True)
    insutype: Mapped[Optional[str]] = mapped_column(String(3))
    year: Mapped[Optional[int]] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))  # employer, individual, subsidy, account_payment, ...
    base: Mapped[Optional[int]] = mapped_column(Money)
    amount: Mapped[int] = mapped_column(Money)
    paid_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    held_reason: Mapped[Optional[str]] = mapped_column(Text)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    county: Mapped[Optional[str]] = mapped_column(County)


class PersonalAccount(Base):
    """个人账户: the row is the account's lock; its balance is the sum of its postings."""

    __tablename__ = "personal_account"
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"), primary_key=True)
    county: Mapped[str] = mapped_column(County)
    opened_on: Mapped[dt.date] = mapped_column(Date)


# ---------------------------------------------------------------- payments to persons (代发)

class BankAccount(Base):
    """A person's bank details for payments (代发): the account number encrypted like the phone, masked for
    pages; the latest row of a person is in use (a correction is a new row, history kept)."""

    __tablename__ = "bank_account"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"), index=True)
    county: Mapped[str] = mapped_column(County)
    payee_name: Mapped[str] = mapped_column(String(60))
    bank_name: Mapped[str] = mapped_column(String(100))
    account_no_enc: Mapped[str] = mapped_column(Text)
    account_masked: Mapped[str] = mapped_column(String(40))
    recorded_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = _created()


class PaymentBatch(Base):
    """A bank payment file (代发批次): its payments, count and total as produced."""

    __tablename__ = "payment_batch"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    batch_no: Mapped[str] = mapped_column(String(32), unique=True)
    county: Mapped[str] = mapped_column(County)
    created_on: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Money)
    created_at: Mapped[dt.datetime] = _created()


class Payment(Base):
    """One payment to a person: what it pays (`source_key` unique: a reimbursement or a payout is paid once, a
    returned payment re-issued once), to whom (bank details, the number encrypted), how much per fund, its
    state (pending → sent → paid | returned) and its batch (a payment is in at most one batch)."""

    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("batch_id", "seq"),
                      CheckConstraint("state IN ('pending', 'sent', 'paid', 'returned')", name="state"),
                      CheckConstraint("amount > 0", name="amount"),
                      Index("ix_payment_state", "county", "state"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    source_key: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(64))
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"), index=True)
    county: Mapped[str] = mapped_column(County)
    payee_name: Mapped[str] = mapped_column(String(60))
    bank_name: Mapped[str] = mapped_column(String(100))
    account_no_enc: Mapped[str] = mapped_column(Text)
    account_masked: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(Money)
    funds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    purpose: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(10))
    batch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("payment_batch.id"), index=True)
    seq: Mapped[Optional[int]] = mapped_column(Integer)
    return_code: Mapped[Optional[str]] = mapped_column(String(4))
    return_note: Mapped[Optional[str]] = mapped_column(String(200))
    settled_on: Mapped[Optional[dt.date]] = mapped_column(Date)  # the bank's result: paid or returned
    reissue_of: Mapped[Optional[int]] = mapped_column(ForeignKey("payment.id"))
    entered_by: Mapped[str] = mapped_column(String(64))
    reviewed_by: Mapped[Optional[str]] = mapped_column(String(64))
    created_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = _created()


# ---------------------------------------------------------------- institutions and catalogue

class Institution(Base):
    """定点医药机构 under agreement, with its API credential (encrypted)."""

    __tablename__ = "institution"
    code: Mapped[str] = mapped_column(Code, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    hosp_lv: Mapped[int] = mapped_column(Integer)
    admin_tier: Mapped[str] = mapped_column(String(10))
    county: Mapped[str] = mapped_column(ForeignKey("county.admdvs"))
    agreement_status: Mapped[str] = mapped_column(String(12), default="active")  # active, suspended, exited
    agreement_from: Mapped[Optional[dt.date]] = mapped_column(Date)
    agreement_to: Mapped[Optional[dt.date]] = mapped_column(Date)
    secret_enc: Mapped[Optional[str]] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(8), default="hmac", server_default="hmac")  # hmac, gateway
    lookup_quota: Mapped[Optional[int]] = mapped_column(Integer)  # 1101 look-ups a day; None: the default


class CatalogueItem(Base):
    """医保目录: the only source of an item's category, first self-pay proportion and price cap."""

    __tablename__ = "catalogue_item"
    __table_args__ = (UniqueConstraint("code", "effective_from"),
                      CheckConstraint("category IN ('A', 'B', 'C')", name="category"),
                      CheckConstraint("category <> 'B' OR selfpay_prop IS NOT NULL", name="b_needs_prop"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(50), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(1))
    selfpay_prop: Mapped[Optional[Any]] = mapped_column(Numeric(6, 4))
    price_cap: Mapped[Optional[Any]] = mapped_column(Numeric(18, 6))  # yuan per unit
    essential_drug: Mapped[bool] = mapped_column(Boolean, default=False)
    restriction: Mapped[Optional[str]] = mapped_column(Text)  # 限定支付范围 condition, as written
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[Optional[dt.date]] = mapped_column(Date)


# ---------------------------------------------------------------- visits and settlements

class Visit(Base):
    """A visit or admission (就诊) at an institution."""

    __tablename__ = "visit"
    __table_args__ = (UniqueConstraint("fixmedins_code", "mdtrt_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    fixmedins_code: Mapped[str] = mapped_column(ForeignKey("institution.code"))
    mdtrt_id: Mapped[str] = mapped_column(String(64))
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"), index=True)
    insutype: Mapped[str] = mapped_column(String(3))
    med_type: Mapped[str] = mapped_column(String(6))
    begndate: Mapped[dt.date] = mapped_column(Date)
    enddate: Mapped[dt.date] = mapped_column(Date)
    dise_code: Mapped[Optional[str]] = mapped_column(String(100))
    county: Mapped[str] = mapped_column(County)


class FeeItem(Base):
    """A fee line of a settled visit, with what the catalogue said about it on the day."""

    __tablename__ = "fee_item"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), index=True)
    setl_id: Mapped[str] = mapped_column(String(64), index=True)
    chrg_bchno: Mapped[Optional[str]] = mapped_column(String(64))
    line_no: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(50))
    qty: Mapped[Optional[Any]] = mapped_column(Numeric(18, 4))
    price: Mapped[Optional[Any]] = mapped_column(Numeric(18, 6))
    amount: Mapped[int] = mapped_column(Money)
    category: Mapped[str] = mapped_column(String(1))
    selfpay_prop: Mapped[Optional[Any]] = mapped_column(Numeric(6, 4))
    price_cap: Mapped[Optional[Any]] = mapped_column(Numeric(18, 6))
    fulamt_ownpay_amt: Mapped[int] = mapped_column(Money)
    overlmt_selfpay: Mapped[int] = mapped_column(Money)
    preselfpay_amt: Mapped[int] = mapped_column(Money)
    inscp_scp_amt: Mapped[int] = mapped_column(Money)
    county: Mapped[str] = mapped_column(County)


class Settlement(Base):
    """APPEND-ONLY. One settlement: every national amount, the explanation, the engine's Delta."""

    __tablename__ = "settlement"
    __table_args__ = (Index("ix_settlement_person_year", "psn_no", "insutype", "year"),
                      Index("ix_settlement_institution_day", "fixmedins_code", "enddate"),
                      Index("ix_settlement_enddate", "enddate"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    setl_id: Mapped[str] = mapped_column(String(64), unique=True)
    request_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"))
    insutype: Mapped[str] = mapped_column(String(3))
    year: Mapped[int] = mapped_column(Integer)
    county: Mapped[str] = mapped_column(County)
    insuplc_admdvs: Mapped[str] = mapped_column(County)
    fixmedins_code: Mapped[str] = mapped_column(ForeignKey("institution.code"))
    hosp_lv: Mapped[int] = mapped_column(Integer)
    admin_tier: Mapped[str] = mapped_column(String(10))
    mdtrt_id: Mapped[str] = mapped_column(String(64))
    chrg_bchno: Mapped[Optional[str]] = mapped_column(String(64))
    med_type: Mapped[str] = mapped_column(String(6))
    dise_code: Mapped[Optional[str]] = mapped_column(String(100))
    diag_code: Mapped[Optional[str]] = mapped_column(String(20))  # main diagnosis (ICD-10): DIP grouping
    oprn_code: Mapped[Optional[str]] = mapped_column(String(30))  # main procedure (ICD-9-CM-3): DIP grouping
    accident: Mapped[bool] = mapped_column(Boolean, default=False)
    begndate: Mapped[dt.date] = mapped_column(Date)
    enddate: Mapped[dt.date] = mapped_column(Date)
    psn_type: Mapped[Optional[str]] = mapped_column(String(4))
    tier: Mapped[Optional[str]] = mapped_column(String(40))
    assistance: Mapped[list[Any]] = mapped_column(JSON, default=list)
    continuous_years: Mapped[int] = mapped_column(Integer, default=0)
    policy_id: Mapped[str] = mapped_column(String(80))
    policy_version: Mapped[int] = mapped_column(Integer)
    benefit_line: Mapped[Optional[str]] = mapped_column(String(80))
    eligible: Mapped[bool] = mapped_column(Boolean, default=True)
    medfee_sumamt: Mapped[int] = mapped_column(Money)
    fulamt_ownpay_amt: Mapped[int] = mapped_column(Money)
    overlmt_selfpay: Mapped[int] = mapped_column(Money)
    preselfpay_amt: Mapped[int] = mapped_column(Money)
    inscp_scp_amt: Mapped[int] = mapped_column(Money)
    inscp_essential_amt: Mapped[int] = mapped_column(Money)
    act_pay_dedc: Mapped[int] = mapped_column(Money)
    hifp_pay: Mapped[int] = mapped_column(Money)
    cvlserv_pay: Mapped[int] = mapped_column(Money)
    hifes_pay: Mapped[int] = mapped_column(Money)
    hifmi_pay: Mapped[int] = mapped_column(Money)
    hifob_pay: Mapped[int] = mapped_column(Money)
    maf_pay: Mapped[int] = mapped_column(Money)
    oth_pay: Mapped[int] = mapped_column(Money)
    fund_pay_sumamt: Mapped[int] = mapped_column(Money)
    psn_part_amt: Mapped[int] = mapped_column(Money)
    acct_pay: Mapped[int] = mapped_column(Money)
    acct_mulaid_pay: Mapped[int] = mapped_column(Money)
    psn_cash_pay: Mapped[int] = mapped_column(Money)
    hosp_part_amt: Mapped[int] = mapped_column(Money)
    balc: Mapped[Optional[int]] = mapped_column(Money)
    pool_prop: Mapped[str] = mapped_column(String(12))
    mulaid_psn_no: Mapped[Optional[str]] = mapped_column(Code)
    mulaid_county: Mapped[Optional[str]] = mapped_column(County)
    hifmi_insurer: Mapped[Optional[str]] = mapped_column(String(200))
    explanation: Mapped[list[Any]] = mapped_column(JSON)
    delta: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = _created()


class SettlementCancellation(Base):
    """APPEND-ONLY. 撤销 (or 冲正) of a settlement: at most one per settlement."""

    __tablename__ = "settlement_cancellation"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    setl_id: Mapped[str] = mapped_column(ForeignKey("settlement.setl_id"), unique=True)
    cause: Mapped[str] = mapped_column(String(12))  # cancellation or reversal
    request_key: Mapped[Optional[str]] = mapped_column(String(200))
    county: Mapped[str] = mapped_column(County)
    created_at: Mapped[dt.datetime] = _created()


class RequestKey(Base):
    """The idempotency keys seen: a settlement's key, or the mark a reversal left before its original."""

    __tablename__ = "request_key"
    __table_args__ = (CheckConstraint("kind IN ('settlement', 'reversal_mark')", name="kind"),)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    request_hash: Mapped[Optional[str]] = mapped_column(String(64))
    setl_id: Mapped[Optional[str]] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = _created()


class ActiveVisit(Base):
    """At most one active settlement per visit (mdtrt_id, and chrg_bchno for an outpatient batch)."""

    __tablename__ = "active_visit"
    visit_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    setl_id: Mapped[str] = mapped_column(String(64), unique=True)


class YearStateRow(Base):
    """The engine's YearState for a person, scheme and year: the lock every settlement takes."""

    __tablename__ = "year_state"
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"), primary_key=True)
    insutype: Mapped[str] = mapped_column(String(3), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    county: Mapped[str] = mapped_column(County)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    settlements: Mapped[int] = mapped_column(Integer, default=0)


# ---------------------------------------------------------------- ledger

class JournalEntry(Base):
    """APPEND-ONLY. One balanced movement of money and its cause (one entry per cause)."""

    __tablename__ = "journal_entry"
    __table_args__ = (UniqueConstraint("cause_type", "cause_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    cause_type: Mapped[str] = mapped_column(String(30))
    cause_id: Mapped[str] = mapped_column(String(200))
    county: Mapped[str] = mapped_column(County)
    booked_on: Mapped[dt.date] = mapped_column(Date)
    memo: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created()


class Posting(Base):
    """APPEND-ONLY. One line of an entry: account (fund, title, county, party), debit or credit in fen."""

    __tablename__ = "posting"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0)", name="one_side"),
        Index("ix_posting_account", "fund", "title", "party"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entry.id"), index=True)
    fund: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(40))
    county: Mapped[str] = mapped_column(County)
    party: Mapped[str] = mapped_column(String(64), default="")
    debit: Mapped[int] = mapped_column(Money, default=0)
    credit: Mapped[int] = mapped_column(Money, default=0)


# ---------------------------------------------------------------- institution API (migration 0003)

class ApiCredential(Base):
    """A secret an institution signs API requests with, other than the current one (`Institution.secret_enc`):
    a rotated-out secret stays valid until `valid_until` (the grace period). Encrypted like the current one."""

    __tablename__ = "api_credential"
    __table_args__ = (Index("ix_api_credential_institution", "fixmedins_code", "valid_until"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    fixmedins_code: Mapped[str] = mapped_column(ForeignKey("institution.code"))
    secret_enc: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    signature: Mapped[str] = mapped_column(String(8), default="hmac", server_default="hmac")


class ApiNonce(Base):
    """A nonce seen on a signed request: refused again while its window lasts (shared by every worker)."""

    __tablename__ = "api_nonce"
    fixmedins_code: Mapped[str] = mapped_column(Code, primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)  # Unix seconds


class ApiMessage(Base):
    """A message (msgid) an institution sent and the answer it got: the API's idempotency key.
    `status` is `done`, or `reversed` (by 2601, before or after it arrived)."""

    __tablename__ = "api_message"
    fixmedins_code: Mapped[str] = mapped_column(Code, primary_key=True)
    msgid: Mapped[str] = mapped_column(String(30), primary_key=True)
    infno: Mapped[str] = mapped_column(String(6))
    input_hash: Mapped[Optional[str]] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="done")
    output: Mapped[Optional[str]] = mapped_column(Text)  # the answer's `output`, as the JSON text first sent
    subject: Mapped[Optional[str]] = mapped_column(String(64))  # mdtrt_id or setl_id the message acted on
    created_at: Mapped[dt.datetime] = _created()


class ApiVisit(Base):
    """A visit registered through the API (2201 outpatient, 2401 admission): its state, diagnoses and
    the national fields as sent."""

    __tablename__ = "api_visit"
    __table_args__ = (UniqueConstraint("fixmedins_code", "mdtrt_id"),
                      CheckConstraint("kind IN ('outpatient', 'inpatient')", name="kind"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    fixmedins_code: Mapped[str] = mapped_column(ForeignKey("institution.code"))
    mdtrt_id: Mapped[str] = mapped_column(String(30))
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"), index=True)
    insutype: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(10))
    med_type: Mapped[Optional[str]] = mapped_column(String(6))
    ipt_otp_no: Mapped[str] = mapped_column(String(30))
    begntime: Mapped[dt.datetime] = mapped_column(DateTime)
    endtime: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    dise_codg: Mapped[Optional[str]] = mapped_column(String(100))
    dise_name: Mapped[Optional[str]] = mapped_column(String(500))
    diag_code: Mapped[Optional[str]] = mapped_column(String(20))  # main diagnosis (2401, 2402 or 2203)
    oprn_code: Mapped[Optional[str]] = mapped_column(String(30))  # main procedure (2401 or 2402)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open, cancelled, discharged
    diagnoses: Mapped[list[Any]] = mapped_column(JSON, default=list)
    info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    county: Mapped[str] = mapped_column(County)


class ApiFee(Base):
    """A fee detail line uploaded by 2204/2301, with its split from the catalogue (the `result` record)."""

    __tablename__ = "api_fee"
    __table_args__ = (UniqueConstraint("visit_id", "feedetl_sn"),
                      Index("ix_api_fee_visit_status", "visit_id", "status"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("api_visit.id"))
    feedetl_sn: Mapped[str] = mapped_column(String(30))
    init_feedetl_sn: Mapped[Optional[str]] = mapped_column(String(30))
    chrg_bchno: Mapped[Optional[str]] = mapped_column(String(30))
    code: Mapped[str] = mapped_column(String(50))
    cnt: Mapped[Any] = mapped_column(Numeric(20, 4))
    pric: Mapped[Any] = mapped_column(Numeric(22, 6))
    amount: Mapped[int] = mapped_column(Money)  # fen; negative on a refund line
    restriction_met: Mapped[bool] = mapped_column(Boolean, default=True)
    fee_ocur_time: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(10), default="uploaded")  # uploaded, cancelled, settled
    setl_id: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class ApiFile(Base):
    """A file uploaded with 9101 (a reconciliation detail file) or produced for 9102 (a 3202 result)."""

    __tablename__ = "api_file"
    file_qury_no: Mapped[str] = mapped_column(String(30), primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(Code, index=True)
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # upload, result
    content: Mapped[bytes] = mapped_column(LargeBinary)
    dld_endtime: Mapped[dt.datetime] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = _created()


class Ecert(Base):
    """An electronic certificate (医保电子凭证) Tongchou issued: presentable until `expires_at`, then valid only
    for the visit it opened (`mdtrt_id` at `fixmedins_code`). The token is `serial` and its keyed MAC."""

    __tablename__ = "ecert"
    serial: Mapped[str] = mapped_column(String(32), primary_key=True)
    psn_no: Mapped[str] = mapped_column(ForeignKey("person.psn_no"), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    fixmedins_code: Mapped[Optional[str]] = mapped_column(String(32))
    mdtrt_id: Mapped[Optional[str]] = mapped_column(String(30))
    bound_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))


class ApiLookupCount(Base):
    """1101 look-ups of an institution on a day (local date), against its quota."""

    __tablename__ = "api_lookup_count"
    fixmedins_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class MedinsItemMap(Base):
    """A hospital's own item code mapped to a catalogue code (3301), cancelled by 3302 (`status`)."""

    __tablename__ = "medins_item_map"
    __table_args__ = (Index("ix_medins_item_map_code", "fixmedins_code", "medins_list_codg"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    fixmedins_code: Mapped[str] = mapped_column(ForeignKey("institution.code"))
    medins_list_codg: Mapped[str] = mapped_column(String(150))
    medins_list_name: Mapped[str] = mapped_column(String(200))
    hilist_code: Mapped[str] = mapped_column(String(50))
    list_type: Mapped[str] = mapped_column(String(6))
    begndate: Mapped[dt.date] = mapped_column(Date)
    enddate: Mapped[Optional[dt.date]] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active, cancelled
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = _created()


class SetlList(Base):
    """A settlement list (医保结算清单, 4101/4101A): its main diagnosis and procedure are the settlement's
    DIP codes (clearing reads them before the settlement's own)."""

    __tablename__ = "setl_list"
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    fixmedins_code: Mapped[str] = mapped_column(String(32))
    setl_id: Mapped[str] = mapped_column(String(64), unique=True)
    mdtrt_id: Mapped[str] = mapped_column(String(30))
    psn_no: Mapped[str] = mapped_column(String(32))
    diag_code: Mapped[Optional[str]] = mapped_column(String(20))
    oprn_code: Mapped[Optional[str]] = mapped_column(String(30))
    diagnoses: Mapped[list[Any]] = mapped_column(JSON, default=list)
    operations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    county: Mapped[str] = mapped_column(County)
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))


class CacheGeneration(Base):
    """A counter per cached table, bumped by triggers on every change (migration 0003): a worker's
    cache of institutions, credentials or the catalogue is dropped when the counter moves."""

    __tablename__ = "cache_generation"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)


# ---------------------------------------------------------------- funds and clearing (migration 0004)

Index("ix_journal_entry_booked_on", JournalEntry.booked_on)


class FundBudget(Base):
    """预算: the revenue and expenditure plan of a year, fund and county (the pool's plan is their sum).
    A plan, not money: `tongchou funds budget set` replaces a line (who and when are kept)."""

    __tablename__ = "fund_budget"
    __table_args__ = (CheckConstraint("revenue >= 0 AND expenditure >= 0", name="amounts"),)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    fund: Mapped[str] = mapped_column(String(30), primary_key=True)
    county: Mapped[str] = mapped_column(County, primary_key=True)
    revenue: Mapped[int] = mapped_column(Money)
    expenditure: Mapped[int] = mapped_column(Money)
    updated_by: Mapped[Optional[str]] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = _created()


class LedgerClose(Base):
    """月结: a closed month. A trigger (migration 0004) refuses any journal entry booked on or before the
    latest `period_end`; `last_entry_id` is the last entry the close saw (ledger verify checks none came later)."""

    __tablename__ = "ledger_close"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    period_end: Mapped[dt.date] = mapped_column(Date, unique=True)
    closed_by: Mapped[str] = mapped_column(String(100))
    last_entry_id: Mapped[int] = mapped_column(BigInteger, default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    closed_at: Mapped[dt.datetime] = _created()


class ClearingPlan(Base):
    """The clearing parameters of a year (DIP budget, global budgets, assessment scores, capitation
    enrolment), as imported from YAML; amounts in fen."""

    __tablename__ = "clearing_plan"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[Optional[str]] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = _created()


class ClearingRun(Base):
    """清算单: an institution's monthly statement (period YYYY-MM) or year-end settlement (period YYYY).
    draft (recomputed by a new run) → approved (by a named user) → paid (its journal entry)."""

    __tablename__ = "clearing_run"
    __table_args__ = (UniqueConstraint("fixmedins_code", "period", "kind"),
                      CheckConstraint("kind IN ('monthly', 'year_end')", name="kind"),
                      CheckConstraint("status IN ('draft', 'approved', 'paid')", name="status"))
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    fixmedins_code: Mapped[str] = mapped_column(ForeignKey("institution.code"))
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    county: Mapped[str] = mapped_column(County)
    payable: Mapped[int] = mapped_column(Money)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    matched: Mapped[Optional[bool]] = mapped_column(Boolean)
    approved_by: Mapped[Optional[str]] = mapped_column(String(100))
    approved_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime(timezone=True))
    paid_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    entry_id: Mapped[Optional[int]] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = _created()


class ClearingItem(Base):
    """A settlement (sign 1) or its cancellation (sign −1) taken into a clearing run: each event is
    cleared once."""

    __tablename__ = "clearing_item"
    __table_args__ = (UniqueConstraint("setl_id", "sign"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("clearing_run.id"), index=True)
    setl_id: Mapped[str] = mapped_column(String(64))
    sign: Mapped[int] = mapped_column(Integer)

"""Payments to persons against the store: bank details, payments, batches (代发), the bank's return file,
re-issues, account payouts and the account paying for the family (家庭共济).

Each public method is one transaction (a return file: one per line, so a bad line leaves the others applied).
The ledger entries are written in the same transaction as the rows they explain:

- a payment created: `payment_payable` — what the funds owed (the institution's due of a manual
  reimbursement; the account balance of a payout) becomes payable to the person;
- batched (已发): `payment_sent` — Dr due_to_person Cr bank;
- returned (退回): `payment_return` — Dr bank Cr due_to_person (payable again); a re-issue is a new payment of
  the same payable (no new payable entry) that the next batch sends.

A payment is in at most one batch (a guarded UPDATE: `batch_id IS NULL AND state = 'pending'`), a
reimbursement or a payout is paid once and a returned payment re-issued once (`payment.source_key` unique),
a return line is booked once (the payment's state and the ledger's unique cause). Bank account numbers are
encrypted (`bank_account.account_no`, `payment.account_no`: `DataCipher`, like the phone), masked on pages,
in full only in the batch file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from tongchou.access.models import ManualClaim
from tongchou.codes import Insutype
from tongchou.dossier.rules import Attachment
from tongchou.dossier.service import Matter, record as record_documents
from tongchou.enrolment import rules as enrolment_rules
from tongchou.enrolment.rules import RuleError
from tongchou.errors import Conflict, InvalidRequest, NotFound, Refused, ServiceError
from tongchou.ledger.accounts import Account, Fund, Title, fund_of
from tongchou.ledger.postings import (
    PAYMENT_FIELDS, account_contribution_entry, payable_to_person_entry, payment_returned_entry, payment_sent_entry,
)
from tongchou.ledger.service import entry_lines, personal_account_balance, record
from tongchou.money import Fen, yuan_text
from tongchou.payments import family, rules
from tongchou.payments.review import ReviewRule
from tongchou.payments.rules import BankDetails
from tongchou.payments.terms import AccountUses, load_uses
from tongchou.sheets import column_map, read_sheet, write_sheet
from tongchou.store import models as m
from tongchou.store.crypto import DataCipher
from tongchou.store.lookups import person_row, pool_of
from tongchou.store.uow import Store, lock_accounts

BANK_COLUMN = "bank_account.account_no"
PAYMENT_COLUMN = "payment.account_no"


@dataclass(frozen=True)
class BankView:
    psn_no: str
    payee_name: str
    bank_name: str
    account_masked: str
    recorded_on: dt.date
    recorded_by: str


@dataclass(frozen=True)
class PaymentView:
    id: int
    kind: str
    kind_label: str
    ref: str
    psn_no: str
    county: str
    payee_name: str
    bank_name: str
    account_masked: str
    amount: Fen
    purpose: str
    state: str
    state_label: str
    batch_no: str | None
    seq: int | None
    return_code: str | None
    return_label: str | None
    return_note: str | None
    settled_on: dt.date | None
    reissue_of: int | None
    reissued_as: int | None
    entered_by: str
    reviewed_by: str | None
    created_on: dt.date


@dataclass(frozen=True)
class Waiting:
    """A manual reimbursement the fund owes a person and no payment pays yet: with the person's bank details
    (`bank`: payee, bank, masked number) it goes into the next batch; without, it waits for them."""

    setl_id: str
    psn_no: str
    name: str
    amount: Fen
    bank: BankView | None = None


@dataclass(frozen=True)
class BatchView:
    batch_no: str
    county: str
    created_on: dt.date
    created_by: str
    count: int
    total: Fen
    payments: tuple[PaymentView, ...] = ()

    def by_state(self) -> dict[str, tuple[int, Fen]]:
        out: dict[str, tuple[int, Fen]] = {}
        for p in self.payments:
            n, t = out.get(p.state, (0, 0))
            out[p.state] = (n + 1, t + p.amount)
        return out


@dataclass
class ReturnOutcome:
    paid: list[int] = field(default_factory=list)      # 序号 confirmed paid
    returned: list[int] = field(default_factory=list)  # 序号 booked back
    already: list[int] = field(default_factory=list)   # 序号 booked before: skipped
    errors: list[rules.LineError] = field(default_factory=list)
    batches: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class FamilyOutcome:
    kind: str
    payer: str
    beneficiary: str
    year: int
    amount: Fen
    balance_after: Fen




class PaymentService:
    def __init__(self, store: Store, cipher: DataCipher, *, registry=None, review: ReviewRule = ReviewRule(),
                 uses: dict[str, AccountUses] | None = None, uses_dir: Path | None = None):
        self.store = store
        self.cipher = cipher
        self.registry = registry
        self.review = review
        self._uses = uses
        self._uses_dir = uses_dir

    @property
    def uses(self) -> dict[str, AccountUses]:
        if self._uses is None:
            self._uses = load_uses(self._uses_dir)
        return self._uses

    def _in_scope(self, county: str) -> bool:
        return not self.store.county or county == self.store.county

    # -------------------------------------------------- bank details

    def set_bank_account(self, psn_no: str, payee_name: str, bank_name: str, account_no: str, *, on: dt.date,
                         by: str, documents: Sequence[Attachment] = ()) -> BankView:
        """Record (or correct: a new row) the person's bank details for payments."""
        details = rules.bank_details(payee_name, bank_name, account_no)

        def work(session: Session) -> BankView:
            person = person_row(session, psn_no)
            if not self._in_scope(person.county):
                raise NotFound("psn_no", f"参保人{psn_no}不存在。")
            row = self._bank_row(session, person, details, on, by)
            record_documents(session, Matter("payment.bank_account", "登记代发银行账户", f"bank_account:{row.id}",
                                             "person", psn_no, person.county), documents, received_on=on,
                             received_by=by)
            return _bank_view(row)
        return self.store.transaction(work)

    def _bank_row(self, session: Session, person: m.Person, details: BankDetails, on: dt.date, by: str
                  ) -> m.BankAccount:
        row = m.BankAccount(psn_no=person.psn_no, county=person.county, payee_name=details.payee_name,
                            bank_name=details.bank_name,
                            account_no_enc=self.cipher.encrypt(details.account_no, BANK_COLUMN),
                            account_masked=details.masked, recorded_on=on, recorded_by=by)
        session.add(row)
        session.flush()
        return row

    def bank_account(self, psn_no: str) -> BankView | None:
        return self.store.read(lambda s: (lambda row: _bank_view(row) if row else None)(_latest_bank(s, psn_no)))

    # -------------------------------------------------- payments

    def owed(self, county: str | None = None) -> list[Waiting]:
        """Manual reimbursements owed to persons that no payment pays yet, with the bank details if recorded."""
        county = county or self.store.county

        def work(session: Session) -> list[Waiting]:
            out = []
            for claim, s, person in _unpaid_claims(session, county):
                bank = _latest_bank(session, claim.psn_no)
                out.append(Waiting(s.setl_id, claim.psn_no, person.name, _fund_total(s),
                                   _bank_view(bank) if bank else None))
            return out
        return self.store.read(work)

    def waiting(self, county: str | None = None) -> list[Waiting]:
        """Manual reimbursements owed to persons with no bank details recorded (cannot be batched yet)."""
        return [w for w in self.owed(county) if w.bank is None]

    def payments(self, *, county: str | None = None, states: Iterable[str] | None = None,
                 psn_no: str | None = None) -> list[PaymentView]:
        county = county or self.store.county

        def work(session: Session) -> list[PaymentView]:
            query = select(m.Payment).order_by(m.Payment.id)
            if county:
                query = query.where(m.Payment.county == county)
            if states:
                query = query.where(m.Payment.state.in_(list(states)))
            if psn_no:
                query = query.where(m.Payment.psn_no == psn_no)
            return [_view(session, row) for row in session.scalars(query)]
        return self.store.read(work)

    def payment(self, payment_id: int) -> PaymentView:
        def work(session: Session) -> PaymentView:
            row = session.get(m.Payment, payment_id)
            if row is None or not self._in_scope(row.county):
                raise NotFound("payment_id", f"代发{payment_id}不存在（或不在您的管辖范围内）。")
            return _view(session, row)
        return self.store.read(work)

    def collect(self, on: dt.date, by: str, county: str | None = None) -> list[int]:
        """A payment for every manual reimbursement owed whose person has bank details (one transaction)."""
        return self.store.transaction(lambda s: self._collect(s, on, by, county or self.store.county))

    def _collect(self, session: Session, on: dt.date, by: str, county: str | None) -> list[int]:
        made = []
        for claim, s, _person_row in _unpaid_claims(session, county):
            bank = _latest_bank(session, claim.psn_no)
            if bank is None:
                continue
            amounts: dict[Fund, Fen] = {}
            owed_by: dict[Fund, Account] = {}
            for name in PAYMENT_FIELDS:
                amount = getattr(s, name) or 0
                if amount:
                    fund = fund_of(s.insutype, s.med_type, name)
                    amounts[fund] = amounts.get(fund, 0) + amount
                    owed_by[fund] = Account(fund, Title.DUE_TO_INSTITUTION, s.county, s.fixmedins_code)
            payment = self._new_payment(
                session, source_key=f"reimbursement:{s.setl_id}", kind=rules.REIMBURSEMENT, ref=s.setl_id,
                psn_no=claim.psn_no, county=s.county, payee=_bank_details(self.cipher, bank), amounts=amounts,
                purpose="医保零星报销", on=on, entered_by=claim.entered_by or by, reviewed_by=claim.reviewed_by)
            record(session, payable_to_person_entry(str(payment.id), on, claim.psn_no, s.county, owed_by, amounts,
                                                    f"零星报销应付参保人 {s.setl_id}"))
            made.append(payment.id)
        return made

    def _new_payment(self, session: Session, *, source_key: str, kind: str, ref: str, psn_no: str, county: str,
                     payee: BankDetails, amounts: dict, purpose: str, on: dt.date, entered_by: str,
                     reviewed_by: str | None, reissue_of: int | None = None) -> m.Payment:
        total = sum(amounts.values())
        row = m.Payment(source_key=source_key, kind=kind, ref=ref, psn_no=psn_no, county=county,
                        payee_name=payee.payee_name, bank_name=payee.bank_name,
                        account_no_enc=self.cipher.encrypt(payee.account_no, PAYMENT_COLUMN),
                        account_masked=payee.masked, amount=total, funds={str(k): v for k, v in amounts.items()},
                        purpose=purpose, state=rules.PENDING, entered_by=entered_by, reviewed_by=reviewed_by,
                        created_on=on, reissue_of=reissue_of)
        session.add(row)
        session.flush()
        return row

    def account_payout(self, psn_no: str, reason: str, *, on: dt.date, entered_by: str,
                       reviewed_by: str | None = None, payee: BankDetails | None = None,
                       documents: Sequence[Attachment] = ()) -> PaymentView:
        """个人账户支取: the whole balance payable to the heirs (death) or to the person (settling abroad),
        paid by the next batch. The heir's bank details are required; the person's default to those recorded."""
        if reason not in rules.PAYOUT_REASONS:
            raise InvalidRequest("reason", "支取原因须为：" + "、".join(rules.PAYOUT_REASONS.values()) + "。")

        def work(session: Session) -> PaymentView:
            person = person_row(session, psn_no)
            if not self._in_scope(person.county):
                raise NotFound("psn_no", f"参保人{psn_no}不存在。")
            if session.get(m.PersonalAccount, psn_no) is None:
                raise Refused("psn_no", f"参保人{psn_no}没有个人账户。", "no_account")
            if reason == "death" and person.death_date is None:
                raise Refused("reason", f"参保人{psn_no}未登记死亡，不能按死亡支取个人账户；请先办理死亡登记。",
                              "not_deceased")
            if reason == "death" and payee is None:
                raise InvalidRequest("payee_name", "按死亡支取须填写继承人的户名、开户行和账号。")
            if reason == "death" and on < person.death_date:
                raise Refused("on", "支取日期早于死亡日期。", "before_death")
            lock_accounts(session, [psn_no])
            balance = personal_account_balance(session, psn_no)
            if balance <= 0:
                raise Refused("psn_no", f"参保人{psn_no}的个人账户余额为0.00元，无可支取。", "nothing_to_pay")
            self.review.check(balance, entered_by, reviewed_by, "个人账户支取")
            details = payee
            if details is None:
                bank = _latest_bank(session, psn_no)
                if bank is None:
                    raise InvalidRequest("account_no", f"参保人{psn_no}未登记代发银行账户，请填写户名、开户行和账号。")
                details = _bank_details(self.cipher, bank)
            fund = Fund.PERSONAL_ACCOUNT
            amounts = {fund: balance}
            payment = self._new_payment(
                session, source_key=f"account_payout:{psn_no}:{on.isoformat()}", kind=rules.ACCOUNT_PAYOUT,
                ref=f"ZQ{psn_no}-{on:%Y%m%d}", psn_no=psn_no, county=person.county, payee=details, amounts=amounts,
                purpose="医保个人账户支取", on=on, entered_by=entered_by, reviewed_by=reviewed_by)
            owed_by = {fund: Account(fund, Title.ACCOUNT_HOLDER, person.county, psn_no)}
            record(session, payable_to_person_entry(str(payment.id), on, psn_no, person.county, owed_by, amounts,
                                                    f"个人账户支取（{rules.PAYOUT_REASONS[reason]}） {psn_no}"))
            record_documents(session, Matter("payment.account_payout", "个人账户支取", f"payment:{payment.id}",
                                             "person", psn_no, person.county), documents, received_on=on,
                             received_by=entered_by)
            return _view(session, payment)
        return self.store.transaction(work)

    # -------------------------------------------------- batches

    def create_batch(self, on: dt.date, by: str, county: str | None = None) -> BatchView:
        """Collect what is owed, then put every pending payment of the county into a new batch (已发)."""
        county = county or self.store.county
        if not county:
            raise InvalidRequest("county", "请选择区县：代发批次按区县生成。")
        if not self._in_scope(county):
            raise NotFound("county", f"区县{county}不在您的管辖范围内。")

        def work(session: Session) -> BatchView:
            self._collect(session, on, by, county)
            ids = list(session.scalars(select(m.Payment.id).where(
                m.Payment.county == county, m.Payment.state == rules.PENDING, m.Payment.batch_id.is_(None))
                .order_by(m.Payment.id)))
            if not ids:
                raise Refused("batch", "没有待发的代发（零星报销须先登记参保人的代发银行账户）。", "nothing_to_send")
            day_text = on.strftime("%Y%m%d")
            prefix = rules.batch_number(county, day_text, 0)[:-3]
            ordinal = session.scalar(select(func.count()).where(m.PaymentBatch.batch_no.like(f"{prefix}%"))) + 1
            batch = m.PaymentBatch(batch_no=rules.batch_number(county, day_text, ordinal), county=county,
                                   created_on=on, created_by=by, count=0, total=0)
            session.add(batch)
            session.flush()
            seq, total = 0, 0
            for payment_id in ids:
                taken = session.execute(update(m.Payment).where(
                    m.Payment.id == payment_id, m.Payment.batch_id.is_(None), m.Payment.state == rules.PENDING)
                    .values(batch_id=batch.id, seq=seq + 1, state=rules.SENT)
                    .execution_options(synchronize_session=False)).rowcount
                if taken != 1:  # another clerk's batch took it first
                    continue
                seq += 1
                payment = session.execute(select(m.Payment).where(m.Payment.id == payment_id),
                                          execution_options={"populate_existing": True}).scalar_one()
                total += payment.amount
                record(session, payment_sent_entry(str(payment.id), on, payment.psn_no, payment.county,
                                                   _amounts(payment), f"代发 {batch.batch_no} 第{seq}笔"))
            if seq == 0:
                raise Refused("batch", "没有待发的代发：已被其他批次发出。", "nothing_to_send")
            batch.count, batch.total = seq, total
            session.flush()
            return _batch_view(session, batch)
        return self.store.transaction(work)

    def batches(self, county: str | None = None) -> list[BatchView]:
        county = county or self.store.county

        def work(session: Session) -> list[BatchView]:
            query = select(m.PaymentBatch).order_by(m.PaymentBatch.id.desc())
            if county:
                query = query.where(m.PaymentBatch.county == county)
            return [_batch_view(session, row) for row in session.scalars(query)]
        return self.store.read(work)

    def batch(self, batch_no: str) -> BatchView:
        return self.store.read(lambda s: _batch_view(s, self._batch_row(s, batch_no)))

    def _batch_row(self, session: Session, batch_no: str) -> m.PaymentBatch:
        row = session.scalar(select(m.PaymentBatch).where(m.PaymentBatch.batch_no == batch_no))
        if row is None or not self._in_scope(row.county):
            raise NotFound("batch_no", f"代发批次{batch_no}不存在（或不在您的管辖范围内）。")
        return row

    def batch_file(self, batch_no: str) -> tuple[str, bytes]:
        """The batch file (代发文件格式, docs/front-office.md): CSV, UTF-8 with BOM, account numbers in full."""
        def work(session: Session) -> tuple[str, bytes]:
            batch = self._batch_row(session, batch_no)
            lines = [rules.FileLine(p.seq, p.payee_name, p.bank_name,
                                    self.cipher.decrypt(p.account_no_enc, PAYMENT_COLUMN) or "", p.amount, p.purpose,
                                    p.ref)
                     for p in session.scalars(select(m.Payment).where(m.Payment.batch_id == batch.id))]
            content = write_sheet(rules.FILE_COLUMNS, rules.batch_rows(batch.batch_no, lines), "csv")
            return f"{batch.batch_no}.csv", content
        return self.store.read(work)

    # -------------------------------------------------- the bank's return file

    def read_return(self, filename: str, content: bytes, *, on: dt.date, by: str) -> ReturnOutcome:
        """回盘: each line confirms a payment (00) or returns it (a return code): the returned amount is booked
        back, payable to the person again. Each line in its own transaction; a line booked before is skipped."""
        sheet = read_sheet(filename, content)
        columns = column_map(sheet.header, rules.RETURN_COLUMNS, required=("batch_no", "seq", "amount", "code"),
                             filename=filename)
        outcome = ReturnOutcome()
        for row in sheet.rows:
            values = {code: row.values.get(cell, "") for code, cell in columns.items()}
            try:
                line = rules.return_line(row.line, values)
                result = self.store.transaction(lambda s: self._apply_return(s, line, on, by))
            except ServiceError as exc:
                label = rules.RETURN_COLUMNS.get(exc.field or "", exc.field or "")
                outcome.errors.append(rules.LineError(row.line, label, exc.message))
                continue
            outcome.batches.add(line.batch_no)
            {rules.PAID: outcome.paid, rules.RETURNED: outcome.returned}.get(result, outcome.already).append(line.seq)
        return outcome

    def _apply_return(self, session: Session, line: rules.ReturnLine, on: dt.date, by: str) -> str:
        batch = session.scalar(select(m.PaymentBatch).where(m.PaymentBatch.batch_no == line.batch_no))
        if batch is None or not self._in_scope(batch.county):
            raise InvalidRequest("batch_no", f"代发批次{line.batch_no}不存在（或不在您的管辖范围内）。")
        payment = session.execute(select(m.Payment).where(m.Payment.batch_id == batch.id, m.Payment.seq == line.seq)
                                  .with_for_update(), execution_options={"populate_existing": True}).scalar_one_or_none()
        if payment is None:
            raise InvalidRequest("seq", f"代发批次{line.batch_no}没有第{line.seq}笔。")
        result = rules.match_return(line, payment.state, payment.amount, payment.return_code)
        if result == rules.PAID:
            payment.state, payment.settled_on = rules.PAID, on
        elif result == rules.RETURNED:
            if entry_lines(session, "payment_return", str(payment.id)) is not None:
                return "already"
            payment.state, payment.settled_on = rules.RETURNED, on
            payment.return_code, payment.return_note = line.code, line.note or None
            record(session, payment_returned_entry(
                str(payment.id), on, payment.psn_no, payment.county, _amounts(payment),
                f"代发退回 {batch.batch_no} 第{payment.seq}笔（{rules.RETURN_CODES[line.code]}）"))
        session.flush()
        return result

    # -------------------------------------------------- re-issue

    def reissue(self, payment_id: int, payee_name: str, bank_name: str, account_no: str, *, on: dt.date,
                entered_by: str, reviewed_by: str | None = None, documents: Sequence[Attachment] = ()
                ) -> PaymentView:
        """A returned payment paid again to corrected bank details: a new payment linked to it (`reissue_of`),
        sent by the next batch; once per returned payment. The person's own details are corrected too."""
        details = rules.bank_details(payee_name, bank_name, account_no)

        def work(session: Session) -> PaymentView:
            original = session.execute(select(m.Payment).where(m.Payment.id == payment_id).with_for_update(),
                                       execution_options={"populate_existing": True}).scalar_one_or_none()
            if original is None or not self._in_scope(original.county):
                raise NotFound("payment_id", f"代发{payment_id}不存在（或不在您的管辖范围内）。")
            if original.state != rules.RETURNED:
                raise Refused("payment_id", f"代发{payment_id}的状态为{rules.STATES[original.state]}，"
                                            "只有退回的代发才能重发。", "not_returned")
            again = session.scalar(select(m.Payment).where(m.Payment.source_key == f"reissue:{payment_id}"))
            if again is not None:
                raise Conflict("payment_id", f"退回的代发{payment_id}已于{again.created_on.isoformat()}重发"
                                             f"（代发{again.id}），不能重复重发。", "already_reissued")
            self.review.check(original.amount, entered_by, reviewed_by, "代发退回重发")
            if original.kind == rules.REIMBURSEMENT or details.payee_name == person_row(session, original.psn_no).name:
                self._bank_row(session, person_row(session, original.psn_no), details, on, entered_by)
            amounts = {Fund(k): v for k, v in original.funds.items()}
            payment = self._new_payment(
                session, source_key=f"reissue:{payment_id}", kind=original.kind, ref=original.ref,
                psn_no=original.psn_no, county=original.county, payee=details, amounts=amounts,
                purpose=original.purpose, on=on, entered_by=entered_by, reviewed_by=reviewed_by,
                reissue_of=original.id)
            record_documents(session, Matter("payment.reissue", "代发退回重发", f"payment:{payment.id}", "person",
                                             original.psn_no, original.county), documents, received_on=on,
                             received_by=entered_by)
            return _view(session, payment)
        return self.store.transaction(work)

    # -------------------------------------------------- 家庭共济

    def family_amount(self, payer: str, kind: str, year: int, on: dt.date, relative: str | None = None) -> Fen:
        """What the account would pay (the policy's amount), or the refusal."""
        return self.store.read(lambda s: self._family_amount(s, payer, kind, year, on, relative))

    def _family_amount(self, session: Session, payer: str, kind: str, year: int, on: dt.date,
                       relative: str | None) -> Fen:
        if kind not in family.KINDS:
            raise InvalidRequest("kind", "缴费项目须为：" + "、".join(family.KINDS.values()) + "。")
        payer_row = person_row(session, payer, "payer")
        if kind == family.RESIDENT:
            if not relative:
                raise InvalidRequest("relative", "请选择为哪位近亲属缴费。")
            person = person_row(session, relative, "relative")
            relation = session.scalar(select(m.FamilyRelation).where(
                m.FamilyRelation.psn_no == payer, m.FamilyRelation.relative == relative))
            if relation is None:
                raise Refused("relative", f"{person.name}（{relative}）不是{payer_row.name}的配偶、父母或子女，"
                                          "个人账户不能为其缴费。", "not_family")
            if self.registry is None:
                raise InvalidRequest("year", "未加载居民医保政策。")
            from tongchou.policy.registry import NoPolicy
            try:
                resolved = self.registry.resolve(pool_of(session, person.county), Insutype.RESIDENT,
                                                 dt.date(year, 1, 1))
            except NoPolicy:
                raise Refused("year", f"{year}年度{person.name}所在统筹区没有生效的城乡居民医保政策。",
                              "no_policy") from None
            if resolved.version.contributions is None:
                raise Refused("year", f"政策{resolved.label}未规定缴费办法。", "no_policy")
            try:
                return enrolment_rules.resident_terms(resolved.version.contributions, year, on).individual_due
            except RuleError as exc:
                raise InvalidRequest("year", str(exc)) from None
        pool = pool_of(session, payer_row.county)
        uses = self.uses.get(pool)
        found = uses.amount(kind, year) if uses else None
        if found is None:
            raise Refused("year", f"统筹区{pool}未规定{year}年度{family.KINDS[kind][2:]}的个人缴费额。", "no_terms")
        return found.amount

    def family_pay(self, payer: str, kind: str, year: int, *, on: dt.date, entered_by: str,
                   reviewed_by: str | None = None, relative: str | None = None,
                   documents: Sequence[Attachment] = ()) -> FamilyOutcome:
        """个人账户家庭共济缴费 (seed 003): a relative's resident contribution (the relative enrolled for the year
        through the enrolment service), or the payer's own supplement or long-term care contribution."""
        amount = self.family_amount(payer, kind, year, on, relative)
        self.review.check(amount, entered_by, reviewed_by, "个人账户家庭共济缴费")
        if kind == family.RESIDENT:
            from tongchou.enrolment.service import EnrolmentService
            try:
                EnrolmentService(self.store, self.registry).enrol_resident(relative, year, on,
                                                                           paid_from_account_of=payer)
            except ServiceError as exc:
                if exc.field == "paid_from_account_of":
                    exc.field = "payer" if exc.code == "insufficient_balance" else "relative"
                raise
            beneficiary = relative or payer
        else:
            self.store.transaction(lambda s: self._own_contribution(s, payer, kind, year, on, amount, entered_by,
                                                                     reviewed_by))
            beneficiary = payer

        def after(session: Session) -> Fen:
            payer_row = person_row(session, payer, "payer")
            record_documents(session, Matter("account.family", "个人账户家庭共济缴费",
                                             family.cause_id(kind, beneficiary, year), "person", payer,
                                             payer_row.county), documents, received_on=on, received_by=entered_by)
            return personal_account_balance(session, payer)
        balance = self.store.transaction(after)
        return FamilyOutcome(kind, payer, beneficiary, year, amount, balance)

    def _own_contribution(self, session: Session, payer: str, kind: str, year: int, on: dt.date, amount: Fen,
                          entered_by: str, reviewed_by: str | None) -> None:
        person = person_row(session, payer, "payer")
        if session.get(m.PersonalAccount, payer) is None:
            raise Refused("payer", f"参保人{payer}没有职工医保个人账户。", "no_account")
        enrolled = session.scalar(select(func.count()).where(
            m.Enrolment.psn_no == payer, m.Enrolment.insutype == Insutype.EMPLOYEE,
            m.Enrolment.start <= dt.date(year, 12, 31),
            (m.Enrolment.end.is_(None)) | (m.Enrolment.end >= dt.date(year, 1, 1))))
        if not enrolled:
            raise Refused("year", f"参保人{payer}{year}年度未参加职工医保，不能缴纳{family.KINDS[kind][2:]}。",
                          "not_enrolled")
        cause = family.cause_id(kind, payer, year)
        if entry_lines(session, "contribution", cause) is not None:
            raise family.already_paid(kind, payer, year)
        lock_accounts(session, [payer])
        family.check_balance(payer, personal_account_balance(session, payer), amount)
        from tongchou.enrolment.service import new_batch
        batch = new_batch(session, "counter", on, person.county)
        session.add(m.ContributionLine(batch_id=batch.id, line_no=1, psn_no=payer, year=year, kind=f"account_{kind}",
                                       amount=amount, paid_on=on, status="accepted", county=person.county,
                                       raw={"payer": payer, "entered_by": entered_by, "reviewed_by": reviewed_by}))
        record(session, account_contribution_entry(cause, on, payer, person.county, family.FUNDS[kind], person.county,
                                                   amount, f"个人账户缴纳{family.KINDS[kind][2:]}"))

    def family_payments(self, payer: str) -> list[tuple[int, str, str, Fen, dt.date]]:
        """(year, kind label, for whom, amount, paid on) of what the payer's account paid for the family."""
        def work(session: Session):
            rows = session.scalars(select(m.ContributionLine).where(
                m.ContributionLine.kind.in_(("account_payment", "account_large_expense", "account_long_term_care")),
                m.ContributionLine.status == "accepted").order_by(m.ContributionLine.id))
            out = []
            for row in rows:
                if (row.raw or {}).get("payer") != payer:
                    continue
                kind = row.kind.removeprefix("account_")
                label = family.KINDS.get(kind, family.KINDS[family.RESIDENT])
                out.append((row.year, label, row.psn_no, row.amount, row.paid_on))
            return out
        return self.store.read(work)


# ---------------------------------------------------------------- helpers

def _unpaid_claims(session: Session, county: str | None):
    """(claim, settlement, person) of manual reimbursements the fund owes and no payment pays yet."""
    query = (select(ManualClaim, m.Settlement, m.Person)
             .join(m.Settlement, m.Settlement.setl_id == ManualClaim.setl_id)
             .join(m.Person, m.Person.psn_no == ManualClaim.psn_no)
             .where(~exists().where(m.Payment.kind == rules.REIMBURSEMENT, m.Payment.ref == m.Settlement.setl_id),
                    ~exists().where(m.SettlementCancellation.setl_id == m.Settlement.setl_id),
                    m.Settlement.fund_pay_sumamt > 0)
             .order_by(ManualClaim.id))
    if county:
        query = query.where(m.Settlement.county == county)
    return list(session.execute(query).all())


def _fund_total(s: m.Settlement) -> Fen:
    return sum(getattr(s, name) or 0 for name in PAYMENT_FIELDS)


def _latest_bank(session: Session, psn_no: str) -> m.BankAccount | None:
    return session.scalar(select(m.BankAccount).where(m.BankAccount.psn_no == psn_no)
                          .order_by(m.BankAccount.id.desc()).limit(1))


def _bank_details(cipher: DataCipher, row: m.BankAccount) -> BankDetails:
    return BankDetails(row.payee_name, row.bank_name, cipher.decrypt(row.account_no_enc, BANK_COLUMN) or "")


def _bank_view(row: m.BankAccount) -> BankView:
    return BankView(row.psn_no, row.payee_name, row.bank_name, row.account_masked, row.recorded_on, row.recorded_by)


def _amounts(payment: m.Payment) -> dict[Fund, Fen]:
    return {Fund(k): int(v) for k, v in payment.funds.items()}


def _view(session: Session, row: m.Payment) -> PaymentView:
    batch_no = session.scalar(select(m.PaymentBatch.batch_no).where(m.PaymentBatch.id == row.batch_id)) \
        if row.batch_id else None
    reissued = session.scalar(select(m.Payment.id).where(m.Payment.reissue_of == row.id))
    return PaymentView(
        row.id, row.kind, rules.KINDS.get(row.kind, row.kind), row.ref, row.psn_no, row.county, row.payee_name,
        row.bank_name, row.account_masked, row.amount, row.purpose, row.state, rules.STATES[row.state], batch_no,
        row.seq, row.return_code, rules.RETURN_CODES.get(row.return_code or ""), row.return_note, row.settled_on,
        row.reissue_of, reissued, row.entered_by, row.reviewed_by, row.created_on)


def _batch_view(session: Session, row: m.PaymentBatch) -> BatchView:
    payments = session.scalars(select(m.Payment).where(m.Payment.batch_id == row.id).order_by(m.Payment.seq))
    return BatchView(row.batch_no, row.county, row.created_on, row.created_by, row.count, row.total,
                     tuple(_view(session, p) for p in payments))


def yuan(fen: Fen) -> str:
    return yuan_text(fen, grouping=True)

"""关系转移接续 against the store (the imperative shell over `transfers.rules`; the package's only store module).

Each matter is one transaction: the transfer row, the enrolments ended or opened, the years recognised, the
ledger entry of the account balance and the documents received are written together or not at all. A form
resubmitted (the same `key`) answers the first transfer again and writes nothing (`replayed`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongchou.codes import Insutype
from tongchou.dossier.rules import Attachment
from tongchou.dossier.service import Matter, record as record_documents
from tongchou.enrolment import years as years_rule
from tongchou.enrolment.rules import RuleError, date_text, scheme_name
from tongchou.enrolment.service import PAID_KINDS, EnrolmentService, contribution_history, gap_allowance
from tongchou.errors import Conflict, InvalidRequest, NotFound, Refused
from tongchou.ledger.postings import transfer_in_entry, transfer_out_entry
from tongchou.ledger.service import personal_account_balance, record
from tongchou.masking import mask_id_number
from tongchou.money import Fen, fen_to_str
from tongchou.policy.registry import Registry
from tongchou.store import models as m
from tongchou.store.crypto import DataCipher
from tongchou.store.uow import Store, lock_accounts
from tongchou.transfers import rules
from tongchou.transfers.rules import Certificate, Contribution, CoverFact, Pool, SchemeRecord

OUT_MATTER = ("transfer.out", "关系转出")
IN_MATTER = ("transfer.in", "关系转入")


@dataclass(frozen=True)
class TransferOutcome:
    transfer_id: int
    direction: str  # out | in
    psn_no: str
    certificate: dict[str, Any]
    balance: Fen
    replayed: bool = False
    enrolment_id: int | None = None


@dataclass(frozen=True)
class TransferView:
    id: int
    direction: str
    psn_no: str
    county: str
    pool_code: str
    pool_name: str
    transfer_date: dt.date
    insutypes: list[str]
    balance: Fen
    certificate: dict[str, Any]
    recorded_by: str
    recognised_months: tuple[int, int] | None = None  # in: (total, continuous) recognised from the certificate


def _view(row: m.Transfer, session: Session | None = None) -> TransferView:
    recognised = None
    if session is not None and row.direction == "in":
        found = session.execute(select(m.RecognisedYears.total_months, m.RecognisedYears.continuous_months).where(
            m.RecognisedYears.transfer_id == row.id)).first()
        recognised = (found[0], found[1]) if found else None
    return TransferView(row.id, row.direction, row.psn_no, row.county, row.pool_code, row.pool_name,
                        row.transfer_date, list(row.insutypes or []), row.balance, dict(row.certificate or {}),
                        row.recorded_by, recognised)


def _rule(exc: RuleError) -> InvalidRequest:
    return InvalidRequest(exc.field, str(exc), "rule")


def _person(session: Session, psn_no: str) -> m.Person:
    person = session.get(m.Person, psn_no)
    if person is None:
        raise NotFound("psn_no", f"参保人{psn_no}不存在（转入前请先办理参保登记）。")
    return person


def _pool(session: Session, county: str) -> Pool:
    row = session.get(m.CountyRow, county)
    code = row.pool if row else county
    region = session.get(m.PoolRegion, code)
    return Pool(code, region.name if region else code)


class TransferService:
    def __init__(self, store: Store, registry: Registry | None = None, cipher: DataCipher | None = None,
                 today: Callable[[], dt.date] = dt.date.today):
        self.store = store
        self.registry = registry or Registry.load()
        self._cipher = cipher
        self.today = today

    @property
    def cipher(self) -> DataCipher:
        if self._cipher is None:
            from tongchou.persons.service import cipher_from_environment
            self._cipher = cipher_from_environment()
        return self._cipher

    # -------------------------------------------------- contribution years and the certificate

    def contribution_years(self, psn_no: str, on: dt.date) -> dict[str, years_rule.Years]:
        """The person's years by scheme as at `on` (the person page, the certificate)."""
        def work(session: Session) -> dict[str, years_rule.Years]:
            person = _person(session, psn_no)
            return self._years(session, person, on)
        return self.store.read(work)

    def _years(self, session: Session, person: m.Person, on: dt.date) -> dict[str, years_rule.Years]:
        history = contribution_history(session, person.psn_no, opening_years=person.contribution_years or 0)
        gap = gap_allowance(self.registry, _pool(session, person.county).code, on)
        return {insutype: years_rule.years(history, insutype, on, gap) for insutype in rules.SCHEMES}

    def certificate(self, psn_no: str, on: dt.date, to_pool: str = "", pool_name: str = "") -> dict[str, Any]:
        """The certificate as it would be issued on `on` (a preview: nothing is written)."""
        def work(session: Session) -> dict[str, Any]:
            person = _person(session, psn_no)
            target = Pool(to_pool.strip(), pool_name.strip() or "（未指定）")
            return rules.certificate_json(self._certificate(session, person, on, target))
        return self.store.read(work)

    def _certificate(self, session: Session, person: m.Person, on: dt.date, target: Pool) -> Certificate:
        own = _pool(session, person.county)
        enrolments = list(session.scalars(select(m.Enrolment).where(m.Enrolment.psn_no == person.psn_no)
                                          .order_by(m.Enrolment.start, m.Enrolment.id)))
        lines = list(session.scalars(select(m.ContributionLine).where(
            m.ContributionLine.psn_no == person.psn_no, m.ContributionLine.status == "accepted",
            m.ContributionLine.kind.in_(PAID_KINDS)).order_by(m.ContributionLine.id)))
        by_scheme = self._years(session, person, on)
        schemes = []
        for insutype in rules.SCHEMES:
            periods = tuple((e.start, min(e.end, on) if e.end else on) for e in enrolments
                            if e.insutype == insutype and e.start <= on and (e.end is None or e.end >= e.start))
            paid = [self._contribution(line) for line in lines if line.insutype == insutype]
            counted = by_scheme[insutype]
            if not periods and not paid and not counted.total_months:
                continue
            ended = max((b for _, b in periods), default=None)
            schemes.append(SchemeRecord(insutype, periods, tuple(sorted(paid, key=lambda c: c.period)),
                                        counted.total_months, counted.continuous_months, ended))
        account = session.get(m.PersonalAccount, person.psn_no)
        balance = max(personal_account_balance(session, person.psn_no), 0) if account is not None else 0
        id_number = self.cipher.decrypt(person.id_number_enc, "person.id_number") if person.id_number_enc else None
        opening = f"其中建账前缴费年限{person.contribution_years}年（期初）。" if person.contribution_years else ""
        return Certificate(rules.certificate_number(own.code, person.psn_no, on), self.today(), own, target,
                           person.psn_no, person.name, mask_id_number(id_number), person.sex, person.birth_date,
                           tuple(schemes), balance, on, opening)

    @staticmethod
    def _contribution(line: m.ContributionLine) -> Contribution:
        raw = line.raw or {}
        period = str(raw.get("month") or line.year) if line.insutype == Insutype.EMPLOYEE else str(line.year)
        return Contribution(period, line.base, line.amount, line.paid_on)

    # -------------------------------------------------- out

    def transfer_out(self, psn_no: str, to_pool: str, pool_name: str, on: dt.date, *, key: str, by: str,
                     documents: Iterable[Attachment] = ()) -> TransferOutcome:
        """转出: issue the certificate, end cover on `on`, pay the account balance to the receiving pool."""
        attachments = list(documents)
        return self.store.transaction(lambda s: self._out(s, psn_no, to_pool, pool_name, on, key, by, attachments))

    def _replay(self, session: Session, key: str, psn_no: str, direction: str) -> TransferOutcome | None:
        row = session.execute(select(m.Transfer).where(m.Transfer.request_key == key)).scalar_one_or_none()
        if row is None:
            return None
        if row.psn_no != psn_no or row.direction != direction:
            raise Conflict("key", "该表单已用于办理另一笔转移业务，请重新打开表单。", "key_conflict")
        return TransferOutcome(row.id, row.direction, row.psn_no, dict(row.certificate or {}), row.balance, True)

    def _out(self, session: Session, psn_no: str, to_pool: str, pool_name: str, on: dt.date, key: str, by: str,
             attachments: list[Attachment]) -> TransferOutcome:
        done = self._replay(session, key, psn_no, "out")
        if done is not None:
            return done
        person = _person(session, psn_no)
        own = _pool(session, person.county)
        try:
            target = rules.check_pool(to_pool, pool_name, own.code, "to_pool")
        except RuleError as exc:
            raise _rule(exc) from None
        rows = list(session.scalars(select(m.Enrolment).where(m.Enrolment.psn_no == psn_no)))
        covers = [CoverFact(r.id, r.insutype, r.start, r.end) for r in rows if r.end is None or r.end >= r.start]
        last_out = self._last_out(session, psn_no)
        try:
            open_on = rules.check_transfer_out(psn_no, on, covers, person.death_date, last_out)
        except RuleError as exc:
            code = "already_transferred" if "重复转出" in str(exc) else "refused"
            raise Refused(exc.field, str(exc), code) from None
        certificate = self._certificate(session, person, on, target)
        for row in rows:
            end = rules.cut_after(CoverFact(row.id, row.insutype, row.start, row.end), on)
            if end is not None:
                row.end = end
        account = lock_accounts(session, [psn_no]).get(psn_no)
        balance = max(personal_account_balance(session, psn_no), 0) if account is not None else 0
        transfer = m.Transfer(direction="out", psn_no=psn_no, county=person.county, pool_code=target.code,
                              pool_name=target.name, transfer_date=on,
                              insutypes=sorted({c.insutype for c in open_on}), balance=balance,
                              certificate=rules.certificate_json(certificate), request_key=key, recorded_by=by)
        session.add(transfer)
        session.flush()
        if balance:
            record(session, transfer_out_entry(f"transfer:{transfer.id}", account.county if account else person.county,
                                               on, psn_no, target.code, balance))
        if attachments:
            record_documents(session, Matter(*OUT_MATTER, f"transfer:{transfer.id}", "person", psn_no, person.county),
                             attachments, received_on=self.today(), received_by=by)
        return TransferOutcome(transfer.id, "out", psn_no, dict(transfer.certificate), balance)

    @staticmethod
    def _last_out(session: Session, psn_no: str) -> dt.date | None:
        """The date of a transfer out not followed by a transfer in (None: the person's relation is here)."""
        rows = session.execute(select(m.Transfer.direction, m.Transfer.transfer_date, m.Transfer.id).where(
            m.Transfer.psn_no == psn_no).order_by(m.Transfer.id)).all()
        last = rows[-1] if rows else None
        return last.transfer_date if last is not None and last.direction == "out" else None

    # -------------------------------------------------- in

    def transfer_in(self, psn_no: str, raw: Mapping[str, Any], *, key: str, by: str,
                    documents: Iterable[Attachment] = ()) -> TransferOutcome:
        """转入: the years the certificate recognises, the balance received, the person enrolled from `start`."""
        attachments = list(documents)
        return self.store.transaction(lambda s: self._in(s, psn_no, raw, key, by, attachments))

    def _in(self, session: Session, psn_no: str, raw: Mapping[str, Any], key: str, by: str,
            attachments: list[Attachment]) -> TransferOutcome:
        done = self._replay(session, key, psn_no, "in")
        if done is not None:
            return done
        person = _person(session, psn_no)
        own = _pool(session, person.county)
        try:
            terms = rules.transfer_in_terms(raw, own.code)
        except RuleError as exc:
            raise _rule(exc) from None
        if person.death_date is not None and person.death_date < terms.start:
            raise Refused("psn_no", f"参保人{psn_no}已于{date_text(person.death_date)}死亡，不能办理转入。", "deceased")
        same = session.scalars(select(m.Enrolment).where(
            m.Enrolment.psn_no == psn_no, m.Enrolment.insutype == terms.insutype,
            m.Enrolment.start <= (terms.end or dt.date.max),
            m.Enrolment.end.is_(None) | (m.Enrolment.end >= terms.start))).first()
        if same is not None and (same.end is None or same.end >= same.start):
            raise Conflict("start", f"参保人{psn_no}在{date_text(terms.start)}已参加{scheme_name(terms.insutype)}"
                                    f"（参保记录{same.id}），不能重复参保。", "already_enrolled")
        enrolments = EnrolmentService(self.store, self.registry)
        if terms.insutype == Insutype.EMPLOYEE:
            enrolment_id = enrolments.enrol_employee_in(session, psn_no, terms.start)
            session.get(m.Enrolment, enrolment_id).note = terms.note()
        else:
            enrolment_id = enrolments.open_in(session, psn_no, terms.insutype, terms.start, terms.end,
                                              "transfer_in", terms.note())
        certificate = dict(terms.certificate) or {
            "title": rules.CERTIFICATE_TITLE, "number": terms.certificate_no, "entered_by_clerk": True,
            "from_pool": {"code": terms.from_pool.code, "name": terms.from_pool.name},
            "schemes": [{"insutype": terms.insutype, "total_months": terms.total_months,
                         "continuous_months": terms.continuous_months, "ended_on": terms.ended_on.isoformat()}],
            "account_balance": fen_to_str(terms.balance)}
        transfer = m.Transfer(direction="in", psn_no=psn_no, county=person.county, pool_code=terms.from_pool.code,
                              pool_name=terms.from_pool.name, transfer_date=terms.start, insutypes=[terms.insutype],
                              balance=terms.balance, certificate=certificate, request_key=key, recorded_by=by)
        session.add(transfer)
        session.flush()
        session.add(m.RecognisedYears(
            psn_no=psn_no, insutype=terms.insutype, total_months=terms.total_months,
            continuous_months=terms.continuous_months, ended_on=terms.ended_on, transfer_id=transfer.id,
            source=f"参保凭证{terms.certificate_no or '（未编号）'}（{terms.from_pool.name}）"[:200], county=person.county))
        if terms.balance:
            lock_accounts(session, [psn_no])
            record(session, transfer_in_entry(f"transfer:{transfer.id}", person.county, self.today(), psn_no,
                                              terms.from_pool.code, terms.balance, terms.received))
        if attachments:
            record_documents(session, Matter(*IN_MATTER, f"transfer:{transfer.id}", "person", psn_no, person.county),
                             attachments, received_on=self.today(), received_by=by)
        session.flush()
        return TransferOutcome(transfer.id, "in", psn_no, certificate, terms.balance, False, enrolment_id)

    # -------------------------------------------------- reading

    def transfers_of(self, psn_no: str) -> list[TransferView]:
        return self.store.read(lambda s: [_view(r) for r in s.scalars(
            select(m.Transfer).where(m.Transfer.psn_no == psn_no).order_by(m.Transfer.id))])

    def get(self, transfer_id: int) -> TransferView:
        def work(session: Session) -> TransferView:
            row = session.get(m.Transfer, transfer_id)
            if row is None:
                raise NotFound("transfer_id", f"转移记录{transfer_id}不存在。")
            return _view(row, session)
        return self.store.read(work)

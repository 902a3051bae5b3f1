"""门诊慢特病申报 against the store (the imperative shell over `rules`): apply, approve, reject, the review queue,
a person's applications, and the filings to renew at the year end.

Each matter is one transaction: the application and its documents (档案, `tongchou.dossier.service.record`) are
saved together or not at all; an approval writes the `filing` the settlement reads and marks the application in
the same transaction. The direct filing (`EnrolmentService.file`) stays for data migration: it records an
approval made outside Tongchou.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongchou.dossier.rules import Attachment
from tongchou.dossier.service import Matter, record
from tongchou.enrolment.rules import date_text
from tongchou.errors import InvalidRequest, NotFound, Refused
from tongchou.filings import rules
from tongchou.filings.rules import Application, Held, Receiver, Renewal
from tongchou.policy.registry import NoPolicy, Registry
from tongchou.policy.schema import ChronicFiling, Version
from tongchou.settlement.matching import find_disease
from tongchou.store import models as m
from tongchou.store.lookups import pool_of
from tongchou.store.uow import Store

MATTER = "filing.apply"
MATTER_NAME = "门诊慢特病申报"


@dataclass(frozen=True)
class Terms:
    """What the apply form needs: the rule in force for the person on the day."""

    insutype: str
    policy_name: str
    terms: ChronicFiling
    diseases: list[tuple[str, str]]  # (code, name with its condition)
    window: rules.Window | None
    windows: list[rules.Window]
    receivers: list[tuple[str, str]]  # (code, name) of the pool's institutions where it may be handed in


@dataclass(frozen=True)
class ApplicationView:
    id: int
    psn_no: str
    name: str
    county: str
    dise_code: str
    dise_name: str
    window: str
    received_on: dt.date
    received_at: str
    received_at_name: str
    received_by: str
    state: str
    state_label: str
    decided_on: dt.date | None
    decided_by: str | None
    reason: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None


@dataclass(frozen=True)
class RenewalView:
    renewal: Renewal
    name: str
    county: str
    dise_name: str
    pending: bool  # an application for the same disease is waiting for approval
    county_name: str = ""


@dataclass(frozen=True)
class FilingView:
    """An approved filing as a person's page shows it: the disease by name, the state on the day."""

    id: int
    kind: str
    kind_label: str
    dise_name: str
    target: str | None
    approved_on: dt.date
    valid_from: dt.date
    valid_to: dt.date | None
    state_label: str  # 有效 / 已到期 / 尚未生效


def disease_label(version: Version, code: str) -> str:
    disease = find_disease(version, code)
    if disease is None:
        return code
    return f"{disease.name}（{disease.condition}）" if disease.condition else disease.name


class FilingService:
    def __init__(self, store: Store, registry: Registry, today: Callable[[], dt.date] = dt.date.today):
        self.store = store
        self.registry = registry
        self.today = today

    # -------------------------------------------------- the rule in force

    def _person(self, session: Session, psn_no: str) -> m.Person:
        person = session.get(m.Person, psn_no)
        if person is None or (self.store.county and person.county != self.store.county):
            raise NotFound("psn_no", f"参保人{psn_no}不存在。", "unknown_person")
        return person

    def _insutype_on(self, session: Session, person: m.Person, day: dt.date) -> str:
        if person.death_date is not None and day > person.death_date:
            raise Refused("psn_no", f"参保人{person.psn_no}已于{date_text(person.death_date)}死亡，不能申报。", "deceased")
        rows = session.execute(select(m.Enrolment.insutype).where(
            m.Enrolment.psn_no == person.psn_no, m.Enrolment.start <= day,
            (m.Enrolment.end.is_(None)) | (m.Enrolment.end >= day)).order_by(m.Enrolment.start.desc())).scalars().all()
        if not rows:
            raise Refused("psn_no", f"参保人{person.psn_no}在{date_text(day)}未参加本市医保，不能申报门诊慢特病。",
                          "not_enrolled")
        return rows[0]

    def _version(self, pool: str, insutype: str, day: dt.date) -> tuple[str, Version, ChronicFiling]:
        try:
            resolved = self.registry.resolve(pool, insutype, day)
        except NoPolicy as exc:
            raise Refused("received_on", f"{date_text(day)}统筹区{pool}无有效政策：{exc}", "no_policy") from None
        terms = resolved.version.chronic_filing
        if terms is None:
            raise Refused("received_on", f"{resolved.policy.name}未规定门诊慢特病申报办法（申报期、材料、有效期），"
                                         f"不能受理。", "no_filing_terms")
        return resolved.policy.name, resolved.version, terms

    def terms(self, psn_no: str, on: dt.date) -> Terms:
        """The rule in force for the person on the day: diseases, windows, documents, receiving institutions."""
        def work(session: Session) -> Terms:
            person = self._person(session, psn_no)
            insutype = self._insutype_on(session, person, on)
            pool = pool_of(session, person.county)
            name, version, terms = self._version(pool, insutype, on)
            counties = select(m.CountyRow.admdvs).where(m.CountyRow.pool == pool)
            receivers = session.execute(select(m.Institution.code, m.Institution.name).where(
                m.Institution.county.in_(counties), m.Institution.admin_tier.in_(terms.received_at)).order_by(m.Institution.code)).all()
            return Terms(insutype, name, terms, [(d.code, disease_label(version, d.code)) for d in version.diseases],
                         rules.window_on(terms, on), rules.windows_of(terms, on.year), [tuple(r) for r in receivers])
        return self.store.read(work)

    # -------------------------------------------------- the matters

    def apply(self, psn_no: str, dise: str, received_at: str, received_on: dt.date, received_by: str, *,
              documents: Sequence[Attachment] = (), document_kinds: Iterable[str] | None = None,
              user: str | None = None) -> int:
        """Receive an application at a township health centre inside a window, with the documents the policy
        requires (`documents` saved to the dossier; `document_kinds` — the command line — names paper documents
        seen but not scanned). Returns the application's number."""
        if not (received_by or "").strip():
            raise InvalidRequest("received_by", "请填写受理人。")
        if received_on > self.today():
            raise InvalidRequest("received_on", f"受理日期{date_text(received_on)}晚于今天。")

        def work(session: Session) -> int:
            person = self._person(session, psn_no)
            insutype = self._insutype_on(session, person, received_on)
            pool = pool_of(session, person.county)
            _, version, terms = self._version(pool, insutype, received_on)
            disease = find_disease(version, dise)
            if disease is None:
                raise InvalidRequest("dise_code", f"病种“{dise}”不在本统筹区门诊慢特病病种目录内。", "unknown_disease")
            window = rules.check_window(terms, received_on)
            institution = session.get(m.Institution, received_at)
            receiver = (Receiver(institution.code, institution.name, institution.admin_tier,
                                 pool_of(session, institution.county)) if institution else None)
            rules.check_receiver(terms, receiver, received_at, pool)
            kinds = [a.kind for a in documents] + list(document_kinds or ())
            rules.check_documents(terms, kinds)
            pending = [_application(row) for row in session.execute(select(m.FilingApplication).where(
                m.FilingApplication.psn_no == psn_no, m.FilingApplication.state == "received")).scalars()]
            rules.check_no_pending(pending, disease.code)
            row = m.FilingApplication(
                psn_no=psn_no, kind="chronic", insutype=insutype, dise_code=disease.code,
                dise_name=disease_label(version, disease.code), county=person.county, window=window.name,
                received_on=received_on, received_at=received_at, received_by=received_by.strip(), received_user=user,
                state="received")
            session.add(row)
            session.flush()
            if documents:
                record(session, Matter(MATTER, MATTER_NAME, f"filing_application:{row.id}", "person", psn_no,
                                       person.county), documents, received_on=received_on,
                       received_by=received_by.strip())
            return row.id
        return self.store.transaction(work)

    def _application_row(self, session: Session, application_id: int) -> m.FilingApplication:
        row = session.get(m.FilingApplication, application_id)
        if row is None or (self.store.county and row.county != self.store.county):
            raise NotFound("application", f"门诊慢特病申请第{application_id}号不存在（或不在您的管辖范围内）。")
        return row

    def approve(self, application_id: int, decided_by: str, decided_on: dt.date, *, user: str | None = None) -> int:
        """The county branch approves: the filing is written, valid for the policy's period from the approval
        date. Returns the filing's id."""
        if decided_on > self.today():
            raise InvalidRequest("decided_on", f"审批日期{date_text(decided_on)}晚于今天。")

        def work(session: Session) -> int:
            row = self._application_row(session, application_id)
            rules.check_decision(_application(row), decided_by, decided_on, user)
            _, _, terms = self._version(pool_of(session, row.county), row.insutype, row.received_on)
            valid_from, valid_to = rules.validity(terms, decided_on)
            filing = m.Filing(psn_no=row.psn_no, kind=row.kind, dise_code=row.dise_code, approved_on=decided_on,
                              valid_from=valid_from, valid_to=valid_to, county=row.county)
            session.add(filing)
            session.flush()
            row.state, row.decided_on, row.decided_by, row.filing_id = "approved", decided_on, decided_by.strip(), filing.id
            row.decided_user = user
            session.flush()
            return filing.id
        return self.store.transaction(work)

    def reject(self, application_id: int, decided_by: str, decided_on: dt.date, reason: str, *,
               user: str | None = None) -> None:
        text = rules.check_reason(reason)

        def work(session: Session) -> None:
            row = self._application_row(session, application_id)
            rules.check_decision(_application(row), decided_by, decided_on, user)
            row.state, row.decided_on, row.decided_by, row.reason = "rejected", decided_on, decided_by.strip(), text
            row.decided_user = user
            session.flush()
        self.store.transaction(work)

    # -------------------------------------------------- lists

    def applications(self, *, state: str | None = None, psn_no: str | None = None) -> list[ApplicationView]:
        """Applications, oldest first (the review queue: state `received`), limited to the store's county."""
        if state is not None and state not in rules.STATES:
            raise InvalidRequest("state", f"状态须为：{'、'.join(f'{k}（{v}）' for k, v in rules.STATES.items())}。")

        def work(session: Session) -> list[ApplicationView]:
            query = (select(m.FilingApplication, m.Person.name, m.Institution.name, m.Filing)
                     .join(m.Person, m.Person.psn_no == m.FilingApplication.psn_no)
                     .join(m.Institution, m.Institution.code == m.FilingApplication.received_at)
                     .outerjoin(m.Filing, m.Filing.id == m.FilingApplication.filing_id)
                     .order_by(m.FilingApplication.received_on, m.FilingApplication.id))
            if state:
                query = query.where(m.FilingApplication.state == state)
            if psn_no:
                query = query.where(m.FilingApplication.psn_no == psn_no)
            if self.store.county:
                query = query.where(m.FilingApplication.county == self.store.county)
            return [_view(a, name, inst, f) for a, name, inst, f in session.execute(query).all()]
        return self.store.read(work)

    def renewals(self, year: int, within_days: int = 0) -> list[RenewalView]:
        """Filings lapsing at the end of `year` (or within `within_days` after it) not yet renewed."""
        if within_days < 0 or within_days > 366:
            raise InvalidRequest("within", "提前天数须在0到366之间。")

        def work(session: Session) -> list[RenewalView]:
            query = select(m.Filing, m.Person.name).join(m.Person, m.Person.psn_no == m.Filing.psn_no)
            if self.store.county:
                query = query.where(m.Filing.county == self.store.county)
            rows = session.execute(query).all()
            names = {f.psn_no: name for f, name in rows}
            counties = {f.psn_no: f.county for f, _ in rows}
            # a filing names its disease by the policy's code or (loaded, migrated) by its name: one key for both
            held = [Held(f.id, f.psn_no, f.kind, self._dise_key(pool_of(session, f.county), f.dise_code, f.valid_from),
                         f.valid_from, f.valid_to) for f, _ in rows]
            pending = {(a.psn_no, a.dise_code) for a in session.execute(
                select(m.FilingApplication).where(m.FilingApplication.state == "received")).scalars()}
            county_names = dict(session.execute(select(m.CountyRow.admdvs, m.CountyRow.name)).all())
            out = []
            for renewal in rules.renewals(held, year, within_days):
                f = renewal.filing
                pool = pool_of(session, counties[f.psn_no])
                out.append(RenewalView(renewal, names[f.psn_no], counties[f.psn_no],
                                       self._dise_name(pool, f, dt.date(year, 12, 31)),
                                       (f.psn_no, f.dise_code) in pending,
                                       county_names.get(counties[f.psn_no], counties[f.psn_no])))
            return out
        return self.store.read(work)

    def person_filings(self, psn_no: str, today: dt.date) -> list[FilingView]:
        """The person's approved filings, newest first, each with its state on `today`."""
        def work(session: Session) -> list[FilingView]:
            person = self._person(session, psn_no)
            pool = pool_of(session, person.county)
            rows = session.execute(select(m.Filing).where(m.Filing.psn_no == psn_no)
                                   .order_by(m.Filing.valid_from.desc(), m.Filing.id.desc())).scalars().all()
            out = []
            for f in rows:
                held = Held(f.id, f.psn_no, f.kind, f.dise_code, f.valid_from, f.valid_to)
                state = ("尚未生效" if today < f.valid_from else
                         "已到期" if f.valid_to is not None and f.valid_to < today else "有效")
                out.append(FilingView(f.id, f.kind, rules.KINDS.get(f.kind, f.kind),
                                      self._dise_name(pool, held, f.valid_from), f.target, f.approved_on,
                                      f.valid_from, f.valid_to, state))
            return out
        return self.store.read(work)

    def _dise_key(self, pool: str, dise: str | None, on: dt.date) -> str | None:
        """The policy's code of a disease named by code or name (as settlement matches it), else as written."""
        if not dise:
            return dise
        for insutype in ("390", "310"):
            try:
                disease = find_disease(self.registry.resolve(pool, insutype, on).version, dise)
            except NoPolicy:
                continue
            if disease is not None:
                return disease.code
        return dise

    def _dise_name(self, pool: str, filing: Held, on: dt.date) -> str:
        if filing.kind != "chronic" or not filing.dise_code:
            return "—"
        for insutype in ("390", "310"):
            try:
                version = self.registry.resolve(pool, insutype, min(on, filing.valid_to or on)).version
            except NoPolicy:
                continue
            if find_disease(version, filing.dise_code):
                return disease_label(version, filing.dise_code)
        return filing.dise_code


def _application(row: m.FilingApplication) -> Application:
    return Application(row.id, row.psn_no, row.dise_code, row.dise_name, row.state, row.received_on, row.received_by,
                       row.decided_on, row.decided_by, row.received_user)


def _view(a: m.FilingApplication, name: str, institution: str, filing: m.Filing | None) -> ApplicationView:
    return ApplicationView(a.id, a.psn_no, name, a.county, a.dise_code, a.dise_name, a.window, a.received_on,
                           a.received_at, institution, a.received_by, a.state, rules.STATES[a.state], a.decided_on,
                           a.decided_by, a.reason, filing.valid_from if filing else None,
                           filing.valid_to if filing else None)

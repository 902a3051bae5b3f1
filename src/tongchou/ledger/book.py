"""The shell of the ledger: persist entries (append-only) and sum postings into balances."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from tongchou.ledger.accounts import Account, Fund, Title
from tongchou.ledger.postings import PAYMENT_FIELDS, Entry, Line, SettlementFacts
from tongchou.money import Fen
from tongchou.store.models import JournalEntry, LedgerClose, Posting


def record(session: Session, entry: Entry) -> int:
    """Write an entry and its lines; returns the entry id. A second entry for the same cause fails
    (unique cause), so a retried operation cannot post twice."""
    connection = session.connection()
    entry_id = connection.execute(_INSERT_ENTRY, {
        "cause_type": entry.cause_type, "cause_id": entry.cause_id, "county": entry.county,
        "booked_on": entry.booked_on, "memo": entry.memo}).scalar_one()
    if entry.lines:
        connection.execute(_INSERT_POSTINGS, [_row(entry_id, line) for line in entry.lines])
    return entry_id


_INSERT_ENTRY = insert(JournalEntry.__table__).returning(JournalEntry.__table__.c.id)
_INSERT_POSTINGS = insert(Posting.__table__)


def record_many(session: Session, entries: list[Entry]) -> list[int]:
    """Write many entries in two statements (bulk history, fixtures); the same rows `record` writes."""
    if not entries:
        return []
    ids = session.execute(
        insert(JournalEntry.__table__).returning(JournalEntry.id, sort_by_parameter_order=True),
        [{"cause_type": e.cause_type, "cause_id": e.cause_id, "county": e.county, "booked_on": e.booked_on,
          "memo": e.memo} for e in entries],
    ).scalars().all()
    rows = [_row(entry_id, line) for entry_id, entry in zip(ids, entries, strict=True) for line in entry.lines]
    if rows:
        session.execute(insert(Posting.__table__), rows)
    return list(ids)


def _row(entry_id: int, line: Line) -> dict:
    account = line.account
    return {"entry_id": entry_id, "fund": str(account.fund), "title": str(account.title), "county": account.county,
            "party": account.party, "debit": line.debit, "credit": line.credit}


def balance(session: Session, account: Account) -> Fen:
    """debits − credits of the account (negative for a credit balance)."""
    debit, credit = session.execute(
        select(func.coalesce(func.sum(Posting.debit), 0), func.coalesce(func.sum(Posting.credit), 0)).where(
            Posting.fund == str(account.fund), Posting.title == str(account.title),
            Posting.county == account.county, Posting.party == account.party)
    ).one()
    return int(debit) - int(credit)


def personal_account_balance(session: Session, psn_no: str) -> Fen:
    """What a person's account holds: credits − debits of its holder account, over every county."""
    debit, credit = session.execute(
        select(func.coalesce(func.sum(Posting.debit), 0), func.coalesce(func.sum(Posting.credit), 0)).where(
            Posting.fund == str(Fund.PERSONAL_ACCOUNT), Posting.title == str(Title.ACCOUNT_HOLDER),
            Posting.party == psn_no)
    ).one()
    return int(credit) - int(debit)


def entry_lines(session: Session, cause_type: str, cause_id: str) -> tuple[int, list[Line]] | None:
    """The stored entry of a cause and its lines, or None."""
    entry_id = session.execute(
        select(JournalEntry.id).where(JournalEntry.cause_type == cause_type, JournalEntry.cause_id == cause_id)
    ).scalar_one_or_none()
    if entry_id is None:
        return None
    rows = session.execute(select(Posting).where(Posting.entry_id == entry_id).order_by(Posting.id)).scalars()
    return entry_id, [Line(Account(Fund(r.fund), Title(r.title), r.county, r.party), r.debit, r.credit) for r in rows]


def closed_to(session: Session) -> dt.date | None:
    """The end of the latest closed month (entries booked on or before it are refused), or None."""
    return session.connection().execute(_CLOSED_TO).scalar_one_or_none()


_CLOSED_TO = select(func.max(LedgerClose.__table__.c.period_end))


def first_open_day(closed: dt.date | None, day: dt.date) -> dt.date:
    """`day`, or the first day after the closed months when `day` falls in one: a late settlement or a
    correction is booked in the open month (the closed books stay as they were reported)."""
    return day if closed is None or day > closed else closed + dt.timedelta(days=1)


def settlement_facts(row, booked_on: dt.date | None = None) -> SettlementFacts:
    """What the ledger needs of a stored settlement (a `store.models.Settlement` row), booked on its end date
    unless another day is given."""
    amounts = {name: getattr(row, name) for name in (*PAYMENT_FIELDS, "acct_pay", "acct_mulaid_pay")}
    return SettlementFacts(setl_id=row.setl_id, insutype=row.insutype, med_type=row.med_type, county=row.county,
                           fixmedins_code=row.fixmedins_code, psn_no=row.psn_no,
                           booked_on=booked_on or row.enddate,
                           amounts=amounts, mulaid_psn_no=row.mulaid_psn_no, mulaid_county=row.mulaid_county,
                           hifmi_insurer=row.hifmi_insurer)

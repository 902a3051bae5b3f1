"""The ledger against the store — the one module of the package that touches it: record entries
(append-only), sum postings into balances (classified by `figures`, pure), and `ledger verify`.

`verify` proves the books and the accumulators from the postings, in one snapshot. Checks, each with its
breaches:
1. `fund_balance`    — per fund, total debits = total credits;
2. `entry_balance`   — every journal entry balances inside each fund it touches;
3. `settlement_postings` — every settlement has its entry, equal line for line to what the posting
   rules give for the stored settlement; every cancellation has the exact opposite; no settlement
   or cancellation entry lacks its record;
4. `accumulators`    — every person's stored accumulators equal the replay, in booking order, of
   the Deltas of their settlements and cancellations;
5. `accounts`        — no personal account is below zero;
6. `active_visits`   — every visit's active settlement exists and is not cancelled;
7. `posting_county`  — every posting carries a county of the store (or the pool's code; the risk
   adjustment fund may be held at a province's or region's 6-digit code);
8. `closed_months`   — no entry booked in a closed month was written after the close;
9. `clearing_runs`   — every paid clearing run has its entry, every clearing entry a paid run.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from tongchou.accumulators import YearState, apply_delta, delta_of, same_state, state_of
from tongchou.ledger.accounts import Account, Fund, Title
from tongchou.ledger.figures import REVENUE_TITLES, FundFigures, TitleSum, figures
from tongchou.ledger.postings import Entry, Line, settlement_entry, settlement_facts
from tongchou.money import Fen
from tongchou.store import models as m
from tongchou.store.models import JournalEntry, LedgerClose, Posting
from tongchou.store.uow import Store


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


# ---------------------------------------------------------------- balances

def title_sums(session: Session, *, start: dt.date | None = None, end: dt.date | None = None,
               cause_types: Iterable[str] | None = None, funds: Iterable[str] | None = None) -> list[TitleSum]:
    """Σ debit and Σ credit per fund × county × title of the entries booked from `start` to `end` (inclusive)."""
    query = (select(m.Posting.fund, m.Posting.county, m.Posting.title, func.sum(m.Posting.debit),
                    func.sum(m.Posting.credit))
             .join(m.JournalEntry, m.JournalEntry.id == m.Posting.entry_id)
             .group_by(m.Posting.fund, m.Posting.county, m.Posting.title))
    if start is not None:
        query = query.where(m.JournalEntry.booked_on >= start)
    if end is not None:
        query = query.where(m.JournalEntry.booked_on <= end)
    if cause_types is not None:
        query = query.where(m.JournalEntry.cause_type.in_(list(cause_types)))
    if funds is not None:
        query = query.where(m.Posting.fund.in_([str(f) for f in funds]))
    return [TitleSum(fund, county, title, int(debit or 0), int(credit or 0))
            for fund, county, title, debit, credit in session.execute(query)]


def figures_between(session: Session, start: dt.date, end: dt.date, *, county: str | None = None,
                    funds: Iterable[str] | None = None) -> dict[tuple[str, str], FundFigures]:
    """Flows of every fund per county and for the pool from `start` to `end` (a shell over `figures`)."""
    funds = None if funds is None else list(funds)
    before = title_sums(session, end=start - dt.timedelta(days=1), funds=funds)
    during = title_sums(session, start=start, end=end, funds=funds)
    return figures(before, during, county=county)


def balances_on(session: Session, on: dt.date, *, county: str | None = None,
                funds: Iterable[str] | None = None) -> dict[tuple[str, str], FundFigures]:
    """Balances at the end of `on`, with the year's revenue and spending to that day."""
    return figures_between(session, dt.date(on.year, 1, 1), on, county=county, funds=funds)


def revenue_by_county(session: Session, start: dt.date, end: dt.date, funds: Iterable[str],
                      cause_types: Iterable[str]) -> dict[tuple[str, str], Fen]:
    """Revenue (credit − debit of the revenue titles) per (fund, county) of entries with these causes."""
    totals: dict[tuple[str, str], Fen] = defaultdict(int)
    for s in title_sums(session, start=start, end=end, cause_types=cause_types, funds=funds):
        if s.title in REVENUE_TITLES:
            totals[(s.fund, s.county)] -= s.net_debit
    return dict(sorted(totals.items()))


# ---------------------------------------------------------------- ledger verify

MAX_SHOWN = 20


@dataclass
class Check:
    name: str
    description: str
    checked: int = 0
    breaches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaches


@dataclass
class Report:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def _fund_balance(session: Session) -> Check:
    check = Check("fund_balance", "各基金借方合计 = 贷方合计")
    rows = session.execute(select(m.Posting.fund, func.sum(m.Posting.debit), func.sum(m.Posting.credit))
                           .group_by(m.Posting.fund).order_by(m.Posting.fund)).all()
    for fund, debit, credit in rows:
        check.checked += 1
        if int(debit) != int(credit):
            check.breaches.append(f"{fund}：借方 {int(debit)} 分 ≠ 贷方 {int(credit)} 分")
    return check


def _entry_balance(session: Session) -> Check:
    check = Check("entry_balance", "每笔凭证在各基金内借贷平衡")
    check.checked = session.execute(select(func.count()).select_from(m.JournalEntry)).scalar_one()
    rows = session.execute(
        select(m.Posting.entry_id, m.Posting.fund, func.sum(m.Posting.debit), func.sum(m.Posting.credit))
        .group_by(m.Posting.entry_id, m.Posting.fund)
        .having(func.sum(m.Posting.debit) != func.sum(m.Posting.credit))).all()
    check.breaches = [f"凭证 {entry_id} 基金 {fund}：借方 {int(d)} 分 ≠ 贷方 {int(c)} 分" for entry_id, fund, d, c in rows]
    return check


def _lines_by_entry(session: Session) -> dict[tuple[str, str], tuple[int, Counter]]:
    entries = {row.id: (row.cause_type, row.cause_id) for row in session.execute(
        select(m.JournalEntry.id, m.JournalEntry.cause_type, m.JournalEntry.cause_id).where(
            m.JournalEntry.cause_type.in_(("settlement", "cancellation"))))}
    lines: dict[int, Counter] = defaultdict(Counter)
    for p in session.execute(select(m.Posting).where(m.Posting.entry_id.in_(
            select(m.JournalEntry.id).where(m.JournalEntry.cause_type.in_(("settlement", "cancellation")))))).scalars():
        account = Account(Fund(p.fund), Title(p.title), p.county, p.party)
        lines[p.entry_id][Line(account, p.debit, p.credit)] += 1
    return {cause: (entry_id, lines.get(entry_id, Counter())) for entry_id, cause in entries.items()}


def _settlement_postings(session: Session, settlements: list[m.Settlement], cancelled: dict[str, int]
                         ) -> tuple[Check, dict[str, int]]:
    check = Check("settlement_postings", "每笔结算/撤销都有且仅有与之相符的记账凭证")
    stored = _lines_by_entry(session)
    seq: dict[str, int] = {}
    for row in settlements:
        check.checked += 1
        expected = Counter(settlement_entry(settlement_facts(row)).lines)
        found = stored.pop(("settlement", row.setl_id), None)
        if found is None:
            check.breaches.append(f"结算 {row.setl_id}：没有记账凭证")
            continue
        seq[row.setl_id] = found[0]
        if found[1] != expected:
            check.breaches.append(f"结算 {row.setl_id}：分录与结算金额不符")
        if row.setl_id in cancelled:
            opposite = Counter({Line(line.account, line.credit, line.debit): n for line, n in expected.items()})
            undo = stored.pop(("cancellation", row.setl_id), None)
            if undo is None:
                check.breaches.append(f"结算 {row.setl_id} 的撤销：没有记账凭证")
            elif undo[1] != opposite:
                check.breaches.append(f"结算 {row.setl_id} 的撤销：分录不是原凭证的相反数")
            else:
                seq["-" + row.setl_id] = undo[0]
    for cause_type, cause_id in stored:
        check.breaches.append(f"凭证（{cause_type} {cause_id}）：没有对应的业务记录")
    return check, seq


def _accumulators(session: Session, settlements: list[m.Settlement], seq: dict[str, int]) -> Check:
    check = Check("accumulators", "年度累计 = 其结算增量之和（减去撤销）")
    events: dict[tuple[str, str, int], list[tuple[int, int, m.Settlement]]] = defaultdict(list)
    for row in settlements:
        key = (row.psn_no, row.insutype, row.year)
        if row.setl_id in seq:
            events[key].append((seq[row.setl_id], 1, row))
        if "-" + row.setl_id in seq:
            events[key].append((seq["-" + row.setl_id], -1, row))
    for ys in session.execute(select(m.YearStateRow)).scalars():
        check.checked += 1
        key = (ys.psn_no, ys.insutype, ys.year)
        replay = YearState()
        try:
            for _, sign, row in sorted(events.pop(key, []), key=lambda event: event[0]):
                replay = apply_delta(replay, delta_of(row.delta), sign)
        except KeyError as exc:
            check.breaches.append(f"{key}：按结算重算住院次数失败（{exc}）")
            continue
        if not same_state(replay, state_of(ys.state)):
            check.breaches.append(f"{ys.psn_no}/{ys.insutype}/{ys.year}：年度累计与其结算重算不符")
    for key in events:
        check.breaches.append(f"{key}：有结算但没有年度累计记录")
    return check


def _accounts(session: Session) -> Check:
    check = Check("accounts", "个人账户余额不为负")
    rows = session.execute(
        select(m.Posting.party, func.sum(m.Posting.credit) - func.sum(m.Posting.debit))
        .where(m.Posting.fund == str(Fund.PERSONAL_ACCOUNT), m.Posting.title == str(Title.ACCOUNT_HOLDER))
        .group_by(m.Posting.party)).all()
    for party, balance in rows:
        check.checked += 1
        if int(balance) < 0:
            check.breaches.append(f"个人账户 {party}：余额 {int(balance)} 分")
    return check


def _active_visits(session: Session, settlements: dict[str, m.Settlement], cancelled: dict[str, int]) -> Check:
    check = Check("active_visits", "每次就诊至多一笔有效结算")
    for visit in session.execute(select(m.ActiveVisit)).scalars():
        check.checked += 1
        if visit.setl_id not in settlements:
            check.breaches.append(f"就诊 {visit.visit_key}：结算 {visit.setl_id} 不存在")
        elif visit.setl_id in cancelled:
            check.breaches.append(f"就诊 {visit.visit_key}：结算 {visit.setl_id} 已撤销")
    return check


def _posting_county(session: Session) -> Check:
    check = Check("posting_county", "每条分录都记明区县")
    known = set(session.execute(select(m.CountyRow.admdvs)).scalars()) | set(
        session.execute(select(m.PoolRegion.admdvs)).scalars())
    rows = session.execute(select(m.Posting.fund, m.Posting.county, func.count())
                           .group_by(m.Posting.fund, m.Posting.county)).all()
    for fund, county, count in rows:
        check.checked += int(count)
        held_above = fund == str(Fund.RISK_ADJUSTMENT) and len(county or "") == 6 and county.isdigit()
        if county not in known and not held_above:
            check.breaches.append(f"{fund} 有 {count} 条分录的区县 {county!r} 不是本统筹区的区县")
    return check


def _closed_months(session: Session) -> Check:
    check = Check("closed_months", "月结后无该月及以前日期的新凭证")
    for close in session.execute(select(m.LedgerClose).order_by(m.LedgerClose.period_end)).scalars():
        check.checked += 1
        late = session.execute(select(func.count()).select_from(m.JournalEntry).where(
            m.JournalEntry.booked_on <= close.period_end, m.JournalEntry.id > close.last_entry_id)).scalar_one()
        if late:
            check.breaches.append(f"{close.month} 月结后又写入了 {late} 张记账日期不晚于 {close.period_end} 的凭证")
    return check


def _clearing_runs(session: Session) -> Check:
    check = Check("clearing_runs", "每张已支付清算单都有凭证，每笔清算凭证都有已支付清算单")
    paid = {row.entry_id: row for row in session.execute(select(m.ClearingRun).where(
        m.ClearingRun.status == "paid")).scalars()}
    entries = {row.id: row.cause_id for row in session.execute(select(m.JournalEntry).where(
        m.JournalEntry.cause_type == "clearing")).scalars()}
    check.checked = len(paid)
    for entry_id, run in paid.items():
        if entry_id is not None and entry_id not in entries:
            check.breaches.append(f"清算单 {run.fixmedins_code} {run.period}：凭证 {entry_id} 不存在")
    for entry_id, cause_id in entries.items():
        if entry_id not in paid:
            check.breaches.append(f"清算凭证 {cause_id}：没有已支付的清算单")
    return check


def verify_session(session: Session) -> Report:
    settlements = list(session.execute(select(m.Settlement).order_by(m.Settlement.id)).scalars())
    cancelled = {row.setl_id: row.id for row in session.execute(select(m.SettlementCancellation)).scalars()}
    postings, seq = _settlement_postings(session, settlements, cancelled)
    checks = [
        _fund_balance(session),
        _entry_balance(session),
        postings,
        _accumulators(session, settlements, seq),
        _accounts(session),
        _active_visits(session, {s.setl_id: s for s in settlements}, cancelled),
        _posting_county(session),
        _closed_months(session),
        _clearing_runs(session),
    ]
    return Report(checks)


def verify(store: Store) -> Report:
    """All checks in one read transaction (one consistent snapshot on PostgreSQL: REPEATABLE READ)."""
    def work(session: Session) -> Report:
        if store.dialect == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return verify_session(session)
    return store.read(work)

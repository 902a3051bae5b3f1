"""Balances, revenue and spending per fund, per county and for the pool at any date, from the postings.

The ledger service (`title_sums`) sums debits and credits per fund × county × title over entries booked
in a date range; this module (`figures`, pure) classifies the titles:

| class | titles | figure |
| --- | --- | --- |
| in the pool (net assets of the county's sub-ledger) | bank, bank_deposit, due_to_institution, due_to_insurer, account_holder, quality_reserve, due_to_person | balance = Σ (debit − credit) |
| legacy (not yet handed over) | bank_legacy | legacy = Σ (debit − credit) |
| revenue | revenue_employer, revenue_individual, revenue_subsidy_*, revenue_interest, revenue_other | Σ (credit − debit) |
| expenditure | expense_benefit, expense_premium | Σ (debit − credit) |
| transfers | revenue_transfer_in, expense_transfer_out, and any same-fund move into or out of the pool (handover, county → county) | in / out |

so that closing = opening + revenue − expenditure + transfers in − transfers out, exactly
(`tongchou.ledger.accounts.Flows`). The pool's row sums the counties' titles first, so a transfer
between two counties of a fund cancels in the pool.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from tongchou.ledger.accounts import Flows, Title
from tongchou.money import Fen

POOL = "pool"

POOL_TITLES = frozenset({Title.BANK, Title.BANK_DEPOSIT, Title.DUE_TO_INSTITUTION, Title.DUE_TO_INSURER,
                         Title.ACCOUNT_HOLDER, Title.QUALITY_RESERVE, Title.DUE_TO_PERSON})
LEGACY_TITLES = frozenset({Title.BANK_LEGACY})
REVENUE_TITLES = frozenset({Title.REVENUE_EMPLOYER, Title.REVENUE_INDIVIDUAL, Title.REVENUE_SUBSIDY_CENTRAL,
                            Title.REVENUE_SUBSIDY_PROVINCIAL, Title.REVENUE_SUBSIDY_CITY,
                            Title.REVENUE_SUBSIDY_COUNTY, Title.REVENUE_SUBSIDY, Title.REVENUE_INTEREST,
                            Title.REVENUE_OTHER})
EXPENSE_TITLES = frozenset({Title.EXPENSE_BENEFIT, Title.EXPENSE_PREMIUM})


@dataclass(frozen=True)
class TitleSum:
    fund: str
    county: str
    title: str
    debit: Fen
    credit: Fen

    @property
    def net_debit(self) -> Fen:
        return self.debit - self.credit





@dataclass(frozen=True)
class FundFigures:
    """A fund of a county (or of the pool, county ``"pool"``) over a period, in fen."""

    fund: str
    county: str
    flows: Flows
    deposit: Fen = 0            # of the closing balance, on term deposit
    legacy: Fen = 0             # 存量基金 not yet handed over (outside the pool), at the end
    revenue_by_title: dict[str, Fen] = field(default_factory=dict)
    expenditure_by_title: dict[str, Fen] = field(default_factory=dict)

    @property
    def balance(self) -> Fen:
        return self.flows.closing

    @property
    def revenue(self) -> Fen:
        return self.flows.revenue

    @property
    def expenditure(self) -> Fen:
        return self.flows.expenditure


def _group(sums: Iterable[TitleSum], pool: bool) -> dict[tuple[str, str], list[TitleSum]]:
    groups: dict[tuple[str, str], list[TitleSum]] = defaultdict(list)
    for s in sums:
        groups[(s.fund, POOL if pool else s.county)].append(s)
    return groups


def _pool_net(sums: Iterable[TitleSum], titles: frozenset) -> Fen:
    return sum(s.net_debit for s in sums if s.title in titles)


def figures_of(fund: str, county: str, before: list[TitleSum], during: list[TitleSum]) -> FundFigures:
    """The figures of one fund and county from its title sums before and during the period (pure)."""
    opening = _pool_net(before, POOL_TITLES)
    delta = _pool_net(during, POOL_TITLES)
    revenue_by: dict[str, Fen] = defaultdict(int)
    expense_by: dict[str, Fen] = defaultdict(int)
    transfers_in = transfers_out = 0
    for s in during:
        if s.title in REVENUE_TITLES:
            revenue_by[s.title] -= s.net_debit
        elif s.title in EXPENSE_TITLES:
            expense_by[s.title] += s.net_debit
        elif s.title == Title.REVENUE_TRANSFER_IN:
            transfers_in -= s.net_debit
        elif s.title == Title.EXPENSE_TRANSFER_OUT:
            transfers_out += s.net_debit
    revenue, expenditure = sum(revenue_by.values()), sum(expense_by.values())
    rest = delta - revenue + expenditure - transfers_in + transfers_out  # same-fund moves into/out of the pool
    if rest > 0:
        transfers_in += rest
    else:
        transfers_out -= rest
    everything = [*before, *during]
    return FundFigures(fund, county, Flows(opening, revenue, expenditure, transfers_in, transfers_out),
                       deposit=_pool_net(everything, frozenset({Title.BANK_DEPOSIT})),
                       legacy=_pool_net(everything, LEGACY_TITLES),
                       revenue_by_title={k: v for k, v in sorted(revenue_by.items()) if v},
                       expenditure_by_title={k: v for k, v in sorted(expense_by.items()) if v})


def figures(before: list[TitleSum], during: list[TitleSum], *, county: str | None = None
            ) -> dict[tuple[str, str], FundFigures]:
    """Figures per (fund, county) — only `county` when given — then (fund, "pool") for every fund (pure)."""
    rows: dict[tuple[str, str], FundFigures] = {}
    for pool in (False, True):
        b, d = _group(before, pool), _group(during, pool)
        for key in sorted(set(b) | set(d)):
            if not pool and county is not None and key[1] != county:
                continue
            rows[key] = figures_of(key[0], key[1], b.get(key, []), d.get(key, []))
    return rows

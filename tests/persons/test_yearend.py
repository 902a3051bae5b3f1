"""The year end for persons through the service, on SQLite and PostgreSQL: interest on every personal account,
the new year's accumulators opened empty, the renewal list; run twice, the second run changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tongchou.errors import Refused
from tongchou.ledger.service import personal_account_balance, verify
from tongchou.persons.service import YearEndService
from tongchou.store import models as m

D = dt.date


@pytest.fixture
def year_end(store, registry) -> YearEndService:
    return YearEndService(store, registry, today=lambda: D(2022, 1, 5))


def balances(store) -> dict[str, int]:
    holders = store.read(lambda s: s.execute(select(m.PersonalAccount.psn_no)).scalars().all())
    return {psn: store.read(lambda s, p=psn: personal_account_balance(s, p)) for psn in holders}


def count(store, model) -> int:
    return store.read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one())


def books_ok(store) -> None:
    report = verify(store)
    assert report.ok, [(c.name, c.breaches) for c in report.checks if not c.ok]


def test_interest_once_and_the_new_year_afresh(store, year_end):
    before = balances(store)
    assert before["CC0001"] == 30_000 and before["CC0002"] == 2_000
    entries = count(store, m.JournalEntry)
    dry = year_end.run(2021, dry_run=True)
    assert count(store, m.JournalEntry) == entries and dry.states_opened > 0
    assert count(store, m.YearStateRow) == store.read(lambda s: s.execute(select(func.count()).select_from(
        m.YearStateRow)).scalar_one())

    first = year_end.run(2021)
    assert {psn: (bal, amount) for psn, bal, amount in first.credited} == {
        "CC0001": (30_000, 450),  # 300.00 × 1.5 % = 4.50
        "CC0002": (2_000, 30),  # 20.00 × 1.5 % = 0.30
        "CC0005": (50_000, 750),  # 500.00 × 1.5 % = 7.50
    }
    assert first.nothing == len(before) - 3  # accounts holding nothing earn nothing
    assert first.interest_total == sum(amount for _, _, amount in first.credited)
    after = balances(store)
    assert after["CC0001"] == 30_450 and after["CC0002"] == 2_030
    memo = store.read(lambda s: s.execute(select(m.JournalEntry.memo).where(
        m.JournalEntry.cause_type == "account_interest", m.JournalEntry.cause_id == "CC0001:2021")).scalar_one())
    assert memo == "2021年度个人账户结转计息：年末余额300.00元×年利率1.5%=4.50元（四舍五入到分）"
    opened = store.read(lambda s: s.execute(select(m.YearStateRow).where(m.YearStateRow.year == 2022)).scalars().all())
    assert opened and all(row.settlements == 0 and row.state.get("caps_used", {}) == {} for row in opened)
    assert first.states_opened == len(opened) == dry.states_opened
    books_ok(store)

    entries, states = count(store, m.JournalEntry), count(store, m.YearStateRow)
    second = year_end.run(2021)  # again: nothing changes
    assert second.credited == [] and second.already == len(first.credited) and second.states_opened == 0
    assert balances(store) == after and count(store, m.JournalEntry) == entries
    assert count(store, m.YearStateRow) == states
    books_ok(store)


def test_a_crash_half_way_is_finished_by_running_again(store, year_end, registry):
    class Crash(Exception):
        pass

    def crash_after_first(done, total):
        if done == 1:
            raise Crash

    with pytest.raises(Crash):
        year_end.run(2021, progress=crash_after_first)
    assert len(store.read(lambda s: s.execute(select(m.JournalEntry.id).where(
        m.JournalEntry.cause_type == "account_interest")).all())) == 1  # the first account committed alone
    report = year_end.run(2021)
    assert report.already == 1 and balances(store)["CC0001"] == 30_450 and balances(store)["CC0002"] == 2_030
    books_ok(store)


def test_not_before_the_year_is_over_and_no_rate_no_interest(store, registry):
    with pytest.raises(Refused) as err:
        YearEndService(store, registry, today=lambda: D(2021, 12, 31)).run(2021)
    assert err.value.field == "year" and "2021年尚未结束" in err.value.message
    report = YearEndService(store, registry, today=lambda: D(2023, 1, 5)).run(2022)  # no 2022 policy
    assert report.credited == [] and sorted(report.no_rate) == sorted(balances(store))


def test_the_renewal_list(store, registry):
    report = YearEndService(store, registry, today=lambda: D(2019, 1, 2)).run(2018, within_days=30)
    assert "GX0001" in {v.renewal.filing.psn_no for v in report.renewals}  # the fixture's filing ends 31 Dec

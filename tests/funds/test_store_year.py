"""A simulated year against the store (issues "The pooled fund" and "Clearing with institutions", Done when):

contributions and subsidies, settlements every month (one inpatient case large enough for the
insurer-run critical illness layer, one cancellation of an already cleared settlement), monthly
clearing (run, approve, pay), monthly closes, a risk adjustment remittance and allocation, a
premium to the insurer, the year-end clearing (global budget, DIP, quality reserve) — then
`ledger verify` passes, every amount paid to an institution is a posting, and what was paid equals
the settlements plus the adjustments the statements show. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from tests.store.support import DATA, TEST_CIPHER, fee, request
from tests.store.support import db_url, pg_session_url, registry, sqlite_template  # noqa: F401 — fixtures
from tongchou.clearing import service as clearing
from tongchou.clearing.payment import paid_to_institution
from tongchou.clearing.rules import load_rules
from tongchou.documents import to_markdown
from tongchou.enrolment.service import EnrolmentService
from tongchou.funds import service as ops
from tongchou.funds import documents as views
from tongchou.funds.budget import BudgetLine, month_end
from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.fund_rules import RiskAdjustmentRule
from tongchou.ledger.service import entry_lines, record
from tongchou.ledger.postings import resident_contribution_entry
from tongchou.ledger.service import verify
from tongchou.settlement.service import SettlementService
from tongchou.store import models as m
from tongchou.region.fixture import load_file
from tongchou.store.uow import Store

H1, H2 = "H37152500001", "H37152500002"  # county hospital (level 2, DIP), township clinic (level 1)
C1, C2 = "371525", "371599"
RESIDENT = "resident_pooled"
RULE = RiskAdjustmentRule.model_validate({
    "id": "test-risk-adjustment", "name": "测试风险调剂金", "kind": "risk_adjustment", "region": C1, "holder": C1,
    "funds": [RESIDENT], "example": True, "assumptions": ["测试用"],
    "remittance": {"rate": "0.03", "due_month_day": "03-31", "example": True, "assumptions": ["测试用"]},
    "allocation": {"example": True, "assumptions": ["测试用"], "eligible_cap": "0.30", "fund_share": "0.80",
                   "conditions": ["unified_policy", "remitted_on_time", "targets_met"]},
})


class Clock:
    def __init__(self) -> None:
        self.today = dt.date(2018, 1, 1)

    def __call__(self) -> dt.date:
        return self.today


@pytest.fixture
def year_store(db_url, registry):
    store = Store.open(db_url)
    load_file(store, DATA / "guanxian.yaml", TEST_CIPHER)
    yield store
    store.close()


def _settle(service: SettlementService, key: str, day: dt.date, **kw):
    return service.settle(request(key, day=day.isoformat(), **kw))


def run_year(store: Store, registry) -> dict:
    clock = Clock()
    settlements = SettlementService(store, registry, today=clock)
    enrolments = EnrolmentService(store, registry)
    rules = load_rules()
    # 2017 revenue (the remittance base) and 2018 revenue: subsidies by level
    for county in (C1, C2):
        enrolments.record_subsidies(county, 2018, {"central": 35600, "provincial": 11560}, dt.date(2017, 12, 20))
        enrolments.record_subsidies(county, 2018, {"county": 100000}, dt.date(2018, 1, 15))
    ops.save_budget(store, [BudgetLine(2018, RESIDENT, C1, 150000, 150000),
                            BudgetLine(2018, RESIDENT, C2, 150000, 300000)], by="预算科")
    clearing.import_plan(store, 2018, {"dip_budget": "3000.00", "global_budgets": {H2: "100.00"},
                                       "scores": {H1: 85, H2: 80}, "capitation": {H2: {"2018-02": 20, "2018-03": 20}}},
                         by="清算科")
    ops.post_premium(store, C1, 2018, "2018", dt.date(2018, 1, 20), 6000, "中国人民财产保险股份有限公司冠县支公司")
    cancelled = None
    for month in range(1, 13):
        clock.today = dt.date(2018, month, 10)
        day = dt.date(2018, month, 10)
        _settle(settlements, f"IP-{month}", day, begin=(day - dt.timedelta(days=3)).isoformat(),
                items=[fee("T000002", "60000.00" if month == 4 else "1500.00")], dise_code="I63.9")
        _settle(settlements, f"OP-{month}", day, psn_no="GX0002", med_type="11", fixmedins=H2,
                items=[fee("T000002", "30.00")])
        if month == 3:  # cancel February's inpatient settlement, already cleared and paid
            settlements.cancel("IP-2")
            cancelled = "IP-2"
        if month == 3:
            ops.remit(store, RULE, 2018, dt.date(2018, 3, 20))
        # clearing of the month, paid on the 28th; the month is closed in the next one
        paid_on = dt.date(2018, month, 28)
        clearing.run_month(store, rules, f"2018-{month:02d}")
        clearing.approve(store, "monthly", f"2018-{month:02d}", "审核员")
        clearing.pay(store, "monthly", f"2018-{month:02d}", paid_on)
        if month > 1:
            ops.close_month(store, f"2018-{month - 1:02d}", "会计", views.close_summary)
    claims, available, moves, posted = ops.allocate(
        store, RULE, RESIDENT, 2018, dt.date(2018, 12, 31),
        {C1: RULE.allocation.conditions, C2: RULE.allocation.conditions})
    clearing.year_end(store, rules, 2018)
    clearing.approve(store, "year_end", "2018", "审核员")
    clearing.pay(store, "year_end", "2018", dt.date(2018, 12, 31))
    ops.close_month(store, "2018-12", "会计", views.close_summary)
    return {"cancelled": cancelled, "claims": claims, "allocations": moves, "settlements": settlements}


def test_a_year_of_funds_and_clearing_keeps_the_books(year_store, registry):
    store = year_store
    result = run_year(store, registry)

    report = verify(store)
    assert report.ok, [(c.name, c.breaches) for c in report.checks if not c.ok]
    assert {c.name for c in report.checks} >= {"posting_county", "closed_months", "clearing_runs"}

    def read(session):
        runs = list(session.execute(select(m.ClearingRun)).scalars())
        entries = {}
        for run in runs:
            found = entry_lines(session, "clearing", f"{'monthly' if run.kind == 'monthly' else 'year_end'}:"
                                                     f"{run.fixmedins_code}:{run.period}")
            entries[run.id] = found
        settled = list(session.execute(select(m.Settlement)).scalars())
        items = {(i.setl_id, i.sign) for i in session.execute(select(m.ClearingItem)).scalars()}
        dues = session.execute(select(m.Posting.party, func.sum(m.Posting.credit) - func.sum(m.Posting.debit))
                               .where(m.Posting.title.in_(("due_to_institution", "quality_reserve")))
                               .group_by(m.Posting.party)).all()
        return runs, entries, settled, items, dues

    runs, entries, settled, items, dues = store.read(read)
    assert all(r.status == "paid" for r in runs)
    # every settlement and the cancellation were cleared exactly once
    assert items == {(s.setl_id, 1) for s in settled} | {(result["cancelled"], -1)}
    # every amount paid is a posting, and equals the statement's payable
    paid_total = 0
    for run in runs:
        found = entries[run.id]
        if found is None:  # nothing to pay this month (e.g. DIP cases only, their points cancelling out)
            assert run.payable == 0 and run.entry_id is None
            continue
        from tongchou.ledger.postings import Entry
        paid = paid_to_institution(Entry("clearing", "", run.county, dt.date(2018, 1, 1), tuple(found[1])))
        assert paid == run.payable, (run.fixmedins_code, run.period)
        paid_total += paid
    # paid = settlements (net of the cancellation) + the adjustments the statements show
    fields = ("hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay", "acct_pay")
    settled_total = sum(getattr(s, f) for s in settled for f in fields)
    cancelled_row = next(s for s in settled if s.setl_id == result["cancelled"])
    settled_total -= sum(getattr(cancelled_row, f) for f in fields)
    adjustments = 0
    for run in runs:
        doc = run.document
        if run.kind == "monthly":
            cap = doc["adjustments"]["capitation"]
            adjustments += cap["balance"] if cap else 0
        else:
            adjustments += doc.get("global_budget", {}).get("adjustment", 0)
            dip = doc.get("dip")
            adjustments += (dip["final"] - dip["dues"]) if dip else 0
            adjustments -= doc.get("quality_reserve", {}).get("forfeited", 0)
    assert paid_total == settled_total + adjustments
    # after the year end nothing is owed to institutions nor held for them
    assert all(int(balance) == 0 for _party, balance in dues), dues
    year_end_docs = {r.fixmedins_code: r.document for r in runs if r.kind == "year_end"}
    assert year_end_docs[H1]["dip"]["final"] == 255000  # the only DIP institution: the budget × 0.85 (level 2)
    assert year_end_docs[H2]["global_budget"]["adjustment"] != 0
    assert year_end_docs[H2]["quality_reserve"]["forfeited"] > 0  # score 80 < 90: part of the reserve is kept

    # the insurer-run critical illness: owed by the insurer, paid by it at clearing, not from the pool
    def insurer_figures(session):
        return ops.figures_between(session, dt.date(2018, 1, 1), dt.date(2018, 12, 31))
    rows = store.read(insurer_figures)
    illness = rows.get(("critical_illness", "pool"))
    assert illness is not None and illness.expenditure == 0 and illness.balance == 0
    assert any(s.hifmi_pay for s in settled)
    resident_pool = rows[(RESIDENT, "pool")]
    assert resident_pool.expenditure_by_title["expense_premium"] == 6000
    # the pool is the sum of its counties; closing = opening + revenue − expenditure ± transfers
    counties = [rows[(RESIDENT, c)] for c in (C1, C2)]
    assert resident_pool.revenue == sum(c.revenue for c in counties)
    assert resident_pool.expenditure == sum(c.expenditure for c in counties)
    assert resident_pool.balance == sum(c.balance for c in counties)

    # risk adjustment: remitted 3 % of 2017 revenue, allocated to the overspent county
    statement = store.read(lambda s: ops.risk_statement(s, RULE, 2018))
    revenue_2017 = (35600 + 11560) * 1  # one person enrolled on time in each county
    assert statement.remittances == {C1: round(revenue_2017 * 3 / 100), C2: round(revenue_2017 * 3 / 100)}
    assert sum(statement.allocations.values()) == sum(mv.amount for mv in result["allocations"]) > 0
    assert statement.closing == statement.opening + sum(statement.remittances.values()) - sum(
        statement.allocations.values())

    # final accounts per county and pool; closes recorded for every month
    final = store.read(lambda s: ops.final_accounts_rows(s, 2018, RESIDENT))
    assert [f.county for f in final] == [C1, C2, "pool"]
    assert final[-1].flows.expenditure == resident_pool.expenditure
    doc = views.final_accounts_document(final, {C1: "冠县"}, "2018-12-31")
    assert "决算" in doc.title and "冠县（371525）" in to_markdown(doc)
    assert len(store.read(ops.closes)) == 12

    # a closed month refuses postings: in the service (named field) and in the database (trigger)
    with pytest.raises(FundInputError) as error:
        ops.post_premium(store, C1, 2018, "late", dt.date(2018, 6, 1), 100, "保险公司")
    assert error.value.field == "on"
    late = result["settlements"].settle(request("LATE-1", day="2018-07-01"))  # a late settlement: the open month
    assert store.read(lambda s: entry_lines(s, "settlement", late.setl_id)) is not None
    assert store.read(lambda s: s.execute(select(m.JournalEntry.booked_on).where(
        m.JournalEntry.cause_id == late.setl_id)).scalar_one()) == dt.date(2019, 1, 1)
    with pytest.raises(DBAPIError):  # whatever the code does, the database refuses a posting into a closed month
        store.transaction(lambda s: record(s, resident_contribution_entry("LATE-2", C1, dt.date(2018, 6, 1), 100)))
    assert verify(store).ok


def test_monthly_close_must_follow_the_order_of_months(year_store):
    ops.close_month(year_store, "2018-01", "会计")
    with pytest.raises(FundInputError) as error:
        ops.close_month(year_store, "2018-03", "会计")
    assert error.value.field == "--month" and "2018-02" in error.value.message
    with pytest.raises(FundInputError):
        ops.close_month(year_store, "2018-01", "会计")
    assert month_end(2018, 2) == dt.date(2018, 2, 28)

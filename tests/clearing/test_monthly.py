"""The monthly run as a pure function over typed events (`clearing.monthly.settle_month`), figures worked by
hand from the example rules: reserve 5 % of the cleared hifp_pay per pocket; DIP for med_type 21/22, pre-paid
at 90 % of points × the month's point value × coefficient (二级 0.85); capitation 8.00 元 a person-month
against the outpatient (11) hifp_pay."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tongchou.clearing.monthly import MonthEvent, dip_units, settle_month
from tongchou.clearing.payment import Member, paid_to_institution
from tongchou.clearing.plan import parse_plan
from tongchou.clearing.records import Institution, Totals
from tongchou.clearing.statement import DeclaredTotals
from tongchou.ledger.accounts import Fund
from tongchou.ledger.postings import SettlementFacts

COUNTY = "371525"
RESIDENT = (Fund.RESIDENT_POOLED.value, COUNTY)
EMPLOYEE = (Fund.EMPLOYEE_POOLED.value, COUNTY)
ACCOUNT = (Fund.PERSONAL_ACCOUNT.value, COUNTY)
MEMBER = Member(Institution("H1", "示例医院", 2), COUNTY)


def event(setl_id: str, insutype: str, med_type: str, hifp: int, acct: int = 0, sign: int = 1, points: int = 0):
    facts = SettlementFacts(setl_id, insutype, med_type, COUNTY, "H1", "P1", dt.date(2024, 5, 10),
                            {"hifp_pay": hifp, "acct_pay": acct})
    medfee = hifp + acct
    totals = Totals(setl_cnt=sign, medfee_sumamt=sign * medfee, hifp_pay=sign * hifp, fund_pay_sumamt=sign * hifp,
                    acct_pay=sign * acct)
    return MonthEvent(facts, sign, totals, points * 10_000)


EVENTS = [
    event("S1", "390", "21", 80_000, points=1300),  # a DIP admission: 800.00 stays due, 1 300 points
    event("S2", "390", "11", 3_000, acct=500),      # outpatient 30.00 + account 5.00
    event("S0", "390", "11", 1_000, sign=-1),       # a cancelled outpatient settlement: −10.00
    event("S3", "310", "11", 20_000),               # employee outpatient 200.00
]
PLAN = parse_plan({"dip_budget": "12300.00", "capitation": {"H1": {"2024-05": 100}}})


def test_the_month_worked_by_hand(rules):
    assert dip_units(EVENTS, rules) == 13_000_000
    # the institution's 3201 totals: medfee 800.00 + 35.00 − 10.00 + 200.00 = 1 025.00, fund 1 020.00,
    # account 5.00, 2 settlements; every institution's points this month: 4 100
    declared = DeclaredTotals(102_500, 102_000, 500, 2)
    s = settle_month(MEMBER, "2024-05", EVENTS, 41_000_000, PLAN, rules, declared)
    p = s.payment
    # cleared: resident hifp 30.00 − 10.00 = 20.00, employee 200.00, account 5.00 (the DIP case stays due)
    assert p.cleared_amount == 22_500 and dict(s.dip_dues) == {RESIDENT: 80_000}
    # reserve: 20.00 × 5 % = 1.00, 200.00 × 5 % = 10.00
    assert dict(p.reserve) == {RESIDENT: 100, EMPLOYEE: 1_000}
    # point value 12 300.00 ÷ 12 ÷ 4 100 = 0.25 元; 1 300 × 0.25 × 0.85 = 276.25; × 90 % = 248.625 → 248.63
    assert s.prepayment.point_value == Decimal("0.25") and dict(p.dip_prepaid) == {RESIDENT: 24_863}
    # capitation 100 × 8.00 = 800.00 against 20.00 + 200.00 = 220.00: 580.00 split 2 : 20
    # (5 272.72… and 52 727.27…, the leftover fen to the larger remainder)
    assert s.capitation.balance == 58_000 and dict(p.capitation) == {RESIDENT: 5_273, EMPLOYEE: 52_727}
    # payable 225.00 − 11.00 + 248.63 + 580.00 = 1 042.63
    assert p.payable == 104_263
    assert paid_to_institution(p.entry(COUNTY, dt.date(2024, 6, 5))) == p.payable
    # the statement counts 3 settlements less 1 cancellation; its reconciliation against 3201
    assert s.statement.totals.setl_cnt == 2 and s.statement.payable == 22_500 - 1_100
    assert s.reconciliation.matched


def test_without_a_dip_budget_the_admission_is_cleared_like_any_other(rules):
    s = settle_month(MEMBER, "2024-05", EVENTS, 0, parse_plan({}), rules)
    assert s.prepayment is None and s.capitation is None and s.dip_units == 0 and not s.dip_dues
    # resident hifp 800.00 + 20.00 = 820.00 → reserve 41.00; employee 10.00
    assert dict(s.payment.reserve) == {RESIDENT: 4_100, EMPLOYEE: 1_000}
    assert s.payment.payable == 102_500 - 5_100

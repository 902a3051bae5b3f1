"""Monthly statement and 3201 reconciliation, worked by hand."""

from decimal import Decimal

from tongchou.clearing.records import (QUALITY_RESERVE_WITHHELD, SETTLEMENTS_CLEARED, Institution,
                                       SettlementLine, Totals)
from tongchou.clearing.rules import ClearingParameters
from tongchou.clearing.statement import (DeclaredTotals, cells_from_settlements, monthly_statement,
                                         quality_reserve, reconcile)
from tongchou.money import to_fen

H1 = Institution("H33060000001", "示例人民医院", 3)


def line(setl_id, insutype, med_type, refd=False, **yuan):
    return SettlementLine(setl_id, insutype, med_type, {k: to_fen(v) for k, v in yuan.items()}, refd)


LINES = [
    line("S1", "310", "21", medfee_sumamt="10000.00", hifp_pay="6000.00", hifob_pay="500.00",
         fund_pay_sumamt="6500.00", acct_pay="1000.00", psn_cash_pay="2500.00"),
    line("S2", "390", "11", medfee_sumamt="200.00", hifp_pay="100.00", fund_pay_sumamt="100.00",
         psn_cash_pay="100.00"),
    line("S3", "390", "11", refd=True, medfee_sumamt="50.00", hifp_pay="25.00", fund_pay_sumamt="25.00"),
]


def test_monthly_statement_by_hand():
    statement = monthly_statement(H1, "2024-03", cells_from_settlements(LINES), ClearingParameters())
    t = statement.totals
    assert t.setl_cnt == 2                      # S3 is cancelled and left out
    assert t.medfee_sumamt == to_fen("10200.00")  # 10 000 + 200
    assert t.hifp_pay == to_fen("6100.00")        # 6 000 + 100
    assert t.fund_pay_sumamt == to_fen("6600.00")
    # cleared = hifp 6 100 + hifob 500 + acct 1 000 = 7 600.00
    assert statement.cleared_amount == to_fen("7600.00")
    # reserve = 5 % × hifp 6 100.00 = 305.00
    assert statement.reserve == {"hifp_pay": to_fen("305.00")}
    # payable = 7 600.00 − 305.00 = 7 295.00
    assert statement.payable == to_fen("7295.00")
    assert dict(statement.by_insutype)["310"].medfee_sumamt == to_fen("10000.00")
    assert dict(statement.by_insutype)["390"].setl_cnt == 1
    assert [code for code, _ in statement.by_med_type] == ["11", "21"]


def test_statement_entries_balance_to_payable():
    statement = monthly_statement(H1, "2024-03", cells_from_settlements(LINES), ClearingParameters())
    entries = statement.entries()
    assert sum(e.amount for e in entries) == statement.payable
    assert {e.kind for e in entries} == {SETTLEMENTS_CLEARED, QUALITY_RESERVE_WITHHELD}
    withheld = [e for e in entries if e.kind == QUALITY_RESERVE_WITHHELD]
    assert withheld[0].amount == -to_fen("305.00") and withheld[0].fund_field == "hifp_pay"


def test_quality_reserve_rounds_half_up_to_the_fen():
    params = ClearingParameters()
    # 123.45 × 5 % = 6.1725 → 6.17
    assert quality_reserve(Totals(hifp_pay=12345), params) == {"hifp_pay": 617}
    # 0.10 × 5 % = 0.005 → 0.01 (half-up, not to even)
    assert quality_reserve(Totals(hifp_pay=10), params) == {"hifp_pay": 1}


def test_empty_month_is_all_zero():
    statement = monthly_statement(H1, "2024-04", (), ClearingParameters())
    assert statement.payable == 0 and statement.totals.setl_cnt == 0


def test_reconciliation_matches_and_names_the_differing_fields():
    ours = DeclaredTotals(to_fen("10200.00"), to_fen("6600.00"), to_fen("1000.00"), 2)
    assert reconcile(ours, ours).matched
    assert reconcile(ours, ours).stmt_rslt == "0"
    declared = DeclaredTotals(to_fen("10200.00"), to_fen("6600.01"), to_fen("1000.00"), 3)
    result = reconcile(declared, ours)
    assert not result.matched and result.stmt_rslt == "1"
    assert [(d.field, d.difference) for d in result.differences] == [("fund_pay_sumamt", 1),
                                                                     ("fixmedins_setl_cnt", 1)]
    assert "fund_pay_sumamt" in result.stmt_rslt_dscr


def test_reserve_rate_is_a_parameter():
    params = ClearingParameters(quality_reserve_rate=Decimal("0.1"))
    statement = monthly_statement(H1, "2024-03", cells_from_settlements(LINES), params)
    assert statement.quality_reserve == to_fen("610.00")  # 10 % × 6 100.00


def test_rules_reject_a_reserve_on_an_uncleared_field():
    import pytest
    from pydantic import ValidationError
    with pytest.raises(ValidationError):
        ClearingParameters(cleared_fields=("acct_pay",), reserve_base_fields=("hifp_pay",))

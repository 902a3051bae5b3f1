"""Capitation worked by hand: 8.00 yuan per person-month (example rules)."""

from tongchou.clearing.capitation import capitation_settlement
from tongchou.clearing.records import CAPITATION_BALANCE, Institution
from tongchou.money import to_fen

C = Institution("H37152500101", "示例乡镇卫生院", 1)
ENROLLED = {"2018-01": 1000, "2018-02": 1010, "2018-03": 990}  # 3 000 person-months


def test_gain(rules):
    s = capitation_settlement(C, "2018Q1", ENROLLED, to_fen("21500.50"), rules.capitation)
    assert s.person_months == 3000
    assert s.capitation == to_fen("24000.00")  # 8.00 × 3 000
    assert s.balance == to_fen("2499.50")      # 24 000.00 − 21 500.50: gain
    (entry,) = s.entries()
    assert entry.kind == CAPITATION_BALANCE and entry.amount == to_fen("2499.50")


def test_loss(rules):
    s = capitation_settlement(C, "2018Q1", ENROLLED, to_fen("25000.00"), rules.capitation)
    assert s.balance == -to_fen("1000.00")     # 24 000.00 − 25 000.00: loss borne by the institution
    assert "超支" in s.entries()[0].cause


def test_nobody_enrolled(rules):
    s = capitation_settlement(C, "2018Q1", {}, 0, rules.capitation)
    assert s.balance == 0 and s.entries() == ()

"""Step 1 of docs/reference/settlement-rules.md: the item split, per item, in its order, rounded half-up."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongchou.settlement.model import Item
from tongchou.settlement.split import SplitError, split_item, split_items


def test_category_c_is_all_self_paid():
    part = split_item(Item("C1", "C", 12345))
    assert (part.fulamt_ownpay_amt, part.inscp_scp_amt) == (12345, 0)


def test_over_price_cap_then_first_self_pay_then_in_scope():
    # unit price 60.00 above a cap of 50.00, 3 units: 30.00 over cap; the rest 150.00 × 10 % = 15.00 first self-paid
    part = split_item(Item("B1", "B", 18000, qty=Decimal(3), price=Decimal("60"), price_cap=Decimal("50"),
                           selfpay_prop=Decimal("0.10")))
    assert (part.overlmt_selfpay, part.preselfpay_amt, part.inscp_scp_amt) == (3000, 1500, 13500)


def test_first_self_pay_is_rounded_half_up_per_item():
    part = split_item(Item("B1", "B", 105, selfpay_prop=Decimal("0.05")))  # 1.05 × 5 % = 0.0525 → 0.05
    assert part.preselfpay_amt == 5
    part = split_item(Item("B2", "B", 150, selfpay_prop=Decimal("0.05")))  # 1.50 × 5 % = 0.075 → 0.08
    assert part.preselfpay_amt == 8


def test_category_b_without_proportion_is_an_error_not_a_guess():
    with pytest.raises(SplitError) as exc:
        split_item(Item("B1", "B", 100), 3)
    assert exc.value.field == "items[3].selfpay_prop"


def test_a_restricted_item_whose_condition_fails_is_category_c():
    part = split_item(Item("R1", "A", 500, restriction_met=False))
    assert part.fulamt_ownpay_amt == 500


def test_essential_drugs_are_counted_in_scope():
    split, _ = split_items([Item("E", "A", 1000, essential_drug=True), Item("A", "A", 500)])
    assert (split.inscp_scp_amt, split.inscp_essential_amt) == (1500, 1000)


items = st.builds(
    Item,
    code=st.just("X"),
    category=st.sampled_from("ABC"),
    amount=st.integers(0, 10_000_000),
    qty=st.one_of(st.none(), st.decimals("0.5", "50", places=2)),
    price=st.one_of(st.none(), st.decimals("0.01", "100000", places=2)),
    price_cap=st.one_of(st.none(), st.decimals("0", "100000", places=2)),
    selfpay_prop=st.decimals("0", "1", places=2),
    essential_drug=st.booleans(),
    restriction_met=st.booleans(),
)


@given(st.lists(items, max_size=20))
def test_the_split_always_adds_up_and_is_never_negative(item_list):
    split, parts = split_items(item_list)
    for part in parts:
        values = (part.fulamt_ownpay_amt, part.overlmt_selfpay, part.preselfpay_amt, part.inscp_scp_amt)
        assert min(values) >= 0
        assert sum(values) == part.amount
    assert split.medfee_sumamt == (split.fulamt_ownpay_amt + split.overlmt_selfpay + split.preselfpay_amt
                                   + split.inscp_scp_amt)

"""Step 1: split each fee item into fully self-paid, over price cap, first self-paid and in-scope."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from tongchou.money import Fen, apply_rate
from tongchou.settlement.model import Item, ItemSplit, Split


class SplitError(ValueError):
    """An item that cannot be split: names the item's field."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def _over_cap(item: Item) -> Fen:
    """The part of the unit price above the price cap, times quantity, rounded half-up."""
    if item.price_cap is None:
        return 0
    qty = item.qty if item.qty is not None else Decimal(1)
    price = item.price if item.price is not None else Decimal(item.amount) / 100 / qty if qty else Decimal(0)
    excess = price - item.price_cap
    if excess <= 0:
        return 0
    over = int((excess * qty * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return min(max(over, 0), item.amount)


def fully_self_paid(item: Item) -> bool:
    """Category C, or a restricted-use item whose condition does not hold: the whole amount is self-paid."""
    return item.category == "C" or not item.restriction_met


def self_pay_proportion(item: Item) -> Decimal:
    """The self-pay proportion the split applies to the item (the national `selfpay_prop`): 1 when fully
    self-paid, B's first self-pay proportion, 0 for A."""
    if fully_self_paid(item):
        return Decimal(1)
    if item.category == "B" and item.selfpay_prop is not None:
        return item.selfpay_prop
    return Decimal(0)


def split_item(item: Item, index: int = 0) -> ItemSplit:
    """docs/reference/settlement-rules.md §1, in its order: C → over cap → B's first self-pay → in-scope."""
    if item.amount < 0:
        raise SplitError(f"items[{index}].amount", f"费用项 {item.code}：金额不能为负数")
    if item.category not in ("A", "B", "C"):
        raise SplitError(f"items[{index}].category", f"费用项 {item.code}：类别须为 A、B 或 C")
    if fully_self_paid(item):
        return ItemSplit(item.code, item.amount, item.amount, 0, 0, 0, item.essential_drug)
    over = _over_cap(item)
    rest = item.amount - over
    first_self = 0
    if item.category == "B":
        if item.selfpay_prop is None:
            raise SplitError(
                f"items[{index}].selfpay_prop", f"费用项 {item.code}：乙类项目须给出先行自付比例 selfpay_prop"
            )
        first_self = apply_rate(rest, item.selfpay_prop)
    return ItemSplit(item.code, item.amount, 0, over, first_self, rest - first_self, item.essential_drug)


def split_items(items: list[Item] | tuple[Item, ...]) -> tuple[Split, tuple[ItemSplit, ...]]:
    """The claim's split: the sums of its items' splits, and the items' own splits."""
    parts = tuple(split_item(item, i) for i, item in enumerate(items))
    split = Split(
        medfee_sumamt=sum(p.amount for p in parts),
        fulamt_ownpay_amt=sum(p.fulamt_ownpay_amt for p in parts),
        overlmt_selfpay=sum(p.overlmt_selfpay for p in parts),
        preselfpay_amt=sum(p.preselfpay_amt for p in parts),
        inscp_scp_amt=sum(p.inscp_scp_amt for p in parts),
        inscp_essential_amt=sum(p.inscp_scp_amt for p in parts if p.essential_drug),
    )
    return split, parts


def check_split(split: Split) -> str | None:
    """The field that breaks the split's identity or sign, or None when it holds."""
    for name in ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                 "inscp_essential_amt"):
        if getattr(split, name) < 0:
            return name
    parts = split.fulamt_ownpay_amt + split.overlmt_selfpay + split.preselfpay_amt + split.inscp_scp_amt
    if parts != split.medfee_sumamt:
        return "medfee_sumamt"
    if split.inscp_essential_amt > split.inscp_scp_amt:
        return "inscp_essential_amt"
    return None

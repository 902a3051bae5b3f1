"""The item split of docs/reference/settlement-rules.md step 1, vectorised over fee lines, in integer fen.

Mirrors `tongchou.settlement.split.split_item` exactly: category C is fully
self-paid; otherwise the part of the unit price above the cap times the quantity
is over-cap self-pay; of the rest, a category B item's first self-pay proportion
(rounded half-up) is first self-paid; the remainder is in scope. Prices and caps
are whole fen and quantities whole units, so the engine's Decimal arithmetic
gives the same fen.
"""

from __future__ import annotations

import numpy as np

from tongchou.generate.activity import Table
from tongchou.generate.catalogue import Catalogue
from tongchou.generate.util import apply_rate_vec, sum_by

SPLIT_COLUMNS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                 "inscp_essential_amt")


def split_lines(lines: Table, cat: Catalogue) -> Table:
    item = lines["item"]
    amount = lines["amount"]
    category = cat.category[item]
    cap = cat.price_cap[item]
    full = np.where(category == "C", amount, 0)
    over = np.where((category != "C") & (cap >= 0) & (lines["price"] > cap),
                    np.minimum((lines["price"] - cap) * lines["qty"], amount), 0)
    rest = np.where(category == "C", 0, amount - over)
    first = np.zeros(len(item), dtype=np.int64)
    props = np.array([p or "" for p in cat.selfpay_prop])[item]
    for prop in np.unique(props[category == "B"]):
        rows = np.flatnonzero((category == "B") & (props == prop))
        first[rows] = apply_rate_vec(rest[rows], prop)
    inscp = rest - first
    return {"fulamt_ownpay_amt": full, "overlmt_selfpay": over, "preselfpay_amt": first, "inscp_scp_amt": inscp,
            "inscp_essential_amt": np.where(cat.essential[item], inscp, 0)}


def claim_split(lines: Table, cat: Catalogue, n_claims: int) -> Table:
    """Per claim: the sums of its lines' splits (medfee_sumamt … inscp_essential_amt)."""
    parts = split_lines(lines, cat)
    out = {"medfee_sumamt": sum_by(lines["claim"], lines["amount"], n_claims)}
    for name, values in parts.items():
        out[name] = sum_by(lines["claim"], values, n_claims)
    return out

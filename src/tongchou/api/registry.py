"""Every transaction the API answers: infno → (input model, handler), merged from the family modules.
A new transaction is one entry in its family's `TRANSACTIONS` (a new family: one module, one line here)."""

from __future__ import annotations

from tongchou.api import (
    tx_fees, tx_hospital, tx_person, tx_queries, tx_reconciliation, tx_registration, tx_reversal, tx_settlement,
)
from tongchou.api.tx_base import Transaction

FAMILIES = (tx_person, tx_registration, tx_fees, tx_settlement, tx_reversal, tx_reconciliation, tx_queries,
            tx_hospital)
TRANSACTIONS: dict[str, Transaction] = {infno: tx for family in FAMILIES for infno, tx in family.TRANSACTIONS.items()}
INPUTS = {infno: tx.input for infno, tx in TRANSACTIONS.items()}

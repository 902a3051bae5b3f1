"""The fund ledger: double-entry, append-only postings per fund and county.

`accounts` is the chart of accounts, `postings` the pure posting rules (functional core),
`book` persists entries and sums balances, `verify` checks the whole store.
"""

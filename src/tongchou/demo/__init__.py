"""The demo: the whole system on a synthetic region, from one command (`make demo`, `tongchou demo`).

It owns only the orchestration: every step calls the real services and cores — the generator, the
store's loader, bulk history (the service's rows and postings), the signed institution API for a
live slice, monthly clearing and closes, the fund reports, `ledger verify` — then serves the console
and the API.
"""

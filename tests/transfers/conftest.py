"""Fixtures of the transfer tests: `db_url` and `store` run each service test on SQLite and on PostgreSQL."""

from tests.store.support import *  # noqa: F401,F403 — shared by tests/store, tests/ledger, tests/enrolment

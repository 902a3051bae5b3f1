"""Fixtures of the supervision tests: the store fixtures (SQLite and PostgreSQL) of tests/store."""

from tests.store.support import *  # noqa: F401,F403

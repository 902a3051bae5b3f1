"""Fixtures of the dossier tests: `store` on SQLite and on PostgreSQL."""

from tests.store.support import *  # noqa: F401,F403

from tests.store.support import *  # noqa: F401,F403 — db_url (SQLite, and PostgreSQL when reachable)

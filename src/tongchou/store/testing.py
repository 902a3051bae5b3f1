"""Throw-away databases for tests and benchmarks: a migrated SQLite file, or a uniquely named
PostgreSQL database on the server at 127.0.0.1:5432 (user postgres, trust auth), dropped after."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tongchou.store.db import upgrade
from tongchou.store.models import Base

PG_SERVER_ENV = "TONGCHOU_TEST_PG"
DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pg_server_url() -> str:
    return os.environ.get(PG_SERVER_ENV, DEFAULT_PG_SERVER)


def pg_reachable() -> tuple[bool, str]:
    engine = create_engine(pg_server_url(), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True, ""
    except Exception as exc:  # noqa: BLE001 — any failure means "not reachable", with its reason
        return False, str(exc).splitlines()[0]
    finally:
        engine.dispose()


def create_pg_database(prefix: str = "tongchou_test") -> str:
    """A new, migrated database; returns its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_server_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(pg_server_url()).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    return url


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(pg_server_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def create_sqlite_database(directory: Path) -> str:
    url = f"sqlite:///{directory / f'tongchou-{uuid.uuid4().hex[:8]}.db'}"
    upgrade(url)
    return url


def empty_pg_database(url: str) -> None:
    """Remove every row (the append-only triggers are bypassed for this session only), but the cache
    generation counters, which the migrations create and the triggers only increase."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name != "cache_generation")
    with engine.connect() as connection:
        connection.execute(text("SET session_replication_role = replica"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()

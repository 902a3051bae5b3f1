"""Engines and migrations: SQLite (a file, BEGIN IMMEDIATE transactions) or PostgreSQL (psycopg 3)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from tongchou.store.config import database_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _prepare_sqlite(engine: Engine) -> None:
    """Every transaction on SQLite takes the write lock at BEGIN (BEGIN IMMEDIATE): the person's
    accumulators read in it cannot change before it commits, and writers wait (busy timeout)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below drive transactions
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | None = None, *, pool_size: int = 10) -> Engine:
    """An engine for the URL (default: `database_url()`)."""
    url = database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _prepare_sqlite(engine)
        return engine
    # No ping before each checkout (a round trip per transaction): a connection the server dropped is
    # invalidated on first use and `Store.transaction` runs the work again on a new one.
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=3600)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> str:
    """Bring the database to `revision`; returns the URL used (password hidden)."""
    url = database_url(url)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()
    return make_url(url).render_as_string(hide_password=True)

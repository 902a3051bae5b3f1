"""Engines and migrations: SQLite (a file, BEGIN IMMEDIATE transactions) or PostgreSQL (psycopg 3)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from tongchou.store.config import database_url
from tongchou.errors import StoreMissing

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


def shown_url(url: str) -> str:
    """The URL as a person may read it (password hidden)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _parsed(url: str):
    try:
        return make_url(url)
    except ArgumentError:
        raise StoreMissing("--db", f"不是有效的数据库地址：{url}（例如 sqlite:///var/tongchou.db 或 "
                                   "postgresql+psycopg://用户@主机:5432/库名）") from None


def require_database(url: str | None = None) -> str:
    """The URL, refused with a Chinese message naming it when it is malformed or names a SQLite file that
    does not exist. Creates nothing (a server that does not answer is refused on connecting)."""
    url = database_url(url)
    parsed = _parsed(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        if not Path(parsed.database).is_file():
            raise StoreMissing("--db", f"数据库不存在：{shown_url(url)}（不会自动创建；"
                                       f"新建请先运行 tongchou db upgrade --db {shown_url(url)}）")
    return url


def _unreachable(url: str, exc: DBAPIError) -> StoreMissing:
    first = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else ""
    return StoreMissing("--db", f"无法连接数据库 {shown_url(url)}：{first}")


def open_engine(url: str | None = None, *, pool_size: int = 10) -> Engine:
    """An engine on an existing store (its schema in place); refused with a Chinese message otherwise."""
    url = require_database(url)
    engine = make_engine(url, pool_size=pool_size)
    try:
        with engine.connect() as connection:
            migrated = inspect(connection).has_table("alembic_version")
    except DBAPIError as exc:
        engine.dispose()
        raise _unreachable(url, exc) from None
    if not migrated:
        engine.dispose()
        raise StoreMissing("--db", f"数据库 {shown_url(url)} 中没有统筹的表结构（先运行 tongchou db upgrade "
                                   f"--db {shown_url(url)}）")
    return engine


def migrate_existing(url: str | None = None) -> str:
    """Bring an existing database's schema up to date (for the servers); never creates a database."""
    return upgrade(require_database(url))


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> str:
    """Bring the database to `revision`; returns the URL used (password hidden)."""
    url = database_url(url)
    _parsed(url)
    engine = make_engine(url)
    try:
        try:
            connection = engine.connect()
        except DBAPIError as exc:
            raise _unreachable(url, exc) from None
        with connection, connection.begin():
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()
    return shown_url(url)

"""Unit of work: one database transaction per service call, retried on serialization failures.

On PostgreSQL a transaction runs at READ COMMITTED and takes row locks (`SELECT … FOR UPDATE`)
on the person's accumulator row and personal accounts it will change; a deadlock or
serialization failure is retried. On SQLite every transaction is BEGIN IMMEDIATE (one writer at
a time), so the locks below are implied. A unique-key collision (two callers racing with the
same idempotency key or visit) is retried too: the second attempt sees the first one's row.
"""

from __future__ import annotations

import random
import time
from typing import Callable, Iterable, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from tongchou.store.db import make_engine
from tongchou.store.models import PersonalAccount, YearStateRow

T = TypeVar("T")
RETRY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
UNIQUE_SQLSTATE = "23505"


class TooBusy(RuntimeError):
    """A transaction kept failing on locks after every retry."""


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


def is_transient(exc: DBAPIError) -> bool:
    if _sqlstate(exc) in RETRY_SQLSTATES:
        return True
    text = str(exc.orig).lower()
    return isinstance(exc, OperationalError) and ("database is locked" in text or "busy" in text)


def is_unique_violation(exc: DBAPIError) -> bool:
    return isinstance(exc, IntegrityError) and (
        _sqlstate(exc) == UNIQUE_SQLSTATE or "unique constraint failed" in str(exc.orig).lower())


class Store:
    """The database behind the services: an engine and transactions with retries."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None, *, pool_size: int = 10) -> Store:
        return cls(make_engine(url, pool_size=pool_size))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def transaction(self, work: Callable[[Session], T], *, attempts: int = 12, unique_retries: int = 2) -> T:
        """Run `work` in one transaction and commit; retry it whole on a transient failure."""
        unique_left = unique_retries
        for attempt in range(attempts):
            try:
                with Session(self.engine, expire_on_commit=False, autoflush=False) as session:
                    with session.begin():
                        return work(session)
            except DBAPIError as exc:
                if is_unique_violation(exc) and unique_left > 0:
                    unique_left -= 1
                    continue
                if not is_transient(exc):
                    raise
                time.sleep(min(0.005 * 2 ** attempt, 0.5) * random.random())
        raise TooBusy(f"transaction failed {attempts} times on locks")

    def read(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a transaction that is rolled back (pre-settlement, reports)."""
        with Session(self.engine, expire_on_commit=False, autoflush=False) as session:
            session.begin()
            try:
                return work(session)
            finally:
                session.expunge_all()  # objects read stay usable, detached
                session.rollback()


def _insert_ignore(session: Session, table, values: dict) -> None:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    session.execute(module.insert(table).values(**values).on_conflict_do_nothing())


def lock_year_state(session: Session, psn_no: str, insutype: str, year: int, county: str) -> YearStateRow:
    """The person's accumulator row for the scheme and year, created empty if new, locked until commit."""
    _insert_ignore(session, YearStateRow, {"psn_no": psn_no, "insutype": insutype, "year": year, "county": county,
                                           "state": {}, "settlements": 0})
    query = select(YearStateRow).where(YearStateRow.psn_no == psn_no, YearStateRow.insutype == insutype,
                                       YearStateRow.year == year).with_for_update()
    return session.execute(query, execution_options={"populate_existing": True}).scalar_one()


def lock_accounts(session: Session, psn_nos: Iterable[str]) -> dict[str, PersonalAccount]:
    """Lock personal account rows in a fixed order (by psn_no) so that two transactions cannot deadlock."""
    wanted = sorted(set(psn_nos))
    if not wanted:
        return {}
    query = (select(PersonalAccount).where(PersonalAccount.psn_no.in_(wanted))
             .order_by(PersonalAccount.psn_no).with_for_update())
    return {row.psn_no: row for row in session.execute(query, execution_options={"populate_existing": True}).scalars()}

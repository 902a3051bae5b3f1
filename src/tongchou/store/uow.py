"""Unit of work: one database transaction per service call, retried on serialization failures.

On PostgreSQL a transaction runs at READ COMMITTED and takes row locks (`SELECT … FOR UPDATE`)
on the person's accumulator row and personal accounts it will change; a deadlock or
serialization failure is retried. On SQLite every transaction is BEGIN IMMEDIATE (one writer at
a time), so the locks below are implied. A unique-key collision (two callers racing with the
same idempotency key or visit) is retried too: the second attempt sees the first one's row.

County scope (row-level security, migration 0008): a store made with `county=` (or `store.scoped(county)`)
starts every transaction on PostgreSQL with `set_config('tongchou.county', county, true)` — SET LOCAL, so
the value ends with the transaction and never leaks to the next user of a pooled connection; with
`role=` it also runs `SET LOCAL ROLE <role>` (e.g. `tongchou_app`, the role the policies apply to, when
the connection's user is the owner). `transaction(work, county=...)` and `read(work, county=...)` do it
for one call. On SQLite there is no row-level security: the services and the console filter by county.
"""

from __future__ import annotations

import functools
import random
import time
from dataclasses import dataclass
from typing import Callable, Iterable, TypeVar

from sqlalchemy import Connection, Engine, bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from tongchou.store.db import open_engine
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


COUNTY_SETTING = "tongchou.county"
_DEFAULT = object()


class Store:
    """The database behind the services: an engine and transactions with retries.

    `county`: the county every transaction is limited to by row-level security on PostgreSQL (None:
    city-wide); `role`: a PostgreSQL role to run each transaction as (`SET LOCAL ROLE`)."""

    def __init__(self, engine: Engine, *, county: str | None = None, role: str | None = None):
        self.engine = engine
        self.county = county
        self.role = role
        self._owns_engine = True
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    @classmethod
    def open(cls, url: str | None = None, *, pool_size: int = 10, county: str | None = None,
             role: str | None = None) -> Store:
        return cls(open_engine(url, pool_size=pool_size), county=county, role=role)

    def scoped(self, county: str | None) -> Store:
        """The same database (same engine and pool) limited to `county` (None: city-wide). Closing the
        scoped store leaves the engine open."""
        scoped = Store(self.engine, county=county, role=self.role)
        scoped._owns_engine = False
        return scoped

    def _enter(self, session: Session, county) -> None:
        """At the start of a transaction on PostgreSQL: the role and the county, both transaction-local.
        City-wide without a role needs no statement: an unset county is city-wide, and a SET LOCAL of an
        earlier transaction on the pooled connection ended with it."""
        if self.engine.dialect.name != "postgresql":
            return
        county = self.county if county is _DEFAULT else county
        if not county and not self.role:
            return
        if self.role:
            session.execute(text(f'SET LOCAL ROLE "{_identifier(self.role)}"'))
        session.execute(text("SELECT set_config(:name, :value, true)"),
                        {"name": COUNTY_SETTING, "value": county or ""})

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        if self._owns_engine:
            self.engine.dispose()

    def transaction(self, work: Callable[[Session], T], *, attempts: int = 12, unique_retries: int = 2,
                    county=_DEFAULT) -> T:
        """Run `work` in one transaction and commit; retry it whole on a transient failure. `county`
        overrides the store's county for this call (None: city-wide)."""
        unique_left = unique_retries
        for attempt in range(attempts):
            try:
                with Session(self.engine, expire_on_commit=False, autoflush=False) as session:
                    with session.begin():
                        self._enter(session, county)
                        return work(session)
            except DBAPIError as exc:
                if exc.connection_invalidated and attempt == 0:
                    continue  # a pooled connection the server dropped (restart): once more on a new one
                if is_unique_violation(exc) and unique_left > 0:
                    unique_left -= 1
                    continue
                if not is_transient(exc):
                    raise
                time.sleep(min(0.005 * 2 ** attempt, 0.5) * random.random())
        raise TooBusy(f"transaction failed {attempts} times on locks")

    def statement(self, work: Callable[[Connection], T]) -> T:
        """Run `work`, a statement or two that need no transaction around them (the gate's nonce claim and
        message look-up), in autocommit mode on PostgreSQL: one round trip each, no BEGIN/COMMIT. On SQLite,
        or limited to a county or role, in one ordinary transaction."""
        if self.dialect != "postgresql" or self.county or self.role:
            return self.transaction(lambda session: work(session.connection()))

        def run() -> T:
            with self._autocommit.connect() as connection:
                return work(connection)
        return _once_more_if_dropped(run)

    def read(self, work: Callable[[Session], T], *, county=_DEFAULT) -> T:
        """Run `work` in a transaction that is rolled back (pre-settlement, reports)."""
        return _once_more_if_dropped(lambda: self._read_once(work, county))

    def _read_once(self, work: Callable[[Session], T], county) -> T:
        with Session(self.engine, expire_on_commit=False, autoflush=False) as session:
            session.begin()
            try:
                self._enter(session, county)
                return work(session)
            finally:
                session.expunge_all()  # objects read stay usable, detached
                session.rollback()


def _once_more_if_dropped(run: Callable[[], T]) -> T:
    """`run()`, and once more when the pooled connection it got had been dropped by the server (a restart):
    without a ping before each checkout, that is how a stale connection is found."""
    try:
        return run()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        return run()


def _identifier(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain role name: {name!r}")
    return name


def _dialect_insert(dialect: str, table):
    """INSERT with the dialect's ON CONFLICT clauses (PostgreSQL or SQLite)."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


@functools.cache
def insert_new(dialect: str, table, returning: str):
    """INSERT … ON CONFLICT DO NOTHING RETURNING the column `returning`: no row comes back when the row was
    already there. Built once per dialect and table."""
    return _dialect_insert(dialect, table).on_conflict_do_nothing().returning(table.c[returning])


@dataclass(frozen=True)
class LockedYearState:
    """The accumulator row of a person, scheme and year as locked: its key, state and settlement count."""

    psn_no: str
    insutype: str
    year: int
    state: dict
    settlements: int


_YEAR_STATE = YearStateRow.__table__


@functools.cache
def _year_state_upsert(dialect: str):
    """Create the row empty if new, else 'update' it to itself: either way one statement that takes the row lock."""
    insert = _dialect_insert(dialect, _YEAR_STATE)
    return insert.on_conflict_do_update(index_elements=["psn_no", "insutype", "year"],
                                        set_={"settlements": _YEAR_STATE.c.settlements}
                                        ).returning(_YEAR_STATE.c.state, _YEAR_STATE.c.settlements)


_SAVE_YEAR_STATE = update(_YEAR_STATE).where(
    _YEAR_STATE.c.psn_no == bindparam("key_psn_no"), _YEAR_STATE.c.insutype == bindparam("key_insutype"),
    _YEAR_STATE.c.year == bindparam("key_year")).values(state=bindparam("state"), settlements=bindparam("settlements"))


def lock_year_state(session: Session, psn_no: str, insutype: str, year: int, county: str) -> LockedYearState:
    """The person's accumulator row for the scheme and year, created empty if new, locked until commit."""
    connection = session.connection()
    state, settlements = connection.execute(_year_state_upsert(connection.dialect.name), {
        "psn_no": psn_no, "insutype": insutype, "year": year, "county": county, "state": {}, "settlements": 0}).one()
    return LockedYearState(psn_no, insutype, year, state or {}, settlements)


def save_year_state(session: Session, locked: LockedYearState, state: dict, settlements: int) -> None:
    """Write the new state of a row `lock_year_state` locked in this transaction."""
    session.connection().execute(_SAVE_YEAR_STATE, {
        "key_psn_no": locked.psn_no, "key_insutype": locked.insutype, "key_year": locked.year, "state": state,
        "settlements": settlements})


def lock_accounts(session: Session, psn_nos: Iterable[str]) -> dict[str, PersonalAccount]:
    """Lock personal account rows in a fixed order (by psn_no) so that two transactions cannot deadlock."""
    wanted = sorted(set(psn_nos))
    if not wanted:
        return {}
    query = (select(PersonalAccount).where(PersonalAccount.psn_no.in_(wanted))
             .order_by(PersonalAccount.psn_no).with_for_update())
    return {row.psn_no: row for row in session.execute(query, execution_options={"populate_existing": True}).scalars()}

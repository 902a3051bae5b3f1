"""Per-worker caches of reference rows: institutions, counties and catalogue entries.

A settlement reads the institution (agreement, level, tier), the person's county (its pool) and the
catalogue entry of every item. Those rows change a few times a year, by the bureau, so a worker of the
API keeps them until the table's counter in `cache_generation` moves (triggers bump it on every change,
migrations 0003 and 0010); the counters are read at most once per `interval` seconds, so a change is
seen within that interval. Cached rows are detached copies: read-only facts, never written back.
Without `Generations` (command line, bulk work) nothing is cached.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any, Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongchou.store import models as m
from tongchou.store.uow import Store


class Generations:
    """The `cache_generation` counters, read at most once per `interval` seconds per worker."""

    def __init__(self, store: Store, interval: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.interval = interval
        self.clock = clock
        self._values: dict[str, int] = {}
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def current(self, name: str, session: Session | None = None) -> int:
        """The table's counter; read through `session` when one is open (on SQLite a second connection would
        wait for the write lock the session holds)."""
        with self._lock:
            if self.clock() - self._read_at >= self.interval:
                query = select(m.CacheGeneration.name, m.CacheGeneration.generation)
                rows = (session.execute(query).all() if session is not None
                        else self.store.statement(lambda c: c.execute(query).all()))
                self._values = {name_: int(value) for name_, value in rows}
                self._read_at = self.clock()
            return self._values.get(name, 0)


class _Table:
    """The cached rows of one table, dropped whole when its generation moves."""

    def __init__(self):
        self.generation: int | None = None
        self.rows: dict[Any, Any] = {}


class ReferenceCache:
    """Institutions, counties and catalogue entries by key, read through the caller's session on a miss."""

    def __init__(self, generations: Generations | None):
        self.generations = generations
        self._tables = {name: _Table() for name in ("institution", "county", "catalogue_item")}
        self._lock = threading.Lock()

    def institution(self, session: Session, code: str) -> m.Institution | None:
        return self._get(session, "institution", code, lambda: session.get(m.Institution, code))

    def county(self, session: Session, admdvs: str) -> m.CountyRow | None:
        return self._get(session, "county", admdvs, lambda: session.get(m.CountyRow, admdvs))

    def catalogue_in_force(self, session: Session, codes: Iterable[str], day: dt.date) -> dict[str, m.CatalogueItem]:
        """The catalogue entry of each code in force on the day (the latest one to start, if several)."""
        return catalogue_in_force(self._catalogue(session, set(codes)), day)

    def _catalogue(self, session: Session, codes: set[str]) -> dict[str, tuple[m.CatalogueItem, ...]]:
        """Every version of each code, oldest first; the codes not cached are read in one statement."""
        if self.generations is None:
            return _catalogue_versions(session, codes)
        generation = self.generations.current("catalogue_item", session)
        cached = self._tables["catalogue_item"]
        with self._lock:
            self._refresh(cached, generation)
            found = {code: cached.rows[code] for code in codes if code in cached.rows}
        missing = codes - found.keys()
        if missing:
            loaded = _catalogue_versions(session, missing)
            for versions in loaded.values():
                _detached(session, versions)
            with self._lock:
                if cached.generation == generation:
                    cached.rows.update(loaded)
            found.update(loaded)
        return found

    @staticmethod
    def _refresh(cached: _Table, generation: int) -> None:
        if cached.generation != generation:
            cached.generation, cached.rows = generation, {}

    def _get(self, session: Session, table: str, key: Any, load: Callable[[], Any]) -> Any:
        if self.generations is None:
            return load()
        generation = self.generations.current(table, session)
        cached = self._tables[table]
        with self._lock:
            self._refresh(cached, generation)
            if key in cached.rows:
                return cached.rows[key]
        value = _detached(session, load())
        with self._lock:
            if cached.generation == generation:
                cached.rows[key] = value
        return value


def catalogue_in_force(versions: dict[str, Iterable[Any]], day: dt.date) -> dict[str, Any]:
    """Of each code's versions (oldest first), the one in force on the day (the latest one to start, if several)."""
    found = {}
    for code, rows in versions.items():
        in_force = [row for row in rows if row.effective_from <= day
                    and (row.effective_to is None or row.effective_to >= day)]
        if in_force:
            found[code] = in_force[-1]
    return found


def _catalogue_versions(session: Session, codes: set[str]) -> dict[str, tuple[m.CatalogueItem, ...]]:
    versions: dict[str, list[m.CatalogueItem]] = {code: [] for code in codes}
    for row in session.execute(select(m.CatalogueItem).where(m.CatalogueItem.code.in_(codes))
                               .order_by(m.CatalogueItem.effective_from)).scalars():
        versions[row.code].append(row)
    return {code: tuple(rows) for code, rows in versions.items()}


def _detached(session: Session, value: Any) -> Any:
    rows = value if isinstance(value, tuple) else (value,)
    for row in rows:
        if row is not None and row in session:
            session.expunge(row)
    return value

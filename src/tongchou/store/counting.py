"""Statements a worker sends to the database, counted for the benchmark (`bench/settle_api.py`).

With `TONGCHOU_STATEMENT_COUNTS` set to a directory, `install(engine)` counts every statement the engine
executes (an `executemany` counts once per row set sent: psycopg 3 pipelines it), every transaction
begun on a connection that is not in autocommit (psycopg 3 sends BEGIN as its own round trip) and every
COMMIT and ROLLBACK; the API's hot path (`api.hot_path`) adds its own statements with `add`. A daemon thread
writes the worker's total to `<directory>/<pid>` every half second; the bench sums the files. Without the
variable nothing is counted (a counter that is never read costs nothing).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, event

ENV = "TONGCHOU_STATEMENT_COUNTS"
_total = [0]
_lock = threading.Lock()
_started = [False]


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def add(count: int = 1) -> None:
    with _lock:
        _total[0] += count


def total() -> int:
    return _total[0]


def install(engine: Engine) -> None:
    """Count the engine's statements and transactions, and start the writer thread (once per process)."""
    directory = os.environ.get(ENV)
    if not directory:
        return

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(*_args) -> None:
        add()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            add()

    @event.listens_for(engine, "commit")
    def _commit(connection) -> None:
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            add()

    @event.listens_for(engine, "rollback")
    def _rollback(connection) -> None:
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            add()

    with _lock:
        if _started[0]:
            return
        _started[0] = True
    path = Path(directory) / str(os.getpid())

    def write() -> None:
        while True:
            path.write_text(str(total()))
            time.sleep(0.5)

    threading.Thread(target=write, name="statement-counts", daemon=True).start()


def read_total(directory: str | Path) -> int:
    """The sum of every worker's count in `directory` (the bench's side)."""
    found = 0
    for path in Path(directory).iterdir():
        try:
            found += int(path.read_text() or 0)
        except (OSError, ValueError):
            continue
    return found

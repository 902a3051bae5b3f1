"""Where the database is: `--db`, else env `TONGCHOU_DB`, else a SQLite file under ./var/."""

from __future__ import annotations

import os
from pathlib import Path

DB_ENV = "TONGCHOU_DB"
DEFAULT_SQLITE_PATH = Path("var") / "tongchou.db"


def database_url(explicit: str | None = None) -> str:
    """The database URL to use (nothing is created here: see `db.upgrade`)."""
    return explicit or os.environ.get(DB_ENV) or f"sqlite:///{DEFAULT_SQLITE_PATH}"

"""Where the database is: `--db`, else env `TONGCHOU_DB`, else a SQLite file under ./var/."""

from __future__ import annotations

import os
from pathlib import Path

DB_ENV = "TONGCHOU_DB"
DEFAULT_SQLITE_PATH = Path("var") / "tongchou.db"


def database_url(explicit: str | None = None) -> str:
    """The database URL to use; a SQLite default creates its directory."""
    url = explicit or os.environ.get(DB_ENV)
    if url:
        return url
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"

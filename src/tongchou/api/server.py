"""The app as a uvicorn factory: configuration from the environment (set by `tongchou serve`), so
that every worker process builds its own app, engine and caches.

- `TONGCHOU_DB`: database URL (see store.config);
- `TONGCHOU_POLICY_DIR`: policy directory (default: the policies shipped with the package);
- `TONGCHOU_API_RATE`, `TONGCHOU_API_BURST`: rate limit per institution and worker;
- `TONGCHOU_API_POOL`: database connections per worker, and requests handled at once by a worker;
- `TONGCHOU_DATA_KEY` / `TONGCHOU_DATA_KEY_FILE`: the data key (store.crypto);
- `TONGCHOU_API_HOT_PATH`: `0` turns the hot path of PostgreSQL off (`api.hot_path`; every call by the ORM);
- `TONGCHOU_STATEMENT_COUNTS`: a directory where each worker writes how many statements it sent (the bench).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select
from starlette.types import ASGIApp

from tongchou.api.app import ApiConfig, create_app
from tongchou.policy.registry import Registry
from tongchou.store import counting, models as m
from tongchou.store.crypto import cipher_from_environment
from tongchou.store.uow import Store

POLICY_DIR_ENV = "TONGCHOU_POLICY_DIR"


def division_of(store: Store) -> str:
    """The pool's admdvs (the receiver division of inf_refmsgid), or 000000 before a region is loaded."""
    region = store.read(lambda s: s.execute(select(m.PoolRegion.admdvs).order_by(m.PoolRegion.admdvs)).scalar())
    return region or "000000"


def app_from_environment() -> ASGIApp:
    pool = int(os.environ.get("TONGCHOU_API_POOL", "8"))
    store = Store.open(None, pool_size=pool)
    counting.install(store.engine)  # only with TONGCHOU_STATEMENT_COUNTS set (the bench)
    policy_dir = os.environ.get(POLICY_DIR_ENV)
    registry = Registry.load(Path(policy_dir) if policy_dir else None)
    config = ApiConfig(division=division_of(store), rate=float(os.environ.get("TONGCHOU_API_RATE", "200")),
                       burst=float(os.environ.get("TONGCHOU_API_BURST", "400")), threads=pool,
                       hot_path=os.environ.get("TONGCHOU_API_HOT_PATH", "1") != "0")
    return create_app(store, registry, cipher_from_environment(), config)

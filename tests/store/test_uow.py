"""The unit of work without a ping before each checkout: a pooled connection that the server dropped (a
restart, an idle timeout) is found on first use, and the work runs again on a new connection."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from tests.store.support import *  # noqa: F401,F403 — db_url, store, registry on both engines
from tests.store.support import PG
from tongchou.store import models as m
from tongchou.store.uow import Store


@pytest.mark.parametrize("db_url", [PG], indirect=True)
def test_work_survives_the_server_dropping_pooled_connections(db_url):
    store = Store.open(db_url, pool_size=2)
    try:
        count = select(m.Person.psn_no).limit(1)
        for run in (lambda: store.read(lambda s: s.execute(count).all()),
                    lambda: store.statement(lambda c: c.execute(count).all()),
                    lambda: store.transaction(lambda s: s.execute(count).all())):
            run()  # a connection in the pool
            _drop_connections(db_url)
            assert run() == []
    finally:
        store.close()


def _drop_connections(url: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = :name AND pid <> pg_backend_pid()"),
                           {"name": make_url(url).database})
    admin.dispose()

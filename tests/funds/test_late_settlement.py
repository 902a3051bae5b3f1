"""A visit that ended in a closed month is still settled; its postings are booked on the first open day
(the closed months stay as reported), and so is a cancellation made after a close."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.store.support import DATA, TEST_CIPHER, fee, request
from tests.store.support import db_url, pg_session_url, registry, sqlite_template  # noqa: F401 — fixtures
from tongchou.funds import service as ops
from tongchou.funds import documents as views
from tongchou.ledger.service import verify
from tongchou.settlement.service import SettlementService
from tongchou.store import models as m
from tongchou.region.fixture import load_file
from tongchou.store.uow import Store


def booked(store: Store, cause_type: str, cause_id: str) -> dt.date:
    return store.read(lambda s: s.execute(select(m.JournalEntry.booked_on).where(
        m.JournalEntry.cause_type == cause_type, m.JournalEntry.cause_id == cause_id)).scalar_one())


def test_a_late_settlement_is_booked_in_the_open_month(db_url, registry):
    store = Store.open(db_url)
    try:
        load_file(store, DATA / "guanxian.yaml", TEST_CIPHER)
        service = SettlementService(store, registry, today=lambda: dt.date(2018, 6, 3))
        early = service.settle(request("EARLY", day="2018-05-10", items=[fee("T000002", "1500.00")]))
        ops.close_month(store, "2018-05", "财务科", views.close_summary)
        late = service.settle(request("LATE", psn_no="GX0002", day="2018-05-30", items=[fee("T000002", "800.00")]))
        assert late.amounts["hifp_pay"] > 0
        assert booked(store, "settlement", late.setl_id) == dt.date(2018, 6, 1)
        assert booked(store, "settlement", early.setl_id) == dt.date(2018, 5, 10)
        service.cancel(early.setl_id)
        assert booked(store, "cancellation", early.setl_id) == dt.date(2018, 6, 3)
        report = verify(store)
        assert report.ok, [(c.name, c.breaches) for c in report.checks if not c.ok]
    finally:
        store.close()

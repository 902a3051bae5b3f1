"""Many threads settle at once on PostgreSQL: caps hold, nothing is paid twice, the ledger verifies."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests.store.support import TEST_CIPHER, fee, request
from tongchou.ledger.service import verify
from tongchou.settlement.service import SettlementService
from tongchou.store import models as m
from tongchou.errors import Conflict
from tongchou.region.fixture import load_fixture, parse_fixture
from tongchou.store.uow import Store

pytestmark = pytest.mark.postgres
CAP = 12_000_000
HOT = [f"HOT{i}" for i in range(3)]
MANY = [f"P{i:03d}" for i in range(40)]


def crowd_fixture() -> str:
    persons = "\n".join(
        f"  - {{psn_no: {p}, name: 参保人{p}, county: '371525', psn_type: '1501', "
        f"enrolments: [{{insutype: '390', from: '2018-01-01', to: '2018-12-31'}}]}}" for p in HOT + MANY)
    return f"""
region: {{admdvs: "371525", name: 冠县}}
institutions:
  - {{code: H37152500001, name: 冠县人民医院, hosp_lv: 2, admin_tier: county, county: "371525"}}
catalogue:
  - {{code: T000002, name: 甲类药品, category: A}}
persons:
{persons}
"""


@pytest.fixture
def crowd(pg_session_url, registry):
    from tongchou.store.testing import empty_pg_database
    empty_pg_database(pg_session_url)
    store = Store.open(pg_session_url, pool_size=12)
    load_fixture(store, parse_fixture(crowd_fixture()), cipher=TEST_CIPHER)
    yield store, SettlementService(store, registry)
    store.close()


def test_concurrent_settlements_never_exceed_caps_nor_pay_twice(crowd):
    store, service = crowd
    jobs = []
    for i in range(60):  # hot persons, big bills: the 120,000 cap is reached after two or three
        jobs.append(request(f"H{i}", HOT[i % 3], items=[fee("T000002", "60000.00")], day=f"2018-{1 + i % 12:02d}-10"))
    for i in range(120):  # many persons, small bills
        jobs.append(request(f"S{i}", MANY[i % len(MANY)], items=[fee("T000002", f"{800 + i}.00")]))
    for i in range(20):  # the same visit under another key (a retry with a new msgid): at most one is settled
        jobs.append(request(f"DUP{i}", MANY[i], mdtrt_id=f"M-S{i}", items=[fee("T000002", f"{800 + i}.00")]))
    jobs += jobs[:30]  # the same key sent twice at once
    random.Random(7).shuffle(jobs)

    def run(req):
        try:
            return service.settle(req)
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(run, jobs))

    def facts(session):
        paid = dict(session.execute(select(m.Settlement.psn_no, func.sum(m.Settlement.hifp_pay))
                                    .group_by(m.Settlement.psn_no)).all())
        per_visit = Counter(session.execute(select(m.Settlement.mdtrt_id)).scalars())
        caps = {row.psn_no: row.state.get("caps_used", {}).get("inpatient_disease", "0")
                for row in session.execute(select(m.YearStateRow)).scalars()}
        return paid, per_visit, caps
    paid, per_visit, caps = store.read(facts)
    assert all(int(total) <= CAP for total in paid.values())
    assert all(int(paid[p]) == CAP for p in HOT)  # enough big bills to reach the cap exactly
    assert max(per_visit.values()) == 1
    assert all(int(v.replace(".", "")) <= CAP for v in caps.values())
    ok = [r for r in results if not isinstance(r, Exception)]
    assert len({r.setl_id for r in ok}) == store.read(lambda s: s.execute(select(func.count()).select_from(m.Settlement)).scalar_one())
    report = verify(store)
    assert report.ok, [(c.name, c.breaches[:3]) for c in report.checks if not c.ok]

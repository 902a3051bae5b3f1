"""The per-worker reference cache: a bureau's change to an institution, a county or the catalogue is seen as soon
as the table's generation moves, and cached rows are detached, read-only copies."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from tests.store.support import *  # noqa: F401,F403 — db_url, store, registry on both engines
from tests.store.support import fee, request
from tongchou.settlement.service import SettlementService
from tongchou.store import models as m
from tongchou.store.cache import Generations, ReferenceCache
from tongchou.errors import InvalidRequest, Refused

DAY = dt.date(2018, 5, 10)


def test_rows_are_read_once_until_their_table_changes(store):
    cache = ReferenceCache(Generations(store, interval=0.0))
    first = store.read(lambda s: cache.institution(s, "H37152500001"))
    again = store.read(lambda s: cache.institution(s, "H37152500001"))
    assert again is first  # the same detached copy
    store.transaction(lambda s: s.execute(update(m.Institution).where(m.Institution.code == "H37152500001")
                                          .values(agreement_status="suspended")))
    fresh = store.read(lambda s: cache.institution(s, "H37152500001"))
    assert fresh is not first and fresh.agreement_status == "suspended"


def test_a_county_change_is_seen(store):
    cache = ReferenceCache(Generations(store, interval=0.0))
    county = store.read(lambda s: cache.county(s, "371525"))
    store.transaction(lambda s: s.execute(update(m.CountyRow).where(m.CountyRow.admdvs == "371525")
                                          .values(name="冠县（新）")))
    assert store.read(lambda s: cache.county(s, "371525")).name == "冠县（新）" != county.name


def test_the_catalogue_in_force_comes_from_the_cache_and_follows_changes(store):
    cache = ReferenceCache(Generations(store, interval=0.0))
    found = store.read(lambda s: cache.catalogue_in_force(s, {"T000001", "T000007", "NOPE"}, DAY))
    assert set(found) == {"T000001", "T000007"} and found["T000001"].category == "B"
    assert found["T000007"].category == "A"  # until 30 June; from 1 July the new version (C)
    assert store.read(lambda s: cache.catalogue_in_force(s, {"T000007"}, dt.date(2018, 7, 1)))["T000007"].category == "C"
    store.transaction(lambda s: s.execute(update(m.CatalogueItem).where(m.CatalogueItem.code == "T000001")
                                          .values(category="A")))
    assert store.read(lambda s: cache.catalogue_in_force(s, {"T000001"}, DAY))["T000001"].category == "A"


def test_without_generations_nothing_is_kept(store):
    cache = ReferenceCache(None)
    first = store.read(lambda s: cache.institution(s, "H37152500001"))
    assert store.read(lambda s: cache.institution(s, "H37152500001")) is not first


def test_the_service_refuses_by_the_fresh_agreement_and_catalogue(store, registry):
    service = SettlementService(store, registry, references=ReferenceCache(Generations(store, interval=0.0)))
    assert service.settle(request("C1")).committed
    store.transaction(lambda s: s.execute(update(m.CatalogueItem).where(m.CatalogueItem.code == "T000002")
                                          .values(effective_to=dt.date(2018, 1, 31))))
    with pytest.raises(InvalidRequest) as unknown:
        service.settle(request("C2", items=[fee("T000002", "10.00")]))
    assert unknown.value.field == "items[0].code"
    store.transaction(lambda s: s.execute(update(m.Institution).where(m.Institution.code == "H37152500001")
                                          .values(agreement_status="terminated")))
    with pytest.raises(Refused) as refused:
        service.settle(request("C3", items=[fee("T000001", "10.00")]))
    assert refused.value.field == "fixmedins_code"

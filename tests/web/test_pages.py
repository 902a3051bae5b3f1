"""The person page's contributions and accumulators by name, supervision's screening and its empty state,
and dates as yyyy-MM-dd."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.web.conftest import client_for, csrf_of, sign_in
from tongchou.ledger.service import record
from tongchou.ledger.postings import resident_contribution_entry


@pytest.fixture
def admin(console):
    client = client_for(console)
    sign_in(client, "admin")
    return client


def test_contributions_booked_by_the_ledger_without_a_line_are_shown(console, admin):
    """The demo's bulk history books each person's contribution as `history:<insutype>:<psn_no>:<year>`."""
    console.state.console.store.transaction(lambda s: record(s, resident_contribution_entry(
        "history:390:GX0001:2018", "371525", dt.date(2017, 12, 20), 19_000)))
    page = admin.get("/persons/GX0001").text
    assert "无缴费记录" not in page
    assert "190.00" in page and "个人缴费" in page and "2017-12-20" in page
    assert "无缴费记录" in admin.get("/persons/GX0002").text  # another person's entry is not theirs


def test_the_person_page_names_codes_and_accumulators(admin):
    page = admin.get("/persons/GX0001").text
    assert "成年居民（1501）" in page and "28岁" in page and "1990-01-01" not in page
    assert "critical_illness" not in page and "大病保险（第1段）" in page


def test_supervision_says_when_nothing_was_screened_and_screens_from_the_page(console, admin):
    page = admin.get("/supervision").text
    assert "暂无疑点" not in page and "尚未对本库结算运行事后筛查" in page
    done = admin.post("/supervision/screen", data={"csrf_token": csrf_of(admin, "/supervision")})
    assert done.status_code == 200 and "事后筛查已完成" in done.text
    assert "尚未对本库结算运行事后筛查" not in done.text
    clerk = client_for(console)
    sign_in(clerk, "auditor")
    assert clerk.post("/supervision/screen", data={"csrf_token": csrf_of(clerk, "/supervision")}).status_code == 403

"""零星报销 as a clerk uses it: a receipt is paid once (also when submitted twice at once, on SQLite and
PostgreSQL), amounts within bounds, a second person approves a large one, dates within the enrolment,
and the page says what the fund paid and why."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from tests.store.support import (  # noqa: F401 — fixtures
    DATA, TEST_CIPHER, db_url, pg_session_url, registry, sqlite_template, store,
)
from tests.web.conftest import client_for, csrf_of, sign_in
from tongchou.access.models import ManualClaim
from tongchou.settlement.service import SettlementService
from tongchou.settlement.request import FeeLine
from tongchou.store import models as m
from tongchou.web import reimbursement
from tongchou.web.reimbursement import AlreadyReimbursed, ManualRequest

FORM = {"psn_no": "GX0001", "insutype": "390", "fixmedins_code": "H37152500001", "med_type": "21",
        "begndate": "2018-09-01", "enddate": "2018-09-04", "reason": "system", "receipt_no": "PJ-VIL-1",
        "item_code_0": "T000002", "item_amount_0": "30.00"}


@pytest.fixture
def admin(console):
    client = client_for(console)
    sign_in(client, "admin")
    return client


@pytest.fixture
def clerk(console):
    client = client_for(console)
    sign_in(client, "clerk_a")
    return client


def post(client, **changes):
    data = {**FORM, "csrf_token": csrf_of(client, "/reimbursements/new"), **changes}
    return client.post("/reimbursements", data={k: v for k, v in data.items() if v is not None}, follow_redirects=False)


def counts(console) -> tuple[int, int, int]:
    """(manual claims, manual settlements, fund paid by them in fen), read from the store's rows."""
    def work(session):
        claims = session.execute(select(func.count()).select_from(ManualClaim)).scalar_one()
        rows = session.execute(select(m.Settlement.fund_pay_sumamt)
                               .where(m.Settlement.request_key.like("manual:%"))).scalars().all()
        return claims, len(rows), sum(rows)
    return console.state.console.store.read(work)


def test_a_receipt_is_paid_once_whatever_the_form_is_resubmitted_as(console, clerk):
    first = post(clerk)
    assert first.status_code == 303
    paid = counts(console)
    assert paid[:2] == (1, 1)
    again = post(clerk)
    assert again.status_code == 409 and "已报销" in again.text and first.headers["location"].split("?")[0] in again.text
    altered = post(clerk, item_amount_0="31.00", receipt_no="pj-vil-1", enddate="2018-09-05")  # the same receipt
    assert altered.status_code == 409 and "本次未再支付" in altered.text
    assert counts(console) == paid


def test_an_electronic_receipt_is_keyed_by_its_code_and_number(console, clerk):
    first = post(clerk, receipt_no=None, bill_code="33060118", bill_no="0000012345")
    assert first.status_code == 303
    # the same electronic receipt entered with another paper number and institution is still the same receipt
    again = post(clerk, receipt_no="OTHER-1", bill_code="33060118", bill_no="0000012345",
                 fixmedins_code="H37152500002")
    assert again.status_code == 409
    half = post(clerk, receipt_no=None, bill_code="33060118", bill_no="")
    assert half.status_code == 422 and "须同时填写票据代码和票据号码" in half.text
    none = post(clerk, receipt_no=None)
    assert none.status_code == 422 and "同一张票据只能报销一次" in none.text
    assert counts(console)[:2] == (1, 1)


def test_amounts_are_checked_against_sane_bounds(console, clerk):
    huge = post(clerk, item_amount_0="99999999999.99")
    assert huge.status_code == 422 and "超过单张票据上限2,000,000.00元" in huge.text
    for bad, message in (("0", "应大于零"), ("-5", "应大于零"), ("1e3", "应为金额"), ("12.345", "最多两位小数")):
        response = post(clerk, item_amount_0=bad)
        assert response.status_code == 422 and message in response.text, bad
    many = {f"item_code_{i}": "T000002" for i in range(8)} | {f"item_amount_{i}": "300000.00" for i in range(8)}
    assert "合计2,400,000.00元超过单张票据上限" in post(clerk, **many).text
    assert counts(console) == (0, 0, 0)


def test_an_amount_above_the_threshold_needs_a_second_person_with_the_reviewer_role(console, clerk):
    large = {"item_amount_0": "12000.00", "receipt_no": "PJ-BIG-1"}
    alone = post(clerk, **large)
    assert alone.status_code == 422 and "须由复核人" in alone.text
    itself = post(clerk, **large, review_username="clerk_a", review_password="Console2018pw")
    assert itself.status_code == 422 and "复核人须为经办人以外的另一人" in itself.text
    no_role = post(clerk, **large, review_username="county_fund", review_password="Console2018pw")
    assert no_role.status_code == 422 and "没有零星报销复核权限" in no_role.text
    other_county = post(clerk, **large, review_username="reviewer_b", review_password="Console2018pw")
    assert other_county.status_code == 422 and "不能复核其他区县" in other_county.text
    wrong = post(clerk, **large, review_username="reviewer_a", review_password="not-the-password")
    assert wrong.status_code == 422 and "复核人身份核验未通过" in wrong.text
    assert "not-the-password" not in wrong.text  # a password is never shown again
    assert counts(console) == (0, 0, 0)
    approved = post(clerk, **large, review_username="reviewer_a", review_password="Console2018pw")
    assert approved.status_code == 303
    claim = console.state.console.store.read(lambda s: s.execute(select(ManualClaim)).scalar_one())
    assert claim.reviewed_by == "reviewer_a" and claim.entered_by == "clerk_a"
    assert "复核人reviewer_a" in clerk.get(approved.headers["location"]).text


def test_dates_in_the_future_or_outside_the_enrolment_are_refused_in_chinese(console, clerk):
    future = post(clerk, begndate="2019-01-02", enddate="2019-01-03")  # today is 2018-12-31
    assert future.status_code == 422 and "晚于今天（2018-12-31），不能报销尚未发生的费用" in future.text
    before = post(clerk, begndate="2017-12-20", enddate="2017-12-22")
    assert before.status_code == 422 and "不在张三城乡居民基本医疗保险的参保期内（参保期：2018-01-01至2018-12-31）" in before.text
    employee = post(clerk, insutype="310")
    assert employee.status_code == 422 and "张三没有参加职工基本医疗保险" in employee.text
    for response in (future, before, employee):
        assert "no policy" not in response.text and "region" not in response.text
    assert counts(console) == (0, 0, 0)


def test_the_result_says_what_the_fund_paid_and_why(console, clerk):
    paid = clerk.get(post(clerk, item_amount_0="3000.00").headers["location"]).text
    row = console.state.console.store.read(lambda s: s.execute(
        select(m.Settlement).where(m.Settlement.request_key.like("manual:%"))).scalar_one())
    assert row.fund_pay_sumamt > 0
    assert f"基金支付{row.fund_pay_sumamt // 100:,}.{row.fund_pay_sumamt % 100:02d}元" in paid
    assert "结算完成" not in paid
    nothing = clerk.get(post(clerk, receipt_no="PJ-C-1", item_code_0="T000003", item_amount_0="200.00")
                        .headers["location"]).text
    assert "基金不予支付" in nothing and "不在医保支付范围内" in nothing and 'class="ok"' not in nothing


def test_the_hint_offers_the_signed_in_regions_institutions(console, clerk):
    page = clerk.get("/reimbursements/new").text
    assert "H37152500001" in page and "冠县人民医院" in page
    other = client_for(console)
    sign_in(other, "clerk_b")
    assert "H37152500001" not in other.get("/reimbursements/new").text  # county B has none of A's


def test_an_id_number_typed_into_the_person_field_is_never_echoed(console, clerk):
    response = post(clerk, psn_no="371525199001011234")
    assert response.status_code == 422 and "371525199001011234" not in response.text
    assert "371525********1234" in response.text


# ---------------------------------------------------------------- concurrency, on both stores

def _request(**changes) -> ManualRequest:
    base = dict(psn_no="GX0001", insutype="390", fixmedins_code="H37152500001", med_type="21",
                begndate=dt.date(2018, 9, 1), enddate=dt.date(2018, 9, 4), dise_code=None,
                lines=(FeeLine(code="T000002", amount=300_000),), reason="system", bill_code="33060118",
                bill_no="0000099999", receipt_no=None)
    return ManualRequest(**{**base, **changes})


def test_concurrent_submissions_of_one_receipt_pay_once(store, registry):
    """Eight clerks submit the same receipt at once — as the same form, with another amount, for another
    person: one settlement, one manual claim, one ledger entry."""
    service = SettlementService(store, registry, today=lambda: dt.date(2018, 12, 31))
    variants = [_request(), _request(), _request(lines=(FeeLine(code="T000002", amount=310_000),)),
                _request(psn_no="GX0002"), _request(), _request(enddate=dt.date(2018, 9, 5)), _request(),
                _request(psn_no="GX0002")]
    barrier = threading.Barrier(len(variants))
    paid, refused, failed = [], [], []

    def submit(req):
        barrier.wait()
        try:
            county = "371599" if req.psn_no == "GX0002" else "371525"
            paid.append(reimbursement.settle_manual(service, req, county, "clerk").setl_id)
        except AlreadyReimbursed as exc:
            refused.append(exc.setl_id)
        except Exception as exc:  # noqa: BLE001 — reported below
            failed.append(repr(exc))
    threads = [threading.Thread(target=submit, args=(v,)) for v in variants]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failed, failed
    assert len(paid) == 1 and len(refused) == len(variants) - 1 and set(refused) == set(paid)

    def rows(session):
        return (session.execute(select(func.count()).select_from(ManualClaim)).scalar_one(),
                session.execute(select(func.count()).select_from(m.Settlement)
                                .where(m.Settlement.request_key.like("manual:%"))).scalar_one(),
                session.execute(select(func.count()).select_from(m.JournalEntry)
                                .where(m.JournalEntry.cause_id == paid[0])).scalar_one())
    assert store.read(rows) == (1, 1, 1)

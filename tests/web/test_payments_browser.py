"""代发 in a real browser, as a clerk of 冠县 does it: two manual reimbursements are owed, the clerk creates a
batch, downloads its file, uploads the bank's return file with one returned line, and re-issues that payment
to corrected bank details with the bank's proof attached. Every figure on the pages is checked against the
settlements' own amounts; no page shows an English word; screenshots at 1366×768 go to /tmp/fo-money-shots/."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.store.support import DATA, TEST_CIPHER, fee
from tongchou.region.fixture import load_file
from tests.web.conftest import copy_region
from tests.web.region import PASSWORD, TODAY
from tests.web.test_browser import ARGS, CHROMIUM, VIEWPORT, _require_browser, ascii_words, serving
from tongchou.ledger.service import verify
from tongchou.payments.service import PaymentService
from tongchou.store import models as m
from tongchou.store.uow import Store
from tongchou.web import reimbursement
from tongchou.web.app import create_app

SHOTS = Path("/tmp/fo-money-shots")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
USER_NAMES = {"clerk_a"}  # the test region's display names are 测试<user name>


@pytest.fixture(scope="module")
def served(region, tmp_path_factory):
    _require_browser()
    store = Store.open(copy_region(region, tmp_path_factory.mktemp("payments-browser")))
    app = create_app(store, region[1], cipher=TEST_CIPHER, today=lambda: TODAY)
    c = app.state.console
    owed = []
    for receipt, psn_no, amount in (("PJ-B1", "GX0001", "1860.35"), ("PJ-B2", "GX0004", "25000.00")):
        req = reimbursement.ManualRequest(psn_no, "390", "H37152500001", "21", dt.date(2018, 9, 1),
                                          dt.date(2018, 9, 4), None, (fee("T000002", amount),), "system", None, None,
                                          receipt)
        owed.append(reimbursement.settle_manual(c.settlements, req, "371525", "clerk_a",
                                                reviewed_by="reviewer_a").setl_id)
    load_file(store, DATA / "changchun.yaml", TEST_CIPHER)  # employees with accounts and a family (seed 003)
    payments = PaymentService(store, TEST_CIPHER)
    payments.set_bank_account("GX0001", "张三", "中国工商银行冠县支行", "6222021234567890123", on=TODAY, by="clerk_a")
    payments.set_bank_account("GX0004", "李四", "中国农业银行冠县支行", "6228480011112222333", on=TODAY, by="clerk_a")
    with serving(app) as url:
        yield url, store, owed
    store.close()


@pytest.fixture(scope="module")
def page(served):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    url = served[0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", base_url=url, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/login")
        page.fill("#username", "clerk_a")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        yield page
        browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fen(text: str) -> int:
    return int(Decimal(text.strip().replace(",", "")) * 100)


def no_english(page) -> None:
    assert ascii_words(page.inner_text("body")) - USER_NAMES == set(), page.url


def amounts_of(store, setl_ids) -> list[int]:
    return store.read(lambda s: [s.scalar(select(m.Settlement.fund_pay_sumamt).where(m.Settlement.setl_id == i))
                                 for i in setl_ids])


def test_batch_return_and_reissue_in_the_browser(page, served, tmp_path):
    _url, store, owed = served
    expected = amounts_of(store, owed)
    assert expected[1] > 1_000_000  # the returned one needs 双人复核 when re-issued
    page.goto("/payments")
    assert "代发（银行批量代付）" in page.inner_text("h1")
    rows = page.locator("#pending tbody tr")
    assert rows.count() == 2
    assert fen(page.inner_text("#pending-total")) == sum(expected)
    assert re.search(r"\d{1,3}(,\d{3})+\.\d{2}", page.inner_text("#pending"))  # thousands separators
    no_english(page)
    shot(page, "01-payments-pending")

    page.click("#batch-form button[type=submit]")
    page.wait_for_url("**/payments/batches/DF*")
    batch_no = page.url.split("/")[-1].split("?")[0]
    cells = [fen(page.locator("#batch-rows tbody tr").nth(i).locator("td").nth(4).inner_text()) for i in range(2)]
    assert cells == expected  # every row true
    assert fen(page.inner_text("#batch-total")) == sum(cells) == fen(page.inner_text("#rows-total"))
    assert page.inner_text("#batch-count") == "2"
    assert "6222021234567890123" not in page.content() and "6222***********0123" in page.inner_text("#batch-rows")
    no_english(page)
    shot(page, "02-batch-created")

    with page.expect_download() as info:
        page.click("#download")
    content = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    assert "6222021234567890123" in content and f"{sum(expected) / 100:.2f}" in content

    back = tmp_path / "回盘.csv"
    back.write_text(f"批次号,序号,金额,结果代码,说明\n{batch_no},1,{expected[0] / 100:.2f},00,\n"
                    f"{batch_no},2,{expected[1] / 100:.2f},R01,账号不存在\n", encoding="gb18030")
    page.goto("/payments")
    page.set_input_files("#f-file", str(back))
    page.click("#return-form button[type=submit]")
    page.wait_for_selector("#return-summary")
    summary = page.inner_text("#return-summary")
    assert "确认成功：1笔（序号1）" in summary and "退回并重新计入应付参保人：1笔（序号2）" in summary
    no_english(page)
    shot(page, "03-return-read")

    page.goto("/payments")
    returned = page.inner_text("#returned")
    assert "R01 账号不存在" in returned and f"{expected[1] / 100:,.2f}" in returned
    shot(page, "04-returned-to-reissue")
    page.click("#returned a[href$='/reissue']")
    page.wait_for_url("**/reissue")
    assert fen(page.inner_text("#reissue-amount")) == expected[1]
    page.fill("#f-payee_name", "李四")
    page.fill("#f-bank_name", "中国建设银行冠县支行")
    page.fill("#f-account_no", "6217001234000055555")
    proof = tmp_path / "银行账户证明.pdf"
    proof.write_bytes(PDF)
    page.click("#reissue-form button[type=submit]")  # no proof: refused, naming the input
    assert "请上传银行账户证明" in page.inner_text("#e-doc_0")
    page.fill("#f-account_no", "6217001234000055555")
    page.set_input_files("#f-doc_0", str(proof))
    page.click("#reissue-form button[type=submit]")  # above 10,000.00: a second person is needed
    assert "须由复核人" in page.inner_text("#e-review_username")
    page.fill("#f-account_no", "6217001234000055555")
    page.set_input_files("#f-doc_0", str(proof))
    page.fill("#f-review_username", "reviewer_a")
    page.fill("#f-review_password", PASSWORD)
    no_english(page)
    shot(page, "05-reissue-form")
    page.click("#reissue-form button[type=submit]")
    page.wait_for_url("**/payments?reissued=*")
    pending = page.inner_text("#pending")
    assert "6217***********5555" in pending and "退回重发" in pending
    assert fen(page.inner_text("#pending-total")) == expected[1]
    no_english(page)
    shot(page, "06-reissued-pending")

    page.goto(f"/payments/batches/{batch_no}")
    rows_text = page.inner_text("#batch-rows")
    assert "成功" in rows_text and "已重发" in rows_text
    shot(page, "07-batch-after-return")
    report = verify(store)
    assert report.ok, [(c.name, c.breaches) for c in report.checks if not c.ok]


def test_the_account_pays_for_the_family_in_the_browser(served, page):
    url, store, _owed = served
    context = page.context.browser.new_context(viewport=VIEWPORT, locale="zh-CN", base_url=url)
    if True:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/login")
        page.fill("#username", "admin")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        page.goto("/persons/CC0001")
        page.click("a[href='/persons/CC0001/family-payment']")
        page.goto("/persons/CC0001/family-payment?year=2021")
        assert fen(page.inner_text("#balance")) == 30_000
        amounts = page.inner_text("#amounts")
        assert "60.00" in amounts and "120.00" in amounts and "示例数值" in amounts
        page.select_option("#f-kind", "resident")
        page.select_option("#f-relative", "CC0003")
        page.fill("#f-year", "2021")
        page.fill("#f-paid_on", "2021-02-01")
        no_english(page)
        shot(page, "08-family-payment-form")
        page.click("#family-form button[type=submit]")  # no resident policy of 长春 in this console: refused
        assert page.locator(".error, .alert").count() >= 1
        page.select_option("#f-kind", "long_term_care")
        page.select_option("#f-relative", "")
        page.click("#family-form button[type=submit]")
        page.wait_for_selector("p.ok")
        message = page.inner_text("p.ok")
        assert "60.00元" in message and "账户余额240.00元" in message
        shot(page, "09-family-payment-done")
        page.goto("/persons/CC0001/family-payment?year=2021")
        assert fen(page.inner_text("#balance")) == 24_000 and "本人长期护理保险缴费" in page.inner_text("#family-paid")
        no_english(page)
        shot(page, "10-family-payment-after")
        context.close()
    report = verify(store)
    assert report.ok, [(c.name, c.breaches) for c in report.checks if not c.ok]

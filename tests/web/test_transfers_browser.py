"""关系转移接续 in a real browser (Chromium via Playwright) at 1366×768, as a clerk of 冠县 does it: a transfer out
of a resident who paid 2018 (the certificate checked against the figures computed here), a double click on the
submit button transferring once, the printable certificate, and a transfer in from a CSV certificate file.
Screenshots in /tmp/fo-transfer-shots/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.store.support import TEST_CIPHER
from tests.web.conftest import copy_region
from tests.web.region import PASSWORD, TODAY
from tests.web.test_browser import ARGS, CHROMIUM, VIEWPORT, _require_browser, serving
from tongchou.enrolment.service import EnrolmentService
from tongchou.store import models as m
from tongchou.store.uow import Store
from tongchou.web.app import create_app

SHOTS = Path("/tmp/fo-transfer-shots")
PDF = b"%PDF-1.4\n% scanned\n"


@pytest.fixture(scope="module")
def served(region, tmp_path_factory):
    _require_browser()
    store = Store.open(copy_region(region, tmp_path_factory.mktemp("transfer-browser")))
    # 钱七 (GX0011) pays the 2018 resident contribution in the collection period: a whole year paid
    EnrolmentService(store, region[1]).enrol_resident("GX0011", 2018, dt.date(2017, 10, 15))
    app = create_app(store, region[1], cipher=TEST_CIPHER, today=lambda: TODAY)
    with serving(app) as url:
        yield url, store
    store.close()


@pytest.fixture(scope="module")
def page(served, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", base_url=served[0])
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.errors = errors
        page.goto("/login")
        page.fill("#username", "clerk_a")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        yield page
        browser.close()


def test_transfer_out_and_the_certificate(page, served, tmp_path):
    store = served[1]
    # what the certificate must say, computed here from the rows: the 2018 contribution collected
    line = store.read(lambda s: s.execute(select(m.ContributionLine).where(
        m.ContributionLine.psn_no == "GX0011")).scalar_one())
    paid = f"{line.amount // 100:,}.{line.amount % 100:02d}"
    page.goto("/persons/GX0011")
    assert "累计1年，连续1年" in page.inner_text("dl.facts")
    page.click("text=关系转出")
    page.wait_for_url("**/transfer-out")
    assert "城乡居民基本医疗保险累计缴费年限" in page.inner_text("main")
    page.fill("#f-to_pool", "440100")
    page.fill("#f-to_pool_name", "广州市")
    page.fill("#f-on", "2018-12-31")
    pdf = tmp_path / "申请表.pdf"
    pdf.write_bytes(PDF)
    page.set_input_files("#f-doc_0", str(pdf))
    page.screenshot(path=str(SHOTS / "01-transfer-out-form.png"), full_page=True)
    page.dblclick("button.primary")  # a double click sends the form twice: one transfer
    page.wait_for_url("**/transfers/*")
    page.wait_for_load_state("networkidle")
    main = page.inner_text("main")
    assert "基本医疗保险参保凭证" in main and "广州市（440100）" in main and "冠县（371525）" in main
    assert "钱七（未参保）" in main and "371525********999X" in main
    assert "2018年1月1日" in main and "2018年12月31日" in main
    row = page.locator("table", has_text="缴费记录").locator("tbody tr").first.inner_text()
    assert row.split("\t")[:2] == ["2018", paid]
    assert "城乡居民基本医疗保险累计缴费年限\n1年" in main or "1年" in page.inner_text("article dl.facts >> nth=1")
    page.screenshot(path=str(SHOTS / "02-certificate.png"), full_page=True)
    transfers = store.read(lambda s: s.scalars(select(m.Transfer).where(m.Transfer.psn_no == "GX0011")).all())
    assert len(transfers) == 1 and transfers[0].pool_name == "广州市"
    ends = store.read(lambda s: [e.end for e in s.scalars(select(m.Enrolment).where(m.Enrolment.psn_no == "GX0011"))])
    assert ends == [dt.date(2018, 12, 31)]
    page.emulate_media(media="print")
    assert not page.locator("nav[aria-label='主菜单']").is_visible()
    page.screenshot(path=str(SHOTS / "03-certificate-print.png"), full_page=True)
    page.emulate_media(media="screen")


def test_transfer_in_from_a_csv_certificate(page, served, tmp_path):
    page.goto("/persons/GX0003")
    page.click("text=关系转入")
    page.wait_for_url("**/transfer-in")
    sheet = tmp_path / "参保凭证.csv"
    sheet.write_text("转出统筹区代码,转出统筹区名称,险种,累计缴费月数,连续缴费月数,转出地参保截止日期,参保凭证编号\n"
                     "440100,广州市,390,84,72,2018-06-30,PZ44010020180630\n", encoding="utf-8-sig")
    pdf = tmp_path / "凭证.pdf"
    pdf.write_bytes(PDF)
    page.set_input_files("#f-certificate_file", str(sheet))
    page.set_input_files("#f-doc_0", str(pdf))
    page.fill("#f-balance", "0")
    page.screenshot(path=str(SHOTS / "04-transfer-in-form.png"), full_page=True)
    page.click("button.primary")
    page.wait_for_url("**/transfers/*")
    main = page.inner_text("main")
    # 84 months = 7 years, 72 = 6 years; cover here from the day after 2018-06-30
    assert "医保关系已转入" in main and "广州市（440100）" in main and "7年" in main and "6年" in main
    assert "2018-07-01" in main and "PZ44010020180630" in main
    page.screenshot(path=str(SHOTS / "05-transfer-in-done.png"), full_page=True)
    page.goto("/persons/GX0003")
    facts = page.inner_text("dl.facts")
    assert "累计7年，连续6年" in facts
    assert "跨统筹区转入" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "06-person-after-transfer-in.png"), full_page=True)


def test_no_script_errors(page):
    # every request of the pages answered below 400 (the "response" events); the browser's own favicon request,
    # which no page makes, is only seen as a console line "Failed to load resource"
    assert not [e for e in page.errors if not e.startswith("Failed to load resource")], page.errors

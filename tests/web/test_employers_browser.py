"""The employer pages in a real browser (Chromium via Playwright, the fixtures of test_browser.py), as a clerk
of 南关区 performs them: register an employer (a wrong check character first), join two employees (a resident
refused first), a declaration batch with bad rows — its counts and its errors file checked against the test's
own reading of the rows —, the employer page's parts and late fee against an independent computation; then the
city's fund officer imports the tax bureau's collection batch. Screenshots at 1366×768 go to test-artifacts/console/
and /tmp/fo-employers-shots/."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from tests.store.support import TEST_CIPHER
from tests.web.conftest import copy_region
from tests.web.employers_region import EMPLOYER_A, TODAY
from tests.web.region import PASSWORD
from tests.web.test_browser import ARGS, ARTIFACTS, CHROMIUM, VIEWPORT, _require_browser, ascii_words, serving
from tongchou.store.uow import Store
from tongchou.web.app import create_app

SHOTS = Path("/tmp/fo-employers-shots")
PDF = b"%PDF-1.4\n% a scanned page\n"
RATES = (Decimal("0.07"), Decimal("0.02"))  # 长春 2021 (policies/employers/changchun-employers.yaml)
BOUNDS = (Decimal("3600.00"), Decimal("18000.00"))  # 60 % and 300 % of 6,000
BATCH = [  # what the employer brings: employer, psn_no, month, wage
    (EMPLOYER_A, "CC0101", "2021-03", "5000.00"),
    (EMPLOYER_A, "CC0103", "2021-03", "20000"),
    (EMPLOYER_A, "CC0101", "2021-04", "5000.555"),
    (EMPLOYER_A, "CC0103", "2021-04", "-3000"),
    (EMPLOYER_A, "CC0101", "2021-03", "5100"),
    (EMPLOYER_A, "CC0104", "2021-04", "4000"),
    (EMPLOYER_A, "CC0101", "2021-13", "4000"),
    (EMPLOYER_A, "CC0103", "2021-05", "６０００"),
]
EMPLOYED = {"CC0101", "CC0103"}


def own_reading(rows) -> tuple[list[tuple], list[tuple[int, str]]]:
    """The test's own reading of the batch: (good rows, [(line, column) of each bad row]); line 1 is the header."""
    good, bad, seen = [], [], set()
    for line, (employer, psn_no, month, wage) in enumerate(rows, start=2):
        wage = wage.translate({0xFF10 + d: str(d) for d in range(10)})
        key = (employer, psn_no, month)
        if key in seen:
            bad.append((line, "month"))
            continue
        seen.add(key)
        amount = Decimal(wage)
        if amount < 0 or amount != amount.quantize(Decimal("0.01")):
            bad.append((line, "wage"))
        elif not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            bad.append((line, "month"))
        elif psn_no not in EMPLOYED:
            bad.append((line, "psn_no"))
        else:
            good.append((psn_no, month, amount))
    return good, bad


def parts(wage: Decimal) -> tuple[Decimal, Decimal]:
    base = min(max(wage, BOUNDS[0]), BOUNDS[1])
    return tuple((base * rate).quantize(Decimal("0.01"), ROUND_HALF_UP) for rate in RATES)


@pytest.fixture(scope="module")
def server(employers_region, tmp_path_factory):
    _require_browser()
    url, registry, terms = employers_region
    store = Store.open(copy_region((url, registry), tmp_path_factory.mktemp("employers-browser")))
    app = create_app(store, registry, cipher=TEST_CIPHER, today=lambda: TODAY, employer_terms=terms)
    with serving(app) as base:
        yield base
    store.close()


@pytest.fixture(scope="module")
def page(server, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, "--lang=zh-CN"])
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", base_url=server, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.files = tmp_path_factory.mktemp("uploads")
        yield page
        browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    shutil.copy(ARTIFACTS / f"{name}.png", SHOTS / f"{name}.png")


def sign_in(page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def a_file(page, name: str, content: bytes) -> str:
    path = page.files / name
    path.write_bytes(content)
    return str(path)


def looks_right(page) -> None:
    """As a clerk reads it: Chinese words only, no sideways scrolling at 1366×768."""
    text = page.inner_text("body")
    for name in page.locator("table.dossier a").all_inner_texts():  # a file's name is as the clerk uploaded it
        text = text.replace(name, "")
    assert ascii_words(text) == set(), page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"], page.url


def test_register_an_employer(page):
    sign_in(page, "clerk_a")
    page.click("nav >> text=用人单位")
    page.wait_for_url("**/employers")
    looks_right(page)
    shot(page, "30-employers-empty")
    page.click("a.button >> text=单位登记")
    page.wait_for_url("**/employers/new")
    page.fill("#f-code", EMPLOYER_A[:-1] + "F")
    page.fill("#f-name", "长春某机械厂")
    page.click("#register-form button[type=submit]")
    assert "第18位应为E，而不是F" in page.inner_text("#e-code")
    assert "请上传营业执照副本" in page.inner_text("#e-doc_0")
    assert page.input_value("#f-name") == "长春某机械厂"
    looks_right(page)
    shot(page, "31-register-refused")
    page.fill("#f-code", EMPLOYER_A)
    page.set_input_files("#f-doc_0", a_file(page, "营业执照副本.pdf", PDF))
    page.click("#register-form button[type=submit]")
    page.wait_for_url(f"**/employers/{EMPLOYER_A}?done=register")
    assert "单位登记已办理" in page.inner_text("main") and "营业执照副本.pdf" in page.inner_text("main")


def test_join_two_employees(page):
    page.goto(f"/employers/{EMPLOYER_A}/join")
    page.fill("#f-psn_no", "CC0102")
    page.fill("#f-joined_on", "2021-03-01")
    page.set_input_files("#f-doc_0", a_file(page, "录用通知.pdf", PDF + b"1"))
    page.click("#join-form button[type=submit]")
    assert "已参加城乡居民医保" in page.inner_text("#e-joined_on") and "请先办理居民医保停保" in page.inner_text("#e-joined_on")
    looks_right(page)
    shot(page, "33-join-refused")
    for psn_no, content in (("CC0101", PDF + b"2"), ("CC0103", PDF + b"3")):
        page.goto(f"/employers/{EMPLOYER_A}/join")
        page.fill("#f-psn_no", psn_no)
        page.fill("#f-joined_on", "2021-01-01")
        page.set_input_files("#f-doc_0", a_file(page, f"劳动合同{psn_no}.pdf", content))
        page.click("#join-form button[type=submit]")
        page.wait_for_url("**?done=join")
    staff = page.inner_text("#employments")
    assert "刘一" in staff and "陈二" in staff and staff.count("在职") == 2


def test_a_declaration_batch_with_bad_rows(page):
    text = "统一社会信用代码,个人编号,费款所属期,申报工资\n" + "".join(",".join(row) + "\n" for row in BATCH)
    good, bad = own_reading(BATCH)
    page.goto(f"/employers/{EMPLOYER_A}/declarations/new")
    looks_right(page)
    shot(page, "34-declare-form")
    page.set_input_files("#f-batch", a_file(page, "三至五月申报.csv", text.encode("utf-8")))
    page.fill("#f-declared_on", "2021-03-05")
    page.set_input_files("#f-doc_0", a_file(page, "申报表.pdf", PDF + b"4"))
    page.click("#declare-form button[type=submit]")
    page.wait_for_selector("#outcome")
    outcome = page.inner_text("#outcome")
    assert f"本次申报{len(BATCH)}行：入库{len(good)}行，错误{len(bad)}行" in outcome
    employer_total = sum(parts(w)[0] for _, _, w in good)
    assert f"单位缴费合计{employer_total:,.2f}元" in outcome
    shown = [(int(row.locator("td").nth(0).inner_text()), row.locator("td").nth(1).inner_text())
             for row in page.locator("#refused tbody tr").all()]
    labels = {"month": "费款所属期", "wage": "申报工资", "psn_no": "个人编号"}
    assert shown == [(line, labels[column]) for line, column in bad]
    looks_right(page)
    shot(page, "35-declare-result")
    with page.expect_download() as info:
        page.click("#errors-file")
    download = info.value
    assert download.suggested_filename == "三至五月申报_错误行.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_bytes().decode("utf-8-sig"))))
    assert rows[0] == ["行号", "统一社会信用代码", "个人编号", "费款所属期", "申报工资", "错误列", "错误"]
    assert [(int(r[0]), tuple(r[1:5]), r[5]) for r in rows[1:]] == [
        (line, BATCH[line - 2], labels[column]) for line, column in bad]


def test_the_employer_page_figures(page):
    good, _ = own_reading(BATCH)
    page.goto(f"/employers/{EMPLOYER_A}")
    looks_right(page)
    shot(page, "32-employer")
    for psn_no, month, wage in good:
        employer_part, individual_part = parts(wage)
        due = dt.date(int(month[:4]), int(month[5:]), 15)
        days = max((TODAY - due).days, 0)
        fee = ((employer_part + individual_part) * days * Decimal("0.0005")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        row = page.locator("#declarations tbody tr", has_text=psn_no).filter(has_text=month)
        cells = [cell.inner_text() for cell in row.locator("td").all()]
        assert cells[5:7] == [f"{employer_part:,.2f}", f"{individual_part:,.2f}"], cells
        assert cells[8] == f"欠费{days}天" and cells[9] == f"{fee:,.2f}", cells
    march = page.locator("#months tbody tr", has_text="2021-03")
    assert "1,610.00" in march.inner_text() and "460.00" in march.inner_text()  # 350 + 1,260 and 100 + 360
    page.goto("/employers/arrears")  # as of the business date
    unpaid = fees = Decimal(0)
    for _psn_no, month, wage in good:
        employer_part, individual_part = parts(wage)
        days = (TODAY - dt.date(int(month[:4]), int(month[5:]), 15)).days
        unpaid += employer_part + individual_part
        fees += ((employer_part + individual_part) * days * Decimal("0.0005")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert page.inner_text("#totals") == f"截至{TODAY.isoformat()}：欠费{unpaid:,.2f}元，滞纳金{fees:,.2f}元。"
    looks_right(page)
    shot(page, "39-arrears")


def test_leave_form(page):
    page.goto(f"/employers/{EMPLOYER_A}/leave")
    looks_right(page)
    assert "刘一（CC0101）" in page.inner_text("#f-psn_no")
    shot(page, "36-leave-form")


def test_the_fund_officer_reconciles_the_tax_bureaus_batch(page):
    good, _ = own_reading(BATCH)
    sign_in(page, "fund")
    page.goto("/employers/collections/new")
    looks_right(page)
    shot(page, "37-collections-form")
    lines = ["统一社会信用代码,个人编号,费款所属期,单位缴费,个人缴费,滞纳金,缴费日期"]
    for psn_no, month, wage in good:
        employer_part, individual_part = parts(wage)
        lines.append(f"{EMPLOYER_A},{psn_no},{month},{employer_part},{individual_part},,{month}-15")  # on time
    lines.append(f"{EMPLOYER_A},CC0101,2021-04,350.00,100.00,,2021-04-15")  # nothing declared for April
    page.fill("#f-batch_no", "SW-2021-0001")
    page.set_input_files("#f-batch", a_file(page, "税务征收明细.csv", "\n".join(lines).encode("gb18030")))
    page.click("#collections-form button[type=submit]")
    page.wait_for_selector("#outcome")
    collected = sum(sum(parts(w)) for _, _, w in good)
    assert (f"入账{len(good)}行，征收费款{collected:,.2f}元，滞纳金0.00元；挂起1行"
            in page.inner_text("#outcome"))
    assert "未找到" in page.inner_text("#held")
    looks_right(page)
    shot(page, "38-collections-result")
    page.goto("/employers/arrears?as_of=2021-06-30")
    assert "没有欠费" in page.inner_text("main")
    page.goto(f"/employers/{EMPLOYER_A}")
    assert page.locator("#declarations", has_text="已征收（2021-03-15）").count() == 1

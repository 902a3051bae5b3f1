"""The console in a real browser (the machine's Chromium via Playwright): sign in, open every page,
search a person and open a settlement's explanation, file a manual reimbursement, run a
simulation, check that every chart drew on its canvas; a screenshot of each page is kept under
test-artifacts/console/. Without Chromium the tests are skipped locally and FAIL under CI."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.store.support import TEST_CIPHER
from tests.web.conftest import copy_region
from tests.web.region import PASSWORD, TODAY
from tongchou.store.uow import Store
from tongchou.web.app import create_app
from tongchou.web.format import AMOUNT_LABELS

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
VIEWPORT = {"width": 1366, "height": 768}


def _require_browser():
    missing = not Path(CHROMIUM).is_file()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        message = f"the console's browser tests need {CHROMIUM} and the playwright package"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


STORES: dict[str, Store] = {}  # the served store, for tests that check what a page did against its rows


@contextmanager
def serving(app):
    """The app served by uvicorn on a free local port, in a thread, for the time of the block."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(region, tmp_path_factory):
    _require_browser()
    store = Store.open(copy_region(region, tmp_path_factory.mktemp("browser")))
    STORES["served"] = store
    app = create_app(store, region[1], cipher=TEST_CIPHER, today=lambda: TODAY)
    with serving(app) as url:
        yield url
    store.close()


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", base_url=server)
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.errors = errors
        yield page
        browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


CHART_DRAWN = """el => {
  const canvas = el.querySelector('canvas');
  if (!canvas || !canvas.width || !canvas.height) return false;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) return true; }
  return false;
}"""


def assert_charts_drawn(page, at_least: int, timeout: float = 15.0) -> None:
    # polled from Python: wait_for_function evaluates a string, which the console's CSP (no unsafe-eval) refuses
    deadline = time.monotonic() + timeout
    while page.locator("[data-chart][data-ready] canvas").count() < at_least and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    charts = page.locator("[data-chart]")
    assert charts.count() >= at_least
    for index in range(charts.count()):
        assert charts.nth(index).evaluate(CHART_DRAWN), f"chart {index} on {page.url} is empty"


def test_sign_in(page):
    page.goto("/")
    assert page.url.endswith("/login")
    shot(page, "01-login")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    assert "基金概况" in page.inner_text("h1")


PAGES = [  # path, screenshot, charts at least
    ("/", "02-dashboard", 2),
    ("/persons", "03-persons", 0),
    ("/institutions", "07-institutions", 0),
    ("/institutions/H37152500001", "08-institution", 0),
    ("/reports/fund-operation", "09-report", 3),
    ("/budgets", "10-budgets", 0),
    ("/policies", "11-policies", 0),
    ("/policies/guanxian-2018-resident", "12-policy", 0),
    ("/policies/diff?left=xxdistrict-2020-resident-previous@1&right=xxdistrict-2021-resident@1", "13-policy-diff", 0),
    ("/supervision", "15-supervision", 0),
]


@pytest.mark.parametrize("path, name, charts", PAGES)
def test_every_page_opens_and_draws_its_charts(page, path, name, charts):
    response = page.goto(path)
    assert response.status == 200
    assert page.locator("h1").count() == 1
    if charts:
        assert_charts_drawn(page, charts)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], f"{path} scrolls sideways at 1366×768 ({width}px)"
    shot(page, name)


def test_search_a_person_and_open_a_settlements_explanation(page):
    page.goto("/persons")
    page.fill("#q", "371525199001011234")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_selector("#results a[href='/persons/GX0001']")
    assert "371525********1234" in page.inner_text("#results")
    assert "371525199001011234" not in page.content()
    page.click("#results a[href='/persons/GX0001']")
    page.wait_for_url("**/persons/GX0001")
    shot(page, "04-person")
    page.click("a[href='/settlements/S-A1']")
    page.wait_for_url("**/settlements/S-A1")
    steps = page.locator("#explanation li")
    assert steps.count() >= 2 and "起付" in page.inner_text("#explanation")
    shot(page, "05-settlement")


def test_file_a_manual_reimbursement(page):
    page.goto("/reimbursements/new?psn_no=GX0001")
    page.fill("#f-fixmedins_code", "H37152500002")
    page.fill("#f-begndate", "2018-09-01")
    page.fill("#f-enddate", "2018-09-04")
    page.select_option("#f-reason", "system")
    page.fill("#f-receipt_no", "PJ-BROWSER-1")
    page.fill("#f-item_code_0", "T000002")
    page.fill("#f-item_amount_0", "abc")
    page.click("#reimburse-form button[type=submit]")
    assert "第1行金额应为金额（元）" in page.inner_text("#e-item_amount_0")
    page.fill("#f-item_amount_0", "1800.00")
    page.fill("#f-item_code_1", "T000003")
    page.fill("#f-item_amount_1", "120.50")
    shot(page, "06-reimbursement")
    page.click("#reimburse-form button[type=submit]")
    page.wait_for_url("**/settlements/MR*")
    assert "零星报销（手工）" in page.inner_text("main")
    assert page.locator("#explanation li").count() >= 2
    assert "基金支付" in page.inner_text("#verdict")
    shot(page, "06b-reimbursement-result")


def test_run_a_simulation(page):
    page.goto("/simulation")
    page.fill("#f-year", "2018")
    page.select_option("#f-baseline", "guanxian-2018-resident")
    page.select_option("#f-candidate", "xxdistrict-2021-resident")
    page.click("form.form button[type=submit]")
    page.wait_for_selector("#simulation-result table", timeout=60_000)
    assert_charts_drawn(page, 4)
    result = page.inner_text("#simulation-result")
    # policies and counties by name; who is affected by county, tier, med_type and amount band
    assert "冠县2018年" in result or "冠县" in result
    for caption in ("受影响的结算（按区县）", "受影响的结算（按机构层级）", "受影响的结算（按医疗类别）",
                    "参保人年度个人负担变化分布（按金额区间）"):
        assert caption in result
    assert "冠县示范区（测试用第二区县）" in result and "371599" not in result
    assert "0.00~0.00" not in result and "不变" in result
    assert "政策未规定年度最高支付限额" in result  # a silent cap is said, not 'unlimited'
    shot(page, "14-simulation")
    page.locator("#simulation-result h2").nth(1).scroll_into_view_if_needed()
    shot(page, "14b-simulation-affected")


def test_no_script_errors(page):
    assert not [e for e in page.errors if "Content Security Policy" in e or "Refused" in e], page.errors


# ---------------------------------------------------------------- the checks, page by page

ALLOWED_WORDS = {  # pure-letter words a page may show: sign-in names, a file format, names the seeds use
    "admin", "CSV", "XX", "CT", "HTTPS", "ID",
    "XLSX", "PDF", "JPEG", "PNG", "TIFF", "OFD", "MB", "KB", "UTF",  # file formats and sizes the upload forms name
    "Excel", "xlsx",  # the batch registration page: “CSV或Excel（.xlsx）文件”
}
# a national field name shown beside its Chinese name (the clearing statement: “统筹基金支付 hifp_pay”)
NATIONAL_FIELDS = set(AMOUNT_LABELS) | {"refd_setl_flag", "enddate"}
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-:.]*")
PERSON_PAGES = ["/persons/GX0001", "/persons/GX0002", "/settlements/S-A1", "/settlements/S-B1"]
EVERY_PAGE = [path for path, _name, _charts in PAGES] + PERSON_PAGES + [
    "/reimbursements/new", "/simulation", "/exports", "/persons/GX0001/enrol", "/persons/GX0001/filings/new",
    "/payments", "/persons/GX0001/bank-account", "/persons/GX0001/family-payment", "/persons/GX0001/account-payout",
    "/persons/GX0001/filings/apply", "/filings", "/filings/renewals?year=2018",
    # the front office of persons (issue 19)
    "/persons/register", "/persons/import", "/persons/GX0003/change", "/persons/GX0003/death",
    "/persons/GX0003/newborn", "/persons/GX0003/household", "/persons/GX0003/household/add",
    "/persons/GX0003/household/remove", "/persons/GX0003/cover/stop", "/persons/GX0003/cover/resume",
    "/persons/GX0003/cover/switch",
    # the employer pages (issue 19; filled in with declarations and collections by test_employers_browser.py)
    "/employers", "/employers/new", "/employers/91371525MA00000018", "/employers/91371525MA00000018/join",
    "/employers/91371525MA00000018/leave", "/employers/91371525MA00000018/declarations/new",
    "/employers/collections/new", "/employers/arrears"]


def ascii_words(text: str) -> set[str]:
    """Pure-letter words outside the allow-list (a code with a digit — GX0001, H37152500001 — is a code)."""
    words = {t.strip(".:-") for t in TOKEN.findall(text) if not any(ch.isdigit() for ch in t)}
    return {w for w in words if sum(ch.isalpha() for ch in w) >= 2} - ALLOWED_WORDS - NATIONAL_FIELDS


@pytest.mark.parametrize("path", EVERY_PAGE)
def test_no_page_shows_an_ascii_word_outside_the_allow_list(page, path):
    assert page.goto(path).status == 200
    assert ascii_words(page.inner_text("body")) == set(), path


def test_the_mask_holds_on_every_page_that_shows_a_person(page):
    from tests.web.region import ID_NUMBERS
    page.goto("/persons")
    page.fill("#q", "371525199001011234")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_selector("#results a[href='/persons/GX0001']")
    pages = {"search": page.content()}
    for path in PERSON_PAGES:
        page.goto(path)
        pages[path] = page.content()
    page.goto("/institutions/H37152500001")
    pages["institution"] = page.content()
    for where, html in pages.items():
        for number in ID_NUMBERS:
            assert number not in html, where
            # the masked number shows the first 6 and last 4: the birth date must not fill in the middle
            birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
            assert birth not in html and f"{number[6:10]}年{int(number[10:12])}月{int(number[12:14])}日" not in html
        assert "13800000000" not in html, where
    assert "371525********1234" in pages["search"] and "1990年" in pages["search"]
    assert "28岁" in pages["/persons/GX0001"] and "138****0000" in pages["/persons/GX0001"]


def test_an_id_number_typed_into_a_wrong_field_is_not_echoed(page):
    _reimburse(page, "PJ-MASK-1", "10", fields={"psn_no": "371525199001011234"})
    page.wait_for_selector("#e-psn_no")
    assert "371525199001011234" not in page.content() and "371525********1234" in page.inner_text("#e-psn_no")


CHART_LABELS = """el => {
  const chart = echarts.getInstanceByDom(el);
  const option = chart.getOption();
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = '12px sans-serif';
  const width = chart.getWidth();
  return [].concat(option.xAxis || [], option.yAxis || []).filter(a => a.type === 'category').map(a => ({
    interval: a.axisLabel.interval, rotate: a.axisLabel.rotate, horizontal: (option.xAxis || []).includes(a),
    slot: width * 0.8 / Math.max(1, a.data.length), height: chart.getHeight(),
    longest: Math.max(...a.data.map(d => ctx.measureText(typeof d === 'object' ? d.value : d).width)),
    count: a.data.length }));
}"""


# the charts of web/charts.py and of the fund report (funds/documents.py), both through documents.category_axis
@pytest.mark.parametrize("path", ["/simulation-result", "/", "/reports/fund-operation"])
def test_charts_have_labels_that_do_not_overlap(page, path):
    if path == "/simulation-result":
        test_run_a_simulation(page)
    else:
        page.goto(path)
        assert_charts_drawn(page, 1)
    charts = page.locator("[data-chart][data-ready]")
    for index in range(charts.count()):
        for axis in charts.nth(index).evaluate(CHART_LABELS):
            assert axis["interval"] == 0, (path, index, axis)  # every label shown …
            if axis["horizontal"]:
                # … and turned when it would not fit side by side (a turned label needs a line's height)
                fits = axis["longest"] <= axis["slot"] if not axis["rotate"] else axis["slot"] >= 14
                assert fits, (path, index, axis, charts.nth(index).get_attribute("data-option")[:300])
            else:
                assert axis["height"] * 0.7 / axis["count"] >= 14, (path, index, axis)


# ---------------------------------------------------------------- 零星报销, bullet by bullet

def _reimburse(page, receipt: str, amount: str, **more) -> None:
    page.goto("/reimbursements/new?psn_no=GX0001")
    page.fill("#f-fixmedins_code", "H37152500001")
    page.fill("#f-begndate", more.get("begin", "2018-10-01"))
    page.fill("#f-enddate", more.get("end", "2018-10-03"))
    page.select_option("#f-reason", "offsite")
    page.fill("#f-receipt_no", receipt)
    page.fill("#f-item_code_0", more.get("item", "T000002"))
    page.fill("#f-item_amount_0", amount)
    for field, value in more.get("fields", {}).items():
        page.fill(f"#f-{field}", value)
    page.click("#reimburse-form button[type=submit]")
    page.wait_for_load_state()


def _manual_payments(receipt: str) -> int:
    from sqlalchemy import func, select
    from tongchou.access.models import ManualClaim
    return STORES["served"].read(lambda s: s.execute(select(func.count()).select_from(ManualClaim)
                                                     .where(ManualClaim.receipt_no == receipt)).scalar_one())


def test_reimbursement_pays_a_receipt_once(page):
    _reimburse(page, "PJ-VIL-1", "30.00")
    page.wait_for_url("**/settlements/MR*")
    _reimburse(page, "PJ-VIL-1", "30.00")
    assert "已报销" in page.inner_text("main") and "本次未再支付" in page.inner_text("main")
    shot(page, "06c-reimbursement-duplicate")
    assert _manual_payments("PJ-VIL-1") == 1


def test_concurrent_resubmission_of_a_receipt_pays_once(page):
    """Two submissions of one receipt sent at the same moment from the page (two fetches at once)."""
    page.goto("/reimbursements/new?psn_no=GX0001")
    statuses = page.evaluate("""async () => {
      const token = document.querySelector('meta[name="csrf-token"]').content;
      const body = () => new URLSearchParams({csrf_token: token, psn_no: 'GX0001', insutype: '390',
        fixmedins_code: 'H37152500001', med_type: '21', begndate: '2018-10-05', enddate: '2018-10-06',
        reason: 'system', receipt_no: 'PJ-TWICE-1', item_code_0: 'T000002', item_amount_0: '80.00'});
      const send = () => fetch('/reimbursements', {method: 'POST', body: body(), redirect: 'manual'});
      const answers = await Promise.all([send(), send(), send()]);
      return answers.map(a => a.type === 'opaqueredirect' ? 303 : a.status);
    }""")
    assert sorted(statuses) == [303, 409, 409], statuses
    assert _manual_payments("PJ-TWICE-1") == 1


def test_reimbursement_refuses_absurd_amounts_and_dates_in_chinese(page):
    _reimburse(page, "PJ-HUGE-1", "99999999999.99")
    assert "超过单张票据上限" in page.inner_text("#e-item_amount_0")
    _reimburse(page, "PJ-FUTURE-1", "10.00", begin="2019-03-01", end="2019-03-02")
    assert "晚于今天" in page.inner_text("#e-begndate")
    _reimburse(page, "PJ-OLD-1", "10.00", begin="2017-06-01", end="2017-06-02")
    assert "不在张三城乡居民基本医疗保险的参保期内" in page.inner_text("#e-begndate")
    assert ascii_words(page.inner_text("main")) == set()
    shot(page, "06d-reimbursement-refused")
    assert _manual_payments("PJ-HUGE-1") + _manual_payments("PJ-FUTURE-1") + _manual_payments("PJ-OLD-1") == 0


def test_a_large_reimbursement_needs_a_reviewer(page):
    _reimburse(page, "PJ-LARGE-1", "15000.00")
    assert "须由复核人" in page.inner_text("#e-review_username")
    _reimburse(page, "PJ-LARGE-1", "15000.00", fields={"review_username": "reviewer_a",
                                                       "review_password": PASSWORD})
    page.wait_for_url("**/settlements/MR*")
    assert "复核人reviewer_a" in page.inner_text("main")


def test_a_zero_payment_says_the_fund_pays_nothing_and_why(page):
    _reimburse(page, "PJ-ZERO-1", "200.00", item="T000003")
    page.wait_for_url("**/settlements/MR*")
    verdict = page.inner_text("#verdict")
    assert verdict.startswith("基金不予支付") and "不在医保支付范围内" in verdict
    assert "结算完成" not in page.inner_text("main")
    shot(page, "06e-reimbursement-zero")


def test_the_hint_names_the_regions_institutions(page):
    page.goto("/reimbursements/new")
    assert "H37152500001" in page.inner_text("#h-fixmedins_code")
    options = page.locator("#institution-codes option")
    assert options.count() >= 2 and options.first.get_attribute("value").startswith("H371525")


# ---------------------------------------------------------------- 政策测算, bullet by bullet

def test_the_console_offers_only_the_chosen_schemes_policies(page):
    page.goto("/simulation")
    resident = page.locator("#f-baseline option").all_inner_texts()
    assert any("城乡居民" in t for t in resident) and not any("职工" in t for t in resident)
    page.select_option("#f-scheme", "310")
    deadline = time.monotonic() + 10
    while "职工" not in page.inner_text("#f-baseline") and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    employee = page.locator("#f-baseline option").all_inner_texts()
    assert any("职工" in t for t in employee) and not any("城乡居民" in t for t in employee)


@pytest.mark.parametrize("baseline, candidate, year, expected", [
    ("guanxian-2018-resident", "guanxian-2018-resident", "2018", "同一项政策"),
    ("guanxian-2018-resident", "xxdistrict-2021-resident", "2016", "2016年本库没有城乡居民基本医疗保险的结算数据"),
])
def test_every_refusal_is_shown_on_the_page(page, baseline, candidate, year, expected):
    page.goto("/simulation")
    page.fill("#f-year", year)
    page.select_option("#f-baseline", baseline)
    page.select_option("#f-candidate", candidate)
    page.click("form.form button[type=submit]")
    page.wait_for_selector("#simulation-errors", timeout=60_000)
    assert expected in page.inner_text("#simulation-errors")
    shot(page, f"14c-simulation-refused-{year}")


def test_an_e_certificate_is_shown_as_a_qr_code(page):
    page.goto("/persons/GX0001")
    page.click("form[action='/persons/GX0001/ecert'] button")
    page.wait_for_selector("svg")
    text = page.inner_text("body")
    assert "5分钟" in text and "371525199001011234" not in page.content()
    shot(page, "16-ecert")


# ---------------------------------------------------------------- 门诊慢特病申报: apply → approve → the person page

SHOTS = Path("/tmp/fo-filings-shots")
FILING_DOCS = ["近三年住院病历及相关检查单据", "医保卡", "居民身份证"]


def _sign_in_as(page, username: str) -> None:
    page.goto("/")
    if page.locator("form[action='/logout'] button").count():
        page.click("form[action='/logout'] button")
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def _filing_shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    shot(page, f"17-{name}")


def test_a_chronic_filing_applied_at_the_health_centre_and_approved_by_the_county(page):
    import datetime as dt

    from tongchou.access.users import UserService

    users = UserService(STORES["served"])
    users.add("township_wang", PASSWORD, "county_clerk", display_name="王芳", county="371525")
    users.add("county_li", PASSWORD, "county_reviewer", display_name="李强", county="371525")

    _sign_in_as(page, "township_wang")
    page.goto("/persons/GX0001")
    page.click("a[href='/persons/GX0001/filings/apply']")
    page.wait_for_url("**/filings/apply")
    rule = page.inner_text("section.rule")
    assert "上半年申报期（2018年3月1日至3月31日）" in rule and "今天不在申报期内" in rule
    page.select_option("#f-dise_code", label="冠心病")
    page.select_option("#f-received_at", label="冠县某镇卫生院")
    page.fill("#f-received_on", "2018-09-20")
    for index, kind in enumerate(FILING_DOCS[:2]):  # the ID card is missing
        page.set_input_files(f"#f-doc_{index}", files=[{"name": f"{index}.pdf", "mimeType": "application/pdf",
                                                        "buffer": b"%PDF-1.4 page " + bytes([index])}])
    page.click("#filing-apply button[type=submit]")
    page.wait_for_selector("#e-doc_2")
    assert page.inner_text("#e-doc_2") == "请上传居民身份证。"
    assert ascii_words(page.inner_text("body")) == set()
    for index, kind in enumerate(FILING_DOCS):
        page.set_input_files(f"#f-doc_{index}", files=[{"name": f"{index}.pdf", "mimeType": "application/pdf",
                                                        "buffer": b"%PDF-1.4 page " + bytes([index])}])
    page.select_option("#f-dise_code", label="冠心病")
    page.select_option("#f-received_at", label="冠县某镇卫生院")
    page.fill("#f-received_on", "2018-09-20")
    _filing_shot(page, "01-apply")
    page.click("#filing-apply button[type=submit]")
    page.wait_for_selector("p.ok")
    assert "门诊慢特病申报已受理" in page.inner_text("main") and "材料3份已存档" in page.inner_text("main")

    _sign_in_as(page, "county_li")
    page.goto("/filings")
    card = page.locator("article.application").first
    text = card.inner_text()
    assert "张三" in text and "冠心病" in text and "王芳" in text and "下半年申报期" in text
    assert card.locator("a[href^='/dossier/']").count() == 3
    assert ascii_words(page.inner_text("body")) == set()
    _filing_shot(page, "02-queue")
    card.locator("form[action$='/approve'] button").click()
    page.wait_for_selector("p.ok")
    approved_on = TODAY  # the console's today; valid for 12 months from it (the example policy)
    valid_to = approved_on.replace(year=approved_on.year + 1) - dt.timedelta(days=1)
    assert f"有效期{approved_on.isoformat()}至{valid_to.isoformat()}" in page.inner_text("main")
    _filing_shot(page, "03-approved")

    page.goto("/persons/GX0001")
    row = page.locator("#filings tbody tr", has_text="冠心病")
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "门诊慢特病备案" and cells[3] == approved_on.isoformat()
    assert cells[4] == f"{approved_on.isoformat()}至{valid_to.isoformat()}" and cells[5] == "有效"
    applied = page.locator("#applications tbody tr").first.inner_text()
    assert "已审批通过" in applied and "王芳" in applied and "李强" in applied
    assert page.locator("table.dossier tbody tr", has_text="门诊慢特病申报").count() == 3
    assert ascii_words(page.inner_text("body")) == set()
    page.locator("#filings").scroll_into_view_if_needed()
    _filing_shot(page, "04-person")

    page.goto("/filings/renewals?year=2018&within=30")
    listed = page.locator("#renewals tbody tr").all_inner_texts()
    assert any("张三" in r and "高血压病三期" in r for r in listed)  # the fixture's filing ends 31 December
    _filing_shot(page, "05-renewals")
    _sign_in_as(page, "admin")

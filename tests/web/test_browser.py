"""The console in a real browser (the machine's Chromium via Playwright): sign in, open every page,
search a person and open a settlement's explanation, file a manual reimbursement, run a
simulation, check that every chart drew on its canvas; a screenshot of each page is kept under
test-artifacts/console/. Without Chromium the tests are skipped locally and FAIL under CI."""

from __future__ import annotations

import os
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


def test_run_a_simulation(page):
    page.goto("/simulation")
    page.fill("#f-year", "2018")
    page.select_option("#f-baseline", "guanxian-2018-resident")
    page.select_option("#f-candidate", "xxdistrict-2021-resident")
    page.click("form.form button[type=submit]")
    page.wait_for_selector("#simulation-result table", timeout=60_000)
    assert_charts_drawn(page, 2)
    shot(page, "14-simulation")


def test_no_script_errors(page):
    assert not [e for e in page.errors if "Content Security Policy" in e or "Refused" in e], page.errors

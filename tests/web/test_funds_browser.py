"""The fund pages in a real browser on a demo-like region (绍兴, six counties, both schemes, every fund
the demo books): the city administrator, a county clerk and a county fund officer of 新昌县 sign in, and
the dashboard, the fund operation report (each scheme) and the budgets page are read and compared with
figures computed here by SQL over the store's own rows (settlements, enrolments, postings, budgets) —
never through the code under test. Screenshots (1366×768, whole page) go to test-artifacts/funds/."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from tests.web.test_browser import ARGS, CHROMIUM, VIEWPORT, _require_browser, serving

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "funds"
PASSWORD = "Funds-browser-2018"
XINCHANG = "330624"
YEAR = 2018
H1 = ("2018-01-01", "2018-06-30")
POOL_TITLES = ("bank", "bank_deposit", "due_to_institution", "due_to_insurer", "account_holder", "quality_reserve")
SOURCE_TITLES = ("revenue_individual", "revenue_employer", "revenue_subsidy", "revenue_subsidy_central",
                 "revenue_subsidy_provincial", "revenue_subsidy_city", "revenue_subsidy_county")
REVENUE_TITLES = SOURCE_TITLES + ("revenue_interest", "revenue_other")
EXPENSE_TITLES = ("expense_benefit", "expense_premium")
USERS = {"admin": ("city_admin", None), "xc_clerk": ("county_clerk", XINCHANG),
         "xc_fund": ("county_fund_officer", XINCHANG)}


# ---------------------------------------------------------------- the region and the server

@pytest.fixture(scope="module")
def demo_region(tmp_path_factory):
    _require_browser()
    from rich.console import Console

    from tongchou.access.users import UserService
    from tongchou.demo.pipeline import DemoOptions, run_demo
    from tongchou.store.uow import Store

    out = tmp_path_factory.mktemp("funds-demo")
    result = run_demo(DemoOptions(out=out, insured=1000, live_visits=0), Console(quiet=True))
    store = Store.open(result.db_url)
    try:
        users = UserService(store)
        for name, (role, county) in USERS.items():
            users.add(name, PASSWORD, role, display_name=f"测试{name}", county=county)
    finally:
        store.close()
    return result.db_url


@pytest.fixture(scope="module")
def server(demo_region):
    from tongchou.policy.registry import Registry
    from tongchou.store.crypto import cipher_from_environment
    from tongchou.store.uow import Store
    from tongchou.web.app import create_app

    store = Store.open(demo_region)
    app = create_app(store, Registry.load(), cipher=cipher_from_environment(), today=lambda: dt.date(YEAR, 12, 31))
    with serving(app) as url:
        yield url
    store.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium, server
        chromium.close()


def signed_in(browser, username: str):
    chromium, server = browser
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", base_url=server)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    return page


def shot(page, name: str) -> None:
    """The whole page as 1366×768 screens, top to bottom: name-1.png, name-2.png, …"""
    height = page.evaluate("document.documentElement.scrollHeight")
    for number, top in enumerate(range(0, height, VIEWPORT["height"]), start=1):
        clip = {"x": 0, "y": top, "width": VIEWPORT["width"], "height": min(VIEWPORT["height"], height - top)}
        page.screenshot(path=str(ARTIFACTS / f"{name}-{number}.png"), full_page=True, clip=clip)


# ---------------------------------------------------------------- figures from the store's rows (SQL)

class Rows:
    """Sums over the SQLite store's tables, written here independently of the code under test."""

    def __init__(self, url: str):
        self.db = sqlite3.connect(url.removeprefix("sqlite:///"))

    def one(self, sql: str, *params) -> int:
        return int(self.db.execute(sql, params).fetchone()[0] or 0)

    def postings(self, fund: str, county: str | None, titles, value: str, start: str | None, end: str,
                 causes=None) -> int:
        sql = (f"SELECT SUM({value}) FROM posting p JOIN journal_entry e ON e.id = p.entry_id WHERE p.fund = ? "
               f"AND p.title IN ({','.join('?' * len(titles))}) AND e.booked_on <= ?")
        params = [fund, *titles, end]
        if start:
            sql += " AND e.booked_on >= ?"
            params.append(start)
        if county:
            sql += " AND p.county = ?"
            params.append(county)
        if causes:
            sql += f" AND e.cause_type IN ({','.join('?' * len(causes))})"
            params += list(causes)
        return self.one(sql, *params)

    def balance(self, fund, county, on="2018-12-31") -> int:
        return self.postings(fund, county, POOL_TITLES, "p.debit - p.credit", None, on)

    def revenue(self, fund, county, on="2018-12-31") -> int:
        return self.postings(fund, county, REVENUE_TITLES, "p.credit - p.debit", f"{YEAR}-01-01", on)

    def expenditure(self, fund, county, on="2018-12-31") -> int:
        return self.postings(fund, county, EXPENSE_TITLES, "p.debit - p.credit", f"{YEAR}-01-01", on)

    def transfers_in(self, fund, county) -> int:
        return self.postings(fund, county, ("revenue_transfer_in",), "p.credit - p.debit", f"{YEAR}-01-01",
                             f"{YEAR}-12-31")

    def fund_paid(self, insutype: str, county: str | None, start: str, end: str) -> int:
        sql = ("SELECT SUM(hifp_pay) FROM settlement WHERE insutype = ? AND enddate BETWEEN ? AND ? "
               "AND setl_id NOT IN (SELECT setl_id FROM settlement_cancellation)")
        params = [insutype, start, end]
        if county:
            sql += " AND county = ?"
            params.append(county)
        return self.one(sql, *params)

    def insured(self, insutype: str, county: str | None) -> int:
        sql = ("SELECT COUNT(DISTINCT psn_no) FROM enrolment WHERE insutype = ? AND start <= ? "
               "AND (\"end\" IS NULL OR \"end\" >= ?)")
        params = [insutype, f"{YEAR}-12-31", f"{YEAR}-01-01"]
        if county:
            sql += " AND county = ?"
            params.append(county)
        return self.one(sql, *params)

    def usable(self, insutype: str, county: str | None) -> tuple[int, int]:
        """(total funding, usable) of the scheme's pooled fund in the year."""
        year = (f"{YEAR}-01-01", f"{YEAR}-12-31")
        if insutype == "390":
            total = self.postings("resident_pooled", county, SOURCE_TITLES, "p.credit - p.debit", *year,
                                  causes=("contribution", "subsidy"))
            earmarked = self.postings("resident_pooled", county, ("expense_premium", "expense_transfer_out"),
                                      "p.debit - p.credit", *year, causes=("premium",))
            return total, total - earmarked
        pooled = self.postings("employee_pooled", county, SOURCE_TITLES, "p.credit - p.debit", *year,
                               causes=("contribution",))
        accounts = self.postings("personal_account", county, ("account_holder",), "p.credit", *year,
                                 causes=("contribution",))
        return pooled + accounts, pooled

    def budget(self, fund: str, county: str) -> int:
        return self.one("SELECT expenditure FROM fund_budget WHERE year = ? AND fund = ? AND county = ?",
                        YEAR, fund, county)

    def counties(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT admdvs, name FROM county").fetchall())


@pytest.fixture(scope="module")
def rows(demo_region):
    found = Rows(demo_region)
    yield found
    found.db.close()


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def wan(fen: int) -> str:
    return f"{(Decimal(fen) / 1_000_000).quantize(Decimal('0.01'), ROUND_HALF_UP)}万元"


def pct(numerator: int, denominator: int) -> str:
    return f"{(Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal('0.01'), ROUND_HALF_UP)}%"


def cells(page, selector: str) -> list[str]:
    return [c.strip() for c in page.locator(selector).all_inner_texts()]


# ---------------------------------------------------------------- dashboard

FUNDS_WITH_INCOME = ("resident_pooled", "employee_pooled", "critical_illness", "medical_assistance", "civil_servant")


def check_dashboard(page, rows: Rows, counties: list[str]) -> None:
    page.goto("/?on=2018-12-31")
    shown = page.locator("#balances tbody tr")
    assert shown.count() > 0
    seen = set()
    for index in range(shown.count()):
        row = shown.nth(index)
        fund, county = row.get_attribute("data-fund"), row.get_attribute("data-county")
        seen.add((fund, county))
        scope = None if county == "pool" else county
        values = cells(row, "td")
        assert values[2] == yuan(rows.balance(fund, scope)), (fund, county, values)
        assert values[3] == yuan(rows.revenue(fund, scope)), (fund, county, values)
        assert values[4] == yuan(rows.transfers_in(fund, scope)), (fund, county, values)
        assert values[5] == yuan(rows.expenditure(fund, scope)), (fund, county, values)
    for county in counties:
        for fund in FUNDS_WITH_INCOME:
            spent = rows.expenditure(fund, county)
            if spent:  # every fund that pays has its income (revenue or an earmarked transfer in)
                assert (fund, county) in seen
                assert rows.revenue(fund, county) + rows.transfers_in(fund, county) > 0, (fund, county)
    assert {county for _, county in seen} <= set(counties) | {"pool"}


def test_city_administrator_dashboard(browser, rows):
    page = signed_in(browser, "admin")
    check_dashboard(page, rows, sorted(rows.counties()))
    warnings = page.locator("table:has(caption:text('早期预警指标')) tbody tr")
    assert warnings.count() > 0
    text = page.inner_text("main")
    for fund in ("大病保险", "医疗救助", "公务员医疗补助"):  # the side funds are not warned about as pooled funds
        assert f"{fund}基金·" not in text
    shot(page, "01-admin-dashboard")


def test_county_clerk_sees_their_county_only(browser, rows):
    page = signed_in(browser, "xc_clerk")
    check_dashboard(page, rows, [XINCHANG])
    assert "新昌县" in page.inner_text("#balances")
    for other in set(rows.counties()) - {XINCHANG}:
        assert page.locator(f"#balances tr[data-county='{other}']").count() == 0
    shot(page, "02-clerk-dashboard")
    assert page.goto("/reports/fund-operation").status == 403  # a clerk's role has no report.view


# ---------------------------------------------------------------- the fund operation report, per scheme

def check_report(page, rows: Rows, insutype: str, county: str | None, name: str) -> None:
    page.goto(f"/reports/fund-operation?insutype={insutype}&start={H1[0]}&end={H1[1]}")
    title = page.inner_text("h1")
    assert title.startswith(name), title
    text = page.inner_text("main")
    insured = rows.insured(insutype, county)
    total, usable = rows.usable(insutype, county)
    paid = rows.fund_paid(insutype, county, *H1)
    other = rows.fund_paid("310" if insutype == "390" else "390", county, *H1)
    assert f"参保人数为{insured}人" in text
    assert f"基金总量为{wan(total)}" in text
    assert f"基金实际可用总量为{wan(usable)}" in text
    assert f"2018年上半年基金支出{wan(paid)}" in text
    assert f"基金支出进度(基金支出占可用基金)为{pct(paid, usable)}" in text
    assert f"全年基金支出将达到{wan(paid * 2)}" in text
    if other:
        assert f"基金支出{wan(paid + other)}" not in text  # never the schemes together
    assert page.locator(f"nav.tabs a[data-insutype='{insutype}'][aria-current='page']").count() == 1


def test_city_administrator_report_by_scheme(browser, rows):
    page = signed_in(browser, "admin")
    for insutype, label in (("390", "resident"), ("310", "employee")):
        started = time.perf_counter()
        check_report(page, rows, insutype, None, "绍兴市")
        assert time.perf_counter() - started < 10
        shot(page, f"03-admin-report-{label}")


def test_county_fund_officer_report_is_their_county(browser, rows):
    page = signed_in(browser, "xc_fund")
    for insutype, label in (("390", "resident"), ("310", "employee")):
        check_report(page, rows, insutype, XINCHANG, "新昌县")
        assert "绍兴市" not in page.inner_text("h1")
        shot(page, f"04-county-report-{label}")


# ---------------------------------------------------------------- budgets

def check_budgets(page, rows: Rows, counties: dict[str, str]) -> None:
    page.goto(f"/budgets?year={YEAR}&month=12")
    text = page.inner_text("main")
    for fund, fund_name in (("resident_pooled", "居民医保统筹基金"), ("employee_pooled", "职工医保统筹基金")):
        table = page.locator(f"table:has(caption:text('{fund_name}预算执行情况表'))")
        assert table.count() == 1, fund_name
        body = {row[0]: row for row in (cells(r, "td") for r in table.locator("tbody tr").all())}
        for county, county_name in counties.items():
            plan, spent = rows.budget(fund, county), rows.expenditure(fund, county)
            row = body[f"{county_name}（{county}）"]
            assert row[4] == yuan(plan) and row[5] == yuan(spent), (fund, county, row)
            assert row[6] == pct(spent, plan), (fund, county, row)
            assert plan > 0 and row[4] != "0.00"
    assert "长株潭" not in text or "不适用于本统筹区" in text


def test_city_administrator_budgets(browser, rows):
    page = signed_in(browser, "admin")
    check_budgets(page, rows, rows.counties())
    assert "不适用于本统筹区" in page.inner_text("#risk-note")
    shot(page, "05-admin-budgets")


def test_county_fund_officer_budgets(browser, rows):
    page = signed_in(browser, "xc_fund")
    check_budgets(page, rows, {XINCHANG: rows.counties()[XINCHANG]})
    shot(page, "06-county-budgets")


def test_no_english_fund_words(browser, rows):
    page = signed_in(browser, "admin")
    for path in ("/?on=2018-12-31", f"/reports/fund-operation?start={H1[0]}&end={H1[1]}", "/budgets?year=2018"):
        page.goto(path)
        words = set(re.findall(r"[A-Za-z_]{4,}", page.inner_text("main")))
        assert not words & {"subsidy", "premiums", "personal_account", "employer", "individual", "pool"}, (path, words)

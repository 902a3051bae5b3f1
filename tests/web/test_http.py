"""The console over plain HTTP: sign-in, lockout, session expiry, CSRF, permissions and county scope,
masking, secure headers, forms, and every page answering."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.web.conftest import client_for, csrf_of, sign_in
from tests.web.region import ID_NUMBERS, PASSWORD
from tongchou.access.models import ManualClaim
from tongchou.store import models as m

PAGES = ["/", "/persons?q=GX0001", "/persons?q=张", "/persons?q=371525199001011234", "/persons/GX0001",
         "/persons/GX0002", "/settlements/S-A1", "/settlements/S-B1", "/persons/GX0001/enrol",
         "/persons/GX0001/filings/new", "/reimbursements/new", "/institutions", "/institutions/H37152500001",
         "/institutions/H37152500001?month=2018-03", "/reports/fund-operation", "/budgets", "/policies",
         "/policies/guanxian-2018-resident",
         "/policies/diff?left=xxdistrict-2020-resident-previous@1&right=xxdistrict-2021-resident@1",
         "/simulation", "/supervision"]


@pytest.fixture
def admin(console):
    client = client_for(console)
    assert sign_in(client, "admin").status_code == 303
    return client


def test_every_page_answers_in_chinese_without_an_unmasked_id_number(admin):
    for path in PAGES:
        response = admin.get(path)
        assert response.status_code == 200, path
        assert 'lang="zh-CN"' in response.text
        for number in ID_NUMBERS:
            assert number not in response.text, path
    assert "371525********1234" in admin.get("/persons/GX0001").text


def test_a_page_without_a_session_goes_to_sign_in(console):
    response = client_for(console).get("/persons/GX0001", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/persons/GX0001"


def test_secure_headers(console):
    response = client_for(console).get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "http" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_sign_in_without_the_form_token_is_refused(console):
    client = client_for(console)
    client.get("/login")
    response = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "forged"},
                           follow_redirects=False)
    assert response.status_code == 403 and "tongchou_session" not in response.cookies


def test_a_post_without_the_session_csrf_token_is_refused(admin):
    form = {"psn_no": "GX0001", "insutype": "390", "fixmedins_code": "H37152500001", "med_type": "21",
            "begndate": "2018-07-01", "enddate": "2018-07-03", "reason": "offsite", "item_code_0": "T000002",
            "item_amount_0": "100.00"}
    refused = admin.post("/reimbursements", data=form, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert admin.post("/reimbursements", data={**form, "csrf_token": "wrong"}).status_code == 403
    assert admin.post("/logout", follow_redirects=False).status_code == 403


def test_five_failures_lock_the_account_for_fifteen_minutes(console, clock):
    client = client_for(console)
    for _ in range(5):
        assert sign_in(client, "clerk_a", "wrong-password-1").status_code == 401
    locked = sign_in(client, "clerk_a")
    assert locked.status_code == 401 and "锁定" in locked.text
    clock.advance(minutes=14)
    assert sign_in(client, "clerk_a").status_code == 401
    clock.advance(minutes=2)
    assert sign_in(client, "clerk_a").status_code == 303


def test_unknown_user_and_wrong_password_read_the_same(console):
    client = client_for(console)
    assert "用户名或密码不正确" in sign_in(client, "nobody").text
    assert "用户名或密码不正确" in sign_in(client, "admin", "wrong-password-1").text


def test_sessions_expire_when_idle_and_end_at_sign_out(console, clock):
    client = client_for(console)
    sign_in(client, "admin")
    assert client.get("/", follow_redirects=False).status_code == 200
    clock.advance(minutes=31)
    assert client.get("/", follow_redirects=False).status_code == 303
    sign_in(client, "admin")
    token = csrf_of(client)
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_county_clerk_cannot_see_another_countys_person(console):
    client = client_for(console)
    sign_in(client, "clerk_b")  # 371599; GX0001 belongs to 371525
    assert client.get("/persons/GX0001").status_code == 404
    assert client.get("/settlements/S-A1").status_code == 404
    assert client.get("/persons/GX0001/enrol").status_code == 404
    for query in ("GX0001", "张三", "371525199001011234"):
        page = client.get("/persons", params={"q": query}).text
        assert 'href="/persons/GX0001"' not in page and "张三" not in page.split('id="results"')[1] and "没有找到" in page
    assert client.get("/persons/GX0002").status_code == 200
    assert client.get("/settlements/S-B1").status_code == 200


def test_a_county_clerk_sees_only_the_own_countys_books(console):
    client = client_for(console)
    sign_in(client, "clerk_a")
    page = client.get("/").text
    assert "冠县示范区" not in page and "全统筹区" not in re.sub(r"<header.*?</header>", "", page, flags=re.S)


def test_roles_are_checked_on_every_route(console):
    client = client_for(console)
    sign_in(client, "fund")
    assert client.get("/persons?q=GX0001").status_code == 403
    assert client.get("/reimbursements/new").status_code == 403
    assert client.get("/reports/fund-operation").status_code == 200
    auditor = client_for(console)
    sign_in(auditor, "auditor")
    assert auditor.get("/persons/GX0001").status_code == 200
    token = csrf_of(auditor)
    assert auditor.post("/reimbursements", data={"csrf_token": token}).status_code == 403
    assert auditor.post("/persons/GX0001/enrol", data={"csrf_token": token}).status_code == 403
    assert auditor.get("/simulation").status_code == 403
    nav = auditor.get("/").text
    assert "零星报销" not in nav and "稽核监管" in nav


def test_manual_reimbursement_is_settled_by_the_engine_and_recorded_as_manual(console, admin):
    token = csrf_of(admin, "/reimbursements/new")
    form = {"csrf_token": token, "psn_no": "GX0001", "insutype": "390", "fixmedins_code": "H37152500001",
            "med_type": "21", "begndate": "2018-08-01", "enddate": "2018-08-05", "reason": "offsite",
            "receipt_no": "PJ-001", "item_code_0": "T000002", "item_amount_0": "2,000.00"}
    response = admin.post("/reimbursements", data=form, follow_redirects=False)
    assert response.status_code == 303
    page = admin.get(response.headers["location"]).text
    assert "零星报销（手工）" in page and "异地就医未能直接结算" in page and "2,000.00" in page
    store = console.state.console.store
    claim = store.read(lambda s: s.execute(select(ManualClaim)).scalar_one())
    assert claim.channel == "manual" and claim.entered_by == "admin"
    row = store.read(lambda s: s.execute(select(m.Settlement).where(m.Settlement.setl_id == claim.setl_id)).scalar_one())
    assert row.request_key.startswith("manual:") and row.explanation


def test_forms_say_what_is_wrong_in_chinese(admin):
    token = csrf_of(admin, "/reimbursements/new")
    response = admin.post("/reimbursements", data={"csrf_token": token, "psn_no": "GX0001", "insutype": "390",
                                                   "med_type": "21", "begndate": "2018-08-05", "enddate": "2018-08-01",
                                                   "item_code_0": "T000002", "item_amount_0": "12.345"})
    assert response.status_code == 422
    text = response.text
    for message in ("请填写就诊机构编码", "结束（出院）日期不能早于就诊（入院）日期", "请选择未能直接结算的原因",
                    "第1行金额最多两位小数"):
        assert message in text
    unknown = admin.post("/reimbursements", data={"csrf_token": token, "psn_no": "GX0001", "insutype": "390",
                                                  "fixmedins_code": "H37152500001", "med_type": "21",
                                                  "begndate": "2018-08-01", "enddate": "2018-08-01", "reason": "other",
                                                  "receipt_no": "PJ-002", "item_code_0": "NOPE", "item_amount_0": "10"})
    assert unknown.status_code == 422 and "不在医保目录内" in unknown.text


def test_enrolment_and_filing_through_the_service(admin):
    token = csrf_of(admin, "/persons/GX0011/enrol")
    done = admin.post("/persons/GX0011/enrol", data={"csrf_token": token, "year": "2018", "paid_on": "2017-12-01"})
    assert done.status_code == 200 and "已参加2018年度城乡居民医保" in done.text
    again = admin.post("/persons/GX0011/enrol", data={"csrf_token": token, "year": "2018", "paid_on": "2017-12-01"})
    assert again.status_code == 422 and "已参加2018年度" in again.text
    missing = admin.post("/persons/GX0001/filings", data={"csrf_token": token, "kind": "chronic",
                                                          "approved_on": "2018-07-01", "valid_from": "2018-07-01"})
    assert missing.status_code == 422 and "请填写病种" in missing.text
    filed = admin.post("/persons/GX0001/filings", data={"csrf_token": token, "kind": "chronic", "dise_code": "糖尿病",
                                                        "approved_on": "2018-07-01", "valid_from": "2018-07-01"},
                       follow_redirects=False)
    assert filed.status_code == 303 and "糖尿病" in admin.get("/persons/GX0001").text


def test_numbers_are_written_as_bureaus_write_them(admin):
    page = admin.get("/settlements/S-B1").text
    assert "5,600.00" in page  # 医疗费总额, 元 with two decimals and separators
    board = admin.get("/").text
    assert "尚未录入" in board and re.search(r"\d+\.\d\d%", board)


def test_institution_settlements_are_paged_on_the_server(admin):
    fragment = admin.get("/institutions/H37152500001?page=1", headers={"HX-Request": "true", "HX-Target": "settlements"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and "共 3 条" in fragment.text


def test_users_cli(tmp_path, monkeypatch):
    import typer
    from typer.testing import CliRunner

    from tongchou.store.db import upgrade
    from tongchou.web.cli import app as console_app

    root = typer.Typer()
    root.add_typer(console_app, name="console")
    root.command("noop")(lambda: None)
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(db)  # contracts.md "Store URLs": only `db upgrade` (and load, demo) create a store
    monkeypatch.setenv("TONGCHOU_CONSOLE_PASSWORD", "Demo2018pass")
    runner = CliRunner()
    added = runner.invoke(root, ["console", "users", "add", "admin", "--role", "city_admin", "--db", db])
    assert added.exit_code == 0 and "市级管理员" in added.output
    refused = runner.invoke(root, ["console", "users", "add", "c", "--role", "county_clerk", "--db", db])
    assert refused.exit_code == 2
    listed = runner.invoke(root, ["console", "users", "list", "--db", db])
    assert "admin" in listed.output and "c\t" not in listed.output

"""County scope: a county clerk cannot read or change another county's person — by id, by search, by
export or through the console — on SQLite (the service layer) and on PostgreSQL with row-level
security on (connected as `tongchou_app`), where a query that forgets the county filter still returns
no other county's rows."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from tests.security.conftest import APP_ROLE, COUNTY_A, COUNTY_B, app_store
from tests.store.support import TEST_CIPHER
from tests.web.conftest import client_for, csrf_of, sign_in
from tests.web.region import PASSWORD
from tongchou.access.users import UserService
from tongchou.audit.models import AuditEvent
from tongchou.store import models as m
from tongchou.store.export import export_claims
from tongchou.web import queries

GX1_ID = "371525199001011234"  # GX0001, county 371525 (A)


def _client(app, username):
    client = client_for(app)
    assert sign_in(client, username).status_code == 303
    return client


def _search(client, q):
    token = csrf_of(client, "/persons")
    return client.post("/persons/search", data={"q": q, "csrf_token": token}).text


def _export(client) -> list[dict]:
    token = csrf_of(client, "/exports")
    response = client.post("/exports/claims.csv", data={"csrf_token": token, "date_from": "2018-01-01",
                                                        "date_to": "2018-12-31"})
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_county_clerk_cannot_read_another_countys_person(scope_region):
    app, _owner = scope_region
    clerk = _client(app, "clerk_b")  # 371599; GX0001 is in 371525
    assert clerk.get("/persons/GX0001").status_code == 404  # object level, by id
    assert clerk.get("/settlements/S-A1").status_code == 404
    for query in ("GX0001", "张三", GX1_ID, GX1_ID.lower()):  # by search: psn_no, name, ID number
        page = _search(clerk, query)
        results = page.split('id="results"')[-1]
        assert 'href="/persons/GX0001"' not in page and "GX0001" not in results and "张三" not in results
        assert "没有找到" in results and GX1_ID not in page
    assert clerk.get("/persons", params={"q": "GX0001"}).text.count('href="/persons/GX0001"') == 0
    rows = _export(clerk)  # by export
    assert {r["psn_no"] for r in rows} == {"GX0002"} and {r["county_admdvs"] for r in rows} == {COUNTY_B}
    assert clerk.get("/persons/GX0002").status_code == 200 and clerk.get("/settlements/S-B1").status_code == 200
    city = _client(app, "admin")
    assert {r["psn_no"] for r in _export(city)} == {"GX0001", "GX0002"}


def test_a_county_clerk_cannot_change_another_countys_person(scope_region):
    app, owner = scope_region
    clerk = _client(app, "clerk_b")
    token = csrf_of(clerk, "/persons/GX0002")
    assert clerk.post("/persons/GX0001/enrol", data={"csrf_token": token, "year": "2019",
                                                      "paid_on": "2018-12-01"}).status_code == 404
    assert clerk.post("/persons/GX0001/filings", data={"csrf_token": token, "kind": "chronic", "dise_code": "x",
                                                        "approved_on": "2018-12-01",
                                                        "valid_from": "2018-12-01"}).status_code == 404
    assert clerk.post("/persons/GX0001/unmask", data={"csrf_token": token, "reason": "identity_check"}
                      ).status_code == 404
    form = {"csrf_token": token, "psn_no": "GX0001", "insutype": "390", "fixmedins_code": "H37152500001",
            "med_type": "11", "begndate": "2018-12-01", "enddate": "2018-12-01", "reason": "system",
            "receipt_no": "PJ-SCOPE-1", "item_code_0": "T000002", "item_amount_0": "100.00"}
    response = clerk.post("/reimbursements", data=form)
    assert response.status_code == 422 and "不在您的管辖范围内" in response.text
    counts = owner.read(lambda s: (s.query(m.Enrolment).filter_by(psn_no="GX0001").count(),
                                   s.query(m.Filing).filter_by(psn_no="GX0001").count(),
                                   s.query(m.Settlement).filter_by(psn_no="GX0001").count()))
    assert counts == (1, 1, 1)  # nothing written
    denied = owner.read(lambda s: list(s.execute(select(AuditEvent.action).where(
        AuditEvent.actor == "clerk_b", AuditEvent.outcome == "not_found")).scalars()))
    assert {"person.enrol", "person.file", "person.unmask", "reimbursement.manual"} <= set(denied)


def test_the_own_countys_clerk_works_under_the_scope(scope_region):
    """Enrolment, filing and manual reimbursement through the scoped services (on PostgreSQL under RLS)."""
    app, owner = scope_region
    clerk = _client(app, "clerk_a")
    token = csrf_of(clerk, "/persons/GX0011")
    response = clerk.post("/persons/GX0011/enrol", data={"csrf_token": token, "year": "2018",
                                                          "paid_on": "2017-12-01"})
    assert response.status_code == 200 and "已参加2018年度" in response.text
    response = clerk.post("/persons/GX0001/filings", data={"csrf_token": token, "kind": "referral",
                                                            "target": "省立医院", "approved_on": "2018-12-01",
                                                            "valid_from": "2018-12-01"}, follow_redirects=False)
    assert response.status_code == 303
    form = {"csrf_token": token, "psn_no": "GX0001", "insutype": "390", "fixmedins_code": "H37152500001",
            "med_type": "11", "begndate": "2018-12-01", "enddate": "2018-12-01", "reason": "system",
            "receipt_no": "PJ-SCOPE-2", "item_code_0": "T000002", "item_amount_0": "100.00"}
    response = clerk.post("/reimbursements", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert clerk.get(response.headers["location"]).status_code == 200
    actions = owner.read(lambda s: list(s.execute(select(AuditEvent.action).where(
        AuditEvent.actor == "clerk_a", AuditEvent.outcome == "ok")).scalars()))
    assert {"person.enrol", "person.file", "reimbursement.manual", "settlement.view"} <= set(actions)


def test_a_chronic_filing_is_applied_and_approved_under_the_scope(scope_region):
    """门诊慢特病申报 through the scoped services (on PostgreSQL under RLS): the application, its documents and the
    approval in county A; county B's reviewer sees none of it."""
    app, owner = scope_region
    for name, county in (("reviewer_a", COUNTY_A), ("reviewer_b", COUNTY_B)):
        UserService(owner).add(name, PASSWORD, "county_reviewer", county=county)
    clerk = _client(app, "clerk_a")
    token = csrf_of(clerk, "/persons/GX0001/filings/apply")
    kinds = ["近三年住院病历及相关检查单据", "医保卡", "居民身份证"]
    data = {"csrf_token": token, "dise_code": "GX-MB21", "received_at": "H37152500002", "received_on": "2018-09-20",
            **{f"doc_{i}_kind": kind for i, kind in enumerate(kinds)}}
    files = {f"doc_{i}": (f"{i}.pdf", b"%PDF-1.4 " + bytes([i]), "application/pdf") for i in range(3)}
    response = clerk.post("/persons/GX0001/filings/apply", data=data, files=files)
    assert response.status_code == 200 and "已受理" in response.text, response.text
    other = _client(app, "reviewer_b")
    assert "张三" not in other.get("/filings").text
    assert other.post("/filings/1/approve", data={"csrf_token": csrf_of(other, "/filings")}).status_code == 422
    reviewer = _client(app, "reviewer_a")
    page = reviewer.get("/filings").text
    assert "张三" in page and page.count("/dossier/") == 3
    response = reviewer.post("/filings/1/approve", data={"csrf_token": csrf_of(reviewer, "/filings")})
    assert response.status_code == 200 and "已审批通过" in response.text
    assert owner.read(lambda s: s.get(m.FilingApplication, 1).state) == "approved"


def test_export_service_is_limited_to_the_county(scope_region, tmp_path):
    _app, owner = scope_region
    out = tmp_path / "claims.csv"
    assert export_claims(owner, out, county=COUNTY_B) == 1
    text_out = out.read_text(encoding="utf-8")
    assert "GX0002" in text_out and "GX0001" not in text_out and GX1_ID not in text_out
    assert export_claims(owner, out) == 2


# ---------------------------------------------------------------- PostgreSQL row-level security

def _pg_only(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("row-level security is PostgreSQL's")


def test_rls_hides_other_countys_rows_from_a_query_without_a_county_filter(scope_region, db_url):
    _pg_only(db_url)
    store = app_store(db_url).scoped(COUNTY_B)
    try:
        persons = store.read(lambda s: list(s.execute(select(m.Person.psn_no, m.Person.county)).all()))
        assert persons and {county for _, county in persons} == {COUNTY_B}
        settlements = store.read(lambda s: list(s.execute(select(m.Settlement.psn_no)).scalars()))
        assert settlements == ["GX0002"]
        # the console's own reads with the code-level filter forgotten (scope None) still see nothing
        assert store.read(lambda s: queries.person(s, None, "GX0001")) is None
        assert store.read(lambda s: queries.search_persons(s, None, name="张")) == []
        assert store.read(lambda s: queries.settlement_file(s, None, "S-A1")) is None
        for model in (m.Enrolment, m.Filing, m.Visit, m.FeeItem, m.YearStateRow, m.JournalEntry, m.Posting):
            counties = store.read(lambda s: set(s.execute(select(model.county)).scalars()))
            assert counties <= {COUNTY_B}, model.__tablename__
        # city-wide (no county set) sees both
        city = app_store(db_url)
        assert {c for _, c in city.read(lambda s: s.execute(select(m.Person.psn_no, m.Person.county)).all())} \
            == {COUNTY_A, COUNTY_B}
        city.close()
    finally:
        store.close()


def test_rls_refuses_changes_to_other_countys_rows(scope_region, db_url):
    _pg_only(db_url)
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            with connection.begin():
                connection.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
                connection.execute(text("SELECT set_config('tongchou.county', :c, true)"), {"c": COUNTY_B})
                changed = connection.execute(text("UPDATE person SET name = 'x' WHERE psn_no = 'GX0001'")).rowcount
                assert changed == 0
                assert connection.execute(text("SELECT count(*) FROM person WHERE county = :c"),
                                          {"c": COUNTY_A}).scalar() == 0
                assert connection.execute(text("SELECT current_user")).scalar() == APP_ROLE
        with pytest.raises(DBAPIError, match="row-level security"):
            with engine.connect() as connection:
                with connection.begin():
                    connection.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
                    connection.execute(text("SELECT set_config('tongchou.county', :c, true)"), {"c": COUNTY_B})
                    connection.execute(text("INSERT INTO person (psn_no, name, county, psn_type, assistance, "
                                            "contribution_years) VALUES ('X1', 'x', :a, '1501', '[]', 0)"),
                                       {"a": COUNTY_A})
        with engine.connect() as connection:  # the setting is transaction-local: nothing leaks to the next use
            assert connection.execute(text("SELECT coalesce(current_setting('tongchou.county', true), '')")
                                      ).scalar() == ""
    finally:
        engine.dispose()
    owner = scope_region[1]
    assert owner.read(lambda s: s.get(m.Person, "GX0001").name) == "张三"


def test_rls_policies_cover_the_county_tables(scope_region, db_url):
    _pg_only(db_url)
    from tongchou.store.migrations.versions import __path__ as versions  # noqa: F401
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            enabled = set(connection.execute(text(
                "SELECT relname FROM pg_class WHERE relrowsecurity AND relkind = 'r'")).scalars())
            roles = set(connection.execute(text("SELECT DISTINCT unnest(roles)::text FROM pg_policies")).scalars())
    finally:
        engine.dispose()
    assert {"person", "enrolment", "filing", "settlement", "fee_item", "visit", "institution", "journal_entry",
            "posting", "year_state", "console_manual_claim", "filing_application"} <= enabled
    assert roles == {APP_ROLE}


def test_scoped_store_sets_nothing_on_sqlite(tmp_path):
    from tongchou.store.testing import create_sqlite_database
    url = create_sqlite_database(tmp_path)
    store = app_store(url).scoped(COUNTY_B)
    assert store.read(lambda s: s.execute(text("SELECT 1")).scalar()) == 1
    store.close()  # a scoped store leaves the shared engine open
    assert TEST_CIPHER.key_id

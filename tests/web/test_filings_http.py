"""门诊慢特病申报 in the console over HTTP: received by a clerk with the documents, approved by the county
reviewer (never by whoever received it), shown on the person's page; the renewal list and its CSV."""

from __future__ import annotations

import pytest

from tests.web.conftest import client_for, csrf_of, sign_in

PDF = b"%PDF-1.4 a scanned page"
DOCS = ["近三年住院病历及相关检查单据", "医保卡", "居民身份证"]


def _client(console, username):
    client = client_for(console)
    assert sign_in(client, username).status_code == 303
    return client


def _apply(client, psn_no="GX0001", received_on="2018-09-20", dise="GX-MB21", files=None):
    token = csrf_of(client, f"/persons/{psn_no}/filings/apply")
    data = {"csrf_token": token, "dise_code": dise, "received_at": "H37152500002", "received_on": received_on}
    for i, kind in enumerate(DOCS):
        data[f"doc_{i}_kind"] = kind
    if files is None:
        files = {f"doc_{i}": (f"{i}.pdf", PDF + bytes([i]), "application/pdf") for i in range(len(DOCS))}
    return client.post(f"/persons/{psn_no}/filings/apply", data=data, files=files)


def test_apply_then_approve_then_the_person_page(console):
    clerk = _client(console, "clerk_a")
    page = clerk.get("/persons/GX0001/filings/apply")
    assert page.status_code == 200 and "上半年申报期（2018年3月1日至3月31日）" in page.text
    assert "今天不在申报期内" in page.text and all(kind in page.text for kind in DOCS)
    missing = _apply(clerk, files={"doc_0": ("0.pdf", PDF, "application/pdf")})
    assert missing.status_code == 422 and "请上传医保卡。" in missing.text
    outside = _apply(clerk, received_on="2018-10-08")
    assert outside.status_code == 422 and "2018年10月8日不在门诊慢特病申报期内" in outside.text
    done = _apply(clerk)
    assert done.status_code == 200 and "已受理（申请第1号）" in done.text and "材料3份已存档" in done.text
    token = csrf_of(clerk, "/filings")
    assert clerk.post("/filings/1/approve", data={"csrf_token": token}).status_code == 403  # a clerk cannot approve

    reviewer = _client(console, "reviewer_a")
    queue = reviewer.get("/filings")
    assert queue.status_code == 200 and "申请第1号" in queue.text and "冠心病" in queue.text
    assert queue.text.count("/dossier/") == 3
    approved = reviewer.post("/filings/1/approve", data={"csrf_token": csrf_of(reviewer, "/filings")})
    assert approved.status_code == 200 and "有效期2018-12-31至2019-12-30" in approved.text
    person = reviewer.get("/persons/GX0001").text
    assert "冠心病" in person and "已审批通过" in person and "有效" in person and "门诊慢特病申报" in person
    again = reviewer.post("/filings/1/approve", data={"csrf_token": csrf_of(reviewer, "/filings")})
    assert again.status_code == 422 and "不能再次审批" in again.text


def test_who_received_it_cannot_approve_it_and_a_rejection_needs_a_reason(console):
    admin = _client(console, "admin")
    assert _apply(admin).status_code == 200
    token = csrf_of(admin, "/filings")
    own = admin.post("/filings/1/approve", data={"csrf_token": token})
    assert own.status_code == 422 and "审批人不能是受理人本人" in own.text
    reviewer = _client(console, "reviewer_a")
    token = csrf_of(reviewer, "/filings")
    blank = reviewer.post("/filings/1/reject", data={"csrf_token": token, "reason": " "})
    assert blank.status_code == 422 and "驳回须写明理由" in blank.text
    rejected = reviewer.post("/filings/1/reject", data={"csrf_token": token, "reason": "病历不全"})
    assert rejected.status_code == 200 and "已驳回：病历不全" in rejected.text
    assert "病历不全" in reviewer.get("/persons/GX0001").text


def test_the_other_county_does_not_see_the_application(console):
    assert _apply(_client(console, "clerk_a")).status_code == 200
    other = _client(console, "reviewer_b")
    assert "申请第1号" not in other.get("/filings").text
    token = csrf_of(other, "/filings")
    assert other.post("/filings/1/approve", data={"csrf_token": token}).status_code == 422


def test_the_renewal_list_and_its_csv(console):
    admin = _client(console, "admin")
    page = admin.get("/filings/renewals?year=2018&within=30")
    assert page.status_code == 200 and "GX0001" in page.text and "年底到期" in page.text
    csv = admin.get("/filings/renewals.csv?year=2018&within=30")
    assert csv.status_code == 200 and csv.content.startswith("\ufeff个人编号,姓名".encode())
    assert "GX0001,张三,冠县,门诊慢特病备案" in csv.text
    assert admin.get("/filings/renewals?year=abc").status_code == 422


@pytest.mark.parametrize("path", ["/filings", "/filings/renewals", "/persons/GX0001/filings/apply"])
def test_the_pages_answer(console, path):
    assert _client(console, "admin").get(path).status_code == 200

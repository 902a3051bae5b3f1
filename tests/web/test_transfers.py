"""关系转移接续 in the console: 转出 (form → the printable certificate) and 转入 (form), with the documents
received, for the roles that may, within the county scope, audited; a resubmitted form transfers once."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from tests.web.conftest import client_for, csrf_of, sign_in
from tongchou.audit.models import AuditEvent
from tongchou.store import models as m

PDF = b"%PDF-1.4\n% a scanned form\n"


def signed_in(console, username: str):
    client = client_for(console)
    assert sign_in(client, username).status_code == 303
    return client


def key_of(page: str) -> str:
    return re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)


def out_form(client, psn_no="GX0001", **change):
    page = client.get(f"/persons/{psn_no}/transfer-out").text
    data = {"csrf_token": csrf_of(client, f"/persons/{psn_no}"), "key": key_of(page), "to_pool": "440100",
            "to_pool_name": "广州市", "on": "2018-12-31", "doc_0_kind": "转移接续申请表"} | change
    return data


def test_transfer_out_from_the_person_page_to_the_certificate(console):
    clerk = signed_in(console, "clerk_a")
    person = clerk.get("/persons/GX0001").text
    assert "关系转出" in person and "关系转入" in person and "居民医保缴费年限" in person
    data = out_form(clerk)
    files = {"doc_0": ("申请表.pdf", PDF, "application/pdf")}
    done = clerk.post("/persons/GX0001/transfer-out", data=data, files=files, follow_redirects=False)
    assert done.status_code == 303, done.text
    page = clerk.get(done.headers["location"]).text
    assert "基本医疗保险参保凭证" in page and "广州市（440100）" in page and "打印参保凭证" in page
    assert "城乡居民基本医疗保险参保期间" in page and "2018年12月31日" in page
    # the same form again (a double click, a browser resubmission): the same transfer, nothing twice
    again = clerk.post("/persons/GX0001/transfer-out", data=data, files=files, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == done.headers["location"]
    store = console.state.console.store
    assert store.read(lambda s: len(s.scalars(select(m.Transfer)).all())) == 1
    docs = store.read(lambda s: [(d.matter, d.kind) for d in s.scalars(select(m.DossierDocument))])
    assert docs == [("transfer.out", "转移接续申请表")]
    # a new form for the same person is refused, naming the person
    refused = clerk.post("/persons/GX0001/transfer-out", data=out_form(clerk), files=files)
    assert refused.status_code == 422 and "已于2018年12月31日转出本统筹区，不能重复转出" in refused.text
    events = store.read(lambda s: [(e.action, e.object_id, e.outcome) for e in s.scalars(
        select(AuditEvent).where(AuditEvent.action.like("transfer.%")).order_by(AuditEvent.id))])
    assert events[:3] == [("transfer.out", "GX0001", "ok"), ("transfer.view", "GX0001", "ok"),
                          ("transfer.out", "GX0001", "ok")]
    assert ("transfer.out", "GX0001", "refused") in events
    person = clerk.get("/persons/GX0001").text
    assert "参保凭证" in person and "广州市（440100）" in person


def test_transfer_out_refusals_name_the_field(console):
    clerk = signed_in(console, "clerk_a")
    missing = clerk.post("/persons/GX0001/transfer-out", data=out_form(clerk, on="2018-13-01"))
    assert missing.status_code == 422
    assert "请上传转移接续申请表。" in missing.text and 'id="e-on"' in missing.text
    files = {"doc_0": ("申请表.pdf", PDF, "application/pdf")}
    short = clerk.post("/persons/GX0001/transfer-out", data=out_form(clerk, to_pool="99"), files=files)
    assert short.status_code == 422 and "6位数字的行政区划代码" in short.text
    unknown = clerk.post("/persons/GX0001/transfer-out", data=out_form(clerk, to_pool="990100"), files=files)
    assert unknown.status_code == 422 and "未知的统筹区" in unknown.text and 'id="e-to_pool"' in unknown.text
    early = clerk.post("/persons/GX0001/transfer-out", data=out_form(clerk, on="2017-12-31"), files=files)
    assert early.status_code == 422 and "早于参保开始日期2018年1月1日" in early.text and 'id="e-on"' in early.text
    uninsured = clerk.post("/persons/GX0003/transfer-out", data=out_form(clerk, "GX0003"), files=files)
    assert uninsured.status_code == 422 and "未在本统筹区参保" in uninsured.text


def test_transfer_in_with_a_certificate_file(console):
    clerk = signed_in(console, "clerk_a")
    page = clerk.get("/persons/GX0003/transfer-in").text
    assert "参保凭证数据文件" in page and "累计缴费月数" in page
    certificate = {"title": "基本医疗保险参保凭证", "number": "PZ4401002018063000000001",
                   "from_pool": {"code": "440100", "name": "广州市"}, "transfer_date": "2018-06-30",
                   "schemes": [{"insutype": "390", "total_months": 84, "continuous_months": 72,
                                "ended_on": "2018-06-30"}], "account_balance": "0.00"}
    data = {"csrf_token": csrf_of(clerk, "/persons/GX0003"), "key": key_of(page), "received": "1",
            "doc_0_kind": "参保凭证"}
    files = {"doc_0": ("凭证.pdf", PDF, "application/pdf"),
             "certificate_file": ("pz.json", json.dumps(certificate).encode(), "application/json")}
    done = clerk.post("/persons/GX0003/transfer-in", data=data, files=files, follow_redirects=False)
    assert done.status_code == 303, done.text
    shown = clerk.get(done.headers["location"]).text
    assert "医保关系已转入" in shown and "7年" in shown and "6年" in shown and "2018-07-01" in shown
    again = clerk.post("/persons/GX0003/transfer-in", data=data, files=files, follow_redirects=False)
    assert again.headers["location"] == done.headers["location"]
    store = console.state.console.store
    rows = store.read(lambda s: [(e.insutype, e.start.isoformat(), e.end.isoformat(), e.kind) for e in s.scalars(
        select(m.Enrolment).where(m.Enrolment.psn_no == "GX0003"))])
    assert rows == [("390", "2018-07-01", "2018-12-31", "transfer_in")]
    person = clerk.get("/persons/GX0003").text
    assert "累计7年，连续6年" in person and "跨统筹区转入" in person


def test_transfer_in_refusals_and_permissions(console):
    clerk = signed_in(console, "clerk_a")
    page = clerk.get("/persons/GX0011/transfer-in").text
    data = {"csrf_token": csrf_of(clerk, "/persons/GX0011"), "key": key_of(page), "from_pool": "440100",
            "from_pool_name": "广州市", "insutype": "390", "total_months": "12", "continuous_months": "24",
            "ended_on": "2018-06-30", "balance": "0", "received": "1", "doc_0_kind": "参保凭证"}
    files = {"doc_0": ("凭证.pdf", PDF, "application/pdf")}
    bad = clerk.post("/persons/GX0011/transfer-in", data=data, files=files)
    assert bad.status_code == 422 and "连续缴费月数24大于累计缴费月数12" in bad.text and 'id="e-continuous_months"' in bad.text
    auditor = signed_in(console, "auditor")
    assert "关系转出" not in auditor.get("/persons/GX0001").text
    assert auditor.get("/persons/GX0001/transfer-out").status_code == 403
    other = signed_in(console, "clerk_b")
    assert other.get("/persons/GX0001/transfer-out").status_code == 404

"""门诊慢特病申报 through the service, on SQLite and PostgreSQL: received at the township health centre, approved
by another person at the county branch, and a chronic claim refused before the approval and paid after it."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.store.support import fee, request
from tongchou.dossier.rules import attachment
from tongchou.dossier.service import DossierService
from tongchou.errors import Conflict, InvalidRequest, NotFound, Refused
from tongchou.filings.service import FilingService
from tongchou.ledger.service import verify

D = dt.date
PDF = b"%PDF-1.4 scanned page"
DOCS = ["近三年住院病历及相关检查单据", "医保卡", "居民身份证"]
TOWNSHIP, COUNTY_HOSPITAL = "H37152500002", "H37152500001"
CHRONIC = dict(med_type="14", fixmedins=TOWNSHIP, items=[fee("T000002", "500.00")])


@pytest.fixture
def filings(store, registry) -> FilingService:
    return FilingService(store, registry, today=lambda: D(2018, 12, 31))


def books_ok(store) -> None:
    report = verify(store)
    assert report.ok, [(c.name, c.breaches) for c in report.checks if not c.ok]


def apply(filings, **kw) -> int:
    args = dict(psn_no="GX0002", dise="冠心病", received_at=TOWNSHIP, received_on=D(2018, 3, 5), received_by="张卫生院")
    args.update(kw)
    documents = args.pop("documents", [attachment(f"doc_{i}", kind, f"{i}.pdf", PDF + bytes([i]))
                                       for i, kind in enumerate(DOCS)])
    return filings.apply(**args, documents=documents)


def test_refused_before_approval_and_paid_after(store, filings, settlements):
    number = apply(filings)
    with pytest.raises(Refused) as err:
        settlements.settle(request("S1", psn_no="GX0002", dise_code="GX-MB21", day="2018-03-10", **CHRONIC))
    assert err.value.field == "dise_code" and err.value.code == "filing_pending"
    assert err.value.message.startswith("门诊慢特病备案尚未审批通过（申请于2018年3月5日受理）")
    [queued] = filings.applications(state="received")
    assert (queued.id, queued.dise_name, queued.window, queued.received_at_name) == (
        number, "冠心病", "上半年申报期", "冠县某镇卫生院")

    filing_id = filings.approve(number, "李县医保", D(2018, 3, 20))
    [approved] = filings.applications(psn_no="GX0002")
    assert (approved.state_label, approved.valid_from, approved.valid_to) == ("已审批通过", D(2018, 3, 20),
                                                                               D(2019, 3, 19))
    assert filing_id > 0 and filings.applications(state="received") == []
    paid = settlements.settle(request("S2", psn_no="GX0002", dise_code="GX-MB21", day="2018-03-25", **CHRONIC))
    assert paid.amounts["hifp_pay"] == 32_500  # 500.00 × 65 %
    before = settlements.settle(request("S3", psn_no="GX0002", dise_code="GX-MB21", day="2018-03-10", **CHRONIC))
    assert before.amounts["hifp_pay"] == 0  # the visit came before the approval: no fund pays
    assert any("备案生效之前" in step["text"] for step in before.explanation)
    docs = DossierService(store).of_matter("filing.apply", f"filing_application:{number}")
    assert [d.kind for d in docs] == DOCS and {d.matter_name for d in docs} == {"门诊慢特病申报"}
    books_ok(store)


def test_the_application_s_refusals(store, filings):
    with pytest.raises(Refused) as err:
        apply(filings, received_on=D(2018, 4, 2))
    assert err.value.field == "received_on" and "上半年申报期（2018年3月1日至3月31日）" in err.value.message
    with pytest.raises(InvalidRequest) as err:
        apply(filings, received_at=COUNTY_HOSPITAL)
    assert err.value.message == "门诊慢特病申报须在乡镇卫生院受理，冠县人民医院是县级医疗机构。"
    with pytest.raises(InvalidRequest) as err:
        apply(filings, documents=[attachment("doc_0", "居民身份证", "id.pdf", PDF)])
    assert err.value.field == "documents" and err.value.message == "缺少申报材料：近三年住院病历及相关检查单据、医保卡。"
    with pytest.raises(InvalidRequest) as err:
        apply(filings, dise="感冒")
    assert err.value.field == "dise_code"
    with pytest.raises(Refused) as err:
        apply(filings, psn_no="GX0003")  # not insured
    assert err.value.code == "not_enrolled"
    with pytest.raises(NotFound):
        apply(filings, psn_no="NOBODY")
    number = apply(filings)
    with pytest.raises(Conflict) as err:
        apply(filings)
    assert err.value.code == "already_applied"
    with pytest.raises(Refused) as err:
        filings.approve(number, "张卫生院", D(2018, 3, 20))  # who received it cannot approve it
    assert err.value.field == "decided_by"
    filings.reject(number, "李县医保", D(2018, 3, 21), "住院病历不足以证明冠心病诊断")
    with pytest.raises(Conflict):
        filings.approve(number, "李县医保", D(2018, 3, 22))
    assert filings.applications(state="rejected")[0].reason == "住院病历不足以证明冠心病诊断"
    with pytest.raises(NotFound):
        filings.approve(999, "李县医保", D(2018, 3, 22))


def test_rejected_is_not_covered_and_says_why(store, filings, settlements):
    number = apply(filings, document_kinds=DOCS, documents=[])  # paper documents seen (the command line)
    filings.reject(number, "李县医保", D(2018, 3, 21), "病历不全")
    out = settlements.settle(request("S1", psn_no="GX0002", dise_code="GX-MB21", day="2018-04-01", **CHRONIC))
    assert out.amounts["hifp_pay"] == 0
    assert any("申请已于2018年3月21日被驳回：病历不全" in step["text"] for step in out.explanation)
    books_ok(store)


def test_after_the_validity_a_claim_is_refused(store, enrolments, settlements):
    enrolments.file("GX0002", "chronic", D(2018, 1, 10), D(2018, 1, 10), D(2018, 6, 30), dise_code="GX-MB21")
    assert settlements.settle(request("S1", psn_no="GX0002", dise_code="GX-MB21", day="2018-06-30",
                                      **CHRONIC)).amounts["hifp_pay"] > 0
    with pytest.raises(Refused) as err:
        settlements.settle(request("S2", psn_no="GX0002", dise_code="GX-MB21", day="2018-07-01", **CHRONIC))
    assert err.value.code == "filing_expired"
    assert err.value.message == ("门诊慢特病备案有效期已于2018年6月30日届满，2018年7月1日的费用不能按门诊慢特病结算；"
                                 "请到乡镇卫生院重新申报。")


def test_the_scoped_service_sees_its_county_only(store, registry):
    apply(FilingService(store, registry))
    other = FilingService(store.scoped("371525"), registry)  # GX0002 lives in 371599
    assert other.applications() == []
    with pytest.raises(NotFound):
        other.approve(1, "李县医保", D(2018, 3, 20))


def test_renewals_list_what_lapses_at_the_year_end(store, filings, enrolments):
    number = apply(filings)
    filings.approve(number, "李县医保", D(2018, 3, 20))  # to 19 March 2019
    listed = {(v.renewal.filing.psn_no, v.renewal.lapsed) for v in filings.renewals(2018, within_days=90)}
    assert ("GX0001", True) in listed and ("GX0002", False) in listed  # fixture filing ends 31 Dec 2018
    assert "GX0002" not in {v.renewal.filing.psn_no for v in filings.renewals(2018, within_days=30)}
    # GX0001's filing names its disease (高血压病三期) by name; a new application by code is its renewal
    apply(filings, psn_no="GX0001", dise="GX-MB17", received_on=D(2018, 9, 20))
    [gx1] = [v for v in filings.renewals(2018, within_days=30) if v.renewal.filing.psn_no == "GX0001"]
    assert gx1.pending and gx1.dise_name == "高血压病三期（有心、脑、肾并发症之一）" and gx1.county_name == "冠县"

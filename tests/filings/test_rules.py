"""门诊慢特病申报 and the year end, pure: the numbers and dates worked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tongchou.errors import Conflict, InvalidRequest, Refused
from tongchou.filings import rules
from tongchou.filings.rules import Application, Held, Receiver
from tongchou.persons import yearend
from tongchou.policy.registry import Registry
from tongchou.policy.schema import ChronicFiling

D = dt.date


@pytest.fixture(scope="module")
def terms() -> ChronicFiling:
    return Registry.load().resolve("371525", "390", D(2018, 5, 1)).version.chronic_filing


def test_the_guanxian_terms_are_the_leaflet_s_with_example_windows(terms):
    assert terms.received_at == ["township"]
    assert terms.documents == ["近三年住院病历及相关检查单据", "医保卡", "居民身份证"]
    assert len(terms.windows) == 2 and terms.example and terms.assumptions  # 每年两次; dates are examples
    assert "乡镇卫生院申报" in terms.ref.text and "每年两次" in terms.ref.text


@pytest.mark.parametrize("day, name", [
    (D(2018, 3, 1), "上半年申报期"), (D(2018, 3, 31), "上半年申报期"),  # both ends included
    (D(2018, 9, 1), "下半年申报期"), (D(2018, 9, 30), "下半年申报期"),
    (D(2018, 2, 28), None), (D(2018, 4, 1), None), (D(2018, 8, 31), None), (D(2018, 10, 1), None),
])
def test_window_boundaries(terms, day, name):
    window = rules.window_on(terms, day)
    assert (window.name if window else None) == name


def test_outside_a_window_the_refusal_names_the_year_s_windows(terms):
    with pytest.raises(Refused) as err:
        rules.check_window(terms, D(2018, 4, 2))
    assert err.value.field == "received_on" and err.value.code == "outside_window"
    assert err.value.message == ("2018年4月2日不在门诊慢特病申报期内，本年度申报期为：上半年申报期（2018年3月1日至3月31日）、"
                                 "下半年申报期（2018年9月1日至9月30日）。请在申报期内到乡镇卫生院申报。")


def test_received_only_at_a_township_health_centre_of_the_pool(terms):
    rules.check_receiver(terms, Receiver("H2", "冠县某镇卫生院", "township", "371500"), "H2", "371500")
    with pytest.raises(InvalidRequest, match="门诊慢特病申报须在乡镇卫生院受理，冠县人民医院是县级医疗机构。"):
        rules.check_receiver(terms, Receiver("H1", "冠县人民医院", "county", "371500"), "H1", "371500")
    with pytest.raises(InvalidRequest, match="不属于参保人所在统筹区"):
        rules.check_receiver(terms, Receiver("H3", "外地卫生院", "township", "220100"), "H3", "371500")
    with pytest.raises(InvalidRequest, match="受理机构H9不存在"):
        rules.check_receiver(terms, None, "H9", "371500")


def test_every_required_document(terms):
    rules.check_documents(terms, ["居民身份证", "医保卡", "近三年住院病历及相关检查单据", "户口簿"])
    with pytest.raises(InvalidRequest) as err:
        rules.check_documents(terms, ["居民身份证"])
    assert err.value.field == "documents"
    assert err.value.message == "缺少申报材料：近三年住院病历及相关检查单据、医保卡。"


def test_validity_twelve_months_from_approval(terms):
    assert rules.validity(terms, D(2018, 3, 20)) == (D(2018, 3, 20), D(2019, 3, 19))
    assert rules.validity(terms, D(2020, 2, 29)) == (D(2020, 2, 29), D(2021, 2, 27))  # 29 Feb → 28 Feb − 1 day
    to_year_end = terms.model_copy(update={"validity": terms.validity.model_copy(update={"months": None,
                                                                                          "to_year_end": True})})
    assert rules.validity(to_year_end, D(2018, 9, 12)) == (D(2018, 9, 12), D(2018, 12, 31))


def test_the_schema_refuses_overlapping_windows_and_unsourced_terms(terms):
    raw = terms.model_dump(mode="json")
    bad = dict(raw, windows=[{"name": "甲", "opens": {"month": 3, "day": 1}, "closes": {"month": 3, "day": 31}},
                             {"name": "乙", "opens": {"month": 3, "day": 15}, "closes": {"month": 4, "day": 15}}])
    with pytest.raises(ValueError, match="重叠"):
        ChronicFiling.model_validate(bad)
    with pytest.raises(ValueError, match="注明出处"):
        ChronicFiling.model_validate(dict(raw, example=False, ref=None))
    with pytest.raises(ValueError, match="二者选一"):
        ChronicFiling.model_validate(dict(raw, validity={"months": 12, "to_year_end": True}))


def _application(**kw) -> Application:
    base = dict(id=7, psn_no="GX0002", dise_code="GX-MB21", dise_name="冠心病", state="received",
                received_on=D(2018, 3, 5), received_by="张卫生院")
    return Application(**{**base, **kw})


def test_a_different_person_decides_a_pending_application():
    rules.check_decision(_application(), "李县医保", D(2018, 3, 20))
    with pytest.raises(Refused) as err:
        rules.check_decision(_application(), "张卫生院", D(2018, 3, 20))
    assert err.value.field == "decided_by" and err.value.code == "same_person"
    with pytest.raises(Conflict, match="申请第7号已于2018年3月20日审批通过，不能再次审批。"):
        rules.check_decision(_application(state="approved", decided_on=D(2018, 3, 20)), "李县医保", D(2018, 3, 21))
    with pytest.raises(InvalidRequest, match="早于受理日期"):
        rules.check_decision(_application(), "李县医保", D(2018, 3, 4))
    with pytest.raises(InvalidRequest, match="驳回须写明理由"):
        rules.check_reason("  ")
    with pytest.raises(Conflict, match="已有待审批的“冠心病”申请（第7号，2018年3月5日受理）"):
        rules.check_no_pending([_application()], "GX-MB21")


def test_renewals_at_the_year_end():
    held = [
        Held(1, "A", "chronic", "GX-MB21", D(2018, 1, 1), D(2018, 12, 31)),  # lapses at the year end
        Held(2, "B", "chronic", "GX-MB17", D(2018, 3, 20), D(2019, 1, 20)),  # within 30 days after it
        Held(3, "C", "chronic", "GX-MB17", D(2018, 9, 12), D(2019, 9, 11)),  # runs on
        Held(4, "D", "chronic", "GX-MB16", D(2018, 1, 1), D(2018, 6, 30)),  # lapsed in the year...
        Held(5, "D", "chronic", "GX-MB16", D(2018, 9, 20), D(2019, 9, 19)),  # ...and renewed
        Held(6, "E", "referral", None, D(2018, 5, 1), None),  # no end
        Held(7, "F", "chronic", "GX-MB21", D(2017, 1, 1), D(2017, 12, 31)),  # lapsed the year before
    ]
    out = rules.renewals(held, 2018, within_days=30)
    assert [(r.filing.id, r.lapsed, r.days_left) for r in out] == [(1, True, 0), (2, False, 20)]
    assert [r.filing.id for r in rules.renewals(held, 2018)] == [1]


def test_interest_half_up_to_the_fen():
    assert yearend.interest(123_456, Decimal("0.015")) == 1_852  # 1,234.56 × 1.5 % = 18.5184 → 18.52
    assert yearend.interest(100, Decimal("0.015")) == 2  # 1.00 × 1.5 % = 0.015 → 0.02 (half-up)
    assert yearend.interest(33, Decimal("0.015")) == 0  # 0.33 × 1.5 % = 0.00495 → 0.00
    assert yearend.interest(0, Decimal("0.015")) == 0 and yearend.interest(-500, Decimal("0.015")) == 0
    assert yearend.interest_memo(2018, 123_456, Decimal("0.015"), 1_852) == (
        "2018年度个人账户结转计息：年末余额1234.56元×年利率1.5%=18.52元（四舍五入到分）")


def test_the_year_end_waits_for_the_year_to_end():
    assert yearend.check_year_over(2018, D(2018, 12, 31)) == (
        "2018年尚未结束（今天是2018-12-31），年度结转须在2019年1月1日以后办理。")
    assert yearend.check_year_over(2018, D(2019, 1, 1)) is None
    assert yearend.fresh_state() == yearend.fresh_state().with_()  # empty: nothing used yet

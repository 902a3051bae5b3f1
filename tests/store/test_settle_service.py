"""The settlement service against SQLite and PostgreSQL: docs/reference/settlement-rules.md §8 and the catalogue rule."""

from __future__ import annotations


import pytest
from sqlalchemy import func, select

from tests.store.support import fee, request
from tongchou.ledger.service import personal_account_balance
from tongchou.ledger.service import verify
from tongchou.store import models as m
from tongchou.errors import Conflict, InvalidRequest, Refused


def count(store, model) -> int:
    return store.read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one())


def year_state(store, psn_no: str, insutype: str = "390", year: int = 2018) -> dict:
    def load(session) -> dict:
        row = session.get(m.YearStateRow, (psn_no, insutype, year))
        return dict(row.state) if row else {}
    return store.read(load)


def assert_books_ok(store) -> None:
    report = verify(store)
    assert report.ok, [(c.name, c.breaches) for c in report.checks if not c.ok]


def test_settle_commits_result_accumulators_and_postings(store, settlements):
    # level-2 (county) admission, 1,500 yuan category A: deductible 500, 70 % of 1,000 = 700
    postings = count(store, m.Posting)  # the fixture's opening balances
    out = settlements.settle(request("S1"))
    assert (out.amounts["act_pay_dedc"], out.amounts["hifp_pay"], out.amounts["psn_cash_pay"]) == (50_000, 70_000, 80_000)
    assert year_state(store, "GX0001")["caps_used"] == {"inpatient_disease": "700.00"}
    assert settlements.get("S1").amounts == out.amounts
    assert count(store, m.Posting) == postings + 2  # expense / due to the institution, resident pooled fund
    assert_books_ok(store)


def test_same_key_same_request_returns_the_first_answer_and_moves_nothing(store, settlements):
    first = settlements.settle(request("S1"))
    entries = count(store, m.JournalEntry)
    again = settlements.settle(request("S1"))
    assert again.replayed and again.amounts == first.amounts
    assert count(store, m.JournalEntry) == entries and count(store, m.Settlement) == 1


def test_same_key_different_request_is_refused(store, settlements):
    settlements.settle(request("S1"))
    with pytest.raises(Conflict) as err:
        settlements.settle(request("S1", items=[fee("T000002", "1600.00")]))
    assert err.value.code == "key_conflict" and err.value.field == "key"


def test_one_active_settlement_per_admission_whatever_the_key(store, settlements):
    settlements.settle(request("S1", mdtrt_id="ADM-1"))
    with pytest.raises(Conflict) as err:
        settlements.settle(request("S2", mdtrt_id="ADM-1"))
    assert err.value.code == "already_settled" and "已有有效结算" in err.value.message
    settlements.cancel("S1")
    assert settlements.settle(request("S2", mdtrt_id="ADM-1")).amounts["hifp_pay"] == 70_000
    assert_books_ok(store)


def test_outpatient_charge_batches_are_separate_visits(store, settlements):
    batch = dict(med_type="11", mdtrt_id="OP-1", fixmedins="H37152500002")
    settlements.settle(request("B1", chrg_bchno="C1", items=[fee("T000002", "30.00")], **batch))
    settlements.settle(request("B2", chrg_bchno="C2", items=[fee("T000002", "20.00")], **batch))
    with pytest.raises(Conflict):
        settlements.settle(request("B3", chrg_bchno="C1", items=[fee("T000002", "30.00")], **batch))
    assert_books_ok(store)


def test_cancel_posts_the_opposite_restores_accumulators_and_is_idempotent(store, settlements):
    postings = count(store, m.Posting)
    settlements.settle(request("S1"))
    first = settlements.cancel("S1")
    again = settlements.cancel("S1")
    assert not first.replayed and again.replayed
    assert year_state(store, "GX0001")["caps_used"] == {} and year_state(store, "GX0001")["counters"] == {}
    assert count(store, m.Settlement) == 1 and count(store, m.SettlementCancellation) == 1
    assert count(store, m.Posting) == postings + 4
    # the next admission is the first of the year again: full deductible
    assert settlements.settle(request("S2")).amounts["act_pay_dedc"] == 50_000
    assert_books_ok(store)


def test_second_admission_half_deductible_and_cancellation_keeps_later_settlements(store, settlements):
    settlements.settle(request("S1", day="2018-03-01"))
    second = settlements.settle(request("S2", day="2018-04-01"))
    assert second.amounts["act_pay_dedc"] == 25_000  # 篇4: 第二次住院起付标准减半
    settlements.cancel("S1")
    assert settlements.get("S2").amounts == second.amounts  # not re-adjudicated
    assert_books_ok(store)


def test_reversal_before_original_marks_and_the_late_original_is_refused(store, settlements):
    outcome = settlements.reverse("H37152500001-MSG-9")
    assert outcome.marked and outcome.cancelled is None
    with pytest.raises(Refused) as err:
        settlements.settle(request("H37152500001-MSG-9"))
    assert err.value.code == "reversed" and "冲正" in err.value.message
    assert count(store, m.Settlement) == 0 and count(store, m.ActiveVisit) == 0
    assert settlements.reverse("H37152500001-MSG-9").marked  # a repeated reversal changes nothing


def test_reversal_after_original_cancels_it(store, settlements):
    settlements.settle(request("MSG-1"))
    outcome = settlements.reverse("MSG-1")
    assert not outcome.marked and outcome.cancelled.cause == "reversal"
    assert settlements.reverse("MSG-1").cancelled.replayed
    assert_books_ok(store)


def test_person_not_enrolled_is_refused_in_chinese_or_settled_all_self_paid(store, settlements):
    with pytest.raises(Refused) as err:
        settlements.settle(request("S1", psn_no="GX0003"))
    assert err.value.code == "not_eligible" and "未参加城乡居民医保" in err.value.message
    out = settlements.settle(request("S1", psn_no="GX0003", settle_if_ineligible=True))
    assert out.amounts["fund_pay_sumamt"] == 0 and out.amounts["psn_cash_pay"] == 150_000
    assert any("未参加" in step["text"] for step in out.explanation)
    assert_books_ok(store)


def test_waiting_period_is_refused(store, settlements):
    with pytest.raises(Refused) as err:
        settlements.settle(request("S1", psn_no="GX0004", day="2018-06-09"))
    assert "等待期" in err.value.message and "2018年6月10日" in err.value.message
    assert settlements.settle(request("S2", psn_no="GX0004", day="2018-06-10")).amounts["hifp_pay"] == 70_000


def test_items_take_category_proportion_and_cap_from_the_catalogue(store, settlements):
    items = [
        fee("T000003", "100.00"),                              # C → all self-paid
        fee("T000001", "200.00"),                              # B, 10 % first self-pay → 20
        fee("T000004", "120.00", qty="2", price="60"),         # cap 50/unit: (60−50)×2 = 20 over the cap
        fee("T000005", "50.00", restriction_met=False),        # restricted, condition not met → as C
        fee("T000006", "30.00"),                               # essential drug
    ]
    out = settlements.pre_settle(request("S1", items=items))
    a = out.amounts
    assert (a["fulamt_ownpay_amt"], a["preselfpay_amt"], a["overlmt_selfpay"]) == (15_000, 2_000, 2_000)
    assert a["inscp_scp_amt"] == 50_000 - 15_000 - 2_000 - 2_000 and a["inscp_essential_amt"] == 3_000


def test_catalogue_in_force_on_the_date(store, settlements):
    before = settlements.pre_settle(request("S1", items=[fee("T000007", "100.00")], day="2018-06-30"))
    after = settlements.pre_settle(request("S1", items=[fee("T000007", "100.00")], day="2018-07-01"))
    assert before.amounts["inscp_scp_amt"] == 10_000 and after.amounts["fulamt_ownpay_amt"] == 10_000


def test_unknown_item_is_an_error_naming_the_field_and_nothing_is_written(store, settlements):
    with pytest.raises(InvalidRequest) as err:
        settlements.settle(request("S1", items=[fee("T000002", "10.00"), fee("NOPE", "1.00")]))
    assert err.value.field == "items[1].code"
    assert count(store, m.Settlement) == 0 and count(store, m.RequestKey) == 0 and count(store, m.Visit) == 0


def test_chronic_disease_needs_an_approved_filing(store, settlements):
    chronic = dict(med_type="14", fixmedins="H37152500002", items=[fee("T000002", "500.00")])
    filed = settlements.settle(request("S1", dise_code="GX-MB17", **chronic))  # filed as 高血压病三期
    assert filed.amounts["hifp_pay"] > 0
    unfiled = settlements.settle(request("S2", psn_no="GX0002", dise_code="GX-MB17", **chronic))
    assert unfiled.amounts["hifp_pay"] == 0
    assert any("门诊慢特病备案" in step["text"] for step in unfiled.explanation)


def test_institution_out_of_agreement_is_refused(store, settlements):
    with pytest.raises(Refused) as err:
        settlements.settle(request("S1", fixmedins="H37152500009"))
    assert err.value.field == "fixmedins_code"


def test_pre_settlement_commits_nothing_and_matches_the_settlement(store, settlements):
    entries = count(store, m.JournalEntry)
    pre = settlements.pre_settle(request("S1"))
    assert not pre.committed and count(store, m.JournalEntry) == entries and count(store, m.Settlement) == 0
    assert count(store, m.YearStateRow) == 0
    assert settlements.settle(request("S1")).amounts == pre.amounts


def test_annual_cap_is_never_exceeded(store, settlements):
    big = [fee("T000002", "100000.00")]
    paid = [settlements.settle(request(f"S{i}", items=big, day=f"2018-0{i}-01")).amounts["hifp_pay"]
            for i in range(1, 4)]
    # 69,650 (100,000 − 500 at 70 %), then capped at 120,000 − 69,650 = 50,350, then nothing
    assert paid == [6_965_000, 5_035_000, 0]
    assert year_state(store, "GX0001")["caps_used"] == {"inpatient_disease": "120000.00"}
    assert_books_ok(store)


def test_family_mutual_use_of_personal_accounts(store, settlements):
    # seed 003: 个人账户可以用于支付参保人员本人及其配偶、父母、子女……由个人负担的医疗费用
    # CC0002 holds 20 yuan; her spouse CC0001 holds 300: a 100-yuan bill → own 20 + mutual aid 80
    employee = dict(insutype="310", fixmedins="H22010200001", day="2021-05-10", med_type="11")
    out = settlements.settle(request("E1", psn_no="CC0002", items=[fee("C000001", "100.00")],
                                     mulaid_psn_no="CC0001", **employee))
    assert (out.amounts["acct_pay"], out.amounts["acct_mulaid_pay"], out.amounts["psn_cash_pay"]) == (10_000, 8_000, 0)
    balances = store.read(lambda s: (personal_account_balance(s, "CC0002"), personal_account_balance(s, "CC0001")))
    assert balances == (0, 22_000)
    with pytest.raises(Refused):
        settlements.settle(request("E2", psn_no="CC0002", items=[fee("C000001", "10.00")],
                                   mulaid_psn_no="CC0005", **employee))
    settlements.cancel("E1")
    assert store.read(lambda s: personal_account_balance(s, "CC0001")) == 30_000
    assert_books_ok(store)


def test_settlement_row_is_append_only(store, settlements):
    settlements.settle(request("S1"))
    from sqlalchemy import text
    with pytest.raises(Exception, match="append-only"):
        store.transaction(lambda s: s.execute(text("UPDATE settlement SET hifp_pay = 0")))
    with pytest.raises(Exception, match="append-only"):
        store.transaction(lambda s: s.execute(text("DELETE FROM posting")))
    assert settlements.get("S1").amounts["hifp_pay"] == 70_000


@pytest.mark.parametrize("field, limit", [("diag_code", 20), ("oprn_code", 30)])
def test_a_dip_code_longer_than_the_national_field_is_refused_by_name(field, limit):
    assert request("D1", **{field: "X" * limit}).enddate  # at the limit: accepted
    with pytest.raises(InvalidRequest) as refused:
        request("D2", **{field: "X" * (limit + 1)})
    assert refused.value.field == field

"""The one adjudication, on hand-made contexts: the order of its refusals and the ones the store cannot reach."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from tongchou.errors import InvalidRequest, Refused
from tongchou.policy.registry import Registry
from tongchou.settlement.adjudication import (
    CatalogueEntry, Enrolled, Filing, FilingApplied, Insured, Institution, MutualAid, NoPolicyInForce,
    SettlementContext, Suspension, adjudicate, suspension_on,
)
from tongchou.accumulators import YearState
from tongchou.settlement.request import FeeLine, SettleRequest

D = dt.date
POOL = "371525"


@pytest.fixture(scope="module")
def context() -> SettlementContext:
    return SettlementContext(
        setl_id="S-1", person=Insured("P1", "1501", D(1960, 1, 1), POOL),
        institution=Institution("H1", "冠县人民医院", 2, "county", "active"), pool=POOL,
        enrolments=(Enrolled("390", D(2018, 1, 1), D(2018, 12, 31), D(2018, 1, 1)),), filings=(),
        catalogue={"T000002": CatalogueEntry("T000002", "A")},
        policy=Registry.load().resolve(POOL, "390", D(2018, 5, 10)), state=YearState())


def request(**changes) -> SettleRequest:
    base = SettleRequest(key="K1", psn_no="P1", insutype="390", fixmedins_code="H1", mdtrt_id="M1", med_type="21",
                         begndate=D(2018, 5, 1), enddate=D(2018, 5, 10), items=(FeeLine("T000002", 300000),))
    return replace(base, **changes)


def refusal(ctx: SettlementContext, req: SettleRequest) -> tuple[str, str]:
    with pytest.raises((InvalidRequest, Refused)) as raised:
        adjudicate(ctx, req)
    return raised.value.field, raised.value.code


def test_a_claim_in_order_is_adjudicated(context):
    result = adjudicate(context, request())
    assert result.eligible and result.settlement.medfee_sumamt == 300000
    assert result.settlement.hifp_pay > 0 and result.claim.person.psn_no == "P1"
    assert result.state_after != context.state


def test_dates_are_checked_first_then_the_agreement(context):
    exited = replace(context, institution=replace(context.institution, agreement_status="exited"))
    assert refusal(exited, request(begndate=D(2018, 5, 11))) == ("enddate", "invalid_field")
    assert refusal(exited, request()) == ("fixmedins_code", "agreement")


def test_a_claim_ending_after_the_death_is_refused_after_the_dates_and_before_the_agreement(context):
    dead = replace(context, person=replace(context.person, death_date=D(2018, 5, 9)),
                   institution=replace(context.institution, agreement_status="exited"))
    assert refusal(dead, request(begndate=D(2018, 5, 11))) == ("enddate", "invalid_field")
    assert refusal(dead, request()) == ("enddate", "deceased")  # ends 2018-05-10, the day after the death
    alive_that_day = replace(context, person=replace(context.person, death_date=D(2018, 5, 10)))
    assert adjudicate(alive_that_day, request()).eligible  # the date of death is the last day covered


def test_no_policy_then_eligibility(context):
    assert refusal(replace(context, policy=NoPolicyInForce("none")), request()) == ("enddate", "no_policy")
    assert refusal(replace(context, enrolments=()), request()) == ("psn_no", "not_eligible")
    settled = adjudicate(replace(context, enrolments=()), request(settle_if_ineligible=True))
    assert not settled.eligible and settled.settlement.hifp_pay == 0


def test_catalogue_suspension_and_split(context):
    assert refusal(context, request(items=(FeeLine("X", 100),))) == ("items[0].code", "unknown_item")
    suspended = replace(context, suspensions=(Suspension("P1", "suspend", D(2018, 1, 1), D(2018, 12, 31), "骗保"),))
    field, code = refusal(suspended, request())
    assert (field, code) == ("psn_no", "benefits_suspended")
    # a split refusal is out of the store's reach (its catalogue constraints); an entry the split cannot take:
    odd = replace(context, catalogue={"T000002": CatalogueEntry("T000002", "D")})
    assert refusal(odd, request()) == ("items[0].category", "invalid_field")


def test_a_lift_ends_a_suspension():
    suspend = Suspension("P1", "suspend", D(2018, 1, 1), D(2018, 12, 31), "骗保")
    lift = Suspension("P1", "lift", D(2018, 6, 1), D(2018, 12, 31), "撤销")
    assert suspension_on((suspend, lift), D(2018, 5, 31)) == suspend
    assert suspension_on((suspend, lift), D(2018, 6, 1)) is None
    assert suspension_on((suspend,), D(2019, 1, 1)) is None


def test_a_chronic_visit_without_its_filing_is_paid_by_no_fund(context):
    result = adjudicate(context, request(med_type="14", dise_code="高血压"))
    assert not result.eligible and result.settlement.hifp_pay == 0
    assert result.settlement.psn_part_amt == 300000


def test_a_chronic_visit_while_its_filing_waits_or_after_it_lapsed_is_refused(context):
    chronic = request(med_type="14", dise_code="GX-MB21")  # 冠心病, ending 10 May 2018
    pending = replace(context, applications=(FilingApplied("chronic", "GX-MB21", "received", D(2018, 3, 5)),))
    with pytest.raises(Refused) as err:
        adjudicate(pending, chronic)
    assert (err.value.field, err.value.code) == ("dise_code", "filing_pending")
    assert err.value.message.startswith("门诊慢特病备案尚未审批通过（申请于2018年3月5日受理）")
    other = replace(context, applications=(FilingApplied("chronic", "GX-MB17", "received", D(2018, 3, 5)),))
    assert not adjudicate(other, chronic).eligible  # another disease's application: no filing, no fund
    by_name = replace(pending, filings=(Filing("chronic", "冠心病", D(2018, 3, 20), D(2018, 3, 20), D(2019, 3, 19)),))
    assert adjudicate(by_name, chronic).eligible  # approved (by name or code): paid
    lapsed = replace(context, filings=(Filing("chronic", "GX-MB21", D(2017, 5, 1), D(2017, 5, 1), D(2018, 4, 30)),))
    assert refusal(lapsed, chronic) == ("dise_code", "filing_expired")
    later = replace(context, filings=(Filing("chronic", "GX-MB21", D(2018, 6, 1), D(2018, 6, 1), D(2019, 5, 31)),))
    early = adjudicate(later, chronic)
    assert not early.eligible and any("备案生效之前" in s.text for s in early.settlement.explanation)
    rejected = replace(context, applications=(FilingApplied("chronic", "GX-MB21", "rejected", D(2018, 3, 5),
                                                            D(2018, 3, 21), "病历不全"),))
    assert any("被驳回：病历不全" in s.text for s in adjudicate(rejected, chronic).settlement.explanation)


def test_mutual_aid_needs_a_relation_the_policy_allows(context):
    stranger = replace(context, mutual_aid=MutualAid("P2", None, True, 10000, POOL))
    assert refusal(stranger, request(mulaid_psn_no="P2")) == ("mulaid_psn_no", "mulaid_not_allowed")

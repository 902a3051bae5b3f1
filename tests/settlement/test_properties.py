"""Property-based proofs of docs/reference/settlement-rules.md's identities over random policies, persons and claim sequences."""

from hypothesis import given
from hypothesis import strategies as st

from tongchou.settlement.engine import cancel, settle
from tongchou.settlement.model import AMOUNT_FIELDS, FUND_FIELDS
from tongchou.accumulators import YearState

from tests.settlement.strategies import claim_sequences, policies


def check_identities(s):
    assert s.medfee_sumamt == s.fund_pay_sumamt + s.psn_part_amt + s.hosp_part_amt
    assert s.psn_part_amt == s.acct_pay + s.psn_cash_pay
    assert s.fund_pay_sumamt == sum(getattr(s, f) for f in FUND_FIELDS)
    assert s.medfee_sumamt == s.fulamt_ownpay_amt + s.overlmt_selfpay + s.preselfpay_amt + s.inscp_scp_amt
    assert all(getattr(s, f) >= 0 for f in AMOUNT_FIELDS), s.amounts()
    assert s.acct_mulaid_pay <= s.acct_pay
    assert s.act_pay_dedc <= s.inscp_scp_amt


def check_caps(resolved, state, years):
    for cap in resolved.version.caps:
        assert state.caps_used.get(cap.id, 0) <= cap.amount
    for layer in resolved.layers:
        for variant in layer.variants:
            if variant.cap is None:
                continue
            ceiling = variant.cap + sum(i.amount for i in variant.cap_increments if i.min_years <= years
                                        and (i.max_years is None or years < i.max_years))
            assert state.layer_paid.get(layer.id, 0) <= ceiling
    for line in resolved.version.benefits:
        rule = line.deductible
        if rule is not None and rule.kind == "annual":
            assert state.dedc_used.get(rule.accumulator, 0) <= (rule.amount or 0)
    assert all(value >= 0 for value in state.caps_used.values())
    assert state.acct_balance is None or state.acct_balance >= 0


@st.composite
def scenarios(draw):
    resolved = draw(policies())
    claims = draw(claim_sequences(resolved))
    balance = draw(st.one_of(st.none(), st.integers(0, 5_000_000)))
    return resolved, claims, YearState(acct_balance=balance)


@given(scenarios())
def test_every_settlement_keeps_the_identities_and_no_cap_is_exceeded(scenario):
    resolved, claims, state = scenario
    for claim in claims:
        settlement, state = settle(resolved, claim, state)
        check_identities(settlement)
        check_caps(resolved, state, claim.person.continuous_years)


@given(scenarios())
def test_cancelling_the_latest_settlement_restores_the_state_exactly(scenario):
    resolved, claims, state = scenario
    for claim in claims:
        before = state
        settlement, state = settle(resolved, claim, state)
        assert cancel(state, settlement) == before


@given(scenarios(), st.data())
def test_cancelling_any_settlement_never_breaks_a_cap_or_goes_negative(scenario, data):
    resolved, claims, state = scenario
    settled = []
    for claim in claims:
        settlement, state = settle(resolved, claim, state)
        settled.append(settlement)
    victim = data.draw(st.sampled_from(settled))
    state = cancel(state, victim)
    check_caps(resolved, state, claims[0].person.continuous_years)
    assert all(v >= 0 for v in (*state.caps_used.values(), *state.layer_paid.values(), *state.counters.values()))


@given(scenarios())
def test_settling_is_deterministic(scenario):
    resolved, claims, state = scenario
    first = settle(resolved, claims[0], state)
    second = settle(resolved, claims[0], state)
    assert first == second


def test_state_equality_is_by_value():
    assert YearState() == YearState()

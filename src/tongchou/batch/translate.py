"""Translate one resolved policy version into Ibis expressions over a normalised claims table.

Nothing here knows a particular policy: the expressions are built by walking
the version's benefit lines, deductibles, caps and layers (docs/reference/settlement-rules.md
steps 2–6) and reproduce `tongchou.settlement.engine.settle` to the fen.

The key fact: a cap's payments are a function of a running sum. If U_i is the
running sum of what a cap's claims would pay without it, the cap lets through
    paid_i = min(C, U_i) − min(C, U_{i−1}).
The same holds for an annual deductible (U = running in-scope cost) and a
layer's annual cap (U = running payment due, each already limited by the
claim's own remaining burden; a floor top-up only raises that per-claim
amount, see `_layer`). A per-admission deductible needs the running count
of admissions. Each such running sum is a window function over the
person-year (psn_no, insutype, year) ordered by (enddate, begndate, setl_id).

Where the rules are not such a function — a line counting against caps that
other lines share differently, lines sharing an annual deductible with
different amounts, a layer cap that changes within a person-year, amounts too
large for exact 64-bit arithmetic — the whole person-year is flagged for the
engine (`ENGINE_REASONS`) and its rows here are placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable

import ibis
import ibis.expr.types as ir

from tongchou.batch.fen import (
    MAX_CLAIM_FEN, MAX_YEAR_FEN, capped_increment, half_up_fraction, half_up_rate, half_up_ratio, lit, rate_fraction,
)
from tongchou.batch.source import ORDER, PARTITION
from tongchou.money import apply_rate
from tongchou.policy.registry import Resolved
from tongchou.policy.schema import (
    LAYER_ORDER, BenefitLine, Condition, Deductible, Layer, LayerPart, LayerVariant, Tier, Version,
)
from tongchou.settlement.matching import find_disease
from tongchou.settlement.model import ACCIDENT_MED_TYPES, STUDENT_PSN_TYPES

# Why a person-year is settled through the engine instead (bit, name).
ENGINE_REASONS = {
    "crossing_caps": "a benefit line counts against caps that other lines share differently",
    "shared_deductible": "lines share an annual deductible accumulator with different amounts",
    "amount_bounds": "an amount is beyond exact 64-bit replay (claim > 2^30 fen or year > 2^40 fen)",
    "layer_cap_varies": "a layer's annual cap differs between claims of the person-year",
    "policy_versions": "the person-year's claims fall under different policy versions",
    "interim_settlements": "an admission settled in several parts (repeated mdtrt_id)",
}
# What the stages after the choice of line read, and what the summary groups by (every other column would
# only be carried through the sorts).
WORK_COLUMNS = ("setl_id", "psn_no", "insutype", "yr", "enddate", "begndate", "county_admdvs", "med_type", "hosp_lv",
                "admin_tier",
                "continuous_years", "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
                "inscp_scp_amt", "inscp_essential_amt", "hosp_part_amt")
# Amounts replaced by 0 on the placeholder rows of engine-path person-years (no overflow there).
ZEROED = ("medfee_sumamt", "inscp_scp_amt", "inscp_essential_amt")
OUTPUT_AMOUNTS = ("act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay",
                  "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay")


def person_year_window(table: ir.Table, *, whole: bool = False) -> ibis.expr.builders.LegacyWindowBuilder:
    """The replay window: running (rows up to the current one) or the whole person-year."""
    return ibis.window(group_by=[table[c] for c in PARTITION], order_by=[table[c] for c in ORDER],
                       rows=(None, None) if whole else (None, 0))


# ---------------------------------------------------------------- conditions (step 2)

@dataclass(frozen=True)
class Candidate:
    """A benefit line as tried in order, with the extra condition of a transitional county block."""

    line: BenefitLine
    county: str | None = None
    date_from: object = None
    date_to: object = None


def candidates(version: Version) -> list[Candidate]:
    """Transitional county lines first, then the version's lines: `matching.candidate_lines`."""
    out = [Candidate(line, t.county, t.effective_from, t.effective_to)
           for t in version.transitional for line in t.benefits]
    return out + [Candidate(line) for line in version.benefits]


def _isin(column: ir.Value, values: Iterable[object]) -> ir.BooleanValue:
    return column.isin(list(values)).fill_null(False)


def _assistance_any(table: ir.Table, categories: list[str]) -> ir.BooleanValue:
    checks = [table.assistance_key.contains(f"|{c}|") for c in categories]
    return ibis.or_(*checks) if checks else ibis.literal(False)


def disease_codes(version: Version, codes: Iterable[str]) -> dict[str, list[str]]:
    """For each disease group, the claim `dise_code` values that name a disease of that group."""
    groups: dict[str, list[str]] = {}
    for code in codes:
        disease = find_disease(version, code)
        if disease is not None:
            groups.setdefault(disease.group, []).append(code)
    return groups


def condition_expr(cond: Condition, t: ir.Table, groups: dict[str, list[str]]) -> ir.BooleanValue:
    """`matching.condition_holds` as a boolean expression; an absent field matches anything."""
    checks: list[ir.BooleanValue] = []
    if cond.med_type is not None:
        checks.append(_isin(t.med_type, cond.med_type))
    if cond.accident is not None:
        checks.append(t.is_accident == cond.accident)
    if cond.hosp_lv is not None:
        checks.append(_isin(t.hosp_lv, cond.hosp_lv))
    if cond.admin_tier is not None:
        checks.append(_isin(t.admin_tier, cond.admin_tier))
    if cond.psn_type is not None:
        checks.append(_isin(t.psn_type, cond.psn_type))
    if cond.student is not None:
        checks.append(t.is_student == cond.student)
    if cond.tier is not None:
        checks.append(_isin(t.tier, cond.tier))
    if cond.assistance is not None:
        checks.append(_assistance_any(t, cond.assistance))
    if cond.disease_group is not None:
        codes = [code for group in cond.disease_group for code in groups.get(group, [])]
        checks.append(_isin(t.dise_code, codes) if codes else ibis.literal(False))
    if cond.county is not None:
        checks.append(_isin(t.county_admdvs, cond.county))
    return ibis.and_(*checks) if checks else ibis.literal(True)


def candidate_expr(cand: Candidate, t: ir.Table, groups: dict[str, list[str]]) -> ir.BooleanValue:
    cond = condition_expr(cand.line.when, t, groups)
    if cand.county is None:
        return cond
    in_block = (t.county_admdvs == cand.county).fill_null(False) & t.enddate.between(cand.date_from, cand.date_to)
    return in_block & cond


def with_claim_facts(t: ir.Table) -> ir.Table:
    """Derived facts the conditions read: accident, student, the assistance categories as |a|b|."""
    assistance = t.assistance.fill_null("").replace(" ", "")
    poverty = ibis.ifelse(t.poverty_flag, "|poverty", "")
    return t.mutate(
        is_accident=t.accident | _isin(t.med_type, sorted(ACCIDENT_MED_TYPES)),
        is_student=t.student | _isin(t.psn_type, sorted(STUDENT_PSN_TYPES)),
        assistance_key=ibis.literal("|") + assistance + poverty + ibis.literal("|"),
    )


# ---------------------------------------------------------------- the plan of a version

def _cases(pairs: list[tuple[ir.BooleanValue, ir.Value]], default: ir.Value) -> ir.Value:
    return ibis.cases(*pairs, else_=default) if pairs else default


@dataclass
class Plan:
    """What the translation needs to know about a resolved version, derived from its data only."""

    resolved: Resolved
    lines: list[Candidate]
    cap_groups: dict[frozenset[str], int] = field(default_factory=dict)  # clean cap sets → amount
    crossing_lines: set[int] = field(default_factory=set)
    shared_deductible_lines: set[int] = field(default_factory=set)
    counters: list[str] = field(default_factory=list)
    accumulators: dict[str, int] = field(default_factory=dict)
    ratio_scale: int = 1
    layers: list[Layer] = field(default_factory=list)

    @classmethod
    def of(cls, resolved: Resolved) -> Plan:
        version = resolved.version
        plan = cls(resolved, candidates(version))
        plan._caps()
        plan._deductibles()
        ratios = [c.line.ratio for c in plan.lines] + [c.line.essential_ratio for c in plan.lines
                                                       if c.line.essential_ratio is not None]
        plan.ratio_scale = max((rate_fraction(r)[1] for r in ratios), default=1)
        plan.layers = sorted(resolved.layers, key=lambda layer: LAYER_ORDER.index(layer.field))
        return plan

    def _caps(self) -> None:
        amounts = {cap.id: cap.amount for cap in self.resolved.version.caps}
        sets_of_cap: dict[str, set[frozenset[str]]] = {}
        for cand in self.lines:
            caps = frozenset(cand.line.caps)
            for cap in caps:
                sets_of_cap.setdefault(cap, set()).add(caps)
        for index, cand in enumerate(self.lines):
            caps = frozenset(cand.line.caps)
            if not caps:
                continue
            if all(sets_of_cap[cap] == {caps} for cap in caps):
                # Caps only ever used together are one cap of the smallest amount.
                self.cap_groups[caps] = min(amounts[cap] for cap in caps)
            else:
                self.crossing_lines.add(index)

    def _deductibles(self) -> None:
        amounts: dict[str, set[int]] = {}
        for cand in self.lines:
            rule = cand.line.deductible
            if rule is not None and rule.kind == "annual":
                amounts.setdefault(rule.accumulator, set()).add(rule.amount or 0)
            counter = _counter_of(cand.line)
            if counter is not None and counter not in self.counters:
                self.counters.append(counter)
        for index, cand in enumerate(self.lines):
            rule = cand.line.deductible
            if rule is not None and rule.kind == "annual":
                if len(amounts[rule.accumulator]) > 1:
                    self.shared_deductible_lines.add(index)
                else:
                    self.accumulators[rule.accumulator] = rule.amount or 0

    def line_indexes(self, predicate) -> list[int]:
        return [i for i, cand in enumerate(self.lines) if predicate(cand.line)]


def _counter_of(line: BenefitLine) -> str | None:
    """The admission counter a line increments (engine: only when an admission opens with a deductible base)."""
    if not line.counts_admission:
        return None
    if line.deductible is None:
        return "admissions"
    if line.deductible.kind == "per_admission":
        return line.deductible.counter
    return None


def _admission_base_lvls(rule: Deductible) -> tuple[dict[int, int], int | None]:
    return dict(rule.by_hosp_lv or {}), rule.amount


# ---------------------------------------------------------------- stages

class Translation:
    """Builds the replay expression of one plan, stage by stage (each window stage is a `mutate`)."""

    def __init__(self, plan: Plan, groups: dict[str, list[str]]):
        self.plan = plan
        self.groups = groups

    # ---- step 2: the benefit line, the layer variants
    def pick(self, t: ir.Table) -> ir.Table:
        t = with_claim_facts(t)
        pairs = [(candidate_expr(c, t, self.groups), lit(i)) for i, c in enumerate(self.plan.lines)]
        line = ibis.ifelse(t.third_party_liable, lit(-1), _cases(pairs, lit(-1)))
        t = t.mutate(line=line)
        columns: dict[str, ir.Value] = {}
        for layer in self.plan.layers:
            columns[f"v_{layer.id}"] = self._variant(layer, t)
        t = t.mutate(**columns) if columns else t
        keep = [c for c in t.columns if c in WORK_COLUMNS or c.startswith("e_")]
        return t.select(*keep, "line", *columns)

    def _variant(self, layer: Layer, t: ir.Table) -> ir.Value:
        applies = self._layer_lines(layer)
        runs = _isin(t.line, applies) if applies else ibis.literal(False)
        pairs = [(condition_expr(v.when, t, self.groups), lit(k)) for k, v in enumerate(layer.variants)]
        return ibis.ifelse(runs, _cases(pairs, lit(-1)), lit(-1))

    def _layer_lines(self, layer: Layer) -> list[int]:
        return self.plan.line_indexes(lambda line: "*" in layer.applies_to or line.category in layer.applies_to)

    def _on_lines(self, t: ir.Table, indexes: Iterable[int]) -> ir.BooleanValue:
        indexes = list(indexes)
        return _isin(t.line, indexes) if indexes else ibis.literal(False)

    # ---- stage 1: admission counts, annual deductibles, engine flags
    def counts(self, t: ir.Table) -> ir.Table:
        row: dict[str, ir.Value] = {}
        for counter in self.plan.counters:
            row[f"inc_{counter}"] = ibis.ifelse(self._increments(t, counter), lit(1), lit(0))
        for acc in self.plan.accumulators:
            on = self._on_lines(t, self.plan.line_indexes(
                lambda line, a=acc: line.deductible is not None and line.deductible.kind == "annual"
                and line.deductible.accumulator == a))
            row[f"ded_{acc}"] = ibis.ifelse(on, t.inscp_scp_amt, lit(0))
        for layer in self.plan.layers:
            row[f"lcap_{layer.id}"] = self._layer_cap(layer, t)
        t = t.mutate(**row) if row else t
        w, whole = person_year_window(t), person_year_window(t, whole=True)
        win: dict[str, ir.Value] = {}
        for counter in self.plan.counters:
            win[f"cum_inc_{counter}"] = t[f"inc_{counter}"].sum().over(w)
        for acc in self.plan.accumulators:
            win[f"cum_ded_{acc}"] = t[f"ded_{acc}"].sum().over(w)
        win.update(self._engine_flags(t, whole))
        return t.mutate(**win)

    def _increments(self, t: ir.Table, counter: str) -> ir.BooleanValue:
        pairs = []
        for index, cand in enumerate(self.plan.lines):
            if _counter_of(cand.line) != counter:
                continue
            rule = cand.line.deductible
            if rule is None:
                opens = ibis.literal(True)
            else:
                by_lv, default = _admission_base_lvls(rule)
                opens = ibis.literal(True) if default is not None else _isin(t.hosp_lv, list(by_lv))
            pairs.append((t.line == index, opens))
        return _cases(pairs, ibis.literal(False))

    def _layer_cap(self, layer: Layer, t: ir.Table) -> ir.Value:
        """The claim's layer cap with increments by continuous years; −1 for none; NULL when the layer does not run."""
        pairs = [(t[f"v_{layer.id}"] == k, _variant_cap(v, t)) for k, v in enumerate(layer.variants)]
        return _cases(pairs, ibis.null("int64"))

    def _engine_flags(self, t: ir.Table, whole) -> dict[str, ir.Value]:
        flags: dict[str, ir.BooleanValue] = {}
        if self.plan.crossing_lines:
            flags["crossing_caps"] = self._on_lines(t, self.plan.crossing_lines).any().over(whole)
        if self.plan.shared_deductible_lines:
            flags["shared_deductible"] = self._on_lines(t, self.plan.shared_deductible_lines).any().over(whole)
        too_big = (t.medfee_sumamt > MAX_CLAIM_FEN) | (t.inscp_scp_amt > MAX_CLAIM_FEN)
        flags["amount_bounds"] = too_big.any().over(whole) | (t.inscp_scp_amt.sum().over(whole) > MAX_YEAR_FEN)
        varying = [t[f"lcap_{layer.id}"].min().over(whole) != t[f"lcap_{layer.id}"].max().over(whole)
                   for layer in self.plan.layers if _cap_may_vary(layer)]
        if varying:
            flags["layer_cap_varies"] = ibis.or_(*[v.fill_null(False) for v in varying])
        return {f"e_{name}": value for name, value in flags.items()}

    # ---- stage 2: deductible, pooled fund before caps
    def uncapped(self, t: ir.Table) -> ir.Table:
        engine = self.engine_flag(t)
        # Placeholder rows of engine-path persons compute on zeros (no overflow), and are replaced later.
        kept = {f"given_{name}": t[name] for name in ZEROED}
        zero = {name: ibis.ifelse(engine, lit(0), t[name]) for name in ZEROED}
        t = t.mutate(needs_engine=engine, **kept).mutate(**zero)
        charged = self._charged(t)
        t = t.mutate(act_pay_dedc=charged)
        scale = self.plan.ratio_scale
        ratio = _cases([(t.line == i, lit(_scaled(c.line.ratio, scale))) for i, c in enumerate(self.plan.lines)],
                       lit(0))
        essential_lines = [i for i, c in enumerate(self.plan.lines) if c.line.essential_ratio is not None]
        e_ratio = _cases([(t.line == i, lit(_scaled(self.plan.lines[i].line.essential_ratio, scale)))
                          for i in essential_lines], lit(0))
        essential = ibis.ifelse(self._on_lines(t, essential_lines), t.inscp_essential_amt, lit(0))
        t = t.mutate(essential=essential, base_portion=t.inscp_scp_amt - essential)
        t = t.mutate(dedc_on_base=ibis.least(t.act_pay_dedc, t.base_portion))
        t = t.mutate(uncapped=half_up_fraction(t.base_portion - t.dedc_on_base, ratio, scale)
                     + half_up_fraction(t.essential - (t.act_pay_dedc - t.dedc_on_base), e_ratio, scale))
        return t

    def engine_flag(self, t: ir.Table) -> ir.BooleanValue:
        names = [c for c in t.columns if c.startswith("e_")]
        return ibis.or_(*[t[c] for c in names]) if names else ibis.literal(False)

    def _charged(self, t: ir.Table) -> ir.Value:
        pairs = []
        for index, cand in enumerate(self.plan.lines):
            rule = cand.line.deductible
            if rule is None or index in self.plan.shared_deductible_lines:
                continue
            if rule.kind == "annual":
                amount = self.plan.accumulators[rule.accumulator]
                running, own = t[f"cum_ded_{rule.accumulator}"], t[f"ded_{rule.accumulator}"]
                pairs.append((t.line == index, capped_increment(running, own, amount)))
            else:
                pairs.append((t.line == index, ibis.least(self._admission_full(rule, t), t.inscp_scp_amt)))
        return _cases(pairs, lit(0))

    def _admission_full(self, rule: Deductible, t: ir.Table) -> ir.Value:
        """The admission's full deductible: base by level × ordinal factor, rounded as the engine does."""
        inc = t[f"inc_{rule.counter}"]
        ordinal = t[f"cum_inc_{rule.counter}"] - inc + 1

        def by_ordinal(base: int) -> ir.Value:
            factors = rule.ordinal_factors
            pairs = [(ordinal == k + 1, lit(apply_rate(base, f))) for k, f in enumerate(factors[:-1])]
            return _cases(pairs, lit(apply_rate(base, factors[-1])))

        by_lv, default = _admission_base_lvls(rule)
        pairs = [(t.hosp_lv == lv, by_ordinal(base)) for lv, base in by_lv.items()]
        return _cases(pairs, by_ordinal(default) if default is not None else lit(0))

    # ---- stage 3: caps → hifp_pay
    def pooled(self, t: ir.Table) -> ir.Table:
        groups = list(self.plan.cap_groups.items())
        row = {f"u_{g}": ibis.ifelse(self._on_lines(t, self._group_lines(caps)), t.uncapped, lit(0))
               for g, (caps, _amount) in enumerate(groups)}
        t = t.mutate(**row) if row else t
        w = person_year_window(t)
        windows = {f"cum_u_{g}": t[f"u_{g}"].sum().over(w) for g in range(len(groups))}
        for layer in self.plan.layers:
            if self.shortcut(layer) == "telescoped":  # the layer's burden accumulates in this same window stage
                lines = self._layer_lines(layer)
                uncapped_here = [i for i in lines if not self.plan.lines[i].line.caps]
                windows[f"cum_inscp_{layer.id}"] = ibis.ifelse(self._on_lines(t, lines), t.inscp_scp_amt,
                                                               lit(0)).sum().over(w)
                windows[f"cum_free_{layer.id}"] = ibis.ifelse(self._on_lines(t, uncapped_here), t.uncapped,
                                                              lit(0)).sum().over(w)
        if windows:
            t = t.mutate(**windows)
        pairs = [(self._on_lines(t, self._group_lines(caps)), capped_increment(t[f"cum_u_{g}"], t[f"u_{g}"], amount))
                 for g, (caps, amount) in enumerate(groups)]
        uncapped_lines = self.plan.line_indexes(lambda line: not line.caps)
        pairs.append((self._on_lines(t, uncapped_lines), t.uncapped))
        t = t.mutate(hifp_pay=_cases(pairs, lit(0)))
        eligible = t.inscp_scp_amt - t.act_pay_dedc
        cut = (t.hifp_pay < t.uncapped) & (t.uncapped > 0)
        return t.mutate(over_cap_cost=ibis.ifelse(cut, half_up_ratio(eligible, t.uncapped - t.hifp_pay,
                                                                        ibis.greatest(t.uncapped, lit(1))), lit(0)),
                        fund_so_far=t.hifp_pay)

    def _group_lines(self, caps: frozenset[str]) -> list[int]:
        return [i for i, c in enumerate(self.plan.lines)
                if frozenset(c.line.caps) == caps and i not in self.plan.crossing_lines]

    # ---- step 5: the layers, in order
    def layers(self, t: ir.Table) -> ir.Table:
        t = t.mutate(**{name: lit(0) for name in LAYER_ORDER})
        for layer in self.plan.layers:
            t = self._layer(layer, t)
        return t

    def _layer(self, layer: Layer, t: ir.Table) -> ir.Table:
        v = t[f"v_{layer.id}"]
        lid = layer.id
        t = t.mutate(**{f"rem_{lid}": ibis.greatest(t.inscp_scp_amt - t.fund_so_far, lit(0))})
        width = max(len(variant.parts) for variant in layer.variants)
        bases = {}
        for k in range(width):
            pairs = [(v == j, _part_base(variant.parts[k], t, lid)) for j, variant in enumerate(layer.variants)
                     if k < len(variant.parts)]
            bases[f"b_{lid}_{k}"] = _cases(pairs, lit(0))
        t = t.mutate(**bases)
        shortcut = self.shortcut(layer)
        if shortcut == "telescoped":
            t = t.mutate(**{f"cum_b_{lid}_0": self._burden_so_far(layer, t)})
        else:
            w = person_year_window(t)
            t = t.mutate(**{f"cum_b_{lid}_{k}": t[f"b_{lid}_{k}"].sum().over(w) for k in range(width)})
        due_pairs = []
        for j, variant in enumerate(layer.variants):
            due = lit(0)
            for k, part in enumerate(variant.parts):
                cum, own = t[f"cum_b_{lid}_{k}"], t[f"b_{lid}_{k}"]
                due = due + schedule_expr(cum, part.schedule) - schedule_expr(cum - own, part.schedule)
            due_pairs.append((v == j, due))
        t = t.mutate(**{f"due_{lid}": _cases(due_pairs, lit(0))})
        x = ibis.least(t[f"due_{lid}"], t[f"rem_{lid}"])
        y_pairs = [(v == j, _with_floor(variant, x, t)) for j, variant in enumerate(layer.variants)]
        t = t.mutate(**{f"y_{lid}": _cases(y_pairs, lit(0))})
        if shortcut is None:
            t = t.mutate(**{f"cum_y_{lid}": t[f"y_{lid}"].sum().over(person_year_window(t))})
        else:  # y = due, and the dues telescope: Σ due = Σ_k schedule_k(cumulative base k)
            variant = layer.variants[0]
            total = lit(0)
            for k, part in enumerate(variant.parts):
                total = total + schedule_expr(t[f"cum_b_{lid}_{k}"], part.schedule)
            t = t.mutate(**{f"cum_y_{lid}": total})
        y, running, cap = t[f"y_{lid}"], t[f"cum_y_{lid}"], t[f"lcap_{lid}"]
        paid = ibis.cases((v < 0, lit(0)), (cap < 0, y), else_=capped_increment(running, y, cap))
        t = t.mutate(**{f"paid_{lid}": paid})
        return t.mutate(**{layer.field: t[layer.field] + t[f"paid_{lid}"],
                           "fund_so_far": t.fund_so_far + t[f"paid_{lid}"]})

    def shortcut(self, layer: Layer) -> str | None:
        """When a layer needs fewer window stages, provably.

        If the layer is the first to pay (so its remaining burden is inscp − hifp = burden), has one
        variant for everyone, no floor and a fixed cap, and its parts' bases add up to at most the burden,
        then each claim's due is at most its remaining burden (a tier's increment half-up(a·r) − half-up(c·r)
        ≤ ⌈(a−c)·r⌉ ≤ a−c for r ≤ 1), so x = due and the running sum of dues telescopes to
        Σ_k schedule_k(B_k): no window for the layer cap ("no_y"). If moreover its only base is the burden
        (or the remaining burden, equal here) and no cap group is shared between its lines and others, the
        running burden is Σ inscp − Σ_groups min(C_g, U_g) − Σ uncapped-line payments, all read from the
        pooled-fund window stage ("telescoped")."""
        if not self.plan.layers or layer is not self.plan.layers[0] or len(layer.variants) != 1:
            return None
        variant = layer.variants[0]
        if variant.when != Condition() or variant.floor is not None or variant.cap_increments:
            return None
        kinds = [part.base for part in variant.parts]
        if not (kinds in (["burden"], ["remaining"]) or (set(kinds) <= {"under_cap", "over_cap"}
                                                           and len(kinds) == len(set(kinds)))):
            return None
        if len(kinds) == 1 and kinds[0] in ("burden", "remaining") and self._groups_aligned(layer):
            return "telescoped"
        return "no_y"

    def _groups_aligned(self, layer: Layer) -> bool:
        lines = set(self._layer_lines(layer))
        if self.plan.crossing_lines & lines:
            return False
        return all(set(self._group_lines(caps)) <= lines or not (set(self._group_lines(caps)) & lines)
                   for caps in self.plan.cap_groups)

    def _burden_so_far(self, layer: Layer, t: ir.Table) -> ir.Value:
        lines = set(self._layer_lines(layer))
        paid = lit(0)
        for g, (caps, amount) in enumerate(self.plan.cap_groups.items()):
            if set(self._group_lines(caps)) <= lines and self._group_lines(caps):
                paid = paid + ibis.least(lit(amount), t[f"cum_u_{g}"])
        return t[f"cum_inscp_{layer.id}"] - paid - t[f"cum_free_{layer.id}"]

    # ---- step 6: the person's part
    def finish(self, t: ir.Table) -> ir.Table:
        fund = t.hifp_pay
        for name in LAYER_ORDER:
            fund = fund + t[name]
        t = t.mutate(fund_pay_sumamt=fund)
        t = t.mutate(psn_part_amt=t.medfee_sumamt - t.fund_pay_sumamt - t.hosp_part_amt, acct_pay=lit(0))
        t = t.mutate(psn_cash_pay=t.psn_part_amt)
        return t.mutate(**{name: t[f"given_{name}"] for name in ZEROED})

    def build(self, t: ir.Table) -> ir.Table:
        """All stages: the claims table with every settlement amount, in fen, and `needs_engine`."""
        return self.finish(self.layers(self.pooled(self.uncapped(self.counts(self.pick(t))))))


def _scaled(rate: Decimal, scale: int) -> int:
    numerator, own_scale = rate_fraction(rate)
    return numerator * (scale // own_scale)


def _variant_cap(variant: LayerVariant, t: ir.Table) -> ir.Value:
    if variant.cap is None:
        return lit(-1)
    cap: ir.Value = lit(variant.cap)
    for inc in variant.cap_increments:
        holds = t.continuous_years >= inc.min_years
        if inc.max_years is not None:
            holds = holds & (t.continuous_years < inc.max_years)
        cap = cap + ibis.ifelse(holds, lit(inc.amount), lit(0))
    return cap


def _cap_may_vary(layer: Layer) -> bool:
    caps = {v.cap for v in layer.variants}
    return len(caps) > 1 or any(v.cap_increments for v in layer.variants)


def _part_base(part: LayerPart, t: ir.Table, lid: str) -> ir.Value:
    burden = t.inscp_scp_amt - t.hifp_pay
    return {
        "burden": burden,
        "under_cap": burden - t.over_cap_cost,
        "over_cap": t.over_cap_cost,
        "remaining": t[f"rem_{lid}"],
    }[part.base]


def schedule_expr(amount: ir.IntegerValue, tiers: list[Tier]) -> ir.IntegerValue:
    """The engine's `schedule`: Σ over tiers of half-up(part of the amount in the tier × rate)."""
    total: ir.IntegerValue = lit(0)
    for tier in tiers:
        top = amount if tier.up_to is None else ibis.least(amount, lit(tier.up_to))
        total = total + half_up_rate(ibis.greatest(top - lit(tier.above), lit(0)), tier.rate)
    return total


def _with_floor(variant: LayerVariant, x: ir.IntegerValue, t: ir.Table) -> ir.IntegerValue:
    """The payment before the layer cap. With a floor the engine pays max(x, min(target, base) − fund so far)
    (then limited by the cap's room exactly as x alone would be): see `engine._floor_topup`."""
    if variant.floor is None:
        return x
    base = t.inscp_scp_amt if variant.floor.base == "inscp_scp_amt" else t.medfee_sumamt
    target = half_up_rate(base, variant.floor.ratio)
    return ibis.greatest(x, ibis.least(target, base) - t.fund_so_far)

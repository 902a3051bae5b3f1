"""Policies as readable Markdown: every number with the seed sentence it comes from (docs/policies.md)."""

from __future__ import annotations

from tongchou.money import yuan_text
from tongchou.policy.schema import BenefitLine, Condition, Layer, Policy, Ref, Version

HEADER = """# Policies

Generated from the files under `policies/` by `tongchou policy doc --output docs/policies.md`
(a test keeps it current). Every number is listed with the seed sentence it comes from;
readings of ambiguous sentences are explained in [policy-readings.md](policy-readings.md).
Policies marked *example* fill a seed's silence and list their assumptions.
"""


def _ref(ref: Ref | None) -> str:
    return f"{ref.source}：“{ref.text}”" if ref else "—"


def _when(cond: Condition) -> str:
    parts = [f"{name}={','.join(map(str, value)) if isinstance(value, list) else value}"
             for name, value in cond.model_dump(exclude_none=True).items()]
    return "; ".join(parts) or "all claims"


def _deductible(line: BenefitLine) -> str:
    rule = line.deductible
    if rule is None:
        return "none"
    if rule.kind == "annual":
        return f"annual {yuan_text(rule.amount, space=True)} ({rule.accumulator})"
    amounts = (", ".join(f"L{lv} {yuan_text(v, space=True)}" for lv, v in sorted(rule.by_hosp_lv.items()))
               if rule.by_hosp_lv else yuan_text(rule.amount, space=True))
    factors = "/".join(str(f) for f in rule.ordinal_factors)
    return f"per admission {amounts}; ordinal factors {factors}"


def _benefits(version: Version) -> list[str]:
    rows = ["| line | covers | deductible | ratio | caps | source |", "|---|---|---|---|---|---|"]
    for line in version.benefits:
        ratio = str(line.ratio) + (f" (essential drugs {line.essential_ratio})" if line.essential_ratio else "")
        source = _ref(line.ref) + (f" Deductible: {_ref(line.deductible.ref)}" if line.deductible and
                                    line.deductible.ref and line.deductible.ref != line.ref else "")
        rows.append(f"| {line.name} (`{line.id}`) | {_when(line.when)} | {_deductible(line)} | {ratio} | "
                    f"{', '.join(line.caps) or 'none written'} | {source} |")
    return rows


def _layer(layer: Layer) -> list[str]:
    lines = [f"- **{layer.name}** → `{layer.field}`, over {', '.join(layer.applies_to)}"
             + (f", run by {layer.run_by}" if layer.run_by else "") + f". Source: {_ref(layer.ref)}"]
    for variant in layer.variants:
        for part in variant.parts:
            tiers = "; ".join(f"{yuan_text(t.above, space=True)}–"
                              f"{yuan_text(t.up_to, space=True) if t.up_to else '∞'} at {t.rate}"
                              for t in part.schedule)
            lines.append(f"  - base `{part.base}`: {tiers}" + (f" — “{part.note}”" if part.note else ""))
        if variant.cap is not None:
            extra = "; ".join(f"+{yuan_text(i.amount, space=True)} for {i.min_years}–{i.max_years or '∞'} years"
                              for i in variant.cap_increments)
            lines.append(f"  - annual cap {yuan_text(variant.cap, space=True)}" + (f" ({extra})" if extra else ""))
    return lines


def _version(version: Version) -> list[str]:
    out = [f"### Version {version.version}: {version.effective_from} – {version.effective_to}", ""]
    if version.note:
        out += [version.note, ""]
    if version.caps:
        out += ["| cap | amount | source |", "|---|---|---|"]
        out += [f"| {c.name} (`{c.id}`) | {yuan_text(c.amount, space=True)} | {_ref(c.ref)} |" for c in version.caps]
        out.append("")
    if version.benefits:
        out += _benefits(version) + [""]
    if version.diseases:
        names = "、".join(d.name + (f"（{d.condition}）" if d.condition else "") + f"[{d.group}]"
                         for d in version.diseases)
        out += [f"Diseases: {names}", ""]
    for layer in version.layers:
        out += _layer(layer)
    if version.compose:
        out += [f"Composes the layers of: {', '.join(version.compose)}", ""]
    for gap in version.not_in_source:
        out += [f"Not in the source ({_when(gap.when)}): {gap.text}. Source: {_ref(gap.ref)}", ""]
    if version.personal_account:
        acct = version.personal_account
        out += [f"Personal account: {acct.model_dump(exclude_none=True, exclude={'ref'})}. Source: {_ref(acct.ref)}", ""]
    if version.chronic_filing:
        out += _chronic_filing(version.chronic_filing)
    if version.contributions:
        c = version.contributions
        out += [f"Contributions: {c.model_dump(mode='json', exclude_none=True, exclude={'ref'})}. "
                f"Source: {_ref(c.ref)}", ""]
    return out


def _chronic_filing(f) -> list[str]:
    """门诊慢特病申报: where, when, what to bring, how long an approval lasts."""
    windows = "; ".join(f"{w.name} {w.opens.month}-{w.opens.day} – {w.closes.month}-{w.closes.day}" for w in f.windows)
    validity = (f"{f.validity.months} months from the approval" if f.validity.months
                else "to 31 December of the approval year")
    out = [f"Chronic-disease filing (门诊慢特病申报){' — *example*' if f.example else ''}: received at "
           f"{', '.join(f.received_at)}; windows {windows}; documents {'、'.join(f.documents)}; valid {validity}. "
           f"Source: {_ref(f.ref)}", ""]
    if f.assumptions:
        out += ["Assumptions:", *[f"- {a}" for a in f.assumptions], ""]
    return out


def policy_markdown(policy: Policy) -> list[str]:
    title = f"## {policy.name} (`{policy.id}`)" + (" — *example*" if policy.example else "")
    out = [title, "", f"Region {policy.region}, scheme {policy.scheme}, {policy.kind}. Source: {policy.source or '—'}", ""]
    if policy.assumptions:
        out += ["Assumptions:", *[f"- {a}" for a in policy.assumptions], ""]
    for version in policy.versions:
        out += _version(version)
    return out


def policies_markdown(policies: list[Policy]) -> str:
    out = [HEADER]
    for policy in sorted(policies, key=lambda p: (p.example, p.id)):
        out += policy_markdown(policy) + [""]
    return "\n".join(out).rstrip() + "\n"

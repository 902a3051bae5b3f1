"""The simulation summary (docs/reference/contracts.md "`tongchou simulate`"), computed on the backend in fen.

Amounts are written as yuan decimal strings. `change.<id>` compares each
policy after the first with the first, on the same claims: the change of every
amount, and per person-year (psn_no, insutype, year) the change of the yearly
`psn_part_amt`: how many are better off (lower), worse off (higher), unchanged,
and its distribution (exact quantiles by nearest rank, and a histogram).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any, Iterable

import ibis
import ibis.expr.types as ir

from tongchou.batch.replay import PolicyResult
from tongchou.batch.translate import ENGINE_REASONS, candidates
from tongchou.money import fen_to_str
from tongchou.policy.registry import Resolved

SUMMARY_AMOUNTS = ("medfee_sumamt", "inscp_scp_amt", "act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay",
                   "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay",
                   "psn_cash_pay")
QUANTILES = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0)
# Histogram edges of the yearly change per person, yuan (fen below): (−∞,−5000), [−5000,−1000), … (0 alone).
EDGES_YUAN = (-5000, -1000, -500, -100, -50, -10, 0, 10, 50, 100, 500, 1000, 5000)
NO_CAP_TEXT = "政策未规定年度最高支付限额（原文未写明，非无限额）；重放中该待遇不受年度限额约束。"


def _aggregates(t: ir.Table) -> dict[str, ir.Value]:
    out: dict[str, ir.Value] = {"claims": t.count(), "persons": t.psn_no.nunique()}
    out.update({name: t[name].sum() for name in SUMMARY_AMOUNTS})
    return out


def _cell(row: dict[str, Any]) -> dict[str, Any]:
    cell = {"claims": int(row["claims"]), "persons": int(row["persons"])}
    cell.update({name: fen_to_str(int(row[name] or 0)) for name in SUMMARY_AMOUNTS})
    return cell


def _grouped(t: ir.Table, key: str | None) -> dict[tuple[str, str | None], dict[str, Any]]:
    keys = [t.policy_id] + ([t[key].fill_null("(none)").name("key")] if key else [])
    rows = t.group_by(keys).agg(**_aggregates(t)).to_pyarrow().to_pylist()
    return {(row["policy_id"], row.get("key")): row for row in rows}


def policy_facts(resolved: Resolved) -> dict[str, Any]:
    """What the policy says about annual caps, line by line: an absent cap is written as absent."""
    version = resolved.version
    caps = {cap.id: cap for cap in version.caps}
    lines = []
    for cand in candidates(version):
        line = cand.line
        entry: dict[str, Any] = {"id": line.id, "name": line.name, "category": line.category}
        if line.caps:
            entry["annual_caps"] = [{"id": c, "name": caps[c].name, "amount": fen_to_str(caps[c].amount)}
                                    for c in line.caps]
        else:
            entry["annual_cap"] = "absent"
            entry["annual_cap_note"] = NO_CAP_TEXT
        lines.append(entry)
    layers = [{"id": layer.id, "name": layer.name, "field": layer.field,
               "caps": [fen_to_str(v.cap) if v.cap is not None else "absent" for v in layer.variants]}
              for layer in resolved.layers]
    return {
        "id": resolved.policy.id, "name": resolved.policy.name, "version": version.version,
        "effective_from": version.effective_from.isoformat(), "effective_to": version.effective_to.isoformat(),
        "example": resolved.policy.example, "lines": lines, "layers": layers,
        "lines_without_annual_cap": [entry["id"] for entry in lines if entry.get("annual_cap") == "absent"],
    }


def _engine_path(result: PolicyResult) -> dict[str, Any]:
    return {"persons": result.engine_persons, "claims": result.engine_claims,
            "reasons": {name: {**counts, "why": ENGINE_REASONS[name]} for name, counts in result.engine_reasons.items()}}


def _delta(new: dict[str, Any] | None, old: dict[str, Any] | None) -> dict[str, Any]:
    def fen(row, name):
        return int(row[name] or 0) if row else 0
    out = {"claims": (int(new["claims"]) if new else 0) - (int(old["claims"]) if old else 0)}
    out.update({name: fen_to_str(fen(new, name) - fen(old, name)) for name in SUMMARY_AMOUNTS})
    return out


AFFECTED_SCOPES = {"county_admdvs": "by_county", "admin_tier": "by_admin_tier", "med_type": "by_med_type"}


def claims_affected(table: ir.Table, first: str, other: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Who is affected, claim by claim: per county, institution tier and med_type, how many claims the
    person pays less (`lower`) or more (`higher`) for under `other` than under `first`, and the change of
    the fund's and the person's part (yuan strings)."""
    keys = ("setl_id", *AFFECTED_SCOPES)
    a = table.filter(table.policy_id == first).select(*keys, old_psn=table.psn_part_amt, old_fund=table.fund_pay_sumamt)
    b = table.filter(table.policy_id == other).select("setl_id", new_psn=table.psn_part_amt,
                                                      new_fund=table.fund_pay_sumamt)
    joined = a.join(b, "setl_id")
    diff = joined.mutate(d_psn=joined.new_psn - joined.old_psn, d_fund=joined.new_fund - joined.old_fund)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for column, scope in AFFECTED_SCOPES.items():
        key = diff[column].fill_null("(none)")
        rows = diff.group_by(key.name("key")).agg(
            claims=diff.count(), lower=(diff.d_psn < 0).sum(), higher=(diff.d_psn > 0).sum(),
            psn_part_amt=diff.d_psn.sum(), fund_pay_sumamt=diff.d_fund.sum()).to_pyarrow().to_pylist()
        out[scope] = {r["key"]: {"claims": int(r["claims"]), "lower": int(r["lower"] or 0),
                                 "higher": int(r["higher"] or 0), "psn_part_amt": fen_to_str(int(r["psn_part_amt"] or 0)),
                                 "fund_pay_sumamt": fen_to_str(int(r["fund_pay_sumamt"] or 0))}
                      for r in sorted(rows, key=lambda r: str(r["key"]))}
    return out


def person_changes(table: ir.Table, first: str, other: str) -> dict[int, int]:
    """Count of person-years by change (fen) of yearly psn_part_amt, `other` against `first`."""
    keys = ("psn_no", "insutype", "yr")
    yearly = table.group_by([table.policy_id, *keys]).agg(psn=table.psn_part_amt.sum())
    a = yearly.filter(yearly.policy_id == first).select(*keys, old=yearly.psn)
    b = yearly.filter(yearly.policy_id == other).select(*keys, new=yearly.psn)
    joined = a.join(b, list(keys), how="outer")
    diff = (joined.new.fill_null(0) - joined.old.fill_null(0)).name("diff")
    counts = joined.select(diff=diff).group_by("diff").agg(n=ibis._.count()).to_pyarrow().to_pylist()
    return {int(row["diff"]): int(row["n"]) for row in counts}


def distribution(counts: dict[int, int]) -> dict[str, Any]:
    """Nearest-rank quantiles and histogram bins of per-person changes (fen in, yuan strings out)."""
    total = sum(counts.values())
    ordered = sorted(counts.items())
    quantiles: dict[str, str] = {}
    for q in QUANTILES:
        rank = max(1, int((Decimal(str(q)) * total).to_integral_value(rounding=ROUND_CEILING)))
        seen = 0
        for value, n in ordered:
            seen += n
            if seen >= rank:
                quantiles[f"p{int(round(q * 100))}"] = fen_to_str(value)
                break
    edges = [e * 100 for e in EDGES_YUAN]
    bins = []
    bounds = [None, *edges, None]
    for low, high in zip(bounds, bounds[1:]):
        if low == 0:
            bins.append({"from": "0.00", "to": "0.00", "persons": counts.get(0, 0)})
            n = sum(c for v, c in ordered if 0 < v and (high is None or v < high))
            bins.append({"from": "0.01", "to": None if high is None else fen_to_str(high - 1), "persons": n})
            continue
        n = sum(c for v, c in ordered if (low is None or v >= low) and (high is None or v < high)
                and not (high == 0 and v == 0))
        bins.append({"from": None if low is None else fen_to_str(low),
                     "to": None if high is None else fen_to_str(high - 1), "persons": n})
    mean = (Decimal(sum(v * n for v, n in ordered)) / total / 100) if total else Decimal(0)
    return {"unit": "person-year", "person_years": total, "quantiles": quantiles,
            "mean": str(mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)), "histogram": bins}


def summarise(results: Iterable[PolicyResult]) -> dict[str, Any]:
    results = list(results)
    table = results[0].table if len(results) == 1 else ibis.union(*(r.table for r in results))
    scopes = {"all": _grouped(table, None), "by_county": _grouped(table, "county_admdvs"),
              "by_med_type": _grouped(table, "med_type"), "by_admin_tier": _grouped(table, "admin_tier")}
    summary: dict[str, Any] = {"unit": "yuan", "policies": [r.policy.id for r in results], "by_policy": {},
                               "engine_path": {}}
    for r in results:
        pid = r.policy.id
        summary["by_policy"][pid] = {
            "policy": [policy_facts(seg.resolved) for seg in r.segments],
            "all": _cell(scopes["all"][(pid, None)]),
            "by_county": {k: _cell(v) for (p, k), v in sorted(scopes["by_county"].items()) if p == pid},
            "by_med_type": {k: _cell(v) for (p, k), v in sorted(scopes["by_med_type"].items()) if p == pid},
            "by_admin_tier": {k: _cell(v) for (p, k), v in sorted(scopes["by_admin_tier"].items()) if p == pid},
        }
        summary["engine_path"][pid] = _engine_path(r)
    if len(results) > 1:
        summary["change"] = {}
        first = results[0].policy.id
        for r in results[1:]:
            summary["change"][r.policy.id] = _change(table, scopes, first, r.policy.id)
    return summary


def _change(table: ir.Table, scopes, first: str, other: str) -> dict[str, Any]:
    def keys_of(scope):
        return sorted({k for (p, k) in scopes[scope] if p in (first, other)})
    change: dict[str, Any] = {"against": first,
                              "all": _delta(scopes["all"].get((other, None)), scopes["all"].get((first, None)))}
    for scope in AFFECTED_SCOPES.values():
        change[scope] = {k: _delta(scopes[scope].get((other, k)), scopes[scope].get((first, k))) for k in keys_of(scope)}
    change["claims_affected"] = claims_affected(table, first, other)
    counts = person_changes(table, first, other)
    change["persons_better_off"] = sum(n for v, n in counts.items() if v < 0)
    change["persons_worse_off"] = sum(n for v, n in counts.items() if v > 0)
    change["persons_unchanged"] = counts.get(0, 0)
    change["person_change"] = distribution(counts)
    return change

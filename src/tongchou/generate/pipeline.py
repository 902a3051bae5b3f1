"""`generate`: the whole synthetic region, stage by stage, with progress, into an output directory."""

from __future__ import annotations

import datetime as dt
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from tongchou.clearing.rules import load_rules
from tongchou.enrolment.rules import individual_contribution, subsidy_total
from tongchou.generate import params as P
from tongchou.generate.activity import Table, take, year_of_activity
from tongchou.generate.amounts import claim_split
from tongchou.generate.calibration import calibration
from tongchou.generate.catalogue import build_catalogue
from tongchou.generate.diagnoses import main_codes
from tongchou.generate.fees import build_lines
from tongchou.generate.fixture import DEFAULT_PERSON_CAP, write_fixture
from tongchou.generate.outputs import (
    Generated, feedetl_sns, write_claims, write_fee_detail, write_side_tables, write_visits,
)
from tongchou.generate.planting import OUTLIER_COST_FACTOR, choose_outlier, plant
from tongchou.generate.population import CHRONIC_CODES, build_population
from tongchou.generate.region import build_doctors, build_institutions
from tongchou.generate.settling import ClaimInputs, region_registry, settle_all
from tongchou.generate.truth import planted_json
from tongchou.policy.registry import NoPolicy, Registry


@dataclass(frozen=True)
class GenerateOptions:
    out: Path
    insured: int = 50_000
    seed: int = 2018
    year: int = 2018
    settle: bool | None = None          # None: settle when the region is small enough (params.settle_by_default)
    csv: bool = False
    person_cap: int = DEFAULT_PERSON_CAP
    policy_dir: Path | None = None
    progress: bool = True
    batches_xlsx: bool = False          # the bureau's batches (batches/) also as XLSX


class Stages:
    """Rich progress over the named stages (silent when not wanted)."""

    def __init__(self, progress: Progress | None):
        self.progress = progress
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, label: str, total: int = 1) -> Iterator[Any]:
        started = time.perf_counter()
        if self.progress is None:
            yield lambda n=1: None
        else:
            task = self.progress.add_task(label, total=total)
            yield lambda n=1: self.progress.advance(task, n)
            self.progress.update(task, completed=total)
        self.seconds[label] = round(time.perf_counter() - started, 2)


def _order_claims(claims: Table, lines: Table) -> tuple[Table, Table, np.ndarray]:
    """Claims in time order (their setl_id order); lines by claim, time, uid. Returns the index maps too."""
    order = np.lexsort((claims["med_type"], claims["inst"], claims["psn"], claims["start_min"], claims["begin"],
                        claims["end"]))
    new_index = np.empty(len(order), dtype=np.int64)
    new_index[order] = np.arange(len(order))
    claims = take(claims, order)
    lines = dict(lines)
    lines["claim"] = new_index[lines["claim"]]
    line_order = np.lexsort((lines["uid"], lines["time"], lines["claim"]))
    lines = take(lines, line_order)
    return claims, lines, new_index


def _renumber_cases(cases: list[dict], new_index: np.ndarray) -> list[dict]:
    for case in cases:
        if "claim" in case:
            case["claim"] = int(new_index[case["claim"]])
        if "claims" in case:
            case["claims"] = [int(new_index[c]) for c in case["claims"]]
    return cases


def _settle(g: Generated, registry: Registry, stages: Stages) -> tuple[dict[str, np.ndarray], list[str]]:
    order = g.replay_order()
    c = g.claims
    setl, mdtrt = g.setl_ids(), g.mdtrt_ids()
    dise = np.array(list(CHRONIC_CODES) + [""])[c["dise"][order]]
    inputs = ClaimInputs(
        setl_id=setl.take(order).to_pylist(), mdtrt_id=mdtrt.take(order).to_pylist(), psn=c["psn"][order],
        insutype=g.pop.insutype[c["psn"][order]].tolist(), med_type=c["med_type"][order].astype(str).tolist(),
        begin=c["begin"][order], end=c["end"][order], hosp_lv=g.inst.hosp_lv[c["inst"][order]].astype(np.int64),
        admin_tier=np.array(P.TIERS)[g.inst.tier[c["inst"][order]]].tolist(),
        dise_code=[d or None for d in dise.tolist()], split={k: v[order] for k, v in g.split.items()},
    )
    with stages.stage("结算（真实引擎）", total=len(order)) as advance:
        values, policy_ids = settle_all(inputs, g.pop, registry, P.REGION[0], advance)
    out = {k: np.empty_like(v) for k, v in values.items()}
    ids = [""] * len(order)
    for name, v in values.items():
        out[name][order] = v
    for position, claim in enumerate(order.tolist()):
        ids[claim] = policy_ids[position]
    return out, ids


def _contribution_rates(registry: Registry, year: int) -> tuple[dict[str, int], int]:
    try:
        resolved = registry.resolve(P.REGION[0], P.RESIDENT, dt.date(year, 6, 30))
    except NoPolicy:
        return {}, 0
    contrib = resolved.version.contributions
    tiers = {t: individual_contribution(contrib, year, t) for t in ("一档", "二档")}
    return tiers, subsidy_total(contrib, year)


def _check_policies(registry: Registry, year: int) -> None:
    for scheme in (P.RESIDENT, P.EMPLOYEE):
        registry.resolve(P.REGION[0], scheme, dt.date(year, 6, 30))


def build(options: GenerateOptions, stages: Stages, registry: Registry, settle: bool) -> Generated:
    seed, year = options.seed, options.year
    with stages.stage("地区：机构、医生、目录"):
        inst = build_institutions(seed)
        doctors = build_doctors(inst)
        cat = build_catalogue()
        outlier = choose_outlier(seed, inst)
    with stages.stage(f"参保人口 {options.insured:,}"):
        pop = build_population(seed, options.insured, year)
    with stages.stage("就诊与住院"):
        claims = year_of_activity(seed, pop, inst, doctors, cat, outlier, OUTLIER_COST_FACTOR)
    with stages.stage("费用明细"):
        lines = build_lines(seed, "organic", claims, pop, inst, cat)
    with stages.stage("植入监管规则案例"):
        claims, lines, cases = plant(seed, claims, lines, pop, inst, doctors, cat, outlier)
        claims, lines, new_index = _order_claims(claims, lines)
        cases = _renumber_cases(cases, new_index)
    with stages.stage("费用分割"):
        split = claim_split(lines, cat, len(claims["psn"]))
    with stages.stage("主要诊断与手术（DIP）"):
        dip_pairs, claims["dip"] = main_codes(seed, claims["med_type"], split["medfee_sumamt"],
                                              load_rules().dip.groups)
    g = Generated(seed, year, pop, inst, doctors, cat, claims, lines, split, None, None, cases, outlier, dip_pairs)
    if settle:
        g.settlement, g.policy_ids = _settle(g, registry, stages)
    return g


def write_all(g: Generated, options: GenerateOptions, stages: Stages, registry: Registry) -> dict[str, Any]:
    out = options.out
    with stages.stage("写出 claims.parquet"):
        write_claims(g, out, options.csv)
    with stages.stage("写出 fee_detail.parquet"):
        write_fee_detail(g, out)
    with stages.stage("写出 visits.jsonl"):
        write_visits(g, out)
    with stages.stage("写出 fixture.yaml 与附表"):
        persons = write_fixture(out / "fixture.yaml", g.pop, g.inst, g.cat, g.seed, options.person_cap)
        individual, subsidy = _contribution_rates(registry, g.year)
        write_side_tables(g, out, individual, subsidy)
    with stages.stage("写出 batches/（参保登记、缴费申报、税务征收批次）"):
        from tongchou.generate.batches import write_batches
        batches = write_batches(g.pop, out / "batches", xlsx=options.batches_xlsx)
    with stages.stage("写出 planted.json 与 calibration.json"):
        truth = planted_json(g, feedetl_sns(g).to_pylist())
        _write_json(out / "planted.json", truth)
        calib = calibration(g)
        _write_json(out / "calibration.json", calib)
    return {"insured": g.pop.n, "claims": g.n_claims, "fee_lines": len(g.lines["claim"]),
            "fixture_persons": persons, "settled": g.settlement is not None, "planted_cases": len(truth["cases"]),
            "calibration_within": calib["all_within"], "batches": batches}


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def generate(options: GenerateOptions, console: Console | None = None) -> dict[str, Any]:
    """Generate the region into options.out; returns a summary (counts, seconds)."""
    started = time.perf_counter()
    options.out.mkdir(parents=True, exist_ok=True)
    registry = region_registry(options.policy_dir)
    settle = P.settle_by_default(options.insured) if options.settle is None else options.settle
    if settle:
        _check_policies(registry, options.year)
    console = console or Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    if options.progress:
        with Progress(*columns, console=console, transient=False) as progress:
            stages = Stages(progress)
            g = build(options, stages, registry, settle)
            summary = write_all(g, options, stages, registry)
    else:
        stages = Stages(None)
        g = build(options, stages, registry, settle)
        summary = write_all(g, options, stages, registry)
    summary["stages"] = stages.seconds
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return summary

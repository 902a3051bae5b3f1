"""Replay a claims table under named policies on DuckDB or PySpark (the imperative shell).

`Replayer.run(policy_id)` builds the policy's Ibis expression (`translate`),
materialises it once on the backend, settles the flagged person-years through
the engine (`fallback`), and returns the result table in fen with a
`policy_id` column. Validation of the input names the column and a `setl_id`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from tongchou.batch.fallback import EngineReplay
from tongchou.batch.fen import lit
from tongchou.batch.source import (
    INPUT_AMOUNTS, PARTITION, ClaimsInputError, Source, normalise, open_raw,
)
from tongchou.batch.translate import (
    ENGINE_REASONS, OUTPUT_AMOUNTS, Plan, Translation, disease_codes, person_year_window,
)
from tongchou.policy.registry import NoPolicy, Registry, Resolved
from tongchou.policy.schema import Policy

ENGINES = ("duckdb", "spark")
# The result is narrow (sorting wide rows through every window stage is what costs): keys, what the summary
# groups by, and the amounts; the output file joins the claims' other columns back by setl_id.
KEY_COLUMNS = ("setl_id", "psn_no", "insutype", "yr", "county_admdvs", "med_type", "admin_tier", *INPUT_AMOUNTS)
REASON_COLUMNS = tuple(f"e_{name}" for name in ENGINE_REASONS)
RESULT_COLUMNS = (*KEY_COLUMNS, *OUTPUT_AMOUNTS, "policy_id", "needs_engine", *REASON_COLUMNS)

Notify = Callable[[str], None]


# ---------------------------------------------------------------- backends

@dataclass
class Backend:
    """An Ibis connection and what it needs cleaned up."""

    name: str
    con: object
    workdir: Path | None = None
    owns_session: bool = False
    cached: list = field(default_factory=list)
    dropped: list = field(default_factory=list)

    def close(self) -> None:
        for table in self.cached:
            table.release()
        self.cached.clear()
        for name in self.dropped:
            self.con.drop_table(name, force=True)
        self.dropped.clear()
        if self.name == "duckdb":
            self.con.disconnect()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


def connect(engine: str = "duckdb", *, temp_dir: Path | None = None, memory_limit: str | None = None,
            spark_session=None) -> Backend:
    """DuckDB on a scratch database that spills to `temp_dir`, or PySpark in local mode."""
    if engine not in ENGINES:
        raise ClaimsInputError("--engine", f"must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "duckdb":
        workdir = Path(tempfile.mkdtemp(prefix="tongchou-replay-", dir=temp_dir))
        con = ibis.duckdb.connect(str(workdir / "replay.duckdb"))
        con.raw_sql(f"SET temp_directory = '{workdir / 'spill'}'")
        con.raw_sql(f"SET memory_limit = '{memory_limit or default_memory_limit()}'")
        con.raw_sql("SET preserve_insertion_order = false")
        return Backend("duckdb", con, workdir)
    if spark_session is None:
        spark_session = spark_local_session()
        spark_session.sparkContext.setLogLevel("ERROR")
        return Backend("spark", ibis.pyspark.connect(spark_session), owns_session=True)
    return Backend("spark", ibis.pyspark.connect(spark_session))


def default_memory_limit() -> str:
    """Half the machine's memory (DuckDB spills the rest of the replay to disk)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return f"{max(total // 2 // 2**20, 512)}MB"
    except (ValueError, OSError):
        return "4GB"


def spark_local_session(cores: str = "*"):
    """A Spark session configured for exact replay: local mode, or the cluster named by SPARK_MASTER."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(os.environ.get("SPARK_MASTER", f"local[{cores}]")).appName("tongchou-simulate")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )


def open_claims(backend: Backend, path: Path) -> Source:
    raw = open_raw(backend.con, Path(path), backend.name)
    return normalise(raw, str(path), trim=".csv" in "".join(Path(path).suffixes).lower())


def source_from_arrow(backend: Backend, table: pa.Table) -> Source:
    """A claims table already in memory (tests, generated data), under a fresh name."""
    name = f"claims_{uuid.uuid4().hex}"
    raw = backend.con.create_table(name, table) if backend.name == "duckdb" \
        else backend.con.create_view(name, ibis.memtable(table))
    return normalise(raw, name)


def materialise(backend: Backend, expr: ir.Table) -> ir.Table:
    """Compute once and keep: a table of the scratch database (spills), or a cached Spark DataFrame."""
    if backend.name == "duckdb":
        name = f"replay_{uuid.uuid4().hex}"
        backend.dropped.append(name)
        return backend.con.create_table(name, expr)
    cached = expr.cache()
    backend.cached.append(cached)
    return cached


# ---------------------------------------------------------------- validation

def validate(source: Source) -> None:
    """Reject what `tongchou settle` would reject: a missing code or date, a negative amount, a split that
    does not add up, an essential-drug amount above the in-scope one, a repeated setl_id."""
    t = source.table
    parts = t.fulamt_ownpay_amt + t.overlmt_selfpay + t.preselfpay_amt + t.inscp_scp_amt
    checks: list[tuple[str, str, ir.BooleanValue]] = [
        (name, "missing or unreadable", t[name].isnull())
        for name in ("setl_id", "psn_no", "insutype", "med_type", "enddate", "hosp_lv", "admin_tier")]
    checks += [(name, "an amount must not be negative", t[name] < 0) for name in INPUT_AMOUNTS]
    checks.append(("medfee_sumamt", "fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt "
                   "≠ medfee_sumamt", parts != t.medfee_sumamt))
    checks.append(("inscp_essential_amt", "exceeds inscp_scp_amt", t.inscp_essential_amt > t.inscp_scp_amt))
    flags = {f"bad_{i}": check.fill_null(True) for i, (_n, _w, check) in enumerate(checks)}
    bad = t.mutate(**flags)
    found = bad.filter(ibis.or_(*(bad[f] for f in flags))).limit(1).to_pyarrow().to_pylist()
    if found:
        row = found[0]
        name, why, _ = next(c for i, c in enumerate(checks) if row[f"bad_{i}"])
        raise ClaimsInputError(f"--claims column {name}", f"invalid value on setl_id {row.get('setl_id')!r}: {why}")
    dup = t.group_by("setl_id").agg(n=t.count()).filter(lambda g: g.n > 1).limit(1).to_pyarrow().to_pylist()
    if dup:
        raise ClaimsInputError("--claims column setl_id", f"setl_id {dup[0]['setl_id']!r} appears {dup[0]['n']} times")


# ---------------------------------------------------------------- policies and their versions

@dataclass(frozen=True)
class Segment:
    """A run of end dates that resolve to the same version (and composed layer versions)."""

    resolved: Resolved
    date_from: dt.date | None
    date_to: dt.date | None


def policy_of(registry: Registry, policy_id: str) -> Policy:
    try:
        policy = registry.get(policy_id)
    except NoPolicy:
        raise ClaimsInputError("--policy", f"no policy with id {policy_id!r} "
                               f"(known: {', '.join(sorted(registry.policies))})") from None
    if policy.kind != "base":
        raise ClaimsInputError("--policy", f"{policy_id!r} is a layer policy; name a base policy that composes it")
    return policy


def _single_version(registry: Registry, policy: Policy) -> bool:
    layer_versions = [len(registry.get(lid).versions) for v in policy.versions for lid in v.compose]
    return len(policy.versions) == 1 and all(n == 1 for n in layer_versions)


def segments(registry: Registry, policy: Policy, source: Source) -> list[Segment]:
    """The versions the claims' end dates resolve to (nearest version outside every one)."""
    if _single_version(registry, policy):
        return [Segment(registry.resolve_version(policy, policy.versions[0].effective_from, any_date=True), None, None)]
    dates = sorted(d for d in source.table.select("enddate").distinct().to_pyarrow().column(0).to_pylist() if d)
    runs: list[Segment] = []
    for day in dates:
        resolved = registry.resolve_version(policy, day, any_date=True)
        if runs and _same(runs[-1].resolved, resolved):
            runs[-1] = Segment(runs[-1].resolved, runs[-1].date_from, day)
        else:
            runs.append(Segment(resolved, day, day))
    return runs or [Segment(registry.resolve_version(policy, policy.versions[0].effective_from, any_date=True),
                            None, None)]


def _same(a: Resolved, b: Resolved) -> bool:
    return a.version is b.version and len(a.layers) == len(b.layers) and all(x is y for x, y in zip(a.layers, b.layers))


def _uses_diseases(resolved: Resolved) -> bool:
    conditions = [c.when for c in resolved.version.benefits] + [
        c.when for t in resolved.version.transitional for c in t.benefits]
    conditions += [v.when for layer in resolved.layers for v in layer.variants]
    return any(c.disease_group is not None for c in conditions)


# ---------------------------------------------------------------- the replay

@dataclass
class PolicyResult:
    policy: Policy
    table: ir.Table                 # RESULT_COLUMNS, amounts in fen
    segments: list[Segment]
    engine_persons: int = 0
    engine_claims: int = 0
    engine_reasons: dict[str, dict[str, int]] = field(default_factory=dict)


class Replayer:
    """Replays one normalised claims table under any number of policies on one backend."""

    def __init__(self, backend: Backend, registry: Registry, source: Source, notify: Notify | None = None):
        self.backend = backend
        self.registry = registry
        self.source = source
        self.notify = notify or (lambda _message: None)
        self._codes: list[str] | None = None

    def dise_codes(self) -> list[str]:
        if self._codes is None:
            column = self.source.table.select("dise_code").distinct().to_pyarrow().column(0).to_pylist()
            self._codes = sorted(c for c in column if c)
        return self._codes

    def expression(self, policy: Policy, segs: list[Segment]) -> ir.Table:
        """The fast-path replay of every claim under `policy`, in fen, with the engine flags."""
        t = self.source.table
        t = self._common_flags(t, segs)
        parts = []
        for index, seg in enumerate(segs):
            rows = t if len(segs) == 1 else t.filter(t.seg == index)
            groups = disease_codes(seg.resolved.version, self.dise_codes()) if _uses_diseases(seg.resolved) else {}
            built = Translation(Plan.of(seg.resolved), groups).build(rows)
            parts.append(self._result_columns(built, policy.id))
        return parts[0] if len(parts) == 1 else ibis.union(*parts)

    def _common_flags(self, t: ir.Table, segs: list[Segment]) -> ir.Table:
        if len(segs) > 1:
            pairs = [(t.enddate.between(s.date_from, s.date_to), lit(i)) for i, s in enumerate(segs)]
            t = t.mutate(seg=ibis.cases(*pairs, else_=lit(0)))
            whole = person_year_window(t, whole=True)
            t = t.mutate(e_policy_versions=t.seg.min().over(whole) != t.seg.max().over(whole))
        if "mdtrt_id" in self.source.columns:
            key = t.mdtrt_id.fill_null(t.setl_id)
            t = t.mutate(admission_key=key)
            same = ibis.window(group_by=[*(t[c] for c in PARTITION), t.admission_key])
            t = t.mutate(repeat=t.count().over(same) > 1)
            t = t.mutate(e_interim_settlements=t.repeat.any().over(person_year_window(t, whole=True)))
        return t

    def _result_columns(self, t: ir.Table, policy_id: str) -> ir.Table:
        reasons = {c: (t[c] if c in t.columns else ibis.literal(False)) for c in REASON_COLUMNS}
        return t.select(*KEY_COLUMNS, *OUTPUT_AMOUNTS, policy_id=ibis.literal(policy_id),
                        needs_engine=t.needs_engine, **reasons)

    def run(self, policy_id: str) -> PolicyResult:
        policy = policy_of(self.registry, policy_id)
        segs = segments(self.registry, policy, self.source)
        self.notify(f"{policy_id}: 窗口函数重放")
        fast = materialise(self.backend, self.expression(policy, segs))
        keys = fast.filter(fast.needs_engine).select("setl_id", *REASON_COLUMNS)
        flagged = self.source.table.join(keys, "setl_id").to_pyarrow()
        result = PolicyResult(policy, fast, segs)
        if flagged.num_rows:
            self.notify(f"{policy_id}: 引擎逐笔结算 {flagged.num_rows} 笔")
            settled = EngineReplay(self.registry, policy).settle_rows(flagged.to_pylist())
            narrow = [{**{c: r[c] for c in (*KEY_COLUMNS, *OUTPUT_AMOUNTS, *REASON_COLUMNS)},
                       "policy_id": policy_id, "needs_engine": True} for r in settled]
            engine_rows = self._to_backend(narrow, fast.schema())
            result.table = fast.filter(~fast.needs_engine).union(engine_rows)
            result.engine_claims = flagged.num_rows
            result.engine_persons = len({(r["psn_no"], r["insutype"], r["yr"]) for r in settled})
            result.engine_reasons = _reason_counts(settled)
        return result

    def _to_backend(self, rows: list[dict], schema) -> ir.Table:
        arrow = pa.Table.from_pylist(rows, schema=schema.to_pyarrow())
        mem = ibis.memtable(arrow)
        return mem.select(*[mem[name].cast(kind) for name, kind in schema.items()])


def _reason_counts(rows: list[dict]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for name in ENGINE_REASONS:
        hit = [r for r in rows if r.get(f"e_{name}")]
        if hit:
            out[name] = {"persons": len({(r["psn_no"], r["insutype"], r["yr"]) for r in hit}), "claims": len(hit)}
    return out

"""The demo year, step by step, each step timed and shown with rich progress."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zlib
from collections import Counter
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from tongchou.clearing import service as clearing
from tongchou.clearing.rules import load_rules
from tongchou.codes import Insutype
from tongchou.demo.revenue import contribution_entries, need_funded_entries
from tongchou.funds import service as fund_ops
from tongchou.funds import documents as fund_views
from tongchou.funds.budget import BudgetLine
from tongchou.generate.pipeline import GenerateOptions, generate
from tongchou.ledger.accounts import Title
from tongchou.ledger.service import Report, record_many, title_sums, verify
from tongchou.money import fen_to_str
from tongchou.policy.registry import Registry
from tongchou.settlement.history import SettlementHistory, read_visits
from tongchou.settlement.request import SettleRequest
from tongchou.region.fixture import load_file
from tongchou.store import models as m
from tongchou.store.db import upgrade
from tongchou.store.uow import Store
from tongchou.supervision.service import screen_stored

YEAR = 2018
POOL_FUNDS = {Insutype.RESIDENT: "resident_pooled", Insutype.EMPLOYEE: "employee_pooled"}


@dataclass(frozen=True)
class DemoOptions:
    out: Path = Path("var/demo")
    insured: int = 30_000
    seed: int = 2018
    live_visits: int = 60  # the last visits of the year, settled through the signed institution API


@dataclass
class DemoResult:
    db_url: str
    region: Path
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    report: Report | None = None


PROGRESS_COLUMNS = (TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


@contextmanager
def meter(console: Console, label: str, total: int) -> Iterator[Callable[[int], None]]:
    """Progress of a long step: a rich bar on a terminal, else a line at every tenth (logs, `make demo | tee`)."""
    if console.is_terminal:
        with Progress(*PROGRESS_COLUMNS, console=console, transient=True) as progress:
            task = progress.add_task(label, total=total)
            yield lambda n=1: progress.advance(task, n)
        return
    done, shown = 0, 0

    def advance(n: int = 1) -> None:
        nonlocal done, shown
        done += n
        tenth = min(done * 10 // max(total, 1), 10)
        if tenth > shown:
            shown = tenth
            console.print(f"  {label} {done:,}/{total:,}（{tenth * 10}%）")

    yield advance


class Steps:
    def __init__(self, console: Console, result: DemoResult):
        self.console, self.result = console, result

    @contextmanager
    def step(self, label: str, *, own_progress: bool = False) -> Iterator[None]:
        """A timed step: announced when it starts, a spinner while it runs (unless it shows its own progress
        bar: rich shows one live display at a time), its time when it ends."""
        started = time.perf_counter()
        if not self.console.is_terminal:
            self.console.print(f"… {label}")
        if own_progress or not self.console.is_terminal:
            yield
        else:
            with self.console.status(label):
                yield
        seconds = time.perf_counter() - started
        self.result.seconds[label] = round(seconds, 1)
        self.console.print(f"[green]✓[/green] {label}  [dim]{seconds:.1f} s[/dim]")


def run_demo(options: DemoOptions, console: Console) -> DemoResult:
    out = options.out.resolve()
    region, db_path = out / "region", out / "tongchou.db"
    result = DemoResult(f"sqlite:///{db_path}", region)
    steps = Steps(console, result)
    registry = Registry.load()
    with steps.step(f"生成合成统筹区（绍兴市六区县，{options.insured:,} 参保人）", own_progress=True):
        shutil.rmtree(region, ignore_errors=True)
        summary = generate(GenerateOptions(out=region, insured=options.insured, seed=options.seed, settle=False,
                                           person_cap=0, progress=console.is_terminal), console)
        result.counts.update(claims=summary["claims"], fee_lines=summary["fee_lines"])
    with steps.step("建库并导入参保人、机构、目录"):
        db_path.unlink(missing_ok=True)
        upgrade(result.db_url)
        store = Store.open(result.db_url)
        result.counts["employers_registered"] = _register_employers(store, registry, region / "fixture.yaml")
        load_file(store, region / "fixture.yaml")
    try:
        _year(store, registry, options, region, steps, result, console)
    finally:
        store.close()
    return result


def _register_employers(store: Store, registry: Registry, path: Path) -> int:
    """单位登记 through `EmployerService.register` (the credit code checked, one employer per code), before the
    fixture's persons who work for them are loaded: the region and its counties first, then every employer of
    the fixture; loading the fixture afterwards finds them registered."""
    from tongchou.employers.service import EmployerService
    from tongchou.region.fixture import load_fixture, parse_fixture
    fixture = parse_fixture(path.read_text(encoding="utf-8"), str(path))
    load_fixture(store, fixture.model_copy(update={"employers": [], "persons": [], "institutions": [],
                                                   "insurers": [], "catalogue": [], "catalogue_csv": None,
                                                   "persons_parquet": None}), path.parent)
    service = EmployerService(store, registry)
    for employer in fixture.employers:
        service.register(employer.code, employer.name, employer.county)
    return len(fixture.employers)


def _year(store: Store, registry: Registry, options: DemoOptions, region: Path, steps: Steps, result: DemoResult,
          console: Console) -> None:
    with steps.step(f"用人单位缴费申报与税务征收对账（{YEAR}年12月，{DECLARING_NAME}{DECLARING_EMPLOYERS}家单位，经用人单位服务）"):
        declared = _declarations(store, registry, region, result)
    with steps.step("征缴入账（个人缴费、单位缴费、财政补助）"):
        counties = store.read(lambda s: dict(s.execute(select(m.Person.psn_no, m.Person.county)).all()))
        entries = contribution_entries(region / "contributions.parquet", counties, declared)
        store.transaction(lambda s: record_many(s, entries))
        result.counts["contribution_entries"] = len(entries)
    requests = sorted(read_visits(region / "visits.jsonl"), key=lambda r: (r.enddate, r.begndate, r.key))
    history, live = requests[:-options.live_visits or None], requests[len(requests) - options.live_visits:]
    with steps.step(f"全年结算（批量历史 {len(history):,} 笔，与实时结算同一规则、同一凭证）", own_progress=True):
        report = _settle_history(store, registry, history, console)
        result.counts.update(settled=report.settled, refused=len(report.refused))
    with steps.step(f"实时结算（{len(live)} 笔经签名的机构接口 2201/2401→费用上传→结算）", own_progress=True):
        result.counts["live"] = _live_slice(store, registry, live, region, console)
        result.counts["live_refused"] = len(live) - result.counts["live"]
    with steps.step("医疗救助、公务员医疗补助资金入账"):
        store.transaction(lambda s: record_many(s, need_funded_entries(_benefits_paid(s), YEAR)))
    with steps.step("预算、清算计划"):
        _budgets_and_plan(store, registry)
    with steps.step("按月清算机构（生成结算单、审核、支付）并月结"):
        _clear_months(store)
    with steps.step("年终清算（总额预算、DIP、质量保证金）"):
        rules = load_rules()
        clearing.year_end(store, rules, YEAR)
        clearing.approve(store, "year_end", str(YEAR), "清算科")
        clearing.pay(store, "year_end", str(YEAR), dt.date(YEAR, 12, 31))
        fund_ops.close_month(store, f"{YEAR}-12", "财务科", fund_views.close_summary)
    with steps.step("事后智能审核：按规则库筛查全年结算，疑点记入稽核监管"):
        result.counts["findings"] = screen_stored(store, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31),
                                                  source=f"demo:{YEAR}", found_on=dt.date(YEAR, 12, 31))
    with steps.step("基金运行分析报告与预警"):
        result.counts["reports"] = _reports(result.db_url, options.out.resolve() / "reports")
    with steps.step("账务核验（ledger verify）"):
        result.report = verify(store)


DECLARING_COUNTY, DECLARING_NAME = "330602", "越城区"  # the demo county clerk's (yuecheng)
DECLARING_EMPLOYERS = 5  # its largest employers (one transaction a row: the whole region would take minutes)
UNCOLLECTED_EVERY = 50  # of the month's collection lines, every 50th is not yet collected on 31 December


def _declarations(store: Store, registry: Registry, region: Path, result: DemoResult) -> dict[str, tuple[int, int]]:
    """The December declarations of 越城区's five largest employers through `EmployerService.declare_rows`, read from the
    generated batch (batches/declarations-2018-12.csv), and the tax bureau's collection batch
    (batches/tax-collections-2018-12.csv) through `EmployerService.reconcile` — every 50th line held back: not
    yet collected on 31 December, so the console shows arrears and a late fee accruing. Returns the parts of
    each employee's December declaration (psn_no → (employer, employee part), fen): the year's contribution
    history then covers the other months (`revenue.contribution_entries`), and what was declared but not
    collected is not income."""
    from tongchou import sheets
    from tongchou.employers.documents import (COLLECTION_LABELS, COLLECTION_REQUIRED, DECLARATION_LABELS,
                                              batch_rows)
    from tongchou.employers.service import EmployerService

    def rows(name: str, labels, required):
        path = region / "batches" / name
        return batch_rows(sheets.read_sheet(path.name, path.read_bytes()), labels, required, path.name)[1]

    december = rows(f"declarations-{YEAR}-12.csv", DECLARATION_LABELS, DECLARATION_LABELS)
    sizes = Counter(row.values["employer"] for row in december if row.values["employer"][2:8] == DECLARING_COUNTY)
    chosen = {code for code, _ in sizes.most_common(DECLARING_EMPLOYERS)}

    service = EmployerService(store, registry)
    declarations = service.declare_rows([row for row in december if row.values["employer"] in chosen],
                                        dt.date(YEAR, 12, 5))
    lines = [line for line in rows(f"tax-collections-{YEAR}-12.csv", COLLECTION_LABELS, COLLECTION_REQUIRED)
             if line.values["employer"] in chosen]
    collected = service.reconcile(f"SW{YEAR}12-{DECLARING_COUNTY}", dt.date(YEAR, 12, 31),
                                  [line for n, line in enumerate(lines, 1) if n % UNCOLLECTED_EVERY])
    result.counts.update(declarations=len(declarations.applied), declarations_refused=len(declarations.errors),
                         collected=collected.accepted, collection_held=len(collected.held), late_fees=collected.late_fees)
    return {d.psn_no: (d.employer_part, d.individual_part) for d in declarations.applied}


def _settle_history(store: Store, registry: Registry, requests: list[SettleRequest], console: Console):
    with meter(console, "结算", len(requests)) as advance:
        return SettlementHistory(store, registry).load(requests, on_progress=advance)


def _live_slice(store: Store, registry: Registry, requests: list[SettleRequest], region: Path,
                console: Console) -> int:
    import pyarrow.parquet as pq

    from tongchou.demo.live import settle_through_api

    persons = pq.read_table(region / "persons.parquet", columns=["psn_no", "id_number"]).to_pylist()
    id_numbers = {row["psn_no"]: row["id_number"] for row in persons}
    with meter(console, "实时结算", len(requests)) as advance:
        return settle_through_api(store, registry, requests, region / "fixture.yaml", id_numbers, console, advance)


def _budgets_and_plan(store: Store, registry: Registry) -> None:
    """Budgets drafted 以收定支 from the year's revenue; the clearing plan: global budgets of the level-3
    hospitals at 97 % of what they were paid (so the year end shares an overspend), assessment scores."""
    counties = store.read(lambda s: list(s.scalars(select(m.CountyRow.admdvs))))
    figures = fund_ops.balances(store, dt.date(YEAR, 12, 31))
    lines = []
    for county in counties:
        for fund in POOL_FUNDS.values():
            found = figures.get((fund, county))
            revenue = found.flows.revenue if found is not None else 0
            lines.append(BudgetLine(YEAR, fund, county, revenue, revenue * 95 // 100))
    fund_ops.save_budget(store, lines, by="预算科")
    levels = store.read(lambda s: dict(s.execute(select(m.Institution.code, m.Institution.hosp_lv)).all()))
    paid = store.read(_fund_paid_by_institution)
    budgets = {code: fen_to_str(max(paid.get(code, 0) * 97 // 100, 100)) for code, lv in levels.items() if lv == 3}
    scores = {code: 84 + zlib.crc32(code.encode()) % 15 for code in levels}  # assessment scores 84–98
    clearing.import_plan(store, YEAR, {"global_budgets": budgets, "scores": scores}, by="清算科")


def _benefits_paid(session) -> dict[tuple[str, str], int]:
    """What each fund paid in benefits per county in the demo year (fen)."""
    sums = title_sums(session, start=dt.date(YEAR, 1, 1), end=dt.date(YEAR, 12, 31), cause_types=["settlement"])
    return {(s.fund, s.county): s.net_debit for s in sums if s.title == Title.EXPENSE_BENEFIT}


def _fund_paid_by_institution(session) -> dict[str, int]:
    rows = session.execute(select(m.Settlement.fixmedins_code, func.sum(m.Settlement.fund_pay_sumamt))
                           .group_by(m.Settlement.fixmedins_code))
    return {code: int(total or 0) for code, total in rows}


def _clear_months(store: Store) -> None:
    rules = load_rules()
    for month in range(1, 13):
        period = f"{YEAR}-{month:02d}"
        clearing.run_month(store, rules, period)
        clearing.approve(store, "monthly", period, "清算科")
        clearing.pay(store, "monthly", period, dt.date(YEAR, month, 28))
        if month > 1:
            fund_ops.close_month(store, f"{YEAR}-{month - 1:02d}", "财务科", fund_views.close_summary)


def _reports(db_url: str, out: Path) -> list[str]:
    from tongchou.funds.cli import fund_operation_report_from_store
    from tongchou.funds.documents import render_html
    from tongchou.funds.documents import render_json
    from tongchou.funds.documents import render_markdown

    out.mkdir(parents=True, exist_ok=True)
    written = []
    report = fund_operation_report_from_store(db_url, f"{YEAR}-01-01:{YEAR}-06-30")
    for name, text in (("fund-operation-h1.json", render_json(report)), ("fund-operation-h1.md", render_markdown(report)),
                       ("fund-operation-h1.html", render_html(report))):
        (out / name).write_text(text, encoding="utf-8")
        written.append(name)
    (out / "summary.json").write_text(json.dumps({"spending_progress": str(report.get("spending_progress"))},
                                                 ensure_ascii=False), encoding="utf-8")
    return written

"""`tongchou cover …`: stop, resume and switch cover (停保、续保、险种转换; docs/front-office.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable, Optional, TypeVar

import typer

from tongchou import cli_text
from tongchou.enrolment.service import EnrolmentService
from tongchou.policy.registry import Registry
from tongchou.store.cli import DB_HELP, out, run_in_store

app = typer.Typer(help="参保关系变更：停保、续保、险种转换（职工医保310与城乡居民医保390）", no_args_is_help=True)
T = TypeVar("T")

INSUTYPE_HELP = "险种：310 职工医保，390 城乡居民医保"
POLICIES_HELP = "政策目录（默认：内置 policies/）"


def _run(db: str | None, policies: Path | None, work: Callable[[EnrolmentService], T]) -> T:
    return run_in_store(db, lambda store: EnrolmentService(store, Registry.load(policies)), work)


@app.command("stop")
def stop_command(psn_no: str = typer.Argument(..., help="个人编号"),
                 insutype: str = typer.Option(..., "--insutype", help=INSUTYPE_HELP),
                 on: str = typer.Option(..., "--on", help="停保日期（最后一个参保日）YYYY-MM-DD"),
                 db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
                 policies: Optional[Path] = typer.Option(None, "--policies", help=POLICIES_HELP)) -> None:
    """停保：参保人该险种的参保记录于停保日期终止（不早于参保日期）。"""
    day = cli_text.day(on, "on")
    enrolment = _run(db, policies, lambda service: service.stop(psn_no, insutype, day))
    out.print(f"已停保：参保记录 {enrolment} 于 {day} 终止")


@app.command("resume")
def resume_command(psn_no: str = typer.Argument(..., help="个人编号"),
                   insutype: str = typer.Option(..., "--insutype", help=INSUTYPE_HELP),
                   on: str = typer.Option(..., "--on", help="续保日期 YYYY-MM-DD（晚于停保日期）"),
                   db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
                   policies: Optional[Path] = typer.Option(None, "--policies", help=POLICIES_HELP)) -> None:
    """续保：自续保日期起重新参保；中断参保的，按政策的等待期享受待遇。"""
    day = cli_text.day(on, "on")
    enrolment, terms = _run(db, policies, lambda service: service.resume(psn_no, insutype, day))
    out.print(f"已续保：参保记录 {enrolment}，{terms.reason}")


@app.command("switch")
def switch_command(psn_no: str = typer.Argument(..., help="个人编号"),
                   to: str = typer.Option(..., "--to", help="转入险种：310 职工医保，390 城乡居民医保"),
                   on: str = typer.Option(..., "--on", help="转入日期 YYYY-MM-DD（原险种于前一日终止）"),
                   db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
                   policies: Optional[Path] = typer.Option(None, "--policies", help=POLICIES_HELP)) -> None:
    """险种转换：原险种参保于转入日期前一日终止，新险种自转入日期起参保，不断档、不重叠。"""
    day = cli_text.day(on, "on")
    ended, opened = _run(db, policies, lambda service: service.switch(psn_no, to, day))
    out.print(f"已转换：参保记录 {ended} 于 {day - dt.timedelta(days=1)} 终止，参保记录 {opened} 自 {day} 起参保")

"""`tongchou filing …`: apply, approve, reject, list (门诊慢特病申报; docs/front-office.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, List, Optional, TypeVar

import typer

from tongchou import cli_text
from tongchou.dossier.rules import attachment
from tongchou.errors import InvalidRequest
from tongchou.filings.documents import application_line
from tongchou.filings.rules import STATES
from tongchou.filings.service import FilingService
from tongchou.policy.registry import Registry
from tongchou.store.cli import DB_HELP, out, run_in_store

app = typer.Typer(help="门诊慢特病申报：乡镇卫生院受理、县医保经办机构审批或驳回、查询", no_args_is_help=True)
T = TypeVar("T")
POLICIES_HELP = "政策目录（默认：内置 policies/）"
DATE_HELP = "日期 YYYY-MM-DD（默认：今天）"


def _run(db: str | None, policies: Path | None, work: Callable[[FilingService], T]) -> T:
    return run_in_store(db, lambda store: FilingService(store, Registry.load(policies)), work)


def _documents(pairs: list[str]):
    """`材料名称=文件` → the documents, each checked as the console checks an upload."""
    documents = []
    for index, pair in enumerate(pairs):
        kind, sep, name = pair.partition("=")
        if not sep or not kind.strip() or not name.strip():
            raise InvalidRequest("document", f"--document 须写成“材料名称=文件路径”，收到“{pair}”。")
        path = Path(name.strip())
        if not path.is_file():
            raise InvalidRequest("document", f"文件{path}不存在。")
        documents.append(attachment(f"document[{index}]", kind.strip(), path.name, path.read_bytes()))
    return documents


@app.command("apply")
def apply_command(
    psn_no: str = typer.Argument(..., help="个人编号"),
    disease: str = typer.Option(..., "--disease", help="病种（政策病种目录的代码或名称，如 GX-MB21 或 冠心病）"),
    received_at: str = typer.Option(..., "--at", help="受理的乡镇卫生院（机构编码）"),
    by: str = typer.Option(..., "--by", help="受理人"),
    on: Optional[str] = typer.Option(None, "--on", help="受理日期（须在申报期内）" + DATE_HELP),
    document: List[str] = typer.Option([], "--document", help="扫描的材料：材料名称=文件（可多次给出），存入档案"),
    seen: List[str] = typer.Option([], "--seen", help="已核验的纸质材料名称（可多次给出），不存档"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    policies: Optional[Path] = typer.Option(None, "--policies", help=POLICIES_HELP),
) -> None:
    """受理门诊慢特病申报：在申报期内、由当地乡镇卫生院受理，须有政策规定的材料（近三年住院病历等）。"""
    day = cli_text.day(on, "on", today=True)

    def work(service: FilingService) -> int:
        return service.apply(psn_no, disease, received_at, day, by, documents=_documents(document),
                             document_kinds=seen)
    number = _run(db, policies, work)
    out.print(f"已受理门诊慢特病申报，申请第{number}号，待县医保经办机构审批")


@app.command("approve")
def approve_command(application: int = typer.Argument(..., help="申请编号"),
                    by: str = typer.Option(..., "--by", help="审批人（不能是受理人本人）"),
                    on: Optional[str] = typer.Option(None, "--on", help="审批日期 " + DATE_HELP),
                    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
                    policies: Optional[Path] = typer.Option(None, "--policies", help=POLICIES_HELP)) -> None:
    """审批通过：写入门诊慢特病备案，自审批之日起按政策规定的有效期有效。"""
    day = cli_text.day(on, "on", today=True)
    filing = _run(db, policies, lambda service: service.approve(application, by, day))
    out.print(f"申请第{application}号已审批通过，备案 {filing}")


@app.command("reject")
def reject_command(application: int = typer.Argument(..., help="申请编号"),
                   by: str = typer.Option(..., "--by", help="审批人（不能是受理人本人）"),
                   reason: str = typer.Option(..., "--reason", help="驳回理由"),
                   on: Optional[str] = typer.Option(None, "--on", help="驳回日期 " + DATE_HELP),
                   db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
                   policies: Optional[Path] = typer.Option(None, "--policies", help=POLICIES_HELP)) -> None:
    """驳回申请（须写明理由）。"""
    day = cli_text.day(on, "on", today=True)
    _run(db, policies, lambda service: service.reject(application, by, day, reason))
    out.print(f"申请第{application}号已驳回：{reason}")


@app.command("list")
def list_command(state: Optional[str] = typer.Option(None, "--state", help="状态：" + "、".join(
                     f"{k}（{v}）" for k, v in STATES.items())),
                 psn_no: Optional[str] = typer.Option(None, "--psn-no", help="个人编号"),
                 db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
                 policies: Optional[Path] = typer.Option(None, "--policies", help=POLICIES_HELP)) -> None:
    """列出门诊慢特病申请（--state received 为待审批队列）。"""
    rows = _run(db, policies, lambda service: service.applications(state=state, psn_no=psn_no))
    for row in rows:
        out.print(application_line(row))
    out.print(f"共 {len(rows)} 件")

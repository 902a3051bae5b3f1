"""`tongchou payment …`: bank details, payment batches (代发) and their file, the bank's return file, re-issues,
account payouts and the account paying for the family (docs/front-office.md "代发", "家庭共济", "双人复核").

A matter above the review threshold (`--review-above`, default 10,000.00 元) needs `--reviewer USER`: a console
user with the 双人复核 permission other than `--by`, whose password is asked for (or read from the environment
variable TONGCHOU_REVIEW_PASSWORD)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Optional, TypeVar

import typer

from tongchou import cli_text
from tongchou.money import MoneyError, to_fen, yuan_text
from tongchou.payments import family, rules
from tongchou.payments.review import PERMISSION, ReviewRule
from tongchou.payments.service import PaymentService
from tongchou.store.cli import DB_HELP, err, out, require_file, run_in_store

app = typer.Typer(help="代发与个人账户家庭共济：银行账户、代发批次、银行回盘、退回重发、个人账户支取、家庭共济缴费",
                  no_args_is_help=True)
T = TypeVar("T")
BY_HELP = "经办人（用户名）"
DATE_HELP = "日期 YYYY-MM-DD（默认：今天）"
REVIEWER_HELP = "复核人用户名（金额超过复核限额时必填：另一名有复核权限的工作人员；密码另行输入）"
ABOVE_HELP = "双人复核限额（元）：超过此金额须复核"


def _run(db: str | None, work: Callable[[PaymentService], T], review_above: str = "10000.00",
         policies: Path | None = None) -> T:
    from tongchou.policy.registry import Registry, default_policy_dir
    from tongchou.store.crypto import cipher_from_environment
    try:
        threshold = to_fen(review_above)
    except MoneyError:
        err.print(f"[red]--review-above[/red] 复核限额应为元金额，收到“{review_above}”。")
        raise typer.Exit(2) from None
    return run_in_store(db, lambda store: PaymentService(
        store, cipher_from_environment(), registry=Registry.load(policies or default_policy_dir()),
        review=ReviewRule(threshold)), work)


def _reviewer(service: PaymentService, username: str | None, by: str) -> str | None:
    """The reviewer signed in by password (the console's users), or None when none is named."""
    if not username:
        return None
    from tongchou.access.permissions import load_roles
    from tongchou.access.users import SignInRefused, UserService
    if username == by:
        err.print("[red]--reviewer[/red] 复核人须为经办人以外的另一人（双人复核）。")
        raise typer.Exit(2)
    password = os.environ.get("TONGCHOU_REVIEW_PASSWORD") or typer.prompt(f"复核人{username}的密码", hide_input=True)
    try:
        principal = UserService(service.store, load_roles()).authenticate(username, password)
    except SignInRefused as exc:
        err.print(f"[red]--reviewer[/red] 复核人身份核验未通过：{exc.message}")
        raise typer.Exit(2) from None
    if not principal.can(PERMISSION):
        err.print(f"[red]--reviewer[/red] {principal.display_name}没有复核权限。")
        raise typer.Exit(2)
    return principal.username


def _yuan(fen: int) -> str:
    return yuan_text(fen, grouping=True)


@app.command("bank-account")
def bank_account_command(
    psn_no: str = typer.Argument(..., help="个人编号"),
    name: str = typer.Option(..., "--name", help="户名"),
    bank: str = typer.Option(..., "--bank", help="开户行"),
    account: str = typer.Option(..., "--account", help="账号（8至30位数字）"),
    on: Optional[str] = typer.Option(None, "--on", help=DATE_HELP),
    by: str = typer.Option("命令行", "--by", help=BY_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """登记（或更正）参保人的代发银行账户：账号加密保存，显示时隐藏中间数字。"""
    day = cli_text.day(on, "on", today=True)
    view = _run(db, lambda s: s.set_bank_account(psn_no, name, bank, account, on=day, by=by))
    out.print(f"已登记 {psn_no} 的代发银行账户：{view.payee_name}，{view.bank_name}，{view.account_masked}")


@app.command("list")
def list_command(
    county: Optional[str] = typer.Option(None, "--county", help="区县代码"),
    state: Optional[str] = typer.Option(None, "--state", help="状态：" + "、".join(f"{k}（{v}）" for k, v in rules.STATES.items())),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """列出代发（账号隐藏中间数字）与待登记银行账户的零星报销。"""
    if state and state not in rules.STATES:
        err.print(f"[red]--state[/red] 状态须为：{'、'.join(rules.STATES)}")
        raise typer.Exit(2)

    def work(service: PaymentService):
        return service.payments(county=county, states=[state] if state else None), service.waiting(county)
    payments, waiting = _run(db, work)
    for p in payments:
        where = f"批次{p.batch_no}第{p.seq}笔" if p.batch_no else "未入批次"
        back = f"（{p.return_code} {p.return_label}）" if p.return_code else ""
        out.print(f"代发{p.id} {p.kind_label} {p.ref} {p.psn_no} {p.payee_name} {p.bank_name} {p.account_masked} "
                  f"{_yuan(p.amount)} {p.state_label}{back} {where}")
    for w in waiting:
        out.print(f"待登记银行账户：零星报销 {w.setl_id} {w.psn_no} {w.name} {_yuan(w.amount)}")
    if not payments and not waiting:
        out.print("暂无代发。")


@app.command("batch")
def batch_command(
    county: str = typer.Option(..., "--county", help="区县代码（代发批次按区县生成）"),
    on: Optional[str] = typer.Option(None, "--on", help=DATE_HELP),
    by: str = typer.Option("命令行", "--by", help=BY_HELP),
    output: Optional[Path] = typer.Option(None, "--out", help="同时写出代发文件（CSV）"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """生成代发批次：列入待发的零星报销和个人账户支取（待发→已发），可同时写出代发文件。"""
    day = cli_text.day(on, "on", today=True)

    def work(service: PaymentService):
        batch = service.create_batch(day, by, county)
        return batch, (service.batch_file(batch.batch_no) if output else None)
    batch, file = _run(db, work)
    out.print(f"代发批次 {batch.batch_no}：{batch.count}笔，合计{_yuan(batch.total)}")
    if file:
        output.write_bytes(file[1])
        out.print(f"代发文件已写出：{output}")


@app.command("file")
def file_command(
    batch_no: str = typer.Argument(..., help="批次号"),
    output: Path = typer.Option(..., "--out", help="代发文件（CSV，UTF-8，含完整账号）"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """写出代发批次的代发文件（代发文件格式见 docs/front-office.md）。"""
    _name, content = _run(db, lambda s: s.batch_file(batch_no))
    output.write_bytes(content)
    out.print(f"代发文件已写出：{output}")


@app.command("returns")
def returns_command(
    path: Path = typer.Argument(..., help="银行回盘文件（CSV或XLSX：批次号、序号、金额、结果代码、说明）"),
    on: Optional[str] = typer.Option(None, "--on", help=DATE_HELP),
    by: str = typer.Option("命令行", "--by", help=BY_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """导入银行回盘：成功的确认到账，退回的重新计入应付参保人（每行只入账一次）；有误的行列出原因，退出码1。"""
    require_file(path, "回盘文件")
    day = cli_text.day(on, "on", today=True)
    result = _run(db, lambda s: s.read_return(path.name, path.read_bytes(), on=day, by=by))
    out.print(f"成功{len(result.paid)}笔，退回{len(result.returned)}笔，此前已处理{len(result.already)}笔，"
              f"有误{len(result.errors)}行")
    for e in result.errors:
        out.print(f"第{e.line}行 {e.column}：{e.message}")
    if result.errors:
        raise typer.Exit(1)


@app.command("reissue")
def reissue_command(
    payment_id: int = typer.Argument(..., help="退回的代发号"),
    name: str = typer.Option(..., "--name", help="户名"),
    bank: str = typer.Option(..., "--bank", help="开户行"),
    account: str = typer.Option(..., "--account", help="账号"),
    reviewer: Optional[str] = typer.Option(None, "--reviewer", help=REVIEWER_HELP),
    review_above: str = typer.Option("10000.00", "--review-above", help=ABOVE_HELP),
    on: Optional[str] = typer.Option(None, "--on", help=DATE_HELP),
    by: str = typer.Option("命令行", "--by", help=BY_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """退回重发：更正银行账户后重新代发（新代发关联原代发，每笔退回只能重发一次）。"""
    day = cli_text.day(on, "on", today=True)
    view = _run(db, lambda s: s.reissue(payment_id, name, bank, account, on=day, entered_by=by,
                                        reviewed_by=_reviewer(s, reviewer, by)), review_above)
    out.print(f"已登记重发：代发{view.id}（原代发{view.reissue_of}），{_yuan(view.amount)}，随下一个代发批次发出")


@app.command("payout")
def payout_command(
    psn_no: str = typer.Argument(..., help="个人编号"),
    reason: str = typer.Option(..., "--reason", help="支取原因：" + "、".join(f"{k}（{v}）" for k, v in rules.PAYOUT_REASONS.items())),
    heir_name: Optional[str] = typer.Option(None, "--heir-name", help="继承人户名（按死亡支取时必填）"),
    heir_bank: Optional[str] = typer.Option(None, "--heir-bank", help="继承人开户行"),
    heir_account: Optional[str] = typer.Option(None, "--heir-account", help="继承人账号"),
    reviewer: Optional[str] = typer.Option(None, "--reviewer", help=REVIEWER_HELP),
    review_above: str = typer.Option("10000.00", "--review-above", help=ABOVE_HELP),
    on: Optional[str] = typer.Option(None, "--on", help=DATE_HELP),
    by: str = typer.Option("命令行", "--by", help=BY_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """个人账户支取：余额全部转为应付，随下一个代发批次支付给继承人（死亡）或本人（出国（境）定居）。"""
    day = cli_text.day(on, "on", today=True)
    payee = None
    if heir_name or heir_bank or heir_account:
        from tongchou.errors import ServiceError
        try:
            payee = rules.bank_details(heir_name, heir_bank, heir_account)
        except ServiceError as exc:
            err.print(f"[red]{exc.field}[/red] {exc.message}")
            raise typer.Exit(2) from None
    view = _run(db, lambda s: s.account_payout(psn_no, reason, on=day, entered_by=by, payee=payee,
                                               reviewed_by=_reviewer(s, reviewer, by)), review_above)
    out.print(f"已登记个人账户支取：代发{view.id}，{view.payee_name}，{view.account_masked}，{_yuan(view.amount)}")


@app.command("family")
def family_command(
    payer: str = typer.Argument(..., help="个人账户所有人的个人编号"),
    kind: str = typer.Option(..., "--kind", help="缴费项目：" + "、".join(f"{k}（{v}）" for k, v in family.KINDS.items())),
    year: int = typer.Option(..., "--year", help="缴费年度"),
    relative: Optional[str] = typer.Option(None, "--relative", help="近亲属个人编号（为配偶、父母、子女缴纳居民医保时）"),
    reviewer: Optional[str] = typer.Option(None, "--reviewer", help=REVIEWER_HELP),
    review_above: str = typer.Option("10000.00", "--review-above", help=ABOVE_HELP),
    policies: Optional[Path] = typer.Option(None, "--policies", help="政策目录（默认 policies/）"),
    on: Optional[str] = typer.Option(None, "--on", help=DATE_HELP),
    by: str = typer.Option("命令行", "--by", help=BY_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """个人账户家庭共济缴费：本人职工大额医疗费用补助、长期护理保险，或配偶、父母、子女的城乡居民医保个人缴费。"""
    day = cli_text.day(on, "on", today=True)
    result = _run(db, lambda s: s.family_pay(payer, kind, year, on=day, entered_by=by, relative=relative,
                                             reviewed_by=_reviewer(s, reviewer, by)), review_above, policies)
    whom = "本人" if result.beneficiary == payer else result.beneficiary
    out.print(f"{payer}的个人账户已为{whom}缴纳{year}年度{family.KINDS[kind]}：{_yuan(result.amount)}，"
              f"账户余额{_yuan(result.balance_after)}")

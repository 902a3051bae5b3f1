"""`tongchou person …`: register, show, change, household, death, newborn, import (docs/front-office.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, TypeVar

import typer

from tongchou import cli_text
from tongchou.codes import PsnType
from tongchou.persons.rules import RELATIONS
from tongchou.persons.service import PersonService, YearEndService, errors_file
from tongchou.sheets import read_sheet
from tongchou.store.cli import DB_HELP, out, require_file, run_in_store

app = typer.Typer(help="参保人与家庭户：登记、查询、变更、家庭户、死亡、新生儿、批量登记", no_args_is_help=True)
household_app = typer.Typer(help="家庭户（城乡居民）：建户、入户、迁出", no_args_is_help=True)
app.add_typer(household_app, name="household")
T = TypeVar("T")

BY_HELP = "经办人（记入变更与家庭户历史）"
DATE_HELP = "日期 YYYY-MM-DD（默认：今天）"
BY_DEFAULT = "命令行"


def _run(db: str | None, work: Callable[[PersonService], T]) -> T:
    return run_in_store(db, PersonService, work)


@app.command("register")
def register_command(
    id_number: str = typer.Option(..., "--id-number", help="公民身份号码（18位，校验码按 GB 11643-1999 校验）"),
    name: str = typer.Option(..., "--name", help="姓名"),
    county: str = typer.Option(..., "--county", help="区县代码（本统筹区的区县）"),
    psn_type: str = typer.Option(..., "--psn-type", help="人员类别：" + "、".join(f"{p.value} {p.label}" for p in PsnType)),
    phone: Optional[str] = typer.Option(None, "--phone", help="手机号码（11位）"),
    address: Optional[str] = typer.Option(None, "--address", help="地址"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """参保登记：校验身份证号，一人一号（同一身份证号不能重复登记），分配个人编号。"""
    row = {"id_number": id_number, "name": name, "county": county, "psn_type": psn_type, "phone": phone,
           "address": address}
    psn_no = _run(db, lambda service: service.register(row))
    out.print(f"已登记，个人编号 {psn_no}")


@app.command("show")
def show_command(psn_no: str = typer.Argument(..., help="个人编号"),
                 db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """查看参保人（证件号、电话、地址均脱敏）、家庭户成员与变更历史。"""
    view = _run(db, lambda service: service.show(psn_no))
    out.print(f"个人编号 {view.psn_no}  姓名 {view.name}  公民身份号码 {view.id_number}  "
              f"性别 {({'1': '男', '2': '女'}).get(view.sex or '', '—')}  出生日期 {view.birth_date or '—'}")
    out.print(f"区县 {view.county}  人员类别 {PsnType.label_of(view.psn_type)}  手机 {view.phone}  地址 {view.address}")
    if view.death_date:
        out.print(f"死亡日期 {view.death_date}（医保待遇自次日终止）")
    if view.household_no:
        out.print(f"家庭户 {view.household_no}：")
        for member in view.household:
            left = f"，{member.left_on} 迁出" if member.left_on else ""
            out.print(f"  {member.psn_no} {member.name} {RELATIONS[member.relation]} {member.joined_on} 入户{left}")
    for change in view.changes:
        out.print(f"变更 {change.changed_on} {change.field}：{change.old} → {change.new}（{change.changed_by}）")


@app.command("change")
def change_command(
    psn_no: str = typer.Argument(..., help="个人编号"),
    field: str = typer.Option(..., "--field", help="变更项：name（姓名）、phone（手机号码）、address（地址）"),
    value: str = typer.Option(..., "--value", help="新值"),
    on: Optional[str] = typer.Option(None, "--on", help=DATE_HELP),
    by: str = typer.Option(BY_DEFAULT, "--by", help=BY_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """变更姓名、手机号码或地址；原值与新值（加密保存、脱敏显示）记入变更历史。"""
    day = cli_text.day(on, "on", today=True)
    _run(db, lambda service: service.change(psn_no, field, value, day, by))
    out.print(f"已变更 {psn_no} 的 {field}")


@household_app.command("create")
def household_create(head: str = typer.Argument(..., help="户主个人编号"),
                     on: Optional[str] = typer.Option(None, "--on", help=DATE_HELP),
                     by: str = typer.Option(BY_DEFAULT, "--by", help=BY_HELP),
                     db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """建立家庭户（户主须为城乡居民且不属于其他家庭户）。"""
    day = cli_text.day(on, "on", today=True)
    number = _run(db, lambda service: service.create_household(head, day, by))
    out.print(f"已建立家庭户 {number}")


@household_app.command("add")
def household_add(household_no: str = typer.Argument(..., help="家庭户编号"),
                  psn_no: str = typer.Argument(..., help="成员个人编号"),
                  relation: str = typer.Option(..., "--relation", help="与户主关系：配偶、子女、父母、其他"),
                  on: Optional[str] = typer.Option(None, "--on", help=DATE_HELP),
                  by: str = typer.Option(BY_DEFAULT, "--by", help=BY_HELP),
                  db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """成员入户（一人只能属于一个家庭户）。"""
    day = cli_text.day(on, "on", today=True)
    _run(db, lambda service: service.add_member(household_no, psn_no, relation, day, by))
    out.print(f"{psn_no} 已加入家庭户 {household_no}")


@household_app.command("remove")
def household_remove(household_no: str = typer.Argument(..., help="家庭户编号"),
                     psn_no: str = typer.Argument(..., help="成员个人编号"),
                     on: Optional[str] = typer.Option(None, "--on", help=DATE_HELP),
                     by: str = typer.Option(BY_DEFAULT, "--by", help=BY_HELP),
                     db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """成员迁出（保留历史；户主最后迁出，家庭户随之注销）。"""
    day = cli_text.day(on, "on", today=True)
    _run(db, lambda service: service.remove_member(household_no, psn_no, day, by))
    out.print(f"{psn_no} 已迁出家庭户 {household_no}")


@app.command("death")
def death_command(psn_no: str = typer.Argument(..., help="个人编号"),
                  date: str = typer.Option(..., "--date", help="死亡日期 YYYY-MM-DD"),
                  by: str = typer.Option(BY_DEFAULT, "--by", help=BY_HELP),
                  db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """登记死亡：参保关系于死亡次日终止；结束日期晚于死亡日期的费用不予结算。"""
    day = cli_text.day(date, "date", today=True)
    cut = _run(db, lambda service: service.record_death(psn_no, day, by))
    out.print(f"已登记 {psn_no} 于 {day} 死亡，终止参保记录 {len(cut)} 条")


@app.command("newborn")
def newborn_command(parent: str = typer.Option(..., "--parent", help="已参保的父亲或母亲的个人编号"),
                    name: str = typer.Option(..., "--name", help="新生儿姓名"),
                    birth_date: str = typer.Option(..., "--birth-date", help="出生日期 YYYY-MM-DD"),
                    sex: str = typer.Option(..., "--sex", help="性别：1 男，2 女"),
                    id_number: Optional[str] = typer.Option(None, "--id-number", help="公民身份号码（已办理的）"),
                    by: str = typer.Option(BY_DEFAULT, "--by", help=BY_HELP),
                    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """新生儿登记：父母一方在出生之日须已参加本市医保（冠县政策明白纸：新生儿父母任何一方参加本市医保），
    随父母入户。"""
    day = cli_text.day(birth_date, "birth_date", today=True)
    psn_no = _run(db, lambda service: service.register_newborn(parent, name, day, sex, by, id_number))
    out.print(f"已登记新生儿，个人编号 {psn_no}")


@app.command("import")
def import_command(file: Path = typer.Argument(..., help="批量登记文件（CSV 或 Excel .xlsx，首行为列名）"),
                   errors: Optional[Path] = typer.Option(
                       None, "--errors", help="错误行写入的文件（默认：原文件名加 .errors.csv 或 .errors.xlsx，与原文件格式相同）"),
                   db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """批量参保登记：列 id_number,name,phone,address,county,psn_type（或其中文列名）。逐行校验，
    正确的行登记，错误的行连同按列说明的错误写入错误文件（与原文件同为 CSV 或 xlsx）；一行要么全部登记，要么不登记。"""
    require_file(file, "批量登记文件")

    def work(service: PersonService):
        sheet = read_sheet(file.name, file.read_bytes())  # a refused file is said like any refusal (exit 2)
        return sheet, service.import_sheet(sheet)
    sheet, report = _run(db, work)
    target = errors or file.with_name(f"{file.stem}.errors.{sheet.fmt}")
    out.print(f"已登记 {len(report.registered)} 人，错误 {len(report.refused)} 行")
    if report.refused:
        target.write_bytes(errors_file(report, sheet.header, sheet.fmt))
        out.print(f"错误行已写入 {target}")
        raise typer.Exit(1)


@app.command("year-end")
def year_end_command(year: int = typer.Argument(..., help="结转的年度，如 2018（须在该年结束以后办理）"),
                     dry_run: bool = typer.Option(False, "--dry-run", help="只计算、列出，不记账、不写入"),
                     within: int = typer.Option(30, "--within", help="次年初若干天内到期的备案一并列入续办清单（天）"),
                     renewals: Optional[Path] = typer.Option(None, "--renewals", help="续办清单写入的CSV文件"),
                     db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
                     policies: Optional[Path] = typer.Option(None, "--policies", help="政策目录（默认：内置 policies/）")
                     ) -> None:
    """年度结转：个人账户按政策利率结转计息（余额×利率，四舍五入到分，记账并附说明），新年度累计从零开始，
    列出年底到期（或次年初将到期）须续办的门诊慢特病、转诊备案。可重复运行：已办的不再重复。"""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from tongchou.filings.documents import renewal_csv, renewal_rows
    from tongchou.money import fen_to_str
    from tongchou.policy.registry import Registry

    with Progress(TextColumn("个人账户计息"), BarColumn(), MofNCompleteColumn(), console=out) as bar:
        task = bar.add_task("accounts", total=None)

        def work(service: YearEndService):
            return service.run(year, dry_run=dry_run, within_days=within,
                               progress=lambda done, total: bar.update(task, completed=done, total=total))
        report = run_in_store(db, lambda store: YearEndService(store, Registry.load(policies)), work)
    head = "（试算，未记账）" if dry_run else ""
    out.print(f"{year}年度结转{head}：个人账户 {report.accounts} 户，本次计息 {len(report.credited)} 户，"
              f"利息合计 {fen_to_str(report.interest_total)} 元；此前已计息 {report.already} 户，"
              f"余额为零 {report.nothing} 户，政策未规定利率 {len(report.no_rate)} 户")
    out.print(f"{year + 1}年度累计：新建 {report.states_opened} 条（从零开始），已有 {report.states_existing} 条")
    out.print(f"须续办的备案 {len(report.renewals)} 件")
    for row in renewal_rows(report.renewals)[:20]:
        out.print("  " + " ".join(row))
    if len(report.renewals) > 20:
        out.print(f"  ……另有 {len(report.renewals) - 20} 件，见续办清单文件")
    if renewals is not None:
        renewals.write_text("\ufeff" + renewal_csv(report.renewals), encoding="utf-8")
        out.print(f"续办清单已写入 {renewals}")

"""The command line: a thin shell over the domain packages (Typer + rich).

Each command's module is imported only when that command runs (or its own help is asked for): the
top-level `tongchou --help` lists the commands from the short help written here and imports none of
SQLAlchemy, FastAPI, DuckDB, Ibis, pandas or Spark.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Literal

from tongchou import cli_text

cli_text.install()  # before Click and Typer bind gettext: their usage errors and headings in Chinese

import click  # noqa: E402
import typer  # noqa: E402
from typer._click.exceptions import UsageError  # noqa: E402  (the Click that Typer vendors raises these)
from typer.core import TyperGroup  # noqa: E402


@dataclass(frozen=True)
class Lazy:
    """A command known by name and short help; `target` ("module:attribute") is imported on first use."""

    help: str
    target: str
    # "app": a Typer sub-app; "command": a command function; "member": the command of that name in the
    # Typer app `target`
    kind: Literal["app", "command", "member"] = "app"


STORE = "tongchou.store.cli:app"  # db and export merge in at the top level
REGION = "tongchou.region.cli:app"  # load and catalogue
COMMANDS: dict[str, Lazy] = {
    "settle": Lazy("按顺序结算一批就诊（JSON Lines），年度累计按人、险种、年度结转", "tongchou.settlement.cli:settle_command", "command"),
    "simulate": Lazy("政策测算：在所列各项政策下重放全部就诊", "tongchou.batch.cli:simulate_command", "command"),
    "generate": Lazy("生成合成统筹区（绍兴市六区县）：参保人、机构、目录、一年的就诊与费用明细", "tongchou.generate.cli:generate_command", "command"),
    "demo": Lazy("演示：生成绍兴市合成统筹区，跑完一年的业务，然后启动控制台和机构接口", "tongchou.demo.cli:demo_command", "command"),
    "serve": Lazy("启动机构接口（POST /api/hsa/{infno}），先升级数据库", "tongchou.api.cli:serve_command", "command"),
    "policy": Lazy("政策：查看、校验、测试", "tongchou.settlement.cli:policy_app"),  # with `test`, which settles
    "load": Lazy("导入数据（统筹区、区县、机构、目录、参保人），先升级数据库", REGION, "member"),
    "db": Lazy("数据库：创建或升级", STORE, "member"),
    "catalogue": Lazy("医保目录", REGION, "member"),
    "person": Lazy("参保人与家庭户：登记、查询、变更、家庭户、死亡、新生儿、批量登记、年度结转", "tongchou.persons.cli:app"),
    "ledger": Lazy("基金账务", "tongchou.ledger.cli:app"),
    "export": Lazy("导出", STORE, "member"),
    "report": Lazy("基金报表", "tongchou.funds.cli:report_app"),
    "funds": Lazy("统筹基金：规则校验、存量基金移交、风险调剂金上解、预算、余额、月结、决算", "tongchou.funds.cli:funds_app"),
    "clearing": Lazy("清算：月结单、DIP、总额预算、按人头付费", "tongchou.clearing.cli:app"),
    "supervision": Lazy("基金监管：智能审核、案件与追回、信用评价、区县考核", "tongchou.supervision.cli:app"),
    "filing": Lazy("门诊慢特病申报：乡镇卫生院受理、县医保经办机构审批或驳回、查询", "tongchou.filings.cli:app"),
    "cover": Lazy("参保关系变更：停保、续保、险种转换（职工医保与城乡居民医保）", "tongchou.enrolment.cli:app"),
    "transfer": Lazy("关系转移接续：参保凭证、转出本统筹区、转入本统筹区", "tongchou.transfers.cli:app"),
    "employer": Lazy("用人单位（职工医保）：登记、增减员、缴费申报、欠费与滞纳金、税务征收对账", "tongchou.employers.cli:app"),
    "payment": Lazy("代发与个人账户家庭共济：银行账户、代发批次、银行回盘、退回重发、个人账户支取、家庭共济缴费",
                    "tongchou.payments.cli:app"),
    "institution": Lazy("定点医药机构", "tongchou.api.cli:institution_app"),
    "ecert": Lazy("医保电子凭证：为参保人签发（5分钟内出示，绑定所开就诊）", "tongchou.api.cli:ecert_app"),
    "console": Lazy("医保局控制台（网页）：启动服务、管理用户", "tongchou.web.cli:app"),
    "audit": Lazy("审计日志：校验哈希链、查看记录、登记政策版本", "tongchou.audit.cli:app"),
    "keys": Lazy("数据密钥：生成、状态、轮换", "tongchou.access.keys_cli:app"),
}


def load_command(name: str) -> click.Command:
    """The real click command of `name` (imports its module)."""
    lazy = COMMANDS[name]
    module, _, attribute = lazy.target.partition(":")
    value = getattr(import_module(module), attribute)
    if lazy.kind == "command":
        single = typer.Typer(add_completion=False)
        single.command(name)(value)
        return typer.main.get_command(single)
    group = typer.main.get_group(value)
    if lazy.kind == "member":
        return group.commands[name]
    group.name = name
    return group


class LazyGroup(TyperGroup):
    """The top-level group: lists commands from `COMMANDS` and imports one only to run it."""

    def __init__(self, **attrs) -> None:
        super().__init__(**attrs)
        self.commands = {name: click.Command(name, help=lazy.help) for name, lazy in COMMANDS.items()}  # stubs
        self._loaded: dict[str, click.Command] = {}
        self._listing = False

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands or self._listing:
            return self.commands.get(cmd_name)
        if cmd_name not in self._loaded:
            self._loaded[cmd_name] = load_command(cmd_name)
        return self._loaded[cmd_name]

    def invoke(self, ctx: click.Context):
        from tongchou.errors import StoreMissing  # a plain module: no SQLAlchemy

        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise UsageError(cli_text.usage_error(exc.format_message()), ctx=exc.ctx) from None
        except StoreMissing as exc:  # contracts.md "Store URLs": refused in Chinese, exit 1, no traceback
            typer.echo(f"{exc.field}：{exc.message}", err=True)
            raise typer.Exit(1) from None

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="tongchou",
    cls=LazyGroup,
    help="统筹 Tongchou — 基本医疗保险市级统筹核心系统",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """统筹 Tongchou — 基本医疗保险市级统筹核心系统"""


def main(args: list[str] | None = None) -> None:
    app(args=args, prog_name="tongchou")


if __name__ == "__main__":
    main()

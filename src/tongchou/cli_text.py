"""The command line's own words in Chinese: usage errors and help headings.

Typer marks its own text for gettext (`from gettext import gettext as _`, bound at import) but ships no
Chinese catalogue; `install()` puts `TEXT` in front of gettext before Typer is imported (the top of
`tongchou.cli`). The Click that Typer vendors formats its usage errors in English without gettext
("Missing option '--input'."), so `usage_error` rewrites those messages where they pass through the
top-level group (`LazyGroup.invoke`). A text neither knows passes through unchanged.
"""

from __future__ import annotations

import datetime as dt
import gettext
import re

TEXT: dict[str, str] = {
    "Options": "选项",
    "Arguments": "参数",
    "Commands": "命令",
    "[default: {}]": "[默认：{}]",
    "default: {default}": "默认：{default}",
    "[required]": "[必填]",
    "required": "必填",
    "[env var: {}]": "[环境变量：{}]",
    "env var: {var}": "环境变量：{var}",
    "(deprecated) ": "（已停用）",
    "(dynamic)": "（动态）",
    "Error": "错误",
    "Try [blue]'{command_path} {help_option}'[/] for help.": "用 [blue]'{command_path} {help_option}'[/] 查看帮助。",
    "Aborted.": "已中止。",
    "Aborted!": "已中止！",
    "Missing command.": "缺少命令。",
    "No such command {name!r}.": "没有命令 {name!r}。",
}

USAGE: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), chinese) for pattern, chinese in (
    (r"^Missing option (?P<x>.+)\.$", "缺少选项 {x}。"),
    (r"^Missing argument (?P<x>.+)\.$", "缺少参数 {x}。"),
    (r"^Missing parameter: (?P<x>.+)$", "缺少参数：{x}"),
    (r"^No such option: (?P<x>\S+) \(Possible options: (?P<p>.+)\)$", "没有选项：{x}（可用的选项：{p}）"),
    (r"^No such option: (?P<x>\S+)$", "没有选项：{x}"),
    (r"^Invalid value for (?P<x>.+?): (?P<m>.+)$", "{x} 的值无效：{m}"),
    (r"^Invalid value: (?P<m>.+)$", "值无效：{m}"),
    (r"^Got unexpected extra argument\(s\) \((?P<x>.+)\)$", "多余的参数（{x}）"),
    (r"^Option (?P<x>.+) does not take a value\.$", "选项 {x} 不带值。"),
    (r"^Option (?P<x>.+) requires (an argument|\d+ arguments)\.$", "选项 {x} 需要值。"),
    (r"^Value (?P<x>.+) is not a valid (?P<t>.+)\.$", "{x} 不是有效的{t}。"),
    (r"^(?P<x>.+) is not one of (?P<c>.+)\.$", "{x} 不在可选值 {c} 中。"),
))
TYPES = {"integer": "整数", "int": "整数", "float": "数字", "boolean": "是/否", "bool": "是/否", "path": "路径"}


def chinese(message: str) -> str:
    return TEXT.get(message, message)


def chinese_plural(singular: str, plural: str, n: int) -> str:
    return chinese(singular if n == 1 else plural)


def usage_error(message: str) -> str:
    """A usage error of the vendored Click in Chinese (its inner message too, for a bad value)."""
    for pattern, text in USAGE:
        found = pattern.match(message)
        if found:
            parts = found.groupdict()
            if "m" in parts:
                parts["m"] = usage_error(parts["m"])
            if "t" in parts:
                parts["t"] = TYPES.get(parts["t"], parts["t"])
            return text.format(**parts)
    return message


def install() -> None:
    """Route gettext's module functions through the table (before Typer binds them)."""
    gettext.gettext = chinese
    gettext.ngettext = chinese_plural


def day(text: str | None, field: str, *, today: bool = False) -> dt.date:
    """A date typed as YYYY-MM-DD (today when none is given and `today`), or exit 2 naming the option."""
    import typer  # here, not at the top: this module is imported before Typer binds gettext (see `install`)

    if text is None and today:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        typer.secho(f"{field} 日期须为 YYYY-MM-DD 格式，收到“{text or ''}”。", fg="red", err=True)
        raise typer.Exit(2) from None

"""The funding file (筹资): one scheme's fund of the year, read from YAML.

A resident (390) fund is funded per head by source:

```yaml
insutype: "390"              # the scheme; "390" when absent
name: 冠县                     # optional: the region's name, used in report titles
insured: 324805              # insured persons of the scheme in the year
per_capita:                  # yuan per insured person, by source
  central_subsidy: 356
  provincial_subsidy: 115.6
  county_subsidy: 18.4
  individual: 210
earmarked_per_capita:        # parts that leave the pooled fund (premiums to insurers)
  critical_illness_and_accident: 60
warning_thresholds:          # optional: overrides of tongchou.funds.indicators defaults
  spending_gap_alarm: 0.05
```

An employee (310) fund is funded by contributions on the declared bases; the part credited to
personal accounts leaves the pooled fund (it is in `total`, taken out of `usable` as `earmarked`):

```yaml
insutype: "310"
name: 绍兴市
insured: 120000              # insured employees (working and retired) in the year
contribution_base: 6000000000  # yuan: the year's declared contribution bases, summed over persons and months
rates:                       # of the base, by source
  employer: 0.08
  individual: 0.02
personal_account: 150000000  # yuan of those contributions credited to personal accounts
```

YAML numbers are read as exact ``Decimal`` (never ``float``) and per-capita
amounts must have at most two decimals.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from tongchou.funds.indicators import WarningThresholds, parse_thresholds
from tongchou.funds.errors import ReportInputError
from tongchou.funds.operation import EMPLOYEE, RESIDENT, SCHEME_NAMES, Funding, totals_funding
from tongchou.money import Fen, MoneyError, apply_rate, to_fen

COMMON_KEYS = frozenset({"insutype", "name", "year", "region", "admdvs", "note", "notes", "source", "insured",
                         "warning_thresholds"})
KNOWN_KEYS = {RESIDENT: COMMON_KEYS | {"per_capita", "earmarked_per_capita"},
              EMPLOYEE: COMMON_KEYS | {"contribution_base", "rates", "personal_account"}}


class _DecimalLoader(yaml.SafeLoader):
    """A safe YAML loader that reads floats as exact Decimals."""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    try:
        return Decimal(text)
    except InvalidOperation:
        raise yaml.constructor.ConstructorError(None, None, f"not a number: {text!r}", node.start_mark)


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


def parse_funding_yaml(text: str, option: str = "--funding") -> tuple[Funding, WarningThresholds]:
    """Parse the funding file's text into the year's funding and the warning thresholds."""
    try:
        document = yaml.load(text, Loader=_DecimalLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ReportInputError(option, f"not valid YAML: {exc}") from None
    if not isinstance(document, Mapping):
        raise ReportInputError(option, "expected a mapping with insured and per_capita")
    return parse_funding(document, option), parse_thresholds(
        document.get("warning_thresholds"), f"{option} warning_thresholds"
    )


def parse_funding(document: Mapping[str, Any], option: str = "--funding") -> Funding:
    insutype = parse_insutype(document.get("insutype"), f"{option} insutype")
    known = KNOWN_KEYS[insutype]
    unknown = sorted(str(key) for key in document if key not in known)
    if unknown:
        raise ReportInputError(f"{option} {unknown[0]}",
                               f"unknown key for scheme {insutype} (known: {', '.join(sorted(known))})")
    name = document.get("name")
    name = None if name is None else str(name)
    insured = parse_insured(document.get("insured"), f"{option} insured")
    if insutype == EMPLOYEE:
        return parse_employee_funding(document, option, insured, name)
    return Funding(
        insured=insured,
        per_capita_fen=parse_per_capita(document.get("per_capita"), f"{option} per_capita", required=True),
        earmarked_per_capita_fen=parse_per_capita(
            document.get("earmarked_per_capita"), f"{option} earmarked_per_capita", required=False
        ),
        name=name,
    )


def parse_insutype(value: Any, field: str) -> str:
    if value is None:
        return RESIDENT
    text = str(value).strip()
    if text not in SCHEME_NAMES:
        raise ReportInputError(field, f"expected \"390\" (城乡居民) or \"310\" (职工), got {value!r}")
    return text


def parse_employee_funding(document: Mapping[str, Any], option: str, insured: int, name: str | None) -> Funding:
    """Contributions = declared bases × each source's rate (half-up to the fen); the personal-account part
    is earmarked (it never reaches the pooled fund)."""
    base = parse_yuan(document.get("contribution_base"), f"{option} contribution_base")
    rates = document.get("rates")
    if not isinstance(rates, Mapping) or not rates:
        raise ReportInputError(f"{option} rates", "expected a mapping of source: rate of the base (e.g. employer: 0.08)")
    totals = {str(source): apply_rate(base, parse_rate(rate, f"{option} rates.{source}"))
              for source, rate in rates.items()}
    account = parse_yuan(document.get("personal_account", 0), f"{option} personal_account")
    if account > sum(totals.values()):
        raise ReportInputError(f"{option} personal_account", "exceeds the contributions on the declared bases")
    return totals_funding(EMPLOYEE, insured, totals, {"personal_account": account} if account else {}, name)


def parse_rate(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or not 0 <= value <= 1:
        raise ReportInputError(field, f"expected a fraction of the base between 0 and 1, got {value!r}")
    return Decimal(value)


def parse_insured(value: Any, field: str) -> int:
    if value is None:
        raise ReportInputError(field, "missing: the number of insured persons in the year")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ReportInputError(field, f"expected a positive whole number of persons, got {value!r}")
    return value


def parse_per_capita(value: Any, field: str, *, required: bool) -> dict[str, Fen]:
    if value is None:
        if required:
            raise ReportInputError(field, "missing: yuan per insured person, by source")
        return {}
    if not isinstance(value, Mapping) or (required and not value):
        raise ReportInputError(field, "expected a mapping of source: yuan per insured person")
    return {str(source): parse_yuan(amount, f"{field}.{source}") for source, amount in value.items()}


def parse_yuan(value: Any, field: str) -> Fen:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ReportInputError(field, f"expected an amount in yuan, got {value!r}")
    try:
        fen = to_fen(value)
    except MoneyError as exc:
        raise ReportInputError(field, str(exc)) from None
    if fen < 0:
        raise ReportInputError(field, f"negative amount: {value}")
    return fen


def load_funding(path: Path, option: str = "--funding") -> tuple[Funding, WarningThresholds]:
    """Read a funding file (the imperative shell around `parse_funding_yaml`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportInputError(option, f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportInputError(option, f"cannot read {path}: {exc}") from None
    return parse_funding_yaml(text, option)

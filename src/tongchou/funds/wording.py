"""How bureaus write the figures: Chinese names, 万元 and percentages with two decimals.

Pure formatting helpers shared by the Markdown and HTML renderings and by the
warning reasons. Everything is ``Decimal`` arithmetic, rounded half-up for
display only (the JSON keeps unrounded ratios).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")
_WAN = Decimal(10000)

TIER_NAMES = {
    "village": "村级",
    "township": "乡镇卫生院",
    "county": "县级医院",
    "city": "市级医院",
    "province": "省级医院",
    "outside": "省外医疗机构",
    "unknown": "未标明级别",
}
TIER_GROUP_NAMES = {"province_and_outside": "省级及省外医疗机构"}
VISIT_TYPE_NAMES = {
    "all": "合计",
    "inpatient": "住院",
    "general_outpatient": "普通门诊",
    "chronic_outpatient": "门诊慢特病",
    "other": "其他(急诊、购药、生育等)",
}
FUNDING_SOURCE_NAMES = {
    "central_subsidy": "中央财政",
    "provincial_subsidy": "省级财政",
    "city_subsidy": "市级财政",
    "county_subsidy": "县级财政",
    "district_subsidy": "区级财政",
    "individual": "个人缴费",
    "employer": "单位缴费",
    "subsidy": "财政补助",
    "collective": "集体扶持",
}
EARMARKED_NAMES = {
    "critical_illness_and_accident": "意外伤害与大病保险",
    "critical_illness": "大病保险",
    "accident": "意外伤害保险",
    "premiums": "大病保险保费",
    "critical_illness_fund": "划转大病保险基金（自办）",
    "personal_account": "划入个人账户",
}
STATUS_NAMES = {"normal": "正常", "watch": "关注", "alarm": "预警"}


def tier_name(tier: str) -> str:
    return TIER_NAMES.get(tier) or TIER_GROUP_NAMES.get(tier) or tier


def source_name(source: str) -> str:
    return FUNDING_SOURCE_NAMES.get(source, source)


def earmarked_name(item: str) -> str:
    return EARMARKED_NAMES.get(item, item)


def two_places(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def percent_number(ratio: Decimal | None) -> Decimal | None:
    """A ratio as a percentage with two decimals (0.699818… → 69.98)."""
    return None if ratio is None else two_places(ratio * 100)


def pct(ratio: Decimal | None) -> str:
    """A ratio written as bureaus do: '69.98%'; '—' when undefined."""
    number = percent_number(ratio)
    return "—" if number is None else f"{number}%"


def points(ratio: Decimal) -> str:
    """A difference of ratios in percentage points, two decimals: '19.98'."""
    return str(two_places(abs(ratio) * 100))


def wan_number(amount: Decimal | None) -> Decimal | None:
    """Yuan as 万元 with two decimals (145474810.00 → 14547.48)."""
    return None if amount is None else two_places(amount / _WAN)


def wan(amount: Decimal | None) -> str:
    number = wan_number(amount)
    return "—" if number is None else f"{number}万元"


def yuan_text(amount: Decimal | None) -> str:
    return "—" if amount is None else f"{two_places(amount)}元"


def per_visit(amount: Decimal | None) -> str:
    return "—" if amount is None else f"{two_places(amount)}元/人次"


def visits(count: int) -> str:
    return f"{count}人次"


def rise_or_fall(delta: Decimal | int | None) -> str:
    if delta is None:
        return "—"
    return "增长" if delta >= 0 else "降低"


def period_label(start: date, end: date) -> str:
    """Name a period as bureaus do: 2018年上半年, 2018年1-9月, 2018年第三季度, 2018年."""
    year = start.year
    starts_month = start.day == 1
    ends_month = _is_month_end(end)
    if starts_month and ends_month and start.year == end.year:
        first, last = start.month, end.month
        if (first, last) == (1, 12):
            return f"{year}年"
        if (first, last) == (1, 6):
            return f"{year}年上半年"
        if (first, last) == (7, 12):
            return f"{year}年下半年"
        if first == last:
            return f"{year}年{first}月"
        if last - first == 2 and first % 3 == 1:
            return f"{year}年第{'一二三四'[first // 3]}季度"
        return f"{year}年{first}-{last}月"
    return f"{_day_label(start)}至{_day_label(end)}"


def comparison_label(current: tuple[date, date], previous: tuple[date, date]) -> str:
    """'2017年同期' when the comparison is the same span a year earlier, else its own label."""
    (start, end), (old_start, old_end) = current, previous
    same_span_a_year_earlier = (
        old_start.year == start.year - 1
        and _same_day_of_year(old_start, start)
        and _same_day_of_year(old_end, end)
    )
    if same_span_a_year_earlier:
        return f"{old_start.year}年同期"
    return period_label(old_start, old_end)


def _same_day_of_year(a: date, b: date) -> bool:
    """Same month and day, counting 28 and 29 February as the same (leap years)."""
    if a.month == b.month == 2 and {a.day, b.day} <= {28, 29}:
        return True
    return (a.month, a.day) == (b.month, b.day)


def _is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def _day_label(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"

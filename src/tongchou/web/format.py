"""Numbers and codes as a bureau writes them — applied only at the edge (templates), never in a query.

- money is integer fen inside; on a page: 元 with two decimals and thousands separators
  (`12,345.67`), large totals in 万元 with two decimals (`1,234.57万元`);
- rates: percent with two decimals (`69.98%`);
- dates: `2018-05-10` (yyyy-MM-dd, as they are entered);
- national codes by their Chinese names (`tongchou.codes`), the code beside the name where a clerk needs it.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from tongchou.enrolment.years import years_text
from tongchou.clearing.documents import FIELD_LABELS
from tongchou.codes import AdminTier, Code, HospLv, Insutype, MedType, PsnType
from tongchou.ledger.accounts import FUND_NAMES, Fund
from tongchou.money import NO_AMOUNT, fen_to_str, fen_to_wan, wan_text

TWO = Decimal("0.01")

AMOUNT_LABELS = {
    **FIELD_LABELS,
    "medfee_sumamt": "医疗费总额", "fulamt_ownpay_amt": "全自费金额", "overlmt_selfpay": "超限价自费金额",
    "preselfpay_amt": "先行自付金额", "inscp_scp_amt": "符合政策范围金额", "inscp_essential_amt": "其中基本药物金额",
    "act_pay_dedc": "实际支付起付线", "hifp_pay": "基本医疗保险统筹基金支出", "cvlserv_pay": "公务员医疗补助资金支出",
    "hifes_pay": "企业补充医疗保险基金支出", "hifmi_pay": "居民大病保险资金支出",
    "hifob_pay": "职工大额医疗费用补助基金支出", "maf_pay": "医疗救助基金支出", "oth_pay": "其他支出",
    "fund_pay_sumamt": "基金支付总额", "psn_part_amt": "个人负担总金额", "acct_pay": "个人账户支出",
    "acct_mulaid_pay": "其中家庭共济账户支付", "psn_cash_pay": "个人现金支出", "hosp_part_amt": "医院负担金额",
}
FILING_KINDS = {"chronic": "门诊慢特病备案", "referral": "转诊备案"}
ENROLMENT_KINDS = {"on_time": "按时缴费", "late": "中途参保（有等待期）", "newborn": "新生儿", "employee": "职工参保",
                   "resume": "续保", "switch": "险种转换",
                   "transfer_in": "跨统筹区转入"}
CONTRIBUTION_STATUS = {"accepted": "已入账", "held": "挂起待处理"}
CONTRIBUTION_KINDS = {"individual": "个人缴费", "employer": "单位缴费", "employee": "职工医保缴费（单位和个人）",
                      "account_payment": "个人账户代缴", "subsidy": "财政补助", "personal": "个人缴费",
                      "central": "中央财政补助", "provincial": "省级财政补助", "county": "县级财政补助",
                      "city": "市级财政补助", "retiree": "退休人员划入", "transfer": "转移接续",
                      "account_large_expense": "个人账户缴纳职工大额医疗费用补助",
                      "account_long_term_care": "个人账户缴纳长期护理保险"}
ASSISTANCE = {"poverty": "建档立卡贫困人员", "low_income": "低保对象", "extreme_poverty": "特困人员",
              "dibao": "最低生活保障对象", "tekun": "特困供养人员", "disabled": "重度残疾人", "orphan": "孤儿"}
AGREEMENT_STATUS = {"active": "协议期内", "suspended": "暂停", "exited": "已退出"}
SEX = {"1": "男", "2": "女"}


def yuan(fen: int | None) -> str:
    """Fen as 元 with two decimals and thousands separators: 1234567 → '12,345.67'."""
    return NO_AMOUNT if fen is None else fen_to_str(fen, grouping=True)


def wan_number(fen: int | None) -> Decimal | None:
    """万元 as a number for a chart (two decimals)."""
    return None if fen is None else fen_to_wan(fen)


def pct(rate: Decimal | None) -> str:
    """A fraction as percent with two decimals: Decimal('0.6998') → '69.98%'."""
    if rate is None:
        return "—"
    return f"{(Decimal(rate) * 100).quantize(TWO, ROUND_HALF_UP)}%"


def pct_number(rate: Decimal | None) -> Decimal | None:
    return None if rate is None else (Decimal(rate) * 100).quantize(TWO, ROUND_HALF_UP)


def day(value: dt.date | dt.datetime | None) -> str:
    """yyyy-MM-dd."""
    if value is None:
        return "—"
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def moment(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return f"{day(value)} {value:%H:%M}"


def age(birth: dt.date | None, on: dt.date) -> str:
    """Whole years on `on` (shown instead of a birth date wherever a masked ID number shows digits)."""
    if birth is None:
        return "—"
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return f"{years}岁"


def birth_year(birth: dt.date | None) -> str:
    return "—" if birth is None else f"{birth.year}年"


def number(value: int | None) -> str:
    """A count with thousands separators."""
    return "—" if value is None else f"{int(value):,}"


def labelled(code: str | None, labels: dict | type[Code]) -> str:
    """The Chinese label of a code (a dict or a `tongchou.codes` table); an unknown code as 未知代码 X."""
    if code is None or code == "":
        return "—"
    if isinstance(labels, type):
        return labels.label_of(code, f"未知代码{code}")
    return labels.get(code, labels.get(str(code), f"未知代码{code}"))


def with_code(code: str | None, labels) -> str:
    """`成年居民（1501）`: the name, the code beside it for a clerk who must key it."""
    return "—" if code in (None, "") else f"{labelled(code, labels)}（{code}）"


def fund_name(fund: str) -> str:
    try:
        return FUND_NAMES[Fund(fund)]
    except ValueError:
        return fund


FILTERS = {
    "yuan": yuan, "wan": wan_text, "pct": pct, "day": day, "moment": moment, "fund_name": fund_name,
    "number": number, "age": age, "birth_year": birth_year,
    "insutype": lambda c: labelled(c, Insutype), "med_type": lambda c: labelled(c, MedType),
    "psn_type": lambda c: with_code(c, PsnType), "contribution_kind": lambda c: labelled(c, CONTRIBUTION_KINDS),
    "assistance": lambda values: "、".join(labelled(v, ASSISTANCE) for v in values or []) or "无",
    "amount_label": lambda c: labelled(c, AMOUNT_LABELS), "hosp_lv": lambda c: labelled(c, HospLv),
    "filing_kind": lambda c: labelled(c, FILING_KINDS), "enrolment_kind": lambda c: labelled(c, ENROLMENT_KINDS),
    "contribution_status": lambda c: labelled(c, CONTRIBUTION_STATUS), "admin_tier": lambda c: labelled(c, AdminTier),
    "agreement": lambda c: labelled(c, AGREEMENT_STATUS), "sex": lambda c: labelled(c, SEX),
    "years_text": lambda months: years_text(int(months or 0)),
}

"""Numbers and codes as a bureau writes them — applied only at the edge (templates), never in a query.

- money is integer fen inside; on a page: 元 with two decimals and thousands separators
  (`12,345.67`), large totals in 万元 with two decimals (`1,234.57万元`);
- rates: percent with two decimals (`69.98%`);
- dates: `2018年5月10日`.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from tongchou.clearing.documents import FIELD_LABELS
from tongchou.codes import AdminTier, Code, HospLv, Insutype, MedType
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
ENROLMENT_KINDS = {"on_time": "按时缴费", "late": "中途参保（有等待期）", "newborn": "新生儿", "employee": "职工参保"}
CONTRIBUTION_STATUS = {"accepted": "已入账", "held": "挂起待处理"}
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
    if value is None:
        return "—"
    return f"{value.year}年{value.month}月{value.day}日"


def moment(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return f"{day(value)} {value:%H:%M}"


def labelled(code: str | None, labels: dict | type[Code]) -> str:
    if code is None:
        return "—"
    return labels.label_of(code) if isinstance(labels, type) else labels.get(code, code)


def fund_name(fund: str) -> str:
    try:
        return FUND_NAMES[Fund(fund)]
    except ValueError:
        return fund


FILTERS = {
    "yuan": yuan, "wan": wan_text, "pct": pct, "day": day, "moment": moment, "fund_name": fund_name,
    "insutype": lambda c: labelled(c, Insutype), "med_type": lambda c: labelled(c, MedType),
    "amount_label": lambda c: labelled(c, AMOUNT_LABELS), "hosp_lv": lambda c: labelled(c, HospLv),
    "filing_kind": lambda c: labelled(c, FILING_KINDS), "enrolment_kind": lambda c: labelled(c, ENROLMENT_KINDS),
    "contribution_status": lambda c: labelled(c, CONTRIBUTION_STATUS), "admin_tier": lambda c: labelled(c, AdminTier),
    "agreement": lambda c: labelled(c, AGREEMENT_STATUS), "sex": lambda c: labelled(c, SEX),
}

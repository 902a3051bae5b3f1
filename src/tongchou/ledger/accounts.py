"""The chart of accounts (spec/funds.md "Ledger").

Funds are accounted separately (分别建账、分账核算): every fund keeps its own books,
and every entry balances inside each fund it touches. An account is
fund × title × county (+ party: institution, insurer or person where the title needs one).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Fund(StrEnum):
    EMPLOYEE_POOLED = "employee_pooled"          # 职工基本医疗保险统筹基金 (310100)
    PERSONAL_ACCOUNT = "personal_account"        # 职工个人账户 (310200)
    LARGE_EXPENSE = "large_expense"              # 职工大额医疗费用补助 (330)
    CIVIL_SERVANT = "civil_servant"              # 公务员医疗补助 (320)
    MATERNITY = "maternity"                      # 生育保险 (510)
    RESIDENT_POOLED = "resident_pooled"          # 城乡居民基本医疗保险统筹基金 (390100)
    CRITICAL_ILLNESS = "critical_illness"        # 城乡居民大病保险 (390200)
    MEDICAL_ASSISTANCE = "medical_assistance"    # 医疗救助 (610100)
    RISK_ADJUSTMENT = "risk_adjustment"          # 风险调剂金
    OTHER = "other"                              # 其他支付 (hifes_pay, oth_pay)


FUND_NAMES = {
    Fund.EMPLOYEE_POOLED: "职工医保统筹基金",
    Fund.PERSONAL_ACCOUNT: "职工个人账户",
    Fund.LARGE_EXPENSE: "职工大额医疗费用补助",
    Fund.CIVIL_SERVANT: "公务员医疗补助",
    Fund.MATERNITY: "生育保险基金",
    Fund.RESIDENT_POOLED: "居民医保统筹基金",
    Fund.CRITICAL_ILLNESS: "居民大病保险",
    Fund.MEDICAL_ASSISTANCE: "医疗救助基金",
    Fund.RISK_ADJUSTMENT: "风险调剂金",
    Fund.OTHER: "其他支付",
}


class Title(StrEnum):
    """Account titles of a fund's books; `normal` is the side that increases them."""

    BANK = "bank"                                      # 银行存款（收入户/支出户） — asset
    DUE_TO_INSTITUTION = "due_to_institution"          # 应付定点医药机构 — liability, party = institution
    DUE_TO_INSURER = "due_to_insurer"                  # 应付承办保险机构 — liability, party = insurer
    ACCOUNT_HOLDER = "account_holder"                  # 个人账户余额（应付参保人） — liability, party = person
    REVENUE_EMPLOYER = "revenue_employer"              # 单位缴费收入
    REVENUE_INDIVIDUAL = "revenue_individual"          # 个人缴费收入
    REVENUE_SUBSIDY_CENTRAL = "revenue_subsidy_central"
    REVENUE_SUBSIDY_PROVINCIAL = "revenue_subsidy_provincial"
    REVENUE_SUBSIDY_CITY = "revenue_subsidy_city"
    REVENUE_SUBSIDY_COUNTY = "revenue_subsidy_county"
    REVENUE_SUBSIDY = "revenue_subsidy"                # 财政补助（未分级）
    REVENUE_TRANSFER_IN = "revenue_transfer_in"        # 转移收入
    EXPENSE_BENEFIT = "expense_benefit"                # 待遇支出
    EXPENSE_TRANSFER_OUT = "expense_transfer_out"      # 转移支出（如划入退休人员个人账户）


DEBIT_NORMAL = frozenset({Title.BANK, Title.EXPENSE_BENEFIT, Title.EXPENSE_TRANSFER_OUT})
PARTY_TITLES = frozenset({Title.DUE_TO_INSTITUTION, Title.DUE_TO_INSURER, Title.ACCOUNT_HOLDER})
SUBSIDY_TITLES = {
    "central": Title.REVENUE_SUBSIDY_CENTRAL,
    "provincial": Title.REVENUE_SUBSIDY_PROVINCIAL,
    "city": Title.REVENUE_SUBSIDY_CITY,
    "county": Title.REVENUE_SUBSIDY_COUNTY,
    "total": Title.REVENUE_SUBSIDY,
}


@dataclass(frozen=True, order=True)
class Account:
    fund: Fund
    title: Title
    county: str
    party: str = ""

    def __post_init__(self) -> None:
        if (self.title in PARTY_TITLES) != bool(self.party):
            raise ValueError(f"account {self.fund}/{self.title}: a party is required exactly for "
                             f"{', '.join(sorted(PARTY_TITLES))}")

    def __str__(self) -> str:
        return "/".join(part for part in (self.fund, self.title, self.county, self.party) if part)


# ---------------------------------------------------------------- which fund pays a settlement field

EMPLOYEE, RESIDENT = "310", "390"
MATERNITY_MED_TYPES = frozenset({"51", "52"})


def fund_of(insutype: str, med_type: str, field: str) -> Fund:
    """The fund whose books pay `field` of a settlement in this scheme (see docs/ledger.md)."""
    if field == "hifp_pay":
        if med_type in MATERNITY_MED_TYPES:
            return Fund.MATERNITY
        return Fund.EMPLOYEE_POOLED if insutype == EMPLOYEE else Fund.RESIDENT_POOLED
    return {
        "hifob_pay": Fund.LARGE_EXPENSE,
        "cvlserv_pay": Fund.CIVIL_SERVANT,
        "hifmi_pay": Fund.LARGE_EXPENSE if insutype == EMPLOYEE else Fund.CRITICAL_ILLNESS,
        "maf_pay": Fund.MEDICAL_ASSISTANCE,
        "hifes_pay": Fund.OTHER,
        "oth_pay": Fund.OTHER,
    }[field]


def pooled_fund(insutype: str) -> Fund:
    return Fund.EMPLOYEE_POOLED if insutype == EMPLOYEE else Fund.RESIDENT_POOLED

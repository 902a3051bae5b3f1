"""The chart of accounts (docs/reference/fund-rules.md "Ledger").

Funds are accounted separately (分别建账、分账核算): every fund keeps its own books,
and every entry balances inside each fund it touches. An account is
fund × title × county (+ party: institution, insurer or person where the title needs one).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tongchou.codes import Insutype
from tongchou.money import Fen


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
    TREASURY_FINES = "treasury_fines"            # 代收罚没款（应缴国库，非基金收入）
    LONG_TERM_CARE = "long_term_care"            # 长期护理保险基金 (issue 19 item 5: paid from the account)


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
    Fund.TREASURY_FINES: "代收罚没款（应缴国库）",
    Fund.LONG_TERM_CARE: "长期护理保险基金",
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
    # added with the fund movements and clearing (docs/ledger.md "Fund movements", "Clearing")
    BANK_DEPOSIT = "bank_deposit"                      # 定期存款 — asset
    BANK_LEGACY = "bank_legacy"                        # 存量基金县级专户（未移交） — asset, outside the pool
    OPENING_BALANCE = "opening_balance"                # 期初结余（存量基金） — net assets carried in
    REVENUE_INTEREST = "revenue_interest"              # 利息收入
    REVENUE_OTHER = "revenue_other"                    # 其他收入（追回基金等）
    EXPENSE_PREMIUM = "expense_premium"                # 购买大病保险等支出（专项列支，付承办保险机构）
    QUALITY_RESERVE = "quality_reserve"                # 质量保证金 — liability, party = institution
    # added with supervision (docs/supervision.md "Recovery and fines")
    RECOVERY_RECEIVABLE = "recovery_receivable"        # 应收追回款 — asset, party = institution or person
    FINE_RECEIVABLE = "fine_receivable"                # 应收罚款 — asset, party
    DUE_TO_TREASURY = "due_to_treasury"                # 应缴国库款 — liability
    # added with the payments to persons (docs/front-office.md 代发)
    DUE_TO_PERSON = "due_to_person"                    # 应付参保人（代发） — liability, party = person
    # added with the transfer of the relationship (docs/ledger.md "Transfers between pools")
    DUE_TO_OTHER_POOL = "due_to_other_pool"            # 应付其他统筹区转移款 — liability, party = the pool's admdvs
    RECEIVABLE_FROM_OTHER_POOL = "receivable_from_other_pool"  # 应收其他统筹区转移款 — asset, party = the pool


DEBIT_NORMAL = frozenset({Title.BANK, Title.EXPENSE_BENEFIT, Title.EXPENSE_TRANSFER_OUT,
                          Title.BANK_DEPOSIT, Title.BANK_LEGACY, Title.EXPENSE_PREMIUM,
                          Title.RECOVERY_RECEIVABLE, Title.FINE_RECEIVABLE, Title.RECEIVABLE_FROM_OTHER_POOL})
PARTY_TITLES = frozenset({Title.DUE_TO_INSTITUTION, Title.DUE_TO_INSURER, Title.ACCOUNT_HOLDER,
                          Title.QUALITY_RESERVE, Title.DUE_TO_PERSON, Title.RECOVERY_RECEIVABLE, Title.FINE_RECEIVABLE,
                          Title.DUE_TO_OTHER_POOL, Title.RECEIVABLE_FROM_OTHER_POOL})
TITLE_NAMES = {
    Title.BANK: "银行存款", Title.DUE_TO_INSTITUTION: "应付定点医药机构", Title.DUE_TO_INSURER: "应付（应收）承办保险机构",
    Title.ACCOUNT_HOLDER: "个人账户", Title.REVENUE_EMPLOYER: "单位缴费收入", Title.REVENUE_INDIVIDUAL: "个人缴费收入",
    Title.REVENUE_SUBSIDY_CENTRAL: "中央财政补助收入", Title.REVENUE_SUBSIDY_PROVINCIAL: "省级财政补助收入",
    Title.REVENUE_SUBSIDY_CITY: "市级财政补助收入", Title.REVENUE_SUBSIDY_COUNTY: "县级财政补助收入",
    Title.REVENUE_SUBSIDY: "财政补助收入", Title.REVENUE_TRANSFER_IN: "转移收入", Title.EXPENSE_BENEFIT: "待遇支出",
    Title.EXPENSE_TRANSFER_OUT: "转移支出", Title.BANK_DEPOSIT: "定期存款", Title.BANK_LEGACY: "存量基金（未移交）",
    Title.OPENING_BALANCE: "期初结余", Title.REVENUE_INTEREST: "利息收入", Title.REVENUE_OTHER: "其他收入",
    Title.EXPENSE_PREMIUM: "购买大病保险支出", Title.QUALITY_RESERVE: "质量保证金",
    Title.RECOVERY_RECEIVABLE: "应收追回款", Title.FINE_RECEIVABLE: "应收罚款", Title.DUE_TO_TREASURY: "应缴国库款",
    Title.DUE_TO_PERSON: "应付参保人（代发）",
    Title.DUE_TO_OTHER_POOL: "应付其他统筹区转移款", Title.RECEIVABLE_FROM_OTHER_POOL: "应收其他统筹区转移款",
}
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

MATERNITY_MED_TYPES = frozenset({"51", "52"})


def fund_of(insutype: str, med_type: str, field: str) -> Fund:
    """The fund whose books pay `field` of a settlement in this scheme (see docs/ledger.md)."""
    if field == "hifp_pay":
        if med_type in MATERNITY_MED_TYPES:
            return Fund.MATERNITY
        return Fund.EMPLOYEE_POOLED if insutype == Insutype.EMPLOYEE else Fund.RESIDENT_POOLED
    return {
        "hifob_pay": Fund.LARGE_EXPENSE,
        "cvlserv_pay": Fund.CIVIL_SERVANT,
        "hifmi_pay": Fund.LARGE_EXPENSE if insutype == Insutype.EMPLOYEE else Fund.CRITICAL_ILLNESS,
        "maf_pay": Fund.MEDICAL_ASSISTANCE,
        "hifes_pay": Fund.OTHER,
        "oth_pay": Fund.OTHER,
    }[field]


def pooled_fund(insutype: str) -> Fund:
    return Fund.EMPLOYEE_POOLED if insutype == Insutype.EMPLOYEE else Fund.RESIDENT_POOLED


@dataclass(frozen=True)
class Flows:
    """What happened to a selection of pockets over a period; closing = opening + net."""

    opening: Fen
    revenue: Fen
    expenditure: Fen
    transfers_in: Fen
    transfers_out: Fen

    @property
    def closing(self) -> Fen:
        return self.opening + self.revenue - self.expenditure + self.transfers_in - self.transfers_out

    @property
    def current_surplus(self) -> Fen:
        """当期结余 = revenue − expenditure (transfers are neither)."""
        return self.revenue - self.expenditure

    def __add__(self, other: Flows) -> Flows:
        return Flows(*(getattr(self, n) + getattr(other, n) for n in
                       ("opening", "revenue", "expenditure", "transfers_in", "transfers_out")))

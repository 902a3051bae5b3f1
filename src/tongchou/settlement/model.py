"""Plain data of a settlement: items, claims, persons, year-to-date state, results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Mapping

from tongchou.accumulators import Delta
from tongchou.codes import STUDENT_PSN_TYPES, Insutype, MedType
from tongchou.money import Fen

AMOUNT_FIELDS = (
    "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
    "act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay",
    "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "hosp_part_amt",
)
FUND_FIELDS = ("hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay")
ACCIDENT_MED_TYPES = frozenset({MedType.ACCIDENT_OUTPATIENT.value, MedType.ACCIDENT_INPATIENT.value})
EMPLOYEE_SCHEME = Insutype.EMPLOYEE.value


@dataclass(frozen=True)
class Item:
    """A fee item as the claim gives it; category, proportion and cap are the catalogue's."""

    code: str
    category: str  # A, B or C
    amount: Fen
    qty: Decimal | None = None
    price: Decimal | None = None  # yuan, up to 6 decimals as the national interface sends
    price_cap: Decimal | None = None
    selfpay_prop: Decimal | None = None
    essential_drug: bool = False
    restriction_met: bool = True


@dataclass(frozen=True)
class ItemSplit:
    """One item's four parts; they add up to its amount."""

    code: str
    amount: Fen
    fulamt_ownpay_amt: Fen
    overlmt_selfpay: Fen
    preselfpay_amt: Fen
    inscp_scp_amt: Fen
    essential_drug: bool


@dataclass(frozen=True)
class Split:
    """The claim's fee split (step 1): the totals of its items, or given directly."""

    medfee_sumamt: Fen
    fulamt_ownpay_amt: Fen
    overlmt_selfpay: Fen
    preselfpay_amt: Fen
    inscp_scp_amt: Fen
    inscp_essential_amt: Fen = 0


@dataclass(frozen=True)
class Person:
    psn_no: str
    psn_type: str | None = None
    birth_date: dt.date | None = None
    student: bool = False
    assistance: frozenset[str] = frozenset()
    tier: str | None = None
    continuous_years: int = 0
    county: str | None = None
    mulaid_balance: Fen = 0  # a relative's account open to family mutual use

    @property
    def is_student(self) -> bool:
        return self.student or (self.psn_type in STUDENT_PSN_TYPES)


@dataclass(frozen=True)
class Claim:
    setl_id: str
    person: Person
    insutype: str
    insuplc_admdvs: str
    med_type: str
    begndate: dt.date
    enddate: dt.date
    hosp_lv: int
    admin_tier: str
    split: Split
    dise_code: str | None = None
    accident: bool = False
    third_party_liable: bool = False
    mdtrt_id: str | None = None
    policy_id: str | None = None
    acct_used: bool = True
    hosp_part_amt: Fen = 0
    item_splits: tuple[ItemSplit, ...] = ()

    @property
    def is_accident(self) -> bool:
        return self.accident or self.med_type in ACCIDENT_MED_TYPES

    @property
    def admission_key(self) -> str:
        return self.mdtrt_id or self.setl_id


@dataclass(frozen=True)
class Step:
    """One step of the explanation: a Chinese sentence a clerk can read out, and its figures."""

    step: str
    text: str
    data: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Settlement:
    """Who pays what, every national amount in fen, with the explanation and the state change."""

    setl_id: str
    policy_id: str
    policy_version: int
    benefit_line: str | None
    medfee_sumamt: Fen
    fulamt_ownpay_amt: Fen
    overlmt_selfpay: Fen
    preselfpay_amt: Fen
    inscp_scp_amt: Fen
    inscp_essential_amt: Fen
    act_pay_dedc: Fen
    hifp_pay: Fen
    cvlserv_pay: Fen
    hifes_pay: Fen
    hifmi_pay: Fen
    hifob_pay: Fen
    maf_pay: Fen
    oth_pay: Fen
    fund_pay_sumamt: Fen
    psn_part_amt: Fen
    acct_pay: Fen
    acct_mulaid_pay: Fen
    psn_cash_pay: Fen
    hosp_part_amt: Fen
    pool_prop: Decimal
    balc: Fen | None
    explanation: tuple[Step, ...]
    delta: Delta

    def amounts(self) -> dict[str, Fen]:
        return {name: getattr(self, name) for name in AMOUNT_FIELDS}

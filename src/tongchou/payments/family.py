"""The personal account paying for the family (家庭共济, seed 003 问答 二) as pure rules.

"个人账户还可以用于本人参加职工大额医疗费用补助、长期护理保险及用于配偶、父母、子女参加城乡居民基本医疗保险……的个人缴费":
the account of an employee pays

- `resident`: a spouse's, parent's or child's resident contribution (the resident policy's amount for the
  year; the relative is enrolled by `EnrolmentService.enrol_resident(…, paid_from_account_of=payer)`);
- `large_expense`: the person's own large-expense supplement contribution (职工大额医疗费用补助);
- `long_term_care`: the person's own long-term care contribution (长期护理保险);

the two own contributions at the yearly amount of policies/accounts (`terms.py`), once a year each.
"""

from __future__ import annotations

from tongchou.errors import Conflict, Refused
from tongchou.ledger.accounts import Fund
from tongchou.money import Fen, yuan_text

RESIDENT, LARGE_EXPENSE, LONG_TERM_CARE = "resident", "large_expense", "long_term_care"
KINDS = {
    RESIDENT: "为配偶、父母、子女缴纳城乡居民医保费",
    LARGE_EXPENSE: "本人职工大额医疗费用补助缴费",
    LONG_TERM_CARE: "本人长期护理保险缴费",
}
FUNDS = {LARGE_EXPENSE: Fund.LARGE_EXPENSE, LONG_TERM_CARE: Fund.LONG_TERM_CARE}
RELATIONS = {"spouse": "配偶", "parent": "父母", "child": "子女"}


def cause_id(kind: str, psn_no: str, year: int) -> str:
    """One own contribution of a kind a year: the ledger's unique cause makes a resubmission apply once."""
    return f"account:{kind}:{psn_no}:{year}"


def check_balance(payer: str, balance: Fen, amount: Fen, field: str = "payer") -> None:
    if balance < amount:
        raise Refused(field, f"{payer}个人账户余额{yuan_text(balance, grouping=True)}不足以支付"
                             f"{yuan_text(amount, grouping=True)}。", "insufficient_balance")


def already_paid(kind: str, psn_no: str, year: int) -> Conflict:
    return Conflict("year", f"参保人{psn_no}的{year}年度{KINDS[kind][2:]}已由个人账户缴纳，不能重复缴纳。",
                    "already_paid")

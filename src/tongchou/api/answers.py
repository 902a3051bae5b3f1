"""Output nodes of the answers in the national shapes: `setlinfo`, `setldetail`, `baseinfo`, `insuinfo`,
`idetinfo`, `cuminfo`, fee records. Pure functions of what the services return.

Fund payment types of `setldetail` (fund_pay_type):

| settlement amount | insutype 310 | insutype 390 | name |
| --- | --- | --- | --- |
| hifp_pay | 310100 | 390100 | 职工基本医疗保险统筹基金 / 城乡居民基本医疗保险基金 |
| acct_pay | 310200 | 310200 | 职工基本医疗保险个人账户基金 |
| cvlserv_pay | 320100 | 320100 | 公务员医疗补助基金 |
| hifob_pay | 330100 | 330100 | 职工大额医疗费用补助基金 |
| hifmi_pay | 390200 | 390200 | 城乡居民大病医疗保险资金 |
| maf_pay | 610100 | 610100 | 医疗救助基金 |
| hifes_pay, oth_pay | 999996 | 999996 | 其他基金 |

The pooled-fund row is always given; the others when they paid something.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Iterable, Mapping

from tongchou.api.jsonout import yuan
from tongchou.codes import FundPayType, Insutype, PsnType
from tongchou.settlement.model import AMOUNT_FIELDS

CLR_TYPE_OUTPATIENT, CLR_TYPE_INPATIENT, CLR_TYPE_PHARMACY = "11", "21", "41"
CLR_WAY = "1"  # 按项目
FUND_TYPES = {
    "hifp_pay": {Insutype.EMPLOYEE: FundPayType.EMPLOYEE_POOLED, Insutype.RESIDENT: FundPayType.RESIDENT_POOLED},
    "acct_pay": FundPayType.EMPLOYEE_ACCOUNT,
    "cvlserv_pay": FundPayType.CIVIL_SERVANT,
    "hifob_pay": FundPayType.LARGE_EXPENSE,
    "hifmi_pay": FundPayType.CRITICAL_ILLNESS,
    "maf_pay": FundPayType.MEDICAL_ASSISTANCE,
    "hifes_pay": FundPayType.OTHER,
    "oth_pay": FundPayType.OTHER,
}
EXPLANATION_STEPS = {
    "hifp_pay": ("benefit", "deductible", "pooled_fund", "cap"),
    "acct_pay": ("result",),
}
CIVIL_SERVANT_TYPES = frozenset({PsnType.WORKING_CIVIL_SERVANT.value})


def clr_type(med_type: str) -> str:
    """Clearing category by medical category: 21 inpatient (2x and maternity inpatient 52),
    41 pharmacy purchase, 11 outpatient otherwise."""
    if med_type.startswith("2") or med_type == "52":
        return CLR_TYPE_INPATIENT
    if med_type == "41":
        return CLR_TYPE_PHARMACY
    return CLR_TYPE_OUTPATIENT


def mask_certno(certno: str | None) -> str:
    """First 6 and last 4 characters, the rest starred."""
    if not certno:
        return ""
    if len(certno) <= 10:
        return certno[:2] + "*" * max(len(certno) - 2, 0)
    return certno[:6] + "*" * (len(certno) - 10) + certno[-4:]


def age_on(birth: dt.date | None, day: dt.date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def dt_text(moment: dt.datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else None


def person_fields(person: Any, certno: str | None, on: dt.date) -> dict[str, Any]:
    return {
        "psn_no": person.psn_no, "psn_name": person.name, "psn_cert_type": "01" if certno else "",
        "certno": mask_certno(certno), "gend": person.sex or "", "naty": "",
        "brdy": person.birth_date.isoformat() if person.birth_date else None, "age": age_on(person.birth_date, on),
        "psn_type": person.psn_type, "cvlserv_flag": "1" if person.psn_type in CIVIL_SERVANT_TYPES else "0",
    }


def setlinfo(*, setl_id: str | None, mdtrt_id: str, person: Mapping[str, Any], insutype: str, med_type: str,
             amounts: Mapping[str, int], balc: int | None, pool_prop: Any, setl_time: dt.datetime,
             msgid: str, mdtrt_cert_type: str | None = None, clr_optins: str = "",
             inpatient: bool = False) -> dict[str, Any]:
    """The settlement block (2206, 2207, 2208, 2303, 2304, 2305, 5203)."""
    block: dict[str, Any] = {"mdtrt_id": mdtrt_id}
    if setl_id is not None:
        block["setl_id"] = setl_id
    block.update(person)
    block.update(insutype=insutype, setl_time=dt_text(setl_time), mdtrt_cert_type=mdtrt_cert_type or "",
                 med_type=med_type)
    block.update({name: yuan(amounts.get(name, 0)) for name in AMOUNT_FIELDS})
    block["pool_prop_selfpay"] = Decimal(str(pool_prop or 0)).quantize(Decimal("0.0001"))
    block["balc"] = yuan(balc or 0)
    block["acct_mulaid_pay"] = yuan(amounts.get("acct_mulaid_pay", 0))
    block.update(medins_setl_id=msgid, clr_optins=clr_optins, clr_way=CLR_WAY, clr_type=clr_type(med_type))
    if inpatient:
        block["hifdm_pay"] = yuan(0)
    return block


def _fund_type(name: str, insutype: str) -> tuple[str, str]:
    found = FUND_TYPES[name]
    fund = found.get(insutype, found[Insutype.RESIDENT]) if isinstance(found, dict) else found
    return fund.value, fund.label


def setldetail(insutype: str, amounts: Mapping[str, int], explanation: Iterable[Mapping[str, Any]]
               ) -> list[dict[str, Any]]:
    steps = list(explanation)
    rows: dict[str, dict[str, Any]] = {}
    for name in ("hifp_pay", "acct_pay", "cvlserv_pay", "hifob_pay", "hifmi_pay", "maf_pay", "hifes_pay", "oth_pay"):
        paid = amounts.get(name, 0)
        if not paid and name != "hifp_pay":
            continue
        code, label = _fund_type(name, insutype)
        row = rows.setdefault(code, {"fund_pay_type": code, "inscp_scp_amt": yuan(amounts.get("inscp_scp_amt", 0)),
                                     "crt_payb_lmt_amt": yuan(0), "fund_payamt": yuan(0),
                                     "fund_pay_type_name": label, "setl_proc_info": "", "_fen": 0, "_limit": 0})
        row["_fen"] += paid
        row["_limit"] += _limit(name, paid, steps)
        row["fund_payamt"] = yuan(row["_fen"])
        row["crt_payb_lmt_amt"] = yuan(row["_limit"])
        row["setl_proc_info"] = "".join(filter(None, [row["setl_proc_info"], _process_text(name, steps)]))[:4000]
    return [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows.values()]


def negated(detail: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A cancellation's fund breakdown: every amount of the settlement's with the opposite sign."""
    return [{**row, **{name: -row[name] for name in ("inscp_scp_amt", "crt_payb_lmt_amt", "fund_payamt")}}
            for row in detail]


def _steps_of(name: str, steps: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    wanted = EXPLANATION_STEPS.get(name)
    if wanted:
        return [s for s in steps if s.get("step") in wanted]
    return [s for s in steps if s.get("step") == "layer" and (s.get("data") or {}).get("field") == name]


def _process_text(name: str, steps: list[Mapping[str, Any]]) -> str:
    return "".join(str(s.get("text", "")) for s in _steps_of(name, steps))


def _limit(name: str, paid: int, steps: list[Mapping[str, Any]]) -> int:
    """The limit payable this time: the cap's room before the settlement where the explanation gives
    one (the pooled fund's annual cap, a layer's cap less what it had paid), else what was paid."""
    from tongchou.money import to_fen

    for step in _steps_of(name, steps):
        data = step.get("data") or {}
        try:
            if step.get("step") == "cap" and data.get("room_before") is not None:
                return to_fen(data["room_before"])
        except ValueError:
            continue
    return paid


def fee_record(result: Mapping[str, Any]) -> dict[str, Any]:
    """A stored fee result record with its amounts as numbers."""
    out = dict(result)
    for name in ("det_item_fee_sumamt", "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt"):
        if out.get(name) is not None:
            out[name] = Decimal(str(out[name]))
    for name in ("cnt", "pric", "pric_uplmt_amt", "selfpay_prop"):
        if out.get(name) is not None:
            out[name] = Decimal(str(out[name]))
    return out


# ---------------------------------------------------------------- 1101, 5206

ASSISTANCE_IDENTITIES = {  # psn_idet_type: the project's codes, see docs/api.md
    "poverty": ("2101", "建档立卡贫困人口"),
    "dibao": ("2102", "最低生活保障对象"),
    "tekun": ("2103", "特困供养人员"),
    "disabled": ("2104", "残疾人"),
}


def idetinfo(assistance: Iterable[str], begntime: str) -> list[dict[str, Any]]:
    rows = []
    for name in assistance:
        code, label = ASSISTANCE_IDENTITIES.get(name, ("2199", name))
        rows.append({"psn_idet_type": code, "psn_type_lv": "", "memo": label, "begntime": begntime,
                     "endtime": None})
    return rows


def cuminfo(insutype: str, year: int, cum_ym: str, state: Mapping[str, Any], settlements: int
            ) -> list[dict[str, Any]]:
    """Accumulations of a YearState: caps used (CAP_<cap>), deductible paid (DEDC_<name>, and per
    admission), admissions count (COUNT_<counter>), layer bases (BASE_<layer>, e.g. the critical illness
    burden) and layer payments (PAID_<layer>), and the number of settlements (SETL_CNT)."""
    rows = []

    def add(code: str, value: Any, money: bool = True) -> None:
        rows.append({"insutype": insutype, "year": str(year), "cum_ym": cum_ym, "cum_type_code": code,
                     "cum": Decimal(str(value)) if money else int(value)})

    for prefix, key, money in (("CAP", "caps_used", True), ("DEDC", "dedc_used", True),
                               ("COUNT", "counters", False), ("BASE", "layer_base", True),
                               ("PAID", "layer_paid", True)):
        for name, value in sorted((state.get(key) or {}).items()):
            add(f"{prefix}_{name}", value, money)
    admissions = state.get("admissions") or {}
    if admissions:
        add("DEDC_admissions", sum(Decimal(str(a.get("dedc_paid", 0))) for a in admissions.values()))
    add("SETL_CNT", settlements, money=False)
    return rows

"""Chinese wording of the explanation: amounts, ratios and why a claim is not covered."""

from __future__ import annotations

from decimal import Decimal

from tongchou.codes import AdminTier, HospLv, MedType
from tongchou.policy.schema import Disease, Version



def pct(rate: Decimal | None) -> str:
    if rate is None:
        return "—"
    value = (rate * 100).normalize()
    return f"{value:f}%"


def no_cover_reason(version: Version, claim, disease: Disease | None) -> str:
    kind = MedType.label_of(claim.med_type, f"医疗类别{claim.med_type}")
    if claim.med_type == MedType.CHRONIC_OUTPATIENT and disease is None:
        return f"病种“{claim.dise_code or '未填写'}”不在本政策门诊慢特病病种目录内，基金不予支付，费用由个人负担。"
    tier = AdminTier.label_of(claim.admin_tier)
    return (f"本政策没有覆盖该情形的待遇（{kind}，{HospLv.label_of(claim.hosp_lv)}{tier}医疗机构"
            f"{'，意外伤害' if claim.is_accident else ''}），基金不予支付，费用由个人负担。")

"""Chinese wording of the explanation: amounts, ratios and why a claim is not covered."""

from __future__ import annotations

from decimal import Decimal

from tongchou.policy.schema import Disease, Version

MED_TYPE_NAMES = {
    "11": "普通门诊", "13": "急诊", "14": "门诊慢特病", "19": "意外伤害门诊", "21": "住院", "22": "外伤住院",
    "23": "转外诊治住院", "41": "定点药店购药", "51": "生育门诊", "52": "生育住院",
}
LEVEL_NAMES = {0: "一级以下", 1: "一级", 2: "二级", 3: "三级"}
TIER_NAMES = {"village": "村级", "township": "乡镇级", "county": "县级", "city": "市级", "province": "省级",
              "outside": "省外"}


def pct(rate: Decimal | None) -> str:
    if rate is None:
        return "—"
    value = (rate * 100).normalize()
    return f"{value:f}%"


def no_cover_reason(version: Version, claim, disease: Disease | None) -> str:
    kind = MED_TYPE_NAMES.get(claim.med_type, f"医疗类别{claim.med_type}")
    if claim.med_type == "14" and disease is None:
        return f"病种“{claim.dise_code or '未填写'}”不在本政策门诊慢特病病种目录内，基金不予支付，费用由个人负担。"
    tier = TIER_NAMES.get(claim.admin_tier, claim.admin_tier)
    return (f"本政策没有覆盖该情形的待遇（{kind}，{LEVEL_NAMES.get(claim.hosp_lv, claim.hosp_lv)}{tier}医疗机构"
            f"{'，意外伤害' if claim.is_accident else ''}），基金不予支付，费用由个人负担。")

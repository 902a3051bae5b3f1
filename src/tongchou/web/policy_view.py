"""Policies as readable Chinese tables, their versions, and a diff between any two versions.

A version is rendered to `Table`s (caption, header, rows of text) from the policy schema; the
diff compares the rendered rows of two versions table by table (difflib), so what a person
reads is exactly what is compared.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal

from tongchou.codes import AdminTier, Code, HospLv, Insutype, MedType, PsnType
from tongchou.money import yuan_text
from tongchou.policy.registry import Registry
from tongchou.policy.schema import BenefitLine, Condition, Deductible, Policy, Ref, Version
from tongchou.web.format import AMOUNT_LABELS, ASSISTANCE, day, labelled, pct

BASES = {"burden": "个人负担部分", "under_cap": "限额以下部分", "over_cap": "超过限额部分", "remaining": "剩余部分"}
RELATIONS = {"spouse": "配偶", "parent": "父母", "child": "子女"}
LEVELS = {"central": "中央", "provincial": "省级", "city": "市级", "county": "县级", "total": "合计"}
DISEASE_GROUPS = {"major": "重大门诊慢性病", "other": "其他门诊慢性病", "special": "门诊特殊病", "common": "门诊常见慢性病",
                  "chronic": "门诊慢性病", "X": "示例病种组"}
AMOUNT_RE = re.compile(r"(?<![\d.,])(\d{4,})\.(\d{2})(?!\d)")  # 106695.00 → 106,695.00
SEED_RE = re.compile(r"\bseed (\d{3})")
POLICY_ID_RE = re.compile(r"\b[a-z][a-z0-9]*(?:-[a-z0-9]+)+\b")
VERSION_RE = re.compile(r"\b([a-z][a-z0-9]*(?:-[a-z0-9]+)+) v(\d+)\b")


def readable(text: str | None, registry: Registry | None = None) -> str:
    """Free text of a policy or an explanation as a clerk reads it: `seed 004` → 依据文件004, a policy id →
    its name (`<id> v2` → 第2版, the name being said before it)."""
    if not text:
        return text or ""
    text = SEED_RE.sub(lambda m: f"依据文件{m.group(1)}", text).replace("tier ", "缴费档次")
    text = AMOUNT_RE.sub(lambda m: f"{int(m.group(1)):,}.{m.group(2)}", text)
    if registry is None:
        return text
    text = VERSION_RE.sub(lambda m: f"第{m.group(2)}版" if m.group(1) in registry.policies else m.group(0), text)
    return POLICY_ID_RE.sub(lambda m: registry.policies[m.group(0)].name if m.group(0) in registry.policies
                            else m.group(0), text)


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class VersionRef:
    policy: Policy
    version: Version

    @property
    def key(self) -> str:
        return f"{self.policy.id}@{self.version.version}"

    @property
    def label(self) -> str:
        return f"{self.policy.name} 第{self.version.version}版（{day(self.version.effective_from)}起）"


def all_versions(registry: Registry) -> list[VersionRef]:
    return [VersionRef(p, v) for p in sorted(registry.policies.values(), key=lambda p: (p.region, p.id))
            for v in sorted(p.versions, key=lambda v: v.version)]


def find_version(registry: Registry, key: str) -> VersionRef | None:
    policy_id, _, number = key.partition("@")
    policy = registry.policies.get(policy_id)
    if policy is None:
        return None
    for version in policy.versions:
        if str(version.version) == number:
            return VersionRef(policy, version)
    return None


def policy_name(registry: Registry, policy_id: str | None) -> str:
    """A policy by its name (the id only when the registry no longer has it)."""
    policy = registry.policies.get(policy_id or "")
    return policy.name if policy else (policy_id or "—")


def benefit_line_name(registry: Registry, policy_id: str | None, version: int | None, line_id: str | None) -> str | None:
    """A benefit line by its name in the policy version (its id only when the version no longer has it)."""
    if not line_id:
        return None
    policy = registry.policies.get(policy_id or "")
    for v in (policy.versions if policy else ()):
        if v.version == version or version is None:
            for line in list(v.benefits) + [b for t in v.transitional for b in t.benefits]:
                if line.id == line_id:
                    return line.name
    return line_id


# ---------------------------------------------------------------- wording

def _ref(ref: Ref | None) -> str:
    return readable(f"{ref.source}：“{ref.text}”") if ref else "—"


def _rate(rate: Decimal | None) -> str:
    return "—" if rate is None else pct(rate)


def _codes(values, table: dict | type[Code]) -> str:
    return "、".join(labelled(v, table) for v in values)


def condition_text(cond: Condition, places: dict[str, str] | None = None) -> str:
    parts = []
    if cond.med_type:
        parts.append("医疗类别：" + _codes(cond.med_type, MedType))
    if cond.hosp_lv:
        parts.append("医院等级：" + _codes(cond.hosp_lv, HospLv))
    if cond.admin_tier:
        parts.append("机构层级：" + _codes(cond.admin_tier, AdminTier))
    if cond.psn_type:
        parts.append("人员类别：" + "、".join(PsnType.label_of(t) for t in cond.psn_type))
    if cond.tier:
        parts.append("缴费档次：" + "、".join(cond.tier))
    if cond.assistance:
        parts.append("救助对象：" + _codes(cond.assistance, ASSISTANCE))
    if cond.disease_group:
        parts.append("病种组：" + _codes(cond.disease_group, DISEASE_GROUPS))
    if cond.county:
        parts.append("区县：" + "、".join((places or {}).get(c, c) for c in cond.county))
    if cond.accident is not None:
        parts.append("意外伤害" if cond.accident else "非意外伤害")
    if cond.student is not None:
        parts.append("学生" if cond.student else "非学生")
    return "；".join(parts) or "全部"


def deductible_text(rule: Deductible | None) -> str:
    if rule is None:
        return "无起付线"
    if rule.kind == "annual":
        return f"年度起付线{yuan_text(rule.amount, grouping=True)}"
    if rule.by_hosp_lv:
        amounts = "，".join(f"{HospLv.label_of(lv)}医院{yuan_text(v, grouping=True)}"
                           for lv, v in sorted(rule.by_hosp_lv.items()))
    else:
        amounts = yuan_text(rule.amount, grouping=True)
    factors = "、".join(f"{Decimal(f) * 100:.0f}%" for f in rule.ordinal_factors)
    return f"每次住院：{amounts}" + (f"；第1、2、3…次按{factors}" if factors else "")


# ---------------------------------------------------------------- tables of a version

def version_tables(ref: VersionRef, registry: Registry | None = None, places: dict[str, str] | None = None
                   ) -> list[Table]:
    v, p = ref.version, ref.policy
    cap_names = {c.id: c.name for c in v.caps}
    tables = [Table("基本信息", ["项目", "内容"], [
        ["政策", p.name], ["统筹区", (places or {}).get(p.region, p.region)], ["险种", Insutype.label_of(p.scheme)],
        ["类型", "基本政策" if p.kind == "base" else "补充保障（分段补偿）"],
        ["版本", f"第{v.version}版"], ["生效期间", f"{day(v.effective_from)}至{day(v.effective_to)}"],
        ["发布日期", day(v.published)], ["说明", readable(v.note, registry) or "—"],
        ["依据文件", readable(p.source, registry) or "—"],
    ])]
    if p.assumptions:
        tables.append(Table("示例政策的假设", ["序号", "假设"], [[str(i), readable(a, registry)] for i, a in enumerate(p.assumptions, 1)]))
    if v.benefits:
        tables.append(Table("待遇项目（起付线、支付比例）", ["待遇项目", "适用范围", "起付标准", "支付比例", "计入限额", "依据"],
                            [_benefit_row(line, cap_names, places) for line in v.benefits]))
    if v.caps:
        tables.append(Table("年度最高支付限额", ["限额", "金额", "依据"],
                            [[c.name, yuan_text(c.amount, grouping=True), _ref(c.ref)] for c in v.caps]))
    for layer in v.layers:
        rows = []
        for variant in layer.variants:
            for part in variant.parts:
                for tier in part.schedule:
                    rows.append([variant.name or condition_text(variant.when, places), BASES.get(part.base, part.base),
                                 f"{yuan_text(tier.above, grouping=True)}至"
                                 f"{yuan_text(tier.up_to, grouping=True) if tier.up_to else '以上'}", _rate(tier.rate),
                                 yuan_text(variant.cap, grouping=True)])
        tables.append(Table(f"{layer.name}（{AMOUNT_LABELS.get(layer.field, layer.field)}"
                            + (f"，承办：{layer.run_by}" if layer.run_by else "") + "）",
                            ["适用人员", "计算基数", "分段", "支付比例", "年度限额"], rows))
    if v.diseases:
        tables.append(Table("病种目录", ["病种", "条件", "病种组"],
                            [[d.name, d.condition or "—", DISEASE_GROUPS.get(d.group, d.group)] for d in v.diseases]))
    if v.contributions:
        tables.append(_contributions(v))
    if v.personal_account:
        a = v.personal_account
        tables.append(Table("个人账户", ["项目", "内容"], [
            ["个人缴费划入比例（占缴费基数）", _rate(a.individual_share_of_base)],
            ["单位缴费划入比例", _rate(a.employer_share_to_account)],
            ["退休人员按月划入（占平均养老金）", _rate(a.retiree_monthly_rate_of_average_pension)],
            ["家庭共济", "可以" if a.family_mutual_use else "不可以"],
            ["共济范围", _codes(a.mutual_use_relations, RELATIONS) or "—"],
            ["依据", _ref(a.ref)],
        ]))
    if v.compose:
        tables.append(Table("叠加的补充保障政策", ["政策"], [[readable(c, registry)] for c in v.compose]))
    return tables


def _benefit_row(line: BenefitLine, cap_names: dict[str, str], places: dict[str, str] | None = None) -> list[str]:
    ratio = _rate(line.ratio) + (f"（基本药物{_rate(line.essential_ratio)}）" if line.essential_ratio else "")
    caps = "、".join(cap_names.get(c, c) for c in line.caps) or "政策未规定年度限额（非无限额）"
    return [line.name, condition_text(line.when, places), deductible_text(line.deductible), ratio, caps, _ref(line.ref)]


def _contributions(v: Version) -> Table:
    c = v.contributions
    rows = [[f"{a.year}年个人缴费" + (f"（{a.tier}）" if a.tier else ""), yuan_text(a.amount, grouping=True)] for a in c.individual]
    rows += [[f"{a.year}年{LEVELS.get(a.level or 'total', a.level)}财政补助", yuan_text(a.amount, grouping=True)] for a in c.subsidies]
    if c.collection_period:
        start, end = c.collection_period
        rows.append(["集中缴费期", f"{start.month}月{start.day}日至{end.month}月{end.day}日"])
    if c.late_payment_waiting_months is not None:
        rows.append(["中途参保等待期", f"{c.late_payment_waiting_months}个月"])
    if c.employer_rate is not None:
        rows.append(["单位缴费费率", _rate(c.employer_rate)])
    if c.individual_rate is not None:
        rows.append(["个人缴费费率", _rate(c.individual_rate)])
    return Table("筹资与缴费", ["项目", "标准"], rows)


# ---------------------------------------------------------------- diff

@dataclass
class DiffLine:
    kind: str  # same, added, removed
    cells: list[str]


@dataclass
class TableDiff:
    caption: str
    header: list[str]
    lines: list[DiffLine]

    @property
    def changed(self) -> bool:
        return any(line.kind != "same" for line in self.lines)


def diff_versions(left: VersionRef, right: VersionRef, registry: Registry | None = None,
                  places: dict[str, str] | None = None) -> list[TableDiff]:
    """Table by table (by caption): rows only in the left (removed), only in the right (added), in both."""
    old = {t.caption: t for t in version_tables(left, registry, places)}
    new = {t.caption: t for t in version_tables(right, registry, places)}
    captions = list(old) + [c for c in new if c not in old]
    return [_diff_table(caption, old.get(caption), new.get(caption)) for caption in captions]


def _diff_table(caption: str, old: Table | None, new: Table | None) -> TableDiff:
    old_rows = [tuple(r) for r in (old.rows if old else [])]
    new_rows = [tuple(r) for r in (new.rows if new else [])]
    lines = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old_rows, b=new_rows, autojunk=False).get_opcodes():
        if tag == "equal":
            lines += [DiffLine("same", list(r)) for r in old_rows[i1:i2]]
            continue
        lines += [DiffLine("removed", list(r)) for r in old_rows[i1:i2]]
        lines += [DiffLine("added", list(r)) for r in new_rows[j1:j2]]
    return TableDiff(caption, (new or old).header, lines)

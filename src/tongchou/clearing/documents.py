"""Chinese documents an institution's finance office checks line by line, built from the clearing records.

Each is a `tongchou.documents.Document` (rendered by the shared Markdown/HTML/JSON renderers): the meta
names the institution, the period and the rules; each section is a titled table with, where a formula
explains it, an info notice stating the formula. The payload carries `data` (the same figures under
English keys for machines, amounts as yuan strings) and `entries` (the clearing entries the ledger will
post). Amounts are 元 with two decimals; point values are written with all their 12 places.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from tongchou.clearing.capitation import CapitationSettlement
from tongchou.clearing.dip import DipInstitutionSettlement, DipYearEnd
from tongchou.clearing.global_budget import GlobalBudgetSettlement, ReserveRelease
from tongchou.clearing.records import ClearingEntry, Institution, Totals
from tongchou.clearing.rules import ClearingRules
from tongchou.clearing.statement import MonthlyStatement, Reconciliation
from tongchou.codes import Code, HospLv, Insutype, MedType
from tongchou.documents import Document, DocumentMeta, Notice, Section, Table
from tongchou.money import fen_to_str

FOOTER = "金额单位：元（保留两位小数）。本单由统筹（Tongchou）清算模块生成，可逐行核对。"

FIELD_LABELS = {
    "hifp_pay": "统筹基金支出",
    "cvlserv_pay": "公务员医疗补助支出",
    "hifes_pay": "企业补充医疗保险支出",
    "hifmi_pay": "大病保险支出",
    "hifob_pay": "职工大额医疗费用补助支出",
    "maf_pay": "医疗救助支出",
    "oth_pay": "其他支出",
    "acct_pay": "个人账户支出",
    "medfee_sumamt": "医疗费总额",
    "fund_pay_sumamt": "基金支付总额",
    "psn_cash_pay": "个人现金支出",
    "fixmedins_setl_cnt": "结算笔数",
}


yuan = fen_to_str


def percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def labelled(code: str, table: type[Code]) -> str:
    return f"{code} {table.label_of(code)}" if table.is_valid(code) else code


def institution_meta(institution: Institution) -> list[tuple[str, str]]:
    return [("机构名称", institution.name or "（未提供）"), ("机构编码", institution.code),
            ("医院等级", HospLv.label_of(institution.hosp_lv))]


def rules_meta(rules: ClearingRules) -> tuple[str, str]:
    return ("清算规则", f"{rules.id}（{rules.name}）" + ("【示例参数】" if rules.example else ""))


def section(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], note: str = "") -> Section:
    """A titled table; `note` (the formula or the verdict) follows it as an info notice."""
    table = Table("", tuple(columns), tuple(tuple(row) for row in rows))
    return Section(title, (table, Notice("info", note)) if note else (table,))


def document(title: str, meta: DocumentMeta, sections: Sequence[Section], data: Any,
             entries: Iterable[ClearingEntry]) -> Document:
    return Document(title, meta, tuple(sections), footer=FOOTER,
                    payload={"data": data, "entries": entries_data(entries)})


def entries_data(entries: Iterable[ClearingEntry]) -> list[dict[str, Any]]:
    return [{**asdict(entry), "amount": yuan(entry.amount)} for entry in entries]


def totals_row(label: str, totals: Totals) -> list[str]:
    return [label, str(totals.setl_cnt), yuan(totals.medfee_sumamt), yuan(totals.fund_pay_sumamt),
            yuan(totals.hifp_pay), yuan(totals.acct_pay), yuan(totals.psn_cash_pay)]


TOTALS_COLUMNS = ("", "结算笔数", "医疗费总额", "基金支付总额", "统筹基金支出", "个人账户支出", "个人现金支出")


# --------------------------------------------------------------------------- monthly statement


def statement_document(statement: MonthlyStatement, rules: ClearingRules,
                       reconciliation: Reconciliation | None = None) -> Document:
    t = statement.totals
    summary = section("一、结算汇总", ("项目", "金额（元）/笔数"), [
        ["结算笔数", t.setl_cnt],
        ["医疗费总额", yuan(t.medfee_sumamt)],
        ["基金支付总额", yuan(t.fund_pay_sumamt)],
        ["个人账户支出", yuan(t.acct_pay)],
        ["个人现金支出", yuan(t.psn_cash_pay)],
    ], "已撤销的结算（refd_setl_flag = 1）不计入；按结算日期（enddate）归属月份。")
    funds = section("二、基金支付（按基金）", ("基金", "字段", "金额（元）", "本月清算"), [
        [FIELD_LABELS[name], name, yuan(t.amount(name)), "是" if name in statement.cleared else "否"]
        for name in (*t.fund_payments(), "acct_pay")
    ])
    by_insutype = section("三、按险种", ("险种", *TOTALS_COLUMNS[1:]),
                          [totals_row(labelled(code, Insutype), totals)
                           for code, totals in statement.by_insutype])
    by_med_type = section("四、按医疗类别", ("医疗类别", *TOTALS_COLUMNS[1:]),
                          [totals_row(labelled(code, MedType), totals)
                           for code, totals in statement.by_med_type])
    reserve_rows = [[f"质量保证金预留（{FIELD_LABELS[name]} {yuan(t.amount(name))} × {percent(statement.reserve_rate)}）",
                     "-" + yuan(amount)] for name, amount in statement.reserve.items()]
    clearing = section("五、清算", ("项目", "金额（元）"), [
        ["本月清算金额（" + " + ".join(FIELD_LABELS[n] for n in statement.cleared) + "）",
         yuan(statement.cleared_amount)],
        *reserve_rows,
        ["应付金额", yuan(statement.payable)],
    ], "应付金额 = 本月清算金额 − 质量保证金预留；质量保证金按统筹基金支付额逐月预留，年终考核后返还（四舍五入到分）。")
    sections = [summary, funds, by_insutype, by_med_type, clearing]
    data: dict[str, Any] = {
        "institution": asdict(statement.institution), "period": statement.period,
        "setl_cnt": t.setl_cnt, "medfee_sumamt": yuan(t.medfee_sumamt), "fund_pay_sumamt": yuan(t.fund_pay_sumamt),
        "fund_payments": {name: yuan(v) for name, v in t.fund_payments().items()}, "acct_pay": yuan(t.acct_pay),
        "cleared_amount": yuan(statement.cleared_amount), "quality_reserve": yuan(statement.quality_reserve),
        "quality_reserve_rate": str(statement.reserve_rate), "payable": yuan(statement.payable),
    }
    if reconciliation is not None:
        sections.append(reconciliation_section(reconciliation))
        data["reconciliation"] = {
            "matched": reconciliation.matched, "stmt_rslt": reconciliation.stmt_rslt,
            "stmt_rslt_dscr": reconciliation.stmt_rslt_dscr,
            "differences": [{"field": d.field, "declared": d.declared, "ours": d.ours, "difference": d.difference}
                            for d in reconciliation.differences]}
    meta = DocumentMeta(period=statement.period, fields=(*institution_meta(statement.institution), rules_meta(rules)))
    return document("定点医药机构月度结算单", meta, sections, data, statement.entries())


def _reconciled_value(name: str, value: int) -> str:
    return str(value) if name == "fixmedins_setl_cnt" else yuan(value)


def reconciliation_section(result: Reconciliation) -> Section:
    rows = []
    for name in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "fixmedins_setl_cnt"):
        declared, ours = getattr(result.declared, name), getattr(result.ours, name)
        rows.append([FIELD_LABELS[name], name, _reconciled_value(name, declared), _reconciled_value(name, ours),
                     _reconciled_value(name, declared - ours), "一致" if declared == ours else "不一致"])
    verdict = "对账结果：平（一致）" if result.matched else "对账结果：不平 — " + "、".join(
        FIELD_LABELS[d.field] for d in result.differences) + " 不一致"
    return section("六、对总账（3201）", ("项目", "字段", "机构申报", "中心结算", "差额（申报−中心）", "结果"), rows, verdict)


# --------------------------------------------------------------------------- DIP


def dip_document(year_end: DipYearEnd, rules: ClearingRules, institution: str | None = None) -> Document:
    chosen = [s for s in year_end.institutions if institution is None or s.institution.code == institution]
    fields = [("DIP 年度预算", yuan(year_end.budget) + " 元"), ("全部机构总分值", f"{year_end.total_points:f}"),
              ("点值（元/分）", f"{year_end.point_value:f}"), rules_meta(rules)]
    if institution is not None and chosen:
        fields = institution_meta(chosen[0].institution) + fields
    rows = [[s.institution.code, s.institution.name, HospLv.label_of(s.institution.hosp_lv, ""), s.cases,
             f"{s.points:f}", f"{s.point_value:f}", f"{s.coefficient:f}", yuan(s.final), yuan(s.prepaid),
             yuan(s.liquidation)] for s in chosen]
    sections = [section("一、DIP 年终清算", ("机构编码", "机构名称", "等级", "病例数", "分值", "点值", "系数",
                                        "年终应付（元）", "已预付（元）", "清算差额（元）"), rows,
                        "点值 = DIP 年度预算 ÷ 全部机构总分值（保留12位小数，四舍五入）；年终应付 = 分值 × 点值 × 系数"
                        "（四舍五入到分）；清算差额 = 年终应付 − 已预付（正数补付，负数扣回）。")]
    if institution is not None:
        for s in chosen:
            sections.append(prepayment_section(s, rules))
    else:
        sections.append(section("二、合计", ("项目", "金额（元）"), [
            ["年终应付合计", yuan(year_end.total_final)], ["已预付合计", yuan(year_end.total_prepaid)],
            ["清算差额合计", yuan(year_end.total_final - year_end.total_prepaid)],
            ["机构数", len(year_end.institutions)]]))
    data = {"year": year_end.year, "budget": yuan(year_end.budget), "total_points": str(year_end.total_points),
            "point_value": str(year_end.point_value),
            "monthly_point_values": {m: str(v) for m, v in year_end.monthly_point_values.items()},
            "institutions": [dip_settlement_data(s) for s in chosen]}
    entries = [e for s in chosen for e in s.entries()]
    return document("DIP 按病种分值付费年度清算单", DocumentMeta(period=f"{year_end.year}年", fields=tuple(fields)),
                    sections, data, entries)


def prepayment_section(s: DipInstitutionSettlement, rules: ClearingRules) -> Section:
    rows = [[p.month, f"{p.points:f}", f"{p.point_value:f}", f"{p.coefficient:f}", yuan(p.estimated),
             percent(p.rate), yuan(p.prepaid)] for p in s.prepayments]
    rows.append(["合计", f"{s.points:f}", "", "", "", "", yuan(s.prepaid)])
    return section(f"二、月度预付（{s.institution.code}）",
                   ("月份", "分值", "月度点值", "系数", "月度估算（元）", "预付比例", "预付金额（元）"), rows,
                   "月度点值 = DIP 年度预算 ÷ 12 ÷ 当月全部机构分值；月度估算 = 分值 × 月度点值 × 系数；"
                   f"预付金额 = 月度估算 × {percent(rules.dip.prepayment_rate)}（均四舍五入到分）。")


def dip_settlement_data(s: DipInstitutionSettlement) -> dict[str, Any]:
    return {"institution": asdict(s.institution), "cases": s.cases, "points": str(s.points),
            "coefficient": str(s.coefficient), "final": yuan(s.final), "prepaid": yuan(s.prepaid),
            "liquidation": yuan(s.liquidation),
            "prepayments": [{"month": p.month, "points": str(p.points), "point_value": str(p.point_value),
                             "estimated": yuan(p.estimated), "prepaid": yuan(p.prepaid)} for p in s.prepayments]}


# --------------------------------------------------------------------------- global budget


def global_budget_document(year: int, results: Sequence[tuple[GlobalBudgetSettlement, ReserveRelease | None]],
                           rules: ClearingRules, institution: str | None = None) -> Document:
    rows = []
    for s, release in results:
        rows.append([s.institution.code, s.institution.name, yuan(s.budget), yuan(s.actual),
                     ("超支 " + yuan(s.overspend)) if s.overspend else ("结余 " + yuan(s.surplus)),
                     yuan(s.fund_bears), yuan(s.institution_bears), yuan(s.surplus_reward), yuan(s.recognised),
                     yuan(s.adjustment),
                     "" if release is None
                     else f"{yuan(release.withheld)} / {release.score} 分 / {yuan(release.released)}"])
    fields = " + ".join(FIELD_LABELS[n] for n in rules.global_budget.budget_fields)
    sections = [section("一、总额预算年终清算", ("机构编码", "机构名称", "预算（元）", f"实际（{fields}）", "超支/结余",
                                        "基金分担", "机构承担", "结余留用", "认定金额", "清算差额",
                                        "质量保证金 预留/考核/返还"), rows,
                        "认定金额 = min(实际, 预算) + 基金分担 + 结余留用；清算差额 = 认定金额 − 实际（负数扣回，正数补付）。")]
    band_rows = [["超支" if s.overspend else "结余",
                  f"{percent(b.lower)} 以上" if b.upper is None else f"{percent(b.lower)}–{percent(b.upper)}",
                  f"{yuan(b.lower_fen)} 以上" if b.upper_fen is None else f"{yuan(b.lower_fen)}–{yuan(b.upper_fen)}",
                  yuan(b.portion), percent(b.rate), yuan(b.share)]
                 for s, _ in results for b in s.bands] if institution is not None else []
    if band_rows:
        sections.append(section("二、分段计算", ("类型", "分段（占预算）", "分段（元）", "落入金额", "比例", "分担/留用金额"),
                                band_rows, "超支分段比例为基金分担比例；结余分段比例为机构留用比例；各段四舍五入到分。"))
    fields = [rules_meta(rules)]
    if institution is not None and results:
        fields = institution_meta(results[0][0].institution) + fields
    data = {"year": year, "institutions": [{
        "institution": asdict(s.institution), "budget": yuan(s.budget), "actual": yuan(s.actual),
        "overspend": yuan(s.overspend), "surplus": yuan(s.surplus), "fund_bears": yuan(s.fund_bears),
        "institution_bears": yuan(s.institution_bears), "surplus_reward": yuan(s.surplus_reward),
        "recognised": yuan(s.recognised), "adjustment": yuan(s.adjustment),
        "quality_reserve": None if r is None else {"withheld": yuan(r.withheld), "score": str(r.score),
                                                    "released": yuan(r.released)}} for s, r in results]}
    entries = [e for s, r in results for e in (*s.entries(), *(() if r is None else r.entries()))]
    return document("总额预算年度清算单", DocumentMeta(period=f"{year}年", fields=tuple(fields)), sections, data,
                    entries)


# --------------------------------------------------------------------------- capitation


def capitation_document(results: Sequence[CapitationSettlement], rules: ClearingRules,
                        period: str) -> Document:
    rows = [[s.institution.code, s.institution.name, s.person_months, yuan(s.per_person_month), yuan(s.capitation),
             yuan(s.costs), yuan(s.balance), "结余" if s.balance > 0 else ("超支" if s.balance < 0 else "持平")]
            for s in results]
    types = "、".join(labelled(m, MedType) for m in rules.capitation.med_types)
    sections = [section("一、按人头付费", ("机构编码", "机构名称", "人月数", "每人每月（元）", "人头费用（元）",
                                     f"门诊统筹支付（{types}）", "结余/超支（元）", "结果"), rows,
                        "人头费用 = 每人每月标准 × 签约人月数；结余/超支 = 人头费用 − 本机构门诊统筹支付"
                        "（正数为机构结余，补付；负数为超支，由机构承担，扣回）。")]
    data = {"period": period, "institutions": [{
        "institution": asdict(s.institution), "person_months": s.person_months,
        "capitation": yuan(s.capitation), "costs": yuan(s.costs), "balance": yuan(s.balance)} for s in results]}
    return document("按人头付费清算单", DocumentMeta(period=period, fields=(rules_meta(rules),)), sections, data,
                    (e for s in results for e in s.entries()))

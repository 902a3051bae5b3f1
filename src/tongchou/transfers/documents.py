"""What the transfers package renders: the transfer certificate (基本医疗保险参保凭证) as a `Document`, from the
certificate's JSON as stored with the transfer (the command line prints it, the console page shows it)."""

from __future__ import annotations

from typing import Any, Mapping

from tongchou.documents import Document, DocumentMeta, KeyFigure, KeyFigures, Notice, Paragraph, Section, Table
from tongchou.enrolment.years import years_text

SCHEME_NAMES = {"310": "职工基本医疗保险", "390": "城乡居民基本医疗保险"}
SEX = {"1": "男", "2": "女"}


def _day(text: str | None) -> str:
    if not text:
        return "—"
    year, month, day = text.split("-")
    return f"{int(year)}年{int(month)}月{int(day)}日"


def _yuan(text: str | None) -> str:
    if text is None:
        return "—"
    whole, _, cents = str(text).partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}.{(cents or '00'):0<2}"


def certificate_document(cert: Mapping[str, Any], *, preview: bool = False) -> Document:
    person = cert.get("person") or {}
    source, target = cert.get("from_pool") or {}, cert.get("to_pool") or {}
    meta = DocumentMeta(
        region=f"{source.get('name', '—')}（{source.get('code', '—')}）",
        fields=(("凭证编号", cert.get("number") or "—"), ("转入统筹区", f"{target.get('name') or '—'}（{target.get('code') or '—'}）"),
                ("开具日期", _day(cert.get("issued_on"))), ("本统筹区参保截止日期", _day(cert.get("transfer_date")))))
    people = Table("参保人", ("个人编号", "姓名", "公民身份号码", "性别", "出生日期"),
                   ((person.get("psn_no") or "—", person.get("name") or "—", person.get("id_number") or "—",
                     SEX.get(str(person.get("sex") or ""), "—"), _day(person.get("birth_date"))),),
                   numeric=(False,) * 5)
    sections = [Section("", (people,))]
    figures = []
    for scheme in cert.get("schemes") or []:
        insutype = str(scheme.get("insutype"))
        name = SCHEME_NAMES.get(insutype, f"险种{insutype}")
        total, continuous = int(scheme.get("total_months") or 0), int(scheme.get("continuous_months") or 0)
        figures += [KeyFigure(f"{name}累计缴费年限", years_text(total)),
                    KeyFigure(f"{name}连续缴费年限", years_text(continuous))]
        periods = Table(f"{name}参保期间", ("起始日期", "终止日期"),
                        tuple((_day(p.get("start")), _day(p.get("end"))) for p in scheme.get("periods") or ()),
                        numeric=(False, False))
        resident = insutype == "390"
        columns = ("缴费年度", "缴费金额（元）", "缴费日期") if resident else \
            ("费款所属期", "缴费基数（元）", "缴费金额（元）", "缴费日期")
        rows = tuple((c.get("period"), _yuan(c.get("amount")), _day(c.get("paid_on"))) if resident else
                     (c.get("period"), _yuan(c.get("base")), _yuan(c.get("amount")), _day(c.get("paid_on")))
                     for c in scheme.get("contributions") or ())
        blocks: list = [periods]
        numeric = (False, True, False) if resident else (False, True, True, False)
        blocks.append(Table(f"{name}缴费记录（按{'年度' if resident else '月'}）", columns, rows, numeric) if rows else
                      Paragraph(f"{name}在本系统中没有缴费记录（年限为建账前或转入时认定的）。"))
        blocks.append(Paragraph(f"累计缴费年限{years_text(total)}（{total}个月），连续缴费年限{years_text(continuous)}"
                                f"（{continuous}个月），计至{_day(scheme.get('ended_on') or cert.get('transfer_date'))}。"))
        sections.append(Section(name, tuple(blocks)))
    figures.append(KeyFigure("个人账户余额（转移金额）", _yuan(cert.get("account_balance")), "元"))
    sections.insert(1, Section("缴费年限与个人账户", (KeyFigures(tuple(figures)),)))
    notes = []
    if cert.get("recognised_note"):
        notes.append(Paragraph(str(cert["recognised_note"])))
    notes.append(Paragraph("居民医保缴费年限按整年计（全年参保并已缴费的年度）；职工医保缴费年限按实际缴费月数÷12计，"
                           "中断缴费超过政策规定月数的，连续缴费年限重新计算。"))
    if preview:
        notes.append(Notice("warning", "预览：尚未办理转出，凭证未开具。"))
    sections.append(Section("说明", tuple(notes)))
    return Document("基本医疗保险参保凭证", meta, tuple(sections), subtitle=person.get("name") or "",
                    footer="本凭证由转出地医疗保障经办机构开具，转入地据此认定缴费年限。", payload={"certificate": dict(cert)})

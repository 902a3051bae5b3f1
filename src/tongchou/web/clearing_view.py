"""An institution's monthly clearing statements (月度结算单) rendered by the clearing core over the
store's settlements: `clearing.statement.monthly_statement` and `clearing.documents.statement_document`,
with the clearing rules the console was given (the shipped example by default). Stored clearing
runs (`tongchou clearing run`) are listed with their status beside them.
"""

from __future__ import annotations


from sqlalchemy.orm import Session

from tongchou.clearing.documents import statement_document
from tongchou.clearing.records import Institution, SettlementLine, TOTAL_FIELDS
from tongchou.clearing.rules import ClearingRules
from tongchou.clearing.statement import cells_from_settlements, monthly_statement
from tongchou.documents import Document
from tongchou.store import models as m
from tongchou.web import queries

AMOUNT_FIELDS = tuple(name for name in TOTAL_FIELDS if name != "setl_cnt")
RUN_STATUS = {"draft": "草稿", "approved": "已审核", "paid": "已支付"}
RUN_KINDS = {"monthly": "月度清算", "year_end": "年终清算"}


def line_of(row: m.Settlement, cancelled: bool) -> SettlementLine:
    return SettlementLine(row.setl_id, row.insutype, row.med_type,
                          {name: getattr(row, name) for name in AMOUNT_FIELDS}, cancelled)


def statement(session: Session, institution: m.Institution, month: str, rules: ClearingRules) -> Document:
    lines = [line_of(row, cancelled) for row, cancelled in queries.month_settlements(session, institution.code, month)]
    core = monthly_statement(Institution(institution.code, institution.name, institution.hosp_lv), month,
                             cells_from_settlements(lines), rules.clearing)
    return statement_document(core, rules)
